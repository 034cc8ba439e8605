//! [`Recorder`]: the [`Observer`] a run writes through. It owns every output file of
//! the run folder:
//!
//! ```text
//! <out>/capture.pcapng   one interface per ENI, per peering link, per external host,
//!                        per NAT gateway's network interface, per TGW attachment
//! <out>/points/<id>.pcapng  the same frames, one file per capture point (opened when
//!                        the point first sees a frame; at most MAX_POINT_FILES), so
//!                        Wireshark's TCP analysis and IP reassembly see each copy once
//! <out>/drops.pcapng     every dropped frame, commented "REASON object"
//! <out>/flowlogs.log     VPC flow log v2, per ENI / 5-tuple / 60 s window / action
//! <out>/summary.json     per-flow statistics and run totals
//! <out>/latency.hlog    every flow's latency histogram, one HdrHistogram interval
//!                        log (tagged per flow); rtt.hlog, response.hlog likewise
//! <out>/latency/<flow>.hgrm, <out>/rtt/<flow>.hgrm   percentile distributions of
//!                        the flows [`HgrmFiles`] selects
//! <out>/response/<flow>.hgrm   response times of TCP request/response flows
//! ```
//!
//! Flow logs assume what the simulation does: a frame leaving an ENI is reported
//! (`Outbound`) when the instance sends it, before the VPC router's checks. AWS
//! logs at the interface, and `REJECT` only what the ENI's security group or its
//! subnet's NACL refused ([`DropReason::flow_log_effect`], with AWS's pages): so a
//! security group or NACL drop attributed to the ENI that sent the frame turns that
//! packet's `ACCEPT` into a `REJECT`, one attributed to the receiving ENI adds a
//! `REJECT` there; a frame the sender's own uplink queue dropped never reached the
//! interface and is taken out of the log; a frame the ENI let out and a router
//! dropped later (no route, MTU, edge to edge, transit gateway, ...) stays `ACCEPT`.
//!
//! Observer calls cannot return errors, so the first I/O error is kept, further
//! capture writes stop, the run is asked to stop (through the [`Interrupt`] it
//! watches, if any: a full disk should not simulate on for minutes), and
//! [`Recorder::finish`] reports the error after writing what it can.
//!
//! Captures stop for good at the `--max-capture` limit (see `capture_limit`).

use super::capture_limit::{size_text, CaptureBudget, CaptureLimits};
use super::data_cost::PricesUsed;
use super::flowlog::{Action, FlowLog, FlowLogCounts, DEFAULT_ACCOUNT_ID};
use super::frame_head::{flow_fields, Flow4, HEAD_LEN};

/// Flow log records and packets written, per ENI id (see [`FlowLog::counts_by_eni`]).
pub type FlowLogTally = std::collections::BTreeMap<String, FlowLogCounts>;
use super::hgrm::write_percentile_distribution;
use super::histogram::LatencyHistogram;
use super::hlog::write_interval_log;
use super::interfaces::capture_interfaces;
use super::interrupt::Interrupt;
use super::paths::{create_file, write_file, CheckedDir, OutputDir, UniqueNames};
use super::pcap::{CaptureInterface, PcapngFile};
use super::points::PointCaptures;
use super::progress::Progress;
use super::report::{FlowReport, RunTotals};
use super::summary::Summary;
use crate::model::{EniIdx, Flow, FlowLogEffect, Network};
use crate::sim::{CapturePoint, DropEvent, FrameDirection, Observer};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const CAPTURE_FILE: &str = "capture.pcapng";
pub const DROPS_FILE: &str = "drops.pcapng";
pub const FLOWLOG_FILE: &str = "flowlogs.log";
pub const SUMMARY_FILE: &str = "summary.json";
pub const LATENCY_DIR: &str = "latency";
/// Every flow's latency histogram (see `hlog`).
pub const LATENCY_LOG: &str = "latency.hlog";
/// Ping flows' round-trip times.
pub const RTT_LOG: &str = "rtt.hlog";
/// Response times of request/response flows.
pub const RESPONSE_LOG: &str = "response.hlog";
/// Up to this many flows, every flow gets its `.hgrm` files by default.
pub const HGRM_ALL_UP_TO: usize = 100;
pub const RTT_DIR: &str = "rtt";
/// Response times of TCP request/response flows.
pub const RESPONSE_DIR: &str = "response";

/// Which flows get `.hgrm` percentile files (`--hgrm`); every flow is in the
/// `.hlog` interval logs whatever this says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HgrmFiles {
    /// Every flow when the run has at most [`HGRM_ALL_UP_TO`] flows, else none:
    /// a few files are handy, 100k of them took most of a run's output time.
    #[default]
    Auto,
    All,
    None,
    /// The flows of these names.
    Flows(std::collections::BTreeSet<String>),
}

