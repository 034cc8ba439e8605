//! The per-frame pipeline from an ENI: source checks, security group egress,
//! NACL outbound, route lookup and crossing (DESIGN.md §3 steps 1-4); the MTU and
//! destination steps are in `deliver.rs`, policy checks in `checks.rs`.

use super::flow_cache::Delivery;
use super::routes::RouteLookup;
use super::trace::{Hop, Tracer};
use super::{Action, Dataplane, DropDetail, Edge, Ingress, MtuLink, VPC_MTU};
use crate::model::*;
use crate::policy::net_contains;
use crate::wire::{self, FlowKey};
use ipnet::IpNet;
use std::net::IpAddr;

/// `Some((packet length, mtu))` when a frame must be fragmented on the way out.
pub(super) type Fragmenting = Option<(u16, u16)>;

/// Where the packet being processed came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Eni(EniIdx),
    External(HostIdx),
    /// An ENI whose packet went out of the internet gateway and came back in to
    /// another ENI's public IP: never "within one subnet".
    Hairpin(EniIdx),
}

impl Source {
    /// The ENI the packet came from, if it came from one (drops are logged on it).
    pub(super) fn eni(self) -> Option<EniIdx> {
        match self {
            Source::Eni(e) | Source::Hairpin(e) => Some(e),
            Source::External(_) => None,
        }
    }
}

/// The link a packet crosses to its destination.
#[derive(Debug, Clone, Copy)]
pub(super) struct Leg {
    pub src: Source,
    pub mtu: u16,
    /// What set `mtu` (named when a packet exceeds it).
    pub link: MtuLink,
    pub latency_ns: u64,
    pub via: Option<PcxIdx>,
    /// The billable segments crossed (data cost).
    pub charges: Charges,
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

