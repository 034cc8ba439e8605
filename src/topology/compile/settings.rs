//! `[latency]`, `[quotas]` and `[prices]`: AWS defaults (DESIGN.md §4), overridden
//! by the file.

use super::super::format::{Document, S};
use super::Compiler;
use crate::model::LatencyTable;

/// Longest one-way latency, in ms: one hour. Far beyond any real path (a
/// geostationary hop is 0.25 s), and small enough that a path's latencies, summed
/// and added to the latest start a flow may have, stay inside the virtual clock;
/// before this bound 1e308 was accepted and saturated.
pub const MAX_LATENCY_MS: f64 = 3_600_000.0;

/// A latency in ms as virtual nanoseconds, if it is a number from 0 to
/// [`MAX_LATENCY_MS`].
pub fn ms_to_ns(ms: f64) -> Option<u64> {
    (0.0..=MAX_LATENCY_MS)
        .contains(&ms)
        .then(|| (ms * 1_000_000.0).round() as u64)
}

/// The error message for a latency out of range.
pub fn latency_range(what: &str) -> String {
    format!("{what} must be a number of milliseconds from 0 to {MAX_LATENCY_MS} (one hour)")
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
                None => c.err("latency", p.span(), "latency", latency_range("one_way_ms")),
            }
        }
        for (what, span) in bad {
            c.err("latency", span, "latency", latency_range(what));
        }
    }
    if let Some(q) = &doc.quotas {
        let d = &mut c.net.quotas;
        // AWS quotas are at least 1; a 0 would forbid every such object (or, for
        // conntrack, drop every flow) rather than model a limit.
        let mut zero = Vec::new();
        let mut set = |slot: &mut u32, v: &Option<S<u32>>, key: &'static str| match v {
            Some(v) if *v.get_ref() == 0 => zero.push((key, v.span())),
            Some(v) => *slot = *v.get_ref(),
            None => {}
        };
        set(
            &mut d.active_peerings_per_vpc,
            &q.active_peerings_per_vpc,
            "active_peerings_per_vpc",
        );
        set(
            &mut d.pending_peerings_per_vpc,
            &q.pending_peerings_per_vpc,
            "pending_peerings_per_vpc",
        );
        set(
            &mut d.routes_per_table,
            &q.routes_per_table,
            "routes_per_table",
        );
        set(
            &mut d.nacl_rules_per_direction,
            &q.nacl_rules_per_direction,
            "nacl_rules_per_direction",
        );
        set(
            &mut d.sg_rules_per_direction,
            &q.sg_rules_per_direction,
            "sg_rules_per_direction",
        );
        set(&mut d.sgs_per_eni, &q.sgs_per_eni, "sgs_per_eni");
        set(
            &mut d.secondary_cidrs_per_vpc,
            &q.secondary_cidrs_per_vpc,
            "secondary_cidrs_per_vpc",
        );
        set(
            &mut d.conntrack_entries_per_eni,
            &q.conntrack_entries_per_eni,
            "conntrack_entries_per_eni",
        );
        set(&mut d.tgws_per_vpc, &q.tgws_per_vpc, "tgws_per_vpc");
        set(
            &mut d.route_tables_per_tgw,
            &q.route_tables_per_tgw,
            "route_tables_per_tgw",
        );
        set(&mut d.routes_per_tgw, &q.routes_per_tgw, "routes_per_tgw");
        set(
            &mut d.peering_attachments_per_tgw,
            &q.peering_attachments_per_tgw,
            "peering_attachments_per_tgw",
        );
        for (key, span) in zero {
            let msg = format!("{key} = 0 is not a quota AWS sets: a quota is at least 1 (0 would forbid every such object); leave it out for AWS's default");
            c.err("quota-value", span, "[quotas]", msg);
        }
    }
}

/// The most a `[prices]` entry may be, USD per GB: far above any AWS price, and
/// small enough that a run's bytes times it stay a finite number.
pub const MAX_PRICE_PER_GB: f64 = 1_000_000.0;

pub fn prices(c: &mut Compiler<'_>, doc: &Document) {
    let Some(p) = &doc.prices else { return };
    let t = &mut c.net.prices;
    let mut bad = Vec::new();
    for (v, slot, what) in [
        (
            &p.cross_az_per_gb,
            &mut t.cross_az_per_gb,
            "cross_az_per_gb",
        ),
        (
            &p.tgw_processing_per_gb,
            &mut t.tgw_processing_per_gb,
            "tgw_processing_per_gb",
        ),
        (
            &p.inter_region_per_gb,
            &mut t.inter_region_per_gb,
            "inter_region_per_gb",
        ),
        (
            &p.nat_processing_per_gb,
            &mut t.nat_processing_per_gb,
            "nat_processing_per_gb",
        ),
        (
            &p.internet_egress_per_gb,
            &mut t.internet_egress_per_gb,
            "internet_egress_per_gb",
        ),
    ] {
        if let Some(v) = v {
            let usd = *v.get_ref();
            if (0.0..=MAX_PRICE_PER_GB).contains(&usd) {
                *slot = usd;
            } else {
                bad.push((what, v.span()));
            }
        }
    }
    for (what, span) in bad {
        c.err(
            "prices",
            span,
            "prices",
            format!("{what} must be a number of US dollars per GB from 0 to {MAX_PRICE_PER_GB}"),
        );
    }
}
