//! `peeremu trace`: send one synthetic packet and its reply through the VPC
//! router pipeline and print every decision, like AWS Reachability Analyzer.
//!
//! The request leaves at virtual time 0; the reply is built from the frame the
//! destination actually received (after any NAT) and sent back when it arrives.

use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK};
use crate::dataplane::explain::{egress_label, hop_json, leg_text};
use crate::dataplane::probe::{probe, Leg, Probe, ProbeProtocol, ProbeResult};
use crate::dataplane::Dataplane;
use crate::model::{Endpoint, ExternalHost, ExternalSite, HostIdx, Network, VgwIdx};
use crate::output::report_html;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::path::PathBuf;

/// Source port of the synthetic request (the first Linux ephemeral port).
pub const TRACE_SOURCE_PORT: u16 = 49152;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
}

impl From<Proto> for ProbeProtocol {
    fn from(p: Proto) -> Self {
        match p {
            Proto::Tcp => ProbeProtocol::Tcp,
            Proto::Udp => ProbeProtocol::Udp,
            Proto::Icmp => ProbeProtocol::Icmp,
        }
    }
}

/// Trace one packet (and its reply) from A to B.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file.
    pub topology: PathBuf,
    /// A second file of [[flow]] and [[host]] tables, added to the topology's
    /// (e.g. for an imported account, which has none).
    #[arg(long, value_name = "FILE")]
    pub flows: Option<PathBuf>,
    /// Source: instance name or id (its first ENI), ENI id, external host name, or an
    /// IP address (an ENI's, an external host's, or any internet/on-premises address).
    #[arg(long)]
    pub from: String,
    /// Destination, as for --from. An instance reached from the internet is addressed
    /// by its public IP when it has one.
    #[arg(long)]
    pub to: String,
    /// Protocol: a TCP SYN (answered by SYN-ACK), a UDP datagram, or an ICMP echo.
    #[arg(long, value_enum, default_value = "tcp")]
    pub proto: Proto,
    /// Destination port for tcp/udp, 1 to 65535 (the source port is 49152).
    #[arg(long, default_value_t = 443, value_parser = clap::value_parser!(u16).range(1..), allow_negative_numbers = true)]
    pub port: u16,
    /// IP packet size in bytes, headers included (what MTUs compare with), from the
    /// protocol's headers alone (TCP 40, UDP and ICMP 28; IPv6 20 more) to 65535; the
    /// default is the smallest packet of the protocol (ICMP 84 like ping).
    #[arg(long)]
    pub size: Option<u16>,
    /// Set IPv4 Don't Fragment (always set for TCP, like Linux; IPv6 never fragments).
    #[arg(long)]
    pub df: bool,
    /// Use the IPv6 addresses of instances named by --from/--to.
    #[arg(long)]
    pub ipv6: bool,
    /// Print JSON instead of text (same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output: text (default), json, svg (the topology with the packet's path drawn),
    /// or html (the drawing and the hops in one self-contained page).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Trace the network as it is at this virtual time of a run: after every
    /// [[change]] whose `at_ms` is at or before it, applied in order. Seconds
    /// (`2.5`) or a number with a unit (`2500ms`, `2.5s`, `1m`, `1h`). Default: the
    /// network as written.
    #[arg(long, value_name = "TIME", value_parser = parse_at, allow_hyphen_values = true)]
    pub at: Option<u64>,
}

/// `--at`: virtual nanoseconds from seconds or a number with a unit (ns, us,
/// ms, s, m, h), the units of the topology's times (`at_ms`).
fn parse_at(s: &str) -> Result<u64, String> {
    let t = s.trim();
    // The unit is a suffix, so a number in exponent form reads (`1e3ms`): `ms`
    // before `m` and `s`, `min` before `m`.
    const UNITS: [(&str, f64); 7] = [
        ("ns", 1.0),
        ("us", 1e3),
        ("ms", 1e6),
        ("min", 60e9),
        ("h", 3600e9),
        ("m", 60e9),
        ("s", 1e9),
    ];
    let (num, scale) = UNITS
        .iter()
        .find_map(|&(u, k)| t.strip_suffix(u).map(|n| (n, k)))
        .unwrap_or((t, 1e9));
    let n: f64 = num.trim().parse().map_err(|_| {
        format!(
            "{s:?}: expected seconds (2.5) or a number with a unit: ns, us, ms, s, m, h (2500ms)"
        )
    })?;
    let ns = n * scale;
    if !ns.is_finite() || ns < 0.0 || ns > crate::model::MAX_VIRTUAL_NS as f64 {
        return Err(format!("{s:?}: expected a time between 0 and 1e9 s"));
    }
    Ok(ns.round() as u64)
}

