//! The topology file format: serde structs, one per `[[table]]` kind.
//!
//! Every id, reference and value that validation may complain about is kept
//! `Spanned` so an error can point at its line and column. Addresses and CIDRs
//! are read as strings and parsed by the compiler, so a bad one is reported in
//! our words at its own position rather than as a generic serde error.
//! `deny_unknown_fields` everywhere: a typo in a key is an error, not a silent no-op.

use serde::Deserialize;
use toml::Spanned;

/// A value with its byte span in the source.
pub type S<T> = Spanned<T>;

/// Top-level keys, in the order the README documents them.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "latency",
    "quotas",
    "prices",
    "vpc",
    "subnet",
    "route_table",
    "network_acl",
    "security_group",
    "prefix_list",
    "instance",
    "peering",
    "internet_gateway",
    "nat_gateway",
    "vpn_gateway",
    "gateway_endpoint",
    "host",
    "transit_gateway",
    "tgw_attachment",
    "tgw_route_table",
    "load_balancer",
    "endpoint_service",
    "vpc_endpoint",
    "flow",
    "change",
    "private_zone",
    "public_zone",
    "onprem_zone",
    "resolver_endpoint",
    "resolver_rule",
    "egress_only_internet_gateway",
    "direct_connect_gateway",
    "direct_connect",
];

/// The whole file, after each table was deserialised on its own (see `parse`).
#[derive(Debug, Default)]
pub struct Document {
    pub name: Option<String>,
    pub latency: Option<LatencySpec>,
    pub quotas: Option<QuotasSpec>,
    pub prices: Option<PricesSpec>,
    pub vpcs: Vec<VpcSpec>,
    pub subnets: Vec<SubnetSpec>,
    pub route_tables: Vec<RouteTableSpec>,
    pub network_acls: Vec<NaclSpec>,
    pub security_groups: Vec<SgSpec>,
    pub prefix_lists: Vec<PrefixListSpec>,
    pub instances: Vec<InstanceSpec>,
    pub peerings: Vec<PeeringSpec>,
    pub internet_gateways: Vec<IgwSpec>,
    pub nat_gateways: Vec<NatSpec>,
    pub vpn_gateways: Vec<VgwSpec>,
    pub gateway_endpoints: Vec<EndpointSpec>,
    pub hosts: Vec<HostSpec>,
    pub transit_gateways: Vec<TgwSpec>,
    pub tgw_attachments: Vec<TgwAttachmentSpec>,
    pub tgw_route_tables: Vec<TgwRouteTableSpec>,
    pub load_balancers: Vec<LoadBalancerSpec>,
    pub endpoint_services: Vec<EndpointServiceSpec>,
    pub vpc_endpoints: Vec<VpcEndpointSpec>,
    pub flows: Vec<FlowSpec>,
    pub changes: Vec<ChangeSpec>,
    pub private_zones: Vec<super::format_dns::ZoneSpec>,
    pub public_zones: Vec<super::format_dns::ZoneSpec>,
    pub onprem_zones: Vec<super::format_dns::ZoneSpec>,
    pub resolver_endpoints: Vec<super::format_dns::ResolverEndpointSpec>,
    pub resolver_rules: Vec<super::format_dns::ResolverRuleSpec>,
    pub egress_only_internet_gateways: Vec<EigwSpec>,
    pub direct_connect_gateways: Vec<DxGatewaySpec>,
    pub direct_connects: Vec<DirectConnectSpec>,
    /// Objects whose table could not be read (reported already): references to
    /// them are not reported again as unknown.
    pub broken: Vec<Broken>,
}

