//! `describe-vpcs`, `describe-subnets`, `describe-vpc-peering-connections`.

use super::Tag;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    pub vpc_id: String,
    pub cidr_block: String,
    /// Every IPv4 block, the primary included (with its association state).
    #[serde(default)]
    pub cidr_block_association_set: Vec<CidrAssociation>,
    #[serde(default)]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrAssociation>,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CidrAssociation {
    pub cidr_block: String,
    #[serde(default)]
    pub cidr_block_state: Option<BlockState>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6CidrAssociation {
    pub ipv6_cidr_block: String,
    #[serde(default)]
    pub ipv6_cidr_block_state: Option<BlockState>,
}

/// `CidrBlockState`: only `associated` blocks route traffic.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockState {
    pub state: BlockStateCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockStateCode {
    Associating,
    Associated,
    Disassociating,
    Disassociated,
    Failing,
    Failed,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub subnet_id: String,
    pub vpc_id: String,
    pub cidr_block: String,
    pub availability_zone: String,
    #[serde(default)]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrAssociation>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcPeeringConnection {
    pub vpc_peering_connection_id: String,
    pub requester_vpc_info: PeeringVpcInfo,
    pub accepter_vpc_info: PeeringVpcInfo,
    pub status: PeeringStatus,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeeringVpcInfo {
    pub vpc_id: String,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub cidr_block: Option<String>,
    #[serde(default)]
    pub cidr_block_set: Vec<CidrOnly>,
    #[serde(default)]
    pub ipv6_cidr_block_set: Vec<Ipv6Only>,
    /// `AllowDnsResolutionFromRemoteVpc` of this side (active peerings).
    pub peering_options: Option<super::PeeringOptions>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CidrOnly {
    pub cidr_block: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Only {
    pub ipv6_cidr_block: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeeringStatus {
    pub code: PeeringCode,
    #[serde(default)]
    pub message: Option<String>,
}

/// Every `Status.Code` AWS documents for a peering connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeeringCode {
    InitiatingRequest,
    PendingAcceptance,
    Active,
    Deleted,
    Rejected,
    Failed,
    Expired,
    Provisioning,
    Deleting,
}