impl HgrmFiles {
    /// Whether the flow `name`, of a run of `flows` flows, gets `.hgrm` files.
    pub fn wants(&self, flows: usize, name: &str) -> bool {
        match self {
            HgrmFiles::Auto => flows <= HGRM_ALL_UP_TO,
            HgrmFiles::All => true,
            HgrmFiles::None => false,
            HgrmFiles::Flows(names) => names.contains(name),
        }
    }
}

/// How a run's outputs are written.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderConfig {
    /// The folder to write (created if missing; `peeremu run` passes a fresh
    /// staging folder, see `run_folder`). Files in it are overwritten.
    pub out_dir: PathBuf,
    /// Write `capture.pcapng` and `drops.pcapng` (`--no-capture` turns both off).
    pub capture: bool,
    /// `account-id` of flow log lines.
    pub account_id: String,
    /// Recorded in `summary.json`.
    pub seed: u64,
    /// Show a progress bar when the run takes over a second.
    pub progress: bool,
    /// Virtual time the run is expected to cover (for the bar's length).
    pub expected_duration_ns: Option<u64>,
    /// `--max-capture` and `--snaplen`.
    pub limits: CaptureLimits,
    /// `--hgrm`: the flows that get `.hgrm` files.
    pub hgrm: HgrmFiles,
}

impl RecorderConfig {
    pub fn new(out_dir: impl Into<PathBuf>) -> RecorderConfig {
        RecorderConfig {
            out_dir: out_dir.into(),
            capture: true,
            account_id: DEFAULT_ACCOUNT_ID.to_string(),
            seed: 1,
            progress: false,
            expected_duration_ns: None,
            limits: CaptureLimits::default(),
            hgrm: HgrmFiles::Auto,
        }
    }
}

type FileWriter = BufWriter<File>;

pub struct Recorder {
    dir: OutputDir,
    topology: String,
    seed: u64,
    flows: Vec<Flow>,
    /// Data cost prices, written in the summary.
    prices: crate::model::Prices,
    capture: Option<PcapngFile<FileWriter>>,
    /// `points/<id>.pcapng` (present when capturing).
    points: Option<PointCaptures>,
    drops: Option<PcapngFile<FileWriter>>,
    flowlog: FlowLog<FileWriter>,
    /// Interface id offsets in `capture.pcapng`: ENIs, then peerings, then hosts.
    peering_base: u32,
    /// The first TGW attachment interface (after the NAT gateways').
    tgw_base: u32,
    /// The first NAT gateway interface (after the external hosts).
    nat_base: u32,
    /// Each NAT gateway's private IP (its interface's address in the flow log).
    nat_private_ips: Vec<std::net::Ipv4Addr>,
    host_base: u32,
    /// The first egress-only internet gateway interface (after the TGW
    /// attachments').
    eigw_base: u32,
    /// Per Direct Connect connection, its first virtual interface's interface
    /// (after the egress-only gateways').
    vif_bases: Vec<u32>,
    /// Interface id in `drops.pcapng` for drops not attributed to an ENI.
    unattributed_drop_iface: u32,
    /// Each ENI's private IPv4 and IPv6 address (is it the sender of a frame?).
    eni_addrs: Vec<(IpAddr, Option<IpAddr>)>,
    /// Each ENI's Amazon DNS server: its VPC's base address +2.
    amazon_dns: Vec<Option<std::net::Ipv4Addr>>,
    error: Option<io::Error>,
    progress: Progress,
    /// Reused for drop comments (no allocation per drop once grown).
    comment: String,
    frames: u64,
    dropped: u64,
    /// Frames the flow log could not parse (not counted there).
    unparsed: u64,
    /// When the simulation's event loop started (after its setup).
    loop_started: Option<Instant>,
    /// What is left of `--max-capture`.
    budget: CaptureBudget,
    max_capture: u64,
    /// Set by a signal (checked while writing histograms); set here on an I/O
    /// error to stop the run.
    interrupt: Option<Interrupt>,
    hgrm: HgrmFiles,
}

