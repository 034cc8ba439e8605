//! AWS's single-flow bandwidth limit: one TCP or UDP 5-tuple gets at most 5 Gbit/s
//! between instances that are not in the same cluster placement group, 10 Gbit/s
//! inside one ("Amazon EC2 instance network bandwidth", EC2 User Guide), however
//! fast the instance. Each TCP connection of a host has a [`Pacer`]: a virtual
//! transmitter at the flow's cap that a segment must pass before the instance's
//! own link (aggregate bandwidth, `sim::link`). Like the link it keeps only the
//! time it is next free, so it costs a compare and a division per segment and
//! stores nothing per frame.
//!
//! AWS counts "a unique 5-tuple TCP or UDP flow" as a single flow, so UDP flows
//! have a pacer too. A TCP sender waits for its pacer (TCP Small Queues, see
//! `sim::link`); a UDP sender does not slow down, so its frames queue behind the
//! pacer up to [`FLOW_QUEUE_BYTES`] and beyond that are dropped (`QUEUE_OVERFLOW`,
//! "single-flow limit"). Ping is not limited (ICMP is not a 5-tuple flow).

/// The bytes a UDP flow's frames may wait behind its pacer: the default link
/// queue's (`sim::link::DEFAULT_QUEUE_BYTES`), 2 ms at 5 Gbit/s.
pub const FLOW_QUEUE_BYTES: u64 = 1_250_000;

/// The departure a host reports for a frame over its flow's limit and queue: the
/// simulation drops it (`QUEUE_OVERFLOW`).
pub const OVER_FLOW_LIMIT: u64 = u64::MAX;

/// One flow's limiter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pacer {
    /// Bits per second; 0: no limit.
    cap_bps: u64,
    /// When the flow's virtual transmitter is next free.
    free_ns: u64,
}

impl Pacer {
    pub fn new(cap_bps: u64) -> Self {
        Pacer {
            cap_bps,
            free_ns: 0,
        }
    }

    /// The earliest time a frame of `bytes` offered at `now_ns` may leave: now, or
    /// when the flow's previous frames have used up their share of the cap.
    #[inline]
    pub fn depart(&mut self, now_ns: u64, bytes: usize) -> u64 {
        if self.cap_bps == 0 {
            return now_ns;
        }
        let start = self.free_ns.max(now_ns);
        let bits_ns = (bytes as u64).saturating_mul(8_000_000_000);
        self.free_ns = start + bits_ns.div_ceil(self.cap_bps);
        start
    }

    /// [`Pacer::depart`] for a sender that does not wait: `None` (and nothing
    /// charged) when more than [`FLOW_QUEUE_BYTES`] would be waiting.
    #[inline]
    pub fn depart_bounded(&mut self, now_ns: u64, bytes: usize) -> Option<u64> {
        if self.cap_bps == 0 {
            return Some(now_ns);
        }
        let waiting_ns = self.free_ns.saturating_sub(now_ns);
        if waiting_ns == 0 {
            // Nothing waiting (the common case): no 128-bit division.
            return Some(self.depart(now_ns, bytes));
        }
        let waiting_bytes = (waiting_ns as u128 * self.cap_bps as u128 / 8_000_000_000) as u64;
        if waiting_bytes > 0 && waiting_bytes + bytes as u64 > FLOW_QUEUE_BYTES {
            return None;
        }
        Some(self.depart(now_ns, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_leave_no_faster_than_the_cap() {
        // 5 Gbit/s: a 9001-byte frame takes 14,402 ns of the flow's share.
        let mut p = Pacer::new(5_000_000_000);
        assert_eq!(p.depart(1_000, 9001), 1_000);
        assert_eq!(p.depart(1_000, 9001), 1_000 + 14_402);
        assert_eq!(p.depart(1_000, 9001), 1_000 + 2 * 14_402);
        // After an idle gap, no debt carries over.
        assert_eq!(p.depart(1_000_000, 1500), 1_000_000);
    }

    #[test]
    fn a_sender_that_does_not_wait_overflows_the_flow_queue() {
        // 5 Gbit/s, 9001-byte frames offered all at once: the first leaves now,
        // the queue holds 1.25 MB (137 more frames), the next is refused and
        // charges nothing.
        let mut p = Pacer::new(5_000_000_000);
        let mut accepted = 0;
        while p.depart_bounded(0, 9001).is_some() {
            accepted += 1;
        }
        assert_eq!(accepted, 138);
        assert_eq!(p.depart_bounded(0, 9001), None);
        // Once the queue drains, frames pass again.
        assert_eq!(p.depart_bounded(1_000_000_000, 9001), Some(1_000_000_000));
    }

    #[test]
    fn no_cap_means_now() {
        let mut p = Pacer::new(0);
        assert_eq!(p.depart(5, 9001), 5);
        assert_eq!(p.depart(5, 9001), 5);
    }
}
