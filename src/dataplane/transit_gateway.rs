//! The transit gateway: a router hop of its own between attachments (AWS
//! Transit Gateway). A frame reaches it from a VPC route whose target is `tgw-…`
//! (through the attachment's subnet in the sender's AZ) or from on premises over
//! a VPN attachment; the route table associated with the attachment it entered on
//! decides where it goes: another VPC, a VPN, or over a peering to another TGW,
//! where the same happens again. Routing is transitive; the TGW never fragments
//! (8500 bytes, 1500 through a VPN): a too-big packet that entered on a VPC
//! attachment gets an ICMP "fragmentation needed" / "packet too big" back, on
//! other attachments it is silently dropped. TCP SYNs it forwards have their MSS
//! clamped to its MTU.
//!
//! None of this runs for frames that do not go to a TGW: the VPC pipeline only
//! gained one `match` arm.

use super::pipeline::{Leg, Sink, Source};
use super::routes::RouteLookup;
use super::trace::{Hop, MtuDecision, Tracer};
use super::{Action, Dataplane, DropDetail, Egress, MtuLink, EXTERNAL_MAC, ROUTER_MAC};
use crate::lpm::{Lpm4, Lpm6};
use crate::model::*;
use crate::policy::conntrack::FxBuild;
use crate::wire::{self, FlowKey, FragmentKind};
use ipnet::IpNet;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// At most this many TGWs on one path (a loop of static routes over peerings
/// would otherwise never end); beyond it the frame is dropped as unroutable.
const MAX_TGW_HOPS: u32 = 8;
const TCP_SYN: u8 = 0x02;

/// One TGW route table compiled into LPM tables of route indices.
#[derive(Debug, Clone, Default)]
struct TgwTable {
    v4: Lpm4<u32>,
    v6: Lpm6<u32>,
}

impl TgwTable {
    /// Longest prefix wins; for one prefix a static route beats a propagated one,
    /// and among propagated ones a VPC attachment beats a VPN (AWS's route
    /// priority); then the first listed.
    fn compile(net: &Network, t: &TgwRouteTable) -> TgwTable {
        let rank = |r: &TgwRoute| -> (bool, u8) {
            let kind = match r.target {
                TgwRouteTarget::Blackhole => 0,
                TgwRouteTarget::Attachment(a) => {
                    match net.tgw_attachments.get(a.ix()).map(|a| &a.kind) {
                        Some(TgwAttachmentKind::Vpc { .. }) => 0,
                        Some(TgwAttachmentKind::Peering { .. }) => 1,
                        _ => 2,
                    }
                }
            };
            (r.propagated, if r.propagated { kind } else { 0 })
        };
        // AWS: an attachment propagates its routes while it is `available`;
        // when it leaves that state (or is deleted) they are withdrawn from
        // the tables it propagates to, and come back when it is available
        // again. Static routes to it stay (and drop at the attachment).
        let withdrawn = |r: &TgwRoute| match r.target {
            TgwRouteTarget::Attachment(a) if r.propagated => net
                .tgw_attachments
                .get(a.ix())
                .is_some_and(|a| a.state != TgwAttachmentState::Available),
            _ => false,
        };
        let mut best: BTreeMap<IpNet, ((bool, u8), u32)> = BTreeMap::new();
        for (i, r) in t.routes.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            if withdrawn(r) {
                continue;
            }
            let cand = (rank(r), i);
            let n = r.destination.trunc();
            if best.get(&n).is_none_or(|old| cand.0 < old.0) {
                best.insert(n, cand);
            }
        }
        let mut c = TgwTable::default();
        for (n, (_, i)) in best {
            match n {
                IpNet::V4(n) => {
                    c.v4.insert(n, i);
                }
                IpNet::V6(n) => {
                    c.v6.insert(n, i);
                }
            }
        }
        c
    }

    fn lookup(&self, dst: IpAddr) -> Option<(IpNet, u32)> {
        match dst {
            IpAddr::V4(a) => self.v4.lookup_prefix(a).map(|(n, &r)| (IpNet::V4(n), r)),
            IpAddr::V6(a) => self.v6.lookup_prefix(a).map(|(n, &r)| (IpNet::V6(n), r)),
        }
    }
}

