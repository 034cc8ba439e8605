//! Transit gateways, their attachments (VPC, VPN, peering, Direct Connect
//! gateway) and route tables
//! (associations, propagations, static and blackhole routes), with AWS's rules:
//! one subnet per AZ, a VPC attached once per TGW and to at most
//! `quotas.tgws_per_vpc` TGWs, attachments in the TGW's region, peering with
//! another TGW only and never propagating, one association per attachment, and
//! the route-table, route and peering quotas.

use super::super::format::{Document, TgwAttachmentSpec, TgwRouteTableSpec, S};
use super::super::suggest;
use super::{obj, suffix, Compiler, Kind};
use crate::model::*;
use ipnet::IpNet;
use std::collections::HashSet;

/// Default one-way latency from a VPN attachment to on-premises hosts.
const DEFAULT_VPN_LATENCY_MS: f64 = 5.0;

pub fn compile(c: &mut Compiler<'_>, doc: &Document) {
    transit_gateways(c, doc);
    route_tables(c, &doc.tgw_route_tables);
    implicit_default_tables(c, doc);
    for a in &doc.tgw_attachments {
        attachment(c, a);
    }
    let explicit = table_contents(c, &doc.tgw_route_tables);
    defaults(c, &explicit);
    route_quota(c, doc);
}

/// `(table, attachment)` pairs the file lists explicitly: associations (by
/// attachment and TGW) and propagations.
struct Explicit {
    associated: HashSet<(TgwAttIdx, TgwIdx)>,
    propagations: Vec<(TgwRtbIdx, TgwAttIdx)>,
}

/// A TGW's or attachment's `latency_ms`, bounded like every other latency (before
/// stop 14 a TGW took any finite value, 1e308 included, and saturated the clock).
fn ms_to_ns(c: &mut Compiler<'_>, v: &Option<S<f64>>, default_ns: u64, o: &str) -> u64 {
    match v {
        None => default_ns,
        Some(ms) => match super::settings::ms_to_ns(*ms.get_ref()) {
            Some(ns) => ns,
            None => {
                c.err(
                    "latency",
                    ms.span(),
                    o,
                    super::settings::latency_range("latency_ms"),
                );
                default_ns
            }
        },
    }
}

fn transit_gateways(c: &mut Compiler<'_>, doc: &Document) {
    for t in &doc.transit_gateways {
        let id = t.id.get_ref().clone();
        let o = obj(Kind::Tgw, &id);
        let region = c.region(t.region.get_ref());
        let same_az = c.net.latency.same_az_ns;
        let latency_ns = ms_to_ns(c, &t.latency_ms, same_az, &o);
        c.register(Kind::Tgw, &id, c.net.transit_gateways.len());
        c.net.transit_gateways.push(TransitGateway {
            id,
            region,
            latency_ns,
            default_association: None,
            default_propagation: None,
            sg_referencing: t.security_group_referencing.unwrap_or(false),
        });
    }
}

fn route_tables(c: &mut Compiler<'_>, specs: &[TgwRouteTableSpec]) {
    let quota = c.net.quotas.route_tables_per_tgw as usize;
    for t in specs {
        let id = t.id.get_ref().clone();
        let o = obj(Kind::TgwRouteTable, &id);
        let Some(tgw) = c.resolve(Kind::Tgw, &t.tgw, &o).map(TgwIdx) else {
            continue;
        };
        let count = c
            .net
            .tgw_route_tables
            .iter()
            .filter(|x| x.tgw == tgw)
            .count();
        if count >= quota {
            let msg = format!(
                "{} already has {count} route table(s), the quota per transit gateway (quotas.route_tables_per_tgw = {quota})",
                c.net.transit_gateways[tgw.ix()].id
            );
            c.err("tgw-route-table-quota", t.id.span(), &o, msg);
            continue;
        }
        let ix = TgwRtbIdx(c.net.tgw_route_tables.len() as u32);
        if t.default {
            let g = &c.net.transit_gateways[tgw.ix()];
            if let Some(other) = g.default_association.or(g.default_propagation) {
                let msg = format!(
                    "{} already has default route table {}; a transit gateway has one",
                    g.id,
                    c.net.tgw_route_tables[other.ix()].id
                );
                c.err("tgw-default-route-table", t.id.span(), &o, msg);
                continue;
            }
            let g = &mut c.net.transit_gateways[tgw.ix()];
            g.default_association = Some(ix);
            g.default_propagation = Some(ix);
        }
        c.register(Kind::TgwRouteTable, &id, ix.ix());
        c.net.tgw_route_tables.push(TgwRouteTable {
            id,
            tgw,
            routes: Vec::new(),
        });
    }
}

