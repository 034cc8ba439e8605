//! The lookup structure: a Poptrie (Asai & Ohara, SIGCOMM 2015) over left-aligned
//! `u128` keys, shared by IPv4 (32 significant bits) and IPv6 (128).
//!
//! Layout:
//! - `direct`: 2^s entries indexed by the key's top `s` bits ("direct pointing").
//!   An entry with [`LEAF`] set holds a leaf (route slot + 1, 0 = no route); otherwise
//!   it is the index of the subtree's root node.
//! - `nodes`: 64-ary nodes that consume 6 key bits each. `vector` marks the children
//!   that are internal nodes, stored contiguously from `base1` in slot order, so the
//!   child of chunk `c` is `base1 + popcount(vector & below(c))`. The other positions
//!   are leaves, "leaf-compressed": `leafvec` has a bit where a run of equal leaves
//!   starts, and the leaf of chunk `c` is `leaves[base0 + popcount(leafvec & upto(c))]`
//!   (`base0` is stored minus one so no correction is needed at lookup).
//! - `leaves`: route slot + 1 (0 = no route), leaf-pushed: every leaf already holds
//!   the longest match along its path, so a lookup never backtracks.
//!
//! Keys shorter than a node's last chunk (IPv4 past bit 32, IPv6 past bit 128) are
//! zero-padded; prefixes expand over the padded slots as well, which keeps one code
//! path for every stride alignment.

use super::huge::HugeSlice;

/// Direct-table entry flag: the entry is a leaf, not a node index.
pub(crate) const LEAF: u32 = 1 << 31;

/// Bits consumed per node.
const STRIDE: u32 = 6;

/// One 64-ary node (24 bytes).
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub(crate) struct Node {
    vector: u64,
    leafvec: u64,
    base0: u32,
    base1: u32,
}

/// A prefix to compile: left-aligned key, length, route slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub key: u128,
    pub len: u8,
    pub slot: u32,
}

/// The compiled table. It knows nothing of values; leaves are route slots.
#[derive(Debug, Clone)]
pub(crate) struct Poptrie {
    direct_bits: u32,
    direct: HugeSlice<u32>,
    nodes: HugeSlice<Node>,
    leaves: HugeSlice<u32>,
}

/// The 6-bit chunk of a left-aligned key at bit offset `off` (zero-padded).
#[inline(always)]
fn chunk128(key: u128, off: u32) -> u32 {
    ((key << off) >> (128 - STRIDE)) as u32
}

/// Picks the direct-pointing width for a table of `n` prefixes: small tables get a
/// direct table that stays in L1, full tables the 2^18 the Poptrie paper found best.
pub(crate) fn direct_bits_for(n: usize) -> u32 {
    match n {
        0..=64 => 8,
        65..=4_096 => 12,
        4_097..=50_000 => 16,
        _ => 18,
    }
}

impl Poptrie {
    /// Compile `entries` (any order; at most one per prefix) with a direct table of
    /// 2^`direct_bits` entries. Cost: O(n · depth) after an O(n log n) sort.
    pub(crate) fn build(mut entries: Vec<Entry>, direct_bits: u32) -> Poptrie {
        assert!((1..=24).contains(&direct_bits), "direct bits out of range");
        // Sorting by (key, len) puts every prefix before the prefixes it contains,
        // so applying them in order with overwrite yields the longest match.
        entries.sort_unstable();
        let s = direct_bits;
        let mut direct = vec![LEAF; 1usize << s];
        let mut long = Vec::new();
        for e in &entries {
            if u32::from(e.len) <= s {
                let start = (e.key >> (128 - s)) as usize;
                let span = 1usize << (s - u32::from(e.len));
                direct[start..start + span].fill(LEAF | (e.slot + 1));
            } else {
                long.push(*e);
            }
        }
        let mut builder = Builder {
            nodes: Vec::new(),
            leaves: Vec::new(),
        };
        let mut i = 0;
        while i < long.len() {
            let top = (long[i].key >> (128 - s)) as usize;
            let start = i;
            while i < long.len() && (long[i].key >> (128 - s)) as usize == top {
                i += 1;
            }
            let idx = builder.nodes.len();
            builder.nodes.push(Node::default());
            builder.build_node(idx, &long[start..i], direct[top] & !LEAF, s);
            direct[top] = idx as u32;
        }
        Poptrie {
            direct_bits: s,
            direct: HugeSlice::from_slice(&direct),
            nodes: HugeSlice::from_slice(&builder.nodes),
            leaves: HugeSlice::from_slice(&builder.leaves),
        }
    }

