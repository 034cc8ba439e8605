//! `summary.json`'s bytes, written by hand: the same text `serde_json`'s pretty
//! printer makes from [`Summary`] (two-space indent, keys in struct order,
//! optional keys left out, numbers and escapes by `serde_json`'s own formatter),
//! at a fraction of the cost. At 100,000 flows the file is 126 MB and the derived
//! serializer spent 2.4 G instructions on it (about 20 per byte: a call into the
//! writer for every indent step, key and punctuation mark); here each flow is
//! mostly constant key text copied into a buffer. `tests` keep the two equal.
//!
//! Rare, nested parts (the prices, a flow's timeline or DNS lookup, the totals)
//! are still serialized by `serde_json` and indented to their depth: JSON text
//! has no raw newline inside a string, so indenting after each newline is exact.
//!
//! [`every_field_is_written`] names every field of the structs written here, so
//! a field added to `FlowSummary` or the others stops the build until this file
//! writes it too; the tests then hold the text to serde_json's.

mod out;

use super::data_cost::{DataCost, PerSegment};
use super::summary::{ExpectationResult, FlowSummary, GoodputSeriesSummary, Percentiles, Summary};
use out::{Out, MEMOS, STRING_MEMOS};
use serde::Serialize;
use std::io::{self, Write};

/// Write `summary` as pretty JSON with a trailing newline.
pub fn write<W: Write>(summary: &Summary, w: &mut W) -> io::Result<()> {
    let mut b = Out::new();
    b.put(b"{\n  \"topology\": ");
    b.string(&summary.topology);
    b.put(b",\n  \"seed\": ");
    b.uint(summary.seed);
    b.put(b",\n  \"interrupted\": ");
    b.boolean(summary.interrupted);
    b.put(b",\n  \"capture_truncated\": ");
    b.boolean(summary.capture_truncated);
    b.put(b",\n  \"frames_not_captured\": ");
    b.uint(summary.frames_not_captured);
    if let Some(p) = &summary.prices {
        b.put(b",\n  \"prices\": ");
        nested(&mut b, p, 2)?;
    }
    b.put(b",\n  \"flows\": [");
    let mut zero_cost = ZeroCost::new();
    for (i, f) in summary.flows.iter().enumerate() {
        b.put(if i == 0 { b"\n    " } else { b",\n    " });
        flow(&mut b, f, &mut zero_cost)?;
        b.flush_if_full(w)?;
    }
    if !summary.flows.is_empty() {
        b.put(b"\n  ");
    }
    b.put(b"],\n  \"expectations\": ");
    nested(&mut b, &summary.expectations, 2)?;
    b.put(b",\n  \"totals\": ");
    nested(&mut b, &summary.totals, 2)?;
    b.put(b"\n}\n");
    b.flush(w)
}

/// [`Out::uint_memo`]'s places.
mod memo {
    pub const BYTES: usize = 0;
    pub const MIN: usize = 1;
    pub const P50: usize = 2;
    pub const BUCKET: usize = 3;
    pub const BUCKET_BYTES: usize = 4;
    const _: () = assert!(BUCKET_BYTES < super::MEMOS);
    // And [`Out::string_memo`]'s.
    pub const SRC: usize = 0;
    pub const DST: usize = 1;
    pub const PROTOCOL: usize = 2;
    pub const OUTCOME: usize = 3;
    pub const EXPECTED: usize = 4;
    const _: () = assert!(EXPECTED < super::STRING_MEMOS);
}

