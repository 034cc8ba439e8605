//! Longest-prefix-match tables for IPv4 and IPv6 with a generic value.
//!
//! # Algorithm: Poptrie with direct pointing
//!
//! We compile the route list into a Poptrie (Asai & Ohara, "Poptrie: A Compressed
//! Trie with Population Count for Fast and Scalable Software IP Routing Table
//! Lookup", SIGCOMM 2015): a direct-pointing array indexed by the top `s` bits of the
//! address, then 64-ary nodes that each consume 6 bits and locate their children and
//! leaves with one population count over a 64-bit bitmap. Why this one:
//! - **Speed.** A lookup on a full IPv4 table is one direct-table read plus one or two
//!   24-byte nodes and one leaf: three or four dependent loads, no branches that
//!   depend on data other than "internal or leaf". The paper measures 174–240 million
//!   lookups/s per core on full tables, on par with DXR and ahead of tree bitmap
//!   (which needs a separate result-array walk) and SAIL.
//! - **Memory.** Leaf pushing plus leaf compression (runs of equal leaves stored once)
//!   keeps a full IPv4 table in a few MB, where DIR-24-8 needs 32–64 MB and thrashes
//!   the cache on random keys.
//! - **IPv6 for free.** The same nodes walk 128-bit keys 6 bits at a time; DIR-24-8
//!   and DXR are IPv4-specific.
//!
//! The direct-pointing width adapts to the table size: 2^8 entries for a handful of
//! routes (the table stays in L1), 2^18 for full tables as the paper recommends.
//!
//! Beyond the paper (see `poptrie.rs`): each node's leaves are stored right behind
//! it, so the leaf usually arrives with the node's cache line; chains of up to 10
//! nodes that only pass through (sparse IPv6 space) collapse into one skip node.
//!
//! # Costs
//! - `lookup` allocates nothing and does not branch on the table size; `&self` only.
//! - `from_routes` compiles once: O(n log n) (≈ 0.1 s for a full IPv4 table).
//! - `insert` of a new prefix and `remove` recompile the whole table, O(n): fine
//!   for VPC route tables (tens of routes) and for occasional updates; build big
//!   tables with `from_routes`. Replacing the value of an existing prefix is O(1).
//!
//! Values live in a `Vec` indexed by `u32` route slots; the trie stores only slots.
//! That costs a value load after the leaf, so each direct entry that leads to a node
//! also yields a *hint*, the slot of its region's first route (a per-16-entry base
//! plus a delta packed beside the node offset, so entries stay 4 bytes and the
//! 2^18-entry table 1 MiB, L2-resident): on tables over 1 MiB the lookup prefetches
//! the values there, and the node's second cache line, while it loads the node
//! (`poptrie.rs`, `table.rs`). Tables under 1 MiB skip those prefetches (they are
//! cache-resident; the prefetches only cost instructions there).
//! Routes up to /18 take the first slots (`table.rs`): they answer the lookups that
//! end in the direct table, and grouped their values stay cache-resident.
//! [`Lpm4::lookup_batch`] walks 32 keys at a time to overlap their cache misses
//! (`batch.rs`). Both were measured with `cargo bench --bench lpm` (README,
//! "Benchmarks").
//! The big arrays sit on transparent huge pages (`huge.rs`): on a full table the
//! lookup's few random accesses would otherwise each miss the TLB too.

mod batch;
mod build;
pub mod generate;
mod huge;
pub mod load;
mod poptrie;
mod table;

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{Ipv4Addr, Ipv6Addr};
use table::Table;

/// Keys per step of [`Lpm4::lookup_batch`]/[`Lpm6::lookup_batch`]: slices of any
/// length are fine, this is only the width of the software pipeline.
pub const BATCH: usize = batch::LANES;

