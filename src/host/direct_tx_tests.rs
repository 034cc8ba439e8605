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

/// How a host sends its UDP clients' datagrams in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Through smoltcp only (`direct_tx` off).
    Smoltcp,
    /// Built by the clients in the general poll (`direct_round`), never in a
    /// send-only poll (`direct_polls_on` off).
    DirectRound,
    /// As in a run: send-only polls where they apply (`Host::direct_poll`).
    DirectPoll,
}

/// What a run shows: every frame sent with the poll's time and when it may
/// leave, the counters, smoltcp's IPv4 identification counter, the flows
/// handed out as finished (with the poll's time), and how often each
/// shortcut was taken.
#[derive(Debug)]
struct Outcome {
    sent: Vec<(u64, u64, Vec<u8>)>,
    counters: Vec<String>,
    ident: u16,
    finished: Vec<(u64, FlowIdx)>,
    direct_sent: u64,
    direct_polls: u64,
}

/// A host's flows: those it sends (`clients`) and receives (`servers`), with
/// flow numbers 0.. in the order of `clients` then `servers`.
struct Scene<'a> {
    mtu: u16,
    clients: &'a [FlowPlan],
    servers: &'a [FlowPlan],
    timeouts: GeneratorTimeouts,
    until_ns: u64,
}

/// Poll a host with `plans` at every wake it asks for (and at each inbound
/// frame's time, after handing it the frame) until `until_ns`.
fn drive(scene: &Scene, mut rx: Vec<(u64, Vec<u8>)>, way: Way) -> Outcome {
    let mut host = Host::new(config(scene.mtu));
    host.direct_tx = way != Way::Smoltcp;
    host.direct_polls_on = way == Way::DirectPoll;
    for p in scene.servers {
        host.add_server(p);
    }
    for p in scene.clients {
        host.add_client(p.clone(), scene.timeouts);
    }
    let mut stats: Vec<FlowStats> = scene
        .clients
        .iter()
        .chain(scene.servers)
        .map(FlowStats::for_plan)
        .collect();
    rx.sort_by_key(|r| r.0);
    rx.reverse();
    let (mut pool, mut out, mut sent) = (BufferPool::default(), Vec::new(), Vec::new());
    let mut finished = Vec::new();
    let mut wake = Some(0);
    for _ in 0..100_000 {
        let next_rx = rx.last().map(|r| r.0);
        let Some(t) = [wake, next_rx].into_iter().flatten().min() else {
            break;
        };
        if t > scene.until_ns {
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
        finished.extend(host.take_finished().map(|f| (t, f)));
    }
    Outcome {
        sent,
        counters: stats.iter().map(|s| format!("{s:?}")).collect(),
        ident: host.smoltcp_ipv4_ident(),
        finished,
        direct_sent: host.direct_sent,
        direct_polls: host.direct_polls,
    }
}

/// `b` sends what `a` sends, frame for frame (bytes, poll time, departure),
/// with the same counters, finished flows and smoltcp identification.
fn assert_same(what: &str, a: &Outcome, b: &Outcome) {
    assert!(!a.sent.is_empty(), "{what}: something was sent");
    assert_eq!(a.sent.len(), b.sent.len(), "{what}: frames sent");
    for (i, (x, y)) in a.sent.iter().zip(&b.sent).enumerate() {
        assert_eq!(x, y, "{what}: frame {i}");
    }
    assert_eq!(a.counters, b.counters, "{what}: counters");
    assert_eq!(a.finished, b.finished, "{what}: flows finished");
    assert_eq!(a.ident, b.ident, "{what}: smoltcp's IPv4 identification");
}

/// All three ways, compared frame by frame; returns the frames built
/// directly and the send-only polls of a run as it runs.
fn same_every_way(what: &str, scene: &Scene, rx: Vec<(u64, Vec<u8>)>) -> (u64, u64) {
    let smoltcp = drive(scene, rx.clone(), Way::Smoltcp);
    let round = drive(scene, rx.clone(), Way::DirectRound);
    let poll = drive(scene, rx, Way::DirectPoll);
    assert_eq!(smoltcp.direct_sent, 0, "{what}: off means off");
    assert_eq!(round.direct_polls, 0, "{what}: send-only polls off");
    assert_same(&format!("{what} (direct round)"), &smoltcp, &round);
    assert_same(&format!("{what} (send-only polls)"), &smoltcp, &poll);
    (poll.direct_sent, poll.direct_polls)
}

/// [`same_every_way`] for a host that only sends, with default timeouts,
/// for 200 ms; returns the frames built directly.
fn same_both_ways(what: &str, mtu: u16, plans: &[FlowPlan], rx: Vec<(u64, Vec<u8>)>) -> u64 {
    let scene = Scene {
        mtu,
        clients: plans,
        servers: &[],
        timeouts: GeneratorTimeouts::default(),
        until_ns: 200_000_000,
    };
    same_every_way(what, &scene, rx).0
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

/// A UDP datagram from B:`sport` to A:`dport` with `len` payload bytes (IPv4).
fn udp_to_a(sport: u16, dport: u16, len: usize) -> Vec<u8> {
    let mut frame = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0xfe], [2, 0, 0, 0, 0, 1])
        .ipv4(B.octets(), A.octets(), 64)
        .udp(sport, dport)
        .write(&mut frame, &vec![3u8; len])
        .expect("builds");
    frame
}

