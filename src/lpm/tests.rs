use super::generate::{keys_v4, keys_v6, synthetic_v4, synthetic_v6, SplitMix64};
use super::poptrie::{Entry, Poptrie};
use super::*;

fn v4(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}
fn v6(s: &str) -> Ipv6Net {
    s.parse().unwrap()
}
fn a4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}
fn a6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

#[test]
fn empty_table_matches_nothing() {
    let t: Lpm4<u8> = Lpm4::new();
    assert!(t.is_empty());
    assert_eq!(t.lookup(a4("1.2.3.4")), None);
    let t: Lpm6<u8> = Lpm6::new();
    assert_eq!(t.lookup(a6("::1")), None);
}

#[test]
fn longest_prefix_wins_with_default_and_host_routes() {
    let t = Lpm4::from_routes([
        (v4("0.0.0.0/0"), "default"),
        (v4("10.0.0.0/8"), "8"),
        (v4("10.1.0.0/16"), "16"),
        (v4("10.1.2.0/24"), "24"),
        (v4("10.1.2.3/32"), "host"),
        (v4("10.1.2.128/25"), "25"),
    ]);
    assert_eq!(t.lookup(a4("8.8.8.8")), Some(&"default"));
    assert_eq!(t.lookup(a4("10.9.9.9")), Some(&"8"));
    assert_eq!(t.lookup(a4("10.1.9.9")), Some(&"16"));
    assert_eq!(t.lookup(a4("10.1.2.4")), Some(&"24"));
    assert_eq!(t.lookup(a4("10.1.2.3")), Some(&"host"));
    assert_eq!(t.lookup(a4("10.1.2.200")), Some(&"25"));
    assert_eq!(
        t.lookup_prefix(a4("10.1.2.200")),
        Some((v4("10.1.2.128/25"), &"25"))
    );
    assert_eq!(t.len(), 6);
}

#[test]
fn insert_replace_remove_and_host_bits() {
    let mut t = Lpm4::new();
    assert_eq!(t.insert(v4("192.168.1.77/16"), 1), None);
    assert_eq!(t.insert(v4("192.168.0.0/16"), 2), Some(1));
    assert_eq!(t.insert(v4("192.168.5.0/24"), 3), None);
    assert_eq!(t.get(v4("192.168.0.0/16")), Some(&2));
    assert_eq!(t.lookup(a4("192.168.5.5")), Some(&3));
    assert_eq!(t.remove(v4("192.168.0.0/16")), Some(2));
    assert_eq!(t.remove(v4("192.168.0.0/16")), None);
    assert_eq!(t.lookup(a4("192.168.6.5")), None);
    assert_eq!(t.lookup(a4("192.168.5.5")), Some(&3));
    assert_eq!(t.len(), 1);
}

#[test]
fn every_ipv4_length_alone_and_stacked() {
    let addr = a4("203.0.113.77");
    let mut stacked = Lpm4::new();
    for len in 0..=32u8 {
        let net = Ipv4Net::new(addr, len).unwrap().trunc();
        let alone = Lpm4::from_routes([(net, len)]);
        assert_eq!(alone.lookup(addr), Some(&len), "/{len}");
        // The address just outside the prefix (flip the last prefix bit).
        if len > 0 {
            let outside = Ipv4Addr::from(u32::from(addr) ^ (1 << (32 - u32::from(len))));
            assert_eq!(alone.lookup(outside), None, "/{len}");
        }
        stacked.insert(net, len);
        assert_eq!(stacked.lookup(addr), Some(&len));
        if len > 0 {
            let sibling = Ipv4Addr::from(u32::from(addr) ^ (1 << (32 - u32::from(len))));
            assert_eq!(stacked.lookup(sibling), Some(&(len - 1)), "/{len}");
        }
    }
}