impl Recorder {
    /// Create the run folder and open every streaming output (captures, flow log).
    pub fn create(network: &Network, config: &RecorderConfig) -> io::Result<Recorder> {
        let dir = OutputDir::create(&config.out_dir)?;
        let interfaces = capture_interfaces(network);
        let n_enis = network.enis.len() as u32;
        let peering_base = n_enis;
        let host_base = peering_base + network.peerings.len() as u32;
        let nat_base = host_base + network.external_hosts.len() as u32;
        let tgw_base = nat_base + network.nat_gateways.len() as u32;
        let eigw_base = tgw_base + network.tgw_attachments.len() as u32;
        let mut next = eigw_base + network.egress_only_internet_gateways.len() as u32;
        let vif_bases = network
            .direct_connects
            .iter()
            .map(|dx| {
                let base = next;
                next += dx.virtual_interfaces.len() as u32;
                base
            })
            .collect();
        let (capture, drops, points) = if config.capture {
            let mut drop_ifaces: Vec<CaptureInterface> = interfaces[..network.enis.len()].to_vec();
            drop_ifaces.push(CaptureInterface {
                name: "vpc-router".into(),
                description: "drops not attributed to an ENI (links, gateways)".into(),
            });
            let snaplen = config.limits.snaplen;
            (
                Some(PcapngFile::with_snaplen(
                    open(&dir, CAPTURE_FILE)?,
                    &interfaces,
                    snaplen,
                )?),
                Some(PcapngFile::with_snaplen(
                    open(&dir, DROPS_FILE)?,
                    &drop_ifaces,
                    snaplen,
                )?),
                Some(PointCaptures::new(interfaces, snaplen)?),
            )
        } else {
            (None, None, None)
        };
        // NAT gateways' interfaces follow the instances' in the flow log.
        let eni_ids = network
            .enis
            .iter()
            .map(|e| e.id.clone())
            .chain(network.nat_gateways.iter().map(|n| n.eni_id()))
            .collect();
        let flowlog = FlowLog::new(open(&dir, FLOWLOG_FILE)?, &config.account_id, eni_ids)
            .for_flows(network.flows.len());
        let mut budget = CaptureBudget::new(config.limits.max_bytes);
        budget.spend(capture.as_ref().map_or(0, PcapngFile::bytes));
        budget.spend(drops.as_ref().map_or(0, PcapngFile::bytes));
        Ok(Recorder {
            dir,
            topology: network.name.clone(),
            seed: config.seed,
            flows: network.flows.clone(),
            prices: network.prices,
            capture,
            points,
            drops,
            flowlog,
            peering_base,
            tgw_base,
            nat_base,
            nat_private_ips: network.nat_gateways.iter().map(|n| n.private_ip).collect(),
            host_base,
            eigw_base,
            vif_bases,
            unattributed_drop_iface: n_enis,
            eni_addrs: network
                .enis
                .iter()
                .map(|e| (IpAddr::V4(e.private_ip), e.ipv6.map(IpAddr::V6)))
                .collect(),
            amazon_dns: network
                .enis
                .iter()
                .map(|e| {
                    let base = network.vpcs.get(e.vpc.ix())?.cidrs.first()?.network();
                    Some(std::net::Ipv4Addr::from(u32::from(base).wrapping_add(2)))
                })
                .collect(),
            error: None,
            progress: Progress::new(config.expected_duration_ns, config.progress),
            comment: String::new(),
            frames: 0,
            dropped: 0,
            unparsed: 0,
            loop_started: None,
            budget,
            max_capture: config.limits.max_bytes,
            interrupt: None,
            hgrm: config.hgrm.clone(),
        })
    }

    /// Poll `interrupt` while writing histograms (stopping early, and saying
    /// `"interrupted": true`, when it is set), and set it on an I/O error so the
    /// simulation stops.
    pub fn watch(&mut self, interrupt: Interrupt) {
        self.interrupt = Some(interrupt);
    }

    /// Captures stopped at `--max-capture`: frames not captured since, and the
    /// capture files' size.
    pub fn capture_budget(&self) -> &CaptureBudget {
        &self.budget
    }

    /// When the simulation's event loop started, if it did.
    pub fn loop_started_at(&self) -> Option<Instant> {
        self.loop_started
    }

    /// Whether captures are written (else frames matter only to the flow log).
    pub fn capturing(&self) -> bool {
        self.capture.is_some()
    }

    pub fn output_dir(&self) -> &Path {
        self.dir.root()
    }

    /// Frames and drops observed so far, and frames the flow log could not parse.
    /// (Behind a [`RecorderThread`](super::RecorderThread) without captures, only
    /// frames seen at ENIs reach the recorder, so only those are counted.)
    pub fn counts(&self) -> (u64, u64, u64) {
        (self.frames, self.dropped, self.unparsed)
    }

    /// Capture points that had no `points/` file (over
    /// [`MAX_POINT_FILES`](super::points::MAX_POINT_FILES)).
    pub fn points_skipped(&self) -> u64 {
        self.points.as_ref().map_or(0, PointCaptures::skipped)
    }