/// AWS creates a default route table when default association or propagation is
/// enabled (both are by default); a table marked `default = true` takes its
/// place. Options turned off clear the default for that purpose.
fn implicit_default_tables(c: &mut Compiler<'_>, doc: &Document) {
    for (i, t) in doc.transit_gateways.iter().enumerate() {
        let Some(tgw) = c.lookup(Kind::Tgw, t.id.get_ref()).map(TgwIdx) else {
            continue;
        };
        if tgw.ix() != i {
            continue; // duplicate id, reported
        }
        let assoc = t.default_route_table_association.unwrap_or(true);
        let prop = t.default_route_table_propagation.unwrap_or(true);
        let g = &c.net.transit_gateways[tgw.ix()];
        let mut default = g.default_association;
        if default.is_none() && (assoc || prop) {
            let id = default_table_id(&g.id);
            let ix = TgwRtbIdx(c.net.tgw_route_tables.len() as u32);
            c.register(Kind::TgwRouteTable, &id, ix.ix());
            c.net.tgw_route_tables.push(TgwRouteTable {
                id,
                tgw,
                routes: Vec::new(),
            });
            default = Some(ix);
        }
        let g = &mut c.net.transit_gateways[tgw.ix()];
        g.default_association = default.filter(|_| assoc);
        g.default_propagation = default.filter(|_| prop);
    }
}

/// The id of a TGW's implicit default route table, `tgw-rtb-<name>-default`.
pub(super) fn default_table_id(tgw_id: &str) -> String {
    format!("tgw-rtb-{}-default", suffix_of(tgw_id))
}

fn suffix_of(tgw_id: &str) -> &str {
    tgw_id.strip_prefix("tgw-").unwrap_or(suffix(tgw_id))
}

/// Report `field` present on an attachment whose kind does not take it.
fn no_field<T>(c: &mut Compiler<'_>, v: &Option<S<T>>, field: &str, kind: &str, o: &str) -> bool {
    if let Some(v) = v {
        c.err(
            "tgw-attachment-field",
            v.span(),
            o,
            format!("`{field}` does not apply to a {kind} attachment"),
        );
        return false;
    }
    true
}

