//! Amazon DNS and Route 53: `ec2 describe-vpc-attribute` (one attribute per
//! call, with its `VpcId`), the `PeeringOptions` of a peering's sides, and
//! `route53 get-hosted-zone`, `list-hosted-zones`, `list-hosted-zones-by-vpc`
//! and `list-resource-record-sets` (field names as the AWS CLI prints them,
//! botocore's route53 model).

use serde::Deserialize;

/// `{"Value": true}`, as describe-vpc-attribute prints an attribute.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BoolValue {
    pub value: bool,
}

/// A peering side's `PeeringOptions` (describe-vpc-peering-connections prints
/// them for active peerings).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeeringOptions {
    #[serde(default)]
    pub allow_dns_resolution_from_remote_vpc: bool,
}

/// A hosted zone as get-hosted-zone (`HostedZone`) and list-hosted-zones
/// (`HostedZones[]`) print it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostedZone {
    /// `/hostedzone/Z0123…`.
    pub id: String,
    /// `internal.example.` (trailing dot; special characters as `\NNN`).
    pub name: String,
    pub config: Option<HostedZoneConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostedZoneConfig {
    #[serde(default)]
    pub private_zone: bool,
}

/// get-hosted-zone's `VPCs[]`: the VPCs a private zone is associated with.
#[derive(Debug, Clone, Deserialize)]
pub struct HostedZoneVpc {
    #[serde(rename = "VPCId")]
    pub vpc_id: String,
    #[serde(rename = "VPCRegion")]
    pub vpc_region: Option<String>,
}

/// list-hosted-zones-by-vpc's `HostedZoneSummaries[]` (the VPC is the one asked
/// about, which the output does not name).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostedZoneSummary {
    pub hosted_zone_id: String,
    pub name: String,
}

/// list-resource-record-sets' `ResourceRecordSets[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceRecordSet {
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "TTL")]
    pub ttl: Option<i64>,
    #[serde(default)]
    pub resource_records: Vec<ResourceRecord>,
    /// An alias record (to a load balancer, CloudFront, another record, …).
    pub alias_target: Option<serde_json::Value>,
    /// Set on records of a routing policy (weighted, latency, failover, …).
    pub set_identifier: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceRecord {
    pub value: String,
}

/// The zone id without its `/hostedzone/` prefix.
pub fn zone_id(id: &str) -> &str {
    id.strip_prefix("/hostedzone/").unwrap_or(id)
}
