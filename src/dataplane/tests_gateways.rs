//! Pipeline tests through gateways: internet gateway (1:1 translation, public IP,
//! MTU), NAT gateway (ports, idle timeout, fragments), VPN gateway and gateway
//! endpoints.

use super::test_net::{frames, internet, sg_all};
use super::tests::{delivered, dropped, run, summary};
use super::tests_edges::{ip, key, peered};
use super::*;

#[test]
fn internet_gateway_translates_one_to_one_both_ways() {
    let i = internet();
    let mut dp = Dataplane::new(&i.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(i.public_eni),
        frames::tcp("10.0.0.10", "93.184.216.34", 40000, 443, 0x02, 0),
    );
    let (to, frame, latency, _) = delivered(&out);
    assert_eq!(to, Egress::External(i.host));
    assert_eq!(latency, i.t.net.latency.internet_ns);
    assert_eq!(key(frame).src, ip("54.0.0.10"));
    assert_eq!(&frame[0..6], &EXTERNAL_MAC);
    crate::wire::verify_checksums(frame).unwrap();
    let reply = frames::tcp("93.184.216.34", "54.0.0.10", 443, 40000, 0x12, 0);
    let out = run(&mut dp, 1, Ingress::External(i.host), reply);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::Eni(i.public_eni));
    assert_eq!(key(frame).dst, ip("10.0.0.10"));
    crate::wire::verify_checksums(frame).unwrap();
}

#[test]
fn internet_gateway_needs_a_public_ip_and_has_a_1500_mtu() {
    let mut i = internet();
    // The private ENI routed straight at the IGW has no public IP.
    let prt = i.t.net.subnets[i.t.net.enis[i.private_eni.ix()].subnet.ix()].route_table;
    i.t.net.route_tables[prt.ix()].routes[1].target = RouteTarget::InternetGateway(i.igw);
    let mut dp = Dataplane::new(&i.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(i.private_eni),
        frames::echo("10.0.1.10", "93.184.216.34", false),
    );
    assert_eq!(
        dropped(&out),
        DropDetail::NoPublicIp {
            eni: i.private_eni,
            igw: i.igw
        }
    );
    let big = frames::udp("10.0.0.10", "93.184.216.34", 5000, 6000, 3000, true);
    let out = run(&mut dp, 1, Ingress::Eni(i.public_eni), big);
    let Action::Drop { detail, .. } = &out[0] else {
        panic!("{}", summary(&out))
    };
    assert_eq!(
        *detail,
        DropDetail::MtuExceeded {
            link_mtu: 1500,
            packet: 3028,
            link: MtuLink::Gateway(Gateway::Internet(i.igw)),
        }
    );
    let net = dp.network();
    assert_eq!(
        detail.display(net).to_string(),
        format!(
            "3028 bytes > link MTU 1500 of {} (internet gateway)",
            net.internet_gateways[i.igw.ix()].id
        )
    );
    // Unsolicited traffic to an address nobody owns.
    let out = run(
        &mut dp,
        2,
        Ingress::External(i.host),
        frames::echo("93.184.216.34", "54.9.9.9", false),
    );
    assert_eq!(dropped(&out).reason(), DropReason::UnknownDestination);
}

#[test]
fn nat_gateway_translates_source_and_reverses_replies() {
    let i = internet();
    let mut dp = Dataplane::new(&i.t.net);
    let mut hops = Vec::new();
    let mut out = Vec::new();
    let syn = frames::tcp("10.0.1.10", "93.184.216.34", 40000, 443, 0x02, 0);
    dp.process_traced(0, Ingress::Eni(i.private_eni), syn, &mut out, &mut hops);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::External(i.host));
    let k = key(frame);
    assert_eq!(k.src, ip("54.0.0.5"));
    crate::wire::verify_checksums(frame).unwrap();
    assert!(hops.contains(&Hop::Gateway {
        gateway: Gateway::Nat(i.nat)
    }));
    let reply = frames::tcp("93.184.216.34", "54.0.0.5", 443, k.src_port, 0x12, 0);
    let out = run(&mut dp, 1, Ingress::External(i.host), reply);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::Eni(i.private_eni));
    let back = key(frame);
    assert_eq!((back.dst, back.dst_port), (ip("10.0.1.10"), 40000));
    crate::wire::verify_checksums(frame).unwrap();
    // After 350 s idle the mapping is gone.
    let late = 1 + NAT_IDLE_TIMEOUT_NS + 1;
    let reply = frames::tcp("93.184.216.34", "54.0.0.5", 443, k.src_port, 0x10, 0);
    assert_eq!(
        dropped(&run(&mut dp, late, Ingress::External(i.host), reply)).reason(),
        DropReason::UnknownDestination
    );
}