/// An object whose table could not be read: what references to it may name.
#[derive(Debug, Clone, Default)]
pub struct Broken {
    /// The top-level key (`subnet`, `instance`, …).
    pub table: String,
    /// Its `id` (or, for hosts and flows, its `name`), when it is a string.
    pub id: Option<String>,
    /// An instance's `name`, which references may use too.
    pub name: Option<String>,
    /// The ids of ENIs declared inside it (`enis = [{ id = … }]`).
    pub enis: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    #[schemars(with = "Option<f64>")]
    pub same_az_ms: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub cross_az_ms: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub internet_ms: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub inter_region_default_ms: Option<S<f64>>,
    #[serde(default)]
    #[schemars(with = "Vec<RegionPairSpec>")]
    pub region_pairs: Vec<S<RegionPairSpec>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionPairSpec {
    pub a: String,
    pub b: String,
    pub one_way_ms: f64,
}

/// `[quotas]`: every field of `model::Quotas`, each optional (AWS default otherwise).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotasSpec {
    #[schemars(with = "Option<u32>")]
    pub active_peerings_per_vpc: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub pending_peerings_per_vpc: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub routes_per_table: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub nacl_rules_per_direction: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub sg_rules_per_direction: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub sgs_per_eni: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub secondary_cidrs_per_vpc: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub conntrack_entries_per_eni: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub tgws_per_vpc: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub route_tables_per_tgw: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub routes_per_tgw: Option<S<u32>>,
    #[schemars(with = "Option<u32>")]
    pub peering_attachments_per_tgw: Option<S<u32>>,
}

/// `[prices]`: USD per GB of each billable segment (`model::Prices`), each
/// optional (AWS us-east-1 list price otherwise).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PricesSpec {
    #[schemars(with = "Option<f64>")]
    pub cross_az_per_gb: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub tgw_processing_per_gb: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub inter_region_per_gb: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub nat_processing_per_gb: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub internet_egress_per_gb: Option<S<f64>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub region: S<String>,
    #[schemars(with = "String")]
    pub cidr: S<String>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub secondary_cidrs: Vec<S<String>>,
    #[schemars(with = "Option<String>")]
    pub ipv6_cidr: Option<S<String>>,
    /// The Amazon resolver answers in this VPC (AWS default: true).
    #[schemars(with = "Option<bool>")]
    pub enable_dns_support: Option<S<bool>>,
    /// Instances with a public IP get a public DNS hostname; private hosted
    /// zones need it (AWS default for a VPC you create: false).
    #[schemars(with = "Option<bool>")]
    pub enable_dns_hostnames: Option<S<bool>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub vpc: S<String>,
    #[schemars(with = "String")]
    pub az: S<String>,
    #[schemars(with = "String")]
    pub cidr: S<String>,
    #[schemars(with = "Option<String>")]
    pub ipv6_cidr: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub route_table: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub nacl: Option<S<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTableSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub vpc: S<String>,
    #[serde(default)]
    pub main: bool,
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// A CIDR, or a prefix list id (`pl-…`).
    #[schemars(with = "String")]
    pub destination: S<String>,
    /// `local`, `blackhole`, or the id of a pcx/igw/nat/vgw/vpce/eni/instance.
    #[schemars(with = "String")]
    pub target: S<String>,
}

/// A protocol given by name (`tcp`, `udp`, `icmp`, `icmpv6`, `all`) or number (`-1` = all).
#[derive(Debug, Clone)]
pub enum ProtocolValue {
    Number(i64),
    Name(String),
}

/// Ports: a number (`443`) or a range string (`"1024-65535"`, `"443"`).
#[derive(Debug, Clone)]
pub enum PortsValue {
    Number(i64),
    Range(String),
}

