//! A flow that names its destination by DNS name: the source host asks its
//! resolver first, as a real host does before `connect()`, and the flow starts
//! when the answer is in, towards the address it gives.
//!
//! The lookup is decided when the topology is compiled ([`super::resolve`] is
//! pure), and its two frames (query, answer) are put on the wire by the run at
//! the times recorded here: they are in the source's capture, the summary and
//! the conservation ledger like any other frame. The Amazon resolver sits on the
//! host's side of the VPC router (Nitro answers it), where no security group or
//! network ACL filters it, as AWS documents; so the exchange does not cross the
//! router pipeline.

use super::resolver::{Rcode, Resolution};
use crate::model::MAX_VIRTUAL_NS;
use etherparse::PacketBuilder;
use std::net::IpAddr;

/// How long a stub resolver waits for an answer before giving up (glibc's
/// default `timeout:5`, one attempt per server).
pub const STUB_TIMEOUT_NS: u64 = 5_000_000_000;

/// A flow's DNS lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsLookup {
    /// The name as written in the flow (`to`).
    pub name: String,
    /// AAAA (`ipv6 = true` flows) instead of A.
    pub v6: bool,
    /// The server asked: the VPC's base +2 for an instance; the inbound endpoint
    /// for an on-premises host that forwards to one.
    pub server: Option<IpAddr>,
    pub resolution: Resolution,
    /// When the query leaves and when the answer arrives (or the stub gives up).
    pub query_ns: u64,
    pub answer_ns: u64,
}

impl DnsLookup {
    /// The address the flow goes to, if the name resolved to one.
    pub fn address(&self) -> Option<IpAddr> {
        self.resolution.address()
    }

    /// When the query is sent and when its answer arrives, one-way delay
    /// `one_way_ns` each way (no answer: the stub gives up after its timeout).
    pub fn timed(
        name: String,
        v6: bool,
        server: Option<IpAddr>,
        resolution: Resolution,
        start_ns: u64,
        one_way_ns: u64,
    ) -> DnsLookup {
        let wait = if resolution.rcode == Rcode::NoResponse {
            STUB_TIMEOUT_NS
        } else {
            one_way_ns.saturating_mul(2)
        };
        DnsLookup {
            name,
            v6,
            server,
            resolution,
            query_ns: start_ns,
            answer_ns: start_ns.saturating_add(wait).min(MAX_VIRTUAL_NS),
        }
    }
}

/// The frames of one lookup, as the source host's interface sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupFrames {
    pub query: Vec<u8>,
    /// `None`: nobody answers.
    pub answer: Option<Vec<u8>>,
}

/// Ethernet/IP/UDP frames carrying the query from `client` (`client_port`) to
/// the server on port 53 and its answer, DNS message id `id`. `None` when the
/// lookup has no server address, or the families differ.
pub fn frames(
    lookup: &DnsLookup,
    client: IpAddr,
    client_mac: [u8; 6],
    server_mac: [u8; 6],
    client_port: u16,
    id: u16,
) -> Option<LookupFrames> {
    let server = lookup.server?;
    let q = super::message::query(id, &lookup.name, lookup.v6).ok()?;
    let query = udp(client_mac, server_mac, client, server, client_port, 53, &q)?;
    let answer = match lookup.resolution.rcode {
        Rcode::NoResponse => None,
        _ => {
            let a =
                super::message::response(id, &lookup.name, lookup.v6, &lookup.resolution).ok()?;
            Some(udp(
                server_mac,
                client_mac,
                server,
                client,
                53,
                client_port,
                &a,
            )?)
        }
    };
    Some(LookupFrames { query, answer })
}

fn udp(
    smac: [u8; 6],
    dmac: [u8; 6],
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    payload: &[u8],
) -> Option<Vec<u8>> {
    let eth = PacketBuilder::ethernet2(smac, dmac);
    let b = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => eth.ipv6(s.octets(), d.octets(), 64),
        _ => return None,
    }
    .udp(sport, dport);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).ok()?;
    Some(out)
}

/// A lookup as `summary.json` writes it (`flows[].dns`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DnsSummary {
    pub name: String,
    /// `A` or `AAAA`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The resolver asked (`null`: none on the modelled network).
    pub server: Option<String>,
    /// `NOERROR`, `NXDOMAIN` or `no response`.
    pub rcode: &'static str,
    pub answers: Vec<AnswerSummary>,
    pub query_ns: u64,
    pub answer_ns: u64,
    /// What the resolvers did, in order.
    pub steps: Vec<String>,
}

/// One answer record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AnswerSummary {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub ttl: u32,
    pub value: String,
}

impl DnsSummary {
    pub fn of(l: &DnsLookup) -> DnsSummary {
        DnsSummary {
            name: l.name.clone(),
            kind: if l.v6 { "AAAA" } else { "A" },
            server: l.server.map(|s| s.to_string()),
            rcode: l.resolution.rcode.as_str(),
            answers: l
                .resolution
                .answers
                .iter()
                .map(|a| AnswerSummary {
                    name: a.name.clone(),
                    kind: a.data.type_str(),
                    ttl: a.ttl,
                    value: a.data.value(),
                })
                .collect(),
            query_ns: l.query_ns,
            answer_ns: l.answer_ns,
            steps: l.resolution.steps.clone(),
        }
    }
}
