//! Shapes shared by several `describe-*` outputs.

use serde::Deserialize;

/// `Tags[]`: `{"Key": "Name", "Value": "web"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// The value of the `Name` tag, if any.
pub fn name_tag(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key == "Name")
        .map(|t| t.value.as_str())
}

/// A record that is known but not modelled (load balancers, transit gateways,
/// Network Firewall, …): only its id is read, for the report. The id's key
/// differs per kind, hence the aliases.
#[derive(Debug, Clone, Deserialize)]
pub struct Unmodelled {
    #[serde(
        alias = "TransitGatewayId",
        alias = "TransitGatewayAttachmentId",
        alias = "TransitGatewayRouteTableId",
        alias = "LoadBalancerArn",
        alias = "LoadBalancerName",
        alias = "FirewallArn",
        alias = "FirewallName",
        alias = "CarrierGatewayId",
        alias = "LocalGatewayId",
        alias = "ZoneName",
        alias = "RegionName",
        alias = "DhcpOptionsId",
        alias = "FlowLogId",
        alias = "TargetGroupArn",
        alias = "VpcEndpointServiceId",
        alias = "ServiceId"
    )]
    pub id: String,
}