#[test]
fn every_ipv6_length_alone_and_stacked() {
    let addr = a6("2001:db8:85a3:8d3:1319:8a2e:370:7348");
    let mut stacked = Lpm6::new();
    for len in 0..=128u8 {
        let net = Ipv6Net::new(addr, len).unwrap().trunc();
        let alone = Lpm6::from_routes([(net, len)]);
        assert_eq!(alone.lookup(addr), Some(&len), "/{len}");
        stacked.insert(net, len);
        assert_eq!(stacked.lookup_prefix(addr), Some((net, &len)));
        if len > 0 {
            let sibling = Ipv6Addr::from(u128::from(addr) ^ (1 << (128 - u32::from(len))));
            assert_eq!(stacked.lookup(sibling), Some(&(len - 1)), "/{len}");
        }
    }
    assert_eq!(stacked.len(), 129);
}

fn naive4(routes: &[(Ipv4Net, usize)], a: Ipv4Addr) -> Option<usize> {
    routes
        .iter()
        .filter(|(n, _)| n.contains(&a))
        .max_by_key(|(n, _)| n.prefix_len())
        .map(|&(_, v)| v)
}

/// Every direct-pointing width must give the same answers as a linear scan.
#[test]
fn all_direct_widths_agree_with_linear_scan() {
    let nets = synthetic_v4(1500, 11);
    let routes: Vec<(Ipv4Net, usize)> = nets.iter().copied().zip(0..).collect();
    let entries: Vec<Entry> = routes
        .iter()
        .map(|&(n, v)| Entry {
            key: u128::from(u32::from(n.network())) << 96,
            len: n.prefix_len(),
            slot: v as u32,
        })
        .collect();
    let keys = keys_v4(&nets, 3000, 11);
    for s in [1, 6, 8, 12, 16, 18, 20, 24] {
        let trie = Poptrie::build(entries.clone(), s);
        for &k in &keys {
            let got = trie
                .lookup32(u32::from(k))
                .checked_sub(1)
                .map(|x| x as usize);
            assert_eq!(got, naive4(&routes, k), "s={s} key {k}");
        }
    }
}

#[test]
fn ipv6_synthetic_agrees_with_linear_scan() {
    let nets = synthetic_v6(800, 5);
    let mut routes: Vec<(Ipv6Net, usize)> = nets.iter().copied().zip(0..).collect();
    routes.push((v6("::/0"), 9999));
    routes.push((v6("2000::/3"), 9998));
    let t = Lpm6::from_routes(routes.iter().copied());
    let mut keys = keys_v6(&nets, 3000, 5);
    let mut rng = SplitMix64::new(1);
    keys.extend(nets.iter().map(|n| n.network()));
    keys.extend((0..200).map(|_| Ipv6Addr::from(u128::from(rng.next_u64()) << 64)));
    for k in keys {
        let want = routes
            .iter()
            .filter(|(n, _)| n.contains(&k))
            .max_by_key(|(n, _)| n.prefix_len())
            .map(|(_, v)| v);
        assert_eq!(t.lookup(k), want, "key {k}");
    }
}

#[test]
fn memory_is_reported_and_small() {
    let nets = synthetic_v4(60_000, 2);
    let t = Lpm4::from_routes(nets.iter().map(|&n| (n, ())));
    let stats = t.stats();
    assert_eq!(stats.direct_bits, 18);
    assert!(stats.nodes > 0);
    assert!(t.memory_bytes() >= stats.trie_bytes);
    // Nodes and leaves (the direct array aside): well under 25 bytes per prefix.
    let beyond_direct = stats.trie_bytes - (8 << stats.direct_bits); // entry + hint
    assert!(beyond_direct < 25 * t.len(), "{}", stats.trie_bytes);
}

