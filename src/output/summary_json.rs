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

use super::data_cost::{DataCost, PerSegment};
use super::summary::{ExpectationResult, FlowSummary, GoodputSeriesSummary, Percentiles, Summary};
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};
use std::io::{self, Write};

/// Bytes gathered before they go to the file (the writer is buffered too, but
/// one large write a chunk beats thousands of small ones).
const CHUNK: usize = 256 * 1024;

/// Write `summary` as pretty JSON with a trailing newline.
pub fn write<W: Write>(summary: &Summary, out: &mut W) -> io::Result<()> {
    let mut b = Vec::with_capacity(CHUNK + 16 * 1024);
    b.extend_from_slice(b"{\n  \"topology\": ");
    string(&mut b, &summary.topology);
    b.extend_from_slice(b",\n  \"seed\": ");
    uint(&mut b, summary.seed);
    b.extend_from_slice(b",\n  \"interrupted\": ");
    boolean(&mut b, summary.interrupted);
    b.extend_from_slice(b",\n  \"capture_truncated\": ");
    boolean(&mut b, summary.capture_truncated);
    b.extend_from_slice(b",\n  \"frames_not_captured\": ");
    uint(&mut b, summary.frames_not_captured);
    if let Some(p) = &summary.prices {
        b.extend_from_slice(b",\n  \"prices\": ");
        nested(&mut b, p, 2)?;
    }
    b.extend_from_slice(b",\n  \"flows\": [");
    for (i, f) in summary.flows.iter().enumerate() {
        b.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        flow(&mut b, f)?;
        if b.len() >= CHUNK {
            out.write_all(&b)?;
            b.clear();
        }
    }
    if !summary.flows.is_empty() {
        b.extend_from_slice(b"\n  ");
    }
    b.extend_from_slice(b"],\n  \"expectations\": ");
    nested(&mut b, &summary.expectations, 2)?;
    b.extend_from_slice(b",\n  \"totals\": ");
    nested(&mut b, &summary.totals, 2)?;
    b.extend_from_slice(b"\n}\n");
    out.write_all(&b)
}

/// One element of `flows` (its `{` at 4 spaces, its keys at 6).
fn flow(b: &mut Vec<u8>, f: &FlowSummary) -> io::Result<()> {
    b.extend_from_slice(b"{\n      \"name\": ");
    string(b, &f.name);
    b.extend_from_slice(b",\n      \"src\": ");
    string(b, &f.src);
    b.extend_from_slice(b",\n      \"dst\": ");
    string(b, &f.dst);
    b.extend_from_slice(b",\n      \"protocol\": ");
    string(b, &f.protocol);
    b.extend_from_slice(b",\n      \"sent_packets\": ");
    uint(b, f.sent_packets);
    b.extend_from_slice(b",\n      \"delivered_packets\": ");
    uint(b, f.delivered_packets);
    b.extend_from_slice(b",\n      \"dropped_packets\": ");
    uint(b, f.dropped_packets);
    b.extend_from_slice(b",\n      \"dropped_resets\": ");
    uint(b, f.dropped_resets);
    b.extend_from_slice(b",\n      \"bytes_delivered\": ");
    uint(b, f.bytes_delivered);
    b.extend_from_slice(b",\n      \"drops\": ");
    map(b, f.drops.iter(), |b, n| uint(b, *n));
    b.extend_from_slice(b",\n      \"drop_objects\": ");
    map(b, f.drop_objects.iter(), |b, s| string(b, s));
    b.extend_from_slice(b",\n      \"latency_ns\": ");
    percentiles(b, f.latency_ns.as_ref());
    if let Some(rtt) = &f.rtt_ns {
        b.extend_from_slice(b",\n      \"rtt_ns\": ");
        percentiles(b, Some(rtt));
    }
    if let Some(n) = f.responses {
        b.extend_from_slice(b",\n      \"responses\": ");
        uint(b, n);
    }
    if let Some(r) = &f.response_ns {
        b.extend_from_slice(b",\n      \"response_ns\": ");
        percentiles(b, r.as_ref());
    }
    if let Some(n) = f.completion_ns {
        b.extend_from_slice(b",\n      \"completion_ns\": ");
        uint(b, n);
    }
    if let Some(g) = f.goodput_bps {
        b.extend_from_slice(b",\n      \"goodput_bps\": ");
        float(b, g);
    }
    if let Some(s) = &f.goodput_series {
        b.extend_from_slice(b",\n      \"goodput_series\": ");
        goodput_series(b, s);
    }
    b.extend_from_slice(b",\n      \"outcome\": ");
    string(b, &f.outcome);
    b.extend_from_slice(b",\n      \"expectation\": ");
    match &f.expectation {
        Some(e) => {
            b.extend_from_slice(b"{\n        \"expected\": ");
            string(b, &e.expected);
            b.extend_from_slice(b",\n        \"met\": ");
            boolean(b, e.met);
            b.extend_from_slice(b"\n      }");
        }
        None => b.extend_from_slice(b"null"),
    }
    if !f.notes.is_empty() {
        b.extend_from_slice(b",\n      \"notes\": [");
        for (i, n) in f.notes.iter().enumerate() {
            b.extend_from_slice(if i == 0 {
                b"\n        "
            } else {
                b",\n        "
            });
            string(b, n);
        }
        b.extend_from_slice(b"\n      ]");
    }
    b.extend_from_slice(b",\n      \"in_flight_frames\": ");
    uint(b, f.in_flight_frames);
    b.extend_from_slice(b",\n      \"unaccounted_packets\": ");
    uint(b, f.unaccounted_packets);
    b.extend_from_slice(b",\n      \"path_mtu\": ");
    match f.path_mtu {
        Some(m) => uint(b, u64::from(m)),
        None => b.extend_from_slice(b"null"),
    }
    b.extend_from_slice(b",\n      \"data_cost\": ");
    data_cost(b, &f.data_cost);
    if let Some(t) = &f.timeline {
        b.extend_from_slice(b",\n      \"timeline\": ");
        nested(b, t, 6)?;
    }
    if let Some(d) = &f.dns {
        b.extend_from_slice(b",\n      \"dns\": ");
        nested(b, d, 6)?;
    }
    b.extend_from_slice(b"\n    }");
    Ok(())
}

