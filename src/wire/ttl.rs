//! What a forwarding instance's kernel does to the IP header it passes on: the
//! TTL (IPv4) or hop limit (IPv6) goes down by one, and a packet that arrives
//! with 1 (or 0) is not forwarded but answered with ICMP "time exceeded"
//! (RFC 1812 §5.3.1, RFC 4443 §3.3; Linux `ip_forward`). The VPC router itself
//! never touches the TTL.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{Icmpv4Type, Icmpv6Type, PacketBuilder};

use super::checksum::incremental_update;
use super::icmp_error::{is_icmpv4_error, macs};
use super::parse::{ethertype, ipv4_of_frame, ETHERTYPE_IPV6};
use super::{ip_packet, parse_frame, FragmentKind, Malformed, ETHERNET_HEADER_LEN as E};

/// TTL / hop limit of the errors a Linux instance originates.
const ERROR_TTL: u8 = 64;
/// IPv4 errors quote the original IP header plus this many payload bytes (RFC 792).
const IPV4_QUOTE_PAYLOAD: usize = 8;
/// RFC 4443 §2.4(c): an ICMPv6 error fits in the IPv6 minimum MTU (1280)
/// with its own headers (40 + 8).
const IPV6_QUOTE_MAX: usize = 1280 - 48;

/// The frame's TTL (IPv4) or hop limit (IPv6).
pub fn ttl(frame: &[u8]) -> Result<u8, Malformed> {
    let v6 = ethertype(frame)? == ETHERTYPE_IPV6;
    let at = if v6 { E + 7 } else { E + 8 };
    frame
        .get(at)
        .copied()
        .ok_or(Malformed("truncated IP header"))
}

/// Lower the TTL or hop limit by one (IPv4: header checksum updated in place,
/// RFC 1624). Returns the new value. The caller checked it was above 1.
pub fn decrement_ttl(frame: &mut [u8]) -> Result<u8, Malformed> {
    step_ttl(frame, |t| t.saturating_sub(1))
}

fn step_ttl(frame: &mut [u8], step: fn(u8) -> u8) -> Result<u8, Malformed> {
    let v6 = ethertype(frame)? == ETHERTYPE_IPV6;
    if v6 {
        let b = frame
            .get_mut(E + 7)
            .ok_or(Malformed("truncated IPv6 header"))?;
        *b = step(*b);
        return Ok(*b);
    }
    if frame.len() < E + 20 {
        return Err(Malformed("truncated IPv4 header"));
    }
    // TTL and protocol share a 16-bit word of the header checksum.
    let old = [frame[E + 8], frame[E + 9]];
    let new = [step(old[0]), old[1]];
    let sum = u16::from_be_bytes([frame[E + 10], frame[E + 11]]);
    let sum = incremental_update(sum, &old, &new);
    frame[E + 8] = new[0];
    frame[E + 10..E + 12].copy_from_slice(&sum.to_be_bytes());
    Ok(new[0])
}

/// Raise the TTL or hop limit by one: the packet as it was before a forwarding
/// instance lowered it (for showing its arrival in captures).
pub fn increment_ttl(frame: &mut [u8]) -> Result<u8, Malformed> {
    step_ttl(frame, |t| t.saturating_add(1))
}

