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
    /// End of the last bucket (`buckets` non-empty), else 0: a delivery before it
    /// goes to the last bucket without a division.
    last_end_ns: u64,
    buckets: Vec<u64>,
}

impl GoodputSeries {
    /// An empty series whose first bucket starts at `origin_ns`.
    pub fn new(origin_ns: u64) -> Self {
        GoodputSeries {
            origin_ns,
            width_ns: FIRST_BUCKET_NS,
            last_end_ns: 0,
            buckets: Vec::new(),
        }
    }

    /// Count `bytes` delivered at `now_ns` (not before the previous delivery:
    /// virtual time does not go back; anything earlier than `origin_ns` counts in
    /// the first bucket).
    #[inline]
    pub fn record(&mut self, now_ns: u64, bytes: u64) {
        if bytes == 0 {
            return;
        }
        match self.buckets.last_mut() {
            Some(last) if now_ns < self.last_end_ns => *last += bytes,
            _ => self.record_slow(now_ns, bytes),
        }
    }

    /// A delivery past the last bucket: widen until it fits, grow, count.
    fn record_slow(&mut self, now_ns: u64, bytes: u64) {
        let since = now_ns.saturating_sub(self.origin_ns);
        let mut index = since / self.width_ns;
        while index >= MAX_BUCKETS as u64 {
            self.double_width();
            index = since / self.width_ns;
        }
        let index = index as usize;
        if index >= self.buckets.len() {
            // Capacity in powers of two up to MAX_BUCKETS: a one-datagram flow
            // holds 1 bucket, not 64 (512 bytes a flow at 100k flows).
            let want = (index + 1).next_power_of_two().min(MAX_BUCKETS);
            if want > self.buckets.capacity() {
                self.buckets.reserve_exact(want - self.buckets.len());
            }
            self.buckets.resize(index + 1, 0);
        }
        self.buckets[index] += bytes;
        self.last_end_ns = self.origin_ns + self.width_ns * self.buckets.len() as u64;
    }

    /// Twice as wide buckets: bucket `i` becomes old buckets `2i` and `2i + 1`.
    fn double_width(&mut self) {
        let n = self.buckets.len().div_ceil(2);
        for i in 0..n {
            let pair = self.buckets[2 * i] + self.buckets.get(2 * i + 1).copied().unwrap_or(0);
            self.buckets[i] = pair;
        }
        self.buckets.truncate(n);
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

    /// Bytes per bucket, up to the last bucket anything was delivered in.
    pub fn buckets(&self) -> &[u64] {
        &self.buckets
    }

    /// Bytes in all buckets.
    pub fn total(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(s.buckets.capacity(), 2, "grown to what it holds");
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
        assert!(s.buckets.capacity() <= MAX_BUCKETS);
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
}
