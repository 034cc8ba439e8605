//! The compiled `Network`: indices, implicit objects and defaults, as AWS creates them.

use crate::model::*;
use crate::topology::load_file;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

fn example(name: &str) -> Network {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("topologies")
        .join(name);
    match load_file(&p) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    }
}

fn rtb<'a>(n: &'a Network, id: &str) -> (RtbIdx, &'a RouteTable) {
    let p = n.route_tables.iter().position(|t| t.id == id).expect(id);
    (RtbIdx(p as u32), &n.route_tables[p])
}

fn cidr(s: &str) -> RouteDestination {
    RouteDestination::Cidr(s.parse().expect("cidr"))
}

#[test]
fn two_vpc_peering_compiles_to_the_expected_network() {
    let n = example("two-vpc-peering.toml");
    assert_eq!(n.name, "two-vpc-peering");
    assert_eq!(
        n.regions,
        vec![Region {
            name: "us-east-1".into()
        }]
    );
    assert_eq!(n.azs.len(), 2);
    assert_eq!(n.vpcs.len(), 2);
    let (a, b) = (VpcIdx(0), VpcIdx(1));
    assert_eq!(n.vpcs[0].id, "vpc-a");

    // vpc-a has no table marked main: AWS's implicit main table exists.
    let (main_a, t) = rtb(&n, "rtb-main-a");
    assert!(t.is_main && t.vpc == a);
    assert_eq!(n.vpcs[0].main_route_table, main_a);
    assert_eq!(
        t.routes,
        vec![Route {
            destination: cidr("10.0.0.0/16"),
            target: RouteTarget::Local,
            propagated: false
        }]
    );
    // vpc-b's main table is the declared one.
    let (main_b, _) = rtb(&n, "rtb-b-main");
    assert_eq!(n.vpcs[1].main_route_table, main_b);

    // Local route first, then the user's routes.
    let (app_rtb, t) = rtb(&n, "rtb-a-app");
    assert_eq!(t.routes.len(), 2);
    assert_eq!(t.routes[0].target, RouteTarget::Local);
    assert_eq!(
        t.routes[1],
        Route {
            destination: cidr("10.1.0.0/16"),
            target: RouteTarget::Peering(PcxIdx(0)),
            propagated: false
        }
    );

    // Associations: explicit, and defaults (main table, default NACL).
    let s = |id: &str| n.subnets.iter().find(|s| s.id == id).expect(id);
    assert_eq!(s("subnet-a-app").route_table, app_rtb);
    assert_eq!(s("subnet-b-db").route_table, main_b);
    assert_eq!(s("subnet-b-db").nacl, n.vpcs[1].default_nacl);
    assert_eq!(n.nacl(n.vpcs[1].default_nacl).id, "acl-default-b");
    assert!(n.nacl(n.vpcs[1].default_nacl).is_default);

    // Default NACL allows all, rule 100, both directions (no IPv6 block: no 101).
    let acl = n.nacl(n.vpcs[0].default_nacl);
    for dir in [Direction::Inbound, Direction::Outbound] {
        assert_eq!(acl.rules(dir).len(), 1);
        let r = &acl.rules(dir)[0];
        assert_eq!(
            (r.number, r.action, r.traffic),
            (100, RuleAction::Allow, TrafficMatch::ALL)
        );
        assert_eq!(r.cidr, "0.0.0.0/0".parse::<ipnet::IpNet>().expect("net"));
    }

    // Default security group: inbound all from itself, outbound all to 0.0.0.0/0.
    let dsg_ix = n.vpcs[0].default_sg;
    let dsg = n.sg(dsg_ix);
    assert!(dsg.is_default && dsg.name == "default" && dsg.vpc == a);
    assert_eq!(dsg.ingress.len(), 1);
    assert_eq!(dsg.ingress[0].peer, SgPeer::Group(dsg_ix));
    assert_eq!(dsg.egress.len(), 1);
    assert_eq!(
        dsg.egress[0].peer,
        SgPeer::Cidr("0.0.0.0/0".parse().expect("net"))
    );

    // A group referencing the app's group across the same-region peering.
    let sg = |id: &str| {
        n.security_groups
            .iter()
            .position(|g| g.id == id)
            .map(|p| SgIdx(p as u32))
            .expect(id)
    };
    let db = n.sg(sg("sg-db"));
    assert_eq!(db.vpc, b);
    assert_eq!(db.ingress[0].peer, SgPeer::Group(sg("sg-app")));
    assert_eq!(
        db.ingress[0].traffic.ports,
        PortRange {
            from: 5432,
            to: 5432
        }
    );
    assert_eq!(
        db.ingress[1].traffic.icmp,
        IcmpMatch {
            icmp_type: Some(8),
            code: None
        }
    );
    // Omitted egress: AWS's default allow-all egress.
    assert_eq!(db.egress.len(), 1);
    assert_eq!(db.egress[0].traffic, TrafficMatch::ALL);

    // Instances and ENIs.
    assert_eq!(n.instances.len(), 3);
    assert_eq!(n.instances[0].name, "app");
    let app = n.endpoint_by_name("app").expect("app");
    let Endpoint::Eni(e) = app else {
        panic!("app is an ENI")
    };
    let eni = n.eni(e);
    assert_eq!(eni.id, "eni-app");
    assert_eq!(eni.private_ip, Ipv4Addr::new(10, 0, 1, 10));
    assert_eq!(eni.mtu, 9001);
    assert!(eni.source_dest_check);
    assert_eq!(eni.vpc, a);
    assert_eq!(eni.security_groups, vec![sg("sg-app")]);
    assert_eq!(eni.mac, Eni::mac_for_index(e.ix()));
    assert_eq!(
        n.eni_by_ip(b, IpAddr::V4(Ipv4Addr::new(10, 1, 1, 20))),
        n.endpoint_by_name("db").and_then(|e| match e {
            Endpoint::Eni(i) => Some(i),
            Endpoint::External(_) => None,
        })
    );

    // The peering: same region → 9001.
    let p = n.peering(PcxIdx(0));
    assert_eq!(
        (p.requester, p.accepter, p.status, p.mtu, p.inter_region),
        (a, b, PeeringStatus::Active, 9001, false)
    );

    // The implicit internet host.
    assert_eq!(n.external_hosts.len(), 1);
    assert_eq!(n.external_hosts[0].name, "internet");
    assert_eq!(n.external_hosts[0].site, ExternalSite::Internet);

    // Flows, their defaults and expectations.
    assert_eq!(n.flows.len(), 5);
    let f = &n.flows[0];
    assert_eq!(
        (f.kind, f.count, f.size, f.df, f.rate_pps, f.start_ns, f.port),
        (FlowKind::Ping, 5, 56, false, 10.0, 0, 0)
    );
    assert_eq!(f.expect, Some(Expectation::Delivered));
    let f = &n.flows[1];
    assert_eq!(
        (f.kind, f.bytes, f.port, f.df, f.start_ns),
        (FlowKind::Tcp, 1_000_000, 5432, true, 100_000_000)
    );
    assert_eq!(
        n.flows[3].expect,
        Some(Expectation::Dropped(DropReason::NoRoute))
    );
    assert_eq!(
        n.flows[4].expect,
        Some(Expectation::Dropped(DropReason::SgNoMatch))
    );
}

