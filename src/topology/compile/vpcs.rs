//! VPCs (CIDR blocks, RFC 1918 mixing), subnets (size, containment, AZ,
//! associations) and the objects AWS creates with every VPC: main route table,
//! default network ACL and default security group.

use super::super::format::{SubnetSpec, VpcSpec};
use super::super::{names, regions, suggest};
use super::{obj, suffix, unicast, Compiler, Kind};
use crate::model::*;
use ipnet::{IpNet, Ipv4Net};
use std::net::Ipv4Addr;

/// AWS's IPv4 block sizes for VPCs and subnets.
pub const MIN_PREFIX: u8 = 16;
pub const MAX_PREFIX: u8 = 28;

/// The ranges AWS's secondary-CIDR restrictions are about (RFC 1918 and 198.19/16).
const RESTRICTED: [(&str, [u8; 4], u8); 4] = [
    ("10.0.0.0/8", [10, 0, 0, 0], 8),
    ("172.16.0.0/12", [172, 16, 0, 0], 12),
    ("192.168.0.0/16", [192, 168, 0, 0], 16),
    ("198.19.0.0/16", [198, 19, 0, 0], 16),
];

/// Which restricted range a block lies in (`None`: publicly routable).
fn restricted_range(n: Ipv4Net) -> Option<&'static str> {
    RESTRICTED.iter().find_map(|(name, a, len)| {
        let r = Ipv4Net::new(Ipv4Addr::from(*a), *len).ok()?;
        r.contains(&n).then_some(*name)
    })
}

impl Compiler<'_> {
    pub(super) fn region(&mut self, name: &str) -> RegionIdx {
        if let Some(p) = self.net.regions.iter().position(|r| r.name == name) {
            return RegionIdx(p as u32);
        }
        self.net.regions.push(Region {
            name: name.to_string(),
        });
        RegionIdx(self.net.regions.len() as u32 - 1)
    }

    fn az(&mut self, name: &str, region: RegionIdx) -> AzIdx {
        if let Some(p) = self.net.azs.iter().position(|a| a.name == name) {
            return AzIdx(p as u32);
        }
        self.net.azs.push(Az {
            name: name.to_string(),
            region,
        });
        AzIdx(self.net.azs.len() as u32 - 1)
    }
}

fn check_size(
    c: &mut Compiler<'_>,
    what: &str,
    n: Ipv4Net,
    span: std::ops::Range<usize>,
    object: &str,
) -> bool {
    let len = n.prefix_len();
    if (MIN_PREFIX..=MAX_PREFIX).contains(&len) {
        return true;
    }
    c.err(
        "cidr-size",
        span,
        object,
        format!("{what} {n} is a /{len}; AWS allows IPv4 {what}s from /16 to /28"),
    );
    false
}

/// A VPC block must hold unicast addresses (see `unicast`).
fn check_range(c: &mut Compiler<'_>, n: IpNet, span: std::ops::Range<usize>, object: &str) -> bool {
    let Some(what) = unicast::block_problem(n) else {
        return true;
    };
    c.err(
        "vpc-cidr-range",
        span,
        object,
        format!("VPC CIDR block {n} is {what}; AWS creates VPCs only in unicast address space"),
    );
    false
}