/// Apply the topology's changes due at `at_ns` (at or before it) to `net`, as
/// the run applies them; the labels of those applied and the instances they
/// left stopped.
fn changes_until(
    net: &mut Network,
    at_ns: u64,
) -> Result<(Vec<String>, Vec<crate::model::InstanceIdx>), String> {
    let mut running = vec![true; net.instances.len()];
    let due: Vec<crate::model::Change> = net
        .timeline
        .changes
        .iter()
        .take_while(|c| c.at_ns <= at_ns)
        .cloned()
        .collect();
    let mut labels = Vec::with_capacity(due.len());
    for c in &due {
        c.apply(net, &mut running)
            .map_err(|e| format!("--at: {}: {e}", crate::escape::escape(&c.label)))?;
        labels.push(c.label.clone());
    }
    let stopped = (0..running.len())
        .filter(|&i| !running[i])
        .map(|i| crate::model::InstanceIdx(i as u32))
        .collect();
    Ok((labels, stopped))
}

/// The line saying which network the trace saw (`--at`).
fn at_text(at_ns: u64, labels: &[String]) -> String {
    let when = format!("At {} ms of the run", at_ns as f64 / 1e6);
    if labels.is_empty() {
        format!("{when}: no change applied yet (the network as written)\n\n")
    } else {
        let list: Vec<String> = labels
            .iter()
            .map(|l| crate::escape::escape(l).into_owned())
            .collect();
        format!("{when}: after {}\n\n", list.join(", "))
    }
}

/// One end of the trace.
type End = Endpoint;

/// How `trace` prints its result.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Numbered hops, the fix hint under a drop.
    #[default]
    Text,
    /// The same as JSON (as `--json`).
    Json,
    /// The topology drawn with the packet's path on it (SVG).
    Svg,
    /// The drawing and the hops in one self-contained HTML page.
    Html,
}

pub fn main(args: Args) -> u8 {
    let mut net = match crate::topology::load_with_flows(&args.topology, args.flows.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            crate::output::console::eprint(format_args!("{e}"));
            return EXIT_INVALID;
        }
    };
    match run(&mut net, &args) {
        Ok((report, ok)) => {
            let code = if ok { EXIT_OK } else { EXIT_FAILED };
            let written = crate::output::console::printf(format_args!("{report}\n"));
            crate::output::console::finish(code, written)
        }
        Err(msg) => {
            crate::errln!("peeremu trace: {msg}");
            EXIT_INVALID
        }
    }
}

/// A trace from an interface endpoint's interface or an NLB node is refused, as a
/// flow from one is (`flow-source`): those interfaces only answer connections
/// made to them (before stop 15 the trace showed the endpoint sending).
fn starts_connections(net: &Network, src: End, from: &str) -> Result<(), String> {
    use crate::model::PrivateLinkRole;
    let Endpoint::Eni(e) = src else {
        return Ok(());
    };
    let what = match net.privatelink_role(e) {
        Some(PrivateLinkRole::Endpoint(i)) => format!(
            "a network interface of interface endpoint {}",
            net.interface_endpoints[i.ix()].id
        ),
        Some(PrivateLinkRole::LbNode(l)) => {
            format!("a node of load balancer {}", net.load_balancers[l.ix()].id)
        }
        None => return Ok(()),
    };
    Err(format!(
        "--from {}: {} is {what}; it answers connections made to it and never starts one: trace from an instance or a host",
        crate::escape::escape(from),
        crate::escape::escape(&net.enis[e.ix()].id)
    ))
}

