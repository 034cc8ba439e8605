//! The lookup structure: a Poptrie (Asai & Ohara, SIGCOMM 2015) over left-aligned
//! `u128` keys, shared by IPv4 (32 significant bits) and IPv6 (128): its layout and
//! the lookup walk. `build.rs` compiles it.
//!
//! Layout:
//! - `direct`: 2^s 4-byte entries indexed by the key's top `s` bits ("direct
//!   pointing"). An entry with [`LEAF`] set holds a leaf (route slot + 1, 0 = no
//!   route); otherwise its low `node_bits` bits are the word offset in `heap` of
//!   the subtree's root node and the bits above them the *value hint* (the slot of
//!   the region's first route) minus `hint_base[index >> HINT_GROUP]`. Why 4 bytes:
//!   at s = 18 the table is 1 MiB and stays in this machine's 2 MiB L2 next to the
//!   hot part of the heap; 8-byte entries (offset + full hint) made it 2 MiB, so the
//!   first load of a full-table lookup was often an L3 hit (measured with a
//!   thread-CPU-time harness over the bench's keys, dependent lookups: full IPv4
//!   table 73 → 65 ns per lookup, 100,000 prefixes 32 → 28).
//! - 64-ary nodes that consume 6 key bits each (6 words: `vector`, `leafvec`, `base0`,
//!   `base1`). `vector` marks the children that are internal nodes, stored
//!   contiguously from `base1` in chunk order, so the child of chunk `c` is node
//!   number `popcount(vector & below(c))` of that block. The other positions are
//!   leaves, "leaf-compressed": `leafvec` has a bit where a run of equal leaves
//!   starts, and the leaf of chunk `c` is the word at `base0 + popcount(leafvec &
//!   upto(c))` (`base0` is stored minus one so no correction is needed at lookup).
//! - Leaves hold route slot + 1 (0 = no route), leaf-pushed: every leaf already
//!   holds the longest match along its path, so a lookup never backtracks.
//!
//! Unlike the paper, nodes and leaves share one array (`heap`): each block of
//! sibling nodes is followed by their leaves, and a subtree root is followed by its
//! own. On a full table most lookups end in a subtree root, so the leaf is usually
//! in the cache line just fetched for the node (or the adjacent one the hardware
//! prefetcher brings along): one dependent cache miss fewer per lookup.
//!
//! Path compression (our addition): a chain of nodes that each only pass through
//! to a single child with nothing ending there, common in sparse IPv6 space, is
//! replaced by one *skip node* (`leafvec` = 0; words 0–1 = the up to 60 key bits
//! expected, right-aligned; word 4 = the leaf when they differ; word 5 = the next
//! node, with the level count ≤ 10 in its top 4 bits). A normal node always has a
//! leaf (so `leafvec` ≠ 0) unless all 64 children are internal, and then word 1 is
//! `u32::MAX`, which a skip node's word 1 (at most 28 bits) never is.
//!
//! Keys shorter than a node's last chunk (IPv4 past bit 32, IPv6 past bit 128) are
//! zero-padded; prefixes expand over the padded slots as well, which keeps one code
//! path for every stride alignment.

use super::huge::HugeSlice;

/// Direct-table entry flag: the entry is a leaf, not a node index.
pub(crate) const LEAF: u32 = 1 << 31;

/// Bits consumed per node.
pub(super) const STRIDE: u32 = 6;
/// A node is 6 words: vector (2), leafvec (2), base0, base1.
pub(super) const NODE_WORDS: usize = 6;
/// log2 of the direct entries sharing one `hint_base` word: the hint deltas of a
/// full IPv4 table then fit the 10 bits left beside a 21-bit node offset (3 of
/// 66,112 are clamped; 2^5 would clamp 340), and `hint_base` (64 KiB at 2^18
/// entries) stays in L2.
pub(super) const HINT_GROUP: u32 = 4;
/// From this size on a lookup misses the L2 cache often enough that prefetching
/// the value hint and the node's second line pays; below, it only costs
/// instructions (measured: IPv4 16 prefixes, 6.7 → 6.1 ns independent, 8.9 → 8.4
/// ns dependent).
pub(super) const BIG_BYTES: usize = 1 << 20;
/// Most levels one skip node stands for (their chunks must fit in 60 bits, so the
/// high word of the expected bits never reads as `u32::MAX`).
pub(super) const MAX_SKIP: u32 = 10;
/// A skip node's word 5: the next node's offset in the low bits, the level count
/// above.
pub(super) const SKIP_NEXT_BITS: u32 = 28;

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
    pub(super) direct_bits: u32,
    /// 4-byte entries. A leaf entry has [`LEAF`] set; a node entry holds the
    /// root's word offset in its low `node_bits` bits and above them the value
    /// hint's distance from `hint_base` (see [`Poptrie::lookup32_hinted`]).
    pub(super) direct: HugeSlice<u32>,
    /// Per group of [`HINT_GROUP`] direct entries: the smallest hint of the group.
    pub(super) hint_base: HugeSlice<u32>,
    /// Bits of a node entry that hold the node offset (enough for the heap).
    pub(super) node_bits: u32,
    /// Nodes and leaves interleaved, in 32-bit words (see the module doc).
    pub(super) heap: HugeSlice<u32>,
    pub(super) nodes: usize,
    /// Whether the structure outgrows the L2 cache, so that prefetching the value
    /// hint and the node's second line pays (see [`Poptrie::direct_node`]).
    pub(super) big: bool,
}

