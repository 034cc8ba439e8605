//! [`LatencyHistogram`]: the per-flow latency histogram, recorded with HdrHistogram's
//! exact bucketing (1 ns lowest discernible value, 3 significant digits) but stored
//! sparsely.
//!
//! Why not `hdrhistogram::Histogram` itself: its counts array spans every slot from 0
//! to the largest value seen, about 80 KB for a 500 µs latency, allocated per flow
//! (and per ping RTT) for the whole run: 10k flows took 850 MB, and walking those
//! arrays to print percentiles dominated the output time. Here only spans of slots
//! near recorded values are stored, so a flow whose latencies sit in a few dozen
//! slots costs a few hundred bytes. Slot indices, equivalent values, percentiles,
//! mean and standard deviation are computed exactly as the crate computes them
//! (tests compare both on random data), so `summary.json` and the `.hgrm` files are
//! what an `hdrhistogram::Histogram` would give; [`LatencyHistogram::to_hdr`]
//! builds one when a caller wants the crate's API.

use hdrhistogram::Histogram;

/// Largest value recorded: one hour in nanoseconds (larger values are clamped).
pub const HISTOGRAM_MAX_NS: u64 = 3_600_000_000_000;
/// HdrHistogram's significant digits for these histograms.
pub const SIGFIG: u8 = 3;
/// 2^ceil(log2(2 × 10^SIGFIG)) sub-buckets per bucket, half of them used past bucket 0.
const SUB_BUCKET_COUNT: u64 = 2048;
const SUB_BUCKET_HALF_MAGNITUDE: u32 = 10;
const SUB_BUCKET_HALF_COUNT: u64 = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = SUB_BUCKET_COUNT - 1;
/// 64 - unit magnitude (0 for a lowest discernible value of 1) - (half magnitude + 1).
const LEADING_ZERO_COUNT_BASE: u32 = 64 - (SUB_BUCKET_HALF_MAGNITUDE + 1);
/// A recorded slot this close past a run's end (or before its start) extends that
/// span instead of starting a new one: fewer, longer spans for spread-out values.
const MAX_GAP: u32 = 32;

/// A contiguous range of slots: slot `start + i` is counted at `counts[offset + i]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    offset: u32,
    len: u32,
}

impl Span {
    fn end(&self) -> u32 {
        self.start + self.len
    }
}

/// A sparse HdrHistogram of nanosecond values (1 ns to one hour, 3 significant
/// digits).
///
/// Recording a value that falls in the span of the previous one (the usual case)
/// reads 36 bytes of this struct and bumps one element of `counts`: nothing else,
/// not even a total or min/max (derived when asked: the first slot of the first
/// span and the last of the last span are always recorded ones). Thousands of
/// flows interleave, so every flow's data is cold when its next sample comes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[repr(C)]
pub struct LatencyHistogram {
    /// The counts of every span, one span after the other in slot order.
    counts: Vec<u64>,
    /// A copy of the span the last value went to (`len` 0: none yet).
    hint: Span,
    /// Sorted by `start`, disjoint, separated by more than `MAX_GAP` empty slots.
    spans: Vec<Span>,
}

#[inline]
fn bucket_for(value: u64) -> u32 {
    LEADING_ZERO_COUNT_BASE - (value | SUB_BUCKET_MASK).leading_zeros()
}

/// The slot of `value` in HdrHistogram's counts array.
#[inline]
fn index_for(value: u64) -> u32 {
    let bucket = bucket_for(value);
    let sub_bucket = (value >> bucket) as u32;
    ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + sub_bucket - SUB_BUCKET_HALF_COUNT as u32
}

/// The lowest value of slot `index`.
fn value_for(index: u32) -> u64 {
    let mut bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) as i64 - 1;
    let mut sub_bucket = (u64::from(index) & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub_bucket -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub_bucket << bucket
}

fn lowest_equivalent(value: u64) -> u64 {
    let bucket = bucket_for(value);
    (value >> bucket) << bucket
}