/// Resolve an endpoint; an unknown IP becomes an ad-hoc external host (on
/// premises when a VPN gateway's CIDRs hold it, else on the internet).
fn resolve(net: &mut Network, s: &str) -> Result<(End, Option<IpAddr>), String> {
    if let Some(e) = net.endpoint_by_name(s) {
        return Ok((e, None));
    }
    let ip: IpAddr = s.parse().map_err(|_| unknown_endpoint(net, s))?;
    let owners: Vec<usize> = (0..net.enis.len())
        .filter(|&i| {
            let e = &net.enis[i];
            IpAddr::V4(e.private_ip) == ip
                || e.ipv6.map(IpAddr::V6) == Some(ip)
                || e.public_ip.map(IpAddr::V4) == Some(ip)
        })
        .collect();
    match owners.as_slice() {
        [one] => return Ok((Endpoint::Eni(crate::model::EniIdx(*one as u32)), Some(ip))),
        [] => {}
        _ => {
            return Err(format!(
                "{ip} belongs to several ENIs (overlapping VPCs): name the instance instead"
            ))
        }
    }
    if let Some(h) = net.external_hosts.iter().position(|h| h.ip == ip) {
        return Ok((Endpoint::External(HostIdx(h as u32)), Some(ip)));
    }
    let vgw = net
        .vpn_gateways
        .iter()
        .position(|g| g.onprem_cidrs.iter().any(|c| c.contains(&ip)));
    if vgw.is_none() {
        if let Some(why) = unreachable_private(net, ip) {
            return Err(why);
        }
    }
    net.external_hosts.push(ExternalHost {
        name: ip.to_string(),
        ip,
        site: vgw.map_or(ExternalSite::Internet, |g| {
            ExternalSite::OnPrem(VgwIdx(g as u32))
        }),
        mtu: 1500,
    });
    Ok((
        Endpoint::External(HostIdx(net.external_hosts.len() as u32 - 1)),
        Some(ip),
    ))
}

/// `'web-1' is not an instance, …; did you mean `web1`?`, the candidates being
/// every name `--from`/`--to` accept (as `check` suggests for flow endpoints).
fn unknown_endpoint(net: &Network, s: &str) -> String {
    let names = net
        .instances
        .iter()
        .flat_map(|i| [i.name.as_str(), i.id.as_str()])
        .chain(net.enis.iter().map(|e| e.id.as_str()))
        .chain(net.external_hosts.iter().map(|h| h.name.as_str()))
        .filter(|n| !n.is_empty());
    let hint = crate::topology::suggest::did_you_mean(s, names);
    format!(
        "'{}' is not an instance, ENI, external host or IP address{hint}",
        crate::escape::escape(s)
    )
}

/// Why an address no ENI, host or VPN owns cannot stand for an internet host:
/// it is inside a VPC. (Other private addresses may lie beyond a route the
/// topology does not model, a blackhole or a VPN: they stay ad-hoc hosts, and a
/// packet from the internet to one is dropped as not reachable from the internet.)
fn unreachable_private(net: &Network, ip: IpAddr) -> Option<String> {
    net.vpcs.iter().find(|v| v.contains(ip)).map(|v| {
        format!(
            "{ip} is inside {} but no ENI has it: name an instance or ENI, or use one of its addresses",
            v.id
        )
    })
}

fn address(
    net: &Network,
    end: End,
    given: Option<IpAddr>,
    ipv6: bool,
    from_internet: bool,
) -> Result<IpAddr, String> {
    if let Some(ip) = given {
        return Ok(ip);
    }
    match end {
        Endpoint::External(h) => Ok(net.external_hosts[h.ix()].ip),
        Endpoint::Eni(e) => {
            let eni = &net.enis[e.ix()];
            if ipv6 {
                return eni
                    .ipv6
                    .map(IpAddr::V6)
                    .ok_or_else(|| format!("{} has no IPv6 address", eni.id));
            }
            Ok(match (from_internet, eni.public_ip) {
                (true, Some(p)) => IpAddr::V4(p),
                _ => IpAddr::V4(eni.private_ip),
            })
        }
    }
}

