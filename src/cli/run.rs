//! `peeremu run TOPO.toml`: load, simulate, and write the run folder (captures,
//! flow logs, histograms, `summary.json`), then print the table. Exit 0 when every
//! expectation is met, 1 when one is not, 2 on bad input or unwritable outputs,
//! 130 when interrupted by Ctrl-C (outputs are still complete).

use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK};
use crate::model::Network;
use crate::output::flowlog::DEFAULT_ACCOUNT_ID;
use crate::output::interfaces::expected_duration_ns;
use crate::output::interrupt::EXIT_SIGINT;
use crate::output::{
    paths, report_html, table, FlowReport, Interrupt, Recorder, RecorderConfig, RecorderThread,
    RunTotals, Summary,
};
use crate::sim::Observer;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Folder under which `run` writes `<topology name>/` unless `--out` is given.
pub const DEFAULT_OUTPUT_ROOT: &str = "pcaps";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file.
    pub topology: PathBuf,
    /// Output folder [default: pcaps/TOPOLOGY-NAME].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seed for every random choice (same seed and topology → identical outputs).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Do not write capture.pcapng and drops.pcapng (faster).
    #[arg(long)]
    pub no_capture: bool,
    /// Stop after this many seconds of virtual time [default: when every flow has
    /// finished, or 60 s after both the last scheduled send and the last frame a
    /// host received].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub duration: Option<u64>,
    /// Print nothing but unmet expectations (on stderr).
    #[arg(long, short, conflicts_with = "json")]
    pub quiet: bool,
    /// Print summary.json on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Do not write report.html (the run's page: topology drawn, flow paths, plots).
    #[arg(long)]
    pub no_report: bool,
    /// Account id written in flow log lines (12 digits).
    #[arg(long, value_name = "ID", default_value = DEFAULT_ACCOUNT_ID, value_parser = parse_account_id)]
    pub account_id: String,
}

/// What the simulation is asked to do.
pub struct SimRequest<'a> {
    pub network: &'a Network,
    pub seed: u64,
    /// Virtual time limit (`--duration`).
    pub duration_limit_ns: Option<u64>,
    /// Set by Ctrl-C; the event loop polls it and stops at an event boundary.
    pub stop: &'a AtomicBool,
}

/// What the simulation hands back.
pub struct SimResult {
    pub reports: Vec<FlowReport>,
    pub totals: RunTotals,
    /// The run stopped because `stop` was set.
    pub interrupted: bool,
}

/// The one call into the simulation engine.
// The `sim`/`host` work provides the engine; until it is merged this is the only
// place to connect it, along the lines of
// `sim::run(req.network, &SimConfig { seed: req.seed, time_limit_ns:
// req.duration_limit_ns, stop: Some(req.stop), ..Default::default() }, &mut fabric,
// observer)` with the data plane as `fabric`, mapping its result into `SimResult`.
fn simulate(req: &SimRequest<'_>, observer: &mut dyn Observer) -> Result<SimResult, String> {
    let config = crate::sim::SimConfig {
        seed: req.seed,
        time_limit_ns: req.duration_limit_ns,
        stop: Some(req.stop),
        ..Default::default()
    };
    let r = crate::sim::run_network(req.network, &config, observer).map_err(|e| e.to_string())?;
    Ok(SimResult {
        reports: r.reports,
        totals: r.totals,
        interrupted: r.interrupted,
    })
}

