//! Transit gateways → `[[transit_gateway]]`, `[[tgw_attachment]]`,
//! `[[tgw_route_table]]`.
//!
//! What the export shows is what is written: associations from the
//! attachments' `Association` (and `get-transit-gateway-route-table-associations`),
//! propagations from `get-transit-gateway-route-table-propagations` and from
//! the propagated routes of `search-transit-gateway-routes` (a propagated route
//! becomes a propagation, not a static route), static and blackhole routes from
//! `search-transit-gateway-routes`. AWS's default association and propagation
//! options only decide what happens to attachments created later; when the
//! export says where each attachment is associated (or what propagates), the
//! option is written off so that the lists written are the whole truth, with a
//! comment. A Direct Connect gateway attachment is imported with its
//! association's allowed prefixes (describe-direct-connect-gateway-associations).
//! Attachment kinds peeremu does not model (Connect, network function, a VPN whose on-premises networks the export does
//! not show) are reported by id with the reason, and routes to them become
//! blackholes (so their traffic stops there instead of following a less
//! specific route).

use super::collect::{Rec, Source};
use super::error::ImportError;
use super::map::Mapper;
use super::plan::*;
use super::shapes::{
    EnableDisable, Tag, TgwAttachment, TgwAttachmentStateAws as St, TgwPeeringAttachment,
    TgwResourceType as Ty, TgwRouteState, TgwRouteType, TgwVpcAttachment,
};
use std::collections::{BTreeSet, HashMap, HashSet};

/// An imported attachment: its TGW, and the peer TGW of a peering.
#[derive(Debug, Clone)]
pub struct AttInfo {
    pub tgw: String,
    pub peer: Option<String>,
}

/// Every record of one attachment, merged from the outputs that print it.
struct Merged<'a> {
    id: &'a str,
    generic: Vec<&'a Rec<TgwAttachment>>,
    vpc: Option<&'a Rec<TgwVpcAttachment>>,
    peering: Option<&'a Rec<TgwPeeringAttachment>>,
}

impl Merged<'_> {
    fn src(&self) -> &Source {
        self.generic
            .first()
            .map(|r| &r.src)
            .or(self.vpc.map(|r| &r.src))
            .or(self.peering.map(|r| &r.src))
            .expect("a merged attachment has a record")
    }
    fn kind(&self) -> Ty {
        match (self.generic.first(), self.vpc, self.peering) {
            (Some(g), _, _) => g.item.resource_type,
            (None, Some(_), _) => Ty::Vpc,
            _ => Ty::Peering,
        }
    }
    fn state(&self) -> St {
        match (self.generic.first(), self.vpc, self.peering) {
            (_, Some(v), _) => v.item.state,
            (_, _, Some(p)) => p.item.state,
            (Some(g), _, _) => g.item.state,
            _ => St::Available,
        }
    }
    fn tags(&self) -> &[Tag] {
        self.generic
            .first()
            .map(|r| r.item.tags.as_slice())
            .or(self.vpc.map(|r| r.item.tags.as_slice()))
            .or(self.peering.map(|r| r.item.tags.as_slice()))
            .unwrap_or(&[])
    }
}

/// AWS's attachment state → the topology's (which carries traffic only when
/// `available`); `None`: not imported (gone or never came up).
fn state(s: St) -> (Option<&'static str>, Option<&'static str>) {
    match s {
        St::Available => (Some("available"), None),
        St::Pending => (Some("pending"), None),
        St::PendingAcceptance => (Some("pending-acceptance"), None),
        St::InitiatingRequest => (
            Some("pending"),
            Some("initiatingRequest: written as pending"),
        ),
        St::Modifying => (Some("modifying"), None),
        St::RollingBack => (Some("modifying"), Some("rollingBack: written as modifying")),
        St::Deleting | St::Deleted => (None, Some("deleted")),
        St::Failed | St::Failing => (None, Some("failed")),
        St::Rejected | St::Rejecting => (None, Some("rejected")),
    }
}

