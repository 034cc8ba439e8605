//! The event queue: a radix heap ordered by (time, insertion sequence), whose
//! lowest bucket is popped as a sorted run when it already is one.
//!
//! Ties in time are broken by the order events were scheduled, so a run is a total
//! order that depends only on its inputs (Shadow's rule).
//!
//! Why a radix heap and not `BinaryHeap`: a discrete-event simulation never
//! schedules into the past, so the keys popped are monotone, which is exactly what
//! a radix heap needs. An event lands in the bucket named by the highest bit in
//! which its time differs from `last`; pushing is O(1) (one `leading_zeros` and a
//! `Vec` push), instead of the ~log2(n) sift steps of 32-byte entries a binary heap
//! does on every push and pop (profiled at ~8% of a run). Every bucket keeps its
//! events in scheduling order and redistribution preserves it, and equal times
//! always share a bucket, so equal times pop first-in first-out without storing a
//! sequence number. No crate offers a stable radix heap (`radix-heap` does not
//! keep insertion order among equal keys), hence this hand-written one. Buckets
//! keep their capacity: scheduling allocates nothing once they have grown.
//!
//! The sorted run (issue #18): a textbook radix heap moves an event down a bucket
//! each time its bucket is the lowest one, about log2 of its distance from `last`
//! times. The commonest pattern of a run is a link draining a burst: one event
//! schedules the arrivals of many frames at increasing times, which land in
//! buckets already in time order. So when the lowest bucket is found in time
//! order (checked in the pass that finds its minimum) and is small, or holds a
//! single time, it becomes the *run* whole (a `Vec` swap, no event moved) and is
//! popped front to back; a small bucket in two ordered stretches (a burst, then
//! a later push at an earlier time) is merged into the run, and a long bucket
//! in time order moves down in stretches (its events' lower buckets never
//! decrease along it). Exactness: every event still in a bucket is later than
//! every event of the run (a higher bucket's events are above the lower bucket's
//! in the bit that names it), `last` becomes the run's last time, and a push at
//! or before that time is inserted into the run after every event at its time or
//! earlier (so ties stay first-in first-out). The order popped is therefore the
//! stable sort by time of everything pushed, as before: tested against a
//! reference sort (`matches_a_stable_sort_under_simulation_use`,
//! `a_draining_link_pops_as_a_stable_sort`).

/// Buckets 1..=64: highest bit in which a time differs from `last` is `b - 1`
/// (index 0 unused, so a bucket number indexes the array directly).
const BUCKETS: usize = 65;

/// A lowest bucket longer than this (and not all at one time) is redistributed
/// instead of becoming the run: a push that falls inside the run moves the run's
/// later events along, which a short run keeps cheap (at 256, such pushes cost
/// more than the moves saved: 1,000 flows x 200 packets, callgrind).
const RUN_LIMIT: usize = 64;

/// Popped events a run keeps at its front before a push into it drops them
/// (see [`EventQueue::push_into_run`]).
const RUN_RECLAIM: usize = 1024;

/// A deterministic priority queue of timed events (times must not go backwards:
/// see [`EventQueue::push`]).
#[derive(Debug)]
pub struct EventQueue<T> {
    /// A fixed array: a bucket number (`64 - leading_zeros`, 1..=64) indexes it
    /// without a bounds check.
    buckets: Box<[Vec<(u64, T)>; BUCKETS]>,
    /// The events popped next, in order from `head` (sorted by time, ties in
    /// scheduling order); each at or before `last`.
    run: Vec<(u64, T)>,
    /// Read position in `run`.
    head: usize,
    /// The time of the run's last event: every event in a bucket is later, and
    /// buckets are numbered by the highest bit in which a time differs from it.
    last: u64,
    /// The time of the last event popped (a push before it is treated as at it).
    now: u64,
    len: usize,
    /// Bit `b - 1` set when bucket `b` holds events (set on push, cleared when the
    /// bucket is emptied): the next bucket to refill from is one `trailing_zeros`
    /// away instead of a scan over the buckets.
    occupied: u64,
}

/// `v.push(e)` where it needs to grow, out of the refill loop (see there).
#[cold]
#[inline(never)]
fn push_grown<E>(v: &mut Vec<E>, e: E) {
    v.push(e);
}

/// Bucket `b`'s bit of `occupied` (`b` in 1..=64).
#[inline]
fn bit(b: usize) -> u64 {
    1u64 << ((b as u32).wrapping_sub(1) & 63)
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            buckets: Box::new(std::array::from_fn(|_| Vec::new())),
            run: Vec::new(),
            head: 0,
            last: 0,
            now: 0,
            len: 0,
            occupied: 0,
        }
    }
}

