//! The JSON Schema of the topology format (`schema/topology.schema.json`), generated
//! from the serde structs of [`super::format`] with `schemars`, for editors with
//! TOML schema support (Taplo / Even Better TOML: `#:schema` on a file's first line).
//!
//! The loader assembles [`super::format::Document`] table by table (to report every
//! error), so the file's shape is declared here as [`TopologyFile`]; a test keeps its
//! keys equal to [`super::format::TOP_LEVEL_KEYS`].

use super::format::*;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

/// Where the schema is shipped, relative to the repository root.
pub const SCHEMA_PATH: &str = "schema/topology.schema.json";

/// A peeremu topology file.
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Only its schema is used.
pub struct TopologyFile {
    /// The topology's name (names the output folder); the file stem if absent.
    name: Option<String>,
    /// One-way latency overrides.
    latency: Option<LatencySpec>,
    /// AWS quota overrides.
    quotas: Option<QuotasSpec>,
    /// Data cost prices, USD per GB (AWS us-east-1 list prices by default).
    prices: Option<PricesSpec>,
    vpc: Option<Vec<VpcSpec>>,
    subnet: Option<Vec<SubnetSpec>>,
    route_table: Option<Vec<RouteTableSpec>>,
    network_acl: Option<Vec<NaclSpec>>,
    security_group: Option<Vec<SgSpec>>,
    prefix_list: Option<Vec<PrefixListSpec>>,
    instance: Option<Vec<InstanceSpec>>,
    peering: Option<Vec<PeeringSpec>>,
    internet_gateway: Option<Vec<IgwSpec>>,
    nat_gateway: Option<Vec<NatSpec>>,
    vpn_gateway: Option<Vec<VgwSpec>>,
    gateway_endpoint: Option<Vec<EndpointSpec>>,
    host: Option<Vec<HostSpec>>,
    flow: Option<Vec<FlowSpec>>,
    change: Option<Vec<ChangeSpec>>,
    transit_gateway: Option<Vec<TgwSpec>>,
    tgw_attachment: Option<Vec<TgwAttachmentSpec>>,
    tgw_route_table: Option<Vec<TgwRouteTableSpec>>,
    /// Route 53 private hosted zones, answered to the VPCs associated.
    private_zone: Option<Vec<super::format_dns::ZoneSpec>>,
    /// Public hosted zones, answered to everyone.
    public_zone: Option<Vec<super::format_dns::ZoneSpec>>,
    /// Zones held by DNS servers on premises (reached by resolver rules).
    onprem_zone: Option<Vec<super::format_dns::ZoneSpec>>,
    /// Route 53 Resolver inbound and outbound endpoints.
    resolver_endpoint: Option<Vec<super::format_dns::ResolverEndpointSpec>>,
    /// Route 53 Resolver forwarding rules.
    resolver_rule: Option<Vec<super::format_dns::ResolverRuleSpec>>,
    egress_only_internet_gateway: Option<Vec<EigwSpec>>,
    direct_connect_gateway: Option<Vec<DxGatewaySpec>>,
    direct_connect: Option<Vec<DirectConnectSpec>>,
    /// Network Load Balancers (PrivateLink).
    load_balancer: Option<Vec<LoadBalancerSpec>>,
    /// PrivateLink endpoint services.
    endpoint_service: Option<Vec<EndpointServiceSpec>>,
    /// Interface VPC endpoints (PrivateLink).
    vpc_endpoint: Option<Vec<VpcEndpointSpec>>,
}

impl JsonSchema for ProtocolValue {
    fn schema_name() -> Cow<'static, str> {
        "Protocol".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A protocol name (all, tcp, udp, icmp, icmpv6) or IP protocol number (-1 = all).",
            "anyOf": [
                { "type": "integer", "minimum": -1, "maximum": 255 },
                { "type": "string", "examples": ["all", "tcp", "udp", "icmp", "icmpv6"] }
            ]
        })
    }
}

impl JsonSchema for PortsValue {
    fn schema_name() -> Cow<'static, str> {
        "Ports".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A port number or a range string like \"1024-65535\".",
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": 65535 },
                { "type": "string", "pattern": "^\\s*\\d+\\s*(-\\s*\\d+\\s*)?$" }
            ]
        })
    }
}

/// The schema as pretty JSON with a trailing newline (what the repository ships).
pub fn topology_schema_json() -> String {
    let schema = schemars::schema_for!(TopologyFile);
    // Serialising a JSON value cannot fail.
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_keys_are_the_loaders() {
        let v: serde_json::Value = serde_json::from_str(&topology_schema_json()).unwrap();
        let keys: Vec<&str> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want: Vec<&str> = TOP_LEVEL_KEYS.to_vec();
        let mut got = keys.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(v["additionalProperties"], false);
        // Spanned fields are described as their plain types.
        assert_eq!(v["$defs"]["VpcSpec"]["properties"]["id"]["type"], "string");
    }
}