/// The region in an ARN (`arn:aws:ec2:us-east-1:…`).
fn arn_region(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

pub fn transit_gateways(
    m: &mut Mapper<'_>,
    default_region: Option<&str>,
) -> Result<(), ImportError> {
    let acct = m.acct;
    // Region of each TGW from its attached VPCs, when neither folder nor ARN says.
    let mut vpc_region: HashMap<&str, String> = HashMap::new();
    for r in &acct.tgw_vpc_attachments {
        if let Some(&vi) = m.vpc_ix.get(&r.item.vpc_id) {
            vpc_region
                .entry(r.item.transit_gateway_id.as_str())
                .or_insert_with(|| m.plan.vpcs[vi].region.clone());
        }
    }
    for r in &acct.tgws {
        let g = &r.item;
        if matches!(g.state.as_deref(), Some("deleted" | "deleting")) {
            m.skip(&g.transit_gateway_id, "transit gateway deleted", &r.src);
            continue;
        }
        let region = r
            .region
            .clone()
            .or_else(|| g.transit_gateway_arn.as_deref().and_then(arn_region))
            .or_else(|| vpc_region.get(g.transit_gateway_id.as_str()).cloned())
            .or_else(|| default_region.map(str::to_string))
            .ok_or_else(|| {
                m.err(
                    &r.src,
                    "",
                    format!(
                        "cannot tell the region of {}: put its file in a folder named after the region or pass --region",
                        g.transit_gateway_id
                    ),
                )
            })?;
        let o = g.options.clone().unwrap_or_default();
        m.tgw_ix
            .insert(g.transit_gateway_id.clone(), m.plan.tgws.len());
        m.plan.tgws.push(TgwPlan {
            id: g.transit_gateway_id.clone(),
            region,
            default_association: o.default_route_table_association != Some(EnableDisable::Disable),
            default_propagation: o.default_route_table_propagation != Some(EnableDisable::Disable),
            sg_referencing: o.security_group_referencing_support == Some(EnableDisable::Enable),
            notes: m.notes(&r.src, &g.tags),
        });
    }
    attachments(m)?;
    route_tables(m)?;
    defaults(m);
    Ok(())
}

fn merged<'a>(m: &Mapper<'a>) -> Vec<Merged<'a>> {
    let acct = m.acct;
    let mut order: Vec<Merged<'a>> = Vec::new();
    let mut ix: HashMap<&'a str, usize> = HashMap::new();
    let mut slot = |id: &'a str, order: &mut Vec<Merged<'a>>| -> usize {
        *ix.entry(id).or_insert_with(|| {
            order.push(Merged {
                id,
                generic: Vec::new(),
                vpc: None,
                peering: None,
            });
            order.len() - 1
        })
    };
    for r in &acct.tgw_attachments {
        let i = slot(&r.item.transit_gateway_attachment_id, &mut order);
        order[i].generic.push(r);
    }
    for r in &acct.tgw_vpc_attachments {
        let i = slot(&r.item.transit_gateway_attachment_id, &mut order);
        order[i].vpc.get_or_insert(r);
    }
    for r in &acct.tgw_peering_attachments {
        let i = slot(&r.item.transit_gateway_attachment_id, &mut order);
        order[i].peering.get_or_insert(r);
    }
    order
}

/// The on-premises networks behind a VPN attachment: the static routes of its
/// VPN connection, and the routes it propagates or static routes lead to in
/// the TGW's route tables (BGP-learned networks show only there).
fn vpn_cidrs(m: &Mapper<'_>, att: &str, tgw: &str, vpn: Option<&str>) -> BTreeSet<String> {
    let acct = m.acct;
    let mut out = BTreeSet::new();
    for r in &acct.vpns {
        let v = &r.item;
        if Some(v.vpn_connection_id.as_str()) == vpn && v.transit_gateway_id.as_deref() == Some(tgw)
        {
            for rt in &v.routes {
                if rt.state.as_deref().is_none_or(|s| s == "available") {
                    out.insert(rt.destination_cidr_block.clone());
                }
            }
        }
    }
    for (_, r) in &acct.tgw_routes {
        let x = &r.item;
        if x.state == TgwRouteState::Active
            && x.transit_gateway_attachments
                .iter()
                .any(|a| a.transit_gateway_attachment_id.as_deref() == Some(att))
        {
            if let Some(c) = &x.destination_cidr_block {
                out.insert(c.clone());
            }
        }
    }
    out
}

