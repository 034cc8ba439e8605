//! Direct Connect: connections, private and transit virtual interfaces,
//! Direct Connect gateways and their VGW associations (directconnect describe-*) →
//! `[[direct_connect]]` and `[[direct_connect_gateway]]`.
//!
//! The on-premises prefixes a connection carries are what the customer's
//! router advertises over BGP, which no directconnect output prints. They are
//! recovered from what AWS does print: the routes a VGW propagates into VPC
//! route tables (`Origin: EnableVgwRoutePropagation`), less the VGW's VPN
//! connections' static routes (which propagate too); or given by the user with
//! `--onprem-cidr ID=CIDR`. When neither says anything, the connection is
//! imported without prefixes and the report says what to add.

use super::collect::Rec;
use super::error::ImportError;
use super::map::{Mapper, Options};
use super::plan::*;
use super::shapes::{
    DxConnection, DxVirtualInterface, RouteOrigin, RouteState, TgwRouteState, TgwRouteType,
};
use std::collections::{BTreeSet, HashMap, HashSet};

/// `1Gbps`, `500Mbps` → Gbit/s.
fn bandwidth_gbps(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("Gbps") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("Mbps") {
        (n, 1e-3)
    } else {
        return None;
    };
    let v: f64 = num.trim().parse().ok()?;
    (v > 0.0 && v.is_finite()).then_some(v * scale)
}

fn empty_none(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|x| !x.is_empty())
}

