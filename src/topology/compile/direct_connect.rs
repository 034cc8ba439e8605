//! Direct Connect gateways and connections with their virtual interfaces.
//!
//! Rules (AWS Direct Connect User Guide): a private virtual interface ends at a
//! virtual private gateway or a Direct Connect gateway, never both; its MTU is
//! 1500 or 9001 (jumbo frames). A transit virtual interface ends at a Direct
//! Connect gateway associated with a transit gateway; its MTU is 1500 or 8500.
//! A Direct Connect gateway associated with a transit gateway has no virtual
//! private gateway associations and no private virtual interfaces ("You cannot
//! attach a Direct Connect gateway to a transit gateway when the Direct Connect
//! gateway is already associated with a virtual private gateway or is attached
//! to a private virtual interface": "Direct Connect gateways and transit gateway
//! associations"). Those two checks run after the transit gateways
//! ([`transit_checks`]).

use super::super::format::{Document, DxGatewaySpec, VifSpec, S};
use super::{obj, settings, Compiler, Kind};
use crate::model::*;
use std::collections::HashMap;

/// Default one-way latency from the Direct Connect location to on premises.
const DEFAULT_DX_LATENCY_MS: f64 = 2.0;
/// Default port speed, Gbit/s.
const DEFAULT_DX_GBPS: f64 = 1.0;
/// The port speeds AWS sells, Mbit/s: hosted connections at 50, 100, 200, 300,
/// 400 and 500 Mbps and 1, 2, 5, 10 and 25 Gbps (AllocateHostedConnection's
/// `bandwidth`), dedicated connections at 1, 10, 100 and 400 Gbps. Before stop 15
/// any speed up to 400 passed, `1e-300` included, and flows over it ended
/// `incomplete`.
const DX_SPEEDS_MBPS: [u32; 13] = [
    50, 100, 200, 300, 400, 500, 1_000, 2_000, 5_000, 10_000, 25_000, 100_000, 400_000,
];

/// Whether `gbps` is one of [`DX_SPEEDS_MBPS`] (as written in Gbit/s: `0.05`, `10`).
fn sold_speed(gbps: f64) -> bool {
    DX_SPEEDS_MBPS
        .iter()
        .any(|&m| (gbps * 1000.0 - f64::from(m)).abs() < 1e-6)
}

pub fn compile(c: &mut Compiler<'_>, doc: &Document) {
    // VGW id → the Direct Connect gateway it is associated with.
    let mut associated: HashMap<&str, &str> = HashMap::new();
    for g in &doc.direct_connect_gateways {
        let id = g.id.get_ref().clone();
        let o = obj(Kind::DxGateway, &id);
        let mut ok = vgw_associations(c, g, &o, &mut associated);
        let vgws: Vec<VgwIdx> = g
            .vpn_gateways
            .iter()
            .filter_map(|r| c.resolve(Kind::Vgw, r, &o).map(VgwIdx))
            .collect();
        ok &= vgws.len() == g.vpn_gateways.len();
        if !ok || !vpcs_apart(c, g, &vgws, &o) {
            continue;
        }
        c.register(Kind::DxGateway, &id, c.net.direct_connect_gateways.len());
        c.net.direct_connect_gateways.push(DirectConnectGateway {
            id,
            vpn_gateways: vgws,
        });
    }
    for d in &doc.direct_connects {
        let id = d.id.get_ref().clone();
        let o = obj(Kind::Dx, &id);
        let cidrs: Vec<_> = d
            .onprem_cidrs
            .iter()
            .filter_map(|s| c.values(&o).ipnet(s))
            .collect();
        let mut ok = cidrs.len() == d.onprem_cidrs.len();
        ok &= bgp_routes(c, &d.onprem_cidrs, &cidrs, &o);
        let ms = d
            .latency_ms
            .as_ref()
            .map_or(DEFAULT_DX_LATENCY_MS, |m| *m.get_ref());
        let latency_ns = settings::ms_to_ns(ms);
        if latency_ns.is_none() {
            let span = d.latency_ms.as_ref().map_or(d.id.span(), |m| m.span());
            c.err("latency", span, &o, settings::latency_range("latency_ms"));
            ok = false;
        }
        let gbps = d
            .bandwidth_gbps
            .as_ref()
            .map_or(DEFAULT_DX_GBPS, |b| *b.get_ref());
        if !sold_speed(gbps) {
            let span = d.bandwidth_gbps.as_ref().map_or(d.id.span(), |b| b.span());
            let msg = format!("bandwidth_gbps = {} is not a port speed AWS sells; a Direct Connect connection runs at 1, 10, 100 or 400 Gbit/s (dedicated) or 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1, 2, 5, 10 or 25 Gbit/s (hosted)", super::values::number_text(gbps));
            c.err("dx-bandwidth", span, &o, msg);
            ok = false;
        }
        let mut vifs = Vec::new();
        for v in &d.virtual_interfaces {
            let v = v.get_ref();
            let vid = v.id.get_ref().clone();
            let vo = format!("{o} {}", obj(Kind::Vif, &vid));
            let (target, mtu) = match v.kind.get_ref().as_str() {
                "private" => (private_target(c, v, &vo), private_mtu(c, v, &vo)),
                "transit" => (transit_target(c, v, &vo), transit_mtu(c, v, &vo)),
                other => {
                    let msg = format!(
                        "unknown virtual interface kind `{other}`; expected `private` or `transit`"
                    );
                    c.err("vif-kind", v.kind.span(), &vo, msg);
                    ok = false;
                    continue;
                }
            };
            let (Some(target), Some(mtu)) = (target, mtu) else {
                ok = false;
                continue;
            };
            vifs.push(VirtualInterface {
                id: vid,
                mtu,
                target,
            });
        }
        let Some(latency_ns) = latency_ns.filter(|_| ok) else {
            continue;
        };
        c.register(Kind::Dx, &id, c.net.direct_connects.len());
        c.net.direct_connects.push(DirectConnect {
            id,
            onprem_cidrs: cidrs,
            latency_ns,
            bandwidth_bps: (gbps * 1e9).round() as u64,
            virtual_interfaces: vifs,
        });
    }
}

