//! Lookups allocate nothing: a counting global allocator watches `lookup`,
//! `lookup_prefix` and `lookup_batch` (both its batched path, on a table over
//! 1 MiB, and its plain-loop path, on a small one), IPv4 and IPv6.

use peeremu::lpm::{generate, Lpm4, Lpm6};
use std::hint::black_box;

mod alloc_support;

#[global_allocator]
static GLOBAL: alloc_support::Counting = alloc_support::Counting;

use alloc_support::allocations;

#[test]
fn lookups_do_not_allocate() {
    for n in [50, 200_000] {
        let nets = generate::synthetic_v4(n, 4);
        let t = Lpm4::from_routes(nets.iter().copied().zip(0u32..));
        let keys = generate::keys_v4(&nets, 1_000, 4);
        let mut out = vec![None; keys.len()];
        let mut sum = 0u32;
        let count = allocations(|| {
            for &k in &keys {
                sum = sum.wrapping_add(t.lookup(k).copied().unwrap_or(0));
                sum = sum.wrapping_add(t.lookup_prefix(k).map_or(0, |(_, v)| *v));
            }
            t.lookup_batch(&keys, &mut out);
        });
        assert_eq!(count, 0, "IPv4, {n} prefixes");
        assert!(out.iter().any(|v| v.is_some()));
        black_box(sum);
    }
    for n in [50, 60_000] {
        let nets = generate::synthetic_v6(n, 4);
        let t = Lpm6::from_routes(nets.iter().copied().zip(0u32..));
        let keys = generate::keys_v6(&nets, 1_000, 4);
        let mut out = vec![None; keys.len()];
        let mut sum = 0u32;
        let count = allocations(|| {
            for &k in &keys {
                sum = sum.wrapping_add(t.lookup(k).copied().unwrap_or(0));
            }
            t.lookup_batch(&keys, &mut out);
        });
        assert_eq!(count, 0, "IPv6, {n} prefixes");
        assert!(out.iter().any(|v| v.is_some()));
        black_box(sum);
    }
}

/// The large tables above really take the batched path (over 1 MiB).
#[test]
fn the_large_tables_are_batched() {
    let t4 = Lpm4::from_routes(
        generate::synthetic_v4(200_000, 4)
            .into_iter()
            .map(|n| (n, ())),
    );
    assert!(
        t4.stats().trie_bytes >= 1 << 20,
        "{}",
        t4.stats().trie_bytes
    );
    let t6 = Lpm6::from_routes(
        generate::synthetic_v6(60_000, 4)
            .into_iter()
            .map(|n| (n, ())),
    );
    assert!(
        t6.stats().trie_bytes >= 1 << 20,
        "{}",
        t6.stats().trie_bytes
    );
}
