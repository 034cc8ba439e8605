//! Internet gateways (one per VPC), NAT gateways (address inside their subnet),
//! virtual private gateways with their on-premises networks, peering connections
//! (status, self-peering, one per VPC pair, MTU option) and gateway endpoints.

use super::super::format::{EndpointSpec, IgwSpec, NatSpec, PeeringSpec, VgwSpec};
use super::super::suggest;
use super::{obj, settings, unicast, Compiler, Kind};
use crate::model::*;

/// Default one-way latency from a VGW to on-premises hosts.
const DEFAULT_VPN_LATENCY_MS: f64 = 5.0;
/// AWS's MTU through a VPN connection.
const VPN_MTU: u16 = 1500;

pub fn internet_gateways(c: &mut Compiler<'_>, specs: &[IgwSpec]) {
    for g in specs {
        let id = g.id.get_ref().clone();
        let o = obj(Kind::Igw, &id);
        let mut vpc = None;
        if let Some(r) = &g.vpc {
            let Some(v) = c.resolve(Kind::Vpc, r, &o).map(VpcIdx) else {
                continue;
            };
            if let Some(other) = c.net.vpcs[v.ix()].internet_gateway {
                let msg = format!("{} already has internet gateway {}; a VPC can have only one internet gateway attached", c.net.vpcs[v.ix()].id, c.net.internet_gateways[other.ix()].id);
                c.err("igw-per-vpc", r.span(), &o, msg);
                continue;
            }
            vpc = Some(v);
        }
        let ix = IgwIdx(c.net.internet_gateways.len() as u32);
        if let Some(v) = vpc {
            c.net.vpcs[v.ix()].internet_gateway = Some(ix);
        }
        c.register(Kind::Igw, &id, ix.ix());
        c.spans
            .igw_vpc
            .push(g.vpc.as_ref().map_or(g.id.span(), |r| r.span()));
        c.net.internet_gateways.push(InternetGateway { id, vpc });
    }
}

/// The five addresses AWS reserves in every subnet, and whether `ip` is one of them.
pub fn reserved_role(subnet: ipnet::Ipv4Net, ip: std::net::Ipv4Addr) -> Option<&'static str> {
    let base = u32::from(subnet.network());
    let last = u32::from(subnet.broadcast());
    match u32::from(ip) {
        x if x == base => Some("the network address"),
        x if x == base + 1 => Some("reserved for the VPC router"),
        x if x == base + 2 => Some("reserved for the Amazon DNS server"),
        x if x == base + 3 => Some("reserved by AWS for future use"),
        x if x == last => Some("the broadcast address"),
        _ => None,
    }
}

/// Check that `ip` may be assigned in `subnet`: inside it and not reserved.
pub fn check_ip_in_subnet(
    c: &mut Compiler<'_>,
    o: &str,
    subnet: SubnetIdx,
    ip: std::net::Ipv4Addr,
    span: std::ops::Range<usize>,
) -> bool {
    let s = &c.net.subnets[subnet.ix()];
    let (sid, cidr) = (s.id.clone(), s.cidr);
    if !cidr.contains(&ip) {
        c.err(
            "ip-outside-subnet",
            span,
            o,
            format!("private IP {ip} is not inside subnet {sid} ({cidr})"),
        );
        return false;
    }
    if let Some(role) = reserved_role(cidr, ip) {
        c.err("ip-reserved", span, o, format!("private IP {ip} is {role} of subnet {sid} ({cidr}); AWS reserves the first four addresses and the last one of every subnet"));
        return false;
    }
    true
}

/// Check that `ip` may be a public or Elastic IP (`what`): a public unicast
/// address (see `unicast`), outside every VPC's blocks.
pub fn check_public_ip(
    c: &mut Compiler<'_>,
    o: &str,
    what: &str,
    ip: std::net::Ipv4Addr,
    span: std::ops::Range<usize>,
) -> bool {
    if let Some(problem) = unicast::public_problem(ip) {
        let msg = format!(
            "{what} {ip} is {problem}; AWS's public and Elastic IPs are public unicast addresses"
        );
        c.err("public-ip", span, o, msg);
        return false;
    }
    if let Some((vpc, block)) = c.vpc_holding(std::net::IpAddr::V4(ip)) {
        let vpc = &c.net.vpcs[vpc.ix()].id;
        let msg = format!("{what} {ip} is inside {vpc}'s block {block}; a public or Elastic IP lies outside every VPC");
        c.err("public-ip", span, o, msg);
        return false;
    }
    true
}