fn attachment(c: &mut Compiler<'_>, a: &TgwAttachmentSpec) {
    let id = a.id.get_ref().clone();
    let o = obj(Kind::TgwAttachment, &id);
    let Some(tgw) = c.resolve(Kind::Tgw, &a.tgw, &o).map(TgwIdx) else {
        return;
    };
    let state = match &a.state {
        None => Some(TgwAttachmentState::Available),
        Some(s) => {
            let found = TgwAttachmentState::ALL
                .into_iter()
                .find(|x| x.as_str() == s.get_ref());
            if found.is_none() {
                let hint = suggest::did_you_mean(
                    s.get_ref(),
                    TgwAttachmentState::ALL.iter().map(|x| x.as_str()),
                );
                let msg = format!("unknown attachment state `{}`{hint}", s.get_ref());
                c.err("tgw-attachment-state", s.span(), &o, msg);
            }
            found
        }
    };
    let Some(state) = state else { return };
    let subnets_span = a.subnets.as_ref().and_then(|s| s.first()).map(|s| s.span());
    let onprem_span = a
        .onprem_cidrs
        .as_ref()
        .and_then(|s| s.first())
        .map(|s| s.span());
    let subnets_field = subnets_span.map(|sp| S::new(sp, ()));
    let onprem_field = onprem_span.map(|sp| S::new(sp, ()));
    let appliance_field = a.appliance_mode.map(|_| S::new(a.kind.span(), ()));
    let sg_ref = &a.security_group_referencing;
    let allowed_field = a
        .allowed_prefixes
        .as_ref()
        .and_then(|s| s.first())
        .map(|s| S::new(s.span(), ()));
    let kind_str = a.kind.get_ref().as_str();
    if kind_str != "direct-connect-gateway"
        && !(no_field(c, &a.dx_gateway, "dx_gateway", kind_str, &o)
            & no_field(c, &allowed_field, "allowed_prefixes", kind_str, &o))
    {
        return;
    }
    let (kind, mtu) = match kind_str {
        "direct-connect-gateway" => {
            let k = "direct-connect-gateway";
            if !(no_field(c, &subnets_field, "subnets", k, &o)
                & no_field(c, &a.vpc, "vpc", k, &o)
                & no_field(c, &appliance_field, "appliance_mode", k, &o)
                & no_field(c, sg_ref, "security_group_referencing", k, &o)
                & no_field(c, &a.peer_tgw, "peer_tgw", k, &o)
                & no_field(c, &onprem_field, "onprem_cidrs", k, &o)
                & no_field(c, &a.latency_ms, "latency_ms", k, &o))
            {
                return;
            }
            let Some(kind) = dx_gateway_attachment(c, a, tgw, &o) else {
                return;
            };
            (kind, TGW_MTU)
        }
        "vpc" => {
            if !(no_field(c, &onprem_field, "onprem_cidrs", "vpc", &o)
                & no_field(c, &a.peer_tgw, "peer_tgw", "vpc", &o)
                & no_field(c, &a.latency_ms, "latency_ms", "vpc", &o))
            {
                return;
            }
            let Some(kind) = vpc_attachment(c, a, tgw, &o) else {
                return;
            };
            (kind, TGW_MTU)
        }
        "vpn" => {
            if !(no_field(c, &subnets_field, "subnets", "vpn", &o)
                & no_field(c, &a.vpc, "vpc", "vpn", &o)
                & no_field(c, &appliance_field, "appliance_mode", "vpn", &o)
                & no_field(c, sg_ref, "security_group_referencing", "vpn", &o)
                & no_field(c, &a.peer_tgw, "peer_tgw", "vpn", &o))
            {
                return;
            }
            let Some(kind) = vpn_attachment(c, a, &id, &o) else {
                return;
            };
            (kind, TGW_VPN_MTU)
        }
        "peering" => {
            if !(no_field(c, &subnets_field, "subnets", "peering", &o)
                & no_field(c, &a.vpc, "vpc", "peering", &o)
                & no_field(c, &appliance_field, "appliance_mode", "peering", &o)
                & no_field(c, sg_ref, "security_group_referencing", "peering", &o)
                & no_field(c, &onprem_field, "onprem_cidrs", "peering", &o)
                & no_field(c, &a.latency_ms, "latency_ms", "peering", &o))
            {
                return;
            }
            let Some(kind) = peering_attachment(c, a, tgw, &o) else {
                return;
            };
            (kind, TGW_MTU)
        }
        other => {
            let hint =
                suggest::did_you_mean(other, ["vpc", "vpn", "peering", "direct-connect-gateway"]);
            c.err(
                "tgw-attachment-kind",
                a.kind.span(),
                &o,
                format!("unknown attachment kind `{other}`{hint}"),
            );
            return;
        }
    };
    // AWS enables it by default on a new VPC attachment; it means nothing on the
    // other kinds (rejected above).
    let sg_referencing = matches!(kind, TgwAttachmentKind::Vpc { .. })
        && a.security_group_referencing
            .as_ref()
            .is_none_or(|v| *v.get_ref());
    c.register(Kind::TgwAttachment, &id, c.net.tgw_attachments.len());
    c.net.tgw_attachments.push(TgwAttachment {
        id,
        tgw,
        kind,
        state,
        association: None,
        peer_association: None,
        mtu,
        sg_referencing,
    });
}