/// Prefixes a virtual interface's BGP session takes from on premises, per address
/// family: "If you advertise more than 100 routes each for IPv4 and IPv6 over the
/// BGP session, the BGP session will go into an idle state with the BGP session
/// DOWN" ("Direct Connect quotas"; not adjustable).
pub const MAX_ONPREM_ROUTES_PER_FAMILY: usize = 100;

/// A connection's `onprem_cidrs` are the routes every one of its virtual
/// interfaces advertises: over [`MAX_ONPREM_ROUTES_PER_FAMILY`] of one family,
/// AWS takes the BGP session down and nothing crosses (rule `dx-bgp-routes`, at
/// the first prefix too many).
fn bgp_routes(c: &mut Compiler<'_>, specs: &[S<String>], cidrs: &[ipnet::IpNet], o: &str) -> bool {
    if cidrs.len() != specs.len() {
        return true; // a prefix is broken (reported); counts would mislead
    }
    for (family, v4) in [("IPv4", true), ("IPv6", false)] {
        let of_family: Vec<usize> = (0..cidrs.len())
            .filter(|&k| matches!(cidrs[k], ipnet::IpNet::V4(_)) == v4)
            .collect();
        if let Some(&k) = of_family.get(MAX_ONPREM_ROUTES_PER_FAMILY) {
            let msg = format!(
                "{} {family} prefixes in onprem_cidrs are more than the {MAX_ONPREM_ROUTES_PER_FAMILY} a virtual interface's BGP session takes from on premises; AWS puts the session down (idle) and nothing crosses: summarise them",
                of_family.len()
            );
            c.err("dx-bgp-routes", specs[k].span(), o, msg);
            return false;
        }
    }
    true
}

/// Virtual private gateways per Direct Connect gateway: 20 ("You can associate
/// up to 20 virtual private gateways … directly to an AWS Direct Connect
/// gateway", AWS Prescriptive Guidance; "Direct Connect quotas": not adjustable).
pub const MAX_VGWS_PER_DXGW: usize = 20;

