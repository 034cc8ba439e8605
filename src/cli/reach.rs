//! `peeremu reach TOPO --proto tcp --port 5432`: for every ordered pair of
//! instances, send the packet `peeremu trace` sends (a SYN, a UDP datagram or an
//! echo request, and its reply) through the same router pipeline, and print the
//! matrix of who reaches whom, with the drop reason of each pair that fails —
//! Reachability Analyzer's question for all pairs at once.
//!
//! One [`Dataplane`] serves every pair (compiled once); pairs do not share
//! connection-tracking entries (each has its own 5-tuple), so the order in
//! which they are tried does not change any verdict.

use super::trace::{Proto, TRACE_SOURCE_PORT};
use super::{EXIT_INVALID, EXIT_OK};
use crate::dataplane::{Action, Dataplane, DropDetail, Egress, Ingress, ROUTER_MAC};
use crate::model::{EniIdx, Network};
use crate::wire::{build_packet, parse_frame, PacketSpec, Transport};
use serde_json::json;
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file.
    pub topology: PathBuf,
    /// A second file of [[flow]] and [[host]] tables (as for `run` and `trace`).
    #[arg(long, value_name = "FILE")]
    pub flows: Option<PathBuf>,
    /// Protocol: a TCP SYN (answered by SYN-ACK), a UDP datagram, or an ICMP echo.
    #[arg(long, value_enum, default_value = "tcp")]
    pub proto: Proto,
    /// Destination port for tcp/udp.
    #[arg(long, default_value_t = 443)]
    pub port: u16,
    /// Use the instances' IPv6 addresses (pairs without one are `n/a`).
    #[arg(long)]
    pub ipv6: bool,
    /// Print JSON (one object per pair) instead of the matrix.
    #[arg(long)]
    pub json: bool,
}

/// What happened to one pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Request and reply delivered.
    Ok,
    /// Request dropped.
    Request(DropDetail),
    /// Request delivered, reply dropped.
    Reply(DropDetail),
    /// Delivered to another interface than the destination (overlapping VPCs).
    Elsewhere,
    /// No address of the family asked for.
    NotApplicable,
}

impl Cell {
    /// `ok`, the reason code, `reply:CODE`, `elsewhere` or `n/a`.
    pub fn short(&self) -> String {
        match self {
            Cell::Ok => "ok".into(),
            Cell::Request(d) => d.reason().code().to_string(),
            Cell::Reply(d) => format!("reply:{}", d.reason().code()),
            Cell::Elsewhere => "elsewhere".into(),
            Cell::NotApplicable => "n/a".into(),
        }
    }
}

fn address(net: &Network, e: EniIdx, v6: bool) -> Option<IpAddr> {
    let eni = &net.enis[e.ix()];
    if v6 {
        eni.ipv6.map(IpAddr::V6)
    } else {
        Some(IpAddr::V4(eni.private_ip))
    }
}

/// Send one frame; where it was delivered, or why it was dropped.
fn send(
    dp: &mut Dataplane,
    now: u64,
    from: EniIdx,
    frame: Vec<u8>,
    out: &mut Vec<Action>,
) -> Result<(Egress, Vec<u8>, u64), Option<DropDetail>> {
    out.clear();
    dp.process(now, Ingress::Eni(from), frame, out);
    let mut drop = None;
    for a in out.drain(..) {
        match a {
            Action::Deliver {
                to,
                frame,
                latency_ns,
                ..
            } => return Ok((to, frame, latency_ns)),
            Action::Drop { detail, .. } if drop.is_none() => drop = Some(detail),
            _ => {}
        }
    }
    Err(drop)
}

/// The verdict for `a` → `b`.
pub fn probe(
    dp: &mut Dataplane,
    now: u64,
    a: EniIdx,
    b: EniIdx,
    proto: Proto,
    port: u16,
    v6: bool,
) -> Cell {
    let net = dp.network();
    let (Some(s), Some(d)) = (address(net, a, v6), address(net, b, v6)) else {
        return Cell::NotApplicable;
    };
    // The request's source port must differ from every destination port, so no
    // pair's request looks like another pair's reply to connection tracking.
    let sport = if port == TRACE_SOURCE_PORT {
        TRACE_SOURCE_PORT + 1
    } else {
        TRACE_SOURCE_PORT
    };
    let transport = |reply: bool, sp: u16, dp: u16, id: u16| match proto {
        Proto::Tcp => Transport::Tcp {
            src_port: sp,
            dst_port: dp,
            flags: if reply { 0x12 } else { 0x02 },
            seq: 1,
            ack: u32::from(reply) * 2,
        },
        Proto::Udp => Transport::Udp {
            src_port: sp,
            dst_port: dp,
        },
        Proto::Icmp => Transport::Echo { id, seq: 1, reply },
    };
    let spec = PacketSpec {
        src_mac: net.enis[a.ix()].mac,
        dst_mac: ROUTER_MAC,
        src: s,
        dst: d,
        transport: transport(false, sport, port, 1),
        payload_len: if proto == Proto::Icmp { 56 } else { 0 },
        dont_fragment: proto == Proto::Tcp,
        identification: 1,
        ttl: 64,
    };
    let dst_mac = net.enis[b.ix()].mac;
    let Ok(frame) = build_packet(&spec) else {
        return Cell::NotApplicable;
    };
    let mut out = Vec::new();
    let (got, latency) = match send(dp, now, a, frame, &mut out) {
        Ok((Egress::Eni(e), got, l)) if e == b => (got, l),
        Ok(_) | Err(None) => return Cell::Elsewhere,
        Err(Some(d)) => return Cell::Request(d),
    };
    let Ok(k) = parse_frame(&got) else {
        return Cell::Elsewhere;
    };
    let reply = PacketSpec {
        src_mac: dst_mac,
        src: k.dst,
        dst: k.src,
        transport: transport(true, k.dst_port, k.src_port, k.icmp_id),
        identification: 2,
        ..spec
    };
    let Ok(frame) = build_packet(&reply) else {
        return Cell::NotApplicable;
    };
    match send(dp, now + latency, b, frame, &mut out) {
        Ok((Egress::Eni(e), _, _)) if e == a => Cell::Ok,
        Ok(_) | Err(None) => Cell::Elsewhere,
        Err(Some(d)) => Cell::Reply(d),
    }
}

