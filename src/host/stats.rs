//! What the generators and servers measure per flow while a run goes on.

use hdrhistogram::Histogram;

/// Histogram bounds: 1 ns to one hour, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    // Constant, valid bounds: this cannot fail.
    Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
        .unwrap_or_else(|_| unreachable!("constant histogram bounds are valid"))
}

/// Record a duration, clamped into the histogram's range.
pub fn record(h: &mut Histogram<u64>, ns: u64) {
    h.saturating_record(ns.clamp(1, 3_600_000_000_000));
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
    pub latency_ns: Histogram<u64>,
    pub rtt_ns: Option<Histogram<u64>>,
    /// TCP: bytes acknowledged to the client.
    pub bytes_acked: u64,
    pub tcp_connected: bool,
    pub tcp_end: Option<TcpEnd>,
    pub completion_ns: Option<u64>,
    /// The generator has nothing more to do.
    pub done: bool,
    /// Path-MTU changes the source learned: (destination MTU) in order.
    pub pmtu_updates: Vec<u16>,
}

impl FlowStats {
    pub fn new(is_ping: bool) -> Self {
        FlowStats {
            sent_packets: 0,
            delivered_packets: 0,
            bytes_delivered: 0,
            latency_ns: new_histogram(),
            rtt_ns: is_ping.then(new_histogram),
            bytes_acked: 0,
            tcp_connected: false,
            tcp_end: None,
            completion_ns: None,
            done: false,
            pmtu_updates: Vec::new(),
        }
    }
}
