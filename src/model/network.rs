//! The whole compiled network, latency defaults and quotas.

use super::*;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Everything `topology` compiles from a file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Network {
    /// The topology's name (file stem unless set): names the output folder.
    pub name: String,
    pub regions: Vec<Region>,
    pub azs: Vec<Az>,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub nacls: Vec<Nacl>,
    pub security_groups: Vec<SecurityGroup>,
    pub prefix_lists: Vec<PrefixList>,
    pub enis: Vec<Eni>,
    pub instances: Vec<Instance>,
    pub peerings: Vec<Peering>,
    pub internet_gateways: Vec<InternetGateway>,
    pub nat_gateways: Vec<NatGateway>,
    pub vpn_gateways: Vec<VpnGateway>,
    pub gateway_endpoints: Vec<GatewayEndpoint>,
    pub external_hosts: Vec<ExternalHost>,
    pub transit_gateways: Vec<TransitGateway>,
    pub tgw_attachments: Vec<TgwAttachment>,
    pub tgw_route_tables: Vec<TgwRouteTable>,
    /// Network Load Balancers (PrivateLink providers' front ends).
    pub load_balancers: Vec<LoadBalancer>,
    pub endpoint_services: Vec<EndpointService>,
    /// Interface endpoints (PrivateLink consumers' side).
    pub interface_endpoints: Vec<InterfaceEndpoint>,
    pub flows: Vec<Flow>,
    pub egress_only_internet_gateways: Vec<EgressOnlyInternetGateway>,
    pub direct_connect_gateways: Vec<DirectConnectGateway>,
    pub direct_connects: Vec<DirectConnect>,
    pub latency: LatencyTable,
    pub quotas: Quotas,
    /// `[prices]`: what each billable segment costs (data cost estimates).
    pub prices: Prices,
    /// `[[change]]` and the flows' `expect_windows`: a network that changes
    /// during the run (empty for most topologies).
    pub timeline: Timeline,
    /// Amazon DNS and Route 53: zones, resolver rules and endpoints, DNS
    /// attributes of VPCs and peerings.
    pub dns: crate::route53::DnsConfig,
}

impl Network {
    /// A copy of everything but the flows, for the router, which never reads
    /// them: at 100,000 flows their copy was 15 MB, 152 bytes a flow (issue #18:
    /// memory per flow). Every field is named, so a new one cannot be missed.
    pub fn clone_without_flows(&self) -> Network {
        Network {
            name: self.name.clone(),
            regions: self.regions.clone(),
            azs: self.azs.clone(),
            vpcs: self.vpcs.clone(),
            subnets: self.subnets.clone(),
            route_tables: self.route_tables.clone(),
            nacls: self.nacls.clone(),
            security_groups: self.security_groups.clone(),
            prefix_lists: self.prefix_lists.clone(),
            enis: self.enis.clone(),
            instances: self.instances.clone(),
            peerings: self.peerings.clone(),
            internet_gateways: self.internet_gateways.clone(),
            nat_gateways: self.nat_gateways.clone(),
            vpn_gateways: self.vpn_gateways.clone(),
            gateway_endpoints: self.gateway_endpoints.clone(),
            external_hosts: self.external_hosts.clone(),
            transit_gateways: self.transit_gateways.clone(),
            tgw_attachments: self.tgw_attachments.clone(),
            tgw_route_tables: self.tgw_route_tables.clone(),
            load_balancers: self.load_balancers.clone(),
            endpoint_services: self.endpoint_services.clone(),
            interface_endpoints: self.interface_endpoints.clone(),
            flows: Vec::new(),
            egress_only_internet_gateways: self.egress_only_internet_gateways.clone(),
            direct_connect_gateways: self.direct_connect_gateways.clone(),
            direct_connects: self.direct_connects.clone(),
            latency: self.latency.clone(),
            quotas: self.quotas.clone(),
            prices: self.prices,
            timeline: self.timeline.clone(),
            dns: self.dns.clone(),
        }
    }

    pub fn vpc(&self, i: VpcIdx) -> &Vpc {
        &self.vpcs[i.ix()]
    }
    pub fn subnet(&self, i: SubnetIdx) -> &Subnet {
        &self.subnets[i.ix()]
    }
    pub fn eni(&self, i: EniIdx) -> &Eni {
        &self.enis[i.ix()]
    }
    pub fn route_table(&self, i: RtbIdx) -> &RouteTable {
        &self.route_tables[i.ix()]
    }
    pub fn nacl(&self, i: NaclIdx) -> &Nacl {
        &self.nacls[i.ix()]
    }
    pub fn sg(&self, i: SgIdx) -> &SecurityGroup {
        &self.security_groups[i.ix()]
    }
    pub fn peering(&self, i: PcxIdx) -> &Peering {
        &self.peerings[i.ix()]
    }

    /// The region a VPC lives in.
    pub fn vpc_region(&self, i: VpcIdx) -> RegionIdx {
        self.vpcs[i.ix()].region
    }

    /// The AZ of an ENI (through its subnet).
    pub fn eni_az(&self, i: EniIdx) -> AzIdx {
        self.subnets[self.enis[i.ix()].subnet.ix()].az
    }

    /// The ENI that owns `ip` (private IPv4 or IPv6) inside `vpc`.
    pub fn eni_by_ip(&self, vpc: VpcIdx, ip: IpAddr) -> Option<EniIdx> {
        self.enis
            .iter()
            .position(|e| {
                e.vpc == vpc
                    && match ip {
                        IpAddr::V4(v4) => e.private_ip == v4,
                        IpAddr::V6(v6) => e.ipv6 == Some(v6),
                    }
            })
            .map(|p| EniIdx(p as u32))
    }

