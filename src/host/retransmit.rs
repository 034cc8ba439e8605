//! Immediate retransmission of a TCP segment lost to a smaller path MTU, as Linux
//! does it: on ICMP fragmentation-needed (or ICMPv6 packet-too-big) about one of
//! its segments, `tcp_v4_err` → `tcp_v4_mtu_reduced` lowers the MSS and
//! `tcp_simple_retransmit` re-sends at once the in-flight segments larger than it,
//! rather than waiting for the retransmission timeout. smoltcp has no PMTU
//! discovery and would wait for its RTO (the lost data is stuck until then).
//!
//! The kernel re-sends from its retransmission queue. smoltcp keeps unacknowledged
//! bytes in its send buffer but offers no way to read them back, so the host's
//! virtual NIC rebuilds the segment instead, from:
//! * the sequence number and IP length the ICMP error quotes (RFC 792: IP header
//!   plus the first 8 TCP bytes — ports and sequence number);
//! * a header template per connection: the IP header and 20-byte TCP header of the
//!   latest segment this host sent on it (current ACK number and window), copied as
//!   each segment leaves — a fixed array, no allocation per frame;
//! * the connection's payload, which is a pure function of the stream offset in
//!   this simulator: every generator and server writes [`super::tcp::PATTERN`]
//!   continued at the offset of its next byte (see `exchange::send_pattern`), so
//!   the bytes at `seq - (ISN + 1)` are known. The ISN is taken from the SYN (or
//!   SYN-ACK) as it leaves.
//!
//! The rebuilt segment goes out through the same path as smoltcp's own frames, so
//! it is re-segmented to the new path MTU. When smoltcp later acts on its own
//! timer the receiver sees a duplicate, as it would with Linux when an ACK is slow.

use super::tcp::PATTERN;
use crate::sim::BufferPool;
use crate::wire::ETHERNET_HEADER_LEN;
use smoltcp::wire::{IpAddress, Ipv4Packet, Ipv6Packet, TcpPacket, TcpSeqNumber};
use std::net::IpAddr;

/// Lost segments waiting for the next transmit, per host: more in one poll (a
/// whole window dropped) are left to smoltcp's own retransmission timer.
pub const MAX_PENDING_RETRANSMITS: usize = 64;

/// IPv6 header (the larger) + TCP header without options.
const TEMPLATE_CAPACITY: usize = 40 + 20;

/// What the NIC keeps about one TCP connection of its host to rebuild a segment.
#[derive(Debug, Clone)]
pub struct SegmentTemplate {
    /// This side's initial sequence number, once its SYN left.
    isn: Option<TcpSeqNumber>,
    /// One past the highest sequence number sent.
    snd_max: Option<TcpSeqNumber>,
    /// IP header, then 20 TCP header bytes, of the latest ACK-bearing segment.
    header: [u8; TEMPLATE_CAPACITY],
    /// IP header length in `header` (20 or 40); 0 = no template yet.
    ip_hl: u8,
}

impl Default for SegmentTemplate {
    fn default() -> Self {
        SegmentTemplate {
            isn: None,
            snd_max: None,
            header: [0; TEMPLATE_CAPACITY],
            ip_hl: 0,
        }
    }
}

impl SegmentTemplate {
    /// A segment of the connection leaves the host (`ip`: the IP packet, `ip_hl` its
    /// header length, `tcp` the TCP segment).
    #[inline]
    pub fn observe(&mut self, ip: &[u8], ip_hl: usize, tcp: &[u8]) {
        let Ok(t) = TcpPacket::new_checked(tcp) else {
            return;
        };
        let seq = t.seq_number();
        if t.syn() {
            self.isn = Some(seq);
        }
        let data = tcp.len().saturating_sub(t.header_len() as usize);
        let end = seq + data + usize::from(t.syn()) + usize::from(t.fin());
        if self.snd_max.is_none_or(|m| end > m) {
            self.snd_max = Some(end);
        }
        if t.ack() && !t.syn() && !t.rst() && ip_hl + 20 <= TEMPLATE_CAPACITY {
            self.header[..ip_hl].copy_from_slice(&ip[..ip_hl]);
            self.header[ip_hl..ip_hl + 20].copy_from_slice(&tcp[..20]);
            self.ip_hl = ip_hl as u8;
        }
    }

