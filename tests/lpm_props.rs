//! Property tests: every lookup agrees with a naive linear scan, on random tables
//! (including /0 and host routes) and random keys, IPv4 and IPv6, also after
//! removals.

use ipnet::{Ipv4Net, Ipv6Net};
use peeremu::lpm::{Lpm4, Lpm6};
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn naive4(routes: &[(Ipv4Net, u32)], a: Ipv4Addr) -> Option<(Ipv4Net, u32)> {
    // Later duplicates replace earlier ones, as in from_routes.
    let mut best: Option<(Ipv4Net, u32)> = None;
    for &(n, v) in routes {
        let n = n.trunc();
        if n.contains(&a) && best.is_none_or(|(b, _)| n.prefix_len() >= b.prefix_len()) {
            best = Some((n, v));
        }
    }
    best
}

fn naive6(routes: &[(Ipv6Net, u32)], a: Ipv6Addr) -> Option<(Ipv6Net, u32)> {
    let mut best: Option<(Ipv6Net, u32)> = None;
    for &(n, v) in routes {
        let n = n.trunc();
        if n.contains(&a) && best.is_none_or(|(b, _)| n.prefix_len() >= b.prefix_len()) {
            best = Some((n, v));
        }
    }
    best
}

/// Prefixes clustered under a few bases so that they nest and share nodes; every
/// length is possible, /0 and /32 included.
fn net4() -> impl Strategy<Value = Ipv4Net> {
    let addr = prop_oneof![
        any::<u32>(),
        (0u32..4, any::<u32>()).prop_map(|(b, r)| (0x0a00_0000 + (b << 22)) ^ (r & 0x00ff_ffff)),
    ];
    (
        addr,
        prop_oneof![0u8..=32, 16u8..=32, Just(32u8), Just(0u8)],
    )
        .prop_map(|(a, l)| Ipv4Net::new(Ipv4Addr::from(a), l).unwrap())
}

fn net6() -> impl Strategy<Value = Ipv6Net> {
    let addr = prop_oneof![
        any::<u128>(),
        (0u128..4, any::<u128>())
            .prop_map(|(b, r)| ((0x2001_0db8u128 << 96) + (b << 80)) ^ (r >> 48)),
    ];
    (
        addr,
        prop_oneof![0u8..=128, 20u8..=64, 64u8..=128, Just(128u8), Just(0u8)],
    )
        .prop_map(|(a, l)| Ipv6Net::new(Ipv6Addr::from(a), l).unwrap())
}

/// Keys: random, or inside / at the edges of a table prefix.
fn keys4(routes: &[(Ipv4Net, u32)], raw: &[(u32, usize, u8)]) -> Vec<Ipv4Addr> {
    raw.iter()
        .map(|&(r, i, how)| {
            if routes.is_empty() || how == 0 {
                return Ipv4Addr::from(r);
            }
            let n = routes[i % routes.len()].0.trunc();
            match how {
                1 => n.network(),
                2 => n.broadcast(),
                _ => Ipv4Addr::from(u32::from(n.network()) | (r & !u32::from(n.netmask()))),
            }
        })
        .collect()
}

fn keys6(routes: &[(Ipv6Net, u32)], raw: &[(u128, usize, u8)]) -> Vec<Ipv6Addr> {
    raw.iter()
        .map(|&(r, i, how)| {
            if routes.is_empty() || how == 0 {
                return Ipv6Addr::from(r);
            }
            let n = routes[i % routes.len()].0.trunc();
            match how {
                1 => n.network(),
                2 => n.broadcast(),
                _ => Ipv6Addr::from(u128::from(n.network()) | (r & !u128::from(n.netmask()))),
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ipv4_matches_linear_scan(
        nets in prop::collection::vec(net4(), 0..300),
        raw in prop::collection::vec((any::<u32>(), any::<usize>(), 0u8..4), 1..300),
        removals in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut routes: Vec<(Ipv4Net, u32)> = nets.into_iter().zip(0..).collect();
        let mut t = Lpm4::from_routes(routes.iter().copied());
        let keys = keys4(&routes, &raw);
        for &k in &keys {
            prop_assert_eq!(t.lookup_prefix(k).map(|(n, v)| (n, *v)), naive4(&routes, k), "key {}", k);
        }
        for r in removals {
            if routes.is_empty() { break; }
            let net = routes[r % routes.len()].0.trunc();
            let was = routes.iter().rev().find(|(n, _)| n.trunc() == net).map(|&(_, v)| v);
            prop_assert_eq!(t.remove(net), was);
            routes.retain(|(n, _)| n.trunc() != net);
        }
        for &k in &keys {
            prop_assert_eq!(t.lookup(k).copied(), naive4(&routes, k).map(|(_, v)| v), "after removals, key {}", k);
        }
        prop_assert_eq!(t.len(), routes.iter().map(|(n, _)| n.trunc()).collect::<std::collections::HashSet<_>>().len());
    }

    #[test]
    fn ipv6_matches_linear_scan(
        nets in prop::collection::vec(net6(), 0..300),
        raw in prop::collection::vec((any::<u128>(), any::<usize>(), 0u8..4), 1..300),
        removals in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut routes: Vec<(Ipv6Net, u32)> = nets.into_iter().zip(0..).collect();
        let mut t = Lpm6::from_routes(routes.iter().copied());
        let keys = keys6(&routes, &raw);
        for &k in &keys {
            prop_assert_eq!(t.lookup_prefix(k).map(|(n, v)| (n, *v)), naive6(&routes, k), "key {}", k);
        }
        for r in removals {
            if routes.is_empty() { break; }
            let net = routes[r % routes.len()].0.trunc();
            let was = routes.iter().rev().find(|(n, _)| n.trunc() == net).map(|&(_, v)| v);
            prop_assert_eq!(t.remove(net), was);
            routes.retain(|(n, _)| n.trunc() != net);
        }
        for &k in &keys {
            prop_assert_eq!(t.lookup(k).copied(), naive6(&routes, k).map(|(_, v)| v), "after removals, key {}", k);
        }
    }

    /// Incremental inserts give the same table as a bulk build.
    #[test]
    fn inserts_equal_bulk_build(
        nets in prop::collection::vec(net4(), 0..60),
        raw in prop::collection::vec((any::<u32>(), any::<usize>(), 0u8..4), 1..100),
    ) {
        let routes: Vec<(Ipv4Net, u32)> = nets.into_iter().zip(0..).collect();
        let bulk = Lpm4::from_routes(routes.iter().copied());
        let mut inc = Lpm4::new();
        for &(n, v) in &routes { inc.insert(n, v); }
        for k in keys4(&routes, &raw) {
            prop_assert_eq!(bulk.lookup(k), inc.lookup(k));
        }
    }
}
