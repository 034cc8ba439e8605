//! Synthetic topologies for scale tests and benchmarks (built in code so sizes can
//! be dialled): a hub VPC peered with N spoke VPCs in one region, open security
//! groups, and a mix of flows from spoke instances to hub instances.

use crate::dataplane::test_net::{sg_all, TestNet};
use crate::model::{Endpoint, Expectation, Flow, FlowKind, Network, PeeringStatus, RouteTarget};

/// Sizes of a hub-and-spoke scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubAndSpokes {
    pub spokes: u32,
    pub hub_hosts: u32,
    pub hosts_per_spoke: u32,
    pub flows: u32,
    /// Datagrams per UDP flow (9 in 10 flows are UDP, 1 in 10 ping; 1 in 100 TCP).
    pub packets_per_flow: u64,
}

impl Default for HubAndSpokes {
    fn default() -> Self {
        HubAndSpokes {
            spokes: 50,
            hub_hosts: 20,
            hosts_per_spoke: 4,
            flows: 10_000,
            packets_per_flow: 20,
        }
    }
}

impl HubAndSpokes {
    /// Build the network (at most 250 spokes and 250 hosts per VPC).
    pub fn build(&self) -> Network {
        let spokes = self.spokes.clamp(1, 250);
        let per_spoke = self.hosts_per_spoke.clamp(1, 250);
        let hub_hosts = self.hub_hosts.clamp(1, 250);
        let mut t = TestNet::new();
        let hub = t.vpc("10.0.0.0/16");
        let hub_subnet = t.subnet(hub, "10.0.1.0/24", 0);
        let hub_sg = t.sg(hub, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
        let hub_rtb = t.route_table(hub);
        t.associate(hub_subnet, hub_rtb);
        let hub_enis: Vec<_> = (0..hub_hosts)
            .map(|i| t.eni(hub_subnet, &format!("10.0.1.{}", 10 + i % 240), &[hub_sg]))
            .collect();
        let mut spoke_enis = Vec::new();
        for s in 1..=spokes {
            let vpc = t.vpc(&format!("10.{s}.0.0/16"));
            let subnet = t.subnet(vpc, &format!("10.{s}.1.0/24"), s % 2);
            let sg = t.sg(vpc, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
            let rtb = t.route_table(vpc);
            t.associate(subnet, rtb);
            let pcx = t.peering(hub, vpc, PeeringStatus::Active);
            t.route(rtb, "10.0.0.0/16", RouteTarget::Peering(pcx));
            t.route(
                hub_rtb,
                &format!("10.{s}.0.0/16"),
                RouteTarget::Peering(pcx),
            );
            for h in 0..per_spoke {
                spoke_enis.push(t.eni(subnet, &format!("10.{s}.1.{}", 10 + h % 240), &[sg]));
            }
        }
        let mut net = t.build();
        net.name = format!("hub-{spokes}-spokes");
        for k in 0..self.flows {
            let src = spoke_enis[k as usize % spoke_enis.len()];
            let dst = hub_enis[(k as usize / spoke_enis.len()) % hub_enis.len()];
            let kind = if k % 100 == 99 {
                FlowKind::Tcp
            } else if k % 10 == 9 {
                FlowKind::Ping
            } else {
                FlowKind::Udp
            };
            net.flows.push(Flow {
                name: format!("flow-{k}"),
                kind,
                src: Endpoint::Eni(src),
                dst: Endpoint::Eni(dst),
                port: 5001 + (k % 4) as u16,
                size: 200,
                count: self.packets_per_flow,
                bytes: 100_000,
                rate_pps: 1000.0,
                start_ns: (k as u64 % 1000) * 1_000_000,
                df: true,
                ipv6: false,
                expect: Some(Expectation::Delivered),
                request_response: None,
                dns: None,
            });
        }
        net
    }
}
