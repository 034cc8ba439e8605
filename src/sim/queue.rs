//! The event queue: a radix heap ordered by (time, insertion sequence).
//!
//! Ties in time are broken by the order events were scheduled, so a run is a total
//! order that depends only on its inputs (Shadow's rule).
//!
//! Why a radix heap and not `BinaryHeap`: a discrete-event simulation never
//! schedules into the past, so the keys popped are monotone, which is exactly what
//! a radix heap needs. An event lands in the bucket named by the highest bit in
//! which its time differs from the last time popped; pushing is O(1) (one
//! `leading_zeros` and a `Vec` push) and each event moves to a lower bucket only a
//! few times before it is popped, instead of the ~log2(n) sift steps of 32-byte
//! entries a binary heap does on every push and pop (profiled at ~8% of a run).
//! Every bucket keeps its events in scheduling order and redistribution preserves
//! it, and equal times always share a bucket, so equal times pop first-in
//! first-out without storing a sequence number. No crate offers a stable radix
//! heap (`radix-heap` does not keep insertion order among equal keys), hence this
//! hand-written one. Buckets keep their capacity: scheduling allocates nothing once
//! they have grown.

/// 0: events at exactly the last popped time; `i` in 1..=64: highest differing bit
/// `i - 1`.
const BUCKETS: usize = 65;

/// A deterministic priority queue of timed events (times must not go backwards:
/// see [`EventQueue::push`]).
#[derive(Debug)]
pub struct EventQueue<T> {
    /// A fixed array: a bucket number (`64 - leading_zeros`, at most 64) indexes it
    /// without a bounds check, in the refill loop that moves about two events
    /// per event popped.
    buckets: Box<[Vec<(u64, T)>; BUCKETS]>,
    /// Read position in bucket 0 (popped first-in first-out).
    head: usize,
    /// The time of the last event popped (bucket 0 holds events at this time).
    last: u64,
    len: usize,
    /// Bit `b - 1` set when bucket `b` (1..=63) may hold events, bit 63 when bucket
    /// 64 or bucket 0 may (set on push, cleared when the bucket is emptied): the
    /// next bucket to refill from is one `trailing_zeros` away instead of a scan
    /// over the buckets. Refills happen only when bucket 0 is empty, so bit 63
    /// then stands for bucket 64, the last in order, as it should. 64 bits and not
    /// one per bucket (65: a `u128`, whose shifts by a variable amount are branchy
    /// multi-instruction sequences) because this runs for every event pushed and
    /// every event a refill moves down.
    occupied: u64,
}

/// `v.push(e)` where it needs to grow, out of the refill loop (see there).
#[cold]
#[inline(never)]
fn push_grown<E>(v: &mut Vec<E>, e: E) {
    v.push(e);
}

/// Bucket `b`'s bit of `occupied`: `b - 1`, and 63 for buckets 0 and 64 (a rotate).
#[inline]
fn bit(b: usize) -> u64 {
    1u64.rotate_left((b as u32).wrapping_sub(1))
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            buckets: Box::new(std::array::from_fn(|_| Vec::new())),
            head: 0,
            last: 0,
            len: 0,
            occupied: 0,
        }
    }
}

impl<T: Copy> EventQueue<T> {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn bucket(&self, time_ns: u64) -> usize {
        (64 - (time_ns ^ self.last).leading_zeros()) as usize
    }

    /// Schedule `payload` at `time_ns`; equal times pop in scheduling order.
    /// A time before the last event popped is treated as that time (a simulation
    /// never schedules into the past; the engine only schedules at `now` or later).
    #[inline]
    pub fn push(&mut self, time_ns: u64, payload: T) {
        debug_assert!(time_ns >= self.last, "event scheduled in the past");
        let t = time_ns.max(self.last);
        let b = self.bucket(t);
        self.buckets[b].push((t, payload));
        self.occupied |= bit(b);
        self.len += 1;
    }

