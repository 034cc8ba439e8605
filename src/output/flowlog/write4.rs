//! Closing windows whose records are all IPv4 (most runs): the records are
//! sorted as packed integers by a radix sort and their lines written from
//! those integers by table lookups. Beside the general path
//! ([`FlowLog::write_closed`]: `RecordKey`s, a comparison sort, [`super::line`]),
//! which writes the same bytes (tests below compare the two). At 100,000 flows
//! (185,000 lines) the general path took 306 M instructions: 80 M sorting,
//! 184 M formatting.

use super::{Action, Counters, FlowLog, FlowLogCounts, Key4, UNKNOWN_ENI, WINDOW_NS};
use crate::output::pcap::EPOCH_BASE_S;
use std::io::{self, Write};

/// Bits of a packed key below the window and the ENI: src and dst addresses
/// (32 each), ports (16 each), protocol (8), action (1).
const LOW: u32 = 105;

/// How [`Key4`]s of one batch pack into a `u128` ordered as their
/// `RecordKey`s: the window as its offset from the batch's earliest, then the
/// ENI index in the bits its largest value needs, then the [`LOW`] bits.
#[derive(Debug, Clone, Copy)]
struct Packing {
    first_window: u64,
    eni_bits: u32,
}

impl Packing {
    /// The packing for windows `first ..= last` and ENI indices up to
    /// `max_eni`; `None` if they do not fit in 128 bits.
    fn new(first: u64, last: u64, max_eni: u32) -> Option<Packing> {
        let bits = |max: u64| 64 - max.leading_zeros();
        let eni_bits = bits(u64::from(max_eni));
        (bits(last - first) + eni_bits + LOW <= 128).then_some(Packing {
            first_window: first,
            eni_bits,
        })
    }

    #[inline]
    fn pack(&self, k: &Key4) -> u128 {
        // `checked_shl`: a shift by all 128 bits (no window bits, ENI bits
        // filling the rest) gives 0, as that part is 0.
        let window = u128::from(k.window() - self.first_window)
            .checked_shl(LOW + self.eni_bits)
            .unwrap_or(0);
        let eni = u128::from(k.ports >> 32) << LOW;
        let addrs = u128::from(k.addrs) << 41;
        let ports = u128::from(k.ports as u32) << 9;
        let protocol = u128::from((k.head >> 8) as u8) << 1;
        window | eni | addrs | ports | protocol | u128::from(k.head & 1)
    }

    #[inline]
    fn window(&self, p: u128) -> u64 {
        let above = LOW + self.eni_bits;
        self.first_window + p.checked_shr(above).unwrap_or(0) as u64
    }

    #[inline]
    fn eni(&self, p: u128) -> usize {
        ((p >> LOW) as u64 & ((1u64 << self.eni_bits) - 1)) as usize
    }
}

impl<W: Write> FlowLog<W> {
    /// Write the IPv4 records of windows before `window` (see the module's
    /// comment), if there is no IPv6 one among them and their keys pack into
    /// 128 bits; `None` (nothing done) otherwise.
    pub(super) fn write_closed4(&mut self, window: u64) -> Option<io::Result<()>> {
        if self.open6.keys().any(|k| k.window < window) {
            return None;
        }
        let (mut first, mut last, mut max_eni) = (u64::MAX, 0, 0);
        let mut closed = 0usize;
        for k in self.open4.keys().filter(|k| k.window() < window) {
            first = first.min(k.window());
            last = last.max(k.window());
            max_eni = max_eni.max((k.ports >> 32) as u32);
            closed += 1;
        }
        if closed == 0 {
            return Some(Ok(()));
        }
        let packing = Packing::new(first, last, max_eni)?;
        let mut keyed = Vec::with_capacity(closed);
        let mut counters = Vec::with_capacity(closed);
        for (k, c) in self.open4.iter().filter(|(k, _)| k.window() < window) {
            keyed.push((packing.pack(k), counters.len() as u32));
            counters.push(*c);
        }
        if closed == self.open4.len() {
            self.open4.clear();
        } else {
            self.open4.retain(|k, _| k.window() >= window);
        }
        radix_sort(&mut keyed);
        Some(self.write_sorted4(&packing, &keyed, &counters))
    }

