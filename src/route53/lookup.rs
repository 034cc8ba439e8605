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

/// The largest DNS message over UDP when the query carries no EDNS0 option
/// (RFC 1035 §4.2.1; glibc's stub sends none unless `options edns0`): a larger
/// answer comes back truncated (TC) and the stub asks again over TCP.
pub const UDP_MESSAGE_LIMIT: usize = 512;

/// A flow's DNS lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsLookup {
    /// The name as written in the flow (`to`).
    pub name: String,
    /// AAAA (`ipv6 = true` flows) instead of A.
    pub v6: bool,
    /// The server asked: the VPC's base +2 (or 169.254.169.253 with the flow's
    /// `dns_server`) for an instance; the inbound endpoint for an on-premises
    /// host that forwards to one; the flow's `dns_server` for an internet host.
    pub server: Option<IpAddr>,
    pub resolution: Resolution,
    /// When the query leaves and when the answer arrives (or the stub gives up).
    pub query_ns: u64,
    pub answer_ns: u64,
    /// One-way delay between the host and its resolver.
    pub one_way_ns: u64,
    /// The answer does not fit a UDP message without EDNS0: the resolver sets
    /// TC and the stub repeats the query over TCP (port 53).
    pub truncated: bool,
}

impl DnsLookup {
    /// The address the flow goes to, if the name resolved to one.
    pub fn address(&self) -> Option<IpAddr> {
        self.resolution.address()
    }

    /// When the query is sent and when its answer arrives, one-way delay
    /// `one_way_ns` each way (no answer: the stub gives up after its timeout;
    /// a truncated answer: two more round trips, the TCP handshake and the
    /// query over TCP).
    pub fn timed(
        name: String,
        v6: bool,
        server: Option<IpAddr>,
        resolution: Resolution,
        start_ns: u64,
        one_way_ns: u64,
    ) -> DnsLookup {
        let truncated = resolution.rcode != Rcode::NoResponse
            && super::message::response(0, &name, v6, &resolution)
                .is_ok_and(|m| m.len() > UDP_MESSAGE_LIMIT);
        let wait = if resolution.rcode == Rcode::NoResponse {
            STUB_TIMEOUT_NS
        } else if truncated {
            one_way_ns.saturating_mul(6)
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
            one_way_ns,
            truncated,
        }
    }
}

/// The frames of one lookup, as the source host's interface sees them, in
/// time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupFrames {
    pub frames: Vec<LookupFrame>,
}

/// One frame of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupFrame {
    /// When the host sends it, or when it reaches the host.
    pub at_ns: u64,
    /// Sent by the host (else by the resolver, to the host).
    pub from_host: bool,
    /// A frame the host sends is taken by the resolver; `false`: nobody
    /// answers (the VPC's `enable_dns_support` is off).
    pub taken: bool,
    pub bytes: Vec<u8>,
}

impl LookupFrames {
    /// The query as first sent (over UDP).
    pub fn query(&self) -> Option<&[u8]> {
        self.frames.first().map(|f| &f.bytes[..])
    }
}

/// TCP window both ends advertise (Linux's initial receive window).
const TCP_WINDOW: u16 = 64240;
/// Segment size for the answer over TCP (an Ethernet MSS: fits any link).
const TCP_MSS: usize = 1460;