fn vpc_attachment(
    c: &mut Compiler<'_>,
    a: &TgwAttachmentSpec,
    tgw: TgwIdx,
    o: &str,
) -> Option<TgwAttachmentKind> {
    let Some(vr) = &a.vpc else {
        c.err(
            "tgw-attachment-field",
            a.kind.span(),
            o,
            "a vpc attachment needs `vpc` and `subnets` (one per AZ)",
        );
        return None;
    };
    let vpc = c.resolve(Kind::Vpc, vr, o).map(VpcIdx)?;
    let (tgw_id, tgw_region) = {
        let g = &c.net.transit_gateways[tgw.ix()];
        (g.id.clone(), g.region)
    };
    let v = &c.net.vpcs[vpc.ix()];
    if v.region != tgw_region {
        let msg =
            format!(
            "{} is in {}, {tgw_id} in {}; a VPC attachment must be in the transit gateway's region",
            v.id, c.net.regions[v.region.ix()].name, c.net.regions[tgw_region.ix()].name
        );
        c.err("tgw-attachment-region", vr.span(), o, msg);
        return None;
    }
    let attached = |x: &TgwAttachment, t: Option<TgwIdx>| {
        matches!(x.kind, TgwAttachmentKind::Vpc { vpc: w, .. } if w == vpc)
            && t.is_none_or(|t| x.tgw == t)
    };
    if let Some(other) = c
        .net
        .tgw_attachments
        .iter()
        .find(|x| attached(x, Some(tgw)))
    {
        let msg = format!(
            "{} is already attached to {tgw_id} by {}; a VPC can be attached to a transit gateway only once",
            c.net.vpcs[vpc.ix()].id, other.id
        );
        c.err("tgw-attachment-duplicate", vr.span(), o, msg);
        return None;
    }
    let quota = c.net.quotas.tgws_per_vpc as usize;
    let count = c
        .net
        .tgw_attachments
        .iter()
        .filter(|x| attached(x, None))
        .count();
    if count >= quota {
        let msg = format!(
            "{} is already attached to {count} transit gateway(s), the quota per VPC (quotas.tgws_per_vpc = {quota})",
            c.net.vpcs[vpc.ix()].id
        );
        c.err("tgw-quota", vr.span(), o, msg);
        return None;
    }
    let specs = a.subnets.as_deref().unwrap_or(&[]);
    if specs.is_empty() {
        c.err(
            "tgw-attachment-field",
            vr.span(),
            o,
            "a vpc attachment needs `subnets`: one subnet in each AZ it serves",
        );
        return None;
    }
    let mut subnets: Vec<SubnetIdx> = Vec::new();
    for s in specs {
        let sn = c.resolve(Kind::Subnet, s, o).map(SubnetIdx)?;
        let sub = &c.net.subnets[sn.ix()];
        if sub.vpc != vpc {
            let msg = format!(
                "subnet {} is in {}, not {}; an attachment's subnets belong to its VPC",
                sub.id,
                c.net.vpcs[sub.vpc.ix()].id,
                c.net.vpcs[vpc.ix()].id
            );
            c.err("tgw-attachment-subnet", s.span(), o, msg);
            return None;
        }
        if let Some(other) = subnets.iter().find(|x| c.net.subnets[x.ix()].az == sub.az) {
            let msg = format!(
                "subnets {} and {} are both in {}; a VPC attachment has at most one subnet per Availability Zone",
                c.net.subnets[other.ix()].id,
                sub.id,
                c.net.azs[sub.az.ix()].name
            );
            c.err("tgw-attachment-az", s.span(), o, msg);
            return None;
        }
        subnets.push(sn);
    }
    Some(TgwAttachmentKind::Vpc {
        vpc,
        subnets,
        appliance_mode: a.appliance_mode.unwrap_or(false),
    })
}

/// A VPN attachment: its customer side is a VPN gateway entry without a VPC,
/// named like the attachment, so `[[host]] vgw = "<attachment id>"` puts hosts
/// behind it.
fn vpn_attachment(
    c: &mut Compiler<'_>,
    a: &TgwAttachmentSpec,
    id: &str,
    o: &str,
) -> Option<TgwAttachmentKind> {
    let specs = a.onprem_cidrs.as_deref().unwrap_or(&[]);
    if specs.is_empty() {
        c.err(
            "tgw-attachment-field",
            a.kind.span(),
            o,
            "a vpn attachment needs `onprem_cidrs`: the on-premises networks behind it",
        );
        return None;
    }
    let cidrs: Vec<IpNet> = specs.iter().filter_map(|s| c.values(o).ipnet(s)).collect();
    if cidrs.len() != specs.len() {
        return None;
    }
    let default = (DEFAULT_VPN_LATENCY_MS * 1e6) as u64;
    let latency_ns = ms_to_ns(c, &a.latency_ms, default, o);
    let vgw = VgwIdx(c.net.vpn_gateways.len() as u32);
    c.register(Kind::Vgw, id, vgw.ix());
    c.net.vpn_gateways.push(VpnGateway {
        id: id.to_string(),
        vpc: None,
        onprem_cidrs: cidrs,
        latency_ns,
        mtu: TGW_VPN_MTU,
    });
    Some(TgwAttachmentKind::Vpn { vgw })
}

