//! The hot path: an Ethernet frame's bytes to a [`FlowKey`], on etherparse's header
//! slices (zero-copy views), without allocating.
//!
//! Why header slices and not `SlicedPacket`: `SlicedPacket` skips the transport header
//! of every fragmented packet, but a *first* fragment still carries the ports the
//! security groups and NACLs need; and etherparse keeps walking IPv6 extension headers
//! past a non-first fragment header, misreading payload bytes as headers. So the IP
//! layer is checked here header by header, each header read by etherparse.

use std::net::IpAddr;

use etherparse::checksum::Sum16BitWords;
use etherparse::{
    ip_number, IpAuthHeaderSlice, Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice,
    Ipv6RawExtHeaderSlice, TcpHeaderSlice, UdpHeaderSlice,
};

use super::checksum::sums_to_valid;
use super::{FlowKey, FragmentKind, Malformed, ETHERNET_HEADER_LEN};

pub(crate) const ETHERTYPE_IPV4: u16 = 0x0800;
pub(crate) const ETHERTYPE_IPV6: u16 = 0x86dd;
pub(crate) const IPV6_HEADER_LEN: usize = 40;
/// Every ICMP and ICMPv6 message has at least type, code, checksum and 4 more bytes.
const ICMP_HEADER_LEN: usize = 8;

/// Parse an Ethernet II frame carrying IPv4 or IPv6 into its flow key.
///
/// Checks what a router checks: IP version, header lengths, IPv4 header checksum,
/// length fields against the frame (Ethernet padding after the IP packet is ignored),
/// extension header chains, and that a whole packet or first fragment holds its full
/// transport header (RFC 1858: TCP first fragments too short for the header are
/// dropped). Transport checksums are not verified (routers don't; see
/// [`super::verify_checksums`]). `ip_len` saturates at 65535 for IPv6.
/// Never allocates, never panics.
pub fn parse_frame(frame: &[u8]) -> Result<FlowKey, Malformed> {
    if let Some(key) = plain_ipv4_udp_key(frame) {
        return Ok(key);
    }
    match ethertype(frame)? {
        ETHERTYPE_IPV4 => parse_ipv4(&frame[ETHERNET_HEADER_LEN..]),
        ETHERTYPE_IPV6 => parse_ipv6(&frame[ETHERNET_HEADER_LEN..]),
        _ => Err(Malformed("ethertype is neither IPv4 nor IPv6")),
    }
}

/// The commonest frame, read in one look: IPv4 with a 20-byte header, not a
/// fragment, a valid header checksum, its total length within the frame, carrying
/// a UDP datagram whose length field fits. The same key [`parse_frame`]'s general
/// path gives (tested: `plain_udp_fast_path_agrees_with_the_general_path`), in
/// about a third of the instructions (the router parses every frame it forwards);
/// `None` for anything else, which the general path decides, errors included.
#[inline]
fn plain_ipv4_udp_key(frame: &[u8]) -> Option<FlowKey> {
    let f = frame.first_chunk::<{ ETHERNET_HEADER_LEN + 28 }>()?;
    if f[12..15] != [0x08, 0x00, 0x45] || f[ETHERNET_HEADER_LEN + 9] != ip_number::UDP.0 {
        return None;
    }
    let ip = &frame[ETHERNET_HEADER_LEN..];
    let h = ip.first_chunk::<20>()?;
    // MF clear and fragment offset 0 (DF may be set).
    if h[6] & 0x3f != 0 || h[7] != 0 {
        return None;
    }
    let total = u16::from_be_bytes([h[2], h[3]]);
    let udp = ip.get(20..usize::from(total)).filter(|u| u.len() >= 8)?;
    let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
    if udp_len < 8 || udp_len > udp.len() || super::checksum::ipv4_header20_sum(h) != 0xffff {
        return None;
    }
    let mut key = FlowKey::ip_level(
        IpAddr::V4(std::net::Ipv4Addr::new(h[12], h[13], h[14], h[15])),
        IpAddr::V4(std::net::Ipv4Addr::new(h[16], h[17], h[18], h[19])),
        ip_number::UDP.0,
        FragmentKind::Whole,
        h[6] & 0x40 != 0,
        total,
    );
    key.src_port = u16::from_be_bytes([udp[0], udp[1]]);
    key.dst_port = u16::from_be_bytes([udp[2], udp[3]]);
    Some(key)
}