#[test]
fn inter_region_peering_defaults_to_1500_and_latency_is_overridable() {
    let n = example("inter-region-mtu.toml");
    let p = &n.peerings[0];
    assert!(p.inter_region);
    assert_eq!(p.mtu, 1500);
    assert_eq!(
        n.latency.between_regions("eu-west-1", "us-east-1"),
        38_000_000
    );
    assert_eq!(n.latency.same_az_ns, 100_000);
    assert_eq!(n.regions.len(), 2);
    let udp = &n.flows[0];
    assert_eq!(
        (udp.size, udp.df, udp.count, udp.rate_pps),
        (8000, false, 10, 100.0)
    );
    assert!(n.flows[1].df);
}

#[test]
fn gateways_and_external_hosts_compile() {
    let n = example("edge-to-edge.toml");
    let a = VpcIdx(0);
    assert_eq!(n.vpcs[0].internet_gateway, Some(IgwIdx(0)));
    assert_eq!(n.internet_gateways[0].vpc, Some(a));
    assert_eq!(n.nat_gateways[0].vpc, a);
    assert_eq!(n.nat_gateways[0].public_ip, Ipv4Addr::new(3, 3, 3, 3));
    let vgw = &n.vpn_gateways[0];
    assert_eq!(
        (vgw.vpc, vgw.mtu, vgw.latency_ns),
        (Some(a), 1500, 8_000_000)
    );
    // Declared internet host: not added a second time.
    assert_eq!(
        n.external_hosts
            .iter()
            .filter(|h| h.name == "internet")
            .count(),
        1
    );
    let onprem = n
        .external_hosts
        .iter()
        .find(|h| h.name == "onprem-server")
        .expect("host");
    assert_eq!(onprem.site, ExternalSite::OnPrem(VgwIdx(0)));
    let (_, t) = rtb(&n, "rtb-a-private");
    assert!(t
        .routes
        .iter()
        .any(|r| r.target == RouteTarget::NatGateway(NatIdx(0))));
    assert!(t
        .routes
        .iter()
        .any(|r| r.target == RouteTarget::VpnGateway(VgwIdx(0))));
    let eni = n.enis.iter().find(|e| e.id == "eni-a-web").expect("eni");
    assert_eq!(eni.public_ip, Some(Ipv4Addr::new(54, 1, 2, 3)));
}

#[test]
fn every_example_loads() {
    for f in [
        "nacl-ephemeral.toml",
        "shared-services.toml",
        "transitive-peering.toml",
    ] {
        let n = example(f);
        assert!(!n.flows.is_empty());
        assert!(n.flows.iter().all(|f| f.expect.is_some()));
    }
    let n = example("nacl-ephemeral.toml");
    let acl = n
        .nacls
        .iter()
        .find(|a| a.id == "acl-db-broken")
        .expect("acl");
    assert!(!acl.is_default);
    assert_eq!(
        acl.outbound[0].traffic.ports,
        PortRange {
            from: 5432,
            to: 5432
        }
    );
    assert_eq!(
        acl.outbound[0].traffic.protocol,
        ProtocolMatch::Number(proto::TCP)
    );
    // An instance without security_groups gets its VPC's default group.
    let client = n
        .enis
        .iter()
        .find(|e| e.id == "eni-client")
        .expect("client");
    assert_eq!(client.security_groups, vec![n.vpcs[0].default_sg]);
}