/// Allowed prefixes of one transit gateway association ("Number of prefixes per
/// AWS Transit Gateway from AWS to on-premises on a transit virtual interface",
/// "Direct Connect quotas"; not adjustable) and transit gateways per Direct
/// Connect gateway (same page). AWS's page said 20 and 3 until 2024 and says 200
/// and 6 since; peeremu takes the current, looser figures, so no design AWS
/// accepts today is refused.
pub const MAX_ALLOWED_PREFIXES_PER_TGW: usize = 200;
/// See [`MAX_ALLOWED_PREFIXES_PER_TGW`].
pub const MAX_TGWS_PER_DXGW: usize = 6;

/// A Direct Connect gateway's association with this TGW, as the TGW attachment
/// AWS creates for it (resource type `direct-connect-gateway`). AWS requires
/// the allowed prefixes for a transit gateway association
/// (`addAllowedPrefixesToDirectConnectGateway`, CreateDirectConnectGatewayAssociation).
fn dx_gateway_attachment(
    c: &mut Compiler<'_>,
    a: &TgwAttachmentSpec,
    tgw: TgwIdx,
    o: &str,
) -> Option<TgwAttachmentKind> {
    let Some(gr) = &a.dx_gateway else {
        c.err(
            "tgw-attachment-field",
            a.kind.span(),
            o,
            "a direct-connect-gateway attachment needs `dx_gateway` (the Direct Connect gateway associated with the transit gateway) and `allowed_prefixes`",
        );
        return None;
    };
    let dxgw = c.resolve(Kind::DxGateway, gr, o).map(DxgwIdx)?;
    let specs = a.allowed_prefixes.as_deref().unwrap_or(&[]);
    if specs.is_empty() {
        c.err(
            "tgw-attachment-field",
            gr.span(),
            o,
            "a direct-connect-gateway attachment needs `allowed_prefixes`: the prefixes on premises learns over the transit virtual interfaces (AWS requires them for a transit gateway association)",
        );
        return None;
    }
    let allowed_prefixes: Vec<IpNet> = specs.iter().filter_map(|s| c.values(o).ipnet(s)).collect();
    if allowed_prefixes.len() != specs.len() {
        return None;
    }
    if let Some(extra) = specs.get(MAX_ALLOWED_PREFIXES_PER_TGW) {
        let msg = format!(
            "{} allowed prefixes are more than the {MAX_ALLOWED_PREFIXES_PER_TGW} AWS takes for a transit gateway association (the prefixes on premises learns from one transit gateway): summarise them",
            specs.len()
        );
        c.err("dxgw-quota", extra.span(), o, msg);
        return None;
    }
    let mut tgws: Vec<TgwIdx> = c
        .net
        .tgw_attachments
        .iter()
        .filter(|x| matches!(x.kind, TgwAttachmentKind::DirectConnectGateway { dxgw: d, .. } if d == dxgw))
        .map(|x| x.tgw)
        .collect();
    tgws.sort_unstable();
    tgws.dedup();
    if !tgws.contains(&tgw) && tgws.len() >= MAX_TGWS_PER_DXGW {
        let msg = format!(
            "{} is already associated with {} transit gateways, the most AWS associates with one Direct Connect gateway",
            c.net.direct_connect_gateways[dxgw.ix()].id,
            tgws.len()
        );
        c.err("dxgw-quota", gr.span(), o, msg);
        return None;
    }
    let g = &c.net.direct_connect_gateways[dxgw.ix()];
    if let Some(v) = g.vpn_gateways.first() {
        let msg = format!(
            "{} is associated with virtual private gateway {}; AWS does not associate a Direct Connect gateway with a transit gateway while it is associated with a virtual private gateway",
            g.id, c.net.vpn_gateways[v.ix()].id
        );
        c.err("dxgw-association-mixed", gr.span(), o, msg);
        return None;
    }
    let tgw_id = &c.net.transit_gateways[tgw.ix()].id;
    if let Some(other) = c.net.tgw_attachments.iter().find(|x| {
        x.tgw == tgw
            && matches!(x.kind, TgwAttachmentKind::DirectConnectGateway { dxgw: d, .. } if d == dxgw)
    }) {
        let msg = format!(
            "{} is already associated with {tgw_id} by {}; a Direct Connect gateway is associated with a transit gateway once",
            g.id, other.id
        );
        c.err("tgw-attachment-duplicate", gr.span(), o, msg);
        return None;
    }
    Some(TgwAttachmentKind::DirectConnectGateway {
        dxgw,
        allowed_prefixes,
    })
}

