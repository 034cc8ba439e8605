//! A progress bar over virtual time, shown only once a run has taken more than a
//! second of wall time (short runs print nothing but their table). Drawn on stderr;
//! indicatif stays silent when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::time::{Duration, Instant};

/// Wall time before the bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Look at the wall clock only every this many updates (updates come per frame).
const CHECK_EVERY: u32 = 4096;

pub struct Progress {
    enabled: bool,
    /// Expected virtual duration; `None` draws a spinner with the virtual time.
    total_ns: Option<u64>,
    started: Instant,
    bar: Option<ProgressBar>,
    calls: u32,
}

impl Progress {
    pub fn new(total_ns: Option<u64>, enabled: bool) -> Progress {
        Progress {
            enabled,
            total_ns: total_ns.filter(|&t| t > 0),
            started: Instant::now(),
            bar: None,
            calls: 0,
        }
    }

    /// Report that virtual time has reached `sim_time_ns`. Cheap: most calls only
    /// bump a counter, and without a bar (`--quiet`, not a terminal) the call
    /// itself is one inlined test (it comes for every frame the recorder sees).
    #[inline]
    pub fn update(&mut self, sim_time_ns: u64) {
        if self.enabled {
            self.update_bar(sim_time_ns);
        }
    }

    fn update_bar(&mut self, sim_time_ns: u64) {
        self.calls = self.calls.wrapping_add(1);
        if self.calls % CHECK_EVERY != 0 {
            return;
        }
        if self.bar.is_none() {
            if self.started.elapsed() < SHOW_AFTER {
                return;
            }
            self.bar = Some(self.make_bar());
        }
        if let Some(bar) = &self.bar {
            let us = sim_time_ns / 1_000;
            if let Some(len) = bar.length() {
                if us > len {
                    bar.set_length(us);
                }
            }
            bar.set_position(us);
        }
    }

    fn make_bar(&self) -> ProgressBar {
        match self.total_ns {
            Some(total) => {
                let bar = ProgressBar::new(total / 1_000);
                if let Ok(style) = ProgressStyle::with_template(
                    "{spinner} virtual {pos}/{len} µs [{bar:40}] {percent}% ({elapsed} wall)",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar
            }
            None => {
                let bar = ProgressBar::new_spinner();
                if let Ok(style) =
                    ProgressStyle::with_template("{spinner} virtual {pos} µs ({elapsed} wall)")
                {
                    bar.set_style(style);
                }
                bar
            }
        }
    }

    /// A line for the user during the run (above the bar if it is shown); nothing
    /// when the bar is disabled (`--quiet`, `--json`).
    pub fn note(&self, line: &str) {
        if !self.enabled {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| crate::errln!("{line}")),
            None => crate::errln!("{line}"),
        }
    }

    /// Remove the bar (before the table is printed).
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Whether the bar has appeared.
    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_disabled_runs_show_nothing() {
        let mut p = Progress::new(Some(1_000), true);
        for t in 0..10_000 {
            p.update(t);
        }
        assert!(!p.is_shown());
        let mut off = Progress::new(None, false);
        off.started = Instant::now()
            .checked_sub(Duration::from_secs(5))
            .unwrap_or(off.started);
        for t in 0..10_000 {
            off.update(t);
        }
        assert!(!off.is_shown());
    }

    #[test]
    fn appears_after_a_second() {
        let mut p = Progress::new(None, true);
        p.started = Instant::now()
            .checked_sub(Duration::from_secs(2))
            .unwrap_or(p.started);
        for t in 0..CHECK_EVERY as u64 {
            p.update(t);
        }
        assert!(p.is_shown());
        p.finish();
        assert!(!p.is_shown());
    }
}
