//! Traffic flows declared in a topology and the expectations they carry.

use super::{DropReason, DropReasons, EniIdx, HostIdx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    /// ICMP echo request/reply; measures RTT.
    Ping,
    /// Constant-rate UDP datagrams.
    Udp,
    /// A TCP transfer (bulk or request/response).
    Tcp,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Ping => "ping",
            FlowKind::Udp => "udp",
            FlowKind::Tcp => "tcp",
        }
    }
}

/// One end of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// An instance's ENI (an instance name resolves to its first ENI).
    Eni(EniIdx),
    /// A host on the internet or on premises.
    External(HostIdx),
}

/// What the author of the topology expects to happen to a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    Delivered,
    /// `dropped:REASON`.
    Dropped(DropReason),
    /// `dropped` ([`DropReasons::ANY`]) or `dropped:A|B`: dropped for any of these.
    DroppedAnyOf(DropReasons),
    /// `nxdomain`: the destination's DNS name does not resolve (the flow never
    /// starts).
    Nxdomain,
}

impl Expectation {
    /// As written in the topology: `delivered`, `dropped`, `dropped:NACL_DENY`,
    /// `dropped:NACL_DENY|SG_NO_MATCH`.
    pub fn text(self) -> String {
        match self {
            Expectation::Delivered => "delivered".to_string(),
            Expectation::Dropped(r) => format!("dropped:{}", r.code()),
            Expectation::DroppedAnyOf(DropReasons::ANY) => "dropped".to_string(),
            Expectation::DroppedAnyOf(s) => format!("dropped:{}", s.text()),
            Expectation::Nxdomain => "nxdomain".to_string(),
        }
    }

    /// Met by a flow with this outcome (`delivered`: fully delivered) whose frames
    /// were dropped for `reasons`: `delivered` iff delivered; a drop expectation
    /// iff not delivered and one of the reasons it names was seen.
    pub fn met(self, delivered: bool, mut reasons: impl Iterator<Item = DropReason>) -> bool {
        match self {
            Expectation::Delivered => delivered,
            Expectation::Dropped(want) => !delivered && reasons.any(|r| r == want),
            Expectation::DroppedAnyOf(set) => !delivered && reasons.any(|r| set.contains(r)),
            // Met by the outcome alone: see `met_by_outcome`.
            Expectation::Nxdomain => false,
        }
    }

    /// Met by a flow whose outcome is `outcome` (as `summary.json` spells it) and
    /// whose frames were dropped for `reasons`.
    pub fn met_by_outcome(self, outcome: &str, reasons: impl Iterator<Item = DropReason>) -> bool {
        match self {
            Expectation::Nxdomain => outcome == "nxdomain",
            _ => self.met(outcome == "delivered", reasons),
        }
    }
}

/// A traffic flow to run (`peeremu run`) and check.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub name: String,
    pub kind: FlowKind,
    pub src: Endpoint,
    pub dst: Endpoint,
    /// Destination port for UDP/TCP; ignored for ping.
    pub port: u16,
    /// Payload bytes per packet: ICMP echo data (ping, as `ping -s`), UDP payload
    /// (UDP); or segment payload cap (TCP: 0 = MSS).
    pub size: u32,
    /// Packets to send (ping/UDP).
    pub count: u64,
    /// Bytes to transfer (TCP bulk).
    pub bytes: u64,
    /// Packets per second (ping/UDP).
    pub rate_pps: f64,
    /// Virtual start time.
    pub start_ns: u64,
    /// Set the IPv4 Don't Fragment bit (ping/UDP; TCP always sets it, like Linux).
    pub df: bool,
    /// Use IPv6 addresses of both ends.
    pub ipv6: bool,
    pub expect: Option<Expectation>,
    /// TCP request/response instead of bulk (`None`: bulk transfer of `bytes`).
    pub request_response: Option<RequestResponse>,
    /// The destination was named by DNS name (`to = "db.internal.example"`): the
    /// lookup the source makes first. `dst` is where the answer points, or the
    /// source itself when the name did not resolve (the flow then never starts).
    pub dns: Option<Box<crate::route53::DnsLookup>>,
}

impl Flow {
    /// The destination name did not resolve to an address: the flow never starts.
    pub fn unresolved(&self) -> bool {
        self.dns.as_ref().is_some_and(|d| d.address().is_none())
    }

    /// A flow with every number zero, port 5001, DF set only for TCP (as Linux
    /// sets it), no expectation and no request/response: a base for struct-update
    /// syntax where code builds flows without a topology file (tests, generators).
    /// (The topology loader has its own defaults; see the README.)
    pub fn new(name: impl Into<String>, kind: FlowKind, src: Endpoint, dst: Endpoint) -> Flow {
        Flow {
            name: name.into(),
            kind,
            src,
            dst,
            port: 5001,
            size: 0,
            count: 0,
            bytes: 0,
            rate_pps: 0.0,
            start_ns: 0,
            df: kind == FlowKind::Tcp,
            ipv6: false,
            expect: None,
            request_response: None,
            dns: None,
        }
    }
}

/// A TCP request/response exchange on one connection, one request outstanding at a
/// time (HTTP/1.1 keep-alive without pipelining): the client sends `request_bytes`,
/// the server answers with `response_bytes`, `requests` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestResponse {
    /// Number of requests (at least 1).
    pub requests: u64,
    /// Bytes per request (at least 1).
    pub request_bytes: u64,
    /// Bytes per response (at least 1).
    pub response_bytes: u64,
    /// Nanoseconds from one request's start to the next's (a scrape interval);
    /// 0: back to back. A response slower than that delays the next request (one
    /// is outstanding at a time).
    pub interval_ns: u64,
}

impl RequestResponse {
    /// Application bytes carried in both directions when every response came back.
    pub fn total_bytes(&self) -> u64 {
        self.requests
            .saturating_mul(self.request_bytes.saturating_add(self.response_bytes))
    }
}

/// The latest virtual time any input may ask for: 10^18 ns, about 31.7 years (a
/// flow's last send, `--duration`). Virtual time is u64 nanoseconds (584 years),
/// so adding latencies, timeouts and the end-of-run tail to it cannot overflow.
pub const MAX_VIRTUAL_NS: u64 = 1_000_000_000_000_000_000;
