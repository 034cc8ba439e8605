//! The topology the mapper builds, in the shape of the topology format (one
//! struct per `[[table]]`), with the comments the writer puts beside each object.

/// Where an object came from and what the reader should know about it.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    /// `us-east-1/Vpcs.json Vpcs[0]`.
    pub source: String,
    /// The `Name` tag, if any.
    pub name_tag: Option<String>,
    /// One line each: what was adapted or left out.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// `[quotas]` raised to what the account uses: (key, value, why).
    pub quotas: Vec<(&'static str, u32, String)>,
    pub prefix_lists: Vec<PrefixListPlan>,
    pub vpcs: Vec<VpcPlan>,
    pub peerings: Vec<PeeringPlan>,
    pub tgws: Vec<TgwPlan>,
    pub tgw_attachments: Vec<TgwAttachmentPlan>,
    pub tgw_route_tables: Vec<TgwRouteTablePlan>,
    /// `[[private_zone]]` and `[[public_zone]]`.
    pub zones: Vec<ZonePlan>,
    /// PrivateLink: NLBs, endpoint services and interface endpoints.
    pub load_balancers: Vec<LoadBalancerPlan>,
    pub endpoint_services: Vec<EndpointServicePlan>,
    pub interface_endpoints: Vec<InterfaceEndpointPlan>,
    /// Direct Connect connections and gateways.
    pub direct_connects: Vec<DirectConnectPlan>,
    pub dx_gateways: Vec<DxGatewayPlan>,
    pub skipped: Vec<Skip>,
    /// Objects written (VPCs, subnets, tables, …; each instance counts once).
    pub imported: usize,
}

