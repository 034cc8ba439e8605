//! PrivateLink: `aws elbv2 describe-load-balancers`, `describe-listeners`,
//! `describe-target-groups`, `describe-target-health`,
//! `describe-load-balancer-attributes`, and `aws ec2
//! describe-vpc-endpoint-service-configurations` /
//! `describe-vpc-endpoint-service-permissions` (field names as the CLI prints
//! them, PascalCase).

use super::Tag;
use serde::Deserialize;

/// elbv2 `LoadBalancers[]` (Network, Application or Gateway Load Balancer).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    pub load_balancer_arn: String,
    pub load_balancer_name: String,
    /// `network`, `application` or `gateway`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: Option<String>,
    pub vpc_id: Option<String>,
    pub state: Option<LbState>,
    #[serde(default)]
    pub availability_zones: Vec<LbZone>,
    #[serde(default)]
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LbState {
    /// `active`, `provisioning`, `active_impaired` or `failed`.
    pub code: String,
}

/// One subnet (one per AZ) of a load balancer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LbZone {
    pub zone_name: Option<String>,
    pub subnet_id: String,
    #[serde(default)]
    pub load_balancer_addresses: Vec<LbAddress>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LbAddress {
    #[serde(rename = "IpAddress")]
    pub ip_address: Option<String>,
    #[serde(rename = "PrivateIPv4Address")]
    pub private_ipv4_address: Option<String>,
}

/// elbv2 `Listeners[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    pub listener_arn: String,
    pub load_balancer_arn: String,
    pub port: Option<i64>,
    /// `TCP`, `UDP`, `TCP_UDP`, `TLS` (NLB); `HTTP`, `HTTPS` (ALB); `GENEVE` (GWLB).
    pub protocol: Option<String>,
    #[serde(default)]
    pub default_actions: Vec<LbAction>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LbAction {
    #[serde(rename = "Type")]
    pub kind: String,
    pub target_group_arn: Option<String>,
    pub forward_config: Option<ForwardConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardConfig {
    #[serde(default)]
    pub target_groups: Vec<WeightedTargetGroup>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WeightedTargetGroup {
    pub target_group_arn: String,
    pub weight: Option<i64>,
}

/// elbv2 `TargetGroups[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    pub target_group_arn: String,
    pub target_group_name: String,
    pub protocol: Option<String>,
    pub port: Option<i64>,
    pub vpc_id: Option<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: Option<String>,
    #[serde(default)]
    pub load_balancer_arns: Vec<String>,
}

/// elbv2 describe-target-health `TargetHealthDescriptions[]` (the output does
/// not name its target group: the file is named after it).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealthDescription {
    pub target: LbTargetRef,
    pub target_health: Option<TargetHealth>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LbTargetRef {
    /// An instance id (`instance` target groups) or an IP address (`ip`).
    pub id: String,
    pub port: Option<i64>,
    pub availability_zone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealth {
    /// `initial`, `healthy`, `unhealthy`, `unhealthy.draining`, `unused`,
    /// `draining` or `unavailable`.
    pub state: String,
    pub reason: Option<String>,
}

/// describe-load-balancer-attributes (or describe-target-group-attributes)
/// `Attributes[]`: the output does not name its object: the file is named
/// after it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LbAttribute {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// ec2 describe-vpc-endpoint-service-configurations `ServiceConfigurations[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceConfiguration {
    pub service_id: String,
    pub service_name: String,
    #[serde(default)]
    pub service_type: Vec<ServiceTypeDetail>,
    /// `Pending`, `Available`, `Deleting`, `Deleted` or `Failed`.
    pub service_state: Option<String>,
    #[serde(default)]
    pub acceptance_required: bool,
    #[serde(default)]
    pub network_load_balancer_arns: Vec<String>,
    #[serde(default)]
    pub gateway_load_balancer_arns: Vec<String>,
    pub private_dns_name: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceTypeDetail {
    /// `Interface` or `GatewayLoadBalancer`.
    pub service_type: String,
}

/// ec2 describe-vpc-endpoint-service-permissions `AllowedPrincipals[]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllowedPrincipal {
    pub principal: String,
    pub principal_type: Option<String>,
    /// Printed by current CLIs; else the file is named after the service.
    pub service_id: Option<String>,
}
