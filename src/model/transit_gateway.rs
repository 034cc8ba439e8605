//! Transit gateways (`tgw-…`): a regional router of their own between VPCs, VPN
//! connections and other transit gateways, with attachments and route tables.
//!
//! Unlike a peering, a transit gateway routes transitively: every attachment's
//! traffic is looked up in the one TGW route table it is *associated* with, and
//! attachments *propagate* their CIDRs into any number of tables.

use super::*;
use ipnet::IpNet;

/// AWS's MTU for traffic between VPC, peering and Direct Connect attachments.
pub const TGW_MTU: u16 = 8500;
/// AWS's MTU through a VPN attachment.
pub const TGW_VPN_MTU: u16 = 1500;

#[derive(Debug, Clone, PartialEq)]
pub struct TransitGateway {
    pub id: String,
    pub region: RegionIdx,
    /// Extra one-way delay of a hop through this TGW.
    pub latency_ns: u64,
    /// The table attachments without an explicit association are associated with
    /// (`default_route_table_association`), if any.
    pub default_association: Option<TgwRtbIdx>,
    /// The table VPC and VPN attachments propagate into by default
    /// (`default_route_table_propagation`), if any.
    pub default_propagation: Option<TgwRtbIdx>,
    /// Security group referencing support (TGW-level switch).
    pub sg_referencing: bool,
}

/// What is on the other side of an attachment.
#[derive(Debug, Clone, PartialEq)]
pub enum TgwAttachmentKind {
    /// A VPC, through at most one subnet per AZ.
    Vpc {
        vpc: VpcIdx,
        subnets: Vec<SubnetIdx>,
        /// Keep both directions of a flow in one AZ (stateful appliances).
        appliance_mode: bool,
    },
    /// A VPN connection to on-premises networks; its hosts are the
    /// [`ExternalSite::OnPrem`] hosts of `vgw` (an entry with no VPC that stands for
    /// the customer side of this attachment).
    Vpn { vgw: VgwIdx },
    /// A peering with another transit gateway (static routes only).
    Peering { peer: TgwIdx },
    /// A Direct Connect gateway associated with this TGW (AWS resource type
    /// `direct-connect-gateway`). Its hosts are the on-premises hosts behind
    /// connections with a transit virtual interface to `dxgw`; it propagates
    /// their `onprem_cidrs`, and on premises learns only `allowed_prefixes`.
    DirectConnectGateway {
        dxgw: DxgwIdx,
        allowed_prefixes: Vec<IpNet>,
    },
}

/// An attachment's state; only `available` carries traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TgwAttachmentState {
    Available,
    Pending,
    PendingAcceptance,
    Modifying,
    Deleting,
    Deleted,
    Rejected,
    Failed,
}

impl TgwAttachmentState {
    pub const ALL: [TgwAttachmentState; 8] = [
        TgwAttachmentState::Available,
        TgwAttachmentState::Pending,
        TgwAttachmentState::PendingAcceptance,
        TgwAttachmentState::Modifying,
        TgwAttachmentState::Deleting,
        TgwAttachmentState::Deleted,
        TgwAttachmentState::Rejected,
        TgwAttachmentState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TgwAttachmentState::Available => "available",
            TgwAttachmentState::Pending => "pending",
            TgwAttachmentState::PendingAcceptance => "pending-acceptance",
            TgwAttachmentState::Modifying => "modifying",
            TgwAttachmentState::Deleting => "deleting",
            TgwAttachmentState::Deleted => "deleted",
            TgwAttachmentState::Rejected => "rejected",
            TgwAttachmentState::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TgwAttachment {
    pub id: String,
    pub tgw: TgwIdx,
    pub kind: TgwAttachmentKind,
    pub state: TgwAttachmentState,
    /// The route table of `tgw` this attachment's traffic is looked up in.
    pub association: Option<TgwRtbIdx>,
    /// For a peering: the route table of the peer TGW that traffic arriving over
    /// it is looked up in.
    pub peer_association: Option<TgwRtbIdx>,
    /// The attachment's MTU ([`TGW_MTU`], or [`TGW_VPN_MTU`] for VPN).
    pub mtu: u16,
    /// Security group referencing support on this (VPC) attachment; false for
    /// other kinds.
    pub sg_referencing: bool,
}

impl TgwAttachment {
    /// The route table traffic entering `tgw` from this attachment is looked up in.
    pub fn association_on(&self, tgw: TgwIdx) -> Option<TgwRtbIdx> {
        if tgw == self.tgw {
            self.association
        } else {
            self.peer_association
        }
    }

    /// The TGW on the far side of a peering attachment from `tgw`.
    pub fn peer_of(&self, tgw: TgwIdx) -> Option<TgwIdx> {
        match self.kind {
            TgwAttachmentKind::Peering { peer } if tgw == self.tgw => Some(peer),
            TgwAttachmentKind::Peering { peer } if tgw == peer => Some(self.tgw),
            _ => None,
        }
    }

    /// The kind as written in the file.
    pub fn kind_str(&self) -> &'static str {
        match self.kind {
            TgwAttachmentKind::Vpc { .. } => "vpc",
            TgwAttachmentKind::Vpn { .. } => "vpn",
            TgwAttachmentKind::Peering { .. } => "peering",
            TgwAttachmentKind::DirectConnectGateway { .. } => "direct-connect-gateway",
        }
    }
}

/// Where a TGW route sends matching traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TgwRouteTarget {
    Attachment(TgwAttIdx),
    Blackhole,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TgwRoute {
    pub destination: IpNet,
    pub target: TgwRouteTarget,
    /// Propagated from an attachment rather than static: loses ties to static.
    pub propagated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TgwRouteTable {
    pub id: String,
    pub tgw: TgwIdx,
    /// Static routes first, in file order, then propagated ones.
    pub routes: Vec<TgwRoute>,
}