    /// Write the records `keyed` lists in order (packed keys, indices into
    /// `counters`).
    fn write_sorted4(
        &mut self,
        packing: &Packing,
        keyed: &[(u128, u32)],
        counters: &[Counters],
    ) -> io::Result<()> {
        if self.written.len() < self.eni_ids.len() {
            self.written
                .resize(self.eni_ids.len(), FlowLogCounts::default());
        }
        let mut line = Line::new();
        // `2 <account> <interface-id>`, the same for the lines of one ENI.
        let mut prefix = Vec::new();
        let mut prefix_of = None;
        let mut stamps = Stamps::new();
        for &(p, i) in keyed {
            let Some(c) = counters.get(i as usize) else {
                continue;
            };
            let eni = packing.eni(p);
            let action = if p & 1 == 0 {
                Action::Accept
            } else {
                Action::Reject
            };
            match self.written.get_mut(eni) {
                Some(w) => w.add(action, c.packets),
                None => self.written_unknown.add(action, c.packets),
            }
            if prefix_of != Some(eni) {
                let id = self.eni_ids.get(eni).map_or(UNKNOWN_ENI, String::as_str);
                prefix.clear();
                prefix.extend_from_slice(b"2 ");
                prefix.extend_from_slice(self.account_id.as_bytes());
                prefix.push(b' ');
                prefix.extend_from_slice(id.as_bytes());
                prefix_of = Some(eni);
                line.set_prefix(&prefix);
            }
            line.clear();
            line.fields(stamps.of(packing.window(p)), p, c);
            if !line.prefix() {
                self.text.extend_from_slice(&prefix);
            }
            self.text.extend_from_slice(line.text());
            self.line_written()?;
        }
        self.write_text()
    }
}

/// Sort `items` by key, stably, a byte at a time from the least significant
/// (LSD radix sort), skipping bytes every key has the same: some 13 passes of
/// a few instructions an item, where the comparison sort made 17 levels of
/// `u128` compares and moves. Few items: a comparison sort.
pub(super) fn radix_sort(items: &mut Vec<(u128, u32)>) {
    let n = items.len();
    if n < 256 {
        items.sort_by_key(|&(k, _)| k);
        return;
    }
    // How many keys have each value of each byte, all in one pass.
    let mut counts = vec![[0u32; 256]; 16];
    for &(k, _) in items.iter() {
        for (count, b) in counts.iter_mut().zip(k.to_le_bytes()) {
            count[usize::from(b)] += 1;
        }
    }
    let mut other = vec![(0u128, 0u32); n];
    for (byte, count) in counts.iter_mut().enumerate() {
        if count.iter().any(|&c| c as usize == n) {
            continue;
        }
        // Where the first key with each value goes.
        let mut at = 0u32;
        for c in count.iter_mut() {
            (*c, at) = (at, at + *c);
        }
        // The byte as a shift of one half: a `u128` shift by a variable
        // amount is several instructions.
        let (high, shift) = (byte >= 8, 8 * (byte as u32 % 8));
        for &(k, i) in items.iter() {
            let half = if high { (k >> 64) as u64 } else { k as u64 };
            let slot = &mut count[usize::from((half >> shift) as u8)];
            if let Some(to) = other.get_mut(*slot as usize) {
                *to = (k, i);
            }
            *slot += 1;
        }
        std::mem::swap(items, &mut other);
    }
}

/// Where a line ends in its buffer, a power of two: room for the longest
/// tail (two dotted quads, two ports, a protocol, four `u64`s, `REJECT OK`,
/// spaces and newline: 143 bytes), a prefix of up to [`PREFIX_MAX`] bytes,
/// and the fixed-size writes before the text (see [`Line::put`]).
const LINE_END: usize = 256;
/// Longer `2 <account> <interface-id>` prefixes are appended on their own.
const PREFIX_MAX: usize = 64;

/// One line, built from its end (the newline) to its start in a buffer
/// reused from line to line, then appended in one copy. Every piece is
/// written as a fixed-size array ending where the text so far starts, its
/// text right-aligned in it: bytes before the piece's text lie before the
/// line's start or are overwritten by the next piece. So numbers need no
/// digit count and pieces no variable-length copies (a `memcpy` call each).
struct Line {
    /// The text, then room for a piece's write past `LINE_END` (none is).
    b: [u8; LINE_END + PREFIX_MAX],
    /// Where the text starts; it ends at `LINE_END`.
    at: usize,
    /// `2 <account> <interface-id>`, right-aligned, and its length (0: too
    /// long, appended separately).
    prefix: [u8; PREFIX_MAX],
    prefix_len: usize,
}