fn attachments(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    for a in merged(m) {
        let src = a.src().clone();
        let id = a.id.to_string();
        let kind = a.kind();
        let first = a.generic.first().map(|r| &r.item);
        let (tgw, peer) = match (a.peering, kind) {
            (Some(p), _) => (
                p.item.requester_tgw_info.transit_gateway_id.clone(),
                p.item.accepter_tgw_info.transit_gateway_id.clone(),
            ),
            (None, Ty::Peering | Ty::TgwPeering) => (
                first.map(|g| g.transit_gateway_id.clone()),
                first.and_then(|g| g.resource_id.clone()),
            ),
            _ => (
                a.vpc
                    .map(|v| v.item.transit_gateway_id.clone())
                    .or(first.map(|g| g.transit_gateway_id.clone())),
                None,
            ),
        };
        let Some(tgw) = tgw.filter(|t| m.tgw_ix.contains_key(t)) else {
            m.skip(&id, "attachment of a transit gateway that is not in the export (or deleted): export describe-transit-gateways too", &src);
            continue;
        };
        let (st, why) = state(a.state());
        let Some(st) = st else {
            m.skip(
                &id,
                format!(
                    "{} attachment {}: carries no traffic",
                    kind.as_str(),
                    why.unwrap_or("")
                ),
                &src,
            );
            continue;
        };
        let mut notes = m.notes(&src, a.tags());
        if let Some(w) = why {
            notes.lines.push(format!("State {w}"));
        }
        let mut plan = TgwAttachmentPlan {
            id: id.clone(),
            tgw: tgw.clone(),
            kind: "vpc",
            state: st,
            vpc: None,
            subnets: Vec::new(),
            appliance_mode: false,
            sg_referencing: None,
            onprem_cidrs: Vec::new(),
            peer_tgw: None,
            dx_gateway: None,
            allowed_prefixes: Vec::new(),
            notes: Notes::default(),
        };
        match kind {
            Ty::Vpc => {
                let Some(v) = a.vpc else {
                    m.skip(&id, "VPC attachment without its subnets: export describe-transit-gateway-vpc-attachments too", &src);
                    continue;
                };
                let vpc = &v.item.vpc_id;
                let Some(&vi) = m.vpc_ix.get(vpc) else {
                    m.skip(&id, format!("VPC attachment to {vpc}, which is not in the export (another account's VPC?)"), &v.src);
                    continue;
                };
                for (k, s) in v.item.subnet_ids.iter().enumerate() {
                    if !m.plan.vpcs[vi].subnets.iter().any(|x| &x.id == s) {
                        return Err(m.err(
                            &v.src,
                            &format!("SubnetIds[{k}]"),
                            format!("references subnet `{s}`, which is not a subnet of {vpc} in the export"),
                        ));
                    }
                }
                let o = v.item.options.clone().unwrap_or_default();
                plan.appliance_mode = o.appliance_mode_support == Some(EnableDisable::Enable);
                if plan.appliance_mode {
                    notes.lines.push("ApplianceModeSupport enable: recorded; peeremu does not pin the return path to one AZ yet".into());
                }
                plan.sg_referencing = o
                    .security_group_referencing_support
                    .map(|x| x == EnableDisable::Enable);
                if o.ipv6_support == Some(EnableDisable::Disable) && m.plan.vpcs[vi].ipv6.is_some()
                {
                    notes.lines.push("Ipv6Support disable: AWS propagates no IPv6 route for this VPC; peeremu propagates its IPv6 block too".into());
                }
                plan.vpc = Some(vpc.clone());
                plan.subnets = v.item.subnet_ids.clone();
                m.tgw_vpcs
                    .entry(tgw.clone())
                    .or_default()
                    .insert(vpc.clone());
            }
            Ty::Vpn => {
                let vpn = first.and_then(|g| g.resource_id.clone());
                let cidrs = vpn_cidrs(m, &id, &tgw, vpn.as_deref());
                if cidrs.is_empty() {
                    m.skip(&id, format!("VPN attachment (connection {}): the export shows no on-premises networks behind it (no static routes on the VPN connection, no routes propagated from it in search-transit-gateway-routes); routes to it are written as blackhole", vpn.as_deref().unwrap_or("?")), &src);
                    continue;
                }
                if let Some(v) = &vpn {
                    m.tgw_vpn_connections.insert(v.clone());
                    notes.lines.push(format!("VPN connection {v}: its routes and the routes it propagates are the on-premises networks; put on-premises hosts behind it with `[[host]] vgw = \"{id}\"`"));
                }
                plan.kind = "vpn";
                plan.onprem_cidrs = cidrs.into_iter().collect();
            }
            Ty::Peering | Ty::TgwPeering => {
                let Some(peer) = peer.filter(|p| m.tgw_ix.contains_key(p)) else {
                    m.skip(&id, "transit gateway peering with a transit gateway that is not in the export (another account or region not exported)", &src);
                    continue;
                };
                plan.kind = "peering";
                plan.peer_tgw = Some(peer);
            }
            Ty::DirectConnectGateway => {
                let res = first
                    .and_then(|g| g.resource_id.clone())
                    .unwrap_or_default();
                match dx_association(m, &res, &tgw) {
                    Ok(prefixes) => {
                        if prefixes.is_empty() {
                            notes.lines.push("the association lists no allowed prefixes: on premises learns no route to the VPCs".into());
                        }
                        notes.lines.push(format!("Direct Connect gateway {res}: allowed prefixes from describe-direct-connect-gateway-associations (what AWS advertises to on premises)"));
                        plan.kind = "direct-connect-gateway";
                        plan.dx_gateway = Some(res);
                        plan.allowed_prefixes = prefixes;
                    }
                    Err(why) => {
                        m.skip(
                            &id,
                            format!("Direct Connect gateway attachment (resource {res}): {why}; routes to it are written as blackhole"),
                            &src,
                        );
                        continue;
                    }
                }
            }
            Ty::Connect | Ty::NetworkFunction => {
                let what = match kind {
                    Ty::Connect => "Connect (GRE) attachment: not modelled",
                    _ => "network function attachment (Cloud WAN): not modelled",
                };
                let res = first.and_then(|g| g.resource_id.as_deref()).unwrap_or("?");
                m.skip(
                    &id,
                    format!("{what} (resource {res}); routes to it are written as blackhole"),
                    &src,
                );
                continue;
            }
        }
        plan.notes = notes;
        m.tgw_atts.insert(
            id.clone(),
            AttInfo {
                tgw: tgw.clone(),
                peer: plan.peer_tgw.clone(),
            },
        );
        m.plan.tgw_attachments.push(plan);
    }
    Ok(())
}