pub fn nat_gateways(c: &mut Compiler<'_>, specs: &[NatSpec]) {
    for n in specs {
        let id = n.id.get_ref().clone();
        let o = obj(Kind::Nat, &id);
        let subnet = c.resolve(Kind::Subnet, &n.subnet, &o).map(SubnetIdx);
        let ip = c.values(&o).v4(&n.private_ip);
        let eip = c.values(&o).v4(&n.elastic_ip);
        let (Some(subnet), Some(ip), Some(eip)) = (subnet, ip, eip) else {
            continue;
        };
        // Both checks run: independent mistakes are reported together.
        let ip_ok = check_ip_in_subnet(c, &o, subnet, ip, n.private_ip.span());
        let eip_ok = check_public_ip(c, &o, "Elastic IP", eip, n.elastic_ip.span());
        if !(ip_ok && eip_ok) {
            continue;
        }
        c.register(Kind::Nat, &id, c.net.nat_gateways.len());
        c.spans
            .nat_id
            .insert(c.net.nat_gateways.len() as u32, n.id.span());
        c.spans.nat_ip.push(n.private_ip.span());
        c.spans.nat_eip.push(n.elastic_ip.span());
        let vpc = c.net.subnets[subnet.ix()].vpc;
        c.net.nat_gateways.push(NatGateway {
            id,
            subnet,
            vpc,
            private_ip: ip,
            public_ip: eip,
        });
    }
}

pub fn vpn_gateways(c: &mut Compiler<'_>, specs: &[VgwSpec]) {
    // VPC → its attached VGW (index), so the one-per-VPC rule is one lookup.
    let mut attached: std::collections::HashMap<VpcIdx, usize> = std::collections::HashMap::new();
    for g in specs {
        let id = g.id.get_ref().clone();
        let o = obj(Kind::Vgw, &id);
        let mut vpc = None;
        if let Some(r) = &g.vpc {
            let Some(v) = c.resolve(Kind::Vpc, r, &o).map(VpcIdx) else {
                continue;
            };
            if let Some(&other) = attached.get(&v) {
                let other = &c.net.vpn_gateways[other].id;
                let msg = format!("{} already has VPN gateway {other}; a VPC can have only one virtual private gateway attached", c.net.vpcs[v.ix()].id);
                c.err("vgw-per-vpc", r.span(), &o, msg);
                continue;
            }
            vpc = Some(v);
        }
        let cidrs: Vec<_> = g
            .onprem_cidrs
            .iter()
            .filter_map(|s| c.values(&o).ipnet(s))
            .collect();
        if cidrs.len() != g.onprem_cidrs.len() {
            continue;
        }
        let ms = g
            .latency_ms
            .as_ref()
            .map_or(DEFAULT_VPN_LATENCY_MS, |m| *m.get_ref());
        let Some(latency_ns) = settings::ms_to_ns(ms) else {
            c.err(
                "latency",
                g.latency_ms.as_ref().map_or(g.id.span(), |m| m.span()),
                &o,
                settings::latency_range("latency_ms"),
            );
            continue;
        };
        if let Some(v) = vpc {
            attached.insert(v, c.net.vpn_gateways.len());
        }
        c.register(Kind::Vgw, &id, c.net.vpn_gateways.len());
        c.spans
            .vgw_vpc
            .push(g.vpc.as_ref().map_or(g.id.span(), |r| r.span()));
        c.net.vpn_gateways.push(VpnGateway {
            id,
            vpc,
            onprem_cidrs: cidrs,
            latency_ns,
            mtu: VPN_MTU,
        });
    }
}