    /// Drop a frame whose destination no ENI, gateway or external host answers for.
    pub fn drop_unknown(&mut self, dst: IpAddr, eni: Option<EniIdx>, frame: Vec<u8>) {
        self.drop(DropDetail::UnknownDestination { dst }, eni, frame);
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

/// Drop a frame that does not parse.
#[cold]
fn malformed<T: Tracer>(
    ingress: Ingress,
    m: wire::Malformed,
    frame: Vec<u8>,
    sink: &mut Sink<'_, T>,
) {
    let eni = match ingress {
        Ingress::Eni(e) => Some(e),
        Ingress::External(_) => None,
    };
    sink.drop(DropDetail::Malformed(m.0), eni, frame);
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
        let cached = self.process_in(now_ns, ingress, frame, &mut Sink { out, tr });
        if let Some(d) = cached {
            out.push(d.into_action());
        }
    }

    /// [`Dataplane::process`] for the engine: a frame the flow cache forwards is
    /// returned, not appended to `out` (one move less per frame); anything else
    /// takes the full pipeline into `out` and gives `None`.
    #[inline]
    pub fn process_cached(
        &mut self,
        now_ns: u64,
        ingress: Ingress,
        frame: Vec<u8>,
        out: &mut Vec<Action>,
    ) -> Option<Delivery> {
        let tr = &mut super::NoTrace;
        self.process_in(now_ns, ingress, frame, &mut Sink { out, tr })
    }

    /// Both of the above: a frame parsed once, then its flow's cached path
    /// (untraced only: a tracer that records sees every step) or the full
    /// pipeline into `sink`.
    #[inline(always)]
    fn process_in<T: Tracer>(
        &mut self,
        now_ns: u64,
        ingress: Ingress,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) -> Option<Delivery> {
        self.nat_crossings.clear();
        self.appliance_crossings.clear();
        self.gateway_crossings.clear();
        let key = match wire::parse_frame(&frame) {
            Ok(k) => k,
            Err(m) => {
                malformed(ingress, m, frame, sink);
                return None;
            }
        };
        let frame = if T::RECORDS {
            self.flow_cache.stop_learning();
            frame
        } else {
            match self.cached_hop(now_ns, ingress, &key, frame) {
                Ok(d) => return Some(d),
                Err(frame) => frame,
            }
        };
        self.process_key(now_ns, ingress, key, frame, sink);
        None
    }

    /// The full pipeline of a parsed frame.
    fn process_key<T: Tracer>(
        &mut self,
        now_ns: u64,
        ingress: Ingress,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        match ingress {
            Ingress::Eni(e) => self.ingress_eni(now_ns, e, key, frame, sink),
            Ingress::External(h) => self.ingress_external(now_ns, h, key, frame, sink),
        }
        self.flow_cache.stop_learning();
    }

    pub(super) fn ingress_eni<T: Tracer>(
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
        if self.eni_stopped(src) {
            return sink.drop(DropDetail::InstanceStopped { eni: src }, Some(src), frame);
        }
        if eni.source_dest_check && !owns(eni, key.src) {
            return sink.drop(
                DropDetail::SourceDestCheck {
                    eni: src,
                    dir: Direction::Outbound,
                },
                Some(src),
                frame,
            );
        }
        let sg = self.sg_check(now, src, Direction::Outbound, key.dst, &key, &frame, sink);
        if self.departing {
            self.departing = false;
        }
        if let Err(d) = sg {
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
            link: MtuLink::Vpc(vpc),
            latency_ns: 0,
            via: None,
            charges: Charges::NONE,
        };
        let not_attached = DropDetail::TargetNotAttached { rtb, route };
        if !matches!(
            target,
            RouteTarget::Local | RouteTarget::Eni(_) | RouteTarget::Peering(_)
        ) {
            self.flow_cache.stop_learning();
        }
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
                            charges: self.eni_charges(src, d),
                            ..leg
                        };
                        self.deliver_eni(now, leg, d, key, frame, sink)
                    }
                    None => sink.drop_unknown(key.dst, Some(src), frame),
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
            RouteTarget::TransitGateway(t) => {
                self.out_tgw(now, src, t, not_attached, key, frame, sink)
            }
            RouteTarget::EgressOnlyInternetGateway(g) => {
                self.out_eigw(now, src, g, not_attached, key, frame, sink)
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
            // AWS shows a route to a peering that is not active as `blackhole`.
            // One that can still become active (requested, pending acceptance)
            // is reported as the peering's state, which says what to do; one
            // that never will (deleted, rejected, expired, failed) as the
            // route's blackhole, naming the route and the peering.
            let d = match (pcx.status.terminal(), not_attached) {
                (true, DropDetail::TargetNotAttached { rtb, route }) => {
                    DropDetail::Blackhole { rtb, route }
                }
                _ => DropDetail::PeeringNotActive {
                    pcx: p,
                    status: pcx.status,
                },
            };
            return sink.drop(d, Some(src), frame);
        }
        let Some(peer_vpc) = pcx.other_side(vpc) else {
            return sink.drop(not_attached, Some(src), frame);
        };
        let mtu = pcx.mtu;
        sink.tr.hop(Hop::Peering { pcx: p });
        if !vpc_contains(&self.net.vpcs[peer_vpc.ix()], key.dst) {
            let d = self.onward_drop(Edge::Peering(p), peer_vpc, key.dst, sink);
            return sink.drop(d, Some(src), frame);
        }
        let Some(dst) = self.eni_in_vpc(peer_vpc, key.dst) else {
            return sink.drop_unknown(key.dst, Some(src), frame);
        };
        let leg = Leg {
            src: Source::Eni(src),
            mtu,
            link: MtuLink::Peering(p),
            latency_ns: self.eni_latency(src, dst),
            via: Some(p),
            charges: self.eni_charges(src, dst),
        };
        self.deliver_eni(now, leg, dst, key, frame, sink)
    }

    /// Why a packet that crossed `edge` into `vpc` for an address outside it may
    /// not go on, judged from the route it would take there ([`Self::onward_route`]):
    /// another peering is non-transitive peering; a gateway (internet, NAT, VPN,
    /// endpoint) is edge to edge, naming that gateway; no route onward (or a local,
    /// blackhole or ENI route) leaves the arriving peering non-transitive (from a
    /// VPN: an unknown destination). Records the route consulted. Drop path only.
    #[cold]
    #[inline(never)]
    pub(super) fn onward_drop<T: Tracer>(
        &self,
        edge: Edge,
        vpc: VpcIdx,
        dst: IpAddr,
        sink: &mut Sink<'_, T>,
    ) -> DropDetail {
        let route = self.onward_route(vpc, dst);
        let mut onward = None;
        if let Some((rtb, prefix, r)) = route {
            sink.tr.hop(Hop::Route {
                rtb,
                prefix,
                route: r,
            });
            onward = self.net.route_tables[rtb.ix()]
                .routes
                .get(usize::from(r))
                .map(|r| r.target);
        }
        match (edge, onward) {
            (Edge::Peering(pcx), Some(RouteTarget::Peering(q))) => DropDetail::NonTransitive {
                pcx,
                onward: Some(q).filter(|&q| q != pcx),
            },
            (
                _,
                Some(
                    to @ (RouteTarget::Peering(_)
                    | RouteTarget::InternetGateway(_)
                    | RouteTarget::NatGateway(_)
                    | RouteTarget::VpnGateway(_)
                    | RouteTarget::GatewayEndpoint(_)
                    | RouteTarget::EgressOnlyInternetGateway(_)),
                ),
            ) => DropDetail::EdgeToEdge { from: edge, to },
            (Edge::Peering(pcx), _) => DropDetail::NonTransitive { pcx, onward: None },
            (Edge::Vpn(_), _) => DropDetail::UnknownDestination { dst },
        }
    }

    /// The route `vpc` would give `dst` had the packet been its own: the most
    /// specific match across its route tables (a packet arriving over a peering or
    /// VPN is associated with none), the main table first among equally specific
    /// ones, then the tables' order.
    pub(super) fn onward_route(&self, vpc: VpcIdx, dst: IpAddr) -> Option<(RtbIdx, IpNet, u16)> {
        let mut best: Option<(RtbIdx, IpNet, u16, bool)> = None;
        for (i, t) in self.net.route_tables.iter().enumerate() {
            if t.vpc != vpc {
                continue;
            }
            let Some((prefix, r)) = self.routes.get(i).and_then(|c| c.route_for(dst)) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((_, p, _, main)) => {
                    prefix.prefix_len() > p.prefix_len()
                        || (prefix.prefix_len() == p.prefix_len() && t.is_main && !main)
                }
            };
            if better {
                best = Some((RtbIdx(i as u32), prefix, r, t.is_main));
            }
        }
        best.map(|(rtb, prefix, r, _)| (rtb, prefix, r))
    }
}