/// The allowed prefixes of Direct Connect gateway `dxgw`'s association with
/// transit gateway `tgw` (`describe-direct-connect-gateway-associations`), or
/// why the attachment cannot be imported: the gateway or the association is
/// missing from the export, or not in a state that carries traffic.
fn dx_association(m: &Mapper<'_>, dxgw: &str, tgw: &str) -> Result<Vec<String>, String> {
    let acct = m.acct;
    let Some(g) = acct
        .dx_gateways
        .iter()
        .find(|g| g.item.direct_connect_gateway_id == dxgw)
    else {
        return Err(format!("{dxgw} is not in the export (export directconnect describe-direct-connect-gateways and its associations)"));
    };
    if let Some(st) = g
        .item
        .direct_connect_gateway_state
        .as_deref()
        .filter(|s| *s != "available")
    {
        return Err(format!("{dxgw} is {st}"));
    }
    let assoc = acct.dx_associations.iter().find(|a| {
        a.item.direct_connect_gateway_id == dxgw
            && a.item
                .associated_gateway
                .as_ref()
                .is_some_and(|g| g.id == tgw)
    });
    let Some(a) = assoc else {
        return Err(format!("the association of {dxgw} with {tgw} is not in the export (export directconnect describe-direct-connect-gateway-associations --direct-connect-gateway-id {dxgw})"));
    };
    let state = a.item.association_state.as_deref().unwrap_or("associated");
    if !matches!(state, "associated" | "updating") {
        return Err(format!("the association of {dxgw} with {tgw} is {state}"));
    }
    Ok(a.item
        .allowed_prefixes_to_direct_connect_gateway
        .iter()
        .map(|p| p.cidr.clone())
        .collect())
}