/// Transport payload bytes for an IP packet of `size` bytes; an error when `size`
/// cannot hold the headers (rather than silently raising it).
fn payload_len(proto: Proto, v6: bool, size: Option<u16>) -> Result<usize, String> {
    let ip = if v6 { 40 } else { 20 };
    let transport = match proto {
        Proto::Tcp => 20,
        Proto::Udp | Proto::Icmp => 8,
    };
    match size {
        Some(s) if usize::from(s) < ip + transport => Err(format!(
            "--size {s} is too small: an {} {} packet is at least {} bytes (IP header {ip} + {} header {transport}); --size counts the whole IP packet, headers included",
            if v6 { "IPv6" } else { "IPv4" },
            proto_name(proto),
            ip + transport,
            proto_name(proto),
        )),
        Some(s) => Ok(usize::from(s) - ip - transport),
        None if proto == Proto::Icmp => Ok(56),
        None => Ok(0),
    }
}

/// `--to` as a DNS name (it has a dot and names no endpoint or address): the
/// source's resolver answers it first. `None`: `to` is not a name.
fn lookup(net: &Network, src: End, to: &str, v6: bool) -> Option<crate::route53::Resolution> {
    use crate::route53::Vantage;
    if !to.contains('.') || to.parse::<IpAddr>().is_ok() || net.endpoint_by_name(to).is_some() {
        return None;
    }
    crate::route53::message::valid_name(to).ok()?;
    let vantage = match src {
        Endpoint::Eni(e) => Vantage::Vpc(net.enis[e.ix()].vpc),
        Endpoint::External(h) => match net.external_hosts[h.ix()].site {
            ExternalSite::Internet => Vantage::Internet,
            ExternalSite::OnPrem(_) | ExternalSite::DirectConnect(_) => Vantage::OnPremises(h),
        },
    };
    Some(crate::route53::resolve(net, vantage, to, v6))
}

/// The resolution step as text: the resolver's steps, then the answer.
/// The size of the answer when it does not fit a UDP message without EDNS0
/// (the stub then asks again over TCP, as `run` puts on the wire).
fn truncated_size(to: &str, v6: bool, r: &crate::route53::Resolution) -> Option<usize> {
    if r.rcode == crate::route53::Rcode::NoResponse {
        return None;
    }
    let n = crate::route53::message::response(0, to, v6, r).ok()?.len();
    (n > crate::route53::lookup::UDP_MESSAGE_LIMIT).then_some(n)
}

fn resolution_text(to: &str, v6: bool, r: &crate::route53::Resolution) -> String {
    let mut t = format!(
        "Resolution of {}:
",
        crate::escape::escape(to)
    );
    for (i, step) in r.steps.iter().enumerate() {
        t.push_str(&format!(
            "  {}. {}
",
            i + 1,
            crate::escape::escape(step)
        ));
    }
    if let Some(n) = truncated_size(to, v6, r) {
        t.push_str(&format!(
            "  the answer is {n} bytes, over {}: truncated over UDP (TC), asked again over TCP port 53\n",
            crate::route53::lookup::UDP_MESSAGE_LIMIT
        ));
    }
    match r.address() {
        Some(a) => t.push_str(&format!(
            "  answer: {a}

"
        )),
        None => t.push_str(&format!(
            "  answer: none ({})

",
            r.rcode.as_str()
        )),
    }
    t
}

fn resolution_json(to: &str, v6: bool, r: &crate::route53::Resolution) -> Value {
    json!({
        "rcode": r.rcode.as_str(),
        "truncated": truncated_size(to, v6, r).is_some(),
        "answers": r.answers.iter().map(|a| json!({
            "name": a.name, "type": a.data.type_str(), "ttl": a.ttl, "value": a.data.value(),
        })).collect::<Vec<_>>(),
        "steps": r.steps,
    })
}

