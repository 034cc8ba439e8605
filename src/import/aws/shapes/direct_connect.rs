//! Direct Connect: `aws directconnect describe-connections`,
//! `describe-virtual-interfaces`, `describe-direct-connect-gateways`,
//! `describe-direct-connect-gateway-associations` and
//! `describe-direct-connect-gateway-attachments` (field names as the CLI
//! prints them: camelCase, unlike ec2's PascalCase).

use serde::Deserialize;

/// `connections[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DxConnection {
    pub connection_id: String,
    pub connection_name: Option<String>,
    /// `ordering`, `requested`, `pending`, `available`, `down`, `deleting`,
    /// `deleted`, `rejected` or `unknown`.
    pub connection_state: Option<String>,
    pub region: Option<String>,
    pub location: Option<String>,
    /// `1Gbps`, `10Gbps`, `100Gbps`, `400Gbps`; hosted `50Mbps` … `25Gbps`.
    pub bandwidth: Option<String>,
    pub jumbo_frame_capable: Option<bool>,
    pub lag_id: Option<String>,
}

/// `virtualInterfaces[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DxVirtualInterface {
    pub virtual_interface_id: String,
    pub connection_id: Option<String>,
    /// `private`, `public` or `transit`.
    pub virtual_interface_type: Option<String>,
    pub virtual_interface_name: Option<String>,
    /// `confirming`, `verifying`, `pending`, `available`, `down`, `testing`,
    /// `deleting`, `deleted`, `rejected` or `unknown`.
    pub virtual_interface_state: Option<String>,
    pub vlan: Option<i64>,
    pub mtu: Option<i64>,
    pub virtual_gateway_id: Option<String>,
    pub direct_connect_gateway_id: Option<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub bgp_peers: Vec<DxBgpPeer>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DxBgpPeer {
    pub asn: Option<i64>,
    pub address_family: Option<String>,
    pub amazon_address: Option<String>,
    pub customer_address: Option<String>,
    /// `up`, `down` or `unknown`.
    pub bgp_status: Option<String>,
}

/// `directConnectGateways[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DxGateway {
    pub direct_connect_gateway_id: String,
    pub direct_connect_gateway_name: Option<String>,
    pub amazon_side_asn: Option<i64>,
    /// `pending`, `available`, `deleting` or `deleted`.
    pub direct_connect_gateway_state: Option<String>,
}

/// `directConnectGatewayAssociations[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DxGatewayAssociation {
    pub direct_connect_gateway_id: String,
    pub association_id: Option<String>,
    /// `associating`, `associated`, `disassociating`, `disassociated` or `updating`.
    pub association_state: Option<String>,
    pub associated_gateway: Option<DxAssociatedGateway>,
    #[serde(default)]
    pub allowed_prefixes_to_direct_connect_gateway: Vec<DxPrefix>,
    /// Older outputs name a VGW here instead of `associatedGateway`.
    pub virtual_gateway_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DxAssociatedGateway {
    pub id: String,
    /// `virtualPrivateGateway` or `transitGateway`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DxPrefix {
    pub cidr: String,
}

/// `directConnectGatewayAttachments[]`: which virtual interfaces a Direct
/// Connect gateway has.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DxGatewayAttachment {
    pub direct_connect_gateway_id: String,
    pub virtual_interface_id: String,
    /// `attaching`, `attached`, `detaching` or `detached`.
    pub attachment_state: Option<String>,
    /// `TransitVirtualInterface` or `PrivateVirtualInterface`.
    pub attachment_type: Option<String>,
}
