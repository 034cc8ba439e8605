//! VPCs, subnets, route tables, ENIs, instances, peerings and gateways.

use super::*;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Az {
    pub name: String,
    pub region: RegionIdx,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vpc {
    pub id: String,
    pub region: RegionIdx,
    /// Primary block first, then secondary blocks.
    pub cidrs: Vec<Ipv4Net>,
    pub ipv6: Option<Ipv6Net>,
    pub main_route_table: RtbIdx,
    pub default_nacl: NaclIdx,
    pub default_sg: SgIdx,
    pub internet_gateway: Option<IgwIdx>,
    /// The attached egress-only internet gateway (IPv6 out, replies back).
    pub egress_only_internet_gateway: Option<EigwIdx>,
}

impl Vpc {
    /// Whether `ip` lies inside one of this VPC's IPv4 or IPv6 blocks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => self.cidrs.iter().any(|c| c.contains(&v4)),
            IpAddr::V6(v6) => self.ipv6.is_some_and(|c| c.contains(&v6)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    pub id: String,
    pub vpc: VpcIdx,
    pub az: AzIdx,
    pub cidr: Ipv4Net,
    pub ipv6: Option<Ipv6Net>,
    /// The associated table, or the VPC's main table when unassociated.
    pub route_table: RtbIdx,
    /// The associated NACL, or the VPC's default NACL when unassociated.
    pub nacl: NaclIdx,
}

/// What a route matches.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteDestination {
    Cidr(IpNet),
    /// A prefix list (gateway endpoint routes).
    PrefixList(PlIdx),
}

/// Where a route sends matching traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteTarget {
    Local,
    Peering(PcxIdx),
    InternetGateway(IgwIdx),
    NatGateway(NatIdx),
    VpnGateway(VgwIdx),
    GatewayEndpoint(VpceIdx),
    Eni(EniIdx),
    Blackhole,
    /// A transit gateway the VPC is attached to.
    TransitGateway(TgwIdx),
    /// An egress-only internet gateway (IPv6 destinations only).
    EgressOnlyInternetGateway(EigwIdx),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub destination: RouteDestination,
    pub target: RouteTarget,
    /// Propagated (from a VGW) rather than static: loses ties to static routes.
    pub propagated: bool,
}

/// A route table. The implicit local routes (one per VPC block) are included.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteTable {
    pub id: String,
    pub vpc: VpcIdx,
    pub is_main: bool,
    pub routes: Vec<Route>,
}

/// An elastic network interface: where frames enter and leave the VPC router.
#[derive(Debug, Clone, PartialEq)]
pub struct Eni {
    pub id: String,
    pub instance: InstanceIdx,
    pub subnet: SubnetIdx,
    pub vpc: VpcIdx,
    pub private_ip: Ipv4Addr,
    pub ipv6: Option<Ipv6Addr>,
    /// Public or Elastic IP, reachable through the VPC's internet gateway.
    pub public_ip: Option<Ipv4Addr>,
    /// Interface MTU (AWS: 9001 for current instance types).
    pub mtu: u16,
    pub security_groups: Vec<SgIdx>,
    pub source_dest_check: bool,
    /// AWS-like, derived from the index: stable across runs (see [`Eni::mac_for_index`]).
    pub mac: [u8; 6],
}

