//! The per-frame pipeline from an ENI: source checks, security group egress,
//! NACL outbound, route lookup, crossing, MTU, NACL inbound, security group
//! ingress, delivery (DESIGN.md §3 steps 1-7).

use super::routes::RouteLookup;
use super::trace::{Hop, MtuDecision, SgVerdict, Tracer};
use super::{Action, Dataplane, DropDetail, Edge, Egress, Ingress, ROUTER_MAC, VPC_MTU};
use crate::model::*;
use crate::policy::{nacl, net_contains, sg};
use crate::wire::{self, FlowKey, FragmentKind};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `Some((packet length, mtu))` when a frame must be fragmented on the way out.
pub(super) type Fragmenting = Option<(u16, u16)>;

/// Where the packet being processed came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Eni(EniIdx),
    External(HostIdx),
}

/// The link a packet crosses to its destination.
#[derive(Debug, Clone, Copy)]
pub(super) struct Leg {
    pub src: Source,
    pub mtu: u16,
    pub latency_ns: u64,
    pub via: Option<PcxIdx>,
}

/// Where actions and trace hops go.
pub(super) struct Sink<'a, T: Tracer> {
    pub out: &'a mut Vec<Action>,
    pub tr: &'a mut T,
}

impl<T: Tracer> Sink<'_, T> {
    pub fn drop(&mut self, detail: DropDetail, eni: Option<EniIdx>, frame: Vec<u8>) {
        self.tr.hop(Hop::Drop { detail });
        self.out.push(Action::Drop {
            reason: detail.reason(),
            detail,
            eni,
            frame,
        });
    }
}

pub(super) fn owns(eni: &Eni, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => eni.private_ip == v4,
        IpAddr::V6(v6) => eni.ipv6 == Some(v6),
    }
}

fn subnet_contains(s: &Subnet, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => net_contains(&IpNet::V4(s.cidr), ip),
        IpAddr::V6(_) => s.ipv6.is_some_and(|n| net_contains(&IpNet::V6(n), ip)),
    }
}

/// [`Vpc::contains`] with the fast [`net_contains`].
pub(super) fn vpc_contains(v: &Vpc, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => v.cidrs.iter().any(|c| net_contains(&IpNet::V4(*c), ip)),
        IpAddr::V6(_) => v.ipv6.is_some_and(|n| net_contains(&IpNet::V6(n), ip)),
    }
}

impl Dataplane {
    /// Process one frame entering at `ingress` at virtual time `now_ns`; append
    /// what happened to `out` (the caller reuses it). Allocates nothing when the
    /// frame is forwarded unchanged.
    pub fn process(
        &mut self,
        now_ns: u64,
        ingress: Ingress,
        frame: Vec<u8>,
        out: &mut Vec<Action>,
    ) {
        self.process_traced(now_ns, ingress, frame, out, &mut super::NoTrace);
    }

    /// [`Dataplane::process`], recording every decision in `tr`.
    pub fn process_traced<T: Tracer>(
        &mut self,
        now_ns: u64,
        ingress: Ingress,
        frame: Vec<u8>,
        out: &mut Vec<Action>,
        tr: &mut T,
    ) {
        let mut sink = Sink { out, tr };
        let key = match wire::parse_frame(&frame) {
            Ok(k) => k,
            Err(m) => {
                let eni = match ingress {
                    Ingress::Eni(e) => Some(e),
                    Ingress::External(_) => None,
                };
                return sink.drop(DropDetail::Malformed(m.0), eni, frame);
            }
        };
        match ingress {
            Ingress::Eni(e) => self.ingress_eni(now_ns, e, key, frame, &mut sink),
            Ingress::External(h) => self.ingress_external(now_ns, h, key, frame, &mut sink),
        }
    }