    /// Push buffered capture bytes to disk.
    pub fn flush(&mut self) -> io::Result<()> {
        flush_streams(&mut self.capture, &mut self.points, &mut self.drops)
    }

    /// Close the streaming outputs and write `summary.json`, the `.hlog` interval
    /// logs and the selected `.hgrm` files.
    /// Everything that can be written is written even after an error; the summary
    /// is returned with the first error (if any).
    pub fn finish(
        self,
        reports: &[FlowReport],
        totals: RunTotals,
        interrupted: bool,
    ) -> (Summary, io::Result<()>) {
        self.finish_with(
            reports,
            totals,
            interrupted,
            |_: &Summary, _: &FlowLogTally| {},
        )
    }

    /// [`Recorder::finish`], then `after` (e.g. `report.html`, which shows the
    /// flow log's records per ENI) with the summary and those records' counts.
    /// The work is spread over threads, each file's bytes independent of it:
    /// one thread closes the flow log and writes the histogram logs from the
    /// start, while this one builds the summary (at 100,000 flows about a
    /// fifth of the output work, which the other thread used to wait for); then
    /// `summary.json` is written on a third thread while `after` runs here once
    /// the flow log is closed. A signal while writing histograms (they are then
    /// cut short) marks the summary interrupted, as before: it is written again
    /// and `after` sees that summary.
    pub fn finish_with<F: FnOnce(&Summary, &FlowLogTally) + Send>(
        mut self,
        reports: &[FlowReport],
        totals: RunTotals,
        interrupted: bool,
        after: F,
    ) -> (Summary, io::Result<()>) {
        self.progress.finish();
        let mut first_error = self.error.take();
        let mut keep = |r: io::Result<()>| {
            if let Err(e) = r {
                first_error.get_or_insert(e);
            }
        };
        let signalled = |i: &Option<Interrupt>| i.as_ref().is_some_and(Interrupt::is_set);
        let interrupted_before = interrupted || signalled(&self.interrupt);
        let write_summary = |dir: &OutputDir, summary: &Summary| {
            open(dir, SUMMARY_FILE).and_then(|mut f| {
                summary.write_json(&mut f)?;
                f.flush()
            })
        };
        let Recorder {
            dir,
            topology,
            seed,
            flows,
            prices,
            capture,
            points,
            drops,
            flowlog,
            budget,
            interrupt,
            hgrm,
            ..
        } = &mut self;
        let (dir, interrupt) = (&*dir, &*interrupt);
        let mut after = Some(after);
        let (summary, files, written, late_signal) = std::thread::scope(|scope| {
            let files = scope.spawn(move || {
                let r = [
                    flowlog.finish(),
                    flush_streams(capture, points, drops),
                    write_histograms(dir, reports, totals.sim_time_ns, hgrm, interrupt.as_ref()),
                ];
                (r, flowlog.counts_by_eni())
            });
            let mut summary =
                Summary::build(topology, *seed, interrupted_before, reports, flows, totals);
            summary.prices = Some(PricesUsed::of(prices));
            summary.capture_truncated = budget.full_at_ns().is_some();
            summary.frames_not_captured = budget.not_captured();
            // Shared with the thread writing it while `after` reads it here.
            let summary = std::sync::Arc::new(summary);
            let json = {
                let summary = summary.clone();
                scope.spawn(move || write_summary(dir, &summary))
            };
            let files = files.join().ok();
            // The summary says whether the run was interrupted; `after` needs
            // the same summary, so a signal during the histograms waits for it
            // to be written again (below).
            let late_signal = signalled(interrupt) && !interrupted_before;
            if let (Some((_, counts)), false) = (&files, late_signal) {
                if let Some(after) = after.take() {
                    after(&summary, counts);
                }
            }
            let written = json
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the summary-writing thread failed")));
            (summary, files, written, late_signal)
        });
        // The writer's share ended with its thread (a copy only if it had not).
        let mut summary =
            std::sync::Arc::try_unwrap(summary).unwrap_or_else(|shared| (*shared).clone());
        // Without the files' thread's counts the report would show none: it is
        // then not written (the error below says why).
        let files_written = files.is_some();
        let counts = match files {
            Some((r, counts)) => {
                r.into_iter().for_each(&mut keep);
                counts
            }
            // A panic on the files' thread: report it as an error below.
            None => {
                keep(Err(io::Error::other("the output-writing thread failed")));
                FlowLogTally::new()
            }
        };
        // A signal while writing histograms skips the rest of them: say so.
        if late_signal {
            summary.interrupted = true;
            keep(write_summary(dir, &summary));
            if let Some(after) = after.take().filter(|_| files_written) {
                after(&summary, &counts);
            }
        } else {
            keep(written);
        }
        let result = match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        };
        (summary, result)
    }

    fn capture_iface(&self, point: CapturePoint) -> u32 {
        match point {
            CapturePoint::Eni(e) => e.0,
            CapturePoint::Peering(p) => self.peering_base + p.0,
            CapturePoint::External(h) => self.host_base + h.0,
            CapturePoint::TgwAttachment(a) => self.tgw_base + a.0,
            CapturePoint::NatGateway(n) => self.nat_base + n.0,
            CapturePoint::EgressOnlyIgw(g) => self.eigw_base + g.0,
            CapturePoint::VirtualInterface(d, v) => {
                self.vif_bases.get(d.ix()).copied().unwrap_or(0) + u32::from(v)
            }
        }
    }

    /// Inlined: called for every frame a flow log records, nearly always `Ok`.
    #[inline]
    fn keep_error(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.keep_first_error(e);
        }
    }

    #[cold]
    #[inline(never)]
    fn keep_first_error(&mut self, e: io::Error) {
        // Stop capturing after the first failure (disk full), and the run: it
        // will fail, and a full disk should not keep it simulating for minutes.
        self.capture = None;
        self.points = None;
        self.drops = None;
        self.error.get_or_insert(e);
        if let Some(i) = &self.interrupt {
            i.trigger();
        }
    }

    /// Whether a write of at most `bound` capture bytes fits `--max-capture`; says
    /// so once, on the terminal, when captures stop.
    fn admit(&mut self, time_ns: u64, bound: u64) -> bool {
        let was_full = self.budget.full_at_ns().is_some();
        if self.budget.admit(time_ns, bound) {
            return true;
        }
        if !was_full {
            self.progress.note(&format!(
                "peeremu run: captures reached --max-capture ({}) at virtual time {}: later frames are counted but not captured",
                size_text(self.max_capture),
                super::table::duration(time_ns)
            ));
        }
        false
    }

    /// A frame seen at `point`, of `len` bytes, given as its first bytes `head`
    /// (a plain IPv4 UDP or ICMP frame, see `frame_head`), recorded as
    /// [`Observer::frame`] records the whole frame when the flow log's fields
    /// can be read from `head` alone. `false` (nothing done) when they cannot, or
    /// when the frame would be captured: the caller then passes the frame on.
    #[inline]
    pub fn head_frame(
        &mut self,
        time_ns: u64,
        point: CapturePoint,
        head: &[u8; HEAD_LEN],
        len: u32,
    ) -> bool {
        let CapturePoint::Eni(eni) = point else {
            return false;
        };
        if self.capture.is_some() {
            return false;
        }
        let Some(f) = flow_fields(head, len) else {
            return false;
        };
        self.frames += 1;
        self.progress.update(time_ns);
        if !self.to_amazon_dns4(eni, &f) {
            let r = self.flowlog.record4(time_ns, eni, &f, Action::Accept);
            self.keep_error(r);
        }
        true
    }

    /// [`Recorder::to_amazon_dns`] of an IPv4 packet's fields.
    #[inline]
    fn to_amazon_dns4(&self, eni: EniIdx, f: &Flow4) -> bool {
        let server = if f.dst_port == 53 {
            f.dst
        } else if f.src_port == 53 {
            f.src
        } else {
            return false;
        };
        self.is_amazon_dns(eni, server.into())
    }

    fn log_flow(&mut self, time_ns: u64, eni: EniIdx, frame: &[u8], action: Action) {
        let Ok(key) = crate::wire::parse_frame(frame) else {
            self.unparsed += 1;
            return;
        };
        if self.to_amazon_dns(eni, &key) {
            return;
        }
        if action == Action::Reject && self.is_sender(eni, key.src) {
            self.flowlog.retract_accept(time_ns, eni, &key);
        }
        let r = self.flowlog.record(time_ns, eni, &key, action);
        self.keep_error(r);
    }

    /// A frame at NAT gateway `n`'s interface, logged as AWS logs it there in the
    /// default (version 2) format: `dstaddr` of what arrives and `srcaddr` of what
    /// leaves are the interface's own private IP (AWS's `pkt-srcaddr` /
    /// `pkt-dstaddr` fields, not in the default format, would hold the packet's
    /// addresses; VPC User Guide, "Flow log record examples", traffic through a NAT
    /// gateway: <https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html>).
    /// So the instance's private address shows on one side and the gateway's on
    /// the other; the gateway's Elastic IP is the internet gateway's business.
    fn log_nat(
        &mut self,
        time_ns: u64,
        n: crate::model::NatIdx,
        dir: FrameDirection,
        frame: &[u8],
    ) {
        let Ok(mut key) = crate::wire::parse_frame(frame) else {
            self.unparsed += 1;
            return;
        };
        let Some(&own) = self.nat_private_ips.get(n.ix()) else {
            return;
        };
        match dir {
            FrameDirection::Inbound => key.dst = IpAddr::V4(own),
            FrameDirection::Outbound => key.src = IpAddr::V4(own),
        }
        let eni = EniIdx(self.eni_addrs.len() as u32 + n.0);
        let r = self.flowlog.record(time_ns, eni, &key, Action::Accept);
        self.keep_error(r);
    }

    /// A query to the Amazon DNS server (the VPC base +2 or 169.254.169.253) or
    /// its answer: flow logs do not record them (VPC User Guide, "Flow log
    /// limitations": "Traffic generated by instances when they contact the Amazon
    /// DNS server"; traffic to your own DNS server is logged).
    fn to_amazon_dns(&self, eni: EniIdx, key: &crate::wire::FlowKey) -> bool {
        let server = if key.dst_port == 53 {
            key.dst
        } else if key.src_port == 53 {
            key.src
        } else {
            return false;
        };
        let IpAddr::V4(server) = server else {
            return false;
        };
        self.is_amazon_dns(eni, server)
    }

    /// Whether `server` is the Amazon DNS server as `eni` sees it.
    fn is_amazon_dns(&self, eni: EniIdx, server: std::net::Ipv4Addr) -> bool {
        server == std::net::Ipv4Addr::new(169, 254, 169, 253)
            || self.amazon_dns.get(eni.ix()).copied().flatten() == Some(server)
    }

    /// Take a frame `eni` sent back out of the flow log (it never reached the
    /// interface).
    fn unlog_sent(&mut self, time_ns: u64, eni: EniIdx, frame: &[u8]) {
        if let Ok(key) = crate::wire::parse_frame(frame) {
            if self.is_sender(eni, key.src) {
                self.flowlog.retract_accept(time_ns, eni, &key);
            }
        }
    }

    fn is_sender(&self, eni: EniIdx, src: IpAddr) -> bool {
        self.eni_addrs
            .get(eni.ix())
            .is_some_and(|&(v4, v6)| src == v4 || Some(src) == v6)
    }
}