    /// Rebuild `lost` (14 reserved Ethernet bytes, then the IP packet) in a pool
    /// buffer; `None` when the template cannot (no SYN or ACK-bearing segment seen,
    /// or the quoted segment carries no data this side sent).
    pub fn rebuild(&self, lost: &LostSegment, pool: &mut BufferPool) -> Option<Vec<u8>> {
        let (isn, snd_max) = (self.isn?, self.snd_max?);
        let ip_hl = self.ip_hl as usize;
        if ip_hl == 0 {
            return None;
        }
        let sent_after = snd_max.0.wrapping_sub(lost.seq.0);
        if sent_after <= 0 {
            return None;
        }
        // The quote does not show the TCP header length: assume none of options
        // (smoltcp negotiates no timestamps), never beyond what was sent.
        let len = (lost.ip_len as usize)
            .checked_sub(ip_hl + 20)?
            .min(sent_after as usize);
        if len == 0 {
            return None;
        }
        // Stream offset of the first byte; the pattern's period divides 2^32, so
        // the wrap of sequence numbers does not matter.
        let offset = lost.seq.0.wrapping_sub(isn.0.wrapping_add(1)) as u32 as usize;
        let mut buf = pool.take();
        buf.resize(ETHERNET_HEADER_LEN, 0);
        buf.extend_from_slice(&self.header[..ip_hl + 20]);
        let mut k = offset % PATTERN.len();
        let mut left = len;
        while left > 0 {
            let n = left.min(PATTERN.len() - k);
            buf.extend_from_slice(&PATTERN[k..k + n]);
            left -= n;
            k = 0;
        }
        let ip = &mut buf[ETHERNET_HEADER_LEN..];
        let ip_len = ip.len();
        let (src, dst) = if ip[0] >> 4 == 4 {
            let mut p = Ipv4Packet::new_unchecked(&mut *ip);
            p.set_total_len(ip_len as u16);
            p.fill_checksum();
            (IpAddress::Ipv4(p.src_addr()), IpAddress::Ipv4(p.dst_addr()))
        } else {
            let mut p = Ipv6Packet::new_unchecked(&mut *ip);
            p.set_payload_len((ip_len - ip_hl) as u16);
            (IpAddress::Ipv6(p.src_addr()), IpAddress::Ipv6(p.dst_addr()))
        };
        let mut t = TcpPacket::new_unchecked(&mut ip[ip_hl..]);
        t.set_header_len(20);
        t.set_seq_number(lost.seq);
        t.set_syn(false);
        t.set_fin(false);
        t.set_rst(false);
        t.set_psh(true);
        t.set_ack(true);
        t.fill_checksum(&src, &dst);
        Some(buf)
    }
}

/// A TCP segment an ICMP error reports dropped for size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LostSegment {
    /// The connection as the sending host keys it: (remote, protocol, local port,
    /// remote port).
    pub key: (IpAddr, u8, u16, u16),
    pub seq: TcpSeqNumber,
    /// The dropped packet's IP length, from the quoted header.
    pub ip_len: u16,
}

