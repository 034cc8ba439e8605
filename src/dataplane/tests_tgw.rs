//! Transit gateway behaviour, one AWS rule per test, on small topologies loaded
//! from text: transitive routing, association vs propagation, static over
//! propagated, the AZ rule, attachment state, 8500 MTU with ICMP back only on VPC
//! attachments, VPN 1500, MSS clamping, TGW peering across regions.

use super::test_net::frames;
use super::*;
use crate::wire::{parse_frame, verify_checksums};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
};
use std::net::Ipv4Addr;

/// Three VPCs in us-east-1 (a: 10.1/16, b: 10.2/16, c: 10.3/16), one instance each
/// in us-east-1a (10.N.1.10), all open to 10/8 and routing 10/8 to tgw-1; vpc-a
/// also has an instance in us-east-1b (10.1.2.10), and an on-premises host
/// 192.168.1.10 sits behind a VPN attachment. `extra` adds attachments and tables.
fn topo(extra: &str) -> String {
    let mut t = String::from(
        r#"
[[transit_gateway]]
id = "tgw-1"
region = "us-east-1"
latency_ms = 0.05
"#,
    );
    for n in 1..=3 {
        let v = ["", "a", "b", "c"][n];
        t.push_str(&format!(
            r#"
[[vpc]]
id = "vpc-{v}"
region = "us-east-1"
cidr = "10.{n}.0.0/16"

[[subnet]]
id = "subnet-{v}1"
vpc = "vpc-{v}"
az = "us-east-1a"
cidr = "10.{n}.1.0/24"

[[subnet]]
id = "subnet-{v}2"
vpc = "vpc-{v}"
az = "us-east-1b"
cidr = "10.{n}.2.0/24"

[[route_table]]
id = "rtb-{v}"
vpc = "vpc-{v}"
main = true
routes = [{{ destination = "10.0.0.0/8", target = "tgw-1" }}, {{ destination = "192.168.0.0/16", target = "tgw-1" }}]

[[security_group]]
id = "sg-{v}"
vpc = "vpc-{v}"
ingress = [{{ protocol = "all", cidr = "10.0.0.0/8" }}, {{ protocol = "all", cidr = "192.168.0.0/16" }}]

[[instance]]
id = "i-{v}"
subnet = "subnet-{v}1"
private_ip = "10.{n}.1.10"
security_groups = ["sg-{v}"]
"#
        ));
    }
    t.push_str(
        r#"
[[instance]]
id = "i-a-1b"
subnet = "subnet-a2"
private_ip = "10.1.2.10"
security_groups = ["sg-a"]

[[host]]
name = "onprem"
ip = "192.168.1.10"
vgw = "tgw-attach-vpn"
mtu = 9001
"#,
    );
    t.push_str(extra);
    t
}

/// The three VPC attachments (a in both AZs, b and c in us-east-1a only) and the VPN.
const ATTACH_ALL: &str = r#"
[[tgw_attachment]]
id = "tgw-attach-a"
tgw = "tgw-1"
kind = "vpc"
vpc = "vpc-a"
subnets = ["subnet-a1", "subnet-a2"]

[[tgw_attachment]]
id = "tgw-attach-b"
tgw = "tgw-1"
kind = "vpc"
vpc = "vpc-b"
subnets = ["subnet-b1"]

[[tgw_attachment]]
id = "tgw-attach-c"
tgw = "tgw-1"
kind = "vpc"
vpc = "vpc-c"
subnets = ["subnet-c1"]

[[tgw_attachment]]
id = "tgw-attach-vpn"
tgw = "tgw-1"
kind = "vpn"
onprem_cidrs = ["192.168.0.0/16"]
latency_ms = 2
"#;

fn load(text: &str) -> Network {
    match crate::topology::load_str(text, "tgw-test.toml") {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    }
}

fn eni(net: &Network, ip: &str) -> EniIdx {
    let ip: Ipv4Addr = ip.parse().unwrap();
    EniIdx(net.enis.iter().position(|e| e.private_ip == ip).unwrap() as u32)
}

