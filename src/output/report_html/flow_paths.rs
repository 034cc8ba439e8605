//! Each flow's path on the drawing: one representative packet of the flow (and its
//! reply) sent through the same router `peeremu trace` uses
//! ([`crate::dataplane::probe`]), its hops mapped onto the boxes they name.

use super::layout::{Layout, Rect};
use super::svg::DrawnPath;
use crate::dataplane::probe::{Leg, Probe, ProbeProtocol, ProbeResult};
use crate::dataplane::{DropDetail, Egress, Gateway, Hop};
use crate::model::{Endpoint, ExternalSite, Flow, FlowKind, Network};
use std::net::IpAddr;

/// Source ports of representative packets start here (the first Linux ephemeral
/// port, as `trace` uses); flow `i` uses `BASE + i % 16384` so flows traced through
/// one router never share connection-tracking entries.
const SOURCE_PORT_BASE: u16 = 49152;

/// The packet standing for flow number `i`: its protocol, ports, addresses, DF and
/// size (a TCP flow is represented by its SYN). `None` when an address is missing.
pub fn probe_for(net: &Network, flow: &Flow, i: usize) -> Option<Probe> {
    let protocol = match flow.kind {
        FlowKind::Ping => ProbeProtocol::Icmp,
        FlowKind::Udp => ProbeProtocol::Udp,
        FlowKind::Tcp => ProbeProtocol::Tcp,
    };
    let from_internet = matches!(flow.src, Endpoint::External(h)
        if net.external_hosts.get(h.ix()).is_some_and(|h| h.site == ExternalSite::Internet));
    let src_ip = address(net, flow.src, flow.ipv6, false)?;
    // A flow by name goes where its answer points; an unresolved one nowhere.
    if flow.unresolved() {
        return None;
    }
    let dst_ip = match flow.dns.as_ref().and_then(|d| d.address()) {
        Some(a) => a,
        None => address(net, flow.dst, flow.ipv6, from_internet)?,
    };
    // `size` is IP payload bytes (transport header included) for ping and UDP.
    let payload_len = match flow.kind {
        FlowKind::Tcp => 0,
        FlowKind::Ping if flow.size == 0 => 56,
        _ => (flow.size as usize).saturating_sub(8),
    };
    Some(Probe {
        src: flow.src,
        dst: flow.dst,
        src_ip,
        dst_ip,
        protocol,
        src_port: SOURCE_PORT_BASE + (i % 16384) as u16,
        dst_port: flow.port,
        payload_len,
        dont_fragment: flow.df || flow.kind == FlowKind::Tcp,
    })
}

fn address(net: &Network, end: Endpoint, ipv6: bool, public: bool) -> Option<IpAddr> {
    match end {
        Endpoint::External(h) => net.external_hosts.get(h.ix()).map(|h| h.ip),
        Endpoint::Eni(e) => {
            let eni = net.enis.get(e.ix())?;
            if ipv6 {
                return eni.ipv6.map(IpAddr::V6);
            }
            Some(IpAddr::V4(match (public, eni.public_ip) {
                (true, Some(p)) => p,
                _ => eni.private_ip,
            }))
        }
    }
}

fn box_center(layout: &Layout, i: Option<usize>) -> Option<(i32, i32)> {
    i.and_then(|i| layout.boxes.get(i)).map(|b| b.rect.center())
}

/// A mark in a container's top-right corner (a subnet's NACL, a VPC's route table).
fn corner(layout: &Layout, i: Option<usize>) -> Option<(i32, i32)> {
    i.and_then(|i| layout.boxes.get(i)).map(|b| {
        let Rect { x, y, w, .. } = b.rect;
        (x + w - 16, y + 16)
    })
}

fn egress_box(layout: &Layout, to: Egress) -> Option<usize> {
    match to {
        Egress::Eni(e) => layout.eni.get(e.ix()).copied(),
        Egress::External(h) => layout.host.get(h.ix()).copied(),
    }
}

/// A point on the drawing.
type Point = (i32, i32);

