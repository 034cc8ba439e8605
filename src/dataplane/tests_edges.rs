//! Pipeline tests across peering: states, return routes, non-transitive, edge to
//! edge, inter-region MTU and latency.

use super::test_net::{frames, sg_all, TestNet};
use super::tests::{delivered, dropped, run, summary};
use super::*;
use crate::wire::{parse_frame, FlowKey};
use std::net::IpAddr;

pub(super) fn key(frame: &[u8]) -> FlowKey {
    parse_frame(frame).unwrap()
}

pub(super) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// VPC a 10.0.0.0/16 (us-east-1) and b 10.1.0.0/16 (`region_b`), peered, routes
/// both ways, open security groups.
pub(super) struct Peered {
    pub(super) t: TestNet,
    pub(super) a: VpcIdx,
    pub(super) b: VpcIdx,
    pub(super) pcx: PcxIdx,
    pub(super) ea: EniIdx,
    pub(super) eb: EniIdx,
}

pub(super) fn peered(region_b: u32, status: PeeringStatus) -> Peered {
    let mut t = TestNet::new();
    let a = t.vpc("10.0.0.0/16");
    let b = t.vpc_in(region_b, "10.1.0.0/16");
    let sa = t.subnet(a, "10.0.1.0/24", 0);
    let sb = t.subnet(b, "10.1.1.0/24", if region_b == 0 { 1 } else { 2 });
    let open_a = t.sg(a, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let open_b = t.sg(b, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let ea = t.eni(sa, "10.0.1.10", &[open_a]);
    let eb = t.eni(sb, "10.1.1.10", &[open_b]);
    let pcx = t.peering(a, b, status);
    let (ra, rb) = (
        t.net.vpcs[a.ix()].main_route_table,
        t.net.vpcs[b.ix()].main_route_table,
    );
    t.route(ra, "10.1.0.0/16", RouteTarget::Peering(pcx));
    t.route(rb, "10.0.0.0/16", RouteTarget::Peering(pcx));
    Peered {
        t,
        a,
        b,
        pcx,
        ea,
        eb,
    }
}

#[test]
fn active_peering_delivers_and_names_the_link() {
    let p = peered(0, PeeringStatus::Active);
    let mut dp = Dataplane::new(&p.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::echo("10.0.1.10", "10.1.1.10", false),
    );
    let (to, _, latency, via) = delivered(&out);
    assert_eq!((to, via), (Egress::Eni(p.eb), Some(p.pcx)));
    assert_eq!(latency, p.t.net.latency.cross_az_ns);
    let back = run(
        &mut dp,
        1,
        Ingress::Eni(p.eb),
        frames::echo("10.1.1.10", "10.0.1.10", true),
    );
    assert_eq!(delivered(&back).0, Egress::Eni(p.ea));
}

#[test]
fn only_active_peerings_carry_traffic() {
    for status in PeeringStatus::ALL {
        if status == PeeringStatus::Active {
            continue;
        }
        let p = peered(0, status);
        let mut dp = Dataplane::new(&p.t.net);
        let out = run(
            &mut dp,
            0,
            Ingress::Eni(p.ea),
            frames::echo("10.0.1.10", "10.1.1.10", false),
        );
        // While it can still become active, the peering's status; once it
        // never will, the route to it is a blackhole (AWS's route state).
        let d = dropped(&out);
        if status.terminal() {
            assert!(
                matches!(d, DropDetail::Blackhole { .. }),
                "{status:?}: {d:?}"
            );
            assert!(
                d.display(dp.network())
                    .to_string()
                    .contains(&format!("(blackhole: the peering is {})", status.as_str())),
                "{}",
                d.display(dp.network())
            );
        } else {
            assert_eq!(d, DropDetail::PeeringNotActive { pcx: p.pcx, status });
        }
        let k = key(&frames::echo("10.0.1.10", "10.1.1.10", false));
        assert!(dropped(&out)
            .hint(dp.network(), &k)
            .contains(status.as_str()));
    }
    // Accepting it (a state change at run time) opens the path.
    let p = peered(0, PeeringStatus::PendingAcceptance);
    let mut dp = Dataplane::new(&p.t.net);
    dp.set_peering_status(p.pcx, PeeringStatus::Active);
    delivered(&run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::echo("10.0.1.10", "10.1.1.10", false),
    ));
}

#[test]
fn missing_return_route_drops_the_reply() {
    let mut p = peered(0, PeeringStatus::Active);
    let rb = p.t.net.vpcs[p.b.ix()].main_route_table;
    p.t.net.route_tables[rb.ix()].routes.pop();
    let mut dp = Dataplane::new(&p.t.net);
    delivered(&run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::echo("10.0.1.10", "10.1.1.10", false),
    ));
    let back = run(
        &mut dp,
        1,
        Ingress::Eni(p.eb),
        frames::echo("10.1.1.10", "10.0.1.10", true),
    );
    assert_eq!(
        dropped(&back),
        DropDetail::NoRoute {
            rtb: rb,
            dst: ip("10.0.1.10")
        }
    );
}

