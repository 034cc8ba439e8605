//! The topology drawing as SVG text, with flow paths drawn over it.
//!
//! Hand-written on purpose: the `svg` crate (the well-known builder) keeps an
//! element's attributes in a `HashMap` (`svg::node::Attributes`), so attribute order
//! — and the report's bytes — would change from run to run, and it leaves escaping
//! of attribute values to the caller anyway. Everything taken from the topology goes
//! through [`escape`]; numbers are integers.

use super::escape;
use super::layout::{BoxKind, Layout};
use crate::model::{Network, PeeringStatus};
use std::fmt::Write as _;

/// One packet's path to draw: a polyline through box centres, and where it stopped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DrawnPath {
    /// DOM id of the path's group (`path-3`).
    pub dom_id: String,
    /// Hover text.
    pub title: String,
    pub request: Vec<(i32, i32)>,
    pub reply: Vec<(i32, i32)>,
    /// Where the packet was dropped, and the label (reason code).
    pub drop: Option<((i32, i32), String)>,
}

/// Styles for the drawing (inside the SVG so a standalone `.svg` looks the same).
const STYLE: &str = "\
.box{stroke-width:1.2}\
.outside{fill:#f4f4f4;stroke:#999}\
.region{fill:#fbfbfb;stroke:#888;stroke-dasharray:6 4}\
.vpc{fill:#eef5ff;stroke:#3b73b9}\
.subnet{fill:#f3fbf3;stroke:#5c9e5c}\
.eni{fill:#fff;stroke:#555}\
.gateway{fill:#fff4e0;stroke:#c77800}\
.host{fill:#fff;stroke:#777}\
.more{fill:#eee;stroke:#aaa;stroke-dasharray:3 3}\
text{font:12px sans-serif;fill:#222}\
text.t{font-weight:bold}\
.pcx{stroke-width:2.5;fill:none}\
.pcx.active{stroke:#2e8b57}\
.pcx.inactive{stroke:#b22222;stroke-dasharray:7 5}\
text.pl{font-size:11px;fill:#333;paint-order:stroke;stroke:#fff;stroke-width:3px}\
.fp{fill:none;stroke:#1f5fd6;stroke-width:3;opacity:.85;marker-end:url(#arrow)}\
.fp.reply{stroke:#7b3fc4;stroke-dasharray:6 4}\
.drop line{stroke:#d00;stroke-width:4}\
.drop text{fill:#d00;font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:3px}\
.paths>g{display:none}.paths>g.on,.paths.all>g{display:inline}";

/// The SVG element for `layout`, with `paths` (hidden unless `show_all`; the page's
/// script shows them one at a time).
pub fn topology_svg(net: &Network, layout: &Layout, paths: &[DrawnPath], show_all: bool) -> String {
    let mut s = String::with_capacity(512 + layout.boxes.len() * 220 + paths.len() * 160);
    // Room on the right for a drop's label next to the rightmost boxes.
    let (w, h) = (layout.width.max(200) + 100, layout.height.max(60));
    // Writing into a String cannot fail: the results are ignored.
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <style>{STYLE}</style>\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\">\
         <path d=\"M0 0L10 5L0 10z\" fill=\"#1f5fd6\"/></marker></defs>"
    );
    for (i, b) in layout.boxes.iter().enumerate() {
        let r = b.rect;
        let parent = b.parent.map_or(-1, |p| p as i64);
        let _ = write!(
            s,
            "<g id=\"box-{i}\"><title>{}</title><rect class=\"box {}\" data-box=\"{i}\" data-parent=\"{parent}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\"/>",
            escape(&b.lines.join(" ")),
            b.kind.as_str(),
            r.x,
            r.y,
            r.w,
            r.h,
            if matches!(b.kind, BoxKind::Eni | BoxKind::Gateway | BoxKind::Host) { 4 } else { 8 }
        );
        for (k, line) in b.lines.iter().enumerate() {
            let _ = write!(
                s,
                "<text{} x=\"{}\" y=\"{}\">{}</text>",
                if k == 0 { " class=\"t\"" } else { "" },
                r.x + 6,
                r.y + 15 + 15 * k as i32,
                escape(line)
            );
        }
        s.push_str("</g>\n");
    }
    for p in &layout.peerings {
        let Some(pcx) = net.peerings.get(p.pcx) else {
            continue;
        };
        let class = if p.status == PeeringStatus::Active {
            "active"
        } else {
            "inactive"
        };
        // The label sits nearer the accepter: a hub's many lines start together
        // but end apart, so labels there do not pile up.
        let (lx, ly) = (
            p.from.0 + (p.to.0 - p.from.0) * 3 / 4,
            p.from.1 + (p.to.1 - p.from.1) * 3 / 4,
        );
        let _ = writeln!(
            s,
            "<g class=\"peering\" id=\"pcx-{}\"><title>{} {} ({}, MTU {})</title>\
             <line class=\"pcx {class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\
             <text class=\"pl\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} {}</text></g>",
            p.pcx,
            escape(&pcx.id),
            pcx.status.as_str(),
            if pcx.inter_region {
                "inter-region"
            } else {
                "same region"
            },
            pcx.mtu,
            p.from.0,
            p.from.1,
            p.to.0,
            p.to.1,
            lx,
            ly - 4,
            escape(&pcx.id),
            pcx.status.as_str()
        );
    }
    let _ = write!(
        s,
        "<g class=\"paths{}\">",
        if show_all { " all" } else { "" }
    );
    for p in paths {
        let _ = write!(
            s,
            "<g id=\"{}\"><title>{}</title>",
            escape(&p.dom_id),
            escape(&p.title)
        );
        polyline(&mut s, &p.request, "fp");
        // The reply a little to the side, so both show where they share boxes.
        let shifted: Vec<(i32, i32)> = p.reply.iter().map(|&(x, y)| (x + 6, y + 6)).collect();
        polyline(&mut s, &shifted, "fp reply");
        if let Some(((x, y), label)) = &p.drop {
            let _ = write!(
                s,
                "<g class=\"drop\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
                x - 9, y - 9, x + 9, y + 9, x - 9, y + 9, x + 9, y - 9, x + 12, y - 10, escape(label)
            );
        }
        s.push_str("</g>\n");
    }
    s.push_str("</g></svg>");
    s
}

fn polyline(s: &mut String, points: &[(i32, i32)], class: &str) {
    if points.len() < 2 {
        return;
    }
    let _ = write!(s, "<polyline class=\"{class}\" points=\"");
    for (i, (x, y)) in points.iter().enumerate() {
        let _ = write!(s, "{}{x},{y}", if i == 0 { "" } else { " " });
    }
    s.push_str("\"/>");
}
