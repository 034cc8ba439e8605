//! The terminal report: one aligned row per flow, a totals line, and the list of
//! expectations that were not met.

use super::summary::{FlowSummary, Summary};

/// Columns of the table.
const COLUMNS: usize = 14;

const HEADERS: [&str; COLUMNS] = [
    "flow",
    "proto",
    "src → dst",
    "sent",
    "delivered",
    "dropped",
    "resets",
    "top drop",
    "p50",
    "p99",
    "done in",
    "goodput",
    "outcome",
    "expect",
];

/// Render the table (ends with a newline).
pub fn render(summary: &Summary) -> String {
    let rows: Vec<[String; COLUMNS]> = summary.flows.iter().map(row).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    push_row(&mut out, &HEADERS.map(String::from), &widths);
    for r in &rows {
        push_row(&mut out, r, &widths);
    }
    out.push_str(&totals_line(summary));
    out.push('\n');
    if summary.interrupted {
        out.push_str("interrupted: results cover the virtual time simulated before Ctrl-C\n");
    }
    for f in summary.failed_expectations() {
        out.push_str(&failure_line(f));
        out.push('\n');
    }
    out
}

/// `expectation not met: flow "x": expected dropped:NACL_DENY, got delivered (...)`.
pub fn failure_line(f: &FlowSummary) -> String {
    let expected = f.expectation.as_ref().map_or("", |e| &*e.expected);
    let drops = if f.drops.is_empty() {
        "no drops".to_string()
    } else {
        f.drops
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "expectation not met: flow {:?} ({} → {}): expected {expected}, got {} ({}/{} delivered; {drops})",
        f.name, f.src, f.dst, f.outcome, f.delivered_packets, f.sent_packets
    )
}

fn row(f: &FlowSummary) -> [String; COLUMNS] {
    let top_drop = f
        .drops
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or("-".to_string(), |(k, _)| match f.drop_objects.get(k) {
            // `NACL_DENY acl-db rule * inbound`: what to look at, not only why.
            Some(object) => format!("{k} {object}"),
            None => k.clone(),
        });
    let (p50, p99) = f
        .latency_ns
        .map_or(("-".to_string(), "-".to_string()), |l| {
            (duration(l.p50), duration(l.p99))
        });
    let expect = match &f.expectation {
        None => "-".to_string(),
        Some(e) if e.met => format!("✓ {}", e.expected),
        Some(e) => format!("✗ {}", e.expected),
    };
    [
        f.name.clone(),
        f.protocol.to_string(),
        format!("{} → {}", f.src, f.dst),
        f.sent_packets.to_string(),
        f.delivered_packets.to_string(),
        f.dropped_packets.to_string(),
        f.dropped_resets.to_string(),
        top_drop,
        p50,
        p99,
        f.completion_ns.map_or("-".to_string(), duration),
        f.goodput_bps.map_or("-".to_string(), byte_rate),
        f.outcome.to_string(),
        expect,
    ]
}

