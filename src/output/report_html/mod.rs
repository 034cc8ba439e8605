//! `report.html`: one self-contained page per run (no network access: inline SVG,
//! CSS and a few lines of script) that shows what happened — the topology drawn,
//! each flow's path on it (and where and why it was dropped, with the fix hint
//! `trace` gives), latency percentile plots, the drops by reason and object with
//! their packet numbers in `drops.pcapng`, expectations, and the flow log per ENI.
//!
//! - [`layout`]: where the boxes go (no overlaps, 2–60+ VPCs);
//! - [`svg`]: the drawing;
//! - [`flow_paths`]: each flow's representative packet traced and mapped on it;
//! - [`plots`]: percentile spectra from the HDR histograms;
//! - [`inputs`]: drops and flow log read back from the run folder;
//! - [`page`]: the HTML around them.
//!
//! The same run writes the same bytes (no wall-clock time in the page).

pub mod flow_paths;
pub mod inputs;
pub mod layout;
pub mod page;
pub mod plots;
pub mod svg;

use crate::dataplane::probe::ProbeResult;
use crate::model::Network;
use crate::output::paths::write_file;
use crate::output::recorder::{DROPS_FILE, FLOWLOG_FILE};
use crate::output::{FlowReport, Summary};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The report's file name in the run folder.
pub const REPORT_FILE: &str = "report.html";

/// Escape text for HTML and SVG (element text and quoted attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Everything the report shows.
pub struct ReportInput<'a> {
    pub network: &'a Network,
    pub summary: &'a Summary,
    pub reports: &'a [FlowReport],
}

/// Write `report.html` into `out_dir` (reading back its `drops.pcapng` and
/// `flowlogs.log` when present). Returns the file's path.
pub fn write_report(input: &ReportInput<'_>, out_dir: &Path) -> io::Result<PathBuf> {
    let flow_log = inputs::read_flow_log(&out_dir.join(FLOWLOG_FILE))?;
    write_report_counted(input, out_dir, flow_log.as_ref())
}

/// [`write_report`] with the flow log's records already counted per ENI (as
/// the run's flow log writer counted them), so it is not read back.
pub fn write_report_counted(
    input: &ReportInput<'_>,
    out_dir: &Path,
    flow_log: Option<&BTreeMap<String, inputs::FlowLogCounts>>,
) -> io::Result<PathBuf> {
    let drops = inputs::read_drops(&out_dir.join(DROPS_FILE))?;
    let html = page::render(input, drops.as_deref(), flow_log);
    let path = out_dir.join(REPORT_FILE);
    write_file(&path, html.as_bytes())?;
    Ok(path)
}

/// `peeremu trace --format svg`: the topology with one probe's path.
pub fn trace_svg(net: &Network, r: &ProbeResult) -> String {
    let layout = layout::layout(net);
    let path = flow_paths::drawn(net, &layout, r, "path-0".into(), "trace".into());
    svg::topology_svg(net, &layout, &[path], true)
}

/// `peeremu trace --format svg --at T`: the drawing under a caption line saying
/// which network it shows (the changes applied by then). The drawing is nested
/// unchanged in an outer SVG one caption line taller, so its own coordinates hold.
pub fn trace_svg_captioned(net: &Network, r: &ProbeResult, caption: Option<&str>) -> String {
    let drawing = trace_svg(net, r);
    let Some(caption) = caption else {
        return drawing;
    };
    let size = |attr: &str| -> u32 {
        let key = format!(" {attr}=\"");
        drawing
            .find(&key)
            .and_then(|i| {
                let rest = &drawing[i + key.len()..];
                rest[..rest.find('"')?].parse().ok()
            })
            .unwrap_or(200)
    };
    let (w, h) = (size("width"), size("height") + CAPTION_HEIGHT);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trace\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <text class=\"caption\" x=\"6\" y=\"16\" font-family=\"sans-serif\" font-size=\"13\">{}</text>\
         <g transform=\"translate(0 {CAPTION_HEIGHT})\">{}</g></svg>\n",
        escape(caption),
        drawing.trim_end()
    )
}

/// Room above a captioned trace drawing for its one line of text.
const CAPTION_HEIGHT: u32 = 24;

/// `peeremu trace --format html`: the drawing and the text report in one page.
pub fn trace_page(net: &Network, title: &str, r: &ProbeResult, text: &str) -> String {
    page::trace_page(title, &trace_svg(net, r), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("plain µs"), "plain µs");
    }
}