pub fn main(args: Args) -> u8 {
    let process_start = Instant::now();
    let network = match crate::topology::load_file(&args.topology) {
        Ok(n) => n,
        Err(e) => {
            eprint!("{e}");
            return EXIT_INVALID;
        }
    };
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&network, &args.topology));
    let interrupt = Interrupt::new();
    if let Err(e) = interrupt.install_ctrlc() {
        eprintln!("peeremu run: warning: Ctrl-C handling unavailable ({e})");
    }
    let config = RecorderConfig {
        out_dir: out_dir.clone(),
        capture: !args.no_capture,
        account_id: args.account_id.clone(),
        seed: args.seed,
        progress: !args.quiet && !args.json,
        expected_duration_ns: expected_duration_ns(&network, args.duration),
    };
    let recorder = match Recorder::create(&network, &config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "peeremu run: cannot write outputs in {}: {e}",
                out_dir.display()
            );
            return EXIT_INVALID;
        }
    };
    let setup_start = Instant::now();
    let request = SimRequest {
        network: &network,
        seed: args.seed,
        duration_limit_ns: args.duration,
        stop: interrupt.flag(),
    };
    // Captures and flow logs are written on a second thread while the simulation
    // runs (same files, same order: see `output::thread`).
    let mut observer = match RecorderThread::spawn(recorder) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("peeremu run: cannot start the output thread: {e}");
            return EXIT_INVALID;
        }
    };
    let result = match simulate(&request, &mut observer) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("peeremu run: {msg}");
            return EXIT_INVALID;
        }
    };
    let loop_end = Instant::now();
    let loop_start = observer.loop_started_at().unwrap_or(setup_start);
    let recorder = match observer.finish() {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "peeremu run: writing outputs in {} failed: {e}",
                out_dir.display()
            );
            return EXIT_INVALID;
        }
    };
    let mut totals = result.totals;
    // Wall time is measured here so the engine never reads a host clock: the event
    // loop alone (setup and output writing are reported apart, below).
    totals.wall_time_s = loop_end.duration_since(loop_start).as_secs_f64();
    let interrupted = result.interrupted || interrupt.is_set();
    let (summary, written) = recorder.finish(&result.reports, totals, interrupted);
    if !args.no_report {
        write_report(&network, &summary, &result.reports, &out_dir);
    }
    let phases = WallPhases {
        load_s: setup_start.duration_since(process_start).as_secs_f64(),
        setup_s: loop_start.duration_since(setup_start).as_secs_f64(),
        loop_s: totals.wall_time_s,
        output_s: loop_end.elapsed().as_secs_f64(),
    };
    report(&args, &summary, &out_dir);
    if !args.quiet && !args.json {
        println!("{}", phases.line(totals.frames));
    }
    if let Err(e) = written {
        eprintln!(
            "peeremu run: writing outputs in {} failed: {e}",
            out_dir.display()
        );
        return EXIT_INVALID;
    }
    exit_code(&summary)
}

/// `report.html` in the run folder (also after Ctrl-C). A failure is a warning:
/// the run's other outputs are complete without it.
fn write_report(network: &Network, summary: &Summary, reports: &[FlowReport], out_dir: &Path) {
    let input = report_html::ReportInput {
        network,
        summary,
        reports,
    };
    if let Err(e) = report_html::write_report(&input, out_dir) {
        eprintln!(
            "peeremu run: warning: cannot write {} in {}: {e}",
            report_html::REPORT_FILE,
            out_dir.display()
        );
    }
}

/// Where the wall time of a run went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WallPhases {
    /// Reading and compiling the topology, opening the outputs.
    pub load_s: f64,
    /// Building hosts and flows.
    pub setup_s: f64,
    /// The event loop (what the frames/s of the summary line is measured over).
    pub loop_s: f64,
    /// Closing captures and flow logs, writing histograms and `summary.json`.
    pub output_s: f64,
}

impl WallPhases {
    pub fn total_s(&self) -> f64 {
        self.load_s + self.setup_s + self.loop_s + self.output_s
    }

    /// `wall 1.234 s in all (load 0.100, setup 0.050, simulation 1.000, outputs
    /// 0.084): 1750000 frames/s overall`.
    pub fn line(&self, frames: u64) -> String {
        let total = self.total_s();
        let overall = if total > 0.0 {
            format!("{:.0}", frames as f64 / total)
        } else {
            "-".to_string()
        };
        format!(
            "wall {total:.3} s in all (load {:.3}, setup {:.3}, simulation {:.3}, outputs {:.3}): {overall} frames/s overall",
            self.load_s, self.setup_s, self.loop_s, self.output_s
        )
    }
}

/// Print the run's result as asked (table, JSON, or only failures).
fn report(args: &Args, summary: &Summary, out_dir: &Path) {
    if args.json {
        print!("{}", summary.to_json());
    } else if !args.quiet {
        print!("{}", table::render(summary));
        println!("outputs: {}", out_dir.display());
        return;
    }
    // Table mode lists failures itself; elsewhere they go to stderr.
    for f in summary.failed_expectations() {
        eprintln!("{}", table::failure_line(f));
    }
}

