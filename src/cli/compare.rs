//! `peeremu compare A.toml B.toml`: run the same flows over two designs (say, VPC
//! peering and a transit gateway) and print, per flow (matched by name): outcome
//! and the reason it was not delivered, p50/p99 one-way latency, the path MTU the
//! source ended with, bytes delivered and the estimated data cost. `--json FILE`
//! writes the same as JSON. Nothing is written but that file: runs are in memory
//! (no captures), with the same seed for both designs.
//!
//! Exit 0 when both ran, 2 on bad input (either file invalid, or no flow name in
//! common).

use super::{EXIT_INVALID, EXIT_OK};
use crate::escape::escape;
use crate::model::{Endpoint, Network};
use crate::output::console;
use crate::output::data_cost::DataCost;
use crate::output::summary::Percentiles;
use crate::output::table::duration;
use crate::output::FlowReport;
use crate::sim::{run_network, NullObserver, SimConfig};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The first design (e.g. peering.toml).
    pub a: PathBuf,
    /// The second design, with flows of the same names (e.g. tgw.toml).
    pub b: PathBuf,
    /// Seed for every random choice, the same for both runs.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub seed: u64,
    /// Also write the comparison as JSON to FILE (`-`: stdout, instead of the table).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// One flow in one design.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub outcome: String,
    /// The most frequent drop reason (`null` when nothing was dropped).
    pub reason: Option<String>,
    pub latency_p50_ns: Option<u64>,
    pub latency_p99_ns: Option<u64>,
    /// The path MTU the source ended with: learned from ICMP
    /// (`path_mtu_learned`), else its own interface MTU.
    pub path_mtu: u16,
    pub path_mtu_learned: bool,
    pub bytes_delivered: u64,
    pub data_cost: DataCost,
}

/// One flow in both designs (`null` on the side that has no flow of that name).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub a: Option<Side>,
    pub b: Option<Side>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Design {
    pub file: String,
    pub topology: String,
    pub total_data_cost_usd: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub seed: u64,
    pub a: Design,
    pub b: Design,
    pub flows: Vec<Row>,
}

fn side(net: &Network, r: &FlowReport) -> Side {
    let p = Percentiles::of(&r.latency_ns);
    let reason = r
        .drops
        .iter()
        .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
        .map(|(k, _)| k.clone());
    let own_mtu = net
        .flows
        .iter()
        .find(|f| f.name == r.name)
        .and_then(|f| match f.src {
            Endpoint::Eni(e) => net.enis.get(e.ix()).map(|e| e.mtu),
            Endpoint::External(h) => net.external_hosts.get(h.ix()).map(|h| h.mtu),
        })
        .unwrap_or(crate::dataplane::VPC_MTU);
    Side {
        outcome: r.outcome.as_str().to_string(),
        reason,
        latency_p50_ns: p.map(|p| p.p50),
        latency_p99_ns: p.map(|p| p.p99),
        path_mtu: r.path_mtu.unwrap_or(own_mtu),
        path_mtu_learned: r.path_mtu.is_some(),
        bytes_delivered: r.bytes_delivered,
        data_cost: r.data_cost,
    }
}

/// Match the two runs' flows by name: `a`'s order, then flows only `b` has.
pub fn compare(
    (a_file, a_net, a): (&Path, &Network, &[FlowReport]),
    (b_file, b_net, b): (&Path, &Network, &[FlowReport]),
    seed: u64,
) -> Comparison {
    let by_name: BTreeMap<&str, &FlowReport> = b.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut rows: Vec<Row> = a
        .iter()
        .map(|r| Row {
            name: r.name.clone(),
            a: Some(side(a_net, r)),
            b: by_name.get(r.name.as_str()).map(|x| side(b_net, x)),
        })
        .collect();
    let in_a: std::collections::BTreeSet<&str> = a.iter().map(|r| r.name.as_str()).collect();
    rows.extend(
        b.iter()
            .filter(|r| !in_a.contains(r.name.as_str()))
            .map(|r| Row {
                name: r.name.clone(),
                a: None,
                b: Some(side(b_net, r)),
            }),
    );
    let total = |rs: &[FlowReport]| rs.iter().map(|r| r.data_cost.total_usd).sum();
    Comparison {
        seed,
        a: Design {
            file: a_file.display().to_string(),
            topology: a_net.name.clone(),
            total_data_cost_usd: total(a),
        },
        b: Design {
            file: b_file.display().to_string(),
            topology: b_net.name.clone(),
            total_data_cost_usd: total(b),
        },
        flows: rows,
    }
}

/// US dollars with enough digits for a short run's fractions of a cent.
fn usd(v: f64) -> String {
    if v == 0.0 {
        "$0".to_string()
    } else if v < 0.01 {
        format!("${v:.3e}")
    } else {
        format!("${v:.2}")
    }
}