#[test]
fn nat_gateway_passes_only_udp_fragments() {
    let i = internet();
    let mut dp = Dataplane::new(&i.t.net);
    let mut fragments = Vec::new();
    let big_tcp = frames::tcp_no_df("10.0.1.10", "93.184.216.34", 40000, 443, 0x10, 3000);
    crate::wire::fragment_ipv4(&big_tcp, 1400, &mut fragments).unwrap();
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(i.private_eni),
        fragments[0].clone(),
    );
    let d = dropped(&out);
    assert_eq!(d, DropDetail::NatFragment { nat: i.nat });
    // Well-formed packets the gateway refuses: their own reason, not MALFORMED.
    assert_eq!(d.reason(), DropReason::NatFragment);
    assert_eq!(d.reason().code(), "NAT_FRAGMENT");
    let hint = d.hint(&i.t.net, &key(&fragments[0]));
    assert!(hint.contains("only UDP fragments"), "{hint}");
    // The reply direction: a non-first TCP fragment to the gateway's address.
    let mut back = Vec::new();
    let big_reply = frames::tcp_no_df("93.184.216.34", "54.0.0.5", 443, 40000, 0x10, 3000);
    crate::wire::fragment_ipv4(&big_reply, 1400, &mut back).unwrap();
    let d = dropped(&run(&mut dp, 0, Ingress::External(i.host), back[1].clone()));
    assert_eq!(d, DropDetail::NatFragment { nat: i.nat });
    assert_eq!(d.reason(), DropReason::NatFragment);
    let text = d.display(&i.t.net).to_string();
    assert!(
        text.contains("NAT gateway passes only UDP fragments"),
        "{text}"
    );
    let nat_id = &i.t.net.nat_gateways[i.nat.ix()].id;
    assert!(text.starts_with(nat_id.as_str()), "{text}");
    let mut udp_frags = Vec::new();
    let big_udp = frames::udp("10.0.1.10", "93.184.216.34", 5000, 6000, 3000, false);
    crate::wire::fragment_ipv4(&big_udp, 1400, &mut udp_frags).unwrap();
    for f in udp_frags {
        let out = run(&mut dp, 1, Ingress::Eni(i.private_eni), f);
        let (_, frame, _, _) = delivered(&out);
        assert_eq!(key(frame).src, ip("54.0.0.5"));
    }
}

#[test]
fn vpn_gateway_to_on_premises_and_back_and_no_edge_to_edge() {
    let mut p = peered(0, PeeringStatus::Active);
    let vgw = p.t.vgw(p.a, "192.168.0.0/16");
    let ra = p.t.net.vpcs[p.a.ix()].main_route_table;
    p.t.route(ra, "192.168.0.0/16", RouteTarget::VpnGateway(vgw));
    let dc = p.t.external("dc", "192.168.1.5", ExternalSite::OnPrem(vgw));
    let mut dp = Dataplane::new(&p.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::tcp("10.0.1.10", "192.168.1.5", 40000, 22, 0x02, 0),
    );
    let (to, frame, latency, _) = delivered(&out);
    assert_eq!((to, latency), (Egress::External(dc), 5_000_000));
    assert_eq!(key(frame).src, ip("10.0.1.10"), "no translation over a VPN");
    let back = run(
        &mut dp,
        1,
        Ingress::External(dc),
        frames::tcp("192.168.1.5", "10.0.1.10", 22, 40000, 0x12, 0),
    );
    assert_eq!(delivered(&back).0, Egress::Eni(p.ea));
    // On premises -> VPC a -> peering -> VPC b is edge to edge.
    let out = run(
        &mut dp,
        2,
        Ingress::External(dc),
        frames::echo("192.168.1.5", "10.1.1.10", false),
    );
    assert_eq!(
        dropped(&out),
        DropDetail::EdgeToEdge {
            from: Edge::Vpn(vgw),
            to: RouteTarget::Peering(p.pcx)
        }
    );
    // A big packet to on-premises meets the VPN's 1500 MTU.
    let big = run(
        &mut dp,
        3,
        Ingress::Eni(p.ea),
        frames::udp("10.0.1.10", "192.168.1.5", 5000, 6000, 2000, true),
    );
    assert!(matches!(
        big[0],
        Action::Drop {
            detail: DropDetail::MtuExceeded {
                link_mtu: 1500,
                link: MtuLink::Gateway(Gateway::Vpn(g)),
                ..
            },
            ..
        } if g == vgw
    ));
}

