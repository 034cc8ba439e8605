//! The VPC router pipeline (DESIGN.md §3): a frame in from an ENI or an external
//! host, frames out (delivered, fragmented, or an ICMP error) or a drop naming
//! its reason and the exact object.
//!
//! [`Dataplane::new`] compiles the [`Network`] once (route tables into LPM tables,
//! security groups per ENI, address maps); [`Dataplane::process`] then handles one
//! frame without allocating (forwarding moves the frame's `Vec`). Frames leaving
//! the router carry source MAC [`ROUTER_MAC`] and the destination ENI's MAC
//! ([`EXTERNAL_MAC`] towards external hosts).
//!
//! ```
//! use peeremu::dataplane::test_net::{frames, sg_all, TestNet};
//! use peeremu::dataplane::{Action, Dataplane, Egress, Ingress};
//!
//! let mut t = TestNet::new();
//! let vpc = t.vpc("10.0.0.0/16");
//! let subnet = t.subnet(vpc, "10.0.1.0/24", 0);
//! let open = t.sg(vpc, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
//! let a = t.eni(subnet, "10.0.1.10", &[open]);
//! let b = t.eni(subnet, "10.0.1.20", &[open]);
//! let mut dp = Dataplane::new(&t.build());
//! let mut out = Vec::new(); // reused across frames
//! dp.process(0, Ingress::Eni(a), frames::echo("10.0.1.10", "10.0.1.20", false), &mut out);
//! assert!(matches!(out[0], Action::Deliver { to: Egress::Eni(e), .. } if e == b));
//! ```

mod checks;
mod deliver;
mod detail;
mod direct_connect;
mod egress;
mod egress_only_igw;
pub mod explain;
mod flow_cache;
mod gateway_point;
mod hint;
mod ingress;
mod middlebox;
mod nat;
mod pipeline;
mod privatelink;
pub mod probe;
mod routes;
mod timeline;
mod trace;
mod transit_gateway;
mod transit_vif;

#[doc(hidden)]
pub mod test_net;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_edges;
#[cfg(test)]
mod tests_flow_cache;
#[cfg(test)]
mod tests_forwarding;
#[cfg(test)]
mod tests_gateways;
#[cfg(test)]
mod tests_icmp;
#[cfg(test)]
mod tests_mtu;
#[cfg(test)]
mod tests_tgw;

pub use detail::{DetailDisplay, DropDetail, Edge, MtuLink};
pub use flow_cache::Delivery;
pub use gateway_point::GatewayCrossing;
pub use middlebox::ApplianceCrossing;
pub use nat::NAT_IDLE_TIMEOUT_NS;
pub use routes::{CompiledRoutes, RouteLookup};
pub use trace::{Gateway, Hop, MtuDecision, NoTrace, SgVerdict, TimedHops, Tracer};

pub use detail::{
    eigw_id, eni_id, igw_id, nacl_id, nat_id, pcx_id, rtb_id, sg_id, target_id, tgw_att_id, tgw_id,
    tgw_rtb_id, vgw_id, vpce_id,
};

use crate::model::*;
use crate::policy::conntrack::FxBuild;
use crate::policy::sg::group_members;
use crate::policy::{CompiledSg, ConnTrack, NaclShortcut};
use nat::NatTable;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

/// Source MAC of every frame the VPC router emits (locally administered).
pub const ROUTER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
/// Destination MAC of frames handed to external hosts (internet, on-premises).
pub const EXTERNAL_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0xfe];
/// Link MTU inside a VPC and across same-region peering.
pub const VPC_MTU: u16 = 9001;
/// Link MTU through an internet gateway.
pub const INTERNET_MTU: u16 = 1500;

/// Where a frame enters the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ingress {
    Eni(EniIdx),
    External(HostIdx),
}

/// Where a frame leaves the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Egress {
    Eni(EniIdx),
    External(HostIdx),
}

/// What the router did with (part of) a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Hand `frame` to `to` after `latency_ns` (one-way).
    Deliver {
        to: Egress,
        frame: Vec<u8>,
        latency_ns: u64,
        /// The peering link it crossed (a capture point).
        via_peering: Option<PcxIdx>,
        /// The transit gateway attachments it entered and left by (capture
        /// points), when it crossed a TGW.
        via_tgw: Option<(TgwAttIdx, TgwAttIdx)>,
        /// The billable segments the frame crossed (data cost).
        charges: Charges,
    },
    /// Dropped; `eni` is the interface on whose behalf (flow logs: `REJECT` when
    /// its security group or NACL refused it, see [`DropReason::flow_log_effect`]).
    Drop {
        reason: DropReason,
        detail: DropDetail,
        eni: Option<EniIdx>,
        frame: Vec<u8>,
    },
    /// An ICMP error (fragmentation needed / packet too big) from the router back
    /// to the source; deliver it like any frame.
    IcmpError {
        to: Egress,
        frame: Vec<u8>,
        latency_ns: u64,
    },
}