/// A number or a string, with our own "expected" wording (serde's untagged enums
/// only say "data did not match any variant").
macro_rules! number_or_string {
    ($ty:ident, $expecting:literal, $num:ident, $text:ident) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$ty, E> {
                        Ok($ty::$num(v))
                    }
                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$ty, E> {
                        i64::try_from(v)
                            .map($ty::$num)
                            .map_err(|_| E::custom(format!("{v} is too large")))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        Ok($ty::$text(v.to_string()))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

number_or_string!(
    ProtocolValue,
    "a protocol name (all, tcp, udp, icmp, icmpv6) or number",
    Number,
    Name
);
number_or_string!(
    PortsValue,
    "a port number or a range string like \"1024-65535\"",
    Number,
    Range
);

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NaclSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub vpc: S<String>,
    #[serde(default)]
    #[schemars(with = "Vec<NaclRuleSpec>")]
    pub inbound: Vec<S<NaclRuleSpec>>,
    #[serde(default)]
    #[schemars(with = "Vec<NaclRuleSpec>")]
    pub outbound: Vec<S<NaclRuleSpec>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NaclRuleSpec {
    #[schemars(with = "i64")]
    pub rule: S<i64>,
    #[schemars(with = "ProtocolValue")]
    pub protocol: S<ProtocolValue>,
    #[schemars(with = "Option<PortsValue>")]
    pub ports: Option<S<PortsValue>>,
    #[schemars(with = "Option<i64>")]
    pub icmp_type: Option<S<i64>>,
    #[schemars(with = "Option<i64>")]
    pub icmp_code: Option<S<i64>>,
    #[schemars(with = "String")]
    pub cidr: S<String>,
    #[schemars(with = "String")]
    pub action: S<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SgSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub vpc: S<String>,
    #[schemars(with = "Option<String>")]
    pub name: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<SgRuleSpec>")]
    pub ingress: Vec<S<SgRuleSpec>>,
    /// `None` (key absent) = AWS's default allow-all egress; `[]` = no egress.
    #[schemars(with = "Option<Vec<SgRuleSpec>>")]
    pub egress: Option<Vec<S<SgRuleSpec>>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SgRuleSpec {
    #[schemars(with = "ProtocolValue")]
    pub protocol: S<ProtocolValue>,
    #[schemars(with = "Option<PortsValue>")]
    pub ports: Option<S<PortsValue>>,
    #[schemars(with = "Option<i64>")]
    pub icmp_type: Option<S<i64>>,
    #[schemars(with = "Option<i64>")]
    pub icmp_code: Option<S<i64>>,
    #[schemars(with = "Option<String>")]
    pub cidr: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub prefix_list: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub group: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub description: Option<S<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixListSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "Option<String>")]
    pub name: Option<S<String>>,
    #[schemars(with = "Vec<String>")]
    pub cidrs: Vec<S<String>>,
}

/// The ENI fields, shared by `[[instance]]` (single-ENI shorthand) and `enis = [...]`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EniSpec {
    #[schemars(with = "Option<String>")]
    pub id: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub subnet: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub private_ip: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub ipv6: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub public_ip: Option<S<String>>,
    #[schemars(with = "Option<i64>")]
    pub mtu: Option<S<i64>>,
    #[schemars(with = "Option<Vec<String>>")]
    pub security_groups: Option<Vec<S<String>>>,
    pub source_dest_check: Option<bool>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "Option<String>")]
    pub name: Option<S<String>>,
    // The single-ENI shorthand (serde's `flatten` cannot be combined with
    // `deny_unknown_fields` nor with spans, hence the repetition of `EniSpec`).
    #[schemars(with = "Option<String>")]
    pub subnet: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub private_ip: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub ipv6: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub public_ip: Option<S<String>>,
    #[schemars(with = "Option<i64>")]
    pub mtu: Option<S<i64>>,
    #[schemars(with = "Option<Vec<String>>")]
    pub security_groups: Option<Vec<S<String>>>,
    pub source_dest_check: Option<bool>,
    #[serde(default)]
    #[schemars(with = "Vec<EniSpec>")]
    pub enis: Vec<S<EniSpec>>,
    /// Linux `net.ipv4.tcp_rmem` max (bytes); default 6291456.
    #[schemars(with = "Option<i64>")]
    pub tcp_rmem_max: Option<S<i64>>,
    /// Linux `net.ipv4.tcp_wmem` max (bytes); default 4194304.
    #[schemars(with = "Option<i64>")]
    pub tcp_wmem_max: Option<S<i64>>,
    /// Linux `net.ipv4.tcp_congestion_control`: "cubic" (default), "reno" or
    /// "none" (no congestion window).
    #[schemars(with = "Option<String>")]
    pub tcp_congestion: Option<S<String>>,
    /// The instance's network bandwidth in Gbit/s, each direction (its instance
    /// type's figure); default 10.
    #[schemars(with = "Option<f64>")]
    pub bandwidth_gbps: Option<S<f64>>,
    /// The name of the cluster placement group the instance is in: a single flow
    /// between two instances of the same group may reach 10 Gbit/s instead of 5.
    #[schemars(with = "Option<String>")]
    pub cluster_placement_group: Option<S<String>>,
    /// What the instance does with packets addressed to others: "none"
    /// (default), "router" or "nat" (a middlebox; needs source_dest_check = false).
    #[schemars(with = "Option<String>")]
    pub forward: Option<S<String>>,
}

