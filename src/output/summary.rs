//! `summary.json`: per-flow statistics (ns-3 FlowMonitor-like) and run totals, with
//! each flow's expectation checked. Serialized from structs, so keys keep the order
//! below and the same run writes the same bytes — except `totals.wall_time_s`, the
//! one field measured on the host's clock (determinism checks mask it).

use super::data_cost::{DataCost, PricesUsed};
use super::goodput::GoodputSeries;
use super::histogram::LatencyHistogram;
use super::report::{FlowReport, RunTotals};
use crate::model::{DropReason, Expectation, Flow};
use crate::policy::fxhash::FxBuild;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The whole file.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub topology: String,
    pub seed: u64,
    /// True when the run was stopped (Ctrl-C, SIGTERM) before its traffic finished
    /// or before its histogram files were all written.
    pub interrupted: bool,
    /// Captures stopped at the `--max-capture` limit (set by the recorder).
    pub capture_truncated: bool,
    /// Frames seen at capture points, and dropped frames, after captures stopped:
    /// counted everywhere else, but in no capture file.
    pub frames_not_captured: u64,
    /// The prices data costs are estimated with (set by the recorder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<PricesUsed>,
    pub flows: Vec<FlowSummary>,
    pub expectations: ExpectationTotals,
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlowSummary {
    pub name: String,
    /// Shared by every flow between the same hosts ([`Interned`]).
    #[serde(serialize_with = "shared_str")]
    pub src: Arc<str>,
    #[serde(serialize_with = "shared_str")]
    pub dst: Arc<str>,
    /// `&'static`, as in the report: one allocation less a flow (issue #18).
    pub protocol: &'static str,
    pub sent_packets: u64,
    pub delivered_packets: u64,
    pub dropped_packets: u64,
    /// Dropped RSTs and ICMP errors generated in reply to the flow's packets
    /// (not in `dropped_packets`).
    pub dropped_resets: u64,
    pub bytes_delivered: u64,
    /// Reason code → count, sorted by code (resets included).
    pub drops: BTreeMap<String, u64>,
    /// Reason code → the object that made the first such drop.
    pub drop_objects: BTreeMap<String, String>,
    /// `null` when nothing was delivered.
    pub latency_ns: Option<Percentiles>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ns: Option<Percentiles>,
    /// TCP request/response: responses received in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses: Option<u64>,
    /// TCP request/response: response time per request (`null` if none came back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_ns: Option<Option<Percentiles>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_ns: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goodput_bps: Option<f64>,
    /// TCP and UDP: bytes delivered per interval of virtual time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goodput_series: Option<GoodputSeriesSummary>,
    /// `&'static`, as the report's outcome spells it: one allocation less a
    /// flow (issue #18).
    pub outcome: &'static str,
    /// `null` when the flow has no `expect`.
    pub expectation: Option<ExpectationResult>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The flow's frames on a link or in a queue when the run ended.
    pub in_flight_frames: u64,
    /// Packets neither delivered, dropped with a reason, nor in flight: 0 unless
    /// peeremu has a defect (see `totals.conservation`).
    pub unaccounted_packets: u64,
    /// The path MTU the source learned from ICMP (`null`: none learned).
    pub path_mtu: Option<u16>,
    /// Estimated data cost of the flow's bytes (both directions) at `prices`.
    pub data_cost: DataCost,
    /// Runs with `[[change]]` or `expect_windows` only: how the outcome changed
    /// over time and what each window saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<super::timeline::FlowTimeline>,
    /// A flow to a DNS name: the lookup its source made first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<crate::route53::lookup::DnsSummary>,
}

/// A flow's goodput over time: `bytes[i]` application bytes were delivered
/// between `start_ns + i × bucket_ns` and the next bucket's start (see
/// [`super::goodput`]); the bytes add up to `bytes_delivered`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoodputSeriesSummary {
    /// Virtual time the first bucket starts at (the flow's `start`).
    pub start_ns: u64,
    pub bucket_ns: u64,
    /// Up to the last bucket with a delivery (at most 64 values), written on one
    /// line.
    #[serde(serialize_with = "one_line")]
    pub bytes: Vec<u64>,
}

impl GoodputSeriesSummary {
    pub fn of(s: &GoodputSeries) -> Self {
        GoodputSeriesSummary {
            start_ns: s.origin_ns(),
            bucket_ns: s.width_ns(),
            bytes: s.buckets(),
        }
    }
}

