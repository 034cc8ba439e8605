//! Frames as bytes: parsing into a [`FlowKey`] (zero-copy, no allocation), building,
//! IPv4 fragmentation, NAT rewriting and ICMP/ICMPv6 error generation, on etherparse.
//!
//! The public functions below are the contract the data plane and hosts code
//! against; their bodies are filled in by the wire work.

mod flow_key;

pub use flow_key::*;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a frame could not be understood; the data plane drops it as `MALFORMED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed frame: {}", self.0)
    }
}

/// Ethernet header length; MTU limits apply to the IP packet after it.
pub const ETHERNET_HEADER_LEN: usize = 14;

/// Parse an Ethernet II frame carrying IPv4 or IPv6 into its flow key.
/// Never allocates, never panics.
pub fn parse_frame(frame: &[u8]) -> Result<FlowKey, Malformed> {
    let _ = frame;
    Err(Malformed("wire::parse_frame not implemented yet"))
}

/// Split an IPv4 frame into frames whose IP packets are at most `mtu` bytes
/// (RFC 791: 8-byte aligned offsets, MF on all but the last, identification
/// copied, options copied only when their copy flag is set, checksums fixed).
/// Appends the fragments to `out`. A frame already within `mtu` is appended as is.
pub fn fragment_ipv4(frame: &[u8], mtu: u16, out: &mut Vec<Vec<u8>>) -> Result<(), Malformed> {
    let _ = (frame, mtu, out);
    Err(Malformed("wire::fragment_ipv4 not implemented yet"))
}

/// The ICMP "destination unreachable, fragmentation needed" (type 3 code 4) frame a
/// router at `router_ip` sends back for the too-big IPv4 `frame`: next-hop MTU set,
/// quoting the original IP header + 8 bytes, MACs swapped.
pub fn icmpv4_frag_needed(
    frame: &[u8],
    router_ip: Ipv4Addr,
    next_hop_mtu: u16,
) -> Result<Vec<u8>, Malformed> {
    let _ = (frame, router_ip, next_hop_mtu);
    Err(Malformed("wire::icmpv4_frag_needed not implemented yet"))
}

/// The ICMPv6 Packet Too Big (type 2) frame for the too-big IPv6 `frame`, quoting as
/// much of it as fits in 1280 bytes, MACs swapped.
pub fn icmpv6_packet_too_big(
    frame: &[u8],
    router_ip: Ipv6Addr,
    mtu: u32,
) -> Result<Vec<u8>, Malformed> {
    let _ = (frame, router_ip, mtu);
    Err(Malformed("wire::icmpv6_packet_too_big not implemented yet"))
}

/// Rewrite IPv4 source and/or destination address and transport ports in place
/// (NAT), fixing the IP header and TCP/UDP checksums (ICMP echo: `src_port`
/// rewrites the identifier). Non-first fragments have no ports to rewrite.
pub fn rewrite_ipv4(
    frame: &mut [u8],
    src: Option<(Ipv4Addr, Option<u16>)>,
    dst: Option<(Ipv4Addr, Option<u16>)>,
) -> Result<(), Malformed> {
    let _ = (frame, src, dst);
    Err(Malformed("wire::rewrite_ipv4 not implemented yet"))
}

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

/// Build a complete Ethernet frame with valid checksums.
pub fn build_packet(spec: &PacketSpec) -> Result<Vec<u8>, Malformed> {
    let _ = spec;
    Err(Malformed("wire::build_packet not implemented yet"))
}
