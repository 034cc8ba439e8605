//! From a [`Network`] to hosts and flow plans: which endpoints take part, their
//! addresses, seeds, ephemeral ports and echo identifiers.

use super::Attachment;
use crate::dataplane::{EXTERNAL_MAC, ROUTER_MAC};
use crate::host::{FlowPlan, HostConfig};
use crate::model::{
    flow_hash, proto, Endpoint, EniIdx, ExternalSite, Flow, FlowIdx, FlowKind, Listener, Network,
    PrivateLinkRole, TcpBuffers, SINGLE_FLOW_BPS, SINGLE_FLOW_CLUSTER_BPS,
};
use crate::rng::SplitMix64;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

/// Linux's default `ip_local_port_range`.
const EPHEMERAL_PORTS: (u16, u16) = (32768, 60999);

/// A flow the simulation cannot run as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError(pub String);

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

/// Hosts (in attachment order) and one plan per flow.
pub struct Setup {
    pub hosts: Vec<HostConfig>,
    pub host_of: BTreeMap<Attachment, usize>,
    pub plans: Vec<FlowPlan>,
}

/// How many flows of each kind a host sends: what
/// [`Host::reserve_clients`](crate::host::Host::reserve_clients) makes room for
/// before they are added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientCounts {
    pub ping: usize,
    pub udp: usize,
    /// UDP flows with a per-flow rate cap (each has a pacer).
    pub paced_udp: usize,
    pub tcp: usize,
}

/// [`ClientCounts`] of each of `hosts` hosts, from the plans that will start
/// (those of flows whose DNS lookup failed never do).
pub fn clients_per_host(net: &Network, plans: &[FlowPlan], hosts: usize) -> Vec<ClientCounts> {
    let mut counts = vec![ClientCounts::default(); hosts];
    for p in plans {
        if net.flows.get(p.flow.ix()).is_some_and(|f| f.unresolved()) {
            continue;
        }
        let Some(c) = counts.get_mut(p.src_host) else {
            continue;
        };
        match p.kind {
            FlowKind::Ping => c.ping += 1,
            FlowKind::Udp => {
                c.udp += 1;
                if p.flow_cap_bps > 0 {
                    c.paced_udp += 1;
                }
            }
            FlowKind::Tcp => c.tcp += 1,
        }
    }
    counts
}

fn attachment(e: Endpoint) -> Attachment {
    match e {
        Endpoint::Eni(i) => Attachment::Eni(i),
        Endpoint::External(h) => Attachment::External(h),
    }
}

/// A human name for an endpoint (instance name or external host name).
pub fn endpoint_name(net: &Network, e: Endpoint) -> String {
    match e {
        // Requester-managed ENIs (interface endpoints, NLB nodes) by their id.
        Endpoint::Eni(i) => match net.enis.get(i.ix()) {
            Some(eni) => net
                .instances
                .get(eni.instance.ix())
                .map_or_else(|| eni.id.clone(), |inst| inst.name.clone()),
            None => format!("eni#{}", i.0),
        },
        Endpoint::External(h) => net
            .external_hosts
            .get(h.ix())
            .map(|x| x.name.clone())
            .unwrap_or_else(|| format!("host#{}", h.0)),
    }
}

/// AWS's single-flow (5-tuple) bandwidth limit for a flow between `a` and `b`:
/// 10 Gbit/s when both are instances in the same cluster placement group, else 5
/// ("Amazon EC2 instance network bandwidth"; ENA Express is not modelled).
fn single_flow_cap(net: &Network, a: Endpoint, b: Endpoint) -> u64 {
    let group = |e: Endpoint| match e {
        Endpoint::Eni(i) => net
            .enis
            .get(i.ix())
            .and_then(|eni| net.instances.get(eni.instance.ix()))
            .and_then(|inst| inst.placement_group.as_deref()),
        _ => None,
    };
    match (group(a), group(b)) {
        (Some(x), Some(y)) if x == y => SINGLE_FLOW_CLUSTER_BPS,
        _ => SINGLE_FLOW_BPS,
    }
}

