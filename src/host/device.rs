//! A smoltcp device in virtual time: frames are handed in and taken out by the
//! simulation; smoltcp never sees a clock other than the `Instant` it is polled with.
//!
//! The device is `Medium::Ip`: the VPC router answers every ARP/ND for the subnet
//! gateway in AWS, so hosts address every frame to the router's MAC. The host adds
//! and strips the Ethernet header itself (see [`super::egress`]), which keeps ARP
//! traffic (that AWS does not forward) out of captures.

use crate::sim::BufferPool;
use crate::wire::ETHERNET_HEADER_LEN;
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::collections::VecDeque;

/// Frames waiting for smoltcp and frames smoltcp produced.
#[derive(Debug, Default)]
pub struct VirtualDevice {
    /// IP MTU of the interface (the ENI MTU).
    pub mtu: usize,
    /// Received Ethernet frames not yet read by smoltcp.
    pub rx: VecDeque<Vec<u8>>,
    /// Buffers smoltcp finished reading, to go back to the pool.
    pub rx_spent: Vec<Vec<u8>>,
    /// Frames smoltcp transmitted: 14 reserved Ethernet bytes, then the IP packet.
    pub tx: Vec<Vec<u8>>,
    /// Lent by the simulation for the duration of a poll.
    pub pool: BufferPool,
}

pub struct RxToken<'a> {
    frame: Vec<u8>,
    spent: &'a mut Vec<Vec<u8>>,
}

pub struct TxToken<'a> {
    tx: &'a mut Vec<Vec<u8>>,
    pool: &'a mut BufferPool,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let r = f(self.frame.get(ETHERNET_HEADER_LEN..).unwrap_or(&[]));
        self.spent.push(self.frame);
        r
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = self.pool.take();
        buf.resize(ETHERNET_HEADER_LEN + len, 0);
        let r = f(&mut buf[ETHERNET_HEADER_LEN..]);
        self.tx.push(buf);
        r
    }
}

impl phy::Device for VirtualDevice {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let frame = self.rx.pop_front()?;
        Some((
            RxToken {
                frame,
                spent: &mut self.rx_spent,
            },
            TxToken {
                tx: &mut self.tx,
                pool: &mut self.pool,
            },
        ))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken {
            tx: &mut self.tx,
            pool: &mut self.pool,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = self.mtu;
        caps.max_burst_size = None;
        // Checksums are computed on transmit and not verified on receive, like a NIC
        // with receive checksum offload: every frame a host receives was built by
        // another smoltcp host and checked by the VPC router (which drops frames with
        // a bad IPv4 header), and the captures are checked by tshark in the tests.
        // Verifying each UDP/TCP/ICMP checksum again cost ~3% of a run.
        let tx = smoltcp::phy::Checksum::Tx;
        // The IPv4 header checksum is not computed by smoltcp either: the host
        // renumbers every IPv4 packet it sends (identification, DF) and fills the
        // checksum then (`packet::fix_ipv4_header`, `packet::number_plain_ipv4`),
        // so smoltcp's would be overwritten unread.
        caps.checksum.ipv4 = smoltcp::phy::Checksum::None;
        caps.checksum.udp = tx;
        caps.checksum.tcp = tx;
        caps.checksum.icmpv4 = tx;
        caps.checksum.icmpv6 = tx;
        caps
    }
}
