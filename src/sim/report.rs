//! From counters to [`FlowReport`]s: outcome, expectation check and plain-language
//! notes.
//!
//! Outcome rules (the README's `outcome` says the same):
//! * ping/UDP: `delivered` when every packet of the flow was sent and arrived
//!   (ping: every reply came back). Otherwise, when the run ended (`--duration`,
//!   Ctrl-C) before the flow finished (a packet not yet sent, or the reply timeout
//!   / receive linger after the last one not over) and none of its frames was
//!   dropped: `incomplete`. Otherwise `dropped` when none arrived, else `partial`.
//! * TCP: `delivered` when every byte was acknowledged (request/response: every
//!   response read). When the connection never opened: `dropped` once the client
//!   gave up (stall timeout or reset) or, if the run ended first, when one of the
//!   flow's frames was dropped. Otherwise, a connection that made no acknowledged
//!   progress for the stall timeout or was reset: `stalled`; one still under way
//!   (or not yet opened) when the run ended: `incomplete`.
//!
//! Expectations: `delivered` is met iff the outcome is `delivered` (so a flow cut
//! short fails it). `dropped:REASON` is met iff the outcome is not `delivered` and
//! at least one of the flow's frames (either direction, or an ICMP error about
//! them) was dropped for REASON — so a flow dropped for a different reason than
//! expected fails, which is what a CI check wants. `dropped:A|B`: for A or B;
//! `dropped`: for any reason (still at least one drop: a flow merely cut short
//! by the end of the run is not "dropped").

use crate::host::{FlowPlan, FlowStats, TcpEnd};
use crate::model::{DropReason, FlowKind, Network, SegmentBytes};
use crate::output::conservation::unaccounted_packets;
use crate::output::data_cost::DataCost;
use crate::output::timeline::FlowTimeline;
use crate::output::{FlowReport, Outcome};
use std::collections::BTreeMap;

use super::setup::endpoint_name;
use crate::output::goodput::GoodputSeries;
use crate::output::LatencyHistogram;

/// What the engine counts per flow beside the hosts: drops, frames in flight,
/// bytes carried over billable segments.
#[derive(Debug, Clone, Default)]
pub struct FlowDrops {
    /// Every dropped frame of the flow by reason, resets included.
    pub by_reason: BTreeMap<DropReason, u64>,
    /// The flow's own packets dropped (either direction; not resets).
    pub total: u64,
    /// Dropped TCP RSTs and ICMP errors about the flow's packets: frames generated
    /// in reply, not the flow's data (so `sent ≥ dropped` holds for one direction).
    pub resets: u64,
    /// The object of the first drop for each reason (`acl-db rule * inbound`).
    pub objects: BTreeMap<DropReason, String>,
    /// The first ICMP fragmentation-needed / packet-too-big about this flow that was
    /// dropped, and by what.
    pub icmp_too_big_dropped: Option<String>,
    /// The flow's generator finished (engine bookkeeping).
    pub finished: bool,
    /// The flow's frames still on a link or in a queue when the run ended.
    pub in_flight: u64,
    /// IP bytes of the flow's frames carried over each billable segment.
    pub segment_bytes: SegmentBytes,
    /// Per reason a receiving host discarded frames of this flow for: the first
    /// such drop's object and fix hint.
    pub host_notes: BTreeMap<DropReason, String>,
}

impl FlowDrops {
    pub fn count(&mut self, reason: DropReason) {
        *self.by_reason.entry(reason).or_insert(0) += 1;
        self.total += 1;
    }

    /// Any of the flow's frames was dropped (its own, or a reset).
    pub fn any(&self) -> bool {
        self.total + self.resets > 0
    }

    /// A dropped RST or ICMP error about the flow (see `resets`).
    pub fn count_reset(&mut self, reason: DropReason) {
        *self.by_reason.entry(reason).or_insert(0) += 1;
        self.resets += 1;
    }

