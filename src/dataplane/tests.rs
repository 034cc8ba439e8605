//! Pipeline tests inside one VPC: delivery, security groups with conntrack,
//! NACLs, routes, source/destination check, ENI targets, MTU, malformed input.

use super::test_net::{frames, nacl_tcp, sg_all, sg_tcp, sg_udp, TestNet};
use super::*;
use crate::wire::parse_frame;

pub(super) fn run(dp: &mut Dataplane, now: u64, ingress: Ingress, frame: Vec<u8>) -> Vec<Action> {
    let mut out = Vec::new();
    dp.process(now, ingress, frame, &mut out);
    out
}

/// Actions without their frames, for failure messages.
pub(super) fn summary(actions: &[Action]) -> String {
    let v: Vec<String> = actions
        .iter()
        .map(|a| match a {
            Action::Deliver { to, frame, .. } => format!("Deliver({to:?}, {} bytes)", frame.len()),
            Action::Drop { detail, .. } => format!("Drop({detail:?})"),
            Action::IcmpError { to, .. } => format!("IcmpError({to:?})"),
        })
        .collect();
    v.join(", ")
}

/// The single action's drop detail, panicking with the actions otherwise.
pub(super) fn dropped(actions: &[Action]) -> DropDetail {
    match actions {
        [Action::Drop { detail, .. }] => *detail,
        other => panic!("expected one drop, got {}", summary(other)),
    }
}

pub(super) fn delivered(actions: &[Action]) -> (Egress, &[u8], u64, Option<PcxIdx>) {
    match actions {
        [Action::Deliver {
            to,
            frame,
            latency_ns,
            via_peering,
            ..
        }] => (*to, frame, *latency_ns, *via_peering),
        other => panic!("expected one delivery, got {}", summary(other)),
    }
}

/// VPC 10.0.0.0/16 with subnets a (AZ 0), b (AZ 1); ENIs: app 10.0.1.10 (a),
/// db 10.0.2.20 (b), peer 10.0.1.11 (a). db allows tcp 5432 from app's group.
pub(super) struct Fixture {
    pub(super) net: TestNet,
    pub(super) sub_a: SubnetIdx,
    pub(super) sub_b: SubnetIdx,
    pub(super) app: EniIdx,
    pub(super) db: EniIdx,
    pub(super) peer: EniIdx,
    pub(super) app_sg: SgIdx,
    pub(super) db_sg: SgIdx,
}

pub(super) fn fixture() -> Fixture {
    let mut t = TestNet::new();
    let vpc = t.vpc("10.0.0.0/16");
    let sub_a = t.subnet(vpc, "10.0.1.0/24", 0);
    let sub_b = t.subnet(vpc, "10.0.2.0/24", 1);
    let app_sg = t.sg(vpc, vec![], vec![sg_all("0.0.0.0/0")]);
    let db_sg = t.sg(vpc, vec![sg_tcp(5432, SgPeer::Group(app_sg))], vec![]);
    let app = t.eni(sub_a, "10.0.1.10", &[app_sg]);
    let db = t.eni(sub_b, "10.0.2.20", &[db_sg]);
    let peer = t.eni(sub_a, "10.0.1.11", &[app_sg]);
    Fixture {
        net: t,
        sub_a,
        sub_b,
        app,
        db,
        peer,
        app_sg,
        db_sg,
    }
}

#[test]
fn delivers_with_router_and_destination_macs_and_cross_az_latency() {
    let f = fixture();
    let net = f.net.build();
    let mut dp = Dataplane::new(&net);
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0);
    let out = run(&mut dp, 0, Ingress::Eni(f.app), syn.clone());
    let (to, frame, latency, via) = delivered(&out);
    assert_eq!(to, Egress::Eni(f.db));
    assert_eq!(&frame[0..6], &net.eni(f.db).mac);
    assert_eq!(&frame[6..12], &ROUTER_MAC);
    assert_eq!(&frame[12..], &syn[12..], "the router changes only the MACs");
    assert_eq!(latency, net.latency.cross_az_ns);
    assert_eq!(via, None);
}

