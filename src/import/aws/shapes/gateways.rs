//! Gateways: internet (and egress-only), NAT, VPN (with its connections and
//! customer gateways), and VPC endpoints.

use super::Tag;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InternetGateway {
    pub internet_gateway_id: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `Attachments[]` of an internet gateway (State `available` once attached) or
/// `VpcAttachments[]` of a VPN gateway (State `attached`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attachment {
    pub vpc_id: String,
    pub state: AttachmentState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentState {
    Attaching,
    Attached,
    Detaching,
    Detached,
    Available,
}

impl AttachmentState {
    pub fn is_attached(self) -> bool {
        matches!(self, AttachmentState::Attached | AttachmentState::Available)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EgressOnlyInternetGateway {
    pub egress_only_internet_gateway_id: String,
    /// State `attached` once attached.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatGateway {
    pub nat_gateway_id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub state: NatState,
    pub connectivity_type: Option<String>,
    #[serde(default)]
    pub nat_gateway_addresses: Vec<NatAddress>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NatState {
    Pending,
    Failed,
    Available,
    Deleting,
    Deleted,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatAddress {
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub network_interface_id: Option<String>,
    pub is_primary: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpnGateway {
    pub vpn_gateway_id: String,
    pub state: Option<String>,
    #[serde(default)]
    pub vpc_attachments: Vec<Attachment>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpnConnection {
    pub vpn_connection_id: String,
    pub vpn_gateway_id: Option<String>,
    pub transit_gateway_id: Option<String>,
    pub customer_gateway_id: Option<String>,
    pub state: Option<String>,
    /// Static routes to on premises (`Options.StaticRoutesOnly`); BGP-learned
    /// routes are not in the JSON (they show as propagated routes instead).
    #[serde(default)]
    pub routes: Vec<VpnStaticRoute>,
    pub options: Option<VpnOptions>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpnOptions {
    /// `true`: the connection's routes are its static `Routes` only (no BGP).
    pub static_routes_only: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpnStaticRoute {
    pub destination_cidr_block: String,
    pub state: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomerGateway {
    pub customer_gateway_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcEndpoint {
    pub vpc_endpoint_id: String,
    pub vpc_endpoint_type: EndpointType,
    pub vpc_id: String,
    pub service_name: String,
    pub state: Option<String>,
    #[serde(default)]
    pub route_table_ids: Vec<String>,
    /// Interface endpoints: one subnet per AZ, the network interfaces AWS made
    /// in them, their security groups, and whether private DNS is on.
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub network_interface_ids: Vec<String>,
    #[serde(default)]
    pub groups: Vec<super::GroupRef>,
    pub private_dns_enabled: Option<bool>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum EndpointType {
    Gateway,
    Interface,
    GatewayLoadBalancer,
    Resource,
    ServiceNetwork,
}