fn shared_str<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

/// One `Arc<str>` per distinct text: 100,000 flows between 1,000 hosts made
/// 200,000 copies of their names (one allocation each, 240 instructions,
/// and as many frees at exit); a look-up and a reference count cost about
/// a quarter of that (issue #18).
#[derive(Default)]
struct Interned<'a>(HashMap<&'a str, Arc<str>, FxBuild>);

impl<'a> Interned<'a> {
    fn get(&mut self, text: &'a str) -> Arc<str> {
        self.0
            .entry(text)
            .or_insert_with(|| Arc::from(text))
            .clone()
    }
}

/// A list of numbers as compact JSON inside the pretty-printed file (one value a
/// line would make a TCP flow 64 lines longer).
fn one_line<S: serde::Serializer>(v: &[u64], s: S) -> Result<S::Ok, S::Error> {
    let text = serde_json::to_string(v).map_err(serde::ser::Error::custom)?;
    let raw = serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
    raw.serialize(s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

impl Percentiles {
    /// `None` for an empty histogram. A histogram of one slot (a one-datagram
    /// flow; 100,000 of them in issue #18's run) skips the quantile walk:
    /// every quantile above 0 is that slot's highest equivalent value, which
    /// is `max` ([`Percentiles::of_any`] is the definition; the tests hold
    /// the two equal).
    pub fn of(h: &LatencyHistogram) -> Option<Percentiles> {
        if h.is_empty() {
            return None;
        }
        if h.is_one_slot() {
            let max = h.max();
            return Some(Percentiles {
                min: h.min(),
                p50: max,
                p90: max,
                p99: max,
                max,
            });
        }
        Self::of_any(h)
    }

    /// The percentiles of any histogram, by its quantile walk.
    fn of_any(h: &LatencyHistogram) -> Option<Percentiles> {
        if h.is_empty() {
            return None;
        }
        let [p50, p90, p99] = h.values_at_quantiles([0.5, 0.9, 0.99]);
        Some(Percentiles {
            min: h.min(),
            p50,
            p90,
            p99,
            max: h.max(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectationResult {
    /// As written in the topology: `delivered` or `dropped:REASON` (the
    /// common texts borrowed, not allocated for each flow: [`expected_text`]).
    pub expected: Cow<'static, str>,
    pub met: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExpectationTotals {
    pub checked: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Totals {
    pub events: u64,
    pub frames: u64,
    pub sim_time_ns: u64,
    /// Host time the run took; differs between runs.
    pub wall_time_s: f64,
    /// Frame conservation, checked by the run itself (DESIGN.md §3): `holds` is
    /// false only through a peeremu defect, and the run then warns loudly.
    pub conservation: super::Conservation,
}

impl From<RunTotals> for Totals {
    fn from(t: RunTotals) -> Self {
        Totals {
            events: t.events,
            frames: t.frames,
            sim_time_ns: t.sim_time_ns,
            wall_time_s: t.wall_time_s,
            conservation: t.conservation,
        }
    }
}

/// How an expectation is spelled in the topology file.
pub fn expectation_text(e: Expectation) -> String {
    e.text()
}

/// `text` as [`ExpectationResult::expected`]: the texts most flows share
/// borrowed, others copied (100,000 flows expecting `delivered` made 100,000
/// copies of it; issue #18).
pub fn expected_text(text: &str) -> Cow<'static, str> {
    match text {
        "delivered" => Cow::Borrowed("delivered"),
        "dropped" => Cow::Borrowed("dropped"),
        "nxdomain" => Cow::Borrowed("nxdomain"),
        _ => Cow::Owned(text.to_string()),
    }
}

/// Whether a flow did what its `expect` said.
/// - `delivered`: the outcome is `delivered` (every packet, or every TCP byte).
/// - `dropped:R`: the flow did not fully deliver and at least one of its packets was
///   dropped for reason `R` (a TCP flow black-holed by MTU may have delivered its
///   handshake, so "nothing delivered" would be too strict); `dropped:A|B` for A
///   or B, `dropped` for any reason.
pub fn expectation_met(e: Expectation, r: &FlowReport) -> bool {
    let seen = r
        .drops
        .iter()
        .filter(|(_, &n)| n > 0)
        .filter_map(|(code, _)| code.parse::<DropReason>().ok());
    e.met_by_outcome(r.outcome.as_str(), seen)
}

impl Summary {
    /// Build the summary. A report's own `expectation` wins; otherwise the flow of the
    /// same name in `flows` supplies `expect` and it is checked here.
    pub fn build(
        topology: &str,
        seed: u64,
        interrupted: bool,
        reports: &[FlowReport],
        flows: &[Flow],
        totals: RunTotals,
    ) -> Summary {
        // By name, first of each (as a linear `find` would): 100k flows without
        // `expect` took seconds to match one by one, and writing outputs after
        // an interrupt should take a moment.
        let mut by_name: BTreeMap<&str, &Flow> = BTreeMap::new();
        if reports.iter().any(|r| r.expectation.is_none()) {
            for f in flows {
                by_name.entry(f.name.as_str()).or_insert(f);
            }
        }
        let lookups: BTreeMap<&str, &crate::route53::DnsLookup> = flows
            .iter()
            .filter_map(|f| Some((f.name.as_str(), f.dns.as_deref()?)))
            .collect();
        let mut hosts = Interned::default();
        let flows: Vec<FlowSummary> = reports
            .iter()
            .map(|r| {
                let expectation = match &r.expectation {
                    Some((expected, met)) => Some(ExpectationResult {
                        expected: expected_text(expected),
                        met: *met,
                    }),
                    None => by_name
                        .get(r.name.as_str())
                        .and_then(|f| f.expect)
                        .map(|e| ExpectationResult {
                            expected: Cow::Owned(expectation_text(e)),
                            met: expectation_met(e, r),
                        }),
                };
                FlowSummary {
                    name: r.name.clone(),
                    src: hosts.get(&r.src),
                    dst: hosts.get(&r.dst),
                    protocol: r.protocol,
                    sent_packets: r.sent_packets,
                    delivered_packets: r.delivered_packets,
                    dropped_packets: r.dropped_packets,
                    dropped_resets: r.dropped_resets,
                    bytes_delivered: r.bytes_delivered,
                    drops: r.drops.clone(),
                    drop_objects: r.drop_objects.clone(),
                    latency_ns: Percentiles::of(&r.latency_ns),
                    rtt_ns: r.rtt_ns.as_ref().and_then(Percentiles::of),
                    responses: r.responses,
                    response_ns: r.response_ns.as_ref().map(Percentiles::of),
                    completion_ns: r.completion_ns,
                    goodput_bps: r.goodput_bps.filter(|g| g.is_finite()),
                    goodput_series: r.goodput_series.as_ref().map(GoodputSeriesSummary::of),
                    outcome: r.outcome.as_str(),
                    expectation,
                    // An empty list without `clone`'s call (most flows).
                    notes: if r.notes.is_empty() {
                        Vec::new()
                    } else {
                        r.notes.clone()
                    },
                    in_flight_frames: r.in_flight_frames,
                    unaccounted_packets: r.unaccounted_packets,
                    path_mtu: r.path_mtu,
                    data_cost: r.data_cost,
                    timeline: r.timeline.clone(),
                    dns: lookups
                        .get(r.name.as_str())
                        .map(|l| crate::route53::lookup::DnsSummary::of(l)),
                }
            })
            .collect();
        let checked = flows.iter().filter(|f| f.expectation.is_some()).count() as u64;
        let failed = flows
            .iter()
            .filter(|f| f.expectation.as_ref().is_some_and(|e| !e.met))
            .count() as u64;
        Summary {
            topology: topology.to_string(),
            seed,
            interrupted,
            capture_truncated: false,
            frames_not_captured: 0,
            prices: None,
            flows,
            expectations: ExpectationTotals { checked, failed },
            totals: totals.into(),
        }
    }

    /// Flows whose expectation was not met.
    pub fn failed_expectations(&self) -> impl Iterator<Item = &FlowSummary> {
        self.flows
            .iter()
            .filter(|f| f.expectation.as_ref().is_some_and(|e| !e.met))
    }

    /// [`Summary::to_json`]'s bytes, streamed to `out`: 100k flows make a
    /// 120 MB text, which need not be held in memory (twice, while it grows).
    /// Written by hand ([`super::summary_json`]), byte for byte what the derived
    /// `Serialize` gives `serde_json::to_writer_pretty`.
    pub fn write_json<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        super::summary_json::write(self, out)
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut v = Vec::new();
        // Writing plain structs, strings and numbers to a Vec cannot fail, and
        // the text is UTF-8 (from `&str`s and ASCII).
        let _ = self.write_json(&mut v);
        String::from_utf8(v).unwrap_or_default()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{DropReason, Endpoint, EniIdx, FlowKind};
    use crate::output::report::Outcome;

    pub(crate) fn report(name: &str, outcome: Outcome, drops: &[(&str, u64)]) -> FlowReport {
        let mut latency_ns = LatencyHistogram::new();
        if outcome != Outcome::Dropped {
            for v in [100_000u64, 110_000, 120_000, 40_000_000] {
                latency_ns.record(v);
            }
        }
        let dropped: u64 = drops.iter().map(|d| d.1).sum();
        FlowReport {
            name: name.to_string(),
            src: "web".into(),
            dst: "db".into(),
            protocol: "udp",
            sent_packets: 4 + dropped,
            delivered_packets: if outcome == Outcome::Dropped { 0 } else { 4 },
            dropped_packets: dropped,
            dropped_resets: 0,
            bytes_delivered: 400,
            drops: drops.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            drop_objects: Default::default(),
            latency_ns,
            rtt_ns: None,
            response_ns: None,
            responses: None,
            completion_ns: None,
            goodput_bps: None,
            goodput_series: None,
            outcome,
            expectation: None,
            notes: vec![],
            in_flight_frames: 0,
            unaccounted_packets: 0,
            path_mtu: None,
            data_cost: Default::default(),
            timeline: None,
        }
    }

    pub(crate) fn flow(name: &str, expect: Option<Expectation>) -> Flow {
        Flow {
            name: name.into(),
            kind: FlowKind::Udp,
            src: Endpoint::Eni(EniIdx(0)),
            dst: Endpoint::Eni(EniIdx(1)),
            port: 5432,
            size: 100,
            count: 4,
            bytes: 0,
            rate_pps: 10.0,
            start_ns: 0,
            df: false,
            ipv6: false,
            expect,
            request_response: None,
            dns: None,
        }
    }

    /// The one-slot shortcut gives what the quantile walk gives, for one
    /// value or many in one slot at every magnitude; histograms of two slots
    /// take the walk.
    #[test]
    fn one_slot_percentiles_match_the_walk() {
        let mut values = vec![0u64, 1, 2, 999, 1000, 1023, 1024, 2047, 2048, 2049];
        let mut v = 3u64;
        while v < super::super::histogram::HISTOGRAM_MAX_NS {
            values.extend([v, v + 1, v * 2 - 1]);
            v = v * 3 + 1;
        }
        for &v in &values {
            for repeats in [1, 2, 7] {
                let mut h = LatencyHistogram::new();
                for _ in 0..repeats {
                    h.record(v);
                }
                assert_eq!(
                    Percentiles::of(&h),
                    Percentiles::of_any(&h),
                    "{v} x{repeats}"
                );
                // A neighbour in the same slot or the next.
                h.record(v + v / 1000 + 1);
                assert_eq!(Percentiles::of(&h), Percentiles::of_any(&h), "{v} and next");
                h.record(v * 5 + 3);
                assert_eq!(Percentiles::of(&h), Percentiles::of_any(&h), "{v} and far");
            }
        }
        assert_eq!(Percentiles::of(&LatencyHistogram::new()), None);
    }

    #[test]
    fn hosts_are_shared() {
        let reports = [
            report("a", Outcome::Delivered, &[]),
            report("b", Outcome::Delivered, &[]),
        ];
        let s = Summary::build("t", 1, false, &reports, &[], RunTotals::default());
        assert!(Arc::ptr_eq(&s.flows[0].src, &s.flows[1].src));
        assert_eq!((&*s.flows[1].src, &*s.flows[1].dst), ("web", "db"));
        let mut hosts = Interned::default();
        let texts = [
            "a",
            "b",
            "a",
            "a",
            "c",
            "b",
            "i-spoke-1-1",
            "i-spoke-2-1",
            "i-spoke-1-1",
            "i-spoke-1",
            "",
            "i-spoke-2-1",
            "",
        ];
        let got: Vec<Arc<str>> = texts.iter().map(|t| hosts.get(t)).collect();
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(&*got[i], *t);
            let first = texts.iter().position(|x| x == t).unwrap();
            assert!(Arc::ptr_eq(&got[i], &got[first]), "{t}");
        }
    }

    #[test]
    fn common_expected_texts_are_borrowed() {
        for t in ["delivered", "dropped", "nxdomain"] {
            assert!(matches!(expected_text(t), Cow::Borrowed(b) if b == t));
        }
        assert_eq!(expected_text("dropped:NO_ROUTE"), "dropped:NO_ROUTE");
    }

    #[test]
    fn expectations_are_checked() {
        let ok = report("ok", Outcome::Delivered, &[]);
        let denied = report("denied", Outcome::Dropped, &[("NACL_DENY", 3)]);
        assert!(expectation_met(Expectation::Delivered, &ok));
        assert!(!expectation_met(Expectation::Delivered, &denied));
        assert!(expectation_met(
            Expectation::Dropped(DropReason::NaclDeny),
            &denied
        ));
        assert!(!expectation_met(
            Expectation::Dropped(DropReason::SgNoMatch),
            &denied
        ));
        assert!(!expectation_met(
            Expectation::Dropped(DropReason::NaclDeny),
            &ok
        ));
        assert_eq!(
            expectation_text(Expectation::Dropped(DropReason::NaclDeny)),
            "dropped:NACL_DENY"
        );
    }

    #[test]
    fn json_shape_and_key_order() {
        let reports = vec![
            report("web-db", Outcome::Delivered, &[]),
            report(
                "blocked",
                Outcome::Dropped,
                &[("SG_NO_MATCH", 1), ("NACL_DENY", 2)],
            ),
        ];
        let flows = vec![
            flow("web-db", Some(Expectation::Delivered)),
            flow("blocked", Some(Expectation::Delivered)),
        ];
        let totals = RunTotals {
            events: 10,
            frames: 8,
            sim_time_ns: 5,
            wall_time_s: 0.25,
            conservation: Default::default(),
        };
        let s = Summary::build("demo", 7, false, &reports, &flows, totals);
        assert_eq!(
            s.expectations,
            ExpectationTotals {
                checked: 2,
                failed: 1
            }
        );
        assert_eq!(
            s.failed_expectations()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["blocked"]
        );
        let json = s.to_json();
        let mut streamed = Vec::new();
        s.write_json(&mut streamed).unwrap();
        assert_eq!(streamed, json.as_bytes());
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let f0 = &v["flows"][0];
        assert_eq!(f0["latency_ns"]["p50"], 110_015); // HdrHistogram's equivalent value
        assert_eq!(f0["latency_ns"]["min"], 99_968); // lowest equivalent value
        assert_eq!(f0["expectation"]["met"], true);
        assert_eq!(v["flows"][1]["latency_ns"], serde_json::Value::Null);
        assert_eq!(v["flows"][1]["drops"]["NACL_DENY"], 2);
        assert_eq!(v["totals"]["wall_time_s"], 0.25);
        assert_eq!(v["interrupted"], false);
        // Keys in the documented order, optional ones absent.
        let keys: Vec<&str> = f0.as_object().unwrap().keys().map(String::as_str).collect();
        let pos = |k: &str| json.find(&format!("\"{k}\"")).unwrap();
        assert!(
            pos("name") < pos("src")
                && pos("drops") < pos("latency_ns")
                && pos("outcome") < pos("expectation")
        );
        assert!(!keys.contains(&"rtt_ns") && !keys.contains(&"notes"));
        // NACL_DENY sorts before SG_NO_MATCH whatever the insertion order.
        assert!(json.find("NACL_DENY").unwrap() < json.find("SG_NO_MATCH").unwrap());
    }

    #[test]
    fn report_expectation_wins_over_flow() {
        let mut r = report("x", Outcome::Delivered, &[]);
        r.expectation = Some(("dropped:NO_ROUTE".into(), false));
        let s = Summary::build(
            "t",
            1,
            false,
            &[r],
            &[flow("x", Some(Expectation::Delivered))],
            RunTotals::default(),
        );
        assert_eq!(
            s.flows[0].expectation,
            Some(ExpectationResult {
                expected: "dropped:NO_ROUTE".into(),
                met: false
            })
        );
    }
}