/// Defines one address family's table: `Lpm4` and `Lpm6` are the same wrapper over
/// [`Table`] and differ only in their prefix/address types, the integer the trie
/// walks, and the trie's single and batched walk functions.
macro_rules! lpm_table {
    ($(#[$doc:meta])* $name:ident, $net:ty, $addr:ty, $bits:ty, $leaf:ident, $lanes:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<V> {
            table: Table<$net, V>,
        }

        impl<V> Default for $name<V> {
            fn default() -> Self {
                $name {
                    table: Table::default(),
                }
            }
        }

        impl<V> $name<V> {
            pub fn new() -> Self {
                Self::default()
            }

            /// Build from a route list; a later duplicate prefix replaces an earlier
            /// one. Host bits are ignored (10.1.2.3/8 is 10.0.0.0/8).
            pub fn from_routes(routes: impl IntoIterator<Item = ($net, V)>) -> Self {
                $name {
                    table: Table::from_routes(routes),
                }
            }

            /// Insert or replace; returns the old value. A new prefix recompiles the
            /// table.
            pub fn insert(&mut self, net: $net, value: V) -> Option<V> {
                self.table.insert(net, value)
            }

            /// Remove a prefix (exact match); recompiles the table.
            pub fn remove(&mut self, net: $net) -> Option<V> {
                self.table.remove(net)
            }

            /// The value of the longest prefix containing `addr`, with that prefix.
            #[inline]
            pub fn lookup_prefix(&self, addr: $addr) -> Option<($net, &V)> {
                self.table.route(self.table.$leaf(<$bits>::from(addr)))
            }

            /// The value of the longest prefix containing `addr`.
            #[inline]
            pub fn lookup(&self, addr: $addr) -> Option<&V> {
                self.table.value(self.table.$leaf(<$bits>::from(addr)))
            }

            /// `out[i] = self.lookup(addrs[i])` for each `i` (over the shorter slice):
            /// the same answers, computed [`BATCH`] keys at a time so that their cache
            /// misses overlap. For throughput when many independent lookups are at
            /// hand (a burst of frames); allocates nothing.
            #[inline]
            pub fn lookup_batch<'a>(&'a self, addrs: &[$addr], out: &mut [Option<&'a V>]) {
                let mut keys: [$bits; BATCH] = [0; BATCH];
                let mut leaves = [0u32; BATCH];
                if !self.table.trie.batch_pays() {
                    for (o, &a) in out.iter_mut().zip(addrs) {
                        *o = self.lookup(a);
                    }
                    return;
                }
                for (addrs, out) in addrs.chunks(BATCH).zip(out.chunks_mut(BATCH)) {
                    let n = addrs.len().min(out.len());
                    for (k, &a) in keys.iter_mut().zip(addrs) {
                        *k = <$bits>::from(a);
                    }
                    self.table.trie.$lanes(&keys[..n], &mut leaves[..n]);
                    self.table.values_into(&leaves[..n], &mut out[..n]);
                }
            }

            #[doc(hidden)]
            #[inline]
            pub fn zz_leaf(&self, addr: $addr) -> u32 {
                self.table.$leaf(<$bits>::from(addr))
            }

            /// The value stored for exactly this prefix.
            pub fn get(&self, net: $net) -> Option<&V> {
                self.table.get(net)
            }

            pub fn len(&self) -> usize {
                self.table.nets.len()
            }

            pub fn is_empty(&self) -> bool {
                self.table.nets.is_empty()
            }

            /// The routes, sorted by address then prefix length.
            pub fn iter(&self) -> impl Iterator<Item = ($net, &V)> {
                self.table.iter()
            }

            /// Bytes of heap memory held: the compiled trie, the prefixes and the
            /// values (not memory the values themselves own).
            pub fn memory_bytes(&self) -> usize {
                self.table.memory_bytes()
            }

            /// Shape of the compiled structure, for reports.
            pub fn stats(&self) -> Stats {
                Stats::of(&self.table.trie)
            }
        }
    };
}

lpm_table!(
    /// IPv4 longest-prefix-match table.
    Lpm4, Ipv4Net, Ipv4Addr, u32, leaf32, lookup32_lanes
);
lpm_table!(
    /// IPv6 longest-prefix-match table.
    Lpm6, Ipv6Net, Ipv6Addr, u128, leaf128, lookup128_lanes
);

/// Shape of a compiled table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Width of the direct-pointing array (2^bits entries).
    pub direct_bits: u32,
    /// 64-ary internal nodes.
    pub nodes: usize,
    /// Bytes of the lookup structure alone (direct array, nodes, leaves).
    pub trie_bytes: usize,
}

impl Stats {
    fn of(trie: &poptrie::Poptrie) -> Stats {
        Stats {
            direct_bits: trie.direct_bits(),
            nodes: trie.node_count(),
            trie_bytes: trie.memory_bytes(),
        }
    }
}

#[cfg(test)]
mod tests;