    fn ingress_eni<T: Tracer>(
        &mut self,
        now: u64,
        src: EniIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let Some(eni) = self.net.enis.get(src.ix()) else {
            return sink.drop(DropDetail::UnknownIngress, None, frame);
        };
        let (subnet, vpc) = (eni.subnet, eni.vpc);
        sink.tr.hop(Hop::Eni {
            eni: src,
            dir: Direction::Outbound,
        });
        if eni.source_dest_check && !owns(eni, key.src) {
            return sink.drop(DropDetail::SourceDestCheck { eni: src }, Some(src), frame);
        }
        if let Err(d) = self.sg_check(now, src, Direction::Outbound, key.dst, &key, sink) {
            return sink.drop(d, Some(src), frame);
        }
        let sn = &self.net.subnets[subnet.ix()];
        let rtb = sn.route_table;
        if subnet_contains(sn, key.dst) {
            sink.tr.hop(Hop::NaclSkipped { subnet });
        } else if let Err(d) = self.nacl_check(subnet, Direction::Outbound, &key, sink) {
            return sink.drop(d, Some(src), frame);
        }
        let Some((prefix, route)) = self.routes[rtb.ix()].route_for(key.dst) else {
            return sink.drop(DropDetail::NoRoute { rtb, dst: key.dst }, Some(src), frame);
        };
        sink.tr.hop(Hop::Route { rtb, prefix, route });
        let target = self.net.route_tables[rtb.ix()].routes[route as usize].target;
        let leg = Leg {
            src: Source::Eni(src),
            mtu: VPC_MTU,
            latency_ns: 0,
            via: None,
        };
        let not_attached = DropDetail::TargetNotAttached { rtb, route };
        match target {
            RouteTarget::Local | RouteTarget::Eni(_) => {
                let dst = match target {
                    RouteTarget::Eni(t) => {
                        Some(t).filter(|t| self.net.enis.get(t.ix()).is_some_and(|e| e.vpc == vpc))
                    }
                    _ => self.eni_in_vpc(vpc, key.dst),
                };
                match dst {
                    Some(d) => {
                        let leg = Leg {
                            latency_ns: self.eni_latency(src, d),
                            ..leg
                        };
                        self.deliver_eni(now, leg, d, key, frame, sink)
                    }
                    None => sink.drop(
                        DropDetail::UnknownDestination { dst: key.dst },
                        Some(src),
                        frame,
                    ),
                }
            }
            RouteTarget::Peering(p) => {
                self.over_peering(now, src, p, not_attached, key, frame, sink)
            }
            RouteTarget::Blackhole => {
                sink.drop(DropDetail::Blackhole { rtb, route }, Some(src), frame)
            }
            RouteTarget::InternetGateway(g) => {
                self.out_igw(now, src, g, not_attached, key, frame, sink)
            }
            RouteTarget::NatGateway(n) => self.out_nat(now, src, n, not_attached, key, frame, sink),
            RouteTarget::VpnGateway(g) => self.out_vgw(now, src, g, not_attached, key, frame, sink),
            RouteTarget::GatewayEndpoint(e) => {
                self.out_vpce(now, src, e, not_attached, key, frame, sink)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn over_peering<T: Tracer>(
        &mut self,
        now: u64,
        src: EniIdx,
        p: PcxIdx,
        not_attached: DropDetail,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let vpc = self.net.enis[src.ix()].vpc;
        let Some(pcx) = self.net.peerings.get(p.ix()) else {
            return sink.drop(not_attached, Some(src), frame);
        };
        if pcx.status != PeeringStatus::Active {
            let d = DropDetail::PeeringNotActive {
                pcx: p,
                status: pcx.status,
            };
            return sink.drop(d, Some(src), frame);
        }
        let Some(peer_vpc) = pcx.other_side(vpc) else {
            return sink.drop(not_attached, Some(src), frame);
        };
        let mtu = pcx.mtu;
        sink.tr.hop(Hop::Peering { pcx: p });
        if !vpc_contains(&self.net.vpcs[peer_vpc.ix()], key.dst) {
            let d = self.onward_detail(Edge::Peering(p), peer_vpc, key.dst);
            return sink.drop(d, Some(src), frame);
        }
        let Some(dst) = self.eni_in_vpc(peer_vpc, key.dst) else {
            return sink.drop(
                DropDetail::UnknownDestination { dst: key.dst },
                Some(src),
                frame,
            );
        };
        let leg = Leg {
            src: Source::Eni(src),
            mtu,
            latency_ns: self.eni_latency(src, dst),
            via: Some(p),
        };
        self.deliver_eni(now, leg, dst, key, frame, sink)
    }

    /// Why a packet that crossed `edge` into `vpc` for an address outside it may
    /// not go on: through another peering (non-transitive) or out of a gateway
    /// (edge to edge), judged from where the VPC's route tables would send it.
    pub(super) fn onward_detail(&self, edge: Edge, vpc: VpcIdx, dst: IpAddr) -> DropDetail {
        let mut onward = None;
        for (i, t) in self.net.route_tables.iter().enumerate() {
            if t.vpc != vpc {
                continue;
            }
            if let Some((_, r)) = self.routes[i].route_for(dst) {
                let target = t.routes[r as usize].target;
                if !matches!(
                    target,
                    RouteTarget::Local | RouteTarget::Blackhole | RouteTarget::Eni(_)
                ) {
                    onward = Some(target);
                    break;
                }
            }
        }
        match (edge, onward) {
            (Edge::Peering(pcx), Some(RouteTarget::Peering(q))) => DropDetail::NonTransitive {
                pcx,
                onward: Some(q),
            },
            (_, Some(to)) => DropDetail::EdgeToEdge { from: edge, to },
            (Edge::Peering(pcx), None) => DropDetail::NonTransitive { pcx, onward: None },
            (Edge::Vpn(_), None) => DropDetail::UnknownDestination { dst },
        }
    }

    /// Deliver to an ENI: MTU, source/destination check, NACL inbound (unless
    /// within one subnet), security group ingress.
    pub(super) fn deliver_eni<T: Tracer>(
        &mut self,
        now: u64,
        leg: Leg,
        dst: EniIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let Some(d) = self.net.enis.get(dst.ix()) else {
            return sink.drop(DropDetail::UnknownDestination { dst: key.dst }, None, frame);
        };
        let (dsubnet, dmac, sdc, owned) = (d.subnet, d.mac, d.source_dest_check, owns(d, key.dst));
        let mtu = leg.mtu.min(d.mtu);
        let Some((mut frame, fragment)) = self.mtu_step(leg.src, dsubnet, mtu, &key, frame, sink)
        else {
            return;
        };
        if sdc && !owned {
            return sink.drop(DropDetail::SourceDestCheck { eni: dst }, Some(dst), frame);
        }
        let same_subnet =
            matches!(leg.src, Source::Eni(s) if self.net.enis[s.ix()].subnet == dsubnet);
        if same_subnet {
            sink.tr.hop(Hop::NaclSkipped { subnet: dsubnet });
        } else if let Err(det) = self.nacl_check(dsubnet, Direction::Inbound, &key, sink) {
            return sink.drop(det, Some(dst), frame);
        }
        if let Err(det) = self.sg_check(now, dst, Direction::Inbound, key.src, &key, sink) {
            return sink.drop(det, Some(dst), frame);
        }
        sink.tr.hop(Hop::Eni {
            eni: dst,
            dir: Direction::Inbound,
        });
        if let Err(m) = wire::set_macs(&mut frame, ROUTER_MAC, dmac) {
            return sink.drop(DropDetail::Malformed(m.0), Some(dst), frame);
        }
        self.emit(
            Egress::Eni(dst),
            frame,
            leg.latency_ns,
            leg.via,
            fragment,
            sink,
        );
    }

    /// Hand a frame on, fragmenting it to `fragment` bytes when asked.
    pub(super) fn emit<T: Tracer>(
        &mut self,
        to: Egress,
        frame: Vec<u8>,
        latency_ns: u64,
        via: Option<PcxIdx>,
        fragment: Fragmenting,
        sink: &mut Sink<'_, T>,
    ) {
        if let Some((packet, mtu)) = fragment {
            self.scratch.clear();
            if let Err(m) = wire::fragment_ipv4(&frame, mtu, &mut self.scratch) {
                let eni = match to {
                    Egress::Eni(e) => Some(e),
                    Egress::External(_) => None,
                };
                return sink.drop(DropDetail::Malformed(m.0), eni, frame);
            }
            let n = self.scratch.len().min(u16::MAX as usize) as u16;
            sink.tr.hop(Hop::Mtu {
                packet,
                link: mtu,
                decision: MtuDecision::Fragmented(n),
            });
            for f in self.scratch.drain(..) {
                sink.out.push(Action::Deliver {
                    to,
                    frame: f,
                    latency_ns,
                    via_peering: via,
                });
            }
        } else {
            sink.out.push(Action::Deliver {
                to,
                frame,
                latency_ns,
                via_peering: via,
            });
        }
        sink.tr.hop(Hop::Deliver { to, latency_ns });
    }

    /// Compare the packet with the link MTU. Returns the frame and, when it must be
    /// fragmented, `(packet length, mtu)`; `None` when it was dropped (DF set or
    /// IPv6) and an ICMP error was sent back. `router_subnet` names the router
    /// that answers when the source is external.
    pub(super) fn mtu_step<T: Tracer>(
        &mut self,
        src: Source,
        router_subnet: SubnetIdx,
        mtu: u16,
        key: &FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) -> Option<(Vec<u8>, Fragmenting)> {
        if key.ip_len <= mtu {
            sink.tr.hop(Hop::Mtu {
                packet: key.ip_len,
                link: mtu,
                decision: MtuDecision::Fits,
            });
            return Some((frame, None));
        }
        let v6 = key.dst.is_ipv6();
        if !v6 && !key.dont_fragment {
            return Some((frame, Some((key.ip_len, mtu))));
        }
        sink.tr.hop(Hop::Mtu {
            packet: key.ip_len,
            link: mtu,
            decision: MtuDecision::TooBig,
        });
        let router = match src {
            Source::Eni(e) => self.net.enis[e.ix()].subnet,
            Source::External(_) => router_subnet,
        };
        let sn = &self.net.subnets[router.ix()];
        let icmp = if v6 {
            let ip = sn
                .ipv6
                .map(|n| Ipv6Addr::from(u128::from(n.network()) + 1))
                .unwrap_or(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
            wire::icmpv6_packet_too_big(&frame, ip, u32::from(mtu))
        } else {
            let ip = Ipv4Addr::from(u32::from(sn.cidr.network()).wrapping_add(1));
            wire::icmpv4_frag_needed(&frame, ip, mtu)
        };
        let eni = match src {
            Source::Eni(e) => Some(e),
            Source::External(_) => None,
        };
        sink.drop(
            DropDetail::MtuExceeded {
                link_mtu: mtu,
                packet: key.ip_len,
            },
            eni,
            frame,
        );
        if let Ok(icmp) = icmp {
            let to = match src {
                Source::Eni(e) => Egress::Eni(e),
                Source::External(h) => Egress::External(h),
            };
            sink.tr.hop(Hop::IcmpError { to, mtu });
            self.send_icmp_error(src, icmp, sink);
        }
        None
    }

    /// Send a router-generated ICMP error back to the source. To an ENI it must
    /// pass the source subnet's NACL inbound (the classic PMTUD black hole when it
    /// does not); the security group admits it as related to the tracked flow.
    fn send_icmp_error<T: Tracer>(
        &mut self,
        src: Source,
        mut icmp: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        match src {
            Source::Eni(e) => {
                let eni = &self.net.enis[e.ix()];
                let (subnet, mac) = (eni.subnet, eni.mac);
                if let Ok(k) = wire::parse_frame(&icmp) {
                    if let Err(d) = self.nacl_check(subnet, Direction::Inbound, &k, sink) {
                        return sink.drop(d, Some(e), icmp);
                    }
                }
                sink.tr.hop(Hop::Sg {
                    eni: e,
                    dir: Direction::Inbound,
                    verdict: SgVerdict::Related,
                });
                let _ = wire::set_macs(&mut icmp, ROUTER_MAC, mac);
                let latency_ns = self.net.latency.same_az_ns;
                sink.out.push(Action::IcmpError {
                    to: Egress::Eni(e),
                    frame: icmp,
                    latency_ns,
                });
            }
            Source::External(h) => {
                let _ = wire::set_macs(&mut icmp, ROUTER_MAC, super::EXTERNAL_MAC);
                let latency_ns = self.host_latency(h);
                sink.out.push(Action::IcmpError {
                    to: Egress::External(h),
                    frame: icmp,
                    latency_ns,
                });
            }
        }
    }

    /// Evaluate a subnet's NACL in `dir`.
    pub(super) fn nacl_check<T: Tracer>(
        &self,
        subnet: SubnetIdx,
        dir: Direction,
        key: &FlowKey,
        sink: &mut Sink<'_, T>,
    ) -> Result<(), DropDetail> {
        let n = self.net.subnets[subnet.ix()].nacl;
        let Some(table) = self.net.nacls.get(n.ix()) else {
            return Ok(());
        };
        let verdict = nacl::evaluate(table, dir, key);
        sink.tr.hop(Hop::Nacl {
            nacl: n,
            subnet,
            dir,
            verdict,
        });
        if verdict.allowed() {
            Ok(())
        } else {
            Err(DropDetail::NaclDeny {
                nacl: n,
                dir,
                rule: verdict.rule,
            })
        }
    }

    /// Security groups with connection tracking: a tracked flow passes regardless
    /// of rules; otherwise a rule must allow it, and a tracked rule opens a flow.
    pub(super) fn sg_check<T: Tracer>(
        &mut self,
        now: u64,
        eni: EniIdx,
        dir: Direction,
        peer: IpAddr,
        key: &FlowKey,
        sink: &mut Sink<'_, T>,
    ) -> Result<(), DropDetail> {
        let ct = &mut self.conntrack[eni.ix()];
        // A non-first fragment has no ports: it passes when its first fragment did.
        if key.fragment == FragmentKind::NonFirst && ct.follows_first_fragment(now, key) {
            let verdict = SgVerdict::Tracked(crate::policy::Tracked::Original);
            sink.tr.hop(Hop::Sg { eni, dir, verdict });
            return Ok(());
        }
        let verdict = match ct.lookup(now, key) {
            Some(t) => SgVerdict::Tracked(t),
            None => {
                let Some(m) = sg::evaluate(&self.sgs[eni.ix()], dir, peer, key) else {
                    return Err(DropDetail::SgNoMatch { eni, dir });
                };
                // Non-first fragments carry no ports: they never open a flow.
                if m.tracked
                    && key.fragment != FragmentKind::NonFirst
                    && ct.insert(now, key).is_err()
                {
                    return Err(DropDetail::ConntrackFull { eni });
                }
                SgVerdict::Rule(m)
            }
        };
        if key.fragment == FragmentKind::First {
            ct.note_first_fragment(now, key);
        }
        sink.tr.hop(Hop::Sg { eni, dir, verdict });
        Ok(())
    }
}
