//! Endpoints: each ENI or external host is a smoltcp [`Interface`](smoltcp::iface::Interface)
//! over a virtual-time device, with traffic generators (ping, UDP, TCP bulk and request/response) and the
//! servers that answer them.
//!
//! Where smoltcp differs from a Linux host, the host layer fills the gap on the
//! frames themselves (see [`packet`]): IPv4 identification and DF as Linux sets them,
//! and path-MTU discovery through a per-destination PMTU cache plus segmentation on
//! the virtual NIC.

mod device;
mod discard;
mod endpoint;
mod exchange;
mod oversize;
mod pacing;
pub mod packet;
mod ping;
mod plan;
mod pmtu;
mod retransmit;
mod stats;
mod tag;
mod tcp;
mod udp;

pub use device::VirtualDevice;
pub use discard::{Discard, REASSEMBLY_SLOTS};
pub use endpoint::{GeneratorTimeouts, Host, HostConfig};
pub use pacing::OVER_FLOW_LIMIT;
pub use plan::FlowPlan;
pub use stats::{new_histogram, FlowStats, TcpEnd};
pub use tag::{Tag, TAG_LEN};

#[cfg(test)]
mod direct_ping_tests;
#[cfg(test)]
mod direct_tx_tests;
#[cfg(test)]
mod test_segments;
#[cfg(test)]
mod tests;
