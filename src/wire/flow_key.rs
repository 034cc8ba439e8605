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

impl FragmentKind {
    /// From a fragment offset (in any unit) and the more-fragments flag.
    pub(crate) fn of(offset: u16, more_fragments: bool) -> FragmentKind {
        match (offset, more_fragments) {
            (0, false) => FragmentKind::Whole,
            (0, true) => FragmentKind::First,
            _ => FragmentKind::NonFirst,
        }
    }
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
    /// Identifier of an ICMP/ICMPv6 query (echo, timestamp, ... request or reply;
    /// see [`IcmpKind`]); 0 otherwise. Conntrack and NAT treat it like a port, as
    /// Linux and AWS do, so two pings between the same hosts are two flows.
    pub icmp_id: u16,
    /// TCP flags byte (FIN=0x01, SYN=0x02, RST=0x04, ACK=0x10); 0 otherwise.
    pub tcp_flags: u8,
    pub fragment: FragmentKind,
    /// IPv4 DF bit (IPv6: always true, routers never fragment).
    pub dont_fragment: bool,
    /// Total IP packet length in bytes (what MTU is compared with).
    pub ip_len: u16,
}

const PROTO_ICMP: u8 = 1;
const PROTO_ICMPV6: u8 = 58;

/// What an ICMP/ICMPv6 message is, for connection tracking and NAT (the same
/// classes Linux's `nf_conntrack_proto_icmp` uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpKind {
    /// A query that opens a flow: echo, timestamp, information, address mask
    /// request (ICMPv6: echo request). Carries an identifier.
    Request,
    /// The answer to a [`IcmpKind::Request`], with the request's identifier.
    Reply,
    /// An error quoting the packet that caused it (IPv4 types 3, 4, 5, 11, 12;
    /// ICMPv6 types 1-4): it belongs to the quoted packet's flow.
    Error,
    /// Anything else (router/neighbour discovery, ...): keyed by addresses only.
    Other,
}

/// The request type of a query pair, when `icmp_type` is part of one.
fn query_of(protocol: u8, icmp_type: u8) -> Option<(IcmpKind, u8)> {
    match (protocol, icmp_type) {
        (PROTO_ICMP, 8 | 13 | 15 | 17) | (PROTO_ICMPV6, 128) => {
            Some((IcmpKind::Request, icmp_type))
        }
        (PROTO_ICMP, 0) => Some((IcmpKind::Reply, 8)),
        (PROTO_ICMP, 14 | 16 | 18) => Some((IcmpKind::Reply, icmp_type - 1)),
        (PROTO_ICMPV6, 129) => Some((IcmpKind::Reply, 128)),
        _ => None,
    }
}

impl FlowKey {
    /// A key with addresses and IP-level fields only: the transport fields (ports,
    /// ICMP type/code/identifier, TCP flags) start at 0 and are filled in by the
    /// parser once it has read the transport header, if there is one.
    pub(crate) fn ip_level(
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        fragment: FragmentKind,
        dont_fragment: bool,
        ip_len: u16,
    ) -> FlowKey {
        FlowKey {
            src,
            dst,
            protocol,
            src_port: 0,
            dst_port: 0,
            icmp_type: 0,
            icmp_code: 0,
            icmp_id: 0,
            tcp_flags: 0,
            fragment,
            dont_fragment,
            ip_len,
        }
    }

    /// Type, code and (for queries) identifier from an 8-byte ICMP/ICMPv6 header.
    pub(crate) fn set_icmp_header(&mut self, h: &[u8; 8]) {
        self.icmp_type = h[0];
        self.icmp_code = h[1];
        if self.icmp_query_type().is_some() {
            self.icmp_id = u16::from_be_bytes([h[4], h[5]]);
        }
    }

    /// How an ICMP/ICMPv6 packet relates to flows; `None` for other protocols
    /// and for non-first fragments (no ICMP header to read).
    #[inline]
    pub fn icmp_kind(&self) -> Option<IcmpKind> {
        if !matches!(self.protocol, PROTO_ICMP | PROTO_ICMPV6)
            || self.fragment == FragmentKind::NonFirst
        {
            return None;
        }
        if let Some((kind, _)) = query_of(self.protocol, self.icmp_type) {
            return Some(kind);
        }
        let error = match self.protocol {
            PROTO_ICMP => matches!(self.icmp_type, 3 | 4 | 5 | 11 | 12),
            _ => matches!(self.icmp_type, 1..=4),
        };
        Some(if error {
            IcmpKind::Error
        } else {
            IcmpKind::Other
        })
    }

    /// For an ICMP query (request or reply): the request's type, which names the
    /// pair (echo 8/0 is 8, timestamp 13/14 is 13, ICMPv6 echo 128/129 is 128).
    #[inline]
    pub fn icmp_query_type(&self) -> Option<u8> {
        if self.fragment == FragmentKind::NonFirst {
            return None;
        }
        query_of(self.protocol, self.icmp_type).map(|(_, t)| t)
    }
}