fn send(dp: &mut Dataplane, from: Ingress, frame: Vec<u8>) -> (Vec<Action>, Vec<Hop>) {
    let mut out = Vec::new();
    let mut hops = Vec::new();
    dp.process_traced(0, from, frame, &mut out, &mut hops);
    // Conservation: one frame in, one outcome (plus an ICMP error at most).
    let outcomes = out
        .iter()
        .filter(|a| matches!(a, Action::Deliver { .. } | Action::Drop { .. }))
        .count();
    assert_eq!(outcomes, 1, "{out:?}");
    (out, hops)
}

fn delivered_to(out: &[Action]) -> Option<(Egress, u64)> {
    out.iter().find_map(|a| match a {
        Action::Deliver { to, latency_ns, .. } => Some((*to, *latency_ns)),
        _ => None,
    })
}

fn drop_of(out: &[Action]) -> Option<DropDetail> {
    out.iter().find_map(|a| match a {
        Action::Drop { detail, .. } => Some(*detail),
        _ => None,
    })
}

fn ping(dp: &mut Dataplane, net: &Network, from: &str, to: &str) -> Vec<Action> {
    send(
        dp,
        Ingress::Eni(eni(net, from)),
        frames::echo(from, to, false),
    )
    .0
}

#[test]
fn routing_through_a_tgw_is_transitive() {
    let net = load(&topo(ATTACH_ALL));
    let mut dp = Dataplane::new(&net);
    for (from, to) in [
        ("10.1.1.10", "10.2.1.10"),
        ("10.2.1.10", "10.3.1.10"),
        ("10.3.1.10", "10.1.1.10"),
    ] {
        let out = ping(&mut dp, &net, from, to);
        let (dst, latency) = delivered_to(&out).unwrap_or_else(|| panic!("{out:?}"));
        assert_eq!(dst, Egress::Eni(eni(&net, to)));
        // Same AZ (0.1 ms) plus one TGW hop (0.05 ms).
        assert_eq!(latency, 150_000);
    }
    // And on premises behind the VPN attachment, both ways.
    let out = ping(&mut dp, &net, "10.2.1.10", "192.168.1.10");
    let host = net
        .external_hosts
        .iter()
        .position(|h| h.name == "onprem")
        .unwrap();
    assert_eq!(
        delivered_to(&out),
        Some((Egress::External(HostIdx(host as u32)), 2_050_000))
    );
    let reply = frames::echo("192.168.1.10", "10.2.1.10", true);
    let (out, _) = send(&mut dp, Ingress::External(HostIdx(host as u32)), reply);
    assert_eq!(
        delivered_to(&out).map(|d| d.0),
        Some(Egress::Eni(eni(&net, "10.2.1.10")))
    );
}

#[test]
fn association_decides_the_table_and_propagation_fills_it() {
    // a is associated with rt-a, into which only b propagates; c is associated
    // with rt-c, into which a and b propagate. So a reaches b but not c, while c
    // reaches a: association picks the table, propagation fills it.
    let extra = format!(
        r#"{ATTACH_ALL}
[[tgw_route_table]]
id = "tgw-rtb-a"
tgw = "tgw-1"
associations = ["tgw-attach-a"]
propagations = ["tgw-attach-b"]

[[tgw_route_table]]
id = "tgw-rtb-c"
tgw = "tgw-1"
associations = ["tgw-attach-c", "tgw-attach-b"]
propagations = ["tgw-attach-a", "tgw-attach-b"]
"#
    );
    let mut net = load(&topo(&extra).replace(
        "region = \"us-east-1\"\nlatency_ms = 0.05",
        "region = \"us-east-1\"\nlatency_ms = 0.05\ndefault_route_table_association = false\ndefault_route_table_propagation = false",
    ));
    let mut dp = Dataplane::new(&net);
    let out = ping(&mut dp, &net, "10.1.1.10", "10.2.1.10");
    assert!(delivered_to(&out).is_some(), "{out:?}");
    let out = ping(&mut dp, &net, "10.1.1.10", "10.3.1.10");
    let d = drop_of(&out).unwrap();
    assert_eq!(d.reason(), DropReason::TgwNoRoute);
    assert!(
        d.display(&net).to_string().contains("tgw-rtb-a"),
        "{}",
        d.display(&net)
    );
    let out = ping(&mut dp, &net, "10.3.1.10", "10.1.1.10");
    assert!(delivered_to(&out).is_some(), "{out:?}");
    // The VPN attachment is associated with nothing (defaults off).
    net.external_hosts.clear();
    let out = ping(&mut dp, &net, "10.1.1.10", "192.168.1.10");
    assert_eq!(
        drop_of(&out).map(|d| d.reason()),
        Some(DropReason::TgwNoRoute)
    );
}

