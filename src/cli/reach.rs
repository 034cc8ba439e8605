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
use crate::dataplane::probe::{Leg, Probe};
use crate::dataplane::{Dataplane, DropDetail};
use crate::model::{Endpoint, EniIdx, Network};
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
    /// Destination port for tcp/udp, 1 to 65535.
    // As `trace`'s: port 0 is no port a socket listens on (before stop 14 reach
    // took it).
    #[arg(long, default_value_t = 443, value_parser = clap::value_parser!(u16).range(1..), allow_negative_numbers = true)]
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

/// The verdict for `a` → `b`: the request and reply `peeremu trace` sends,
/// through the same [`probe`](crate::dataplane::probe::probe).
pub fn probe(dp: &mut Dataplane, a: EniIdx, b: EniIdx, proto: Proto, port: u16, v6: bool) -> Cell {
    let net = dp.network();
    let (Some(s), Some(d)) = (address(net, a, v6), address(net, b, v6)) else {
        return Cell::NotApplicable;
    };
    // The request's source port must differ from every destination port, so no
    // pair's request looks like another pair's reply to connection tracking.
    let src_port = if port == TRACE_SOURCE_PORT {
        TRACE_SOURCE_PORT + 1
    } else {
        TRACE_SOURCE_PORT
    };
    let p = Probe {
        src: Endpoint::Eni(a),
        dst: Endpoint::Eni(b),
        src_ip: s,
        dst_ip: d,
        protocol: proto.into(),
        src_port,
        dst_port: port,
        payload_len: if proto == Proto::Icmp { 56 } else { 0 },
        dont_fragment: proto == Proto::Tcp,
    };
    let Ok(r) = crate::dataplane::probe::probe(dp, &p) else {
        return Cell::NotApplicable;
    };
    // A leg that did not arrive: dropped (with its reason) or delivered elsewhere.
    let missed = |leg: &Leg, dropped: fn(DropDetail) -> Cell| match (&leg.delivered, leg.drop) {
        (None, Some(d)) => dropped(d),
        _ => Cell::Elsewhere,
    };
    match (&r.reply, r.reached, r.back) {
        (_, true, true) => Cell::Ok,
        (Some(reply), true, false) => missed(reply, Cell::Reply),
        (None, true, _) => Cell::Elsewhere,
        (_, false, _) => missed(&r.request, Cell::Request),
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
    firsts
        .iter()
        .map(|a| {
            firsts
                .iter()
                .map(|b| match (a, b) {
                    (Some(a), Some(b)) if a != b => probe(&mut dp, *a, *b, proto, port, v6),
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
