//! PrivateLink in the data plane: a consumer's packet that reaches an interface
//! endpoint's ENI leaves the service's NLB node (the one in the endpoint's AZ)
//! towards a target, its source translated to the node's private address and a
//! port the node chose, its destination to the target (AWS PrivateLink guide:
//! "the source IP addresses provided to your application are the private IP
//! addresses of the load balancer nodes, not the IP addresses of the service
//! consumers"); the target's reply, back at the node, is translated back and
//! leaves the endpoint ENI for the consumer. Both sides are ordinary ENIs, so the
//! consumer VPC's and the provider VPC's routes, NACLs and security groups apply
//! on their own sides, and the two VPCs may use the same addresses.
//!
//! One-directional: a packet at a node that answers no consumer connection is
//! dropped (`PRIVATELINK_PROVIDER_INITIATED`). Packets over 8500 bytes are dropped
//! without an ICMP error (`PRIVATELINK_MTU`); TCP SYNs have their MSS clamped to
//! fit, as AWS does.
//!
//! Hand-written: the translation is two small maps keyed by what the node sees;
//! no crate models an NLB.

use super::pipeline::{Leg, Sink};
use super::trace::{Hop, Tracer};
use super::{Action, ApplianceCrossing, Dataplane, DropDetail};
use crate::model::*;
use crate::policy::conntrack::FxBuild;
use crate::wire::{self, FlowKey, FragmentKind};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

const FIRST_PORT: u16 = 1024;
const PORTS: u32 = 65536 - FIRST_PORT as u32;

/// A consumer's connection as the endpoint ENI sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ConsumerSide {
    endpoint: EniIdx,
    protocol: u8,
    consumer: Ipv4Addr,
    consumer_port: u16,
    listener_port: u16,
}

/// The same connection on the provider's side: node, node port, target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProviderSide {
    node: EniIdx,
    node_port: u16,
    target: EniIdx,
}

/// The compiled PrivateLink objects and the live translations.
#[derive(Debug, Clone, Default)]
pub(super) struct PrivateLinkPlane {
    /// The lowest ENI index with a role (`u32::MAX`: none): the hot path
    /// compares one integer before looking further.
    first: u32,
    /// Per ENI index from `first`.
    roles: Vec<Option<PrivateLinkRole>>,
    by_consumer: HashMap<ConsumerSide, ProviderSide, FxBuild>,
    /// (node, protocol, node port) → the consumer's side.
    by_node: HashMap<(EniIdx, u8, u16), ConsumerSide, FxBuild>,
    /// (node address, protocol, node port) → the consumer's side, for
    /// receivers and drop attribution (read by address, not ENI).
    by_node_ip: HashMap<(Ipv4Addr, u8, u16), ConsumerSide, FxBuild>,
    /// Next port to try, per node ENI.
    next_port: HashMap<EniIdx, u32, FxBuild>,
}

impl PrivateLinkPlane {
    pub(super) fn compile(net: &Network) -> PrivateLinkPlane {
        let mut tagged: Vec<(EniIdx, PrivateLinkRole)> = Vec::new();
        for (i, e) in net.interface_endpoints.iter().enumerate() {
            let r = PrivateLinkRole::Endpoint(IfeIdx(i as u32));
            tagged.extend(e.enis.iter().map(|&x| (x, r)));
        }
        for (i, l) in net.load_balancers.iter().enumerate() {
            let r = PrivateLinkRole::LbNode(LbIdx(i as u32));
            tagged.extend(l.nodes.iter().map(|&x| (x, r)));
        }
        let first = tagged.iter().map(|(e, _)| e.0).min().unwrap_or(u32::MAX);
        let mut roles = Vec::new();
        for (e, r) in tagged {
            let at = (e.0 - first) as usize;
            if roles.len() <= at {
                roles.resize(at + 1, None);
            }
            roles[at] = Some(r);
        }
        PrivateLinkPlane {
            first,
            roles,
            ..Default::default()
        }
    }

