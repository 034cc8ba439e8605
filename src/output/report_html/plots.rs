//! Latency percentile spectrum plots, as HdrHistogram's plotter draws them: the x
//! axis is the percentile on a log scale of 1/(1-p) (ticks 0 %, 90 %, 99 %, 99.9 %,
//! …), so the tail gets as much room as the median; the y axis is the latency.
//! The points are the histogram's own quantile iteration (what the `.hgrm` files
//! list), so the plot and the files agree. Also goodput over time, from a flow's
//! `goodput_series`.

use super::escape;
use crate::output::summary::GoodputSeriesSummary;
use crate::output::table::byte_rate;
use crate::output::LatencyHistogram;
use std::fmt::Write as _;

const W: i32 = 360;
const H: i32 = 190;
const LEFT: i32 = 62;
const RIGHT: i32 = 12;
const TOP: i32 = 22;
const BOTTOM: i32 = 34;
/// At most this many points are drawn (the steps past it are merged).
const MAX_POINTS: usize = 120;

/// `1.23 ms`, `456 µs`, `2.05 s`.
pub fn format_ns(ns: u64) -> String {
    let v = ns as f64;
    if ns >= 1_000_000_000 {
        format!("{:.2} s", v / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.2} ms", v / 1e6)
    } else if ns >= 1_000 {
        format!("{:.1} µs", v / 1e3)
    } else {
        format!("{ns} ns")
    }
}

/// (log10 of 1/(1-quantile), value) for each step of the quantile iteration; the
/// 100th percentile (infinite x) is drawn at the last finite x.
fn spectrum(h: &LatencyHistogram) -> Vec<(f64, u64)> {
    let steps = h.quantile_steps(5);
    let mut pts: Vec<(f64, u64)> = Vec::with_capacity(steps.len());
    for (value, q, _) in steps {
        let x = if q < 1.0 {
            (1.0 / (1.0 - q)).log10()
        } else {
            pts.last().map_or(0.0, |p| p.0)
        };
        pts.push((x, value));
    }
    if pts.len() > MAX_POINTS {
        let stride = pts.len().div_ceil(MAX_POINTS);
        let last = pts[pts.len() - 1];
        pts = pts.into_iter().step_by(stride).collect();
        if pts.last() != Some(&last) {
            pts.push(last);
        }
    }
    pts
}

/// An SVG plot of `h`'s percentile spectrum, or a note when it is empty.
pub fn percentile_plot(title: &str, h: &LatencyHistogram) -> String {
    if h.is_empty() {
        return format!("<p class=\"noplot\">{}: no samples</p>", escape(title));
    }
    let pts = spectrum(h);
    let max_x = pts
        .iter()
        .map(|p| p.0)
        .fold(0.0f64, f64::max)
        .ceil()
        .max(2.0);
    let max_y = (h.max() as f64 * 1.05).max(1.0);
    let pw = f64::from(W - LEFT - RIGHT);
    let ph = f64::from(H - TOP - BOTTOM);
    let sx = |x: f64| LEFT + (x / max_x * pw).round() as i32;
    let sy = |y: f64| TOP + ph as i32 - (y / max_y * ph).round() as i32;
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\">\
         <text x=\"{LEFT}\" y=\"14\" class=\"pt\">{}</text>\
         <rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#999\"/>",
        escape(title),
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
    // x ticks: 0%, 90%, 99%, ...
    for k in 0..=(max_x as i32) {
        let label = match k {
            0 => "0%".to_string(),
            1 => "90%".to_string(),
            k => format!("99.{}%", "9".repeat(k as usize - 2)).replace("99.%", "99%"),
        };
        let x = sx(f64::from(k));
        let _ = write!(
            s,
            "<line x1=\"{x}\" y1=\"{TOP}\" x2=\"{x}\" y2=\"{}\" stroke=\"#e4e4e4\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" class=\"ax\">{label}</text>",
            H - BOTTOM,
            H - BOTTOM + 13
        );
    }
    for k in 0..=2 {
        let v = max_y * f64::from(k) / 2.0;
        let y = sy(v);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#e4e4e4\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"ax\">{}</text>",
            W - RIGHT,
            LEFT - 4,
            y + 4,
            format_ns(v as u64)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"ax\">percentile</text><polyline fill=\"none\" stroke=\"#1f5fd6\" stroke-width=\"2\" points=\"",
        LEFT + (W - LEFT - RIGHT) / 2,
        H - 4
    );
    for (i, &(x, v)) in pts.iter().enumerate() {
        let _ = write!(
            s,
            "{}{},{}",
            if i == 0 { "" } else { " " },
            sx(x),
            sy(v as f64)
        );
    }
    s.push_str("\"/></svg>");
    s
}

