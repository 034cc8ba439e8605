//! Entering from an external host: through the internet gateway (to a public IP
//! or a NAT gateway's address, translated back), a gateway endpoint (a service
//! replying to a private address), or a VPN gateway from on premises.

use super::pipeline::{Leg, Sink, Source};
use super::trace::{Gateway, Hop, Tracer};
use super::{Dataplane, DropDetail, Edge, INTERNET_MTU, VPC_MTU};
use crate::model::*;
use crate::wire::{self, FlowKey, FragmentKind, IcmpKind};
use std::net::{IpAddr, Ipv4Addr};

impl Dataplane {
    /// A frame from an external host: through the internet gateway (to a public
    /// IP, a NAT gateway's address, or an IPv6 address), a gateway endpoint (a
    /// service replying to a private address), or a VGW from on premises.
    pub(super) fn ingress_external<T: Tracer>(
        &mut self,
        now: u64,
        h: HostIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let Some(host) = self.net.external_hosts.get(h.ix()) else {
            return sink.drop(DropDetail::UnknownIngress, None, frame);
        };
        let site = host.site;
        sink.tr.hop(Hop::External {
            host: h,
            dir: Direction::Outbound,
        });
        let unknown = DropDetail::UnknownDestination { dst: key.dst };
        let src = Source::External(h);
        let internet = self.net.latency.internet_ns;
        if let ExternalSite::OnPrem(g) = site {
            let Some(vgw) = self.net.vpn_gateways.get(g.ix()) else {
                return sink.drop(unknown, None, frame);
            };
            let (vpc, mtu, latency_ns) = (vgw.vpc, vgw.mtu, vgw.latency_ns);
            let Some(vpc) = vpc else {
                if let Some(att) = self.tgw.vpn_attachment(g) {
                    return self.in_tgw_vpn(now, h, att, key, frame, sink);
                }
                return sink.drop(unknown, None, frame);
            };
            sink.tr.hop(Hop::Gateway {
                gateway: Gateway::Vpn(g),
            });
            if !super::pipeline::vpc_contains(&self.net.vpcs[vpc.ix()], key.dst) {
                let d = self.onward_drop(Edge::Vpn(g), vpc, key.dst, sink);
                return sink.drop(d, None, frame);
            }
            return match self.eni_in_vpc(vpc, key.dst) {
                Some(e) => self.deliver_eni(
                    now,
                    Leg {
                        src,
                        mtu,
                        latency_ns,
                        via: None,
                    },
                    e,
                    key,
                    frame,
                    sink,
                ),
                None => sink.drop(unknown, None, frame),
            };
        }
        if let IpAddr::V4(d) = key.dst {
            if let Some(e) = self.eni_by_public_ip(d) {
                let eni = &self.net.enis[e.ix()];
                let private = eni.private_ip;
                let Some(g) = self.net.vpcs[eni.vpc.ix()].internet_gateway else {
                    return sink.drop(unknown, None, frame);
                };
                sink.tr.hop(Hop::Gateway {
                    gateway: Gateway::Internet(g),
                });
                let latency = self.net.latency.internet_ns;
                return self.in_translated(now, (h, latency), e, key, (private, None), frame, sink);
            }
            if let Some(&n) = self.nat_by_public_ip.get(&d) {
                return self.in_via_nat(now, h, n, key, frame, sink);
            }
        }
        // IPv6 through an internet gateway, or a service behind a gateway endpoint.
        for (i, v) in self.net.vpcs.iter().enumerate() {
            let vpc = VpcIdx(i as u32);
            let Some(e) = self.eni_in_vpc(vpc, key.dst) else {
                continue;
            };
            if key.dst.is_ipv6() {
                if let Some(g) = v.internet_gateway {
                    sink.tr.hop(Hop::Gateway {
                        gateway: Gateway::Internet(g),
                    });
                    let leg = Leg {
                        src,
                        mtu: INTERNET_MTU,
                        latency_ns: internet,
                        via: None,
                    };
                    return self.deliver_eni(now, leg, e, key, frame, sink);
                }
            }
            let endpoint = self.net.gateway_endpoints.iter().position(|ep| {
                ep.vpc == vpc
                    && self
                        .net
                        .prefix_lists
                        .get(ep.prefix_list.ix())
                        .is_some_and(|pl| pl.cidrs.iter().any(|c| c.contains(&key.src)))
            });
            if let Some(ep) = endpoint {
                sink.tr.hop(Hop::Gateway {
                    gateway: Gateway::Endpoint(VpceIdx(ep as u32)),
                });
                let leg = Leg {
                    src,
                    mtu: VPC_MTU,
                    latency_ns: self.net.latency.same_az_ns,
                    via: None,
                };
                return self.deliver_eni(now, leg, e, key, frame, sink);
            }
        }
        sink.drop(unknown, None, frame)
    }