fn run(net: &mut Network, args: &Args) -> Result<(String, bool), String> {
    // The network at `--at`: names resolve and packets go as they would then.
    let (applied, stopped) = match args.at {
        Some(t) => changes_until(net, t)?,
        None => (Vec::new(), Vec::new()),
    };
    let (src, src_ip) = resolve(net, &args.from)?;
    starts_connections(net, src, &args.from)?;
    let dns = lookup(net, src, &args.to, args.ipv6);
    let to = match &dns {
        Some(r) => match r.address() {
            Some(a) => a.to_string(),
            None => {
                let json = args.json || args.format == Format::Json;
                let out = if json {
                    serde_json::to_string_pretty(&json!({
                        "from": args.from, "to": args.to, "dns": resolution_json(&args.to, args.ipv6, r),
                        "delivered": false, "verdict": "unresolved", "reason": r.rcode.as_str(),
                        "at_ms": args.at.map(|t| t as f64 / 1e6),
                        "changes_applied": args.at.map(|_| &applied),
                    }))
                    .map_err(|e| e.to_string())?
                } else {
                    format!(
                        "Trace {} -> {}\n\n{}Result: the name did not resolve ({})",
                        crate::escape::escape(&args.from),
                        crate::escape::escape(&args.to),
                        resolution_text(&args.to, args.ipv6, r),
                        r.rcode.as_str()
                    )
                };
                return Ok((out, false));
            }
        },
        None => args.to.clone(),
    };
    let (dst, dst_ip) = resolve(net, &to)?;
    if matches!((src, dst), (Endpoint::External(_), Endpoint::External(_))) {
        return Err("one end must be inside a VPC (both are external hosts)".into());
    }
    if src == dst {
        return Err("--from and --to are the same endpoint".into());
    }
    let from_internet = matches!(src, Endpoint::External(h) if net.external_hosts[h.ix()].site == ExternalSite::Internet);
    let s = address(net, src, src_ip, args.ipv6, false)?;
    let d = address(net, dst, dst_ip, args.ipv6, from_internet)?;
    if s.is_ipv4() != d.is_ipv4() {
        return Err(format!("{s} and {d} are not the same address family"));
    }
    let payload = payload_len(args.proto, d.is_ipv6(), args.size)?;
    let protocol = ProbeProtocol::from(args.proto);
    let df = args.df || args.proto == Proto::Tcp;
    let p = Probe {
        src,
        dst,
        src_ip: s,
        dst_ip: d,
        protocol,
        src_port: TRACE_SOURCE_PORT,
        dst_port: args.port,
        payload_len: payload,
        dont_fragment: df,
    };
    let mut dp = Dataplane::new(net);
    for &instance in &stopped {
        // The data plane keeps which instances run: stop them as the run does.
        let stop = crate::model::Change {
            at_ns: 0,
            action: crate::model::ChangeAction::Instance {
                instance,
                running: false,
            },
            label: String::new(),
        };
        dp.apply_change(&stop)?;
    }
    let result = probe(&mut dp, &p)?;
    let (request, reply, reached, back) = (
        &result.request,
        result.reply.as_ref(),
        result.reached,
        result.back,
    );
    let ok = reached && back;
    let title = format!(
        "{} -> {}: {} {} -> {}, {} bytes{}",
        args.from,
        args.to,
        proto_name(args.proto),
        endpoint(s, args.proto, TRACE_SOURCE_PORT),
        endpoint(d, args.proto, args.port),
        request.key.ip_len,
        if df && d.is_ipv4() { ", DF" } else { "" }
    );
    let net = dp.network();
    let verdict = verdict(request, reply, reached, back);
    let format = if args.json { Format::Json } else { args.format };
    match format {
        Format::Json => {
            let v = json!({
                "from": args.from, "to": args.to, "protocol": proto_name(args.proto),
                "src": s.to_string(), "dst": d.to_string(),
                "port": if args.proto == Proto::Icmp { Value::Null } else { json!(args.port) },
                "size": request.key.ip_len, "df": df && d.is_ipv4(),
                "request": leg_json(net, request),
                "reply": reply.map(|r| leg_json(net, r)),
                "delivered": ok,
                "verdict": verdict.0,
                "reason": verdict.1,
                "dns": dns.as_ref().map(|r| resolution_json(&args.to, args.ipv6, r)),
                "at_ms": args.at.map(|t| t as f64 / 1e6),
                "changes_applied": args.at.map(|_| &applied),
            });
            Ok((
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?,
                ok,
            ))
        }
        Format::Text => {
            let text = text_report(net, &title, &result, &verdict.2);
            Ok((with_preamble(text, args, dns.as_ref(), &applied), ok))
        }
        Format::Svg => {
            // The drawing says which network it shows when `--at` chose one.
            let caption = args.at.map(|t| at_text(t, &applied));
            Ok((
                report_html::trace_svg_captioned(net, &result, caption.as_deref().map(str::trim)),
                ok,
            ))
        }
        Format::Html => {
            let text = text_report(net, &title, &result, &verdict.2);
            let text = with_preamble(text, args, dns.as_ref(), &applied);
            Ok((report_html::trace_page(net, &title, &result, &text), ok))
        }
    }
}

