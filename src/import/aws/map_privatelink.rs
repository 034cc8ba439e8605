//! PrivateLink: Network Load Balancers (elbv2 describe-load-balancers,
//! -listeners, -target-groups, -target-health, -load-balancer-attributes),
//! endpoint services (ec2 describe-vpc-endpoint-service-configurations,
//! -permissions) and interface endpoints (describe-vpc-endpoints, their
//! addresses from describe-network-interfaces) → `[[load_balancer]]`,
//! `[[endpoint_service]]` and `[[vpc_endpoint]]`.
//!
//! peeremu models an NLB as the front of an endpoint service, so an NLB is
//! imported when an imported service names it; Application and Gateway Load
//! Balancers, TLS listeners, Lambda/ALB targets and endpoints to AWS services
//! are reported, never dropped silently.

use super::collect::Rec;
use super::error::ImportError;
use super::map::Mapper;
use super::plan::*;
use super::shapes::{self, EndpointType, LoadBalancer, TargetHealthDescription};
use ipnet::IpNet;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

/// What the mapper needs to know about the imported subnets and instances.
struct Places {
    /// Subnet → (VPC, AZ, CIDR).
    subnets: HashMap<String, (String, String, IpNet)>,
    /// Instance id → VPC.
    instances: HashMap<String, String>,
    /// (VPC, private IP) → the target to write: the instance for its primary
    /// ENI (as an `instance` target group registers it), else the ENI.
    eni_by_ip: HashMap<(String, IpAddr), String>,
    /// Every private address taken, per VPC (for addresses the import must
    /// assign; VPCs may overlap).
    used: HashSet<(String, IpAddr)>,
}

fn places(m: &Mapper<'_>) -> Places {
    let mut p = Places {
        subnets: HashMap::new(),
        instances: HashMap::new(),
        eni_by_ip: HashMap::new(),
        used: HashSet::new(),
    };
    for v in &m.plan.vpcs {
        for s in &v.subnets {
            if let Ok(n) = s.cidr.parse::<IpNet>() {
                p.subnets
                    .insert(s.id.clone(), (v.id.clone(), s.az.clone(), n));
            }
        }
        for i in &v.instances {
            p.instances.insert(i.id.clone(), v.id.clone());
            for (k, e) in i.enis.iter().enumerate() {
                if let Ok(a) = e.private_ip.parse::<IpAddr>() {
                    let t = if k == 0 { &i.id } else { &e.id };
                    p.eni_by_ip.insert((v.id.clone(), a), t.clone());
                    p.used.insert((v.id.clone(), a));
                }
            }
        }
        for n in &v.nats {
            if let Ok(a) = n.private_ip.parse::<IpAddr>() {
                p.used.insert((v.id.clone(), a));
            }
        }
    }
    for r in &m.acct.enis {
        if let Ok(a) = r.item.private_ip_address.parse::<IpAddr>() {
            p.used.insert((r.item.vpc_id.clone(), a));
        }
    }
    p
}

/// A free address in `subnet` for an interface the export does not describe:
/// the highest one not reserved by AWS (the last address is) and not taken.
/// Hand-written: no crate assigns addresses the way AWS reserves them.
fn assign(p: &mut Places, vpc: &str, subnet: &IpNet) -> Option<String> {
    let IpNet::V4(n) = subnet else {
        return None;
    };
    let first = u32::from(n.network()).checked_add(4)?;
    let last = u32::from(n.broadcast()).checked_sub(1)?;
    let a = (first..=last)
        .rev()
        .map(|x| IpAddr::V4(x.into()))
        .find(|a| !p.used.contains(&(vpc.to_string(), *a)))?;
    p.used.insert((vpc.to_string(), a));
    Some(a.to_string())
}

/// The target group (by ARN) a per-object output's path names, among the
/// `|`-separated candidate names.
fn by_name<'a>(
    names: &str,
    of: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Option<&'a str> {
    names
        .split('|')
        .find_map(|n| of.clone().find(|(name, _)| *name == n).map(|(_, arn)| arn))
}

/// `loadbalancer/net/name/hash` → `net/name/hash`: how AWS describes the NLB's
/// network interfaces (`ELB net/name/hash`).
fn lb_tail(arn: &str) -> &str {
    arn.split_once(":loadbalancer/").map_or(arn, |(_, t)| t)
}

