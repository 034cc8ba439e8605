//! Deterministic synthetic routing tables and lookup keys, so tests and benches do
//! not depend on a real BGP dump being present.
//!
//! The IPv4 prefix-length mix follows a full Internet table (2024–25 snapshots):
//! /24 59.6 %, /23 10.7 %, /22 12.0 %, /21 5.6 %, /20 4.7 %, /19 2.8 %, /18 1.5 %,
//! /17 0.9 %, /16 1.5 %, /8–/15 0.5 %, /25–/32 0.1 %. The IPv6 mix follows the same
//! tables (/48 and /32 dominate, then /44, /40, /36, /29). About half of all
//! prefixes are nested under a shorter one (more-specifics of an aggregate), the
//! rest are placed where no shorter prefix covers them.
//!
//! The PRNG is the crate's SplitMix64 ([`crate::rng`]): identical output on every
//! platform and version.

use ipnet::{Ipv4Net, Ipv6Net};
use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};

pub use crate::rng::SplitMix64;

/// IPv4 lengths with weights in 0.01 %.
const V4_MIX: &[(u8, u32)] = &[
    (24, 5960),
    (23, 1070),
    (22, 1200),
    (21, 560),
    (20, 470),
    (19, 280),
    (18, 150),
    (17, 90),
    (16, 150),
    (15, 15),
    (14, 10),
    (13, 8),
    (12, 6),
    (11, 4),
    (10, 3),
    (9, 2),
    (8, 2),
    (25, 1),
    (26, 1),
    (27, 1),
    (28, 1),
    (29, 1),
    (30, 1),
    (32, 4),
];

/// IPv6 lengths with weights in 0.01 %.
const V6_MIX: &[(u8, u32)] = &[
    (48, 4700),
    (32, 1500),
    (44, 700),
    (40, 700),
    (36, 400),
    (46, 300),
    (47, 300),
    (29, 300),
    (45, 200),
    (42, 200),
    (38, 150),
    (34, 100),
    (33, 100),
    (35, 50),
    (28, 50),
    (24, 30),
    (20, 20),
    (56, 80),
    (64, 80),
    (128, 40),
];

/// Fraction (in %) of prefixes placed under a shorter existing prefix.
const NESTED_PERCENT: u64 = 50;

/// `n` distinct IPv4 prefixes (when the mix allows that many) drawn from `seed`.
pub fn synthetic_v4(n: usize, seed: u64) -> Vec<Ipv4Net> {
    // Unicast space 1.0.0.0 – 223.255.255.255.
    let raw = synthesize(n, seed, V4_MIX, |rng| {
        let hi = 1 + rng.below(223) as u128;
        (hi << 120) | (u128::from(rng.next_u64() as u32 & 0x00ff_ffff) << 96)
    });
    raw.into_iter()
        .filter_map(|(key, len)| Ipv4Net::new(Ipv4Addr::from((key >> 96) as u32), len).ok())
        .collect()
}

/// `n` distinct IPv6 prefixes (when the mix allows that many) drawn from `seed`,
/// inside global unicast 2000::/3.
pub fn synthetic_v6(n: usize, seed: u64) -> Vec<Ipv6Net> {
    let raw = synthesize(n, seed, V6_MIX, |rng| {
        let r = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        (r >> 3) | (1u128 << 125)
    });
    raw.into_iter()
        .filter_map(|(key, len)| Ipv6Net::new(Ipv6Addr::from(key), len).ok())
        .collect()
}