fn host_config(net: &Network, a: Attachment, seed: u64) -> Result<HostConfig, SetupError> {
    match a {
        Attachment::Eni(i) => {
            let eni = net
                .enis
                .get(i.ix())
                .ok_or_else(|| SetupError(format!("flow refers to unknown ENI #{}", i.0)))?;
            let subnet = net.subnets.get(eni.subnet.ix());
            Ok(HostConfig {
                attachment: a,
                name: endpoint_name(net, Endpoint::Eni(i)),
                mac: eni.mac,
                gateway_mac: ROUTER_MAC,
                ipv4: Some((eni.private_ip, subnet.map_or(32, |s| s.cidr.prefix_len()))),
                ipv6: eni.ipv6.map(|v6| {
                    (
                        v6,
                        subnet.and_then(|s| s.ipv6).map_or(128, |c| c.prefix_len()),
                    )
                }),
                mtu: eni.mtu,
                seed: SplitMix64::derive(seed, 1, i.0 as u64),
                tcp: net
                    .instances
                    .get(eni.instance.ix())
                    .map_or(TcpBuffers::LINUX, |inst| inst.tcp),
                bandwidth_bps: net
                    .instances
                    .get(eni.instance.ix())
                    .map_or(0, |inst| inst.bandwidth_bps),
            })
        }
        Attachment::External(h) => {
            let x = net.external_hosts.get(h.ix()).ok_or_else(|| {
                SetupError(format!("flow refers to unknown external host #{}", h.0))
            })?;
            Ok(HostConfig {
                attachment: a,
                name: x.name.clone(),
                mac: EXTERNAL_MAC,
                gateway_mac: ROUTER_MAC,
                ipv4: match x.ip {
                    IpAddr::V4(v4) => Some((v4, 32)),
                    IpAddr::V6(_) => None,
                },
                ipv6: match x.ip {
                    IpAddr::V6(v6) => Some((v6, 128)),
                    IpAddr::V4(_) => None,
                },
                mtu: x.mtu,
                seed: SplitMix64::derive(seed, 2, h.0 as u64),
                // Servers on the internet or on premises: Linux's defaults.
                tcp: TcpBuffers::LINUX,
                // Behind a Direct Connect connection: its port speed, each way
                // (the connection is the host's only way in and out; the run
                // shares one port among the hosts behind it, `DxPorts`); else
                // the simulation's default link.
                bandwidth_bps: match x.site {
                    ExternalSite::DirectConnect(d) => net
                        .direct_connects
                        .get(d.ix())
                        .map_or(0, |c| c.bandwidth_bps),
                    ExternalSite::Internet | ExternalSite::OnPrem(_) => 0,
                },
            })
        }
    }
}

/// The address `from` uses to reach `to`, and `from`'s own source address.
fn addresses(
    net: &Network,
    src: Endpoint,
    dst: Endpoint,
    v6: bool,
    flow: &str,
) -> Result<(IpAddr, IpAddr), SetupError> {
    let own = |e: Endpoint| net.endpoint_address(e, v6);
    let family = if v6 { "IPv6" } else { "IPv4" };
    let src_ip = own(src).ok_or_else(|| {
        SetupError(format!(
            "flow {flow}: {} has no {family} address",
            endpoint_name(net, src)
        ))
    })?;
    // From the internet an instance is reached at its public IPv4 address.
    let from_internet = matches!(src, Endpoint::External(h)
        if net.external_hosts.get(h.ix()).is_some_and(|x| x.site == ExternalSite::Internet));
    let dst_ip = match dst {
        Endpoint::Eni(i) if from_internet && !v6 => net
            .enis
            .get(i.ix())
            .and_then(|e| e.public_ip)
            .map(IpAddr::V4)
            .ok_or_else(|| {
                SetupError(format!(
                    "flow {flow}: {} has no public IP to be reached from the internet",
                    endpoint_name(net, dst)
                ))
            })?,
        _ => own(dst).ok_or_else(|| {
            SetupError(format!(
                "flow {flow}: {} has no {family} address",
                endpoint_name(net, dst)
            ))
        })?,
    };
    Ok((src_ip, dst_ip))
}

/// The targets a flow to an interface endpoint may reach: its listener's (empty
/// for other flows).
fn service_targets<'n>(net: &'n Network, f: &Flow) -> impl Iterator<Item = EniIdx> + 'n {
    let listener = endpoint_listener(net, f);
    listener
        .into_iter()
        .flat_map(|l| l.targets.iter().map(|t| t.eni))
}

fn endpoint_listener<'n>(net: &'n Network, f: &Flow) -> Option<&'n Listener> {
    let Endpoint::Eni(e) = f.dst else { return None };
    let Some(PrivateLinkRole::Endpoint(ife)) = net.privatelink_role(e) else {
        return None;
    };
    let (lb, _) = net.node_for_endpoint(ife, e)?;
    let protocol = match f.kind {
        FlowKind::Tcp => proto::TCP,
        FlowKind::Udp => proto::UDP,
        _ => return None,
    };
    net.load_balancers
        .get(lb.ix())?
        .listeners
        .iter()
        .find(|l| l.protocol == protocol && l.port == f.port)
}

/// The target the NLB will pick for this flow (the data plane's own choice,
/// from the same five-tuple hash), if the flow goes to an interface endpoint.
fn service_target(
    net: &Network,
    f: &Flow,
    src_ip: IpAddr,
    local_port: u16,
    dst_ip: IpAddr,
) -> Option<EniIdx> {
    let Endpoint::Eni(e) = f.dst else { return None };
    let Some(PrivateLinkRole::Endpoint(ife)) = net.privatelink_role(e) else {
        return None;
    };
    let (lb, node) = net.node_for_endpoint(ife, e)?;
    let l = endpoint_listener(net, f)?;
    let hash = flow_hash(l.protocol, src_ip, local_port, dst_ip, f.port);
    net.pick_target(lb, node, l.protocol, f.port, hash).ok()
}

