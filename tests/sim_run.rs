//! End-to-end runs of the engine and smoltcp hosts over the trivial `DirectFabric`.

use peeremu::model::*;
use peeremu::output::Outcome;
use peeremu::sim::*;
use std::net::{IpAddr, Ipv4Addr};

const A_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 10);
const B_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 20);
const LATENCY: u64 = 100_000;

fn eni(i: u32, ip: Ipv4Addr) -> Eni {
    Eni {
        id: format!("eni-{i}"),
        instance: InstanceIdx(i),
        subnet: SubnetIdx(0),
        vpc: VpcIdx(0),
        private_ip: ip,
        ipv6: None,
        public_ip: None,
        mtu: 9001,
        security_groups: vec![],
        source_dest_check: true,
        mac: [0x02, 0, 0, 0, 0, i as u8 + 1],
    }
}

fn flow(name: &str, kind: FlowKind) -> Flow {
    Flow {
        // TCP: 0 = segments as large as the MSS allows.
        size: if kind == FlowKind::Tcp { 0 } else { 1000 },
        count: 10,
        bytes: 1_000_000,
        rate_pps: 100.0,
        start_ns: 1_000_000,
        df: true,
        ..Flow::new(
            name,
            kind,
            Endpoint::Eni(EniIdx(0)),
            Endpoint::Eni(EniIdx(1)),
        )
    }
}

fn net(flows: Vec<Flow>) -> Network {
    Network {
        name: "two-hosts".into(),
        enis: vec![eni(0, A_IP), eni(1, B_IP)],
        instances: vec![
            Instance {
                id: "i-a".into(),
                name: "a".into(),
                enis: vec![EniIdx(0)],
                tcp: TcpBuffers::default(),
                forward: Default::default(),
                bandwidth_bps: DEFAULT_INSTANCE_BANDWIDTH_BPS,
                placement_group: None,
            },
            Instance {
                id: "i-b".into(),
                name: "b".into(),
                enis: vec![EniIdx(1)],
                tcp: TcpBuffers::default(),
                forward: Default::default(),
                bandwidth_bps: DEFAULT_INSTANCE_BANDWIDTH_BPS,
                placement_group: None,
            },
        ],
        flows,
        ..Default::default()
    }
}

fn fabric() -> DirectFabric {
    DirectFabric::new(LATENCY)
        .route(IpAddr::V4(A_IP), Attachment::Eni(EniIdx(0)))
        .route(IpAddr::V4(B_IP), Attachment::Eni(EniIdx(1)))
}

/// Records every frame and drop as bytes, to compare runs.
#[derive(Default)]
struct Tape {
    bytes: Vec<u8>,
    frames: u64,
    drops: Vec<(DropReason, String)>,
}

impl Observer for Tape {
    fn frame(&mut self, t: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
        self.frames += 1;
        self.bytes
            .extend_from_slice(format!("{t} {point:?} {dir:?} ").as_bytes());
        self.bytes.extend_from_slice(frame);
    }
    fn dropped(&mut self, e: DropEvent<'_>) {
        self.drops.push((e.reason, e.detail.to_string()));
        self.bytes
            .extend_from_slice(format!("{} {} {}", e.time_ns, e.reason, e.detail).as_bytes());
        self.bytes.extend_from_slice(e.frame);
    }
}

fn run_with(n: &Network, f: &mut DirectFabric, seed: u64) -> (RunResult, Tape) {
    let mut tape = Tape::default();
    let cfg = SimConfig {
        seed,
        ..Default::default()
    };
    let r = run(n, &cfg, f, &mut tape).expect("setup");
    (r, tape)
}

