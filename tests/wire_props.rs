//! Property tests for `peeremu::wire`: no input makes it panic, and fragmentation,
//! reassembly and NAT rewriting keep frames valid for any sizes and addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use peeremu::wire::{
    build_packet, fragment_ipv4, icmpv4_frag_needed, icmpv6_packet_too_big, ip_packet, parse_frame,
    quoted_flow, reassemble_ipv4, rewrite_ipv4, verify_checksums, FragmentKind, Transport,
};
use proptest::prelude::*;

mod wire_support;
use wire_support::spec;

/// Call every entry point; only a panic can fail this.
fn exercise(bytes: &[u8], mtu: u16) {
    let key = parse_frame(bytes);
    let ip = ip_packet(bytes);
    if key.is_ok() {
        assert!(ip.is_ok(), "parse_frame accepted what ip_packet refused");
    }
    let _ = verify_checksums(bytes);
    let _ = quoted_flow(bytes);
    let mut out = Vec::new();
    let _ = fragment_ipv4(bytes, mtu, &mut out);
    let _ = reassemble_ipv4(&[bytes.to_vec()]);
    let _ = icmpv4_frag_needed(bytes, Ipv4Addr::new(10, 0, 0, 1), mtu);
    let _ = icmpv6_packet_too_big(bytes, Ipv6Addr::LOCALHOST, u32::from(mtu));
    let mut copy = bytes.to_vec();
    let nat = Some((Ipv4Addr::new(1, 2, 3, 4), Some(5)));
    if rewrite_ipv4(&mut copy, nat, nat).is_err() {
        assert_eq!(copy, bytes, "a refused rewrite must leave the frame alone");
    } else {
        assert_eq!(
            verify_checksums(bytes).is_ok(),
            verify_checksums(&copy).is_ok()
        );
    }
}