/// Goodput over time: one point per bucket of `series` (at the bucket's middle),
/// the rate that bucket's bytes make over its width. The `svg` carries the
/// series itself (`data-start-ns`, `data-bucket-ns`, `data-bytes`) so a test, or a
/// reader of the page's source, sees exactly what is drawn.
pub fn goodput_plot(title: &str, series: &GoodputSeriesSummary) -> String {
    if series.bytes.iter().all(|&b| b == 0) {
        return format!(
            "<p class=\"noplot\">{}: no bytes delivered</p>",
            escape(title)
        );
    }
    let n = series.bytes.len();
    let width_ns = series.bucket_ns.max(1);
    let rate = |b: u64| b as f64 * 1e9 / width_ns as f64;
    let max_rate = series.bytes.iter().map(|&b| rate(b)).fold(0.0, f64::max) * 1.05;
    let span_ns = width_ns.saturating_mul(n as u64);
    let pw = f64::from(W - LEFT - RIGHT);
    let ph = f64::from(H - TOP - BOTTOM);
    let sx = |ns: f64| LEFT + (ns / span_ns as f64 * pw).round() as i32;
    let sy = |r: f64| TOP + ph as i32 - (r / max_rate * ph).round() as i32;
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot goodput\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" data-start-ns=\"{}\" data-bucket-ns=\"{}\" data-bytes=\"",
        series.start_ns, series.bucket_ns
    );
    for (i, b) in series.bytes.iter().enumerate() {
        let _ = write!(s, "{}{b}", if i == 0 { "" } else { "," });
    }
    let _ = write!(
        s,
        "\"><text x=\"{LEFT}\" y=\"14\" class=\"pt\">{} ({} buckets of {})</text>\
         <rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#999\"/>",
        escape(title),
        n,
        format_ns(width_ns),
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
    for k in 0..=2 {
        let t = span_ns as f64 * f64::from(k) / 2.0;
        let x = sx(t);
        // The last label ends at the plot's edge (centred, it would be cut off).
        let anchor = if k == 2 { "end" } else { "middle" };
        let _ = write!(
            s,
            "<line x1=\"{x}\" y1=\"{TOP}\" x2=\"{x}\" y2=\"{}\" stroke=\"#e4e4e4\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\" class=\"ax\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 13,
            format_ns(t as u64)
        );
        let r = max_rate * f64::from(k) / 2.0;
        let y = sy(r);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#e4e4e4\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"ax\">{}</text>",
            W - RIGHT,
            LEFT - 4,
            y + 4,
            byte_rate(r)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"ax\">time since the flow's start</text><polyline fill=\"none\" stroke=\"#17803d\" stroke-width=\"2\" points=\"",
        LEFT + (W - LEFT - RIGHT) / 2,
        H - 4
    );
    let point = |i: usize| {
        let mid = (i as f64 + 0.5) * width_ns as f64;
        (sx(mid), sy(rate(series.bytes[i])))
    };
    for i in 0..n {
        let (x, y) = point(i);
        let _ = write!(s, "{}{x},{y}", if i == 0 { "" } else { " " });
    }
    s.push_str("\"/>");
    if n == 1 {
        // A one-point line draws nothing.
        let (x, y) = point(0);
        let _ = write!(
            s,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#17803d\"/>"
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goodput_plot_has_a_point_per_bucket_and_carries_the_bytes() {
        let series = GoodputSeriesSummary {
            start_ns: 5,
            bucket_ns: 40_000,
            bytes: vec![0, 1448, 2896, 0, 1448],
        };
        let svg = goodput_plot("goodput <x>", &series);
        assert!(svg.contains("data-bytes=\"0,1448,2896,0,1448\""), "{svg}");
        assert!(svg.contains("data-bucket-ns=\"40000\""));
        assert!(svg.contains("goodput &lt;x&gt; (5 buckets of 40.0 µs)"));
        let points = svg.split("points=\"").nth(1).unwrap();
        let points = &points[..points.find('"').unwrap()];
        assert_eq!(points.split(' ').count(), 5);
        // The top bucket (2896 B in 40 µs: 72.4 MB/s) is the highest point.
        let ys: Vec<i32> = points
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(ys.iter().min(), Some(&ys[2]));
        assert_eq!(ys[0], ys[3]);
        let one = GoodputSeriesSummary {
            bytes: vec![9],
            ..series.clone()
        };
        assert!(goodput_plot("g", &one).contains("<circle"));
        let none = GoodputSeriesSummary {
            bytes: vec![],
            ..series
        };
        assert!(goodput_plot("g", &none).contains("no bytes delivered"));
    }

    #[test]
    fn spectrum_is_monotonic_and_plot_is_escaped() {
        let mut h = LatencyHistogram::new();
        for i in 1..=10_000u64 {
            h.record(100_000 + i * 13);
        }
        h.record(40_000_000);
        let pts = spectrum(&h);
        assert!(pts.len() <= MAX_POINTS + 1);
        assert!(pts.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        assert!(pts.last().unwrap().1 >= 40_000_000);
        let svg = percentile_plot("latency <a&b>", &h);
        assert!(svg.contains("latency &lt;a&amp;b&gt;"));
        assert!(svg.contains(">99.9%<") && svg.contains(">90%<"));
        assert!(percentile_plot("x", &LatencyHistogram::new()).contains("no samples"));
        assert_eq!(format_ns(1_234_567), "1.23 ms");
        assert_eq!(format_ns(950), "950 ns");
    }
}
