//! Route tables: the main-table association, the routes with their targets,
//! and what AWS prints that the topology keeps implicit (local routes, gateway
//! endpoint routes). A route whose target is not modelled (egress-only
//! gateway, …) or not imported (a transit gateway the VPC has no attachment to) is written as `blackhole` with a comment, so traffic
//! for it stops there instead of silently following a less specific route.

use super::collect::Source;
use super::error::ImportError;
use super::map::Mapper;
use super::plan::*;
use super::shapes::{Route, RouteOrigin, RouteState};
use ipnet::IpNet;
use std::collections::HashSet;

/// What a route's target became.
enum Target {
    /// A topology target id (or `blackhole`), with an optional comment.
    To(String, Option<String>),
    /// Implicit in the topology: left out.
    Implicit,
}

pub fn route_tables(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.route_tables {
        let t = &r.item;
        let vi = m.vpc_of(&t.vpc_id, &r.src, "VpcId")?;
        let main = t.associations.iter().any(|a| a.main);
        let mut notes = m.notes(&r.src, &t.tags);
        if t.associations.iter().any(|a| a.gateway_id.is_some()) {
            notes
                .lines
                .push("edge association with a gateway (ingress routing) not modelled".into());
            m.skip(
                &t.route_table_id,
                "edge association with a gateway (ingress routing) not modelled",
                &r.src,
            );
        }
        let blocks = m.blocks.get(&t.vpc_id).cloned().unwrap_or_default();
        let mut routes: Vec<RoutePlan> = Vec::new();
        let mut seen: HashSet<IpNet> = HashSet::new();
        for (k, route) in t.routes.iter().enumerate() {
            let at = Source {
                file: r.src.file,
                path: format!("{}.Routes[{k}]", r.src.path),
            };
            let (dest, dest_key) = match (&route.destination_cidr_block, &route.destination_ipv6_cidr_block, &route.destination_prefix_list_id) {
                (Some(c), _, _) => (c.clone(), "DestinationCidrBlock"),
                (_, Some(c), _) => (c.clone(), "DestinationIpv6CidrBlock"),
                (_, _, Some(p)) => (p.clone(), "DestinationPrefixListId"),
                _ => return Err(m.err(&at, "", "route without DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId")),
            };
            let target = target(m, route, &t.vpc_id, &t.route_table_id, &dest, &at)?;
            let Target::To(target, note) = target else {
                continue;
            };
            if dest_key == "DestinationPrefixListId" {
                // Only gateway endpoints route to prefix lists (handled by the endpoint).
                m.skip(
                    &format!("{} {dest}", t.route_table_id),
                    format!("route to prefix list {dest} via {target} not modelled"),
                    &at,
                );
                continue;
            }
            let net = m.cidr(&dest, &at, dest_key)?;
            let is_eni_or_nat = target.starts_with("eni-")
                || m.nats.contains(&target)
                || m.enis.contains_key(&target);
            if let Some(b) = blocks
                .iter()
                .find(|b| **b == net || (b.contains(&net) && !is_eni_or_nat))
            {
                let why = if *b == net {
                    format!("route {dest} replaces the local route (to {target}): not modelled, the local route applies")
                } else {
                    format!("route {dest} inside the local route {b} to {target}: only network interfaces and NAT gateways may be targets there; the local route applies")
                };
                notes.lines.push(why.clone());
                m.skip(&t.route_table_id, why, &at);
                continue;
            }
            if !seen.insert(net) {
                let why =
                    format!("second route to {dest} (to {target}) left out: the first one wins");
                notes.lines.push(why.clone());
                m.skip(&t.route_table_id, why, &at);
                continue;
            }
            routes.push(RoutePlan {
                destination: dest,
                target,
                note,
            });
        }
        m.plan.vpcs[vi].route_tables.push(RouteTablePlan {
            id: t.route_table_id.clone(),
            main,
            routes,
            notes,
        });
    }
    Ok(())
}

/// A route to a transit gateway: to it when the VPC has an imported attachment
/// to it (AWS requires one), else a blackhole, reported.
fn tgw_target(
    m: &mut Mapper<'_>,
    t: &str,
    vpc: &str,
    rtb: &str,
    dest: &str,
    at: &Source,
    blackhole_state: bool,
) -> Target {
    let attached = m.tgw_vpcs.get(t).is_some_and(|v| v.contains(vpc));
    if attached {
        return Target::To(t.to_string(), None);
    }
    let why = if !m.tgw_ix.contains_key(t) {
        "which is not in the export (or deleted; export describe-transit-gateways)"
    } else {
        "to which the VPC has no imported attachment"
    };
    if !blackhole_state {
        m.skip(
            t,
            format!("route {dest} in {rtb} to transit gateway {t}, {why}: written as blackhole"),
            at,
        );
    }
    Target::To(
        "blackhole".into(),
        Some(format!("transit gateway {t}: {why}")),
    )
}