fn route_tables(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.tgw_route_tables {
        let t = &r.item;
        let id = &t.transit_gateway_route_table_id;
        if !m.tgw_ix.contains_key(&t.transit_gateway_id) {
            m.skip(
                id,
                "route table of a transit gateway that is not in the export (or deleted)",
                &r.src,
            );
            continue;
        }
        if matches!(t.state.as_deref(), Some("deleted" | "deleting")) {
            m.skip(id, "transit gateway route table deleted", &r.src);
            continue;
        }
        let tgw = t.transit_gateway_id.clone();
        let mut notes = m.notes(&r.src, &t.tags);
        // Attachments usable from this table: this TGW's, and peerings with it.
        let usable = |m: &Mapper<'_>, a: &str| {
            m.tgw_atts
                .get(a)
                .is_some_and(|x| x.tgw == tgw || x.peer.as_deref() == Some(tgw.as_str()))
        };
        let mut associations: Vec<String> = Vec::new();
        for g in &acct.tgw_attachments {
            let Some(a) = &g.item.association else {
                continue;
            };
            let att = &g.item.transit_gateway_attachment_id;
            if &a.transit_gateway_route_table_id == id
                && a.state == "associated"
                && g.item.transit_gateway_id == tgw
                && usable(m, att)
                && !associations.contains(att)
            {
                associations.push(att.clone());
            }
        }
        for (table, l) in &acct.tgw_associations {
            let att = &l.item.transit_gateway_attachment_id;
            if table == id
                && l.item.state == "associated"
                && usable(m, att)
                && !associations.contains(att)
            {
                associations.push(att.clone());
            }
        }
        let mut propagations: Vec<String> = Vec::new();
        let propagates = |m: &Mapper<'_>, a: &str| {
            m.tgw_atts
                .get(a)
                .is_some_and(|x| x.tgw == tgw && x.peer.is_none())
        };
        for (table, l) in &acct.tgw_propagations {
            let att = &l.item.transit_gateway_attachment_id;
            if table == id
                && l.item.state == "enabled"
                && propagates(m, att)
                && !propagations.contains(att)
            {
                propagations.push(att.clone());
            }
        }
        let mut routes: Vec<RoutePlan> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (table, x) in &acct.tgw_routes {
            if table != id {
                continue;
            }
            let route = &x.item;
            let first = route
                .transit_gateway_attachments
                .first()
                .and_then(|a| a.transit_gateway_attachment_id.clone());
            let Some(dest) = route.destination_cidr_block.clone() else {
                let pl = route.prefix_list_id.as_deref().unwrap_or("?");
                m.skip(id, format!("route to prefix list {pl}: prefix-list references in transit gateway route tables are not modelled"), &x.src);
                continue;
            };
            m.cidr(&dest, &x.src, "DestinationCidrBlock")?;
            if matches!(
                route.state,
                TgwRouteState::Pending | TgwRouteState::Deleting | TgwRouteState::Deleted
            ) {
                notes.lines.push(format!(
                    "route {dest} left out: State {:?}, not in effect",
                    route.state
                ));
                continue;
            }
            if route.kind == TgwRouteType::Propagated && route.state == TgwRouteState::Active {
                match &first {
                    Some(a) if propagates(m, a) => {
                        if !propagations.contains(a) {
                            propagations.push(a.clone());
                        }
                        continue;
                    }
                    _ => {} // from an attachment not imported: a blackhole below
                }
            }
            let (target, note) = match (route.state, &first) {
                (TgwRouteState::Blackhole, _) => ("blackhole".to_string(), None),
                (_, Some(a)) if usable(m, a) => (a.clone(), None),
                (_, a) => {
                    let a = a.as_deref().unwrap_or("?");
                    let why = format!(
                        "{} route {dest} to attachment {a}, which is not imported: written as blackhole",
                        if route.kind == TgwRouteType::Propagated { "propagated" } else { "static" }
                    );
                    m.skip(id, why, &x.src);
                    (
                        "blackhole".to_string(),
                        Some(format!("{a} not imported (see the end of the file)")),
                    )
                }
            };
            if route.transit_gateway_attachments.len() > 1 {
                notes.lines.push(format!(
                    "route {dest}: {} attachments (ECMP); the first one is written",
                    route.transit_gateway_attachments.len()
                ));
            }
            if !seen.insert(dest.clone()) {
                notes.lines.push(format!("second route to {dest} left out"));
                continue;
            }
            routes.push(RoutePlan {
                destination: dest,
                target,
                note,
            });
        }
        let opts = acct
            .tgws
            .iter()
            .find(|x| x.item.transit_gateway_id == tgw)
            .and_then(|x| x.item.options.clone())
            .unwrap_or_default();
        let assoc_default = t.default_association_route_table
            || opts.association_default_route_table_id.as_deref() == Some(id.as_str());
        let prop_default = t.default_propagation_route_table
            || opts.propagation_default_route_table_id.as_deref() == Some(id.as_str());
        if assoc_default != prop_default {
            notes.lines.push(format!(
                "AWS's default {} route table only; peeremu has one default table for both, so this one is not marked default",
                if assoc_default { "association" } else { "propagation" }
            ));
            m.split_default.insert(tgw.clone());
        }
        m.plan.tgw_route_tables.push(TgwRouteTablePlan {
            id: id.clone(),
            tgw,
            default: assoc_default && prop_default,
            associations,
            propagations,
            routes,
            notes,
        });
    }
    Ok(())
}