    /// Remember what dropped a frame for `reason`, the first time (drops are the
    /// rare path: one string per reason and flow).
    pub fn note_object(&mut self, reason: DropReason, detail: &str) {
        self.objects
            .entry(reason)
            .or_insert_with(|| detail.to_string());
    }
}

/// A flow's expectation with its `expect_windows` folded in: the text lists each
/// window (`0-1000 ms delivered`), and it is met only if every window is.
fn with_windows(
    e: Option<(String, bool)>,
    timeline: Option<&FlowTimeline>,
) -> Option<(String, bool)> {
    let windows = timeline.map_or(&[][..], |t| &t.windows[..]);
    if windows.is_empty() {
        return e;
    }
    let (mut text, mut met) = e.map_or((Vec::new(), true), |(t, m)| (vec![t], m));
    for w in windows {
        let until = w.until_ms.map_or("end".to_string(), |u| format!("{u} ms"));
        text.push(format!("{} ms-{until}: {}", w.from_ms, w.expected));
        met &= w.met;
    }
    Some((text.join("; "), met))
}

fn outcome(plan: &FlowPlan, st: &FlowStats, d: &FlowDrops) -> Outcome {
    match plan.kind {
        FlowKind::Tcp => match st.tcp_end {
            Some(TcpEnd::Completed) => Outcome::Delivered,
            Some(_) if !st.tcp_connected => Outcome::Dropped,
            Some(_) => Outcome::Stalled,
            // The run ended first: SYNs seen dropped say more than "incomplete".
            None if !st.tcp_connected && d.any() => Outcome::Dropped,
            None => Outcome::Incomplete,
        },
        _ => {
            let all_sent = st.sent_packets >= plan.count;
            if all_sent && st.delivered_packets >= st.sent_packets {
                Outcome::Delivered
            } else if !st.done && !d.any() {
                // What is missing was never sent or may still be on its way.
                Outcome::Incomplete
            } else if st.delivered_packets == 0 {
                Outcome::Dropped
            } else {
                Outcome::Partial
            }
        }
    }
}

fn notes(
    plan: &FlowPlan,
    st: &FlowStats,
    d: &FlowDrops,
    outcome: Outcome,
    pmtu: Option<u16>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let mtu_drops = d.by_reason.contains_key(&DropReason::MtuExceeded);
    if let Some(mtu) = pmtu {
        notes.push(format!(
            "path MTU to {} lowered to {mtu} by ICMP fragmentation-needed/packet-too-big",
            plan.dst_ip
        ));
    }
    if outcome == Outcome::Stalled {
        match (&d.icmp_too_big_dropped, mtu_drops) {
            (Some(by), true) => notes.push(format!(
                "stalled: path MTU discovery black hole (ICMP fragmentation-needed dropped by {by})"
            )),
            (None, true) => notes.push(
                "stalled: segments larger than the path MTU were dropped (MTU_EXCEEDED)"
                    .to_string(),
            ),
            _ => {}
        }
        match st.tcp_end {
            Some(TcpEnd::Closed) => notes.push("connection reset or timed out".to_string()),
            _ => notes.push(format!(
                "no acknowledged progress: {}",
                tcp_progress(plan, st)
            )),
        }
    }
    if plan.kind == FlowKind::Tcp && st.tcp_end.is_none() {
        notes.push(format!(
            "run ended before the flow finished: {}",
            tcp_progress(plan, st)
        ));
    }
    if plan.kind != FlowKind::Tcp && st.sent_packets < plan.count {
        notes.push(format!(
            "run ended before the flow finished: {} of {} packets sent",
            st.sent_packets, plan.count
        ));
    } else if plan.kind != FlowKind::Tcp && !st.done && outcome != Outcome::Delivered {
        let waited = if plan.kind == FlowKind::Ping {
            "replies"
        } else {
            "packets"
        };
        notes.push(format!(
            "run ended before the flow finished: {} of {} {waited} arrived, the others may still have been in flight",
            st.delivered_packets, st.sent_packets
        ));
    }
    if plan.kind == FlowKind::Tcp && outcome == Outcome::Dropped {
        notes.push("connection never established".to_string());
    }
    for (reason, note) in &d.host_notes {
        let n = d.by_reason.get(reason).copied().unwrap_or(0);
        notes.push(format!(
            "{n} frames discarded by the receiving host ({reason}): {note}"
        ));
    }
    notes
}

