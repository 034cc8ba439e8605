use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{icmpv4::DestUnreachableHeader, Icmpv4Type, PacketBuilder};

use super::*;
use crate::wire::test_support::*;
use crate::wire::{icmpv4_frag_needed, icmpv6_packet_too_big, Transport};

fn df(v6: bool, t: Transport) -> Vec<u8> {
    let mut s = spec(v6, t, 2000);
    s.dont_fragment = true;
    crate::wire::build_packet(&s).unwrap()
}

#[test]
fn frag_needed_names_the_quoted_flow() {
    let icmp = icmpv4_frag_needed(&df(false, UDP), Ipv4Addr::new(10, 0, 1, 1), 1500).unwrap();
    let q = quoted_flow(&icmp).unwrap();
    assert_eq!((q.src, q.dst), (IpAddr::V4(V4_A), IpAddr::V4(V4_B)));
    assert_eq!((q.protocol, q.src_port, q.dst_port), (17, 40000, 53));
    assert!(q.dont_fragment);
    assert_eq!(q.ip_len, 2028);
}

#[test]
fn packet_too_big_names_the_quoted_echo() {
    let router = Ipv6Addr::new(0x2600, 0x1f18, 0, 1, 0, 0, 0, 1);
    let icmp = icmpv6_packet_too_big(&df(true, ECHO), router, 1280).unwrap();
    let q = quoted_flow(&icmp).unwrap();
    assert_eq!((q.src, q.dst), (IpAddr::V6(V6_A), IpAddr::V6(V6_B)));
    assert_eq!((q.protocol, q.icmp_type, q.icmp_id), (58, 128, 0x1234));
}

/// A destination-unreachable (port) error from V4_B to V4_A quoting `quote`.
fn unreachable(quote: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(MAC_B, MAC_A)
        .ipv4(V4_B.octets(), V4_A.octets(), 64)
        .icmpv4(Icmpv4Type::DestinationUnreachable(
            DestUnreachableHeader::Port,
        ));
    let mut out = Vec::new();
    b.write(&mut out, quote).unwrap();
    out
}

#[test]
fn short_or_missing_quotes_are_errors_not_panics() {
    let udp = frame(false, UDP, 20);
    let ip = &udp[ETHERNET_HEADER_LEN..];
    // IP header + 4 bytes is enough for ports; fewer is not.
    assert_eq!(quoted_flow(&unreachable(&ip[..24])).unwrap().dst_port, 53);
    for cut in [0, 10, 20, 23] {
        assert!(quoted_flow(&unreachable(&ip[..cut])).is_err(), "{cut}");
    }
    assert_eq!(
        quoted_flow(&frame(false, ECHO, 8)),
        Err(Malformed("not an ICMP error"))
    );
    assert!(quoted_flow(&udp).is_err());
}