impl InstanceSpec {
    /// Whether any single-ENI shorthand key is present.
    pub fn has_shorthand(&self) -> bool {
        self.subnet.is_some()
            || self.private_ip.is_some()
            || self.ipv6.is_some()
            || self.public_ip.is_some()
            || self.mtu.is_some()
            || self.security_groups.is_some()
            || self.source_dest_check.is_some()
    }

    /// The shorthand keys as an ENI (moved out of the instance).
    pub fn take_shorthand(&mut self) -> EniSpec {
        EniSpec {
            id: None,
            subnet: self.subnet.take(),
            private_ip: self.private_ip.take(),
            ipv6: self.ipv6.take(),
            public_ip: self.public_ip.take(),
            mtu: self.mtu.take(),
            security_groups: self.security_groups.take(),
            source_dest_check: self.source_dest_check.take(),
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeeringSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub requester: S<String>,
    #[schemars(with = "String")]
    pub accepter: S<String>,
    #[schemars(with = "Option<String>")]
    pub status: Option<S<String>>,
    #[schemars(with = "Option<i64>")]
    pub mtu: Option<S<i64>>,
    /// Instances in the accepter VPC resolve the requester's public DNS
    /// hostnames to private addresses (AWS default: false).
    #[schemars(with = "Option<bool>")]
    pub requester_allow_dns_resolution_from_remote_vpc: Option<S<bool>>,
    /// Instances in the requester VPC resolve the accepter's public DNS
    /// hostnames to private addresses (AWS default: false).
    #[schemars(with = "Option<bool>")]
    pub accepter_allow_dns_resolution_from_remote_vpc: Option<S<bool>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgwSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "Option<String>")]
    pub vpc: Option<S<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub subnet: S<String>,
    #[schemars(with = "String")]
    pub private_ip: S<String>,
    #[schemars(with = "String")]
    pub elastic_ip: S<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VgwSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "Option<String>")]
    pub vpc: Option<S<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub onprem_cidrs: Vec<S<String>>,
    #[schemars(with = "Option<f64>")]
    pub latency_ms: Option<S<f64>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub vpc: S<String>,
    #[schemars(with = "String")]
    pub service: S<String>,
    #[schemars(with = "String")]
    pub prefix_list: S<String>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub route_tables: Vec<S<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    #[schemars(with = "String")]
    pub name: S<String>,
    #[schemars(with = "String")]
    pub ip: S<String>,
    /// On premises behind this VGW; absent = on the internet.
    #[schemars(with = "Option<String>")]
    pub vgw: Option<S<String>>,
    /// On premises behind this Direct Connect connection (`dxcon-…`).
    #[schemars(with = "Option<String>")]
    pub direct_connect: Option<S<String>>,
    #[schemars(with = "Option<i64>")]
    pub mtu: Option<S<i64>>,
    /// On premises: the Route 53 Resolver inbound endpoint its DNS server
    /// forwards the names it does not hold to.
    #[schemars(with = "Option<String>")]
    pub dns_forwarder: Option<S<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    #[schemars(with = "String")]
    pub name: S<String>,
    #[schemars(with = "String")]
    pub kind: S<String>,
    #[schemars(with = "String")]
    pub from: S<String>,
    #[schemars(with = "String")]
    pub to: S<String>,
    #[schemars(with = "Option<i64>")]
    pub port: Option<S<i64>>,
    #[schemars(with = "Option<i64>")]
    pub size: Option<S<i64>>,
    #[schemars(with = "Option<i64>")]
    pub count: Option<S<i64>>,
    #[schemars(with = "Option<i64>")]
    pub bytes: Option<S<i64>>,
    /// TCP request/response: number of requests (excludes `bytes`).
    #[schemars(with = "Option<i64>")]
    pub requests: Option<S<i64>>,
    #[schemars(with = "Option<i64>")]
    pub request_bytes: Option<S<i64>>,
    #[schemars(with = "Option<i64>")]
    pub response_bytes: Option<S<i64>>,
    /// TCP request/response: milliseconds from one request's start to the next's.
    #[schemars(with = "Option<f64>")]
    pub interval_ms: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub rate_pps: Option<S<f64>>,
    #[schemars(with = "Option<f64>")]
    pub start_ms: Option<S<f64>>,
    #[schemars(with = "Option<bool>")]
    pub df: Option<S<bool>>,
    #[serde(default)]
    pub ipv6: bool,
    /// A flow by DNS name: the resolver its source asks. An instance: the
    /// Amazon resolver at its VPC's base +2 (default) or `169.254.169.253`; an
    /// internet host: the address of its resolver (without it the lookup has
    /// no frames).
    #[schemars(with = "Option<String>")]
    pub dns_server: Option<S<String>>,
    /// `delivered`, `dropped` (any reason), `dropped:REASON` or `dropped:A|B` (any
    /// of the reasons listed).
    #[schemars(with = "Option<String>")]
    pub expect: Option<S<String>>,
    /// What the flow should see between two times of a run that changes
    /// (`[[change]]`): `[{ from_ms = 0, until_ms = 1000, outcome = "delivered" }]`.
    #[serde(default)]
    #[schemars(with = "Vec<ExpectWindowSpec>")]
    pub expect_windows: Vec<S<ExpectWindowSpec>>,
}

