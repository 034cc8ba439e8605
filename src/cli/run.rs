//! `peeremu run TOPO.toml`: load, simulate, and write the run folder (captures,
//! flow logs, histograms, `summary.json`), then print the table. Exit 0 when every
//! expectation is met, 1 when one is not, 2 on bad input, unwritable outputs or a
//! run folder another run is writing, 130 when interrupted by Ctrl-C, SIGTERM or
//! SIGHUP (outputs of what was done are still complete).
//!
//! The run folder is written beside `--out` and put in its place only once whole
//! (see `output::run_folder`): a run that fails leaves `--out` as it was.

use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK};
use crate::errln;
use crate::model::{FlowIdx, Network};
use crate::output::capture_limit::{parse_size, size_text, CaptureLimits, DEFAULT_MAX_CAPTURE};
use crate::output::console;
use crate::output::flowlog::DEFAULT_ACCOUNT_ID;
use crate::output::interfaces::expected_duration_ns;
use crate::output::interrupt::EXIT_SIGINT;
use crate::output::pcap::DEFAULT_SNAPLEN;
use crate::output::run_folder::RunFolder;
use crate::output::{
    paths, report_html, table, FlowReport, HgrmFiles, Interrupt, Recorder, RecorderConfig,
    RecorderThread, RunTotals, Summary,
};
use crate::sim::explain::{ExplainFabric, ExplainObserver, ExplainedDrop, Explainer};
use crate::sim::Observer;
use crate::wire::FlowKey;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Folder under which `run` writes `<topology name>/` unless `--out` is given.
pub const DEFAULT_OUTPUT_ROOT: &str = "pcaps";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file.
    pub topology: PathBuf,
    /// A second file of [[flow]] and [[host]] tables, added to the topology's
    /// (e.g. for an imported account, which has none).
    #[arg(long, value_name = "FILE")]
    pub flows: Option<PathBuf>,
    /// Output folder [default: pcaps/TOPOLOGY-NAME].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seed for every random choice (same seed and topology → identical outputs).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub seed: u64,
    /// Do not write capture.pcapng and drops.pcapng (faster).
    #[arg(long)]
    pub no_capture: bool,
    /// Stop after this many seconds of virtual time [default: when every flow has
    /// finished, or 60 s after both the last scheduled send and the last frame a
    /// host received].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, allow_hyphen_values = true)]
    pub duration: Option<u64>,
    /// Print nothing but unmet expectations (on stderr).
    #[arg(long, short, conflicts_with = "json")]
    pub quiet: bool,
    /// Print summary.json on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Treat warnings (printed to stderr before the run) as errors: exit 2 without running.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Do not write report.html (the run's page: topology drawn, flow paths, plots).
    #[arg(long)]
    pub no_report: bool,
    /// Account id written in flow log lines (12 digits).
    #[arg(long, value_name = "ID", default_value = DEFAULT_ACCOUNT_ID, value_parser = parse_account_id)]
    pub account_id: String,
    /// Stop capturing once the capture files (capture.pcapng, points/, drops.pcapng)
    /// reach this size in all: bytes, or K, M, G, T (powers of 1024). Later frames
    /// are counted in summary.json, not captured [default: 1G].
    #[arg(long, value_name = "SIZE", default_value_t = DEFAULT_MAX_CAPTURE, value_parser = parse_size, hide_default_value = true)]
    pub max_capture: u64,
    /// Bytes kept of each captured frame (1-65535; the frame's length is recorded).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_SNAPLEN, value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub snaplen: u32,
    /// Print the router's decisions, as `peeremu trace` prints them, for the first
    /// packet of this flow the run dropped (after the table; on stderr with --json
    /// or --quiet).
    #[arg(long, value_name = "FLOW")]
    pub explain: Option<String>,
    /// Write latency/FLOW.hgrm (and rtt/, response/) percentile files for this flow,
    /// or for `all` or `none` of them; repeatable. Every flow is in latency.hlog
    /// regardless [default: all flows of runs of up to 100 flows, else none].
    #[arg(long, value_name = "FLOW|all|none")]
    pub hgrm: Vec<String>,
}