#[test]
fn static_route_beats_propagated_for_the_same_prefix_and_longest_prefix_wins() {
    // The default table has b's propagated 10.2.0.0/16; a static 10.2.0.0/16 to c
    // overrides it; a static blackhole /24 inside it is longer still.
    let extra = format!(
        r#"{ATTACH_ALL}
[[tgw_route_table]]
id = "tgw-rtb-main"
tgw = "tgw-1"
default = true
routes = [
  {{ destination = "10.2.0.0/16", target = "tgw-attach-c" }},
  {{ destination = "10.2.9.0/24", target = "blackhole" }},
]
"#
    );
    let net = load(&topo(&extra));
    let table = &net.tgw_route_tables[0];
    assert!(table
        .routes
        .iter()
        .any(|r| r.propagated && r.destination.to_string() == "10.2.0.0/16"));
    let mut dp = Dataplane::new(&net);
    let (out, hops) = send(
        &mut dp,
        Ingress::Eni(eni(&net, "10.1.1.10")),
        frames::echo("10.1.1.10", "10.2.1.10", false),
    );
    // Sent to vpc-c, which has no 10.2.1.10.
    assert_eq!(
        drop_of(&out).map(|d| d.reason()),
        Some(DropReason::UnknownDestination)
    );
    let route = hops.iter().find_map(|h| match h {
        Hop::TgwRoute { rtb, route, .. } => {
            Some(net.tgw_route_tables[rtb.ix()].routes[*route as usize].clone())
        }
        _ => None,
    });
    let route = route.expect("a TGW route hop");
    assert!(!route.propagated);
    assert_eq!(route.target, TgwRouteTarget::Attachment(TgwAttIdx(2)));
    let out = ping(&mut dp, &net, "10.1.1.10", "10.2.9.10");
    assert_eq!(
        drop_of(&out).map(|d| d.reason()),
        Some(DropReason::TgwBlackhole)
    );
}

#[test]
fn traffic_enters_only_through_an_attachment_subnet_in_the_senders_az() {
    let net = load(&topo(ATTACH_ALL));
    let mut dp = Dataplane::new(&net);
    // vpc-a's attachment has a subnet in us-east-1b: fine.
    let out = ping(&mut dp, &net, "10.1.2.10", "10.2.1.10");
    assert!(delivered_to(&out).is_some(), "{out:?}");
    // Add an instance in vpc-b's us-east-1b, where its attachment has no subnet.
    let text = topo(ATTACH_ALL)
        + r#"
[[instance]]
id = "i-b-1b"
subnet = "subnet-b2"
private_ip = "10.2.2.10"
security_groups = ["sg-b"]
"#;
    let net = load(&text);
    let mut dp = Dataplane::new(&net);
    let out = ping(&mut dp, &net, "10.2.2.10", "10.1.1.10");
    let d = drop_of(&out).unwrap();
    assert_eq!(d.reason(), DropReason::TgwNoAttachmentInAz);
    assert_eq!(d.reason().code(), "TGW_NO_ATTACHMENT_IN_AZ");
    assert!(d
        .hint(
            &net,
            &parse_frame(&frames::echo("10.2.2.10", "10.1.1.10", false)).unwrap()
        )
        .contains("us-east-1b"));
}

