//! Byte-level work the host does around smoltcp, on smoltcp's zero-copy `wire`
//! views: what smoltcp cannot do itself.
//!
//! * IPv4 identification and DF: smoltcp sends every unfragmented IPv4 packet with
//!   DF set and identification 0. Linux numbers packets and clears DF where the
//!   socket asked for it (and on ICMP echo replies, whose kernel socket uses
//!   `IP_PMTUDISC_DONT`). [`fix_ipv4_header`] does that.
//! * Path MTU: smoltcp has no PMTU discovery and fixes its MSS from the device MTU at
//!   connect time. The host keeps a Linux-like per-destination PMTU cache fed by
//!   ICMP "fragmentation needed"/"packet too big" ([`packet_too_big`]) and splits
//!   TCP segments larger than the path MTU on the virtual NIC ([`resegment_tcp`]), the
//!   way TCP segmentation offload does on a real NIC: the receiver sees segments that
//!   fit the path, and smoltcp's retransmissions are re-split too.

use crate::model::proto;
use crate::sim::BufferPool;
use crate::wire::ETHERNET_HEADER_LEN;
use smoltcp::wire::{IpAddress, Ipv4Packet, Ipv6Packet, TcpPacket};
use std::net::IpAddr;

const ETHERTYPE_IPV4: [u8; 2] = [0x08, 0x00];
const ETHERTYPE_IPV6: [u8; 2] = [0x86, 0xdd];
/// Linux `min_pmtu`: ICMP advertising less is clamped to this (IPv4).
pub const MIN_PMTU_V4: u16 = 552;
/// IPv6 minimum link MTU.
pub const MIN_PMTU_V6: u16 = 1280;

/// Write the Ethernet header in the 14 bytes reserved at the front of `frame`.
pub fn write_ethernet(frame: &mut [u8], src: [u8; 6], dst: [u8; 6]) {
    if frame.len() <= ETHERNET_HEADER_LEN {
        return;
    }
    let ethertype = if frame[ETHERNET_HEADER_LEN] >> 4 == 6 {
        ETHERTYPE_IPV6
    } else {
        ETHERTYPE_IPV4
    };
    frame[0..6].copy_from_slice(&dst);
    frame[6..12].copy_from_slice(&src);
    frame[12..14].copy_from_slice(&ethertype);
}

/// The transport identity of an IP packet, seen from the host that sends it
/// (`outbound`) or receives it: (remote address, protocol, local port, remote port).
/// ICMP echo uses the identifier as both ports. Fragments other than the first have
/// no ports and give `None`.
pub fn endpoint_key(ip: &[u8], outbound: bool) -> Option<(IpAddr, u8, u16, u16)> {
    let (src, dst, protocol, l4) = split_ip(ip)?;
    let (sport, dport) = match protocol {
        proto::TCP | proto::UDP => {
            let p = l4.get(..4)?;
            (
                u16::from_be_bytes([p[0], p[1]]),
                u16::from_be_bytes([p[2], p[3]]),
            )
        }
        proto::ICMP | proto::ICMPV6 => {
            let id = l4.get(4..6)?;
            let id = u16::from_be_bytes([id[0], id[1]]);
            (id, id)
        }
        _ => return None,
    };
    Some(if outbound {
        (dst, protocol, sport, dport)
    } else {
        (src, protocol, dport, sport)
    })
}

/// Source, destination, upper protocol and transport bytes of an unfragmented (or
/// first-fragment) IPv4 packet or an IPv6 packet without extension headers.
pub fn split_ip(ip: &[u8]) -> Option<(IpAddr, IpAddr, u8, &[u8])> {
    match ip.first()? >> 4 {
        4 => {
            let p = Ipv4Packet::new_checked(ip).ok()?;
            if p.frag_offset() != 0 {
                return None;
            }
            let hl = p.header_len() as usize;
            let total = (p.total_len() as usize).min(ip.len());
            Some((
                IpAddr::V4(p.src_addr()),
                IpAddr::V4(p.dst_addr()),
                u8::from(p.next_header()),
                ip.get(hl..total)?,
            ))
        }
        6 => {
            let p = Ipv6Packet::new_checked(ip).ok()?;
            let end = (40 + p.payload_len() as usize).min(ip.len());
            Some((
                IpAddr::V6(p.src_addr()),
                IpAddr::V6(p.dst_addr()),
                u8::from(p.next_header()),
                ip.get(40..end)?,
            ))
        }
        _ => None,
    }
}

/// Number an IPv4 packet (not a fragment smoltcp made itself) and clear DF when
/// asked; refreshes the header checksum. IPv6 packets are left alone.
pub fn fix_ipv4_header(ip: &mut [u8], ident: u16, clear_df: bool) {
    if ip.first().map(|b| b >> 4) != Some(4) {
        return;
    }
    let Ok(mut p) = Ipv4Packet::new_checked(&mut *ip) else {
        return;
    };
    if p.more_frags() || p.frag_offset() != 0 {
        return;
    }
    p.set_ident(ident);
    if clear_df {
        p.set_dont_frag(false);
    }
    p.fill_checksum();
}