/// A Direct Connect gateway's `vpn_gateways`, as AWS associates them: each VGW
/// once (the list is a set of associations), with at most one Direct Connect
/// gateway ("The virtual private gateway must … not be associated with another
/// Direct Connect gateway", CreateDirectConnectGatewayAssociation), and at most
/// [`MAX_VGWS_PER_DXGW`]. An empty list is a gateway with no VGW association: one
/// associated with a transit gateway, or one not yet associated. Before stop 15 a
/// VGW listed twice passed. Whether the ids name VGWs is checked by the caller.
fn vgw_associations<'d>(
    c: &mut Compiler<'_>,
    g: &'d DxGatewaySpec,
    o: &str,
    associated: &mut HashMap<&'d str, &'d str>,
) -> bool {
    let mut ok = true;
    let id = g.id.get_ref().as_str();
    for (k, r) in g.vpn_gateways.iter().enumerate() {
        let vgw = r.get_ref().as_str();
        let problem = match associated.get(vgw) {
            Some(&other) if other == id => Some(format!(
                "{vgw} is listed twice; a Direct Connect gateway is associated with a virtual private gateway once"
            )),
            Some(&other) => Some(format!(
                "{vgw} is already associated with Direct Connect gateway {other}; AWS associates a virtual private gateway with one Direct Connect gateway"
            )),
            None if k == MAX_VGWS_PER_DXGW => Some(format!(
                "{} virtual private gateways are more than the {MAX_VGWS_PER_DXGW} AWS associates with one Direct Connect gateway (a quota it does not raise)",
                g.vpn_gateways.len()
            )),
            None => None,
        };
        if let Some(msg) = problem {
            c.err("dxgw-vgw-association", r.span(), o, msg);
            ok = false;
        } else {
            associated.insert(vgw, id);
        }
    }
    ok
}

/// "The VPCs to which you connect through a Direct Connect gateway cannot have
/// overlapping CIDR blocks" (Direct Connect User Guide, "Virtual private gateway
/// associations"): rule `dxgw-vpc-overlap`, at the later VGW of the list. Before
/// stop 15 two VPCs of one block behind one gateway passed. Each VGW must also be
/// attached to a VPC ("The virtual private gateway must be attached to a VPC",
/// CreateDirectConnectGatewayAssociation): rule `dxgw-vgw-association`; before
/// stop 16 a detached one passed and carried nothing.
fn vpcs_apart(c: &mut Compiler<'_>, g: &DxGatewaySpec, vgws: &[VgwIdx], o: &str) -> bool {
    let mut seen: Vec<(VgwIdx, VpcIdx)> = Vec::new();
    for (k, &v) in vgws.iter().enumerate() {
        let Some(vpc) = c.net.vpn_gateways[v.ix()].vpc else {
            let vgw = &c.net.vpn_gateways[v.ix()].id;
            let msg = format!(
                "{vgw} is not attached to a VPC; AWS associates a Direct Connect gateway only with a virtual private gateway attached to a VPC (set `vpc` on {vgw})"
            );
            c.err("dxgw-vgw-association", g.vpn_gateways[k].span(), o, msg);
            return false;
        };
        for &(w, other) in &seen {
            let (a, b) = (&c.net.vpcs[vpc.ix()], &c.net.vpcs[other.ix()]);
            let clash = a.cidrs.iter().find_map(|x| {
                b.cidrs
                    .iter()
                    .find(|y| x.contains(&y.network()) || y.contains(&x.network()))
                    .map(|y| (x, y))
            });
            if let Some((x, y)) = clash {
                let msg = format!(
                    "{x} ({} behind {}) overlaps {y} ({} behind {}); the VPCs behind one Direct Connect gateway cannot have overlapping CIDR blocks",
                    a.id,
                    c.net.vpn_gateways[v.ix()].id,
                    b.id,
                    c.net.vpn_gateways[w.ix()].id
                );
                c.err("dxgw-vpc-overlap", g.vpn_gateways[k].span(), o, msg);
                return false;
            }
        }
        seen.push((v, vpc));
    }
    true
}

fn private_target(c: &mut Compiler<'_>, v: &VifSpec, vo: &str) -> Option<VifTarget> {
    match (&v.vgw, &v.dx_gateway) {
        (Some(g), None) => c
            .resolve(Kind::Vgw, g, vo)
            .map(|g| VifTarget::Vgw(VgwIdx(g))),
        (None, Some(g)) => c
            .resolve(Kind::DxGateway, g, vo)
            .map(|g| VifTarget::DxGateway(DxgwIdx(g))),
        _ => {
            c.err("vif-target", v.id.span(), vo, "a private virtual interface ends at exactly one of `vgw` (a virtual private gateway) or `dx_gateway` (a Direct Connect gateway)");
            None
        }
    }
}