impl Poptrie {
    /// Bytes held by the lookup structure (direct table, nodes, leaves).
    pub(crate) fn memory_bytes(&self) -> usize {
        (self.direct.len() + self.hint_base.len() + self.heap.len()) * 4
    }

    pub(crate) fn node_count(&self) -> usize {
        self.nodes
    }

    pub(crate) fn direct_bits(&self) -> u32 {
        self.direct_bits
    }

    /// The leaf (route slot + 1, 0 = none) for an IPv4 address.
    #[cfg(test)]
    pub(crate) fn lookup32(&self, addr: u32) -> u32 {
        self.lookup32_hinted(addr, |_| {})
    }

    /// [`Self::lookup32`], calling `hint(slot)` before the walk when the address
    /// leads into a node: the answer is likely the route with that slot or one of
    /// the next few (a region's routes have consecutive slots). The caller
    /// prefetches the value there, so the value's cache miss overlaps the node's
    /// instead of following it: one dependent miss fewer on a full table.
    #[inline(always)]
    pub(crate) fn lookup32_hinted(&self, addr: u32, hint: impl FnOnce(u32)) -> u32 {
        let index = (addr >> (32 - self.direct_bits)) as usize;
        match self.direct_node(index, hint) {
            Ok(node) => self.walk32(node, addr),
            Err(leaf) => leaf,
        }
    }

    /// The leaf (route slot + 1, 0 = none) for an IPv6 address; `hint` as in
    /// [`Self::lookup32_hinted`].
    #[inline(always)]
    pub(crate) fn lookup128_hinted(&self, key: u128, hint: impl FnOnce(u32)) -> u32 {
        // From the high 64 bits alone (direct_bits ≤ 24): one shift instead of a
        // 128-bit one (shrd, shr, test, cmov).
        let index = (((key >> 64) as u64) >> (64 - self.direct_bits)) as usize;
        match self.direct_node(index, hint) {
            Ok(node) => self.walk128(node, key),
            Err(leaf) => leaf,
        }
    }

    /// The direct entry at `index`: `Err(leaf)` or `Ok(root node offset)`, after
    /// calling `hint` with the node's value hint.
    #[inline(always)]
    fn direct_node(&self, index: usize, hint: impl FnOnce(u32)) -> Result<usize, u32> {
        debug_assert!(index < self.direct.len());
        // SAFETY: callers pass the key's top `direct_bits` bits, and `build`
        // allocates 2^direct_bits entries.
        let d = unsafe { *self.direct.get_unchecked(index) };
        // "Leaf or node" is a coin toss on a full IPv4 table (39 % of lookups end
        // here), but a branch-free version (leaf entries walk a dummy node in L1,
        // the result picked by masks) measured slower in both modes: full IPv4
        // table 13.9 → 17.2 ns independent, 64.7 → 68.5 ns dependent; 16 prefixes
        // 6.5 → 9.4 ns. The extra work on every lookup costs more than the
        // mispredictions, which resolve early now that the direct table is in L2.
        if d & LEAF != 0 {
            return Err(d & !LEAF);
        }
        if !self.big {
            return Ok(self.node_offset(d));
        }
        debug_assert!(index >> HINT_GROUP < self.hint_base.len());
        // SAFETY: `index` < 2^direct_bits (above), and `build` pushes one base per
        // 2^HINT_GROUP entries (one for all of them if the table is smaller).
        let base = unsafe { *self.hint_base.get_unchecked(index >> HINT_GROUP) };
        hint(base.wrapping_add(d >> self.node_bits));
        let node = self.node_offset(d);
        // The node's leaves follow it: fetch the next line too (measured on the
        // full table: −3 % per dependent lookup; two lines: +7 %).
        super::batch::prefetch(self.heap.as_ptr().wrapping_add(node + 16));
        Ok(node)
    }

