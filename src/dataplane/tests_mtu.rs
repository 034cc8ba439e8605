//! MTU tests inside one VPC: fragmentation, ICMP errors (and the NACL that can
//! swallow them), IPv6 Packet Too Big, and fragments of tracked flows.

use super::test_net::{frames, sg_all, sg_pmtud, sg_udp};
use super::tests::{delivered, dropped, fixture, run, summary, Fixture};
use super::*;
use crate::wire::parse_frame;

/// The fixture with the database ENI's MTU at 1500 and its group open to the VPC,
/// and app's group admitting "fragmentation needed" (the rule AWS documents for
/// path MTU discovery).
fn db_open_at_1500() -> Fixture {
    let mut f = db_open_at_1500_without_pmtud_rule();
    f.net.net.security_groups[f.app_sg.ix()]
        .ingress
        .push(sg_pmtud(false));
    f
}

fn db_open_at_1500_without_pmtud_rule() -> Fixture {
    let mut f = fixture();
    f.net.net.enis[f.db.ix()].mtu = 1500;
    f.net.net.security_groups[f.db_sg.ix()]
        .ingress
        .push(sg_all("10.0.0.0/16"));
    f
}

/// AWS: path MTU discovery needs an inbound security group rule for ICMP 3/4; the
/// router's "fragmentation needed" is not admitted as related to the flow it
/// quotes, even a tracked one.
#[test]
fn frag_needed_without_an_inbound_sg_rule_is_dropped_naming_the_group() {
    let f = db_open_at_1500_without_pmtud_rule();
    let mut dp = Dataplane::new(&f.net.net);
    // The flow is tracked at app (its egress rule opened it)...
    let small = frames::udp("10.0.1.10", "10.0.2.20", 5000, 9000, 100, true);
    delivered(&run(&mut dp, 0, Ingress::Eni(f.app), small));
    // ...but its too-big packet's ICMP still needs an inbound rule.
    let big = frames::udp("10.0.1.10", "10.0.2.20", 5000, 9000, 3000, true);
    let out = run(&mut dp, 1, Ingress::Eni(f.app), big);
    assert_eq!(out.len(), 2, "{}", summary(&out));
    let Action::Drop {
        detail, eni, frame, ..
    } = &out[1]
    else {
        panic!("{}", summary(&out))
    };
    assert_eq!(
        *detail,
        DropDetail::SgNoMatch {
            eni: f.app,
            dir: Direction::Inbound
        }
    );
    assert_eq!(*eni, Some(f.app));
    let k = parse_frame(frame).unwrap();
    assert_eq!((k.icmp_type, k.icmp_code), (3, 4));
    let net = dp.network();
    let text = detail.display(net).to_string();
    assert!(
        text.contains(&net.security_groups[f.app_sg.ix()].id),
        "{text}"
    );
    let hint = detail.hint(net, &k);
    assert!(
        hint.contains("icmp type 3 code 4")
            && hint.contains("0.0.0.0/0")
            && hint.contains("path MTU"),
        "{hint}"
    );
}

#[test]
fn df_set_too_big_is_dropped_with_frag_needed_back_to_source() {
    let f = db_open_at_1500();
    let mut dp = Dataplane::new(&f.net.net);
    let big = frames::udp("10.0.1.10", "10.0.2.20", 5000, 9000, 3000, true);
    let out = run(&mut dp, 0, Ingress::Eni(f.app), big);
    assert_eq!(out.len(), 2, "{}", summary(&out));
    let Action::Drop { detail, .. } = &out[0] else {
        panic!("{}", summary(&out))
    };
    assert_eq!(
        *detail,
        DropDetail::MtuExceeded {
            link_mtu: 1500,
            packet: 3028,
            link: MtuLink::Eni(f.db),
        }
    );
    // The detail names what set the MTU: here the receiving ENI's own.
    let net = dp.network();
    let text = detail.display(net).to_string();
    let db = super::detail::eni_id(net, f.db);
    assert_eq!(
        text,
        format!(
            "3028 bytes > link MTU 1500 of {db} ({}, its interface MTU)",
            super::detail::instance_id(net, f.db)
        )
    );
    let Action::IcmpError { to, frame, .. } = &out[1] else {
        panic!("{}", summary(&out))
    };
    assert_eq!(*to, Egress::Eni(f.app));
    let k = parse_frame(frame).unwrap();
    assert_eq!((k.protocol, k.icmp_type, k.icmp_code), (proto::ICMP, 3, 4));
    assert_eq!(
        k.src,
        "10.0.1.1".parse::<std::net::IpAddr>().unwrap(),
        "from the source subnet's router"
    );
    assert_eq!(&frame[0..6], &dp.network().eni(f.app).mac);
}

#[test]
fn frag_needed_blocked_by_source_nacl_is_a_pmtud_black_hole() {
    let mut f = db_open_at_1500();
    let allow_udp = NaclRule {
        number: 100,
        traffic: TrafficMatch {
            protocol: ProtocolMatch::Number(proto::UDP),
            ports: PortRange::ALL,
            icmp: IcmpMatch::ANY,
        },
        cidr: "0.0.0.0/0".parse().unwrap(),
        action: RuleAction::Allow,
    };
    let nacl = f
        .net
        .nacl(f.sub_a, vec![allow_udp.clone()], vec![allow_udp]);
    let mut dp = Dataplane::new(&f.net.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(f.app),
        frames::udp("10.0.1.10", "10.0.2.20", 5000, 9000, 3000, true),
    );
    assert_eq!(out.len(), 2, "{}", summary(&out));
    let Action::Drop { detail, frame, .. } = &out[1] else {
        panic!("{}", summary(&out))
    };
    assert_eq!(
        *detail,
        DropDetail::NaclDeny {
            nacl,
            dir: Direction::Inbound,
            rule: None
        }
    );
    assert_eq!(parse_frame(frame).unwrap().icmp_type, 3);
}