/// Everything the TGW hop needs, compiled once from the network.
#[derive(Debug, Clone, Default)]
pub(super) struct TgwPlane {
    /// Per `TgwRtbIdx`.
    tables: Vec<TgwTable>,
    /// (VPC, TGW) → the VPC's attachment to that TGW.
    by_vpc: HashMap<(VpcIdx, TgwIdx), TgwAttIdx, FxBuild>,
    /// The VPN gateway entry standing for a VPN attachment's customer side → it.
    by_vgw: HashMap<VgwIdx, TgwAttIdx, FxBuild>,
}

impl TgwPlane {
    pub fn compile(net: &Network) -> TgwPlane {
        let mut p = TgwPlane {
            tables: net
                .tgw_route_tables
                .iter()
                .map(|t| TgwTable::compile(net, t))
                .collect(),
            ..TgwPlane::default()
        };
        for (i, a) in net.tgw_attachments.iter().enumerate() {
            let ix = TgwAttIdx(i as u32);
            match a.kind {
                TgwAttachmentKind::Vpc { vpc, .. } => {
                    p.by_vpc.insert((vpc, a.tgw), ix);
                }
                TgwAttachmentKind::Vpn { vgw } => {
                    p.by_vgw.insert(vgw, ix);
                }
                TgwAttachmentKind::Peering { .. } => {}
                TgwAttachmentKind::DirectConnectGateway { .. } => {}
            }
        }
        p
    }

    /// The VPN attachment whose customer side is `vgw`.
    pub fn vpn_attachment(&self, vgw: VgwIdx) -> Option<TgwAttIdx> {
        self.by_vgw.get(&vgw).copied()
    }
}

/// Delay accumulated inside the TGW fabric.
#[derive(Debug, Clone, Copy, Default)]
struct Fabric {
    /// Per-hop TGW delays.
    hops_ns: u64,
    /// Region crossings over TGW peerings.
    cross_ns: u64,
    /// A peering crossed into another region (even with a 0 ms latency).
    regions_crossed: bool,
    /// The attachments the frame entered the TGW fabric by and left it by (the
    /// capture points).
    via: Option<(TgwAttIdx, TgwAttIdx)>,
}

impl Fabric {
    /// What crossing the TGW fabric is billed: data processing once, for bytes
    /// sent into the first TGW from a VPC or VPN (entering a peer TGW is not
    /// processed again), and inter-region transfer when a peering crossed
    /// regions. No cross-AZ transfer is billed for TGW traffic.
    fn charges(&self) -> Charges {
        Charges::NONE.with(Segment::TgwProcessing).with_if(
            Segment::InterRegion,
            self.cross_ns > 0 || self.regions_crossed,
        )
    }
}

/// A hash of a flow's 5-tuple that is the same for both of its directions
/// (the two ends in a fixed order), and the same on every run.
fn symmetric_flow_hash(key: &FlowKey) -> u64 {
    let end = |ip: IpAddr, port: u16| -> (u128, u16) {
        let bits = match ip {
            IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
            IpAddr::V6(a) => u128::from(a),
        };
        (bits, port)
    };
    let (a, b) = (end(key.src, key.src_port), end(key.dst, key.dst_port));
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    // An ICMP query's identifier is the same both ways (its "ports").
    let mut h = u64::from(key.protocol) | u64::from(key.icmp_id) << 8;
    for w in [
        lo.0 as u64,
        (lo.0 >> 64) as u64,
        u64::from(lo.1),
        hi.0 as u64,
        (hi.0 >> 64) as u64,
        u64::from(hi.1),
    ] {
        // splitmix64 steps: well mixed, deterministic, no allocation.
        h = (h ^ w).wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
    }
    h
}

/// Record on the deliveries just pushed which TGW attachments they crossed.
/// A frame that crossed the TGW twice (through a forwarding instance on the
/// way) keeps its last crossing, the one nearest its destination.
fn mark_via_tgw(actions: &mut [Action], via: Option<(TgwAttIdx, TgwAttIdx)>) {
    for a in actions {
        if let Action::Deliver { via_tgw, .. } = a {
            if via_tgw.is_none() {
                *via_tgw = via;
            }
        }
    }
}