pub fn vpcs(c: &mut Compiler<'_>, specs: &[VpcSpec]) {
    for v in specs {
        let id = v.id.get_ref().clone();
        let o = obj(Kind::Vpc, &id);
        let region_name = v.region.get_ref().trim().to_string();
        if region_name.is_empty() {
            c.err("region", v.region.span(), &o, "region cannot be empty");
            continue;
        }
        if let Some(problem) = names::id_problem(&region_name) {
            c.err("region", v.region.span(), &o, format!("region: {problem}"));
            continue;
        }
        if regions::region(&region_name).is_none() {
            // Reported, but the VPC is still built: its subnets and instances are
            // checked in the same pass (their AZs only once the region is known).
            let hint = suggest::did_you_mean(&region_name, regions::REGIONS.iter().map(|r| r.code));
            c.err(
                "region",
                v.region.span(),
                &o,
                format!("unknown region `{region_name}`: AWS has no such region{hint}"),
            );
        }
        let Some(primary) = c.values(&o).v4net(&v.cidr) else {
            continue;
        };
        if !check_size(c, "VPC CIDR block", primary, v.cidr.span(), &o)
            || !check_range(c, IpNet::V4(primary), v.cidr.span(), &o)
        {
            continue;
        }
        let mut cidrs = vec![primary];
        let mut blocks = vec![v.cidr.span()];
        let quota = c.net.quotas.secondary_cidrs_per_vpc as usize;
        if v.secondary_cidrs.len() > quota {
            c.err(
                "secondary-cidr-quota",
                v.secondary_cidrs[quota].span(),
                &o,
                format!(
                    "{} secondary CIDR blocks exceed the quota of {quota} per VPC (quotas.secondary_cidrs_per_vpc)",
                    v.secondary_cidrs.len()
                ),
            );
        }
        for s in &v.secondary_cidrs {
            let Some(n) = c.values(&o).v4net(s) else {
                continue;
            };
            if !check_size(c, "VPC CIDR block", n, s.span(), &o)
                || !check_range(c, IpNet::V4(n), s.span(), &o)
            {
                continue;
            }
            if let Some(other) = cidrs
                .iter()
                .find(|x| x.contains(&n.network()) || n.contains(&x.network()))
            {
                c.err(
                    "secondary-cidr-overlap",
                    s.span(),
                    &o,
                    format!("secondary CIDR block {n} overlaps {other} of the same VPC; a VPC's blocks cannot overlap"),
                );
                continue;
            }
            let (pr, sr) = (restricted_range(primary), restricted_range(n));
            if let Some(sr) = sr {
                if pr != Some(sr) {
                    let primary_desc = match pr {
                        Some(r) => format!("in {r}"),
                        None => "publicly routable".to_string(),
                    };
                    c.err(
                        "secondary-cidr-rfc1918",
                        s.span(),
                        &o,
                        format!(
                            "secondary CIDR block {n} is in {sr} but the primary block {primary} is {primary_desc}; AWS does not mix these ranges in one VPC"
                        ),
                    );
                    continue;
                }
            }
            cidrs.push(n);
            blocks.push(s.span());
        }
        let mut ipv6 = None;
        if let Some(s) = &v.ipv6_cidr {
            if let Some(n) = c.values(&o).v6net(s) {
                if n.prefix_len() != 56 {
                    c.err(
                        "ipv6-size",
                        s.span(),
                        &o,
                        format!(
                            "IPv6 block {n} is a /{}; AWS assigns VPCs an IPv6 /56",
                            n.prefix_len()
                        ),
                    );
                } else if check_range(c, IpNet::V6(n), s.span(), &o) {
                    ipv6 = Some(n);
                }
            }
        }
        let region = c.region(&region_name);
        c.register(Kind::Vpc, &id, c.net.vpcs.len());
        c.spans.vpc_id.push(v.id.span());
        c.spans.vpc_blocks.push(blocks);
        c.spans
            .vpc_ipv6
            .push(v.ipv6_cidr.as_ref().map_or(v.id.span(), |s| s.span()));
        c.net.vpcs.push(Vpc {
            id,
            region,
            cidrs,
            ipv6,
            // Filled in by `implicit_objects`.
            main_route_table: RtbIdx(u32::MAX),
            default_nacl: NaclIdx(u32::MAX),
            default_sg: SgIdx(u32::MAX),
            internet_gateway: None,
            egress_only_internet_gateway: None,
        });
    }
}

/// Allow-all NACL rules (rule 100 for IPv4, 101 for IPv6), as in a default NACL.
fn allow_all(ipv6: bool) -> Vec<NaclRule> {
    let mut v = vec![NaclRule {
        number: 100,
        traffic: TrafficMatch::ALL,
        cidr: "0.0.0.0/0".parse().unwrap_or(IpNet::V4(Ipv4Net::default())),
        action: RuleAction::Allow,
    }];
    if ipv6 {
        v.push(NaclRule {
            number: 101,
            traffic: TrafficMatch::ALL,
            cidr: IpNet::V6(ipnet::Ipv6Net::default()),
            action: RuleAction::Allow,
        });
    }
    v
}

/// Main route table (unless one is marked `main`), default NACL and default SG.
pub fn implicit_objects(c: &mut Compiler<'_>) {
    // The main tables the file marked, by VPC (one pass, not one scan per VPC).
    let mut mains = std::collections::HashMap::new();
    for (i, t) in c.net.route_tables.iter().enumerate() {
        if t.is_main {
            mains.entry(t.vpc).or_insert(i);
        }
    }
    for vi in 0..c.net.vpcs.len() {
        let vpc = VpcIdx(vi as u32);
        let (id, ipv6) = {
            let v = &c.net.vpcs[vi];
            (v.id.clone(), v.ipv6.is_some())
        };
        let sfx = suffix(&id).to_string();
        // The implicit objects' ids; a clash with any other id was reported by
        // `Compiler::define_implicit_ids` (they are never silently renamed).
        let main = match mains.get(&vpc).copied() {
            Some(p) => p,
            None => {
                let rid = format!("rtb-main-{sfx}");
                c.register(Kind::RouteTable, &rid, c.net.route_tables.len());
                c.net.route_tables.push(RouteTable {
                    id: rid,
                    vpc,
                    is_main: true,
                    routes: Vec::new(),
                });
                c.net.route_tables.len() - 1
            }
        };
        let nid = format!("acl-default-{sfx}");
        c.register(Kind::Nacl, &nid, c.net.nacls.len());
        c.net.nacls.push(Nacl {
            id: nid,
            vpc,
            is_default: true,
            inbound: allow_all(ipv6),
            outbound: allow_all(ipv6),
        });
        let sid = format!("sg-default-{sfx}");
        let six = SgIdx(c.net.security_groups.len() as u32);
        c.register(Kind::Sg, &sid, six.ix());
        let mut egress = vec![SgRule {
            traffic: TrafficMatch::ALL,
            peer: SgPeer::Cidr(IpNet::V4(Ipv4Net::default())),
            description: String::new(),
        }];
        if ipv6 {
            egress.push(SgRule {
                traffic: TrafficMatch::ALL,
                peer: SgPeer::Cidr(IpNet::V6(ipnet::Ipv6Net::default())),
                description: String::new(),
            });
        }
        c.net.security_groups.push(SecurityGroup {
            id: sid,
            name: "default".to_string(),
            vpc,
            is_default: true,
            ingress: vec![SgRule {
                traffic: TrafficMatch::ALL,
                peer: SgPeer::Group(six),
                description: String::new(),
            }],
            egress,
        });
        let v = &mut c.net.vpcs[vi];
        v.main_route_table = RtbIdx(main as u32);
        v.default_nacl = NaclIdx(c.net.nacls.len() as u32 - 1);
        v.default_sg = six;
    }
}

