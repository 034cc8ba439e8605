//! TCP request/response through the real VPC router: two VPCs peered in one region
//! (cross-AZ latency), one keep-alive connection, one request outstanding at a time.
//! Every response comes back and is timed; a security group that does not open the
//! port leaves no response; the same seed gives the same bytes.

use peeremu::dataplane::test_net::{sg_all, sg_tcp, TestNet};
use peeremu::model::*;
use peeremu::output::Outcome;
use peeremu::sim::{run_network, CapturePoint, DropEvent, FrameDirection, Observer, SimConfig};

const REQUESTS: u64 = 40;
const REQUEST_BYTES: u64 = 250;
const RESPONSE_BYTES: u64 = 30_000;

fn network(server_port_open: bool) -> Network {
    let mut t = TestNet::new();
    let a = t.vpc("10.10.0.0/16");
    let b = t.vpc("10.20.0.0/16");
    let sa = t.subnet(a, "10.10.1.0/24", 0);
    let sb = t.subnet(b, "10.20.1.0/24", 1);
    let ga = t.sg(a, vec![], vec![sg_all("0.0.0.0/0")]);
    let port = if server_port_open { 8080 } else { 9090 };
    let gb = t.sg(
        b,
        vec![sg_tcp(
            port,
            SgPeer::Cidr("10.10.0.0/16".parse().expect("CIDR")),
        )],
        vec![sg_all("0.0.0.0/0")],
    );
    t.peer_subnets(sa, sb);
    let client = t.eni(sa, "10.10.1.10", &[ga]);
    let server = t.eni(sb, "10.20.1.10", &[gb]);
    let mut net = t.build();
    net.flows.push(Flow {
        port: 8080,
        start_ns: 1_000_000,
        expect: Some(if server_port_open {
            Expectation::Delivered
        } else {
            Expectation::Dropped(DropReason::SgNoMatch)
        }),
        request_response: Some(RequestResponse {
            requests: REQUESTS,
            request_bytes: REQUEST_BYTES,
            response_bytes: RESPONSE_BYTES,
            interval_ns: 0,
        }),
        ..Flow::new(
            "api",
            FlowKind::Tcp,
            Endpoint::Eni(client),
            Endpoint::Eni(server),
        )
    });
    net
}

/// Every frame and drop as bytes, to compare runs.
#[derive(Default)]
struct Tape(Vec<u8>);

impl Observer for Tape {
    fn frame(&mut self, t: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
        self.0
            .extend_from_slice(format!("{t} {point:?} {dir:?} ").as_bytes());
        self.0.extend_from_slice(frame);
    }
    fn dropped(&mut self, e: DropEvent<'_>) {
        self.0
            .extend_from_slice(format!("{} {} {}", e.time_ns, e.reason, e.detail).as_bytes());
        self.0.extend_from_slice(e.frame);
    }
}

fn run(net: &Network, seed: u64) -> (peeremu::sim::RunResult, Tape) {
    let mut tape = Tape::default();
    let cfg = SimConfig {
        seed,
        ..Default::default()
    };
    let r = run_network(net, &cfg, &mut tape).expect("setup");
    (r, tape)
}

#[test]
fn every_response_comes_back_and_is_timed() {
    let (r, _) = run(&network(true), 1);
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
    assert_eq!(f.expectation, Some(("delivered".into(), true)));
    assert_eq!(f.responses, Some(REQUESTS));
    let h = f.response_ns.as_ref().expect("response histogram");
    assert_eq!(h.len(), REQUESTS);
    // Cross-AZ: 0.5 ms one way, so each response takes at least a round trip.
    assert!(h.min() >= 999_000, "{}", h.min());
    assert!(h.max() < 5_000_000, "{}", h.max());
    let total = REQUESTS * (REQUEST_BYTES + RESPONSE_BYTES);
    assert_eq!(f.bytes_delivered, total);
    let completion = f.completion_ns.expect("completed");
    // One request at a time: at least one round trip per request.
    assert!(completion >= REQUESTS * 999_000, "{completion}");
    let goodput = f.goodput_bps.expect("goodput");
    assert!((goodput - total as f64 * 1e9 / completion as f64).abs() < 1e-6);
    // Client segments that reached the server: one latency sample each.
    assert_eq!(f.latency_ns.len(), f.delivered_packets);
    assert!(f.delivered_packets >= REQUESTS);
}

