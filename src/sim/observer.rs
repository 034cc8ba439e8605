//! What the simulation reports as it runs; `output` implements [`Observer`] to write
//! captures and flow logs. Frames are borrowed: observers copy what they keep.

use crate::model::{
    DropReason, DxIdx, EigwIdx, EniIdx, FlowIdx, HostIdx, NatIdx, PcxIdx, TgwAttIdx,
};

/// Where a frame was seen (one pcapng interface each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CapturePoint {
    Eni(EniIdx),
    /// The peering link between two VPCs.
    Peering(PcxIdx),
    /// An external host (internet or on-premises).
    External(HostIdx),
    /// A transit gateway attachment (frames entering the TGW by it are inbound,
    /// leaving by it outbound).
    TgwAttachment(TgwAttIdx),
    /// A NAT gateway's network interface: each translated frame is seen twice,
    /// arriving as it was (inbound) and leaving translated (outbound).
    NatGateway(NatIdx),
    /// An egress-only internet gateway: IPv6 frames leaving for the internet
    /// (outbound) and the replies it lets in (inbound).
    EgressOnlyIgw(EigwIdx),
    /// A Direct Connect private virtual interface (connection, index of the
    /// interface): frames to on premises (outbound) and from it (inbound).
    VirtualInterface(DxIdx, u16),
}

/// Direction relative to the capture point (pcapng `epb_flags` inbound/outbound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameDirection {
    /// Leaving the point (an ENI transmitting; a peering link carrying the frame).
    Outbound,
    /// Arriving at the point.
    Inbound,
}

/// A drop as observed: reason code plus the exact object (e.g. `acl-1 rule 100
/// inbound`), where it happened, and the frame.
#[derive(Debug, Clone, Copy)]
pub struct DropEvent<'a> {
    pub time_ns: u64,
    pub reason: DropReason,
    /// The object that caused it, human readable (`acl-0a1 rule * inbound`).
    pub detail: &'a str,
    /// The ENI on whose behalf the frame was dropped, if any (flow logs: a
    /// `REJECT` there when `reason` is a security group or NACL's, see
    /// [`DropReason::flow_log_effect`]).
    pub eni: Option<EniIdx>,
    pub frame: &'a [u8],
}

/// Receives everything the simulation wants recorded.
pub trait Observer {
    /// Setup is done and the event loop starts (lets a caller time the loop apart
    /// from setup; the engine itself never reads a host clock).
    fn loop_started(&mut self) {}
    /// `true` when only frames seen at ENIs matter to this observer (the flow log
    /// alone, captures off): asked once when the loop starts, and the engine then
    /// makes no [`Observer::frame`] call for peering links and external hosts
    /// (a dynamic call per frame crossing a peering link, for nothing).
    fn eni_frames_only(&self) -> bool {
        false
    }
    /// A frame seen at a capture point.
    fn frame(&mut self, time_ns: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]);
    /// A frame dropped by the data plane or a link.
    fn dropped(&mut self, event: DropEvent<'_>);
    /// The frame of the last [`Observer::dropped`] belongs to `flow` (called
    /// right after it; `peeremu run --explain` keeps the first one of a flow).
    fn flow_dropped(&mut self, _flow: FlowIdx, _event: DropEvent<'_>) {}
}

/// An observer that records nothing (captures off, benchmarks).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullObserver;

impl Observer for NullObserver {
    fn frame(&mut self, _: u64, _: CapturePoint, _: FrameDirection, _: &[u8]) {}
    fn dropped(&mut self, _: DropEvent<'_>) {}
}