/// The IP packet after the Ethernet header, trimmed to the length its header declares
/// (dropping Ethernet padding). Checks the IP header as [`parse_frame`] does, but not
/// IPv6 extension headers or the transport header.
pub fn ip_packet(frame: &[u8]) -> Result<&[u8], Malformed> {
    let ethertype = ethertype(frame)?;
    let ip = &frame[ETHERNET_HEADER_LEN..];
    match ethertype {
        ETHERTYPE_IPV4 => checked_ipv4(ip).map(|v| &ip[..v.total_len]),
        ETHERTYPE_IPV6 => checked_ipv6(ip).map(|(_, len)| &ip[..len]),
        _ => Err(Malformed("ethertype is neither IPv4 nor IPv6")),
    }
}

/// The ethertype of an untagged Ethernet II frame.
pub(crate) fn ethertype(frame: &[u8]) -> Result<u16, Malformed> {
    if frame.len() < ETHERNET_HEADER_LEN {
        return Err(Malformed("shorter than an Ethernet header"));
    }
    Ok(u16::from_be_bytes([frame[12], frame[13]]))
}

/// A checked IPv4 header and the lengths the other wire functions need.
pub(crate) struct Ipv4View<'a> {
    pub header: Ipv4HeaderSlice<'a>,
    pub header_len: usize,
    pub total_len: usize,
}

impl<'a> Ipv4View<'a> {
    /// Where this packet sits in its fragment train.
    pub fn fragment(&self) -> FragmentKind {
        FragmentKind::of(
            self.header.fragments_offset().value(),
            self.header.more_fragments(),
        )
    }
}

/// The IPv4 frame's IP part, checked: ethertype, version, IHL, total length, header
/// checksum, and fragment end within 65535 bytes (no "ping of death").
pub(crate) fn ipv4_of_frame(frame: &[u8]) -> Result<(Ipv4View<'_>, &[u8]), Malformed> {
    if ethertype(frame)? != ETHERTYPE_IPV4 {
        return Err(Malformed("not an IPv4 frame"));
    }
    let ip = &frame[ETHERNET_HEADER_LEN..];
    let view = checked_ipv4(ip)?;
    let packet = &ip[..view.total_len];
    Ok((view, packet))
}

#[inline]
pub(crate) fn checked_ipv4(ip: &[u8]) -> Result<Ipv4View<'_>, Malformed> {
    use etherparse::err::ipv4::{HeaderError, HeaderSliceError};
    let header = Ipv4HeaderSlice::from_slice(ip).map_err(|e| match e {
        HeaderSliceError::Len(_) => Malformed("truncated IPv4 header"),
        HeaderSliceError::Content(HeaderError::UnexpectedVersion { .. }) => {
            Malformed("IP version is not 4 in an IPv4 frame")
        }
        HeaderSliceError::Content(HeaderError::HeaderLengthSmallerThanHeader { .. }) => {
            Malformed("IPv4 IHL below 5")
        }
    })?;
    let header_len = header.slice().len();
    let total_len = usize::from(header.total_len());
    if total_len < header_len {
        return Err(Malformed("IPv4 total length shorter than its header"));
    }
    if total_len > ip.len() {
        return Err(Malformed("IPv4 total length exceeds the frame"));
    }
    if !sums_to_valid(Sum16BitWords::new().add_slice(header.slice())) {
        return Err(Malformed("bad IPv4 header checksum"));
    }
    let end = usize::from(header.fragments_offset().byte_offset()) + (total_len - header_len);
    if end > usize::from(u16::MAX) {
        return Err(Malformed("IPv4 fragment ends beyond 65535 bytes"));
    }
    Ok(Ipv4View {
        header,
        header_len,
        total_len,
    })
}

/// The IPv6 header and the packet's length (header + payload length), checked against
/// the buffer. Payload length 0 (jumbograms) is taken literally: VPCs carry none.
pub(crate) fn checked_ipv6(ip: &[u8]) -> Result<(Ipv6HeaderSlice<'_>, usize), Malformed> {
    use etherparse::err::ipv6::{HeaderError, HeaderSliceError};
    let header = Ipv6HeaderSlice::from_slice(ip).map_err(|e| match e {
        HeaderSliceError::Len(_) => Malformed("truncated IPv6 header"),
        HeaderSliceError::Content(HeaderError::UnexpectedVersion { .. }) => {
            Malformed("IP version is not 6 in an IPv6 frame")
        }
    })?;
    let len = IPV6_HEADER_LEN + usize::from(header.payload_length());
    if len > ip.len() {
        return Err(Malformed("IPv6 payload length exceeds the frame"));
    }
    Ok((header, len))
}

