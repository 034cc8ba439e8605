use super::*;
use crate::wire::test_support::*;
use crate::wire::{fragment_ipv4, Transport};

#[test]
fn built_frames_verify_and_any_flipped_bit_is_caught() {
    let echo_reply = Transport::Echo {
        id: 1,
        seq: 2,
        reply: true,
    };
    for v6 in [false, true] {
        for transport in [tcp(0x02), UDP, ECHO, echo_reply] {
            let f = frame(v6, transport, 37); // odd length: exercises the padding byte
            assert_eq!(verify_checksums(&f), Ok(()));
            // Flip one bit in every byte after the Ethernet header: an error, either
            // from parsing or from a checksum. Not covered by any checksum: IPv6
            // traffic class, flow label and hop limit; a next header turned into a
            // protocol without a checksum (6 ^ 4 = 2, IGMP) is not an error either.
            for i in 14..f.len() {
                if v6 && (i < 18 || i == 20 || i == 21) {
                    continue;
                }
                let mut bad = f.clone();
                bad[i] ^= 0x04;
                assert!(
                    verify_checksums(&bad).is_err(),
                    "v6={v6} {transport:?} byte {i}"
                );
            }
        }
    }
}

#[test]
fn udp_zero_checksum_is_none_over_ipv4_but_an_error_over_ipv6() {
    let mut f = frame(false, UDP, 10);
    f[40..42].copy_from_slice(&[0, 0]);
    assert_eq!(verify_checksums(&f), Ok(()));
    let mut f6 = frame(true, UDP, 10);
    f6[60..62].copy_from_slice(&[0, 0]);
    assert!(verify_checksums(&f6).is_err());
}

#[test]
fn fragments_have_only_their_header_checked() {
    let mut frags = Vec::new();
    fragment_ipv4(&frame(false, UDP, 3000), 1500, &mut frags).unwrap();
    for f in &mut frags {
        assert_eq!(verify_checksums(f), Ok(()));
        let last = f.len() - 1;
        f[last] ^= 0xff; // transport checksum not checkable in a fragment
        assert_eq!(verify_checksums(f), Ok(()));
        f[24] ^= 0xff;
        assert_eq!(
            verify_checksums(f),
            Err(Malformed("bad IPv4 header checksum"))
        );
    }
}
