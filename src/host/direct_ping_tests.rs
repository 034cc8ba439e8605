//! Ping without smoltcp (issue #18): echo requests built by their generator
//! (`PingClient::send_direct`), answered by the host they reach, and their
//! replies read by their generator (`endpoint::echo`), each only when smoltcp
//! would do exactly that. These tests run two hosts joined by a wire (polled
//! after every frame received, as the engine polls), the same schedule with
//! the shortcuts on and off, and compare every frame either host sends byte
//! for byte, when it was sent and when it may leave, every flow's counters
//! and histograms, and smoltcp's IPv4 identification counter of both hosts.

use super::tests::{tcp_plan, A, B};
use super::*;
use crate::model::{FlowIdx, FlowKind};
use crate::sim::{Attachment, BufferPool};
use crate::wire::ETHERNET_HEADER_LEN;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const A6: Ipv6Addr = Ipv6Addr::new(0x2600, 0x1f18, 0, 1, 0, 0, 0, 0x10);
const B6: Ipv6Addr = Ipv6Addr::new(0x2600, 0x1f18, 0, 2, 0, 0, 0, 0x20);
/// An address nobody answers (frames to it are only recorded).
const NOBODY: Ipv4Addr = Ipv4Addr::new(10, 0, 3, 30);
const DELAY_NS: u64 = 50_000;

fn config(i: u8, v4: Ipv4Addr, v6: Ipv6Addr, mtu: u16) -> HostConfig {
    HostConfig {
        attachment: Attachment::Eni(crate::model::EniIdx(u32::from(i))),
        name: format!("h{i}"),
        mac: [2, 0, 0, 0, 0, i + 1],
        gateway_mac: [2, 0, 0, 0, 0, 0xfe],
        ipv4: Some((v4, 24)),
        ipv6: Some((v6, 64)),
        mtu,
        seed: 21 + u64::from(i),
        tcp: crate::model::TcpBuffers::LINUX,
        bandwidth_bps: 0,
    }
}

/// Flow `flow` of `kind` from host `from` (0: A, 1: B) to `to` (the other
/// host, or nobody: 2), IPv6 when `v6`, with echo identifier or source port
/// `local_port`, `size` bytes, `count` packets every `interval_ns` from
/// `start_ns`.
#[allow(clippy::too_many_arguments)]
fn plan(
    flow: u32,
    kind: FlowKind,
    from: usize,
    to: usize,
    v6: bool,
    local_port: u16,
    size: u32,
    count: u64,
    interval_ns: u64,
    start_ns: u64,
) -> FlowPlan {
    let addr = |h: usize| match (h, v6) {
        (0, false) => IpAddr::V4(A),
        (1, false) => IpAddr::V4(B),
        (0, true) => IpAddr::V6(A6),
        (1, true) => IpAddr::V6(B6),
        (_, false) => IpAddr::V4(NOBODY),
        (_, true) => IpAddr::V6(Ipv6Addr::new(0x2600, 0x1f18, 0, 3, 0, 0, 0, 0x30)),
    };
    FlowPlan {
        flow: FlowIdx(flow),
        kind,
        src_host: from,
        dst_host: to,
        src_ip: addr(from),
        dst_ip: addr(to),
        port: 5001 + flow as u16,
        local_port,
        size,
        count,
        interval_ns,
        start_ns,
        df: flow % 2 == 0,
        ..tcp_plan(0, None)
    }
}

/// Which host an IP packet is addressed to (2: nobody).
fn host_of(ip: &[u8]) -> usize {
    match ip.first().map(|b| b >> 4) {
        Some(4) if ip.len() >= 20 => match Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]) {
            a if a == A => 0,
            a if a == B => 1,
            _ => 2,
        },
        Some(6) if ip.len() >= 40 => {
            let mut d = [0u8; 16];
            d.copy_from_slice(&ip[24..40]);
            match Ipv6Addr::from(d) {
                a if a == A6 => 0,
                a if a == B6 => 1,
                _ => 2,
            }
        }
        _ => 2,
    }
}

/// Every frame sent (time, host, when it may leave, bytes), every flow's
/// counters, both hosts' smoltcp IPv4 identification, and the shortcuts'
/// counts (summed over both hosts: sent, answered, read).
type Outcome = (
    Vec<(u64, usize, u64, Vec<u8>)>,
    Vec<String>,
    [u16; 2],
    [u64; 3],
);

struct Pair {
    hosts: [Host; 2],
    stats: Vec<FlowStats>,
    /// (arrival, sent, to, frame), in the order sent.
    in_flight: Vec<(u64, u64, usize, Vec<u8>)>,
    wake: [Option<u64>; 2],
    pool: BufferPool,
    sent: Vec<(u64, usize, u64, Vec<u8>)>,
}

