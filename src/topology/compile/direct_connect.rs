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

use super::super::format::{Document, VifSpec};
use super::{obj, settings, Compiler, Kind};
use crate::model::*;

/// Default one-way latency from the Direct Connect location to on premises.
const DEFAULT_DX_LATENCY_MS: f64 = 2.0;
/// Default port speed, Gbit/s.
const DEFAULT_DX_GBPS: f64 = 1.0;
/// The fastest dedicated port AWS sells, Gbit/s.
const MAX_DX_GBPS: f64 = 400.0;

pub fn compile(c: &mut Compiler<'_>, doc: &Document) {
    for g in &doc.direct_connect_gateways {
        let id = g.id.get_ref().clone();
        let o = obj(Kind::DxGateway, &id);
        let vgws: Vec<VgwIdx> = g
            .vpn_gateways
            .iter()
            .filter_map(|r| c.resolve(Kind::Vgw, r, &o).map(VgwIdx))
            .collect();
        if vgws.len() != g.vpn_gateways.len() {
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
        if !(gbps > 0.0 && gbps <= MAX_DX_GBPS) {
            let span = d.bandwidth_gbps.as_ref().map_or(d.id.span(), |b| b.span());
            let msg = format!("bandwidth_gbps {gbps} is out of range: a Direct Connect port runs at more than 0 and at most {MAX_DX_GBPS} Gbit/s (dedicated 1, 10, 100, 400; hosted 0.05 to 25)");
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
