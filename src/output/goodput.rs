//! [`GoodputSeries`]: application bytes a flow delivered per interval of virtual
//! time, for "goodput over time" (`summary.json` `goodput_series`, the report's
//! chart).
//!
//! The run's length is not known while it runs (a TCP transfer ends when it ends),
//! so the series starts with narrow buckets ([`FIRST_BUCKET_NS`]) and, when a
//! delivery falls past [`MAX_BUCKETS`] of them, doubles the width and adds
//! neighbours pairwise: a flow ends with between `MAX_BUCKETS / 2` and
//! `MAX_BUCKETS` buckets whatever its length (fewer only when it is shorter than
//! `MAX_BUCKETS` first buckets), at most 512 bytes of counts, allocated when it
//! first delivers and grown (in powers of two) per bucket, never per frame. Widths are
//! `FIRST_BUCKET_NS × 2^k`, and every step depends only on virtual time, so the
//! same run gives the same series.

/// Width of a series' buckets until it first doubles: 10 µs.
pub const FIRST_BUCKET_NS: u64 = 10_000;
/// A series never holds more buckets than this (it doubles their width instead).
pub const MAX_BUCKETS: usize = 64;

/// Bytes delivered per bucket of `width_ns`, the first bucket starting at
/// `origin_ns` (the flow's start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoodputSeries {
    origin_ns: u64,
    width_ns: u64,
    /// End of the last bucket (`held` non-empty), else 0: a delivery before it
    /// goes to the last bucket without a division.
    last_end_ns: u64,
    /// Index of `held[0]`: the empty buckets before the first delivery are not
    /// stored. A one-datagram flow delivered 300 µs after its start held 31 zeros
    /// and its byte count (256 bytes a flow at 100,000 flows, issue #18); it now
    /// holds one bucket.
    first: u64,
    /// The buckets from `first` on.
    held: Vec<u64>,
}

impl GoodputSeries {
    /// An empty series whose first bucket starts at `origin_ns`.
    pub fn new(origin_ns: u64) -> Self {
        GoodputSeries {
            origin_ns,
            width_ns: FIRST_BUCKET_NS,
            last_end_ns: 0,
            first: 0,
            held: Vec::new(),
        }
    }

    /// Count `bytes` delivered at `now_ns` (not before the previous delivery:
    /// virtual time does not go back; anything earlier than `origin_ns` counts in
    /// the first bucket). Always inlined: it runs for every datagram and
    /// segment delivered (issue #18).
    #[inline(always)]
    pub fn record(&mut self, now_ns: u64, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let len = self.held.len();
        if len != 0 {
            if now_ns < self.last_end_ns {
                self.held[len - 1] += bytes;
                return;
            }
            // The next bucket, with room allocated for it and below
            // `MAX_BUCKETS` (no doubling): what `record_slow` would do, without
            // its call and division (a flow sending every millisecond starts a
            // new bucket every delivery or two; issue #18).
            if now_ns - self.last_end_ns < self.width_ns
                && len < self.held.capacity()
                && self.first + (len as u64) < MAX_BUCKETS as u64
            {
                self.held.push(bytes);
                self.last_end_ns += self.width_ns;
                return;
            }
        }
        self.record_slow(now_ns, bytes);
    }

