//! Pipeline tests of forwarding instances (middleboxes): a router instance
//! passes packets on with the TTL lowered, a loop ends in TTL_EXCEEDED with
//! ICMP time exceeded back, a NAT instance masquerades and translates replies
//! back, and the appliance's security group applies on both legs.

use super::test_net::{frames, sg_all, TestNet};
use super::tests::{delivered, dropped, run, summary};
use super::tests_edges::{ip, key};
use super::*;

/// Subnet a (10.0.1.0/24: `app`) routes 10.0.2.0/24 and 10.9.0.0/16 to `fw`
/// (subnet f, 10.0.3.0/24, check off, forwarding as `forward`); `b` lives in
/// 10.0.2.0/24. Open security groups.
struct Appliance {
    t: TestNet,
    app: EniIdx,
    b: EniIdx,
    fw: EniIdx,
    sg: SgIdx,
}

fn appliance(forward: Forwarding) -> Appliance {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    let sa = t.subnet(v, "10.0.1.0/24", 0);
    let sb = t.subnet(v, "10.0.2.0/24", 1);
    let sf = t.subnet(v, "10.0.3.0/24", 0);
    let sg = t.sg(v, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let app = t.eni(sa, "10.0.1.10", &[sg]);
    let b = t.eni(sb, "10.0.2.20", &[sg]);
    let fw = t.eni(sf, "10.0.3.30", &[sg]);
    t.net.enis[fw.ix()].source_dest_check = false;
    let inst = t.net.enis[fw.ix()].instance;
    t.net.instances[inst.ix()].forward = forward;
    let rtb = t.route_table(v);
    t.associate(sa, rtb);
    t.route(rtb, "10.0.2.0/24", RouteTarget::Eni(fw));
    Appliance { t, app, b, fw, sg }
}

#[test]
fn a_router_instance_forwards_with_the_ttl_lowered_and_records_the_crossing() {
    let a = appliance(Forwarding::Router);
    let mut dp = Dataplane::new(&a.t.net);
    let mut hops = Vec::new();
    let mut out = Vec::new();
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 443, 0x02, 0);
    dp.process_traced(0, Ingress::Eni(a.app), syn, &mut out, &mut hops);
    let (to, frame, latency, _) = delivered(&out);
    assert_eq!(to, Egress::Eni(a.b));
    assert_eq!(crate::wire::ttl(frame).unwrap(), 63);
    crate::wire::verify_checksums(frame).unwrap();
    // app → fw (same AZ) then fw → b (cross AZ): both legs' latency.
    let l = &a.t.net.latency;
    assert_eq!(latency, l.same_az_ns + l.cross_az_ns);
    assert_eq!(
        dp.appliance_crossings(),
        &[(
            0,
            ApplianceCrossing {
                arrival: Some(a.fw),
                departure: a.fw,
                before: None,
                privatelink: None,
            }
        )]
    );
    let inst = a.t.net.enis[a.fw.ix()].instance;
    assert!(hops.contains(&Hop::Forward {
        instance: inst,
        from: a.fw,
        to: a.fw,
        ttl: 63,
        nat: false
    }));
    // The departure leg is traffic from the appliance's ENI.
    assert!(hops.contains(&Hop::Eni {
        eni: a.fw,
        dir: Direction::Outbound
    }));
}

#[test]
fn the_appliance_security_group_filters_both_legs() {
    // Inbound: nothing admitted → dropped on arrival at the appliance.
    let mut a = appliance(Forwarding::Router);
    let v = a.t.net.enis[a.fw.ix()].vpc;
    let closed_in = a.t.sg(v, vec![], vec![sg_all("0.0.0.0/0")]);
    a.t.net.enis[a.fw.ix()].security_groups = vec![closed_in];
    let mut dp = Dataplane::new(&a.t.net);
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 443, 0x02, 0);
    let d = dropped(&run(&mut dp, 0, Ingress::Eni(a.app), syn.clone()));
    assert_eq!(d.reason(), DropReason::SgNoMatch);
    // Outbound: admitted in, but no outbound rule → dropped on departure.
    let closed_out = a.t.sg(v, vec![sg_all("0.0.0.0/0")], vec![]);
    a.t.net.enis[a.fw.ix()].security_groups = vec![closed_out];
    let mut dp = Dataplane::new(&a.t.net);
    let out = run(&mut dp, 0, Ingress::Eni(a.app), syn);
    match dropped(&out) {
        DropDetail::SgNoMatch { eni, dir, .. } => {
            assert_eq!((eni, dir), (a.fw, Direction::Outbound));
        }
        other => panic!("expected SG_NO_MATCH outbound at the appliance, got {other:?}"),
    }
    let _ = a.sg;
}

