use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::wire::test_support::*;
use crate::wire::{
    fragment_ipv4, parse_frame, reassemble_ipv4, verify_checksums, FragmentKind, Transport,
};

const PUBLIC: Ipv4Addr = Ipv4Addr::new(54, 12, 34, 56);
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 99);

fn assert_valid(f: &[u8]) {
    assert_eq!(verify_checksums(f), Ok(()));
    assert!(
        oracle_checksums_ok(f),
        "etherparse recomputes different checksums"
    );
}

#[test]
fn snat_tcp_rewrites_address_port_and_checksums() {
    for flags in [0x02, 0x18] {
        let original = frame(false, tcp(flags), 333);
        let mut f = original.clone();
        rewrite_ipv4(&mut f, Some((PUBLIC, Some(61000))), None).unwrap();
        let key = parse_frame(&f).unwrap();
        assert_eq!(key.src, IpAddr::V4(PUBLIC));
        assert_eq!(key.dst, IpAddr::V4(V4_B));
        assert_eq!((key.src_port, key.dst_port), (61000, 5432));
        assert_eq!(key.tcp_flags, flags);
        assert_valid(&f);
        assert_eq!(&f[54..], &original[54..], "payload untouched");
        assert_ne!(
            f[24..26],
            original[24..26],
            "IP checksum changed with the address"
        );
    }
}

#[test]
fn dnat_udp_and_both_sides_at_once() {
    let mut f = frame(false, UDP, 100);
    rewrite_ipv4(&mut f, None, Some((SERVER, Some(8053)))).unwrap();
    let key = parse_frame(&f).unwrap();
    assert_eq!(
        (key.dst, key.dst_port, key.src_port),
        (IpAddr::V4(SERVER), 8053, 40000)
    );
    assert_valid(&f);
    rewrite_ipv4(&mut f, Some((PUBLIC, Some(1))), Some((V4_B, Some(53)))).unwrap();
    let key = parse_frame(&f).unwrap();
    assert_eq!((key.src, key.src_port), (IpAddr::V4(PUBLIC), 1));
    assert_eq!((key.dst, key.dst_port), (IpAddr::V4(V4_B), 53));
    assert_valid(&f);
}

#[test]
fn address_only_rewrite_keeps_ports() {
    let mut f = frame(false, tcp(0x10), 10);
    rewrite_ipv4(&mut f, Some((PUBLIC, None)), Some((SERVER, None))).unwrap();
    let key = parse_frame(&f).unwrap();
    assert_eq!((key.src_port, key.dst_port), (49152, 5432));
    assert_valid(&f);
}

#[test]
fn identity_rewrite_changes_nothing() {
    let original = frame(false, UDP, 20);
    let mut f = original.clone();
    rewrite_ipv4(&mut f, Some((V4_A, Some(40000))), Some((V4_B, Some(53)))).unwrap();
    assert_eq!(f, original);
}

#[test]
fn udp_without_checksum_stays_without() {
    let mut f = frame(false, UDP, 20);
    f[40..42].copy_from_slice(&[0, 0]);
    rewrite_ipv4(&mut f, Some((PUBLIC, Some(7))), None).unwrap();
    assert_eq!(&f[40..42], &[0, 0]);
    assert_eq!(parse_frame(&f).unwrap().src_port, 7);
    assert_valid(&f);
}

#[test]
fn udp_checksum_that_becomes_zero_is_sent_as_ffff() {
    // Search a source port that makes the new checksum exactly 0 (sum 0xffff).
    let original = frame(false, UDP, 20);
    let mut found = false;
    for port in 0..=u16::MAX {
        let mut f = original.clone();
        rewrite_ipv4(&mut f, Some((PUBLIC, Some(port))), None).unwrap();
        if f[40..42] == [0xff, 0xff] {
            assert_valid(&f);
            found = true;
            break;
        }
    }
    assert!(found, "some port must make the checksum 0xffff");
}

#[test]
fn icmp_echo_identifier_is_the_port() {
    let mut f = frame(false, ECHO, 56);
    rewrite_ipv4(&mut f, Some((PUBLIC, Some(0xabcd))), None).unwrap();
    assert_eq!(&f[38..40], &0xabcdu16.to_be_bytes());
    assert_valid(&f);
    let reply = Transport::Echo {
        id: 0xabcd,
        seq: 7,
        reply: true,
    };
    let mut r = frame(false, reply, 56);
    rewrite_ipv4(&mut r, None, Some((V4_A, Some(0x1234)))).unwrap();
    assert_eq!(&r[38..40], &0x1234u16.to_be_bytes());
    assert_eq!(parse_frame(&r).unwrap().dst, IpAddr::V4(V4_A));
    assert_valid(&r);
}

/// A DF packet `src:sport -> dst` too big for 1500, and the frag-needed error a
/// router at `router` sends back about it.
fn error_about(transport: Transport, src: Ipv4Addr, dst: Ipv4Addr, router: Ipv4Addr) -> Vec<u8> {
    let mut s = spec(false, transport, 2000);
    s.src = IpAddr::V4(src);
    s.dst = IpAddr::V4(dst);
    s.dont_fragment = true;
    let big = crate::wire::build_packet(&s).unwrap();
    crate::wire::icmpv4_frag_needed(&big, router, 1500).unwrap()
}

const ROUTER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);

