//! A ping/UDP flow's sending schedule must end inside the virtual clock: its last
//! packet leaves at `start + (count - 1) / rate`, which with the largest `count`
//! and the slowest rate is 136,000 years — far past the 584 years u64 nanoseconds
//! hold. Such a flow could never finish; it is refused rather than left to
//! saturate the clock.

use super::super::format::FlowSpec;
use super::Compiler;
use crate::model::{FlowKind, MAX_VIRTUAL_NS};

/// The gap between two sends at `rate_pps`, as the simulation computes it.
fn interval_ns(rate_pps: f64) -> f64 {
    (1e9 / rate_pps).round().max(1.0)
}

/// Report a ping/UDP flow whose last packet would leave after `MAX_VIRTUAL_NS`.
pub(super) fn check(
    c: &mut Compiler<'_>,
    f: &FlowSpec,
    o: &str,
    kind: FlowKind,
    count: u64,
    rate_pps: f64,
    start_ns: u64,
) -> bool {
    if kind == FlowKind::Tcp || count == 0 {
        return true;
    }
    // In f64: the product may exceed u64 (and is only compared).
    let last_ns = start_ns as f64 + (count - 1) as f64 * interval_ns(rate_pps);
    if last_ns <= MAX_VIRTUAL_NS as f64 {
        return true;
    }
    let span = f
        .count
        .as_ref()
        .map(|s| s.span())
        .or_else(|| f.rate_pps.as_ref().map(|s| s.span()))
        .unwrap_or_else(|| f.name.span());
    c.err(
        "flow-schedule",
        span,
        o,
        format!(
            "{count} packets at {rate_pps} per second starting at {} s end after {:.3e} s of virtual time, beyond the {:e} s the clock allows; send fewer packets or faster",
            start_ns as f64 / 1e9,
            last_ns / 1e9,
            MAX_VIRTUAL_NS as f64 / 1e9
        ),
    );
    false
}
