//! The file format of Amazon DNS and Route 53 (`[[private_zone]]`,
//! `[[public_zone]]`, `[[onprem_zone]]`, `[[resolver_endpoint]]`,
//! `[[resolver_rule]]`), apart from the other tables so the DNS keys read
//! together. Compiled by `compile::dns`.

use super::format::S;
use serde::Deserialize;

/// A hosted zone: `[[private_zone]]` (with `vpcs`), `[[public_zone]]`, or
/// `[[onprem_zone]]` (with `server`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    /// The zone's domain (`internal.example`).
    #[schemars(with = "String")]
    pub name: S<String>,
    /// Private zones: the VPCs associated with the zone.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub vpcs: Vec<S<String>>,
    /// On-premises zones: the host (`[[host]]`) whose DNS server holds the zone.
    #[schemars(with = "Option<String>")]
    pub server: Option<S<String>>,
    #[serde(default)]
    pub records: Vec<RecordSpec>,
}

/// One record: a fully qualified `name` inside the zone, `type` A, AAAA or
/// CNAME, and its `value`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordSpec {
    #[schemars(with = "String")]
    pub name: S<String>,
    #[serde(rename = "type")]
    #[schemars(with = "String")]
    pub kind: S<String>,
    #[schemars(with = "String")]
    pub value: S<String>,
    /// Seconds; default 300 (Route 53's console default).
    #[schemars(with = "Option<i64>")]
    pub ttl: Option<S<i64>>,
}

/// A Route 53 Resolver endpoint: `direction = "inbound"` (on-premises servers
/// forward to `ip`) or `"outbound"` (forwarding rules send queries out by it).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolverEndpointSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub direction: S<String>,
    #[schemars(with = "String")]
    pub subnet: S<String>,
    /// The endpoint's address in the subnet.
    #[schemars(with = "String")]
    pub ip: S<String>,
}

/// A Route 53 Resolver forwarding rule: names under `domain` asked from the
/// associated `vpcs` go through the outbound `endpoint` to the `targets` (hosts
/// whose DNS servers hold an `[[onprem_zone]]`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolverRuleSpec {
    #[schemars(with = "String")]
    pub id: S<String>,
    #[schemars(with = "String")]
    pub domain: S<String>,
    #[schemars(with = "String")]
    pub endpoint: S<String>,
    #[schemars(with = "Vec<String>")]
    pub targets: Vec<S<String>>,
    #[schemars(with = "Vec<String>")]
    pub vpcs: Vec<S<String>>,
}