fn peering_attachment(
    c: &mut Compiler<'_>,
    a: &TgwAttachmentSpec,
    tgw: TgwIdx,
    o: &str,
) -> Option<TgwAttachmentKind> {
    let Some(pr) = &a.peer_tgw else {
        c.err(
            "tgw-attachment-field",
            a.kind.span(),
            o,
            "a peering attachment needs `peer_tgw`",
        );
        return None;
    };
    let peer = c.resolve(Kind::Tgw, pr, o).map(TgwIdx)?;
    if peer == tgw {
        let msg = format!(
            "{} cannot peer with itself",
            c.net.transit_gateways[tgw.ix()].id
        );
        c.err("tgw-peering-self", pr.span(), o, msg);
        return None;
    }
    let quota = c.net.quotas.peering_attachments_per_tgw as usize;
    for g in [tgw, peer] {
        let count = c
            .net
            .tgw_attachments
            .iter()
            .filter(|x| x.tgw == g || x.peer_of(g).is_some())
            .filter(|x| matches!(x.kind, TgwAttachmentKind::Peering { .. }))
            .count();
        if count >= quota {
            let msg = format!(
                "{} already has {count} peering attachment(s), the quota per transit gateway (quotas.peering_attachments_per_tgw = {quota})",
                c.net.transit_gateways[g.ix()].id
            );
            c.err("tgw-peering-quota", pr.span(), o, msg);
            return None;
        }
    }
    Some(TgwAttachmentKind::Peering { peer })
}

/// Whether attachment `a` is attached to `tgw` (either side of a peering).
fn on_tgw(a: &TgwAttachment, tgw: TgwIdx) -> bool {
    a.tgw == tgw || a.peer_of(tgw).is_some()
}

fn table_contents(c: &mut Compiler<'_>, specs: &[TgwRouteTableSpec]) -> Explicit {
    let mut ex = Explicit {
        associated: HashSet::new(),
        propagations: Vec::new(),
    };
    let mut seen = HashSet::new();
    for t in specs {
        let id = t.id.get_ref();
        if !seen.insert(id.as_str()) {
            continue;
        }
        let Some(ti) = c.lookup(Kind::TgwRouteTable, id).map(TgwRtbIdx) else {
            continue;
        };
        let o = obj(Kind::TgwRouteTable, id);
        let tgw = c.net.tgw_route_tables[ti.ix()].tgw;
        let tgw_id = c.net.transit_gateways[tgw.ix()].id.clone();
        let attachment = |c: &mut Compiler<'_>, r: &S<String>| -> Option<TgwAttIdx> {
            let a = c.resolve(Kind::TgwAttachment, r, &o).map(TgwAttIdx)?;
            if !on_tgw(&c.net.tgw_attachments[a.ix()], tgw) {
                let other = &c.net.transit_gateways[c.net.tgw_attachments[a.ix()].tgw.ix()].id;
                let msg = format!(
                    "attachment {} belongs to {other}, not {tgw_id}; a route table only uses its own transit gateway's attachments",
                    r.get_ref()
                );
                c.err("tgw-attachment-other-tgw", r.span(), &o, msg);
                return None;
            }
            Some(a)
        };
        for r in &t.associations {
            let Some(a) = attachment(c, r) else { continue };
            if !ex.associated.insert((a, tgw)) {
                let msg = format!(
                    "attachment {} is already associated with a route table of {tgw_id}; an attachment is associated with exactly one",
                    r.get_ref()
                );
                c.err("tgw-association-duplicate", r.span(), &o, msg);
                continue;
            }
            let att = &mut c.net.tgw_attachments[a.ix()];
            if att.tgw == tgw {
                att.association = Some(ti);
            } else {
                att.peer_association = Some(ti);
            }
        }
        for r in &t.propagations {
            let Some(a) = attachment(c, r) else { continue };
            if matches!(
                c.net.tgw_attachments[a.ix()].kind,
                TgwAttachmentKind::Peering { .. }
            ) {
                let msg = format!(
                    "peering attachment {} cannot propagate routes; add static routes to it",
                    r.get_ref()
                );
                c.err("tgw-propagation-peering", r.span(), &o, msg);
                continue;
            }
            if !ex.propagations.contains(&(ti, a)) {
                ex.propagations.push((ti, a));
            }
        }
        let mut routes: Vec<TgwRoute> = Vec::new();
        for r in &t.routes {
            let Some(destination) = c.values(&o).ipnet(&r.destination) else {
                continue;
            };
            let target = if r.target.get_ref() == "blackhole" {
                TgwRouteTarget::Blackhole
            } else {
                match attachment(c, &r.target) {
                    Some(a) => TgwRouteTarget::Attachment(a),
                    None => continue,
                }
            };
            if routes.iter().any(|x| x.destination == destination) {
                let msg = format!(
                    "destination {} appears twice; a transit gateway route table has one static route per destination",
                    r.destination.get_ref()
                );
                c.err("tgw-route-duplicate", r.destination.span(), &o, msg);
                continue;
            }
            routes.push(TgwRoute {
                destination,
                target,
                propagated: false,
            });
        }
        c.net.tgw_route_tables[ti.ix()].routes = routes;
    }
    ex
}