impl Pair {
    fn poll(&mut self, h: usize, t: u64) {
        let mut out = Vec::new();
        self.wake[h] = self.hosts[h].poll(t, &mut self.pool, &mut self.stats, &mut out);
        for (i, frame) in out.into_iter().enumerate() {
            let at = self.hosts[h].departure(i, t);
            self.sent.push((t, h, at, frame.clone()));
            let to = host_of(&frame[ETHERNET_HEADER_LEN..]);
            if to < 2 {
                self.in_flight.push((at.max(t) + DELAY_NS, t, to, frame));
            }
        }
        let _ = self.hosts[h].take_finished().count();
    }
}

/// Run `plans` (and frames `extra` handed to a host at a time: (time, host,
/// frame)) until 300 ms, with the shortcuts `on` or off.
fn run(mtu: u16, plans: &[FlowPlan], extra: &[(u64, usize, Vec<u8>)], on: bool) -> Outcome {
    let mut hosts = [
        Host::new(config(0, A, A6, mtu)),
        Host::new(config(1, B, B6, mtu)),
    ];
    for h in &mut hosts {
        h.echo.on = on;
    }
    for p in plans {
        if p.dst_host < 2 {
            hosts[p.dst_host].add_server(p);
        }
        hosts[p.src_host].add_client(p.clone(), GeneratorTimeouts::default());
    }
    let mut w = Pair {
        hosts,
        stats: plans.iter().map(FlowStats::for_plan).collect(),
        in_flight: extra.iter().map(|e| (e.0, e.0, e.1, e.2.clone())).collect(),
        wake: [Some(0), Some(0)],
        pool: BufferPool::default(),
        sent: Vec::new(),
    };
    for _ in 0..1_000_000 {
        let next_frame = w.in_flight.iter().map(|f| f.0).min();
        let next = w.wake.iter().flatten().copied().chain(next_frame).min();
        let Some(t) = next.filter(|&t| t <= 300_000_000) else {
            break;
        };
        // Frames due first, in the order sent, each followed by its host's
        // poll (or the idle poll that stands for it), as the engine does.
        while let Some(i) = w.in_flight.iter().position(|f| f.0 <= t) {
            let (_, sent, to, frame) = w.in_flight.remove(i);
            w.hosts[to].receive(frame, t, sent, &mut w.stats);
            let _ = w.hosts[to].take_discarded(&mut w.pool);
            match w.hosts[to].idle_poll(t, &mut w.pool) {
                Some(next) => w.wake[to] = next,
                None => w.poll(to, t),
            }
        }
        for h in 0..2 {
            if w.wake[h].is_some_and(|x| x <= t) {
                w.poll(h, t);
            }
        }
    }
    let counters = w.stats.iter().map(|s| format!("{s:?}")).collect();
    let idents = [
        w.hosts[0].smoltcp_ipv4_ident(),
        w.hosts[1].smoltcp_ipv4_ident(),
    ];
    let e = |h: &Host| [h.echo.sent, h.echo.answered, h.echo.read];
    let (a, b) = (e(&w.hosts[0]), e(&w.hosts[1]));
    (
        w.sent,
        counters,
        idents,
        [a[0] + b[0], a[1] + b[1], a[2] + b[2]],
    )
}

/// Both ways, compared frame by frame; returns the shortcuts' counts.
fn same_both_ways(
    what: &str,
    mtu: u16,
    plans: &[FlowPlan],
    extra: &[(u64, usize, Vec<u8>)],
) -> [u64; 3] {
    let on = run(mtu, plans, extra, true);
    let off = run(mtu, plans, extra, false);
    assert_eq!(off.3, [0; 3], "{what}: off means off");
    assert!(!on.0.is_empty(), "{what}: something was sent");
    for (i, (a, b)) in on.0.iter().zip(&off.0).enumerate() {
        assert_eq!(a, b, "{what}: frame {i}");
    }
    assert_eq!(on.0.len(), off.0.len(), "{what}: frames sent");
    assert_eq!(on.1, off.1, "{what}: counters");
    assert_eq!(on.2, off.2, "{what}: smoltcp's IPv4 identification");
    on.3
}

/// An IPv4 ICMP echo (`kind` 8 or 0) from `src` to `dst`, as a frame.
fn echo(kind: u8, src: Ipv4Addr, dst: Ipv4Addr, ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0xfe], [2, 0, 0, 0, 0, 1]).ipv4(
        src.octets(),
        dst.octets(),
        60,
    );
    let b = if kind == 8 {
        b.icmpv4_echo_request(ident, seq)
    } else {
        b.icmpv4_echo_reply(ident, seq)
    };
    let mut f = Vec::new();
    b.write(&mut f, data).expect("builds");
    f
}