impl Eni {
    /// The MAC address of the ENI at `index`: `0e:…`, locally administered and
    /// unicast like the MACs AWS gives ENIs, with the last four bytes a fixed
    /// bijection of the index (so MACs look random yet are deterministic and
    /// distinct for every ENI). The VPC router's and external hosts' MACs start
    /// with `02:`, so no ENI can share one with them.
    pub fn mac_for_index(index: usize) -> [u8; 6] {
        // Multiplying by an odd constant and xor-shifting by half the width are
        // both invertible on u32: distinct indices give distinct MACs.
        let mut x = (index as u32).wrapping_add(1).wrapping_mul(0x9e37_79b1);
        x ^= x >> 16;
        let b = x.to_be_bytes();
        [0x0e, b[3] ^ b[1] ^ 0x5a, b[0], b[1], b[2], b[3]]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: String,
    /// The user's name for it, or the id.
    pub name: String,
    pub enis: Vec<EniIdx>,
    /// Its operating system's TCP buffer limits (Linux sysctls).
    pub tcp: TcpBuffers,
    /// Network bandwidth, bits per second, each direction (`bandwidth_gbps`).
    pub bandwidth_bps: u64,
    /// The cluster placement group it is in, if any.
    pub placement_group: Option<String>,
    /// What it does with packets addressed to others (`forward = ...`).
    pub forward: Forwarding,
}

/// What an instance's operating system does with a packet that reached one of
/// its ENIs (a route targeting it, source/destination check off) but is
/// addressed to someone else: Linux's `ip_forward` and netfilter masquerade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Forwarding {
    /// `ip_forward = 0`: discarded (`NOT_FORWARDED`). The default.
    #[default]
    None,
    /// `forward = "router"`: passed on unchanged by the instance's own routing,
    /// TTL decremented (`ip_forward = 1`).
    Router,
    /// `forward = "nat"`: as a router, with the source translated to the
    /// departure ENI's address and a port (netfilter `MASQUERADE`, connection
    /// tracked: replies are translated back).
    Nat,
}

impl Forwarding {
    /// The topology file's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Forwarding::None => "none",
            Forwarding::Router => "router",
            Forwarding::Nat => "nat",
        }
    }
}

/// Default instance bandwidth: 10 Gbit/s, the figure of common current-generation
/// instance types ("up to 10 Gigabit"; AWS, "Amazon EC2 instance network
/// bandwidth").
pub const DEFAULT_INSTANCE_BANDWIDTH_BPS: u64 = 10_000_000_000;
/// AWS's single-flow (5-tuple) limit between instances not in the same cluster
/// placement group (same page).
pub const SINGLE_FLOW_BPS: u64 = 5_000_000_000;
/// The single-flow limit inside one cluster placement group.
pub const SINGLE_FLOW_CLUSTER_BPS: u64 = 10_000_000_000;

/// The TCP settings of an instance's (Linux) kernel: the buffer maxima (the third
/// values of `net.ipv4.tcp_rmem` and `net.ipv4.tcp_wmem`, up to which Linux
/// autotunes a connection's receive and send buffers; see `host::tcp` for how a
/// connection's smoltcp buffers follow from them) and its congestion control
/// (`net.ipv4.tcp_congestion_control`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpBuffers {
    /// `tcp_rmem` max, bytes.
    pub rmem_max: u32,
    /// `tcp_wmem` max, bytes.
    pub wmem_max: u32,
    /// `tcp_congestion_control`.
    pub congestion: TcpCongestion,
}

/// A TCP congestion control algorithm (`tcp_congestion = ...` on an instance),
/// as smoltcp implements them (`host::tcp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TcpCongestion {
    /// CUBIC (RFC 9438), Linux's default since 2.6.19. The default.
    #[default]
    Cubic,
    /// NewReno-style AIMD (RFC 5681), Linux's `reno`.
    Reno,
    /// No congestion window: the sender is held only by the receive window (and
    /// the send buffer). Not something Linux offers; for comparison.
    None,
}

impl TcpCongestion {
    /// The topology file's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            TcpCongestion::Cubic => "cubic",
            TcpCongestion::Reno => "reno",
            TcpCongestion::None => "none",
        }
    }
}

impl TcpBuffers {
    /// Linux's defaults: `tcp_rmem = 4096 131072 6291456`, `tcp_wmem = 4096 16384
    /// 4194304`, `tcp_congestion_control = cubic` (Documentation/networking/ip-sysctl.rst).
    pub const LINUX: TcpBuffers = TcpBuffers {
        rmem_max: 6_291_456,
        wmem_max: 4_194_304,
        congestion: TcpCongestion::Cubic,
    };
}