impl Observer for Recorder {
    fn loop_started(&mut self) {
        self.loop_started = Some(Instant::now());
    }

    fn frame(&mut self, time_ns: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
        self.frames += 1;
        self.progress.update(time_ns);
        if self.capture.is_some() {
            self.capture_frame(time_ns, point, dir, frame);
        }
        match point {
            CapturePoint::Eni(eni) => self.log_flow(time_ns, eni, frame, Action::Accept),
            CapturePoint::NatGateway(n) => self.log_nat(time_ns, n, dir, frame),
            _ => {}
        }
    }

    fn dropped(&mut self, event: DropEvent<'_>) {
        self.dropped += 1;
        self.progress.update(event.time_ns);
        if let Some(d) = &self.drops {
            self.comment.clear();
            let _ = write!(self.comment, "{} {}", event.reason.code(), event.detail);
            let bound = d.block_bound(event.frame.len(), self.comment.len());
            if self.admit(event.time_ns, bound) {
                self.write_drop(&event);
            }
        }
        if let Some(eni) = event.eni {
            match event.reason.flow_log_effect() {
                FlowLogEffect::Reject => {
                    self.log_flow(event.time_ns, eni, event.frame, Action::Reject)
                }
                FlowLogEffect::NotLogged => self.unlog_sent(event.time_ns, eni, event.frame),
                FlowLogEffect::Accepted => {}
            }
        }
    }
}

