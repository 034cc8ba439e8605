use super::*;
use crate::wire::test_support::*;
use crate::wire::{build_packet, parse_frame, reassemble_ipv4, verify_checksums, Malformed};

/// Every property RFC 791 asks of a fragment train made from `original` at `mtu`.
fn check_train(original: &[u8], frags: &[Vec<u8>], mtu: usize) {
    let orig_id = &original[18..20];
    let orig_flags = original[20] & 0x40;
    let mut expected_offset =
        usize::from(u16::from_be_bytes([original[20], original[21]]) & 0x1fff) * 8;
    let orig_mf = original[20] & 0x20 != 0;
    let mut data = Vec::new();
    for (i, f) in frags.iter().enumerate() {
        let last = i + 1 == frags.len();
        let ip_len = usize::from(u16::from_be_bytes([f[16], f[17]]));
        assert!(ip_len <= mtu, "fragment {i}: {ip_len} > {mtu}");
        assert_eq!(f.len(), 14 + ip_len);
        assert_eq!(&f[..14], &original[..14], "Ethernet header copied");
        assert_eq!(&f[18..20], orig_id, "identification copied");
        assert_eq!(f[20] & 0x40, orig_flags, "DF copied");
        let mf = f[20] & 0x20 != 0;
        assert_eq!(mf, !last || orig_mf, "MF on fragment {i}");
        let offset = usize::from(u16::from_be_bytes([f[20], f[21]]) & 0x1fff) * 8;
        assert_eq!(offset, expected_offset, "fragment {i} offset");
        let payload = ipv4_payload(f);
        if !last {
            assert_eq!(
                payload.len() % 8,
                0,
                "fragment {i} data not a multiple of 8"
            );
        }
        expected_offset += payload.len();
        data.extend_from_slice(payload);
        assert_eq!(verify_checksums(f), Ok(()));
        assert!(oracle_checksums_ok(f));
        assert_eq!(f[22], original[22], "TTL unchanged");
    }
    assert_eq!(
        data,
        ipv4_payload(original),
        "fragments carry the payload in order"
    );
}

#[test]
fn jumbo_udp_to_1500_and_back() {
    let original = frame(false, UDP, 8973 - 28); // a 9001-byte IP packet
    let mut frags = Vec::new();
    fragment_ipv4(&original, 1500, &mut frags).unwrap();
    assert_eq!(frags.len(), 7);
    check_train(&original, &frags, 1500);
    assert_eq!(reassemble_ipv4(&frags).unwrap(), original);
}

#[test]
fn odd_mtus_and_every_transport() {
    for transport in [tcp(0x18), UDP, ECHO] {
        for mtu in [68u16, 69, 100, 575, 576, 1499, 1500, 8500] {
            let original = frame(false, transport, 3001);
            let mut frags = Vec::new();
            fragment_ipv4(&original, mtu, &mut frags).unwrap();
            check_train(&original, &frags, usize::from(mtu));
            assert_eq!(
                reassemble_ipv4(&frags).unwrap(),
                original,
                "{transport:?} {mtu}"
            );
        }
    }
}

#[test]
fn a_frame_that_fits_passes_unchanged() {
    let original = frame(false, tcp(0x10), 1460); // exactly 1500 IP bytes
    let mut out = vec![vec![1u8]];
    fragment_ipv4(&original, 1500, &mut out).unwrap();
    assert_eq!(
        out,
        vec![vec![1u8], original.clone()],
        "appended, not replaced"
    );
    let mut out = Vec::new();
    fragment_ipv4(&original, 1499, &mut out).unwrap();
    assert_eq!(out.len(), 2);
}

#[test]
fn identification_zero_and_df_are_copied() {
    // smoltcp sends unfragmented IPv4 with DF set and identification 0.
    let mut s = spec(false, UDP, 2000);
    s.identification = 0;
    s.dont_fragment = true;
    let original = build_packet(&s).unwrap();
    let mut frags = Vec::new();
    fragment_ipv4(&original, 1500, &mut frags).unwrap();
    assert_eq!(frags.len(), 2);
    check_train(&original, &frags, 1500);
    assert!(frags
        .iter()
        .all(|f| f[18..20] == [0, 0] && f[20] & 0x40 != 0));
}

