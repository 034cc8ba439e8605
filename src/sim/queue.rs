//! The event queue: a binary heap ordered by (time, insertion sequence).
//!
//! Ties in time are broken by the order events were scheduled, so a run is a total
//! order that depends only on its inputs (Shadow's rule). Payloads are small `Copy`
//! values (indices), so scheduling allocates nothing once the heap has grown.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One scheduled event. The order key packs (time, sequence) into one `u128` so
/// the heap compares once per step.
#[derive(Debug, Clone, Copy)]
struct Entry<T> {
    key: u128,
    payload: T,
}

impl<T> Entry<T> {
    #[inline]
    fn time_ns(&self) -> u64 {
        (self.key >> 64) as u64
    }
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    /// Reversed so the max-heap pops the earliest (time, seq) first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A deterministic priority queue of timed events.
#[derive(Debug)]
pub struct EventQueue<T> {
    heap: BinaryHeap<Entry<T>>,
    next_seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<T> EventQueue<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedule `payload` at `time_ns`; equal times pop in scheduling order.
    #[inline]
    pub fn push(&mut self, time_ns: u64, payload: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            key: ((time_ns as u128) << 64) | seq as u128,
            payload,
        });
    }

    /// The earliest event, removed.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, T)> {
        self.heap.pop().map(|e| (e.time_ns(), e.payload))
    }

    /// The time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<u64> {
        self.heap.peek().map(|e| e.time_ns())
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