#[test]
fn inter_region_peering_mtu_and_latency() {
    let p = peered(1, PeeringStatus::Active);
    let mut dp = Dataplane::new(&p.t.net);
    let small = run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::udp("10.0.1.10", "10.1.1.10", 5000, 6000, 100, true),
    );
    assert_eq!(
        delivered(&small).2,
        40_000_000,
        "us-east-1 to eu-west-1 one way"
    );
    let big_df = run(
        &mut dp,
        1,
        Ingress::Eni(p.ea),
        frames::udp("10.0.1.10", "10.1.1.10", 5000, 6000, 8000, true),
    );
    let Action::Drop { detail, .. } = &big_df[0] else {
        panic!("{}", summary(&big_df))
    };
    assert_eq!(
        *detail,
        DropDetail::MtuExceeded {
            link_mtu: 1500,
            packet: 8028,
            link: MtuLink::Peering(p.pcx),
        }
    );
    // The table, summary.json and trace name the peering, not only the sizes.
    let net = dp.network();
    assert_eq!(
        detail.display(net).to_string(),
        format!(
            "8028 bytes > link MTU 1500 of {} (inter-region peering)",
            net.peerings[p.pcx.ix()].id
        )
    );
    assert!(matches!(big_df[1], Action::IcmpError { to: Egress::Eni(e), .. } if e == p.ea));
    let big = run(
        &mut dp,
        2,
        Ingress::Eni(p.ea),
        frames::udp("10.0.1.10", "10.1.1.10", 5000, 6000, 8000, false),
    );
    assert_eq!(
        big.len(),
        6,
        "8028 bytes in 1500-byte fragments: {}",
        summary(&big)
    );
    assert!(big.iter().all(|a| matches!(
        a,
        Action::Deliver {
            via_peering: Some(_),
            ..
        }
    )));
}

