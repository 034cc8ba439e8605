//! Shared by the wire property tests and the wire benches (`#[path]`-included there):
//! a [`PacketSpec`] between two fixed addresses of either family.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use peeremu::wire::{PacketSpec, Transport};

/// A frame from 10.0.0.5 to 10.9.0.7 (or 2600::1 to 2600::2 when `v6`).
pub fn spec(v6: bool, transport: Transport, payload_len: usize, df: bool, id: u16) -> PacketSpec {
    let (src, dst) = if v6 {
        (
            IpAddr::V6(Ipv6Addr::new(0x2600, 0, 0, 0, 0, 0, 0, 1)),
            IpAddr::V6(Ipv6Addr::new(0x2600, 0, 0, 0, 0, 0, 0, 2)),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            IpAddr::V4(Ipv4Addr::new(10, 9, 0, 7)),
        )
    };
    PacketSpec {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        src,
        dst,
        transport,
        payload_len,
        dont_fragment: df,
        identification: id,
        ttl: 64,
    }
}
