//! What the generators and servers measure per flow while a run goes on.

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

/// Per-flow counters.
///
/// Laid out so that counting a received datagram (delivered, bytes, latency
/// sample: the first 52 bytes) touches one cache line: with thousands of flows
/// interleaved, each flow's counters are cold when its next datagram arrives.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub struct FlowStats {
    /// Ping: echo replies received. UDP: datagrams received. TCP: segments that
    /// reached the server host.
    pub delivered_packets: u64,
    /// Application bytes received (UDP payload, TCP stream bytes, ping reply data).
    pub bytes_delivered: u64,
    latency_ns: LatencyHistogram,
    /// Ping/UDP: datagrams sent by the application. TCP: segments the client sent.
    pub sent_packets: u64,
    pub rtt_ns: Option<LatencyHistogram>,
    /// TCP request/response: response time of each request (first request byte
    /// written → last response byte read); `Some` for request/response flows only.
    pub response_ns: Option<LatencyHistogram>,
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

impl FlowStats {
    /// Record one one-way latency sample.
    #[inline]
    pub fn record_latency(&mut self, ns: u64) {
        self.latency_ns.record(ns);
    }

    /// The one-way latency histogram.
    pub fn latency(&mut self) -> &mut LatencyHistogram {
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
    use crate::output::histogram::HISTOGRAM_MAX_NS;

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
