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
//!   fit the path, and smoltcp's retransmissions are re-split too. The cache itself
//!   (with Linux's 600 s expiry) is `super::pmtu`; the immediate re-send of the
//!   segment an ICMP reports lost (Linux's `tcp_simple_retransmit`) is
//!   `super::retransmit`.

use crate::model::proto;
use crate::sim::BufferPool;
use crate::wire::ETHERNET_HEADER_LEN;
use smoltcp::wire::{IpAddress, Ipv4Packet, Ipv6Packet, TcpPacket};
use std::net::{IpAddr, Ipv4Addr};

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
    let ipv6 = frame[ETHERNET_HEADER_LEN] >> 4 == 6;
    frame[..ETHERNET_HEADER_LEN].copy_from_slice(&ethernet_header(src, dst, ipv6));
}

/// The Ethernet header [`write_ethernet`] writes in front of an IPv6 (`ipv6`)
/// or IPv4 packet (any other version nibble), for a frame built with it in
/// place (`UdpClient::next_direct`).
#[inline]
pub fn ethernet_header(src: [u8; 6], dst: [u8; 6], ipv6: bool) -> [u8; ETHERNET_HEADER_LEN] {
    let ethertype = if ipv6 { ETHERTYPE_IPV6 } else { ETHERTYPE_IPV4 };
    let mut h = [0u8; ETHERNET_HEADER_LEN];
    h[0..6].copy_from_slice(&dst);
    h[6..12].copy_from_slice(&src);
    h[12..14].copy_from_slice(&ethertype);
    h
}

/// The transport identity of an IP packet, seen from the host that sends it
/// (`outbound`) or receives it: (remote address, protocol, local port, remote port).
/// ICMP echo uses the identifier as both ports. Fragments other than the first have
/// no ports and give `None`.
pub fn endpoint_key(ip: &[u8], outbound: bool) -> Option<(IpAddr, u8, u16, u16)> {
    endpoint_key_of(split_ip(ip)?, outbound)
}

/// [`endpoint_key`] of a packet already split by [`split_ip`].
pub fn endpoint_key_of(
    (src, dst, protocol, l4): (IpAddr, IpAddr, u8, &[u8]),
    outbound: bool,
) -> Option<(IpAddr, u8, u16, u16)> {
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

/// Number an IPv4 packet (not a fragment smoltcp made itself, which keeps
/// smoltcp's identification) and clear DF when asked; fills the header checksum,
/// fragments' too: smoltcp leaves it to this function (see
/// [`super::VirtualDevice`]'s checksum capabilities). IPv6 packets are left alone.
pub fn fix_ipv4_header(ip: &mut [u8], ident: u16, clear_df: bool) {
    if ip.first().map(|b| b >> 4) != Some(4) {
        return;
    }
    let Ok(mut p) = Ipv4Packet::new_checked(&mut *ip) else {
        return;
    };
    if p.more_frags() || p.frag_offset() != 0 {
        p.fill_checksum();
        return;
    }
    number_plain_ipv4(ip, ident, clear_df);
}

/// The common outgoing packet, read in one look at its header: an unfragmented
/// IPv4 packet with a 20-byte header carrying UDP or ICMP with a full 8-byte
/// transport header. `None` for anything else (TCP, IPv6, options, fragments,
/// malformed), which takes the general path ([`split_ip`], [`fix_ipv4_header`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlainIpv4 {
    pub dst: Ipv4Addr,
    pub protocol: u8,
    /// UDP source port or ICMP echo identifier (as in [`endpoint_key_of`]).
    pub local_port: u16,
    /// An ICMP echo reply (type 0): Linux sends those with DF clear.
    pub echo_reply: bool,
}

/// An unfragmented IPv4 packet with a 20-byte header (no options): what
/// [`plain_ipv4`] and [`plain_ipv4_udp`] read in one look. Returns the header,
/// the protocol and the transport bytes (up to the total length). Read from the
/// bytes directly: the same checks as smoltcp's `Ipv4Packet::new_checked` (length
/// at least the header, total length between header and buffer), without its
/// wrappers (this runs twice per frame, at the sender and the receiver).
#[inline]
fn plain_header(ip: &[u8]) -> Option<(&[u8; 20], u8, &[u8])> {
    let h = ip.first_chunk::<20>()?;
    // Version 4, IHL 5; MF clear and fragment offset 0 (DF may be set).
    if h[0] != 0x45 || h[6] & 0x3f != 0 || h[7] != 0 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let l4 = ip.get(20..total)?;
    Some((h, h[9], l4))
}