/// `"00"` to `"99"`.
const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// `" 0"` to `" 99"`, right-aligned, and their lengths.
const SPACED: [([u8; 3], usize); 100] = {
    let mut t = [([0u8; 3], 0); 100];
    let mut i = 0;
    while i < 100 {
        let (d, u) = (b'0' + (i / 10) as u8, b'0' + (i % 10) as u8);
        t[i] = if i >= 10 {
            ([b' ', d, u], 3)
        } else {
            ([0, b' ', u], 2)
        };
        i += 1;
    }
    t
};

/// Each octet as a `.` and its digits, right-aligned, and their length.
const OCTETS: [([u8; 4], usize); 256] = {
    let mut t = [([0u8; 4], 0); 256];
    let mut i = 0;
    while i < 256 {
        let (h, d, u) = ((i / 100) as u8, (i / 10 % 10) as u8, (i % 10) as u8);
        t[i] = if i >= 100 {
            ([b'.', b'0' + h, b'0' + d, b'0' + u], 4)
        } else if i >= 10 {
            ([0, b'.', b'0' + d, b'0' + u], 3)
        } else {
            ([0, 0, b'.', b'0' + u], 2)
        };
        i += 1;
    }
    t
};

impl Line {
    fn new() -> Line {
        Line {
            b: [0; LINE_END + PREFIX_MAX],
            at: LINE_END,
            prefix: [0; PREFIX_MAX],
            prefix_len: 0,
        }
    }

    fn clear(&mut self) {
        self.at = LINE_END;
    }

    fn text(&self) -> &[u8] {
        &self.b[self.at.min(LINE_END)..LINE_END]
    }

    /// Use `prefix` for the next lines if it fits ([`Line::prefix`]).
    fn set_prefix(&mut self, prefix: &[u8]) {
        self.prefix_len = 0;
        if let Some(to) = PREFIX_MAX
            .checked_sub(prefix.len())
            .and_then(|at| self.prefix.get_mut(at..))
        {
            to.copy_from_slice(prefix);
            self.prefix_len = prefix.len();
        }
    }

    /// Put the prefix before the text; `false` if it is too long for that.
    #[inline]
    fn prefix(&mut self) -> bool {
        let (prefix, len) = (self.prefix, self.prefix_len);
        self.put(&prefix, len);
        len > 0
    }

    /// Write `piece` ending where the text starts, and start the text `len`
    /// bytes earlier (its last `len` bytes; `len` is at most `N`). The start
    /// is masked into the buffer's first `LINE_END` bytes, so the compiler
    /// sees every write in bounds and checks nothing: a line's tail and the
    /// prefix's piece fit in `LINE_END`, so the mask changes nothing (bounds-checked
    /// writes were two thirds of a line's instructions).
    #[inline]
    fn put<const N: usize>(&mut self, piece: &[u8; N], len: usize) {
        const { assert!(N <= PREFIX_MAX) };
        let start = self.at.wrapping_sub(N) & (LINE_END - 1);
        if let Some(to) = self.b.get_mut(start..start + N) {
            to.copy_from_slice(piece);
        }
        self.at = (start + N).saturating_sub(len);
    }

    /// The fields of the record packed in `p` after the prefix, from ` srcaddr`
    /// to the newline; `stamps` are its window's.
    #[inline]
    fn fields(&mut self, stamps: &Stamps, p: u128, c: &Counters) {
        if p & 1 == 0 {
            self.put(b" ACCEPT OK\n", 11);
        } else {
            self.put(b" REJECT OK\n", 11);
        }
        stamps.put(self, c.last_s);
        stamps.put(self, c.first_s);
        self.number(c.bytes);
        self.number(c.packets);
        self.number(u64::from((p >> 1) as u8));
        self.number(u64::from((p >> 9) as u16));
        self.number(u64::from((p >> 25) as u16));
        self.octets((p >> 41) as u32);
        self.octets((p >> 73) as u32);
    }

    /// ` a.b.c.d`: each octet with the dot before it, the first dot made a
    /// space.
    #[inline]
    fn octets(&mut self, a: u32) {
        for o in a.to_le_bytes() {
            let (text, len) = &OCTETS[usize::from(o)];
            self.put(text, *len);
        }
        if let Some(dot) = self.b.get_mut(self.at) {
            *dot = b' ';
        }
    }

