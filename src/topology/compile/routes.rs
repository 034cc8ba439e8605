//! Route tables: one main table per VPC, the implicit local routes (one per VPC
//! block, never removable), and user routes whose targets must exist and be
//! attached to this VPC; no duplicate destinations; routes-per-table quota.

use super::super::format::{RouteSpec, RouteTableSpec};
use super::super::places::route_key;
use super::{obj, Compiler, Kind};
use crate::model::*;
use ipnet::IpNet;

/// Every kind a route may target (besides `local` and `blackhole`).
const TARGET_KINDS: [Kind; 9] = [
    Kind::Tgw,
    Kind::Peering,
    Kind::Igw,
    Kind::Eigw,
    Kind::Nat,
    Kind::Vgw,
    Kind::Vpce,
    Kind::Eni,
    Kind::Instance,
];

pub fn route_tables(c: &mut Compiler<'_>, specs: &[RouteTableSpec]) {
    // Each VPC's main table so far: one lookup per table, not a scan.
    let mut mains: std::collections::HashMap<VpcIdx, usize> = std::collections::HashMap::new();
    for t in specs {
        let id = t.id.get_ref().clone();
        let o = obj(Kind::RouteTable, &id);
        let Some(vpc) = c.resolve(Kind::Vpc, &t.vpc, &o).map(VpcIdx) else {
            continue;
        };
        if t.main {
            if let Some(&other) = mains.get(&vpc) {
                let msg = format!(
                    "{} already has a main route table ({}); a VPC has exactly one",
                    c.net.vpcs[vpc.ix()].id,
                    c.net.route_tables[other].id
                );
                c.err("main-route-table", t.id.span(), &o, msg);
                continue;
            }
            mains.insert(vpc, c.net.route_tables.len());
        }
        c.register(Kind::RouteTable, &id, c.net.route_tables.len());
        c.spans
            .rtb_id
            .insert(c.net.route_tables.len() as u32, t.id.span());
        c.net.route_tables.push(RouteTable {
            id,
            vpc,
            is_main: t.main,
            routes: Vec::new(),
        });
    }
}

/// The VPC's local routes: one per IPv4 block and one for the IPv6 block.
fn local_routes(v: &Vpc) -> Vec<Route> {
    let mut out: Vec<Route> = v
        .cidrs
        .iter()
        .map(|&n| Route {
            destination: RouteDestination::Cidr(IpNet::V4(n)),
            target: RouteTarget::Local,
            propagated: false,
        })
        .collect();
    if let Some(n) = v.ipv6 {
        out.push(Route {
            destination: RouteDestination::Cidr(IpNet::V6(n)),
            target: RouteTarget::Local,
            propagated: false,
        });
    }
    out
}

/// The VPC a target belongs to (`None`: detached, or no VPC).
fn target_vpc(net: &Network, t: RouteTarget) -> Option<VpcIdx> {
    match t {
        RouteTarget::Local
        | RouteTarget::Blackhole
        | RouteTarget::Peering(_)
        | RouteTarget::TransitGateway(_) => None,
        RouteTarget::InternetGateway(i) => net.internet_gateways[i.ix()].vpc,
        RouteTarget::EgressOnlyInternetGateway(i) => net.egress_only_internet_gateways[i.ix()].vpc,
        RouteTarget::NatGateway(i) => Some(net.nat_gateways[i.ix()].vpc),
        RouteTarget::VpnGateway(i) => net.vpn_gateways[i.ix()].vpc,
        RouteTarget::GatewayEndpoint(i) => Some(net.gateway_endpoints[i.ix()].vpc),
        RouteTarget::Eni(i) => Some(net.enis[i.ix()].vpc),
    }
}

fn target(c: &mut Compiler<'_>, r: &RouteSpec, o: &str) -> Option<RouteTarget> {
    match r.target.get_ref().as_str() {
        "blackhole" => return Some(RouteTarget::Blackhole),
        "local" => {
            c.err("local-route", r.target.span(), o, "the local route is implicit (one per VPC block); it cannot be added, removed or replaced");
            return None;
        }
        _ => {}
    }
    let (kind, ix) = c.resolve_any(&TARGET_KINDS, &r.target, o, "route target")?;
    Some(match kind {
        Kind::Peering => RouteTarget::Peering(PcxIdx(ix)),
        Kind::Igw => RouteTarget::InternetGateway(IgwIdx(ix)),
        Kind::Eigw => RouteTarget::EgressOnlyInternetGateway(EigwIdx(ix)),
        Kind::Nat => RouteTarget::NatGateway(NatIdx(ix)),
        Kind::Vgw => RouteTarget::VpnGateway(VgwIdx(ix)),
        Kind::Vpce => RouteTarget::GatewayEndpoint(VpceIdx(ix)),
        Kind::Eni => RouteTarget::Eni(EniIdx(ix)),
        Kind::Tgw => RouteTarget::TransitGateway(TgwIdx(ix)),
        _ => RouteTarget::Eni(*c.net.instances[ix as usize].enis.first()?),
    })
}