/// Issue #18: a poll in which only UDP clients send takes `Host::direct_poll`,
/// which builds each datagram finished (Ethernet header, identification, DF,
/// header checksum) straight into the output and charges its pacer. It must
/// send what the general poll sends, through smoltcp or built in its direct
/// round: frame for frame, at the same poll, with the same departure, the
/// same counters, the same flows finished at the same polls, and smoltcp's
/// identification where it would be.
#[test]
fn udp_send_polls_do_what_the_general_poll_does() {
    use FlowKind::Udp;
    let timeouts = GeneratorTimeouts {
        udp_linger_ns: 3_000_000,
        ..GeneratorTimeouts::default()
    };
    // Several flows per host, IPv4 and IPv6, DF set and clear. Flows sharing
    // a pacer: flows 0 and 1 (and 6 and 7 over IPv6) leave from one local
    // port to one destination (other destination ports), so AWS's
    // single-flow limit is one pacer for both, and one of each pair sends
    // with DF clear, which the other then does too (DF is looked up by local
    // port and destination). Rate limits: those pairs at 2 Mbit/s (their
    // frames wait behind the pacer), flow 5 at 100 kbit/s with every
    // datagram due at once (its queue overflows). Every flow finishes
    // (3 ms linger) within the run.
    let capped = |p: FlowPlan, port: u16, cap: u64| FlowPlan {
        port,
        flow_cap_bps: cap,
        ..p
    };
    let clients = vec![
        capped(
            plan(0, Udp, false, 40_000, 200, 30, 400_000, 0, true),
            5001,
            2_000_000,
        ),
        capped(
            plan(1, Udp, false, 40_000, 100, 30, 300_000, 100_000, false),
            5002,
            2_000_000,
        ),
        plan(2, Udp, false, 40_002, 16, 20, 1_000_000, 0, false),
        plan(3, Udp, false, 40_003, 7, 20, 700_000, 50_000, true),
        plan(4, Udp, false, 40_004, 1472, 10, 1_000_000, 0, true),
        capped(
            plan(5, Udp, false, 40_005, 8000, 200, 0, 2_000_000, true),
            5001,
            100_000,
        ),
        capped(
            plan(6, Udp, true, 40_006, 500, 20, 500_000, 0, true),
            5001,
            2_000_000,
        ),
        capped(
            plan(7, Udp, true, 40_006, 60, 20, 450_000, 0, false),
            5003,
            2_000_000,
        ),
        plan(8, Udp, true, 40_008, 1, 10, 900_000, 0, true),
    ];
    // The host also receives: datagrams for its sink on port 7000 (counted
    // as they arrive, `sink_takes_directly`), and an echo request and a
    // datagram for a closed port (answered by smoltcp while reading, so the
    // general poll runs then).
    let servers = vec![FlowPlan {
        flow: FlowIdx(9),
        kind: Udp,
        src_ip: IpAddr::V4(B),
        dst_ip: IpAddr::V4(A),
        port: 7000,
        local_port: 6000,
        size: 30,
        count: 20,
        interval_ns: 1_000_000,
        ..tcp_plan(0, None)
    }];
    let mut rx: Vec<(u64, Vec<u8>)> = (0..20)
        .map(|i| (1_500_000 + i * 1_000_000, udp_to_a(6000, 7000, 30)))
        .collect();
    rx.extend(inbound(4_000_000));
    rx.extend(inbound(9_250_000));
    let scene = Scene {
        mtu: 9001,
        clients: &clients,
        servers: &servers,
        timeouts,
        until_ns: 40_000_000,
    };
    let (sent, polls) = same_every_way("one host", &scene, rx.clone());
    assert!(
        sent >= 300 && polls >= 250,
        "one host: send-only polls taken ({sent}, {polls})"
    );

    // At MTU 1500: flow 4's datagrams fill it exactly, flow 5's are
    // fragmented by smoltcp (polls where it sends are general ones).
    let scene = Scene { mtu: 1500, ..scene };
    let (sent, polls) = same_every_way("mtu 1500", &scene, rx.clone());
    assert!(
        sent >= 100 && polls >= 80,
        "mtu 1500: send-only polls taken ({sent}, {polls})"
    );

    // More than 32 generators (the wake queue), paced pairs among them.
    let many: Vec<FlowPlan> = (0..40u32)
        .map(|i| {
            let p = plan(
                i,
                Udp,
                i % 7 == 3,
                43_000 + (i / 2) as u16,
                40 + 3 * i,
                8,
                800_000 + 10_000 * u64::from(i % 5),
                u64::from(i % 4) * 200_000,
                i % 3 != 0,
            );
            capped(p, 5001 + i as u16, if i % 4 == 0 { 0 } else { 3_000_000 })
        })
        .collect();
    let scene = Scene {
        mtu: 9001,
        clients: &many,
        servers: &[],
        timeouts,
        until_ns: 40_000_000,
    };
    let (sent, polls) = same_every_way("many", &scene, inbound(2_100_000));
    assert!(
        sent >= 300 && polls >= 100,
        "many: send-only polls taken ({sent}, {polls})"
    );
}