fn private_mtu(c: &mut Compiler<'_>, v: &VifSpec, vo: &str) -> Option<u16> {
    match &v.mtu {
        None => Some(DX_PRIVATE_MTU),
        Some(m) if *m.get_ref() == 1500 => Some(DX_PRIVATE_MTU),
        Some(m) if *m.get_ref() == 9001 => Some(DX_PRIVATE_JUMBO_MTU),
        Some(m) => {
            let msg = format!("MTU {} is not offered; a private virtual interface carries 1500 (default) or 9001 bytes (jumbo frames)", m.get_ref());
            c.err("vif-mtu", m.span(), vo, msg);
            None
        }
    }
}

/// A transit VIF ends at a Direct Connect gateway, never at a VGW.
fn transit_target(c: &mut Compiler<'_>, v: &VifSpec, vo: &str) -> Option<VifTarget> {
    match (&v.vgw, &v.dx_gateway) {
        (None, Some(g)) => c
            .resolve(Kind::DxGateway, g, vo)
            .map(|g| VifTarget::Transit(DxgwIdx(g))),
        (Some(g), _) => {
            c.err("vif-target", g.span(), vo, "a transit virtual interface ends at a Direct Connect gateway (`dx_gateway`) associated with a transit gateway, not at a virtual private gateway (`vgw`)");
            None
        }
        (None, None) => {
            c.err("vif-target", v.id.span(), vo, "a transit virtual interface needs `dx_gateway`: the Direct Connect gateway associated with a transit gateway");
            None
        }
    }
}

fn transit_mtu(c: &mut Compiler<'_>, v: &VifSpec, vo: &str) -> Option<u16> {
    match &v.mtu {
        None => Some(DX_TRANSIT_MTU),
        Some(m) if *m.get_ref() == 1500 => Some(DX_TRANSIT_MTU),
        Some(m) if *m.get_ref() == 8500 => Some(DX_TRANSIT_JUMBO_MTU),
        Some(m) => {
            let msg = format!("MTU {} is not offered; a transit virtual interface carries 1500 (default) or 8500 bytes (jumbo frames)", m.get_ref());
            c.err("transit-vif-mtu", m.span(), vo, msg);
            None
        }
    }
}

/// After the transit gateways: every transit VIF's Direct Connect gateway is
/// associated with a transit gateway (a `direct-connect-gateway` attachment),
/// and a Direct Connect gateway associated with a transit gateway takes no
/// private virtual interface.
pub fn transit_checks(c: &mut Compiler<'_>, doc: &Document) {
    let associated = |net: &Network, g: DxgwIdx| {
        net.tgw_attachments.iter().any(
            |a| matches!(a.kind, TgwAttachmentKind::DirectConnectGateway { dxgw, .. } if dxgw == g),
        )
    };
    for d in &doc.direct_connects {
        let o = obj(Kind::Dx, d.id.get_ref());
        for v in &d.virtual_interfaces {
            let v = v.get_ref();
            let Some(gr) = &v.dx_gateway else { continue };
            let Some(g) = c.lookup(Kind::DxGateway, gr.get_ref()).map(DxgwIdx) else {
                continue;
            };
            let vo = format!("{o} {}", obj(Kind::Vif, v.id.get_ref()));
            let gid = c.net.direct_connect_gateways[g.ix()].id.clone();
            match v.kind.get_ref().as_str() {
                "transit" if !associated(&c.net, g) => {
                    let msg = format!("{gid} is associated with no transit gateway; a transit virtual interface reaches VPCs only through a Direct Connect gateway associated with one (add a `[[tgw_attachment]]` with `kind = \"direct-connect-gateway\"` and `dx_gateway = \"{gid}\"`)");
                    c.err("transit-vif-association", gr.span(), &vo, msg);
                }
                "private" if associated(&c.net, g) => {
                    let msg = format!("{gid} is associated with a transit gateway; AWS does not attach a private virtual interface to a Direct Connect gateway associated with a transit gateway (use a transit virtual interface, or another Direct Connect gateway)");
                    c.err("dxgw-association-mixed", gr.span(), &vo, msg);
                }
                _ => {}
            }
        }
    }
}