    /// The role of `eni`; one compare for every ordinary ENI.
    #[inline]
    pub(super) fn role(&self, eni: EniIdx) -> Option<PrivateLinkRole> {
        if eni.0 < self.first {
            return None;
        }
        self.roles
            .get((eni.0 - self.first) as usize)
            .copied()
            .flatten()
    }

    /// A free port on `node` for a connection to `target` (AWS: about 55,000
    /// simultaneous connections per target and node; translations here live for
    /// the run).
    fn allocate(&mut self, node: EniIdx, protocol: u8) -> Option<u16> {
        let next = self.next_port.entry(node).or_insert(0);
        for _ in 0..PORTS {
            let port = (u32::from(FIRST_PORT) + *next % PORTS) as u16;
            *next = (*next + 1) % PORTS;
            if !self.by_node.contains_key(&(node, protocol, port)) {
                return Some(port);
            }
        }
        None
    }

    /// The consumer's (address, port) behind `node_ip`:`port` (for receivers and
    /// drop attribution), with the endpoint address and listener port.
    pub(super) fn consumer_of(
        &self,
        net: &Network,
        node_ip: Ipv4Addr,
        protocol: u8,
        port: u16,
    ) -> Option<(Ipv4Addr, u16, Ipv4Addr, u16)> {
        let c = self.by_node_ip.get(&(node_ip, protocol, port))?;
        let ep = net.enis.get(c.endpoint.ix())?.private_ip;
        Some((c.consumer, c.consumer_port, ep, c.listener_port))
    }
}

/// A frame that arrived at PrivateLink ENI `arrival` as `key` (before both
/// translations) and leaves `departure`.
fn crossing(arrival: EniIdx, departure: EniIdx, key: &FlowKey) -> ApplianceCrossing {
    let v4 = |a: IpAddr| match a {
        IpAddr::V4(a) => a,
        IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    };
    ApplianceCrossing {
        arrival: Some(arrival),
        departure,
        before: Some((true, v4(key.src), key.src_port)),
        privatelink: Some((v4(key.dst), key.dst_port)),
    }
}

/// Add the consumer leg's latency to what the provider leg appended.
fn add_latency(out: &mut [Action], extra: u64) {
    for a in out {
        match a {
            Action::Deliver { latency_ns, .. } | Action::IcmpError { latency_ns, .. } => {
                *latency_ns = latency_ns.saturating_add(extra)
            }
            Action::Drop { .. } => {}
        }
    }
}

impl Dataplane {
    /// The PrivateLink role of `eni` (hot path: one compare for other ENIs).
    #[inline]
    pub(super) fn privatelink_role(&self, eni: EniIdx) -> Option<PrivateLinkRole> {
        self.privatelink.role(eni)
    }

    /// The consumer behind an NLB node's address and port (see
    /// [`PrivateLinkPlane::consumer_of`]).
    pub fn privatelink_consumer(
        &self,
        node_ip: Ipv4Addr,
        protocol: u8,
        port: u16,
    ) -> Option<(Ipv4Addr, u16, Ipv4Addr, u16)> {
        if self.privatelink.by_node.is_empty() {
            return None;
        }
        self.privatelink
            .consumer_of(&self.net, node_ip, protocol, port)
    }

