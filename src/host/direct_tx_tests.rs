//! UDP clients build their datagrams without smoltcp when smoltcp would only
//! copy them out (`Host::direct_round`, `UdpClient::send_direct`, issue #18).
//! These tests drive one host through the same schedule twice, with the
//! shortcut on and off, and compare every frame it sends byte for byte (IPv4
//! identification, DF, checksums, smoltcp's own fragment identification after
//! datagrams sent either way), when each may leave, the flows' counters and
//! smoltcp's IPv4 identification counter at the end.

use super::tests::{tcp_plan, A, B};
use super::*;
use crate::model::{FlowIdx, FlowKind};
use crate::sim::{Attachment, BufferPool};
use std::net::{IpAddr, Ipv6Addr};

const A6: Ipv6Addr = Ipv6Addr::new(0x2600, 0x1f18, 0, 1, 0, 0, 0, 0x10);
const B6: Ipv6Addr = Ipv6Addr::new(0x2600, 0x1f18, 0, 2, 0, 0, 0, 0x20);

fn config(mtu: u16) -> HostConfig {
    HostConfig {
        attachment: Attachment::Eni(crate::model::EniIdx(0)),
        name: "a".into(),
        mac: [2, 0, 0, 0, 0, 1],
        gateway_mac: [2, 0, 0, 0, 0, 0xfe],
        ipv4: Some((A, 24)),
        ipv6: Some((A6, 64)),
        mtu,
        seed: 11,
        tcp: crate::model::TcpBuffers::LINUX,
        bandwidth_bps: 0,
    }
}

/// Flow `flow` of `kind` from A (or A6) on `local_port`, `size` bytes, `count`
/// packets every `interval_ns` from `start_ns`.
#[allow(clippy::too_many_arguments)]
fn plan(
    flow: u32,
    kind: FlowKind,
    v6: bool,
    local_port: u16,
    size: u32,
    count: u64,
    interval_ns: u64,
    start_ns: u64,
    df: bool,
) -> FlowPlan {
    let (src_ip, dst_ip) = if v6 {
        (IpAddr::V6(A6), IpAddr::V6(B6))
    } else {
        (IpAddr::V4(A), IpAddr::V4(B))
    };
    FlowPlan {
        flow: FlowIdx(flow),
        kind,
        src_ip,
        dst_ip,
        port: 5001,
        local_port,
        size,
        count,
        interval_ns,
        start_ns,
        df,
        ..tcp_plan(0, None)
    }
}

/// An ICMP echo request and a UDP datagram to a port nothing listens on, both
/// to A: smoltcp answers each while reading (before the egress sweep).
fn inbound(t: u64) -> Vec<(u64, Vec<u8>)> {
    let b = || {
        etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0xfe], [2, 0, 0, 0, 0, 1]).ipv4(
            B.octets(),
            A.octets(),
            64,
        )
    };
    let mut echo = Vec::new();
    b().icmpv4_echo_request(0x4242, 1)
        .write(&mut echo, &[7u8; 40])
        .expect("builds");
    let mut udp = Vec::new();
    b().udp(6000, 9)
        .write(&mut udp, &[1u8; 30])
        .expect("builds");
    vec![(t, echo), (t, udp)]
}

/// What a run shows: every frame sent with when it may leave, the counters,
/// smoltcp's IPv4 identification counter, and the frames built without smoltcp.
type Outcome = (Vec<(u64, u64, Vec<u8>)>, Vec<String>, u16, u64);

/// Poll a host with `plans` at every wake it asks for (and at each inbound
/// frame's time, after handing it the frame) until `until_ns`.
fn drive(mtu: u16, plans: &[FlowPlan], mut rx: Vec<(u64, Vec<u8>)>, direct: bool) -> Outcome {
    let mut host = Host::new(config(mtu));
    host.direct_tx = direct;
    for p in plans {
        host.add_client(p.clone(), GeneratorTimeouts::default());
    }
    let mut stats: Vec<FlowStats> = plans.iter().map(FlowStats::for_plan).collect();
    rx.sort_by_key(|r| r.0);
    rx.reverse();
    let (mut pool, mut out, mut sent) = (BufferPool::default(), Vec::new(), Vec::new());
    let mut wake = Some(0);
    for _ in 0..100_000 {
        let next_rx = rx.last().map(|r| r.0);
        let Some(t) = [wake, next_rx].into_iter().flatten().min() else {
            break;
        };
        if t > 200_000_000 {
            break;
        }
        while rx.last().is_some_and(|r| r.0 == t) {
            if let Some((_, frame)) = rx.pop() {
                host.receive(frame, t, t, &mut stats);
            }
        }
        out.clear();
        wake = host.poll(t, &mut pool, &mut stats, &mut out);
        for (i, f) in out.drain(..).enumerate() {
            sent.push((t, host.departure(i, t), f));
        }
    }
    let counters = stats.iter().map(|s| format!("{s:?}")).collect();
    (sent, counters, host.smoltcp_ipv4_ident(), host.direct_sent)
}