/// How far a TCP flow got, in the units of its kind.
fn tcp_progress(plan: &FlowPlan, st: &FlowStats) -> String {
    match plan.request_response {
        Some(rr) => format!("{} of {} responses received", st.responses, rr.requests),
        None => format!("{} of {} bytes acknowledged", st.bytes_acked, plan.bytes),
    }
}

/// One report per flow, in flow order.
pub fn build_reports(
    net: &Network,
    plans: &[FlowPlan],
    stats: Vec<FlowStats>,
    drops: &[FlowDrops],
    pmtu: &[Option<u16>],
    timelines: Vec<Option<FlowTimeline>>,
) -> Vec<FlowReport> {
    plans
        .iter()
        .zip(stats)
        .zip(drops)
        .zip(pmtu)
        .zip(timelines)
        .map(|((((plan, mut st), d), &pmtu), timeline)| {
            let flow = &net.flows[plan.flow.ix()];
            let outcome = match flow.dns.as_ref().map(|l| l.resolution.rcode) {
                _ if !flow.unresolved() => outcome(plan, &st, d),
                Some(crate::route53::Rcode::NoResponse) => Outcome::DnsTimeout,
                Some(crate::route53::Rcode::ServFail) => Outcome::DnsServfail,
                _ => Outcome::Nxdomain,
            };
            let expectation = flow.expect.map(|e| {
                let seen = d.by_reason.keys().copied();
                (e.text(), e.met_by_outcome(outcome.as_str(), seen))
            });
            let expectation = with_windows(expectation, timeline.as_ref());
            let goodput_bps = st.completion_ns.filter(|&ns| ns > 0).map(|ns| {
                // Request/response: application bytes both ways.
                let carried = plan
                    .request_response
                    .map_or(st.bytes_acked, |rr| rr.total_bytes());
                carried as f64 * 1e9 / ns as f64
            });
            let unaccounted =
                unaccounted_packets(st.sent_packets, st.delivered_packets, d.total, d.in_flight);
            let mut notes = notes(plan, &st, d, outcome, pmtu);
            if unaccounted > 0 {
                notes.push(format!(
                    "{unaccounted} packets neither arrived, nor were dropped with a reason, nor were in flight: \
                     this verdict may be wrong (a peeremu defect; please report it)"
                ));
            }
            FlowReport {
                name: flow.name.clone(),
                src: endpoint_name(net, flow.src),
                // An unresolved name has no endpoint: the name stands for it.
                dst: match &flow.dns {
                    Some(l) if flow.unresolved() => l.name.clone(),
                    _ => endpoint_name(net, flow.dst),
                },
                protocol: plan.kind.as_str(),
                sent_packets: st.sent_packets,
                delivered_packets: st.delivered_packets,
                dropped_packets: d.total,
                dropped_resets: d.resets,
                bytes_delivered: st.bytes_delivered,
                drops: d
                    .by_reason
                    .iter()
                    .map(|(r, n)| (r.code().to_string(), *n))
                    .collect(),
                drop_objects: d
                    .objects
                    .iter()
                    .map(|(r, o)| (r.code().to_string(), o.clone()))
                    .collect(),
                // Moved, not cloned.
                latency_ns: std::mem::take::<LatencyHistogram>(st.latency()),
                rtt_ns: st.rtt_ns.take().map(|h| *h),
                response_ns: st.response_ns.take().map(|h| *h),
                responses: plan.request_response.map(|_| st.responses),
                completion_ns: st.completion_ns,
                goodput_bps,
                goodput_series: matches!(plan.kind, FlowKind::Tcp | FlowKind::Udp)
                    .then(|| std::mem::replace(&mut st.goodput, GoodputSeries::new(0))),
                outcome,
                expectation,
                notes,
                in_flight_frames: d.in_flight,
                unaccounted_packets: unaccounted,
                path_mtu: pmtu,
                data_cost: DataCost::of(&d.segment_bytes, &net.prices),
                timeline,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FlowIdx;
    use std::net::{IpAddr, Ipv4Addr};

    fn plan(kind: FlowKind) -> FlowPlan {
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        FlowPlan {
            flow: FlowIdx(0),
            kind,
            src_host: 0,
            dst_host: 1,
            src_ip: ip,
            dst_ip: ip,
            port: 5001,
            local_port: 40000,
            size: 100,
            count: 100,
            bytes: 1000,
            interval_ns: 1_000_000,
            start_ns: 0,
            df: false,
            request_response: None,
            flow_cap_bps: 0,
        }
    }

    /// Counters of a ping/UDP flow: `sent`, `delivered`, generator finished.
    fn counted(sent: u64, delivered: u64, done: bool) -> FlowStats {
        let mut st = FlowStats::new(false);
        (st.sent_packets, st.delivered_packets, st.done) = (sent, delivered, done);
        st
    }

    fn drops(n: u64) -> FlowDrops {
        let mut d = FlowDrops::default();
        for _ in 0..n {
            d.count(DropReason::NaclDeny);
        }
        d
    }

    #[test]
    fn ping_and_udp_outcomes() {
        for kind in [FlowKind::Ping, FlowKind::Udp] {
            let p = plan(kind);
            let o = |sent, delivered, done, dropped| {
                outcome(&p, &counted(sent, delivered, done), &drops(dropped))
            };
            assert_eq!(o(100, 100, true, 0), Outcome::Delivered);
            // All sent and arrived, the linger / reply timeout not over yet.
            assert_eq!(o(100, 100, false, 0), Outcome::Delivered);
            // Cut short, nothing lost: whatever arrived, not delivered.
            assert_eq!(o(20, 20, false, 0), Outcome::Incomplete);
            assert_eq!(o(0, 0, false, 0), Outcome::Incomplete);
            assert_eq!(o(100, 99, false, 0), Outcome::Incomplete);
            // Cut short with losses seen.
            assert_eq!(o(20, 0, false, 20), Outcome::Dropped);
            assert_eq!(o(20, 10, false, 10), Outcome::Partial);
            // Finished.
            assert_eq!(o(100, 0, true, 0), Outcome::Dropped);
            assert_eq!(o(100, 60, true, 0), Outcome::Partial);
        }
    }

    #[test]
    fn tcp_outcomes() {
        let p = plan(FlowKind::Tcp);
        let o = |end, connected, dropped| {
            let mut st = FlowStats::new(false);
            (st.tcp_end, st.tcp_connected) = (end, connected);
            outcome(&p, &st, &drops(dropped))
        };
        assert_eq!(o(Some(TcpEnd::Completed), true, 3), Outcome::Delivered);
        assert_eq!(o(Some(TcpEnd::Stalled), true, 3), Outcome::Stalled);
        assert_eq!(o(Some(TcpEnd::Closed), true, 0), Outcome::Stalled);
        assert_eq!(o(Some(TcpEnd::Stalled), false, 0), Outcome::Dropped);
        // The run ended first.
        assert_eq!(o(None, true, 0), Outcome::Incomplete);
        assert_eq!(o(None, true, 5), Outcome::Incomplete);
        assert_eq!(o(None, false, 0), Outcome::Incomplete);
        assert_eq!(o(None, false, 2), Outcome::Dropped);
    }
}