impl Recorder {
    /// Write a frame to `capture.pcapng` and its point's file, and count the bytes.
    /// Write `frame` to the captures, within `--max-capture`. Out of line: without
    /// captures `Observer::frame` is only the flow log's, and keeps fewer
    /// registers to save for every frame.
    #[inline(never)]
    fn capture_frame(
        &mut self,
        time_ns: u64,
        point: CapturePoint,
        dir: FrameDirection,
        frame: &[u8],
    ) {
        let iface = self.capture_iface(point);
        if let Some(c) = &self.capture {
            let block = c.block_bound(frame.len(), 0);
            let bound = block
                + self
                    .points
                    .as_ref()
                    .map_or(0, |p| p.write_bound(iface, block));
            if self.admit(time_ns, bound) {
                self.write_frame(iface, time_ns, dir, frame);
            }
        }
    }

    fn write_frame(&mut self, iface: u32, time_ns: u64, dir: FrameDirection, frame: &[u8]) {
        let Some(c) = &mut self.capture else {
            return;
        };
        let before = c.bytes() + self.points.as_ref().map_or(0, PointCaptures::bytes);
        let r = c.write(iface, time_ns, Some(dir), None, frame);
        let r = match &mut self.points {
            Some(p) => r.and_then(|()| p.write(&self.dir, iface, time_ns, dir, frame)),
            None => r,
        };
        let after = c.bytes() + self.points.as_ref().map_or(0, PointCaptures::bytes);
        self.budget.spend(after - before);
        self.keep_error(r);
    }

