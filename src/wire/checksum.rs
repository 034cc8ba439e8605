//! Internet checksum helpers on top of `etherparse::checksum::Sum16BitWords`.
//!
//! The only hand-written piece is the RFC 1624 incremental update: etherparse
//! recomputes checksums from whole headers and payloads, but NAT must fix a TCP/UDP
//! checksum in a *first fragment*, where the rest of the payload the checksum covers is
//! not in hand, and must stay allocation-free and O(changed bytes) on the data path.

use etherparse::checksum::Sum16BitWords;

/// True when `bytes` (e.g. an IPv4 header including its checksum field) sums to the
/// one's complement of zero, i.e. its checksum is valid.
pub(crate) fn sums_to_valid(sum: Sum16BitWords) -> bool {
    sum.ones_complement() == 0
}

/// RFC 1624 eqn. 3: `HC' = ~(~HC + ~m + m')` over every 16-bit word that changed.
/// `old` and `new` must have the same, even length.
pub(crate) fn incremental_update(checksum: u16, old: &[u8], new: &[u8]) -> u16 {
    debug_assert_eq!(old.len(), new.len());
    debug_assert_eq!(old.len() % 2, 0);
    let mut sum = u32::from(!checksum);
    for (o, n) in old.chunks_exact(2).zip(new.chunks_exact(2)) {
        sum += u32::from(!u16::from_be_bytes([o[0], o[1]]));
        sum += u32::from(u16::from_be_bytes([n[0], n[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The one's-complement sum (folded to 16 bits, in native byte order) of a
/// 20-byte IPv4 header, added as five 32-bit words. The sum does not depend on
/// byte order or on the width of the words added (RFC 1071, 2.(B) and 2.(C)), so
/// this is what `Sum16BitWords` computes 16 bits at a time, in about a third of
/// the instructions: every frame's header is checked by the router and numbered
/// by its sending host, so it runs twice per frame.
#[inline]
pub(crate) fn ipv4_header20_sum(h: &[u8; 20]) -> u16 {
    let mut sum = 0u64;
    for w in h.chunks_exact(4) {
        sum += u64::from(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]));
    }
    // Five 32-bit words: below 2^35. Fold to 32 bits, then to 16 (twice each:
    // a fold's carry can carry again).
    sum = (sum & 0xffff_ffff) + (sum >> 32);
    sum = (sum & 0xffff_ffff) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum as u16
}

/// Read the big-endian 16-bit word at `at`.
pub(crate) fn read_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

/// Write the big-endian 16-bit word at `at`.
pub(crate) fn write_u16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(words: &[u8]) -> u16 {
        Sum16BitWords::new()
            .add_slice(words)
            .ones_complement()
            .to_be()
    }

    #[test]
    fn header_sum_by_32_bit_words_matches_etherparse() {
        let mut rng = crate::rng::SplitMix64::new(5);
        for _ in 0..2000 {
            let mut h = [0u8; 20];
            for b in h.iter_mut() {
                *b = rng.next_u64() as u8;
            }
            // Random (almost always invalid), then with its checksum filled.
            assert_eq!(
                ipv4_header20_sum(&h) == 0xffff,
                sums_to_valid(Sum16BitWords::new().add_slice(&h))
            );
            h[10..12].fill(0);
            let c = full(&h).to_be_bytes();
            assert_eq!((!ipv4_header20_sum(&h)).to_ne_bytes(), c);
            h[10..12].copy_from_slice(&c);
            assert_eq!(ipv4_header20_sum(&h), 0xffff);
            assert!(sums_to_valid(Sum16BitWords::new().add_slice(&h)));
        }
    }

    #[test]
    fn incremental_matches_full_recompute() {
        let mut data = [
            0x45u8, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let c = full(&data);
        data[10..12].copy_from_slice(&c.to_be_bytes());
        assert!(sums_to_valid(Sum16BitWords::new().add_slice(&data)));
        let old = [10u8, 0, 0, 1];
        let new = [192u8, 168, 77, 200];
        data[12..16].copy_from_slice(&new);
        let updated = incremental_update(c, &old, &new);
        data[10..12].copy_from_slice(&[0, 0]);
        assert_eq!(updated, full(&data));
    }

    #[test]
    fn incremental_no_change_is_identity() {
        assert_eq!(incremental_update(0x1234, &[1, 2], &[1, 2]), 0x1234);
    }
}