const HEADERS: [&str; 8] = [
    "flow",
    "design",
    "outcome",
    "p50",
    "p99",
    "path MTU",
    "bytes",
    "data cost",
];

/// The table: two lines per flow, one per design (ends with a newline).
pub fn render(c: &Comparison) -> String {
    // The file's stem (`peering`, `tgw`): shorter than most topology names.
    let label = |d: &Design| {
        let stem = Path::new(&d.file).file_stem().map(|s| s.to_string_lossy());
        escape(&stem.unwrap_or_else(|| d.topology.as_str().into())).into_owned()
    };
    let (mut la, mut lb) = (label(&c.a), label(&c.b));
    // Two files of one name (`v1/topo.toml`, `v2/topo.toml`): their paths, or
    // the same file twice: A and B; before stop 14 both lines said `topo`.
    if la == lb {
        (la, lb) = if c.a.file == c.b.file {
            (format!("{la} (A)"), format!("{lb} (B)"))
        } else {
            (
                escape(&c.a.file).into_owned(),
                escape(&c.b.file).into_owned(),
            )
        };
    }
    let mut rows: Vec<[String; 8]> = Vec::new();
    for r in &c.flows {
        for (i, (l, s)) in [(&la, &r.a), (&lb, &r.b)].into_iter().enumerate() {
            let name = if i == 0 {
                escape(&r.name).into_owned()
            } else {
                String::new()
            };
            rows.push(match s {
                None => [
                    name,
                    l.clone(),
                    "(no such flow)".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ],
                Some(s) => [
                    name,
                    l.clone(),
                    match &s.reason {
                        Some(why) if s.outcome != "delivered" => format!("{} {why}", s.outcome),
                        _ => s.outcome.clone(),
                    },
                    s.latency_p50_ns.map_or("-".into(), duration),
                    s.latency_p99_ns.map_or("-".into(), duration),
                    if s.path_mtu_learned {
                        format!("{} (ICMP)", s.path_mtu)
                    } else {
                        s.path_mtu.to_string()
                    },
                    s.bytes_delivered.to_string(),
                    usd(s.data_cost.total_usd),
                ],
            });
        }
    }
    let mut widths = HEADERS.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push = |cells: &[String; 8]| {
        let mut line = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            // Numbers right-aligned, words left-aligned.
            let pad = w.saturating_sub(c.chars().count());
            if i >= 3 {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            } else {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            }
            line.push_str("  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push(&HEADERS.map(String::from));
    for r in &rows {
        push(r);
    }
    out.push_str(&format!(
        "data cost of the run: {la} {}, {lb} {} (estimated at each file's [prices]; see docs/outputs.md)\n",
        usd(c.a.total_data_cost_usd),
        usd(c.b.total_data_cost_usd)
    ));
    out
}

fn load_and_run(file: &Path, seed: u64) -> Result<(Network, Vec<FlowReport>), String> {
    let net = crate::topology::load_file(file).map_err(|e| e.to_string())?;
    let config = SimConfig {
        seed,
        ..Default::default()
    };
    let r = run_network(&net, &config, &mut NullObserver)
        .map_err(|e| format!("{}: {e}", crate::escape::path(file)))?;
    Ok((net, r.reports))
}

pub fn main(args: Args) -> u8 {
    let (a_net, a) = match load_and_run(&args.a, args.seed) {
        Ok(x) => x,
        Err(e) => {
            console::eprint(format_args!("{e}"));
            return EXIT_INVALID;
        }
    };
    let (b_net, b) = match load_and_run(&args.b, args.seed) {
        Ok(x) => x,
        Err(e) => {
            console::eprint(format_args!("{e}"));
            return EXIT_INVALID;
        }
    };
    let c = compare((&args.a, &a_net, &a), (&args.b, &b_net, &b), args.seed);
    if c.flows.iter().all(|r| r.a.is_none() || r.b.is_none()) {
        crate::errln!(
            "peeremu compare: {} and {} have no flow name in common: nothing to compare",
            crate::escape::path(&args.a),
            crate::escape::path(&args.b)
        );
        return EXIT_INVALID;
    }
    let mut json = serde_json::to_string_pretty(&c).unwrap_or_default();
    json.push('\n');
    let written = match &args.json {
        Some(p) if p.as_os_str() == "-" => console::print(&json),
        Some(p) => {
            if let Err(e) = crate::output::whole_file::write(p, json.as_bytes()) {
                crate::errln!(
                    "peeremu compare: cannot write {}: {e}",
                    crate::escape::path(p)
                );
                return EXIT_INVALID;
            }
            console::print(&render(&c))
        }
        None => console::print(&render(&c)),
    };
    console::finish(EXIT_OK, written)
}
