//! ICMP identity through the pipeline: echo flows keyed by identifier and
//! requester, errors admitted as related to the flow they quote (except path MTU
//! discovery's, which need an inbound rule, as AWS documents), and NAT (IGW 1:1
//! and NAT gateway) translating echo identifiers and error quotes.

use super::test_net::{frames, sg_all, sg_pmtud, TestNet};
use super::test_net::{internet, Internet};
use super::tests::{delivered, dropped, run};
use super::tests_edges::{ip, key};
use super::*;
use crate::model::{IcmpMatch, PortRange, ProtocolMatch, SgPeer, TrafficMatch};
use crate::wire::{ip_packet, quoted_flow, verify_checksums};
use etherparse::{icmpv4::DestUnreachableHeader, Icmpv4Type, PacketBuilder};
use std::net::Ipv4Addr;

fn sg_icmp(cidr: &str) -> SgRule {
    SgRule {
        traffic: TrafficMatch {
            protocol: ProtocolMatch::Number(proto::ICMP),
            ports: PortRange::ALL,
            icmp: IcmpMatch::ANY,
        },
        peer: SgPeer::Cidr(cidr.parse().unwrap()),
        description: String::new(),
    }
}

#[test]
fn an_echo_request_from_the_responder_is_not_a_reply() {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    let (sa, sb) = (t.subnet(v, "10.0.1.0/24", 0), t.subnet(v, "10.0.2.0/24", 0));
    // a admits nothing unsolicited; b admits ICMP.
    let closed = t.sg(v, vec![], vec![sg_all("0.0.0.0/0")]);
    let pingable = t.sg(v, vec![sg_icmp("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let a = t.eni(sa, "10.0.1.10", &[closed]);
    let b = t.eni(sb, "10.0.2.20", &[pingable]);
    let mut dp = Dataplane::new(&t.build());
    let ping = frames::echo_id("10.0.1.10", "10.0.2.20", 7, false);
    assert_eq!(
        delivered(&run(&mut dp, 0, Ingress::Eni(a), ping)).0,
        Egress::Eni(b)
    );
    let pong = frames::echo_id("10.0.2.20", "10.0.1.10", 7, true);
    assert_eq!(
        delivered(&run(&mut dp, 1, Ingress::Eni(b), pong)).0,
        Egress::Eni(a)
    );
    // b pinging a, same identifier: a new flow a's groups do not allow.
    let back = frames::echo_id("10.0.2.20", "10.0.1.10", 7, false);
    assert_eq!(
        dropped(&run(&mut dp, 2, Ingress::Eni(b), back)),
        DropDetail::SgNoMatch {
            eni: a,
            dir: Direction::Inbound
        }
    );
    // Nor does a reply with another identifier ride a's ping.
    let stray = frames::echo_id("10.0.2.20", "10.0.1.10", 8, true);
    assert_eq!(
        dropped(&run(&mut dp, 3, Ingress::Eni(b), stray)).reason(),
        DropReason::SgNoMatch
    );
}

#[test]
fn nat_gateway_keeps_two_pings_to_one_remote_apart() {
    let mut i = internet();
    let subnet = i.t.net.enis[i.private_eni.ix()].subnet;
    let sg = i.t.net.enis[i.private_eni.ix()].security_groups[0];
    let other = i.t.eni(subnet, "10.0.1.11", &[sg]);
    let mut dp = Dataplane::new(&i.t.net);
    let mut public_ids = Vec::new();
    for (n, src) in [(i.private_eni, "10.0.1.10"), (other, "10.0.1.11")] {
        let ping = frames::echo_id(src, "93.184.216.34", 1, false);
        let out = run(&mut dp, 0, Ingress::Eni(n), ping);
        let (_, frame, _, _) = delivered(&out);
        let k = key(frame);
        assert_eq!(k.src, ip("54.0.0.5"));
        verify_checksums(frame).unwrap();
        public_ids.push(k.icmp_id);
    }
    assert_ne!(public_ids[0], public_ids[1]);
    // Replies in reverse order each find their own instance, identifier restored.
    for (n, id) in [(other, public_ids[1]), (i.private_eni, public_ids[0])] {
        let pong = frames::echo_id("93.184.216.34", "54.0.0.5", id, true);
        let out = run(&mut dp, 1, Ingress::External(i.host), pong);
        let (to, frame, _, _) = delivered(&out);
        assert_eq!(to, Egress::Eni(n));
        assert_eq!(key(frame).icmp_id, 1);
        verify_checksums(frame).unwrap();
    }
}

/// A "fragmentation needed" error from `from` to `to`, quoting `about`.
fn frag_needed(from: &str, to: &str, about: &[u8]) -> Vec<u8> {
    unreachable(
        from,
        to,
        about,
        DestUnreachableHeader::FragmentationNeeded { next_hop_mtu: 1400 },
    )
}

/// A "port unreachable" error from `from` to `to`, quoting `about`.
fn port_unreachable(from: &str, to: &str, about: &[u8]) -> Vec<u8> {
    unreachable(from, to, about, DestUnreachableHeader::Port)
}

fn unreachable(from: &str, to: &str, about: &[u8], what: DestUnreachableHeader) -> Vec<u8> {
    let (from, to): (Ipv4Addr, Ipv4Addr) = (from.parse().unwrap(), to.parse().unwrap());
    let packet = ip_packet(about).unwrap();
    let quote = &packet[..(usize::from(packet[0] & 0x0f) * 4 + 8).min(packet.len())];
    let b = PacketBuilder::ethernet2(EXTERNAL_MAC, ROUTER_MAC)
        .ipv4(from.octets(), to.octets(), 64)
        .icmpv4(Icmpv4Type::DestinationUnreachable(what));
    let mut out = Vec::new();
    b.write(&mut out, quote).unwrap();
    out
}

/// The internet fixture with instances that admit nothing unsolicited.
fn closed_internet() -> Internet {
    let mut i = internet();
    let sg = i.t.net.enis[i.public_eni.ix()].security_groups[0];
    i.t.net.security_groups[sg.ix()].ingress.clear();
    i
}

#[test]
fn icmp_error_back_through_the_nat_gateway_is_translated_and_related() {
    let i = closed_internet();
    let mut dp = Dataplane::new(&i.t.net);
    let udp = frames::udp("10.0.1.10", "93.184.216.34", 40000, 53, 100, true);
    let out = run(&mut dp, 0, Ingress::Eni(i.private_eni), udp);
    let (_, sent, _, _) = delivered(&out);
    let public_port = key(sent).src_port;
    // The remote answers the translated packet.
    let error = port_unreachable("93.184.216.34", "54.0.0.5", sent);
    let out = run(&mut dp, 1, Ingress::External(i.host), error);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(
        to,
        Egress::Eni(i.private_eni),
        "related: no ICMP rule needed"
    );
    assert_eq!(key(frame).dst, ip("10.0.1.10"));
    let q = quoted_flow(frame).unwrap();
    assert_eq!((q.src, q.src_port), (ip("10.0.1.10"), 40000));
    verify_checksums(frame).unwrap();
    // A "fragmentation needed" about the same flow is translated too, but needs
    // an inbound rule (AWS: path MTU discovery is not admitted as related).
    let error = frag_needed("93.184.216.34", "54.0.0.5", sent);
    assert_eq!(
        dropped(&run(&mut dp, 1, Ingress::External(i.host), error)),
        DropDetail::SgNoMatch {
            eni: i.private_eni,
            dir: Direction::Inbound
        }
    );
    // An error about a port the gateway never mapped goes nowhere.
    let mut unmapped = sent.to_vec();
    let other = public_port.wrapping_add(1);
    unmapped[34..36].copy_from_slice(&other.to_be_bytes());
    let error = frag_needed("93.184.216.34", "54.0.0.5", &unmapped);
    assert_eq!(
        dropped(&run(&mut dp, 2, Ingress::External(i.host), error)).reason(),
        DropReason::UnknownDestination
    );
}

#[test]
fn icmp_error_back_through_the_internet_gateway_is_related_only_to_its_flow() {
    let i = closed_internet();
    let mut dp = Dataplane::new(&i.t.net);
    let syn = frames::tcp("10.0.0.10", "93.184.216.34", 40000, 443, 0x02, 0);
    let out = run(&mut dp, 0, Ingress::Eni(i.public_eni), syn);
    let (_, sent, _, _) = delivered(&out);
    let error = port_unreachable("93.184.216.34", "54.0.0.10", sent);
    let out = run(&mut dp, 1, Ingress::External(i.host), error);
    let (to, frame, _, _) = delivered(&out);
    assert_eq!(to, Egress::Eni(i.public_eni));
    let q = quoted_flow(frame).unwrap();
    assert_eq!(
        (q.src, q.src_port, q.dst_port),
        (ip("10.0.0.10"), 40000, 443)
    );
    verify_checksums(frame).unwrap();
    // The same error about a flow that was never opened needs a rule.
    let other = frames::tcp("54.0.0.10", "93.184.216.34", 40001, 443, 0x02, 0);
    let error = port_unreachable("93.184.216.34", "54.0.0.10", &other);
    assert_eq!(
        dropped(&run(&mut dp, 2, Ingress::External(i.host), error)),
        DropDetail::SgNoMatch {
            eni: i.public_eni,
            dir: Direction::Inbound
        }
    );
    // "Fragmentation needed" about the tracked flow needs the rule AWS documents
    // for path MTU discovery, and passes once the group has it.
    let error = frag_needed("93.184.216.34", "54.0.0.10", sent);
    assert_eq!(
        dropped(&run(&mut dp, 3, Ingress::External(i.host), error.clone())),
        DropDetail::SgNoMatch {
            eni: i.public_eni,
            dir: Direction::Inbound
        }
    );
    let mut net = i.t.net.clone();
    let sg = net.enis[i.public_eni.ix()].security_groups[0];
    net.security_groups[sg.ix()].ingress.push(sg_pmtud(false));
    let mut dp = Dataplane::new(&net);
    run(
        &mut dp,
        0,
        Ingress::Eni(i.public_eni),
        frames::tcp("10.0.0.10", "93.184.216.34", 40000, 443, 0x02, 0),
    );
    let out = run(&mut dp, 1, Ingress::External(i.host), error);
    assert_eq!(delivered(&out).0, Egress::Eni(i.public_eni));
}

#[test]
fn nat_port_exhaustion_is_conntrack_full_naming_the_gateway() {
    let i = internet();
    let d = DropDetail::NatPortsExhausted { nat: i.nat };
    assert_eq!(d.reason(), DropReason::ConntrackFull);
    let nat_id = i.t.net.nat_gateways[i.nat.ix()].id.clone();
    let text = d.display(&i.t.net).to_string();
    assert!(
        text.contains(&nat_id) && text.contains("source ports exhausted"),
        "{text}"
    );
    let k = key(&frames::udp("10.0.1.10", "93.184.216.34", 1, 2, 0, false));
    let hint = d.hint(&i.t.net, &k);
    assert!(hint.contains(&nat_id) && hint.contains("64512"), "{hint}");
}
