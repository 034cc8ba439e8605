//! Instance bandwidth as AWS documents it ("Amazon EC2 instance network
//! bandwidth"): an instance's aggregate figure (`bandwidth_gbps`, default 10 Gbit/s
//! each way) and the single-flow limit, 5 Gbit/s per 5-tuple unless both ends are
//! in the same cluster placement group (10 Gbit/s). A bulk TCP transfer in one AZ,
//! with buffers large enough that the window never binds, runs at the limit that
//! applies. Everything is virtual time.

use peeremu::dataplane::test_net::{sg_all, TestNet};
use peeremu::model::*;
use peeremu::output::{FlowReport, Outcome};
use peeremu::sim::{run_network, NullObserver, SimConfig};

const BYTES: u64 = 100_000_000;

/// One transfer of [`BYTES`] between two instances in one subnet, after `tweak`
/// set the instances up.
fn transfer(tweak: impl Fn(&mut Network, InstanceIdx, InstanceIdx)) -> FlowReport {
    let mut t = TestNet::new();
    let v = t.vpc_in(0, "10.10.0.0/16");
    let s = t.subnet(v, "10.10.1.0/24", 0);
    let g = t.sg(v, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let a = t.eni(s, "10.10.1.10", &[g]);
    let b = t.eni(s, "10.10.1.20", &[g]);
    let mut net = t.build();
    let (ia, ib) = (net.enis[a.ix()].instance, net.enis[b.ix()].instance);
    // Windows far beyond the bandwidth-delay product: only bandwidth limits.
    let big = TcpBuffers {
        rmem_max: 64 << 20,
        wmem_max: 64 << 20,
        ..TcpBuffers::LINUX
    };
    net.instances[ia.ix()].tcp = big;
    net.instances[ib.ix()].tcp = big;
    tweak(&mut net, ia, ib);
    net.flows.push(Flow {
        bytes: BYTES,
        ..Flow::new("bulk", FlowKind::Tcp, Endpoint::Eni(a), Endpoint::Eni(b))
    });
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    r.reports.into_iter().next().expect("one flow")
}

/// What one transfer (see [`transfer`]) reaches, in bits per second of payload.
fn goodput_bps(tweak: impl Fn(&mut Network, InstanceIdx, InstanceIdx)) -> f64 {
    let f = transfer(tweak);
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
    assert_eq!(f.bytes_delivered, BYTES);
    let done = f.completion_ns.expect("completed");
    let bps = BYTES as f64 * 8.0 / (done as f64 / 1e9);
    eprintln!("completed in {done} ns: {:.3} Gbit/s", bps / 1e9);
    bps
}

/// Payload share of a full-sized frame on the wire: 9001-byte IP packets, 14
/// bytes of Ethernet, 40 of IP and TCP headers and 12 of timestamps at most.
const PAYLOAD_SHARE_MIN: f64 = (9001.0 - 52.0) / 9015.0;

/// Within 90–100 % of `cap_bps` carried at the payload share (the rest: the
/// handshake, slow start, the last window's round trip, ACK spacing).
fn assert_at_cap(bps: f64, cap_bps: f64) {
    let ceiling = cap_bps;
    let floor = cap_bps * PAYLOAD_SHARE_MIN * 0.90;
    assert!(
        bps <= ceiling,
        "{bps} bit/s is faster than the {cap_bps} cap"
    );
    assert!(
        bps >= floor,
        "{bps} bit/s is under 90 % of the {cap_bps} cap"
    );
}

#[test]
fn one_flow_outside_a_cluster_placement_group_is_held_to_5_gbps() {
    // A 10 Gbit/s instance (the default), one flow: AWS's 5 Gbit/s per 5-tuple.
    assert_at_cap(goodput_bps(|_, _, _| {}), 5e9);
}

#[test]
fn one_flow_inside_a_cluster_placement_group_reaches_10_gbps() {
    let bps = goodput_bps(|net, a, b| {
        for i in [a, b] {
            net.instances[i.ix()].placement_group = Some("pg-hpc".into());
        }
    });
    assert_at_cap(bps, 10e9);
    assert!(bps > 6e9, "{bps}: the 5 Gbit/s limit still applies");
}

#[test]
fn different_cluster_placement_groups_keep_the_5_gbps_limit() {
    let bps = goodput_bps(|net, a, b| {
        net.instances[a.ix()].placement_group = Some("pg-one".into());
        net.instances[b.ix()].placement_group = Some("pg-two".into());
    });
    assert_at_cap(bps, 5e9);
}

#[test]
fn a_slower_instance_is_held_to_its_own_bandwidth() {
    // 2 Gbit/s on the sender, below the single-flow limit.
    let bps = goodput_bps(|net, a, _| net.instances[a.ix()].bandwidth_bps = 2_000_000_000);
    assert_at_cap(bps, 2e9);
}

/// A 10 Gbit/s sender into a 1 Gbit/s receiver with `congestion` on both.
fn into_a_slower_receiver(congestion: TcpCongestion) -> FlowReport {
    transfer(|net, a, b| {
        net.instances[b.ix()].bandwidth_bps = 1_000_000_000;
        for i in [a, b] {
            net.instances[i.ix()].tcp.congestion = congestion;
        }
    })
}

#[test]
fn a_slower_receiver_is_reached_through_congestion_control() {
    // The receiver's downlink (1 Gbit/s, a 1.25 MB drop-tail queue) is the
    // bottleneck. CUBIC (the default, as on Linux) starts with 10 segments, grows
    // until the queue overflows, backs off on the loss and completes; the drops
    // are counted as QUEUE_OVERFLOW.
    let f = into_a_slower_receiver(TcpCongestion::Cubic);
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
    assert_eq!(f.bytes_delivered, BYTES);
    let overflow = f.drops.get("QUEUE_OVERFLOW").copied().unwrap_or(0);
    assert!(overflow > 0, "no queue overflow: {:?}", f.drops);
    assert_eq!(f.dropped_packets, overflow, "{:?}", f.drops);
    let done = f.completion_ns.expect("completed");
    let bps = BYTES as f64 * 8.0 / (done as f64 / 1e9);
    eprintln!(
        "cubic: {done} ns, {:.3} Gbit/s, {overflow} overflows",
        bps / 1e9
    );
    assert!(bps <= 1e9, "{bps} bit/s is faster than the receiver's link");
    // smoltcp has no SACK: losses beyond the first of a window wait for the
    // retransmission timeout (200 ms, as Linux), so it stays under the link rate.
    assert!(
        bps >= 0.25e9,
        "{bps} bit/s: congestion control does not recover"
    );

    // Reno recovers the same way.
    let f = into_a_slower_receiver(TcpCongestion::Reno);
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
}

#[test]
fn without_congestion_control_a_slower_receiver_stalls() {
    // `tcp_congestion = "none"`: the sender is held only by the receive window,
    // keeps the receiver's downlink queue overflowing and stalls.
    let f = into_a_slower_receiver(TcpCongestion::None);
    assert_eq!(f.outcome, Outcome::Stalled, "{:?} {:?}", f.drops, f.notes);
    assert!(f.drops.get("QUEUE_OVERFLOW").copied().unwrap_or(0) > 0);
}

/// A UDP flow of `count` 8972-byte datagrams (9000-byte IP packets) at `rate_pps`
/// between two instances in one subnet, after `tweak`.
fn udp_flow(
    rate_pps: f64,
    count: u64,
    tweak: impl Fn(&mut Network, InstanceIdx, InstanceIdx),
) -> FlowReport {
    let mut t = TestNet::new();
    let v = t.vpc_in(0, "10.10.0.0/16");
    let s = t.subnet(v, "10.10.1.0/24", 0);
    let g = t.sg(v, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let a = t.eni(s, "10.10.1.10", &[g]);
    let b = t.eni(s, "10.10.1.20", &[g]);
    let mut net = t.build();
    let (ia, ib) = (net.enis[a.ix()].instance, net.enis[b.ix()].instance);
    tweak(&mut net, ia, ib);
    net.flows.push(Flow {
        size: 8972,
        count,
        rate_pps,
        ..Flow::new("udp", FlowKind::Udp, Endpoint::Eni(a), Endpoint::Eni(b))
    });
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    r.reports.into_iter().next().expect("one flow")
}

#[test]
fn a_udp_flow_over_the_single_flow_limit_queues_then_overflows() {
    // AWS: "a single-flow is considered a unique 5-tuple TCP or UDP flow". 100,000
    // datagrams of 9014 bytes on the wire a second are 7.2 Gbit/s, on a 10 Gbit/s
    // instance: the flow's 5 Gbit/s queue fills and about 5/7.2 of the datagrams
    // get through; the rest are QUEUE_OVERFLOW drops, counted for the flow.
    let count = 20_000;
    let f = udp_flow(100_000.0, count, |_, _, _| {});
    assert_eq!(f.sent_packets, count);
    let overflow = f.drops.get("QUEUE_OVERFLOW").copied().unwrap_or(0);
    eprintln!("{} delivered, {overflow} overflows", f.delivered_packets);
    assert_eq!(f.delivered_packets + overflow, count, "{:?}", f.drops);
    let share = f.delivered_packets as f64 / count as f64;
    let expected = 5e9 / (100_000.0 * 9014.0 * 8.0);
    assert!(
        (share - expected).abs() < 0.03,
        "{share:.3} of the datagrams delivered, expected about {expected:.3}"
    );
    // Its latency shows the queue: 1.25 MB at 5 Gbit/s is 2 ms.
    assert!(f.latency_ns.value_at_quantile(0.99) > 1_500_000);

    // Under the limit (4.3 Gbit/s): everything is delivered, no queue.
    let f = udp_flow(60_000.0, count, |_, _, _| {});
    assert_eq!(f.delivered_packets, count, "{:?}", f.drops);

    // Inside one cluster placement group the limit is 10 Gbit/s: 7.2 passes.
    let f = udp_flow(100_000.0, count, |net, a, b| {
        for i in [a, b] {
            net.instances[i.ix()].placement_group = Some("pg-hpc".into());
        }
    });
    assert_eq!(f.delivered_packets, count, "{:?}", f.drops);
}