    /// Write a dropped frame to `drops.pcapng` with the comment in `self.comment`.
    fn write_drop(&mut self, event: &DropEvent<'_>) {
        let Some(d) = &mut self.drops else {
            return;
        };
        let before = d.bytes();
        let iface = event.eni.map_or(self.unattributed_drop_iface, |e| e.0);
        let r = d.write(
            iface,
            event.time_ns,
            None,
            Some(self.comment.trim_end()),
            event.frame,
        );
        self.budget.spend(d.bytes() - before);
        self.keep_error(r);
    }
}

/// Push buffered capture bytes to disk ([`Recorder::flush`] on the fields it
/// touches, so another thread can build the summary from the others meanwhile).
fn flush_streams(
    capture: &mut Option<PcapngFile<FileWriter>>,
    points: &mut Option<PointCaptures>,
    drops: &mut Option<PcapngFile<FileWriter>>,
) -> io::Result<()> {
    if let Some(c) = capture {
        c.flush()?;
    }
    if let Some(p) = points {
        p.flush()?;
    }
    if let Some(d) = drops {
        d.flush()?;
    }
    Ok(())
}

fn open(dir: &OutputDir, name: &str) -> io::Result<FileWriter> {
    let path = dir.file(None, name, "")?;
    Ok(BufWriter::new(create_file(&path)?))
}

/// `latency.hlog` with every flow, `rtt.hlog` with the ping flows,
/// `response.hlog` with the request/response flows; and for the flows `hgrm`
/// selects, `latency/<flow>.hgrm`, `rtt/<flow>.hgrm` (if it has RTTs),
/// `response/<flow>.hgrm` (request/response). A flow's tag in the logs is the
/// stem of its `.hgrm` files.
fn write_histograms(
    dir: &OutputDir,
    reports: &[FlowReport],
    run_ns: u64,
    hgrm: &HgrmFiles,
    interrupt: Option<&Interrupt>,
) -> io::Result<()> {
    if interrupt.is_some_and(Interrupt::is_set) {
        return Ok(());
    }
    let mut names = UniqueNames::with_capacity(reports.len());
    let stems = reports
        .iter()
        .map(|r| names.claim_str(&r.name))
        .collect::<Result<Vec<_>, _>>()?;
    let tagged = |pick: fn(&FlowReport) -> Option<&LatencyHistogram>| {
        stems
            .iter()
            .zip(reports)
            .filter_map(|(stem, r)| Some((stem.as_ref(), pick(r)?)))
            .collect::<Vec<_>>()
    };
    for (file, histograms) in [
        (LATENCY_LOG, tagged(|r| Some(&r.latency_ns))),
        (RTT_LOG, tagged(|r| r.rtt_ns.as_ref())),
        (RESPONSE_LOG, tagged(|r| r.response_ns.as_ref())),
    ] {
        if histograms.is_empty() && file != LATENCY_LOG {
            continue;
        }
        let mut out = open(dir, file)?;
        write_interval_log(&mut out, &histograms, run_ns, interrupt)?;
        out.flush()?;
    }
    let mut latency_dir = None;
    let mut rtt_dir = None;
    let mut response_dir = None;
    let mut files: Vec<(PathBuf, &LatencyHistogram)> = Vec::new();
    for (stem, r) in stems.iter().zip(reports) {
        if !hgrm.wants(reports.len(), &r.name) {
            continue;
        }
        files.push((
            lazy_subdir(&mut latency_dir, dir, LATENCY_DIR)?.file(stem, ".hgrm")?,
            &r.latency_ns,
        ));
        if let Some(rtt) = &r.rtt_ns {
            files.push((
                lazy_subdir(&mut rtt_dir, dir, RTT_DIR)?.file(stem, ".hgrm")?,
                rtt,
            ));
        }
        if let Some(response) = &r.response_ns {
            files.push((
                lazy_subdir(&mut response_dir, dir, RESPONSE_DIR)?.file(stem, ".hgrm")?,
                response,
            ));
        }
    }
    write_hgrm_files(&files, interrupt)
}

/// `dir/name`, created the first time it is asked for.
fn lazy_subdir<'a>(
    slot: &'a mut Option<CheckedDir>,
    dir: &OutputDir,
    name: &str,
) -> io::Result<&'a CheckedDir> {
    let d = match slot.take() {
        Some(d) => d,
        None => dir.subdir(name)?,
    };
    Ok(slot.insert(d))
}