#[test]
fn a_closed_port_means_no_response() {
    let (r, _) = run(&network(false), 1);
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Dropped, "{:?}", f.notes);
    assert_eq!(f.responses, Some(0));
    assert!(f.response_ns.as_ref().is_some_and(|h| h.is_empty()));
    assert!(f.drops.contains_key("SG_NO_MATCH"), "{:?}", f.drops);
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
    assert!(f.completion_ns.is_none() && f.goodput_bps.is_none());
}

#[test]
fn same_seed_same_bytes() {
    let net = network(true);
    let (r1, t1) = run(&net, 9);
    let (r2, t2) = run(&net, 9);
    assert!(!t1.0.is_empty());
    assert!(t1.0 == t2.0, "same seed, different frames");
    assert_eq!(r1.reports[0].completion_ns, r2.reports[0].completion_ns);
    let (_, t3) = run(&net, 10);
    assert!(t1.0 != t3.0, "another seed should change ports and ISNs");
}

/// An exchange that takes longer than the default 60 s tail after the last scheduled
/// send still runs to its end: the run only stops 60 s after the last delivery.
#[test]
fn a_long_exchange_runs_to_its_end() {
    const MANY: u64 = 70_000; // ≥ 1 ms round trip each: over 70 s of virtual time
    let mut net = network(true);
    let f = &mut net.flows[0];
    f.request_response = Some(RequestResponse {
        requests: MANY,
        request_bytes: 10,
        response_bytes: 10,
        interval_ns: 0,
    });
    let (r, _) = run(&net, 1);
    let f = &r.reports[0];
    assert_eq!(f.responses, Some(MANY), "{:?}", f.notes);
    assert_eq!(f.outcome, Outcome::Delivered);
    assert!(
        r.totals.sim_time_ns > 70_000_000_000,
        "{}",
        r.totals.sim_time_ns
    );
}

/// Requests every 15 s (a Prometheus scrape), longer than the 20 s stall timeout in
/// total and each gap longer than the default 1 s of smoltcp's timers: every
/// request is answered, each one starts on its schedule (the flow ends one
/// response time after the last request's start), the idle gaps are not a stall,
/// and the response time excludes the gap.
#[test]
fn requests_can_be_spaced_by_an_interval() {
    const N: u64 = 4;
    const INTERVAL_NS: u64 = 15_000_000_000;
    let mut net = network(true);
    let f = &mut net.flows[0];
    f.request_response = Some(RequestResponse {
        requests: N,
        request_bytes: 100,
        response_bytes: 2000,
        interval_ns: INTERVAL_NS,
    });
    let (r, _) = run(&net, 1);
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Delivered, "{:?}", f.notes);
    assert_eq!(f.responses, Some(N));
    let done = f.completion_ns.expect("completed");
    // The last request starts 45 s after the first (itself one handshake after the
    // flow's start); cross-AZ round trips are about a millisecond.
    let last_start = (N - 1) * INTERVAL_NS;
    assert!(done > last_start, "{done}");
    assert!(done < last_start + 10_000_000, "{done}");
    let slowest = f.response_ns.as_ref().expect("timed").max();
    assert!(slowest < 10_000_000, "{slowest}");
    // Back to back, the same exchange takes a few milliseconds.
    let mut quick = network(true);
    quick.flows[0].request_response = Some(RequestResponse {
        interval_ns: 0,
        ..f_rr(&net)
    });
    let (q, _) = run(&quick, 1);
    assert!(q.reports[0].completion_ns.expect("completed") < 10_000_000);
}

fn f_rr(net: &Network) -> RequestResponse {
    net.flows[0].request_response.expect("request/response")
}