    /// ` n` in decimal, two digits at a time from the last, the first one or
    /// two with the space.
    #[inline]
    fn number(&mut self, mut n: u64) {
        while n >= 100 {
            self.put(&PAIRS[(n % 100) as usize], 2);
            n /= 100;
        }
        let (text, len) = &SPACED[n as usize];
        self.put(text, *len);
    }
}

/// ` <start>` or ` <end>` of the lines of one window, for each second in
/// it (the two are the window's start in Unix seconds plus a second in the
/// window): a copy each instead of formatting ten digits.
struct Stamps {
    window: Option<u64>,
    /// Right-aligned, with their lengths.
    text: Vec<([u8; 24], usize)>,
}

impl Stamps {
    fn new() -> Stamps {
        Stamps {
            window: None,
            text: Vec::new(),
        }
    }

    /// The stamps of `window` (made when it changes: lines come in window order).
    #[inline]
    fn of(&mut self, window: u64) -> &Stamps {
        if self.window != Some(window) {
            self.make(window);
        }
        self
    }

    fn make(&mut self, window: u64) {
        self.window = Some(window);
        self.text.clear();
        let start_s = EPOCH_BASE_S + window * (WINDOW_NS / 1_000_000_000);
        for second in 0..WINDOW_NS / 1_000_000_000 {
            let mut line = Line::new();
            line.number(start_s + second);
            let mut text = [0u8; 24];
            let len = line.text().len();
            text[24 - len..].copy_from_slice(line.text());
            self.text.push((text, len));
        }
    }

    /// ` <the stamp of second>` before `line`'s text.
    #[inline]
    fn put(&self, line: &mut Line, second: u8) {
        match self.text.get(usize::from(second)) {
            Some((text, len)) => line.put(text, *len),
            // Not a second of a window (none is).
            None => {
                let window = self.window.unwrap_or(0);
                line.number(
                    EPOCH_BASE_S + window * (WINDOW_NS / 1_000_000_000) + u64::from(second),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::line;
    use super::*;
    use crate::rng::SplitMix64;

    /// Keys that share some bytes and differ in others, as a run's do.
    fn keys(rng: &mut SplitMix64, n: usize) -> Vec<(u128, u32)> {
        let shared = u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64());
        // A few bits of each byte, so that keys often tie on the higher bytes
        // and the order rests on every lower one.
        let mut varying = u128::MAX;
        for _ in 0..3 {
            varying &= u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64());
        }
        (0..n as u32)
            .map(|i| {
                let k = u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64());
                // Some duplicates, to see the sort keep their order.
                let k = if i % 7 == 0 { shared } else { k };
                (k & varying | shared & !varying, i)
            })
            .collect()
    }

    /// The radix sort orders as a stable comparison sort does.
    #[test]
    fn radix_sort_sorts_as_a_comparison_sort() {
        let mut rng = SplitMix64::new(18);
        for n in [0, 1, 255, 256, 257, 5000] {
            let mut items = keys(&mut rng, n);
            let mut expect = items.clone();
            expect.sort_by_key(|&(k, _)| k);
            radix_sort(&mut items);
            assert_eq!(items, expect, "{n}");
        }
    }

    /// A tail written from a packed key reads as the general path's line,
    /// at the edges of every field and at random.
    #[test]
    fn tails_are_the_lines_the_general_path_writes() {
        let mut rng = SplitMix64::new(18);
        let edges = [0u64, 1, 9, 10, 99, 100, 255, 999, 1000, 65535, u64::MAX];
        for case in 0..20_000 {
            let mut pick = |bits: u32| {
                let r = rng.next_u64();
                let v = if case % 2 == 0 {
                    edges[(r % 11) as usize]
                } else {
                    r >> (r % 64)
                };
                if bits == 64 {
                    v
                } else {
                    v & ((1 << bits) - 1)
                }
            };
            let packing = Packing {
                first_window: pick(20),
                eni_bits: 3,
            };
            let window = packing.first_window + pick(20);
            let k = Key4 {
                head: window << 16 | pick(8) << 8 | pick(1),
                addrs: pick(64),
                ports: pick(3) << 32 | pick(32),
            };
            let c = Counters {
                packets: pick(64),
                bytes: pick(64),
                first_s: pick(6) as u8,
                last_s: pick(6) as u8,
            };
            // Large windows wrap the timestamps in the general path too.
            if window
                .checked_mul(60)
                .and_then(|s| s.checked_add(EPOCH_BASE_S + 63))
                .is_none()
            {
                continue;
            }
            let mut expect = Vec::new();
            line(&mut expect, "acct", "eni-x", &k.record_key(), &c);
            let p = packing.pack(&k);
            assert_eq!(packing.window(p), window);
            assert_eq!(packing.eni(p), (k.ports >> 32) as usize);
            let mut line = Line::new();
            line.set_prefix(b"2 acct eni-x");
            let mut stamps = Stamps::new();
            line.fields(stamps.of(packing.window(p)), p, &c);
            assert!(line.prefix());
            // The prefix's piece, written last, fits before the rest
            // (the masked writes never wrap).
            assert!(line.text().len() - 12 + PREFIX_MAX <= LINE_END);
            let got = line.text().to_vec();
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(expect).unwrap()
            );
        }
    }