#[test]
fn only_copied_options_go_into_later_fragments() {
    // Loose source route (0x83, copied), NOP, record route (0x07, not copied), EOL pad.
    let options = [0x83, 7, 4, 10, 9, 9, 9, 1, 0x07, 7, 4, 0, 0, 0, 0, 0];
    let original = ipv4_frame_with_options(&options, 17, &frame(false, UDP, 1000)[34..]);
    let mut frags = Vec::new();
    fragment_ipv4(&original, 300, &mut frags).unwrap();
    assert!(frags.len() > 3);
    check_train(&original, &frags, 300);
    assert_eq!(
        frags[0][14] & 0x0f,
        9,
        "first fragment: all 16 option bytes"
    );
    assert_eq!(&frags[0][34..50], &options);
    for f in &frags[1..] {
        assert_eq!(
            f[14] & 0x0f,
            7,
            "later fragments: 7 copied bytes + 1 padding"
        );
        assert_eq!(&f[34..42], &[0x83, 7, 4, 10, 9, 9, 9, 0]);
    }
    assert_eq!(reassemble_ipv4(&frags).unwrap(), original);
}

#[test]
fn no_copied_options_means_a_plain_header_later() {
    let options = [0x07, 7, 4, 0, 0, 0, 0, 0]; // record route only
    let original = ipv4_frame_with_options(&options, 17, &frame(false, UDP, 600)[34..]);
    let mut frags = Vec::new();
    fragment_ipv4(&original, 200, &mut frags).unwrap();
    assert_eq!(frags[0][14] & 0x0f, 7);
    assert!(frags[1..].iter().all(|f| f[14] & 0x0f == 5));
    check_train(&original, &frags, 200);
}

#[test]
fn malformed_options_are_errors() {
    for options in [[0x83, 1, 0, 0], [0x83, 9, 4, 0], [0x07, 0, 0, 0]] {
        let f = ipv4_frame_with_options(&options, 17, &[0; 200]);
        let mut out = Vec::new();
        assert!(fragment_ipv4(&f, 100, &mut out).is_err(), "{options:?}");
        assert!(out.is_empty());
    }
    let mut last = [1u8; 8]; // NOPs then a kind byte with no length
    last[7] = 0x83;
    let f = ipv4_frame_with_options(&last, 17, &[0; 200]);
    assert_eq!(
        fragment_ipv4(&f, 100, &mut Vec::new()),
        Err(Malformed("truncated IPv4 option"))
    );
}

#[test]
fn refragmenting_a_fragment_keeps_offsets_and_mf() {
    let original = frame(false, UDP, 5000);
    let mut first_pass = Vec::new();
    fragment_ipv4(&original, 1500, &mut first_pass).unwrap();
    let mut second_pass = Vec::new();
    for f in &first_pass {
        let mut pieces = Vec::new();
        fragment_ipv4(f, 576, &mut pieces).unwrap();
        check_train(f, &pieces, 576);
        second_pass.extend(pieces);
    }
    assert!(second_pass.len() > first_pass.len());
    second_pass.reverse(); // reassembly takes any order
    assert_eq!(reassemble_ipv4(&second_pass).unwrap(), original);
}

#[test]
fn bad_input_is_an_error() {
    let mut out = Vec::new();
    let big = frame(false, UDP, 2000);
    assert_eq!(
        fragment_ipv4(&big, 67, &mut out),
        Err(Malformed("MTU below the IPv4 minimum of 68"))
    );
    assert_eq!(
        fragment_ipv4(&frame(true, UDP, 2000), 1280, &mut out),
        Err(Malformed("not an IPv4 frame"))
    );
    for len in 0..big.len() {
        assert!(fragment_ipv4(&big[..len], 576, &mut out).is_err());
    }
    assert!(out.is_empty());
    assert!(parse_frame(&big).is_ok());
}