    /// The earliest event, removed.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, T)> {
        if self.head == self.buckets[0].len() && !self.refill() {
            return None;
        }
        let e = self.buckets[0][self.head];
        self.head += 1;
        if self.head == self.buckets[0].len() {
            self.buckets[0].clear();
            self.head = 0;
        }
        self.len -= 1;
        Some(e)
    }

    /// Bucket 0 is empty: move the lowest non-empty bucket's events down, starting
    /// from its earliest time. Returns `false` when the queue is empty.
    ///
    /// Not inlined: inside the event loop its moves competed for registers with
    /// the loop's own state (33 instructions per event moved, spilling to the
    /// stack). About two events are moved per event popped.
    #[inline(never)]
    fn refill(&mut self) -> bool {
        self.buckets[0].clear();
        self.head = 0;
        if self.occupied == 0 {
            return false;
        }
        let i = self.occupied.trailing_zeros() as usize + 1;
        // Clears the lowest set bit: `bit(i)`.
        self.occupied &= self.occupied - 1;
        if self.buckets[i].is_empty() {
            // Bit 63 set by a push into bucket 0, with bucket 64 empty: then it was
            // the only bit left, and the queue is empty.
            return false;
        }
        let mut from = std::mem::take(&mut self.buckets[i]);
        let last = from.iter().map(|e| e.0).min().unwrap_or(self.last);
        self.last = last;
        // Every event of bucket `i` shares bits above `i - 1` with the new `last`,
        // so it lands in a lower bucket, in its original order.
        let mut landed = 0u64;
        let buckets = &mut *self.buckets;
        for e in &from {
            let b = (64 - (e.0 ^ last).leading_zeros()) as usize;
            let bucket = &mut buckets[b];
            // Growing is rare (buckets keep their capacity) and out of line, so
            // the loop keeps its state in registers instead of saving it around
            // a call on every move. The entry is copied whole (`*e`), not
            // taken apart into time and payload and put back together.
            if bucket.len() < bucket.capacity() {
                bucket.push(*e);
            } else {
                push_grown(bucket, *e);
            }
            landed |= bit(b);
        }
        self.occupied |= landed;
        from.clear();
        self.buckets[i] = from;
        true
    }

    /// The time of the earliest event (scans one bucket: not for hot paths).
    pub fn peek_time(&self) -> Option<u64> {
        if self.head < self.buckets[0].len() {
            return Some(self.last);
        }
        self.buckets[1..]
            .iter()
            .find(|b| !b.is_empty())
            .and_then(|b| b.iter().map(|e| e.0).min())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SplitMix64;

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        for (t, p) in [(30, 'c'), (10, 'a'), (20, 'b')] {
            q.push(t, p);
        }
        assert_eq!(q.peek_time(), Some(10));
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(got, vec![(10, 'a'), (20, 'b'), (30, 'c')]);
    }

    #[test]
    fn equal_times_keep_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..100u32 {
            q.push(if i % 2 == 0 { 5 } else { 7 }, i);
        }
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        let evens: Vec<u32> = (0..100).filter(|i| i % 2 == 0).collect();
        let odds: Vec<u32> = (0..100).filter(|i| i % 2 == 1).collect();
        let want: Vec<(u64, u32)> = evens
            .into_iter()
            .map(|i| (5, i))
            .chain(odds.into_iter().map(|i| (7, i)))
            .collect();
        assert_eq!(got, want);
        assert!(q.is_empty());
    }

    /// Times that differ in bit 63 (bucket 64, sharing its `occupied` bit with
    /// bucket 0) still pop in order, before and after time 0's events.
    #[test]
    fn the_highest_bucket_pops_last_and_in_order() {
        let mut q = EventQueue::new();
        let big = 1u64 << 63;
        for (t, p) in [
            (big + 5, 'e'),
            (0, 'a'),
            (big, 'd'),
            (7, 'b'),
            (0, 'z'),
            (1 << 40, 'c'),
        ] {
            q.push(t, p);
        }
        let first: Vec<_> = (0..2).filter_map(|_| q.pop()).collect();
        assert_eq!(first, vec![(0, 'a'), (0, 'z')]);
        q.push(7, 'y'); // at a later time than now, same as 'b'
        q.push(big + 5, 'f');
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            got,
            vec![
                (7, 'b'),
                (7, 'y'),
                (1 << 40, 'c'),
                (big, 'd'),
                (big + 5, 'e'),
                (big + 5, 'f')
            ]
        );
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
    }

    /// The order a simulation sees (interleaved pushes at or after the time just
    /// popped, many ties) is exactly a stable sort by time: checked against a
    /// reference that sorts by (time, sequence).
    #[test]
    fn matches_a_stable_sort_under_simulation_use() {
        let mut rng = SplitMix64::new(7);
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u64)> = Vec::new(); // (time, seq)
        let mut seq = 0u64;
        let mut now = 0u64;
        let mut popped = Vec::new();
        let mut expected = Vec::new();
        for step in 0..20_000 {
            let pushes = if step < 100 { 3 } else { rng.next_u64() % 3 };
            for _ in 0..pushes {
                let delay = match rng.next_u64() % 4 {
                    0 => 0,
                    1 => rng.next_u64() % 16,
                    2 => rng.next_u64() % 100_000,
                    _ => rng.next_u64() % (1 << 40),
                };
                q.push(now + delay, seq);
                reference.push((now + delay, seq));
                seq += 1;
            }
            assert_eq!(q.len(), reference.len());
            let Some((t, s)) = q.pop() else { continue };
            let i = (0..reference.len())
                .min_by_key(|&i| reference[i])
                .unwrap_or_else(|| unreachable!("the reference holds the same events"));
            expected.push(reference.swap_remove(i));
            popped.push((t, s));
            now = t;
        }
        assert_eq!(popped, expected);
    }
}
