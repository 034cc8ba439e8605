use std::net::IpAddr;

use super::*;
use crate::wire::test_support::*;
use crate::wire::{fragment_ipv4, FragmentKind, Transport};

#[test]
fn tcp_over_ipv4() {
    let f = frame(false, tcp(0x12), 100);
    let key = parse_frame(&f).unwrap();
    assert_eq!(key.src, IpAddr::V4(V4_A));
    assert_eq!(key.dst, IpAddr::V4(V4_B));
    assert_eq!(key.protocol, 6);
    assert_eq!((key.src_port, key.dst_port), (49152, 5432));
    assert_eq!(key.tcp_flags, 0x12);
    assert_eq!((key.icmp_type, key.icmp_code), (0, 0));
    assert_eq!(key.fragment, FragmentKind::Whole);
    assert!(!key.dont_fragment);
    assert_eq!(usize::from(key.ip_len), 20 + 20 + 100);
}

#[test]
fn udp_over_ipv4_and_ipv6() {
    for v6 in [false, true] {
        let f = frame(v6, UDP, 33);
        let key = parse_frame(&f).unwrap();
        assert_eq!(key.protocol, 17);
        assert_eq!((key.src_port, key.dst_port), (40000, 53));
        assert_eq!(key.tcp_flags, 0);
        assert_eq!(key.src.is_ipv6(), v6);
        assert_eq!(key.dont_fragment, v6, "IPv6 is never fragmented by routers");
        let ip_header = if v6 { 40 } else { 20 };
        assert_eq!(usize::from(key.ip_len), ip_header + 8 + 33);
    }
}

#[test]
fn tcp_over_ipv6() {
    let key = parse_frame(&frame(true, tcp(0x02), 0)).unwrap();
    assert_eq!(key.src, IpAddr::V6(V6_A));
    assert_eq!(key.dst, IpAddr::V6(V6_B));
    assert_eq!((key.protocol, key.src_port, key.dst_port), (6, 49152, 5432));
    assert_eq!(key.tcp_flags, 0x02);
}

#[test]
fn icmp_echo_over_ipv4_and_icmpv6_over_ipv6() {
    let key = parse_frame(&frame(false, ECHO, 56)).unwrap();
    assert_eq!((key.protocol, key.icmp_type, key.icmp_code), (1, 8, 0));
    assert_eq!((key.src_port, key.dst_port), (0, 0));
    let reply = Transport::Echo {
        id: 1,
        seq: 1,
        reply: true,
    };
    assert_eq!(parse_frame(&frame(false, reply, 0)).unwrap().icmp_type, 0);
    let key = parse_frame(&frame(true, ECHO, 56)).unwrap();
    assert_eq!((key.protocol, key.icmp_type, key.icmp_code), (58, 128, 0));
    assert_eq!(parse_frame(&frame(true, reply, 0)).unwrap().icmp_type, 129);
}

#[test]
fn ethernet_padding_is_ignored() {
    let mut f = frame(false, UDP, 0); // 14 + 28 = 42 bytes, padded to 60 on the wire
    let ip_len = f.len() - 14;
    f.resize(60, 0);
    let key = parse_frame(&f).unwrap();
    assert_eq!(usize::from(key.ip_len), ip_len);
    assert_eq!(ip_packet(&f).unwrap().len(), ip_len);
    let mut f6 = frame(true, UDP, 0);
    f6.resize(80, 0xee);
    assert_eq!(ip_packet(&f6).unwrap().len(), 48);
    assert!(parse_frame(&f6).is_ok());
}

#[test]
fn ip_packet_is_the_part_after_ethernet() {
    let f = frame(false, tcp(0x10), 10);
    assert_eq!(ip_packet(&f).unwrap(), &f[14..]);
    let f6 = frame(true, ECHO, 10);
    assert_eq!(ip_packet(&f6).unwrap(), &f6[14..]);
    assert!(ip_packet(&f[..13]).is_err());
    assert!(ip_packet(&f[..30]).is_err());
}

#[test]
fn ipv4_fragments_first_has_ports_non_first_has_none() {
    let mut frags = Vec::new();
    fragment_ipv4(&frame(false, UDP, 3000), 1500, &mut frags).unwrap();
    assert_eq!(frags.len(), 3);
    let first = parse_frame(&frags[0]).unwrap();
    assert_eq!(first.fragment, FragmentKind::First);
    assert_eq!((first.src_port, first.dst_port), (40000, 53));
    for f in &frags[1..] {
        let key = parse_frame(f).unwrap();
        assert_eq!(key.fragment, FragmentKind::NonFirst);
        assert_eq!((key.protocol, key.src_port, key.dst_port), (17, 0, 0));
    }
}

fn fragment_header(next: u8, offset_units: u16, more: bool) -> [u8; 8] {
    let field = (offset_units << 3) | u16::from(more);
    let [a, b] = field.to_be_bytes();
    [next, 0, a, b, 0, 0, 0x12, 0x34]
}

