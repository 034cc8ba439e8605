//! IPv6 datagrams larger than the sending interface's MTU. Linux fragments them at
//! the source (IPv6 routers never fragment); smoltcp 0.14 can neither fragment nor
//! reassemble IPv6 and drops such a packet without a word. So the UDP and ping
//! generators do not hand it to smoltcp: they build the packet themselves (what
//! the application sent, whole) and the host reports it dropped for
//! `MTU_EXCEEDED`, so the flow's numbers add up (sent = delivered + dropped) and
//! the capture of drops shows it, instead of the datagram vanishing.
//!
//! IPv4 needs none of this: smoltcp fragments it (its fragmentation buffer holds
//! the largest IPv4 packet, 65,535 bytes: see `Cargo.toml`).

use crate::wire::ETHERNET_HEADER_LEN;
use etherparse::PacketBuilder;
use std::net::IpAddr;

/// IPv6 header bytes.
const IPV6_HEADER: usize = 40;
/// smoltcp's default hop limit, as on the packets it sends.
const HOP_LIMIT: u8 = 64;

/// Whether an IPv6 packet carrying `l4_len` bytes of UDP or ICMPv6 from `src`
/// cannot leave an interface of `mtu` bytes unfragmented.
pub fn ipv6_too_big(src: IpAddr, l4_len: usize, mtu: u16) -> bool {
    src.is_ipv6() && IPV6_HEADER + l4_len > usize::from(mtu)
}

/// The frame of an IPv6 UDP datagram (Ethernet addresses left zero: the host
/// writes them as for every frame it sends).
pub fn udp_frame(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let (IpAddr::V6(s), IpAddr::V6(d)) = (src, dst) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(ETHERNET_HEADER_LEN + IPV6_HEADER + 8 + payload.len());
    let built = PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv6(s.octets(), d.octets(), HOP_LIMIT)
        .udp(sport, dport)
        .write(&mut out, payload);
    if built.is_err() {
        out.clear();
    }
    out
}

/// The frame of an ICMPv6 echo request (Ethernet addresses left zero).
pub fn echo_frame(src: IpAddr, dst: IpAddr, ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let (IpAddr::V6(s), IpAddr::V6(d)) = (src, dst) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(ETHERNET_HEADER_LEN + IPV6_HEADER + 8 + data.len());
    let built = PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv6(s.octets(), d.octets(), HOP_LIMIT)
        .icmpv6_echo_request(ident, seq)
        .write(&mut out, data);
    if built.is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversize_ipv6_packets_are_built_whole() {
        let a: IpAddr = "2600:1f00::10".parse().unwrap();
        let b: IpAddr = "2600:1f00::20".parse().unwrap();
        assert!(ipv6_too_big(a, 9001 - 40 + 1, 9001));
        assert!(!ipv6_too_big(a, 9001 - 40, 9001));
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(!ipv6_too_big(v4, 60_000, 1500));
        let f = udp_frame(a, b, 40000, 5001, &[7u8; 65_527]);
        assert_eq!(f.len(), ETHERNET_HEADER_LEN + 40 + 8 + 65_527);
        let p = etherparse::SlicedPacket::from_ethernet(&f).expect("parses");
        assert!(matches!(
            p.transport,
            Some(etherparse::TransportSlice::Udp(u)) if u.destination_port() == 5001
        ));
        let e = echo_frame(a, b, 7, 1, &[1u8; 20_000]);
        assert_eq!(e.len(), ETHERNET_HEADER_LEN + 40 + 8 + 20_000);
        // Too long for the IPv6 payload length: nothing rather than a bad packet.
        assert!(udp_frame(a, b, 1, 2, &[0u8; 65_528]).is_empty());
    }
}
