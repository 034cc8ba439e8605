//! Transit gateways: `describe-transit-gateways`, `-transit-gateway-attachments`,
//! `-transit-gateway-vpc-attachments`, `-transit-gateway-peering-attachments`,
//! `-transit-gateway-route-tables`, and the per-table outputs of
//! `get-transit-gateway-route-table-associations`, `-propagations` and
//! `search-transit-gateway-routes` (which do not name their table: see
//! `files::table_of`). Field names as in the AWS CLI's output (botocore's ec2
//! model); enum values as AWS documents them, anything else an error.

use super::Tag;
use serde::Deserialize;

/// `enable` / `disable`, as the TGW and attachment options print them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnableDisable {
    Enable,
    Disable,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGateway {
    pub transit_gateway_id: String,
    /// `arn:aws:ec2:<region>:<account>:transit-gateway/tgw-…`: the region.
    pub transit_gateway_arn: Option<String>,
    /// pending | available | modifying | deleting | deleted
    pub state: Option<String>,
    pub options: Option<TransitGatewayOptions>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGatewayOptions {
    pub default_route_table_association: Option<EnableDisable>,
    pub association_default_route_table_id: Option<String>,
    pub default_route_table_propagation: Option<EnableDisable>,
    pub propagation_default_route_table_id: Option<String>,
    /// Security group referencing across the TGW (TGW-level switch; AWS's default disable).
    pub security_group_referencing_support: Option<EnableDisable>,
}

/// What is on the other side of an attachment (`ResourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TgwResourceType {
    #[serde(rename = "vpc")]
    Vpc,
    #[serde(rename = "vpn")]
    Vpn,
    #[serde(rename = "direct-connect-gateway")]
    DirectConnectGateway,
    #[serde(rename = "connect")]
    Connect,
    #[serde(rename = "peering")]
    Peering,
    /// Deprecated name of `peering`.
    #[serde(rename = "tgw-peering")]
    TgwPeering,
    #[serde(rename = "network-function")]
    NetworkFunction,
}

impl TgwResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            TgwResourceType::Vpc => "vpc",
            TgwResourceType::Vpn => "vpn",
            TgwResourceType::DirectConnectGateway => "direct-connect-gateway",
            TgwResourceType::Connect => "connect",
            TgwResourceType::Peering | TgwResourceType::TgwPeering => "peering",
            TgwResourceType::NetworkFunction => "network-function",
        }
    }
}

/// An attachment's `State` (AWS spells two of them in camelCase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TgwAttachmentStateAws {
    InitiatingRequest,
    PendingAcceptance,
    RollingBack,
    Pending,
    Available,
    Modifying,
    Deleting,
    Deleted,
    Failed,
    Rejected,
    Rejecting,
    Failing,
}

/// One record of `describe-transit-gateway-attachments` (every kind).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwAttachment {
    pub transit_gateway_attachment_id: String,
    pub transit_gateway_id: String,
    pub resource_type: TgwResourceType,
    /// The VPC, VPN connection, peer transit gateway, Direct Connect gateway, …
    pub resource_id: Option<String>,
    pub state: TgwAttachmentStateAws,
    pub association: Option<TgwAttachmentAssociation>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwAttachmentAssociation {
    pub transit_gateway_route_table_id: String,
    /// associating | associated | disassociating | disassociated
    pub state: String,
}

/// One record of `describe-transit-gateway-vpc-attachments`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwVpcAttachment {
    pub transit_gateway_attachment_id: String,
    pub transit_gateway_id: String,
    pub vpc_id: String,
    pub state: TgwAttachmentStateAws,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    pub options: Option<TgwVpcAttachmentOptions>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwVpcAttachmentOptions {
    pub dns_support: Option<EnableDisable>,
    pub security_group_referencing_support: Option<EnableDisable>,
    pub ipv6_support: Option<EnableDisable>,
    pub appliance_mode_support: Option<EnableDisable>,
}

/// One record of `describe-transit-gateway-peering-attachments`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwPeeringAttachment {
    pub transit_gateway_attachment_id: String,
    pub requester_tgw_info: PeeringTgwInfo,
    pub accepter_tgw_info: PeeringTgwInfo,
    pub state: TgwAttachmentStateAws,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeeringTgwInfo {
    pub transit_gateway_id: Option<String>,
    pub owner_id: Option<String>,
    pub region: Option<String>,
}

/// One record of `describe-transit-gateway-route-tables`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwRouteTable {
    pub transit_gateway_route_table_id: String,
    pub transit_gateway_id: String,
    /// pending | available | deleting | deleted
    pub state: Option<String>,
    #[serde(default)]
    pub default_association_route_table: bool,
    #[serde(default)]
    pub default_propagation_route_table: bool,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// One route of `search-transit-gateway-routes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwRoute {
    pub destination_cidr_block: Option<String>,
    pub prefix_list_id: Option<String>,
    #[serde(default)]
    pub transit_gateway_attachments: Vec<TgwRouteAttachment>,
    #[serde(rename = "Type")]
    pub kind: TgwRouteType,
    pub state: TgwRouteState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TgwRouteType {
    Static,
    Propagated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TgwRouteState {
    Pending,
    Active,
    Blackhole,
    Deleting,
    Deleted,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwRouteAttachment {
    pub transit_gateway_attachment_id: Option<String>,
    pub resource_id: Option<String>,
    pub resource_type: Option<TgwResourceType>,
}

/// One record of `get-transit-gateway-route-table-associations` (`Associations`)
/// or `-propagations` (`TransitGatewayRouteTablePropagations`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TgwTableLink {
    pub transit_gateway_attachment_id: String,
    pub resource_id: Option<String>,
    pub resource_type: Option<TgwResourceType>,
    /// associations: associating | associated | disassociating | disassociated;
    /// propagations: enabling | enabled | disabling | disabled
    pub state: String,
}

/// Batfish's snapshot wraps the per-table outputs with the table they are for:
/// `{"TransitGatewayStaticRoutes": [{"TransitGatewayRouteTableId": …, "Routes": […]}]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WrappedRoutes {
    pub transit_gateway_route_table_id: String,
    #[serde(default)]
    pub routes: Vec<TgwRoute>,
}

/// `{"TransitGatewayPropagations": [{"TransitGatewayRouteTableId": …,
/// "TransitGatewayRouteTablePropagations": […]}]}` (Batfish's snapshot).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WrappedPropagations {
    pub transit_gateway_route_table_id: String,
    #[serde(default)]
    pub transit_gateway_route_table_propagations: Vec<TgwTableLink>,
}