/// A frame a NAT gateway translated ([`Dataplane::nat_crossings`]; kept beside
/// the actions, not in them, so that [`Action`] stays within a cache line): enough to rebuild the frame as it was before
/// (the outbound frame's private source, or the inbound frame's public
/// destination), so the gateway's interface shows both sides without the router
/// keeping a copy of every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NatCrossing {
    pub nat: NatIdx,
    /// From the instance towards the internet (else a reply coming back).
    pub outbound: bool,
    /// Outbound: the source (address, port or echo identifier) before
    /// translation; inbound: the destination before translation (the gateway's
    /// Elastic IP and public port). `None` port: only the address changed.
    pub before: (Ipv4Addr, Option<u16>),
}

/// An address inside a VPC: IPv4 as its IPv4-mapped IPv6 bits, so families never
/// collide. Hashed in one round (see `ConnKey`'s `Hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AddrKey(u32, u128);

impl std::hash::Hash for AddrKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(
            crate::policy::conntrack::fold128(self.1) ^ u64::from(self.0).rotate_left(48),
        );
    }
}

fn addr_key(vpc: VpcIdx, ip: IpAddr) -> AddrKey {
    let bits = match ip {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    };
    AddrKey(vpc.0, bits)
}

/// The compiled router for a whole network, with its state (conntrack, NAT).
#[derive(Debug, Clone)]
pub struct Dataplane {
    net: Network,
    routes: Vec<CompiledRoutes>,
    sgs: Vec<CompiledSg>,
    conntrack: Vec<ConnTrack>,
    /// (VPC index, address bits) → ENI; see [`addr_key`].
    eni_by_ip: HashMap<AddrKey, EniIdx, FxBuild>,
    /// Each ENI's region and AZ, for latency without chasing indices.
    eni_region_az: Vec<(u32, u32)>,
    eni_by_public_ip: HashMap<Ipv4Addr, EniIdx, FxBuild>,
    nat_by_public_ip: HashMap<Ipv4Addr, NatIdx, FxBuild>,
    host_by_ip: HashMap<IpAddr, HostIdx, FxBuild>,
    nat: Vec<NatTable>,
    /// One-way latency between regions, `regions × regions`.
    region_latency: Vec<u64>,
    /// Reused buffer for fragments.
    scratch: Vec<Vec<u8>>,
    /// Per NACL (same index), its packet-independent verdicts; rebuilt when its
    /// rules change.
    nacl_shortcuts: Vec<NaclShortcut>,
    /// Transit gateway route tables and attachment maps (used only by frames
    /// routed to a TGW).
    tgw: transit_gateway::TgwPlane,
    /// The delivered actions of the last `process` call that a NAT gateway
    /// translated: (index in its `out`, crossing). Reused: no allocation per frame.
    nat_crossings: Vec<(u32, NatCrossing)>,
    /// Per instance: running (a `[[change]]` may stop and start it).
    running: Vec<bool>,
    /// Per ENI: its instance is stopped (see `timeline`).
    stopped: Vec<bool>,
    /// Per instance (same index), a NAT instance's masquerade table.
    instance_nat: Vec<NatTable>,
    /// The delivered actions of the last `process` call that crossed a
    /// forwarding instance: (index in its `out`, crossing). Reused.
    appliance_crossings: Vec<(u32, ApplianceCrossing)>,
    /// The delivered actions of the last `process` call that crossed an
    /// egress-only gateway or a Direct Connect virtual interface. Reused.
    gateway_crossings: Vec<(u32, GatewayCrossing)>,
    /// Set while a forwarding instance's packet meets its ENI's security group
    /// outbound (see `checks::sg_check`).
    departing: bool,
    /// Each egress-only internet gateway's open flows (same index).
    eigw: Vec<egress_only_igw::EigwState>,
    /// Interface endpoints and NLB nodes, with their live translations.
    privatelink: privatelink::PrivateLinkPlane,
    /// Flows' cached paths (see `flow_cache`); emptied by every table change.
    flow_cache: flow_cache::FlowCache,
}