#[test]
fn ipv6_fragment_header_first_and_non_first() {
    let udp = &frame(true, UDP, 40)[54..]; // UDP header + payload
    let mut rest = fragment_header(17, 0, true).to_vec();
    rest.extend_from_slice(udp);
    let key = parse_frame(&ipv6_frame(44, &rest)).unwrap();
    assert_eq!(key.fragment, FragmentKind::First);
    assert_eq!((key.protocol, key.src_port, key.dst_port), (17, 40000, 53));

    // A non-first fragment: what follows is data, even if it looks like a header.
    let mut rest = fragment_header(60, 6, false).to_vec();
    rest.extend_from_slice(&[0xff; 24]);
    let key = parse_frame(&ipv6_frame(44, &rest)).unwrap();
    assert_eq!(key.fragment, FragmentKind::NonFirst);
    assert_eq!((key.protocol, key.src_port, key.dst_port), (60, 0, 0));

    // Atomic fragment (offset 0, no MF) is a whole packet.
    let mut rest = fragment_header(17, 0, false).to_vec();
    rest.extend_from_slice(udp);
    assert_eq!(
        parse_frame(&ipv6_frame(44, &rest)).unwrap().fragment,
        FragmentKind::Whole
    );
}

#[test]
fn ipv6_extension_chain_to_tcp() {
    let tcp_part = &frame(true, tcp(0x18), 5)[54..];
    let hop_by_hop = [60u8, 0, 1, 4, 0, 0, 0, 0]; // next: destination options; PadN
    let dest_opts = [43u8, 0, 1, 4, 0, 0, 0, 0]; // next: routing
    let routing = [6u8, 0, 0, 0, 0, 0, 0, 0]; // next: TCP; type 0, segments left 0
    let rest = [&hop_by_hop[..], &dest_opts, &routing, tcp_part].concat();
    let key = parse_frame(&ipv6_frame(0, &rest)).unwrap();
    assert_eq!((key.protocol, key.src_port, key.dst_port), (6, 49152, 5432));
    assert_eq!(key.tcp_flags, 0x18);
    assert_eq!(usize::from(key.ip_len), 40 + rest.len());

    let dest_opts_then_hop_by_hop = [0u8, 0, 1, 4, 0, 0, 0, 0];
    let rest = [&dest_opts_then_hop_by_hop[..], &hop_by_hop, tcp_part].concat();
    assert_eq!(
        parse_frame(&ipv6_frame(60, &rest)),
        Err(Malformed("IPv6 hop-by-hop header not first"))
    );
    assert!(parse_frame(&ipv6_frame(0, &hop_by_hop[..5])).is_err());
}

#[test]
fn unknown_protocols_have_no_ports() {
    let f = ipv4_frame_with_options(&[], 47, &[1, 2, 3, 4]); // GRE
    let key = parse_frame(&f).unwrap();
    assert_eq!(
        (key.protocol, key.src_port, key.dst_port, key.icmp_type),
        (47, 0, 0, 0)
    );
}

#[test]
fn every_truncation_of_valid_frames_is_an_error() {
    let frames = [
        frame(false, tcp(0x02), 30),
        frame(false, UDP, 11),
        frame(false, ECHO, 3),
        frame(true, tcp(0x02), 30),
        frame(true, UDP, 0),
        frame(true, ECHO, 9),
        ipv4_frame_with_options(
            &[0x83, 7, 4, 1, 2, 3, 4, 0],
            17,
            &frame(false, UDP, 4)[34..],
        ),
    ];
    for f in &frames {
        assert!(parse_frame(f).is_ok());
        for len in 0..f.len() {
            assert!(
                parse_frame(&f[..len]).is_err(),
                "accepted {len} of {} bytes",
                f.len()
            );
            assert!(ip_packet(&f[..len]).is_err());
        }
    }
}

