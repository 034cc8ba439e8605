//! Routes that AWS accepts but that cannot work as written: a route into a
//! peering for addresses the peer VPC does not own (a peering carries no transit
//! traffic, so the packets are dropped at the peer), and routes in a table no
//! subnet uses (they route nothing).

use super::Warning;
use crate::model::*;
use crate::topology::Anchor;
use ipnet::IpNet;

/// A route into a peering whose destination is not inside the peer VPC's blocks.
pub fn peering_cidrs(net: &Network) -> Vec<Warning> {
    let mut out = Vec::new();
    for (ti, t) in net.route_tables.iter().enumerate() {
        for r in &t.routes {
            let (RouteTarget::Peering(p), RouteDestination::Cidr(n)) = (r.target, &r.destination)
            else {
                continue;
            };
            let pcx = &net.peerings[p.ix()];
            let Some(peer) = pcx.other_side(t.vpc) else {
                continue;
            };
            let v = &net.vpcs[peer.ix()];
            let blocks: Vec<IpNet> = v
                .cidrs
                .iter()
                .map(|&b| IpNet::V4(b))
                .chain(v.ipv6.map(IpNet::V6))
                .collect();
            if blocks.iter().any(|b| b.contains(n)) {
                continue;
            }
            let listed: Vec<String> = blocks.iter().map(|b| b.to_string()).collect();
            let how = if blocks.iter().any(|b| n.contains(b)) {
                "is wider than"
            } else {
                "is outside"
            };
            out.push(Warning {
                anchor: Anchor::Route(RtbIdx(ti as u32), r.destination.clone()),
                rule: "route-peer-cidr",
                object: format!("route table {}", t.id),
                message: format!(
                    "route {n} → {}: {n} {how} the blocks of the peer {} ({}); a peering carries only traffic to the peer VPC's own addresses (no transit), so packets to other addresses are dropped (NON_TRANSITIVE_PEERING)",
                    pcx.id,
                    v.id,
                    listed.join(", ")
                ),
            });
        }
    }
    out
}

/// A route table that is not its VPC's main table and that no subnet is
/// associated with, but that has routes besides the local ones.
pub fn unused_tables(net: &Network) -> Vec<Warning> {
    let mut used = vec![false; net.route_tables.len()];
    for s in &net.subnets {
        used[s.route_table.ix()] = true;
    }
    for v in &net.vpcs {
        used[v.main_route_table.ix()] = true;
    }
    let mut out = Vec::new();
    for (ti, t) in net.route_tables.iter().enumerate() {
        let routes = t
            .routes
            .iter()
            .filter(|r| r.target != RouteTarget::Local)
            .count();
        if used[ti] || t.is_main || routes == 0 {
            continue;
        }
        out.push(Warning {
            anchor: Anchor::RouteTable(RtbIdx(ti as u32)),
            rule: "route-table-unused",
            object: format!("route table {}", t.id),
            message: format!(
                "no subnet is associated with this table and it is not {}'s main table, so its {routes} {} nothing; associate it with a subnet (`route_table = \"{}\"`) or remove it",
                net.vpcs[t.vpc.ix()].id,
                if routes == 1 { "route routes" } else { "routes route" },
                t.id
            ),
        });
    }
    out
}

/// A route into a transit gateway for a destination that no route of the TGW
/// route table associated with the VPC's attachment overlaps: the VPC hands the
/// packets to the TGW, which looks them up in that table only and drops them all
/// (TGW_NO_ROUTE). Peering's half is [`peering_cidrs`]. A summary route that the
/// TGW table covers only in part (`10.0.0.0/8 → tgw` with one /16 per attached VPC)
/// is the usual design and is not reported; blackhole routes count as routes
/// (they drop on purpose).
pub fn tgw_cidrs(net: &Network) -> Vec<Warning> {
    let mut out = Vec::new();
    for (ti, t) in net.route_tables.iter().enumerate() {
        for r in &t.routes {
            let (RouteTarget::TransitGateway(g), RouteDestination::Cidr(n)) =
                (r.target, &r.destination)
            else {
                continue;
            };
            // The VPC's attachment to that TGW (validation requires one).
            let Some(att) = net.tgw_attachments.iter().find(|a| {
                a.tgw == g && matches!(&a.kind, TgwAttachmentKind::Vpc { vpc, .. } if *vpc == t.vpc)
            }) else {
                continue;
            };
            let tgw_id = &net.transit_gateways[g.ix()].id;
            let problem = match att.association {
                None => format!(
                    "{} (the attachment of {} to {tgw_id}) is associated with no TGW route table",
                    att.id,
                    net.vpcs[t.vpc.ix()].id
                ),
                Some(rt) => {
                    let table = &net.tgw_route_tables[rt.ix()];
                    let overlaps = |d: &IpNet| d.contains(n) || n.contains(d);
                    if table.routes.iter().any(|x| overlaps(&x.destination)) {
                        continue;
                    }
                    format!(
                        "no route in {} (the TGW route table {} is associated with) overlaps {n}",
                        table.id, att.id
                    )
                }
            };
            out.push(Warning {
                anchor: Anchor::Route(RtbIdx(ti as u32), r.destination.clone()),
                rule: "route-tgw-cidr",
                object: format!("route table {}", t.id),
                message: format!(
                    "route {n} → {tgw_id}: {problem}, so the transit gateway drops every packet this route sends it (TGW_NO_ROUTE); add a static route or a propagation for {n} to that table, or route {n} elsewhere"
                ),
            });
        }
    }
    out
}
