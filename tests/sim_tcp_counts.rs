//! A TCP flow's counts agree with each other: every client segment that reaches
//! the server is one delivered packet and one latency sample (SYNs and pure ACKs
//! too, not the RST that ends the flow), so a connection whose SYNs arrive but
//! whose handshake fails still reports their latency.

use peeremu::dataplane::test_net::{nacl_tcp, sg_all, TestNet};
use peeremu::model::*;
use peeremu::output::Outcome;
use peeremu::sim::{run_network, NullObserver, SimConfig};
use std::path::Path;

#[test]
fn the_inter_region_bulk_flow_counts_every_delivered_segment_once() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/topologies/inter-region-mtu.toml"
    );
    let net = peeremu::topology::load_file(Path::new(path)).expect("example");
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = r
        .reports
        .iter()
        .find(|f| f.name == "tcp-bulk")
        .expect("tcp-bulk");
    assert_eq!(f.outcome, Outcome::Delivered);
    // Before: 1692 delivered, 1690 latency samples (SYN and handshake ACK
    // carried no data and were not sampled).
    assert_eq!(f.latency_ns.len(), f.delivered_packets);
    assert_eq!(
        f.sent_packets, f.delivered_packets,
        "nothing lost, RST not counted"
    );
}

/// The server's subnet lets the SYNs in but no reply out: only SYNs arrive.
fn syn_only() -> Network {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    let sa = t.subnet(v, "10.0.1.0/24", 0);
    let sb = t.subnet(v, "10.0.2.0/24", 0);
    let sg = t.sg(v, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let client = t.eni(sa, "10.0.1.10", &[sg]);
    let server = t.eni(sb, "10.0.2.10", &[sg]);
    t.nacl(
        sb,
        vec![nacl_tcp(100, "0.0.0.0/0", (5001, 5001), RuleAction::Allow)],
        vec![],
    );
    let mut net = t.build();
    net.flows.push(Flow {
        bytes: 10_000,
        expect: Some(Expectation::Dropped(DropReason::NaclDeny)),
        ..Flow::new(
            "syn-only",
            FlowKind::Tcp,
            Endpoint::Eni(client),
            Endpoint::Eni(server),
        )
    });
    net
}

#[test]
fn a_flow_whose_syns_alone_arrive_reports_their_latency() {
    let r = run_network(&syn_only(), &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Dropped, "{:?}", f.notes);
    assert!(f.delivered_packets > 0, "the SYNs arrive");
    assert_eq!(f.bytes_delivered, 0);
    assert_eq!(f.latency_ns.len(), f.delivered_packets);
    // Same AZ: about 0.1 ms one way.
    assert!(f.latency_ns.min() >= 99_000 && f.latency_ns.max() < 1_000_000);
    assert!(f.drops.contains_key("NACL_DENY"), "{:?}", f.drops);
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
}
