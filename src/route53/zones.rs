//! Hosted zones, resolver rules and endpoints, and the DNS attributes of VPCs
//! and peerings, as compiled from the topology (`[[private_zone]]`,
//! `[[public_zone]]`, `[[onprem_zone]]`, `[[resolver_endpoint]]`,
//! `[[resolver_rule]]`; `enable_dns_*` on a VPC; the peering's
//! `*_allow_dns_resolution_from_remote_vpc`).

use crate::model::{HostIdx, PcxIdx, VpcIdx};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Everything the Amazon resolver needs besides the network itself. Vectors
/// indexed by VPC or peering may be shorter than the network's (a network built
/// in code): a missing entry has AWS's defaults.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DnsConfig {
    pub zones: Vec<Zone>,
    pub rules: Vec<ForwardRule>,
    pub inbound: Vec<InboundEndpoint>,
    /// Per VPC: `enable_dns_support`, `enable_dns_hostnames`.
    pub vpc_attributes: Vec<VpcDns>,
    /// Per peering: whether each side lets the other resolve its instances'
    /// public hostnames to private addresses.
    pub peering_options: Vec<PeeringDns>,
    /// Per external host: the inbound endpoint its DNS server forwards to.
    pub host_resolver: Vec<Option<usize>>,
}

/// A VPC's DNS attributes (AWS's defaults for a VPC you create: support on,
/// hostnames off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VpcDns {
    pub support: bool,
    pub hostnames: bool,
}

impl Default for VpcDns {
    fn default() -> Self {
        VpcDns {
            support: true,
            hostnames: false,
        }
    }
}

/// `allow_dns_resolution_from_remote_vpc` on each side of a peering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeeringDns {
    /// Set on the requester: instances in the accepter VPC resolve the
    /// requester's public hostnames to private addresses.
    pub requester: bool,
    /// Set on the accepter: the other way round.
    pub accepter: bool,
}

impl DnsConfig {
    pub fn vpc(&self, v: VpcIdx) -> VpcDns {
        self.vpc_attributes.get(v.ix()).copied().unwrap_or_default()
    }
    pub fn peering(&self, p: PcxIdx) -> PeeringDns {
        self.peering_options
            .get(p.ix())
            .copied()
            .unwrap_or_default()
    }
    /// The inbound endpoint an external host's queries go to, if any.
    pub fn inbound_for(&self, h: HostIdx) -> Option<&InboundEndpoint> {
        let i = (*self.host_resolver.get(h.ix())?)?;
        self.inbound.get(i)
    }
}

/// Who answers a zone, and to whom.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneKind {
    /// A Route 53 private hosted zone: answered only to the VPCs associated.
    Private { vpcs: Vec<VpcIdx> },
    /// A public hosted zone: answered to everyone (the internet included).
    Public,
    /// A zone served by a DNS server on premises (an external host): reached
    /// from VPCs through a forwarding rule, and by on-premises hosts directly.
    OnPremises { server: HostIdx },
}

/// A hosted zone: its apex (lower case, no trailing dot) and its records.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub kind: ZoneKind,
    pub records: Vec<ZoneRecord>,
}

/// One record (`name` lower case, fully qualified, no trailing dot).
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneRecord {
    pub name: String,
    pub ttl: u32,
    pub data: RecordData,
}

/// The record types modelled.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
}

impl RecordData {
    pub fn type_str(&self) -> &'static str {
        match self {
            RecordData::A(_) => "A",
            RecordData::Aaaa(_) => "AAAA",
            RecordData::Cname(_) => "CNAME",
        }
    }
    pub fn value(&self) -> String {
        match self {
            RecordData::A(a) => a.to_string(),
            RecordData::Aaaa(a) => a.to_string(),
            RecordData::Cname(c) => c.clone(),
        }
    }
}

/// A Route 53 Resolver forwarding rule with its outbound endpoint: queries from
/// the associated VPCs for names under `domain` go to `targets` (on-premises
/// DNS servers) through the endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardRule {
    pub id: String,
    pub domain: String,
    pub vpcs: Vec<VpcIdx>,
    pub targets: Vec<HostIdx>,
    /// The outbound endpoint's id and address (queries leave from it).
    pub endpoint: String,
    pub endpoint_ip: Ipv4Addr,
}

/// A Route 53 Resolver inbound endpoint: on-premises DNS servers forward to its
/// address; it answers as the Amazon resolver of its VPC.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundEndpoint {
    pub id: String,
    pub vpc: VpcIdx,
    pub ip: Ipv4Addr,
}

/// `name` equals `domain` or lies under it (both lower case, no trailing dot).
pub fn in_domain(name: &str, domain: &str) -> bool {
    name == domain
        || (name.len() > domain.len()
            && name.ends_with(domain)
            && name.as_bytes()[name.len() - domain.len() - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::in_domain;

    #[test]
    fn domains_match_on_label_boundaries() {
        assert!(in_domain("db.internal.example", "internal.example"));
        assert!(in_domain("internal.example", "internal.example"));
        assert!(!in_domain("dbinternal.example", "internal.example"));
        assert!(!in_domain("example", "internal.example"));
    }
}