    /// A delivery past the last bucket: widen until it fits, grow, count.
    #[inline(never)]
    fn record_slow(&mut self, now_ns: u64, bytes: u64) {
        let since = now_ns.saturating_sub(self.origin_ns);
        let mut index = since / self.width_ns;
        // The usual case (half the deliveries of a flow sending every
        // millisecond): a later bucket of the same width, with room already
        // allocated. Zeros up to it, then its bytes: what the general path below
        // does then, without its growth and doubling checks (issue #18; the
        // capacity is a power of two or `MAX_BUCKETS`, so `want` below would not
        // exceed it).
        if let Some(at) = index
            .checked_sub(self.first)
            .map(|at| at as usize)
            .filter(|&at| {
                index < MAX_BUCKETS as u64
                    && !self.held.is_empty()
                    && at >= self.held.len()
                    && at < self.held.capacity()
            })
        {
            self.held.resize(at, 0);
            self.held.push(bytes);
            self.last_end_ns = self.origin_ns + self.width_ns * (index + 1);
            return;
        }
        while index >= MAX_BUCKETS as u64 {
            self.double_width();
            index = since / self.width_ns;
        }
        if self.held.is_empty() {
            self.first = index;
        } else if index < self.first {
            // Earlier than the first delivery (not done by the callers, whose
            // time does not go back): the empty buckets in between are stored.
            let gap = (self.first - index) as usize;
            self.held.splice(0..0, std::iter::repeat_n(0, gap));
            self.first = index;
        }
        let at = (index - self.first) as usize;
        if at >= self.held.len() {
            // Capacity in powers of two up to MAX_BUCKETS: a one-datagram flow
            // holds 1 bucket, not 64 (512 bytes a flow at 100k flows).
            let want = (at + 1).next_power_of_two().min(MAX_BUCKETS);
            if want > self.held.capacity() {
                self.held.reserve_exact(want - self.held.len());
            }
            self.held.resize(at + 1, 0);
        }
        self.held[at] += bytes;
        self.last_end_ns = self.origin_ns + self.width_ns * (self.first + self.held.len() as u64);
    }

    /// Twice as wide buckets: bucket `i` becomes old buckets `2i` and `2i + 1`.
    fn double_width(&mut self) {
        let first = self.first as usize;
        let held = &mut self.held;
        let len = held.len();
        // New bucket `first / 2 + k` is old buckets `2 (first / 2 + k)` and the
        // next: with `first` odd, the first of them is an unstored zero, so new
        // bucket 0 is `held[0]` alone. Pairs are read at or after where their
        // sum goes (`from >= k`), so before they are overwritten. One pass
        // with plain indices (issue #18: a flow doubles about nine times in its
        // first milliseconds; `double_width_reference` in the tests is the
        // definition).
        let (mut k, mut from) = (first % 2, first % 2);
        while from + 1 < len {
            held[k] = held[from] + held[from + 1];
            k += 1;
            from += 2;
        }
        if from < len {
            held[k] = held[from];
            k += 1;
        }
        held.truncate(k);
        self.first = (first / 2) as u64;
        self.width_ns *= 2;
    }

    /// Virtual time the first bucket starts at.
    pub fn origin_ns(&self) -> u64 {
        self.origin_ns
    }

    /// Width of every bucket.
    pub fn width_ns(&self) -> u64 {
        self.width_ns
    }

    /// Bytes per bucket from the first, up to the last bucket anything was
    /// delivered in (empty: nothing delivered).
    pub fn buckets(&self) -> Vec<u64> {
        if self.held.is_empty() {
            return Vec::new();
        }
        let first = self.first as usize;
        let mut all = Vec::with_capacity(first + self.held.len());
        all.resize(first, 0);
        all.extend_from_slice(&self.held);
        all
    }

