//! ICMP errors a router sends back for a packet too big for the next link:
//! "fragmentation needed" (RFC 792, RFC 1191) and ICMPv6 Packet Too Big (RFC 4443).
//! Built by etherparse's `PacketBuilder`, which fills lengths and checksums.
//!
//! An `Err` from these functions means "send nothing": either the frame is malformed
//! or the RFCs forbid an error about it (RFC 1812 §4.3.2.7, RFC 4443 §2.4(e)). The
//! original frame is dropped as `MTU_EXCEEDED` either way; only a parse failure of the
//! original frame (see [`super::parse_frame`]) makes it `MALFORMED`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::icmpv4::DestUnreachableHeader;
use etherparse::{Icmpv4Type, Icmpv6Type, PacketBuilder};

use super::parse::{ethertype, ipv4_of_frame, ETHERTYPE_IPV6};
use super::{ip_packet, parse_frame, FragmentKind, Malformed};

/// TTL / hop limit of the errors the router originates (Linux's default).
const ERROR_TTL: u8 = 64;
/// IPv4 errors quote the original IP header plus this many payload bytes (RFC 792).
const IPV4_QUOTE_PAYLOAD: usize = 8;
/// RFC 4443 §2.4(c): an ICMPv6 error must not exceed the IPv6 minimum MTU.
const IPV6_MIN_MTU: usize = 1280;
/// IPv6 header (40) + ICMPv6 Packet Too Big header (8).
const IPV6_PTB_OVERHEAD: usize = 48;

/// The ICMP "destination unreachable, fragmentation needed" (type 3 code 4) frame a
/// router at `router_ip` sends back for the too-big IPv4 `frame`: next-hop MTU set,
/// quoting the original IP header + 8 bytes, MACs swapped.
///
/// Source `router_ip`, destination the original source, TTL 64. `Err` (send nothing)
/// also when RFC 1812 §4.3.2.7 forbids the error: the original is an ICMP error
/// message, a non-first fragment, or comes from an address that cannot be answered
/// (unspecified, broadcast, multicast, loopback) or went to a broadcast/multicast one.
pub fn icmpv4_frag_needed(
    frame: &[u8],
    router_ip: Ipv4Addr,
    next_hop_mtu: u16,
) -> Result<Vec<u8>, Malformed> {
    let key = parse_frame(frame)?;
    let (view, packet) = ipv4_of_frame(frame)?;
    let (src, dst) = (view.header.source_addr(), view.header.destination_addr());
    if key.fragment == FragmentKind::NonFirst {
        return Err(Malformed("no ICMP error about a non-first fragment"));
    }
    if key.protocol == etherparse::ip_number::ICMP.0 && is_icmpv4_error(key.icmp_type) {
        return Err(Malformed("no ICMP error about an ICMP error"));
    }
    if src.is_unspecified() || src.is_broadcast() || src.is_multicast() || src.is_loopback() {
        return Err(Malformed("no ICMP error to an invalid source address"));
    }
    if dst.is_broadcast() || dst.is_multicast() {
        return Err(Malformed(
            "no ICMP error about a broadcast or multicast packet",
        ));
    }
    let quote_len = view.header_len + (view.total_len - view.header_len).min(IPV4_QUOTE_PAYLOAD);
    let quote = &packet[..quote_len];
    let (orig_src_mac, orig_dst_mac) = macs(frame);
    let icmp_type =
        Icmpv4Type::DestinationUnreachable(DestUnreachableHeader::FragmentationNeeded {
            next_hop_mtu,
        });
    let builder = PacketBuilder::ethernet2(orig_dst_mac, orig_src_mac)
        .ipv4(router_ip.octets(), src.octets(), ERROR_TTL)
        .icmpv4(icmp_type);
    let mut out = Vec::with_capacity(builder.size(quote.len()));
    builder
        .write(&mut out, quote)
        .map_err(|_| Malformed("could not build the ICMP error"))?;
    Ok(out)
}

/// The ICMPv6 Packet Too Big (type 2) frame for the too-big IPv6 `frame`, quoting as
/// much of it as fits in 1280 bytes, MACs swapped.
///
/// Source `router_ip`, destination the original source, hop limit 64, `mtu` in the MTU
/// field. `Err` (send nothing) when RFC 4443 §2.4(e) forbids the error: the original
/// is an ICMPv6 error message (type < 128), or its source is unspecified or multicast.
/// Unlike other errors, Packet Too Big *is* sent for multicast destinations.
pub fn icmpv6_packet_too_big(
    frame: &[u8],
    router_ip: Ipv6Addr,
    mtu: u32,
) -> Result<Vec<u8>, Malformed> {
    if ethertype(frame)? != ETHERTYPE_IPV6 {
        return Err(Malformed("not an IPv6 frame"));
    }
    let key = parse_frame(frame)?;
    let IpAddr::V6(src) = key.src else {
        return Err(Malformed("not an IPv6 frame"));
    };
    let is_icmpv6 = key.protocol == etherparse::ip_number::IPV6_ICMP.0;
    if is_icmpv6 && key.fragment != FragmentKind::NonFirst && key.icmp_type < 128 {
        return Err(Malformed("no ICMPv6 error about an ICMPv6 error"));
    }
    if src.is_unspecified() || src.is_multicast() {
        return Err(Malformed("no ICMPv6 error to an invalid source address"));
    }
    let packet = ip_packet(frame)?;
    let quote = &packet[..packet.len().min(IPV6_MIN_MTU - IPV6_PTB_OVERHEAD)];
    let (orig_src_mac, orig_dst_mac) = macs(frame);
    let builder = PacketBuilder::ethernet2(orig_dst_mac, orig_src_mac)
        .ipv6(router_ip.octets(), src.octets(), ERROR_TTL)
        .icmpv6(Icmpv6Type::PacketTooBig { mtu });
    let mut out = Vec::with_capacity(builder.size(quote.len()));
    builder
        .write(&mut out, quote)
        .map_err(|_| Malformed("could not build the ICMPv6 error"))?;
    Ok(out)
}

/// ICMP error message types (RFC 1812 §4.3.2.7 lists what counts as an error):
/// destination unreachable, source quench, redirect, time exceeded, parameter problem.
pub(super) fn is_icmpv4_error(icmp_type: u8) -> bool {
    matches!(icmp_type, 3 | 4 | 5 | 11 | 12)
}

/// (source MAC, destination MAC) of a frame already checked to hold an Ethernet header.
pub(super) fn macs(frame: &[u8]) -> ([u8; 6], [u8; 6]) {
    let mut dst = [0u8; 6];
    let mut src = [0u8; 6];
    dst.copy_from_slice(&frame[0..6]);
    src.copy_from_slice(&frame[6..12]);
    (src, dst)
}

#[cfg(test)]
#[path = "tests/icmp_error.rs"]
mod tests;