#[inline]
fn parse_ipv4(ip: &[u8]) -> Result<FlowKey, Malformed> {
    let view = checked_ipv4(ip)?;
    let fragment = view.fragment();
    let protocol = view.header.protocol().0;
    let payload = &ip[view.header_len..view.total_len];
    let mut key = FlowKey::ip_level(
        IpAddr::V4(view.header.source_addr()),
        IpAddr::V4(view.header.destination_addr()),
        protocol,
        fragment,
        view.header.dont_fragment(),
        view.header.total_len(),
    );
    if fragment != FragmentKind::NonFirst {
        fill_transport(&mut key, protocol == ip_number::ICMP.0, payload)?;
    }
    Ok(key)
}

fn parse_ipv6(ip: &[u8]) -> Result<FlowKey, Malformed> {
    let (header, len) = checked_ipv6(ip)?;
    let (protocol, fragment, payload) =
        walk_ipv6_extensions(header.next_header().0, &ip[IPV6_HEADER_LEN..len])?;
    let mut key = FlowKey::ip_level(
        IpAddr::V6(header.source_addr()),
        IpAddr::V6(header.destination_addr()),
        protocol,
        fragment,
        true,
        u16::try_from(len).unwrap_or(u16::MAX),
    );
    if fragment != FragmentKind::NonFirst {
        fill_transport(&mut key, protocol == ip_number::IPV6_ICMP.0, payload)?;
    }
    Ok(key)
}

/// Follow the IPv6 extension header chain to the upper-layer protocol. Stops at a
/// non-first fragment header: what follows it is payload, not headers. Every step
/// consumes at least 8 bytes, so the loop is bounded by the packet length.
pub(crate) fn walk_ipv6_extensions(
    first: u8,
    mut rest: &[u8],
) -> Result<(u8, FragmentKind, &[u8]), Malformed> {
    const TRUNCATED: Malformed = Malformed("truncated IPv6 extension header");
    let mut next = first;
    let mut fragment = FragmentKind::Whole;
    let mut first_header = true;
    loop {
        let consumed = match etherparse::IpNumber(next) {
            ip_number::IPV6_HOP_BY_HOP if !first_header => {
                return Err(Malformed("IPv6 hop-by-hop header not first"));
            }
            ip_number::IPV6_HOP_BY_HOP | ip_number::IPV6_DEST_OPTIONS | ip_number::IPV6_ROUTE => {
                let ext = Ipv6RawExtHeaderSlice::from_slice(rest).map_err(|_| TRUNCATED)?;
                next = ext.next_header().0;
                ext.slice().len()
            }
            ip_number::IPV6_FRAG => {
                let frag = Ipv6FragmentHeaderSlice::from_slice(rest).map_err(|_| TRUNCATED)?;
                next = frag.next_header().0;
                if frag.fragment_offset().value() != 0 {
                    let data = &rest[frag.slice().len()..];
                    return Ok((next, FragmentKind::NonFirst, data));
                }
                if frag.more_fragments() {
                    fragment = FragmentKind::First;
                }
                frag.slice().len()
            }
            ip_number::AUTH => {
                let auth = IpAuthHeaderSlice::from_slice(rest)
                    .map_err(|_| Malformed("bad IPv6 authentication header"))?;
                next = auth.next_header().0;
                auth.slice().len()
            }
            _ => return Ok((next, fragment, rest)),
        };
        rest = &rest[consumed..];
        first_header = false;
    }
}

/// Ports, TCP flags or ICMP type/code (and a query's identifier) from a whole packet's or first fragment's
/// transport header. `is_icmp`: protocol 1 over IPv4 or 58 over IPv6.
#[inline]
fn fill_transport(key: &mut FlowKey, is_icmp: bool, payload: &[u8]) -> Result<(), Malformed> {
    match etherparse::IpNumber(key.protocol) {
        ip_number::TCP => {
            let tcp = TcpHeaderSlice::from_slice(payload)
                .map_err(|_| Malformed("truncated or bad TCP header"))?;
            key.src_port = tcp.source_port();
            key.dst_port = tcp.destination_port();
            key.tcp_flags = tcp.slice()[13];
        }
        ip_number::UDP => {
            let udp = UdpHeaderSlice::from_slice(payload)
                .map_err(|_| Malformed("truncated UDP header"))?;
            // A first fragment's UDP length covers the whole datagram, not this piece.
            let udp_len = usize::from(udp.length());
            if key.fragment == FragmentKind::Whole && (udp_len < 8 || udp_len > payload.len()) {
                return Err(Malformed("UDP length field inconsistent with the packet"));
            }
            key.src_port = udp.source_port();
            key.dst_port = udp.destination_port();
        }
        _ if is_icmp => {
            let header = payload
                .first_chunk::<ICMP_HEADER_LEN>()
                .ok_or(Malformed("truncated ICMP header"))?;
            key.set_icmp_header(header);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests/parse.rs"]
mod tests;
