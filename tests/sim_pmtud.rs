//! Path-MTU discovery through the real VPC router: an inter-region peering (MTU
//! 1500) between 9001-MTU instances. With ICMP allowed back, TCP learns the path MTU
//! and completes; with the sender's subnet NACL denying ICMP, it is the classic
//! black hole.

use peeremu::dataplane::test_net::{nacl_tcp, sg_all, TestNet};
use peeremu::model::*;
use peeremu::output::Outcome;
use peeremu::sim::{run_network, NullObserver, SimConfig};

fn network(block_icmp: bool) -> Network {
    let mut t = TestNet::new();
    let a = t.vpc_in(0, "10.10.0.0/16");
    let b = t.vpc_in(1, "10.20.0.0/16");
    let sa = t.subnet(a, "10.10.1.0/24", 0);
    let sb = t.subnet(b, "10.20.1.0/24", 2);
    let ga = t.sg(a, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let gb = t.sg(b, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let pcx = t.peering(a, b, PeeringStatus::Active);
    let ra = t.route_table(a);
    let rb = t.route_table(b);
    t.associate(sa, ra);
    t.associate(sb, rb);
    t.route(ra, "10.20.0.0/16", RouteTarget::Peering(pcx));
    t.route(rb, "10.10.0.0/16", RouteTarget::Peering(pcx));
    let sender = t.eni(sa, "10.10.1.10", &[ga]);
    let receiver = t.eni(sb, "10.20.1.10", &[gb]);
    if block_icmp {
        // Inbound: TCP only (the replies), so ICMP "fragmentation needed" is denied.
        t.nacl(
            sa,
            vec![nacl_tcp(100, "0.0.0.0/0", (0, 65535), RuleAction::Allow)],
            vec![NaclRule {
                number: 100,
                traffic: TrafficMatch::ALL,
                cidr: "0.0.0.0/0".parse().expect("literal CIDR"),
                action: RuleAction::Allow,
            }],
        );
    }
    let mut net = t.build();
    net.flows.push(Flow {
        name: "bulk".into(),
        kind: FlowKind::Tcp,
        src: Endpoint::Eni(sender),
        dst: Endpoint::Eni(receiver),
        port: 5001,
        size: 0,
        count: 0,
        bytes: 500_000,
        rate_pps: 0.0,
        start_ns: 0,
        df: true,
        ipv6: false,
        expect: Some(if block_icmp {
            Expectation::Dropped(DropReason::MtuExceeded)
        } else {
            Expectation::Delivered
        }),
        request_response: None,
    });
    net
}

#[test]
fn tcp_learns_the_peering_mtu_and_completes() {
    let r = run_network(&network(false), &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
    assert_eq!(f.bytes_delivered, 500_000);
    assert!(f.drops.contains_key("MTU_EXCEEDED"), "{:?}", f.drops);
    assert!(
        f.notes.iter().any(|n| n.contains("lowered to 1500")),
        "{:?}",
        f.notes
    );
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
}

#[test]
fn nacl_denying_icmp_makes_a_pmtud_black_hole() {
    let r = run_network(&network(true), &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Stalled, "{:?} {:?}", f.drops, f.notes);
    assert!(f.drops.contains_key("NACL_DENY"), "{:?}", f.drops);
    assert!(
        f.notes
            .iter()
            .any(|n| n.starts_with("stalled: path MTU discovery black hole") && n.contains("acl-")),
        "{:?}",
        f.notes
    );
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
}
