//! The capture interfaces of a network: one per ENI, per peering link, per external
//! host, per transit gateway attachment, in that order (their positions are the pcapng interface ids), and the
//! virtual time a run is expected to cover.

use super::pcap::CaptureInterface;
use crate::model::{FlowKind, Network};

/// One interface per ENI, per peering link, per external host, per NAT gateway's
/// network interface, per transit gateway attachment, in that order.
pub fn capture_interfaces(network: &Network) -> Vec<CaptureInterface> {
    let mut v = Vec::with_capacity(
        network.enis.len() + network.peerings.len() + network.external_hosts.len(),
    );
    for e in &network.enis {
        let instance = network
            .instances
            .get(e.instance.ix())
            .map_or("?", |i| i.name.as_str());
        let subnet = network
            .subnets
            .get(e.subnet.ix())
            .map_or("?", |s| s.id.as_str());
        let vpc = network.vpcs.get(e.vpc.ix()).map_or("?", |v| v.id.as_str());
        v.push(CaptureInterface {
            name: e.id.clone(),
            description: format!("ENI of {instance} in {subnet} ({vpc}), {}", e.private_ip),
        });
    }
    for p in &network.peerings {
        let side =
            |i: crate::model::VpcIdx| network.vpcs.get(i.ix()).map_or("?", |v| v.id.as_str());
        v.push(CaptureInterface {
            name: p.id.clone(),
            description: format!(
                "peering {} <-> {} ({}, MTU {})",
                side(p.requester),
                side(p.accepter),
                p.status.as_str(),
                p.mtu
            ),
        });
    }
    for h in &network.external_hosts {
        v.push(CaptureInterface {
            name: h.name.clone(),
            description: format!("external host {}", h.ip),
        });
    }
    for n in &network.nat_gateways {
        let subnet = network
            .subnets
            .get(n.subnet.ix())
            .map_or("?", |s| s.id.as_str());
        v.push(CaptureInterface {
            name: n.eni_id(),
            description: format!(
                "network interface of NAT gateway {} in {subnet}, {} (Elastic IP {}): frames as they arrive (inbound) and leave translated (outbound)",
                n.id, n.private_ip, n.public_ip
            ),
        });
    }
    for a in &network.tgw_attachments {
        let tgw = network
            .transit_gateways
            .get(a.tgw.ix())
            .map_or("?", |t| t.id.as_str());
        v.push(CaptureInterface {
            name: a.id.clone(),
            description: format!(
                "transit gateway attachment of {tgw} ({}, {}, MTU {})",
                a.kind_str(),
                a.state.as_str(),
                a.mtu
            ),
        });
    }
    // Gateways without an ENI (after every other point: the interface ids
    // above stay as they were).
    for g in &network.egress_only_internet_gateways {
        let vpc = g
            .vpc
            .and_then(|i| network.vpcs.get(i.ix()))
            .map_or("?", |v| v.id.as_str());
        v.push(CaptureInterface {
            name: g.id.clone(),
            description: format!(
                "egress-only internet gateway of {vpc}: IPv6 frames leaving for the internet (outbound) and replies coming in (inbound)"
            ),
        });
    }
    for dx in &network.direct_connects {
        for vif in &dx.virtual_interfaces {
            v.push(CaptureInterface {
                name: vif.id.clone(),
                description: format!(
                    "{} virtual interface of Direct Connect {} (MTU {}): frames to on premises (outbound) and from it (inbound)",
                    vif.target.kind_str(), dx.id, vif.mtu
                ),
            });
        }
    }
    v
}

/// The virtual time a run's traffic is planned to take: the `--duration` limit if
/// given, else the end of the last ping/UDP flow; `None` when TCP flows (whose end
/// is not known in advance) or nothing bound it.
pub fn expected_duration_ns(network: &Network, limit_ns: Option<u64>) -> Option<u64> {
    if limit_ns.is_some() {
        return limit_ns;
    }
    if network.flows.iter().any(|f| f.kind == FlowKind::Tcp) {
        return None;
    }
    network
        .flows
        .iter()
        .filter(|f| f.rate_pps > 0.0)
        .map(|f| {
            f.start_ns
                .saturating_add((f.count as f64 / f.rate_pps * 1e9) as u64)
        })
        .max()
}
