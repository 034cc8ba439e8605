//! Synthetic frames (for `trace` and traffic generators), built by etherparse's
//! `PacketBuilder`, which fills in lengths and every checksum.

use std::net::IpAddr;

use etherparse::{IpHeaders, Ipv4Header, Ipv6Header, PacketBuilder, TcpHeader};

use super::{Malformed, PacketSpec, Transport};

/// TCP window advertised by synthetic segments (Linux's default initial window).
const TCP_WINDOW: u16 = 64240;

/// Byte `i` of every synthetic payload: a repeating `0x00..=0xfa` ramp. 251 is prime,
/// so the pattern does not line up with 8-byte fragment boundaries and a misplaced
/// fragment shows up in a byte comparison.
pub fn payload_byte(i: usize) -> u8 {
    (i % 251) as u8
}

/// Build a complete Ethernet frame with valid checksums.
///
/// IPv4 echo is ICMP, IPv6 echo is ICMPv6. `ttl` is the IPv6 hop limit for IPv6.
/// Errors when the two addresses are of different families or the payload does not
/// fit in one IP packet.
pub fn build_packet(spec: &PacketSpec) -> Result<Vec<u8>, Malformed> {
    // Refuse before allocating: the length may come straight from a traffic spec.
    if spec.payload_len > usize::from(u16::MAX) {
        return Err(Malformed("payload does not fit in one IP packet"));
    }
    let payload: Vec<u8> = (0..spec.payload_len).map(payload_byte).collect();
    let is_v6 = spec.src.is_ipv6();
    let ip = match (spec.src, spec.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let header = Ipv4Header {
                identification: spec.identification,
                dont_fragment: spec.dont_fragment,
                time_to_live: spec.ttl,
                source: src.octets(),
                destination: dst.octets(),
                ..Default::default()
            };
            IpHeaders::Ipv4(header, Default::default())
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let header = Ipv6Header {
                hop_limit: spec.ttl,
                source: src.octets(),
                destination: dst.octets(),
                ..Default::default()
            };
            IpHeaders::Ipv6(header, Default::default())
        }
        _ => return Err(Malformed("source and destination address families differ")),
    };
    let base = PacketBuilder::ethernet2(spec.src_mac, spec.dst_mac).ip(ip);
    // The transport steps are different types; each one sizes and writes the same way.
    macro_rules! finish {
        ($builder:expr) => {{
            let builder = $builder;
            let mut out = Vec::with_capacity(builder.size(payload.len()));
            builder
                .write(&mut out, &payload)
                .map_err(|_| Malformed("payload does not fit in one IP packet"))?;
            Ok(out)
        }};
    }
    match spec.transport {
        Transport::Tcp {
            src_port,
            dst_port,
            flags,
            seq,
            ack,
        } => {
            let mut tcp = TcpHeader::new(src_port, dst_port, seq, TCP_WINDOW);
            tcp.fin = flags & 0x01 != 0;
            tcp.syn = flags & 0x02 != 0;
            tcp.rst = flags & 0x04 != 0;
            tcp.psh = flags & 0x08 != 0;
            tcp.ack = flags & 0x10 != 0;
            tcp.urg = flags & 0x20 != 0;
            tcp.ece = flags & 0x40 != 0;
            tcp.cwr = flags & 0x80 != 0;
            tcp.acknowledgment_number = ack;
            finish!(base.tcp_header(tcp))
        }
        Transport::Udp { src_port, dst_port } => finish!(base.udp(src_port, dst_port)),
        Transport::Echo { id, seq, reply } => match (is_v6, reply) {
            (false, false) => finish!(base.icmpv4_echo_request(id, seq)),
            (false, true) => finish!(base.icmpv4_echo_reply(id, seq)),
            (true, false) => finish!(base.icmpv6_echo_request(id, seq)),
            (true, true) => finish!(base.icmpv6_echo_reply(id, seq)),
        },
    }
}

#[cfg(test)]
#[path = "tests/build.rs"]
mod tests;