/// The text report with what comes before the hops: the `--at` line (which
/// network the trace saw), then the name resolution, as the host asks before it
/// sends. Shared by the text and HTML formats so they say the same.
fn with_preamble(
    mut text: String,
    args: &Args,
    dns: Option<&crate::route53::Resolution>,
    applied: &[String],
) -> String {
    if let Some(r) = dns {
        let body = text.split_off(text.find("\n\n").map_or(0, |i| i + 2));
        text.push_str(&resolution_text(&args.to, args.ipv6, r));
        text.push_str(&body);
    }
    if let Some(t) = args.at {
        let body = text.split_off(text.find("\n\n").map_or(0, |i| i + 2));
        text.push_str(&at_text(t, applied));
        text.push_str(&body);
    }
    text
}

/// The text report: numbered hops of the request and the reply, then the verdict.
fn text_report(net: &Network, title: &str, r: &ProbeResult, verdict: &str) -> String {
    let mut text = format!("Trace {title}\n\nRequest:\n");
    leg_text(net, &r.request, 0, &mut text);
    if let Some(reply) = &r.reply {
        text.push_str("\nReply:\n");
        leg_text(net, reply, 0, &mut text);
    }
    text.push_str(&format!("\nResult: {verdict}"));
    text
}

/// (`delivered`|`dropped`|`misdelivered`, reason code, sentence).
fn verdict(
    req: &Leg,
    reply: Option<&Leg>,
    reached: bool,
    back: bool,
) -> (&'static str, Option<&'static str>, String) {
    if !reached {
        return match req.drop {
            Some(d) => (
                "dropped",
                Some(d.reason().code()),
                format!("request dropped ({})", d.reason()),
            ),
            None => (
                "misdelivered",
                None,
                "request delivered somewhere else".into(),
            ),
        };
    }
    if back {
        return ("delivered", None, "delivered both ways".into());
    }
    match reply.and_then(|r| r.drop) {
        Some(d) => (
            "dropped",
            Some(d.reason().code()),
            format!("request delivered, reply dropped ({})", d.reason()),
        ),
        None => (
            "misdelivered",
            None,
            "request delivered, reply delivered somewhere else".into(),
        ),
    }
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
        Proto::Icmp => "icmp",
    }
}

fn endpoint(ip: IpAddr, proto: Proto, port: u16) -> String {
    match (proto, ip) {
        (Proto::Icmp, _) => ip.to_string(),
        (_, IpAddr::V4(_)) => format!("{ip}:{port}"),
        (_, IpAddr::V6(_)) => format!("[{ip}]:{port}"),
    }
}

fn leg_json(net: &Network, leg: &Leg) -> Value {
    let v6 = leg.key.dst.is_ipv6();
    let hops: Vec<Value> = leg
        .timed_hops()
        .map(|(h, t)| {
            let mut v = hop_json(net, h, v6);
            v["time_ns"] = json!(t);
            v
        })
        .collect();
    json!({
        "hops": hops,
        "delivered_to": leg.delivered.as_ref().map(|(to, _, _)| egress_label(net, *to, v6)),
        "latency_ns": leg.delivered.as_ref().map(|(_, _, l)| *l),
        "drop": leg.drop.map(|d| json!({
            "reason": d.reason().code(),
            "detail": d.display(net).to_string(),
            "hint": d.hint(net, &leg.dropped_packet()),
        })),
    })
}