/// The batched walk against the single one, straight on the trie (so small tables,
/// which `lookup_batch` hands to the plain loop, exercise it too), for every
/// direct width, partial batches and IPv6 skip nodes included.
#[test]
fn batched_walk_agrees_with_single_lookups() {
    let lanes = super::batch::LANES;
    let nets4 = synthetic_v4(3_000, 8);
    let keys4: Vec<u32> = keys_v4(&nets4, 1_000, 8)
        .into_iter()
        .map(u32::from)
        .collect();
    let entries4: Vec<Entry> = nets4
        .iter()
        .zip(0u32..)
        .map(|(n, slot)| {
            (
                (u128::from(u32::from(n.network())) << 96, n.prefix_len()),
                slot,
            )
        })
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .map(|((key, len), slot)| Entry { key, len, slot })
        .collect();
    let nets6 = synthetic_v6(2_000, 8);
    let keys6: Vec<u128> = keys_v6(&nets6, 1_000, 8)
        .into_iter()
        .map(u128::from)
        .collect();
    let entries6: Vec<Entry> = nets6
        .iter()
        .zip(0u32..)
        .map(|(n, slot)| ((u128::from(n.network()), n.prefix_len()), slot))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .map(|((key, len), slot)| Entry { key, len, slot })
        .collect();
    for s in [1, 8, 12, 16, 18, 24] {
        let t4 = Poptrie::build(entries4.clone(), s);
        let t6 = Poptrie::build(entries6.clone(), s);
        let mut leaves = vec![u32::MAX; lanes];
        for chunk in keys4.chunks(lanes - 3) {
            t4.lookup32_lanes(chunk, &mut leaves);
            for (k, &leaf) in chunk.iter().zip(&leaves) {
                assert_eq!(leaf, t4.lookup32(*k), "s={s} key {k:#x}");
            }
        }
        for chunk in keys6.chunks(lanes) {
            t6.lookup128_lanes(chunk, &mut leaves);
            for (k, &leaf) in chunk.iter().zip(&leaves) {
                assert_eq!(leaf, t6.lookup128_hinted(*k, |_| {}), "s={s} key {k:#x}");
            }
        }
    }
}

#[test]
fn lookup_batch_equals_lookup_on_any_slice_lengths() {
    let nets = synthetic_v4(2_000, 3);
    let t = Lpm4::from_routes(nets.iter().copied().zip(0u32..));
    let keys = keys_v4(&nets, 100, 3);
    let mut out = vec![Some(&u32::MAX); 60];
    // More keys than outputs: only the first 60 are answered.
    t.lookup_batch(&keys, &mut out);
    for (k, o) in keys.iter().zip(&out) {
        assert_eq!(*o, t.lookup(*k));
    }
    // Fewer keys than outputs: the rest is left alone.
    t.lookup_batch(&keys[..5], &mut out);
    assert_eq!(out[5], t.lookup(keys[5]));
    let nets6 = synthetic_v6(500, 3);
    let t6 = Lpm6::from_routes(nets6.iter().copied().zip(0u32..));
    let keys6 = keys_v6(&nets6, 77, 3);
    let mut out6 = vec![None; 77];
    t6.lookup_batch(&keys6, &mut out6);
    for (k, o) in keys6.iter().zip(&out6) {
        assert_eq!(*o, t6.lookup(*k));
    }
}

#[test]
fn iter_is_sorted_by_address_then_length_across_both_slot_groups() {
    // Routes up to /18 take the first slots (table.rs, SHORT_MAX); iteration must
    // still interleave them with the longer ones in address order.
    let nets = synthetic_v4(5_000, 3);
    let t = Lpm4::from_routes(nets.iter().copied().zip(0u32..));
    let listed: Vec<Ipv4Net> = t.iter().map(|(n, _)| n).collect();
    let mut expected: Vec<Ipv4Net> = nets.iter().map(|n| n.trunc()).collect();
    expected.sort_by_key(|n| (n.network(), n.prefix_len()));
    expected.dedup();
    assert_eq!(listed, expected);
    assert!(listed.iter().any(|n| n.prefix_len() <= 18));
    for (n, v) in t.iter() {
        assert_eq!(t.get(n), Some(v));
    }
}
