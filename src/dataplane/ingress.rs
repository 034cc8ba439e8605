//! Entering from an external host: through the internet gateway (to a public IP
//! or a NAT gateway's address, translated back), a gateway endpoint (a service
//! replying to a private address), or a VPN gateway from on premises.

use super::pipeline::{Leg, Sink, Source};
use super::trace::{Gateway, Hop, Tracer};
use super::{Dataplane, DropDetail, Edge, MtuLink, INTERNET_MTU, VPC_MTU};
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
        if let ExternalSite::DirectConnect(d) = site {
            return self.in_direct_connect(now, h, d, key, frame, sink);
        }
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
            sink.tr.at(latency_ns);
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
                        link: MtuLink::Gateway(Gateway::Vpn(g)),
                        latency_ns,
                        via: None,
                        // Data transfer in from on premises is free.
                        charges: Charges::NONE,
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
                sink.tr.at(internet);
                sink.tr.hop(Hop::Gateway {
                    gateway: Gateway::Internet(g),
                });
                let latency = self.net.latency.internet_ns;
                let to = (private, None);
                return self.in_translated(
                    now,
                    (h, latency, Charges::NONE),
                    e,
                    key,
                    to,
                    true,
                    frame,
                    sink,
                );
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
                    sink.tr.at(internet);
                    sink.tr.hop(Hop::Gateway {
                        gateway: Gateway::Internet(g),
                    });
                    let leg = Leg {
                        src,
                        mtu: INTERNET_MTU,
                        link: MtuLink::Gateway(Gateway::Internet(g)),
                        latency_ns: internet,
                        via: None,
                        charges: Charges::NONE,
                    };
                    return self.deliver_eni(now, leg, e, key, frame, sink);
                }
                if let Some(g) = v.egress_only_internet_gateway {
                    return self.in_eigw(now, h, g, e, key, frame, sink);
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
                sink.tr.at(self.net.latency.same_az_ns);
                sink.tr.hop(Hop::Gateway {
                    gateway: Gateway::Endpoint(VpceIdx(ep as u32)),
                });
                let leg = Leg {
                    src,
                    mtu: VPC_MTU,
                    link: MtuLink::Gateway(Gateway::Endpoint(VpceIdx(ep as u32))),
                    latency_ns: self.net.latency.same_az_ns,
                    via: None,
                    charges: Charges::NONE,
                };
                return self.deliver_eni(now, leg, e, key, frame, sink);
            }
        }
        if site == ExternalSite::Internet {
            if let Some(d) = self.private_from_internet(key.dst) {
                return sink.drop(d, None, frame);
            }
        }
        sink.drop(unknown, None, frame)
    }

    /// The drop of a packet from the internet to `dst` when `dst` is a private
    /// address: the ranges no internet router forwards (RFC 1918, RFC 6598 shared
    /// space, IPv6 unique local) or an address inside a VPC's IPv4 CIDR. Drop
    /// path only.
    #[cold]
    fn private_from_internet(&self, dst: IpAddr) -> Option<DropDetail> {
        let private_range = match dst {
            IpAddr::V4(a) => a.is_private() || (a.octets()[0] == 100 && a.octets()[1] & 0xc0 == 64),
            IpAddr::V6(a) => a.segments()[0] & 0xfe00 == 0xfc00,
        };
        let in_vpc = self
            .net
            .vpcs
            .iter()
            .any(|v| dst.is_ipv4() && super::pipeline::vpc_contains(v, dst));
        (private_range || in_vpc).then_some(DropDetail::PrivateFromInternet { dst })
    }

    /// Translate the destination to a private address and deliver.
    #[allow(clippy::too_many_arguments)]
    fn in_translated<T: Tracer>(
        &mut self,
        now: u64,
        (h, latency_ns, charges): (HostIdx, u64, Charges),
        e: EniIdx,
        key: FlowKey,
        to: (Ipv4Addr, Option<u16>),
        traced: bool,
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
        // `traced` false: the caller recorded the translation where it happened.
        if traced {
            sink.tr.hop(Hop::Translate {
                from: key.dst,
                from_port,
                to: IpAddr::V4(to.0),
                to_port,
            });
        }
        let key = FlowKey {
            dst: IpAddr::V4(to.0),
            ..key
        };
        // In through the internet gateway of the receiving ENI's VPC.
        let vpc = self.net.enis.get(e.ix()).map(|x| x.vpc);
        let link = match vpc.and_then(|v| self.net.vpcs[v.ix()].internet_gateway) {
            Some(g) => MtuLink::Gateway(Gateway::Internet(g)),
            None => MtuLink::Vpc(vpc.unwrap_or(VpcIdx(0))),
        };
        let leg = Leg {
            src: Source::External(h),
            mtu: INTERNET_MTU,
            link,
            latency_ns,
            via: None,
            charges,
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
        let (vpc, nat_subnet, nat_private) = (nat.vpc, nat.subnet, nat.private_ip);
        let unknown = DropDetail::UnknownDestination { dst: key.dst };
        let IpAddr::V4(remote) = key.src else {
            return sink.drop(unknown, None, frame);
        };
        // In the order the frame meets them: the internet gateway maps the Elastic
        // IP to the NAT gateway's private address; the NAT subnet's NACL inbound
        // sees that, before the NAT gateway translates the destination back to
        // the instance; the NAT subnet's NACL outbound sees the translated packet.
        sink.tr.at(self.net.latency.internet_ns);
        if let Some(g) = self.net.vpcs[vpc.ix()].internet_gateway {
            sink.tr.hop(Hop::Gateway {
                gateway: Gateway::Internet(g),
            });
        }
        sink.tr.hop(Hop::Translate {
            from: key.dst,
            from_port: 0,
            to: IpAddr::V4(nat_private),
            to_port: 0,
        });
        let at_nat = FlowKey {
            dst: IpAddr::V4(nat_private),
            ..key
        };
        if let Err(d) = self.nacl_check(nat_subnet, Direction::Inbound, &at_nat, sink) {
            return sink.drop(d, None, frame);
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
        let Some(e) = self.eni_in_vpc(vpc, IpAddr::V4(private.0)) else {
            return sink.drop(unknown, None, frame);
        };
        let translated = FlowKey {
            dst: IpAddr::V4(private.0),
            dst_port: private.1.unwrap_or(key.dst_port),
            ..key
        };
        let port_of = |k: &FlowKey| match k.icmp_kind() {
            Some(IcmpKind::Request | IcmpKind::Reply) => k.icmp_id,
            Some(_) => 0,
            None => k.dst_port,
        };
        sink.tr.hop(Hop::Translate {
            from: IpAddr::V4(nat_private),
            from_port: port_of(&key),
            to: IpAddr::V4(private.0),
            to_port: match key.icmp_kind() {
                Some(IcmpKind::Request | IcmpKind::Reply) => private.1.unwrap_or(key.icmp_id),
                Some(_) => 0,
                None => translated.dst_port,
            },
        });
        if self.net.enis[e.ix()].subnet != nat_subnet {
            if let Err(d) = self.nacl_check(nat_subnet, Direction::Outbound, &translated, sink) {
                return sink.drop(d, Some(e), frame);
            }
        }
        let latency = self.net.latency.internet_ns + self.net.latency.same_az_ns;
        // The NAT gateway processes replies too, and across AZs to the instance.
        let nat_az = self.net.subnets[nat_subnet.ix()].az;
        let charges = Charges::NONE
            .with(Segment::NatProcessing)
            .with_if(Segment::CrossAz, self.net.eni_az(e) != nat_az);
        let IpAddr::V4(public) = key.dst else {
            return sink.drop(unknown, None, frame);
        };
        let before_port = private.1.map(|_| match key.icmp_kind() {
            Some(_) => key.icmp_id,
            None => key.dst_port,
        });
        let start = sink.out.len();
        self.in_translated(
            now,
            (h, latency, charges),
            e,
            key,
            private,
            false,
            frame,
            sink,
        );
        let crossing = super::NatCrossing {
            nat: n,
            outbound: false,
            before: (public, before_port),
        };
        super::nat::mark_via_nat(&mut self.nat_crossings, sink.out, start, crossing);
    }
}