#[test]
fn malformed_headers_are_rejected_with_reasons() {
    let good = frame(false, tcp(0x02), 20);
    let check = |f: &[u8], reason: &'static str| assert_eq!(parse_frame(f), Err(Malformed(reason)));
    // Patch one byte and fix the header checksum so only the patched field is wrong.
    let patched = |at: usize, value: u8| {
        let mut f = good.clone();
        f[at] = value;
        fix_ipv4_checksum(&mut f);
        f
    };
    let mut arp = good.clone();
    arp[13] = 0x06;
    check(&arp, "ethertype is neither IPv4 nor IPv6");
    let mut vlan = good.clone();
    vlan[12..14].copy_from_slice(&[0x81, 0x00]);
    check(&vlan, "ethertype is neither IPv4 nor IPv6");
    check(&good[..10], "shorter than an Ethernet header");
    check(&patched(14, 0x44), "IPv4 IHL below 5");
    check(&patched(14, 0x65), "IP version is not 4 in an IPv4 frame");
    let mut no_payload = frame(false, tcp(0x02), 0);
    no_payload[14] = 0x46; // the IP header now eats 4 bytes of the 20-byte TCP header
    fix_ipv4_checksum(&mut no_payload);
    check(&no_payload, "truncated or bad TCP header");
    let mut bad_sum = good.clone();
    bad_sum[24] ^= 1;
    check(&bad_sum, "bad IPv4 header checksum");
    // total length: one byte beyond the frame, then shorter than the header
    let total = u16::from_be_bytes([good[16], good[17]]);
    let mut long = good.clone();
    long[16..18].copy_from_slice(&(total + 1).to_be_bytes());
    fix_ipv4_checksum(&mut long);
    check(&long, "IPv4 total length exceeds the frame");
    let mut short = good.clone();
    short[16..18].copy_from_slice(&19u16.to_be_bytes());
    fix_ipv4_checksum(&mut short);
    check(&short, "IPv4 total length shorter than its header");
    // ping of death: last fragment ending beyond 65535
    let mut death = good.clone();
    death[20..22].copy_from_slice(&0x1fffu16.to_be_bytes());
    fix_ipv4_checksum(&mut death);
    check(&death, "IPv4 fragment ends beyond 65535 bytes");
    // TCP data offset below 5
    let mut tcp_off = good.clone();
    tcp_off[34 + 12] = 0x40;
    check(&tcp_off, "truncated or bad TCP header");
    // UDP length larger than the packet, and below 8
    let mut udp = frame(false, UDP, 4);
    udp[34 + 4..34 + 6].copy_from_slice(&13u16.to_be_bytes());
    check(&udp, "UDP length field inconsistent with the packet");
    udp[34 + 4..34 + 6].copy_from_slice(&7u16.to_be_bytes());
    check(&udp, "UDP length field inconsistent with the packet");
    // ICMP shorter than its 8-byte header
    let icmp = ipv4_frame_with_options(&[], 1, &[8, 0, 0, 0]);
    check(&icmp, "truncated ICMP header");
    // IPv6: wrong version, payload length beyond the frame
    let mut v6 = frame(true, UDP, 4);
    v6[14] = 0x40;
    check(&v6, "IP version is not 6 in an IPv6 frame");
    let mut v6 = frame(true, UDP, 4);
    v6[19] += 1;
    check(&v6, "IPv6 payload length exceeds the frame");
}

#[test]
fn icmp_query_identifiers_are_read() {
    let echo = parse_frame(&frame(false, ECHO, 8)).unwrap();
    assert_eq!((echo.icmp_type, echo.icmp_id), (8, 0x1234));
    assert_eq!(echo.icmp_kind(), Some(crate::wire::IcmpKind::Request));
    let reply = Transport::Echo {
        id: 0x1234,
        seq: 7,
        reply: true,
    };
    let r6 = parse_frame(&frame(true, reply, 8)).unwrap();
    assert_eq!((r6.icmp_type, r6.icmp_id), (129, 0x1234));
    assert_eq!(r6.icmp_kind(), Some(crate::wire::IcmpKind::Reply));
    assert_eq!(r6.icmp_query_type(), Some(128));
    let tcp = parse_frame(&frame(false, tcp(0x02), 8)).unwrap();
    assert_eq!((tcp.icmp_id, tcp.icmp_kind()), (0, None));
}

/// `parse_frame`'s fast path for plain IPv4 UDP gives what the general path gives,
/// on valid datagrams and on every single-byte change of their first 50 bytes.
#[test]
fn plain_udp_fast_path_agrees_with_the_general_path() {
    let general = |f: &[u8]| -> Result<FlowKey, Malformed> {
        match ethertype(f)? {
            ETHERTYPE_IPV4 => parse_ipv4(&f[ETHERNET_HEADER_LEN..]),
            ETHERTYPE_IPV6 => parse_ipv6(&f[ETHERNET_HEADER_LEN..]),
            _ => Err(Malformed("ethertype is neither IPv4 nor IPv6")),
        }
    };
    let mut rng = crate::rng::SplitMix64::new(3);
    let mut fast = 0;
    for len in [0usize, 1, 7, 8, 33, 200] {
        let base = frame(false, UDP, len);
        assert!(
            plain_ipv4_udp_key(&base).is_some(),
            "a plain datagram of {len}"
        );
        for i in 0..base.len().min(50) {
            for _ in 0..24 {
                let mut f = base.clone();
                f[i] = rng.next_u64() as u8;
                if let Some(key) = plain_ipv4_udp_key(&f) {
                    fast += 1;
                    assert_eq!(general(&f), Ok(key), "byte {i} of a {len}-byte datagram");
                }
                assert_eq!(parse_frame(&f), general(&f));
            }
        }
        // Cut short (Ethernet padding the other way): never read past the end.
        for cut in 0..base.len() {
            assert_eq!(parse_frame(&base[..cut]), general(&base[..cut]));
        }
    }
    assert!(fast > 1000, "the fast path was taken {fast} times");
}
