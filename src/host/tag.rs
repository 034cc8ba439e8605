//! The measurement tag at the start of ping and UDP payloads: which flow, which
//! packet, and when it was sent, so the receiver measures one-way latency from the
//! bytes alone (like iperf/owping timestamps). 16 bytes, big endian.

/// Tag length; payloads shorter than this carry a truncated (unusable) tag, and
/// are timed otherwise (see `UdpSink::after_poll` and `super::ping`).
pub const TAG_LEN: usize = 16;

/// One period of the payload pattern: byte `i` of a payload is `PATTERN[i % 256]`.
static PATTERN: [u8; 256] = {
    let mut p = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        p[i] = i as u8;
        i += 1;
    }
    p
};

/// Bytes `from..to` of the payload pattern (byte `i` is `i as u8`), as slices of
/// [`PATTERN`] in order: what [`Tag::write`] lays after the tag, and what
/// [`extend_pattern`] appends.
#[inline]
fn pattern_pieces(from: usize, to: usize) -> impl Iterator<Item = &'static [u8]> {
    let mut i = from;
    std::iter::from_fn(move || {
        (i < to).then(|| {
            let start = i % PATTERN.len();
            let n = (PATTERN.len() - start).min(to - i);
            i += n;
            &PATTERN[start..start + n]
        })
    })
}

/// Append bytes `from..to` of the payload pattern to `out`: the part of a
/// payload [`Tag::write`] fills after the tag, for a payload built by appending
/// (see `UdpClient::send_direct`).
#[inline]
pub fn extend_pattern(out: &mut Vec<u8>, from: usize, to: usize) {
    // Within the first period (most payloads): the one piece the walk gives.
    if to <= PATTERN.len() {
        if from < to {
            out.extend_from_slice(&PATTERN[from..to]);
        }
        return;
    }
    for piece in pattern_pieces(from, to) {
        out.extend_from_slice(piece);
    }
}

/// A decoded tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub flow: u32,
    pub seq: u32,
    pub sent_ns: u64,
}

impl Tag {
    /// Fill `payload` with the tag followed by a deterministic pattern (byte `i`
    /// is `i as u8`), copied from a static table rather than computed per byte:
    /// senders write it straight into smoltcp's send buffer for every packet.
    #[inline]
    pub fn write(self, payload: &mut [u8]) {
        self.write_tag(payload);
        let mut i = TAG_LEN;
        for piece in pattern_pieces(TAG_LEN, payload.len()) {
            payload[i..i + piece.len()].copy_from_slice(piece);
            i += piece.len();
        }
    }

    /// Overwrite only the tag bytes: for a payload buffer reused packet after
    /// packet, whose pattern [`Tag::write`] laid down once (the same bytes as a
    /// full `write`, without rewriting the pattern per packet).
    #[inline]
    pub fn write_tag(self, payload: &mut [u8]) {
        let mut bytes = [0u8; TAG_LEN];
        bytes[0..4].copy_from_slice(&self.flow.to_be_bytes());
        bytes[4..8].copy_from_slice(&self.seq.to_be_bytes());
        bytes[8..16].copy_from_slice(&self.sent_ns.to_be_bytes());
        let n = payload.len().min(TAG_LEN);
        payload[..n].copy_from_slice(&bytes[..n]);
    }

    /// The sum of the 16 bytes [`Tag::write_tag`] writes, read as eight
    /// big-endian 16-bit words, unfolded (below 2^19): for a checksum over a
    /// payload holding the whole tag, from the fields rather than the bytes.
    #[inline]
    pub fn word_sum(self) -> u32 {
        let (f, s, t) = (self.flow, self.seq, self.sent_ns);
        (f >> 16)
            + (f & 0xffff)
            + (s >> 16)
            + (s & 0xffff)
            + (t >> 48) as u32
            + ((t >> 32) & 0xffff) as u32
            + ((t >> 16) & 0xffff) as u32
            + (t & 0xffff) as u32
    }

    /// Read a tag back; `None` when the payload is too short.
    pub fn read(payload: &[u8]) -> Option<Tag> {
        let b = payload.get(..TAG_LEN)?;
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&b[8..16]);
        Some(Tag {
            flow: u32_at(0),
            seq: u32_at(4),
            sent_ns: u64::from_be_bytes(ts),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = Tag {
            flow: 7,
            seq: 9,
            sent_ns: 123_456_789_000,
        };
        let mut buf = [0u8; 40];
        t.write(&mut buf);
        assert_eq!(Tag::read(&buf), Some(t));
        assert_eq!(buf[20], 20);
        assert_eq!(Tag::read(&buf[..10]), None);
        // A reused buffer: rewriting only the tag gives the bytes of a full write.
        let next = Tag { seq: 10, ..t };
        next.write_tag(&mut buf);
        let mut fresh = [0u8; 40];
        next.write(&mut fresh);
        assert_eq!(buf, fresh);
        // The pattern continues across the 256-byte period.
        let mut long = vec![0u8; 1000];
        t.write(&mut long);
        assert!((TAG_LEN..1000).all(|i| long[i] == i as u8));
    }

    #[test]
    fn extending_lays_the_pattern_write_lays() {
        for len in [0, 1, 15, 16, 17, 200, 255, 256, 257, 511, 512, 513, 1000] {
            let mut written = vec![0u8; len];
            Tag::default_for_test().write(&mut written);
            let mut extended = written[..len.min(TAG_LEN)].to_vec();
            extend_pattern(&mut extended, TAG_LEN, len);
            assert_eq!(extended, written, "{len}");
        }
    }

    #[test]
    fn the_word_sum_is_the_sum_of_the_tag_bytes() {
        let tags = [
            Tag::default_for_test(),
            Tag {
                flow: u32::MAX,
                seq: u32::MAX,
                sent_ns: u64::MAX,
            },
            Tag {
                flow: 0x1234_abcd,
                seq: 0x8000_0001,
                sent_ns: 0xfedc_ba98_7654_3210,
            },
        ];
        for t in tags {
            let mut b = [0u8; TAG_LEN];
            t.write_tag(&mut b);
            let bytes: u32 = b
                .chunks_exact(2)
                .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
                .sum();
            assert_eq!(t.word_sum(), bytes, "{t:?}");
        }
    }

    impl Tag {
        fn default_for_test() -> Tag {
            Tag {
                flow: 7,
                seq: 9,
                sent_ns: 123_456_789_000,
            }
        }
    }
}