/// A flow-level map (`drops`, `drop_objects`): keys at 8 spaces, `{}` if empty.
fn map<'a, V: 'a>(
    b: &mut Vec<u8>,
    entries: impl Iterator<Item = (&'a String, &'a V)>,
    mut value: impl FnMut(&mut Vec<u8>, &V),
) {
    let mut any = false;
    for (k, v) in entries {
        b.extend_from_slice(if any { b",\n        " } else { b"{\n        " });
        any = true;
        string(b, k);
        b.extend_from_slice(b": ");
        value(b, v);
    }
    b.extend_from_slice(if any { b"\n      }" } else { b"{}" });
}

/// A flow-level percentile object (keys at 8 spaces), or `null`.
fn percentiles(b: &mut Vec<u8>, p: Option<&Percentiles>) {
    let Some(p) = p else {
        b.extend_from_slice(b"null");
        return;
    };
    b.extend_from_slice(b"{\n        \"min\": ");
    uint(b, p.min);
    b.extend_from_slice(b",\n        \"p50\": ");
    uint(b, p.p50);
    b.extend_from_slice(b",\n        \"p90\": ");
    uint(b, p.p90);
    b.extend_from_slice(b",\n        \"p99\": ");
    uint(b, p.p99);
    b.extend_from_slice(b",\n        \"max\": ");
    uint(b, p.max);
    b.extend_from_slice(b"\n      }");
}

/// `goodput_series`, its `bytes` compact on one line.
fn goodput_series(b: &mut Vec<u8>, s: &GoodputSeriesSummary) {
    b.extend_from_slice(b"{\n        \"start_ns\": ");
    uint(b, s.start_ns);
    b.extend_from_slice(b",\n        \"bucket_ns\": ");
    uint(b, s.bucket_ns);
    b.extend_from_slice(b",\n        \"bytes\": [");
    for (i, n) in s.bytes.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        uint(b, *n);
    }
    b.extend_from_slice(b"]\n      }");
}

fn data_cost(b: &mut Vec<u8>, d: &DataCost) {
    b.extend_from_slice(b"{\n        \"bytes\": ");
    per_segment(b, &d.bytes, |b, n| uint(b, *n));
    b.extend_from_slice(b",\n        \"usd\": ");
    per_segment(b, &d.usd, |b, x| float(b, *x));
    b.extend_from_slice(b",\n        \"total_usd\": ");
    float(b, d.total_usd);
    b.extend_from_slice(b"\n      }");
}

/// `data_cost.bytes` / `data_cost.usd` (keys at 10 spaces).
fn per_segment<T>(b: &mut Vec<u8>, p: &PerSegment<T>, value: impl Fn(&mut Vec<u8>, &T)) {
    b.extend_from_slice(b"{\n          \"cross_az\": ");
    value(b, &p.cross_az);
    b.extend_from_slice(b",\n          \"tgw_processing\": ");
    value(b, &p.tgw_processing);
    b.extend_from_slice(b",\n          \"inter_region\": ");
    value(b, &p.inter_region);
    b.extend_from_slice(b",\n          \"nat_processing\": ");
    value(b, &p.nat_processing);
    b.extend_from_slice(b",\n          \"internet_egress\": ");
    value(b, &p.internet_egress);
    b.extend_from_slice(b"\n        }");
}

/// `value` pretty-printed by `serde_json`, its lines after the first indented
/// by `indent` spaces (where it sits in the file).
fn nested<T: Serialize + ?Sized>(b: &mut Vec<u8>, value: &T, indent: usize) -> io::Result<()> {
    let text = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    for line in text.split_inclusive(|&c| c == b'\n') {
        b.extend_from_slice(line);
        if line.ends_with(b"\n") {
            b.resize(b.len() + indent, b' ');
        }
    }
    Ok(())
}

/// A JSON string as `serde_json` writes it: quotes, backslashes and control
/// characters escaped; everything else (all other UTF-8) as it is.
fn string(b: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\') {
        // Rare: names are checked; leave the escapes to serde_json itself.
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *b, s);
    } else {
        b.reserve(s.len() + 2);
        b.push(b'"');
        b.extend_from_slice(s.as_bytes());
        b.push(b'"');
    }
}

fn uint(b: &mut Vec<u8>, n: u64) {
    // What serde_json's formatter writes (it uses itoa too).
    b.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// As `serde_json` writes an `f64`: shortest round-trip text, `null` if not
/// finite.
fn float(b: &mut Vec<u8>, x: f64) {
    if x == 0.0 && x.is_sign_positive() {
        // Most data costs: what the formatter writes for +0.0, without it.
        b.extend_from_slice(b"0.0");
    } else if x.is_finite() {
        let _ = CompactFormatter.write_f64(b, x);
    } else {
        b.extend_from_slice(b"null");
    }
}

fn boolean(b: &mut Vec<u8>, v: bool) {
    b.extend_from_slice(if v { b"true" } else { b"false" });
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
