//! Leaving the VPC: internet gateway (1:1 public IP translation), NAT gateway
//! (source translation), virtual private gateway (on premises) and gateway
//! endpoints.

use super::deliver::towards_host;
use super::direct_connect::OnPremLink;
use super::pipeline::{Sink, Source};
use super::routes::RouteLookup;
use super::trace::{Gateway, Hop, Tracer};
use super::{
    Dataplane, DropDetail, Egress, GatewayCrossing, MtuLink, EXTERNAL_MAC, INTERNET_MTU,
    ROUTER_MAC, VPC_MTU,
};
use crate::model::*;
use crate::wire::{self, FlowKey, FragmentKind, IcmpKind};
use std::net::{IpAddr, Ipv4Addr};

/// The trace hop of a source translation to `ip` (and `port`, when the
/// translation maps one): an ICMP query's identifier is its port; an error's
/// port is its quote's, so it shows none.
pub(super) fn source_translation(key: &FlowKey, ip: Ipv4Addr, port: Option<u16>) -> Hop {
    let (from_port, to_port) = match key.icmp_kind() {
        Some(IcmpKind::Request | IcmpKind::Reply) => (key.icmp_id, port.unwrap_or(key.icmp_id)),
        Some(_) => (0, 0),
        None => (key.src_port, port.unwrap_or(key.src_port)),
    };
    Hop::Translate {
        from: key.src,
        from_port,
        to: IpAddr::V4(ip),
        to_port,
    }
}

/// `key` with its source translated to `ip` (and `port`), as the NAT gateway's
/// subnet sees it.
fn translated_source(key: &FlowKey, ip: Ipv4Addr, port: Option<u16>) -> FlowKey {
    let mut k = FlowKey {
        src: IpAddr::V4(ip),
        ..*key
    };
    if let Some(p) = port {
        match key.icmp_kind() {
            Some(IcmpKind::Request | IcmpKind::Reply) => k.icmp_id = p,
            Some(_) => {}
            None => k.src_port = p,
        }
    }
    k
}

impl Dataplane {
    /// The external host at `dst` on `site` (internet, or behind a given VGW).
    pub(super) fn host_at(&self, dst: IpAddr, on_prem: Option<VgwIdx>) -> Option<(HostIdx, u16)> {
        let h = self.host_by_ip(dst)?;
        let host = &self.net.external_hosts[h.ix()];
        let ok = match (host.site, on_prem) {
            (ExternalSite::Internet, None) => true,
            (ExternalSite::OnPrem(g), Some(want)) => g == want,
            _ => false,
        };
        ok.then_some((h, host.mtu))
    }