#[test]
fn same_subnet_skips_nacl_and_uses_same_az_latency() {
    let mut f = fixture();
    // A NACL that denies everything: irrelevant inside one subnet.
    f.net.nacl(f.sub_a, vec![], vec![]);
    let mut dp = Dataplane::new(&f.net.net);
    let ping = frames::echo("10.0.1.10", "10.0.1.11", false);
    let mut hops = Vec::new();
    let mut out = Vec::new();
    // The default group of `peer` is not on it: give it an open ingress first.
    dp.replace_security_group_rules(
        f.app_sg,
        vec![sg_all("10.0.0.0/16")],
        vec![sg_all("0.0.0.0/0")],
    );
    dp.process_traced(0, Ingress::Eni(f.app), ping, &mut out, &mut hops);
    let (to, _, latency, _) = delivered(&out);
    assert_eq!(to, Egress::Eni(f.peer));
    assert_eq!(latency, f.net.net.latency.same_az_ns);
    assert!(hops.contains(&Hop::NaclSkipped { subnet: f.sub_a }));
    assert!(!hops.iter().any(|h| matches!(h, Hop::Nacl { .. })));
}

#[test]
fn sg_no_match_names_eni_and_direction() {
    let f = fixture();
    let mut dp = Dataplane::new(&f.net.net);
    let ssh = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 22, 0x02, 0);
    let out = run(&mut dp, 0, Ingress::Eni(f.app), ssh);
    assert_eq!(
        dropped(&out),
        DropDetail::SgNoMatch {
            eni: f.db,
            dir: Direction::Inbound
        }
    );
    let Action::Drop { reason, eni, .. } = &out[0] else {
        unreachable!()
    };
    assert_eq!((*reason, *eni), (DropReason::SgNoMatch, Some(f.db)));
    let text = dropped(&out).display(dp.network()).to_string();
    assert_eq!(
        text,
        format!("eni-{} inbound groups sg-{}", f.db.0, f.db_sg.0)
    );
}

#[test]
fn tracked_reply_passes_without_a_rule_but_a_new_flow_does_not() {
    let f = fixture();
    let mut dp = Dataplane::new(&f.net.net);
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0);
    delivered(&run(&mut dp, 0, Ingress::Eni(f.app), syn));
    // db has no egress rule at all and app no ingress rule: the reply is tracked.
    let synack = frames::tcp("10.0.2.20", "10.0.1.10", 5432, 40000, 0x12, 0);
    let out = run(&mut dp, 1000, Ingress::Eni(f.db), synack);
    assert_eq!(delivered(&out).0, Egress::Eni(f.app));
    // db opening its own connection to app is a new flow: db's egress denies it.
    let new = frames::tcp("10.0.2.20", "10.0.1.10", 5432, 40001, 0x02, 0);
    assert_eq!(
        dropped(&run(&mut dp, 2000, Ingress::Eni(f.db), new)),
        DropDetail::SgNoMatch {
            eni: f.db,
            dir: Direction::Outbound
        }
    );
}

#[test]
fn untracked_flows_leave_no_conntrack_entry() {
    let mut f = fixture();
    let open = f.net.sg(
        VpcIdx(0),
        vec![sg_tcp(80, SgPeer::Cidr("0.0.0.0/0".parse().unwrap()))],
        vec![sg_all("0.0.0.0/0")],
    );
    f.net.net.enis[f.db.ix()].security_groups = vec![open];
    let mut dp = Dataplane::new(&f.net.net);
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 80, 0x02, 0);
    delivered(&run(&mut dp, 0, Ingress::Eni(f.app), syn));
    assert_eq!(
        dp.conntrack(f.db).unwrap().len(),
        0,
        "0.0.0.0/0 both ways: untracked"
    );
    assert_eq!(
        dp.conntrack(f.app).unwrap().len(),
        1,
        "app's egress rule alone is tracked"
    );
    // The untracked reply is checked against db's rules (egress all): passes.
    let synack = frames::tcp("10.0.2.20", "10.0.1.10", 80, 40000, 0x12, 0);
    delivered(&run(&mut dp, 1, Ingress::Eni(f.db), synack));
}