/// `--hgrm` values as the recorder's selection; a name that is no flow of the
/// topology is an error (naming the closest flow name).
fn hgrm_files(values: &[String], network: &Network) -> Result<HgrmFiles, String> {
    if values.is_empty() {
        return Ok(HgrmFiles::Auto);
    }
    if values.iter().any(|v| v == "all") {
        return Ok(HgrmFiles::All);
    }
    let names: std::collections::BTreeSet<String> =
        values.iter().filter(|v| *v != "none").cloned().collect();
    if names.is_empty() {
        return Ok(HgrmFiles::None);
    }
    for name in &names {
        if !network.flows.iter().any(|f| &f.name == name) {
            // Worded as `--explain`'s (see `explained_flow`).
            let hint = crate::topology::suggest::did_you_mean(
                name,
                network.flows.iter().map(|f| f.name.as_str()),
            );
            return Err(format!(
                "--hgrm: no flow is named '{}'{hint}",
                crate::escape::escape(name)
            ));
        }
    }
    Ok(HgrmFiles::Flows(names))
}

/// What the simulation is asked to do.
pub struct SimRequest<'a> {
    pub network: &'a Network,
    pub seed: u64,
    /// Virtual time limit (`--duration`).
    pub duration_limit_ns: Option<u64>,
    /// Set by Ctrl-C; the event loop polls it and stops at an event boundary.
    pub stop: &'a AtomicBool,
    /// `--explain`: the flow whose first dropped packet to trace.
    pub explain: Option<FlowIdx>,
}

