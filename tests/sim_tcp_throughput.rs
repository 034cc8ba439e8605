//! TCP throughput like Linux over a long path: window scaling with buffers that
//! grow to Linux's `tcp_rmem`/`tcp_wmem` maxima (configurable per instance), so a
//! transfer over an inter-region RTT runs at the window/RTT bound, not at the 256 KiB
//! window smoltcp's old fixed buffers allowed. Everything is virtual time.

use peeremu::dataplane::test_net::{sg_all, TestNet};
use peeremu::model::*;
use peeremu::output::{FlowReport, Outcome};
use peeremu::sim::{run_network, NullObserver, SimConfig};

/// One-way latency between the regions: an 80 ms RTT.
const ONE_WAY_NS: u64 = 40_000_000;
const BYTES: u64 = 50_000_000;

/// A 50 MB transfer between instances in two regions over a peering, the
/// receiver's kernel having `receiver_tcp`; both ENIs at `mtu`.
fn transfer(receiver_tcp: TcpBuffers, mtu: u16) -> FlowReport {
    let mut t = TestNet::new();
    let a = t.vpc_in(0, "10.10.0.0/16");
    let b = t.vpc_in(1, "10.20.0.0/16");
    let sa = t.subnet(a, "10.10.1.0/24", 0);
    let sb = t.subnet(b, "10.20.1.0/24", 2);
    let ga = t.sg(a, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let gb = t.sg(b, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    t.peer_subnets(sa, sb);
    let sender = t.eni(sa, "10.10.1.10", &[ga]);
    let receiver = t.eni(sb, "10.20.1.10", &[gb]);
    let mut net = t.build();
    net.latency.region_pairs.clear();
    net.latency.inter_region_default_ns = ONE_WAY_NS;
    for e in [sender, receiver] {
        net.enis[e.ix()].mtu = mtu;
    }
    let inst = net.enis[receiver.ix()].instance;
    net.instances[inst.ix()].tcp = receiver_tcp;
    net.flows.push(Flow {
        bytes: BYTES,
        ..Flow::new(
            "bulk",
            FlowKind::Tcp,
            Endpoint::Eni(sender),
            Endpoint::Eni(receiver),
        )
    });
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = r.reports.into_iter().next().expect("one flow");
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
    assert_eq!(f.bytes_delivered, BYTES);
    f
}

/// The time Linux could at best take: the handshake (one RTT), then slow start
/// (CUBIC, Linux's default: an initial window of 10 segments, RFC 6928, doubling
/// every round trip) until the congestion window reaches the window the buffers
/// allow (half of `tcp_rmem` max, `tcp_adv_win_scale = 1`, or the send buffer if
/// smaller), then the rest at the window/RTT bound. No loss on this path, so slow
/// start never ends early.
fn bound_ns(tcp_receiver: TcpBuffers, mtu: u16) -> u64 {
    let rtt = 2 * ONE_WAY_NS;
    let window = u64::from((tcp_receiver.rmem_max / 2).min(TcpBuffers::LINUX.wmem_max));
    let mss = u64::from(mtu) - 40;
    let (mut cwnd, mut sent, mut t) = (10 * mss, 0, rtt);
    while cwnd < window && sent + cwnd < BYTES {
        sent += cwnd;
        t += rtt;
        cwnd *= 2;
    }
    t + (BYTES - sent) * rtt / window
}

fn assert_near_bound(f: &FlowReport, bound: u64) {
    let done = f.completion_ns.expect("completed");
    eprintln!(
        "completed in {done} ns, bound {bound} ns, drops {:?}",
        f.drops
    );
    assert!(
        done * 100 >= bound * 95,
        "faster than physics: {done} < {bound}"
    );
    assert!(
        done * 100 <= bound * 120,
        "{done} ns is over 120 % of {bound} ns"
    );
}

#[test]
fn fifty_megabytes_over_80_ms_run_at_the_linux_window_bound() {
    let f = transfer(TcpBuffers::LINUX, 1500);
    // 3 MiB window / 80 ms ≈ 39 MB/s after 8 round trips of slow start: 50 MB in
    // about 1.9 s (the old fixed 256 KiB buffers gave 3.2 MB/s, 15.6 s).
    assert_near_bound(&f, bound_ns(TcpBuffers::LINUX, 1500));
}

#[test]
fn a_smaller_tcp_rmem_max_slows_the_transfer_as_on_linux() {
    let small = TcpBuffers {
        rmem_max: 1 << 20,
        ..TcpBuffers::LINUX
    };
    let f = transfer(small, 1500);
    // 512 KiB window: about 6.5 MB/s.
    assert_near_bound(&f, bound_ns(small, 1500));
}