    /// Bytes in all buckets.
    pub fn total(&self) -> u64 {
        self.held.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The series as it was recorded before issue #18's shortcuts (the
    /// definition the shortcuts must match, capacity included): every delivery
    /// past the last bucket through this general path.
    fn record_reference(s: &mut GoodputSeries, now_ns: u64, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let len = s.held.len();
        if len != 0 && now_ns < s.last_end_ns {
            s.held[len - 1] += bytes;
            return;
        }
        let since = now_ns.saturating_sub(s.origin_ns);
        let mut index = since / s.width_ns;
        while index >= MAX_BUCKETS as u64 {
            double_width_reference(s);
            index = since / s.width_ns;
        }
        if s.held.is_empty() {
            s.first = index;
        } else if index < s.first {
            let gap = (s.first - index) as usize;
            s.held.splice(0..0, std::iter::repeat_n(0, gap));
            s.first = index;
        }
        let at = (index - s.first) as usize;
        if at >= s.held.len() {
            let want = (at + 1).next_power_of_two().min(MAX_BUCKETS);
            if want > s.held.capacity() {
                s.held.reserve_exact(want - s.held.len());
            }
            s.held.resize(at + 1, 0);
        }
        s.held[at] += bytes;
        s.last_end_ns = s.origin_ns + s.width_ns * (s.first + s.held.len() as u64);
    }

    fn double_width_reference(s: &mut GoodputSeries) {
        let first = s.first as usize;
        let len = s.held.len();
        let new_first = first / 2;
        let new_len = (first + len).div_ceil(2) - new_first;
        for k in 0..new_len {
            let i = 2 * (new_first + k);
            let mut pair = 0;
            for j in [i, i + 1] {
                if let Some(&b) = j.checked_sub(first).and_then(|at| s.held.get(at)) {
                    pair += b;
                }
            }
            s.held[k] = pair;
        }
        s.held.truncate(new_len);
        s.first = new_first as u64;
        s.width_ns *= 2;
    }

    /// Issue #18: the shortcuts of `record` (next bucket) and `record_slow`
    /// (a later bucket) and the one-pass `double_width` give the series the general path gives,
    /// field for field and capacity for capacity, for deliveries at steps
    /// that hit every path (same bucket, next, a gap, a doubling from odd and
    /// even first buckets, several doublings at once).
    #[test]
    fn the_shortcuts_record_what_the_general_path_records() {
        let mut doublings = 0;
        for origin in [0u64, 3, 1_000_000] {
            for start in [0u64, 5, 10_000, 30_000, 333_333, 630_000, 5_000_000] {
                for step in [0u64, 999, 1_000, 7_777, 10_000, 19_999, 40_000, 1_000_000] {
                    let (mut s, mut r) = (GoodputSeries::new(origin), GoodputSeries::new(origin));
                    for i in 0..300u64 {
                        // Now and then a jump far ahead: several doublings at once.
                        let t = origin + start + i * step + (i / 97) * 300_000_000;
                        let bytes = (i * 37) % 5;
                        let width = s.width_ns;
                        s.record(t, bytes);
                        record_reference(&mut r, t, bytes);
                        doublings += u32::from(s.width_ns != width);
                        assert_eq!(s, r, "{origin} {start} {step} {i}");
                        assert_eq!(
                            s.held.capacity(),
                            r.held.capacity(),
                            "{origin} {start} {step} {i}"
                        );
                    }
                }
            }
        }
        assert!(doublings > 100, "{doublings}");
    }

    #[test]
    fn buckets_start_narrow_and_double_keeping_every_byte() {
        let mut s = GoodputSeries::new(1_000_000);
        s.record(500, 7); // before the origin: first bucket
        s.record(1_000_000, 10);
        s.record(1_009_999, 5);
        s.record(1_010_000, 1);
        s.record(1_010_000, 0);
        assert_eq!(s.width_ns(), FIRST_BUCKET_NS);
        assert_eq!(s.buckets(), &[22, 1]);
        assert_eq!(s.held.capacity(), 2, "grown to what it holds");
        // 64 buckets of 10 µs end at 640 µs; 1 ms needs 20 µs buckets.
        s.record(2_000_000, 3);
        assert_eq!(s.width_ns(), 2 * FIRST_BUCKET_NS);
        assert_eq!(s.buckets().len(), 51);
        assert_eq!(&s.buckets()[..2], &[23, 0]);
        assert_eq!(s.buckets()[50], 3);
        // A second later: many doublings at once.
        s.record(1_001_000_000, 100);
        assert_eq!(s.total(), 7 + 10 + 5 + 1 + 3 + 100);
        assert!(s.buckets().len() > MAX_BUCKETS / 2 && s.buckets().len() <= MAX_BUCKETS);
        assert_eq!(s.width_ns() % FIRST_BUCKET_NS, 0);
        assert!((s.width_ns() / FIRST_BUCKET_NS).is_power_of_two());
        assert_eq!(s.buckets()[0], 26);
        assert_eq!(*s.buckets().last().unwrap(), 100);
        assert!(s.held.capacity() <= MAX_BUCKETS);
    }

    #[test]
    fn steady_deliveries_fill_between_half_and_all_buckets() {
        for n in [1u64, 10, 63, 64, 65, 1000, 123_457] {
            let mut s = GoodputSeries::new(0);
            for t in 0..n {
                s.record(t * 1_000, 1448);
            }
            assert_eq!(s.total(), n * 1448, "{n}");
            let len = s.buckets().len();
            assert!(len <= MAX_BUCKETS, "{n}: {len}");
            if n * 1_000 > FIRST_BUCKET_NS * MAX_BUCKETS as u64 {
                assert!(len > MAX_BUCKETS / 2, "{n}: {len}");
            }
        }
        let empty = GoodputSeries::new(5);
        assert!(empty.buckets().is_empty());
        assert_eq!(empty.total(), 0);
    }

    /// Deliveries a bucket apart (the inline next-bucket path), then further
    /// apart, then a doubling: the same series as the reference below, grown in
    /// powers of two.
    #[test]
    fn deliveries_into_the_next_bucket_keep_the_series_and_its_growth() {
        let mut s = GoodputSeries::new(0);
        for i in 0..40u64 {
            s.record(i * FIRST_BUCKET_NS + 5, 10 + i);
            assert_eq!(s.buckets().len() as u64, i + 1);
            assert!(s.held.capacity().is_power_of_two());
            assert!(s.held.capacity() >= s.held.len());
        }
        s.record(50 * FIRST_BUCKET_NS, 1);
        s.record(64 * FIRST_BUCKET_NS, 2);
        assert_eq!(s.width_ns(), 2 * FIRST_BUCKET_NS);
        assert_eq!(s.total(), (10..50).sum::<u64>() + 3);
        assert_eq!(s.buckets()[0], 10 + 11);
        assert_eq!(s.buckets()[32], 2);
        assert!(s.held.capacity() <= MAX_BUCKETS);
    }

    #[test]
    fn buckets_before_the_first_delivery_are_not_stored() {
        let mut s = GoodputSeries::new(1_000_000);
        // 300 µs after the start: bucket 30 of 10 µs.
        s.record(1_300_000, 200);
        assert_eq!(s.held.len(), 1);
        assert_eq!(s.held.capacity(), 1);
        let b = s.buckets();
        assert_eq!(b.len(), 31);
        assert_eq!(b[30], 200);
        assert_eq!(b[..30].iter().sum::<u64>(), 0);
        assert_eq!(s.total(), 200);
        s.record(1_305_000, 5);
        assert_eq!(s.buckets().len(), 31);
        assert_eq!(s.buckets()[30], 205);
    }

    /// The same deliveries give the same buckets as a series that stores every
    /// bucket (what the summary shows does not change), across doublings that
    /// start at odd and even first buckets.
    #[test]
    fn skipped_leading_buckets_give_the_same_series_as_stored_ones() {
        fn reference(origin: u64, deliveries: &[(u64, u64)]) -> (u64, Vec<u64>) {
            let mut width = FIRST_BUCKET_NS;
            let mut b: Vec<u64> = Vec::new();
            for &(t, bytes) in deliveries {
                let since = t.saturating_sub(origin);
                while since / width >= MAX_BUCKETS as u64 {
                    let n = b.len().div_ceil(2);
                    b = (0..n)
                        .map(|i| b[2 * i] + b.get(2 * i + 1).copied().unwrap_or(0))
                        .collect();
                    width *= 2;
                }
                let i = (since / width) as usize;
                if i >= b.len() {
                    b.resize(i + 1, 0);
                }
                b[i] += bytes;
            }
            (width, b)
        }
        for start in [0u64, 10_000, 30_000, 333_333, 630_000, 5_000_000] {
            for step in [1_000u64, 7_777, 40_000, 1_000_000] {
                let deliveries: Vec<(u64, u64)> =
                    (0..200).map(|i| (start + i * step, 100 + i)).collect();
                let mut s = GoodputSeries::new(0);
                for &(t, bytes) in &deliveries {
                    s.record(t, bytes);
                }
                let (width, b) = reference(0, &deliveries);
                assert_eq!((s.width_ns(), s.buckets()), (width, b), "{start} {step}");
            }
        }
    }
}
