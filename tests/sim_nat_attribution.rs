//! Drops of frames a NAT gateway translated count for their flow: a private
//! instance reaches the internet through a NAT gateway whose subnet's network ACL
//! lets nothing but TCP back in, so the echo replies, addressed to the gateway's
//! Elastic IP and public identifier, are dropped before translation back.

use peeremu::dataplane::test_net::{internet, nacl_all, nacl_tcp, Internet};
use peeremu::model::*;
use peeremu::output::Outcome;
use peeremu::sim::{run_network, NullObserver, SimConfig};

fn network(kind: FlowKind, deny_tcp_back: bool) -> Network {
    let Internet {
        mut t,
        public_subnet,
        private_eni: eni,
        host,
        ..
    } = internet();
    // The NAT gateway's subnet: everything out; in, everything from the VPC (the
    // private instances' packets on their way out) and, from the internet, TCP
    // only (or nothing).
    let mut inbound = vec![nacl_all(100, "10.0.0.0/16", RuleAction::Allow)];
    if !deny_tcp_back {
        inbound.push(nacl_tcp(200, "0.0.0.0/0", (0, 65535), RuleAction::Allow));
    }
    t.nacl(
        public_subnet,
        inbound,
        vec![nacl_all(100, "0.0.0.0/0", RuleAction::Allow)],
    );
    let mut net = t.build();
    net.flows.push(Flow {
        port: 443,
        size: if kind == FlowKind::Tcp { 0 } else { 56 },
        count: 5,
        bytes: 10_000,
        rate_pps: 10.0,
        df: true,
        expect: Some(Expectation::Dropped(DropReason::NaclDeny)),
        ..Flow::new(
            "out-through-nat",
            kind,
            Endpoint::Eni(eni),
            Endpoint::External(host),
        )
    });
    net
}

#[test]
fn dropped_replies_to_the_nat_gateway_count_for_the_ping_flow() {
    let r = run_network(
        &network(FlowKind::Ping, false),
        &SimConfig::default(),
        &mut NullObserver,
    )
    .expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Dropped, "{:?}", f.notes);
    // The five replies, addressed to 54.0.0.5 and the NAT's public identifier.
    assert_eq!(f.drops.get("NACL_DENY"), Some(&5), "{:?}", f.drops);
    assert_eq!(f.dropped_packets, 5);
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
}

#[test]
fn dropped_syn_acks_to_the_nat_gateway_count_for_the_tcp_flow() {
    let r = run_network(
        &network(FlowKind::Tcp, true),
        &SimConfig::default(),
        &mut NullObserver,
    )
    .expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Dropped, "{:?}", f.notes);
    assert!(
        f.drops.get("NACL_DENY").is_some_and(|&n| n > 0),
        "{:?}",
        f.drops
    );
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
}

#[test]
fn tcp_through_the_nat_gateway_is_delivered_when_allowed_back() {
    let mut net = network(FlowKind::Tcp, false);
    net.flows[0].expect = Some(Expectation::Delivered);
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
    assert!(f.drops.is_empty(), "{:?}", f.drops);
}

/// Echo replies of 3,000 bytes come back from the internet host in three IPv4
/// fragments (the internet's MTU is 1500), and a NAT gateway passes only UDP
/// fragments: every fragment of every reply is dropped (`NAT_FRAGMENT`, "NAT
/// gateway passes only UDP fragments"). Only the first fragment carries the echo
/// identifier the gateway's mapping knows; the other two are recognised by the IP
/// identification they share with it (as reassembly would), so all three count for
/// the ping flow.
#[test]
fn every_fragment_of_a_reply_dropped_at_the_nat_gateway_counts_for_the_flow() {
    let mut net = network(FlowKind::Ping, false);
    net.flows[0].size = 3000;
    net.flows[0].df = false;
    // The NAT subnet's NACL (inbound: only 10.0.0.0/16 and TCP) meets the replies
    // before the NAT gateway does, as on AWS (the gateway is an ENI in that
    // subnet): every fragment is denied there, and still counts for the flow.
    net.flows[0].expect = Some(Expectation::Dropped(DropReason::NaclDeny));
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Dropped, "{:?}", f.notes);
    assert_eq!(f.drops.get("NACL_DENY"), Some(&15), "{:?}", f.drops);
    assert_eq!(f.dropped_packets, 15);
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
}