/// Netmask of a left-aligned prefix of `len` bits.
fn mask(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

/// Keys are left-aligned in 128 bits.
fn synthesize(
    n: usize,
    seed: u64,
    mix: &[(u8, u32)],
    mut random_addr: impl FnMut(&mut SplitMix64) -> u128,
) -> Vec<(u128, u8)> {
    let mut rng = SplitMix64::new(seed);
    let total: u32 = mix.iter().map(|&(_, w)| w).sum();
    let mut lengths: Vec<u8> = (0..n)
        .map(|_| {
            let mut pick = rng.below(u64::from(total)) as u32;
            for &(len, w) in mix {
                if pick < w {
                    return len;
                }
                pick -= w;
            }
            mix[0].0
        })
        .collect();
    // Shorter first, so aggregates exist before their more-specifics.
    lengths.sort_unstable();
    let mut out: Vec<(u128, u8)> = Vec::with_capacity(n);
    let mut seen: HashSet<(u128, u8)> = HashSet::with_capacity(n);
    let mut shorter_end = 0;
    for (i, &len) in lengths.iter().enumerate() {
        if i > 0 && lengths[i - 1] < len {
            shorter_end = out.len();
        }
        let m = mask(len);
        for attempt in 0..64 {
            let nest = shorter_end > 0 && rng.below(100) < NESTED_PERCENT;
            let key = if nest {
                let (pk, pl) = out[rng.below(shorter_end as u64) as usize];
                let host = random_addr(&mut rng) & !mask(pl);
                (pk | host) & m
            } else {
                let key = random_addr(&mut rng) & m;
                // Keep the un-nested ones un-nested (most of the time), so the
                // nested share stays near NESTED_PERCENT.
                if attempt < 8 && covered(&seen, key, len) {
                    continue;
                }
                key
            };
            if seen.insert((key, len)) {
                out.push((key, len));
                break;
            }
        }
    }
    // Shuffle (Fisher–Yates) so the file order carries no length order.
    for i in (1..out.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

/// Is `key/len` inside a shorter prefix of `seen`?
fn covered(seen: &HashSet<(u128, u8)>, key: u128, len: u8) -> bool {
    (0..len).any(|l| seen.contains(&(key & mask(l), l)))
}

/// Lookup keys: half inside a random table prefix (random host bits), half uniform
/// over the whole address space, interleaved at random.
pub fn keys_v4(prefixes: &[Ipv4Net], n: usize, seed: u64) -> Vec<Ipv4Addr> {
    let mut rng = SplitMix64::new(seed ^ 0x6b65_7973);
    (0..n)
        .map(|_| {
            let r = rng.next_u64() as u32;
            if prefixes.is_empty() || rng.below(2) == 0 {
                return Ipv4Addr::from(r);
            }
            let p = prefixes[rng.below(prefixes.len() as u64) as usize];
            let m = u32::from(p.netmask());
            Ipv4Addr::from((u32::from(p.network()) & m) | (r & !m))
        })
        .collect()
}

/// IPv6 version of [`keys_v4`].
pub fn keys_v6(prefixes: &[Ipv6Net], n: usize, seed: u64) -> Vec<Ipv6Addr> {
    let mut rng = SplitMix64::new(seed ^ 0x6b65_7973);
    (0..n)
        .map(|_| {
            let r = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
            if prefixes.is_empty() || rng.below(2) == 0 {
                return Ipv6Addr::from(r);
            }
            let p = prefixes[rng.below(prefixes.len() as u64) as usize];
            let m = u128::from(p.netmask());
            Ipv6Addr::from((u128::from(p.network()) & m) | (r & !m))
        })
        .collect()
}

/// The next key of a benchmark's dependent chain (latency): `key` with its low bit
/// flipped by the previous result's, and XORed with all ones when the result's top
/// bit is set. Benchmark values are route indices (< 2^31), so the second part
/// never changes a key, but neither compiler nor CPU can know that: every bit of
/// the key, hence every load of the next lookup, waits for the previous result.
/// (The low bit alone let a lookup whose first load reads only the high 64 bits of
/// an IPv6 key start early: a `u128` lives in two registers.) Used by `peeremu
/// bench` and `benches/lpm.rs`, for every implementation alike.
#[inline(always)]
pub fn chain_v4(key: Ipv4Addr, prev: u32) -> Ipv4Addr {
    let all = 0u32.wrapping_sub(prev >> 31);
    Ipv4Addr::from(u32::from(key) ^ (prev & 1) ^ all)
}

/// IPv6 version of [`chain_v4`].
#[inline(always)]
pub fn chain_v6(key: Ipv6Addr, prev: u32) -> Ipv6Addr {
    let all = 0u128.wrapping_sub(u128::from(prev >> 31));
    Ipv6Addr::from(u128::from(key) ^ u128::from(prev & 1) ^ all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_flips_the_low_bit_and_never_more_for_small_values() {
        let k = Ipv4Addr::new(10, 0, 0, 2);
        assert_eq!(chain_v4(k, 7), Ipv4Addr::new(10, 0, 0, 3));
        assert_eq!(chain_v4(k, 8), k);
        assert_eq!(chain_v4(k, 1 << 31), Ipv4Addr::from(!u32::from(k)));
        let k6: Ipv6Addr = "2001:db8::2".parse().expect("v6");
        assert_eq!(
            chain_v6(k6, 1),
            "2001:db8::3".parse::<Ipv6Addr>().expect("v6")
        );
    }

    fn nested_share(keys: &[(u128, u8)]) -> f64 {
        let set: HashSet<(u128, u8)> = keys.iter().copied().collect();
        let nested = keys.iter().filter(|&&(k, l)| covered(&set, k, l)).count();
        nested as f64 / keys.len() as f64
    }

    #[test]
    fn v4_mix_is_deterministic_distinct_and_half_nested() {
        let a = synthetic_v4(20_000, 7);
        assert_eq!(a, synthetic_v4(20_000, 7));
        assert_ne!(a, synthetic_v4(20_000, 8));
        let set: HashSet<_> = a.iter().collect();
        assert_eq!(set.len(), a.len());
        assert!(a.len() > 19_900, "{}", a.len());
        let share24 = a.iter().filter(|p| p.prefix_len() == 24).count() as f64 / a.len() as f64;
        assert!((0.57..0.62).contains(&share24), "{share24}");
        let keys: Vec<_> = a
            .iter()
            .map(|p| (u128::from(u32::from(p.network())) << 96, p.prefix_len()))
            .collect();
        let nested = nested_share(&keys);
        assert!((0.4..0.65).contains(&nested), "nested share {nested}");
    }

    #[test]
    fn v6_prefixes_are_global_unicast_and_half_nested() {
        let a = synthetic_v6(5_000, 1);
        assert!(a.len() > 4_950);
        let global: Ipv6Net = "2000::/3".parse().unwrap();
        assert!(a.iter().all(|p| global.contains(p)));
        let keys: Vec<_> = a
            .iter()
            .map(|p| (u128::from(p.network()), p.prefix_len()))
            .collect();
        let nested = nested_share(&keys);
        assert!((0.4..0.65).contains(&nested), "nested share {nested}");
    }

    #[test]
    fn half_the_keys_fall_inside_a_prefix() {
        let table = synthetic_v4(1000, 3);
        let keys = keys_v4(&table, 10_000, 3);
        let inside = keys
            .iter()
            .filter(|k| table.iter().any(|p| p.contains(*k)))
            .count();
        assert!((4_800..6_500).contains(&inside), "{inside}");
    }
}