pub fn peerings(c: &mut Compiler<'_>, specs: &[PeeringSpec]) {
    // Live (active or pending) peerings by VPC pair: one lookup per peering.
    let mut live_pairs: std::collections::HashMap<(VpcIdx, VpcIdx), usize> =
        std::collections::HashMap::new();
    for p in specs {
        let id = p.id.get_ref().clone();
        let o = obj(Kind::Peering, &id);
        let req = c.resolve(Kind::Vpc, &p.requester, &o).map(VpcIdx);
        let acc = c.resolve(Kind::Vpc, &p.accepter, &o).map(VpcIdx);
        let status = match &p.status {
            None => Some(PeeringStatus::Active),
            Some(s) => {
                let found = PeeringStatus::ALL
                    .into_iter()
                    .find(|x| x.as_str() == s.get_ref());
                if found.is_none() {
                    let hint = suggest::did_you_mean(
                        s.get_ref(),
                        PeeringStatus::ALL.iter().map(|x| x.as_str()),
                    );
                    c.err(
                        "peering-status",
                        s.span(),
                        &o,
                        format!("unknown peering status `{}`{hint}", s.get_ref()),
                    );
                }
                found
            }
        };
        let (Some(req), Some(acc), Some(status)) = (req, acc, status) else {
            continue;
        };
        if req == acc {
            c.err(
                "peering-self",
                p.accepter.span(),
                &o,
                format!("{} cannot peer with itself", c.net.vpcs[req.ix()].id),
            );
            continue;
        }
        let live = |s: PeeringStatus| {
            matches!(
                s,
                PeeringStatus::Active
                    | PeeringStatus::PendingAcceptance
                    | PeeringStatus::InitiatingRequest
            )
        };
        let pair = (req.min(acc), req.max(acc));
        if live(status) {
            if let Some(&other) = live_pairs.get(&pair) {
                let msg = format!("{} and {} are already peered by {}; AWS allows at most one peering connection between two VPCs", c.net.vpcs[req.ix()].id, c.net.vpcs[acc.ix()].id, c.net.peerings[other].id);
                c.err("peering-duplicate", p.id.span(), &o, msg);
                continue;
            }
        }
        let inter_region = c.net.vpcs[req.ix()].region != c.net.vpcs[acc.ix()].region;
        let mtu = match (&p.mtu, inter_region) {
            (None, false) => 9001,
            (None, true) => 1500,
            (Some(m), true) if matches!(*m.get_ref(), 1500 | 8500) => *m.get_ref() as u16,
            (Some(m), true) => {
                c.err("peering-mtu", m.span(), &o, format!("MTU {} is not offered; an inter-region peering carries 1500 (default) or 8500 bytes", m.get_ref()));
                continue;
            }
            (Some(m), false) if *m.get_ref() == 9001 => 9001,
            (Some(m), false) => {
                c.err("peering-mtu", m.span(), &o, format!("MTU {} cannot be set: a peering within one region always carries 9001 bytes (the option is for inter-region peerings)", m.get_ref()));
                continue;
            }
        };
        if live(status) {
            live_pairs.insert(pair, c.net.peerings.len());
        }
        c.register(Kind::Peering, &id, c.net.peerings.len());
        c.spans.peering_id.push(p.id.span());
        c.net.peerings.push(Peering {
            id,
            requester: req,
            accepter: acc,
            status,
            mtu,
            inter_region,
        });
    }
}

pub fn endpoints(c: &mut Compiler<'_>, specs: &[EndpointSpec]) {
    for e in specs {
        let id = e.id.get_ref().clone();
        let o = obj(Kind::Vpce, &id);
        if !c.check_name(Some(&e.service), &o) {
            continue;
        }
        let vpc = c.resolve(Kind::Vpc, &e.vpc, &o).map(VpcIdx);
        let pl = c.resolve(Kind::PrefixList, &e.prefix_list, &o).map(PlIdx);
        let (Some(vpc), Some(pl)) = (vpc, pl) else {
            continue;
        };
        let ix = VpceIdx(c.net.gateway_endpoints.len() as u32);
        let mut tables = Vec::new();
        for r in &e.route_tables {
            let Some(t) = c.resolve(Kind::RouteTable, r, &o) else {
                continue;
            };
            let tv = c.net.route_tables[t as usize].vpc;
            if tv != vpc {
                let msg = format!("route table {} belongs to {}, not {}; an endpoint adds routes only to its own VPC's tables", r.get_ref(), c.net.vpcs[tv.ix()].id, c.net.vpcs[vpc.ix()].id);
                c.err("association-other-vpc", r.span(), &o, msg);
                continue;
            }
            tables.push(t as usize);
        }
        for t in tables {
            c.net.route_tables[t].routes.push(Route {
                destination: RouteDestination::PrefixList(pl),
                target: RouteTarget::GatewayEndpoint(ix),
                propagated: false,
            });
        }
        c.register(Kind::Vpce, &id, ix.ix());
        c.net.gateway_endpoints.push(GatewayEndpoint {
            id,
            vpc,
            service: e.service.get_ref().clone(),
            prefix_list: pl,
        });
    }
}