pub fn subnets(c: &mut Compiler<'_>, specs: &[SubnetSpec]) {
    for s in specs {
        let id = s.id.get_ref().clone();
        let o = obj(Kind::Subnet, &id);
        let Some(vpc) = c.resolve(Kind::Vpc, &s.vpc, &o).map(VpcIdx) else {
            continue;
        };
        let Some(cidr) = c.values(&o).v4net(&s.cidr) else {
            continue;
        };
        // From here on a mistake is reported but the subnet is still built (the
        // network is discarded anyway), so the instances and gateways in it are
        // checked in the same pass instead of after this error is fixed.
        check_size(c, "subnet CIDR block", cidr, s.cidr.span(), &o);
        let (vpc_id, vpc_cidrs, vpc_v6, region) = {
            let v = &c.net.vpcs[vpc.ix()];
            (v.id.clone(), v.cidrs.clone(), v.ipv6, v.region)
        };
        if !vpc_cidrs.iter().any(|b| b.contains(&cidr)) {
            let blocks: Vec<String> = vpc_cidrs.iter().map(|b| b.to_string()).collect();
            c.err(
                "subnet-outside-vpc",
                s.cidr.span(),
                &o,
                format!("{cidr} is not inside any CIDR block of {vpc_id} ({}); a subnet must lie within one block of its VPC", blocks.join(", ")),
            );
        }
        let region_name = c.net.regions[region.ix()].name.clone();
        let az_name = s.az.get_ref().trim().to_string();
        // An unknown region was reported on the VPC; its AZs cannot be checked.
        let az_problem =
            regions::region(&region_name).and_then(|r| regions::az_problem(r, &az_name, &vpc_id));
        if let Some(problem) = az_problem {
            c.err("az-region", s.az.span(), &o, problem);
        }
        let mut ipv6 = None;
        if let Some(sp) = &s.ipv6_cidr {
            if let Some(n) = c.values(&o).v6net(sp) {
                match vpc_v6 {
                    None => c.err("subnet-ipv6", sp.span(), &o, format!("{vpc_id} has no IPv6 block; a subnet's IPv6 /64 must come from its VPC's /56")),
                    Some(_) if n.prefix_len() != 64 => c.err("subnet-ipv6", sp.span(), &o, format!("IPv6 subnet block {n} is a /{}; AWS subnets get an IPv6 /64", n.prefix_len())),
                    Some(b) if !b.contains(&n) => c.err("subnet-ipv6", sp.span(), &o, format!("IPv6 block {n} is not inside {vpc_id}'s {b}")),
                    Some(_) => ipv6 = Some(n),
                }
            }
        }
        let mut route_table = c.net.vpcs[vpc.ix()].main_route_table;
        if let Some(r) = &s.route_table {
            match c.resolve(Kind::RouteTable, r, &o).map(RtbIdx) {
                Some(t) if c.net.route_tables[t.ix()].vpc != vpc => {
                    let other = c.net.vpcs[c.net.route_tables[t.ix()].vpc.ix()].id.clone();
                    c.err("association-other-vpc", r.span(), &o, format!("route table {} belongs to {other}, not {vpc_id}; a subnet can only use its own VPC's route tables", r.get_ref()));
                }
                Some(t) => route_table = t,
                None => {}
            }
        }
        let mut nacl = c.net.vpcs[vpc.ix()].default_nacl;
        if let Some(r) = &s.nacl {
            match c.resolve(Kind::Nacl, r, &o).map(NaclIdx) {
                Some(n) if c.net.nacls[n.ix()].vpc != vpc => {
                    let other = c.net.vpcs[c.net.nacls[n.ix()].vpc.ix()].id.clone();
                    c.err("association-other-vpc", r.span(), &o, format!("network ACL {} belongs to {other}, not {vpc_id}; a subnet can only use its own VPC's network ACLs", r.get_ref()));
                }
                Some(n) => nacl = n,
                None => {}
            }
        }
        let az = c.az(&az_name, region);
        c.register(Kind::Subnet, &id, c.net.subnets.len());
        c.spans.subnet_cidr.push(s.cidr.span());
        c.net.subnets.push(Subnet {
            id,
            vpc,
            az,
            cidr,
            ipv6,
            route_table,
            nacl,
        });
    }
}