/// Ethernet/IP frames of the lookup from `client` (`client_port`) to the
/// server on port 53, DNS message id `id`: the query and answer over UDP, and
/// when the answer is truncated (TC), the stub's retry over TCP as Linux and
/// the resolver exchange it (handshake, the length-prefixed query and answer,
/// the stub's close). `isn` seeds both TCP initial sequence numbers. `None`
/// when the lookup has no server address, or the families differ.
pub fn frames(
    lookup: &DnsLookup,
    client: IpAddr,
    client_mac: [u8; 6],
    server_mac: [u8; 6],
    client_port: u16,
    id: u16,
    isn: u64,
) -> Option<LookupFrames> {
    let server = lookup.server?;
    let t0 = lookup.query_ns;
    let ow = lookup.one_way_ns;
    let at = |k: u64| t0.saturating_add(ow.saturating_mul(k)).min(MAX_VIRTUAL_NS);
    let q = super::message::query(id, &lookup.name, lookup.v6).ok()?;
    let up = |b: Option<Vec<u8>>, k: u64| -> Option<LookupFrame> {
        Some(LookupFrame {
            at_ns: at(k),
            from_host: true,
            taken: true,
            bytes: b?,
        })
    };
    let down = |b: Option<Vec<u8>>, k: u64| -> Option<LookupFrame> {
        Some(LookupFrame {
            at_ns: at(k),
            from_host: false,
            taken: true,
            bytes: b?,
        })
    };
    let mut out = Vec::new();
    let query = udp(client_mac, server_mac, client, server, client_port, 53, &q);
    if lookup.resolution.rcode == Rcode::NoResponse {
        out.push(LookupFrame {
            taken: false,
            ..up(query, 0)?
        });
        return Some(LookupFrames { frames: out });
    }
    out.push(up(query, 0)?);
    let full = super::message::response(id, &lookup.name, lookup.v6, &lookup.resolution).ok()?;
    if !lookup.truncated {
        let a = udp(
            server_mac,
            client_mac,
            server,
            client,
            53,
            client_port,
            &full,
        );
        out.push(down(a, 2)?);
        return Some(LookupFrames { frames: out });
    }
    let tc = super::message::truncated(id, &lookup.name, lookup.v6, &lookup.resolution).ok()?;
    out.push(down(
        udp(server_mac, client_mac, server, client, 53, client_port, &tc),
        2,
    )?);
    // The retry over TCP, from the next ephemeral port.
    let cport = if client_port >= 60999 {
        32768
    } else {
        client_port + 1
    };
    let c = Tcp {
        mac: client_mac,
        ip: client,
        port: cport,
        peer_mac: server_mac,
        peer: server,
        peer_port: 53,
    };
    let s = Tcp {
        mac: server_mac,
        ip: server,
        port: 53,
        peer_mac: client_mac,
        peer: client,
        peer_port: cport,
    };
    let (mut cs, mut ss) = (isn as u32, (isn >> 32) as u32);
    let framed = |m: &[u8]| -> Option<Vec<u8>> {
        let len = u16::try_from(m.len()).ok()?;
        let mut v = len.to_be_bytes().to_vec();
        v.extend_from_slice(m);
        Some(v)
    };
    let (qt, at_) = (framed(&q)?, framed(&full)?);
    out.push(up(c.seg(cs, None, Flags::Syn, &[]), 2)?);
    cs = cs.wrapping_add(1);
    out.push(down(s.seg(ss, Some(cs), Flags::Syn, &[]), 4)?);
    ss = ss.wrapping_add(1);
    out.push(up(c.seg(cs, Some(ss), Flags::Ack, &[]), 4)?);
    out.push(up(c.seg(cs, Some(ss), Flags::Psh, &qt), 4)?);
    cs = cs.wrapping_add(qt.len() as u32);
    for chunk in at_.chunks(TCP_MSS) {
        out.push(down(s.seg(ss, Some(cs), Flags::Psh, chunk), 6)?);
        ss = ss.wrapping_add(chunk.len() as u32);
    }
    // The stub has its answer: it acknowledges it and closes; the resolver
    // closes its side on the FIN.
    out.push(up(c.seg(cs, Some(ss), Flags::Ack, &[]), 6)?);
    out.push(up(c.seg(cs, Some(ss), Flags::Fin, &[]), 6)?);
    cs = cs.wrapping_add(1);
    out.push(down(s.seg(ss, Some(cs), Flags::Fin, &[]), 8)?);
    ss = ss.wrapping_add(1);
    out.push(up(c.seg(cs, Some(ss), Flags::Ack, &[]), 8)?);
    Some(LookupFrames { frames: out })
}

/// The TCP flags of a segment of the exchange (ACK is set whenever an
/// acknowledgement number is given).
#[derive(Clone, Copy)]
enum Flags {
    Syn,
    Ack,
    Psh,
    Fin,
}

/// One end of the DNS-over-TCP connection.
struct Tcp {
    mac: [u8; 6],
    ip: IpAddr,
    port: u16,
    peer_mac: [u8; 6],
    peer: IpAddr,
    peer_port: u16,
}

impl Tcp {
    fn seg(&self, seq: u32, ack: Option<u32>, flags: Flags, payload: &[u8]) -> Option<Vec<u8>> {
        let eth = PacketBuilder::ethernet2(self.mac, self.peer_mac);
        let ip = match (self.ip, self.peer) {
            (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
            (IpAddr::V6(s), IpAddr::V6(d)) => eth.ipv6(s.octets(), d.octets(), 64),
            _ => return None,
        };
        let mut b = ip.tcp(self.port, self.peer_port, seq, TCP_WINDOW);
        b = match flags {
            Flags::Syn => b.syn(),
            Flags::Ack => b,
            Flags::Psh => b.psh(),
            Flags::Fin => b.fin(),
        };
        if let Some(a) = ack {
            b = b.ack(a);
        }
        let mut out = Vec::with_capacity(b.size(payload.len()));
        b.write(&mut out, payload).ok()?;
        Some(out)
    }
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
    /// The UDP answer was truncated (TC: over 512 bytes without EDNS0) and the
    /// stub asked again over TCP port 53.
    pub truncated: bool,
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
            truncated: l.truncated,
        }
    }
}