/// See [`PlainIpv4`].
#[inline]
pub fn plain_ipv4(ip: &[u8]) -> Option<PlainIpv4> {
    let (h, protocol, l4) = plain_header(ip)?;
    let l4 = l4.get(..8)?;
    let (local_port, echo_reply) = match protocol {
        proto::UDP => (u16::from_be_bytes([l4[0], l4[1]]), false),
        proto::ICMP => (u16::from_be_bytes([l4[4], l4[5]]), l4[0] == 0),
        _ => return None,
    };
    Some(PlainIpv4 {
        dst: Ipv4Addr::new(h[16], h[17], h[18], h[19]),
        protocol,
        local_port,
        echo_reply,
    })
}

/// The UDP bytes (header and payload) of an unfragmented IPv4 packet with a 20-byte
/// header carrying a UDP datagram with a full header: the common received packet,
/// recognised in one look (`None` for anything else, which [`split_ip`] handles).
#[inline]
pub fn plain_ipv4_udp(ip: &[u8]) -> Option<&[u8]> {
    let (_, protocol, l4) = plain_header(ip)?;
    (protocol == proto::UDP && l4.len() >= 8).then_some(l4)
}

/// [`fix_ipv4_header`] for a packet [`plain_ipv4`] accepted (so without its checks).
#[inline]
pub fn number_plain_ipv4(ip: &mut [u8], ident: u16, clear_df: bool) {
    let mut p = Ipv4Packet::new_unchecked(&mut *ip);
    p.set_ident(ident);
    if clear_df {
        p.set_dont_frag(false);
    }
    fill_header_checksum(ip);
}

/// Fill an IPv4 header's checksum: the common 20-byte header (no options) by
/// [`crate::wire::ipv4_header20_sum`] (it runs for every packet a host sends),
/// others by smoltcp's `fill_checksum`.
#[inline]
pub fn fill_header_checksum(ip: &mut [u8]) {
    match ip.first_chunk_mut::<20>() {
        Some(h) if h[0] & 0x0f == 5 => {
            h[10] = 0;
            h[11] = 0;
            let checksum = !crate::wire::ipv4_header20_sum(h);
            h[10..12].copy_from_slice(&checksum.to_ne_bytes());
        }
        _ => Ipv4Packet::new_unchecked(ip).fill_checksum(),
    }
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
    packet_too_big_l4(protocol, l4)
}

/// [`packet_too_big`] on a packet already split by [`split_ip`].
pub fn packet_too_big_l4(protocol: u8, l4: &[u8]) -> Option<(IpAddr, u16)> {
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

/// The hop limit smoltcp's UDP and ICMP sockets send with when none is set
/// (peeremu sets none): `udp::Socket::dispatch`'s `hop_limit.unwrap_or(64)`.
pub const SMOLTCP_HOP_LIMIT: u8 = 64;

/// The IPv4 header smoltcp's `Ipv4Repr::emit` writes for a packet the host
/// sends (no DSCP/ECN, identification 0, DF set, checksum 0: the host numbers
/// it and fills the checksum, see `device`), for the frames built without
/// smoltcp (UDP datagrams and echo requests).
#[inline]
pub fn smoltcp_ipv4_header(src: [u8; 4], dst: [u8; 4], protocol: u8, payload: usize) -> [u8; 20] {
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((20 + payload) as u16).to_be_bytes());
    ip[6] = 0x40;
    ip[8] = SMOLTCP_HOP_LIMIT;
    ip[9] = protocol;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    ip
}