/// Decide hosts and plans. Ports and identifiers come from `seed`, drawn in flow
/// order, unique per source host.
pub fn build(net: &Network, seed: u64) -> Result<Setup, SetupError> {
    let mut host_of = BTreeMap::new();
    for f in &net.flows {
        host_of.insert(attachment(f.src), 0);
        host_of.insert(attachment(f.dst), 0);
        // Through an interface endpoint the flow ends at one of the listener's
        // targets (picked per flow below): each may be a host.
        for t in service_targets(net, f) {
            host_of.insert(Attachment::Eni(t), 0);
        }
    }
    let mut hosts = Vec::with_capacity(host_of.len());
    for (a, slot) in host_of.iter_mut() {
        *slot = hosts.len();
        hosts.push(host_config(net, *a, seed)?);
    }
    let mut rng = SplitMix64::new(SplitMix64::derive(seed, 3, 0));
    // (host, port or identifier) taken: only ever asked whether one is, so
    // hashed (a 100,000-entry ordered map was a tenth of the setup's own work).
    let mut used: std::collections::HashSet<(usize, u16), crate::policy::conntrack::FxBuild> =
        std::collections::HashSet::default();
    used.reserve(net.flows.len());
    // Ports each host listens on, per protocol: as on Linux, an ephemeral port is
    // never one a socket of the same protocol is bound to on that host (else the
    // host's own client socket would take the datagrams sent to its server).
    // Keyed (host, is TCP, port).
    let listening: BTreeSet<(usize, bool, u16)> = net
        .flows
        .iter()
        .filter(|f| f.kind != FlowKind::Ping)
        .flat_map(|f| {
            let tcp = f.kind == FlowKind::Tcp;
            let targets = service_targets(net, f).map(|t| host_of[&Attachment::Eni(t)]);
            std::iter::once(host_of[&attachment(f.dst)])
                .chain(targets)
                .map(move |h| (h, tcp, f.port))
        })
        .collect();
    let mut plans = Vec::with_capacity(net.flows.len());
    for (i, f) in net.flows.iter().enumerate() {
        let src_host = host_of[&attachment(f.src)];
        let dst_host = host_of[&attachment(f.dst)];
        // A flow whose name did not resolve never starts (its "destination" is
        // its own source, a placeholder).
        if src_host == dst_host && !f.unresolved() {
            return Err(SetupError(format!(
                "flow {}: source and destination are the same host",
                f.name
            )));
        }
        let (src_ip, dst_ip) = addresses(net, f.src, f.dst, f.ipv6, &f.name)?;
        // A flow by name goes where the answer points (a public address, say).
        let dst_ip = f.dns.as_ref().and_then(|d| d.address()).unwrap_or(dst_ip);
        let mut attempts = 0u32;
        let local_port = loop {
            attempts += 1;
            if attempts > 1_000_000 {
                return Err(SetupError(format!(
                    "flow {}: {} has no free ephemeral port or echo identifier left",
                    f.name,
                    endpoint_name(net, f.src)
                )));
            }
            let p = match f.kind {
                FlowKind::Ping => (rng.next_u64() as u16).max(1),
                _ => {
                    let span = (EPHEMERAL_PORTS.1 - EPHEMERAL_PORTS.0 + 1) as u64;
                    EPHEMERAL_PORTS.0 + (rng.next_u64() % span) as u16
                }
            };
            if f.kind != FlowKind::Ping
                && listening.contains(&(src_host, f.kind == FlowKind::Tcp, p))
            {
                continue;
            }
            if used.insert((src_host, p)) {
                break p;
            }
        };
        let dst_host = match service_target(net, f, src_ip, local_port, dst_ip) {
            Some(t) => host_of[&Attachment::Eni(t)],
            None => dst_host,
        };
        let interval_ns = if f.rate_pps > 0.0 && f.rate_pps.is_finite() {
            (1e9 / f.rate_pps).round().max(1.0) as u64
        } else {
            1_000_000_000
        };
        plans.push(FlowPlan {
            flow: FlowIdx(i as u32),
            kind: f.kind,
            src_host,
            dst_host,
            src_ip,
            dst_ip,
            port: f.port,
            local_port,
            size: f.size,
            count: f.count,
            bytes: f.bytes,
            interval_ns,
            start_ns: f.start_ns,
            df: f.df,
            request_response: f.request_response,
            flow_cap_bps: single_flow_cap(net, f.src, f.dst),
        });
    }
    Ok(Setup {
        hosts,
        host_of,
        plans,
    })
}
