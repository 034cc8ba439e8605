use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::wire::test_support::*;
use crate::wire::{parse_frame, verify_checksums, FragmentKind};

fn all_transports() -> [Transport; 5] {
    [
        tcp(0x02),
        tcp(0xff),
        UDP,
        ECHO,
        Transport::Echo {
            id: 9,
            seq: 65535,
            reply: true,
        },
    ]
}

#[test]
fn every_transport_and_family_builds_with_valid_checksums() {
    for v6 in [false, true] {
        for transport in all_transports() {
            for len in [0, 1, 7, 100, 1400] {
                let f = build_packet(&spec(v6, transport, len)).unwrap();
                assert!(oracle_checksums_ok(&f), "{v6} {transport:?} {len}");
                assert_eq!(verify_checksums(&f), Ok(()), "{v6} {transport:?} {len}");
                let key = parse_frame(&f).unwrap();
                assert_eq!(key.fragment, FragmentKind::Whole);
                assert_eq!(f.len(), 14 + usize::from(key.ip_len));
                assert_eq!(&f[0..6], &MAC_B, "destination MAC first");
                assert_eq!(&f[6..12], &MAC_A);
            }
        }
    }
}

#[test]
fn fields_come_from_the_spec() {
    let mut s = spec(false, tcp(0x11), 10);
    s.dont_fragment = true;
    s.identification = 0;
    s.ttl = 3;
    let f = build_packet(&s).unwrap();
    let key = parse_frame(&f).unwrap();
    assert!(key.dont_fragment);
    assert_eq!(key.tcp_flags, 0x11);
    assert_eq!(&f[18..20], &[0, 0], "identification");
    assert_eq!(f[22], 3, "ttl");
    let tcp = &f[34..];
    assert_eq!(&tcp[4..8], &1000u32.to_be_bytes(), "seq");
    assert_eq!(&tcp[8..12], &2000u32.to_be_bytes(), "ack");
    let mut s6 = spec(true, UDP, 0);
    s6.ttl = 9;
    assert_eq!(build_packet(&s6).unwrap()[21], 9, "hop limit");
}

#[test]
fn ipv6_echo_is_icmpv6_and_ipv4_echo_is_icmp() {
    let f = frame(true, ECHO, 8);
    assert_eq!(f[20], 58, "next header ICMPv6");
    assert_eq!(f[54], 128, "echo request");
    assert_eq!(&f[58..60], &0x1234u16.to_be_bytes(), "identifier");
    let f = frame(false, ECHO, 8);
    assert_eq!(f[23], 1, "protocol ICMP");
    assert_eq!(f[34], 8, "echo request");
    assert_eq!(&f[38..40], &0x1234u16.to_be_bytes(), "identifier");
}

#[test]
fn payload_is_a_deterministic_pattern() {
    let a = frame(false, UDP, 600);
    assert_eq!(a, frame(false, UDP, 600));
    let payload = &a[14 + 20 + 8..];
    assert_eq!(payload.len(), 600);
    for (i, b) in payload.iter().enumerate() {
        assert_eq!(*b, payload_byte(i));
    }
    assert_eq!(payload[251], 0);
    assert_eq!(payload[250], 250);
}

#[test]
fn mixed_families_and_oversized_payloads_are_errors() {
    let mut s = spec(false, UDP, 0);
    s.dst = IpAddr::V6(V6_B);
    assert!(build_packet(&s).is_err());
    s.src = IpAddr::V6(V6_A);
    s.dst = IpAddr::V4(Ipv4Addr::LOCALHOST);
    assert!(build_packet(&s).is_err());
    assert!(build_packet(&spec(false, UDP, 65_535 - 28 + 1)).is_err());
    assert!(build_packet(&spec(false, UDP, 65_535 - 28)).is_ok());
    assert!(build_packet(&spec(true, UDP, 65_535 - 8 + 1)).is_err());
    assert!(
        build_packet(&spec(true, UDP, usize::MAX)).is_err(),
        "no huge allocation"
    );
}