#[test]
fn ping_measures_rtt_and_one_way_latency() {
    let mut f = flow("p", FlowKind::Ping);
    f.expect = Some(Expectation::Delivered);
    let (r, tape) = run_with(&net(vec![f]), &mut fabric(), 1);
    let p = &r.reports[0];
    assert_eq!(p.outcome, Outcome::Delivered, "{:?}", p.drops);
    assert_eq!((p.sent_packets, p.delivered_packets), (10, 10));
    assert_eq!(p.expectation, Some(("delivered".into(), true)));
    let rtt = p.rtt_ns.as_ref().expect("rtt");
    // Two fabric hops plus serialization of ~1 KB four times at 10 Gbit/s, in µs
    // resolution (smoltcp's clock).
    assert!(
        rtt.min() >= 2 * LATENCY && rtt.max() < 2 * LATENCY + 10_000,
        "{}",
        rtt.max()
    );
    assert_eq!(p.latency_ns.len(), 10);
    assert!(p.latency_ns.min() >= LATENCY && p.latency_ns.max() < LATENCY + 5_000);
    assert_eq!(tape.frames, 40); // 10 requests + 10 replies, each seen leaving and arriving
    assert!(r.totals.frames == 20 && r.totals.events > 0 && r.totals.sim_time_ns > 0);
}

#[test]
fn udp_constant_rate_is_delivered() {
    let mut f = flow("u", FlowKind::Udp);
    f.count = 50;
    f.rate_pps = 1000.0;
    let (r, _) = run_with(&net(vec![f]), &mut fabric(), 1);
    let u = &r.reports[0];
    assert_eq!(u.outcome, Outcome::Delivered, "{:?}", u.drops);
    assert_eq!(u.delivered_packets, 50);
    assert_eq!(u.bytes_delivered, 50 * 1000); // `size` is the UDP payload
    assert_eq!(u.latency_ns.len(), 50);
}

#[test]
fn tcp_bulk_transfer_completes() {
    let (r, _) = run_with(&net(vec![flow("t", FlowKind::Tcp)]), &mut fabric(), 1);
    let t = &r.reports[0];
    assert_eq!(t.outcome, Outcome::Delivered, "{:?} {:?}", t.drops, t.notes);
    assert_eq!(t.bytes_delivered, 1_000_000);
    let ns = t.completion_ns.expect("completion");
    assert!(ns > 2 * LATENCY, "{ns}");
    assert!(t.goodput_bps.expect("goodput") > 1e6);
    assert!(!t.latency_ns.is_empty());
}

#[test]
fn udp_flood_overflows_the_uplink_queue() {
    let mut f = flow("flood", FlowKind::Udp);
    f.count = 2000;
    f.size = 9000;
    f.rate_pps = 1e9; // all at once
    let mut fab = fabric();
    let mut tape = Tape::default();
    let cfg = SimConfig {
        host_link: LinkParams {
            latency_ns: 0,
            bandwidth_bps: 1_000_000_000,
            queue_bytes: 100_000,
        },
        ..Default::default()
    };
    let r = run(&net(vec![f]), &cfg, &mut fab, &mut tape).expect("setup");
    let u = &r.reports[0];
    assert!(
        u.drops.get("QUEUE_OVERFLOW").copied().unwrap_or(0) > 0,
        "{:?}",
        u.drops
    );
    assert_eq!(u.outcome, Outcome::Partial);
    // The 9000-byte datagrams are fragmented: the receiver's reassembly slots fill
    // with the ones that lost fragments, and it discards the fragments of the next.
    assert!(tape.drops.iter().all(|d| matches!(
        d.0,
        DropReason::QueueOverflow | DropReason::HostReassemblyLimit
    )));
}

#[test]
fn tcp_learns_path_mtu_from_frag_needed() {
    let mut fab = fabric();
    fab.mtu = Some(1500);
    let (r, tape) = run_with(&net(vec![flow("t", FlowKind::Tcp)]), &mut fab, 1);
    let t = &r.reports[0];
    assert_eq!(t.outcome, Outcome::Delivered, "{:?} {:?}", t.drops, t.notes);
    assert_eq!(t.bytes_delivered, 1_000_000);
    assert!(t.drops.get("MTU_EXCEEDED").copied().unwrap_or(0) >= 1);
    assert!(
        t.notes.iter().any(|n| n.contains("lowered to 1500")),
        "{:?}",
        t.notes
    );
    assert!(tape.drops.iter().all(|d| d.0 == DropReason::MtuExceeded));
}

