//! A flow's timeline in `summary.json` (runs with `[[change]]` or
//! `expect_windows`): how its outcome changed and which change caused each step,
//! and the verdict of each expectation window. See docs/outputs.md.

use serde::Serialize;

/// `flows[].timeline`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlowTimeline {
    /// Each time the flow's outcome changed (idle stretches are left out).
    pub steps: Vec<TimelineStep>,
    /// One per `expect_windows` entry, in file order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<WindowResult>,
}

/// From `at_ms` on (until the next step), the flow's outcome was `outcome`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineStep {
    pub at_ms: f64,
    /// `delivered`, `dropped:REASON[|REASON]` or `partial:REASON[|REASON]`
    /// (some delivered, some dropped).
    pub outcome: String,
    /// The change(s) applied at `at_ms` (`accept_peering pcx-ab`); `null` for
    /// the start of the run.
    pub change: Option<String>,
}

/// One expectation window and what the flow saw in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowResult {
    pub from_ms: f64,
    /// `null`: to the end of the run.
    pub until_ms: Option<f64>,
    pub expected: String,
    /// What happened in the window (`idle`: nothing delivered, nothing dropped).
    pub outcome: String,
    pub met: bool,
}