impl Dataplane {
    /// Compile everything the pipeline needs from `net`.
    pub fn new(net: &Network) -> Dataplane {
        // Without the flows: the router does not read them (issue #18: memory).
        let net = net.clone_without_flows();
        let routes = net
            .route_tables
            .iter()
            .map(|t| CompiledRoutes::compile(&net, t))
            .collect();
        let mut eni_by_ip = HashMap::default();
        let mut eni_by_public_ip = HashMap::default();
        for (i, e) in net.enis.iter().enumerate() {
            let idx = EniIdx(i as u32);
            eni_by_ip.insert(addr_key(e.vpc, IpAddr::V4(e.private_ip)), idx);
            if let Some(v6) = e.ipv6 {
                eni_by_ip.insert(addr_key(e.vpc, IpAddr::V6(v6)), idx);
            }
            if let Some(p) = e.public_ip {
                eni_by_public_ip.insert(p, idx);
            }
        }
        let nat_by_public_ip = net
            .nat_gateways
            .iter()
            .enumerate()
            .map(|(i, n)| (n.public_ip, NatIdx(i as u32)))
            .collect();
        let host_by_ip = net
            .external_hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.ip, HostIdx(i as u32)))
            .collect();
        let n = net.regions.len();
        let mut region_latency = vec![0; n * n];
        for (a, ra) in net.regions.iter().enumerate() {
            for (b, rb) in net.regions.iter().enumerate() {
                region_latency[a * n + b] = net.latency.between_regions(&ra.name, &rb.name);
            }
        }
        let eni_region_az = (0..net.enis.len())
            .map(|i| {
                let az = net.eni_az(EniIdx(i as u32));
                (net.azs.get(az.ix()).map_or(0, |a| a.region.0), az.0)
            })
            .collect();
        let cap = net.quotas.conntrack_entries_per_eni;
        let mut dp = Dataplane {
            routes,
            sgs: Vec::new(),
            conntrack: (0..net.enis.len()).map(|_| ConnTrack::new(cap)).collect(),
            eni_by_ip,
            eni_region_az,
            eni_by_public_ip,
            nat_by_public_ip,
            host_by_ip,
            nat: vec![NatTable::default(); net.nat_gateways.len()],
            region_latency,
            scratch: Vec::new(),
            nacl_shortcuts: net.nacls.iter().map(NaclShortcut::of).collect(),
            tgw: transit_gateway::TgwPlane::compile(&net),
            nat_crossings: Vec::new(),
            running: vec![true; net.instances.len()],
            stopped: vec![false; net.enis.len()],
            instance_nat: vec![NatTable::default(); net.instances.len()],
            appliance_crossings: Vec::new(),
            gateway_crossings: Vec::new(),
            departing: false,
            eigw: vec![Default::default(); net.egress_only_internet_gateways.len()],
            privatelink: privatelink::PrivateLinkPlane::compile(&net),
            flow_cache: Default::default(),
            net,
        };
        dp.compile_security_groups();
        dp
    }

    fn compile_security_groups(&mut self) {
        let members = group_members(&self.net);
        self.sgs = (0..self.net.enis.len())
            .map(|i| CompiledSg::for_eni(&self.net, EniIdx(i as u32), &members))
            .collect();
    }

    /// The network as the router currently sees it (after rule changes).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// An ENI's connection-tracking table.
    pub fn conntrack(&self, eni: EniIdx) -> Option<&ConnTrack> {
        self.conntrack.get(eni.ix())
    }

    /// Replace a security group's rules. Tracked flows survive (AWS: changing a
    /// rule does not interrupt tracked connections); new flows see the new rules.
    pub fn replace_security_group_rules(
        &mut self,
        sg: SgIdx,
        ingress: Vec<SgRule>,
        egress: Vec<SgRule>,
    ) -> bool {
        let Some(g) = self.net.security_groups.get_mut(sg.ix()) else {
            return false;
        };
        g.ingress = ingress;
        g.egress = egress;
        self.compile_security_groups();
        self.flow_cache.clear();
        true
    }

    /// Replace a NACL's rules (sorted here by number). Applies to the next packet,
    /// tracked or not: NACLs are stateless.
    pub fn replace_nacl_rules(
        &mut self,
        nacl: NaclIdx,
        mut inbound: Vec<NaclRule>,
        mut outbound: Vec<NaclRule>,
    ) -> bool {
        let Some(n) = self.net.nacls.get_mut(nacl.ix()) else {
            return false;
        };
        inbound.sort_by_key(|r| r.number);
        outbound.sort_by_key(|r| r.number);
        n.inbound = inbound;
        n.outbound = outbound;
        let shortcut = NaclShortcut::of(n);
        if let Some(s) = self.nacl_shortcuts.get_mut(nacl.ix()) {
            *s = shortcut;
        }
        self.flow_cache.clear();
        true
    }

    /// Change a peering connection's state (accept, delete, ...).
    pub fn set_peering_status(&mut self, pcx: PcxIdx, status: PeeringStatus) -> bool {
        self.flow_cache.clear();
        match self.net.peerings.get_mut(pcx.ix()) {
            Some(p) => {
                p.status = status;
                true
            }
            None => false,
        }
    }

    /// Which of the actions the last [`Dataplane::process`] call appended were
    /// frames a NAT gateway translated: (index in its `out`, what changed).
    pub fn nat_crossings(&self) -> &[(u32, NatCrossing)] {
        &self.nat_crossings
    }

    /// Which of the actions the last [`Dataplane::process`] call appended were
    /// frames a forwarding instance passed on: (index in its `out`, crossing).
    pub fn appliance_crossings(&self) -> &[(u32, ApplianceCrossing)] {
        &self.appliance_crossings
    }

    /// The private (address, port) a NAT instance at `ip` (its ENI's private
    /// address) masqueraded to `port` (read-only: attributing frames to flows).
    pub fn instance_nat_private(
        &self,
        ip: Ipv4Addr,
        protocol: u8,
        port: u16,
    ) -> Option<(Ipv4Addr, u16)> {
        // Few instances NAT: a scan of their tables (none at all usually).
        self.instance_nat
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .filter(|&(i, _)| {
                self.net.instances[i].enis.iter().any(|e| {
                    self.net
                        .enis
                        .get(e.ix())
                        .is_some_and(|e| e.private_ip == ip)
                })
            })
            .find_map(|(_, t)| t.private_of(protocol, port))
    }

    /// The ENI owning `ip` inside `vpc`.
    #[inline]
    pub fn eni_in_vpc(&self, vpc: VpcIdx, ip: IpAddr) -> Option<EniIdx> {
        self.eni_by_ip.get(&addr_key(vpc, ip)).copied()
    }

    /// The external host at `ip`.
    pub fn host_by_ip(&self, ip: IpAddr) -> Option<HostIdx> {
        self.host_by_ip.get(&ip).copied()
    }

    /// The ENI whose public IP is `ip`.
    /// The private (address, port or ICMP identifier) a NAT gateway translated to
    /// its public address `public_ip` and `public_port` (read-only: for attributing
    /// drops of translated frames to their flow).
    pub fn nat_private_endpoint(
        &self,
        public_ip: Ipv4Addr,
        protocol: u8,
        public_port: u16,
    ) -> Option<(Ipv4Addr, u16)> {
        let n = self.nat_by_public_ip.get(&public_ip)?;
        self.nat.get(n.ix())?.private_of(protocol, public_port)
    }

    pub fn eni_by_public_ip(&self, ip: Ipv4Addr) -> Option<EniIdx> {
        self.eni_by_public_ip.get(&ip).copied()
    }

    /// One-way latency between two ENIs: same AZ, cross AZ, or the region pair.
    pub fn eni_latency(&self, a: EniIdx, b: EniIdx) -> u64 {
        let (Some(&(ra, aza)), Some(&(rb, azb))) = (
            self.eni_region_az.get(a.ix()),
            self.eni_region_az.get(b.ix()),
        ) else {
            return self.net.latency.inter_region_default_ns;
        };
        if ra != rb {
            let n = self.net.regions.len();
            return self
                .region_latency
                .get(ra as usize * n + rb as usize)
                .copied()
                .unwrap_or(self.net.latency.inter_region_default_ns);
        }
        if aza == azb {
            self.net.latency.same_az_ns
        } else {
            self.net.latency.cross_az_ns
        }
    }

    /// What carrying a frame between two ENIs directly (within a VPC or over a
    /// peering) is billed: inter-region transfer between regions, cross-AZ
    /// transfer between AZs of one region, nothing within one AZ.
    #[inline]
    pub fn eni_charges(&self, a: EniIdx, b: EniIdx) -> Charges {
        match (
            self.eni_region_az.get(a.ix()),
            self.eni_region_az.get(b.ix()),
        ) {
            (Some(&(ra, aza)), Some(&(rb, azb))) => Charges::NONE
                .with_if(Segment::InterRegion, ra != rb)
                .with_if(Segment::CrossAz, ra == rb && aza != azb),
            _ => Charges::NONE,
        }
    }

    /// One-way latency between the VPC edge and an external host.
    pub fn host_latency(&self, h: HostIdx) -> u64 {
        match self.net.external_hosts.get(h.ix()).map(|h| h.site) {
            Some(ExternalSite::DirectConnect(d)) => self
                .net
                .direct_connects
                .get(d.ix())
                .map_or(self.net.latency.internet_ns, |d| d.latency_ns),
            Some(ExternalSite::OnPrem(g)) => self
                .net
                .vpn_gateways
                .get(g.ix())
                .map(|g| g.latency_ns)
                .unwrap_or(self.net.latency.internet_ns),
            _ => self.net.latency.internet_ns,
        }
    }
}
