//! PrivateLink: a Network Load Balancer in a provider VPC, the endpoint service it
//! fronts, and interface endpoints in consumer VPCs (AWS PrivateLink guide,
//! "Share your services through AWS PrivateLink"; ELB guide, Network Load
//! Balancers). The NLB's nodes and the endpoints' network interfaces are ENIs in
//! [`Network::enis`] (requester-managed: no instance, see [`NO_INSTANCE`]), so
//! routes, NACLs, security groups and conntrack treat them like any interface.

use super::*;
use std::net::IpAddr;

/// The instance of a requester-managed ENI (NLB node, interface endpoint): none.
pub const NO_INSTANCE: InstanceIdx = InstanceIdx(u32::MAX);

/// AWS: "VPC endpoints support an MTU of 8500 bytes. Packets with a size larger
/// than 8500 bytes that arrive at the VPC endpoint are dropped", with no ICMP
/// "fragmentation needed" (no path MTU discovery) and MSS clamping.
pub const PRIVATELINK_MTU: u16 = 8500;

/// A Network Load Balancer (`kind = "network"`): one node per subnet (one per
/// AZ), each an ENI with a private IP.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    pub id: String,
    pub vpc: VpcIdx,
    /// One node ENI per subnet mapping, in the file's order.
    pub nodes: Vec<EniIdx>,
    pub listeners: Vec<Listener>,
    /// Cross-zone load balancing (off by default for an NLB): a node sends only
    /// to targets in its own AZ unless on.
    pub cross_zone: bool,
}

/// A listener: protocol and port, and its target group's instances. Targets
/// receive on the listener's port.
#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    /// `proto::TCP` or `proto::UDP`.
    pub protocol: u8,
    pub port: u16,
    pub targets: Vec<LbTarget>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LbTarget {
    pub eni: EniIdx,
    /// The health check's verdict (given in the file: health checks are not run).
    pub healthy: bool,
}

/// An endpoint service, fronted by one NLB.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointService {
    pub id: String,
    pub lb: LbIdx,
    pub acceptance_required: bool,
}

/// An interface endpoint: an ENI per subnet (one per AZ) with its own security
/// groups.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceEndpoint {
    pub id: String,
    pub vpc: VpcIdx,
    pub service: EpsIdx,
    pub enis: Vec<EniIdx>,
}

/// What a requester-managed ENI is to PrivateLink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateLinkRole {
    /// A network interface of an interface endpoint.
    Endpoint(IfeIdx),
    /// A node of a load balancer.
    LbNode(LbIdx),
}

impl Network {
    /// The role of `eni` in PrivateLink, if any (a scan: set-up and messages
    /// only; the data plane keeps its own table).
    pub fn privatelink_role(&self, eni: EniIdx) -> Option<PrivateLinkRole> {
        if let Some(i) = self
            .interface_endpoints
            .iter()
            .position(|e| e.enis.contains(&eni))
        {
            return Some(PrivateLinkRole::Endpoint(IfeIdx(i as u32)));
        }
        self.load_balancers
            .iter()
            .position(|l| l.nodes.contains(&eni))
            .map(|i| PrivateLinkRole::LbNode(LbIdx(i as u32)))
    }

    /// The NLB node serving an endpoint ENI: the one in the same AZ (AWS maps
    /// each endpoint network interface to the load balancer in its zone).
    pub fn node_for_endpoint(&self, ife: IfeIdx, endpoint_eni: EniIdx) -> Option<(LbIdx, EniIdx)> {
        let svc = self.interface_endpoints.get(ife.ix())?.service;
        let lb = self.endpoint_services.get(svc.ix())?.lb;
        let az = self
            .subnets
            .get(self.enis.get(endpoint_eni.ix())?.subnet.ix())?
            .az;
        let node = self
            .load_balancers
            .get(lb.ix())?
            .nodes
            .iter()
            .copied()
            .find(|n| {
                self.enis
                    .get(n.ix())
                    .and_then(|e| self.subnets.get(e.subnet.ix()))
                    .is_some_and(|s| s.az == az)
            })?;
        Some((lb, node))
    }

    /// The target an NLB node picks for a new flow: among the listener's healthy
    /// targets (in the node's AZ unless cross-zone is on), by a hash of the flow's
    /// five-tuple (NLB: flow hash, sticky for the flow's life). `None`: no
    /// listener for (`protocol`, `port`), or no healthy target (`Err` tells which).
    pub fn pick_target(
        &self,
        lb: LbIdx,
        node: EniIdx,
        protocol: u8,
        port: u16,
        hash: u64,
    ) -> Result<EniIdx, TargetMiss> {
        let l = self
            .load_balancers
            .get(lb.ix())
            .ok_or(TargetMiss::NoListener)?;
        let listener = l
            .listeners
            .iter()
            .find(|x| x.protocol == protocol && x.port == port)
            .ok_or(TargetMiss::NoListener)?;
        let az = |e: EniIdx| {
            self.enis
                .get(e.ix())
                .and_then(|e| self.subnets.get(e.subnet.ix()))
                .map(|s| s.az)
        };
        let node_az = az(node);
        let ok = |t: &&LbTarget| t.healthy && (l.cross_zone || az(t.eni) == node_az);
        let n = listener.targets.iter().filter(ok).count() as u64;
        if n == 0 {
            return Err(TargetMiss::NoHealthyTarget);
        }
        listener
            .targets
            .iter()
            .filter(ok)
            .nth((hash % n) as usize)
            .map(|t| t.eni)
            .ok_or(TargetMiss::NoHealthyTarget)
    }
}

/// Why no target was picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetMiss {
    NoListener,
    NoHealthyTarget,
}

/// The NLB's flow hash of a five-tuple: deterministic (same topology and seed,
/// same target), well mixed (SplitMix64's finaliser over the fields).
pub fn flow_hash(protocol: u8, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> u64 {
    let bits = |ip: IpAddr| match ip {
        IpAddr::V4(a) => u64::from(u32::from(a)),
        IpAddr::V6(a) => {
            let v = u128::from(a);
            (v as u64) ^ ((v >> 64) as u64)
        }
    };
    let mut x = bits(src)
        ^ bits(dst).rotate_left(32)
        ^ (u64::from(sport) << 16 | u64::from(dport)) << 8
        ^ u64::from(protocol);
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