#[test]
fn peering_is_not_transitive() {
    let mut p = peered(0, PeeringStatus::Active);
    let c = p.t.vpc("10.2.0.0/16");
    let sc = p.t.subnet(c, "10.2.1.0/24", 0);
    let open_c =
        p.t.sg(c, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    p.t.eni(sc, "10.2.1.10", &[open_c]);
    let bc = p.t.peering(p.b, c, PeeringStatus::Active);
    let (ra, rb) = (
        p.t.net.vpcs[p.a.ix()].main_route_table,
        p.t.net.vpcs[p.b.ix()].main_route_table,
    );
    p.t.route(ra, "10.2.0.0/16", RouteTarget::Peering(p.pcx));
    p.t.route(rb, "10.2.0.0/16", RouteTarget::Peering(bc));
    let mut dp = Dataplane::new(&p.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::echo("10.0.1.10", "10.2.1.10", false),
    );
    assert_eq!(
        dropped(&out),
        DropDetail::NonTransitive {
            pcx: p.pcx,
            onward: Some(bc)
        }
    );
    assert_eq!(dropped(&out).reason(), DropReason::NonTransitivePeering);
}

/// dr – app – shared peered in a chain; dr sends shared's prefix into the dr–app
/// peering. app has an internet gateway with a default route in its main table,
/// but its route for shared's prefix is the app–shared peering: the reason comes
/// from that route (non-transitive), not from any gateway app happens to have
/// (it said `EDGE_TO_EDGE pcx -> igw`, "give the VPC its own gateway").
#[test]
fn non_transitive_is_judged_from_the_route_the_packet_would_take() {
    let mut p = peered(0, PeeringStatus::Active);
    let igw = p.t.igw(p.b);
    let shared = p.t.vpc("10.2.0.0/16");
    let ss = p.t.subnet(shared, "10.2.1.0/24", 0);
    let open =
        p.t.sg(shared, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    p.t.eni(ss, "10.2.1.10", &[open]);
    let bc = p.t.peering(p.b, shared, PeeringStatus::Active);
    let (ra, rb) = (
        p.t.net.vpcs[p.a.ix()].main_route_table,
        p.t.net.vpcs[p.b.ix()].main_route_table,
    );
    p.t.route(ra, "10.2.0.0/16", RouteTarget::Peering(p.pcx));
    p.t.route(rb, "0.0.0.0/0", RouteTarget::InternetGateway(igw));
    let private = p.t.route_table(p.b);
    p.t.route(private, "10.2.0.0/16", RouteTarget::Peering(bc));
    let mut dp = Dataplane::new(&p.t.net);
    let mut hops = Vec::new();
    let mut out = Vec::new();
    let echo = frames::echo("10.0.1.10", "10.2.1.10", false);
    dp.process_traced(0, Ingress::Eni(p.ea), echo.clone(), &mut out, &mut hops);
    let d = dropped(&out);
    assert_eq!(
        d,
        DropDetail::NonTransitive {
            pcx: p.pcx,
            onward: Some(bc)
        }
    );
    // The trace shows the route consulted in app.
    assert!(hops.contains(&Hop::Route {
        rtb: private,
        prefix: "10.2.0.0/16".parse().unwrap(),
        route: 1
    }));
    // Without the app–shared route the default route to the IGW is the one taken:
    // edge to edge, and the fix names the VPC holding the address, not a gateway.
    let mut net = dp.network().clone();
    net.route_tables[private.ix()].routes.pop();
    let mut dp = Dataplane::new(&net);
    let d = dropped(&run(&mut dp, 1, Ingress::Eni(p.ea), echo.clone()));
    assert_eq!(
        d,
        DropDetail::EdgeToEdge {
            from: Edge::Peering(p.pcx),
            to: RouteTarget::InternetGateway(igw)
        }
    );
    let hint = d.hint(&net, &key(&echo));
    assert!(hint.contains("peer vpc-0 with vpc-2 directly"), "{hint}");
}

/// A peer's internet traffic meets two default routes in the receiving VPC: the
/// main table's (to its NAT gateway) and another table's (to its internet
/// gateway, listed first). The drop names the gateway of the route the packet
/// would take, the main table's NAT gateway (it named the first table's IGW).
#[test]
fn edge_to_edge_names_the_gateway_actually_routed_to() {
    let mut p = peered(0, PeeringStatus::Active);
    let igw = p.t.igw(p.b);
    let sb = p.t.net.enis[p.eb.ix()].subnet;
    let nat = p.t.nat(sb, "10.1.1.5", "3.3.3.3");
    let ra = p.t.net.vpcs[p.a.ix()].main_route_table;
    p.t.route(ra, "0.0.0.0/0", RouteTarget::Peering(p.pcx));
    // b's first table becomes its public (non-main) one; a later one its main.
    let public = p.t.net.vpcs[p.b.ix()].main_route_table;
    let main = p.t.route_table(p.b);
    p.t.net.route_tables[public.ix()].is_main = false;
    p.t.net.route_tables[main.ix()].is_main = true;
    p.t.net.vpcs[p.b.ix()].main_route_table = main;
    p.t.route(public, "0.0.0.0/0", RouteTarget::InternetGateway(igw));
    p.t.route(main, "10.0.0.0/16", RouteTarget::Peering(p.pcx));
    p.t.route(main, "0.0.0.0/0", RouteTarget::NatGateway(nat));
    p.t.external("web", "93.184.216.34", ExternalSite::Internet);
    let mut dp = Dataplane::new(&p.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::tcp("10.0.1.10", "93.184.216.34", 40000, 443, 0x02, 0),
    );
    let d = dropped(&out);
    assert_eq!(
        d,
        DropDetail::EdgeToEdge {
            from: Edge::Peering(p.pcx),
            to: RouteTarget::NatGateway(nat)
        }
    );
    let net = dp.network();
    assert!(
        d.display(net)
            .to_string()
            .ends_with(&format!("-> {}", net.nat_gateways[nat.ix()].id)),
        "{}",
        d.display(net)
    );
}

#[test]
fn no_edge_to_edge_through_a_peer_gateway() {
    let mut p = peered(0, PeeringStatus::Active);
    let igw = p.t.igw(p.b);
    let (ra, rb) = (
        p.t.net.vpcs[p.a.ix()].main_route_table,
        p.t.net.vpcs[p.b.ix()].main_route_table,
    );
    p.t.route(ra, "0.0.0.0/0", RouteTarget::Peering(p.pcx));
    p.t.route(rb, "0.0.0.0/0", RouteTarget::InternetGateway(igw));
    p.t.external("web", "93.184.216.34", ExternalSite::Internet);
    let mut dp = Dataplane::new(&p.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::tcp("10.0.1.10", "93.184.216.34", 40000, 443, 0x02, 0),
    );
    assert_eq!(
        dropped(&out),
        DropDetail::EdgeToEdge {
            from: Edge::Peering(p.pcx),
            to: RouteTarget::InternetGateway(igw)
        }
    );
}

#[test]
fn nacls_do_not_filter_amazon_dns_or_instance_metadata() {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    let s = t.subnet(v, "10.0.1.0/24", 0);
    let open = t.sg(v, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let e = t.eni(s, "10.0.1.10", &[open]);
    let deny_all = t.nacl(s, vec![], vec![]);
    let mut dp = Dataplane::new(&t.build());
    let mut hops = Vec::new();
    let mut out = Vec::new();
    let dns = frames::udp("10.0.1.10", "10.0.0.2", 40000, 53, 30, false);
    dp.process_traced(0, Ingress::Eni(e), dns, &mut out, &mut hops);
    assert!(hops.contains(&Hop::NaclExempt {
        nacl: deny_all,
        dir: Direction::Outbound,
        exempt: crate::policy::NaclExempt::AmazonDns
    }));
    // The services themselves are not modelled: nothing answers at their address.
    assert_ne!(
        dropped(&out).reason(),
        DropReason::NaclDeny,
        "{}",
        summary(&out)
    );
    // Anything else still meets the deny-all NACL.
    let other = frames::udp("10.0.1.10", "10.0.0.3", 40000, 53, 30, false);
    assert_eq!(
        dropped(&run(&mut dp, 1, Ingress::Eni(e), other)),
        DropDetail::NaclDeny {
            nacl: deny_all,
            dir: Direction::Outbound,
            rule: None
        }
    );
}
