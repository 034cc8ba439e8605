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

/// The keys that hold an unmodelled record's id, most specific first.
const ID_KEYS: &[&str] = &[
    "TransitGatewayAttachmentId",
    "TransitGatewayRouteTableId",
    "TransitGatewayId",
    "ListenerArn",
    "LoadBalancerArn",
    "LoadBalancerName",
    "TargetGroupArn",
    "FirewallArn",
    "FirewallName",
    "CarrierGatewayId",
    "LocalGatewayId",
    "DhcpOptionsId",
    "FlowLogId",
    "ZoneName",
    "RegionName",
    "IpId",
    "Id",
    "ServiceId",
    "virtualInterfaceId",
    "connectionId",
    "associationId",
    "directConnectGatewayId",
];

/// A record that is known but not modelled (load balancers, transit gateways,
/// Network Firewall, …): only its id is kept, for the report. The id's key
/// differs per kind (and a load balancer has both an ARN and a name), so the
/// record is read as a map and the first key of [`ID_KEYS`] found names it.
#[derive(Debug, Clone)]
pub struct Unmodelled {
    pub id: String,
}

impl<'de> Deserialize<'de> for Unmodelled {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        ID_KEYS
            .iter()
            .find_map(|k| map.get(*k).and_then(|v| v.as_str()))
            // describe-target-health names each record by its target.
            .or_else(|| map.get("Target")?.get("Id")?.as_str())
            .map(|id| Unmodelled { id: id.to_string() })
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "record without an id (expected one of {})",
                    ID_KEYS.join(", ")
                ))
            })
    }
}