#[test]
fn rule_change_keeps_tracked_flows_but_stops_new_ones() {
    let f = fixture();
    let mut dp = Dataplane::new(&f.net.net);
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0);
    delivered(&run(&mut dp, 0, Ingress::Eni(f.app), syn));
    assert!(dp.replace_security_group_rules(f.db_sg, vec![], vec![]));
    let ack = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x10, 100);
    delivered(&run(&mut dp, 1, Ingress::Eni(f.app), ack));
    let other = frames::tcp("10.0.1.10", "10.0.2.20", 40002, 5432, 0x02, 0);
    assert_eq!(
        dropped(&run(&mut dp, 2, Ingress::Eni(f.app), other)).reason(),
        DropReason::SgNoMatch
    );
}

#[test]
fn nacl_change_cuts_tracked_flows_at_once() {
    let mut f = fixture();
    let all = NaclRule {
        number: 100,
        traffic: TrafficMatch::ALL,
        cidr: "0.0.0.0/0".parse().unwrap(),
        action: RuleAction::Allow,
    };
    let nacl = f.net.nacl(f.sub_b, vec![all.clone()], vec![all]);
    let mut dp = Dataplane::new(&f.net.net);
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0);
    delivered(&run(&mut dp, 0, Ingress::Eni(f.app), syn));
    dp.replace_nacl_rules(
        nacl,
        vec![nacl_tcp(50, "10.0.1.10/32", (5432, 5432), RuleAction::Deny)],
        vec![],
    );
    let ack = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x10, 100);
    assert_eq!(
        dropped(&run(&mut dp, 1, Ingress::Eni(f.app), ack)),
        DropDetail::NaclDeny {
            nacl,
            dir: Direction::Inbound,
            rule: Some(50)
        }
    );
}

#[test]
fn stateless_nacl_needs_ephemeral_return_rule() {
    let mut f = fixture();
    let nacl = f.net.nacl(
        f.sub_a,
        vec![nacl_tcp(
            100,
            "10.0.0.0/16",
            (5432, 5432),
            RuleAction::Allow,
        )],
        vec![nacl_tcp(
            100,
            "10.0.0.0/16",
            (5432, 5432),
            RuleAction::Allow,
        )],
    );
    let mut dp = Dataplane::new(&f.net.net);
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0);
    delivered(&run(&mut dp, 0, Ingress::Eni(f.app), syn));
    let synack = frames::tcp("10.0.2.20", "10.0.1.10", 5432, 40000, 0x12, 0);
    let d = dropped(&run(&mut dp, 1, Ingress::Eni(f.db), synack));
    assert_eq!(
        d,
        DropDetail::NaclDeny {
            nacl,
            dir: Direction::Inbound,
            rule: None
        }
    );
    let key = parse_frame(&frames::tcp("10.0.2.20", "10.0.1.10", 5432, 40000, 0x12, 0)).unwrap();
    let hint = d.hint(dp.network(), &key);
    assert!(hint.contains("ephemeral 1024-65535"), "{hint}");
    assert!(hint.contains("rule *"), "{hint}");
}

#[test]
fn udp_reply_after_idle_timeout_is_a_new_flow() {
    let mut f = fixture();
    f.net.net.security_groups[f.db_sg.ix()]
        .ingress
        .push(sg_udp(53, SgPeer::Cidr("10.0.0.0/16".parse().unwrap())));
    let mut dp = Dataplane::new(&f.net.net);
    let q = frames::udp("10.0.1.10", "10.0.2.20", 5000, 53, 20, true);
    delivered(&run(&mut dp, 0, Ingress::Eni(f.app), q));
    let late = 31 * 1_000_000_000;
    let answer = frames::udp("10.0.2.20", "10.0.1.10", 53, 5000, 20, true);
    // db's conntrack entry expired: its (empty) egress rules now apply.
    assert_eq!(
        dropped(&run(&mut dp, late, Ingress::Eni(f.db), answer)),
        DropDetail::SgNoMatch {
            eni: f.db,
            dir: Direction::Outbound
        }
    );
}