/// Default association (every kind, each TGW side) and default propagation (VPC
/// and VPN attachments), unless the file lists the attachment explicitly.
fn defaults(c: &mut Compiler<'_>, ex: &Explicit) {
    let mut propagations = ex.propagations.clone();
    for i in 0..c.net.tgw_attachments.len() {
        let a = TgwAttIdx(i as u32);
        let att = &c.net.tgw_attachments[i];
        let sides: Vec<TgwIdx> = std::iter::once(att.tgw)
            .chain(att.peer_of(att.tgw))
            .collect();
        let peering = matches!(att.kind, TgwAttachmentKind::Peering { .. });
        for tgw in sides {
            let g = &c.net.transit_gateways[tgw.ix()];
            let (assoc, prop) = (g.default_association, g.default_propagation);
            let att = &mut c.net.tgw_attachments[i];
            if !ex.associated.contains(&(a, tgw)) {
                if att.tgw == tgw {
                    att.association = assoc;
                } else {
                    att.peer_association = assoc;
                }
            }
            if let (Some(t), false) = (prop, peering) {
                if !propagations.contains(&(t, a)) {
                    propagations.push((t, a));
                }
            }
        }
    }
    for (t, a) in propagations {
        let cidrs = attachment_cidrs(&c.net, a);
        for destination in cidrs {
            c.net.tgw_route_tables[t.ix()].routes.push(TgwRoute {
                destination,
                target: TgwRouteTarget::Attachment(a),
                propagated: true,
            });
        }
    }
}

/// The CIDRs an attachment propagates: its VPC's blocks, the on-premises
/// networks behind its VPN, or those the Direct Connect gateway learns over its
/// transit virtual interfaces.
fn attachment_cidrs(net: &Network, a: TgwAttIdx) -> Vec<IpNet> {
    match &net.tgw_attachments[a.ix()].kind {
        TgwAttachmentKind::Vpc { vpc, .. } => {
            let v = &net.vpcs[vpc.ix()];
            v.cidrs
                .iter()
                .map(|&n| IpNet::V4(n))
                .chain(v.ipv6.map(IpNet::V6))
                .collect()
        }
        TgwAttachmentKind::Vpn { vgw } => net.vpn_gateways[vgw.ix()].onprem_cidrs.clone(),
        TgwAttachmentKind::Peering { .. } => Vec::new(),
        TgwAttachmentKind::DirectConnectGateway { dxgw, .. } => net.dx_gateway_onprem_cidrs(*dxgw),
    }
}

fn route_quota(c: &mut Compiler<'_>, doc: &Document) {
    let quota = c.net.quotas.routes_per_tgw as usize;
    for (g, tg) in c.net.transit_gateways.iter().enumerate() {
        let n: usize = c
            .net
            .tgw_route_tables
            .iter()
            .filter(|t| t.tgw.ix() == g)
            .map(|t| t.routes.len())
            .sum();
        if n > quota {
            let span = doc
                .transit_gateways
                .iter()
                .find(|t| t.id.get_ref() == &tg.id)
                .map_or(0..0, |t| t.id.span());
            let msg = format!(
                "{n} routes (static and propagated) across its route tables exceed the quota of {quota} per transit gateway (quotas.routes_per_tgw)"
            );
            c.diags
                .push("tgw-route-quota", span, obj(Kind::Tgw, &tg.id), msg);
        }
    }
}
