//! `[[load_balancer]]`, `[[endpoint_service]]` and `[[vpc_endpoint]]` (PrivateLink):
//! the NLB's nodes and the endpoints' network interfaces become ENIs (no
//! instance) in their subnets, so addresses, routes and security groups treat
//! them like any interface; see `model::privatelink`.

use super::gateways::check_ip_in_subnet;
use super::{obj, Compiler, Kind};
use crate::model::*;
use crate::topology::format::{
    EndpointServiceSpec, LoadBalancerSpec, SubnetIpSpec, VpcEndpointSpec, S,
};
use std::collections::HashMap;

pub fn compile(
    c: &mut Compiler<'_>,
    lbs: &[LoadBalancerSpec],
    services: &[EndpointServiceSpec],
    endpoints: &[VpcEndpointSpec],
) {
    load_balancers(c, lbs);
    endpoint_services(c, services);
    vpc_endpoints(c, endpoints);
}

/// Resolve the security groups of a requester-managed interface in `vpc`.
fn groups(c: &mut Compiler<'_>, o: &str, vpc: VpcIdx, refs: &[S<String>]) -> Option<Vec<SgIdx>> {
    let mut out = Vec::new();
    for r in refs {
        let sg = SgIdx(c.resolve(Kind::Sg, r, o)?);
        if c.net.security_groups.get(sg.ix()).map(|g| g.vpc) != Some(vpc) {
            let msg = format!(
                "security group {} is not in {}",
                r.get_ref(),
                c.net.vpcs[vpc.ix()].id
            );
            c.err("sg-other-vpc", r.span(), o, msg);
            return None;
        }
        out.push(sg);
    }
    Some(out)
}

/// A subnet, the private IP taken in it, and where the IP was written.
type Placement = (SubnetIdx, std::net::Ipv4Addr, std::ops::Range<usize>);