#[test]
fn only_available_attachments_carry_traffic() {
    let text = topo(&ATTACH_ALL.replace(
        "id = \"tgw-attach-b\"\ntgw = \"tgw-1\"",
        "id = \"tgw-attach-b\"\ntgw = \"tgw-1\"\nstate = \"pending-acceptance\"",
    ));
    // b propagates nothing until it is available: the default table has no
    // route for vpc-b, and the drop names the withdrawn propagation.
    let net = load(&text);
    let mut dp = Dataplane::new(&net);
    let out = ping(&mut dp, &net, "10.1.1.10", "10.2.1.10");
    let d = drop_of(&out).unwrap();
    assert!(matches!(d, DropDetail::TgwNoRoute { .. }), "{d:?}");
    let shown = d.display(&net).to_string();
    assert!(
        shown.contains(
            "propagated by tgw-attach-b is withdrawn: the attachment is pending-acceptance"
        ),
        "{shown}"
    );
    // A static route to it stays, and drops at the attachment with its state.
    let net = load(&format!(
        "{text}\n[[tgw_route_table]]\nid = \"tgw-rtb-a\"\ntgw = \"tgw-1\"\nassociations = [\"tgw-attach-a\"]\nroutes = [{{ destination = \"10.2.0.0/16\", target = \"tgw-attach-b\" }}]\n"
    ));
    let mut dp = Dataplane::new(&net);
    let out = ping(&mut dp, &net, "10.1.1.10", "10.2.1.10");
    assert_eq!(
        drop_of(&out),
        Some(DropDetail::TgwAttachmentNotAvailable {
            att: TgwAttIdx(1),
            state: TgwAttachmentState::PendingAcceptance
        })
    );
}

/// The next-hop MTU an ICMPv4 "fragmentation needed" advertises.
fn icmp_mtu(frame: &[u8]) -> (u8, u8, u16) {
    let k = parse_frame(frame).unwrap();
    let ip = &frame[14..];
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    (
        k.icmp_type,
        k.icmp_code,
        u16::from_be_bytes([ip[ihl + 6], ip[ihl + 7]]),
    )
}

#[test]
fn too_big_for_8500_gets_icmp_back_on_a_vpc_attachment_and_is_never_fragmented() {
    let net = load(&topo(ATTACH_ALL));
    let mut dp = Dataplane::new(&net);
    let a = eni(&net, "10.1.1.10");
    // 8600 bytes, DF set: dropped, ICMP type 3 code 4 with MTU 8500 back to a.
    let big = frames::udp("10.1.1.10", "10.2.1.10", 5000, 5001, 8572, true);
    let (out, _) = send(&mut dp, Ingress::Eni(a), big);
    let d = drop_of(&out).unwrap();
    assert_eq!(d.reason(), DropReason::MtuExceeded);
    assert!(
        matches!(
            d,
            DropDetail::TgwMtuExceeded {
                link_mtu: 8500,
                packet: 8600,
                icmp: true,
                ..
            }
        ),
        "{d:?}"
    );
    let icmp = out.iter().find_map(|x| match x {
        Action::IcmpError { to, frame, .. } => Some((*to, frame.clone())),
        _ => None,
    });
    let (to, frame) = icmp.expect("an ICMP error");
    assert_eq!(to, Egress::Eni(a));
    assert_eq!(icmp_mtu(&frame), (3, 4, 8500));
    assert!(verify_checksums(&frame).is_ok());
    // DF clear: a TGW never fragments either, and there is nothing to say back.
    let big = frames::udp("10.1.1.10", "10.2.1.10", 5000, 5001, 8572, false);
    let (out, _) = send(&mut dp, Ingress::Eni(a), big);
    assert_eq!(
        drop_of(&out).map(|d| d.reason()),
        Some(DropReason::MtuExceeded)
    );
    assert!(!out.iter().any(|x| matches!(x, Action::IcmpError { .. })));
    // 8500 bytes fit.
    let fits = frames::udp("10.1.1.10", "10.2.1.10", 5000, 5001, 8472, true);
    let (out, _) = send(&mut dp, Ingress::Eni(a), fits);
    assert!(delivered_to(&out).is_some(), "{out:?}");
}