fn target(
    m: &mut Mapper<'_>,
    route: &Route,
    vpc: &str,
    rtb: &str,
    dest: &str,
    at: &Source,
) -> Result<Target, ImportError> {
    let blackhole_state = route.state == Some(RouteState::Blackhole);
    let propagated = route.origin == Some(RouteOrigin::EnableVgwRoutePropagation);
    if let Some(t) = &route.transit_gateway_id {
        return Ok(tgw_target(m, t, vpc, rtb, dest, at, blackhole_state));
    }
    if let Some(g) = &route.egress_only_internet_gateway_id {
        return match m.igw_vpc.get(g.as_str()) {
            Some(v) if *v == vpc => Ok(Target::To(g.clone(), None)),
            _ if m.acct.ids.contains_key(g) => Ok(Target::To(
                "blackhole".into(),
                Some(format!("{g} is not attached to {vpc}")),
            )),
            _ if blackhole_state => Ok(Target::To(
                "blackhole".into(),
                Some(format!("State blackhole: {g} is in no file")),
            )),
            _ => Err(m.err(
                at,
                "EgressOnlyInternetGatewayId",
                format!("route {dest} targets `{g}`, which no file defines (export describe-egress-only-internet-gateways too)"),
            )),
        };
    }
    let unmodelled = [
        (&route.carrier_gateway_id, "carrier gateway"),
        (&route.local_gateway_id, "local gateway"),
        (&route.core_network_arn, "Cloud WAN core network"),
    ];
    for (id, what) in unmodelled {
        if let Some(id) = id {
            let why =
                format!("route {dest} in {rtb} to {what} {id}: not modelled, written as blackhole");
            m.skip(id, why.clone(), at);
            return Ok(Target::To(
                "blackhole".into(),
                Some(format!("{what} {id} not modelled")),
            ));
        }
    }
    let missing =
        |m: &mut Mapper<'_>, id: &str, field: &str, why: &str| -> Result<Target, ImportError> {
            if blackhole_state {
                Ok(Target::To(
                    "blackhole".into(),
                    Some(format!("State blackhole: {id} {why}")),
                ))
            } else {
                let e = m.err(
                    at,
                    field,
                    format!("route {dest} targets `{id}`, which {why}"),
                );
                Err(e)
            }
        };
    if let Some(p) = &route.vpc_peering_connection_id {
        return match m.peerings.get(p) {
            Some((a, b, status)) if a == vpc || b == vpc => {
                let note = (*status != "active")
                    .then(|| format!("peering {status}: carries no traffic (PEERING_NOT_ACTIVE)"));
                Ok(Target::To(p.clone(), note))
            }
            Some(_) => Err(m.err(
                at,
                "VpcPeeringConnectionId",
                format!("route {dest} uses peering `{p}`, which does not involve {vpc}"),
            )),
            None if m.acct.ids.contains_key(p) => Ok(Target::To(
                "blackhole".into(),
                Some(format!(
                    "peering {p} not imported (see the end of the file)"
                )),
            )),
            None => missing(
                m,
                p,
                "VpcPeeringConnectionId",
                "no file defines (export describe-vpc-peering-connections too)",
            ),
        };
    }
    if let Some(n) = &route.nat_gateway_id {
        if m.nats.contains(n) {
            return Ok(Target::To(n.clone(), None));
        }
        if m.acct.ids.contains_key(n) {
            return Ok(Target::To(
                "blackhole".into(),
                Some(format!(
                    "NAT gateway {n} not imported (see the end of the file)"
                )),
            ));
        }
        return missing(
            m,
            n,
            "NatGatewayId",
            "no file defines (export describe-nat-gateways too)",
        );
    }
    let eni = route
        .network_interface_id
        .as_ref()
        .or(route.instance_id.as_ref());
    if let Some(e) = eni {
        let eni = match (&route.network_interface_id, &route.instance_id) {
            (Some(e), _) => e.clone(),
            (None, Some(i)) => m
                .plan
                .vpcs
                .iter()
                .flat_map(|v| v.instances.iter())
                .find(|x| &x.id == i)
                .and_then(|x| x.enis.first())
                .map_or_else(|| i.clone(), |x| x.id.clone()),
            _ => e.clone(),
        };
        if m.enis.contains_key(&eni) {
            return Ok(Target::To(eni, None));
        }
        return Ok(Target::To(
            "blackhole".into(),
            Some(format!(
                "{e}: not a running instance's interface in the export"
            )),
        ));
    }
    let Some(g) = &route.gateway_id else {
        return Err(m.err(at, "", format!("route {dest} has no target (GatewayId, NatGatewayId, VpcPeeringConnectionId, NetworkInterfaceId, …)")));
    };
    if g == "local" {
        return Ok(Target::Implicit);
    }
    if g.starts_with("vpce-") {
        if route.destination_prefix_list_id.is_some() {
            m.endpoint_tables
                .entry(g.clone())
                .or_default()
                .insert(rtb.to_string());
            m.endpoint_pl.insert(g.clone(), dest.to_string());
            return Ok(Target::Implicit);
        }
        m.skip(g, format!("route {dest} in {rtb} to load-balancer endpoint {g}: not modelled, written as blackhole"), at);
        return Ok(Target::To(
            "blackhole".into(),
            Some(format!("endpoint {g} not modelled")),
        ));
    }
    if g.starts_with("vgw-") {
        if propagated {
            m.vgw_cidrs
                .entry(g.clone())
                .or_default()
                .insert(dest.to_string());
        }
        let note = propagated.then(|| format!("propagated from {g}"));
        return match m.vgw_vpc.get(g.as_str()) {
            Some(v) if *v == vpc => Ok(Target::To(g.clone(), note)),
            _ if m.acct.ids.contains_key(g) => Ok(Target::To(
                "blackhole".into(),
                Some(format!("{g} is not attached to {vpc}")),
            )),
            _ => missing(
                m,
                g,
                "GatewayId",
                "no file defines (export describe-vpn-gateways too)",
            ),
        };
    }
    match m.igw_vpc.get(g.as_str()) {
        Some(v) if *v == vpc => Ok(Target::To(g.clone(), None)),
        _ if m.acct.ids.contains_key(g) => Ok(Target::To(
            "blackhole".into(),
            Some(format!("{g} is not attached to {vpc}")),
        )),
        _ => missing(m, g, "GatewayId", "no file defines"),
    }
}
