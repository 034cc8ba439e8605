//! The packet an ICMP/ICMPv6 error quotes: the flow the error belongs to.
//!
//! Connection tracking admits an error as *related* to the flow of the packet it
//! quotes, and NAT translates the quote back (RFC 5508 §4.2, Linux
//! `nf_nat_icmp_reply_translation`). The quote is truncated by design (IPv4: the
//! IP header and 8 bytes, RFC 792), so it cannot go through [`super::parse_frame`],
//! which insists on complete packets: this reads the headers etherparse can slice
//! and the first 8 transport bytes (ports, or ICMP type/code/identifier) by hand.

use std::net::IpAddr;

use etherparse::{ip_number, Ipv4HeaderSlice, Ipv6HeaderSlice};

use super::parse::{walk_ipv6_extensions, IPV6_HEADER_LEN};
use super::{parse_frame, FlowKey, FragmentKind, IcmpKind, Malformed, ETHERNET_HEADER_LEN};

/// ICMP/ICMPv6 error header length before the quoted packet.
const ICMP_ERROR_HEADER_LEN: usize = 8;

/// The flow key of the packet quoted by the ICMP/ICMPv6 error in `frame`, as far
/// as the quote shows it: addresses, protocol, ports (or ICMP type, code and query
/// identifier), fragment position, DF and the original total length. `tcp_flags`
/// is 0. `Err` when `frame` is not a well-formed ICMP error or its quote is too
/// short to name a flow (an IP header and the first 8 transport bytes, or at least
/// 4 for ports). Never allocates.
pub fn quoted_flow(frame: &[u8]) -> Result<FlowKey, Malformed> {
    quote(frame).map(|(_, k)| k)
}

/// [`quoted_flow`] and where the quoted IP header starts in `frame`.
pub(crate) fn quote(frame: &[u8]) -> Result<(usize, FlowKey), Malformed> {
    let outer = parse_frame(frame)?;
    if outer.icmp_kind() != Some(IcmpKind::Error) {
        return Err(Malformed("not an ICMP error"));
    }
    let l4 = if outer.src.is_ipv4() {
        ETHERNET_HEADER_LEN + usize::from(frame[ETHERNET_HEADER_LEN] & 0x0f) * 4
    } else {
        let ip = &frame[ETHERNET_HEADER_LEN..];
        let len = IPV6_HEADER_LEN + usize::from(u16::from_be_bytes([ip[4], ip[5]]));
        let (_, _, rest) = walk_ipv6_extensions(ip[6], &ip[IPV6_HEADER_LEN..len])?;
        ETHERNET_HEADER_LEN + len - rest.len()
    };
    let outer_end = ETHERNET_HEADER_LEN + usize::from(outer.ip_len);
    let at = l4 + ICMP_ERROR_HEADER_LEN;
    let quoted = frame
        .get(at..outer_end.min(frame.len()))
        .ok_or(Malformed("ICMP error without a quoted packet"))?;
    let key = if outer.src.is_ipv4() {
        quoted_ipv4(quoted)?
    } else {
        quoted_ipv6(quoted)?
    };
    Ok((at, key))
}

const TRUNCATED: Malformed = Malformed("ICMP error quote too short");

fn quoted_ipv4(q: &[u8]) -> Result<FlowKey, Malformed> {
    let h = Ipv4HeaderSlice::from_slice(q).map_err(|_| TRUNCATED)?;
    let fragment = FragmentKind::of(h.fragments_offset().value(), h.more_fragments());
    let mut key = FlowKey::ip_level(
        IpAddr::V4(h.source_addr()),
        IpAddr::V4(h.destination_addr()),
        h.protocol().0,
        fragment,
        h.dont_fragment(),
        h.total_len(),
    );
    if fragment != FragmentKind::NonFirst {
        let icmp = key.protocol == ip_number::ICMP.0;
        fill_quoted_transport(&mut key, icmp, &q[h.slice().len()..])?;
    }
    Ok(key)
}

fn quoted_ipv6(q: &[u8]) -> Result<FlowKey, Malformed> {
    let h = Ipv6HeaderSlice::from_slice(q).map_err(|_| TRUNCATED)?;
    let (protocol, fragment, rest) =
        walk_ipv6_extensions(h.next_header().0, &q[IPV6_HEADER_LEN..])?;
    let mut key = FlowKey::ip_level(
        IpAddr::V6(h.source_addr()),
        IpAddr::V6(h.destination_addr()),
        protocol,
        fragment,
        true,
        u16::try_from(IPV6_HEADER_LEN + usize::from(h.payload_length())).unwrap_or(u16::MAX),
    );
    if fragment != FragmentKind::NonFirst {
        fill_quoted_transport(&mut key, protocol == ip_number::IPV6_ICMP.0, rest)?;
    }
    Ok(key)
}

/// Ports (first 4 bytes) or ICMP type/code/identifier (first 8) of a quote.
fn fill_quoted_transport(key: &mut FlowKey, icmp: bool, t: &[u8]) -> Result<(), Malformed> {
    match etherparse::IpNumber(key.protocol) {
        ip_number::TCP | ip_number::UDP => {
            let p = t.get(..4).ok_or(TRUNCATED)?;
            key.src_port = u16::from_be_bytes([p[0], p[1]]);
            key.dst_port = u16::from_be_bytes([p[2], p[3]]);
        }
        _ if icmp => {
            key.set_icmp_header(t.first_chunk::<8>().ok_or(TRUNCATED)?);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests/quote.rs"]
mod tests;
