//! Frames as bytes: parsing into a [`FlowKey`] (zero-copy, no allocation), building,
//! IPv4 fragmentation, NAT rewriting and ICMP/ICMPv6 error generation, on etherparse.
//!
//! The public functions are the contract the data plane and hosts code against. Each
//! concept lives in its own file:
//! - [`FlowKey`], [`FragmentKind`], [`IcmpKind`] (`flow_key.rs`): what policy,
//!   conntrack, NAT and flow logs key on;
//! - [`parse_frame`], [`ip_packet`] (`parse.rs`): the hot path, zero-copy, no allocation;
//! - [`build_packet`], [`payload_byte`] (`build.rs`): synthetic frames for `trace` and
//!   generators;
//! - [`fragment_ipv4`], [`MIN_IPV4_MTU`] (`fragment.rs`) and [`reassemble_ipv4`]
//!   (`reassemble.rs`);
//! - [`icmpv4_frag_needed`], [`icmpv6_packet_too_big`] (`icmp_error.rs`);
//! - [`rewrite_ipv4`] (`rewrite.rs`): in-place NAT with incremental checksums,
//!   including the packet quoted in an ICMP error;
//! - [`quoted_flow`] (`quote.rs`): the flow an ICMP error belongs to;
//! - [`verify_checksums`] (`verify.rs`): what Wireshark would complain about.
//! - [`set_macs`] (here): the router's MAC rewrite on every hop.
//!
//! Only untagged Ethernet II frames carrying IPv4 (0x0800) or IPv6 (0x86DD) are
//! accepted: ENIs in a VPC never see VLAN tags, so anything else is `Malformed`.

mod build;
mod checksum;
mod flow_key;
mod fragment;
mod icmp_error;
mod mss;
mod parse;
mod quote;
mod reassemble;
mod rewrite;
mod ttl;
mod verify;

#[cfg(test)]
mod test_support;

pub use build::{build_packet, payload_byte};
pub(crate) use checksum::ipv4_header20_sum;
pub use flow_key::*;
pub use fragment::{fragment_ipv4, MIN_IPV4_MTU};
pub use icmp_error::{icmpv4_frag_needed, icmpv6_packet_too_big};
pub use mss::clamp_mss;
pub use parse::{ip_packet, parse_frame};
pub use quote::quoted_flow;
pub use reassemble::reassemble_ipv4;
pub use rewrite::rewrite_ipv4;
pub use ttl::{decrement_ttl, icmp_time_exceeded, increment_ttl, ttl};
pub use verify::verify_checksums;

use std::net::IpAddr;

/// Why a frame could not be understood; the data plane drops it as `MALFORMED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed frame: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// Ethernet header length; MTU limits apply to the IP packet after it.
pub const ETHERNET_HEADER_LEN: usize = 14;

/// Set the Ethernet source and destination MACs in place.
pub fn set_macs(frame: &mut [u8], src: [u8; 6], dst: [u8; 6]) -> Result<(), Malformed> {
    if frame.len() < ETHERNET_HEADER_LEN {
        return Err(Malformed("shorter than an Ethernet header"));
    }
    frame[0..6].copy_from_slice(&dst);
    frame[6..12].copy_from_slice(&src);
    Ok(())
}

/// The transport part of a synthetic packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp {
        src_port: u16,
        dst_port: u16,
        /// TCP flags byte (SYN=0x02, ACK=0x10, ...).
        flags: u8,
        seq: u32,
        ack: u32,
    },
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    /// ICMP (IPv4) or ICMPv6 echo request/reply.
    Echo {
        id: u16,
        seq: u16,
        reply: bool,
    },
}

impl Transport {
    /// The same transport from another source port (echo: identifier), as source
    /// NAT rewrites it.
    pub fn with_source_port(mut self, port: u16) -> Transport {
        match &mut self {
            Transport::Tcp { src_port, .. } | Transport::Udp { src_port, .. } => *src_port = port,
            Transport::Echo { id, .. } => *id = port,
        }
        self
    }
}

/// Everything needed to build one synthetic frame (for `trace` and generators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketSpec {
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    /// Both addresses must be the same family.
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport,
    /// Transport payload bytes (filled with a deterministic pattern).
    pub payload_len: usize,
    /// IPv4 DF bit; ignored for IPv6.
    pub dont_fragment: bool,
    /// IPv4 identification; ignored for IPv6.
    pub identification: u16,
    pub ttl: u8,
}