/// A `[[change]]` route's target, resolved and checked to belong to the table's
/// VPC (as written routes are; see [`routes`]).
pub(super) fn route_target(
    c: &mut Compiler<'_>,
    rtb: RtbIdx,
    t: &super::super::format::S<String>,
    o: &str,
) -> Option<RouteTarget> {
    let spec = RouteSpec {
        destination: t.clone(),
        target: t.clone(),
    };
    let target = target(c, &spec, o)?;
    let vpc = c.net.route_tables[rtb.ix()].vpc;
    let ok = match target {
        RouteTarget::Peering(p) => c.net.peerings[p.ix()].other_side(vpc).is_some(),
        RouteTarget::Blackhole | RouteTarget::Local => true,
        RouteTarget::TransitGateway(g) => c.net.tgw_attachments.iter().any(|a| {
            a.tgw == g && matches!(a.kind, TgwAttachmentKind::Vpc { vpc: v, .. } if v == vpc)
        }),
        RouteTarget::GatewayEndpoint(_) => false,
        t => target_vpc(&c.net, t) == Some(vpc),
    };
    if !ok {
        let msg = format!(
            "target {} is not attached to {} (a route's target must belong to the table's VPC)",
            t.get_ref(),
            c.net.vpcs[vpc.ix()].id
        );
        c.err("route-target-vpc", t.span(), o, msg);
        return None;
    }
    Some(target)
}

fn same_destination(a: &RouteDestination, b: &RouteDestination) -> bool {
    a == b
}

/// What AWS refuses about a route's destination given its target (rule, message):
/// IPv4 to an egress-only internet gateway, the local route replaced, or a route
/// more specific than the local route to anything but an interface or NAT
/// gateway. Shared by written routes and `[[change]]` routes.
pub(super) fn destination_problem(
    net: &crate::model::Network,
    vpc: crate::model::VpcIdx,
    target: RouteTarget,
    n: IpNet,
    tname: &str,
) -> Option<(&'static str, String)> {
    let vpc_id = &net.vpcs[vpc.ix()].id;
    // AWS: an egress-only internet gateway is for IPv6 traffic only.
    if let (RouteTarget::EgressOnlyInternetGateway(_), IpNet::V4(n)) = (target, n) {
        return Some(("eigw-ipv4-route", format!("destination {n} is IPv4, but {tname} is an egress-only internet gateway, which carries IPv6 only; route IPv4 to an internet gateway or a NAT gateway (and ::/0 to {tname})")));
    }
    // Local routes cannot be replaced; more specific routes inside a VPC block
    // may only go to a network interface or NAT gateway (AWS's middlebox routing).
    let v = &net.vpcs[vpc.ix()];
    let locals: Vec<IpNet> = v
        .cidrs
        .iter()
        .map(|&b| IpNet::V4(b))
        .chain(v.ipv6.map(IpNet::V6))
        .collect();
    if let Some(l) = locals.iter().find(|l| **l == n) {
        return Some(("local-route", format!("destination {n} is the local route of {vpc_id} ({l}); the local route cannot be removed or replaced")));
    }
    let inside = locals.iter().find(|l| l.contains(&n));
    if let (Some(l), false) = (
        inside,
        matches!(target, RouteTarget::Eni(_) | RouteTarget::NatGateway(_)),
    ) {
        return Some(("local-route", format!("destination {n} lies inside {vpc_id}'s local route {l}; a route more specific than the local route may only target a network interface or NAT gateway")));
    }
    None
}