/// One element of a flow's `expect_windows`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectWindowSpec {
    /// Start (default 0).
    #[schemars(with = "Option<f64>")]
    pub from_ms: Option<S<f64>>,
    /// End, excluded (default: the end of the run).
    #[schemars(with = "Option<f64>")]
    pub until_ms: Option<S<f64>>,
    /// As `expect`: `delivered`, `dropped`, `dropped:REASON`, `dropped:A|B`.
    #[schemars(with = "String")]
    pub outcome: S<String>,
}

/// `[[transit_gateway]]`: a regional router between attachments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TgwSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub region: S<String>,
    /// Associate attachments with the default route table unless a
    /// `[[tgw_route_table]]` lists them (AWS default: enabled).
    pub default_route_table_association: Option<bool>,
    /// Propagate VPC and VPN attachments into the default route table (AWS
    /// default: enabled).
    pub default_route_table_propagation: Option<bool>,
    /// Extra one-way delay of a hop through the TGW (default: the same-AZ latency).
    #[schemars(with = "Option<f64>")]
    pub latency_ms: Option<S<f64>>,
    /// Let inbound security group rules name groups in other VPCs attached to this
    /// TGW (`SecurityGroupReferencingSupport`; AWS default: disabled on the TGW).
    pub security_group_referencing: Option<bool>,
}