/// One element of `flows` (its `{` at 4 spaces, its keys at 6).
fn flow(b: &mut Out, f: &FlowSummary, zero_cost: &mut ZeroCost) -> io::Result<()> {
    b.put(b"{\n      \"name\": ");
    b.string(&f.name);
    b.put(b",\n      \"src\": ");
    b.string_memo(memo::SRC, &f.src);
    b.put(b",\n      \"dst\": ");
    b.string_memo(memo::DST, &f.dst);
    b.put(b",\n      \"protocol\": ");
    b.string_memo(memo::PROTOCOL, f.protocol);
    b.put(b",\n      \"sent_packets\": ");
    b.uint(f.sent_packets);
    b.put(b",\n      \"delivered_packets\": ");
    b.uint(f.delivered_packets);
    b.put(b",\n      \"dropped_packets\": ");
    b.uint(f.dropped_packets);
    b.put(b",\n      \"dropped_resets\": ");
    b.uint(f.dropped_resets);
    b.put(b",\n      \"bytes_delivered\": ");
    b.uint_memo(memo::BYTES, f.bytes_delivered);
    drops(b, f);
    b.put(b",\n      \"latency_ns\": ");
    percentiles(b, f.latency_ns.as_ref());
    if let Some(rtt) = &f.rtt_ns {
        b.put(b",\n      \"rtt_ns\": ");
        percentiles(b, Some(rtt));
    }
    if let Some(n) = f.responses {
        b.put(b",\n      \"responses\": ");
        b.uint(n);
    }
    if let Some(r) = &f.response_ns {
        b.put(b",\n      \"response_ns\": ");
        percentiles(b, r.as_ref());
    }
    if let Some(n) = f.completion_ns {
        b.put(b",\n      \"completion_ns\": ");
        b.uint(n);
    }
    if let Some(g) = f.goodput_bps {
        b.put(b",\n      \"goodput_bps\": ");
        b.float(g);
    }
    if let Some(s) = &f.goodput_series {
        b.put(b",\n      \"goodput_series\": ");
        goodput_series(b, s);
    }
    b.put(b",\n      \"outcome\": ");
    b.string_memo(memo::OUTCOME, f.outcome);
    b.put(b",\n      \"expectation\": ");
    match &f.expectation {
        Some(e) => {
            b.put(b"{\n        \"expected\": ");
            b.string_memo(memo::EXPECTED, &e.expected);
            b.put(b",\n        \"met\": ");
            b.boolean(e.met);
            b.put(b"\n      }");
        }
        None => b.put(b"null"),
    }
    if !f.notes.is_empty() {
        b.put(b",\n      \"notes\": [");
        for (i, n) in f.notes.iter().enumerate() {
            b.put(if i == 0 {
                b"\n        "
            } else {
                b",\n        "
            });
            b.string(n);
        }
        b.put(b"\n      ]");
    }
    b.put(b",\n      \"in_flight_frames\": ");
    b.uint(f.in_flight_frames);
    b.put(b",\n      \"unaccounted_packets\": ");
    b.uint(f.unaccounted_packets);
    b.put(b",\n      \"path_mtu\": ");
    match f.path_mtu {
        Some(m) => b.uint(u64::from(m)),
        None => b.put(b"null"),
    }
    b.put(b",\n      \"data_cost\": ");
    zero_cost.data_cost(b, &f.data_cost);
    if let Some(t) = &f.timeline {
        b.put(b",\n      \"timeline\": ");
        nested(b, t, 6)?;
    }
    if let Some(d) = &f.dns {
        b.put(b",\n      \"dns\": ");
        nested(b, d, 6)?;
    }
    b.put(b"\n    }");
    Ok(())
}

/// `drops` and `drop_objects`; both empty (a delivered flow) as one text,
/// [`NO_DROPS`].
fn drops(b: &mut Out, f: &FlowSummary) {
    if f.drops.is_empty() && f.drop_objects.is_empty() {
        b.put(NO_DROPS);
    } else {
        drops_any(b, f);
    }
}

/// What [`drops_any`] writes for two empty maps (a test holds them equal).
const NO_DROPS: &[u8] = b",\n      \"drops\": {},\n      \"drop_objects\": {}";

fn drops_any(b: &mut Out, f: &FlowSummary) {
    b.put(b",\n      \"drops\": ");
    map(b, f.drops.iter(), |b, n| b.uint(*n));
    b.put(b",\n      \"drop_objects\": ");
    map(b, f.drop_objects.iter(), |b, s| b.string(s));
}

/// A flow-level map (`drops`, `drop_objects`): keys at 8 spaces, `{}` if empty.
fn map<'a, V: 'a>(
    b: &mut Out,
    entries: impl Iterator<Item = (&'a String, &'a V)>,
    mut value: impl FnMut(&mut Out, &V),
) {
    let mut any = false;
    for (k, v) in entries {
        b.put(if any { b",\n        " } else { b"{\n        " });
        any = true;
        b.string(k);
        b.put(b": ");
        value(b, v);
    }
    b.put(if any { b"\n      }" } else { b"{}" });
}