/// Both ways, compared frame by frame; returns the frames built directly.
fn same_both_ways(what: &str, mtu: u16, plans: &[FlowPlan], rx: Vec<(u64, Vec<u8>)>) -> u64 {
    let on = drive(mtu, plans, rx.clone(), true);
    let off = drive(mtu, plans, rx, false);
    assert_eq!(off.3, 0, "{what}: off means off");
    assert!(!on.0.is_empty(), "{what}: something was sent");
    assert_eq!(on.0.len(), off.0.len(), "{what}: frames sent");
    for (i, (a, b)) in on.0.iter().zip(&off.0).enumerate() {
        assert_eq!(a, b, "{what}: frame {i}");
    }
    assert_eq!(on.1, off.1, "{what}: counters");
    assert_eq!(on.2, off.2, "{what}: smoltcp's IPv4 identification");
    on.3
}

#[test]
fn udp_clients_send_the_same_frames_with_and_without_smoltcp() {
    use FlowKind::{Ping, Tcp, Udp};
    // Several IPv4 clients on one host, started together (several due in one
    // poll: sent in socket order), of sizes around the tag's 16 bytes, odd and
    // even, DF set and clear; one with every datagram due at once (interval 0:
    // smoltcp's one-datagram send buffer takes one per poll).
    let v4 = vec![
        plan(0, Udp, false, 40_000, 200, 20, 1_000_000, 0, true),
        plan(1, Udp, false, 40_001, 7, 20, 1_000_000, 0, false),
        plan(2, Udp, false, 40_002, 16, 10, 2_000_000, 500_000, true),
        plan(3, Udp, false, 40_003, 301, 10, 1_500_000, 0, false),
        plan(4, Udp, false, 40_004, 0, 5, 1_000_000, 0, true),
        plan(5, Udp, false, 40_005, 1000, 6, 0, 3_000_000, true),
    ];
    let n = same_both_ways("ipv4", 9001, &v4, inbound(2_000_000));
    assert!(n >= 60, "ipv4: the shortcut was taken ({n})");

    // IPv6 beside IPv4, and an IPv6 datagram larger than the MTU (refused
    // before smoltcp) due in the same polls.
    let mut v6 = v4.clone();
    v6.push(plan(6, Udp, true, 40_006, 500, 20, 1_000_000, 0, true));
    v6.push(plan(7, Udp, true, 40_007, 3, 10, 1_000_000, 0, true));
    v6.push(plan(8, Udp, true, 40_008, 2000, 5, 1_000_000, 0, true));
    let n = same_both_ways("ipv6", 1500, &v6, inbound(4_000_000));
    assert!(n >= 80, "ipv6: the shortcut was taken ({n})");

    // Datagrams smoltcp fragments (its identification, advanced by every
    // datagram sent before either way, is in the fragments), between and in
    // the same polls as direct ones.
    let mut frag = v4.clone();
    frag.push(plan(6, Udp, false, 40_006, 3000, 8, 1_000_000, 0, false));
    frag.push(plan(
        7, Udp, false, 40_007, 2500, 8, 1_700_000, 300_000, true,
    ));
    let n = same_both_ways("fragments", 1500, &frag, inbound(5_000_000));
    assert!(n >= 40, "fragments: the shortcut was taken ({n})");

    // Ping clients on the same host, IPv4 and IPv6, one fragmenting (a round
    // where one writes goes through smoltcp, the UDP clients due with it too).
    let mut mixed = v4.clone();
    mixed.push(plan(6, Ping, false, 0x77, 56, 10, 1_000_000, 0, true));
    mixed.push(plan(
        7, Ping, false, 0x78, 3000, 5, 2_000_000, 1_000_000, true,
    ));
    mixed.push(plan(8, Udp, true, 40_008, 100, 15, 700_000, 0, true));
    mixed.push(plan(9, Ping, true, 0x79, 56, 10, 1_300_000, 0, true));
    let n = same_both_ways("mixed", 1500, &mixed, inbound(3_000_000));
    assert!(n >= 10, "mixed: the shortcut was taken ({n})");

    // And a TCP client (a host with a few generators concerns every TCP one in
    // every poll, so every round goes through smoltcp: compared only).
    let mut tcp = mixed.clone();
    tcp.push(plan(10, Tcp, false, 41_000, 0, 0, 1, 10_000_000, true));
    same_both_ways("tcp", 1500, &tcp, inbound(3_000_000));

    // More than 32 generators: the host's wake queue instead of its scan
    // (there a TCP client concerns the polls only once it has a socket).
    let mut many: Vec<FlowPlan> = (0..40)
        .map(|i| {
            // Ping clients due in one of the four start groups only.
            let kind = if i == 3 || i == 31 { Ping } else { Udp };
            let start = (i as u64 % 4) * 250_000;
            plan(
                i,
                kind,
                i % 5 == 1,
                42_000 + i as u16,
                50 + i,
                6,
                1_000_000,
                start,
                i % 2 == 0,
            )
        })
        .collect();
    many.push(plan(40, Tcp, false, 41_000, 0, 0, 1, 3_500_000, true));
    let n = same_both_ways("many", 9001, &many, inbound(1_250_000));
    assert!(n >= 60, "many: the shortcut was taken ({n})");
}
