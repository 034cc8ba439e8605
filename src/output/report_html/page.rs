//! The HTML page around the drawing: summary line, flows table, per-flow details
//! (hops, drop and fix hint, plots, packet numbers and display filter), drops by
//! reason and object, flow log per ENI. Everything from input is escaped.

use super::flow_paths::{drawn, probe_for};
use super::inputs::{DropRecord, FlowLogCounts};
use super::layout::layout;
use super::plots::{format_ns, goodput_plot, percentile_plot};
use super::svg::{topology_svg, DrawnPath};
use super::{escape, ReportInput};
use crate::dataplane::explain::hop_text;
use crate::dataplane::probe::{probe, Probe, ProbeProtocol, ProbeResult};
use crate::dataplane::{Dataplane, Hop};
use crate::model::{proto, Network};
use crate::output::summary::FlowSummary;
use crate::output::FlowReport;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

/// Packet numbers listed per flow and per drop-table row (the rest are counted).
const PACKETS_LISTED: usize = 10;
/// Flows whose details carry the full hop list and plots (failed expectations
/// first, then flows with drops, then file order); the others get a compact
/// block, so a 1,000-flow report stays under 2 MB.
pub const DETAILED_FLOWS: usize = 200;
/// Flows listed at all (row, drawn path, details): a run of more lists this many,
/// chosen as [`DETAILED_FLOWS`] are, and says so. 100,000 rows made an 80 MB page
/// no browser opens comfortably, and tracing and drawing every flow took most of
/// a 100k-flow run's output time; `summary.json` holds every flow.
pub const LISTED_FLOWS: usize = 1_000;