fn equivalent_range(value: u64) -> u64 {
    1 << bucket_for(value)
}

fn highest_equivalent(value: u64) -> u64 {
    if value == u64::MAX {
        u64::MAX
    } else {
        lowest_equivalent(value).saturating_add(equivalent_range(value)) - 1
    }
}

fn median_equivalent(value: u64) -> u64 {
    lowest_equivalent(value) + (equivalent_range(value) >> 1)
}

/// HdrHistogram's `buckets_to_cover` for our parameters.
fn buckets_to_cover(value: u64) -> u8 {
    let mut smallest_untrackable = SUB_BUCKET_COUNT;
    let mut needed = 1u8;
    while smallest_untrackable <= value {
        if smallest_untrackable > u64::MAX / 2 {
            return needed + 1;
        }
        smallest_untrackable <<= 1;
        needed += 1;
    }
    needed
}

impl LatencyHistogram {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one value, clamped into 1 ns ..= one hour.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        let v = ns.clamp(1, HISTOGRAM_MAX_NS);
        let index = index_for(v);
        let rel = index.wrapping_sub(self.hint.start);
        if rel < self.hint.len {
            self.counts[(self.hint.offset + rel) as usize] += 1;
        } else {
            self.record_slow(index);
        }
    }

    /// `index` is outside the hinted span: find, extend or insert its span, count
    /// it, and make that span the hint.
    fn record_slow(&mut self, index: u32) {
        // At or past the last span's start (latencies creeping up, the usual
        // case here): the first case below with `at` the number of spans, found
        // without the bisection (issue #18).
        if let Some(last) = self.spans.last_mut().filter(|b| index >= b.start) {
            if index < last.end() {
                self.hint = *last;
                self.counts[(last.offset + index - last.start) as usize] += 1;
                return;
            }
            if index - last.end() < MAX_GAP {
                let grow = index + 1 - last.end();
                last.len += grow;
                self.hint = *last;
                self.counts.resize(self.counts.len() + grow as usize, 0);
                self.counts[(self.hint.offset + index - self.hint.start) as usize] += 1;
                return;
            }
        }
        // Spans before `at` start at or below `index`.
        let at = self.spans.partition_point(|r| r.start <= index);
        // The usual cases first, which leave every span's offset as it is:
        // inside another span than the hint, or a little past the last span
        // (latencies creeping up as queues fill), whose counts end `counts`.
        // The same spans as the general path below, without its re-derivation
        // of every offset and its insertion (issue #18).
        if let Some(b) = at.checked_sub(1).map(|i| self.spans[i]) {
            if index < b.end() {
                self.hint = b;
                self.counts[(b.offset + index - b.start) as usize] += 1;
                return;
            }
            if at == self.spans.len() && index - b.end() < MAX_GAP {
                let grow = index + 1 - b.end();
                self.counts.resize(self.counts.len() + grow as usize, 0);
                let last = &mut self.spans[at - 1];
                last.len += grow;
                self.hint = *last;
                self.counts[(last.offset + index - last.start) as usize] += 1;
                return;
            }
        }
        let before = at.checked_sub(1).map(|i| self.spans[i]);
        let after = self.spans.get(at).copied();
        let i = match (before, after) {
            (Some(b), _) if index < b.end() => at - 1,
            (Some(b), _) if index - b.end() < MAX_GAP => {
                // Grow the span forward, then join the next one if now close.
                let mut grow = index + 1 - b.end();
                let mut remove_next = false;
                if let Some(a) = after {
                    if a.start - (index + 1) <= MAX_GAP {
                        grow = a.start - b.end();
                        remove_next = true;
                    }
                }
                self.insert_zeros(b.offset + b.len, grow);
                self.spans[at - 1].len += grow;
                if remove_next {
                    self.spans[at - 1].len += self.spans[at].len;
                    self.spans.remove(at);
                }
                at - 1
            }
            (_, Some(a)) if a.start - index <= MAX_GAP => {
                let grow = a.start - index;
                self.insert_zeros(a.offset, grow);
                let span = &mut self.spans[at];
                span.start = index;
                span.len += grow;
                at
            }
            _ => {
                let offset = before.map_or(0, |b| b.offset + b.len);
                self.insert_zeros(offset, 1);
                self.spans.insert(
                    at,
                    Span {
                        start: index,
                        offset,
                        len: 1,
                    },
                );
                at
            }
        };
        // Offsets after a change: spans are few, so recompute them all.
        let mut offset = 0;
        for s in &mut self.spans {
            s.offset = offset;
            offset += s.len;
        }
        self.hint = self.spans[i];
        self.counts[(self.hint.offset + index - self.hint.start) as usize] += 1;
    }

    /// Insert `n` zero counts before `counts[at]`. A resize, one `copy_within` of
    /// the tail and a fill: `Vec::splice` with a repeat iterator took about three
    /// times the instructions (most of the slow path's cost, callgrind).
    fn insert_zeros(&mut self, at: u32, n: u32) {
        let (at, n) = (at as usize, n as usize);
        let old_len = self.counts.len();
        self.counts.resize(old_len + n, 0);
        if at < old_len {
            self.counts.copy_within(at..old_len, at + n);
            self.counts[at..at + n].fill(0);
        }
    }

    /// Values recorded.
    pub fn len(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// True only if every value recorded is in one slot (a one-datagram
    /// flow's): one span of one slot. `false` does not say there are several
    /// (a span may hold empty slots); [`Self::slots`] does.
    pub fn is_one_slot(&self) -> bool {
        matches!(self.spans.as_slice(), [s] if s.len == 1)
    }

    /// The lowest value of the smallest slot recorded (0 when empty), as
    /// `Histogram::min`.
    pub fn min(&self) -> u64 {
        self.spans.first().map_or(0, |s| value_for(s.start))
    }

    /// The highest value equivalent to the largest recorded (0 when empty), as
    /// `Histogram::max`.
    pub fn max(&self) -> u64 {
        self.spans
            .last()
            .map_or(0, |s| highest_equivalent(value_for(s.end() - 1)))
    }

    /// Non-empty slots in value order: (slot index in HdrHistogram's counts array
    /// for 1 ns lowest discernible value and 3 significant digits, count).
    pub fn slots(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.spans.iter().flat_map(|r| {
            let counts = &self.counts[r.offset as usize..(r.offset + r.len) as usize];
            counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(move |(i, &c)| (r.start + i as u32, c))
        })
    }

    /// As `Histogram::value_at_quantile`.
    pub fn value_at_quantile(&self, quantile: f64) -> u64 {
        let quantile = quantile.min(1.0);
        let count_at_quantile = ((quantile * self.len() as f64).ceil() as u64).max(1);
        let mut running = 0u64;
        for (index, count) in self.slots() {
            running += count;
            if running >= count_at_quantile {
                let v = value_for(index);
                return if quantile == 0.0 {
                    lowest_equivalent(v)
                } else {
                    highest_equivalent(v)
                };
            }
        }
        0
    }

    /// [`LatencyHistogram::value_at_quantile`] of each of `quantiles`, which
    /// must be ascending, in one walk over the slots (`summary.json`'s
    /// percentiles of 100,000 flows walked them three times).
    pub fn values_at_quantiles<const N: usize>(&self, quantiles: [f64; N]) -> [u64; N] {
        debug_assert!(quantiles.windows(2).all(|w| w[0] <= w[1]));
        let len = self.len() as f64;
        let wanted = quantiles.map(|q| {
            let q = q.min(1.0);
            (q, ((q * len).ceil() as u64).max(1))
        });
        let mut out = [0u64; N];
        let mut next = 0;
        let mut running = 0u64;
        for (index, count) in self.slots() {
            running += count;
            while let Some(&(q, _)) = wanted.get(next).filter(|w| running >= w.1) {
                let v = value_for(index);
                out[next] = if q == 0.0 {
                    lowest_equivalent(v)
                } else {
                    highest_equivalent(v)
                };
                next += 1;
            }
            if next == N {
                break;
            }
        }
        out
    }

    /// As `Histogram::mean` (same summation order, so the same bits).
    pub fn mean(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let total = self.len() as f64;
        self.slots().fold(0.0, |acc, (index, count)| {
            let v = median_equivalent(highest_equivalent(value_for(index)));
            acc + v as f64 * count as f64 / total
        })
    }

    /// As `Histogram::stdev`.
    pub fn stdev(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let mean = self.mean();
        let dev_total = self.slots().fold(0.0, |acc, (index, count)| {
            let dev = median_equivalent(highest_equivalent(value_for(index))) as f64 - mean;
            acc + (dev * dev) * count as f64
        });
        (dev_total / self.len() as f64).sqrt()
    }

    /// As `Histogram::buckets` for an auto-resizing histogram created with bounds
    /// (1, 2) that recorded these values.
    pub fn buckets(&self) -> u8 {
        // Every value of a slot needs the same number of buckets.
        buckets_to_cover(self.max())
    }

    pub fn sigfig(&self) -> u8 {
        SIGFIG
    }

    /// HdrHistogram's quantile iteration (`iter_quantiles`), as (value iterated to,
    /// quantile iterated to, count since the last step).
    pub fn quantile_steps(&self, ticks_per_half_distance: u32) -> Vec<(u64, f64, u64)> {
        quantile_steps(self, ticks_per_half_distance)
    }

    /// The same histogram as an auto-resizing `hdrhistogram::Histogram`.
    pub fn to_hdr(&self) -> Histogram<u64> {
        let mut h = Histogram::<u64>::new_with_bounds(1, 2, SIGFIG)
            .unwrap_or_else(|_| unreachable!("constant histogram bounds are valid"));
        h.auto(true);
        for (index, count) in self.slots() {
            // Every slot's lowest value is in range (1 ns ..= one hour + a slot).
            let _ = h.record_n(value_for(index).max(1), count);
        }
        h
    }

    /// Bytes held on the heap (for tests of the memory bound).
    pub fn heap_bytes(&self) -> usize {
        self.spans.capacity() * std::mem::size_of::<Span>() + self.counts.capacity() * 8
    }
}

