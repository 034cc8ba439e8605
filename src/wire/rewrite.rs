//! In-place IPv4 NAT rewriting (internet gateway 1:1 NAT, NAT gateway).
//!
//! Checksums are patched incrementally (RFC 1624) rather than recomputed: the frame
//! is not copied or re-serialised, the cost is proportional to the bytes changed, and
//! it is the only correct way for a *first fragment*, whose TCP/UDP checksum covers
//! payload bytes that travel in later fragments.

use etherparse::ip_number;

use super::checksum::{incremental_update, read_u16, write_u16};
use super::quote::quote;
use super::{parse_frame, FlowKey, FragmentKind, IcmpKind, Malformed, ETHERNET_HEADER_LEN};
use std::net::{IpAddr, Ipv4Addr};

const IPV4_CHECKSUM_AT: usize = ETHERNET_HEADER_LEN + 10;
const IPV4_SRC_AT: usize = ETHERNET_HEADER_LEN + 12;
const IPV4_DST_AT: usize = ETHERNET_HEADER_LEN + 16;
const TCP_CHECKSUM_AT: usize = 16;
const UDP_CHECKSUM_AT: usize = 6;
const ICMP_CHECKSUM_AT: usize = 2;
const ICMP_ECHO_ID_AT: usize = 4;

