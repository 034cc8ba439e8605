//! The value-owning side shared by [`super::Lpm4`] and [`super::Lpm6`].
//!
//! Prefixes are kept sorted in `nets` (routes up to /18 first, then the others, each
//! group by address then length: see [`Prefix::order`]), their values at the same
//! index in `values`; the index is the route slot the compiled [`Poptrie`] stores.
//! Keeping them sorted makes exact-prefix search a binary search, so no hash index is
//! needed (that would cost more memory than the trie itself).

use super::batch::prefetch;

/// Cache lines of values prefetched from a hint. Measured on the full IPv4 table
/// (dependent lookups): 0 lines 23.0 ms, 1 line 19.1, 2 lines 18.4–19.0, 3 lines
/// 20.2, 4 lines 20.0 per 2^18 lookups. (84 % of the answers under a node lie
/// within 32 slots of the hint.)
const HINT_LINES: usize = 2;
use super::build::direct_bits_for;
use super::huge::advise_vec;
use super::poptrie::{Entry, Poptrie};
use ipnet::{Ipv4Net, Ipv6Net};

/// A CIDR prefix type the table can compile (IPv4 or IPv6).
pub(crate) trait Prefix: Copy + Eq {
    /// The network address left-aligned in 128 bits.
    fn key(&self) -> u128;
    fn length(&self) -> u8;
    /// The same prefix with host bits cleared.
    fn canonical(&self) -> Self;
    /// Storage order of routes (and so their slots): the short prefixes (up to
    /// [`SHORT_MAX`]) first, then the others, each group by address then length.
    /// A table whose order is sorted can find a prefix by binary search.
    fn order(&self) -> (bool, u128, u8) {
        (self.length() > SHORT_MAX, self.key(), self.length())
    }
}

/// Routes up to this length get the first slots, so their values sit together at
/// the start of `values`. On a full IPv4 table they are the answers of the 39 % of
/// lookups that end in the direct table (and of many node leaves, leaf-pushed),
/// but only 5 % of the routes: grouped, their values (≈ 180 KB as `u32`) can stay
/// in L2, where interleaved with the /24s they were spread over the whole 3.6 MB
/// array. Measured (dependent lookups): full IPv4 table 65 → 62 ns, 100,000
/// prefixes 27.7 → 24.9 ns.
const SHORT_MAX: u8 = 18;

impl Prefix for Ipv4Net {
    fn key(&self) -> u128 {
        u128::from(u32::from(self.network())) << 96
    }
    fn length(&self) -> u8 {
        self.prefix_len()
    }
    fn canonical(&self) -> Self {
        self.trunc()
    }
}