/// A flow-level percentile object (keys at 8 spaces), or `null`.
fn percentiles(b: &mut Out, p: Option<&Percentiles>) {
    let Some(p) = p else {
        b.put(b"null");
        return;
    };
    b.put(b"{\n        \"min\": ");
    b.uint_memo(memo::MIN, p.min);
    b.put(b",\n        \"p50\": ");
    let start = b.position();
    b.uint_memo(memo::P50, p.p50);
    let p50 = start..b.position();
    // The same value again (all four, one datagram): its text copied.
    let same_or_new = |b: &mut Out, n: u64| {
        if n == p.p50 {
            b.again(p50.clone());
        } else {
            b.uint(n);
        }
    };
    b.put(b",\n        \"p90\": ");
    same_or_new(b, p.p90);
    b.put(b",\n        \"p99\": ");
    same_or_new(b, p.p99);
    b.put(b",\n        \"max\": ");
    same_or_new(b, p.max);
    b.put(b"\n      }");
}

/// `goodput_series`, its `bytes` compact on one line.
fn goodput_series(b: &mut Out, s: &GoodputSeriesSummary) {
    b.put(b"{\n        \"start_ns\": ");
    b.uint(s.start_ns);
    b.put(b",\n        \"bucket_ns\": ");
    b.uint_memo(memo::BUCKET, s.bucket_ns);
    b.put(b",\n        \"bytes\": [");
    compact_list(b, &s.bytes);
    b.put(b"]\n      }");
}

/// `n,n,…` on one line; runs of zeros (a goodput series' empty buckets
/// before its first delivery: ten of eleven values for a one-datagram flow)
/// copied whole. `compact_list_reference` in the tests is the definition.
fn compact_list(b: &mut Out, values: &[u64]) {
    let mut i = 0;
    while i < values.len() {
        if i > 0 {
            b.put(b",");
        }
        if values[i] == 0 {
            let run = values[i..].iter().take_while(|&&n| n == 0).count();
            b.zeros(run);
            i += run;
        } else {
            b.uint_memo(memo::BUCKET_BYTES, values[i]);
            i += 1;
        }
    }
}

/// `data_cost`'s text, made by [`data_cost`] itself and copied whole when a
/// flow's cost is the same to the bit: the zero cost of a flow that crossed
/// no billable segment (650 bytes of zeros), and the last other cost written
/// (flows of one size over one path cost the same; half of issue #18's
/// 100,000 flows cross an AZ, each with eleven figures and six floats to
/// format).
struct ZeroCost {
    zero: Vec<u8>,
    last: ([u64; 11], Vec<u8>),
}

/// Every figure of `d` as bits (`-0.0` is not `+0.0`: it is written with its
/// sign).
fn cost_bits(d: &DataCost) -> [u64; 11] {
    let (n, x) = (&d.bytes, &d.usd);
    [
        n.cross_az,
        n.tgw_processing,
        n.inter_region,
        n.nat_processing,
        n.internet_egress,
        x.cross_az.to_bits(),
        x.tgw_processing.to_bits(),
        x.inter_region.to_bits(),
        x.nat_processing.to_bits(),
        x.internet_egress.to_bits(),
        d.total_usd.to_bits(),
    ]
}

impl ZeroCost {
    fn new() -> Self {
        let mut b = Out::new();
        data_cost(&mut b, &DataCost::default());
        ZeroCost {
            zero: b.bytes().to_vec(),
            last: (cost_bits(&DataCost::default()), b.bytes().to_vec()),
        }
    }

    /// `d` as [`data_cost`] writes it.
    fn data_cost(&mut self, b: &mut Out, d: &DataCost) {
        let bits = cost_bits(d);
        if bits == [0; 11] {
            b.put(&self.zero);
        } else if bits == self.last.0 {
            b.put(&self.last.1);
        } else {
            let start = b.bytes().len();
            data_cost(b, d);
            self.last.0 = bits;
            self.last.1.clear();
            self.last.1.extend_from_slice(&b.bytes()[start..]);
        }
    }
}

fn data_cost(b: &mut Out, d: &DataCost) {
    b.put(b"{\n        \"bytes\": ");
    per_segment(b, &d.bytes, |b, n| b.uint(*n));
    b.put(b",\n        \"usd\": ");
    per_segment(b, &d.usd, |b, x| b.float(*x));
    b.put(b",\n        \"total_usd\": ");
    b.float(d.total_usd);
    b.put(b"\n      }");
}

