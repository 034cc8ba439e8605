//! AWS Direct Connect at the virtual private gateway: which link (a VPN tunnel or
//! a Direct Connect private virtual interface) carries a packet to on premises,
//! and packets coming in over a virtual interface.
//!
//! Path choice follows AWS's route priority for a VGW (VPC User Guide, "How route
//! priority works"; Site-to-Site VPN User Guide, "Route tables and VPN route
//! priority"): the longest prefix first; for the same prefix, Direct Connect BGP
//! routes before VPN routes. The VGW's VPN prefixes are its `onprem_cidrs`, a
//! connection's are its `onprem_cidrs` (advertised on every virtual interface).
//! The on-premises network is one network whichever link reaches it: a host
//! declared behind the VPN is reached over Direct Connect when Direct Connect
//! wins its prefix, and the other way round.

use super::pipeline::{vpc_contains, Leg, Sink, Source};
use super::trace::{Gateway, Hop, Tracer};
use super::{Dataplane, DropDetail, Edge, GatewayCrossing, MtuLink};
use crate::model::*;
use crate::wire::FlowKey;
use std::net::IpAddr;

/// The link a VGW sends an on-premises packet over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnPremLink {
    Vpn,
    /// Connection and the index of its virtual interface.
    Dx(DxIdx, u16),
}

impl Dataplane {
    /// The link VGW `g` uses towards `dst`, with its MTU and one-way latency.
    /// `None`: neither the VPN nor a connection advertises a prefix holding `dst`.
    pub(super) fn vgw_link(&self, g: VgwIdx, dst: IpAddr) -> Option<(OnPremLink, u16, u64)> {
        let vgw = self.net.vpn_gateways.get(g.ix())?;
        let longest = |cidrs: &[ipnet::IpNet]| {
            cidrs
                .iter()
                .filter(|n| n.contains(&dst))
                .map(|n| n.prefix_len())
                .max()
        };
        let mut best =
            longest(&vgw.onprem_cidrs).map(|p| (p, OnPremLink::Vpn, vgw.mtu, vgw.latency_ns));
        for (i, dx) in self.net.direct_connects.iter().enumerate() {
            let d = DxIdx(i as u32);
            let (Some(p), Some(v)) = (longest(&dx.onprem_cidrs), self.net.dx_vif_to_vgw(d, g))
            else {
                continue;
            };
            // Same prefix length: Direct Connect wins over the VPN (and the first
            // connection listed over later ones).
            let better = match best {
                None => true,
                Some((bp, OnPremLink::Vpn, ..)) => p >= bp,
                Some((bp, ..)) => p > bp,
            };
            if better {
                let mtu = dx.virtual_interfaces[v].mtu;
                best = Some((p, OnPremLink::Dx(d, v as u16), mtu, dx.latency_ns));
            }
        }
        best.map(|(_, link, mtu, latency)| (link, mtu, latency))
    }

    /// The on-premises host at `dst` that VGW `g` reaches: behind its VPN, or
    /// behind a Direct Connect connection with a virtual interface to `g`.
    pub(super) fn on_prem_host(&self, g: VgwIdx, dst: IpAddr) -> Option<(HostIdx, u16)> {
        let h = self.host_by_ip(dst)?;
        let host = &self.net.external_hosts[h.ix()];
        let ok = match host.site {
            ExternalSite::OnPrem(x) => x == g,
            ExternalSite::DirectConnect(d) => self.net.dx_vif_to_vgw(d, g).is_some(),
            ExternalSite::Internet => false,
        };
        ok.then_some((h, host.mtu))
    }

    /// A frame from an on-premises host behind connection `d`: over the virtual
    /// interface whose VGW's VPC holds the destination, at that interface's MTU.
    pub(super) fn in_direct_connect<T: Tracer>(
        &mut self,
        now: u64,
        h: HostIdx,
        d: DxIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let unknown = DropDetail::UnknownDestination { dst: key.dst };
        let Some(dx) = self.net.direct_connects.get(d.ix()) else {
            return sink.drop(unknown, None, frame);
        };
        let latency_ns = dx.latency_ns;
        // Every (interface, VGW, VPC) the connection reaches, in the file's order.
        let mut first = None;
        let mut chosen = None;
        'vifs: for (i, v) in dx.virtual_interfaces.iter().enumerate() {
            let vgws: &[VgwIdx] = match &v.target {
                VifTarget::Vgw(g) => std::slice::from_ref(g),
                VifTarget::DxGateway(x) => self
                    .net
                    .direct_connect_gateways
                    .get(x.ix())
                    .map_or(&[], |x| x.vpn_gateways.as_slice()),
                // Through the transit gateway (`in_dx_transit`).
                VifTarget::Transit(_) => &[],
            };
            for &g in vgws {
                let Some(vpc) = self.net.vpn_gateways.get(g.ix()).and_then(|x| x.vpc) else {
                    continue;
                };
                let here = (i as u16, v.mtu, g, vpc);
                first.get_or_insert(here);
                if vpc_contains(&self.net.vpcs[vpc.ix()], key.dst) {
                    chosen = Some(here);
                    break 'vifs;
                }
            }
        }
        sink.tr.at(latency_ns);
        if chosen.is_none() {
            // Not in a VPC a private VIF reaches: over a transit VIF when an
            // association of its Direct Connect gateway allows the address.
            match self.dx_transit_route(d, key.dst) {
                super::transit_vif::TransitRoute::Via { vif, att } => {
                    return self.in_dx_transit(now, h, d, (vif, att), key, frame, sink);
                }
                super::transit_vif::TransitRoute::NotAllowed(att) if first.is_none() => {
                    let detail = DropDetail::DxPrefixNotAllowed { att, dst: key.dst };
                    return sink.drop(detail, None, frame);
                }
                _ => {}
            }
        }
        let Some((vif, mtu, g, vpc)) = chosen else {
            // Not in any VPC the connection reaches: what the first one would do
            // with it (a peering or a gateway there is edge to edge).
            let Some((vif, _, g, vpc)) = first else {
                return sink.drop(unknown, None, frame);
            };
            sink.tr.hop(Hop::Gateway {
                gateway: Gateway::DirectConnect(d, vif),
            });
            sink.tr.hop(Hop::Gateway {
                gateway: Gateway::Vpn(g),
            });
            let detail = self.onward_drop(Edge::Vpn(g), vpc, key.dst, sink);
            return sink.drop(detail, None, frame);
        };
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::DirectConnect(d, vif),
        });
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::Vpn(g),
        });
        let Some(e) = self.eni_in_vpc(vpc, key.dst) else {
            return sink.drop(unknown, None, frame);
        };
        let leg = Leg {
            src: Source::External(h),
            mtu,
            link: MtuLink::Gateway(Gateway::DirectConnect(d, vif)),
            latency_ns,
            via: None,
            // Data transfer in over Direct Connect is free.
            charges: Charges::NONE,
        };
        let start = sink.out.len();
        self.deliver_eni(now, leg, e, key, frame, sink);
        let crossing = GatewayCrossing::VirtualInterface {
            dx: d,
            vif,
            outbound: false,
        };
        self.mark_via_gateway(sink.out, start, crossing);
    }
}