/// Port of the crate's `HistogramIterator` with its quantile picker, over the
/// non-empty slots only (the picker never picks an empty slot, so skipping them
/// changes nothing).
fn quantile_steps(h: &LatencyHistogram, ticks_per_half_distance: u32) -> Vec<(u64, f64, u64)> {
    let mut out = Vec::new();
    if h.is_empty() {
        return out;
    }
    let total = h.len() as f64;
    let max_index = index_for(h.max());
    let mut to = 0.0f64;
    let mut reached_end = false;
    let mut running = 0u64;
    let mut since_last = 0u64;
    for (index, count) in h.slots() {
        running += count;
        since_last += count;
        let value = highest_equivalent(value_for(index));
        loop {
            // pick()
            let current = running as f64 / total;
            if current < to || reached_end {
                break;
            }
            let picked = if to == 1.0 {
                reached_end = true;
                1.0
            } else {
                let halvings = (1.0 / (1.0 - to)).log2() as u32;
                let ticks = u64::from(ticks_per_half_distance) << (halvings + 1);
                let increment = 1.0 / ticks as f64;
                let picked = to;
                let sum = to + increment;
                to = if sum == to { 1.0 } else { sum };
                picked
            };
            out.push((value, picked, since_last));
            since_last = 0;
            // The iterator stays on this slot; past the last one, `more()` decides.
            if index >= max_index {
                if reached_end {
                    return out;
                }
                to = 1.0;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn both(values: &[u64]) -> (LatencyHistogram, Histogram<u64>) {
        let mut sparse = LatencyHistogram::new();
        let mut hdr = Histogram::<u64>::new_with_bounds(1, 2, 3).unwrap();
        hdr.auto(true);
        for &v in values {
            sparse.record(v);
            hdr.record(v.clamp(1, HISTOGRAM_MAX_NS)).unwrap();
        }
        (sparse, hdr)
    }

    fn assert_same(values: &[u64]) {
        let (s, h) = both(values);
        assert_eq!(s.len(), h.len());
        assert_eq!(s.min(), h.min());
        assert_eq!(s.max(), h.max());
        assert_eq!(s.buckets(), h.buckets(), "{values:?}");
        assert_eq!(s.mean().to_bits(), h.mean().to_bits());
        assert_eq!(s.stdev().to_bits(), h.stdev().to_bits());
        let qs = [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0];
        for q in qs {
            assert_eq!(s.value_at_quantile(q), h.value_at_quantile(q), "q={q}");
        }
        assert_eq!(
            s.values_at_quantiles(qs),
            qs.map(|q| h.value_at_quantile(q))
        );
        assert_eq!(
            s.values_at_quantiles([0.5, 0.9, 0.99]),
            [0.5, 0.9, 0.99].map(|q| s.value_at_quantile(q))
        );
        let theirs: Vec<(u64, f64, u64)> = h
            .iter_quantiles(5)
            .map(|v| {
                (
                    v.value_iterated_to(),
                    v.quantile_iterated_to(),
                    v.count_since_last_iteration(),
                )
            })
            .collect();
        assert_eq!(s.quantile_steps(5), theirs);
        let back = s.to_hdr();
        assert_eq!(back.len(), h.len());
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
    }

    #[test]
    fn matches_hdrhistogram_on_random_distributions() {
        let mut rng = SplitMix64::new(42);
        for case in 0..300 {
            let n = 1 + (rng.next_u64() % 3000) as usize;
            let base = 1 + rng.next_u64() % 50_000_000;
            let spread = 1 + rng.next_u64() % (base * 2);
            let modes = 1 + rng.next_u64() % 3;
            let values: Vec<u64> = (0..n)
                .map(|_| {
                    let mode = rng.next_u64() % modes;
                    (base << (mode * 4)) + rng.next_u64() % spread
                })
                .collect();
            assert_same(&values);
            if case % 50 == 0 {
                assert_same(&values[..1]);
            }
        }
    }

    #[test]
    fn matches_hdrhistogram_at_the_edges() {
        assert_same(&[]);
        assert_same(&[0]);
        assert_same(&[1, 2, 2047, 2048, 2049, 4095, 4096]);
        assert_same(&[u64::MAX, 5, HISTOGRAM_MAX_NS]);
        assert_same(&[100_000; 1000]);
        // Slots reached from both sides of a span and spans that merge.
        let mut v: Vec<u64> = (0..200).map(|i| 1_000_000 + i * 1_000).collect();
        v.extend((0..200).rev().map(|i| 1_000_000 + i * 3_700));
        v.extend((0..50).map(|i| 3_000_000 - i * 90_000));
        assert_same(&v);
    }

    /// The slow path's shortcuts (issue #18): a value inside a span other than
    /// the hint, and a value a little past the last span, over and over.
    #[test]
    fn matches_hdrhistogram_when_latencies_creep_up_and_alternate() {
        let creeping: Vec<u64> = (0..5000).map(|i| 100_000 + i * 37).collect();
        assert_same(&creeping);
        let alternating: Vec<u64> = (0..4000)
            .map(|i| {
                if i % 2 == 0 {
                    50_000 + i * 3
                } else {
                    9_000_000 + i * 900
                }
            })
            .collect();
        assert_same(&alternating);
    }

    #[test]
    fn memory_follows_distinct_values_not_range() {
        let mut h = LatencyHistogram::new();
        for i in 0..100_000u64 {
            h.record(500_000 + (i % 7) * 600);
        }
        for i in 0..1000u64 {
            h.record(40_000_000 + (i % 3) * 40_000);
        }
        assert_eq!(h.len(), 101_000);
        assert!(h.heap_bytes() < 1024, "{} bytes", h.heap_bytes());
        // The crate's array for the same values: tens of kilobytes.
        assert!(h.to_hdr().distinct_values() * 8 > 50_000);
    }
}
