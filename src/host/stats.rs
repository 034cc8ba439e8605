//! What the generators and servers measure per flow while a run goes on.

use hdrhistogram::Histogram;

/// Largest value recorded: one hour in nanoseconds.
pub const HISTOGRAM_MAX_NS: u64 = 3_600_000_000_000;

/// A latency histogram: 1 ns resolution, 3 significant digits, growing on demand up
/// to one hour. Growing (rather than allocating the one-hour range up front, about
/// 270 KB) keeps a 100 µs flow's histogram near 64 KB, which matters with 10k flows;
/// recorded values and percentiles are the same either way.
pub fn new_histogram() -> Histogram<u64> {
    // Constant, valid bounds: this cannot fail.
    let mut h = Histogram::<u64>::new_with_bounds(1, 2, 3)
        .unwrap_or_else(|_| unreachable!("constant histogram bounds are valid"));
    h.auto(true);
    h
}

/// Record a duration, clamped into the histogram's range.
pub fn record(h: &mut Histogram<u64>, ns: u64) {
    let v = ns.clamp(1, HISTOGRAM_MAX_NS);
    // `record` grows an auto-resizing histogram; `saturating_record` would not.
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
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

/// Per-flow counters.
#[derive(Debug, Clone)]
pub struct FlowStats {
    /// Ping/UDP: datagrams sent by the application. TCP: segments the client sent.
    pub sent_packets: u64,
    /// Ping: echo replies received. UDP: datagrams received. TCP: segments that
    /// reached the server host.
    pub delivered_packets: u64,
    /// Application bytes received (UDP payload, TCP stream bytes, ping reply data).
    pub bytes_delivered: u64,
    /// Read through [`FlowStats::latency`], which folds in pending samples.
    latency_ns: Histogram<u64>,
    /// Samples not yet in `latency_ns`: recording in batches keeps one flow's
    /// histogram cache lines warm instead of missing on every datagram when
    /// thousands of flows interleave.
    pending_latency: Vec<u64>,
    pub rtt_ns: Option<Histogram<u64>>,
    /// TCP request/response: response time of each request (first request byte
    /// written → last response byte read); `Some` for request/response flows only.
    pub response_ns: Option<Histogram<u64>>,
    /// TCP request/response: responses read in full.
    pub responses: u64,
    /// TCP: bytes acknowledged to the client.
    pub bytes_acked: u64,
    pub tcp_connected: bool,
    pub tcp_end: Option<TcpEnd>,
    pub completion_ns: Option<u64>,
    /// The generator has nothing more to do.
    pub done: bool,
}

/// Samples buffered per flow before they are added to its histogram.
const LATENCY_BATCH: usize = 64;

impl FlowStats {
    /// Record one one-way latency sample.
    #[inline]
    pub fn record_latency(&mut self, ns: u64) {
        if self.pending_latency.capacity() == 0 {
            self.pending_latency.reserve_exact(LATENCY_BATCH);
        }
        self.pending_latency.push(ns);
        if self.pending_latency.len() >= LATENCY_BATCH {
            self.flush_latency();
        }
    }

    fn flush_latency(&mut self) {
        for ns in self.pending_latency.drain(..) {
            record(&mut self.latency_ns, ns);
        }
    }

    /// The one-way latency histogram, every sample included.
    pub fn latency(&mut self) -> &mut Histogram<u64> {
        self.flush_latency();
        &mut self.latency_ns
    }

    /// The counters `plan` needs (an RTT histogram for ping, a response-time one
    /// for request/response).
    pub fn for_plan(plan: &super::FlowPlan) -> Self {
        let mut st = FlowStats::new(plan.kind == crate::model::FlowKind::Ping);
        if plan.request_response.is_some() {
            st.response_ns = Some(new_histogram());
        }
        st
    }

    pub fn new(is_ping: bool) -> Self {
        FlowStats {
            sent_packets: 0,
            delivered_packets: 0,
            bytes_delivered: 0,
            latency_ns: new_histogram(),
            pending_latency: Vec::new(),
            rtt_ns: is_ping.then(new_histogram),
            response_ns: None,
            responses: 0,
            bytes_acked: 0,
            tcp_connected: false,
            tcp_end: None,
            completion_ns: None,
            done: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_grows_to_the_values_recorded() {
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