    /// The whole fast path writes what the general one writes, the counts per
    /// ENI included: random IPv4 records of several windows, both actions,
    /// ENIs with and without ids, closed in two batches.
    #[test]
    fn closing_ipv4_windows_writes_what_the_general_path_writes() {
        use super::super::{Flow4, DEFAULT_ACCOUNT_ID};
        use crate::model::EniIdx;
        // The third's prefix is too long to be put in the line buffer.
        let ids = || {
            vec![
                "eni-a".to_string(),
                "eni-bb".into(),
                format!("eni-{}", "c".repeat(70)),
            ]
        };
        let mut fast = FlowLog::new(Vec::new(), DEFAULT_ACCOUNT_ID, ids()).for_flows(0);
        let mut general = FlowLog::new(Vec::new(), DEFAULT_ACCOUNT_ID, ids()).for_flows(0);
        let mut rng = SplitMix64::new(18);
        for _ in 0..20_000 {
            let r = rng.next_u64();
            let f = Flow4 {
                src: 0x0a00_0000 | (r as u32 & 0x0301),
                dst: if r >> 20 & 1 == 0 {
                    0x0a00_0105
                } else {
                    u32::MAX - (r >> 21) as u32 % 3
                },
                src_port: (r >> 24) as u16 % 4 * 20_000,
                dst_port: (r >> 40) as u16 % 3,
                protocol: [1, 6, 17][(r >> 44) as usize % 3],
                ip_len: (r >> 48) as u16 % 1500,
            };
            let window = (r >> 50) % 6;
            let eni = EniIdx((r >> 54) as u32 % 5);
            let action = if r >> 58 & 1 == 0 {
                Action::Accept
            } else {
                Action::Reject
            };
            let second = (r >> 59) as u8 % 60;
            for log in [&mut fast, &mut general] {
                log.count4(Key4::new(window, eni, &f, action), f.ip_len, second);
            }
        }
        for window in [3, u64::MAX] {
            fast.write_closed4(window).unwrap().unwrap();
            general.write_closed(window).unwrap();
            assert_eq!(fast.lines(), general.lines());
            assert_eq!(fast.counts_by_eni(), general.counts_by_eni());
        }
        assert!(fast.lines() > 5000, "{}", fast.lines());
        assert_eq!(
            String::from_utf8(fast.into_inner()).unwrap(),
            String::from_utf8(general.into_inner()).unwrap()
        );
    }

    /// Packed keys order as `RecordKey`s do (the derived order of the
    /// general path's sort).
    #[test]
    fn packed_keys_order_as_record_keys() {
        let mut rng = SplitMix64::new(7);
        let packing = Packing::new(5, 9, 6).unwrap();
        let values = [0u64, 1, 0x7fff, 0xffff, 0xffff_ffff];
        let mut records: Vec<Key4> = (0..3000)
            .map(|_| {
                let mut pick = |m: u64| values[(rng.next_u64() % 5) as usize] % m.max(1);
                Key4 {
                    head: (5 + pick(5)) << 16 | pick(256) << 8 | pick(2),
                    addrs: pick(u64::MAX) << 32 | pick(u64::MAX),
                    ports: pick(7) << 32 | pick(u64::MAX),
                }
            })
            .collect();
        records.sort_by_key(Key4::record_key);
        records.dedup();
        let packed: Vec<u128> = records.iter().map(|k| packing.pack(k)).collect();
        assert!(packed.windows(2).all(|w| w[0] < w[1]), "{}", packed.len());
        assert!(Packing::new(0, u64::MAX / WINDOW_NS, u32::MAX).is_none());
    }
}