/// The IPv6 header smoltcp's `Ipv6Repr::emit` writes (traffic class and flow
/// label 0), as [`smoltcp_ipv4_header`] for IPv4.
#[inline]
pub fn smoltcp_ipv6_header(
    src: [u8; 16],
    dst: [u8; 16],
    next_header: u8,
    payload: usize,
) -> [u8; 40] {
    let mut ip = [0u8; 40];
    ip[0] = 0x60;
    ip[4..6].copy_from_slice(&(payload as u16).to_be_bytes());
    ip[6] = next_header;
    ip[7] = SMOLTCP_HOP_LIMIT;
    ip[8..24].copy_from_slice(&src);
    ip[24..40].copy_from_slice(&dst);
    ip
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::test_segments::{ipv4_tcp, Segment, A, B};
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{IpProtocol, Ipv4Repr, TcpControl, TcpSeqNumber};
    use std::net::Ipv4Addr;

    #[test]
    fn header_checksum_matches_smoltcp_on_every_header() {
        let mut rng = crate::rng::SplitMix64::new(11);
        for i in 0..2000 {
            let mut a = [0u8; 24];
            for b in a.iter_mut() {
                *b = rng.next_u64() as u8;
            }
            // 20-byte headers mostly, some with 4 bytes of options (smoltcp's path).
            a[0] = if i % 5 == 0 { 0x46 } else { 0x45 };
            let mut b = a;
            fill_header_checksum(&mut a);
            Ipv4Packet::new_unchecked(&mut b[..]).fill_checksum();
            assert_eq!(a, b, "header {i}");
            assert!(Ipv4Packet::new_unchecked(&a[..]).verify_checksum());
        }
    }

    /// A frame (14 reserved bytes + IPv4 + TCP) with `len` payload bytes and FIN+PSH.
    fn tcp_frame(len: usize) -> Vec<u8> {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut buf = ipv4_tcp(
            ETHERNET_HEADER_LEN,
            &Segment {
                control: TcpControl::Fin,
                seq: TcpSeqNumber(1000),
                ack: Some(TcpSeqNumber(1)),
                window: 1024,
                payload: &payload,
            },
        );
        let mut t = TcpPacket::new_unchecked(&mut buf[ETHERNET_HEADER_LEN + 20..]);
        t.set_psh(true);
        t.fill_checksum(&IpAddress::Ipv4(A), &IpAddress::Ipv4(B));
        buf
    }

    #[test]
    fn resegmented_pieces_fit_and_verify() {
        let mut pool = BufferPool::default();
        let mut out = Vec::new();
        let mut ident = 7u16;
        assert!(resegment_tcp(tcp_frame(4000), 1500, &mut ident, &mut pool, &mut out).is_ok());
        assert_eq!(out.len(), 3);
        assert_eq!(ident, 10);
        let mut seq = 1000;
        let mut total = 0;
        for (i, f) in out.iter().enumerate() {
            let ip = Ipv4Packet::new_checked(&f[ETHERNET_HEADER_LEN..]).expect("valid IPv4");
            assert!(ip.verify_checksum());
            assert!(ip.total_len() <= 1500);
            let tcp = TcpPacket::new_checked(ip.payload()).expect("valid TCP");
            assert!(tcp.verify_checksum(&IpAddress::Ipv4(A), &IpAddress::Ipv4(B)));
            assert_eq!(tcp.seq_number(), TcpSeqNumber(seq));
            let last = i == out.len() - 1;
            assert_eq!(tcp.fin(), last);
            assert_eq!(tcp.psh(), last);
            seq += tcp.payload().len() as i32;
            total += tcp.payload().len();
        }
        assert_eq!(total, 4000);
    }

    #[test]
    fn small_segments_are_left_alone() {
        let mut pool = BufferPool::default();
        let mut out = Vec::new();
        let mut ident = 0;
        let f = tcp_frame(100);
        assert_eq!(
            resegment_tcp(f.clone(), 1500, &mut ident, &mut pool, &mut out),
            Err(f)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn ipv4_header_gets_an_ident_and_df_cleared_on_request() {
        let mut f = tcp_frame(10);
        fix_ipv4_header(&mut f[ETHERNET_HEADER_LEN..], 42, true);
        let ip = Ipv4Packet::new_checked(&f[ETHERNET_HEADER_LEN..]).expect("valid");
        assert_eq!(ip.ident(), 42);
        assert!(!ip.dont_frag());
        assert!(ip.verify_checksum());
    }

    #[test]
    fn frag_needed_is_recognised_and_clamped() {
        let inner = tcp_frame(10);
        let mut icmp = vec![3u8, 4, 0, 0, 0, 0, 0x02, 0x00]; // next-hop MTU 512
        icmp.extend_from_slice(&inner[ETHERNET_HEADER_LEN..ETHERNET_HEADER_LEN + 28]);
        let ip = Ipv4Repr {
            src_addr: Ipv4Addr::new(169, 254, 0, 1),
            dst_addr: A,
            next_header: IpProtocol::Icmp,
            payload_len: icmp.len(),
            hop_limit: 64,
        };
        let mut frame = vec![0u8; ETHERNET_HEADER_LEN + 20 + icmp.len()];
        let mut p = Ipv4Packet::new_unchecked(&mut frame[ETHERNET_HEADER_LEN..]);
        ip.emit(&mut p, &ChecksumCapabilities::default());
        p.payload_mut().copy_from_slice(&icmp);
        assert_eq!(packet_too_big(&frame), Some((IpAddr::V4(B), MIN_PMTU_V4)));
        assert_eq!(packet_too_big(&inner), None);
    }

    #[test]
    fn endpoint_keys_by_direction() {
        let f = tcp_frame(0);
        let ip = &f[ETHERNET_HEADER_LEN..];
        assert_eq!(
            endpoint_key(ip, true),
            Some((IpAddr::V4(B), 6, 40000, 5001))
        );
        assert_eq!(
            endpoint_key(ip, false),
            Some((IpAddr::V4(A), 6, 5001, 40000))
        );
        assert_eq!(endpoint_key(&ip[..10], true), None);
    }
}