pub fn privatelink(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    let mut p = places(m);
    let tgs = || {
        acct.target_groups.iter().map(|t| {
            (
                t.item.target_group_name.as_str(),
                t.item.target_group_arn.as_str(),
            )
        })
    };
    let lbs = || {
        acct.load_balancers.iter().map(|l| {
            (
                l.item.load_balancer_name.as_str(),
                l.item.load_balancer_arn.as_str(),
            )
        })
    };
    // describe-target-health, per target group (named by the file's path).
    let mut health: HashMap<&str, Vec<&Rec<TargetHealthDescription>>> = HashMap::new();
    for (names, r) in &acct.target_health {
        let Some(tg) = by_name(names, tgs()) else {
            return Err(m.err(
                &r.src,
                "",
                format!(
                    "`TargetHealthDescriptions` (elbv2 describe-target-health) does not say which target group it is for, and its path names none of the exported ones ({}): name the file or its folder after the target group (<TargetGroupName>.health.json)",
                    names.replace('|', ", ")
                ),
            ));
        };
        health.entry(tg).or_default().push(r);
    }
    // describe-load-balancer-attributes: cross-zone load balancing.
    let mut cross_zone: HashMap<&str, (bool, String)> = HashMap::new();
    for (names, r) in &acct.lb_attributes {
        if let Some(lb) = by_name(names, lbs()) {
            if r.item.key == "load_balancing.cross_zone.enabled" {
                cross_zone.insert(lb, (r.item.value == "true", acct.show(&r.src)));
            }
        } else if by_name(names, tgs()).is_none() {
            return Err(m.err(
                &r.src,
                "",
                format!(
                    "`Attributes` (elbv2 describe-load-balancer-attributes) does not say which load balancer it is for, and its path names none of the exported ones ({}): name the file or its folder after the load balancer (<LoadBalancerName>.attributes.json)",
                    names.replace('|', ", ")
                ),
            ));
        }
    }
    // Endpoint services first: an NLB is imported when a service fronts it.
    let mut fronted: HashMap<&str, usize> = HashMap::new();
    let mut services: Vec<(&Rec<shapes::ServiceConfiguration>, &Rec<LoadBalancer>)> = Vec::new();
    for r in &acct.service_configurations {
        let s = &r.item;
        let id = &s.service_id;
        let gwlb = s
            .service_type
            .iter()
            .any(|t| t.service_type == "GatewayLoadBalancer");
        if gwlb
            || (s.network_load_balancer_arns.is_empty() && !s.gateway_load_balancer_arns.is_empty())
        {
            m.skip(id, "endpoint service of a Gateway Load Balancer: Gateway Load Balancers are not modelled", &r.src);
            continue;
        }
        if let Some(st) = s
            .service_state
            .as_deref()
            .filter(|x| !x.eq_ignore_ascii_case("available"))
        {
            m.skip(
                id,
                format!("endpoint service {st}: carries no traffic"),
                &r.src,
            );
            continue;
        }
        let lb = s.network_load_balancer_arns.iter().find_map(|arn| {
            acct.load_balancers
                .iter()
                .find(|l| &l.item.load_balancer_arn == arn)
        });
        let Some(lb) = lb else {
            m.skip(
                id,
                format!(
                    "endpoint service whose Network Load Balancer {} is not in the export (export elbv2 describe-load-balancers)",
                    s.network_load_balancer_arns.first().map_or("(none)", String::as_str)
                ),
                &r.src,
            );
            continue;
        };
        if lb.item.kind.as_deref().is_some_and(|k| k != "network") {
            m.skip(id, format!("endpoint service fronted by {} load balancer {}: only Network Load Balancers are modelled", lb.item.kind.as_deref().unwrap_or("?"), lb.item.load_balancer_name), &r.src);
            continue;
        }
        if fronted.contains_key(lb.item.load_balancer_arn.as_str()) {
            m.skip(
                id,
                format!(
                    "a second endpoint service on {}: peeremu models one service per load balancer",
                    lb.item.load_balancer_name
                ),
                &r.src,
            );
            continue;
        }
        fronted.insert(&lb.item.load_balancer_arn, services.len());
        services.push((r, lb));
    }
    // Load balancers.
    let mut lb_ok: HashSet<&str> = HashSet::new();
    // NLB name → AZs of its nodes.
    let mut lb_azs: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for r in &acct.load_balancers {
        let lb = &r.item;
        let arn = lb.load_balancer_arn.as_str();
        let kind = lb.kind.as_deref().unwrap_or("network");
        if kind != "network" {
            let what = match kind {
                "application" => "Application Load Balancer",
                "gateway" => "Gateway Load Balancer",
                _ => "load balancer",
            };
            m.skip(arn, format!("{what} ({}): load balancers other than Network Load Balancers are not modelled", lb.load_balancer_name), &r.src);
            continue;
        }
        if !fronted.contains_key(arn) {
            m.skip(arn, format!("Network Load Balancer {} behind no endpoint service of the export: peeremu models an NLB as a PrivateLink service's front (clients reaching it directly are not modelled)", lb.load_balancer_name), &r.src);
            continue;
        }
        if let Some(st) = lb
            .state
            .as_ref()
            .map(|s| s.code.as_str())
            .filter(|c| !matches!(*c, "active" | "active_impaired"))
        {
            m.skip(
                arn,
                format!("load balancer {st}: carries no traffic"),
                &r.src,
            );
            continue;
        }
        let Some(vpc) = lb.vpc_id.as_deref() else {
            return Err(m.err(&r.src, "VpcId", "a Network Load Balancer without its VpcId"));
        };
        m.vpc_of(vpc, &r.src, "VpcId")?;
        let mut notes = m.notes(&r.src, &[]);
        notes.lines.push(arn.to_string());
        if lb.scheme.as_deref() == Some("internet-facing") {
            notes.lines.push("internet-facing: its public addresses are not modelled (PrivateLink reaches its nodes' private addresses)".into());
        }
        let mut subnets = Vec::new();
        for (i, z) in lb.availability_zones.iter().enumerate() {
            let Some((svpc, az, cidr)) = p.subnets.get(&z.subnet_id).cloned() else {
                return Err(m.err(
                    &r.src,
                    &format!("AvailabilityZones[{i}].SubnetId"),
                    format!("references subnet `{}`, which no file defines", z.subnet_id),
                ));
            };
            if svpc != vpc {
                return Err(m.err(
                    &r.src,
                    &format!("AvailabilityZones[{i}].SubnetId"),
                    format!(
                        "subnet `{}` is in {svpc}, the load balancer in {vpc}",
                        z.subnet_id
                    ),
                ));
            }
            let desc = format!("ELB {}", lb_tail(arn));
            let from_eni = acct.enis.iter().find(|e| {
                e.item.subnet_id == z.subnet_id
                    && e.item.description.as_deref() == Some(desc.as_str())
            });
            let ip = if let Some(e) = from_eni {
                m.managed_enis.insert(e.item.network_interface_id.clone());
                Some(e.item.private_ip_address.clone())
            } else if let Some(a) = z
                .load_balancer_addresses
                .iter()
                .find_map(|a| a.private_ipv4_address.clone())
            {
                Some(a)
            } else {
                let a = assign(&mut p, vpc, &cidr);
                if let Some(a) = &a {
                    notes.lines.push(format!("node in {} ({az}): address {a} assigned by the import (its network interface, described \"{desc}\", is not in the export: add describe-network-interfaces for the real one)", z.subnet_id));
                }
                a
            };
            let Some(ip) = ip else {
                m.skip(
                    arn,
                    format!("no free address for its node in {}", z.subnet_id),
                    &r.src,
                );
                continue;
            };
            lb_azs.entry(&lb.load_balancer_name).or_default().insert(az);
            subnets.push((z.subnet_id.clone(), ip));
        }
        if subnets.is_empty() {
            m.skip(arn, "Network Load Balancer without a subnet", &r.src);
            continue;
        }
        let mut listeners = Vec::new();
        for lr in acct
            .listeners
            .iter()
            .filter(|l| l.item.load_balancer_arn == arn)
        {
            listener(m, &p, lr, vpc, &health, &mut listeners);
        }
        let (listeners, unhealthy) = health_per_lb(listeners);
        let cz = match cross_zone.get(arn) {
            Some((on, from)) => {
                notes
                    .lines
                    .push(format!("cross-zone load balancing from {from}"));
                *on
            }
            None => {
                notes.lines.push("cross-zone load balancing: off, an NLB's default (describe-load-balancer-attributes not exported)".into());
                false
            }
        };
        let mut sgs = Vec::new();
        for g in &lb.security_groups {
            if m.sg_vpc.get(g.as_str()) == Some(&vpc) {
                sgs.push(g.clone());
            } else {
                notes.lines.push(format!(
                    "security group {g} left out: not in the export's {vpc}"
                ));
            }
        }
        lb_ok.insert(arn);
        m.plan.load_balancers.push(LoadBalancerPlan {
            id: lb.load_balancer_name.clone(),
            subnets,
            listeners,
            cross_zone: cz,
            security_groups: sgs,
            unhealthy_targets: unhealthy,
            notes,
        });
    }
    // Listeners and target groups that went with no imported load balancer.
    let exported: HashSet<&str> = lbs().map(|(_, arn)| arn).collect();
    for r in &acct.listeners {
        if !exported.contains(r.item.load_balancer_arn.as_str()) {
            m.skip(&r.item.listener_arn, format!("listener of load balancer {}, which is not in the export (export elbv2 describe-load-balancers)", r.item.load_balancer_arn), &r.src);
        }
    }
    let used: HashSet<&str> = acct
        .listeners
        .iter()
        .filter(|l| lb_ok.contains(l.item.load_balancer_arn.as_str()))
        .flat_map(|l| l.item.default_actions.iter())
        .flat_map(|a| {
            a.target_group_arn.iter().map(String::as_str).chain(
                a.forward_config
                    .iter()
                    .flat_map(|f| f.target_groups.iter().map(|t| t.target_group_arn.as_str())),
            )
        })
        .collect();
    for r in &acct.target_groups {
        if !used.contains(r.item.target_group_arn.as_str()) {
            m.skip(&r.item.target_group_arn, format!("target group {} used by no imported listener (its load balancer is not imported, or no listener forwards to it)", r.item.target_group_name), &r.src);
        }
    }
    // The services whose NLB was imported.
    let mut service_names: HashMap<&str, (&str, &str, String)> = HashMap::new();
    for (r, lb) in &services {
        let s = &r.item;
        if !lb_ok.contains(lb.item.load_balancer_arn.as_str()) {
            m.skip(
                &s.service_id,
                format!(
                    "its load balancer {} is not imported (see it above)",
                    lb.item.load_balancer_name
                ),
                &r.src,
            );
            continue;
        }
        let mut notes = m.notes(&r.src, &s.tags);
        notes.lines.push(format!("ServiceName {}", s.service_name));
        if s.network_load_balancer_arns.len() > 1 {
            notes.lines.push(format!("also fronted by {}: peeremu models one load balancer per service, the first is used", s.network_load_balancer_arns[1..].join(", ")));
        }
        if let Some(d) = &s.private_dns_name {
            notes.lines.push(format!(
                "private DNS name {d} not modelled: flows name the endpoint"
            ));
        }
        let principals: Vec<&str> = acct
            .allowed_principals
            .iter()
            .filter(|(from_path, a)| {
                a.item.service_id.as_deref().unwrap_or(from_path) == s.service_id
            })
            .map(|(_, a)| a.item.principal.as_str())
            .collect();
        if !principals.is_empty() {
            notes.lines.push(format!(
                "allowed principals (not modelled: endpoints are modelled as accepted): {}",
                principals.join(", ")
            ));
        }
        let region = lb
            .item
            .vpc_id
            .as_deref()
            .and_then(|v| m.vpc_ix.get(v))
            .map(|i| m.plan.vpcs[*i].region.clone())
            .unwrap_or_default();
        service_names.insert(
            &s.service_name,
            (&s.service_id, &lb.item.load_balancer_name, region),
        );
        m.plan.endpoint_services.push(EndpointServicePlan {
            id: s.service_id.clone(),
            load_balancer: lb.item.load_balancer_name.clone(),
            acceptance_required: s.acceptance_required,
            notes,
        });
    }
    interface_endpoints(m, &mut p, &service_names, &lb_azs)
}