/// Something not imported (or imported only in part), and why.
#[derive(Debug, Clone)]
pub struct Skip {
    pub id: String,
    pub why: String,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct PrefixListPlan {
    pub id: String,
    pub name: Option<String>,
    pub cidrs: Vec<String>,
    pub notes: Notes,
}

#[derive(Debug, Clone, Default)]
pub struct VpcPlan {
    pub id: String,
    pub region: String,
    pub cidr: String,
    pub secondary: Vec<String>,
    pub ipv6: Option<String>,
    /// describe-vpc-attribute, when exported (else peeremu's defaults, AWS's
    /// for a VPC you create: support on, hostnames off).
    pub enable_dns_support: Option<bool>,
    pub enable_dns_hostnames: Option<bool>,
    pub notes: Notes,
    pub subnets: Vec<SubnetPlan>,
    pub route_tables: Vec<RouteTablePlan>,
    pub nacls: Vec<NaclPlan>,
    pub sgs: Vec<SgPlan>,
    pub igws: Vec<IgwPlan>,
    pub nats: Vec<NatPlan>,
    pub vgws: Vec<VgwPlan>,
    pub endpoints: Vec<EndpointPlan>,
    pub instances: Vec<InstancePlan>,
}

#[derive(Debug, Clone)]
pub struct SubnetPlan {
    pub id: String,
    pub az: String,
    pub cidr: String,
    pub ipv6: Option<String>,
    pub route_table: Option<String>,
    pub nacl: Option<String>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct RouteTablePlan {
    pub id: String,
    pub main: bool,
    pub routes: Vec<RoutePlan>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct RoutePlan {
    pub destination: String,
    pub target: String,
    /// Written as a comment after the route.
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NaclPlan {
    pub id: String,
    pub inbound: Vec<RulePlan>,
    pub outbound: Vec<RulePlan>,
    pub notes: Notes,
}

/// A NACL or security group rule (NACL rules have `rule` and `action`).
#[derive(Debug, Clone, Default)]
pub struct RulePlan {
    pub rule: Option<i64>,
    pub protocol: String,
    pub ports: Option<(i64, i64)>,
    pub icmp: Option<(i64, i64)>,
    /// `cidr`, `prefix_list` or `group`, and its value.
    pub peer: (&'static str, String),
    pub action: Option<&'static str>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SgPlan {
    pub id: String,
    pub name: Option<String>,
    pub ingress: Vec<RulePlan>,
    pub egress: Vec<RulePlan>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct IgwPlan {
    pub id: String,
    /// An egress-only internet gateway (`[[egress_only_internet_gateway]]`).
    pub egress_only: bool,
    /// `None`: detached.
    pub vpc: Option<String>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct NatPlan {
    pub id: String,
    pub subnet: String,
    pub private_ip: String,
    pub elastic_ip: String,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct VgwPlan {
    pub id: String,
    pub vpc: Option<String>,
    pub onprem_cidrs: Vec<String>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct EndpointPlan {
    pub id: String,
    pub service: String,
    pub prefix_list: String,
    pub route_tables: Vec<String>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct InstancePlan {
    pub id: String,
    pub name: Option<String>,
    /// `forward = "router"` for an instance that is a route target with its
    /// check off (see `map_compute::forwarders`).
    pub forward: Option<&'static str>,
    pub enis: Vec<EniPlan>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct EniPlan {
    pub id: String,
    pub subnet: String,
    pub private_ip: String,
    pub ipv6: Option<String>,
    pub public_ip: Option<String>,
    pub security_groups: Vec<String>,
    pub source_dest_check: bool,
}

#[derive(Debug, Clone)]
pub struct PeeringPlan {
    pub id: String,
    pub requester: String,
    pub accepter: String,
    pub status: &'static str,
    /// `PeeringOptions.AllowDnsResolutionFromRemoteVpc` of each side.
    pub requester_dns: bool,
    pub accepter_dns: bool,
    pub notes: Notes,
}

/// `[[transit_gateway]]`.
#[derive(Debug, Clone)]
pub struct TgwPlan {
    pub id: String,
    pub region: String,
    pub default_association: bool,
    pub default_propagation: bool,
    /// `SecurityGroupReferencingSupport` (`security_group_referencing`).
    pub sg_referencing: bool,
    pub notes: Notes,
}

/// `[[tgw_attachment]]`: `kind` vpc (with `vpc`, `subnets`), vpn (with
/// `onprem_cidrs`), peering (with `peer_tgw`) or direct-connect-gateway (with
/// `dx_gateway`, `allowed_prefixes`).
#[derive(Debug, Clone)]
pub struct TgwAttachmentPlan {
    pub id: String,
    pub tgw: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub vpc: Option<String>,
    pub subnets: Vec<String>,
    pub appliance_mode: bool,
    /// VPC attachments: `Options.SecurityGroupReferencingSupport` when the
    /// export says it (`None`: AWS's default for a new attachment, enable).
    pub sg_referencing: Option<bool>,
    pub onprem_cidrs: Vec<String>,
    pub peer_tgw: Option<String>,
    /// `direct-connect-gateway` attachments: the Direct Connect gateway and
    /// its association's allowed prefixes.
    pub dx_gateway: Option<String>,
    pub allowed_prefixes: Vec<String>,
    pub notes: Notes,
}

/// `[[tgw_route_table]]`.
#[derive(Debug, Clone)]
pub struct TgwRouteTablePlan {
    pub id: String,
    pub tgw: String,
    pub default: bool,
    pub associations: Vec<String>,
    pub propagations: Vec<String>,
    pub routes: Vec<RoutePlan>,
    pub notes: Notes,
}

/// A Route 53 hosted zone: private (with `vpcs`) or public.
#[derive(Debug, Clone)]
pub struct ZonePlan {
    pub id: String,
    pub private: bool,
    pub name: String,
    pub vpcs: Vec<String>,
    pub records: Vec<RecordPlan>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct RecordPlan {
    pub name: String,
    pub kind: String,
    pub value: String,
    pub ttl: Option<i64>,
}

/// `[[load_balancer]]` (a Network Load Balancer fronting an endpoint service).
#[derive(Debug, Clone)]
pub struct LoadBalancerPlan {
    /// The load balancer's name (AWS gives it no shorter id; unique per Region).
    pub id: String,
    /// (subnet, node's private IP), one per AZ.
    pub subnets: Vec<(String, String)>,
    pub listeners: Vec<ListenerPlan>,
    pub cross_zone: bool,
    pub security_groups: Vec<String>,
    pub unhealthy_targets: Vec<String>,
    pub notes: Notes,
}

#[derive(Debug, Clone)]
pub struct ListenerPlan {
    pub protocol: &'static str,
    pub port: i64,
    /// Instance ids or ENI ids.
    pub targets: Vec<String>,
    /// Written as a comment after the listener.
    pub note: Option<String>,
}

/// `[[endpoint_service]]`.
#[derive(Debug, Clone)]
pub struct EndpointServicePlan {
    pub id: String,
    pub load_balancer: String,
    pub acceptance_required: bool,
    pub notes: Notes,
}

/// `[[vpc_endpoint]]` of `type = "interface"`.
#[derive(Debug, Clone)]
pub struct InterfaceEndpointPlan {
    pub id: String,
    pub service: String,
    /// (subnet, the interface's private IP), one per AZ.
    pub subnets: Vec<(String, String)>,
    pub security_groups: Vec<String>,
    pub notes: Notes,
}

/// `[[direct_connect]]`.
#[derive(Debug, Clone)]
pub struct DirectConnectPlan {
    pub id: String,
    pub onprem_cidrs: Vec<String>,
    pub bandwidth_gbps: Option<f64>,
    pub vifs: Vec<VifPlan>,
    pub notes: Notes,
}

/// A virtual interface of a `[[direct_connect]]`.
#[derive(Debug, Clone)]
pub struct VifPlan {
    pub id: String,
    pub kind: &'static str,
    pub vgw: Option<String>,
    pub dx_gateway: Option<String>,
    pub mtu: Option<i64>,
    /// Written as a comment after the interface.
    pub note: Option<String>,
}

/// `[[direct_connect_gateway]]`.
#[derive(Debug, Clone)]
pub struct DxGatewayPlan {
    pub id: String,
    pub vpn_gateways: Vec<String>,
    pub notes: Notes,
}