/// `[[tgw_attachment]]`: `kind = "vpc"` (with `vpc`, `subnets`), `"vpn"` (with
/// `onprem_cidrs`), `"peering"` (with `peer_tgw`) or `"direct-connect-gateway"`
/// (with `dx_gateway` and `allowed_prefixes`: the Direct Connect gateway's
/// association with this TGW and the attachment AWS creates for it).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TgwAttachmentSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub tgw: S<String>,
    #[schemars(with = "String")]
    pub kind: S<String>,
    #[schemars(with = "Option<String>")]
    pub state: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub vpc: Option<S<String>>,
    #[schemars(with = "Option<Vec<String>>")]
    pub subnets: Option<Vec<S<String>>>,
    pub appliance_mode: Option<bool>,
    #[schemars(with = "Option<Vec<String>>")]
    pub onprem_cidrs: Option<Vec<S<String>>>,
    #[schemars(with = "Option<f64>")]
    pub latency_ms: Option<S<f64>>,
    #[schemars(with = "Option<String>")]
    pub peer_tgw: Option<S<String>>,
    /// VPC attachments: this VPC's side of security group referencing across the
    /// TGW (AWS default for a new VPC attachment: enabled; the TGW's own switch
    /// is off by default).
    #[schemars(with = "Option<bool>")]
    pub security_group_referencing: Option<S<bool>>,
    /// `direct-connect-gateway` attachments: the Direct Connect gateway (`dxgw-…`)
    /// associated with this TGW.
    #[schemars(with = "Option<String>")]
    pub dx_gateway: Option<S<String>>,
    /// `direct-connect-gateway` attachments: the association's allowed prefixes
    /// (`allowedPrefixesToDirectConnectGateway`), the AWS-side prefixes advertised
    /// to on premises over the transit virtual interfaces.
    #[schemars(with = "Option<Vec<String>>")]
    pub allowed_prefixes: Option<Vec<S<String>>>,
}

/// `[[tgw_route_table]]`: associations, propagations and static routes.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TgwRouteTableSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub tgw: S<String>,
    /// The TGW's default association and propagation route table.
    #[serde(default)]
    pub default: bool,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub associations: Vec<S<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub propagations: Vec<S<String>>,
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
}

/// `[[change]]`: one timed change during the run (`action` says which; the
/// other keys name its object and what changes). See docs/topology-format.md.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSpec {
    /// Virtual time (milliseconds from the start of the run).
    #[schemars(with = "f64")]
    pub at_ms: S<f64>,
    /// `request_peering`, `accept_peering`, `reject_peering`, `expire_peering`,
    /// `delete_peering`, `add_route`, `remove_route`, `replace_route`,
    /// `add_nacl_rule`, `remove_nacl_rule`, `add_sg_rule`, `remove_sg_rule`,
    /// `set_tgw_attachment_state`, `stop_instance`, `start_instance`.
    #[schemars(with = "String")]
    pub action: S<String>,
    #[schemars(with = "Option<String>")]
    pub peering: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub route_table: Option<S<String>>,
    /// Route changes: a CIDR.
    #[schemars(with = "Option<String>")]
    pub destination: Option<S<String>>,
    /// `add_route` / `replace_route`: as a route's `target`.
    #[schemars(with = "Option<String>")]
    pub target: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub network_acl: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub security_group: Option<S<String>>,
    /// NACL rules: `inbound` / `outbound`; security group rules: `ingress` / `egress`.
    #[schemars(with = "Option<String>")]
    pub direction: Option<S<String>>,
    /// `add_nacl_rule`: the rule, as in `[[network_acl]]`.
    #[schemars(with = "Option<NaclRuleSpec>")]
    pub nacl_rule: Option<S<NaclRuleSpec>>,
    /// `remove_nacl_rule`: the rule number.
    #[schemars(with = "Option<i64>")]
    pub rule_number: Option<S<i64>>,
    /// `add_sg_rule` / `remove_sg_rule`: the rule, as in `[[security_group]]`.
    #[schemars(with = "Option<SgRuleSpec>")]
    pub sg_rule: Option<S<SgRuleSpec>>,
    #[schemars(with = "Option<String>")]
    pub tgw_attachment: Option<S<String>>,
    /// `set_tgw_attachment_state`: an attachment state (`available`, `deleted`, ...).
    #[schemars(with = "Option<String>")]
    pub state: Option<S<String>>,
    #[schemars(with = "Option<String>")]
    pub instance: Option<S<String>>,
}

/// `[[egress_only_internet_gateway]]`: IPv6 out, replies back, nothing initiated in.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EigwSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "Option<String>")]
    pub vpc: Option<S<String>>,
}

