//! SplitMix64 (Steele, Lea, Flood 2014): the only randomness in a run (seeded from
//! `--seed`) and the generator behind synthetic routing tables. Written by hand
//! because it is six lines and its output must never change between crate versions
//! (that would break byte-identical reruns and reproducible benchmark tables).

/// A SplitMix64 generator.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A seed for one consumer, independent of how many others draw: mixes the run
    /// seed with a domain and an index.
    pub fn derive(seed: u64, domain: u64, index: u64) -> u64 {
        let mut r = SplitMix64::new(seed ^ domain.wrapping_mul(0xA24B_AED4_963E_E407));
        r.0 ^= index.wrapping_mul(0x9FB2_1C65_1E98_DF25);
        r.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sequence() {
        // Reference values of SplitMix64 seeded with 0.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn derived_seeds_differ() {
        assert_ne!(SplitMix64::derive(1, 1, 0), SplitMix64::derive(1, 1, 1));
        assert_ne!(SplitMix64::derive(1, 1, 0), SplitMix64::derive(2, 1, 0));
        assert_eq!(SplitMix64::derive(5, 2, 3), SplitMix64::derive(5, 2, 3));
    }
}