const CSS: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222}\
h1{margin:0 0 4px}h2{margin:28px 0 8px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:6px 0}\
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}\
th{background:#f2f2f2}td.n{text-align:right}\
tr.flow{cursor:pointer}tr.flow:hover{background:#f5f9ff}tr.sel{background:#dfeaff}\
.ok{color:#17803d;font-weight:bold}.bad{color:#c00;font-weight:bold}\
.banner{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px}\
.drawing{overflow:auto;border:1px solid #ddd;max-height:80vh}\
details{margin:4px 0;border:1px solid #e4e4e4;padding:4px 8px}\
summary{cursor:pointer}pre{background:#f7f7f7;padding:6px;overflow:auto;margin:4px 0}\
code{background:#f2f2f2;padding:0 3px}.plots svg{margin:4px 8px 4px 0}\
.plot text{font:11px sans-serif}.plot .pt{font-weight:bold}\
#errors{background:#fdd;border:1px solid #c00;padding:6px;white-space:pre-wrap}";

/// Show one flow's path when its row is clicked (on load: the first flow whose
/// expectation failed, else the first with drops, else the first); record load success (an element
/// `#report-loaded`) or any error (into `#errors`) so a headless browser can tell.
const SCRIPT: &str = r#"window.addEventListener('error',function(e){var d=document.getElementById('errors');d.hidden=false;d.textContent+='error: '+e.message+'\n';});
(function(){
var paths=document.querySelector('svg.topology .paths');
function show(id){if(!paths)return;paths.querySelectorAll('g.on').forEach(function(g){g.classList.remove('on');});var g=document.getElementById(id);if(g)g.classList.add('on');}
document.querySelectorAll('tr.flow').forEach(function(tr){tr.addEventListener('click',function(){show(tr.getAttribute('data-path'));document.querySelectorAll('tr.sel').forEach(function(x){x.classList.remove('sel');});tr.classList.add('sel');});});
var all=document.getElementById('showall');if(all&&paths)all.addEventListener('click',function(){paths.classList.toggle('all');});
var first=document.querySelector('tr.flow.failed')||document.querySelector('tr.flow.dropped')||document.querySelector('tr.flow');if(first)first.click();
var ok=document.createElement('div');ok.id='report-loaded';ok.hidden=true;ok.textContent='report loaded';document.body.appendChild(ok);
})();"#;

/// One flow's representative packet, traced.
struct Traced {
    probe: Probe,
    result: ProbeResult,
}

fn trace_flows(net: &Network, reports: &[FlowReport], listed: &[bool]) -> Vec<Option<Box<Traced>>> {
    // One router for every flow: each probe has its own source port, so flows do
    // not see each other's connection-tracking or NAT entries.
    let mut dp = Dataplane::new(net);
    let by_name: BTreeMap<&str, usize> = net
        .flows
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    reports
        .iter()
        .zip(listed)
        .map(|(r, &listed)| {
            if !listed {
                return None;
            }
            let i = *by_name.get(r.name.as_str())?;
            let p = probe_for(net, &net.flows[i], i)?;
            let result = probe(&mut dp, &p).ok()?;
            Some(Box::new(Traced { probe: p, result }))
        })
        .collect()
}

/// Wireshark/tshark display filter isolating a flow's packets (both directions).
pub fn display_filter(p: &Probe) -> String {
    let ip = if p.src_ip.is_ipv4() { "ip" } else { "ipv6" };
    let transport = match p.protocol {
        ProbeProtocol::Tcp => format!("tcp.port == {}", p.dst_port),
        ProbeProtocol::Udp => format!("udp.port == {}", p.dst_port),
        ProbeProtocol::Icmp if p.src_ip.is_ipv4() => "icmp".to_string(),
        ProbeProtocol::Icmp => "icmpv6".to_string(),
    };
    format!(
        "{ip}.addr == {} && {ip}.addr == {} && {transport}",
        p.src_ip, p.dst_ip
    )
}

fn protocol_number(p: &Probe) -> u8 {
    match (p.protocol, p.src_ip.is_ipv4()) {
        (ProbeProtocol::Tcp, _) => proto::TCP,
        (ProbeProtocol::Udp, _) => proto::UDP,
        (ProbeProtocol::Icmp, true) => proto::ICMP,
        (ProbeProtocol::Icmp, false) => proto::ICMPV6,
    }
}

fn pair(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Which flow each drop belongs to, by addresses, protocol and port (either
/// direction). Frames a NAT gateway translated, and ICMP errors, stay unassigned.
fn assign_drops(traced: &[Option<Box<Traced>>], drops: &[DropRecord]) -> Vec<Option<usize>> {
    let mut index: BTreeMap<(IpAddr, IpAddr, u8), Vec<usize>> = BTreeMap::new();
    for (i, t) in traced.iter().enumerate() {
        if let Some(t) = t {
            let (a, b) = pair(t.probe.src_ip, t.probe.dst_ip);
            index
                .entry((a, b, protocol_number(&t.probe)))
                .or_default()
                .push(i);
        }
    }
    drops
        .iter()
        .map(|d| {
            let k = d.key.as_ref()?;
            let (a, b) = pair(k.src, k.dst);
            let flows = index.get(&(a, b, k.protocol))?;
            let port_matches = |i: &&usize| {
                traced[**i].as_ref().is_some_and(|t| {
                    t.probe.protocol == ProbeProtocol::Icmp
                        || k.dst_port == t.probe.dst_port
                        || k.src_port == t.probe.dst_port
                        || k.src_port == 0
                })
            };
            flows.iter().find(port_matches).or(flows.first()).copied()
        })
        .collect()
}

fn packet_links(numbers: &[u64], total: usize) -> String {
    let mut s = String::new();
    for n in numbers {
        let _ = write!(
            s,
            "<a href=\"drops.pcapng\" title=\"packet {n} of drops.pcapng (Wireshark: Go to packet {n})\">#{n}</a> "
        );
    }
    if total > numbers.len() {
        let _ = write!(s, "… ({} in all)", total);
    }
    s
}

/// The first hops, one line each, and the drop's fix hint.
fn hops_text(net: &Network, r: &ProbeResult) -> String {
    let mut t = String::new();
    let leg = |name: &str, l: &crate::dataplane::probe::Leg, t: &mut String| {
        let _ = writeln!(t, "{name}:");
        let v6 = l.key.dst.is_ipv6();
        for (i, (hop, packet)) in l.hops_with_packet().enumerate() {
            let _ = writeln!(t, "  {:>2}. {}", i + 1, hop_text(net, hop, v6));
            if let Hop::Drop { detail } = hop {
                let _ = writeln!(t, "      fix: {}", detail.hint(net, &packet));
            }
        }
    };
    leg("Request", &r.request, &mut t);
    if let Some(reply) = &r.reply {
        leg("Reply", reply, &mut t);
    }
    t
}

/// "i-a → pcx-ab → i-b" style summary of where the representative packet went.
fn path_summary(net: &Network, r: &ProbeResult) -> String {
    match r.drop() {
        Some((leg, d)) => format!(
            "{} dropped: <b>{}</b> at {}<br><span class=\"hint\">fix: {}</span>",
            if std::ptr::eq(leg, &r.request) {
                "request"
            } else {
                "reply"
            },
            escape(d.reason().code()),
            escape(&d.display(net).to_string()),
            escape(&d.hint(net, &leg.dropped_packet()))
        ),
        None if r.reached && r.back => "delivered both ways".into(),
        None if r.reached => "request delivered, reply delivered elsewhere".into(),
        None => "request delivered elsewhere".into(),
    }
}

fn expectation_cell(f: &FlowSummary) -> String {
    match &f.expectation {
        Some(e) if e.met => format!("<span class=\"ok\">met</span> ({})", escape(&e.expected)),
        Some(e) => format!(
            "<span class=\"bad\">NOT MET</span> ({})",
            escape(&e.expected)
        ),
        None => "—".into(),
    }
}

fn percentiles(p: &Option<crate::output::summary::Percentiles>) -> String {
    match p {
        Some(p) => format!(
            "{} / {} / {}",
            format_ns(p.p50),
            format_ns(p.p99),
            format_ns(p.max)
        ),
        None => "—".into(),
    }
}

/// The flows given full details (see [`DETAILED_FLOWS`]), sorted.
fn detailed_flows(summary: &crate::output::Summary) -> BTreeSet<usize> {
    first_flows(summary, DETAILED_FLOWS).collect()
}

/// Up to `n` flows: unmet expectations first, then flows with drops, then file
/// order.
/// (One pass into four groups, each in file order: the same order as sorting
/// all flows by (not failed, no drops, index), which cost 30 M instructions a
/// call at 100,000 flows.)
fn first_flows(summary: &crate::output::Summary, n: usize) -> impl Iterator<Item = usize> {
    let mut groups: [Vec<usize>; 4] = Default::default();
    for (i, f) in summary.flows.iter().enumerate() {
        let failed = f.expectation.as_ref().is_some_and(|e| !e.met);
        let group = usize::from(!failed) * 2 + usize::from(f.dropped_packets == 0);
        if groups[group].len() < n {
            groups[group].push(i);
        }
    }
    groups.into_iter().flatten().take(n)
}

/// Which flows the page lists (see [`LISTED_FLOWS`]).
fn listed_flows(summary: &crate::output::Summary) -> Vec<bool> {
    let n = summary.flows.len();
    if n <= LISTED_FLOWS {
        return vec![true; n];
    }
    let mut listed = vec![false; n];
    for i in first_flows(summary, LISTED_FLOWS) {
        listed[i] = true;
    }
    listed
}

/// The whole page.
pub fn render(
    input: &ReportInput<'_>,
    drops: Option<&[DropRecord]>,
    flow_log: Option<&BTreeMap<String, FlowLogCounts>>,
) -> String {
    let net = input.network;
    let summary = input.summary;
    let listed = listed_flows(summary);
    let listed_count = listed.iter().filter(|&&l| l).count();
    let traced = trace_flows(net, input.reports, &listed);
    let layout = layout(net);
    let paths: Vec<DrawnPath> = traced
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let t = t.as_ref()?;
            let name = input.reports.get(i).map_or("", |r| r.name.as_str());
            Some(drawn(
                net,
                &layout,
                &t.result,
                format!("path-{i}"),
                name.to_string(),
            ))
        })
        .collect();
    let drops = drops.unwrap_or(&[]);
    let owner = assign_drops(&traced, drops);
    let mut per_flow: Vec<Vec<u64>> = vec![Vec::new(); traced.len()];
    let mut per_flow_total = vec![0usize; traced.len()];
    for (d, o) in drops.iter().zip(&owner) {
        if let Some(i) = *o {
            per_flow_total[i] += 1;
            if per_flow[i].len() < PACKETS_LISTED {
                per_flow[i].push(d.number);
            }
        }
    }

    let mut h = String::with_capacity(64 * 1024 + listed_count * 3000);
    let name = escape(&summary.topology);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>peeremu report: {name}</title><style>{CSS}</style></head><body>\n\
         <div id=\"errors\" hidden></div>\n<h1>{name}</h1>\n"
    );
    let t = &summary.totals;
    let _ =
        writeln!(
        h,
        "<p>seed {} · {} flows · {} frames · virtual time {} · expectations: {} checked, {}</p>",
        summary.seed,
        summary.flows.len(),
        t.frames,
        format_ns(t.sim_time_ns),
        summary.expectations.checked,
        if summary.expectations.failed == 0 {
            "<span class=\"ok\">all met</span>".to_string()
        } else {
            format!("<span class=\"bad\">{} not met</span>", summary.expectations.failed)
        }
    );
    if summary.interrupted {
        h.push_str("<p class=\"banner\">The run was interrupted (Ctrl-C): figures cover the traffic up to that moment.</p>\n");
    }
    h.push_str("<p><a href=\"#topology\">topology</a> · <a href=\"#flows\">flows</a> · <a href=\"#details\">flow details</a> · <a href=\"#drops\">drops</a> · <a href=\"#flowlog\">flow log</a></p>\n");

    // Topology.
    h.push_str("<h2 id=\"topology\">Topology</h2>\n<p>Click a flow below to draw its path (blue: request, purple dashed: reply, red ✕: where it was dropped). <button id=\"showall\" type=\"button\">show all paths</button></p>\n<div class=\"drawing\">");
    h.push_str(&topology_svg(net, &layout, &paths, false));
    h.push_str("</div>\n");

    // Flows table.
    h.push_str("<h2 id=\"flows\">Flows</h2>\n");
    if listed_count < summary.flows.len() {
        let _ = writeln!(
            h,
            "<p class=\"banner\">{listed_count} of the {} flows are listed (unmet expectations and drops first); <code>summary.json</code> has every flow.</p>",
            summary.flows.len()
        );
    }
    h.push_str("<table><tr><th>flow</th><th>from → to</th><th>proto</th><th>sent</th><th>delivered</th><th>dropped</th><th>outcome</th><th>expectation</th><th>latency p50 / p99 / max</th><th>representative packet</th></tr>\n");
    for (i, f) in summary.flows.iter().enumerate() {
        if !listed[i] {
            continue;
        }
        let failed = f.expectation.as_ref().is_some_and(|e| !e.met);
        let path = traced
            .get(i)
            .and_then(|t| t.as_ref())
            .map_or_else(|| "—".to_string(), |t| path_summary(net, &t.result));
        let _ = writeln!(
            h,
            "<tr class=\"flow{}{}\" id=\"flow-{i}\" data-path=\"path-{i}\"><td><a href=\"#detail-{i}\">{}</a></td><td>{} → {}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if failed { " failed" } else { "" },
            if f.dropped_packets > 0 { " dropped" } else { "" },
            escape(&f.name),
            escape(&f.src),
            escape(&f.dst),
            escape(f.protocol),
            f.sent_packets,
            f.delivered_packets,
            f.dropped_packets,
            escape(f.outcome),
            expectation_cell(f),
            percentiles(&f.latency_ns),
            path
        );
    }
    h.push_str("</table>\n");

    // Details per flow.
    let detailed = detailed_flows(summary);
    h.push_str("<h2 id=\"details\">Flow details</h2>\n");
    if detailed.len() < summary.flows.len() {
        let _ = writeln!(
            h,
            "<p>Hops and plots are shown for {} of the {} flows (unmet expectations and drops first); <code>peeremu trace</code> gives any flow's hops, and <code>latency.hlog</code> its distribution.</p>",
            detailed.len(),
            summary.flows.len()
        );
    }
    for (i, f) in summary.flows.iter().enumerate() {
        if !listed[i] {
            continue;
        }
        let full = detailed.contains(&i);
        let _ = writeln!(
            h,
            "<details id=\"detail-{i}\"{}><summary><b>{}</b> {} → {} ({}): {} · {}</summary>",
            if f.expectation.as_ref().is_some_and(|e| !e.met) {
                " open"
            } else {
                ""
            },
            escape(&f.name),
            escape(&f.src),
            escape(&f.dst),
            escape(f.protocol),
            escape(f.outcome),
            expectation_cell(f)
        );
        if !f.drops.is_empty() {
            h.push_str("<p>drops: ");
            for (code, n) in &f.drops {
                let _ = write!(h, "<code>{}</code> × {n} ", escape(code));
            }
            h.push_str("</p>\n");
        }
        if let Some(t) = traced.get(i).and_then(|t| t.as_ref()) {
            if full {
                let _ = writeln!(
                    h,
                    "<p>Representative packet ({} {} → {}{}, as <code>peeremu trace</code>):</p><pre>{}</pre>",
                    t.probe.protocol.as_str(),
                    t.probe.src_ip,
                    t.probe.dst_ip,
                    if t.probe.protocol == ProbeProtocol::Icmp { String::new() } else { format!(" port {}", t.probe.dst_port) },
                    escape(&hops_text(net, &t.result))
                );
            }
            let _ = write!(
                h,
                "<p>display filter: <code>{}</code>",
                escape(&display_filter(&t.probe))
            );
            if per_flow_total[i] > 0 {
                let _ = write!(
                    h,
                    " · in drops.pcapng: {}",
                    packet_links(&per_flow[i], per_flow_total[i])
                );
            }
            h.push_str("</p>\n");
        }
        let mut numbers = Vec::new();
        if let Some(c) = f.completion_ns {
            numbers.push(format!("completion {}", format_ns(c)));
        }
        if let Some(g) = f.goodput_bps {
            numbers.push(format!(
                "goodput {:.0} B/s ({:.2} Mbit/s)",
                g,
                g * 8.0 / 1e6
            ));
        }
        if let Some(n) = f.responses {
            numbers.push(format!("{n} responses"));
        }
        if let Some(Some(p)) = &f.response_ns {
            numbers.push(format!(
                "response p50 {} p99 {}",
                format_ns(p.p50),
                format_ns(p.p99)
            ));
        }
        if let Some(p) = &f.rtt_ns {
            numbers.push(format!(
                "RTT p50 {} p99 {}",
                format_ns(p.p50),
                format_ns(p.p99)
            ));
        }
        if !numbers.is_empty() {
            let _ = writeln!(h, "<p>{}</p>", escape(&numbers.join(" · ")));
        }
        for note in &f.notes {
            let _ = writeln!(h, "<p>note: {}</p>", escape(note));
        }
        if let Some(r) = input.reports.get(i).filter(|_| full) {
            h.push_str("<div class=\"plots\">");
            h.push_str(&percentile_plot("one-way latency", &r.latency_ns));
            if let Some(rtt) = &r.rtt_ns {
                h.push_str(&percentile_plot("round-trip time", rtt));
            }
            if let Some(resp) = &r.response_ns {
                h.push_str(&percentile_plot("response time", resp));
            }
            if let Some(series) = &f.goodput_series {
                h.push_str(&goodput_plot("goodput", series));
            }
            h.push_str("</div>");
        }
        h.push_str("</details>\n");
    }

    // Drops by reason and object.
    h.push_str("<h2 id=\"drops\">Drops by reason and object</h2>\n");
    if drops.is_empty() {
        let total: u64 = summary.flows.iter().map(|f| f.dropped_packets).sum();
        if total == 0 {
            h.push_str("<p>No frame was dropped.</p>\n");
        } else {
            // Without drops.pcapng (--no-capture) only the per-flow counts are known.
            h.push_str("<p>drops.pcapng was not written (<code>--no-capture</code>): counts per flow and reason only.</p><table><tr><th>reason</th><th>flow</th><th>count</th></tr>\n");
            for f in &summary.flows {
                for (code, n) in &f.drops {
                    let _ = writeln!(
                        h,
                        "<tr><td>{}</td><td>{}</td><td class=\"n\">{n}</td></tr>",
                        escape(code),
                        escape(&f.name)
                    );
                }
            }
            h.push_str("</table>\n");
        }
    } else {
        struct Row {
            count: usize,
            flows: BTreeSet<usize>,
            unassigned: usize,
            numbers: Vec<u64>,
        }
        let mut rows: BTreeMap<(&str, &str), Row> = BTreeMap::new();
        for (d, o) in drops.iter().zip(&owner) {
            let r = rows
                .entry((d.reason.as_str(), d.object.as_str()))
                .or_insert(Row {
                    count: 0,
                    flows: BTreeSet::new(),
                    unassigned: 0,
                    numbers: Vec::new(),
                });
            r.count += 1;
            match o {
                Some(i) => {
                    r.flows.insert(*i);
                }
                None => r.unassigned += 1,
            }
            if r.numbers.len() < PACKETS_LISTED {
                r.numbers.push(d.number);
            }
        }
        let _ = writeln!(
            h,
            "<p>{} frames in <a href=\"drops.pcapng\">drops.pcapng</a>; each frame's comment is its reason and object (Wireshark: <code>frame.comment</code>). Packet numbers are Wireshark's.</p>\n<table><tr><th>reason</th><th>object / rule</th><th>frames</th><th>flows</th><th>packets in drops.pcapng</th><th>display filter</th></tr>",
            drops.len()
        );
        for ((reason, object), r) in &rows {
            let mut flows: Vec<String> = r
                .flows
                .iter()
                .take(5)
                .map(|&i| {
                    format!(
                        "<a href=\"#detail-{i}\">{}</a>",
                        escape(input.reports.get(i).map_or("?", |x| x.name.as_str()))
                    )
                })
                .collect();
            if r.flows.len() > 5 {
                flows.push(format!("+{}", r.flows.len() - 5));
            }
            if r.unassigned > 0 {
                flows.push(format!("{} not matched to a flow", r.unassigned));
            }
            let filter = match r.flows.iter().next() {
                Some(&i) if r.flows.len() == 1 => {
                    traced[i].as_ref().map(|t| display_filter(&t.probe))
                }
                _ => None,
            }
            .unwrap_or_else(|| format!("frame.comment contains \"{reason}\""));
            let _ = writeln!(
                h,
                "<tr class=\"drop\"><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(reason),
                escape(object),
                r.count,
                flows.join(", "),
                packet_links(&r.numbers, r.count),
                escape(&filter)
            );
        }
        h.push_str("</table>\n");
    }

    // Flow log.
    h.push_str("<h2 id=\"flowlog\">Flow log (ACCEPT / REJECT per ENI)</h2>\n");
    match flow_log {
        Some(m) if !m.is_empty() => {
            h.push_str("<table><tr><th>ENI</th><th>instance</th><th>ACCEPT records</th><th>ACCEPT packets</th><th>REJECT records</th><th>REJECT packets</th></tr>\n");
            for (eni, c) in m {
                let inst = net
                    .enis
                    .iter()
                    .find(|e| &e.id == eni)
                    .and_then(|e| net.instances.get(e.instance.ix()))
                    .map_or("", |i| i.name.as_str());
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    escape(eni),
                    escape(inst),
                    c.accept_records,
                    c.accept_packets,
                    c.reject_records,
                    c.reject_packets
                );
            }
            h.push_str("</table>\n<p>From <a href=\"flowlogs.log\">flowlogs.log</a> (VPC flow logs v2).</p>\n");
        }
        _ => h.push_str("<p>No flow log records.</p>\n"),
    }
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body></html>\n");
    h
}

/// `trace --format html`: the drawing with the path, and the text report.
pub fn trace_page(title: &str, svg: &str, text: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>peeremu trace: {t}</title><style>{CSS}</style></head><body>\n<h1>Trace {t}</h1>\n<div class=\"drawing\">{svg}</div>\n<pre>{}</pre>\n</body></html>\n",
        escape(text),
        t = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::summary::tests::report;
    use crate::output::{Outcome, RunTotals, Summary};

    #[test]
    fn a_huge_run_lists_its_first_flows_drops_first() {
        let n = LISTED_FLOWS + 3;
        let mut reports: Vec<FlowReport> = (0..n)
            .map(|i| report(&format!("f{i}"), Outcome::Delivered, &[]))
            .collect();
        reports[n - 1] = report("last", Outcome::Dropped, &[("NO_ROUTE", 1)]);
        let summary = Summary::build("t", 1, false, &reports, &[], RunTotals::default());
        let listed = listed_flows(&summary);
        assert_eq!(listed.iter().filter(|&&l| l).count(), LISTED_FLOWS);
        assert!(listed[0] && listed[n - 1] && !listed[n - 2]);
        let small = Summary::build("t", 1, false, &reports[..3], &[], RunTotals::default());
        assert_eq!(listed_flows(&small), [true; 3]);
    }
}