pub fn direct_connect(m: &mut Mapper<'_>, opts: &Options) -> Result<(), ImportError> {
    let acct = m.acct;
    let vgws: HashSet<String> = m
        .plan
        .vpcs
        .iter()
        .flat_map(|v| v.vgws.iter().map(|g| g.id.clone()))
        .collect();
    // --onprem-cidr: each id names an exported connection or virtual interface.
    let mut given: HashMap<String, Vec<String>> = HashMap::new();
    for (id, cidr) in &opts.onprem_cidrs {
        let conn = if acct
            .dx_connections
            .iter()
            .any(|c| &c.item.connection_id == id)
        {
            Some(id.clone())
        } else {
            acct.dx_vifs
                .iter()
                .find(|v| &v.item.virtual_interface_id == id)
                .and_then(|v| v.item.connection_id.clone())
        };
        let Some(conn) = conn else {
            return Err(ImportError::file(
                "--onprem-cidr",
                format!("`{id}` is not a Direct Connect connection (dxcon-…) or virtual interface (dxvif-…) of the export"),
            ));
        };
        if cidr.trim().parse::<ipnet::IpNet>().is_err() {
            return Err(ImportError::file(
                "--onprem-cidr",
                format!("{id}={cidr}: `{cidr}` is not a CIDR block"),
            ));
        }
        let e = given.entry(conn).or_default();
        if !e.contains(cidr) {
            e.push(cidr.trim().to_string());
        }
    }
    // Direct Connect gateways and their VGW associations.
    let mut dxgw_vgws: HashMap<String, Vec<String>> = HashMap::new();
    // Direct Connect gateway → its imported transit gateway attachment.
    let mut dxgw_tgw_att: HashMap<String, String> = HashMap::new();
    for r in &acct.dx_gateways {
        let g = &r.item;
        let id = &g.direct_connect_gateway_id;
        if m.skip_unavailable(
            id,
            "Direct Connect gateway",
            g.direct_connect_gateway_state.as_deref(),
            &r.src,
        ) {
            continue;
        }
        let mut notes = m.notes(&r.src, &[]);
        if let Some(n) = &g.direct_connect_gateway_name {
            notes.name_tag = Some(n.clone());
        }
        if let Some(asn) = g.amazon_side_asn {
            notes.lines.push(format!(
                "Amazon side ASN {asn} (BGP is not modelled: routes are)"
            ));
        }
        let mut vpn_gateways = Vec::new();
        for a in acct
            .dx_associations
            .iter()
            .filter(|a| &a.item.direct_connect_gateway_id == id)
        {
            let (gw, kind) = match (
                &a.item.associated_gateway,
                empty_none(&a.item.virtual_gateway_id),
            ) {
                (Some(ag), _) => (ag.id.as_str(), ag.kind.as_deref().unwrap_or("")),
                (None, Some(v)) => (v, "virtualPrivateGateway"),
                (None, None) => continue,
            };
            let state = a.item.association_state.as_deref().unwrap_or("associated");
            if !matches!(state, "associated" | "updating") {
                notes.lines.push(format!(
                    "association with {gw} {state}: carries no traffic, left out"
                ));
                continue;
            }
            if kind == "transitGateway" || gw.starts_with("tgw-") {
                // Written as the TGW's `direct-connect-gateway` attachment (map_transit).
                let att = m
                    .plan
                    .tgw_attachments
                    .iter()
                    .find(|t| t.tgw == gw && t.dx_gateway.as_deref() == Some(id.as_str()));
                match att {
                    Some(t) => {
                        notes.lines.push(format!(
                            "associated with transit gateway {gw}: attachment {} (allowed prefixes {})",
                            t.id,
                            t.allowed_prefixes.join(", ")
                        ));
                        dxgw_tgw_att.insert(id.clone(), t.id.clone());
                    }
                    None => m.skip(gw, format!("association of {id} with transit gateway {gw}: no imported attachment of resource type direct-connect-gateway (export describe-transit-gateways and describe-transit-gateway-attachments); transit virtual interfaces to {id} are not imported"), &a.src),
                }
                continue;
            }
            if !vgws.contains(gw) {
                notes.lines.push(format!(
                    "association with {gw} left out: that virtual private gateway is not imported"
                ));
                continue;
            }
            let prefixes: Vec<&str> = a
                .item
                .allowed_prefixes_to_direct_connect_gateway
                .iter()
                .map(|p| p.cidr.as_str())
                .collect();
            if !prefixes.is_empty() {
                notes.lines.push(format!(
                    "{gw}: allowed prefixes {} (what AWS advertises on premises; not modelled: the VPC's blocks are reachable)",
                    prefixes.join(", ")
                ));
            }
            if !vpn_gateways.iter().any(|x| x == gw) {
                vpn_gateways.push(gw.to_string());
            }
        }
        dxgw_vgws.insert(id.clone(), vpn_gateways.clone());
        m.plan.dx_gateways.push(DxGatewayPlan {
            id: id.clone(),
            vpn_gateways,
            notes,
        });
    }
    // Routes each VGW propagates, and the static routes of its VPN connections.
    let mut propagated: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for t in &acct.route_tables {
        for r in &t.item.routes {
            let Some(g) = r.gateway_id.as_deref().filter(|g| g.starts_with("vgw-")) else {
                continue;
            };
            if r.origin != Some(RouteOrigin::EnableVgwRoutePropagation)
                || r.state == Some(RouteState::Blackhole)
            {
                continue;
            }
            let dest = r
                .destination_cidr_block
                .as_ref()
                .or(r.destination_ipv6_cidr_block.as_ref());
            if let Some(d) = dest {
                propagated.entry(g).or_default().insert(d.clone());
            }
        }
    }
    // VGW → (its VPN connections' static routes, whether one of them uses BGP).
    let mut vpn_of: HashMap<&str, (BTreeSet<String>, Vec<&str>)> = HashMap::new();
    for v in &acct.vpns {
        let Some(g) = v.item.vpn_gateway_id.as_deref() else {
            continue;
        };
        if matches!(v.item.state.as_deref(), Some("deleted" | "deleting")) {
            continue;
        }
        let e = vpn_of.entry(g).or_default();
        e.0.extend(
            v.item
                .routes
                .iter()
                .map(|r| r.destination_cidr_block.clone()),
        );
        let static_only = v
            .item
            .options
            .as_ref()
            .and_then(|o| o.static_routes_only)
            .unwrap_or(!v.item.routes.is_empty());
        if !static_only {
            e.1.push(&v.item.vpn_connection_id);
        }
    }
    // Connections and their virtual interfaces.
    let conn_ids: HashSet<&str> = acct
        .dx_connections
        .iter()
        .map(|c| c.item.connection_id.as_str())
        .collect();
    for r in &acct.dx_vifs {
        let v = &r.item;
        match v.connection_id.as_deref() {
            Some(c) if conn_ids.contains(c) => {}
            c => m.skip(
                &v.virtual_interface_id,
                format!(
                    "virtual interface on {}, which is not in the export (export directconnect describe-connections; link aggregation groups are not modelled)",
                    c.unwrap_or("no connection")
                ),
                &r.src,
            ),
        }
    }
    // VGW → (the prefixes it propagates that Direct Connect carries, the
    // connections given them without --onprem-cidr).
    let mut taken: HashMap<String, (BTreeSet<String>, Vec<String>)> = HashMap::new();
    // Routes each Direct Connect gateway attachment propagates into TGW route
    // tables (search-transit-gateway-routes): what on premises advertises.
    for (_, x) in &acct.tgw_routes {
        let route = &x.item;
        if route.kind != TgwRouteType::Propagated || route.state != TgwRouteState::Active {
            continue;
        }
        let (Some(dest), Some(a)) = (
            route.destination_cidr_block.as_deref(),
            route
                .transit_gateway_attachments
                .first()
                .and_then(|a| a.transit_gateway_attachment_id.as_deref()),
        ) else {
            continue;
        };
        if dxgw_tgw_att.values().any(|x| x == a) {
            propagated.entry(a).or_default().insert(dest.to_string());
        }
    }
    let dx = DxGateways {
        vgws: &dxgw_vgws,
        tgw_att: &dxgw_tgw_att,
    };
    for r in &acct.dx_connections {
        connection(m, r, &given, &dx, &vgws, &propagated, &vpn_of, &mut taken);
    }
    // Several connections to one VGW: which of its propagated prefixes each
    // advertises is not in any output.
    let mut shared: Vec<(&String, &Vec<String>)> = taken
        .iter()
        .filter(|(_, t)| t.1.len() > 1)
        .map(|(g, t)| (g, &t.1))
        .collect();
    shared.sort();
    for (g, conns) in shared {
        for c in conns {
            if let Some(r) = acct
                .dx_connections
                .iter()
                .find(|x| &x.item.connection_id == c)
            {
                m.skip(
                    c,
                    format!(
                        "on-premises prefixes ambiguous: {} all reach {g}, and which of the routes it propagates each advertises is not in AWS's API; each is given all of them: say which with --onprem-cidr {c}=CIDR",
                        conns.join(", ")
                    ),
                    &r.src,
                );
            }
        }
    }
    // A VGW without a BGP VPN: the prefixes Direct Connect carries are not a
    // VPN's (a static VPN's are its static routes), so the VGW does not list them.
    for v in &mut m.plan.vpcs {
        for g in &mut v.vgws {
            let Some((dx, _)) = taken.get(&g.id) else {
                continue;
            };
            if vpn_of
                .get(g.id.as_str())
                .is_some_and(|(_, bgp)| !bgp.is_empty())
            {
                continue;
            }
            let before = g.onprem_cidrs.len();
            g.onprem_cidrs.retain(|c| !dx.contains(c));
            if g.onprem_cidrs.len() != before {
                g.notes.lines.push(format!(
                    "the routes it propagates beyond its VPN connections' static routes ({}) are Direct Connect's, not a VPN's",
                    dx.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Imported Direct Connect gateways: the VGWs associated with each, and the
/// transit gateway attachment of each associated with a transit gateway.
struct DxGateways<'a> {
    vgws: &'a HashMap<String, Vec<String>>,
    tgw_att: &'a HashMap<String, String>,
}

#[allow(clippy::too_many_arguments)]
fn connection(
    m: &mut Mapper<'_>,
    r: &Rec<DxConnection>,
    given: &HashMap<String, Vec<String>>,
    dx: &DxGateways<'_>,
    vgws: &HashSet<String>,
    propagated: &HashMap<&str, BTreeSet<String>>,
    vpn_of: &HashMap<&str, (BTreeSet<String>, Vec<&str>)>,
    taken: &mut HashMap<String, (BTreeSet<String>, Vec<String>)>,
) {
    let acct = m.acct;
    let c = &r.item;
    let id = &c.connection_id;
    let vifs: Vec<&Rec<DxVirtualInterface>> = acct
        .dx_vifs
        .iter()
        .filter(|v| v.item.connection_id.as_deref() == Some(id.as_str()))
        .collect();
    if let Some(st) = c.connection_state.as_deref().filter(|s| *s != "available") {
        m.skip(
            id,
            format!("Direct Connect connection {st}: carries no traffic"),
            &r.src,
        );
        for v in &vifs {
            m.skip(
                &v.item.virtual_interface_id,
                format!("on connection {id}, which is {st}"),
                &v.src,
            );
        }
        return;
    }
    let mut notes = m.notes(&r.src, &[]);
    notes.name_tag = c.connection_name.clone();
    if let Some(l) = &c.location {
        notes.lines.push(format!(
            "location {l}{}; latency is not in AWS's API: peeremu's default 2 ms one way (set latency_ms)",
            c.region.as_deref().map(|x| format!(", {x}")).unwrap_or_default()
        ));
    }
    let bandwidth = match c.bandwidth.as_deref() {
        Some(b) => {
            let g = bandwidth_gbps(b);
            if g.is_none() {
                notes.lines.push(format!(
                    "bandwidth `{b}` not understood: peeremu's default 1 Gbit/s"
                ));
            }
            g
        }
        None => None,
    };
    let mut out = Vec::new();
    let mut reached: BTreeSet<String> = BTreeSet::new();
    for vr in vifs {
        let v = &vr.item;
        let vid = &v.virtual_interface_id;
        let kind = v.virtual_interface_type.as_deref().unwrap_or("private");
        match kind {
            "private" => {}
            "public" => {
                m.skip(vid, "public virtual interface: not modelled (it reaches AWS's public endpoints, not a VPC)", &vr.src);
                continue;
            }
            "transit" => {
                if let Some(p) = transit_vif(m, vr, dx) {
                    if let Some(g) = &p.dx_gateway {
                        reached.insert(dx.tgw_att[g].clone());
                    }
                    out.push(p);
                }
                continue;
            }
            other => {
                m.skip(
                    vid,
                    format!("virtual interface type `{other}` not modelled"),
                    &vr.src,
                );
                continue;
            }
        }
        if m.skip_unavailable(
            vid,
            "virtual interface",
            v.virtual_interface_state.as_deref(),
            &vr.src,
        ) {
            continue;
        }
        let (vgw, dxgw) = (
            empty_none(&v.virtual_gateway_id),
            empty_none(&v.direct_connect_gateway_id),
        );
        let (target_vgw, target_dxgw) = match (vgw, dxgw) {
            (Some(g), _) if vgws.contains(g) => {
                reached.insert(g.to_string());
                (Some(g.to_string()), None)
            }
            (_, Some(d)) if dx.vgws.contains_key(d) => {
                reached.extend(dx.vgws[d].iter().cloned());
                (None, Some(d.to_string()))
            }
            (Some(g), _) | (None, Some(g)) => {
                m.skip(vid, format!("private virtual interface to {g}, which is not imported (export it, and for a Direct Connect gateway its associations)"), &vr.src);
                continue;
            }
            (None, None) => {
                m.skip(vid, "private virtual interface with neither a virtual private gateway nor a Direct Connect gateway", &vr.src);
                continue;
            }
        };
        let (mtu, mut note) = match v.mtu {
            Some(9001) => (Some(9001), None),
            Some(1500) | None => (Some(1500), None),
            Some(x) => (
                Some(1500),
                Some(format!(
                    "MTU {x} is not a private VIF's (1500 or 9001): written 1500"
                )),
            ),
        };
        if let Some(b) = vif_bits(v) {
            note = Some(note.map_or(b.clone(), |n| format!("{n}; {b}")));
        }
        out.push(VifPlan {
            id: vid.clone(),
            kind: "private",
            vgw: target_vgw,
            dx_gateway: target_dxgw,
            mtu,
            note,
        });
    }
    if out.is_empty() {
        m.skip(id, "Direct Connect connection without an imported private virtual interface or transit virtual interface: reaches no VPC", &r.src);
        return;
    }
    // What each reached VGW propagates beyond its VPN connections' static
    // routes came over Direct Connect (or a BGP VPN); what a reached Direct
    // Connect gateway attachment propagates into TGW route tables did.
    let mut recovered = BTreeSet::new();
    for g in &reached {
        let Some(p) = propagated.get(g.as_str()) else {
            continue;
        };
        let (statics, bgp) = vpn_of.get(g.as_str()).cloned().unwrap_or_default();
        let mut from_dx: BTreeSet<String> = p.difference(&statics).cloned().collect();
        if from_dx.is_empty() {
            continue;
        }
        let t = taken.entry(g.clone()).or_default();
        t.0.extend(from_dx.iter().cloned());
        if given.contains_key(id) {
            continue;
        }
        // Prefixes the user gave to another connection are that one's.
        from_dx.retain(|c| !given.values().flatten().any(|x| x == c));
        if from_dx.is_empty() {
            continue;
        }
        taken.entry(g.clone()).or_default().1.push(id.clone());
        if !bgp.is_empty() {
            notes.lines.push(format!(
                "{g} also has BGP VPN {}: the routes it propagates may come from either; given to this connection too (AWS prefers Direct Connect for the same prefix)",
                bgp.join(", ")
            ));
        }
        notes.lines.push(if g.starts_with("vgw-") {
            format!(
                "on-premises prefixes: the routes {g} propagates ({}), less its VPN connections' static routes",
                from_dx.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        } else {
            format!(
                "on-premises prefixes: the routes {g} propagates into transit gateway route tables ({})",
                from_dx.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        });
        recovered.extend(from_dx);
    }
    let cidrs: Vec<String> = if let Some(g) = given.get(id) {
        notes
            .lines
            .push("on-premises prefixes from --onprem-cidr".into());
        g.clone()
    } else {
        recovered.into_iter().collect()
    };
    if cidrs.is_empty() {
        m.skip(
            id,
            format!(
                "imported without on-premises prefixes: AWS's API does not describe what the customer router advertises, and no route propagated from {} was found; add them with `peeremu import aws --onprem-cidr {id}=CIDR` (or onprem_cidrs in the file), then declare hosts with direct_connect = \"{id}\"",
                reached.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            &r.src,
        );
        notes.lines.push(format!(
            "no on-premises prefixes found: add them (--onprem-cidr {id}=CIDR)"
        ));
    }
    m.plan.direct_connects.push(DirectConnectPlan {
        id: id.clone(),
        onprem_cidrs: cidrs,
        bandwidth_gbps: bandwidth,
        vifs: out,
        notes,
    });
}

/// VLAN and BGP sessions of a virtual interface, for a comment.
fn vif_bits(v: &DxVirtualInterface) -> Option<String> {
    let mut bits = Vec::new();
    if let Some(vlan) = v.vlan {
        bits.push(format!("VLAN {vlan}"));
    }
    for p in &v.bgp_peers {
        bits.push(format!(
            "BGP {} AS{} {} ↔ {} {}",
            p.address_family.as_deref().unwrap_or("?"),
            p.asn.map_or("?".into(), |a| a.to_string()),
            p.customer_address.as_deref().unwrap_or("?"),
            p.amazon_address.as_deref().unwrap_or("?"),
            p.bgp_status.as_deref().unwrap_or("")
        ));
    }
    (!bits.is_empty()).then(|| bits.join("; "))
}

/// A transit virtual interface: to a Direct Connect gateway whose transit
/// gateway attachment is imported; MTU 1500 or 8500 (AWS's two for transit).
fn transit_vif(
    m: &mut Mapper<'_>,
    vr: &Rec<DxVirtualInterface>,
    dx: &DxGateways<'_>,
) -> Option<VifPlan> {
    let v = &vr.item;
    let vid = &v.virtual_interface_id;
    if m.skip_unavailable(
        vid,
        "virtual interface",
        v.virtual_interface_state.as_deref(),
        &vr.src,
    ) {
        return None;
    }
    let Some(g) = empty_none(&v.direct_connect_gateway_id) else {
        m.skip(
            vid,
            "transit virtual interface without a Direct Connect gateway",
            &vr.src,
        );
        return None;
    };
    if !dx.tgw_att.contains_key(g) {
        m.skip(vid, format!("transit virtual interface to {g}, which is not imported or has no imported transit gateway attachment (export directconnect describe-direct-connect-gateways, its associations, and ec2 describe-transit-gateway-attachments)"), &vr.src);
        return None;
    }
    let (mtu, mut note) = match v.mtu {
        Some(8500) => (8500, None),
        Some(1500) | None => (1500, None),
        Some(x) => (
            1500,
            Some(format!(
                "MTU {x} is not a transit VIF's (1500 or 8500): written 1500"
            )),
        ),
    };
    if let Some(b) = vif_bits(v) {
        note = Some(note.map_or(b.clone(), |n| format!("{n}; {b}")));
    }
    Some(VifPlan {
        id: vid.clone(),
        kind: "transit",
        vgw: None,
        dx_gateway: Some(g.to_string()),
        mtu: Some(mtu),
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_speeds_as_aws_prints_them() {
        assert_eq!(bandwidth_gbps("10Gbps"), Some(10.0));
        assert_eq!(bandwidth_gbps("1Gbps"), Some(1.0));
        assert_eq!(bandwidth_gbps("500Mbps"), Some(0.5));
        assert_eq!(bandwidth_gbps("fast"), None);
        assert_eq!(bandwidth_gbps("0Gbps"), None);
    }
}