    /// Check the MTU towards an external host (`mtu`: the narrower of the link
    /// and the host, and what set it: see `deliver::towards_host`), rewrite MACs
    /// and hand the frame on.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn deliver_external<T: Tracer>(
        &mut self,
        src: EniIdx,
        h: HostIdx,
        mtu: (u16, MtuLink),
        timing: (u64, Charges),
        key: &FlowKey,
        frame: Vec<u8>,
        translate: Option<(Ipv4Addr, Option<u16>)>,
        sink: &mut Sink<'_, T>,
    ) {
        let subnet = self.net.enis[src.ix()].subnet;
        let Some((mut frame, fragment)) =
            self.mtu_step(Source::Eni(src), subnet, mtu, key, frame, sink)
        else {
            return;
        };
        if let Some((ip, port)) = translate {
            if let Err(m) = wire::rewrite_ipv4(&mut frame, Some((ip, port)), None) {
                return sink.drop(DropDetail::Malformed(m.0), Some(src), frame);
            }
            sink.tr.hop(source_translation(key, ip, port));
        }
        if let Err(m) = wire::set_macs(&mut frame, ROUTER_MAC, EXTERNAL_MAC) {
            return sink.drop(DropDetail::Malformed(m.0), Some(src), frame);
        }
        sink.tr.at(timing.0);
        sink.tr.hop(Hop::External {
            host: h,
            dir: Direction::Inbound,
        });
        self.emit(Egress::External(h), frame, timing, None, fragment, sink);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn out_igw<T: Tracer>(
        &mut self,
        now: u64,
        src: EniIdx,
        g: IgwIdx,
        not_attached: DropDetail,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let eni = &self.net.enis[src.ix()];
        let (vpc, public) = (eni.vpc, eni.public_ip);
        if self
            .net
            .internet_gateways
            .get(g.ix())
            .is_none_or(|i| i.vpc != Some(vpc))
        {
            return sink.drop(not_attached, Some(src), frame);
        }
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::Internet(g),
        });
        // The gateway maps the ENI's own private address to its public IP (1:1);
        // a packet a forwarding instance passes on from another address has no
        // public IP to go out as (AWS: only addresses with an associated public
        // IP reach the internet).
        let own = match key.src {
            IpAddr::V4(a) => eni.private_ip == a,
            IpAddr::V6(_) => true,
        };
        let translate = match key.src {
            IpAddr::V4(_) => match public.filter(|_| own) {
                Some(p) => Some((p, None)),
                None => {
                    return sink.drop(
                        DropDetail::NoPublicIp { eni: src, igw: g },
                        Some(src),
                        frame,
                    )
                }
            },
            IpAddr::V6(_) => None,
        };
        let Some((h, host_mtu)) = self.host_at(key.dst, None) else {
            if let (IpAddr::V4(d), Some((public, _))) = (key.dst, translate) {
                if let Some(target) = self.eni_by_public_ip(d) {
                    return self.hairpin(now, src, public, target, key, frame, sink);
                }
            }
            return sink.drop_unknown(key.dst, Some(src), frame);
        };
        let latency = self.net.latency.internet_ns;
        let charges = Charges::NONE.with(Segment::InternetEgress);
        let igw = (INTERNET_MTU, MtuLink::Gateway(Gateway::Internet(g)));
        self.deliver_external(
            src,
            h,
            towards_host(igw, h, host_mtu),
            (latency, charges),
            &key,
            frame,
            translate,
            sink,
        );
    }

    /// To another ENI's public IP: out of the internet gateway and back in, both
    /// addresses translated (so the target's security group sees the public source
    /// address, and group references do not match), MTU 1500.
    #[allow(clippy::too_many_arguments)]
    fn hairpin<T: Tracer>(
        &mut self,
        now: u64,
        src: EniIdx,
        public: Ipv4Addr,
        target: EniIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let t = &self.net.enis[target.ix()];
        let private = t.private_ip;
        let Some(g) = self.net.vpcs[t.vpc.ix()].internet_gateway else {
            return sink.drop_unknown(key.dst, Some(src), frame);
        };
        let subnet = self.net.enis[src.ix()].subnet;
        let igw = MtuLink::Gateway(Gateway::Internet(g));
        let Some((mut frame, fragment)) = self.mtu_step(
            Source::Eni(src),
            subnet,
            (INTERNET_MTU, igw),
            &key,
            frame,
            sink,
        ) else {
            return;
        };
        let to = (private, None);
        if let Err(m) = wire::rewrite_ipv4(&mut frame, Some((public, None)), Some(to)) {
            return sink.drop(DropDetail::Malformed(m.0), Some(src), frame);
        }
        let (from_ip, to_ip) = (IpAddr::V4(public), IpAddr::V4(private));
        sink.tr.hop(Hop::Translate {
            from: key.src,
            from_port: key.src_port,
            to: from_ip,
            to_port: key.src_port,
        });
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::Internet(g),
        });
        sink.tr.hop(Hop::Translate {
            from: key.dst,
            from_port: key.dst_port,
            to: to_ip,
            to_port: key.dst_port,
        });
        let key = FlowKey {
            src: from_ip,
            dst: to_ip,
            ..key
        };
        // Already fragmented to 1500 if needed: deliver the pieces one by one.
        let leg = super::pipeline::Leg {
            src: Source::Hairpin(src),
            mtu: INTERNET_MTU,
            link: igw,
            // The round trip through the gateway stays inside the region.
            latency_ns: self.net.latency.cross_az_ns,
            via: None,
            // Out to the internet and back in: billed as data transfer out.
            charges: Charges::NONE.with(Segment::InternetEgress),
        };
        match fragment {
            None => self.deliver_eni(now, leg, target, key, frame, sink),
            Some((_, mtu)) => {
                let mut pieces = Vec::new();
                if let Err(m) = wire::fragment_ipv4(&frame, mtu, &mut pieces) {
                    return sink.drop(DropDetail::Malformed(m.0), Some(src), frame);
                }
                for piece in pieces {
                    let k = wire::parse_frame(&piece).unwrap_or(key);
                    self.deliver_eni(now, leg, target, k, piece, sink);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn out_nat<T: Tracer>(
        &mut self,
        now: u64,
        src: EniIdx,
        n: NatIdx,
        not_attached: DropDetail,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let (src_subnet, vpc) = (self.net.enis[src.ix()].subnet, self.net.enis[src.ix()].vpc);
        let Some(nat) = self.net.nat_gateways.get(n.ix()).filter(|g| g.vpc == vpc) else {
            return sink.drop(not_attached, Some(src), frame);
        };
        let (nat_subnet, nat_private, nat_public) = (nat.subnet, nat.private_ip, nat.public_ip);
        // In the order the frame meets them (AWS: the NAT gateway is an ENI in its
        // own subnet, one hop away): the NAT subnet's NACL inbound on the way in,
        // before translation; the NAT gateway translates the source to its private
        // address and a port; the NAT subnet's route table and NACL outbound see
        // the translated packet; the internet gateway maps the private address to
        // the Elastic IP (1:1, as for any instance's public IP).
        sink.tr.at(self.net.latency.same_az_ns);
        if nat_subnet != src_subnet {
            if let Err(d) = self.nacl_check(nat_subnet, Direction::Inbound, &key, sink) {
                return sink.drop(d, Some(src), frame);
            }
        }
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::Nat(n),
        });
        let (IpAddr::V4(sip), IpAddr::V4(dip)) = (key.src, key.dst) else {
            return sink.drop_unknown(key.dst, Some(src), frame);
        };
        if key.fragment != FragmentKind::Whole && key.protocol != proto::UDP {
            return sink.drop(DropDetail::NatFragment { nat: n }, Some(src), frame);
        }
        let table = &mut self.nat[n.ix()];
        let port = match (key.fragment, key.icmp_kind()) {
            (FragmentKind::NonFirst, _) => None,
            // An error about a flow that came back in through this gateway: its
            // mapping translates the quoted packet (no mapping: addresses only).
            (_, Some(IcmpKind::Error)) => wire::quoted_flow(&frame).ok().and_then(|q| {
                let port = if q.icmp_query_type().is_some() {
                    q.icmp_id
                } else {
                    q.dst_port
                };
                table.mapped(now, q.protocol, sip, port)
            }),
            (_, Some(IcmpKind::Other)) => {
                let _ = table.outbound(now, key.protocol, sip, None, dip);
                None
            }
            (_, Some(IcmpKind::Request | IcmpKind::Reply)) | (_, None)
                if matches!(key.protocol, proto::TCP | proto::UDP | proto::ICMP) =>
            {
                let port = if key.protocol == proto::ICMP {
                    key.icmp_id
                } else {
                    key.src_port
                };
                match table.outbound(now, key.protocol, sip, Some(port), dip) {
                    Some(p) => Some(p),
                    None => {
                        return sink.drop(
                            DropDetail::NatPortsExhausted { nat: n },
                            Some(src),
                            frame,
                        )
                    }
                }
            }
            _ => {
                let _ = table.outbound(now, key.protocol, sip, None, dip);
                None
            }
        };
        sink.tr.hop(source_translation(&key, nat_private, port));
        let translated = translated_source(&key, nat_private, port);
        // The NAT gateway's own subnet routes the translated packet.
        let rtb = self.net.subnets[nat_subnet.ix()].route_table;
        let Some((prefix, route)) = self.routes[rtb.ix()].route_for(key.dst) else {
            return sink.drop(DropDetail::NoRoute { rtb, dst: key.dst }, Some(src), frame);
        };
        sink.tr.hop(Hop::Route { rtb, prefix, route });
        let g = match self.net.route_tables[rtb.ix()].routes[route as usize].target {
            RouteTarget::InternetGateway(g)
                if self
                    .net
                    .internet_gateways
                    .get(g.ix())
                    .is_some_and(|i| i.vpc == Some(vpc)) =>
            {
                g
            }
            RouteTarget::Blackhole => {
                return sink.drop(DropDetail::Blackhole { rtb, route }, Some(src), frame)
            }
            _ => {
                return sink.drop(
                    DropDetail::TargetNotAttached { rtb, route },
                    Some(src),
                    frame,
                )
            }
        };
        if let Err(d) = self.nacl_check(nat_subnet, Direction::Outbound, &translated, sink) {
            return sink.drop(d, Some(src), frame);
        }
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::Internet(g),
        });
        let Some((h, host_mtu)) = self.host_at(key.dst, None) else {
            return sink.drop_unknown(key.dst, Some(src), frame);
        };
        let latency = self.net.latency.same_az_ns + self.net.latency.internet_ns;
        // The frame is rewritten once, to the Elastic IP and the port; the trace
        // shows the internet gateway's step from the NAT's private address.
        let nat_az = self.net.subnets[nat_subnet.ix()].az;
        let charges = Charges::NONE
            .with(Segment::NatProcessing)
            .with(Segment::InternetEgress)
            .with_if(Segment::CrossAz, self.net.eni_az(src) != nat_az);
        let start = sink.out.len();
        let igw = (INTERNET_MTU, MtuLink::Gateway(Gateway::Internet(g)));
        self.deliver_external(
            src,
            h,
            towards_host(igw, h, host_mtu),
            (latency, charges),
            &translated,
            frame,
            Some((nat_public, port)),
            sink,
        );
        let before_port = port.map(|_| match key.icmp_kind() {
            Some(_) => key.icmp_id,
            None => key.src_port,
        });
        let crossing = super::NatCrossing {
            nat: n,
            outbound: true,
            before: (sip, before_port),
        };
        super::nat::mark_via_nat(&mut self.nat_crossings, sink.out, start, crossing);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn out_vgw<T: Tracer>(
        &mut self,
        _now: u64,
        src: EniIdx,
        g: VgwIdx,
        not_attached: DropDetail,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let vpc = self.net.enis[src.ix()].vpc;
        let Some(vgw) = self
            .net
            .vpn_gateways
            .get(g.ix())
            .filter(|v| v.vpc == Some(vpc))
        else {
            return sink.drop(not_attached, Some(src), frame);
        };
        let vpn = (OnPremLink::Vpn, vgw.mtu, vgw.latency_ns);
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::Vpn(g),
        });
        // The VPN, or a Direct Connect interface when it wins the prefix (AWS
        // route priority, see `direct_connect`).
        let (link, mtu, latency) = self.vgw_link(g, key.dst).unwrap_or(vpn);
        if let OnPremLink::Dx(d, v) = link {
            sink.tr.hop(Hop::Gateway {
                gateway: Gateway::DirectConnect(d, v),
            });
        }
        let Some((h, host_mtu)) = self.on_prem_host(g, key.dst) else {
            return sink.drop_unknown(key.dst, Some(src), frame);
        };
        // Data transfer out over a VPN is billed like data transfer out; over
        // Direct Connect at its own (lower, per-location) rate, which the data
        // cost estimate does not model: nothing is charged for it.
        let timing = (
            latency,
            Charges::NONE.with_if(Segment::InternetEgress, link == OnPremLink::Vpn),
        );
        let gateway = match link {
            OnPremLink::Dx(d, v) => Gateway::DirectConnect(d, v),
            OnPremLink::Vpn => Gateway::Vpn(g),
        };
        let mtu = towards_host((mtu, MtuLink::Gateway(gateway)), h, host_mtu);
        let start = sink.out.len();
        self.deliver_external(src, h, mtu, timing, &key, frame, None, sink);
        if let OnPremLink::Dx(dx, vif) = link {
            let crossing = GatewayCrossing::VirtualInterface {
                dx,
                vif,
                outbound: true,
            };
            self.mark_via_gateway(sink.out, start, crossing);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn out_vpce<T: Tracer>(
        &mut self,
        _now: u64,
        src: EniIdx,
        e: VpceIdx,
        not_attached: DropDetail,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let vpc = self.net.enis[src.ix()].vpc;
        if self
            .net
            .gateway_endpoints
            .get(e.ix())
            .is_none_or(|v| v.vpc != vpc)
        {
            return sink.drop(not_attached, Some(src), frame);
        }
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::Endpoint(e),
        });
        let Some((h, host_mtu)) = self.host_at(key.dst, None) else {
            return sink.drop_unknown(key.dst, Some(src), frame);
        };
        let latency = self.net.latency.same_az_ns;
        let vpce = (VPC_MTU, MtuLink::Gateway(Gateway::Endpoint(e)));
        self.deliver_external(
            src,
            h,
            towards_host(vpce, h, host_mtu),
            (latency, Charges::NONE),
            &key,
            frame,
            None,
            sink,
        );
    }
}