    /// A frame passed the security groups of PrivateLink ENI `eni` (it was
    /// addressed to it): carry it through the endpoint service.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn at_privatelink<T: Tracer>(
        &mut self,
        now: u64,
        leg: Leg,
        eni: EniIdx,
        role: PrivateLinkRole,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        if key.ip_len > PRIVATELINK_MTU {
            let d = DropDetail::PrivatelinkMtu {
                eni,
                packet: key.ip_len,
            };
            return sink.drop(d, Some(eni), frame);
        }
        match role {
            PrivateLinkRole::Endpoint(ife) => {
                self.through_service(now, leg, eni, ife, key, frame, sink)
            }
            PrivateLinkRole::LbNode(_) => self.back_to_consumer(now, leg, eni, key, frame, sink),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn through_service<T: Tracer>(
        &mut self,
        now: u64,
        leg: Leg,
        endpoint: EniIdx,
        ife: IfeIdx,
        key: FlowKey,
        mut frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let ported = matches!(key.protocol, proto::TCP | proto::UDP)
            && key.fragment != FragmentKind::NonFirst;
        let (IpAddr::V4(consumer), true) = (key.src, ported) else {
            let port = if ported { key.dst_port } else { 0 };
            return sink.drop(
                DropDetail::NlbNoListener {
                    eni: endpoint,
                    port,
                },
                Some(endpoint),
                frame,
            );
        };
        let Some((lb, node)) = self.net.node_for_endpoint(ife, endpoint) else {
            let d = DropDetail::NlbNoHealthyTarget {
                node: endpoint,
                port: key.dst_port,
            };
            return sink.drop(d, Some(endpoint), frame);
        };
        let side = ConsumerSide {
            endpoint,
            protocol: key.protocol,
            consumer,
            consumer_port: key.src_port,
            listener_port: key.dst_port,
        };
        let provider = match self.privatelink.by_consumer.get(&side) {
            Some(&p) => p,
            None => {
                let hash = flow_hash(key.protocol, key.src, key.src_port, key.dst, key.dst_port);
                let target = match self
                    .net
                    .pick_target(lb, node, key.protocol, key.dst_port, hash)
                {
                    Ok(t) => t,
                    Err(TargetMiss::NoListener) => {
                        let d = DropDetail::NlbNoListener {
                            eni: endpoint,
                            port: key.dst_port,
                        };
                        return sink.drop(d, Some(endpoint), frame);
                    }
                    Err(TargetMiss::NoHealthyTarget) => {
                        let d = DropDetail::NlbNoHealthyTarget {
                            node,
                            port: key.dst_port,
                        };
                        return sink.drop(d, Some(endpoint), frame);
                    }
                };
                let Some(node_port) = self.privatelink.allocate(node, key.protocol) else {
                    return sink.drop(
                        DropDetail::ConntrackFull { eni: node },
                        Some(endpoint),
                        frame,
                    );
                };
                let p = ProviderSide {
                    node,
                    node_port,
                    target,
                };
                self.privatelink.by_consumer.insert(side, p);
                self.privatelink
                    .by_node
                    .insert((node, key.protocol, node_port), side);
                if let Some(n) = self.net.enis.get(node.ix()) {
                    self.privatelink
                        .by_node_ip
                        .insert((n.private_ip, key.protocol, node_port), side);
                }
                p
            }
        };
        let (Some(n), Some(t)) = (
            self.net.enis.get(provider.node.ix()),
            self.net.enis.get(provider.target.ix()),
        ) else {
            return sink.drop_unknown(key.dst, Some(endpoint), frame);
        };
        let (node_ip, target_ip) = (n.private_ip, t.private_ip);
        sink.tr.hop(Hop::PrivateLink {
            endpoint,
            node: provider.node,
            target: Some(provider.target),
        });
        sink.tr.hop(Hop::Translate {
            from: key.src,
            from_port: key.src_port,
            to: IpAddr::V4(node_ip),
            to_port: provider.node_port,
        });
        sink.tr.hop(Hop::Translate {
            from: key.dst,
            from_port: key.dst_port,
            to: IpAddr::V4(target_ip),
            to_port: key.dst_port,
        });
        let dst = Some((target_ip, Some(key.dst_port)));
        if let Err(m) =
            wire::rewrite_ipv4(&mut frame, Some((node_ip, Some(provider.node_port))), dst)
        {
            return sink.drop(DropDetail::Malformed(m.0), Some(endpoint), frame);
        }
        let crossing = crossing(endpoint, provider.node, &key);
        self.reinject(now, leg.latency_ns, crossing, frame, sink);
    }

    fn back_to_consumer<T: Tracer>(
        &mut self,
        now: u64,
        leg: Leg,
        node: EniIdx,
        key: FlowKey,
        mut frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let found = match key.fragment {
            FragmentKind::NonFirst => None,
            _ => self
                .privatelink
                .by_node
                .get(&(node, key.protocol, key.dst_port))
                .copied(),
        };
        let Some(side) = found else {
            let d = DropDetail::PrivatelinkProviderInitiated { node };
            return sink.drop(d, Some(node), frame);
        };
        let Some(ep) = self.net.enis.get(side.endpoint.ix()) else {
            return sink.drop_unknown(key.dst, Some(node), frame);
        };
        let endpoint_ip = ep.private_ip;
        sink.tr.hop(Hop::PrivateLink {
            endpoint: side.endpoint,
            node,
            target: None,
        });
        sink.tr.hop(Hop::Translate {
            from: key.dst,
            from_port: key.dst_port,
            to: IpAddr::V4(side.consumer),
            to_port: side.consumer_port,
        });
        let src = Some((endpoint_ip, Some(side.listener_port)));
        let dst = Some((side.consumer, Some(side.consumer_port)));
        if let Err(m) = wire::rewrite_ipv4(&mut frame, src, dst) {
            return sink.drop(DropDetail::Malformed(m.0), Some(node), frame);
        }
        let crossing = crossing(node, side.endpoint, &key);
        self.reinject(now, leg.latency_ns, crossing, frame, sink);
    }

    /// Send a translated frame on as if `from` (an NLB node or endpoint ENI)
    /// had sent it: its own security groups, NACL and routes apply. TCP SYNs
    /// have their MSS clamped to PrivateLink's MTU.
    /// Delivered frames record `crossing`, so the simulation shows them on
    /// both PrivateLink ENIs (captures and flow logs: AWS logs the traffic of
    /// endpoint and load balancer interfaces).
    fn reinject<T: Tracer>(
        &mut self,
        now: u64,
        latency_ns: u64,
        crossing: ApplianceCrossing,
        mut frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let from = crossing.departure;
        let _ = wire::clamp_mss(&mut frame, PRIVATELINK_MTU - 40);
        let key = match wire::parse_frame(&frame) {
            Ok(k) => k,
            Err(m) => return sink.drop(DropDetail::Malformed(m.0), Some(from), frame),
        };
        let start = sink.out.len();
        self.ingress_eni(now, from, key, frame, sink);
        if let Some(new) = sink.out.get_mut(start..) {
            add_latency(new, latency_ns);
        }
        for i in start..sink.out.len() {
            if matches!(sink.out[i], Action::Deliver { .. }) {
                self.note_crossing(i, crossing);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_found_by_one_compare_then_a_table() {
        let mut net = Network::default();
        net.interface_endpoints.push(InterfaceEndpoint {
            id: "vpce-1".into(),
            vpc: VpcIdx(0),
            service: EpsIdx(0),
            enis: vec![EniIdx(5)],
        });
        net.load_balancers.push(LoadBalancer {
            id: "nlb-1".into(),
            vpc: VpcIdx(1),
            nodes: vec![EniIdx(7)],
            listeners: vec![],
            cross_zone: false,
        });
        let p = PrivateLinkPlane::compile(&net);
        assert_eq!(p.role(EniIdx(4)), None);
        assert_eq!(
            p.role(EniIdx(5)),
            Some(PrivateLinkRole::Endpoint(IfeIdx(0)))
        );
        assert_eq!(p.role(EniIdx(6)), None);
        assert_eq!(p.role(EniIdx(7)), Some(PrivateLinkRole::LbNode(LbIdx(0))));
        assert_eq!(p.role(EniIdx(8)), None);
        assert_eq!(
            PrivateLinkPlane::compile(&Network::default()).role(EniIdx(0)),
            None
        );
    }

    #[test]
    fn node_ports_are_distinct_and_skip_ports_in_use() {
        let mut p = PrivateLinkPlane::default();
        let a = p.allocate(EniIdx(1), proto::TCP);
        assert_eq!(a, Some(1024));
        let side = ConsumerSide {
            endpoint: EniIdx(0),
            protocol: proto::TCP,
            consumer: Ipv4Addr::new(10, 0, 0, 1),
            consumer_port: 40000,
            listener_port: 80,
        };
        p.by_node.insert((EniIdx(1), proto::TCP, 1025), side);
        assert_eq!(p.allocate(EniIdx(1), proto::TCP), Some(1026));
        // Another node counts on its own.
        assert_eq!(p.allocate(EniIdx(2), proto::TCP), Some(1024));
    }
}
