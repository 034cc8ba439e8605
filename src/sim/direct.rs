//! A stand-in for the VPC router: delivers by destination address over one fixed
//! latency, optionally enforcing a link MTU (DF set → drop + ICMP
//! fragmentation-needed / packet-too-big back to the source, which can itself be
//! blocked to model a NACL that denies ICMP). For tests and benchmarks of the engine
//! and hosts without the full data plane.

use super::{Attachment, Fabric, FabricAction};
use crate::dataplane::ROUTER_MAC;
use crate::host::packet::split_ip;
use crate::model::{Charges, DropReason};
use crate::wire::ETHERNET_HEADER_LEN;
use etherparse::{icmpv4::DestUnreachableHeader, Icmpv4Type, Icmpv6Type, PacketBuilder};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Address-to-attachment delivery with one latency and an optional MTU.
#[derive(Debug, Clone, Default)]
pub struct DirectFabric {
    pub routes: Vec<(IpAddr, Attachment)>,
    pub latency_ns: u64,
    /// Path MTU in the middle; larger DF packets are refused.
    pub mtu: Option<u16>,
    /// When set, the ICMP error for a too-big packet is dropped with this detail
    /// (as a NACL denying ICMP would).
    pub block_icmp: Option<String>,
}

impl DirectFabric {
    pub fn new(latency_ns: u64) -> Self {
        DirectFabric {
            latency_ns,
            ..Default::default()
        }
    }

    pub fn route(mut self, ip: IpAddr, to: Attachment) -> Self {
        self.routes.push((ip, to));
        self
    }

    fn lookup(&self, ip: IpAddr) -> Option<Attachment> {
        self.routes.iter().find(|r| r.0 == ip).map(|r| r.1)
    }

    fn too_big(&self, frame: &[u8], src: IpAddr, mtu: u16) -> Option<Vec<u8>> {
        let ip = frame.get(ETHERNET_HEADER_LEN..)?;
        let mut out = Vec::new();
        match src {
            IpAddr::V4(s) => {
                let hl = ((ip.first()? & 0x0f) as usize) * 4;
                let quoted = ip.get(..hl + 8)?;
                PacketBuilder::ethernet2(ROUTER_MAC, frame_src_mac(frame))
                    .ipv4(Ipv4Addr::new(169, 254, 0, 1).octets(), s.octets(), 64)
                    .icmpv4(Icmpv4Type::DestinationUnreachable(
                        DestUnreachableHeader::FragmentationNeeded { next_hop_mtu: mtu },
                    ))
                    .write(&mut out, quoted)
                    .ok()?;
            }
            IpAddr::V6(s) => {
                let quoted = ip.get(..ip.len().min(1280 - 48))?;
                PacketBuilder::ethernet2(ROUTER_MAC, frame_src_mac(frame))
                    .ipv6(
                        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1).octets(),
                        s.octets(),
                        64,
                    )
                    .icmpv6(Icmpv6Type::PacketTooBig { mtu: mtu as u32 })
                    .write(&mut out, quoted)
                    .ok()?;
            }
        }
        Some(out)
    }
}

fn frame_src_mac(frame: &[u8]) -> [u8; 6] {
    let mut m = [0u8; 6];
    m.copy_from_slice(&frame[6..12]);
    m
}

impl Fabric for DirectFabric {
    fn forward(
        &mut self,
        _now_ns: u64,
        from: Attachment,
        mut frame: Vec<u8>,
        out: &mut Vec<FabricAction>,
    ) {
        let drop = |reason, detail: &str, frame| FabricAction::Drop {
            reason,
            detail: detail.to_string(),
            eni: None,
            frame,
        };
        let ip = frame.get(ETHERNET_HEADER_LEN..).unwrap_or(&[]);
        let (src, dst, df) = match (ip.first().map(|b| b >> 4), split_ip(ip)) {
            (Some(4), Some((s, d, _, _))) => (s, d, ip.get(6).is_some_and(|b| b & 0x40 != 0)),
            (Some(6), Some((s, d, _, _))) => (s, d, true),
            (Some(4), None) if ip.len() >= 20 => (
                IpAddr::from([ip[12], ip[13], ip[14], ip[15]]),
                IpAddr::from([ip[16], ip[17], ip[18], ip[19]]),
                false,
            ),
            _ => {
                out.push(drop(DropReason::Malformed, "not IP", frame));
                return;
            }
        };
        let Some(to) = self.lookup(dst) else {
            out.push(drop(DropReason::NoRoute, "no route", frame));
            return;
        };
        if let Some(mtu) = self.mtu.filter(|&m| ip.len() > m as usize) {
            let icmp = if df {
                self.too_big(&frame, src, mtu)
            } else {
                None
            };
            out.push(drop(
                DropReason::MtuExceeded,
                &format!("link MTU {mtu}"),
                frame,
            ));
            if let Some(icmp) = icmp {
                match &self.block_icmp {
                    Some(detail) => out.push(drop(DropReason::NaclDeny, detail, icmp)),
                    None => out.push(FabricAction::Deliver {
                        to: from,
                        frame: icmp,
                        latency_ns: self.latency_ns,
                        via_peering: None,
                        via_tgw: None,
                        charges: Charges::NONE,
                        via_nat: None,
                        via_appliance: None,
                        via_gateway: None,
                    }),
                }
            }
            return;
        }
        frame[6..12].copy_from_slice(&ROUTER_MAC);
        out.push(FabricAction::Deliver {
            to,
            frame,
            latency_ns: self.latency_ns,
            via_peering: None,
            via_tgw: None,
            charges: Charges::NONE,
            via_nat: None,
            via_appliance: None,
            via_gateway: None,
        });
    }
}