#[test]
fn pmtud_black_hole_stalls_tcp() {
    let mut fab = fabric();
    fab.mtu = Some(1500);
    fab.block_icmp = Some("acl-x rule * inbound".into());
    let mut f = flow("t", FlowKind::Tcp);
    f.expect = Some(Expectation::Dropped(DropReason::MtuExceeded));
    let (r, _) = run_with(&net(vec![f]), &mut fab, 1);
    let t = &r.reports[0];
    assert_eq!(t.outcome, Outcome::Stalled, "{:?} {:?}", t.drops, t.notes);
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("black hole") && n.contains("acl-x")),
        "{:?}",
        t.notes
    );
    assert_eq!(t.expectation, Some(("dropped:MTU_EXCEEDED".into(), true)));
}

#[test]
fn same_seed_same_bytes_other_seed_other_ports() {
    let flows = || {
        vec![
            flow("t", FlowKind::Tcp),
            flow("p", FlowKind::Ping),
            flow("u", FlowKind::Udp),
        ]
    };
    let (r1, t1) = run_with(&net(flows()), &mut fabric(), 7);
    let (r2, t2) = run_with(&net(flows()), &mut fabric(), 7);
    let (_, t3) = run_with(&net(flows()), &mut fabric(), 8);
    assert_eq!(t1.bytes, t2.bytes);
    assert_eq!(r1.totals, r2.totals);
    assert_eq!(format!("{:?}", r1.reports), format!("{:?}", r2.reports));
    assert_ne!(t1.bytes, t3.bytes);
}

#[test]
fn unknown_destination_is_dropped_and_expectation_checked() {
    let mut f = flow("nowhere", FlowKind::Ping);
    f.expect = Some(Expectation::Dropped(DropReason::NoRoute));
    let mut fab = DirectFabric::new(LATENCY).route(IpAddr::V4(A_IP), Attachment::Eni(EniIdx(0)));
    let (r, _) = run_with(&net(vec![f]), &mut fab, 1);
    let p = &r.reports[0];
    assert_eq!(p.outcome, Outcome::Dropped);
    assert_eq!(p.drops.get("NO_ROUTE"), Some(&10));
    assert_eq!(p.expectation, Some(("dropped:NO_ROUTE".into(), true)));
}

#[test]
fn udp_datagrams_above_the_eni_mtu_are_fragmented_and_reassembled() {
    let mut f = flow("big", FlowKind::Udp);
    f.count = 5;
    f.size = 12_000;
    f.df = false;
    let (r, tape) = run_with(&net(vec![f]), &mut fabric(), 1);
    let u = &r.reports[0];
    assert_eq!(u.outcome, Outcome::Delivered, "{:?}", u.drops);
    assert_eq!(u.bytes_delivered, 5 * 12_000); // `size` is the UDP payload
                                               // Two fragments per datagram, each seen leaving and arriving.
    assert_eq!(tape.frames, 5 * 2 * 2);
    assert_eq!(r.totals.frames, 10);
}

fn net_v6(flows: Vec<Flow>) -> (Network, DirectFabric) {
    let mut n = net(flows);
    let a6: std::net::Ipv6Addr = "2600:1f18::a".parse().expect("v6");
    let b6: std::net::Ipv6Addr = "2600:1f18::b".parse().expect("v6");
    n.enis[0].ipv6 = Some(a6);
    n.enis[1].ipv6 = Some(b6);
    let fab = DirectFabric::new(LATENCY)
        .route(IpAddr::V6(a6), Attachment::Eni(EniIdx(0)))
        .route(IpAddr::V6(b6), Attachment::Eni(EniIdx(1)));
    (n, fab)
}