/// `[[direct_connect_gateway]]`: a global gateway joining private virtual
/// interfaces to the virtual private gateways associated with it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DxGatewaySpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    /// Associated virtual private gateways (`vgw-…`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub vpn_gateways: Vec<S<String>>,
}

/// `[[direct_connect]]`: a dedicated connection to an on-premises network, with
/// its virtual interfaces.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectConnectSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    /// The on-premises prefixes advertised over BGP on every virtual interface.
    #[schemars(with = "Vec<String>")]
    pub onprem_cidrs: Vec<S<String>>,
    /// One-way latency between the AWS side and the on-premises hosts (default 2).
    #[schemars(with = "Option<f64>")]
    pub latency_ms: Option<S<f64>>,
    /// Port speed in Gbit/s (1, 10, 100; hosted: 0.05 to 25); default 1.
    #[schemars(with = "Option<f64>")]
    pub bandwidth_gbps: Option<S<f64>>,
    #[schemars(with = "Vec<VifSpec>")]
    pub virtual_interfaces: Vec<S<VifSpec>>,
}

/// A virtual interface of a Direct Connect connection.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VifSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    /// `private` (to a VGW or a Direct Connect gateway) or `transit` (to a
    /// Direct Connect gateway associated with a transit gateway).
    #[schemars(with = "String")]
    pub kind: S<String>,
    /// A private VIF's virtual private gateway.
    #[schemars(with = "Option<String>")]
    pub vgw: Option<S<String>>,
    /// A private or transit VIF's Direct Connect gateway.
    #[schemars(with = "Option<String>")]
    pub dx_gateway: Option<S<String>>,
    /// 1500 (default) or 9001 (jumbo frames) for a private VIF; 1500 (default)
    /// or 8500 for a transit VIF.
    #[schemars(with = "Option<i64>")]
    pub mtu: Option<S<i64>>,
}

/// A subnet and the private IP an NLB node or an interface endpoint's network
/// interface takes in it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetIpSpec {
    #[schemars(with = "String")]
    pub subnet: S<String>,
    #[schemars(with = "String")]
    pub ip: S<String>,
}

/// A load balancer listener: protocol, port and target instances.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListenerSpec {
    /// `tcp` or `udp`.
    #[schemars(with = "String")]
    pub protocol: S<String>,
    #[schemars(with = "i64")]
    pub port: S<i64>,
    /// Instances (ids or names) or ENIs; they receive on the listener's port.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub targets: Vec<S<String>>,
}

/// `[[load_balancer]]`: a Network Load Balancer (`kind = "network"`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub kind: S<String>,
    /// One subnet per AZ, each with the node's private IP.
    #[schemars(with = "Vec<SubnetIpSpec>")]
    pub subnets: Vec<S<SubnetIpSpec>>,
    #[serde(default)]
    #[schemars(with = "Vec<ListenerSpec>")]
    pub listeners: Vec<S<ListenerSpec>>,
    /// Security groups of the nodes (optional: none filters nothing).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub security_groups: Vec<S<String>>,
    /// Cross-zone load balancing (default off, as for an NLB).
    #[serde(default)]
    pub cross_zone: bool,
    /// Targets whose health check fails (instances or ENIs).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub unhealthy_targets: Vec<S<String>>,
}

/// `[[endpoint_service]]`: a PrivateLink endpoint service fronted by an NLB.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointServiceSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub load_balancer: S<String>,
    /// Recorded; endpoints are modelled as accepted.
    #[serde(default)]
    pub acceptance_required: bool,
}

/// `[[vpc_endpoint]]` of `type = "interface"`: a network interface per subnet.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcEndpointSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[serde(rename = "type")]
    #[schemars(with = "String")]
    pub kind: S<String>,
    #[schemars(with = "String")]
    pub service: S<String>,
    /// One subnet per AZ, each with the interface's private IP.
    #[schemars(with = "Vec<SubnetIpSpec>")]
    pub subnets: Vec<S<SubnetIpSpec>>,
    /// The interfaces' security groups (default: the VPC's default group).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub security_groups: Vec<S<String>>,
}