/// Turn the TGW's default association/propagation off where the export lists
/// the actual ones (they would otherwise add to what the export shows).
fn defaults(m: &mut Mapper<'_>) {
    let acct = m.acct;
    for gi in 0..m.plan.tgws.len() {
        let id = m.plan.tgws[gi].id.clone();
        let tables: Vec<&str> = acct
            .tgw_route_tables
            .iter()
            .filter(|t| t.item.transit_gateway_id == id)
            .map(|t| t.item.transit_gateway_route_table_id.as_str())
            .collect();
        let has = |what: &str| {
            tables
                .iter()
                .any(|t| acct.tgw_table_outputs.contains(&(t.to_string(), what)))
        };
        let assoc_known = acct
            .tgw_attachments
            .iter()
            .any(|a| a.item.transit_gateway_id == id)
            || has("associations");
        let prop_known = has("propagations") || has("routes");
        let split = m.split_default.contains(&id);
        let g = &mut m.plan.tgws[gi];
        if g.default_association && (assoc_known || split) {
            g.default_association = false;
            g.notes.lines.push("DefaultRouteTableAssociation enable: written false, as the associations below are those the export shows (the option only affects attachments created later)".into());
        }
        if g.default_propagation && (prop_known || split) {
            g.default_propagation = false;
            g.notes.lines.push("DefaultRouteTablePropagation enable: written false, as the propagations below are those the export shows (the option only affects attachments created later)".into());
        }
        if split && !(assoc_known && prop_known) {
            g.notes.lines.push("its default association and propagation tables differ and the export lacks the association or propagation data: attachments may be missing from the tables".into());
        }
    }
}