impl Prefix for Ipv6Net {
    fn key(&self) -> u128 {
        u128::from(self.network())
    }
    fn length(&self) -> u8 {
        self.prefix_len()
    }
    fn canonical(&self) -> Self {
        self.trunc()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Table<P, V> {
    /// Canonical prefixes, sorted by `order`, distinct.
    pub(crate) nets: Vec<P>,
    pub(crate) values: Vec<V>,
    pub(crate) trie: Poptrie,
}

impl<P: Prefix, V> Default for Table<P, V> {
    fn default() -> Self {
        Table {
            nets: Vec::new(),
            values: Vec::new(),
            trie: Poptrie::build(Vec::new(), direct_bits_for(0)),
        }
    }
}

impl<P: Prefix, V> Table<P, V> {
    /// Bulk build: later duplicates replace earlier ones. O(n log n).
    pub(crate) fn from_routes(routes: impl IntoIterator<Item = (P, V)>) -> Self {
        let mut items: Vec<(P, Option<V>)> = routes
            .into_iter()
            .map(|(n, v)| (n.canonical(), Some(v)))
            .collect();
        // Stable sort keeps input order among duplicates; keep the last of each run.
        items.sort_by_key(|(n, _)| n.order());
        let mut nets = Vec::with_capacity(items.len());
        let mut values = Vec::with_capacity(items.len());
        advise_vec(&values);
        let mut iter = items.into_iter().peekable();
        while let Some((net, value)) = iter.next() {
            if iter.peek().is_some_and(|(next, _)| *next == net) {
                continue;
            }
            nets.push(net);
            values.extend(value);
        }
        let mut t = Table {
            nets,
            values,
            trie: Poptrie::build(Vec::new(), direct_bits_for(0)),
        };
        t.rebuild();
        t
    }

    fn position(&self, net: &P) -> Result<usize, usize> {
        self.nets.binary_search_by_key(&net.order(), |n| n.order())
    }

    /// Insert or replace; returns the old value. A new prefix recompiles: O(n).
    pub(crate) fn insert(&mut self, net: P, value: V) -> Option<V> {
        let net = net.canonical();
        match self.position(&net) {
            Ok(i) => Some(std::mem::replace(&mut self.values[i], value)),
            Err(i) => {
                self.nets.insert(i, net);
                self.values.insert(i, value);
                self.rebuild();
                None
            }
        }
    }

    /// Remove an exact prefix; recompiles: O(n).
    pub(crate) fn remove(&mut self, net: P) -> Option<V> {
        let i = self.position(&net.canonical()).ok()?;
        self.nets.remove(i);
        let value = self.values.remove(i);
        self.rebuild();
        Some(value)
    }

    /// Recompile the trie from `nets` (already sorted): O(n).
    fn rebuild(&mut self) {
        let entries = self
            .nets
            .iter()
            .zip(0u32..)
            .map(|(net, slot)| Entry {
                key: net.key(),
                len: net.length(),
                slot,
            })
            .collect();
        self.trie = Poptrie::build(entries, direct_bits_for(self.nets.len()));
    }

    /// Prefetch the value of route `slot` and of the routes right after it (the
    /// hint callback of the trie lookups).
    #[inline(always)]
    pub(crate) fn prefetch_values(&self, slot: u32) {
        let at = self.values.as_ptr().wrapping_add(slot as usize);
        for line in 0..HINT_LINES {
            prefetch(at.cast::<u8>().wrapping_add(64 * line));
        }
    }

    /// The leaf for an IPv4 key, prefetching its likely value on the way.
    #[inline(always)]
    pub(crate) fn leaf32(&self, addr: u32) -> u32 {
        self.trie.lookup32_hinted(addr, |h| self.prefetch_values(h))
    }

    /// The leaf for an IPv6 key, prefetching its likely value on the way.
    #[inline(always)]
    pub(crate) fn leaf128(&self, key: u128) -> u32 {
        self.trie.lookup128_hinted(key, |h| self.prefetch_values(h))
    }

    /// The value for a leaf returned by the trie (0 = none).
    #[inline(always)]
    pub(crate) fn value(&self, leaf: u32) -> Option<&V> {
        // Leaf 0 wraps to u32::MAX, out of bounds: `get` returns None.
        self.values.get(leaf.wrapping_sub(1) as usize)
    }

    /// `out[i] = value(leaves[i])`, prefetching the values first so their misses
    /// overlap (the batched lookup's last stage).
    #[inline]
    pub(crate) fn values_into<'a>(&'a self, leaves: &[u32], out: &mut [Option<&'a V>]) {
        for &leaf in leaves {
            prefetch(
                self.values
                    .as_ptr()
                    .wrapping_add(leaf.wrapping_sub(1) as usize),
            );
        }
        for (o, &leaf) in out.iter_mut().zip(leaves) {
            *o = self.value(leaf);
        }
    }

    /// The prefix and value for a leaf returned by the trie (0 = none).
    #[inline(always)]
    pub(crate) fn route(&self, leaf: u32) -> Option<(P, &V)> {
        let i = leaf.wrapping_sub(1) as usize;
        Some((*self.nets.get(i)?, self.values.get(i)?))
    }

    pub(crate) fn get(&self, net: P) -> Option<&V> {
        let i = self.position(&net.canonical()).ok()?;
        self.values.get(i)
    }

    /// The routes by address, then length: a merge of the two groups of the
    /// storage order (see [`Prefix::order`]).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (P, &V)> {
        let split = self.nets.partition_point(|n| n.length() <= SHORT_MAX);
        let mut short = self.nets[..split]
            .iter()
            .zip(&self.values[..split])
            .peekable();
        let mut long = self.nets[split..]
            .iter()
            .zip(&self.values[split..])
            .peekable();
        std::iter::from_fn(move || {
            let take_short = match (short.peek(), long.peek()) {
                (Some((a, _)), Some((b, _))) => (a.key(), a.length()) <= (b.key(), b.length()),
                (s, _) => s.is_some(),
            };
            let (net, value) = if take_short {
                short.next()
            } else {
                long.next()
            }?;
            Some((*net, value))
        })
    }

    /// Bytes held: compiled trie, prefixes and values.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.trie.memory_bytes()
            + self.nets.capacity() * size_of::<P>()
            + self.values.capacity() * size_of::<V>()
    }
}