#[test]
fn vpn_attachment_is_1500_and_too_big_from_it_is_dropped_silently() {
    let net = load(&topo(ATTACH_ALL));
    let mut dp = Dataplane::new(&net);
    let a = eni(&net, "10.1.1.10");
    // From a VPC towards the VPN: 1600 bytes DF → ICMP with MTU 1500 (entered on a
    // VPC attachment).
    let big = frames::udp("10.1.1.10", "192.168.1.10", 5000, 5001, 1572, true);
    let (out, _) = send(&mut dp, Ingress::Eni(a), big);
    let icmp = out.iter().find_map(|x| match x {
        Action::IcmpError { frame, .. } => Some(frame.clone()),
        _ => None,
    });
    assert_eq!(icmp_mtu(&icmp.expect("ICMP back")), (3, 4, 1500));
    // From on premises (a 9001-MTU host) through the VPN attachment: no ICMP.
    let h = HostIdx(
        net.external_hosts
            .iter()
            .position(|h| h.name == "onprem")
            .unwrap() as u32,
    );
    let big = frames::udp("192.168.1.10", "10.1.1.10", 5000, 5001, 1572, true);
    let (out, _) = send(&mut dp, Ingress::External(h), big);
    assert!(
        matches!(
            drop_of(&out),
            Some(DropDetail::TgwMtuExceeded {
                icmp: false,
                link_mtu: 1500,
                ..
            })
        ),
        "{out:?}"
    );
    assert!(!out.iter().any(|x| matches!(x, Action::IcmpError { .. })));
}

/// A TCP SYN from 10.1.1.10:40000 to 10.2.1.10:5001 advertising MSS `mss`.
fn syn_with_mss(mss: u16) -> Vec<u8> {
    let (src, dst) = (Ipv4Addr::new(10, 1, 1, 10), Ipv4Addr::new(10, 2, 1, 10));
    let tcp = TcpRepr {
        src_port: 40000,
        dst_port: 5001,
        control: TcpControl::Syn,
        seq_number: TcpSeqNumber(1000),
        ack_number: None,
        window_len: 64240,
        window_scale: Some(7),
        max_seg_size: Some(mss),
        sack_permitted: true,
        sack_ranges: [None; 3],
        timestamp: None,
        payload: &[],
    };
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Tcp,
        payload_len: tcp.buffer_len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; 14 + ip.buffer_len() + tcp.buffer_len()];
    buf[12..14].copy_from_slice(&[0x08, 0x00]);
    let caps = ChecksumCapabilities::default();
    let mut p = Ipv4Packet::new_unchecked(&mut buf[14..]);
    ip.emit(&mut p, &caps);
    p.set_dont_frag(true);
    p.fill_checksum();
    let mut t = TcpPacket::new_unchecked(p.payload_mut());
    tcp.emit(&mut t, &IpAddress::Ipv4(src), &IpAddress::Ipv4(dst), &caps);
    buf
}

fn mss_of(frame: &[u8]) -> Option<u16> {
    let p = Ipv4Packet::new_checked(&frame[14..]).ok()?;
    let t = TcpPacket::new_checked(p.payload()).ok()?;
    let r = TcpRepr::parse(
        &t,
        &IpAddress::Ipv4(p.src_addr()),
        &IpAddress::Ipv4(p.dst_addr()),
        &ChecksumCapabilities::default(),
    )
    .ok()?;
    r.max_seg_size
}

#[test]
fn tgw_clamps_the_mss_of_syns_to_fit_8500_with_a_valid_checksum() {
    let net = load(&topo(ATTACH_ALL));
    let mut dp = Dataplane::new(&net);
    let a = eni(&net, "10.1.1.10");
    let (out, hops) = send(&mut dp, Ingress::Eni(a), syn_with_mss(8961));
    let Some(Action::Deliver { frame, .. }) = out.first() else {
        panic!("{out:?}")
    };
    // TcpRepr::parse checks the checksum: a stale one would give None.
    assert_eq!(mss_of(frame), Some(8460));
    assert!(verify_checksums(frame).is_ok());
    assert!(hops.contains(&Hop::MssClamp {
        from: 8961,
        to: 8460
    }));
    // An MSS that already fits is left alone.
    let (out, hops) = send(&mut dp, Ingress::Eni(a), syn_with_mss(1460));
    let Some(Action::Deliver { frame, .. }) = out.first() else {
        panic!("{out:?}")
    };
    assert_eq!(mss_of(frame), Some(1460));
    assert!(!hops.iter().any(|h| matches!(h, Hop::MssClamp { .. })));
}

