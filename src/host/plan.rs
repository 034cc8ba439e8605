//! A flow resolved for the hosts: addresses, ports and timing.

use crate::model::{FlowIdx, FlowKind, RequestResponse};
use std::net::IpAddr;

/// Everything a generator and its server need about one flow.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowPlan {
    pub flow: FlowIdx,
    pub kind: FlowKind,
    /// Index of the sending and receiving host in the simulation.
    pub src_host: usize,
    pub dst_host: usize,
    pub src_ip: IpAddr,
    pub dst_ip: IpAddr,
    /// Destination port (UDP/TCP).
    pub port: u16,
    /// Source port (UDP/TCP, an ephemeral port drawn from the seed) or ICMP echo
    /// identifier (ping).
    pub local_port: u16,
    /// Payload bytes per packet: ICMP echo data (ping), UDP payload (UDP); TCP:
    /// segment payload cap (0: the MSS).
    pub size: u32,
    /// Packets to send (ping/UDP).
    pub count: u64,
    /// Bytes to transfer (TCP).
    pub bytes: u64,
    /// Nanoseconds between packets (ping/UDP).
    pub interval_ns: u64,
    pub start_ns: u64,
    /// IPv4 DF bit for ping/UDP.
    pub df: bool,
    /// TCP request/response instead of a bulk transfer of `bytes`.
    pub request_response: Option<RequestResponse>,
    /// AWS's single-flow bandwidth limit for this flow, bits/s (0: none); applied
    /// to its TCP segments as they leave the sending host (see `Pacer`).
    pub flow_cap_bps: u64,
}

impl FlowPlan {
    /// When packet `i` (from 0) is due.
    pub fn send_time(&self, i: u64) -> u64 {
        self.start_ns
            .saturating_add(i.saturating_mul(self.interval_ns))
    }

    /// When the last packet (ping/UDP) or the last request of a request/response
    /// flow with an `interval_ms` is due.
    pub fn last_send_ns(&self) -> u64 {
        if let Some(rr) = &self.request_response {
            let gaps = rr.requests.saturating_sub(1).saturating_mul(rr.interval_ns);
            return self.start_ns.saturating_add(gaps);
        }
        self.send_time(self.count.saturating_sub(1))
    }

    /// When a ping/UDP generator that has sent `next_seq` packets next needs its
    /// host polled: its next send, or once all are sent, `tail_ns` after the last
    /// (the reply timeout or the receive linger).
    pub fn next_wake(&self, next_seq: u64, tail_ns: u64) -> u64 {
        if next_seq < self.count {
            self.send_time(next_seq)
        } else {
            self.last_send_ns() + tail_ns
        }
    }
}
