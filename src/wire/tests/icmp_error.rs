use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::wire::test_support::*;
use crate::wire::{fragment_ipv4, parse_frame, verify_checksums, FragmentKind};

const ROUTER4: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 1);
const ROUTER6: Ipv6Addr = Ipv6Addr::new(0x2600, 0x1f18, 0, 1, 0, 0, 0, 1);

fn df_frame(transport: crate::wire::Transport, len: usize) -> Vec<u8> {
    let mut s = spec(false, transport, len);
    s.dont_fragment = true;
    crate::wire::build_packet(&s).unwrap()
}

#[test]
fn frag_needed_contents() {
    let original = df_frame(tcp(0x18), 2000);
    let icmp = icmpv4_frag_needed(&original, ROUTER4, 1500).unwrap();
    assert_eq!(
        &icmp[0..6],
        &original[6..12],
        "back to the original source MAC"
    );
    assert_eq!(
        &icmp[6..12],
        &original[0..6],
        "from the original destination MAC"
    );
    let key = parse_frame(&icmp).unwrap();
    assert_eq!(key.src, IpAddr::V4(ROUTER4));
    assert_eq!(key.dst, IpAddr::V4(V4_A));
    assert_eq!((key.protocol, key.icmp_type, key.icmp_code), (1, 3, 4));
    let body = &icmp[34..];
    assert_eq!(&body[4..6], &[0, 0], "unused");
    assert_eq!(&body[6..8], &1500u16.to_be_bytes(), "next-hop MTU");
    assert_eq!(
        &body[8..],
        &original[14..14 + 20 + 8],
        "IP header + 8 bytes"
    );
    assert_eq!(usize::from(key.ip_len), 20 + 8 + 28);
    assert_eq!(verify_checksums(&icmp), Ok(()));
    assert!(oracle_checksums_ok(&icmp));
}

#[test]
fn frag_needed_quotes_options_and_short_payloads() {
    let options = [0x83, 7, 4, 10, 9, 9, 9, 0];
    let original = ipv4_frame_with_options(&options, 17, &frame(false, UDP, 2000)[34..]);
    let icmp = icmpv4_frag_needed(&original, ROUTER4, 576).unwrap();
    assert_eq!(&icmp[42..], &original[14..14 + 28 + 8]);
    // A payload shorter than 8 bytes is quoted whole.
    let tiny = ipv4_frame_with_options(&[], 47, &[1, 2, 3]);
    let icmp = icmpv4_frag_needed(&tiny, ROUTER4, 68).unwrap();
    assert_eq!(&icmp[42..], &tiny[14..]);
    assert_eq!(verify_checksums(&icmp), Ok(()));
}

#[test]
fn frag_needed_about_an_echo_is_sent_about_an_error_is_not() {
    assert!(icmpv4_frag_needed(&df_frame(ECHO, 3000), ROUTER4, 1500).is_ok());
    let error = icmpv4_frag_needed(&df_frame(UDP, 3000), ROUTER4, 1500).unwrap();
    assert_eq!(
        icmpv4_frag_needed(&error, ROUTER4, 68),
        Err(Malformed("no ICMP error about an ICMP error"))
    );
}

#[test]
fn frag_needed_not_for_non_first_fragments_or_bad_sources() {
    let mut frags = Vec::new();
    fragment_ipv4(&frame(false, UDP, 3000), 1500, &mut frags).unwrap();
    assert!(icmpv4_frag_needed(&frags[0], ROUTER4, 576).is_ok());
    assert_eq!(
        parse_frame(&frags[1]).unwrap().fragment,
        FragmentKind::NonFirst
    );
    assert!(icmpv4_frag_needed(&frags[1], ROUTER4, 576).is_err());
    for src in [
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::BROADCAST,
        Ipv4Addr::new(224, 0, 0, 5),
    ] {
        let mut s = spec(false, UDP, 2000);
        s.src = IpAddr::V4(src);
        let f = crate::wire::build_packet(&s).unwrap();
        assert!(icmpv4_frag_needed(&f, ROUTER4, 1500).is_err(), "{src}");
    }
    let mut s = spec(false, UDP, 2000);
    s.dst = IpAddr::V4(Ipv4Addr::new(239, 1, 1, 1));
    assert!(icmpv4_frag_needed(&crate::wire::build_packet(&s).unwrap(), ROUTER4, 1500).is_err());
}

#[test]
fn frag_needed_rejects_bad_input() {
    let v6 = frame(true, UDP, 2000);
    assert_eq!(
        icmpv4_frag_needed(&v6, ROUTER4, 1500),
        Err(Malformed("not an IPv4 frame"))
    );
    let f = df_frame(UDP, 100);
    for len in 0..f.len() {
        assert!(icmpv4_frag_needed(&f[..len], ROUTER4, 68).is_err());
    }
}

#[test]
fn packet_too_big_quotes_up_to_1280_bytes() {
    let original = frame(true, UDP, 8000);
    let ptb = icmpv6_packet_too_big(&original, ROUTER6, 1500).unwrap();
    assert_eq!(&ptb[0..6], &original[6..12]);
    assert_eq!(&ptb[6..12], &original[0..6]);
    assert_eq!(ptb.len(), 14 + 1280, "exactly the IPv6 minimum MTU");
    let key = parse_frame(&ptb).unwrap();
    assert_eq!(key.src, IpAddr::V6(ROUTER6));
    assert_eq!(key.dst, IpAddr::V6(V6_A));
    assert_eq!((key.protocol, key.icmp_type, key.icmp_code), (58, 2, 0));
    assert_eq!(&ptb[58..62], &1500u32.to_be_bytes(), "MTU field");
    assert_eq!(&ptb[62..], &original[14..14 + 1232]);
    assert_eq!(verify_checksums(&ptb), Ok(()));
    assert!(oracle_checksums_ok(&ptb));
}

#[test]
fn packet_too_big_quotes_a_small_packet_whole() {
    let original = frame(true, tcp(0x10), 100);
    let ptb = icmpv6_packet_too_big(&original, ROUTER6, 1280).unwrap();
    assert_eq!(&ptb[62..], &original[14..]);
    assert_eq!(verify_checksums(&ptb), Ok(()));
}

#[test]
fn packet_too_big_rules() {
    assert!(icmpv6_packet_too_big(&frame(true, ECHO, 2000), ROUTER6, 1500).is_ok());
    let ptb = icmpv6_packet_too_big(&frame(true, UDP, 2000), ROUTER6, 1500).unwrap();
    assert_eq!(
        icmpv6_packet_too_big(&ptb, ROUTER6, 1280),
        Err(Malformed("no ICMPv6 error about an ICMPv6 error"))
    );
    let mut s = spec(true, UDP, 2000);
    s.src = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    assert!(icmpv6_packet_too_big(&crate::wire::build_packet(&s).unwrap(), ROUTER6, 1500).is_err());
    // Packet Too Big is the one error also sent for multicast destinations.
    let mut s = spec(true, UDP, 2000);
    s.dst = IpAddr::V6(Ipv6Addr::new(0xff0e, 0, 0, 0, 0, 0, 0, 1));
    assert!(icmpv6_packet_too_big(&crate::wire::build_packet(&s).unwrap(), ROUTER6, 1500).is_ok());
    let v4 = frame(false, UDP, 2000);
    assert_eq!(
        icmpv6_packet_too_big(&v4, ROUTER6, 1500),
        Err(Malformed("not an IPv6 frame"))
    );
    let f = frame(true, UDP, 100);
    for len in 0..f.len() {
        assert!(icmpv6_packet_too_big(&f[..len], ROUTER6, 1280).is_err());
    }
}