#[test]
fn tgw_peering_crosses_regions_with_static_routes() {
    let text = format!(
        r#"{ATTACH_ALL}
[[transit_gateway]]
id = "tgw-eu"
region = "eu-west-1"
latency_ms = 0.05

[[vpc]]
id = "vpc-eu"
region = "eu-west-1"
cidr = "10.9.0.0/16"

[[subnet]]
id = "subnet-eu"
vpc = "vpc-eu"
az = "eu-west-1a"
cidr = "10.9.1.0/24"

[[route_table]]
id = "rtb-eu"
vpc = "vpc-eu"
main = true
routes = [{{ destination = "10.0.0.0/8", target = "tgw-eu" }}]

[[security_group]]
id = "sg-eu"
vpc = "vpc-eu"
ingress = [{{ protocol = "all", cidr = "10.0.0.0/8" }}]

[[instance]]
id = "i-eu"
subnet = "subnet-eu"
private_ip = "10.9.1.10"
security_groups = ["sg-eu"]

[[tgw_attachment]]
id = "tgw-attach-eu"
tgw = "tgw-eu"
kind = "vpc"
vpc = "vpc-eu"
subnets = ["subnet-eu"]

[[tgw_attachment]]
id = "tgw-attach-peer"
tgw = "tgw-1"
kind = "peering"
peer_tgw = "tgw-eu"

[[tgw_route_table]]
id = "tgw-rtb-us"
tgw = "tgw-1"
default = true
routes = [{{ destination = "10.9.0.0/16", target = "tgw-attach-peer" }}]

[[tgw_route_table]]
id = "tgw-rtb-eu"
tgw = "tgw-eu"
default = true
routes = [{{ destination = "10.1.0.0/16", target = "tgw-attach-peer" }}]
"#
    );
    let net = load(&topo(&text));
    let mut dp = Dataplane::new(&net);
    let out = ping(&mut dp, &net, "10.1.1.10", "10.9.1.10");
    let (to, latency) = delivered_to(&out).unwrap_or_else(|| panic!("{out:?}"));
    assert_eq!(to, Egress::Eni(eni(&net, "10.9.1.10")));
    // us-east-1 ↔ eu-west-1 (40 ms) plus two TGW hops.
    assert_eq!(latency, 40_000_000 + 100_000);
    let out = ping(&mut dp, &net, "10.9.1.10", "10.1.1.10");
    assert!(delivered_to(&out).is_some(), "{out:?}");
    // No static route back to vpc-b on tgw-eu: peering does not propagate.
    let out = ping(&mut dp, &net, "10.9.1.10", "10.2.1.10");
    assert_eq!(
        drop_of(&out).map(|d| d.reason()),
        Some(DropReason::TgwNoRoute)
    );
}

#[test]
fn tgw_drop_details_do_not_grow_the_actions_of_the_vpc_hot_path() {
    // Every `Action` carries a `DropDetail`; the TGW variants must not make it
    // larger than the VPC ones (`NoRoute`: a table index and an address).
    assert!(std::mem::size_of::<DropDetail>() <= 24);
    assert!(std::mem::size_of::<Action>() <= 64);
}

