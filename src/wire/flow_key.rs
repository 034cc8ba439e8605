//! The 5-tuple-and-a-bit that policy, conntrack and flow logs key on.

use std::net::IpAddr;

/// Where a packet sits in a fragment train (IPv4 or IPv6 fragment header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FragmentKind {
    /// Not a fragment.
    Whole,
    /// Offset 0, more fragments follow: carries the transport header.
    First,
    /// Offset > 0: no transport header, so ports are unknown (0).
    NonFirst,
}

/// What the data plane needs to know about a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IP protocol number (IPv6: the upper-layer header after extensions).
    pub protocol: u8,
    /// TCP/UDP ports; 0 for other protocols and non-first fragments.
    pub src_port: u16,
    pub dst_port: u16,
    /// ICMP/ICMPv6 type and code; 0 otherwise.
    pub icmp_type: u8,
    pub icmp_code: u8,
    /// TCP flags byte (FIN=0x01, SYN=0x02, RST=0x04, ACK=0x10); 0 otherwise.
    pub tcp_flags: u8,
    pub fragment: FragmentKind,
    /// IPv4 DF bit (IPv6: always true, routers never fragment).
    pub dont_fragment: bool,
    /// Total IP packet length in bytes (what MTU is compared with).
    pub ip_len: u16,
}
