//! One synthetic packet and its reply through the router, every decision recorded:
//! what `peeremu trace` prints and what the run report draws for each flow.
//!
//! The request leaves at virtual time 0; the reply is built from the frame the
//! destination actually received (after any NAT) and sent back when it arrives.

use super::trace::TimedHops;
use super::{Action, Dataplane, DropDetail, Egress, Hop, Ingress, EXTERNAL_MAC, ROUTER_MAC};
use crate::model::{Endpoint, NatIdx, Network};
use crate::wire::{build_packet, parse_frame, FlowKey, PacketSpec, Transport};
use std::net::IpAddr;

/// The echo identifier of a ping probe.
const REQUEST_ECHO_ID: u16 = 1;

/// What the probe carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeProtocol {
    /// A TCP SYN, answered by a SYN-ACK.
    Tcp,
    Udp,
    /// An ICMP echo request, answered by an echo reply.
    Icmp,
}

impl ProbeProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeProtocol::Tcp => "tcp",
            ProbeProtocol::Udp => "udp",
            ProbeProtocol::Icmp => "icmp",
        }
    }
}

/// One packet to send from `src` to `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub src_ip: IpAddr,
    pub dst_ip: IpAddr,
    pub protocol: ProbeProtocol,
    pub src_port: u16,
    pub dst_port: u16,
    /// Transport payload bytes.
    pub payload_len: usize,
    pub dont_fragment: bool,
}

/// What happened to one packet.
#[derive(Debug, Clone)]
pub struct Leg {
    pub key: FlowKey,
    pub hops: Vec<Hop>,
    /// When each hop happened, virtual ns from the request leaving its source
    /// (the reply's start at the request's arrival).
    pub times: Vec<u64>,
    /// Where it was delivered, the frame as delivered, and the one-way latency.
    pub delivered: Option<(Egress, Vec<u8>, u64)>,
    pub drop: Option<DropDetail>,
}

impl Leg {
    /// Each hop with the packet a drop there is about: the traced one, until the
    /// router answers it with an ICMP error; the error's after that (a path-MTU
    /// black hole drops the router's "fragmentation needed", not the traced packet).
    pub fn hops_with_packet(&self) -> impl Iterator<Item = (&Hop, FlowKey)> + '_ {
        let mut packet = self.key;
        self.hops.iter().map(move |hop| {
            if let Hop::IcmpError { packet: p, .. } | Hop::TimeExceeded { packet: p, .. } = hop {
                packet = *p;
            }
            (hop, packet)
        })
    }

    /// Each hop with when it happened (see `times`).
    pub fn timed_hops(&self) -> impl Iterator<Item = (&Hop, u64)> + '_ {
        self.hops
            .iter()
            .zip(self.times.iter().copied().chain(std::iter::repeat(0)))
    }

    /// The packet this leg's drop is about (see [`Leg::hops_with_packet`]).
    pub fn dropped_packet(&self) -> FlowKey {
        self.hops_with_packet()
            .last()
            .map_or(self.key, |(_, packet)| packet)
    }
}

/// The request, the reply (when the request reached its destination) and whether
/// each arrived where it should.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub request: Leg,
    pub reply: Option<Leg>,
    /// The request was delivered to `dst`.
    pub reached: bool,
    /// The reply was delivered back to `src`.
    pub back: bool,
}

impl ProbeResult {
    /// The drop that stopped the exchange, if one did.
    pub fn drop(&self) -> Option<(&Leg, DropDetail)> {
        if !self.reached {
            return self.request.drop.map(|d| (&self.request, d));
        }
        self.reply
            .as_ref()
            .and_then(|r| r.drop.map(|d| (r, d)).filter(|_| !self.back))
    }
}

pub fn ingress_of(end: Endpoint) -> Ingress {
    match end {
        Endpoint::Eni(e) => Ingress::Eni(e),
        Endpoint::External(h) => Ingress::External(h),
    }
}

pub fn egress_of(end: Endpoint) -> Egress {
    match end {
        Endpoint::Eni(e) => Egress::Eni(e),
        Endpoint::External(h) => Egress::External(h),
    }
}

fn mac_of(net: &Network, end: Endpoint) -> [u8; 6] {
    match end {
        Endpoint::Eni(e) => net.enis.get(e.ix()).map_or(EXTERNAL_MAC, |e| e.mac),
        Endpoint::External(_) => EXTERNAL_MAC,
    }
}

fn send(dp: &mut Dataplane, now: u64, from: Ingress, frame: Vec<u8>) -> Result<Leg, String> {
    let key = parse_frame(&frame).map_err(|m| m.to_string())?;
    let mut traced = TimedHops::starting_at(now);
    let mut out = Vec::new();
    dp.process_traced(now, from, frame, &mut out, &mut traced);
    let mut leg = Leg {
        key,
        hops: traced.hops,
        times: traced.times,
        delivered: None,
        drop: None,
    };
    for a in out {
        match a {
            Action::Deliver {
                to,
                frame,
                latency_ns,
                ..
            } if leg.delivered.is_none() => leg.delivered = Some((to, frame, latency_ns)),
            Action::Drop { detail, .. } if leg.drop.is_none() => leg.drop = Some(detail),
            _ => {}
        }
    }
    Ok(leg)
}