#[test]
fn pings_send_answer_and_read_the_same_frames_with_and_without_smoltcp() {
    use FlowKind::{Ping, Tcp, Udp};
    // IPv4 both ways: several ping flows per host with different identifiers,
    // sizes with and without a tag (short pings are timed from a log), odd and
    // even, one with every request due at once (several due: smoltcp's path),
    // one to an address nobody answers, UDP beside them.
    let v4 = vec![
        plan(0, Ping, 0, 1, false, 0x101, 56, 40, 1_000_000, 0),
        plan(1, Ping, 0, 1, false, 0x102, 7, 30, 1_300_000, 200_000),
        plan(2, Ping, 1, 0, false, 0x201, 1001, 25, 900_000, 100_000),
        plan(3, Ping, 0, 1, false, 0x103, 0, 10, 2_000_000, 0),
        plan(4, Ping, 0, 1, false, 0x104, 64, 6, 0, 5_000_000),
        plan(5, Ping, 0, 2, false, 0x105, 56, 10, 1_000_000, 0),
        plan(6, Udp, 0, 1, false, 40_006, 200, 40, 1_000_000, 0),
        plan(7, Udp, 1, 0, false, 40_007, 33, 30, 700_000, 0),
    ];
    let n = same_both_ways("ipv4", 9001, &v4, &[]);
    assert!(n[0] >= 80, "ipv4: requests sent directly ({n:?})");
    assert!(n[1] >= 80, "ipv4: requests answered directly ({n:?})");
    assert!(n[2] >= 80, "ipv4: replies read directly ({n:?})");

    // IPv6 pings beside them (sent directly, answered and read by smoltcp),
    // and one too big for the MTU (refused before smoltcp).
    let mut v6 = v4.clone();
    v6.push(plan(8, Ping, 0, 1, true, 0x106, 56, 20, 1_100_000, 0));
    v6.push(plan(9, Ping, 1, 0, true, 0x202, 3, 20, 800_000, 0));
    v6.push(plan(10, Ping, 0, 1, true, 0x107, 2000, 3, 1_000_000, 0));
    let n = same_both_ways("ipv6", 1500, &v6, &[]);
    assert!(n[0] >= 110, "ipv6: requests sent directly ({n:?})");

    // Pings smoltcp fragments (requests and replies), in the same polls as
    // direct ones; a second flow with an identifier already in use (its
    // replies reach both sockets: smoltcp's path).
    let mut frag = v4.clone();
    frag.push(plan(8, Ping, 0, 1, false, 0x108, 3000, 8, 1_000_000, 0));
    frag.push(plan(
        9, Ping, 1, 0, false, 0x203, 2500, 8, 1_700_000, 300_000,
    ));
    frag.push(plan(
        10, Ping, 0, 1, false, 0x101, 56, 8, 1_000_000, 500_000,
    ));
    let n = same_both_ways("fragments", 1500, &frag, &[]);
    assert!(
        n[1] >= 40 && n[2] >= 40,
        "fragments: shortcuts taken ({n:?})"
    );

    // TCP on the same hosts (every round of A goes through smoltcp while its
    // client has a socket), and frames smoltcp treats otherwise: a request
    // with an identifier one of A's pings uses (its socket takes a copy), from
    // a broadcast source, with trailing bytes, a reply nobody asked for, and
    // two replies to the same request.
    let mut tcp = v4.clone();
    tcp.push(plan(8, Tcp, 0, 1, false, 41_000, 0, 0, 1, 10_000_000));
    tcp[8].bytes = 200_000;
    let mut trailing = echo(8, B, A, 0x999, 1, &[5u8; 30]);
    trailing.extend_from_slice(&[0xee; 6]);
    let extra = vec![
        (1_000_000, 0, echo(8, B, A, 0x101, 77, &[1u8; 40])),
        (
            2_000_000,
            0,
            echo(8, Ipv4Addr::BROADCAST, A, 0x998, 1, &[2u8; 20]),
        ),
        (2_000_000, 0, echo(8, NOBODY, A, 0x997, 1, &[3u8; 20])),
        (3_000_000, 0, trailing),
        (4_000_000, 0, echo(0, B, A, 0x996, 1, &[4u8; 24])),
        (4_500_000, 1, echo(8, A, B, 0x995, 9, &[])),
        (6_000_000, 0, echo(0, B, A, 0x101, 3, &[9u8; 56])),
        (6_000_000, 0, echo(0, B, A, 0x101, 3, &[9u8; 56])),
    ];
    let n = same_both_ways("tcp", 1500, &tcp, &extra);
    assert!(n.iter().all(|&c| c > 0), "tcp: shortcuts taken ({n:?})");
}