/// Whether this IPv4 packet is an ICMP echo reply (Linux sends those with DF clear).
pub fn is_icmpv4_echo_reply(ip: &[u8]) -> bool {
    matches!(split_ip(ip), Some((_, _, proto::ICMP, l4)) if l4.first() == Some(&0))
}

/// An ICMP fragmentation-needed (type 3 code 4) or ICMPv6 packet-too-big message in
/// `frame` (Ethernet): the destination whose path it concerns and the MTU it
/// advertises (clamped like Linux).
pub fn packet_too_big(frame: &[u8]) -> Option<(IpAddr, u16)> {
    let (_, _, protocol, l4) = split_ip(frame.get(ETHERNET_HEADER_LEN..)?)?;
    match protocol {
        proto::ICMP if l4.len() >= 8 + 20 && l4[0] == 3 && l4[1] == 4 => {
            let mtu = u16::from_be_bytes([l4[6], l4[7]]);
            let quoted = Ipv4Packet::new_unchecked(&l4[8..]);
            Some((IpAddr::V4(quoted.dst_addr()), mtu.max(MIN_PMTU_V4)))
        }
        proto::ICMPV6 if l4.len() >= 8 + 40 && l4[0] == 2 => {
            let mtu = u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]]);
            let quoted = Ipv6Packet::new_unchecked(&l4[8..]);
            let mtu = mtu.clamp(MIN_PMTU_V6 as u32, u16::MAX as u32) as u16;
            Some((IpAddr::V6(quoted.dst_addr()), mtu))
        }
        _ => None,
    }
}

/// If the TCP segment in `frame` (14 reserved bytes + IP) is larger than `pmtu`,
/// split it into segments that fit, pushing them to `out` (each with 14 reserved
/// bytes) and returning `true`; `frame` is then consumed into the pool. Sequence
/// numbers advance per piece; FIN and PSH stay on the last piece only; lengths and
/// checksums are recomputed; IPv4 pieces get consecutive identifications.
pub fn resegment_tcp(
    frame: Vec<u8>,
    pmtu: u16,
    next_ident: &mut u16,
    pool: &mut BufferPool,
    out: &mut Vec<Vec<u8>>,
) -> Result<(), Vec<u8>> {
    let ip = match frame.get(ETHERNET_HEADER_LEN..) {
        Some(ip) if ip.len() > pmtu as usize => ip,
        _ => return Err(frame),
    };
    let Some((src, dst, proto::TCP, l4)) = split_ip(ip) else {
        return Err(frame);
    };
    let ip_hl = ip.len() - l4.len();
    let tcp_hl = ((l4.get(12).copied().unwrap_or(0) >> 4) as usize) * 4;
    if tcp_hl < 20 || tcp_hl > l4.len() {
        return Err(frame);
    }
    let payload = &l4[tcp_hl..];
    let room = (pmtu as usize).saturating_sub(ip_hl + tcp_hl);
    if room < 8 || payload.len() <= room {
        return Err(frame);
    }
    let header = &frame[..ETHERNET_HEADER_LEN + ip_hl + tcp_hl];
    let chunks = payload.len().div_ceil(room);
    for (i, chunk) in payload.chunks(room).enumerate() {
        let mut buf = pool.take();
        buf.extend_from_slice(header);
        buf.extend_from_slice(chunk);
        let ip = &mut buf[ETHERNET_HEADER_LEN..];
        let ip_len = ip.len();
        // The headers were validated above; lengths still describe the original
        // packet, so the unchecked views are the right ones here.
        if src.is_ipv4() {
            let mut p = Ipv4Packet::new_unchecked(&mut *ip);
            p.set_total_len(ip_len as u16);
            p.set_ident(*next_ident);
            *next_ident = next_ident.wrapping_add(1);
            p.fill_checksum();
        } else {
            Ipv6Packet::new_unchecked(&mut *ip).set_payload_len((ip_len - ip_hl) as u16);
        }
        let mut tcp = TcpPacket::new_unchecked(&mut ip[ip_hl..]);
        tcp.set_seq_number(tcp.seq_number() + i * room);
        if i + 1 < chunks {
            // FIN and PSH belong to the last byte only.
            tcp.set_fin(false);
            tcp.set_psh(false);
        }
        tcp.fill_checksum(&to_smol(src), &to_smol(dst));
        out.push(buf);
    }
    pool.give(frame);
    Ok(())
}

fn to_smol(ip: IpAddr) -> IpAddress {
    match ip {
        IpAddr::V4(a) => IpAddress::Ipv4(a),
        IpAddr::V6(a) => IpAddress::Ipv6(a),
    }
}