/// The ICMP "time exceeded in transit" (IPv4 type 11 code 0, ICMPv6 type 3 code
/// 0) frame an instance at `from` sends back about `frame`, MACs swapped. `Err`
/// (send nothing) where the RFCs forbid an error (about an ICMP error, a
/// non-first fragment, to an address that cannot be answered) or `from` is of
/// the other family.
pub fn icmp_time_exceeded(frame: &[u8], from: IpAddr) -> Result<Vec<u8>, Malformed> {
    let key = parse_frame(frame)?;
    if key.fragment == FragmentKind::NonFirst {
        return Err(Malformed("no ICMP error about a non-first fragment"));
    }
    let (orig_src_mac, orig_dst_mac) = macs(frame);
    match (key.src, from) {
        (IpAddr::V4(src), IpAddr::V4(from)) => {
            if key.protocol == etherparse::ip_number::ICMP.0 && is_icmpv4_error(key.icmp_type) {
                return Err(Malformed("no ICMP error about an ICMP error"));
            }
            if unanswerable_v4(src) {
                return Err(Malformed("no ICMP error to an invalid source address"));
            }
            let (view, packet) = ipv4_of_frame(frame)?;
            let quote_len =
                view.header_len + (view.total_len - view.header_len).min(IPV4_QUOTE_PAYLOAD);
            let t = Icmpv4Type::TimeExceeded(
                etherparse::icmpv4::TimeExceededCode::TtlExceededInTransit,
            );
            let builder = PacketBuilder::ethernet2(orig_dst_mac, orig_src_mac)
                .ipv4(from.octets(), src.octets(), ERROR_TTL)
                .icmpv4(t);
            let quote = &packet[..quote_len];
            let mut out = Vec::with_capacity(builder.size(quote.len()));
            builder
                .write(&mut out, quote)
                .map_err(|_| Malformed("could not build the ICMP error"))?;
            Ok(out)
        }
        (IpAddr::V6(src), IpAddr::V6(from)) => {
            let is_icmpv6 = key.protocol == etherparse::ip_number::IPV6_ICMP.0;
            if is_icmpv6 && key.icmp_type < 128 {
                return Err(Malformed("no ICMPv6 error about an ICMPv6 error"));
            }
            if unanswerable_v6(src) {
                return Err(Malformed("no ICMPv6 error to an invalid source address"));
            }
            let packet = ip_packet(frame)?;
            let t =
                Icmpv6Type::TimeExceeded(etherparse::icmpv6::TimeExceededCode::HopLimitExceeded);
            let builder = PacketBuilder::ethernet2(orig_dst_mac, orig_src_mac)
                .ipv6(from.octets(), src.octets(), ERROR_TTL)
                .icmpv6(t);
            let quote = &packet[..packet.len().min(IPV6_QUOTE_MAX)];
            let mut out = Vec::with_capacity(builder.size(quote.len()));
            builder
                .write(&mut out, quote)
                .map_err(|_| Malformed("could not build the ICMPv6 error"))?;
            Ok(out)
        }
        _ => Err(Malformed(
            "no address of the packet's family to answer from",
        )),
    }
}

fn unanswerable_v4(a: Ipv4Addr) -> bool {
    a.is_unspecified() || a.is_broadcast() || a.is_multicast() || a.is_loopback()
}

fn unanswerable_v6(a: Ipv6Addr) -> bool {
    a.is_unspecified() || a.is_multicast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::test_support::{frame, tcp};
    use crate::wire::verify_checksums;

    #[test]
    fn decrement_keeps_the_ipv4_checksum_valid() {
        let mut f = frame(false, tcp(0x02), 10);
        assert_eq!(ttl(&f).unwrap(), 64);
        assert_eq!(decrement_ttl(&mut f).unwrap(), 63);
        assert_eq!(ttl(&f).unwrap(), 63);
        verify_checksums(&f).unwrap();
    }

    #[test]
    fn decrement_lowers_the_ipv6_hop_limit() {
        let mut f = frame(true, tcp(0x02), 10);
        assert_eq!(decrement_ttl(&mut f).unwrap(), 63);
        assert_eq!(ttl(&f).unwrap(), 63);
        verify_checksums(&f).unwrap();
    }

    #[test]
    fn time_exceeded_quotes_the_packet_and_answers_its_source() {
        let f = frame(false, tcp(0x02), 10);
        let k = parse_frame(&f).unwrap();
        let from: IpAddr = "10.9.9.9".parse().unwrap();
        let e = icmp_time_exceeded(&f, from).unwrap();
        let ek = parse_frame(&e).unwrap();
        assert_eq!((ek.src, ek.dst, ek.icmp_type), (from, k.src, 11));
        verify_checksums(&e).unwrap();
        let q = crate::wire::quoted_flow(&e).unwrap();
        assert_eq!((q.src, q.dst, q.src_port), (k.src, k.dst, k.src_port));
        // Never about an ICMP error.
        assert!(icmp_time_exceeded(&e, from).is_err());
    }

    #[test]
    fn time_exceeded_ipv6() {
        let f = frame(true, tcp(0x02), 10);
        let from: IpAddr = "2600:1f18::9".parse().unwrap();
        let e = icmp_time_exceeded(&f, from).unwrap();
        let ek = parse_frame(&e).unwrap();
        assert_eq!((ek.src, ek.icmp_type), (from, 3));
        assert!(icmp_time_exceeded(&f, "10.0.0.1".parse().unwrap()).is_err());
    }
}
