//! The value-owning side shared by [`super::Lpm4`] and [`super::Lpm6`]: routes live
//! in a `Vec` (slot = index), the compiled [`Poptrie`] holds only `u32` slots.

use super::poptrie::{direct_bits_for, Entry, Poptrie};
use ipnet::{Ipv4Net, Ipv6Net};
use std::collections::HashMap;
use std::hash::Hash;

/// A CIDR prefix type the table can compile (IPv4 or IPv6).
pub(crate) trait Prefix: Copy + Eq + Hash {
    /// The network address left-aligned in 128 bits.
    fn key(&self) -> u128;
    fn length(&self) -> u8;
    /// The same prefix with host bits cleared.
    fn canonical(&self) -> Self;
}

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
    pub(crate) routes: Vec<(P, V)>,
    slots: HashMap<P, u32>,
    pub(crate) trie: Poptrie,
}

impl<P: Prefix, V> Default for Table<P, V> {
    fn default() -> Self {
        Table {
            routes: Vec::new(),
            slots: HashMap::new(),
            trie: Poptrie::build(Vec::new(), direct_bits_for(0)),
        }
    }
}

impl<P: Prefix, V> Table<P, V> {
    pub(crate) fn from_routes(routes: impl IntoIterator<Item = (P, V)>) -> Self {
        let mut t = Table {
            routes: Vec::new(),
            slots: HashMap::new(),
            trie: Poptrie::build(Vec::new(), direct_bits_for(0)),
        };
        for (net, value) in routes {
            t.put(net, value);
        }
        t.rebuild();
        t
    }

    /// Insert or replace without recompiling; returns the old value.
    fn put(&mut self, net: P, value: V) -> Option<V> {
        let net = net.canonical();
        match self.slots.get(&net) {
            Some(&slot) => Some(std::mem::replace(&mut self.routes[slot as usize].1, value)),
            None => {
                let slot = u32::try_from(self.routes.len())
                    .ok()
                    .filter(|&s| s < super::poptrie::LEAF - 1)
                    .expect("an LPM table holds fewer than 2^31 routes");
                self.slots.insert(net, slot);
                self.routes.push((net, value));
                None
            }
        }
    }

    pub(crate) fn insert(&mut self, net: P, value: V) -> Option<V> {
        let old = self.put(net, value);
        // Replacing a value keeps every slot: the compiled trie is still right.
        if old.is_none() {
            self.rebuild();
        }
        old
    }

    pub(crate) fn remove(&mut self, net: P) -> Option<V> {
        let net = net.canonical();
        let slot = self.slots.remove(&net)? as usize;
        let (_, value) = self.routes.swap_remove(slot);
        if let Some((moved, _)) = self.routes.get(slot) {
            self.slots.insert(*moved, slot as u32);
        }
        self.rebuild();
        Some(value)
    }

    /// Recompile the trie from the routes: O(n log n).
    pub(crate) fn rebuild(&mut self) {
        let entries = self
            .routes
            .iter()
            .enumerate()
            .map(|(slot, (net, _))| Entry {
                key: net.key(),
                len: net.length(),
                slot: slot as u32,
            })
            .collect();
        self.trie = Poptrie::build(entries, direct_bits_for(self.routes.len()));
    }

    /// The route for a leaf returned by the trie (0 = none).
    #[inline(always)]
    pub(crate) fn route(&self, leaf: u32) -> Option<&(P, V)> {
        // Leaf 0 wraps to u32::MAX as usize, out of bounds: `get` returns None.
        self.routes.get(leaf.wrapping_sub(1) as usize)
    }

    pub(crate) fn get(&self, net: P) -> Option<&V> {
        let slot = *self.slots.get(&net.canonical())?;
        Some(&self.routes[slot as usize].1)
    }

    /// Bytes held: compiled trie, the route vector and the prefix index.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.trie.memory_bytes()
            + self.routes.capacity() * size_of::<(P, V)>()
            + self.slots.capacity() * (size_of::<(P, u32)>() + 1)
    }
}
