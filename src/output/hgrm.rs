//! HdrHistogram's classic percentile-distribution text (`.hgrm`), as Java's
//! `outputPercentileDistribution` prints it and the HdrHistogram plotter reads it.
//! The `hdrhistogram` crate iterates quantiles but has no text output, so the
//! formatting (column widths, footer) is reproduced here.
//!
//! Values are written in milliseconds (the plotter's default unit), recorded in ns.

use super::histogram::LatencyHistogram;
use std::fmt::Write as _;

/// Nanoseconds per output unit (milliseconds).
pub const NS_PER_OUTPUT_UNIT: f64 = 1_000_000.0;
/// Java's default: 5 percentile ticks per half distance to 100%.
const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// The whole `.hgrm` text for `hist` (ns values, printed as ms).
pub fn percentile_distribution(hist: &LatencyHistogram) -> String {
    let mut s = String::new();
    write_percentile_distribution(hist, &mut s);
    s
}

/// Append the `.hgrm` text for `hist` to `s` (a buffer reused across flows).
pub fn write_percentile_distribution(hist: &LatencyHistogram, s: &mut String) {
    let facts = Facts {
        sigfig: hist.sigfig(),
        empty: hist.is_empty(),
        mean: hist.mean(),
        stdev: hist.stdev(),
        max: hist.max(),
        len: hist.len(),
        buckets: hist.buckets(),
    };
    write_text(s, &facts, hist.quantile_steps(TICKS_PER_HALF_DISTANCE));
}

/// The numbers of the footer, whichever histogram type they come from (the tests
/// feed `hdrhistogram::Histogram`'s to check ours against them).
struct Facts {
    sigfig: u8,
    empty: bool,
    mean: f64,
    stdev: f64,
    max: u64,
    len: u64,
    buckets: u8,
}

/// The text itself: header, one line per (value, quantile, count since the last
/// line) step, footer.
fn write_text(s: &mut String, facts: &Facts, steps: impl IntoIterator<Item = (u64, f64, u64)>) {
    // At least 3 decimals so sub-millisecond latencies keep 1 µs resolution.
    let prec = usize::from(facts.sigfig).max(3);
    let scale = NS_PER_OUTPUT_UNIT;
    let _ = write!(
        s,
        "{:>12} {:>14} {:>10} {:>14}\n\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total = 0u64;
    for (value, q, count) in steps {
        total += count;
        let value = value as f64 / scale;
        if q < 1.0 {
            let _ = writeln!(
                s,
                "{value:12.prec$} {q:2.12} {total:10} {:14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(s, "{value:12.prec$} {q:2.12} {total:10}");
        }
    }
    let (mean, stdev, max) = if facts.empty {
        (0.0, 0.0, 0.0)
    } else {
        (
            facts.mean / scale,
            facts.stdev / scale,
            facts.max as f64 / scale,
        )
    };
    let _ = writeln!(
        s,
        "#[Mean    = {mean:12.prec$}, StdDeviation   = {stdev:12.prec$}]"
    );
    let _ = writeln!(
        s,
        "#[Max     = {max:12.prec$}, Total count    = {:12}]",
        facts.len
    );
    let _ = writeln!(
        s,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        facts.buckets,
        sub_bucket_count(facts.sigfig)
    );
}

/// The sub-bucket count HdrHistogram derives from the significant digits (the
/// crate keeps it private): 2^ceil(log2(2 * 10^sigfig)).
fn sub_bucket_count(sigfig: u8) -> u64 {
    let largest_single_unit = 2 * 10u64.pow(u32::from(sigfig));
    largest_single_unit.next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use hdrhistogram::Histogram;

    fn hist(values: &[u64]) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        for &v in values {
            h.record(v);
        }
        h
    }

    /// The text from `hdrhistogram::Histogram`'s own quantile iteration and
    /// statistics: what the sparse histogram must reproduce byte for byte.
    fn reference(hist: &Histogram<u64>) -> String {
        let facts = Facts {
            sigfig: hist.sigfig(),
            empty: hist.is_empty(),
            mean: hist.mean(),
            stdev: hist.stdev(),
            max: hist.max(),
            len: hist.len(),
            buckets: hist.buckets(),
        };
        let steps = hist.iter_quantiles(TICKS_PER_HALF_DISTANCE).map(|v| {
            (
                v.value_iterated_to(),
                v.quantile_iterated_to(),
                v.count_since_last_iteration(),
            )
        });
        let mut s = String::new();
        write_text(&mut s, &facts, steps);
        s
    }

    #[test]
    fn same_text_as_hdrhistogram_gives() {
        let mut rng = SplitMix64::new(9);
        for _ in 0..200 {
            let n = (rng.next_u64() % 2000) as usize;
            let base = 1 + rng.next_u64() % 80_000_000;
            let spread = 1 + rng.next_u64() % base;
            let values: Vec<u64> = (0..n)
                .map(|i| (base << (i % 2 * 3)) + rng.next_u64() % spread)
                .collect();
            let sparse = hist(&values);
            assert_eq!(
                percentile_distribution(&sparse),
                reference(&sparse.to_hdr())
            );
        }
    }

    #[test]
    fn format_matches_java_layout() {
        let h = hist(&[100_000u64, 100_000, 200_000, 40_000_000]);
        let text = percentile_distribution(&h);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "       Value     Percentile TotalCount 1/(1-Percentile)"
        );
        assert_eq!(lines[1], "");
        assert_eq!(
            lines[2],
            "       0.100 0.000000000000          2           1.00"
        );
        let last_data = lines[lines.len() - 4];
        assert!(last_data.starts_with("      40."), "{last_data}");
        assert!(
            last_data.contains(" 1.000000000000          4"),
            "{last_data}"
        );
        assert_eq!(last_data.split_whitespace().count(), 3);
        assert!(lines[lines.len() - 2].starts_with("#[Max     =       40.0"));
        assert!(lines[lines.len() - 2].ends_with("Total count    =            4]"));
        assert_eq!(
            lines[lines.len() - 1],
            format!(
                "#[Buckets = {:12}, SubBuckets     =         2048]",
                h.buckets()
            )
        );
        assert_eq!(text, reference(&h.to_hdr()));
    }

    #[test]
    fn empty_histogram_has_header_and_footer_only() {
        let h = LatencyHistogram::new();
        let text = percentile_distribution(&h);
        assert_eq!(text.lines().count(), 5);
        assert!(text.contains("Total count    =            0]"));
        assert_eq!(text, reference(&h.to_hdr()));
    }

    #[test]
    fn sub_buckets_follow_sigfig() {
        assert_eq!(sub_bucket_count(3), 2048);
        assert_eq!(sub_bucket_count(2), 256);
        assert_eq!(sub_bucket_count(1), 32);
    }
}
