//! Flows whose source address is translated on the way to the internet — through
//! a NAT gateway (its Elastic IP and a public port it chose) or through an
//! internet gateway (the instance's public IP) — are delivered, counted and timed
//! at the receiver like any other: every kind of flow (ping, UDP, TCP bulk, TCP
//! request/response) reports its packets, bytes and one-way latency. Before, the
//! receiver matched datagrams and connections by the untranslated source: UDP
//! reported 0 delivered, TCP bulk 0 packets and no latency, and request/response
//! stalled (the server never answered a connection it could not place).

use peeremu::dataplane::test_net::{internet, Internet};
use peeremu::model::*;
use peeremu::output::{FlowReport, Outcome};
use peeremu::sim::{run_network, NullObserver, SimConfig};

/// One flow of each kind from `eni` to the internet host.
fn flows(prefix: &str, eni: EniIdx, host: HostIdx) -> Vec<Flow> {
    let base = |name: &str, kind| Flow {
        port: 443,
        size: if kind == FlowKind::Tcp { 0 } else { 200 },
        count: 5,
        bytes: 50_000,
        rate_pps: 10.0,
        df: true,
        expect: Some(Expectation::Delivered),
        ..Flow::new(
            format!("{prefix}-{name}"),
            kind,
            Endpoint::Eni(eni),
            Endpoint::External(host),
        )
    };
    let mut rr = base("rr", FlowKind::Tcp);
    rr.port = 8080;
    rr.request_response = Some(RequestResponse {
        requests: 4,
        request_bytes: 300,
        response_bytes: 5_000,
        interval_ns: 0,
    });
    let mut udp = base("udp", FlowKind::Udp);
    udp.port = 5353;
    vec![
        base("ping", FlowKind::Ping),
        udp,
        base("bulk", FlowKind::Tcp),
        rr,
    ]
}

fn run(through_nat: bool) -> Vec<FlowReport> {
    let Internet {
        t,
        public_eni,
        private_eni,
        host,
        ..
    } = internet();
    let mut net = t.build();
    net.flows = if through_nat {
        flows("nat", private_eni, host)
    } else {
        flows("igw", public_eni, host)
    };
    run_network(&net, &SimConfig::default(), &mut NullObserver)
        .expect("setup")
        .reports
}

fn assert_all_delivered(reports: &[FlowReport]) {
    assert_eq!(reports.len(), 4);
    for f in reports {
        let ctx = format!("{}: {:?} {:?}", f.name, f.notes, f.drops);
        assert_eq!(f.outcome, Outcome::Delivered, "{ctx}");
        assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true), "{ctx}");
        assert_eq!(f.dropped_packets, 0, "{ctx}");
        assert!(f.delivered_packets > 0, "{ctx}");
        assert!(f.bytes_delivered > 0, "{ctx}");
        assert!(!f.latency_ns.is_empty(), "{ctx}: no one-way latency");
        match f.protocol {
            "udp" | "ping" => {
                assert_eq!(f.sent_packets, 5, "{ctx}");
                assert_eq!(f.delivered_packets, 5, "{ctx}");
                assert_eq!(f.latency_ns.len(), 5, "{ctx}");
            }
            _ => {
                // The server host's count of the client's segments, each timed.
                assert_eq!(f.latency_ns.len(), f.delivered_packets, "{ctx}");
                assert!(f.delivered_packets <= f.sent_packets, "{ctx}");
            }
        }
    }
    let udp = &reports[1];
    assert_eq!(
        udp.bytes_delivered,
        5 * 200,
        "UDP payload bytes (size is the payload)"
    );
    let bulk = &reports[2];
    assert_eq!(bulk.bytes_delivered, 50_000, "TCP bulk stream bytes");
    let rr = &reports[3];
    assert_eq!(rr.responses, Some(4), "{:?}", rr.notes);
    assert_eq!(rr.response_ns.as_ref().map(|h| h.len()), Some(4));
}

#[test]
fn every_kind_of_flow_through_a_nat_gateway_is_delivered_and_timed() {
    assert_all_delivered(&run(true));
}

#[test]
fn every_kind_of_flow_from_a_public_ip_through_an_internet_gateway_is_delivered_and_timed() {
    assert_all_delivered(&run(false));
}

/// Drops of translated frames still count for their flow: with the public
/// subnet's network ACL letting nothing in from the internet, the SYN-ACKs and
/// datagram replies addressed to the instance's public IP are dropped, and the
/// flows say so.
#[test]
fn drops_of_frames_to_a_public_ip_count_for_their_flow() {
    use peeremu::dataplane::test_net::nacl_all;
    let Internet {
        mut t,
        public_subnet,
        public_eni,
        host,
        ..
    } = internet();
    t.nacl(
        public_subnet,
        vec![nacl_all(100, "10.0.0.0/16", RuleAction::Allow)],
        vec![nacl_all(100, "0.0.0.0/0", RuleAction::Allow)],
    );
    let mut net = t.build();
    net.flows = flows("igw", public_eni, host)
        .into_iter()
        .filter(|f| f.kind != FlowKind::Udp)
        .map(|mut f| {
            f.expect = Some(Expectation::Dropped(DropReason::NaclDeny));
            f
        })
        .collect();
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    assert_eq!(r.reports.len(), 3);
    for f in &r.reports {
        let ctx = format!("{}: {:?} {:?}", f.name, f.notes, f.drops);
        assert_eq!(f.outcome, Outcome::Dropped, "{ctx}");
        assert!(f.drops.get("NACL_DENY").is_some_and(|&n| n > 0), "{ctx}");
        assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true), "{ctx}");
    }
}
