//! What the generators and servers measure per flow while a run goes on.

use crate::output::goodput::GoodputSeries;
use crate::output::LatencyHistogram;

/// A latency histogram: 1 ns resolution, 3 significant digits, up to one hour,
/// stored sparsely (memory follows the values seen: see [`LatencyHistogram`]).
pub fn new_histogram() -> LatencyHistogram {
    LatencyHistogram::new()
}

/// Record a duration, clamped into the histogram's range.
#[inline]
pub fn record(h: &mut LatencyHistogram, ns: u64) {
    h.record(ns);
}

/// Why a TCP transfer ended without completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpEnd {
    /// All bytes acknowledged.
    Completed,
    /// No acknowledged progress for the stall timeout.
    Stalled,
    /// The connection was reset or timed out inside smoltcp.
    Closed,
}

/// Latency samples kept in [`FlowStats`]' first cache line before they go into the
/// histogram (fills that line: see the layout note there).
const PENDING: usize = 9;

/// Per-flow counters.
///
/// Laid out (`repr(C)`) so that what every packet touches sits in the first 64
/// bytes: sent and delivered counts, bytes, `done`, and the latest latency samples,
/// which go to the histogram (another line) nine at a time. With thousands of
/// flows interleaved each flow's counters are cold when its next packet comes, so
/// one cache miss per packet instead of two or three.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub struct FlowStats {
    /// Ping: echo replies received. UDP: datagrams received. TCP: segments that
    /// reached the server host.
    pub delivered_packets: u64,
    /// Application bytes received (UDP payload, TCP stream bytes, ping reply data).
    pub bytes_delivered: u64,
    /// Ping/UDP: datagrams sent by the application. TCP: segments the client sent.
    pub sent_packets: u64,
    /// The generator has nothing more to do.
    pub done: bool,
    pending_len: u8,
    /// Latency samples (ns, each below 2^32) not yet in `latency_ns`.
    pending: [u32; PENDING],
    /// Read through [`FlowStats::latency`], which adds the pending samples.
    latency_ns: LatencyHistogram,
    /// Ping: round-trip times. Boxed, like `response_ns`: most flows have neither,
    /// and two inline histograms made every flow's counters 384 bytes instead of
    /// 256 (issue #18: memory per flow).
    pub rtt_ns: Option<Box<LatencyHistogram>>,
    /// TCP request/response: response time of each request (first request byte
    /// written → last response byte read); `Some` for request/response flows only.
    pub response_ns: Option<Box<LatencyHistogram>>,
    /// TCP request/response: responses read in full.
    pub responses: u64,
    /// TCP: bytes acknowledged to the client.
    pub bytes_acked: u64,
    pub tcp_connected: bool,
    pub tcp_end: Option<TcpEnd>,
    pub completion_ns: Option<u64>,
    /// TCP and UDP: `bytes_delivered` per interval of virtual time (see
    /// [`FlowStats::deliver`]); empty for ping.
    pub goodput: GoodputSeries,
}

impl FlowStats {
    /// Record one one-way latency sample (always inlined: once per datagram
    /// received, issue #18).
    #[inline(always)]
    pub fn record_latency(&mut self, ns: u64) {
        let Ok(small) = u32::try_from(ns) else {
            self.latency_ns.record(ns);
            return;
        };
        self.pending[self.pending_len as usize] = small;
        self.pending_len += 1;
        if self.pending_len as usize == PENDING {
            self.flush_latency();
        }
    }

    /// Count `bytes` of application data delivered at `now_ns` (TCP and UDP):
    /// `bytes_delivered` and the goodput series.
    #[inline(always)]
    pub fn deliver(&mut self, now_ns: u64, bytes: u64) {
        self.bytes_delivered += bytes;
        self.goodput.record(now_ns, bytes);
    }

    fn flush_latency(&mut self) {
        for &ns in &self.pending[..self.pending_len as usize] {
            self.latency_ns.record(u64::from(ns));
        }
        self.pending_len = 0;
    }

    /// The one-way latency histogram, every sample included.
    pub fn latency(&mut self) -> &mut LatencyHistogram {
        self.flush_latency();
        &mut self.latency_ns
    }

    /// The counters `plan` needs (an RTT histogram for ping, a response-time one
    /// for request/response).
    pub fn for_plan(plan: &super::FlowPlan) -> Self {
        let mut st = FlowStats::new(plan.kind == crate::model::FlowKind::Ping);
        if plan.request_response.is_some() {
            st.response_ns = Some(Box::new(new_histogram()));
        }
        st.goodput = GoodputSeries::new(plan.start_ns);
        st
    }

    pub fn new(is_ping: bool) -> Self {
        FlowStats {
            sent_packets: 0,
            delivered_packets: 0,
            bytes_delivered: 0,
            done: false,
            pending_len: 0,
            pending: [0; PENDING],
            latency_ns: new_histogram(),
            rtt_ns: is_ping.then(|| Box::new(new_histogram())),
            response_ns: None,
            responses: 0,
            bytes_acked: 0,
            tcp_connected: false,
            tcp_end: None,
            completion_ns: None,
            goodput: GoodputSeries::new(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::histogram::HISTOGRAM_MAX_NS;

    #[test]
    fn hot_counters_share_the_first_cache_line() {
        assert_eq!(std::mem::offset_of!(FlowStats, latency_ns), 64);
        assert_eq!(std::mem::align_of::<FlowStats>(), 64);
    }

    /// Issue #18: every flow has one, so its size is part of the memory per flow
    /// (four cache lines: the hot counters, the latency histogram, the rest).
    #[test]
    fn flow_stats_take_four_cache_lines() {
        assert!(
            std::mem::size_of::<FlowStats>() <= 256,
            "{}",
            std::mem::size_of::<FlowStats>()
        );
    }

    #[test]
    fn pending_samples_all_reach_the_histogram() {
        let mut st = FlowStats::new(false);
        let mut reference = new_histogram();
        for i in 0..100u64 {
            let ns = if i == 50 {
                5_000_000_000
            } else {
                1000 + i * 37
            };
            st.record_latency(ns);
            reference.record(ns);
        }
        let h = st.latency();
        assert_eq!(h.len(), reference.len());
        assert_eq!((h.min(), h.max()), (reference.min(), reference.max()));
        assert_eq!(h.mean().to_bits(), reference.mean().to_bits());
        for q in [0.1, 0.5, 0.9, 0.99] {
            assert_eq!(h.value_at_quantile(q), reference.value_at_quantile(q));
        }
        st.record_latency(7);
        assert_eq!(st.latency().len(), 101);
    }

    #[test]
    fn histogram_clamps_to_its_range() {
        let mut h = new_histogram();
        record(&mut h, 0);
        record(&mut h, 100_000);
        record(&mut h, u64::MAX);
        assert_eq!(h.len(), 3);
        assert_eq!(h.min(), 1);
        assert!(
            h.max().abs_diff(HISTOGRAM_MAX_NS) <= HISTOGRAM_MAX_NS / 1000,
            "{}",
            h.max()
        );
        assert!(h.value_at_quantile(0.5) >= 99_950 && h.value_at_quantile(0.5) <= 100_050);
    }
}
