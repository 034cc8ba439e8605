//! Every UDP/ping size that validation allows is carried end to end, or dropped
//! with a reason — never lost without one. IPv4 datagrams up to 65,507 bytes of
//! `size` are fragmented by the sender and reassembled by the receiver (within a
//! VPC, and to the internet through an internet gateway or a NAT gateway). Before,
//! anything above smoltcp's 16 KB fragmentation buffer vanished (`size = 16365`:
//! sent 1, delivered 0, dropped 0). IPv6 packets larger than the sender's MTU,
//! which smoltcp can neither fragment nor reassemble, are dropped at the sender
//! for `MTU_EXCEEDED` and counted for their flow.

use peeremu::dataplane::test_net::{internet, sg_all, Internet, TestNet};
use peeremu::model::*;
use peeremu::output::{FlowReport, Outcome};
use peeremu::sim::{run_network, NullObserver, SimConfig};

const SIZES: [u32; 7] = [1_473, 9_000, 16_365, 16_384, 32_768, 50_000, 65_507];

fn flow(name: String, kind: FlowKind, size: u32, port: u16, src: Endpoint, dst: Endpoint) -> Flow {
    Flow {
        port: if kind == FlowKind::Ping { 0 } else { port },
        size,
        count: 3,
        rate_pps: 10.0,
        df: false,
        expect: Some(Expectation::Delivered),
        ..Flow::new(name, kind, src, dst)
    }
}

fn assert_delivered(reports: &[FlowReport]) {
    for f in reports {
        let ctx = format!("{}: {f:?}", f.name);
        assert_eq!(f.outcome, Outcome::Delivered, "{ctx}");
        assert_eq!(f.sent_packets, 3, "{ctx}");
        assert_eq!(f.delivered_packets, 3, "{ctx}");
        assert_eq!(f.dropped_packets, 0, "{ctx}");
        assert!(f.bytes_delivered >= 3 * 1_000, "{ctx}");
        if f.protocol == "udp" {
            assert_eq!(f.latency_ns.len(), 3, "{ctx}");
        }
    }
}

#[test]
fn ipv4_udp_and_ping_of_every_allowed_size_are_delivered_within_a_vpc() {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    let s = t.subnet(v, "10.0.1.0/24", 0);
    let sg = t.sg(v, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let a = Endpoint::Eni(t.eni(s, "10.0.1.10", &[sg]));
    let b = Endpoint::Eni(t.eni(s, "10.0.1.20", &[sg]));
    let mut net = t.build();
    for (i, &size) in SIZES.iter().enumerate() {
        let port = 6000 + i as u16;
        net.flows
            .push(flow(format!("udp-{size}"), FlowKind::Udp, size, port, a, b));
        net.flows
            .push(flow(format!("ping-{size}"), FlowKind::Ping, size, 0, a, b));
    }
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    assert_eq!(r.reports.len(), 2 * SIZES.len());
    assert_delivered(&r.reports);
    let biggest = r.reports.iter().find(|f| f.name == "udp-65507").unwrap();
    assert!(biggest.bytes_delivered >= 3 * (65_507 - 8), "{biggest:?}");
}

#[test]
fn the_largest_ipv4_datagrams_reach_the_internet_through_either_gateway() {
    let Internet {
        t,
        public_eni,
        private_eni,
        host,
        ..
    } = internet();
    let mut net = t.build();
    let (public, private, host) = (
        Endpoint::Eni(public_eni),
        Endpoint::Eni(private_eni),
        Endpoint::External(host),
    );
    net.flows = vec![
        flow("igw-udp".into(), FlowKind::Udp, 65_507, 5001, public, host),
        flow("igw-ping".into(), FlowKind::Ping, 65_507, 0, public, host),
        // AWS NAT gateways pass UDP fragments (not ICMP or TCP ones).
        flow("nat-udp".into(), FlowKind::Udp, 65_507, 5002, private, host),
    ];
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    assert_delivered(&r.reports);
}

#[test]
fn ipv6_packets_larger_than_the_senders_mtu_are_dropped_with_a_reason() {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    t.vpc_ipv6(v, "2600:1f00::/56");
    let s = t.subnet(v, "10.0.1.0/24", 0);
    let sg = t.sg(
        v,
        vec![sg_all("0.0.0.0/0"), sg_all("::/0")],
        vec![sg_all("0.0.0.0/0"), sg_all("::/0")],
    );
    let a = t.eni(s, "10.0.1.10", &[sg]);
    let b = t.eni(s, "10.0.1.20", &[sg]);
    t.eni_ipv6(a, "2600:1f00::10");
    t.eni_ipv6(b, "2600:1f00::20");
    let mut net = t.build();
    net.subnets[s.ix()].ipv6 = Some("2600:1f00::/64".parse().unwrap());
    let (a, b) = (Endpoint::Eni(a), Endpoint::Eni(b));
    let v6 = |mut f: Flow, expect| {
        f.ipv6 = true;
        f.expect = Some(expect);
        f
    };
    let mtu_exceeded = Expectation::Dropped(DropReason::MtuExceeded);
    net.flows = vec![
        // 40 + 8 952 = 9 001: fits.
        v6(
            flow("udp-fits".into(), FlowKind::Udp, 8_952, 5001, a, b),
            Expectation::Delivered,
        ),
        v6(
            flow("ping-fits".into(), FlowKind::Ping, 8_952, 0, a, b),
            Expectation::Delivered,
        ),
        v6(
            flow("udp-too-big".into(), FlowKind::Udp, 8_962, 5002, a, b),
            mtu_exceeded,
        ),
        v6(
            flow("udp-largest".into(), FlowKind::Udp, 65_527, 5003, a, b),
            mtu_exceeded,
        ),
        v6(
            flow("ping-too-big".into(), FlowKind::Ping, 20_000, 0, a, b),
            mtu_exceeded,
        ),
    ];
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    assert_delivered(&r.reports[..2]);
    for f in &r.reports[2..] {
        let ctx = format!("{}: {f:?}", f.name);
        assert_eq!(f.outcome, Outcome::Dropped, "{ctx}");
        assert_eq!(f.sent_packets, 3, "{ctx}");
        assert_eq!(f.delivered_packets, 0, "{ctx}");
        assert_eq!(f.dropped_packets, 3, "{ctx}");
        assert_eq!(f.drops.get("MTU_EXCEEDED"), Some(&3), "{ctx}");
        assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true), "{ctx}");
    }
}
