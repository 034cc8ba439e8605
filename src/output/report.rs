//! Per-flow results and run totals: what `sim`/`host` hand to `output` at the end.

use super::goodput::GoodputSeries;
use super::histogram::LatencyHistogram;
use std::collections::BTreeMap;

/// How a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every packet (or every byte, for TCP) arrived.
    Delivered,
    /// Some arrived, some did not.
    Partial,
    /// Nothing arrived.
    Dropped,
    /// A TCP transfer made no acknowledged progress for the stall timeout (e.g. a
    /// PMTUD black hole), or its connection was reset.
    Stalled,
    /// The run ended (`--duration`, Ctrl-C) before the flow finished: a ping/UDP
    /// flow not every packet of which was sent or had time to arrive, none of its
    /// frames dropped; a TCP transfer still under way.
    Incomplete,
    /// The destination was named by DNS name and the resolver answered NXDOMAIN
    /// (or no address of the family asked): the flow never started.
    Nxdomain,
    /// The destination was named by DNS name and no resolver answered (the VPC's
    /// `enable_dns_support` is off): the flow never started.
    DnsTimeout,
    /// The destination was named by DNS name and the resolver answered SERVFAIL
    /// (a CNAME chain that loops or is too long): the flow never started.
    DnsServfail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Partial => "partial",
            Outcome::Dropped => "dropped",
            Outcome::Stalled => "stalled",
            Outcome::Incomplete => "incomplete",
            Outcome::Nxdomain => "nxdomain",
            Outcome::DnsTimeout => "dns-timeout",
            Outcome::DnsServfail => "servfail",
        }
    }
}

/// One flow's statistics (the `flows[]` entries of `summary.json`).
#[derive(Debug, Clone)]
pub struct FlowReport {
    pub name: String,
    /// Instance/host names of both ends.
    pub src: String,
    pub dst: String,
    /// `ping`, `udp` or `tcp`.
    pub protocol: &'static str,
    pub sent_packets: u64,
    pub delivered_packets: u64,
    /// The flow's own packets dropped (either direction), resets not included.
    pub dropped_packets: u64,
    /// Dropped TCP RSTs and ICMP errors about the flow's packets.
    pub dropped_resets: u64,
    pub bytes_delivered: u64,
    /// Drop reason code → count (every dropped frame of the flow, resets included).
    pub drops: BTreeMap<String, u64>,
    /// Drop reason code → the object of the first such drop (`acl-db rule * inbound`).
    pub drop_objects: BTreeMap<String, String>,
    /// One-way latency of delivered packets, nanoseconds.
    pub latency_ns: LatencyHistogram,
    /// Ping round-trip times, nanoseconds.
    pub rtt_ns: Option<LatencyHistogram>,
    /// TCP request/response: response time per request, nanoseconds.
    pub response_ns: Option<LatencyHistogram>,
    /// TCP request/response: responses received in full.
    pub responses: Option<u64>,
    /// TCP: virtual time from connect to last byte acknowledged.
    pub completion_ns: Option<u64>,
    /// TCP: bytes per second of virtual time.
    pub goodput_bps: Option<f64>,
    /// TCP and UDP: `bytes_delivered` per interval of virtual time.
    pub goodput_series: Option<GoodputSeries>,
    pub outcome: Outcome,
    /// The expectation as written (`delivered`, `dropped:NACL_DENY`) and whether met.
    pub expectation: Option<(String, bool)>,
    /// Plain-language remarks (e.g. "stalled: ICMP fragmentation-needed blocked").
    pub notes: Vec<String>,
    /// The flow's frames on a link or in a queue when the run ended.
    pub in_flight_frames: u64,
    /// Packets that neither arrived nor were dropped with a reason nor were in
    /// flight: a peeremu defect, 0 in a correct run (see [`super::conservation`]).
    pub unaccounted_packets: u64,
    /// The path MTU the source learned from ICMP fragmentation-needed / packet
    /// too big, if any.
    pub path_mtu: Option<u16>,
    /// Bytes carried over billable segments, and their estimated cost.
    pub data_cost: super::data_cost::DataCost,
    /// Runs with `[[change]]` or `expect_windows` only (see `output::timeline`).
    pub timeline: Option<super::timeline::FlowTimeline>,
}

/// Totals for the run (`summary.json` top level).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunTotals {
    pub events: u64,
    pub frames: u64,
    pub sim_time_ns: u64,
    pub wall_time_s: f64,
    /// The frame balance the run checked (see [`super::conservation`]).
    pub conservation: super::Conservation,
}