impl<T: Copy> EventQueue<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The bucket of a time after `last` (1..=64).
    #[inline]
    fn bucket(&self, time_ns: u64) -> usize {
        (64 - (time_ns ^ self.last).leading_zeros()) as usize
    }

    /// Schedule `payload` at `time_ns`; equal times pop in scheduling order.
    /// A time before the last event popped is treated as that time (a simulation
    /// never schedules into the past; the engine only schedules at `now` or later).
    #[inline(always)]
    pub fn push(&mut self, time_ns: u64, payload: T) {
        debug_assert!(time_ns >= self.now, "event scheduled in the past");
        let t = time_ns.max(self.now);
        if t > self.last {
            let b = self.bucket(t);
            self.buckets[b].push((t, payload));
            self.occupied |= bit(b);
        } else {
            self.push_into_run(t, payload);
        }
        self.len += 1;
    }

    /// A push at or before the run's last time: after the run's events at `t` or
    /// earlier (the run stays sorted, ties first-in first-out). Usually at the end
    /// (a time equal to the run's last); else found by a binary search. Out of
    /// line: rare, and it keeps [`EventQueue::push`] small enough to inline.
    #[inline(never)]
    fn push_into_run(&mut self, t: u64, payload: T) {
        if self.head == self.run.len() {
            // A spent run: start it again (it is not left to grow).
            self.run.clear();
            self.head = 0;
        } else if self.head >= RUN_RECLAIM && self.head * 2 >= self.run.len() {
            // A run whose last time is far ahead takes every push until then:
            // the events already popped are dropped from its front, or it would
            // grow with the length of the run (tests/sim_memory.rs). At least
            // half of it is popped, so each event is moved at most once on
            // average; the order of what is left is unchanged.
            self.run.drain(..self.head);
            self.head = 0;
        }
        if self.run.last().is_none_or(|e| e.0 <= t) {
            self.run.push((t, payload));
        } else {
            let at = self.head + self.run[self.head..].partition_point(|e| e.0 <= t);
            self.run.insert(at, (t, payload));
        }
    }

    /// The earliest event, removed.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, T)> {
        if self.head == self.run.len() && !self.refill() {
            return None;
        }
        let e = self.run[self.head];
        self.head += 1;
        self.now = e.0;
        self.len -= 1;
        Some(e)
    }

    /// The run is spent: make the lowest non-empty bucket the next run, whole when
    /// it is in time order and short (or all at one time), else by moving its
    /// events down from its earliest time (those at that time form the run).
    /// Returns `false` when the queue is empty.
    #[inline(never)]
    fn refill(&mut self) -> bool {
        self.run.clear();
        self.head = 0;
        loop {
            if self.occupied == 0 {
                return false;
            }
            let i = self.occupied.trailing_zeros() as usize + 1;
            // Clears the lowest set bit: `bit(i)`.
            self.occupied &= self.occupied - 1;
            let from = &self.buckets[i];
            let Some(&(first, _)) = from.first() else {
                continue; // not expected: a bit is set only for a non-empty bucket
            };
            // One pass: the earliest time, and where the bucket's time order
            // breaks (`descents`: how many times; `split`: the last place).
            let (mut min, mut prev, mut descents, mut split) = (first, first, 0u32, 0usize);
            for (k, e) in from.iter().enumerate().skip(1) {
                if e.0 < prev {
                    descents += 1;
                    split = k;
                }
                min = min.min(e.0);
                prev = e.0;
            }
            let n = from.len();
            if descents == 0 && (n <= RUN_LIMIT || first == prev) {
                // The later buckets' events stay where they are: they differ from
                // the new `last` (which shares their bits above bucket `i`'s) first
                // in the same bit as before.
                std::mem::swap(&mut self.run, &mut self.buckets[i]);
                self.last = prev;
                return true;
            }
            if descents == 1 && n <= RUN_LIMIT {
                self.merge_into_run(i, split);
            } else if descents == 0 {
                self.redistribute_sorted(i, min);
            } else {
                self.redistribute(i, min);
            }
            return true;
        }
    }

    /// Bucket `i` is two runs in time order, `..split` and `split..`: merged into
    /// the run (stable: at equal times the first run's events, scheduled earlier,
    /// come first), the bucket left empty. The same set of events the run would
    /// take whole, in the order a stable sort gives.
    fn merge_into_run(&mut self, i: usize, split: usize) {
        let from = &self.buckets[i];
        let (a, b) = from.split_at(split);
        let run = &mut self.run;
        run.reserve(from.len());
        let (mut x, mut y) = (0, 0);
        while x < a.len() && y < b.len() {
            if b[y].0 < a[x].0 {
                run.push(b[y]);
                y += 1;
            } else {
                run.push(a[x]);
                x += 1;
            }
        }
        run.extend_from_slice(&a[x..]);
        run.extend_from_slice(&b[y..]);
        self.last = run.last().map_or(self.last, |e| e.0);
        self.buckets[i].clear();
    }

    /// [`EventQueue::redistribute`] of a bucket in time order (a long train):
    /// the lower bucket an event lands in never decreases along it, so it is
    /// moved in stretches, each copied at once.
    fn redistribute_sorted(&mut self, i: usize, min: u64) {
        self.last = min;
        let mut from = std::mem::take(&mut self.buckets[i]);
        let n = from.len();
        let mut k = from.iter().take_while(|e| e.0 == min).count();
        self.run.extend_from_slice(&from[..k]);
        let mut landed = 0u64;
        while k < n {
            let b = (64 - (from[k].0 ^ min).leading_zeros()) as usize;
            let mut end = k + 1;
            while end < n && (64 - (from[end].0 ^ min).leading_zeros()) as usize == b {
                end += 1;
            }
            self.buckets[b].extend_from_slice(&from[k..end]);
            landed |= bit(b);
            k = end;
        }
        self.occupied |= landed;
        from.clear();
        self.buckets[i] = from;
    }

    /// Move bucket `i`'s events down from its earliest time `min`: those at `min`
    /// form the run, the others land in lower buckets, each in its original order.
    fn redistribute(&mut self, i: usize, min: u64) {
        self.last = min;
        let mut from = std::mem::take(&mut self.buckets[i]);
        // Every event of bucket `i` shares bits above `i - 1` with the new `last`,
        // so it lands in the run (at `last`) or in a lower bucket.
        let mut landed = 0u64;
        let buckets = &mut *self.buckets;
        let run = &mut self.run;
        for e in &from {
            if e.0 == min {
                run.push(*e);
                continue;
            }
            let b = (64 - (e.0 ^ min).leading_zeros()) as usize;
            let bucket = &mut buckets[b];
            // Growing is rare (buckets keep their capacity) and out of line, so
            // the loop keeps its state in registers instead of saving it around
            // a call on every move. The entry is copied whole (`*e`).
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
    }

    /// The time of the earliest event (scans one bucket: not for hot paths).
    pub fn peek_time(&self) -> Option<u64> {
        if let Some(e) = self.run.get(self.head) {
            return Some(e.0);
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

    /// Times that differ in bit 63 (bucket 64, the last `occupied` bit) still pop
    /// in order, before and after time 0's events.
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
    /// A run whose last event is far ahead takes every push until then (a
    /// timer at the end of a long run): it drops what it popped from its front,
    /// so it stays small, and still pops a stable sort by time.
    #[test]
    fn a_run_far_ahead_does_not_grow_with_the_pushes_it_takes() {
        let mut rng = SplitMix64::new(11);
        let mut q = EventQueue::new();
        q.push(0, u64::MAX);
        assert_eq!(q.pop(), Some((0, u64::MAX)));
        // A short sorted bucket ending far ahead becomes the run whole (both
        // times differ from 0 first in bit 26: one bucket).
        let far = (1 << 27) - 1;
        q.push(1 << 26, 0);
        q.push(far, 1);
        assert_eq!(q.pop(), Some((1 << 26, 0)));
        let mut reference: Vec<(u64, u64)> = vec![(far, 1)];
        let mut seq = 2u64;
        let mut now = 1u64 << 26;
        for _ in 0..50_000 {
            // One push a pop (some at `now`, a tie): the queue neither drains
            // to the far event nor grows.
            let t = now + rng.next_u64() % 1_000 * (rng.next_u64() % 2);
            q.push(t, seq);
            reference.push((t, seq));
            seq += 1;
            let Some((t, s)) = q.pop() else { break };
            let i = (0..reference.len())
                .min_by_key(|&i| reference[i])
                .unwrap_or_else(|| unreachable!("the reference holds the same events"));
            assert_eq!((t, s), reference.swap_remove(i));
            now = t;
            assert!(q.run.len() <= 2 * 1024 + q.len(), "run {}", q.run.len());
        }
        assert!(now < far && seq > 40_000, "the run took {seq} pushes");
    }

    /// Pushes that fall inside a run taken whole (a short sorted bucket) go
    /// after the run's events at their time or earlier, and before later ones.
    #[test]
    fn pushes_inside_a_run_keep_ties_first_in_first_out() {
        let mut q = EventQueue::new();
        q.push(0, 'z');
        assert_eq!(q.pop(), Some((0, 'z')));
        for (t, p) in [(10, 'a'), (20, 'b'), (30, 'c')] {
            q.push(t, p);
        }
        assert_eq!(q.pop(), Some((10, 'a')));
        for (t, p) in [(20, 'd'), (15, 'e'), (30, 'f'), (31, 'g'), (10, 'h')] {
            q.push(t, p);
        }
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            got,
            vec![
                (10, 'h'),
                (15, 'e'),
                (20, 'b'),
                (20, 'd'),
                (30, 'c'),
                (30, 'f'),
                (31, 'g')
            ]
        );
        assert!(q.is_empty());
    }

    /// A link draining a burst (one event schedules many arrivals at increasing
    /// times, the sorted buckets the run takes whole), mixed with bursts at one
    /// time, arrivals that fall inside a run, and long sorted trains (above the
    /// run's limit): the order popped is a stable sort by time.
    #[test]
    fn a_draining_link_pops_as_a_stable_sort() {
        let mut rng = SplitMix64::new(18);
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u64)> = Vec::new(); // (time, seq)
        let mut seq = 0u64;
        let mut now = 0u64;
        let (mut popped, mut expected) = (Vec::new(), Vec::new());
        let mut push = |q: &mut EventQueue<u64>, t: u64, r: &mut Vec<(u64, u64)>| {
            q.push(t, seq);
            r.push((t, seq));
            seq += 1;
        };
        for step in 0..30_000 {
            match rng.next_u64() % 8 {
                // A drain: up to 300 arrivals `gap` apart, after a start.
                0 => {
                    let start = now + rng.next_u64() % 2_000;
                    let gap = rng.next_u64() % 200;
                    for k in 0..rng.next_u64() % 300 {
                        push(&mut q, start + k * gap, &mut reference);
                    }
                }
                // A burst at one time (a millisecond's polls).
                1 => {
                    let at = now + (rng.next_u64() % 3) * 1_000_000;
                    for _ in 0..rng.next_u64() % 50 {
                        push(&mut q, at, &mut reference);
                    }
                }
                // Single events near now (inside a run) or far.
                _ => {
                    let delay = match rng.next_u64() % 3 {
                        0 => rng.next_u64() % 8,
                        1 => rng.next_u64() % 5_000,
                        _ => rng.next_u64() % (1 << 30),
                    };
                    push(&mut q, now + delay, &mut reference);
                }
            }
            assert_eq!(q.len(), reference.len(), "step {step}");
            // Pop a few: the queue stays a few hundred deep.
            for _ in 0..1 + rng.next_u64() % 46 {
                let Some((t, s)) = q.pop() else { break };
                let i = (0..reference.len())
                    .min_by_key(|&i| reference[i])
                    .unwrap_or_else(|| unreachable!("the reference holds the same events"));
                expected.push(reference.swap_remove(i));
                popped.push((t, s));
                now = t;
            }
        }
        while let Some(e) = q.pop() {
            popped.push(e);
        }
        reference.sort();
        expected.extend(reference);
        assert_eq!(popped, expected);
    }
    /// A bucket in two ordered stretches (a burst, then pushes that start again
    /// at an earlier time) is merged into the run: ties in scheduling order.
    #[test]
    fn a_bucket_in_two_ordered_stretches_pops_as_a_stable_sort() {
        let mut q = EventQueue::new();
        q.push(0, 0u32);
        assert_eq!(q.pop(), Some((0, 0)));
        // All in one bucket (times 1_024..2_047 differ from 0 first in bit 10),
        // in two ordered stretches: one break in time order, so merged.
        for (t, p) in [
            (1_040, 1),
            (1_040, 2),
            (1_090, 3),
            (1_030, 4),
            (1_040, 5),
            (1_090, 6),
        ] {
            q.push(t, p);
        }
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            got,
            vec![
                (1_030, 4),
                (1_040, 1),
                (1_040, 2),
                (1_040, 5),
                (1_090, 3),
                (1_090, 6)
            ]
        );
    }
}