#[test]
fn full_conntrack_table_drops_new_flows() {
    let mut f = fixture();
    f.net.net.quotas.conntrack_entries_per_eni = 1;
    let mut dp = Dataplane::new(&f.net.net);
    delivered(&run(
        &mut dp,
        0,
        Ingress::Eni(f.app),
        frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0),
    ));
    let second = frames::tcp("10.0.1.10", "10.0.2.20", 40001, 5432, 0x02, 0);
    assert_eq!(
        dropped(&run(&mut dp, 1, Ingress::Eni(f.app), second)),
        DropDetail::ConntrackFull { eni: f.app }
    );
}

#[test]
fn no_route_and_blackhole() {
    let mut f = fixture();
    let rtb = f.net.net.vpcs[0].main_route_table;
    f.net.route(rtb, "10.9.0.0/16", RouteTarget::Blackhole);
    let mut dp = Dataplane::new(&f.net.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(f.app),
        frames::tcp("10.0.1.10", "10.8.0.1", 40000, 443, 0x02, 0),
    );
    assert_eq!(
        dropped(&out),
        DropDetail::NoRoute {
            rtb,
            dst: "10.8.0.1".parse().unwrap()
        }
    );
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(f.app),
        frames::tcp("10.0.1.10", "10.9.0.1", 40000, 443, 0x02, 0),
    );
    assert_eq!(dropped(&out), DropDetail::Blackhole { rtb, route: 1 });
    assert_eq!(dropped(&out).reason(), DropReason::BlackholeRoute);
}

#[test]
fn unknown_destination_inside_the_vpc() {
    let f = fixture();
    let mut dp = Dataplane::new(&f.net.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(f.app),
        frames::tcp("10.0.1.10", "10.0.2.99", 40000, 5432, 0x02, 0),
    );
    assert_eq!(dropped(&out).reason(), DropReason::UnknownDestination);
}

#[test]
fn source_destination_check_on_spoofed_source_and_middlebox_that_does_not_forward() {
    let mut f = fixture();
    let rtb = f.net.route_table(VpcIdx(0));
    f.net.associate(f.sub_a, rtb);
    let fw_sg = f.net.sg(
        VpcIdx(0),
        vec![sg_all("0.0.0.0/0")],
        vec![sg_all("0.0.0.0/0")],
    );
    let fw = f.net.eni(f.sub_b, "10.0.2.5", &[fw_sg]);
    f.net.route(rtb, "10.0.2.20/32", RouteTarget::Eni(fw));
    let mut dp = Dataplane::new(&f.net.net);
    let spoofed = frames::tcp("10.0.1.99", "10.0.2.20", 40000, 5432, 0x02, 0);
    assert_eq!(
        dropped(&run(&mut dp, 0, Ingress::Eni(f.app), spoofed)),
        DropDetail::SourceDestCheck {
            eni: f.app,
            dir: Direction::Outbound
        }
    );
    // Routed to the firewall ENI, which still has its check on.
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0);
    assert_eq!(
        dropped(&run(&mut dp, 1, Ingress::Eni(f.app), syn.clone())),
        DropDetail::SourceDestCheck {
            eni: fw,
            dir: Direction::Inbound
        }
    );
    // With the check off the firewall's ENI accepts it, but the instance does
    // not forward (no forwarding instances yet): dropped there with a reason, on
    // the firewall's behalf, never handed to its host as if addressed to it.
    let mut net = dp.network().clone();
    net.enis[fw.ix()].source_dest_check = false;
    let mut dp = Dataplane::new(&net);
    let mut hops = Vec::new();
    let mut out = Vec::new();
    dp.process_traced(2, Ingress::Eni(f.app), syn.clone(), &mut out, &mut hops);
    match out.as_slice() {
        [Action::Drop {
            reason,
            detail,
            eni,
            ..
        }] => {
            assert_eq!(*detail, DropDetail::NotForwarded { eni: fw });
            assert_eq!(*reason, DropReason::NotForwarded);
            assert_eq!(*eni, Some(fw));
        }
        other => panic!("expected one drop, got {}", summary(other)),
    }
    assert_eq!(
        &hops[hops.len() - 2..],
        &[
            Hop::Eni {
                eni: fw,
                dir: Direction::Inbound
            },
            Hop::Drop {
                detail: DropDetail::NotForwarded { eni: fw }
            }
        ]
    );
    let hint = DropDetail::NotForwarded { eni: fw }.hint(dp.network(), &parse_frame(&syn).unwrap());
    assert!(hint.starts_with("the instance does not forward"), "{hint}");
    assert!(hint.contains("10.0.2.20"), "{hint}");
}