    /// Bytes held by the lookup structure (direct table, nodes, leaves).
    pub(crate) fn memory_bytes(&self) -> usize {
        self.direct.len() * 4 + self.nodes.len() * size_of::<Node>() + self.leaves.len() * 4
    }

    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn direct_bits(&self) -> u32 {
        self.direct_bits
    }

    /// The leaf (route slot + 1, 0 = none) for an IPv4 address.
    #[inline(always)]
    pub(crate) fn lookup32(&self, addr: u32) -> u32 {
        let s = self.direct_bits;
        let d = self.direct[(addr >> (32 - s)) as usize];
        if d & LEAF != 0 {
            return d & !LEAF;
        }
        // Left-aligned in 64 bits so chunks past bit 32 read zero padding.
        let key = u64::from(addr) << 32;
        let mut node = &self.nodes[d as usize];
        let mut off = s;
        loop {
            let c = ((key << off) >> (64 - STRIDE)) as u32;
            let bit = 1u64 << c;
            if node.vector & bit != 0 {
                let i = node.base1 + (node.vector & (bit - 1)).count_ones();
                node = &self.nodes[i as usize];
                off += STRIDE;
            } else {
                let i = node
                    .base0
                    .wrapping_add((node.leafvec & ((bit - 1) | bit)).count_ones());
                return self.leaves[i as usize];
            }
        }
    }

    /// The leaf (route slot + 1, 0 = none) for an IPv6 address.
    #[inline(always)]
    pub(crate) fn lookup128(&self, key: u128) -> u32 {
        let s = self.direct_bits;
        let d = self.direct[(key >> (128 - s)) as usize];
        if d & LEAF != 0 {
            return d & !LEAF;
        }
        let mut node = &self.nodes[d as usize];
        let mut off = s;
        loop {
            let c = chunk128(key, off);
            let bit = 1u64 << c;
            if node.vector & bit != 0 {
                let i = node.base1 + (node.vector & (bit - 1)).count_ones();
                node = &self.nodes[i as usize];
                off += STRIDE;
            } else {
                let i = node
                    .base0
                    .wrapping_add((node.leafvec & ((bit - 1) | bit)).count_ones());
                return self.leaves[i as usize];
            }
        }
    }
}

struct Builder {
    nodes: Vec<Node>,
    leaves: Vec<u32>,
}

impl Builder {
    /// Fill node `idx` at bit offset `off` from the prefixes (all longer than `off`,
    /// sorted, under this node) with `default` as the inherited leaf.
    fn build_node(&mut self, idx: usize, ps: &[Entry], default: u32, off: u32) {
        let end = off + STRIDE;
        let mut val = [default; 64];
        let mut vector = 0u64;
        let mut children: Vec<(usize, usize, usize)> = Vec::new();
        let mut i = 0;
        while i < ps.len() {
            let p = ps[i];
            let c = chunk128(p.key, off) as usize;
            if u32::from(p.len) <= end {
                let span = 1usize << (end - u32::from(p.len));
                val[c..c + span].fill(p.slot + 1);
                i += 1;
            } else {
                let start = i;
                while i < ps.len() && chunk128(ps[i].key, off) as usize == c {
                    // Shorter prefixes of this slot sort before the longer ones.
                    debug_assert!(u32::from(ps[i].len) > end);
                    i += 1;
                }
                vector |= 1 << c;
                children.push((c, start, i));
            }
        }
        let mut leafvec = 0u64;
        let base0 = self.leaves.len();
        let mut last = None;
        for (c, &v) in val.iter().enumerate() {
            if vector & (1 << c) != 0 {
                continue;
            }
            if last != Some(v) {
                leafvec |= 1 << c;
                self.leaves.push(v);
                last = Some(v);
            }
        }
        let base1 = self.nodes.len();
        self.nodes.resize(base1 + children.len(), Node::default());
        self.nodes[idx] = Node {
            vector,
            leafvec,
            base0: (base0 as u32).wrapping_sub(1),
            base1: base1 as u32,
        };
        for (k, &(c, start, stop)) in children.iter().enumerate() {
            self.build_node(base1 + k, &ps[start..stop], val[c], end);
        }
    }
}