    /// Translate the destination to a private address and deliver.
    #[allow(clippy::too_many_arguments)]
    fn in_translated<T: Tracer>(
        &mut self,
        now: u64,
        (h, latency_ns): (HostIdx, u64),
        e: EniIdx,
        key: FlowKey,
        to: (Ipv4Addr, Option<u16>),
        mut frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        if let Err(m) = wire::rewrite_ipv4(&mut frame, None, Some(to)) {
            return sink.drop(DropDetail::Malformed(m.0), Some(e), frame);
        }
        // The port translates the destination port, an ICMP query's identifier,
        // or (for an ICMP error) the quoted packet's source port.
        let (from_port, to_port, key) = match key.icmp_kind() {
            Some(IcmpKind::Request | IcmpKind::Reply) => {
                let id = to.1.unwrap_or(key.icmp_id);
                (key.icmp_id, id, FlowKey { icmp_id: id, ..key })
            }
            Some(_) => (key.dst_port, key.dst_port, key),
            None => {
                let port = to.1.unwrap_or(key.dst_port);
                (
                    key.dst_port,
                    port,
                    FlowKey {
                        dst_port: port,
                        ..key
                    },
                )
            }
        };
        sink.tr.hop(Hop::Translate {
            from: key.dst,
            from_port,
            to: IpAddr::V4(to.0),
            to_port,
        });
        let key = FlowKey {
            dst: IpAddr::V4(to.0),
            ..key
        };
        let leg = Leg {
            src: Source::External(h),
            mtu: INTERNET_MTU,
            latency_ns,
            via: None,
        };
        self.deliver_eni(now, leg, e, key, frame, sink)
    }

    /// A reply to a NAT gateway's public address: reverse the translation.
    fn in_via_nat<T: Tracer>(
        &mut self,
        now: u64,
        h: HostIdx,
        n: NatIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let nat = &self.net.nat_gateways[n.ix()];
        let (vpc, nat_subnet) = (nat.vpc, nat.subnet);
        let unknown = DropDetail::UnknownDestination { dst: key.dst };
        let IpAddr::V4(remote) = key.src else {
            return sink.drop(unknown, None, frame);
        };
        if let Some(g) = self.net.vpcs[vpc.ix()].internet_gateway {
            sink.tr.hop(Hop::Gateway {
                gateway: Gateway::Internet(g),
            });
        }
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::Nat(n),
        });
        let table = &mut self.nat[n.ix()];
        let private = match (key.fragment, key.protocol) {
            (FragmentKind::NonFirst, proto::UDP) => {
                table.fragment_owner(remote).map(|ip| (ip, None))
            }
            (FragmentKind::Whole, _) | (FragmentKind::First, proto::UDP) => {
                match (key.protocol, key.icmp_kind()) {
                    (proto::TCP | proto::UDP, _) => table
                        .inbound(now, key.protocol, Some(key.dst_port), remote)
                        .map(|(ip, p)| (ip, Some(p))),
                    (_, Some(IcmpKind::Request | IcmpKind::Reply)) => table
                        .inbound(now, key.protocol, Some(key.icmp_id), remote)
                        .map(|(ip, p)| (ip, Some(p))),
                    // An error quoting a translated packet (from the remote, or
                    // from a router on the way): the quoted flow's mapping.
                    (_, Some(IcmpKind::Error)) => wire::quoted_flow(&frame).ok().and_then(|q| {
                        let port = if q.icmp_query_type().is_some() {
                            q.icmp_id
                        } else {
                            q.src_port
                        };
                        table
                            .inbound(now, q.protocol, Some(port), remote)
                            .map(|(ip, p)| (ip, Some(p)))
                    }),
                    (p, _) => table
                        .inbound(now, p, None, remote)
                        .map(|(ip, _)| (ip, None)),
                }
            }
            _ => return sink.drop(DropDetail::NatFragment { nat: n }, None, frame),
        };
        let Some(private) = private else {
            return sink.drop(unknown, None, frame);
        };
        if key.fragment == FragmentKind::First {
            table.note_first_fragment(remote, private.0);
        }
        if let Err(d) = self.nacl_check(nat_subnet, Direction::Inbound, &key, sink) {
            return sink.drop(d, None, frame);
        }
        let Some(e) = self.eni_in_vpc(vpc, IpAddr::V4(private.0)) else {
            return sink.drop(unknown, None, frame);
        };
        let translated = FlowKey {
            dst: IpAddr::V4(private.0),
            dst_port: private.1.unwrap_or(key.dst_port),
            ..key
        };
        if self.net.enis[e.ix()].subnet != nat_subnet {
            if let Err(d) = self.nacl_check(nat_subnet, Direction::Outbound, &translated, sink) {
                return sink.drop(d, Some(e), frame);
            }
        }
        let latency = self.net.latency.internet_ns + self.net.latency.same_az_ns;
        let IpAddr::V4(public) = key.dst else {
            return sink.drop(unknown, None, frame);
        };
        let before_port = private.1.map(|_| match key.icmp_kind() {
            Some(_) => key.icmp_id,
            None => key.dst_port,
        });
        let start = sink.out.len();
        self.in_translated(now, (h, latency), e, key, private, frame, sink);
        let crossing = super::NatCrossing {
            nat: n,
            outbound: false,
            before: (public, before_port),
        };
        super::nat::mark_via_nat(&mut self.nat_crossings, sink.out, start, crossing);
    }
}