/// Every ordered pair of instances (their first ENIs), row by row.
pub fn matrix(net: &Network, proto: Proto, port: u16, v6: bool) -> Vec<Vec<Cell>> {
    let mut dp = Dataplane::new(net);
    let firsts: Vec<Option<EniIdx>> = net
        .instances
        .iter()
        .map(|i| i.enis.first().copied())
        .collect();
    let mut now = 0;
    firsts
        .iter()
        .map(|a| {
            firsts
                .iter()
                .map(|b| match (a, b) {
                    (Some(a), Some(b)) if a != b => {
                        now += 1_000_000;
                        probe(&mut dp, now, *a, *b, proto, port, v6)
                    }
                    _ => Cell::NotApplicable,
                })
                .collect()
        })
        .collect()
}

fn label(net: &Network, i: usize) -> String {
    let inst = &net.instances[i];
    if inst.name != inst.id && !inst.name.is_empty() {
        format!("{} ({})", inst.id, inst.name)
    } else {
        inst.id.clone()
    }
}

pub fn main(args: Args) -> u8 {
    let net = match crate::topology::load_with_flows(&args.topology, args.flows.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            crate::output::console::eprint(format_args!("{e}"));
            return EXIT_INVALID;
        }
    };
    if net.instances.len() < 2 {
        crate::errln!("peeremu reach: the topology has fewer than two instances");
        return EXIT_INVALID;
    }
    let m = matrix(&net, args.proto, args.port, args.ipv6);
    let dp = Dataplane::new(&net);
    let net = dp.network();
    if args.json {
        let mut pairs = Vec::new();
        for (i, row) in m.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                if i == j {
                    continue;
                }
                let detail = match c {
                    Cell::Request(d) | Cell::Reply(d) => Some(d.display(net).to_string()),
                    _ => None,
                };
                pairs.push(json!({
                    "from": net.instances[i].id, "to": net.instances[j].id,
                    "reachable": *c == Cell::Ok, "verdict": c.short(), "detail": detail,
                }));
            }
        }
        let v = json!({ "protocol": format!("{:?}", args.proto).to_lowercase(), "port": args.port, "ipv6": args.ipv6, "pairs": pairs });
        return print(&serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    print(&render(net, &m, &args))
}

/// Print to stdout: a closed stdout (`| head`) ends quietly, a full one is exit 2
/// (see [`crate::output::console::finish`]).
fn print(text: &str) -> u8 {
    let written = crate::output::console::printf(format_args!("{text}\n"));
    crate::output::console::finish(EXIT_OK, written)
}

/// The matrix as text: a legend, rows = from, columns = to, then each failing
/// pair with the rule that dropped it.
pub fn render(net: &Network, m: &[Vec<Cell>], args: &Args) -> String {
    let n = m.len();
    let what = match args.proto {
        Proto::Icmp => "icmp echo".to_string(),
        p => format!("{:?} port {}", p, args.port).to_lowercase(),
    };
    let mut s = format!(
        "Reachability, {what}{} (rows: from, columns: to)\n\n",
        if args.ipv6 { ", IPv6" } else { "" }
    );
    for i in 0..n {
        s.push_str(&format!("  [{}] {}\n", i + 1, label(net, i)));
    }
    let width = m
        .iter()
        .flatten()
        .map(|c| c.short().len())
        .max()
        .unwrap_or(2)
        .max(n.to_string().len() + 2);
    s.push_str(&format!("\n{:>6}", "from\\to"));
    for j in 0..n {
        s.push_str(&format!(" {:>width$}", format!("[{}]", j + 1)));
    }
    s.push('\n');
    for (i, row) in m.iter().enumerate() {
        s.push_str(&format!("{:>7}", format!("[{}]", i + 1)));
        for (j, c) in row.iter().enumerate() {
            let t = if i == j { "-".to_string() } else { c.short() };
            s.push_str(&format!(" {t:>width$}"));
        }
        s.push('\n');
    }
    let ok = m
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.iter().enumerate().filter(move |(j, _)| *j != i))
        .filter(|(_, c)| **c == Cell::Ok)
        .count();
    s.push_str(&format!(
        "\n{ok} of {} pairs reachable\n",
        n * n.saturating_sub(1)
    ));
    for (i, row) in m.iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            let (leg, d) = match c {
                Cell::Request(d) => ("request", d),
                Cell::Reply(d) => ("reply", d),
                _ => continue,
            };
            s.push_str(&format!(
                "  [{}] -> [{}]: {leg} dropped: {}\n",
                i + 1,
                j + 1,
                d.display(net)
            ));
        }
    }
    s
}