    /// Look an object up by id or name: instance (first ENI), ENI, or external host.
    /// An endpoint's own address in the family (`v6`): an ENI's private IPv4 or
    /// its IPv6, an external host's address if it is of that family.
    pub fn endpoint_address(&self, e: Endpoint, v6: bool) -> Option<IpAddr> {
        match e {
            Endpoint::Eni(i) => {
                let eni = self.enis.get(i.ix())?;
                if v6 {
                    eni.ipv6.map(IpAddr::V6)
                } else {
                    Some(IpAddr::V4(eni.private_ip))
                }
            }
            Endpoint::External(h) => self
                .external_hosts
                .get(h.ix())
                .map(|x| x.ip)
                .filter(|ip| ip.is_ipv6() == v6),
        }
    }

    pub fn endpoint_by_name(&self, name: &str) -> Option<Endpoint> {
        if let Some(inst) = self
            .instances
            .iter()
            .find(|i| i.id == name || i.name == name)
        {
            return inst.enis.first().map(|&e| Endpoint::Eni(e));
        }
        if let Some(p) = self.enis.iter().position(|e| e.id == name) {
            return Some(Endpoint::Eni(EniIdx(p as u32)));
        }
        // An interface endpoint or a network load balancer: its first interface,
        // as a flow's `to` names it.
        let first = self
            .interface_endpoints
            .iter()
            .find(|x| x.id == name)
            .map(|x| &x.enis)
            .or_else(|| {
                self.load_balancers
                    .iter()
                    .find(|x| x.id == name)
                    .map(|x| &x.nodes)
            });
        if let Some(&e) = first.and_then(|enis| enis.first()) {
            return Some(Endpoint::Eni(e));
        }
        self.external_hosts
            .iter()
            .position(|h| h.name == name)
            .map(|p| Endpoint::External(HostIdx(p as u32)))
    }
}

/// One-way latency defaults (DESIGN.md §4), overridable in the topology.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyTable {
    pub same_az_ns: u64,
    pub cross_az_ns: u64,
    /// Used between two regions missing from `region_pairs`.
    pub inter_region_default_ns: u64,
    /// Keys are region names in sorted order.
    pub region_pairs: BTreeMap<(String, String), u64>,
    /// One-way latency from a VPC edge to the internet host.
    pub internet_ns: u64,
}

impl Default for LatencyTable {
    fn default() -> Self {
        let mut pairs = BTreeMap::new();
        let ms = 1_000_000u64;
        for (a, b, one_way_ms) in [
            ("us-east-1", "us-east-2", 6),
            ("us-east-1", "us-west-2", 32),
            ("us-east-1", "eu-west-1", 40),
            ("us-east-1", "eu-central-1", 45),
            ("us-east-1", "ap-southeast-1", 110),
            ("us-east-1", "ap-northeast-1", 75),
            ("us-west-2", "eu-west-1", 65),
            ("us-west-2", "ap-northeast-1", 50),
            ("eu-west-1", "eu-central-1", 12),
            ("eu-west-1", "ap-southeast-1", 85),
            ("ap-southeast-1", "ap-northeast-1", 35),
        ] {
            pairs.insert(Self::key(a, b), one_way_ms * ms);
        }
        LatencyTable {
            same_az_ns: 100_000,
            cross_az_ns: 500_000,
            inter_region_default_ns: 50 * ms,
            region_pairs: pairs,
            internet_ns: 10 * ms,
        }
    }
}

impl LatencyTable {
    /// The canonical (sorted) key for a region pair.
    pub fn key(a: &str, b: &str) -> (String, String) {
        if a <= b {
            (a.to_string(), b.to_string())
        } else {
            (b.to_string(), a.to_string())
        }
    }

    /// One-way latency between two regions (0 when they are the same).
    pub fn between_regions(&self, a: &str, b: &str) -> u64 {
        if a == b {
            return 0;
        }
        self.region_pairs
            .get(&Self::key(a, b))
            .copied()
            .unwrap_or(self.inter_region_default_ns)
    }
}

/// AWS quotas that validation enforces; defaults are AWS's, overridable in `[quotas]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    pub active_peerings_per_vpc: u32,
    pub pending_peerings_per_vpc: u32,
    pub routes_per_table: u32,
    pub nacl_rules_per_direction: u32,
    pub sg_rules_per_direction: u32,
    pub sgs_per_eni: u32,
    pub secondary_cidrs_per_vpc: u32,
    /// Connection-tracking entries per ENI before `CONNTRACK_FULL`.
    pub conntrack_entries_per_eni: u32,
    /// Transit gateways a VPC may be attached to.
    pub tgws_per_vpc: u32,
    pub route_tables_per_tgw: u32,
    /// Static and propagated routes across all route tables of one TGW.
    pub routes_per_tgw: u32,
    pub peering_attachments_per_tgw: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            active_peerings_per_vpc: 50,
            pending_peerings_per_vpc: 25,
            routes_per_table: 50,
            nacl_rules_per_direction: 20,
            sg_rules_per_direction: 60,
            sgs_per_eni: 5,
            secondary_cidrs_per_vpc: 4,
            conntrack_entries_per_eni: 65_536,
            tgws_per_vpc: 5,
            route_tables_per_tgw: 20,
            routes_per_tgw: 10_000,
            peering_attachments_per_tgw: 50,
        }
    }
}