/// The subnets and private IPs of an NLB's nodes or an endpoint's interfaces:
/// one subnet per AZ, all in one VPC. `None` after reporting a mistake.
fn placements(
    c: &mut Compiler<'_>,
    o: &str,
    subnets: &[S<SubnetIpSpec>],
    at: std::ops::Range<usize>,
) -> Option<(VpcIdx, Vec<Placement>)> {
    if subnets.is_empty() {
        c.err(
            "privatelink-subnets",
            at,
            o,
            "give at least one subnet: `subnets = [{ subnet = \"…\", ip = \"…\" }]`",
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    let mut per_az: HashMap<AzIdx, String> = HashMap::new();
    let mut vpc = None;
    for m in subnets {
        let m = m.get_ref();
        let subnet = c.resolve(Kind::Subnet, &m.subnet, o).map(SubnetIdx);
        let ip = c.values(o).v4(&m.ip);
        let (Some(subnet), Some(ip)) = (subnet, ip) else {
            ok = false;
            continue;
        };
        let (sv, az, sid) = {
            let s = &c.net.subnets[subnet.ix()];
            (s.vpc, s.az, s.id.clone())
        };
        match vpc {
            None => vpc = Some(sv),
            Some(v) if v != sv => {
                let msg = format!(
                    "subnet {sid} is in {}, the others in {}; all subnets must be in one VPC",
                    c.net.vpcs[sv.ix()].id,
                    c.net.vpcs[v.ix()].id
                );
                c.err("privatelink-subnets", m.subnet.span(), o, msg);
                ok = false;
                continue;
            }
            _ => {}
        }
        if let Some(other) = per_az.insert(az, sid.clone()) {
            let msg = format!(
                "subnets {other} and {sid} are both in {}; AWS takes one subnet per Availability Zone",
                c.net.azs[az.ix()].name
            );
            c.err("privatelink-subnet-per-az", m.subnet.span(), o, msg);
            ok = false;
            continue;
        }
        if !check_ip_in_subnet(c, o, subnet, ip, m.ip.span()) {
            ok = false;
            continue;
        }
        out.push((subnet, ip, m.ip.span()));
    }
    Some((vpc?, out)).filter(|_| ok)
}

/// Push a requester-managed ENI and register its id.
fn push_eni(
    c: &mut Compiler<'_>,
    id: String,
    (subnet, ip, span): Placement,
    security_groups: Vec<SgIdx>,
) -> EniIdx {
    let ix = c.net.enis.len();
    let vpc = c.net.subnets[subnet.ix()].vpc;
    c.register(Kind::Eni, &id, ix);
    c.spans.eni_ip.push(span);
    c.spans.eni_public_ip.push(None);
    c.net.enis.push(Eni {
        id,
        instance: NO_INSTANCE,
        subnet,
        vpc,
        private_ip: ip,
        ipv6: None,
        public_ip: None,
        mtu: crate::dataplane::VPC_MTU,
        security_groups,
        source_dest_check: true,
        mac: Eni::mac_for_index(ix),
    });
    EniIdx(ix as u32)
}

/// A target reference: an instance (its first ENI) or an ENI.
fn target(c: &mut Compiler<'_>, r: &S<String>, o: &str) -> Option<EniIdx> {
    let (kind, ix) = c.resolve_any(
        &[Kind::Instance, Kind::Eni],
        r,
        o,
        "target (instance or ENI)",
    )?;
    match kind {
        Kind::Instance => c.net.instances.get(ix as usize)?.enis.first().copied(),
        _ => Some(EniIdx(ix)),
    }
}

fn load_balancers(c: &mut Compiler<'_>, specs: &[LoadBalancerSpec]) {
    for lb in specs {
        let id = lb.id.get_ref().clone();
        let o = obj(Kind::LoadBalancer, &id);
        if lb.kind.get_ref() != "network" {
            let msg = format!(
                "kind `{}` is not modelled; only `network` (a Network Load Balancer, as PrivateLink needs)",
                lb.kind.get_ref()
            );
            c.err("lb-kind", lb.kind.span(), &o, msg);
            continue;
        }
        let Some((vpc, nodes)) = placements(c, &o, &lb.subnets, lb.id.span()) else {
            continue;
        };
        let Some(sgs) = groups(c, &o, vpc, &lb.security_groups) else {
            continue;
        };
        let mut ok = true;
        let mut unhealthy = Vec::new();
        for r in &lb.unhealthy_targets {
            match target(c, r, &o) {
                Some(e) => unhealthy.push(e),
                None => ok = false,
            }
        }
        let mut listeners = Vec::new();
        for l in &lb.listeners {
            let at = l.span();
            let l = l.get_ref();
            let protocol = match l.protocol.get_ref().to_ascii_lowercase().as_str() {
                "tcp" => proto::TCP,
                "udp" => proto::UDP,
                other => {
                    let msg = format!(
                        "listener protocol `{}` is not modelled; use `tcp` or `udp`",
                        other
                    );
                    c.err("listener-protocol", l.protocol.span(), &o, msg);
                    ok = false;
                    continue;
                }
            };
            let port = *l.port.get_ref();
            if !(1..=65535).contains(&port) {
                let msg = format!("listener port {port} is not in 1-65535");
                c.err("port-out-of-range", l.port.span(), &o, msg);
                ok = false;
                continue;
            }
            if listeners
                .iter()
                .any(|x: &Listener| x.protocol == protocol && x.port == port as u16)
            {
                // AWS: CreateListener fails with DuplicateListener.
                let msg = format!(
                    "two listeners on {} {port}; a load balancer has one listener per protocol and port (AWS: DuplicateListener)",
                    l.protocol.get_ref().to_ascii_lowercase()
                );
                c.err("listener-duplicate", l.port.span(), &o, msg);
                ok = false;
                continue;
            }
            if l.targets.is_empty() {
                let msg = format!(
                    "the listener on {} {port} has no targets: give `targets = [\"i-…\"]` (an NLB with no registered target drops every connection)",
                    l.protocol.get_ref().to_ascii_lowercase()
                );
                c.err("listener-no-targets", at, &o, msg);
                ok = false;
                continue;
            }
            let mut targets = Vec::new();
            for r in &l.targets {
                let Some(e) = target(c, r, &o) else {
                    ok = false;
                    continue;
                };
                if c.net.enis[e.ix()].vpc != vpc {
                    let msg = format!(
                        "target {} is not in {}, the load balancer's VPC",
                        r.get_ref(),
                        c.net.vpcs[vpc.ix()].id
                    );
                    c.err("lb-target-other-vpc", r.span(), &o, msg);
                    ok = false;
                    continue;
                }
                targets.push(LbTarget {
                    eni: e,
                    healthy: !unhealthy.contains(&e),
                });
            }
            listeners.push(Listener {
                protocol,
                port: port as u16,
                targets,
            });
        }
        if !ok {
            continue;
        }
        let mut node_enis = Vec::new();
        for (k, p) in nodes.into_iter().enumerate() {
            node_enis.push(push_eni(c, format!("eni-{id}-{}", k + 1), p, sgs.clone()));
        }
        let ix = c.net.load_balancers.len();
        c.register(Kind::LoadBalancer, &id, ix);
        // A flow may name the load balancer: its first node (provider-side tests).
        if let Some(&first) = node_enis.first() {
            c.register(Kind::Eni, &id, first.ix());
        }
        c.net.load_balancers.push(LoadBalancer {
            id,
            vpc,
            nodes: node_enis,
            listeners,
            cross_zone: lb.cross_zone,
        });
    }
}

fn endpoint_services(c: &mut Compiler<'_>, specs: &[EndpointServiceSpec]) {
    for s in specs {
        let id = s.id.get_ref().clone();
        let o = obj(Kind::EndpointService, &id);
        let Some(lb) = c.resolve(Kind::LoadBalancer, &s.load_balancer, &o) else {
            continue;
        };
        let ix = c.net.endpoint_services.len();
        c.register(Kind::EndpointService, &id, ix);
        c.net.endpoint_services.push(EndpointService {
            id,
            lb: LbIdx(lb),
            acceptance_required: s.acceptance_required,
        });
    }
}

fn vpc_endpoints(c: &mut Compiler<'_>, specs: &[VpcEndpointSpec]) {
    for e in specs {
        let id = e.id.get_ref().clone();
        let o = obj(Kind::InterfaceEndpoint, &id);
        if e.kind.get_ref() != "interface" {
            let msg = format!(
                "type `{}` does not belong here: `[[vpc_endpoint]]` is an interface endpoint (`type = \"interface\"`); gateway endpoints are `[[gateway_endpoint]]`",
                e.kind.get_ref()
            );
            c.err("endpoint-type", e.kind.span(), &o, msg);
            continue;
        }
        let svc = c.resolve(Kind::EndpointService, &e.service, &o).map(EpsIdx);
        let placed = placements(c, &o, &e.subnets, e.id.span());
        let (Some(svc), Some((vpc, places))) = (svc, placed) else {
            continue;
        };
        let lb = &c.net.load_balancers[c.net.endpoint_services[svc.ix()].lb.ix()];
        let (lb_id, lb_vpc) = (lb.id.clone(), lb.vpc);
        let served: Vec<AzIdx> = lb
            .nodes
            .iter()
            .map(|n| c.net.subnets[c.net.enis[n.ix()].subnet.ix()].az)
            .collect();
        let (er, pr) = (c.net.vpcs[vpc.ix()].region, c.net.vpcs[lb_vpc.ix()].region);
        if er != pr {
            let msg = format!(
                "endpoint service {} is in {}, this endpoint's VPC in {}; an interface endpoint reaches a service of its own Region (reach others over a peering or a transit gateway)",
                e.service.get_ref(),
                c.net.regions[pr.ix()].name,
                c.net.regions[er.ix()].name
            );
            c.err("endpoint-service-region", e.service.span(), &o, msg);
            continue;
        }
        let mut ok = true;
        for (k, p) in places.iter().enumerate() {
            let az = c.net.subnets[p.0.ix()].az;
            if !served.contains(&az) {
                let msg = format!(
                    "subnet {} is in {}, where the service's load balancer {lb_id} has no node; an endpoint can use only the service's Availability Zones",
                    e.subnets[k].get_ref().subnet.get_ref(),
                    c.net.azs[az.ix()].name
                );
                c.err(
                    "endpoint-az-not-served",
                    e.subnets[k].get_ref().subnet.span(),
                    &o,
                    msg,
                );
                ok = false;
            }
        }
        let sgs = if e.security_groups.is_empty() {
            Some(vec![c.net.vpcs[vpc.ix()].default_sg])
        } else {
            groups(c, &o, vpc, &e.security_groups)
        };
        let Some(sgs) = sgs.filter(|_| ok) else {
            continue;
        };
        let mut enis = Vec::new();
        for (k, p) in places.into_iter().enumerate() {
            enis.push(push_eni(c, format!("eni-{id}-{}", k + 1), p, sgs.clone()));
        }
        let ix = c.net.interface_endpoints.len();
        c.register(Kind::InterfaceEndpoint, &id, ix);
        // A flow may name the endpoint: its first network interface.
        if let Some(&first) = enis.first() {
            c.register(Kind::Eni, &id, first.ix());
        }
        c.net.interface_endpoints.push(InterfaceEndpoint {
            id,
            vpc,
            service: svc,
            enis,
        });
    }
}