pub fn routes(c: &mut Compiler<'_>, specs: &[RouteTableSpec]) {
    // Local routes first, in every table (implicit ones included).
    for t in 0..c.net.route_tables.len() {
        let vpc = c.net.route_tables[t].vpc;
        let mut routes = local_routes(&c.net.vpcs[vpc.ix()]);
        routes.append(&mut c.net.route_tables[t].routes); // endpoint routes added earlier
        c.net.route_tables[t].routes = routes;
    }
    let quota = c.net.quotas.routes_per_table as usize;
    let mut seen = std::collections::HashSet::new();
    for t in specs {
        let id = t.id.get_ref();
        // A duplicate id was reported; only the first definition gets routes.
        if !seen.insert(id.as_str()) {
            continue;
        }
        let Some(ti) = c.lookup(Kind::RouteTable, id) else {
            continue;
        };
        let o = obj(Kind::RouteTable, id);
        let vpc = c.net.route_tables[ti as usize].vpc;
        let vpc_id = c.net.vpcs[vpc.ix()].id.clone();
        let mut user: Vec<Route> = Vec::new();
        let before = c.net.route_tables[ti as usize].routes.len();
        for r in &t.routes {
            let dest_text = r.destination.get_ref().trim();
            let destination = if c.lookup(Kind::PrefixList, dest_text).is_some()
                || dest_text.starts_with("pl-")
            {
                c.resolve(Kind::PrefixList, &r.destination, &o)
                    .map(|p| RouteDestination::PrefixList(PlIdx(p)))
            } else {
                c.values(&o)
                    .ipnet(&r.destination)
                    .map(RouteDestination::Cidr)
            };
            // The target is checked even when the destination is bad: both are
            // reported in one pass.
            let target = target(c, r, &o);
            let (Some(destination), Some(target)) = (destination, target) else {
                continue;
            };
            // The target must belong to this VPC.
            let tname = r.target.get_ref();
            let bad_vpc = match target {
                RouteTarget::Peering(p) => {
                    let pcx = &c.net.peerings[p.ix()];
                    (pcx.other_side(vpc).is_none()).then(|| {
                        format!("peering {tname} connects {} and {}, not {vpc_id}; a route can only use a peering of its own VPC", c.net.vpcs[pcx.requester.ix()].id, c.net.vpcs[pcx.accepter.ix()].id)
                    })
                }
                RouteTarget::Blackhole | RouteTarget::Local => None,
                RouteTarget::TransitGateway(g) => {
                    let attached = c.net.tgw_attachments.iter().any(|a| {
                        a.tgw == g
                            && matches!(a.kind, TgwAttachmentKind::Vpc { vpc: v, .. } if v == vpc)
                    });
                    (!attached).then(|| {
                        format!("{vpc_id} has no attachment to transit gateway {tname}; attach the VPC (a [[tgw_attachment]] of kind \"vpc\") before routing to it")
                    })
                }
                RouteTarget::GatewayEndpoint(_) => Some(format!("routes to gateway endpoint {tname} are added by the endpoint itself (its `route_tables`), not written by hand")),
                t => match target_vpc(&c.net, t) {
                    Some(v) if v == vpc => None,
                    Some(v) => Some(format!("target {tname} belongs to {}, not {vpc_id}; a route's target must be attached to the table's VPC", c.net.vpcs[v.ix()].id)),
                    None => Some(format!("target {tname} is not attached to any VPC; a route's target must be attached to the table's VPC")),
                },
            };
            if let Some(msg) = bad_vpc {
                c.err("route-target-vpc", r.target.span(), &o, msg);
                continue;
            }
            if let RouteDestination::Cidr(n) = destination {
                if let Some((rule, msg)) = destination_problem(&c.net, vpc, target, n, tname) {
                    c.err(rule, r.destination.span(), &o, msg);
                    continue;
                }
            }
            let existing = c.net.route_tables[ti as usize]
                .routes
                .iter()
                .chain(user.iter());
            if existing
                .into_iter()
                .any(|x| same_destination(&x.destination, &destination))
            {
                c.err(
                    "route-duplicate",
                    r.destination.span(),
                    &o,
                    format!(
                        "destination {} appears twice; a route table has one route per destination",
                        r.destination.get_ref()
                    ),
                );
                continue;
            }
            c.spans
                .route_dest
                .insert((ti, route_key(&destination)), r.destination.span());
            user.push(Route {
                destination,
                target,
                propagated: false,
            });
        }
        let locals =
            c.net.vpcs[vpc.ix()].cidrs.len() + usize::from(c.net.vpcs[vpc.ix()].ipv6.is_some());
        let non_local = before - locals + user.len();
        if non_local > quota {
            let span = t
                .routes
                .get(quota)
                .map_or(t.id.span(), |r| r.destination.span());
            c.err("route-quota", span, &o, format!("{non_local} routes exceed the quota of {quota} per route table (quotas.routes_per_table; local routes not counted)"));
        }
        let table = &mut c.net.route_tables[ti as usize];
        let endpoint_routes = table.routes.split_off(locals);
        table.routes.extend(user);
        table.routes.extend(endpoint_routes);
    }
}