#[test]
fn df_clear_is_fragmented_to_the_link_mtu() {
    let f = db_open_at_1500();
    let mut dp = Dataplane::new(&f.net.net);
    let mut hops = Vec::new();
    let mut out = Vec::new();
    let big = frames::udp("10.0.1.10", "10.0.2.20", 5000, 9000, 4000, false);
    dp.process_traced(0, Ingress::Eni(f.app), big, &mut out, &mut hops);
    assert_eq!(out.len(), 3, "4028 bytes in 1500-byte fragments");
    for a in &out {
        let Action::Deliver { to, frame, .. } = a else {
            panic!("{}", summary(std::slice::from_ref(a)))
        };
        assert_eq!(*to, Egress::Eni(f.db));
        assert!(frame.len() - crate::wire::ETHERNET_HEADER_LEN <= 1500);
        assert_eq!(&frame[0..6], &dp.network().eni(f.db).mac);
    }
    assert!(hops.contains(&Hop::Mtu {
        packet: 4028,
        link: 1500,
        decision: MtuDecision::Fragmented(3)
    }));
}

#[test]
fn ipv6_too_big_gets_packet_too_big() {
    let mut f = fixture();
    f.net.vpc_ipv6(VpcIdx(0), "2600:1f18::/56");
    f.net.net.subnets[f.sub_a.ix()].ipv6 = Some("2600:1f18:0:1::/64".parse().unwrap());
    f.net.eni_ipv6(f.app, "2600:1f18:0:1::10");
    f.net.eni_ipv6(f.db, "2600:1f18:0:2::20");
    f.net.net.enis[f.db.ix()].mtu = 1500;
    f.net.net.security_groups[f.db_sg.ix()]
        .ingress
        .push(sg_all("::/0"));
    f.net.net.security_groups[f.app_sg.ix()]
        .egress
        .push(sg_all("::/0"));
    let without_rule = Dataplane::new(&f.net.net);
    f.net.net.security_groups[f.app_sg.ix()]
        .ingress
        .push(sg_pmtud(true));
    let mut dp = Dataplane::new(&f.net.net);
    let big = frames::udp(
        "2600:1f18:0:1::10",
        "2600:1f18:0:2::20",
        5000,
        9000,
        3000,
        false,
    );
    let out = run(&mut dp, 0, Ingress::Eni(f.app), big);
    assert_eq!(out.len(), 2, "{}", summary(&out));
    let Action::IcmpError { frame, .. } = &out[1] else {
        panic!("{}", summary(&out))
    };
    let k = parse_frame(frame).unwrap();
    assert_eq!((k.protocol, k.icmp_type), (proto::ICMPV6, 2));
    // Without the inbound ICMPv6 type 2 rule the Packet Too Big is dropped.
    let mut dp_without = without_rule;
    let big = frames::udp(
        "2600:1f18:0:1::10",
        "2600:1f18:0:2::20",
        5000,
        9000,
        3000,
        false,
    );
    let out = run(&mut dp_without, 0, Ingress::Eni(f.app), big);
    assert_eq!(
        dropped(&out[1..]),
        DropDetail::SgNoMatch {
            eni: f.app,
            dir: Direction::Inbound
        }
    );
    let small = frames::udp(
        "2600:1f18:0:1::10",
        "2600:1f18:0:2::20",
        5000,
        9000,
        100,
        false,
    );
    assert_eq!(
        delivered(&run(&mut dp, 1, Ingress::Eni(f.app), small)).0,
        Egress::Eni(f.db)
    );
}

#[test]
fn host_fragmented_reply_of_a_tracked_flow_passes_whole() {
    let mut f = fixture();
    f.net.net.security_groups[f.db_sg.ix()]
        .ingress
        .push(sg_udp(53, SgPeer::Group(f.app_sg)));
    let mut dp = Dataplane::new(&f.net.net);
    let q = frames::udp("10.0.1.10", "10.0.2.20", 5000, 53, 40, false);
    delivered(&run(&mut dp, 0, Ingress::Eni(f.app), q));
    // db answers with a big datagram its own stack fragmented: db has no egress
    // rule and app no ingress rule, so every fragment rides on the tracked flow.
    let answer = frames::udp("10.0.2.20", "10.0.1.10", 53, 5000, 4000, false);
    let mut fragments = Vec::new();
    crate::wire::fragment_ipv4(&answer, 1500, &mut fragments).unwrap();
    assert_eq!(fragments.len(), 3);
    for (i, frag) in fragments.into_iter().enumerate() {
        let out = run(&mut dp, 10 + i as u64, Ingress::Eni(f.db), frag);
        assert_eq!(delivered(&out).0, Egress::Eni(f.app), "fragment {i}");
    }
    // A stray non-first fragment of no known train is judged by the rules alone.
    let mut stray = Vec::new();
    let other = frames::udp("10.0.2.20", "10.0.1.10", 53, 6000, 4000, false);
    crate::wire::fragment_ipv4(&other, 1500, &mut stray).unwrap();
    let mut dp = Dataplane::new(&f.net.net);
    let out = run(&mut dp, 0, Ingress::Eni(f.db), stray.pop().unwrap());
    assert_eq!(
        dropped(&out),
        DropDetail::SgNoMatch {
            eni: f.db,
            dir: Direction::Outbound
        }
    );
}
