//! What the simulation plugs a router into: a frame from an attachment in, actions
//! out. The VPC router (`dataplane`) implements it through a thin adapter; tests use
//! [`DirectFabric`](super::DirectFabric).

use crate::model::{Charges, DropReason, EniIdx, HostIdx, PcxIdx, TgwAttIdx};
use std::net::IpAddr;

/// Where a frame enters or leaves the fabric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attachment {
    Eni(EniIdx),
    External(HostIdx),
}

/// What the fabric decided for one frame (a frame may yield several: fragments, an
/// ICMP error back to the source).
#[derive(Debug)]
pub enum FabricAction {
    /// Hand `frame` to `to` after `latency_ns` of propagation.
    Deliver {
        to: Attachment,
        frame: Vec<u8>,
        latency_ns: u64,
        /// The peering link it crossed (captured on that link).
        via_peering: Option<PcxIdx>,
        /// The transit gateway attachments it entered and left by (captured on
        /// each).
        via_tgw: Option<(TgwAttIdx, TgwAttIdx)>,
        /// The billable segments it crossed: its IP bytes count for its flow's
        /// data cost.
        charges: Charges,
        /// The NAT gateway that translated it (captured on its interface, both
        /// sides).
        via_nat: Option<crate::dataplane::NatCrossing>,
        /// The forwarding instance it crossed (captured on the appliance's
        /// ENIs, arrival and departure).
        via_appliance: Option<crate::dataplane::ApplianceCrossing>,
        /// The egress-only internet gateway or Direct Connect virtual
        /// interface it crossed (captured there).
        via_gateway: Option<crate::dataplane::GatewayCrossing>,
    },
    /// Drop `frame`; `detail` names the object responsible (`acl-1 rule 100 inbound`).
    Drop {
        reason: DropReason,
        detail: String,
        eni: Option<EniIdx>,
        frame: Vec<u8>,
    },
}

/// A router: pure apart from its own state (conntrack, NAT tables), no clock.
pub trait Fabric {
    /// Process `frame` arriving from `from` at `now_ns`; push the outcome to `out`.
    fn forward(
        &mut self,
        now_ns: u64,
        from: Attachment,
        frame: Vec<u8>,
        out: &mut Vec<FabricAction>,
    );

    /// The private (address, port) behind a public (address, port) this fabric
    /// translated (a NAT gateway's, or an instance's public IP at an internet
    /// gateway), if any: lets drops of translated frames count for their flow, and
    /// receivers recognise translated sources. Read-only; a fabric without NAT
    /// keeps the default.
    fn untranslate(&self, _public: IpAddr, _protocol: u8, _port: u16) -> Option<(IpAddr, u16)> {
        None
    }

    /// Apply a `[[change]]` at its virtual time (the engine calls it as an
    /// event, never per frame). A fabric that models no changes says so: the
    /// change is reported "not applied" in the flows' timelines.
    fn apply_change(&mut self, _change: &crate::model::Change) -> Result<(), String> {
        Err("this fabric does not model changes".into())
    }

    /// PrivateLink: the consumer's (address, port) and the interface endpoint's
    /// (address, listener port) behind an NLB node's address and the port it
    /// chose (both ends of the frame were translated). Read-only.
    fn untranslate_service(
        &self,
        _node: IpAddr,
        _protocol: u8,
        _port: u16,
    ) -> Option<(IpAddr, u16, IpAddr, u16)> {
        None
    }
}