/// An inspection VPC (vpc-a) whose attachment subnets route everything to a
/// firewall instance in their own AZ (fw-1a 10.1.1.50, fw-1b 10.1.2.50, source/
/// destination check off); spokes b (us-east-1a) and c (an instance in
/// us-east-1b) are associated with a table sending everything to vpc-a.
fn inspection(appliance_mode: bool) -> Network {
    let extra = format!(
        r#"
[[tgw_attachment]]
id = "tgw-attach-a"
tgw = "tgw-1"
kind = "vpc"
vpc = "vpc-a"
subnets = ["subnet-a1", "subnet-a2"]
appliance_mode = {appliance_mode}

[[tgw_attachment]]
id = "tgw-attach-b"
tgw = "tgw-1"
kind = "vpc"
vpc = "vpc-b"
subnets = ["subnet-b1"]

[[tgw_attachment]]
id = "tgw-attach-c"
tgw = "tgw-1"
kind = "vpc"
vpc = "vpc-c"
subnets = ["subnet-c1", "subnet-c2"]

[[tgw_attachment]]
id = "tgw-attach-vpn"
tgw = "tgw-1"
kind = "vpn"
onprem_cidrs = ["192.168.0.0/16"]

[[tgw_route_table]]
id = "tgw-rtb-spokes"
tgw = "tgw-1"
associations = ["tgw-attach-b", "tgw-attach-c"]
routes = [{{ destination = "0.0.0.0/0", target = "tgw-attach-a" }}]

[[tgw_route_table]]
id = "tgw-rtb-inspection"
tgw = "tgw-1"
associations = ["tgw-attach-a"]
propagations = ["tgw-attach-b", "tgw-attach-c"]

[[route_table]]
id = "rtb-a1"
vpc = "vpc-a"
routes = [{{ destination = "10.0.0.0/8", target = "i-fw-1a" }}]

[[route_table]]
id = "rtb-a2"
vpc = "vpc-a"
routes = [{{ destination = "10.0.0.0/8", target = "i-fw-1b" }}]

[[instance]]
id = "i-fw-1a"
subnet = "subnet-a1"
private_ip = "10.1.1.50"
source_dest_check = false
security_groups = ["sg-a"]

[[instance]]
id = "i-fw-1b"
subnet = "subnet-a2"
private_ip = "10.1.2.50"
source_dest_check = false
security_groups = ["sg-a"]

[[instance]]
id = "i-c-1b"
subnet = "subnet-c2"
private_ip = "10.3.2.10"
security_groups = ["sg-c"]
"#
    );
    let text = topo(&extra)
        .replace(
            "id = \"subnet-a1\"\n",
            "id = \"subnet-a1\"\nroute_table = \"rtb-a1\"\n",
        )
        .replace(
            "id = \"subnet-a2\"\n",
            "id = \"subnet-a2\"\nroute_table = \"rtb-a2\"\n",
        );
    load(&text)
}

/// The firewall a frame between b (us-east-1a) and c's us-east-1b instance
/// reached: they do not forward, so the frame ends there, naming it.
fn firewall_reached(dp: &mut Dataplane, net: &Network, frame: Vec<u8>, from: &str) -> EniIdx {
    let (out, _) = send(dp, Ingress::Eni(eni(net, from)), frame);
    match drop_of(&out) {
        Some(DropDetail::NotForwarded { eni }) => eni,
        other => panic!("expected the frame at a firewall, got {other:?}: {out:?}"),
    }
}

#[test]
fn without_appliance_mode_each_direction_leaves_in_its_senders_az() {
    let net = inspection(false);
    let mut dp = Dataplane::new(&net);
    let there = frames::echo("10.2.1.10", "10.3.2.10", false);
    let back = frames::echo("10.3.2.10", "10.2.1.10", true);
    assert_eq!(
        firewall_reached(&mut dp, &net, there, "10.2.1.10"),
        eni(&net, "10.1.1.50")
    );
    // The reply enters the TGW in us-east-1b and leaves vpc-a's attachment there:
    // the other firewall, which never saw the request (asymmetric).
    assert_eq!(
        firewall_reached(&mut dp, &net, back, "10.3.2.10"),
        eni(&net, "10.1.2.50")
    );
}

#[test]
fn appliance_mode_keeps_both_directions_of_a_flow_in_one_az() {
    let net = inspection(true);
    let mut dp = Dataplane::new(&net);
    let mut seen = std::collections::BTreeSet::new();
    for id in 1..=16u16 {
        let there = frames::echo_id("10.2.1.10", "10.3.2.10", id, false);
        let back = frames::echo_id("10.3.2.10", "10.2.1.10", id, true);
        let a = firewall_reached(&mut dp, &net, there, "10.2.1.10");
        let b = firewall_reached(&mut dp, &net, back, "10.3.2.10");
        assert_eq!(a, b, "flow {id}: both directions through one firewall");
        // The same flow again: the same AZ for its life.
        let again = frames::echo_id("10.2.1.10", "10.3.2.10", id, false);
        assert_eq!(firewall_reached(&mut dp, &net, again, "10.2.1.10"), a);
        seen.insert(a);
    }
    // Flows are spread over both AZs by their hash, not all pinned to one.
    assert_eq!(seen.len(), 2, "{seen:?}");
}
