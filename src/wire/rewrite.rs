//! In-place IPv4 NAT rewriting (internet gateway 1:1 NAT, NAT gateway).
//!
//! Checksums are patched incrementally (RFC 1624) rather than recomputed: the frame
//! is not copied or re-serialised, the cost is proportional to the bytes changed, and
//! it is the only correct way for a *first fragment*, whose TCP/UDP checksum covers
//! payload bytes that travel in later fragments.

use etherparse::ip_number;

use super::checksum::{incremental_update, read_u16, write_u16};
use super::{parse_frame, FragmentKind, Malformed, ETHERNET_HEADER_LEN};

const IPV4_CHECKSUM_AT: usize = ETHERNET_HEADER_LEN + 10;
const IPV4_SRC_AT: usize = ETHERNET_HEADER_LEN + 12;
const IPV4_DST_AT: usize = ETHERNET_HEADER_LEN + 16;
const TCP_CHECKSUM_AT: usize = 16;
const UDP_CHECKSUM_AT: usize = 6;
const ICMP_CHECKSUM_AT: usize = 2;
const ICMP_ECHO_ID_AT: usize = 4;
const ICMP_ECHO_REPLY: u8 = 0;
const ICMP_ECHO_REQUEST: u8 = 8;

/// Rewrite IPv4 source and/or destination address and transport ports in place
/// (NAT), fixing the IP header and TCP/UDP checksums (ICMP echo: `src_port`
/// rewrites the identifier). Non-first fragments have no ports to rewrite.
///
/// For ICMP echo request/reply the port of either side rewrites the identifier
/// (a NAT maps it outbound as a source port, inbound as a destination port); when
/// both are given the destination's is applied last. Ports are ignored for other
/// protocols and for non-first fragments (whose addresses are still rewritten). A UDP
/// checksum of 0 ("none") stays 0; a computed 0 is sent as 0xffff (RFC 768). Quoted
/// packets inside ICMP errors are not translated. The frame is validated first with
/// [`parse_frame`]; on `Err` it is unchanged.
pub fn rewrite_ipv4(
    frame: &mut [u8],
    src: Option<(std::net::Ipv4Addr, Option<u16>)>,
    dst: Option<(std::net::Ipv4Addr, Option<u16>)>,
) -> Result<(), Malformed> {
    let key = parse_frame(frame)?;
    if !key.src.is_ipv4() {
        return Err(Malformed("not an IPv4 frame"));
    }
    let header_len = usize::from(frame[ETHERNET_HEADER_LEN] & 0x0f) * 4;
    let l4 = ETHERNET_HEADER_LEN + header_len;
    let has_transport = key.fragment != FragmentKind::NonFirst;
    // Where the transport checksum is, and whether it covers the pseudo-header.
    let transport_checksum = match etherparse::IpNumber(key.protocol) {
        _ if !has_transport => None,
        ip_number::TCP => Some((l4 + TCP_CHECKSUM_AT, true)),
        ip_number::UDP if read_u16(frame, l4 + UDP_CHECKSUM_AT) != 0 => {
            Some((l4 + UDP_CHECKSUM_AT, true))
        }
        ip_number::ICMP => Some((l4 + ICMP_CHECKSUM_AT, false)),
        _ => None,
    };
    let is_echo = key.protocol == ip_number::ICMP.0
        && matches!(key.icmp_type, ICMP_ECHO_REPLY | ICMP_ECHO_REQUEST);

    for (side, addr_at, port_at) in [(src, IPV4_SRC_AT, l4), (dst, IPV4_DST_AT, l4 + 2)] {
        let Some((addr, port)) = side else { continue };
        let new = addr.octets();
        let mut old = [0u8; 4];
        old.copy_from_slice(&frame[addr_at..addr_at + 4]);
        frame[addr_at..addr_at + 4].copy_from_slice(&new);
        patch(frame, IPV4_CHECKSUM_AT, &old, &new);
        if let Some((at, true)) = transport_checksum {
            patch(frame, at, &old, &new);
        }
        let Some(port) = port else { continue };
        let port_at = match etherparse::IpNumber(key.protocol) {
            _ if !has_transport => continue,
            ip_number::TCP | ip_number::UDP => port_at,
            ip_number::ICMP if is_echo => l4 + ICMP_ECHO_ID_AT,
            _ => continue,
        };
        let old = [frame[port_at], frame[port_at + 1]];
        let new = port.to_be_bytes();
        frame[port_at..port_at + 2].copy_from_slice(&new);
        if let Some((at, _)) = transport_checksum {
            patch(frame, at, &old, &new);
        }
    }
    // UDP: 0 means "no checksum", so a computed 0 goes out as its equivalent 0xffff.
    if key.protocol == ip_number::UDP.0 {
        if let Some((at, _)) = transport_checksum {
            if read_u16(frame, at) == 0 {
                write_u16(frame, at, 0xffff);
            }
        }
    }
    Ok(())
}

fn patch(frame: &mut [u8], checksum_at: usize, old: &[u8], new: &[u8]) {
    let updated = incremental_update(read_u16(frame, checksum_at), old, new);
    write_u16(frame, checksum_at, updated);
}

#[cfg(test)]
#[path = "tests/rewrite.rs"]
mod tests;
