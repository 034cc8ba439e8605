//! A point-to-point hop: serialization at a bandwidth, a bounded drop-tail queue,
//! then propagation latency.
//!
//! The queue is modelled by the time the transmitter becomes free (`busy_until`):
//! the bytes still waiting at time `t` are `(busy_until - t) × bandwidth`. That is
//! exact for a FIFO drop-tail queue and needs no per-frame storage.

/// Default ENI bandwidth: 10 Gbit/s.
pub const DEFAULT_BANDWIDTH_BPS: u64 = 10_000_000_000;
/// Default queue bound in bytes (about 1 ms at 10 Gbit/s).
pub const DEFAULT_QUEUE_BYTES: u64 = 1_250_000;

/// Link parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkParams {
    /// One-way propagation latency in nanoseconds.
    pub latency_ns: u64,
    /// Bits per second; 0 means infinitely fast (no serialization delay).
    pub bandwidth_bps: u64,
    /// Bytes the queue may hold (including the frame being serialized).
    pub queue_bytes: u64,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            latency_ns: 0,
            bandwidth_bps: DEFAULT_BANDWIDTH_BPS,
            queue_bytes: DEFAULT_QUEUE_BYTES,
        }
    }
}

/// A link's state.
#[derive(Debug, Clone)]
pub struct Link {
    pub params: LinkParams,
    busy_until_ns: u64,
}

/// The queue was full: the frame is dropped (`QUEUE_OVERFLOW`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOverflow {
    /// Bytes waiting when the frame arrived.
    pub backlog_bytes: u64,
}

impl Link {
    pub fn new(params: LinkParams) -> Self {
        Link {
            params,
            busy_until_ns: 0,
        }
    }

    /// Nanoseconds to put `bytes` on the wire.
    ///
    /// 64-bit arithmetic whenever the product fits (any frame: a 128-bit division
    /// is a libcall costing several times a 64-bit one, twice per frame hop).
    #[inline]
    pub fn serialization_ns(&self, bytes: usize) -> u64 {
        match self.params.bandwidth_bps {
            0 => 0,
            bps => match (bytes as u64).checked_mul(8_000_000_000) {
                Some(bit_ns) => bit_ns.div_ceil(bps),
                None => ((bytes as u128 * 8 * 1_000_000_000).div_ceil(bps as u128)) as u64,
            },
        }
    }

    /// Bytes queued at `now_ns` (not yet fully serialized).
    #[inline]
    pub fn backlog_bytes(&self, now_ns: u64) -> u64 {
        let waiting_ns = self.busy_until_ns.saturating_sub(now_ns);
        if waiting_ns == 0 {
            return 0;
        }
        match waiting_ns.checked_mul(self.params.bandwidth_bps) {
            Some(p) => p / 8_000_000_000,
            None => (waiting_ns as u128 * self.params.bandwidth_bps as u128 / 8_000_000_000) as u64,
        }
    }

    /// Offer a frame of `bytes` at `now_ns`. Returns the time its last bit arrives
    /// at the far end, or the overflow when the queue cannot hold it.
    #[inline]
    pub fn send(&mut self, now_ns: u64, bytes: usize) -> Result<u64, QueueOverflow> {
        let backlog = self.backlog_bytes(now_ns);
        if backlog > 0 && backlog + bytes as u64 > self.params.queue_bytes {
            return Err(QueueOverflow {
                backlog_bytes: backlog,
            });
        }
        Ok(self.enqueue(now_ns, bytes))
    }

    /// Queue a frame of `bytes` at `now_ns` whatever the backlog; returns the time
    /// its last bit arrives at the far end. For a sending host's own TCP segments:
    /// Linux's TCP Small Queues stop a socket from filling the qdisc and the NIC
    /// ring, so TCP waits for room instead of losing its own segments; waiting in
    /// the queue gives the same departure times (the link drains at its rate
    /// either way) without holding segments back in the host.
    #[inline]
    pub fn enqueue(&mut self, now_ns: u64, bytes: usize) -> u64 {
        let start = self.busy_until_ns.max(now_ns);
        self.busy_until_ns = start + self.serialization_ns(bytes);
        self.busy_until_ns + self.params.latency_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(bps: u64, queue: u64, latency: u64) -> Link {
        Link::new(LinkParams {
            latency_ns: latency,
            bandwidth_bps: bps,
            queue_bytes: queue,
        })
    }

    #[test]
    fn serialization_plus_latency() {
        // 1 Gbit/s: 1000 bytes take 8 µs.
        let mut l = link(1_000_000_000, 10_000, 100_000);
        assert_eq!(l.send(0, 1000), Ok(8_000 + 100_000));
        // Back to back: the second waits for the first.
        assert_eq!(l.send(0, 1000), Ok(16_000 + 100_000));
        // After the link drained, no waiting.
        assert_eq!(l.send(1_000_000, 1000), Ok(1_008_000 + 100_000));
    }

    #[test]
    fn drop_tail_when_queue_full() {
        let mut l = link(1_000_000_000, 3000, 0);
        assert!(l.send(0, 1000).is_ok());
        assert!(l.send(0, 1000).is_ok());
        assert!(l.send(0, 1000).is_ok());
        let err = l.send(0, 1000).unwrap_err();
        assert_eq!(err.backlog_bytes, 3000);
        // Half drained: room again.
        assert!(l.send(12_000, 1000).is_ok());
    }

    #[test]
    fn enqueue_waits_instead_of_dropping() {
        let mut l = link(1_000_000_000, 1000, 0);
        assert_eq!(l.enqueue(0, 1000), 8_000);
        assert!(l.send(0, 1000).is_err());
        assert_eq!(l.enqueue(0, 1000), 16_000);
        assert_eq!(l.backlog_bytes(0), 2000);
    }

    #[test]
    fn a_frame_larger_than_the_queue_passes_an_idle_link() {
        let mut l = link(1_000_000_000, 100, 0);
        assert!(l.send(0, 9000).is_ok());
        assert!(l.send(0, 9000).is_err());
    }

    #[test]
    fn sixty_four_bit_paths_match_exact_arithmetic() {
        for bps in [
            1,
            999,
            1_000_000_000,
            10_000_000_000,
            400_000_000_000,
            u64::MAX,
        ] {
            let l = link(bps, 1 << 40, 0);
            for bytes in [1usize, 64, 1500, 9001, 65_535, usize::MAX / 2] {
                let exact = (bytes as u128 * 8_000_000_000).div_ceil(bps as u128) as u64;
                assert_eq!(l.serialization_ns(bytes), exact, "{bps} {bytes}");
            }
            for waiting in [1u64, 1_000, 123_456_789, u64::MAX / 3] {
                let mut l = l.clone();
                l.busy_until_ns = waiting;
                let exact = (waiting as u128 * bps as u128 / 8_000_000_000) as u64;
                assert_eq!(l.backlog_bytes(0), exact, "{bps} {waiting}");
            }
        }
    }

    #[test]
    fn infinite_bandwidth_has_no_serialization() {
        let mut l = link(0, 0, 5);
        assert_eq!(l.send(10, 9000), Ok(15));
        assert_eq!(l.send(10, 9000), Ok(15));
    }
}