/// Below this many files one thread writes them all.
const FILES_PER_WRITER: usize = 512;

/// Write each histogram to its file. Thousands of small files cost system calls
/// (stat, open, write, close: about 13 µs a file here), not CPU, so they are
/// split between a few threads (measured with 10k flows: 0.135 s of outputs on
/// one thread). Each file's bytes do not depend on the split. Once `interrupt` is
/// set the remaining files are skipped (200k files take seconds).
fn write_hgrm_files(
    files: &[(PathBuf, &LatencyHistogram)],
    interrupt: Option<&Interrupt>,
) -> io::Result<()> {
    let write = |part: &[(PathBuf, &LatencyHistogram)]| -> io::Result<()> {
        let mut text = String::new();
        for (path, h) in part {
            if interrupt.is_some_and(Interrupt::is_set) {
                break;
            }
            text.clear();
            write_percentile_distribution(h, &mut text);
            write_file(path, text.as_bytes())?;
        }
        Ok(())
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let writers = (files.len() / FILES_PER_WRITER).clamp(1, cpus.min(4));
    if writers == 1 {
        return write(files);
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = files
            .chunks(files.len().div_ceil(writers))
            .map(|part| scope.spawn(move || write(part)))
            .collect();
        parts.into_iter().try_for_each(|p| {
            p.join()
                .unwrap_or_else(|_| Err(io::Error::other("a histogram writer panicked")))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Enough files for several writer threads: each file holds exactly its own
    /// histogram's text, whichever thread wrote it.
    #[test]
    fn histogram_files_split_between_writers_are_each_complete() {
        let dir = std::env::temp_dir().join(format!("peeremu-hgrm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let n = FILES_PER_WRITER * 3 + 7;
        let histograms: Vec<LatencyHistogram> = (0..n)
            .map(|i| {
                let mut h = LatencyHistogram::new();
                for k in 0..=(i % 5) {
                    h.record(1_000 + (i * 7919 + k * 104_729) as u64);
                }
                h
            })
            .collect();
        let files: Vec<(PathBuf, &LatencyHistogram)> = histograms
            .iter()
            .enumerate()
            .map(|(i, h)| (dir.join(format!("f{i}.hgrm")), h))
            .collect();
        // Interrupted: no file is written.
        let stop = Interrupt::new();
        stop.trigger();
        write_hgrm_files(&files, Some(&stop)).unwrap();
        assert!(!files[0].0.exists());
        write_hgrm_files(&files, None).unwrap();
        for (path, h) in &files {
            let mut expect = String::new();
            write_percentile_distribution(h, &mut expect);
            assert_eq!(std::fs::read_to_string(path).unwrap(), expect, "{path:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Every flow goes to `latency.hlog`; `.hgrm` files only for the flows
    /// `--hgrm` selects, all of them by default up to 100 flows.
    #[test]
    fn hgrm_files_follow_the_selection_and_the_log_has_every_flow() {
        use crate::output::summary::tests::report;
        use crate::output::Outcome;
        let reports = |n: usize| -> Vec<FlowReport> {
            (0..n)
                .map(|i| report(&format!("f {i}"), Outcome::Delivered, &[]))
                .collect()
        };
        let base = std::env::temp_dir().join(format!("peeremu-hsel-{}", std::process::id()));
        let run = |name: &str, n: usize, sel: HgrmFiles| -> (usize, usize) {
            let root = base.join(name);
            let dir = OutputDir::create(&root).unwrap();
            write_histograms(&dir, &reports(n), 1_000_000_000, &sel, None).unwrap();
            let log = std::fs::read_to_string(root.join(LATENCY_LOG)).unwrap();
            let files = std::fs::read_dir(root.join(LATENCY_DIR)).map_or(0, |d| d.count());
            assert!(!root.join(RTT_LOG).exists(), "no ping flow, no rtt.hlog");
            (log.matches("\nTag=f_").count(), files)
        };
        assert_eq!(run("auto-100", 100, HgrmFiles::Auto), (100, 100));
        assert_eq!(run("auto-101", 101, HgrmFiles::Auto), (101, 0));
        assert_eq!(run("all", 101, HgrmFiles::All), (101, 101));
        assert_eq!(run("none", 3, HgrmFiles::None), (3, 0));
        let two = HgrmFiles::Flows(["f 7".to_string(), "f 100".to_string()].into());
        assert_eq!(run("two", 101, two), (101, 2));
        assert!(base.join("two/latency/f_7.hgrm").is_file());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