/// Rewrite IPv4 source and/or destination address and transport ports in place
/// (NAT), fixing the IP header and TCP/UDP checksums (ICMP echo: `src_port`
/// rewrites the identifier). Non-first fragments have no ports to rewrite.
///
/// For ICMP echo request/reply the port of either side rewrites the identifier
/// (a NAT maps it outbound as a source port, inbound as a destination port); when
/// both are given the destination's is applied last. Ports are ignored for other
/// protocols and for non-first fragments (whose addresses are still rewritten). A UDP
/// checksum of 0 ("none") stays 0; a computed 0 is sent as 0xffff (RFC 768).
///
/// An ICMP error (type 3, 4, 5, 11, 12) quotes a packet that travelled the other
/// way, so its quote is translated the other way round, as Linux and AWS NAT do
/// (RFC 5508 §4.2): `dst` also rewrites the quoted packet's *source* address and
/// port (or echo identifier) and `src` its *destination*, each only when the quoted
/// address is the outer address being replaced. The quoted IP header checksum, the
/// quoted TCP/UDP/ICMP checksum when the quote holds it, and the outer ICMP checksum
/// are patched. The frame is validated first with [`parse_frame`] (and the quote with
/// [`super::quoted_flow`]); on `Err` it is unchanged.
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
    // Echo, timestamp, ... requests and replies: the identifier acts as a port.
    let is_echo = key.protocol == ip_number::ICMP.0 && key.icmp_query_type().is_some();
    let quote = match key.icmp_kind() {
        Some(IcmpKind::Error) => Some(quote(frame)?),
        _ => None,
    };
    let old_src = ipv4_at(frame, IPV4_SRC_AT);
    let old_dst = ipv4_at(frame, IPV4_DST_AT);

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
    if let Some((at, inner)) = quote {
        let outer_checksum = l4 + ICMP_CHECKSUM_AT;
        let outer_end = (ETHERNET_HEADER_LEN + usize::from(key.ip_len)).min(frame.len());
        let q = Quote::new(frame, at, outer_end, &inner, outer_checksum);
        // The quote travelled the other way: its source is our destination.
        if let Some((addr, port)) = dst.filter(|_| inner.src == IpAddr::V4(old_dst)) {
            q.translate(frame, QUOTED_SRC_AT, 0, addr, port);
        }
        if let Some((addr, port)) = src.filter(|_| inner.dst == IpAddr::V4(old_src)) {
            q.translate(frame, QUOTED_DST_AT, 2, addr, port);
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

fn ipv4_at(frame: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(frame[at], frame[at + 1], frame[at + 2], frame[at + 3])
}

const QUOTED_SRC_AT: usize = 12;
const QUOTED_DST_AT: usize = 16;

/// Where the checksums of a packet quoted in an ICMP error are, for patching.
struct Quote {
    /// The quoted IP header's start in the frame.
    at: usize,
    /// The quoted transport header's start.
    l4: usize,
    /// The quoted transport checksum (if quoted and in use) and whether it covers
    /// the pseudo-header (TCP/UDP) or not (ICMP).
    checksum: Option<(usize, bool)>,
    /// Whether the quote has ports (TCP/UDP) or an ICMP query identifier at `l4`.
    ports: bool,
    query: bool,
    udp: bool,
    /// The outer ICMP checksum, which covers every quoted byte.
    outer: usize,
}

impl Quote {
    fn new(frame: &[u8], at: usize, end: usize, inner: &FlowKey, outer: usize) -> Quote {
        let l4 = at + usize::from(frame[at] & 0x0f) * 4;
        let has_transport = inner.fragment != FragmentKind::NonFirst;
        let within = |c: usize| (c + 2 <= end).then_some(c);
        let checksum = match etherparse::IpNumber(inner.protocol) {
            _ if !has_transport => None,
            ip_number::TCP => within(l4 + TCP_CHECKSUM_AT).map(|c| (c, true)),
            ip_number::UDP => within(l4 + UDP_CHECKSUM_AT)
                .filter(|&c| read_u16(frame, c) != 0)
                .map(|c| (c, true)),
            ip_number::ICMP => within(l4 + ICMP_CHECKSUM_AT).map(|c| (c, false)),
            _ => None,
        };
        let is_tcp_udp = matches!(inner.protocol, 6 | 17);
        Quote {
            at,
            l4,
            checksum,
            ports: has_transport && is_tcp_udp,
            query: has_transport
                && inner.protocol == ip_number::ICMP.0
                && inner.icmp_query_type().is_some(),
            udp: inner.protocol == ip_number::UDP.0,
            outer,
        }
    }

    /// Replace the quoted address at `addr_at` (12: source, 16: destination) and
    /// the port at `port_off` (0: source, 2: destination) or the echo identifier.
    fn translate(
        &self,
        frame: &mut [u8],
        addr_at: usize,
        port_off: usize,
        addr: Ipv4Addr,
        port: Option<u16>,
    ) {
        let ip_checksum = self.at + 10;
        let pseudo = self.checksum.filter(|c| c.1).map(|c| c.0);
        self.set(
            frame,
            self.at + addr_at,
            &addr.octets(),
            [Some(ip_checksum), pseudo],
        );
        let port_at = match port {
            Some(_) if self.ports => Some(self.l4 + port_off),
            Some(_) if self.query => Some(self.l4 + ICMP_ECHO_ID_AT),
            _ => None,
        };
        if let (Some(at), Some(p)) = (port_at, port) {
            self.set(
                frame,
                at,
                &p.to_be_bytes(),
                [self.checksum.map(|c| c.0), None],
            );
        }
        // A quoted UDP checksum in use must not become 0 ("none").
        if let (true, Some((c, _))) = (self.udp, self.checksum) {
            if read_u16(frame, c) == 0 {
                self.set(frame, c, &[0xff, 0xff], [None, None]);
            }
        }
    }

    /// Write `new` at `at`, patching the quoted checksums in `covers` and the outer
    /// ICMP checksum (for the bytes and for every quoted checksum that changed).
    fn set(&self, frame: &mut [u8], at: usize, new: &[u8], covers: [Option<usize>; 2]) {
        let mut old = [0u8; 4];
        let old = &mut old[..new.len()];
        old.copy_from_slice(&frame[at..at + new.len()]);
        frame[at..at + new.len()].copy_from_slice(new);
        patch(frame, self.outer, old, new);
        for c in covers.into_iter().flatten() {
            let before = [frame[c], frame[c + 1]];
            patch(frame, c, old, new);
            let after = [frame[c], frame[c + 1]];
            patch(frame, self.outer, &before, &after);
        }
    }
}

fn patch(frame: &mut [u8], checksum_at: usize, old: &[u8], new: &[u8]) {
    let updated = incremental_update(read_u16(frame, checksum_at), old, new);
    write_u16(frame, checksum_at, updated);
}

#[cfg(test)]
#[path = "tests/rewrite.rs"]
mod tests;