fn transport() -> impl Strategy<Value = Transport> {
    prop_oneof![
        (
            any::<u16>(),
            any::<u16>(),
            any::<u8>(),
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(|(src_port, dst_port, flags, seq, ack)| Transport::Tcp {
                src_port,
                dst_port,
                flags,
                seq,
                ack
            }),
        (any::<u16>(), any::<u16>())
            .prop_map(|(src_port, dst_port)| Transport::Udp { src_port, dst_port }),
        (any::<u16>(), any::<u16>(), any::<bool>()).prop_map(|(id, seq, reply)| Transport::Echo {
            id,
            seq,
            reply
        }),
    ]
}

/// A router at `router`'s frag-needed error about a DF packet `src -> dst`.
fn frag_needed_about(
    t: Transport,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    router: Ipv4Addr,
    len: usize,
) -> Vec<u8> {
    let mut s = spec(false, t, len, true, 9);
    s.src = IpAddr::V4(src);
    s.dst = IpAddr::V4(dst);
    let packet = build_packet(&s).unwrap();
    icmpv4_frag_needed(&packet, router, 1500).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), mtu in any::<u16>()) {
        exercise(&bytes, mtu);
    }

    #[test]
    fn arbitrary_ip_after_a_real_ethernet_header_never_panics(
        v6 in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        mtu in any::<u16>(),
    ) {
        let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
        frame.extend_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
        frame.extend_from_slice(&body);
        exercise(&frame, mtu);
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        v6 in any::<bool>(),
        t in transport(),
        len in 0usize..400,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
        mtu in 0u16..2000,
    ) {
        let mut frame = build_packet(&spec(v6, t, len, false, 1)).unwrap();
        for (at, value) in flips {
            let at = at % frame.len();
            frame[at] = value;
        }
        frame.truncate(cut % (frame.len() + 1));
        exercise(&frame, mtu);
    }

    #[test]
    fn fragment_then_reassemble_is_the_identity(
        t in transport(),
        len in 0usize..9000,
        mtu in 68u16..9100,
        df in any::<bool>(),
        id in any::<u16>(),
    ) {
        let original = build_packet(&spec(false, t, len, df, id)).unwrap();
        let mut frags = Vec::new();
        fragment_ipv4(&original, mtu, &mut frags).unwrap();
        for f in &frags {
            let key = parse_frame(f).unwrap();
            prop_assert!(key.ip_len <= mtu || frags.len() == 1);
            prop_assert_eq!(key.dont_fragment, df);
            prop_assert_eq!(verify_checksums(f), Ok(()));
        }
        if original.len() - 14 <= usize::from(mtu) {
            prop_assert_eq!(&frags, &vec![original.clone()]);
        } else {
            prop_assert_eq!(parse_frame(&frags[0]).unwrap().fragment, FragmentKind::First);
        }
        prop_assert_eq!(reassemble_ipv4(&frags).unwrap(), original);
    }

    #[test]
    fn nat_keeps_checksums_valid_even_across_fragments(
        t in transport(),
        len in 0usize..3000,
        src in any::<Option<([u8; 4], Option<u16>)>>(),
        dst in any::<Option<([u8; 4], Option<u16>)>>(),
        mtu in 68u16..1500,
    ) {
        let src = src.map(|(a, p)| (Ipv4Addr::from(a), p));
        let dst = dst.map(|(a, p)| (Ipv4Addr::from(a), p));
        let original = build_packet(&spec(false, t, len, false, 3)).unwrap();
        let mut whole = original.clone();
        rewrite_ipv4(&mut whole, src, dst).unwrap();
        prop_assert_eq!(verify_checksums(&whole), Ok(()));
        let key = parse_frame(&whole).unwrap();
        if let Some((a, _)) = src { prop_assert_eq!(key.src, IpAddr::V4(a)); }
        if let Some((a, _)) = dst { prop_assert_eq!(key.dst, IpAddr::V4(a)); }
        if let (Transport::Tcp { .. } | Transport::Udp { .. }, Some((_, Some(p)))) = (t, src) {
            prop_assert_eq!(key.src_port, p);
        }
        // Rewriting each fragment gives the same datagram as rewriting the whole.
        let mut frags = Vec::new();
        fragment_ipv4(&original, mtu, &mut frags).unwrap();
        for f in &mut frags {
            rewrite_ipv4(f, src, dst).unwrap();
        }
        let reassembled = reassemble_ipv4(&frags).unwrap();
        prop_assert_eq!(reassembled, whole);
    }

    #[test]
    fn icmp_errors_translated_back_equal_the_untranslated_error(
        t in transport(),
        len in 0usize..3000,
        private in any::<[u8; 4]>(),
        public in any::<[u8; 4]>(),
        public_port in any::<u16>(),
        one_to_one in any::<bool>(),
    ) {
        // Unicast, answerable addresses (first octet 1-126).
        let unicast = |mut o: [u8; 4]| {
            o[0] = 1 + o[0] % 126;
            Ipv4Addr::from(o)
        };
        let (private, public) = (unicast(private), unicast(public));
        let (remote, router) = (Ipv4Addr::new(93, 184, 216, 34), Ipv4Addr::new(203, 0, 113, 1));
        let private_port = match t {
            Transport::Tcp { src_port, .. } | Transport::Udp { src_port, .. } => src_port,
            Transport::Echo { id, .. } => id,
        };
        // An IGW's 1:1 NAT keeps ports; a NAT gateway changes them.
        let sent = if one_to_one { t } else { t.with_source_port(public_port) };
        let mut error = frag_needed_about(sent, public, remote, router, len);
        let want = frag_needed_about(t, private, remote, router, len);
        let port = if one_to_one { None } else { Some(private_port) };
        rewrite_ipv4(&mut error, None, Some((private, port))).unwrap();
        prop_assert_eq!(verify_checksums(&error), Ok(()));
        prop_assert_eq!(quoted_flow(&error).unwrap(), quoted_flow(&want).unwrap());
        prop_assert_eq!(error, want);
    }
}
