//! `[latency]` and `[quotas]`: AWS defaults (DESIGN.md §4), overridden by the file.

use super::super::format::Document;
use super::Compiler;
use crate::model::LatencyTable;

fn ms_to_ns(ms: f64) -> Option<u64> {
    (ms.is_finite() && ms >= 0.0).then(|| (ms * 1_000_000.0).round() as u64)
}

pub fn latency_and_quotas(c: &mut Compiler<'_>, doc: &Document) {
    if let Some(l) = &doc.latency {
        let t = &mut c.net.latency;
        let mut bad = Vec::new();
        for (v, slot, what) in [
            (&l.same_az_ms, &mut t.same_az_ns, "same_az_ms"),
            (&l.cross_az_ms, &mut t.cross_az_ns, "cross_az_ms"),
            (&l.internet_ms, &mut t.internet_ns, "internet_ms"),
            (
                &l.inter_region_default_ms,
                &mut t.inter_region_default_ns,
                "inter_region_default_ms",
            ),
        ] {
            if let Some(v) = v {
                match ms_to_ns(*v.get_ref()) {
                    Some(ns) => *slot = ns,
                    None => bad.push((what, v.span())),
                }
            }
        }
        for p in &l.region_pairs {
            let pair = p.get_ref();
            match ms_to_ns(pair.one_way_ms) {
                Some(ns) => {
                    c.net
                        .latency
                        .region_pairs
                        .insert(LatencyTable::key(&pair.a, &pair.b), ns);
                }
                None => c.err(
                    "latency",
                    p.span(),
                    "latency",
                    "one_way_ms must be a non-negative number",
                ),
            }
        }
        for (what, span) in bad {
            c.err(
                "latency",
                span,
                "latency",
                format!("{what} must be a non-negative number"),
            );
        }
    }
    if let Some(q) = &doc.quotas {
        let d = &mut c.net.quotas;
        let set = |slot: &mut u32, v: Option<u32>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut d.active_peerings_per_vpc, q.active_peerings_per_vpc);
        set(&mut d.pending_peerings_per_vpc, q.pending_peerings_per_vpc);
        set(&mut d.routes_per_table, q.routes_per_table);
        set(&mut d.nacl_rules_per_direction, q.nacl_rules_per_direction);
        set(&mut d.sg_rules_per_direction, q.sg_rules_per_direction);
        set(&mut d.sgs_per_eni, q.sgs_per_eni);
        set(&mut d.secondary_cidrs_per_vpc, q.secondary_cidrs_per_vpc);
        set(
            &mut d.conntrack_entries_per_eni,
            q.conntrack_entries_per_eni,
        );
        set(&mut d.tgws_per_vpc, q.tgws_per_vpc);
        set(&mut d.route_tables_per_tgw, q.route_tables_per_tgw);
        set(&mut d.routes_per_tgw, q.routes_per_tgw);
        set(
            &mut d.peering_attachments_per_tgw,
            q.peering_attachments_per_tgw,
        );
    }
}