#[test]
fn a_routing_loop_between_appliances_ends_in_ttl_exceeded_with_icmp_back() {
    let mut a = appliance(Forwarding::Router);
    let v = a.t.net.enis[a.fw.ix()].vpc;
    // fw's subnet sends 10.9.0.0/16 to fw2, whose subnet sends it back to fw.
    let s2 = a.t.subnet(v, "10.0.4.0/24", 0);
    let fw2 = a.t.eni(s2, "10.0.4.40", &[a.sg]);
    a.t.net.enis[fw2.ix()].source_dest_check = false;
    let i2 = a.t.net.enis[fw2.ix()].instance;
    a.t.net.instances[i2.ix()].forward = Forwarding::Router;
    let sf = a.t.net.enis[a.fw.ix()].subnet;
    let (r1, r2) = (a.t.route_table(v), a.t.route_table(v));
    a.t.associate(sf, r1);
    a.t.associate(s2, r2);
    a.t.route(r1, "10.9.0.0/16", RouteTarget::Eni(fw2));
    a.t.route(r2, "10.9.0.0/16", RouteTarget::Eni(a.fw));
    let sa = a.t.net.enis[a.app.ix()].subnet;
    let ra = a.t.net.subnets[sa.ix()].route_table;
    a.t.route(ra, "10.9.0.0/16", RouteTarget::Eni(a.fw));
    let mut dp = Dataplane::new(&a.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(a.app),
        frames::udp("10.0.1.10", "10.9.0.5", 5000, 53, 20, true),
    );
    // The datagram goes round 63 times, then dies at an appliance, which sends
    // ICMP time exceeded (type 11) back to app from its own address.
    let mut drops = 0;
    let mut icmp = 0;
    for action in &out {
        match action {
            Action::Drop { reason, .. } => {
                assert_eq!(*reason, DropReason::TtlExceeded, "{}", summary(&out));
                drops += 1;
            }
            Action::Deliver { to, frame, .. } => {
                assert_eq!(*to, Egress::Eni(a.app), "{}", summary(&out));
                let k = key(frame);
                assert_eq!(k.icmp_type, 11);
                assert!(
                    k.src == ip("10.0.3.30") || k.src == ip("10.0.4.40"),
                    "{k:?}"
                );
                crate::wire::verify_checksums(frame).unwrap();
                icmp += 1;
            }
            Action::IcmpError { .. } => panic!("{}", summary(&out)),
        }
    }
    assert_eq!((drops, icmp), (1, 1), "{}", summary(&out));
}

#[test]
fn without_forward_the_instance_still_drops_not_forwarded() {
    let a = appliance(Forwarding::None);
    let mut dp = Dataplane::new(&a.t.net);
    let syn = frames::tcp("10.0.1.10", "10.0.2.20", 40000, 443, 0x02, 0);
    assert_eq!(
        dropped(&run(&mut dp, 0, Ingress::Eni(a.app), syn)),
        DropDetail::NotForwarded { eni: a.fw }
    );
}

#[test]
fn a_nat_instance_masquerades_and_translates_replies_back() {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    let public = t.subnet(v, "10.0.0.0/24", 0);
    let private = t.subnet(v, "10.0.1.0/24", 0);
    let igw = t.igw(v);
    let main = t.net.vpcs[v.ix()].main_route_table;
    t.route(main, "0.0.0.0/0", RouteTarget::InternetGateway(igw));
    let sg = t.sg(v, vec![sg_all("10.0.0.0/16")], vec![sg_all("0.0.0.0/0")]);
    let nat = t.eni(public, "10.0.0.99", &[sg]);
    t.public_ip(nat, "54.0.0.99");
    t.net.enis[nat.ix()].source_dest_check = false;
    let inst = t.net.enis[nat.ix()].instance;
    t.net.instances[inst.ix()].forward = Forwarding::Nat;
    let prt = t.route_table(v);
    t.associate(private, prt);
    t.route(prt, "0.0.0.0/0", RouteTarget::Eni(nat));
    let app = t.eni(private, "10.0.1.10", &[sg]);
    let host = t.external("internet", "93.184.216.34", ExternalSite::Internet);
    let mut dp = Dataplane::new(&t.net);

    let syn = frames::tcp("10.0.1.10", "93.184.216.34", 40000, 443, 0x02, 0);
    let out = run(&mut dp, 0, Ingress::Eni(app), syn);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::External(host));
    let k = key(frame);
    // Masqueraded to the instance's address, then 1:1 to its public IP.
    assert_eq!(k.src, ip("54.0.0.99"));
    assert_eq!(crate::wire::ttl(frame).unwrap(), 63);
    crate::wire::verify_checksums(frame).unwrap();
    let port = k.src_port;
    match dp.appliance_crossings() {
        [(0, c)] => assert_eq!(c.before, Some((true, "10.0.1.10".parse().unwrap(), 40000))),
        other => panic!("{other:?}"),
    }

    let reply = frames::tcp("93.184.216.34", "54.0.0.99", 443, port, 0x12, 0);
    let out = run(&mut dp, 1, Ingress::External(host), reply);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::Eni(app));
    let k = key(frame);
    assert_eq!((k.dst, k.dst_port), (ip("10.0.1.10"), 40000));
    assert_eq!(crate::wire::ttl(frame).unwrap(), 63);
    crate::wire::verify_checksums(frame).unwrap();

    // Unsolicited traffic to the instance's own port is for the instance.
    let stray = frames::tcp("93.184.216.34", "54.0.0.99", 443, 7, 0x02, 0);
    let out = run(&mut dp, 2, Ingress::External(host), stray);
    assert!(
        matches!(
            out.as_slice(),
            [Action::Drop {
                reason: DropReason::SgNoMatch,
                ..
            }]
        ),
        "{}",
        summary(&out)
    );
}