#[test]
fn gateway_endpoint_reaches_the_prefix_list_and_the_reply_comes_back() {
    let mut p = peered(0, PeeringStatus::Active);
    let pl = p.t.prefix_list(&["52.216.0.0/15"]);
    let vpce = p.t.endpoint(p.a, pl);
    let ra = p.t.net.vpcs[p.a.ix()].main_route_table;
    p.t.route_pl(ra, pl, RouteTarget::GatewayEndpoint(vpce));
    let s3 = p.t.external("s3", "52.217.10.1", ExternalSite::Internet);
    let mut dp = Dataplane::new(&p.t.net);
    let out = run(
        &mut dp,
        0,
        Ingress::Eni(p.ea),
        frames::tcp("10.0.1.10", "52.217.10.1", 40000, 443, 0x02, 0),
    );
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::External(s3));
    assert_eq!(
        key(frame).src,
        ip("10.0.1.10"),
        "private address kept through an endpoint"
    );
    let back = run(
        &mut dp,
        1,
        Ingress::External(s3),
        frames::tcp("52.217.10.1", "10.0.1.10", 443, 40000, 0x12, 0),
    );
    assert_eq!(delivered(&back).0, Egress::Eni(p.ea));
    // VPC b reaching S3 over the peering is edge to edge.
    let rb = p.t.net.vpcs[p.b.ix()].main_route_table;
    let mut net = dp.network().clone();
    net.route_tables[rb.ix()].routes.push(Route {
        destination: RouteDestination::Cidr("52.216.0.0/15".parse().unwrap()),
        target: RouteTarget::Peering(p.pcx),
        propagated: false,
    });
    let mut dp = Dataplane::new(&net);
    let out = run(
        &mut dp,
        2,
        Ingress::Eni(p.eb),
        frames::tcp("10.1.1.10", "52.217.10.1", 40000, 443, 0x02, 0),
    );
    assert_eq!(
        dropped(&out),
        DropDetail::EdgeToEdge {
            from: Edge::Peering(p.pcx),
            to: RouteTarget::GatewayEndpoint(vpce)
        }
    );
}

#[test]
fn to_another_instances_public_ip_goes_through_the_gateway_and_back() {
    let mut i = internet();
    let v = VpcIdx(0);
    let public = i.t.net.enis[i.public_eni.ix()].subnet;
    let app = i.t.sg(v, vec![], vec![sg_all("0.0.0.0/0")]);
    // The target admits its peer's *group*: that does not match a public source.
    let target_sg = i.t.sg(
        v,
        vec![super::test_net::sg_tcp(443, SgPeer::Group(app))],
        vec![],
    );
    let client = i.t.eni(public, "10.0.0.30", &[app]);
    i.t.public_ip(client, "54.0.0.30");
    let server = i.t.eni(public, "10.0.0.40", &[target_sg]);
    i.t.public_ip(server, "54.0.0.40");
    let mut dp = Dataplane::new(&i.t.net);
    let syn = frames::tcp("10.0.0.30", "54.0.0.40", 40000, 443, 0x02, 0);
    assert_eq!(
        dropped(&run(&mut dp, 0, Ingress::Eni(client), syn.clone())),
        DropDetail::SgNoMatch {
            eni: server,
            dir: Direction::Inbound
        }
    );
    dp.replace_security_group_rules(
        target_sg,
        vec![super::test_net::sg_tcp(
            443,
            SgPeer::Cidr("54.0.0.30/32".parse().unwrap()),
        )],
        vec![],
    );
    let out = run(&mut dp, 1, Ingress::Eni(client), syn);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::Eni(server));
    let k = key(frame);
    assert_eq!((k.src, k.dst), (ip("54.0.0.30"), ip("10.0.0.40")));
    crate::wire::verify_checksums(frame).unwrap();
    let synack = frames::tcp("10.0.0.40", "54.0.0.30", 443, 40000, 0x12, 0);
    let out = run(&mut dp, 2, Ingress::Eni(server), synack);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::Eni(client));
    assert_eq!(key(frame).src, ip("54.0.0.40"));
}
