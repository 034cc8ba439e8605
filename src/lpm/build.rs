//! Compiling a route list into the [`Poptrie`] layout described in `poptrie.rs`:
//! the direct table (with the value hints), then every subtree's nodes, each
//! block of siblings followed by their leaves.

use super::huge::HugeSlice;
use super::poptrie::{
    Entry, Poptrie, BIG_BYTES, HINT_GROUP, LEAF, MAX_SKIP, NODE_WORDS, SKIP_NEXT_BITS, STRIDE,
};

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
        let mut direct_default = vec![0u32; 1usize << s];
        let mut hint = vec![0u32; 1usize << s];
        let mut long = Vec::new();
        for e in &entries {
            if u32::from(e.len) <= s {
                let start = (e.key >> (128 - s)) as usize;
                let span = 1usize << (s - u32::from(e.len));
                direct[start..start + span].fill(LEAF | (e.slot + 1));
                direct_default[start..start + span].fill(e.slot + 1);
            } else {
                long.push(*e);
            }
        }
        let mut b = Builder {
            heap: Vec::new(),
            nodes: 0,
        };
        let mut i = 0;
        while i < long.len() {
            let top = (long[i].key >> (128 - s)) as usize;
            let start = i;
            while i < long.len() && (long[i].key >> (128 - s)) as usize == top {
                i += 1;
            }
            // A subtree root starts a cache line when it would straddle one, so the
            // node and its first leaves arrive with one miss.
            if b.heap.len() % 16 > 16 - NODE_WORDS {
                b.heap.resize(b.heap.len().next_multiple_of(16), 0);
            }
            let root = b.reserve(1);
            direct[top] = root as u32;
            // The region's routes have consecutive slots (slots follow the sorted
            // prefix order) starting with its first prefix longer than `s`.
            // (Measured against the covering prefix's slot and the region's middle
            // one: the first is the best guess on the BGP table.)
            hint[top] = long[start].slot;
            b.build_block(root, &[(&long[start..i], direct_default[top])], s);
        }
        // Node entries: offset in the low bits, hint delta above (clamped: a wrong
        // hint only prefetches a useless line).
        assert!(
            b.heap.len() < 1 << SKIP_NEXT_BITS,
            "LPM heap exceeds 2^28 words"
        );
        let node_bits = (usize::BITS - b.heap.len().leading_zeros()).max(1);
        let max_delta = (LEAF >> node_bits) - 1;
        let group = 1usize << HINT_GROUP.min(s);
        let mut hint_base = Vec::with_capacity(direct.len() / group);
        for (ds, hs) in direct.chunks_mut(group).zip(hint.chunks(group)) {
            let is_node = |d: &u32| d & LEAF == 0;
            let base = ds
                .iter()
                .zip(hs)
                .filter(|(d, _)| is_node(d))
                .map(|(_, &h)| h)
                .min()
                .unwrap_or(0);
            for (d, &h) in ds.iter_mut().zip(hs) {
                if is_node(d) {
                    *d |= (h - base).min(max_delta) << node_bits;
                }
            }
            hint_base.push(base);
        }
        Poptrie {
            direct_bits: s,
            direct: HugeSlice::from_slice(&direct),
            hint_base: HugeSlice::from_slice(&hint_base),
            node_bits,
            heap: HugeSlice::from_slice(&b.heap),
            nodes: b.nodes,
            big: false,
        }
        .sized()
    }

    fn sized(mut self) -> Self {
        self.big = self.memory_bytes() >= BIG_BYTES;
        self
    }
}

/// A node under construction: the prefixes below it and its inherited leaf.
type Pending<'a> = (&'a [Entry], u32);

struct Builder {
    heap: Vec<u32>,
    nodes: usize,
}

impl Builder {
    /// Reserve `n` contiguous nodes at the end of the heap; returns the first word.
    fn reserve(&mut self, n: usize) -> usize {
        let at = self.heap.len();
        self.heap.resize(at + n * NODE_WORDS, 0);
        self.nodes += n;
        at
    }

    /// Fill the block of nodes reserved at `at` (one per item, at bit offset `off`):
    /// first every node with its leaves appended right behind the block, then the
    /// children blocks, so a node's leaves sit next to it.
    fn build_block(&mut self, at: usize, items: &[Pending<'_>], off: u32) {
        let mut pending = Vec::with_capacity(items.len());
        for (k, &(ps, default)) in items.iter().enumerate() {
            let node = at + k * NODE_WORDS;
            let levels = pass_through_levels(ps, off);
            if levels >= 2 {
                let expect = ((ps[0].key << off) >> (128 - STRIDE * levels)) as u64;
                self.heap[node..node + NODE_WORDS].copy_from_slice(&[
                    expect as u32,
                    (expect >> 32) as u32,
                    0,
                    0,
                    default,
                    levels << SKIP_NEXT_BITS,
                ]);
                pending.push((vec![(ps, default)], off + STRIDE * levels));
            } else {
                pending.push((self.fill_node(node, ps, default, off), off + STRIDE));
            }
        }
        for (k, (children, child_off)) in pending.into_iter().enumerate() {
            if children.is_empty() {
                continue;
            }
            let block = self.reserve(children.len());
            // A skip node's level count is already in the high bits.
            self.heap[at + k * NODE_WORDS + 5] |= block as u32;
            self.build_block(block, &children, child_off);
        }
    }

    /// Write the node at word `at` from the prefixes (all longer than `off`, sorted,
    /// under this node) with `default` as the inherited leaf; append its leaves and
    /// return its internal children in chunk order.
    fn fill_node<'a>(
        &mut self,
        at: usize,
        ps: &'a [Entry],
        default: u32,
        off: u32,
    ) -> Vec<Pending<'a>> {
        let end = off + STRIDE;
        let mut val = [default; 64];
        let mut vector = 0u64;
        let mut children: Vec<(usize, &'a [Entry])> = Vec::new();
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
                children.push((c, &ps[start..i]));
            }
        }
        let mut leafvec = 0u64;
        let base0 = self.heap.len();
        let mut last = None;
        for (c, &v) in val.iter().enumerate() {
            if vector & (1 << c) != 0 {
                continue;
            }
            if last != Some(v) {
                leafvec |= 1 << c;
                self.heap.push(v);
                last = Some(v);
            }
        }
        self.heap[at..at + NODE_WORDS].copy_from_slice(&[
            vector as u32,
            (vector >> 32) as u32,
            leafvec as u32,
            (leafvec >> 32) as u32,
            (base0 as u32).wrapping_sub(1),
            0,
        ]);
        children.into_iter().map(|(c, sub)| (sub, val[c])).collect()
    }
}

/// How many whole levels from `off` every prefix of `ps` (sorted, non-empty) goes
/// through on one path with nothing ending there: those levels can be one skip
/// node. At most [`MAX_SKIP`].
fn pass_through_levels(ps: &[Entry], off: u32) -> u32 {
    let (Some(first), Some(last)) = (ps.first(), ps.last()) else {
        return 0;
    };
    // Sorted keys: first and last share a bit iff every key between does.
    let common = (first.key ^ last.key).leading_zeros();
    let shortest = ps.iter().map(|p| u32::from(p.len)).min().unwrap_or(0);
    // A level [o, o+6) passes if all keys agree on it and every prefix is longer.
    let limit = common.min(shortest.saturating_sub(1));
    (limit.saturating_sub(off) / STRIDE).min(MAX_SKIP)
}