#[test]
fn icmp_error_coming_back_translates_the_quoted_source() {
    // The instance sent V4_A:private out through a NAT as PUBLIC:61000; a router
    // on the way answers PUBLIC. Translated back, the error must be byte for byte
    // the one the router would have sent had it seen the untranslated packet.
    for t in [tcp(0x18), UDP, ECHO] {
        let private = match t {
            Transport::Tcp { src_port, .. } | Transport::Udp { src_port, .. } => src_port,
            Transport::Echo { id, .. } => id,
        };
        let mut f = error_about(t.with_source_port(61000), PUBLIC, V4_B, ROUTER);
        let want = error_about(t, V4_A, V4_B, ROUTER);
        rewrite_ipv4(&mut f, None, Some((V4_A, Some(private)))).unwrap();
        assert_eq!(f, want, "{t:?}");
        assert_valid(&f);
        let q = crate::wire::quoted_flow(&f).unwrap();
        assert_eq!(q.src, IpAddr::V4(V4_A));
    }
}

#[test]
fn icmp_error_coming_back_through_1to1_nat_keeps_ports() {
    let mut f = error_about(UDP, PUBLIC, V4_B, ROUTER);
    let want = error_about(UDP, V4_A, V4_B, ROUTER);
    rewrite_ipv4(&mut f, None, Some((V4_A, None))).unwrap();
    assert_eq!(f, want);
}

#[test]
fn icmp_error_going_out_translates_the_quoted_destination() {
    // V4_B sent to PUBLIC:61000, translated to V4_A:40000; V4_A's error about it
    // leaves through the NAT: outer source and quoted destination go back public.
    let mut f = error_about(
        Transport::Udp {
            src_port: 53,
            dst_port: 40000,
        },
        V4_B,
        V4_A,
        V4_A,
    );
    let want = error_about(
        Transport::Udp {
            src_port: 53,
            dst_port: 61000,
        },
        V4_B,
        PUBLIC,
        PUBLIC,
    );
    rewrite_ipv4(&mut f, Some((PUBLIC, Some(61000))), None).unwrap();
    assert_eq!(f, want);
    assert_valid(&f);
}

#[test]
fn icmp_error_about_another_address_keeps_its_quote() {
    // An error whose quote names neither outer address: quote untouched.
    let stray = error_about(UDP, SERVER, V4_B, ROUTER);
    let mut s = stray.clone();
    s[30..34].copy_from_slice(&V4_A.octets()); // outer destination V4_A
    crate::wire::test_support::fix_ipv4_checksum(&mut s);
    let before = s.clone();
    rewrite_ipv4(&mut s, None, Some((PUBLIC, Some(999)))).unwrap();
    assert_eq!(&s[42..], &before[42..], "quote not ours: unchanged");
    assert_valid(&s);
}

#[test]
fn fragments_rewritten_one_by_one_reassemble_with_valid_checksums() {
    for transport in [tcp(0x18), UDP, ECHO] {
        let original = frame(false, transport, 4000);
        let mut frags = Vec::new();
        fragment_ipv4(&original, 1500, &mut frags).unwrap();
        for f in &mut frags {
            let payload_before = crate::wire::test_support::ipv4_payload(f).to_vec();
            let kind = parse_frame(f).unwrap().fragment;
            rewrite_ipv4(f, Some((PUBLIC, Some(62000))), None).unwrap();
            assert_valid(f);
            if kind == FragmentKind::NonFirst {
                assert_eq!(
                    ipv4_payload(f),
                    &payload_before[..],
                    "no ports in non-first"
                );
            }
        }
        let whole = reassemble_ipv4(&frags).unwrap();
        assert_valid(&whole);
        let key = parse_frame(&whole).unwrap();
        assert_eq!(key.src, IpAddr::V4(PUBLIC));
        if transport != ECHO {
            assert_eq!(key.src_port, 62000);
        } else {
            assert_eq!(&whole[38..40], &62000u16.to_be_bytes());
        }
    }
}

#[test]
fn bad_input_is_an_error_and_leaves_the_frame_alone() {
    let v6 = frame(true, UDP, 10);
    let mut f = v6.clone();
    assert_eq!(
        rewrite_ipv4(&mut f, Some((PUBLIC, None)), None),
        Err(Malformed("not an IPv4 frame"))
    );
    assert_eq!(f, v6);
    let good = frame(false, tcp(0x02), 10);
    for len in 0..good.len() {
        let mut cut = good[..len].to_vec();
        assert!(rewrite_ipv4(&mut cut, Some((PUBLIC, Some(1))), None).is_err());
        assert_eq!(cut, &good[..len]);
    }
}

#[test]
fn with_source_port_replaces_only_the_source_port_or_echo_id() {
    let tcp = Transport::Tcp {
        src_port: 1,
        dst_port: 2,
        flags: 0x10,
        seq: 3,
        ack: 4,
    };
    let expected = Transport::Tcp {
        src_port: 9,
        dst_port: 2,
        flags: 0x10,
        seq: 3,
        ack: 4,
    };
    assert_eq!(tcp.with_source_port(9), expected);
    let udp = Transport::Udp {
        src_port: 1,
        dst_port: 2,
    };
    let expected = Transport::Udp {
        src_port: 9,
        dst_port: 2,
    };
    assert_eq!(udp.with_source_port(9), expected);
    let echo = Transport::Echo {
        id: 1,
        seq: 2,
        reply: true,
    };
    let expected = Transport::Echo {
        id: 9,
        seq: 2,
        reply: true,
    };
    assert_eq!(echo.with_source_port(9), expected);
}