/// 130 when interrupted, 1 when an expectation failed, else 0.
pub fn exit_code(summary: &Summary) -> u8 {
    if summary.interrupted {
        EXIT_SIGINT as u8
    } else if summary.expectations.failed > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `pcaps/<topology name>`, the name made safe (the file stem if the name is not).
pub fn default_out_dir(network: &Network, topology_file: &Path) -> PathBuf {
    let name = paths::sanitize(&network.name)
        .or_else(|_| {
            let stem = topology_file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned());
            paths::sanitize(stem.as_deref().unwrap_or(""))
        })
        .unwrap_or_else(|_| "topology".to_string());
    Path::new(DEFAULT_OUTPUT_ROOT).join(name)
}

fn parse_seconds(s: &str) -> Result<u64, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 1e9 {
        return Err(format!("{s:?}: expected seconds between 0 and 1e9"));
    }
    // At least one virtual nanosecond: a positive duration never rounds to zero.
    Ok(((secs * 1e9).round() as u64).max(1))
}

fn parse_account_id(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(format!("{s:?}: an AWS account id is 12 digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Cli::try_parse_from(std::iter::once("run").chain(argv.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn defaults_and_flags() {
        let a = parse(&["t.toml"]).unwrap();
        assert_eq!(
            (a.seed, a.no_capture, a.quiet, a.json, a.duration),
            (1, false, false, false, None)
        );
        assert_eq!(a.account_id, DEFAULT_ACCOUNT_ID);
        let a = parse(&[
            "t.toml",
            "--out",
            "o",
            "--seed",
            "9",
            "--no-capture",
            "--duration",
            "1.5",
            "--json",
        ])
        .unwrap();
        assert_eq!(a.out, Some(PathBuf::from("o")));
        assert_eq!(a.duration, Some(1_500_000_000));
        assert!(a.no_capture && a.json);
    }

    #[test]
    fn a_tiny_duration_is_one_nanosecond_not_unlimited() {
        let tiny = parse(&["t.toml", "--duration", "1e-12"]).map(|a| a.duration);
        assert_eq!(tiny.ok(), Some(Some(1)));
    }

    #[test]
    fn bad_arguments_are_rejected() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["t.toml", "--duration", "-1"]).is_err());
        assert!(parse(&["t.toml", "--duration", "abc"]).is_err());
        assert!(parse(&["t.toml", "--duration", "inf"]).is_err());
        assert!(parse(&["t.toml", "--account-id", "12"]).is_err());
        assert!(parse(&["t.toml", "--quiet", "--json"]).is_err());
    }

    #[test]
    fn default_folder_uses_a_safe_name() {
        let mut n = Network {
            name: "../evil".into(),
            ..Default::default()
        };
        assert_eq!(
            default_out_dir(&n, Path::new("x.toml")),
            Path::new("pcaps/.._evil")
        );
        n.name = "..".into();
        assert_eq!(
            default_out_dir(&n, Path::new("dir/peering-demo.toml")),
            Path::new("pcaps/peering-demo")
        );
        n.name = String::new();
        assert_eq!(
            default_out_dir(&n, Path::new("..")),
            Path::new("pcaps/topology")
        );
    }

    #[test]
    fn wall_phases_line_adds_up() {
        let p = WallPhases {
            load_s: 0.25,
            setup_s: 0.25,
            loop_s: 1.0,
            output_s: 0.5,
        };
        assert_eq!(p.total_s(), 2.0);
        assert_eq!(
            p.line(4_000_000),
            "wall 2.000 s in all (load 0.250, setup 0.250, simulation 1.000, outputs 0.500): 2000000 frames/s overall"
        );
        let zero = WallPhases {
            load_s: 0.0,
            setup_s: 0.0,
            loop_s: 0.0,
            output_s: 0.0,
        };
        assert!(zero.line(5).ends_with("- frames/s overall"));
    }

    #[test]
    fn missing_topology_is_exit_2() {
        let a = parse(&["/nonexistent/peeremu/t.toml", "--quiet"]).unwrap();
        assert_eq!(main(a), EXIT_INVALID);
    }
}
