//! Test-only builder of the TCP/IPv4 segments the host unit tests feed to the NIC
//! layer (re-segmentation, segment rebuilding): one place instead of a `TcpRepr`
//! and `Ipv4Repr` spelled out in every test module.

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
};
use std::net::Ipv4Addr;

/// The segments' source (port 40000).
pub const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
/// The segments' destination (port 5001).
pub const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

/// What varies between the tests' segments.
pub struct Segment<'a> {
    pub control: TcpControl,
    pub seq: TcpSeqNumber,
    pub ack: Option<TcpSeqNumber>,
    pub window: u16,
    pub payload: &'a [u8],
}

/// An IPv4 packet from A:40000 to B:5001 carrying `s`, with valid checksums, behind
/// `headroom` zero bytes (`ETHERNET_HEADER_LEN` for a frame, 0 for a bare packet).
pub fn ipv4_tcp(headroom: usize, s: &Segment<'_>) -> Vec<u8> {
    let tcp = TcpRepr {
        src_port: 40000,
        dst_port: 5001,
        control: s.control,
        seq_number: s.seq,
        ack_number: s.ack,
        window_len: s.window,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload: s.payload,
    };
    let ip = Ipv4Repr {
        src_addr: A,
        dst_addr: B,
        next_header: IpProtocol::Tcp,
        payload_len: tcp.buffer_len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; headroom + ip.buffer_len() + tcp.buffer_len()];
    let caps = ChecksumCapabilities::default();
    let mut p = Ipv4Packet::new_unchecked(&mut buf[headroom..]);
    ip.emit(&mut p, &caps);
    let mut t = TcpPacket::new_unchecked(p.payload_mut());
    tcp.emit(&mut t, &IpAddress::Ipv4(A), &IpAddress::Ipv4(B), &caps);
    buf
}