/// Send `p` through `dp` and, if it reaches its destination, the reply.
pub fn probe(dp: &mut Dataplane, p: &Probe) -> Result<ProbeResult, String> {
    if p.src_ip.is_ipv4() != p.dst_ip.is_ipv4() {
        return Err(format!(
            "{} and {} are not the same address family",
            p.src_ip, p.dst_ip
        ));
    }
    // `id`: the echo identifier (a NAT gateway translates it like a port).
    let transport = |reply: bool, sport: u16, dport: u16, id: u16| match p.protocol {
        ProbeProtocol::Tcp => Transport::Tcp {
            src_port: sport,
            dst_port: dport,
            flags: if reply { 0x12 } else { 0x02 },
            seq: 1,
            ack: u32::from(reply) * 2,
        },
        ProbeProtocol::Udp => Transport::Udp {
            src_port: sport,
            dst_port: dport,
        },
        ProbeProtocol::Icmp => Transport::Echo { id, seq: 1, reply },
    };
    let net = dp.network();
    let spec = PacketSpec {
        src_mac: mac_of(net, p.src),
        dst_mac: ROUTER_MAC,
        src: p.src_ip,
        dst: p.dst_ip,
        transport: transport(false, p.src_port, p.dst_port, REQUEST_ECHO_ID),
        payload_len: p.payload_len,
        dont_fragment: p.dont_fragment,
        identification: 1,
        ttl: 64,
    };
    let dst_mac = mac_of(net, p.dst);
    let frame = build_packet(&spec).map_err(|m| m.to_string())?;
    let request = send(dp, 0, ingress_of(p.src), frame)?;
    // To an interface endpoint, the request is delivered to a target of the
    // service's load balancer, and that target answers.
    let to_endpoint = matches!(p.dst, Endpoint::Eni(e)
        if matches!(dp.network().privatelink_role(e), Some(crate::model::PrivateLinkRole::Endpoint(_))));
    let answerer = match &request.delivered {
        Some((Egress::Eni(t), _, _)) if to_endpoint => Endpoint::Eni(*t),
        _ => p.dst,
    };
    let reached = request
        .delivered
        .as_ref()
        .is_some_and(|(to, _, _)| *to == egress_of(answerer));
    let reply = match (&request.delivered, reached) {
        (Some((_, got, latency)), true) => {
            let k = parse_frame(got).map_err(|m| m.to_string())?;
            let spec = PacketSpec {
                src_mac: if answerer == p.dst {
                    dst_mac
                } else {
                    mac_of(dp.network(), answerer)
                },
                src: k.dst,
                dst: k.src,
                transport: transport(true, k.dst_port, k.src_port, k.icmp_id),
                identification: 2,
                ..spec
            };
            let frame = build_packet(&spec).map_err(|m| m.to_string())?;
            Some(send(dp, *latency, ingress_of(answerer), frame)?)
        }
        _ => None,
    };
    let mut reply = reply;
    let mut back = reply
        .as_ref()
        .and_then(|r| r.delivered.as_ref())
        .is_some_and(|(to, _, _)| *to == egress_of(p.src));
    if let Some(r) = reply.as_mut().filter(|_| back) {
        if let Some(detail) = unmatched_reply(dp.network(), p, r) {
            r.hops.push(Hop::Drop { detail });
            r.drop = Some(detail);
            back = false;
        }
    }
    Ok(ProbeResult {
        request,
        reply,
        reached,
        back,
    })
}

/// The requester's stack has no socket for a reply from another source than the
/// request went to (TCP), or with another echo identifier (ping): a Linux host
/// answers the segment with a RST and ignores the echo reply, as smoltcp does in
/// `run`. A UDP socket takes a datagram from any source on its port. The usual
/// cause is a NAT gateway on the reply's way only (`ASYMMETRIC_NAT_REPLY`).
fn unmatched_reply(net: &Network, p: &Probe, reply: &Leg) -> Option<DropDetail> {
    let (_, frame, _) = reply.delivered.as_ref()?;
    let k = parse_frame(frame).ok()?;
    let matches = match p.protocol {
        ProbeProtocol::Tcp => k.src == p.dst_ip && k.src_port == p.dst_port,
        ProbeProtocol::Icmp => k.icmp_id == REQUEST_ECHO_ID,
        ProbeProtocol::Udp => true,
    };
    if matches {
        return None;
    }
    let nat = net
        .nat_gateways
        .iter()
        .position(|n| IpAddr::V4(n.public_ip) == k.src);
    Some(match (nat, p.dst) {
        (Some(n), Endpoint::Eni(e)) => DropDetail::AsymmetricNatReply {
            nat: NatIdx(n as u32),
            eni: Some(e),
        },
        _ => DropDetail::HostNoSocket { host: p.src },
    })
}
