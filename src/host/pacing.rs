//! AWS's single-flow bandwidth limit: one TCP or UDP 5-tuple gets at most 5 Gbit/s
//! between instances that are not in the same cluster placement group, 10 Gbit/s
//! inside one ("Amazon EC2 instance network bandwidth", EC2 User Guide), however
//! fast the instance. Each TCP connection of a host has a [`Pacer`]: a virtual
//! transmitter at the flow's cap that a segment must pass before the instance's
//! own link (aggregate bandwidth, `sim::link`). Like the link it keeps only the
//! time it is next free, so it costs a compare and a division per segment and
//! stores nothing per frame.
//!
//! Applied to TCP only, where the host already knows each segment's connection;
//! ping and UDP flows send at their own `rate_pps`, far below the cap.

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
    fn no_cap_means_now() {
        let mut p = Pacer::new(0);
        assert_eq!(p.depart(5, 9001), 5);
        assert_eq!(p.depart(5, 9001), 5);
    }
}