/// ENI MACs are AWS-like (`0e:`, locally administered, unicast), all distinct,
/// and never the router's or the external hosts' (the first ENI's once was).
#[test]
fn eni_macs_are_unique_aws_like_and_never_a_gateways() {
    let mut seen = std::collections::HashSet::new();
    for ix in (0..200_000).chain([u32::MAX as usize - 1]) {
        let mac = Eni::mac_for_index(ix);
        assert_eq!(mac[0], 0x0e, "{mac:02x?}");
        assert_eq!(mac[0] & 0x03, 0x02, "locally administered unicast");
        assert!(mac != ROUTER_MAC && mac != EXTERNAL_MAC, "{ix}: {mac:02x?}");
        assert!(seen.insert(mac), "{ix}: {mac:02x?} repeats");
    }
    assert_eq!(
        Eni::mac_for_index(3),
        Eni::mac_for_index(3),
        "deterministic"
    );
}

#[test]
fn malformed_frames_are_dropped_not_panicked_on() {
    let f = fixture();
    let mut dp = Dataplane::new(&f.net.net);
    for bad in [vec![], vec![0u8; 13], vec![0xffu8; 60]] {
        let out = run(&mut dp, 0, Ingress::Eni(f.app), bad);
        assert_eq!(dropped(&out).reason(), DropReason::Malformed);
    }
    let mut good = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0);
    good.truncate(30);
    assert_eq!(
        dropped(&run(&mut dp, 0, Ingress::Eni(f.app), good)).reason(),
        DropReason::Malformed
    );
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(EniIdx(999)),
        frames::echo("10.0.1.10", "10.0.2.20", false),
    );
    assert_eq!(dropped(&out), DropDetail::UnknownIngress);
}

#[test]
fn trace_records_every_decision_in_order() {
    let f = fixture();
    let mut dp = Dataplane::new(&f.net.net);
    let mut hops = Vec::new();
    let mut out = Vec::new();
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 5432, 0x02, 0);
    dp.process_traced(0, Ingress::Eni(f.app), syn, &mut out, &mut hops);
    let kinds: Vec<&str> = hops
        .iter()
        .map(|h| match h {
            Hop::Eni { .. } => "eni",
            Hop::Sg { .. } => "sg",
            Hop::Nacl { .. } => "nacl",
            Hop::Route { .. } => "route",
            Hop::Mtu { .. } => "mtu",
            Hop::Deliver { .. } => "deliver",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["eni", "sg", "nacl", "route", "mtu", "nacl", "sg", "eni", "deliver"]
    );
    let Hop::Sg {
        verdict: SgVerdict::Rule(m),
        ..
    } = hops[6]
    else {
        panic!("{hops:?}")
    };
    assert_eq!((m.sg, m.index, m.tracked), (f.db_sg, 0, true));
}

#[test]
fn route_to_a_detached_gateway_is_no_route() {
    let mut f = fixture();
    let other = f.net.vpc("172.16.0.0/16");
    let igw = f.net.igw(other);
    let rtb = f.net.net.vpcs[0].main_route_table;
    f.net
        .route(rtb, "0.0.0.0/0", RouteTarget::InternetGateway(igw));
    let mut dp = Dataplane::new(&f.net.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(f.app),
        frames::echo("10.0.1.10", "8.8.8.8", false),
    );
    assert_eq!(
        dropped(&out),
        DropDetail::TargetNotAttached { rtb, route: 1 }
    );
    assert_eq!(dropped(&out).reason(), DropReason::NoRoute);
}