#[test]
fn ipv6_ping_and_tcp_with_packet_too_big() {
    let mut p = flow("p6", FlowKind::Ping);
    p.ipv6 = true;
    let mut t = flow("t6", FlowKind::Tcp);
    t.ipv6 = true;
    let (n, mut fab) = net_v6(vec![p, t]);
    fab.mtu = Some(1500);
    let (r, _) = run_with(&n, &mut fab, 1);
    let (p, t) = (&r.reports[0], &r.reports[1]);
    assert_eq!(p.outcome, Outcome::Delivered, "{:?}", p.drops);
    assert_eq!(t.outcome, Outcome::Delivered, "{:?} {:?}", t.drops, t.notes);
    assert_eq!(t.bytes_delivered, 1_000_000);
    assert!(
        t.notes.iter().any(|n| n.contains("lowered to 1500")),
        "{:?}",
        t.notes
    );
}

#[test]
fn a_flow_needing_a_missing_address_is_a_setup_error() {
    let mut p = flow("p6", FlowKind::Ping);
    p.ipv6 = true;
    let Err(err) = run(
        &net(vec![p]),
        &SimConfig::default(),
        &mut fabric(),
        &mut NullObserver,
    ) else {
        panic!("no IPv6 on the ENIs: the run must refuse");
    };
    assert!(err.to_string().contains("has no IPv6 address"), "{err}");
}

#[test]
fn tcp_size_caps_the_segment_payload() {
    let mut t = flow("t", FlowKind::Tcp);
    t.size = 1000;
    t.bytes = 100_000;
    #[derive(Default)]
    struct Largest(usize);
    impl Observer for Largest {
        fn frame(&mut self, _: u64, _: CapturePoint, _: FrameDirection, f: &[u8]) {
            self.0 = self.0.max(f.len());
        }
        fn dropped(&mut self, _: DropEvent<'_>) {}
    }
    let mut obs = Largest::default();
    let r = run(
        &net(vec![t]),
        &SimConfig::default(),
        &mut fabric(),
        &mut obs,
    )
    .expect("setup");
    assert_eq!(r.reports[0].outcome, Outcome::Delivered);
    assert_eq!(r.reports[0].bytes_delivered, 100_000);
    assert_eq!(obs.0, 14 + 40 + 1000);
    assert!(r.reports[0].sent_packets >= 100);
}

#[test]
fn a_set_stop_flag_ends_the_run_at_once() {
    let stop = std::sync::atomic::AtomicBool::new(true);
    let cfg = SimConfig {
        stop: Some(&stop),
        ..Default::default()
    };
    let r = run(
        &net(vec![flow("t", FlowKind::Tcp)]),
        &cfg,
        &mut fabric(),
        &mut NullObserver,
    )
    .expect("setup");
    assert!(r.interrupted);
    assert_eq!(r.totals.events, 0);
    assert_eq!(r.reports.len(), 1);
    // Nothing was sent, nothing was lost: the run ended first.
    assert_eq!(r.reports[0].outcome, Outcome::Incomplete);
}

#[test]
fn the_time_limit_cuts_a_long_flow() {
    let mut u = flow("long", FlowKind::Udp);
    u.count = 1000;
    u.rate_pps = 10.0; // 100 s of sending
    let cfg = SimConfig {
        time_limit_ns: Some(5_000_000_000),
        ..Default::default()
    };
    let r = run(&net(vec![u]), &cfg, &mut fabric(), &mut NullObserver).expect("setup");
    assert!(!r.interrupted);
    assert!(r.totals.sim_time_ns <= 5_000_000_000);
    assert!(r.reports[0].sent_packets > 40 && r.reports[0].sent_packets <= 51);
    // Every packet sent arrived, but most were never sent: not delivered.
    assert_eq!(r.reports[0].outcome, Outcome::Incomplete);
    assert!(r.reports[0]
        .notes
        .iter()
        .any(|n| n.contains("run ended before")));
}