/// What the simulation hands back.
pub struct SimResult {
    pub reports: Vec<FlowReport>,
    pub totals: RunTotals,
    /// The run stopped because `stop` was set.
    pub interrupted: bool,
    /// `--explain`: the flow's first dropped packet, if one was.
    pub explained: Option<ExplainedDrop>,
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
    let mut explained = None;
    let r = match req.explain {
        None => crate::sim::run_network(req.network, &config, observer),
        Some(flow) => {
            let shared = Explainer::default();
            let mut fabric = ExplainFabric::new(req.network, shared.clone());
            let mut traced = ExplainObserver {
                inner: observer,
                flow,
                shared: shared.clone(),
            };
            let r = crate::sim::run(req.network, &config, &mut fabric, &mut traced);
            explained = shared.found();
            r
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(SimResult {
        reports: r.reports,
        totals: r.totals,
        interrupted: r.interrupted,
        explained,
    })
}

/// The flow `--explain` names, or the error (with a suggestion) when none has
/// that name.
fn explained_flow(network: &Network, name: &str) -> Result<FlowIdx, String> {
    if let Some(i) = network.flows.iter().position(|f| f.name == name) {
        return Ok(FlowIdx(i as u32));
    }
    let hint =
        crate::topology::suggest::did_you_mean(name, network.flows.iter().map(|f| f.name.as_str()));
    Err(format!(
        "--explain: no flow is named '{}'{hint}",
        crate::escape::escape(name)
    ))
}

/// What `--explain` prints: the first dropped packet of `name` and the router's
/// decisions for it, as `peeremu trace` prints them (hop times are offsets from
/// when the packet entered the router).
pub fn explain_text(network: &Network, name: &str, found: Option<&ExplainedDrop>) -> String {
    let name = crate::escape::escape(name);
    let Some(d) = found else {
        return format!("explain flow {name:?}: none of its packets was dropped\n");
    };
    let packet = d
        .key
        .map_or_else(String::new, |k| format!(" {}", packet_text(&k)));
    let mut text = format!(
        "explain flow {name:?}: first dropped packet{packet}, at {:.6} s virtual: {} {}\n",
        d.time_ns as f64 / 1e9,
        d.reason,
        crate::escape::escape(&d.detail)
    );
    match &d.leg {
        Some(leg) => {
            let origin = leg.times.first().copied().unwrap_or(d.time_ns);
            crate::dataplane::explain::leg_text(network, leg, origin, &mut text);
        }
        None => text.push_str("  dropped on the host's link, before the VPC router\n"),
    }
    text
}

/// `tcp 10.0.1.10:49152 -> 10.0.2.10:5432`, `icmp 10.0.1.10 -> 10.0.2.10`.
fn packet_text(k: &FlowKey) -> String {
    let name = match k.protocol {
        crate::model::proto::TCP => "tcp",
        crate::model::proto::UDP => "udp",
        crate::model::proto::ICMP => "icmp",
        crate::model::proto::ICMPV6 => "icmpv6",
        _ => return format!("protocol {} {} -> {}", k.protocol, k.src, k.dst),
    };
    let end = |ip: std::net::IpAddr, port: u16| match (k.protocol, ip) {
        (crate::model::proto::ICMP | crate::model::proto::ICMPV6, _) => ip.to_string(),
        (_, std::net::IpAddr::V4(_)) => format!("{ip}:{port}"),
        (_, std::net::IpAddr::V6(_)) => format!("[{ip}]:{port}"),
    };
    format!(
        "{name} {} -> {}",
        end(k.src, k.src_port),
        end(k.dst, k.dst_port)
    )
}

pub fn main(args: Args) -> u8 {
    let process_start = Instant::now();
    // Until outputs are protected a signal exits at once: reading the topology
    // is not polled, and nothing has been written yet.
    let interrupt = Interrupt::new();
    if let Err(e) = interrupt.install_ctrlc() {
        errln!("peeremu run: warning: Ctrl-C handling unavailable ({e})");
    }
    let network =
        match crate::topology::load_with_flows_placed(&args.topology, args.flows.as_deref()) {
            Ok((n, places)) => {
                let warnings = crate::warnings::located(&n, &places);
                if crate::warnings::print(&warnings) > 0 && args.deny_warnings {
                    errln!(
                        "{}: {} warning(s) and --deny-warnings: not running",
                        crate::escape::path(&args.topology),
                        warnings.len()
                    );
                    return EXIT_INVALID;
                }
                n
            }
            Err(e) => {
                console::eprint(format_args!("{e}"));
                return EXIT_INVALID;
            }
        };
    let memory = crate::output::memory::MemoryProbe::after_load();
    let explain = match args.explain.as_deref().map(|n| explained_flow(&network, n)) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            errln!("peeremu run: {e}");
            return EXIT_INVALID;
        }
    };
    let hgrm = match hgrm_files(&args.hgrm, &network) {
        Ok(h) => h,
        Err(e) => {
            errln!("peeremu run: {e}");
            return EXIT_INVALID;
        }
    };
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&network, &args.topology));
    interrupt.protect_outputs();
    let folder = match RunFolder::claim(&out_dir) {
        Ok(f) => f,
        Err(e) => {
            errln!("peeremu run: {e}");
            return EXIT_INVALID;
        }
    };
    let config = RecorderConfig {
        out_dir: folder.staging().to_path_buf(),
        capture: !args.no_capture,
        account_id: args.account_id.clone(),
        seed: args.seed,
        progress: !args.quiet && !args.json,
        expected_duration_ns: expected_duration_ns(&network, args.duration),
        limits: CaptureLimits {
            max_bytes: args.max_capture,
            snaplen: args.snaplen,
        },
        hgrm,
    };
    let mut recorder = match Recorder::create(&network, &config) {
        Ok(r) => r,
        Err(e) => {
            errln!(
                "peeremu run: cannot write outputs in {}: {e}",
                crate::escape::path(folder.staging())
            );
            return EXIT_INVALID;
        }
    };
    recorder.watch(interrupt.clone());
    let setup_start = Instant::now();
    let request = SimRequest {
        network: &network,
        seed: args.seed,
        duration_limit_ns: args.duration,
        stop: interrupt.flag(),
        explain,
    };
    // Captures and flow logs are written on a second thread while the simulation
    // runs (same files, same order: see `output::thread`).
    let mut observer = match RecorderThread::spawn(recorder) {
        Ok(o) => o,
        Err(e) => {
            errln!("peeremu run: cannot start the output thread: {e}");
            return EXIT_INVALID;
        }
    };
    let result = match simulate(&request, &mut observer) {
        Ok(r) => r,
        Err(msg) => {
            errln!("peeremu run: {msg}");
            return EXIT_INVALID;
        }
    };
    let loop_end = Instant::now();
    // The hosts are gone: their memory goes back before the outputs take theirs.
    crate::output::memory::release_freed_memory();
    let loop_start = observer.loop_started_at().unwrap_or(setup_start);
    let unwritten = |e: std::io::Error| {
        errln!(
            "peeremu run: writing outputs failed: {e}; {} was left as it was",
            crate::escape::path(&out_dir)
        );
        EXIT_INVALID
    };
    let recorder = match observer.finish() {
        Ok(r) => r,
        Err(e) => return unwritten(e),
    };
    let mut totals = result.totals;
    // Wall time is measured here so the engine never reads a host clock: the event
    // loop alone (setup and output writing are reported apart, below).
    totals.wall_time_s = loop_end.duration_since(loop_start).as_secs_f64();
    let interrupted = result.interrupted || interrupt.is_set();
    // report.html (with the flow log's counts) is written beside summary.json, on the
    // recorder's second output thread (see `Recorder::finish_with`).
    let reports = &result.reports;
    let staging = folder.staging();
    let (summary, written) =
        recorder.finish_with(reports, totals, interrupted, |summary, flow_log| {
            if !args.no_report {
                write_report(&network, summary, reports, flow_log, staging);
            }
        });
    // A run folder is complete or not there: `folder` removes what was written.
    if let Err(e) = written {
        return unwritten(e);
    }
    if let Err(e) = folder.commit() {
        errln!(
            "peeremu run: cannot put the outputs in place at {}: {e}",
            crate::escape::path(&out_dir)
        );
        return EXIT_INVALID;
    }
    let phases = WallPhases {
        load_s: setup_start.duration_since(process_start).as_secs_f64(),
        setup_s: loop_start.duration_since(setup_start).as_secs_f64(),
        loop_s: totals.wall_time_s,
        output_s: loop_end.elapsed().as_secs_f64(),
    };
    if let Some(line) = memory.as_ref().and_then(|m| m.report()) {
        errln!("{line}");
    }
    let explained = args
        .explain
        .as_deref()
        .map(|name| explain_text(&network, name, result.explained.as_ref()));
    let written = report(&args, &summary, &out_dir, &phases, explained.as_deref());
    warn_conservation(&summary);
    let code = if interrupt.is_set() {
        EXIT_SIGINT as u8
    } else {
        exit_code(&summary)
    };
    // The process exits next (only `main.rs` calls this): freeing the topology,
    // the flows' reports and the summary piece by piece would be wasted work,
    // 311 M instructions (about 0.1 s) at 100,000 flows (issue #18). Nothing
    // here holds a file or a thread.
    std::mem::forget((network, result, summary));
    console::finish(code, written)
}