fn push_row(out: &mut String, cells: &[String; COLUMNS], widths: &[usize; COLUMNS]) {
    let mut line = String::new();
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = w.saturating_sub(cell.chars().count());
        // Numbers right-aligned, text left-aligned.
        if (3..=6).contains(&i) || (8..=11).contains(&i) {
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(cell);
        } else {
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

fn totals_line(s: &Summary) -> String {
    let t = &s.totals;
    let rate = |n: u64| {
        if t.wall_time_s > 0.0 {
            format!("{:.0}/s", n as f64 / t.wall_time_s)
        } else {
            "-".to_string()
        }
    };
    format!(
        "{} events ({}), {} frames ({}), {} virtual in {:.3} s of event loop; expectations: {} checked, {} failed",
        t.events,
        rate(t.events),
        t.frames,
        rate(t.frames),
        duration(t.sim_time_ns),
        t.wall_time_s,
        s.expectations.checked,
        s.expectations.failed
    )
}

/// A byte rate with a decimal (SI) prefix: `950 B/s`, `12.9 MB/s`.
pub fn byte_rate(bytes_per_s: f64) -> String {
    let units = ["B/s", "kB/s", "MB/s", "GB/s", "TB/s"];
    let mut v = bytes_per_s.max(0.0);
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", units[0])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// A short human duration: `850ns`, `120.0µs`, `40.12ms`, `1.500s`.
pub fn duration(ns: u64) -> String {
    let n = ns as f64;
    if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{:.1}µs", n / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2}ms", n / 1e6)
    } else {
        format!("{:.3}s", n / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Expectation;
    use crate::output::summary::tests::{flow, report};
    use crate::output::{Outcome, RunTotals};

    fn summary() -> Summary {
        let reports = vec![
            report("web-db", Outcome::Delivered, &[]),
            report(
                "blocked-flow",
                Outcome::Dropped,
                &[("NACL_DENY", 3), ("SG_NO_MATCH", 1)],
            ),
        ];
        let flows = vec![
            flow("web-db", Some(Expectation::Delivered)),
            flow("blocked-flow", Some(Expectation::Delivered)),
        ];
        let totals = RunTotals {
            events: 2000,
            frames: 1000,
            sim_time_ns: 3_000_000_000,
            wall_time_s: 0.5,
            conservation: Default::default(),
        };
        Summary::build("demo", 1, false, &reports, &flows, totals)
    }

    #[test]
    fn table_columns_align_and_failures_are_listed() {
        let t = render(&summary());
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[0].starts_with("flow          proto  src → dst"),
            "{t}"
        );
        assert!(lines[1].contains("✓ delivered"));
        assert!(lines[2].contains("NACL_DENY") && lines[2].contains("✗ delivered"));
        // Right-aligned numbers end under the end of their header.
        let chars: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
        let header = lines[0];
        let sent_end = header[..header.find("sent").unwrap()].chars().count() + 4;
        assert_eq!(chars[1][sent_end - 1], '4');
        assert_eq!(chars[2][sent_end - 1], '8');
        assert_eq!(chars[1][sent_end], ' ');
        assert!(lines[3].starts_with("2000 events (4000/s), 1000 frames (2000/s), 3.000s virtual"));
        assert!(lines[3].ends_with("expectations: 2 checked, 1 failed"));
        assert_eq!(
            lines[4],
            "expectation not met: flow \"blocked-flow\" (web → db): expected delivered, got dropped (0/8 delivered; NACL_DENY 3, SG_NO_MATCH 1)"
        );
    }

    #[test]
    fn top_drop_names_the_object_and_resets_have_a_column() {
        let mut s = summary();
        s.flows[1]
            .drop_objects
            .insert("NACL_DENY".into(), "acl-db rule * inbound".into());
        s.flows[1].dropped_resets = 2;
        let t = render(&s);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].contains("dropped  resets  top drop"), "{t}");
        assert!(
            lines[2].contains("4       2  NACL_DENY acl-db rule * inbound"),
            "{t}"
        );
    }

    #[test]
    fn durations_are_human() {
        assert_eq!(duration(850), "850ns");
        assert_eq!(duration(120_000), "120.0µs");
        assert_eq!(duration(40_123_456), "40.12ms");
        assert_eq!(duration(1_500_000_000), "1.500s");
    }

    #[test]
    fn byte_rates_are_human() {
        assert_eq!(byte_rate(950.0), "950 B/s");
        assert_eq!(byte_rate(12_910_000.0), "12.9 MB/s");
        assert_eq!(byte_rate(2.5e9), "2.5 GB/s");
    }

    #[test]
    fn tcp_rows_show_completion_and_goodput() {
        let mut s = summary();
        s.flows[0].completion_ns = Some(81_234_567);
        s.flows[0].goodput_bps = Some(12_910_000.0);
        let t = render(&s);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].contains("p99  done in    goodput  outcome"), "{t}");
        assert!(lines[1].contains("81.23ms  12.9 MB/s"), "{t}");
        assert!(
            lines[2].contains("-        -        -          -  dropped"),
            "{t}"
        );
    }
}