/// One elbv2 listener → zero, one (TCP, UDP) or two (TCP_UDP) listeners, with
/// the registered targets of its target groups.
fn listener(
    m: &mut Mapper<'_>,
    p: &Places,
    lr: &Rec<shapes::Listener>,
    vpc: &str,
    health: &HashMap<&str, Vec<&Rec<TargetHealthDescription>>>,
    out: &mut Vec<(ListenerPlan, Vec<bool>)>,
) {
    let acct = m.acct;
    let l = &lr.item;
    let id = &l.listener_arn;
    let protos: &[&'static str] = match l.protocol.as_deref() {
        Some("TCP") => &["tcp"],
        Some("UDP") => &["udp"],
        Some("TCP_UDP") => &["tcp", "udp"],
        other => {
            m.skip(
                id,
                format!(
                    "{} listener: not modelled (an NLB's TCP, UDP and TCP_UDP listeners are)",
                    other.unwrap_or("(no protocol)")
                ),
                &lr.src,
            );
            return;
        }
    };
    let Some(port) = l.port else {
        m.skip(id, "listener without a port", &lr.src);
        return;
    };
    let mut tg_arns: Vec<&str> = Vec::new();
    for a in &l.default_actions {
        if a.kind != "forward" {
            m.skip(
                id,
                format!("listener action {} not modelled (an NLB forwards)", a.kind),
                &lr.src,
            );
            continue;
        }
        if let Some(t) = &a.target_group_arn {
            tg_arns.push(t);
        }
        if let Some(fc) = &a.forward_config {
            for w in &fc.target_groups {
                if !tg_arns.contains(&w.target_group_arn.as_str()) {
                    tg_arns.push(&w.target_group_arn);
                }
            }
        }
    }
    let mut notes: Vec<String> = Vec::new();
    if tg_arns.len() > 1 {
        notes.push(format!(
            "{} target groups: their targets are merged (weights not modelled)",
            tg_arns.len()
        ));
    }
    let mut targets: Vec<String> = Vec::new();
    let mut healthy: Vec<bool> = Vec::new();
    for arn in &tg_arns {
        let Some(tg) = acct
            .target_groups
            .iter()
            .find(|t| t.item.target_group_arn == *arn)
        else {
            m.skip(
                id,
                format!(
                    "target group {arn} is not in the export (export elbv2 describe-target-groups)"
                ),
                &lr.src,
            );
            continue;
        };
        let kind = tg.item.target_type.as_deref().unwrap_or("instance");
        if !matches!(kind, "instance" | "ip") {
            m.skip(
                &tg.item.target_group_arn,
                format!("{kind} targets are not modelled"),
                &tg.src,
            );
            continue;
        }
        let Some(descs) = health.get(arn) else {
            m.skip(&tg.item.target_group_arn, format!("no describe-target-health output for target group {} (name the file {}.health.json): its targets are unknown", tg.item.target_group_name, tg.item.target_group_name), &tg.src);
            continue;
        };
        for d in descs {
            let t = &d.item.target;
            let state = d
                .item
                .target_health
                .as_ref()
                .map_or("healthy", |h| h.state.as_str());
            let who = if kind == "instance" {
                match p.instances.get(&t.id) {
                    Some(v) if v == vpc => Some(t.id.clone()),
                    Some(v) => {
                        m.skip(
                            &t.id,
                            format!(
                                "target of {} in {v}, not the load balancer's {vpc}: not modelled",
                                tg.item.target_group_name
                            ),
                            &d.src,
                        );
                        None
                    }
                    None => {
                        m.skip(
                            &t.id,
                            format!(
                                "target of {}: not an imported (running) instance",
                                tg.item.target_group_name
                            ),
                            &d.src,
                        );
                        None
                    }
                }
            } else {
                let eni =
                    t.id.parse::<IpAddr>()
                        .ok()
                        .and_then(|a| p.eni_by_ip.get(&(vpc.to_string(), a)));
                if eni.is_none() {
                    m.skip(&t.id, format!("IP target of {}: not an imported instance's address in {vpc} (targets on premises or in a peered VPC are not modelled)", tg.item.target_group_name), &d.src);
                }
                eni.cloned()
            };
            let Some(who) = who else { continue };
            let ok = match state {
                "healthy" => true,
                "unhealthy" | "initial" => {
                    if state == "initial" {
                        notes.push(format!("{who} is in its initial health checks: written unhealthy (no traffic yet)"));
                    }
                    false
                }
                "unavailable" => {
                    notes.push(format!("{who}: health checks disabled, taken as healthy"));
                    true
                }
                other => {
                    m.skip(
                        &who,
                        format!(
                            "target of {} is {other}: receives no new connections, left out",
                            tg.item.target_group_name
                        ),
                        &d.src,
                    );
                    continue;
                }
            };
            let tport = t.port.or(tg.item.port);
            if tport.is_some_and(|tp| tp != port) {
                notes.push(format!("{who} receives on port {} in AWS; peeremu's targets receive on the listener's port", tport.unwrap_or(0)));
            }
            match targets.iter().position(|t| *t == who) {
                // In two target groups of one listener: healthy if either says so.
                Some(k) => healthy[k] |= ok,
                None => {
                    targets.push(who);
                    healthy.push(ok);
                }
            }
        }
    }
    if targets.is_empty() {
        m.skip(id, format!("listener {} {port}: no registered target in the export (an NLB with none drops every connection)", l.protocol.as_deref().unwrap_or("")), &lr.src);
        return;
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    for proto in protos {
        out.push((
            ListenerPlan {
                protocol: proto,
                port,
                targets: targets.clone(),
                note: note.clone(),
            },
            healthy.clone(),
        ));
    }
}

/// peeremu's target health is per load balancer (`unhealthy_targets`), AWS's
/// per target group. A target unhealthy in one listener's group and healthy in
/// another's is left out of the first (an unhealthy target gets no traffic),
/// unless it is that listener's only target; the others are `unhealthy_targets`.
fn health_per_lb(ls: Vec<(ListenerPlan, Vec<bool>)>) -> (Vec<ListenerPlan>, Vec<String>) {
    let healthy_somewhere: HashSet<String> = ls
        .iter()
        .flat_map(|(l, h)| {
            l.targets
                .iter()
                .zip(h)
                .filter(|(_, ok)| **ok)
                .map(|(t, _)| t.clone())
        })
        .collect();
    let mut unhealthy: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (mut l, h) in ls {
        let mut keep = Vec::new();
        let mut dropped = Vec::new();
        for (t, ok) in l.targets.iter().zip(&h) {
            if *ok {
                keep.push(t.clone());
            } else if healthy_somewhere.contains(t) {
                dropped.push(t.clone());
            } else {
                keep.push(t.clone());
                if !unhealthy.contains(t) {
                    unhealthy.push(t.clone());
                }
            }
        }
        if keep.is_empty() {
            // Only targets unhealthy here but healthy elsewhere: none is left
            // out, and the listener sends to them (as if healthy) — said so.
            keep = dropped.clone();
            let n = format!("{} unhealthy in this listener's target group but healthy in another's: peeremu's health is per load balancer, written healthy", dropped.join(", "));
            l.note = Some(l.note.map_or(n.clone(), |x| format!("{x}; {n}")));
        } else if !dropped.is_empty() {
            let n = format!(
                "{} left out: unhealthy in this listener's target group (healthy in another's)",
                dropped.join(", ")
            );
            l.note = Some(l.note.map_or(n.clone(), |x| format!("{x}; {n}")));
        }
        l.targets = keep;
        out.push(l);
    }
    (out, unhealthy)
}

/// Interface endpoints to the imported endpoint services.
fn interface_endpoints(
    m: &mut Mapper<'_>,
    p: &mut Places,
    services: &HashMap<&str, (&str, &str, String)>,
    lb_azs: &HashMap<&str, BTreeSet<String>>,
) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.endpoints {
        let e = &r.item;
        if e.vpc_endpoint_type != EndpointType::Interface {
            continue;
        }
        let id = &e.vpc_endpoint_id;
        let state = e
            .state
            .as_deref()
            .unwrap_or("available")
            .to_ascii_lowercase();
        if state != "available" {
            let why = if state == "pendingacceptance" {
                "pendingAcceptance: not accepted by the service yet, carries no traffic".to_string()
            } else {
                format!("interface endpoint {state}: carries no traffic")
            };
            m.skip(id, why, &r.src);
            continue;
        }
        let Some((svc, lb, svc_region)) = services.get(e.service_name.as_str()) else {
            let why = if e.service_name.starts_with("com.amazonaws.")
                && !e.service_name.contains("vpce-svc-")
            {
                format!("Interface endpoint for the AWS service {}: not modelled (endpoints to the export's own endpoint services are)", e.service_name)
            } else {
                format!("Interface endpoint for {}, an endpoint service not in the export (another account's: export its describe-vpc-endpoint-service-configurations and NLB too)", e.service_name)
            };
            m.skip(id, why, &r.src);
            continue;
        };
        let vi = m.vpc_of(&e.vpc_id, &r.src, "VpcId")?;
        let mut notes = m.notes(&r.src, &e.tags);
        if &m.plan.vpcs[vi].region != svc_region {
            m.skip(id, format!("endpoint in {}, service {svc} in {svc_region}: an interface endpoint reaches a service of its own Region (cross-Region PrivateLink is not modelled)", m.plan.vpcs[vi].region), &r.src);
            continue;
        }
        let azs = lb_azs.get(lb).cloned().unwrap_or_default();
        let mut subnets = Vec::new();
        for (i, sid) in e.subnet_ids.iter().enumerate() {
            let Some((svpc, az, cidr)) = p.subnets.get(sid).cloned() else {
                return Err(m.err(
                    &r.src,
                    &format!("SubnetIds[{i}]"),
                    format!("references subnet `{sid}`, which no file defines"),
                ));
            };
            if svpc != e.vpc_id {
                return Err(m.err(
                    &r.src,
                    &format!("SubnetIds[{i}]"),
                    format!("subnet `{sid}` is in {svpc}, the endpoint in {}", e.vpc_id),
                ));
            }
            if !azs.contains(&az) {
                notes.lines.push(format!("subnet {sid} left out: {az} has no node of {lb} (AWS serves an endpoint only in the service's zones)"));
                continue;
            }
            let eni = acct.enis.iter().find(|x| {
                x.item.subnet_id == *sid
                    && (e
                        .network_interface_ids
                        .contains(&x.item.network_interface_id)
                        || x.item
                            .description
                            .as_deref()
                            .is_some_and(|d| d.contains(id.as_str())))
            });
            let ip = match eni {
                Some(x) => {
                    m.managed_enis.insert(x.item.network_interface_id.clone());
                    Some(x.item.private_ip_address.clone())
                }
                None => {
                    let a = assign(p, &svpc, &cidr);
                    if let Some(a) = &a {
                        notes.lines.push(format!("interface in {sid}: address {a} assigned by the import (its network interface {} is not in the export: add describe-network-interfaces for the real one)", e.network_interface_ids.get(i).map_or("(unnamed)", String::as_str)));
                    }
                    a
                }
            };
            match ip {
                Some(ip) => subnets.push((sid.clone(), ip)),
                None => notes
                    .lines
                    .push(format!("subnet {sid} left out: no free address")),
            }
        }
        if subnets.is_empty() {
            m.skip(
                id,
                format!("interface endpoint with no subnet in a zone of {lb}'s nodes"),
                &r.src,
            );
            continue;
        }
        let mut sgs = Vec::new();
        for g in &e.groups {
            if m.sg_vpc.get(g.group_id.as_str()) == Some(&e.vpc_id.as_str()) {
                sgs.push(g.group_id.clone());
            } else {
                notes.lines.push(format!(
                    "security group {} left out: not in the export's {}",
                    g.group_id, e.vpc_id
                ));
            }
        }
        if e.private_dns_enabled == Some(true) {
            notes.lines.push(format!(
                "private DNS on for {}: not modelled, flows name the endpoint ({id})",
                e.service_name
            ));
        }
        m.plan.interface_endpoints.push(InterfaceEndpointPlan {
            id: id.clone(),
            service: svc.to_string(),
            subnets,
            security_groups: sgs,
            notes,
        });
    }
    Ok(())
}
