//! Direct Connect transit virtual interfaces: on premises ↔ a Direct Connect
//! gateway ↔ the transit gateways it is associated with (AWS Direct Connect
//! User Guide, "Direct Connect gateways and transit gateway associations",
//! "Allowed prefixes interactions").
//!
//! In the TGW the Direct Connect gateway is an attachment of its own (resource
//! type `direct-connect-gateway`): it propagates the connections' on-premises
//! prefixes, and frames routed to it leave over the transit VIF of the
//! connection the destination host is behind, at that VIF's MTU (1500 or
//! 8500) — the TGW never fragments, so a larger packet is dropped there as at
//! any TGW attachment (with "fragmentation needed" back when it came from a
//! VPC). On premises learns only the association's allowed prefixes: a frame
//! from a host behind the connection to an address in none of them has no
//! route over Direct Connect (`DX_PREFIX_NOT_ALLOWED`). The customer router is
//! not modelled: a frame larger than the VIF's MTU from on premises is dropped
//! at the VIF (`MTU_EXCEEDED`, naming it), with nothing sent back.

use super::pipeline::{Sink, Source};
use super::trace::{Gateway, Hop, Tracer};
use super::{Dataplane, DropDetail, GatewayCrossing, MtuLink};
use crate::model::*;
use crate::wire::FlowKey;
use std::net::IpAddr;

/// Where a frame from a host behind a connection goes over a transit VIF.
pub(super) enum TransitRoute {
    /// Over VIF `vif` (index in the connection) into attachment `att`.
    Via { vif: u16, att: TgwAttIdx },
    /// The connection has transit VIFs but no association allows `dst`: the
    /// first association its VIFs reach, for the drop's detail.
    NotAllowed(TgwAttIdx),
    /// The connection has no transit VIF to an associated Direct Connect gateway.
    None,
}

impl Dataplane {
    /// The `direct-connect-gateway` attachment a frame to `dst` from a host
    /// behind connection `d` enters: over each transit VIF, the associations of
    /// its Direct Connect gateway, the longest allowed prefix holding `dst`
    /// first (the route on premises learned), then the first listed.
    pub(super) fn dx_transit_route(&self, d: DxIdx, dst: IpAddr) -> TransitRoute {
        let Some(dx) = self.net.direct_connects.get(d.ix()) else {
            return TransitRoute::None;
        };
        let mut first = None;
        let mut best: Option<(u8, u16, TgwAttIdx)> = None;
        for (i, v) in dx.virtual_interfaces.iter().enumerate() {
            let VifTarget::Transit(g) = v.target else {
                continue;
            };
            for (ai, a) in self.net.tgw_attachments.iter().enumerate() {
                let TgwAttachmentKind::DirectConnectGateway {
                    dxgw,
                    allowed_prefixes,
                } = &a.kind
                else {
                    continue;
                };
                if *dxgw != g {
                    continue;
                }
                let att = TgwAttIdx(ai as u32);
                first.get_or_insert(att);
                let longest = allowed_prefixes
                    .iter()
                    .filter(|n| n.contains(&dst))
                    .map(|n| n.prefix_len())
                    .max();
                if let Some(p) = longest {
                    if best.is_none_or(|(bp, ..)| p > bp) {
                        best = Some((p, i as u16, att));
                    }
                }
            }
        }
        match (best, first) {
            (Some((_, vif, att)), _) => TransitRoute::Via { vif, att },
            (None, Some(att)) => TransitRoute::NotAllowed(att),
            (None, None) => TransitRoute::None,
        }
    }

    /// A frame from on-premises host `h` behind connection `d`, over transit
    /// VIF `vif` into Direct Connect gateway attachment `att` of a TGW.
    #[allow(clippy::too_many_arguments)]
    #[cold]
    #[inline(never)]
    pub(super) fn in_dx_transit<T: Tracer>(
        &mut self,
        now: u64,
        h: HostIdx,
        d: DxIdx,
        (vif, att): (u16, TgwAttIdx),
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let gateway = Gateway::DirectConnect(d, vif);
        sink.tr.hop(Hop::Gateway { gateway });
        let mtu = self
            .net
            .direct_connects
            .get(d.ix())
            .and_then(|c| c.virtual_interfaces.get(usize::from(vif)))
            .map_or(DX_TRANSIT_MTU, |v| v.mtu);
        if key.ip_len > mtu {
            let detail = DropDetail::MtuExceeded {
                link_mtu: mtu,
                packet: key.ip_len,
                link: MtuLink::Gateway(gateway),
            };
            return sink.drop(detail, None, frame);
        }
        let tgw = self.net.tgw_attachments[att.ix()].tgw;
        let start = sink.out.len();
        self.in_tgw_attachment(now, Source::External(h), tgw, att, key, frame, sink);
        let crossing = GatewayCrossing::VirtualInterface {
            dx: d,
            vif,
            outbound: false,
        };
        self.mark_via_gateway(sink.out, start, crossing);
    }

    /// The host at `dst` behind a connection with a transit VIF to Direct
    /// Connect gateway `g`: the host, its MTU, its connection and that VIF.
    pub(super) fn dx_transit_host(
        &self,
        g: DxgwIdx,
        dst: IpAddr,
    ) -> Option<(HostIdx, u16, DxIdx, u16)> {
        let h = self.host_by_ip(dst)?;
        let host = &self.net.external_hosts[h.ix()];
        let ExternalSite::DirectConnect(d) = host.site else {
            return None;
        };
        let vif = self.net.dx_transit_vif(d, g)?;
        Some((h, host.mtu, d, vif as u16))
    }

    /// The MTU towards `dst` out of Direct Connect gateway `g`'s attachment:
    /// the transit VIF's, or the TGW's when no host is there (the frame is then
    /// dropped as unknown).
    pub(super) fn dx_transit_mtu(&self, g: DxgwIdx, dst: IpAddr) -> u16 {
        self.dx_transit_host(g, dst)
            .and_then(|(_, _, d, v)| {
                self.net
                    .direct_connects
                    .get(d.ix())?
                    .virtual_interfaces
                    .get(usize::from(v))
            })
            .map_or(TGW_MTU, |v| v.mtu.min(TGW_MTU))
    }
}