/// `report.html` in the run folder (also after Ctrl-C). A failure is a warning:
/// the run's other outputs are complete without it.
fn write_report(
    network: &Network,
    summary: &Summary,
    reports: &[FlowReport],
    flow_log: &crate::output::recorder::FlowLogTally,
    out_dir: &Path,
) {
    let input = report_html::ReportInput {
        network,
        summary,
        reports,
    };
    if let Err(e) = report_html::write_report_counted(&input, out_dir, Some(flow_log)) {
        errln!(
            "peeremu run: warning: cannot write {} in {}: {e}",
            report_html::REPORT_FILE,
            crate::escape::path(out_dir)
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
fn report(
    args: &Args,
    summary: &Summary,
    out_dir: &Path,
    phases: &WallPhases,
    explained: Option<&str>,
) -> std::io::Result<()> {
    if args.json || args.quiet {
        if let Some(e) = explained {
            console::eprint(format_args!("{e}"));
        }
    }
    if args.json {
        console::print(&summary.to_json())?;
    } else if !args.quiet {
        let mut text = table::render(summary);
        if let Some(e) = explained {
            text.push('\n');
            text.push_str(e);
            text.push('\n');
        }
        if summary.capture_truncated {
            text.push_str(&format!(
                "captures: stopped at --max-capture ({}); {} frames not captured (counted in the flow logs and summary)\n",
                size_text(args.max_capture),
                summary.frames_not_captured
            ));
        }
        text.push_str(&format!("outputs: {}\n", crate::escape::path(out_dir)));
        text.push_str(&phases.line(summary.totals.frames));
        text.push('\n');
        return console::print(&text);
    }
    // Table mode lists failures itself; elsewhere they go to stderr.
    for f in summary.failed_expectations() {
        errln!("{}", table::failure_line(f));
    }
    Ok(())
}

/// The loud warning when the run's frame balance does not add up (DESIGN.md §3):
/// the totals and every flow with packets unaccounted for.
fn warn_conservation(summary: &Summary) {
    let Some(warning) = summary.totals.conservation.warning() else {
        return;
    };
    errln!("peeremu run: {warning}");
    for f in summary.flows.iter().filter(|f| f.unaccounted_packets > 0) {
        errln!(
            "peeremu run: flow {}: {} of {} packets sent neither arrived, nor were dropped with a reason, nor were in flight",
            crate::escape::escape(&f.name),
            f.unaccounted_packets,
            f.sent_packets
        );
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
    // At most the latest virtual time any input may ask for (1e9 s).
    if !secs.is_finite() || secs <= 0.0 || secs * 1e9 > crate::model::MAX_VIRTUAL_NS as f64 {
        return Err(format!(
            "{s:?}: expected seconds, more than 0 and at most 1e9"
        ));
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
        assert_eq!((a.max_capture, a.snaplen), (1 << 30, 65_535));
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
            "--max-capture",
            "100M",
            "--snaplen",
            "128",
        ])
        .unwrap();
        assert_eq!((a.max_capture, a.snaplen), (100 << 20, 128));
        assert_eq!(a.out, Some(PathBuf::from("o")));
        assert_eq!(a.duration, Some(1_500_000_000));
        assert!(a.no_capture && a.json);
    }

    #[test]
    fn hgrm_selects_flows_all_or_none() {
        let net = Network {
            flows: vec![crate::output::summary::tests::flow("web-db", None)],
            ..Default::default()
        };
        let sel = |v: &[&str]| {
            let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
            hgrm_files(&v, &net)
        };
        assert_eq!(sel(&[]), Ok(HgrmFiles::Auto));
        assert_eq!(sel(&["none"]), Ok(HgrmFiles::None));
        assert_eq!(sel(&["web-db", "all"]), Ok(HgrmFiles::All));
        assert_eq!(
            sel(&["web-db"]),
            Ok(HgrmFiles::Flows(["web-db".to_string()].into()))
        );
        let e = sel(&["web-dc"]).unwrap_err();
        assert!(
            e.contains("no flow is named 'web-dc'") && e.contains("did you mean `web-db`?"),
            "{e}"
        );
        let a = parse(&["t.toml", "--hgrm", "a", "--hgrm", "b"]).unwrap();
        assert_eq!(a.hgrm, ["a", "b"]);
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
        assert!(parse(&["t.toml", "--max-capture", "lots"]).is_err());
        assert!(parse(&["t.toml", "--snaplen", "0"]).is_err());
        assert!(parse(&["t.toml", "--snaplen", "65536"]).is_err());
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
