//! Helpers shared by the wire unit tests: sample frames and an independent checksum
//! oracle (etherparse re-parses the frame and recomputes every checksum from scratch,
//! so it does not share code with `verify_checksums` or the incremental updates).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{NetHeaders, PacketHeaders, TransportHeader};

use super::{build_packet, PacketSpec, Transport};

pub const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
pub const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];
pub const V4_A: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 10);
pub const V4_B: Ipv4Addr = Ipv4Addr::new(10, 1, 2, 20);
pub const V6_A: Ipv6Addr = Ipv6Addr::new(0x2600, 0x1f18, 0, 1, 0, 0, 0, 0x10);
pub const V6_B: Ipv6Addr = Ipv6Addr::new(0x2600, 0x1f18, 0, 2, 0, 0, 0, 0x20);

pub fn tcp(flags: u8) -> Transport {
    Transport::Tcp {
        src_port: 49152,
        dst_port: 5432,
        flags,
        seq: 1000,
        ack: 2000,
    }
}

pub const UDP: Transport = Transport::Udp {
    src_port: 40000,
    dst_port: 53,
};

pub const ECHO: Transport = Transport::Echo {
    id: 0x1234,
    seq: 7,
    reply: false,
};

pub fn spec(v6: bool, transport: Transport, payload_len: usize) -> PacketSpec {
    let (src, dst) = if v6 {
        (IpAddr::V6(V6_A), IpAddr::V6(V6_B))
    } else {
        (IpAddr::V4(V4_A), IpAddr::V4(V4_B))
    };
    PacketSpec {
        src_mac: MAC_A,
        dst_mac: MAC_B,
        src,
        dst,
        transport,
        payload_len,
        dont_fragment: false,
        identification: 0x4242,
        ttl: 64,
    }
}

pub fn frame(v6: bool, transport: Transport, payload_len: usize) -> Vec<u8> {
    build_packet(&spec(v6, transport, payload_len)).expect("test spec builds")
}

/// Ethernet + raw IPv4 header with `options` (checksum computed by etherparse).
pub fn ipv4_frame_with_options(options: &[u8], protocol: u8, payload: &[u8]) -> Vec<u8> {
    let mut header = etherparse::Ipv4Header::new(
        payload.len() as u16,
        64,
        etherparse::IpNumber(protocol),
        V4_A.octets(),
        V4_B.octets(),
    )
    .expect("small payload");
    header.dont_fragment = false;
    header.identification = 0xbeef;
    header.options = etherparse::Ipv4Options::try_from(options).expect("options fit");
    header.set_payload_len(payload.len()).expect("fits");
    header.header_checksum = header.calc_header_checksum();
    let mut out = ethernet(0x0800);
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(payload);
    out
}

/// Ethernet + IPv6 header (payload length set) + `rest` (extension headers, payload).
pub fn ipv6_frame(next_header: u8, rest: &[u8]) -> Vec<u8> {
    let header = etherparse::Ipv6Header {
        payload_length: rest.len() as u16,
        next_header: etherparse::IpNumber(next_header),
        hop_limit: 64,
        source: V6_A.octets(),
        destination: V6_B.octets(),
        ..Default::default()
    };
    let mut out = ethernet(0x86dd);
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(rest);
    out
}

pub fn ethernet(ethertype: u16) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAC_B);
    out.extend_from_slice(&MAC_A);
    out.extend_from_slice(&ethertype.to_be_bytes());
    out
}

/// Independent oracle: every checksum etherparse can recompute matches the frame.
/// Fragments only have their IPv4 header checked.
pub fn oracle_checksums_ok(frame: &[u8]) -> bool {
    let Ok(headers) = PacketHeaders::from_ethernet_slice(frame) else {
        return false;
    };
    let payload = headers.payload.slice();
    match (&headers.net, &headers.transport) {
        (Some(NetHeaders::Ipv4(ip, _)), transport) => {
            if ip.calc_header_checksum() != ip.header_checksum {
                return false;
            }
            match transport {
                Some(TransportHeader::Tcp(t)) => {
                    t.calc_checksum_ipv4(ip, payload) == Ok(t.checksum)
                }
                Some(TransportHeader::Udp(u)) => {
                    u.checksum == 0 || u.calc_checksum_ipv4(ip, payload) == Ok(u.checksum)
                }
                Some(TransportHeader::Icmpv4(i)) => {
                    i.icmp_type.calc_checksum(payload) == i.checksum
                }
                Some(_) => false,
                None => true,
            }
        }
        (Some(NetHeaders::Ipv6(ip, _)), transport) => match transport {
            Some(TransportHeader::Tcp(t)) => t.calc_checksum_ipv6(ip, payload) == Ok(t.checksum),
            Some(TransportHeader::Udp(u)) => u.calc_checksum_ipv6(ip, payload) == Ok(u.checksum),
            Some(TransportHeader::Icmpv6(i)) => {
                i.icmp_type
                    .calc_checksum(ip.source, ip.destination, payload)
                    == Ok(i.checksum)
            }
            Some(_) => false,
            None => true,
        },
        _ => false,
    }
}

/// The IP payload (after the IPv4 header) of a frame, for byte comparisons.
pub fn ipv4_payload(frame: &[u8]) -> &[u8] {
    let header_len = usize::from(frame[14] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([frame[16], frame[17]]));
    &frame[14 + header_len..14 + total]
}

/// Recompute the IPv4 header checksum of a frame after a test patched the header.
pub fn fix_ipv4_checksum(frame: &mut [u8]) {
    let header_len = (usize::from(frame[14] & 0x0f) * 4).max(20);
    frame[24..26].copy_from_slice(&[0, 0]);
    let sum = etherparse::checksum::Sum16BitWords::new()
        .add_slice(&frame[14..14 + header_len])
        .ones_complement()
        .to_be(); // etherparse sums native-endian words
    frame[24..26].copy_from_slice(&sum.to_be_bytes());
}
