//! A fast deterministic hasher for the hot-path maps.

use std::hash::{BuildHasherDefault, Hasher};

/// FxHash (rustc's hasher): a multiply-rotate hash. Hand-written because it is five
/// lines and the table needs a fast, deterministic hasher (std's SipHash is seeded
/// randomly and several times slower on a 40-byte key).
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.hash = (self.hash.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn finish(&self) -> u64 {
        // A product's low bits depend only on the input's low bits, and hashbrown
        // picks the bucket from the low bits: keys that differ only in high bits
        // (the ports and the far address of one ENI's flows) would all start
        // probing at the same group. The high bits mix every input bit, so they
        // are rotated down (as rustc-hash 2 does).
        self.hash.rotate_left(26)
    }
}

/// A deterministic fast `BuildHasher` for index maps in the hot path.
pub type FxBuild = BuildHasherDefault<FxHasher>;