/// `data_cost.bytes` / `data_cost.usd` (keys at 10 spaces).
fn per_segment<T>(b: &mut Out, p: &PerSegment<T>, value: impl Fn(&mut Out, &T)) {
    b.put(b"{\n          \"cross_az\": ");
    value(b, &p.cross_az);
    b.put(b",\n          \"tgw_processing\": ");
    value(b, &p.tgw_processing);
    b.put(b",\n          \"inter_region\": ");
    value(b, &p.inter_region);
    b.put(b",\n          \"nat_processing\": ");
    value(b, &p.nat_processing);
    b.put(b",\n          \"internet_egress\": ");
    value(b, &p.internet_egress);
    b.put(b"\n        }");
}

/// `value` pretty-printed by `serde_json`, its lines after the first indented
/// by `indent` spaces (where it sits in the file).
fn nested<T: Serialize + ?Sized>(b: &mut Out, value: &T, indent: usize) -> io::Result<()> {
    let text = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    for line in text.split_inclusive(|&c| c == b'\n') {
        b.put(line);
        if line.ends_with(b"\n") {
            b.spaces(indent);
        }
    }
    Ok(())
}

/// Takes apart each struct this file writes by hand, naming every field and
/// without `..`: a field added to one of them fails to compile here until the
/// writer above handles it. Never called.
#[allow(dead_code)]
#[rustfmt::skip]
fn every_field_is_written(
    s: &Summary, f: &FlowSummary, e: &ExpectationResult, p: &Percentiles,
    g: &GoodputSeriesSummary, d: &DataCost, seg: &PerSegment<u64>,
) {
    let Summary { topology: _, seed: _, interrupted: _, capture_truncated: _,
        frames_not_captured: _, prices: _, flows: _, expectations: _, totals: _ } = s;
    let FlowSummary { name: _, src: _, dst: _, protocol: _, sent_packets: _,
        delivered_packets: _, dropped_packets: _, dropped_resets: _, bytes_delivered: _,
        drops: _, drop_objects: _, latency_ns: _, rtt_ns: _, responses: _, response_ns: _,
        completion_ns: _, goodput_bps: _, goodput_series: _, outcome: _, expectation: _,
        notes: _, in_flight_frames: _, unaccounted_packets: _, path_mtu: _, data_cost: _,
        timeline: _, dns: _ } = f;
    let ExpectationResult { expected: _, met: _ } = e;
    let Percentiles { min: _, p50: _, p90: _, p99: _, max: _ } = p;
    let GoodputSeriesSummary { start_ns: _, bucket_ns: _, bytes: _ } = g;
    let DataCost { bytes: _, usd: _, total_usd: _ } = d;
    let PerSegment { cross_az: _, tgw_processing: _, inter_region: _, nat_processing: _,
        internet_egress: _ } = seg;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Expectation, Prices, SegmentBytes};
    use crate::output::data_cost::PricesUsed;
    use crate::output::report::{Outcome, RunTotals};
    use crate::output::summary::tests::{flow, report};
    use crate::output::summary::ExpectationResult;

    fn derived(s: &Summary) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(s).unwrap();
        v.push(b'\n');
        v
    }

    fn hand(s: &Summary) -> Vec<u8> {
        let mut v = Vec::new();
        write(s, &mut v).unwrap();
        v
    }

    /// The text made once for a zero data cost is what the general path
    /// writes, and any figure not `+0.0` (a `-0.0` too) goes the general way.
    #[test]
    fn zero_cost_is_the_general_text() {
        let mut zero = ZeroCost::new();
        let mut cases = vec![DataCost::default()];
        for i in 0..6 {
            let mut d = DataCost::default();
            *[
                &mut d.usd.cross_az,
                &mut d.usd.tgw_processing,
                &mut d.usd.inter_region,
                &mut d.usd.nat_processing,
                &mut d.usd.internet_egress,
                &mut d.total_usd,
            ][i] = -0.0;
            cases.push(d);
        }
        for i in 0..5 {
            let mut d = DataCost::default();
            *[
                &mut d.bytes.cross_az,
                &mut d.bytes.tgw_processing,
                &mut d.bytes.inter_region,
                &mut d.bytes.nat_processing,
                &mut d.bytes.internet_egress,
            ][i] = 1 << (10 * i);
            cases.push(d);
        }
        let twice: Vec<DataCost> = cases
            .iter()
            .flat_map(|d| [*d, *d, DataCost::default(), *d])
            .collect();
        for d in twice {
            let (mut fast, mut general) = (Out::new(), Out::new());
            zero.data_cost(&mut fast, &d);
            data_cost(&mut general, &d);
            assert_eq!(fast.bytes(), general.bytes(), "{d:?}");
            let via_serde = serde_json::to_string_pretty(&d)
                .unwrap()
                .replace('\n', "\n      ");
            assert_eq!(String::from_utf8_lossy(fast.bytes()), via_serde);
        }
    }

    fn compact_list_reference(values: &[u64]) -> String {
        values
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn no_drops_is_the_general_text() {
        let s = Summary::build(
            "t",
            1,
            false,
            &[report("x", Outcome::Delivered, &[])],
            &[],
            RunTotals::default(),
        );
        let mut general = Out::new();
        drops_any(&mut general, &s.flows[0]);
        assert_eq!(general.bytes(), NO_DROPS);
    }

    #[test]
    fn compact_lists_with_zero_runs() {
        let mut lists: Vec<Vec<u64>> = vec![vec![], vec![0], vec![7], vec![0, 0, 0, 200]];
        for run in [1, 2, 10, 63, 64, 65, 130] {
            lists.push([vec![0; run], vec![5]].concat());
            lists.push([vec![12], vec![0; run]].concat());
            lists.push([vec![0; run], vec![1, 0, 0, 3], vec![0; run]].concat());
        }
        for l in lists {
            let mut b = Out::new();
            compact_list(&mut b, &l);
            assert_eq!(
                String::from_utf8_lossy(b.bytes()),
                compact_list_reference(&l)
            );
        }
    }

    #[test]
    fn empty_run_matches_serde() {
        let s = Summary::build("t", 1, false, &[], &[], RunTotals::default());
        assert_eq!(String::from_utf8(hand(&s)), String::from_utf8(derived(&s)));
    }

    /// Every optional key present, absent and `null`, odd strings and floats:
    /// the hand-written text is byte for byte serde_json's.
    #[test]
    fn every_shape_matches_serde() {
        let mut reports = vec![
            report("plain", Outcome::Delivered, &[]),
            report(
                "tab\there \"quoted\" \\ é",
                Outcome::Dropped,
                &[("SG_NO_MATCH", 1), ("NACL_DENY", 2)],
            ),
            report("third", Outcome::Delivered, &[("NO_ROUTE", 3)]),
        ];
        reports[1]
            .drop_objects
            .insert("NACL_DENY".into(), "acl-1 rule \u{1} 100".into());
        reports[2].rtt_ns = Some(reports[0].latency_ns.clone());
        reports[2].responses = Some(7);
        reports[2].response_ns = Some(crate::output::LatencyHistogram::new());
        reports[2].completion_ns = Some(123_456_789);
        reports[2].goodput_bps = Some(1234.5678e9);
        reports[2].notes = vec!["first note".into(), "second\nnote".into()];
        reports[2].path_mtu = Some(1500);
        reports[2].expectation = Some(("dropped:NO_ROUTE".into(), true));
        let mut bytes = SegmentBytes::default();
        let charges = crate::model::Charges::default().with(crate::model::Segment::CrossAz);
        bytes.add(charges, 1_000_003);
        bytes.add(charges.with(crate::model::Segment::InternetEgress), 77);
        reports[2].data_cost = DataCost::of(&bytes, &Prices::default());
        reports[0].goodput_bps = Some(0.0);
        let flows = vec![flow("plain", Some(Expectation::Delivered))];
        let totals = RunTotals {
            events: 10,
            frames: 8,
            sim_time_ns: 5,
            wall_time_s: 0.123456789,
            conservation: Default::default(),
        };
        let mut s = Summary::build("demo \"x\"", 7, true, &reports, &flows, totals);
        s.prices = Some(PricesUsed::of(&Prices::default()));
        s.flows[1].goodput_series = Some(GoodputSeriesSummary {
            start_ns: 5,
            bucket_ns: 10,
            bytes: vec![0, 3, 99],
        });
        s.flows[0].goodput_series = Some(GoodputSeriesSummary {
            start_ns: 0,
            bucket_ns: 1,
            bytes: vec![],
        });
        s.flows[0].expectation = Some(ExpectationResult {
            expected: "delivered".into(),
            met: false,
        });
        s.flows[1].goodput_bps = Some(f64::NAN);
        s.flows[0].data_cost.usd.cross_az = -0.0;
        s.flows[1].timeline = Some(crate::output::timeline::FlowTimeline {
            steps: vec![crate::output::timeline::TimelineStep {
                at_ms: 0.0,
                outcome: "delivered".into(),
                change: None,
            }],
            windows: vec![],
        });
        assert_eq!(String::from_utf8(hand(&s)), String::from_utf8(derived(&s)));
    }
}
