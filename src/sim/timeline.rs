//! Changes during a run, on the engine's side: one `Mark` event per distinct
//! time of the topology's timeline (each change, each window bound). At a mark
//! the engine snapshots every flow's counters (delivered packets, drops by
//! reason, frames in flight), then applies the changes due. Nothing happens per
//! frame: between marks the counters are the ones the run keeps anyway.
//!
//! A window's outcome compares two snapshots. Frames already past the router
//! when a window opens (in flight at its start) may still arrive in it: as many
//! deliveries as there were such frames do not count for the window, so a window
//! that starts at `delete_peering` is not "partial" because of the last
//! datagram that crossed before the deletion.

use super::report::FlowDrops;
use crate::host::FlowStats;
use crate::model::{DropReason, Expectation, Network};
use crate::output::timeline::{FlowTimeline, TimelineStep, WindowResult};
use std::collections::BTreeMap;

/// One flow's counters at a mark.
#[derive(Debug, Clone, Default)]
pub(super) struct Counters {
    delivered: u64,
    drops: Vec<(DropReason, u64)>,
    in_flight: u64,
}

impl Counters {
    pub(super) fn of(st: &FlowStats, d: &FlowDrops, in_flight: u64) -> Counters {
        Counters {
            delivered: st.delivered_packets,
            drops: d.by_reason.iter().map(|(&r, &n)| (r, n)).collect(),
            in_flight,
        }
    }

    fn drops_of(&self, r: DropReason) -> u64 {
        self.drops
            .iter()
            .find(|(x, _)| *x == r)
            .map_or(0, |&(_, n)| n)
    }
}

/// What a flow saw between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Idle,
    Delivered,
    Dropped(Vec<DropReason>),
    Partial(Vec<DropReason>),
}

impl Seen {
    fn between(a: &Counters, b: &Counters) -> Seen {
        let fresh = b
            .delivered
            .saturating_sub(a.delivered)
            .saturating_sub(a.in_flight);
        let reasons: Vec<DropReason> = b
            .drops
            .iter()
            .filter(|&&(r, n)| n > a.drops_of(r))
            .map(|&(r, _)| r)
            .collect();
        match (fresh > 0, reasons.is_empty()) {
            (true, true) => Seen::Delivered,
            (false, false) => Seen::Dropped(reasons),
            (true, false) => Seen::Partial(reasons),
            (false, true) => Seen::Idle,
        }
    }

    fn text(&self) -> String {
        let codes = |rs: &[DropReason]| rs.iter().map(|r| r.code()).collect::<Vec<_>>().join("|");
        match self {
            Seen::Idle => "idle".into(),
            Seen::Delivered => "delivered".into(),
            Seen::Dropped(rs) => format!("dropped:{}", codes(rs)),
            Seen::Partial(rs) => format!("partial:{}", codes(rs)),
        }
    }

    fn meets(&self, e: Expectation) -> bool {
        match (self, e) {
            (Seen::Delivered, Expectation::Delivered) => true,
            (Seen::Dropped(rs), Expectation::Dropped(r)) => rs.contains(&r),
            (Seen::Dropped(rs), Expectation::DroppedAnyOf(set)) => {
                rs.iter().any(|&r| set.contains(r))
            }
            _ => false,
        }
    }
}

/// The run's marks and the snapshots taken at them.
#[derive(Debug, Default)]
pub(super) struct TimelineRun {
    /// Distinct times, sorted.
    pub marks: Vec<u64>,
    /// Per mark reached: every flow's counters (in plan order = flow order).
    snapshots: Vec<Vec<Counters>>,
    /// The next change of `net.timeline.changes` to apply.
    next_change: usize,
    /// Labels of the changes applied at each mark reached (and any a fabric
    /// refused, with why).
    applied: Vec<Vec<String>>,
}

impl TimelineRun {
    pub(super) fn new(net: &Network) -> TimelineRun {
        TimelineRun {
            marks: net.timeline.marks(),
            ..Default::default()
        }
    }

    /// Record the counters at mark `i` (marks are reached in order).
    pub(super) fn snapshot(&mut self, counters: Vec<Counters>) {
        self.snapshots.push(counters);
        self.applied.push(Vec::new());
    }

    /// The changes due at `t`, in order; call [`Self::applied`] for each.
    pub(super) fn due<'n>(&mut self, net: &'n Network, t: u64) -> &'n [crate::model::Change] {
        let all = &net.timeline.changes;
        let start = self.next_change;
        let mut end = start;
        while end < all.len() && all[end].at_ns <= t {
            end += 1;
        }
        self.next_change = end;
        &all[start..end]
    }

    pub(super) fn applied(&mut self, label: String) {
        if let Some(last) = self.applied.last_mut() {
            last.push(label);
        }
    }

    /// Each flow's timeline, given the counters at the end of the run.
    pub(super) fn finish(&self, net: &Network, end: &[Counters]) -> Vec<Option<FlowTimeline>> {
        if net.timeline.is_empty() {
            return vec![None; end.len()];
        }
        // Change marks reached, and what was applied there.
        let change_marks: BTreeMap<u64, usize> = self
            .marks
            .iter()
            .enumerate()
            .take(self.snapshots.len())
            .filter(|(i, _)| !self.applied[*i].is_empty())
            .map(|(i, &t)| (t, i))
            .collect();
        let snap = |flow: usize, t: u64| -> &Counters {
            match self.marks.binary_search(&t) {
                Ok(i) if i < self.snapshots.len() => &self.snapshots[i][flow],
                _ => &end[flow],
            }
        };
        let zero = Counters::default();
        let mut windows: Vec<Vec<WindowResult>> = vec![Vec::new(); end.len()];
        for w in &net.timeline.windows {
            let f = w.flow as usize;
            if f >= end.len() {
                continue;
            }
            let a = if w.from_ns == 0 {
                &zero
            } else {
                snap(f, w.from_ns)
            };
            let b = w.until_ns.map_or(&end[f], |u| snap(f, u));
            let seen = Seen::between(a, b);
            windows[f].push(WindowResult {
                from_ms: ms(w.from_ns),
                until_ms: w.until_ns.map(ms),
                expected: w.expect.text(),
                outcome: seen.text(),
                met: seen.meets(w.expect),
            });
        }
        (0..end.len())
            .map(|f| {
                let mut steps: Vec<TimelineStep> = Vec::new();
                let mut bounds: Vec<(u64, Option<String>, &Counters)> = vec![(0, None, &zero)];
                for (&t, &i) in &change_marks {
                    let label = self.applied[i].join(", ");
                    bounds.push((t, Some(label), &self.snapshots[i][f]));
                }
                for (k, (t, change, a)) in bounds.iter().enumerate() {
                    let b = bounds.get(k + 1).map_or(&end[f], |x| x.2);
                    let seen = Seen::between(a, b);
                    if seen == Seen::Idle {
                        continue;
                    }
                    let text = seen.text();
                    if steps.last().is_some_and(|s| s.outcome == text) {
                        continue;
                    }
                    // The first step is how the flow started: no change caused
                    // it, and it starts no earlier than the flow.
                    let first = steps.is_empty();
                    let start = net.flows.get(f).map_or(0, |x| x.start_ns);
                    steps.push(TimelineStep {
                        at_ms: ms(if first { (*t).max(start) } else { *t }),
                        outcome: text,
                        change: if first { None } else { change.clone() },
                    });
                }
                Some(FlowTimeline {
                    steps,
                    windows: std::mem::take(&mut windows[f]),
                })
            })
            .collect()
    }
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}