    /// The root-node offset of a node entry.
    #[inline(always)]
    pub(super) fn node_offset(&self, d: u32) -> usize {
        (d & ((1 << self.node_bits) - 1)) as usize
    }

    // `count_ones` is one `popcnt` because `.cargo/config.toml` builds for
    // x86-64-v2; baseline x86-64 would make it a dozen ALU ops per node step. (A
    // run-time `#[target_feature]` dispatch measured slower: the walk could no
    // longer be inlined into the caller.)

    #[inline(always)]
    fn walk32(&self, root: usize, addr: u32) -> u32 {
        // Left-aligned in 64 bits so chunks past bit 32 read zero padding.
        let key = u64::from(addr) << 32;
        let mut node = root;
        let mut off = self.direct_bits;
        loop {
            match self.step(node, key << off) {
                Step::Node(next, bits) => {
                    node = next;
                    off += bits;
                }
                Step::Leaf(leaf) => return leaf,
            }
        }
    }

    #[inline(always)]
    fn walk128(&self, root: usize, key: u128) -> u32 {
        let mut node = root;
        let mut off = self.direct_bits;
        loop {
            match self.step(node, ((key << off) >> 64) as u64) {
                Step::Node(next, bits) => {
                    node = next;
                    off += bits;
                }
                Step::Leaf(leaf) => return leaf,
            }
        }
    }

    /// One level: the child node (and the key bits it consumed) or the leaf, for
    /// the node at word `at`; `window` holds the key's next bits at the top.
    #[inline(always)]
    pub(super) fn step(&self, at: usize, window: u64) -> Step {
        let w = self.node_words(at);
        let vector = u64::from(w[0]) | (u64::from(w[1]) << 32);
        let leafvec = u64::from(w[2]) | (u64::from(w[3]) << 32);
        let bit = 1u64 << (window >> (64 - STRIDE));
        // The common case first, with one test: a normal node (leafvec ≠ 0) whose
        // chunk is a leaf. A skip node has leafvec = 0 and a garbage "vector".
        // (leafvec first: a skip node's vector bit is noise the branch predictor
        // would have to guess.)
        if leafvec != 0 && vector & bit == 0 {
            let i = w[4].wrapping_add((leafvec & ((bit - 1) | bit)).count_ones());
            return Step::Leaf(self.word(i as usize));
        }
        if leafvec == 0 && w[1] != u32::MAX {
            // Skip node: the key must continue with the chunks in w[0..2].
            let bits = STRIDE * (w[5] >> SKIP_NEXT_BITS);
            return if window >> (64 - bits) == u64::from(w[0]) | (u64::from(w[1]) << 32) {
                Step::Node((w[5] & ((1 << SKIP_NEXT_BITS) - 1)) as usize, bits)
            } else {
                Step::Leaf(w[4])
            };
        }
        let rank = (vector & (bit - 1)).count_ones() as usize;
        Step::Node(w[5] as usize + rank * NODE_WORDS, STRIDE)
    }

    /// The node at word `at`.
    #[inline(always)]
    fn node_words(&self, at: usize) -> &[u32; NODE_WORDS] {
        debug_assert!(at + NODE_WORDS <= self.heap.len());
        // SAFETY: `at` is a node offset written by `build` (a direct entry, a
        // `base1` plus rank, or a skip node's next): the builder reserves every
        // node's NODE_WORDS words inside the heap before pointing at it, and the
        // heap is immutable afterwards.
        unsafe { &*self.heap.as_ptr().add(at).cast::<[u32; NODE_WORDS]>() }
    }

    /// The heap word at `i`, a leaf index computed by [`Self::step`].
    #[inline(always)]
    fn word(&self, i: usize) -> u32 {
        debug_assert!(i < self.heap.len());
        // SAFETY: `build` writes base0 - 1 into every normal node with its leaves
        // (one per set bit of leafvec) pushed right after base0, so base0 - 1 +
        // popcount(leafvec & upto(c)), between 1 and popcount(leafvec), lands on
        // one of them; the heap is immutable afterwards.
        unsafe { *self.heap.get_unchecked(i) }
    }
}

pub(super) enum Step {
    /// Continue at this node, `.1` key bits further.
    Node(usize, u32),
    Leaf(u32),
}