/// The points one packet passed, and where it was dropped.
pub fn leg_points(net: &Network, layout: &Layout, leg: &Leg) -> (Vec<Point>, Option<Point>) {
    let mut pts: Vec<(i32, i32)> = Vec::new();
    let push = |p: Option<(i32, i32)>, pts: &mut Vec<(i32, i32)>| {
        if let Some(p) = p {
            if pts.last() != Some(&p) {
                pts.push(p);
            }
        }
    };
    let mut last_subnet = None;
    let mut drop_at = None;
    for hop in &leg.hops {
        match *hop {
            Hop::Eni { eni, .. } => push(
                box_center(layout, layout.eni.get(eni.ix()).copied()),
                &mut pts,
            ),
            Hop::External { host, .. } => push(
                box_center(layout, layout.host.get(host.ix()).copied()),
                &mut pts,
            ),
            Hop::Nacl { subnet, .. } | Hop::NaclSkipped { subnet } => last_subnet = Some(subnet),
            Hop::Peering { pcx } => {
                let mid = layout
                    .peerings
                    .iter()
                    .find(|p| p.pcx == pcx.ix())
                    .map(|p| p.midpoint());
                push(mid, &mut pts);
            }
            Hop::Gateway { gateway } => {
                let b = match gateway {
                    Gateway::Internet(g) => layout.igw.get(g.ix()).copied().flatten(),
                    Gateway::Nat(n) => layout.nat.get(n.ix()).copied(),
                    Gateway::Vpn(g) => layout.vgw.get(g.ix()).copied().flatten(),
                    Gateway::Endpoint(e) => layout.vpce.get(e.ix()).copied(),
                    // Not drawn (no box of its own yet): the path goes on to the host.
                    Gateway::EgressOnlyInternet(_) | Gateway::DirectConnect(..) => None,
                };
                push(box_center(layout, b), &mut pts);
            }
            Hop::Deliver { to, .. } => push(box_center(layout, egress_box(layout, to)), &mut pts),
            Hop::Drop { detail } => drop_at = Some(drop_point(net, layout, &detail, last_subnet)),
            _ => {}
        }
    }
    let drop_at = drop_at.map(|p| p.or(pts.last().copied()).unwrap_or((0, 0)));
    // The packet travelled up to the object that dropped it.
    if let Some(p) = drop_at {
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    (pts, drop_at)
}

/// Where on the drawing the object that dropped a packet is.
fn drop_point(
    net: &Network,
    layout: &Layout,
    detail: &DropDetail,
    last_subnet: Option<crate::model::SubnetIdx>,
) -> Option<(i32, i32)> {
    use DropDetail::*;
    let eni = |e: crate::model::EniIdx| box_center(layout, layout.eni.get(e.ix()).copied());
    let rtb_vpc = |r: crate::model::RtbIdx| {
        let v = net.route_tables.get(r.ix())?.vpc;
        corner(layout, layout.vpc.get(v.ix()).copied())
    };
    match *detail {
        SourceDestCheck { eni: e, .. }
        | SgNoMatch { eni: e, .. }
        | ConntrackFull { eni: e }
        | NotForwarded { eni: e }
        | TtlExceeded { eni: e } => eni(e),
        NaclDeny { .. } => corner(
            layout,
            last_subnet.and_then(|s| layout.subnet.get(s.ix()).copied()),
        ),
        NoRoute { rtb, .. } | TargetNotAttached { rtb, .. } | Blackhole { rtb, .. } => rtb_vpc(rtb),
        NoPublicIp { igw, .. } => box_center(layout, layout.igw.get(igw.ix()).copied().flatten()),
        PeeringNotActive { pcx, .. } | NonTransitive { pcx, .. } => layout
            .peerings
            .iter()
            .find(|p| p.pcx == pcx.ix())
            .map(|p| p.midpoint()),
        NatFragment { nat } | NatPortsExhausted { nat } | AsymmetricNatReply { nat, .. } => {
            box_center(layout, layout.nat.get(nat.ix()).copied())
        }
        _ => None,
    }
}

/// The drawing of one probe's request and reply.
pub fn drawn(
    net: &Network,
    layout: &Layout,
    r: &ProbeResult,
    dom_id: String,
    title: String,
) -> DrawnPath {
    let (request, mut drop) = leg_points(net, layout, &r.request);
    let (reply, reply_drop) = match &r.reply {
        Some(leg) => leg_points(net, layout, leg),
        None => (Vec::new(), None),
    };
    if drop.is_none() {
        drop = reply_drop;
    }
    let label = r.drop().map(|(_, d)| d.reason().code().to_string());
    DrawnPath {
        dom_id,
        title,
        request,
        reply,
        drop: drop.zip(label),
    }
}