impl Default for TcpBuffers {
    fn default() -> Self {
        TcpBuffers::LINUX
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeeringStatus {
    PendingAcceptance,
    Active,
    Rejected,
    Expired,
    Failed,
    Deleted,
    /// Requested but not yet pending acceptance: a `[[change]]` with
    /// `request_peering` moves it on.
    InitiatingRequest,
}

impl PeeringStatus {
    pub const ALL: [PeeringStatus; 7] = [
        PeeringStatus::PendingAcceptance,
        PeeringStatus::Active,
        PeeringStatus::Rejected,
        PeeringStatus::Expired,
        PeeringStatus::Failed,
        PeeringStatus::Deleted,
        PeeringStatus::InitiatingRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeeringStatus::PendingAcceptance => "pending-acceptance",
            PeeringStatus::Active => "active",
            PeeringStatus::Rejected => "rejected",
            PeeringStatus::Expired => "expired",
            PeeringStatus::Failed => "failed",
            PeeringStatus::Deleted => "deleted",
            PeeringStatus::InitiatingRequest => "initiating-request",
        }
    }

    /// A status AWS never turns active again (the VPC peering lifecycle):
    /// routes to such a peering are `blackhole` for good.
    pub fn terminal(self) -> bool {
        matches!(
            self,
            PeeringStatus::Deleted
                | PeeringStatus::Rejected
                | PeeringStatus::Expired
                | PeeringStatus::Failed
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Peering {
    pub id: String,
    pub requester: VpcIdx,
    pub accepter: VpcIdx,
    pub status: PeeringStatus,
    /// Link MTU: 9001 in one region; inter-region 1500 by default (8500 optional).
    pub mtu: u16,
    pub inter_region: bool,
}

impl Peering {
    /// The VPC on the other side from `vpc`, if `vpc` is one of the two.
    pub fn other_side(&self, vpc: VpcIdx) -> Option<VpcIdx> {
        if vpc == self.requester {
            Some(self.accepter)
        } else if vpc == self.accepter {
            Some(self.requester)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InternetGateway {
    pub id: String,
    /// Attached VPC (one IGW per VPC); a detached IGW carries nothing.
    pub vpc: Option<VpcIdx>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NatGateway {
    pub id: String,
    pub subnet: SubnetIdx,
    pub vpc: VpcIdx,
    pub private_ip: Ipv4Addr,
    /// The Elastic IP that translated traffic leaves with.
    pub public_ip: Ipv4Addr,
}

impl NatGateway {
    /// The id of the gateway's network interface (AWS gives every NAT gateway one,
    /// in its subnet, with its private IP): `eni-` and the gateway's id.
    pub fn eni_id(&self) -> String {
        format!("eni-{}", self.id)
    }
}

/// A virtual private gateway and the on-premises network behind its VPN.
#[derive(Debug, Clone, PartialEq)]
pub struct VpnGateway {
    pub id: String,
    pub vpc: Option<VpcIdx>,
    pub onprem_cidrs: Vec<IpNet>,
    /// One-way latency from the VGW to on-premises hosts.
    pub latency_ns: u64,
    /// VPN tunnel MTU (1500 less nothing: AWS advertises 1500 to the VPC side).
    pub mtu: u16,
}

/// A gateway endpoint (S3, DynamoDB) reached through a prefix-list route.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayEndpoint {
    pub id: String,
    pub vpc: VpcIdx,
    pub service: String,
    pub prefix_list: PlIdx,
}

/// Where an external host lives: on the internet or behind a VGW on premises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalSite {
    Internet,
    OnPrem(VgwIdx),
    /// On premises behind a Direct Connect connection.
    DirectConnect(DxIdx),
}

/// A host outside the VPCs (the "internet" host, an on-premises server, or an AWS
/// service address behind a gateway endpoint) so traffic has somewhere to go.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalHost {
    pub name: String,
    pub ip: IpAddr,
    pub site: ExternalSite,
    pub mtu: u16,
}