impl Dataplane {
    /// From an ENI whose route table sent the frame to TGW `t`: enter through the
    /// VPC's attachment, in the sender's AZ.
    #[allow(clippy::too_many_arguments)]
    #[cold]
    #[inline(never)]
    pub(super) fn out_tgw<T: Tracer>(
        &mut self,
        now: u64,
        src: EniIdx,
        t: TgwIdx,
        not_attached: DropDetail,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let vpc = self.net.enis[src.ix()].vpc;
        let Some(&att) = self.tgw.by_vpc.get(&(vpc, t)) else {
            return sink.drop(not_attached, Some(src), frame);
        };
        sink.tr.hop(Hop::TgwAttachment {
            att,
            tgw: t,
            dir: Direction::Inbound,
        });
        let a = &self.net.tgw_attachments[att.ix()];
        if a.state != TgwAttachmentState::Available {
            let d = DropDetail::TgwAttachmentNotAvailable {
                att,
                state: a.state,
            };
            return sink.drop(d, Some(src), frame);
        }
        let az = self.net.eni_az(src);
        let in_az = match &a.kind {
            TgwAttachmentKind::Vpc { subnets, .. } => {
                subnets.iter().any(|s| self.net.subnets[s.ix()].az == az)
            }
            _ => false,
        };
        if !in_az {
            let d = DropDetail::TgwNoAttachmentInAz { att, az };
            return sink.drop(d, Some(src), frame);
        }
        self.through_tgw(now, Source::Eni(src), t, att, Some(az), key, frame, sink);
    }

    /// From an on-premises host behind VPN attachment `att`.
    #[cold]
    #[inline(never)]
    pub(super) fn in_tgw_vpn<T: Tracer>(
        &mut self,
        now: u64,
        h: HostIdx,
        att: TgwAttIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let tgw = self.net.tgw_attachments[att.ix()].tgw;
        self.in_tgw_attachment(now, Source::External(h), tgw, att, key, frame, sink);
    }