/// The TCP segment quoted by an ICMP fragmentation-needed (`protocol` 1) or ICMPv6
/// packet-too-big (58) message whose ICMP bytes are `icmp`.
pub fn quoted_lost_segment(protocol: u8, icmp: &[u8]) -> Option<LostSegment> {
    let q = icmp.get(8..)?;
    let (remote, ip_len, tcp) = match (protocol, icmp.first()?, icmp.get(1)?) {
        (1, 3, 4) if q.first()? >> 4 == 4 => {
            let ihl = ((q[0] & 0x0f) as usize) * 4;
            let fragment_offset = u16::from_be_bytes([*q.get(6)?, *q.get(7)?]) & 0x1fff;
            if *q.get(9)? != 6 || fragment_offset != 0 {
                return None;
            }
            let dst: [u8; 4] = q.get(16..20)?.try_into().ok()?;
            let ip_len = u16::from_be_bytes([q[2], q[3]]);
            (IpAddr::from(dst), ip_len, q.get(ihl..ihl + 8)?)
        }
        (58, 2, _) if q.first()? >> 4 == 6 => {
            if *q.get(6)? != 6 {
                return None;
            }
            let dst: [u8; 16] = q.get(24..40)?.try_into().ok()?;
            let payload = u16::from_be_bytes([q[4], q[5]]);
            (
                IpAddr::from(dst),
                payload.saturating_add(40),
                q.get(40..48)?,
            )
        }
        _ => return None,
    };
    let port = |i: usize| u16::from_be_bytes([tcp[i], tcp[i + 1]]);
    Some(LostSegment {
        key: (remote, 6, port(0), port(2)),
        seq: TcpSeqNumber(i32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]])),
        ip_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::test_segments::{ipv4_tcp, Segment, A, B};
    use smoltcp::wire::{IpProtocol, TcpControl, TcpSeqNumber};
    const ISN: i32 = -5; // wraps through zero on the way

    /// An IPv4 packet: the segment at stream `offset` with `len` pattern bytes.
    fn segment(control: TcpControl, offset: usize, len: usize, ack: Option<i32>) -> Vec<u8> {
        let payload: Vec<u8> = (offset..offset + len)
            .map(|k| PATTERN[k % PATTERN.len()])
            .collect();
        let seq = if control == TcpControl::Syn {
            TcpSeqNumber(ISN)
        } else {
            TcpSeqNumber(ISN) + 1 + offset
        };
        ipv4_tcp(
            0,
            &Segment {
                control,
                seq,
                ack: ack.map(TcpSeqNumber),
                window: 512,
                payload: &payload,
            },
        )
    }

    fn observe(t: &mut SegmentTemplate, ip: &[u8]) {
        t.observe(ip, 20, &ip[20..]);
    }

    /// ICMP fragmentation needed quoting `ip` (header + 8 bytes), as ICMP bytes.
    fn frag_needed(ip: &[u8], mtu: u16) -> Vec<u8> {
        let mut icmp = vec![3u8, 4, 0, 0, 0, 0];
        icmp.extend_from_slice(&mtu.to_be_bytes());
        icmp.extend_from_slice(&ip[..28]);
        icmp
    }

    #[test]
    fn a_quoted_segment_is_rebuilt_byte_for_byte() {
        let mut t = SegmentTemplate::default();
        observe(&mut t, &segment(TcpControl::Syn, 0, 0, None));
        let lost = segment(TcpControl::Psh, 5000, 3000, Some(77));
        observe(&mut t, &lost);
        observe(&mut t, &segment(TcpControl::None, 8000, 1000, Some(99)));
        let q = quoted_lost_segment(1, &frag_needed(&lost, 1500)).expect("quoted TCP");
        assert_eq!(q.key, (IpAddr::V4(B), 6, 40000, 5001));
        assert_eq!(q.ip_len as usize, lost.len());
        let mut pool = BufferPool::default();
        let f = t.rebuild(&q, &mut pool).expect("rebuilt");
        let ip = Ipv4Packet::new_checked(&f[ETHERNET_HEADER_LEN..]).expect("IPv4");
        assert!(ip.verify_checksum());
        let tcp = TcpPacket::new_checked(ip.payload()).expect("TCP");
        assert!(tcp.verify_checksum(&IpAddress::Ipv4(A), &IpAddress::Ipv4(B)));
        let orig = TcpPacket::new_checked(&lost[20..]).expect("TCP");
        assert_eq!(tcp.seq_number(), orig.seq_number());
        assert_eq!(tcp.payload(), orig.payload());
        // The latest ACK number, not the one of the lost segment.
        assert_eq!(tcp.ack_number(), TcpSeqNumber(99));
        assert!(tcp.ack() && !tcp.syn() && !tcp.fin());
    }

    #[test]
    fn an_ipv6_segment_quoted_by_packet_too_big_is_rebuilt() {
        use smoltcp::wire::Ipv6Repr;
        use std::net::Ipv6Addr;
        let (a6, b6) = (
            "2600:1f18::10".parse::<Ipv6Addr>().expect("v6"),
            "2600:1f18::20".parse::<Ipv6Addr>().expect("v6"),
        );
        // The IPv4 segments, re-wrapped in IPv6 headers.
        let v6 = |v4: &[u8]| -> Vec<u8> {
            let tcp = &v4[20..];
            let ip = Ipv6Repr {
                src_addr: a6,
                dst_addr: b6,
                next_header: IpProtocol::Tcp,
                payload_len: tcp.len(),
                hop_limit: 64,
            };
            let mut buf = vec![0u8; 40 + tcp.len()];
            ip.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
            buf[40..].copy_from_slice(tcp);
            let (s, d) = (IpAddress::Ipv6(a6), IpAddress::Ipv6(b6));
            TcpPacket::new_unchecked(&mut buf[40..]).fill_checksum(&s, &d);
            buf
        };
        let mut t = SegmentTemplate::default();
        let syn = v6(&segment(TcpControl::Syn, 0, 0, None));
        t.observe(&syn, 40, &syn[40..]);
        let lost = v6(&segment(TcpControl::None, 100, 2000, Some(5)));
        t.observe(&lost, 40, &lost[40..]);
        // ICMPv6 packet too big (type 2), MTU 1280, quoting as much as fits.
        let mut icmp = vec![2u8, 0, 0, 0, 0, 0, 0x05, 0x00];
        icmp.extend_from_slice(&lost[..1232]);
        let q = quoted_lost_segment(58, &icmp).expect("quoted TCP");
        assert_eq!(q.key, (IpAddr::V6(b6), 6, 40000, 5001));
        assert_eq!(q.ip_len as usize, lost.len());
        let f = t.rebuild(&q, &mut BufferPool::default()).expect("rebuilt");
        let ip = Ipv6Packet::new_checked(&f[ETHERNET_HEADER_LEN..]).expect("IPv6");
        assert_eq!(ip.payload_len() as usize, lost.len() - 40);
        let tcp = TcpPacket::new_checked(ip.payload()).expect("TCP");
        assert!(tcp.verify_checksum(&IpAddress::Ipv6(a6), &IpAddress::Ipv6(b6)));
        assert_eq!(tcp.payload(), &lost[60..]);
    }

    #[test]
    fn nothing_is_rebuilt_without_a_syn_or_beyond_what_was_sent() {
        let lost = segment(TcpControl::None, 0, 1000, Some(1));
        let q = quoted_lost_segment(1, &frag_needed(&lost, 576)).expect("quoted");
        let mut pool = BufferPool::default();
        let mut t = SegmentTemplate::default();
        observe(&mut t, &lost);
        assert!(t.rebuild(&q, &mut pool).is_none(), "no ISN known");
        let mut t = SegmentTemplate::default();
        observe(&mut t, &segment(TcpControl::Syn, 0, 0, None));
        observe(&mut t, &segment(TcpControl::None, 0, 0, Some(1)));
        // Only the SYN and a bare ACK left: the quoted data was never sent.
        assert!(t.rebuild(&q, &mut pool).is_none());
        observe(&mut t, &lost);
        assert!(t.rebuild(&q, &mut pool).is_some());
        // Not ICMP fragmentation needed, or not TCP inside: nothing.
        let mut other = frag_needed(&lost, 576);
        other[1] = 1;
        assert!(quoted_lost_segment(1, &other).is_none());
        assert!(quoted_lost_segment(6, &frag_needed(&lost, 576)).is_none());
    }
}