    /// From on premises into TGW `tgw` by attachment `att` (a VPN, or a Direct
    /// Connect gateway over a transit VIF).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn in_tgw_attachment<T: Tracer>(
        &mut self,
        now: u64,
        src: Source,
        tgw: TgwIdx,
        att: TgwAttIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let a = &self.net.tgw_attachments[att.ix()];
        sink.tr.hop(Hop::TgwAttachment {
            att,
            tgw,
            dir: Direction::Inbound,
        });
        if a.state != TgwAttachmentState::Available {
            let d = DropDetail::TgwAttachmentNotAvailable {
                att,
                state: a.state,
            };
            return sink.drop(d, None, frame);
        }
        // The VPN tunnel carries at most its MTU, and nothing answers from here.
        let mtu = a.mtu;
        if key.ip_len > mtu {
            return self.tgw_too_big(src, tgw, att, mtu, false, &key, frame, sink);
        }
        self.through_tgw(now, src, tgw, att, None, key, frame, sink);
    }

    /// Route through TGW `tgw` (and on over peerings) a frame that entered on
    /// attachment `ingress`; `az` is the sender's AZ (VPC senders).
    #[allow(clippy::too_many_arguments)]
    fn through_tgw<T: Tracer>(
        &mut self,
        now: u64,
        src: Source,
        mut tgw: TgwIdx,
        mut ingress: TgwAttIdx,
        az: Option<AzIdx>,
        key: FlowKey,
        mut frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let eni = src.eni();
        // PMTUD answers only for what entered the TGW on a VPC attachment.
        let first_is_vpc = matches!(
            self.net.tgw_attachments[ingress.ix()].kind,
            TgwAttachmentKind::Vpc { .. }
        );
        let mut fabric = Fabric::default();
        let first = ingress;
        for _ in 0..MAX_TGW_HOPS {
            let g = &self.net.transit_gateways[tgw.ix()];
            fabric.hops_ns += g.latency_ns;
            let Some(rtb) = self.net.tgw_attachments[ingress.ix()].association_on(tgw) else {
                let d = DropDetail::TgwNotAssociated { tgw, att: ingress };
                return sink.drop(d, eni, frame);
            };
            let Some((prefix, route)) = self.tgw.tables[rtb.ix()].lookup(key.dst) else {
                let d = DropDetail::TgwNoRoute { rtb, dst: key.dst };
                return sink.drop(d, eni, frame);
            };
            sink.tr.hop(Hop::TgwRoute { rtb, prefix, route });
            let out = match self.net.tgw_route_tables[rtb.ix()].routes[route as usize].target {
                TgwRouteTarget::Blackhole => {
                    return sink.drop(DropDetail::TgwBlackhole { rtb, route }, eni, frame)
                }
                TgwRouteTarget::Attachment(o) => o,
            };
            sink.tr.hop(Hop::TgwAttachment {
                att: out,
                tgw,
                dir: Direction::Outbound,
            });
            let oa = &self.net.tgw_attachments[out.ix()];
            if oa.state != TgwAttachmentState::Available {
                let d = DropDetail::TgwAttachmentNotAvailable {
                    att: out,
                    state: oa.state,
                };
                return sink.drop(d, eni, frame);
            }
            let link = match oa.kind {
                // The transit VIF towards the destination host (1500 or 8500).
                TgwAttachmentKind::DirectConnectGateway { dxgw, .. } => {
                    self.dx_transit_mtu(dxgw, key.dst)
                }
                _ => TGW_MTU.min(oa.mtu),
            };
            if key.ip_len > link {
                let icmp = first_is_vpc && (key.dont_fragment || key.dst.is_ipv6());
                return self.tgw_too_big(src, tgw, out, link, icmp, &key, frame, sink);
            }
            sink.tr.hop(Hop::Mtu {
                packet: key.ip_len,
                link,
                decision: MtuDecision::Fits,
            });
            fabric.via = Some((first, out));
            // Copies of the attachment's small fields only: nothing allocated.
            match oa.kind {
                TgwAttachmentKind::Peering { .. } => {
                    let Some(next) = oa.peer_of(tgw) else {
                        return sink.drop(DropDetail::TgwRoutingLoop { tgw }, eni, frame);
                    };
                    let (ra, rb) = (
                        self.net.transit_gateways[tgw.ix()].region,
                        self.net.transit_gateways[next.ix()].region,
                    );
                    fabric.cross_ns += self.region_pair_ns(ra, rb);
                    fabric.regions_crossed |= ra != rb;
                    sink.tr.hop(Hop::TgwAttachment {
                        att: out,
                        tgw: next,
                        dir: Direction::Inbound,
                    });
                    ingress = out;
                    tgw = next;
                }
                TgwAttachmentKind::Vpc { vpc, .. } => {
                    self.clamp_syn(link, &key, &mut frame, sink);
                    let to = (out, vpc);
                    return self.tgw_to_vpc(now, src, to, az, fabric, key, frame, sink);
                }
                TgwAttachmentKind::Vpn { vgw } => {
                    self.clamp_syn(link, &key, &mut frame, sink);
                    return self.tgw_to_vpn(src, vgw, fabric, key, frame, sink);
                }
                TgwAttachmentKind::DirectConnectGateway { dxgw, .. } => {
                    self.clamp_syn(link, &key, &mut frame, sink);
                    return self.tgw_to_dx(src, dxgw, fabric, key, frame, sink);
                }
            }
        }
        sink.drop(DropDetail::TgwRoutingLoop { tgw }, eni, frame)
    }

    fn region_pair_ns(&self, a: RegionIdx, b: RegionIdx) -> u64 {
        if a == b {
            return 0;
        }
        let n = self.net.regions.len();
        self.region_latency
            .get(a.ix() * n + b.ix())
            .copied()
            .unwrap_or(self.net.latency.inter_region_default_ns)
    }

    /// Clamp the MSS of a TCP SYN (or SYN-ACK) to fit `link` (AWS: the TGW clamps
    /// the MSS of SYNs it forwards).
    fn clamp_syn<T: Tracer>(
        &self,
        link: u16,
        key: &FlowKey,
        frame: &mut [u8],
        sink: &mut Sink<'_, T>,
    ) {
        if key.protocol != proto::TCP
            || key.tcp_flags & TCP_SYN == 0
            || key.fragment != FragmentKind::Whole
        {
            return;
        }
        let headers = if key.dst.is_ipv6() { 60 } else { 40 };
        let max = link.saturating_sub(headers);
        if let Ok(Some(from)) = wire::clamp_mss(frame, max) {
            sink.tr.hop(Hop::MssClamp { from, to: max });
        }
    }

    /// The attachment subnet (AZ) a frame leaves the TGW by into a VPC. With
    /// appliance mode on for that attachment, one subnet chosen by a hash of the
    /// flow that is the same both ways, for the flow's life (AWS: the TGW picks
    /// one attachment ENI for both directions, so a stateful appliance behind it
    /// sees the whole flow). Off: the subnet in the AZ the frame entered the TGW
    /// in (the sender's), else the first — so the two directions of a flow
    /// between AZs leave by different AZs.
    fn exit_subnet(&self, att: TgwAttIdx, az: Option<AzIdx>, key: &FlowKey) -> Option<SubnetIdx> {
        let TgwAttachmentKind::Vpc {
            subnets,
            appliance_mode,
            ..
        } = &self.net.tgw_attachments.get(att.ix())?.kind
        else {
            return None;
        };
        if *appliance_mode && !subnets.is_empty() {
            let i = symmetric_flow_hash(key) % subnets.len() as u64;
            return subnets.get(i as usize).copied();
        }
        subnets
            .iter()
            .find(|s| Some(self.net.subnets[s.ix()].az) == az)
            .or(subnets.first())
            .copied()
    }

    /// Out of the TGW into a VPC by attachment `out`: the attachment subnet's
    /// route table routes the packet (see [`Self::exit_subnet`]).
    #[allow(clippy::too_many_arguments)]
    fn tgw_to_vpc<T: Tracer>(
        &mut self,
        now: u64,
        src: Source,
        (out, vpc): (TgwAttIdx, VpcIdx),
        az: Option<AzIdx>,
        fabric: Fabric,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let eni = src.eni();
        let Some(subnet) = self.exit_subnet(out, az, &key) else {
            return sink.drop_unknown(key.dst, eni, frame);
        };
        let rtb = self.net.subnets[subnet.ix()].route_table;
        let Some((prefix, route)) = self.routes[rtb.ix()].route_for(key.dst) else {
            return sink.drop(DropDetail::NoRoute { rtb, dst: key.dst }, eni, frame);
        };
        sink.tr.hop(Hop::Route { rtb, prefix, route });
        let dst = match self.net.route_tables[rtb.ix()].routes[route as usize].target {
            RouteTarget::Local => self.eni_in_vpc(vpc, key.dst),
            RouteTarget::Eni(t) => {
                Some(t).filter(|t| self.net.enis.get(t.ix()).is_some_and(|e| e.vpc == vpc))
            }
            RouteTarget::Blackhole => {
                return sink.drop(DropDetail::Blackhole { rtb, route }, eni, frame)
            }
            // Onward out of the VPC (centralised egress through a NAT gateway,
            // another TGW, ...) is not modelled: say so rather than guess.
            _ => None,
        };
        let Some(dst) = dst else {
            return sink.drop_unknown(key.dst, eni, frame);
        };
        let base = match src {
            Source::Eni(e) | Source::Hairpin(e) => self.eni_latency(e, dst),
            Source::External(h) => self.host_latency(h) + fabric.cross_ns,
        };
        let leg = Leg {
            src,
            mtu: TGW_MTU,
            link: MtuLink::TransitGateway,
            latency_ns: base + fabric.hops_ns,
            via: None,
            charges: fabric.charges(),
        };
        let start = sink.out.len();
        self.deliver_eni(now, leg, dst, key, frame, sink);
        mark_via_tgw(&mut sink.out[start..], fabric.via);
    }

    /// Out of the TGW over a VPN attachment to an on-premises host.
    fn tgw_to_vpn<T: Tracer>(
        &mut self,
        src: Source,
        vgw: VgwIdx,
        fabric: Fabric,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let eni = src.eni();
        let Some((h, host_mtu)) = self.host_at(key.dst, Some(vgw)) else {
            return sink.drop_unknown(key.dst, eni, frame);
        };
        let Some(frame) = to_external_host(h, host_mtu, key, eni, frame, sink) else {
            return;
        };
        let vpn_ns = self
            .net
            .vpn_gateways
            .get(vgw.ix())
            .map_or(0, |g| g.latency_ns);
        let latency = vpn_ns + fabric.hops_ns + fabric.cross_ns;
        let start = sink.out.len();
        let charges = fabric.charges().with(Segment::InternetEgress);
        self.emit(
            Egress::External(h),
            frame,
            (latency, charges),
            None,
            None,
            sink,
        );
        mark_via_tgw(&mut sink.out[start..], fabric.via);
    }

    /// Out of the TGW by a Direct Connect gateway attachment, over the transit
    /// VIF of the connection the destination host is behind.
    fn tgw_to_dx<T: Tracer>(
        &mut self,
        src: Source,
        dxgw: DxgwIdx,
        fabric: Fabric,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let eni = src.eni();
        let Some((h, host_mtu, d, vif)) = self.dx_transit_host(dxgw, key.dst) else {
            return sink.drop_unknown(key.dst, eni, frame);
        };
        let gateway = super::trace::Gateway::DirectConnect(d, vif);
        sink.tr.hop(Hop::Gateway { gateway });
        let Some(frame) = to_external_host(h, host_mtu, key, eni, frame, sink) else {
            return;
        };
        let latency = self.host_latency(h) + fabric.hops_ns + fabric.cross_ns;
        let start = sink.out.len();
        // Data transfer out over Direct Connect is billed at its own rate, which
        // the data cost estimate does not model (as for private VIFs).
        self.emit(
            Egress::External(h),
            frame,
            (latency, fabric.charges()),
            None,
            None,
            sink,
        );
        mark_via_tgw(&mut sink.out[start..], fabric.via);
        let crossing = super::GatewayCrossing::VirtualInterface {
            dx: d,
            vif,
            outbound: true,
        };
        self.mark_via_gateway(sink.out, start, crossing);
    }

    /// A packet larger than the TGW's MTU towards attachment `out`: dropped (the
    /// TGW never fragments), with an ICMP error back when it entered on a VPC
    /// attachment (`icmp`).
    #[allow(clippy::too_many_arguments)]
    #[cold]
    #[inline(never)]
    fn tgw_too_big<T: Tracer>(
        &mut self,
        src: Source,
        tgw: TgwIdx,
        out: TgwAttIdx,
        link: u16,
        icmp: bool,
        key: &FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        sink.tr.hop(Hop::Mtu {
            packet: key.ip_len,
            link,
            decision: MtuDecision::TooBig,
        });
        let eni = src.eni();
        let error = match (icmp, eni) {
            (true, Some(e)) => {
                let sn = &self.net.subnets[self.net.enis[e.ix()].subnet.ix()];
                if key.dst.is_ipv6() {
                    let ip = sn
                        .ipv6
                        .map(|n| Ipv6Addr::from(u128::from(n.network()) + 1))
                        .unwrap_or(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
                    wire::icmpv6_packet_too_big(&frame, ip, u32::from(link)).ok()
                } else {
                    let ip = Ipv4Addr::from(u32::from(sn.cidr.network()).wrapping_add(1));
                    wire::icmpv4_frag_needed(&frame, ip, link).ok()
                }
            }
            _ => None,
        };
        let d = DropDetail::TgwMtuExceeded {
            tgw,
            att: out,
            link_mtu: link,
            packet: key.ip_len,
            icmp: error.is_some(),
        };
        sink.drop(d, eni, frame);
        if let (Some(icmp), Some(e)) = (error, eni) {
            // Keyed like the VPC router's own ICMP errors (`deliver.rs`): the NACL
            // check on the way back is the error's, not the traced packet's.
            match wire::parse_frame(&icmp) {
                Ok(packet) => {
                    sink.tr.hop(Hop::IcmpError {
                        to: Egress::Eni(e),
                        mtu: link,
                        packet,
                    });
                    self.send_icmp_error(src, icmp, &packet, sink);
                }
                Err(m) => sink.drop(DropDetail::Malformed(m.0), eni, icmp),
            }
        }
    }
}

/// The last step out of the TGW towards an on-premises host (over a VPN or a
/// transit VIF): the host's own MTU, the frame re-addressed from the router to
/// the outside, the hop recorded. `None` when the frame was dropped here.
fn to_external_host<T: Tracer>(
    h: HostIdx,
    host_mtu: u16,
    key: FlowKey,
    eni: Option<EniIdx>,
    mut frame: Vec<u8>,
    sink: &mut Sink<'_, T>,
) -> Option<Vec<u8>> {
    if key.ip_len > host_mtu {
        let d = DropDetail::MtuExceeded {
            link_mtu: host_mtu,
            packet: key.ip_len,
            link: MtuLink::Host(h),
        };
        sink.drop(d, eni, frame);
        return None;
    }
    if let Err(m) = wire::set_macs(&mut frame, ROUTER_MAC, EXTERNAL_MAC) {
        sink.drop(DropDetail::Malformed(m.0), eni, frame);
        return None;
    }
    sink.tr.hop(Hop::External {
        host: h,
        dir: Direction::Inbound,
    });
    Some(frame)
}
