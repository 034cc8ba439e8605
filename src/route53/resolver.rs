//! One DNS query from one place, answered as AWS's resolvers answer it. Pure:
//! the same network and query give the same answer and the same steps.
//!
//! From a VPC (the Amazon resolver at base +2 / 169.254.169.253), in order:
//! 1. `enable_dns_support = false`: nothing answers (the query times out);
//! 2. the most specific of the resolver rules and private hosted zones
//!    associated with the VPC that covers the name (a rule wins a tie, as Route 53
//!    Resolver documents): a rule forwards to its on-premises server; a private
//!    zone answers authoritatively (a name missing from it is NXDOMAIN, never
//!    looked up publicly). Private zones need both DNS attributes on;
//! 3. EC2 hostnames: a private hostname only inside its own VPC; a public
//!    hostname (its VPC with `enable_dns_hostnames`) is the private address
//!    inside the VPC and across a peering whose owner side allows DNS
//!    resolution from the remote VPC, else the public address;
//! 4. public hosted zones; else NXDOMAIN.
//!
//! From the internet: public hostnames (→ public address) and public zones.
//! From an on-premises host: its on-premises zones, then through the inbound
//! endpoint it forwards to (answered as that endpoint's VPC), else as the internet.

use super::hostnames::{parse_hostname, HostnameKind};
use super::zones::{in_domain, RecordData, ZoneKind};
use crate::model::{HostIdx, Network, PcxIdx, PeeringStatus, VpcIdx};
use std::net::IpAddr;

/// Where a query comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vantage {
    /// An instance in this VPC, asking the Amazon resolver.
    Vpc(VpcIdx),
    /// A host on the internet (public DNS).
    Internet,
    /// A host on premises, asking its own DNS server.
    OnPremises(HostIdx),
}

/// The response code, or no response at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    NxDomain,
    /// The resolver gave up: a CNAME chain loops or is too long (real resolvers
    /// answer SERVFAIL, RFC 1034 §3.6.2).
    ServFail,
    /// Nobody answered (the VPC's `enable_dns_support` is off): a stub resolver
    /// times out.
    NoResponse,
}

impl Rcode {
    pub fn as_str(self) -> &'static str {
        match self {
            Rcode::NoError => "NOERROR",
            Rcode::NxDomain => "NXDOMAIN",
            Rcode::ServFail => "SERVFAIL",
            Rcode::NoResponse => "no response",
        }
    }
}

/// One answer record.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub name: String,
    pub ttl: u32,
    pub data: RecordData,
}

/// The outcome of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub rcode: Rcode,
    pub answers: Vec<Answer>,
    /// What the resolvers did, one line each (for `trace` and `summary.json`).
    pub steps: Vec<String>,
}

impl Resolution {
    /// The address the answer points at (the last A/AAAA record).
    pub fn address(&self) -> Option<IpAddr> {
        self.answers.iter().rev().find_map(|a| match a.data {
            RecordData::A(v4) => Some(IpAddr::V4(v4)),
            RecordData::Aaaa(v6) => Some(IpAddr::V6(v6)),
            RecordData::Cname(_) => None,
        })
    }
}

/// TTL of the records EC2 hostnames resolve to (Amazon DNS answers 60 s).
pub const EC2_HOSTNAME_TTL: u32 = 60;
/// CNAME chains longer than this are answered SERVFAIL, as real resolvers do
/// (a loop is answered SERVFAIL as soon as a name comes round again).
const MAX_CNAME_CHAIN: usize = 8;

/// Resolve `name` (any case, trailing dot optional) for an A (`v6 = false`) or
/// AAAA record, as seen from `from`.
pub fn resolve(net: &Network, from: Vantage, name: &str, v6: bool) -> Resolution {
    let mut name = name.trim_end_matches('.').to_ascii_lowercase();
    let mut res = Resolution {
        rcode: Rcode::NoError,
        answers: Vec::new(),
        steps: Vec::new(),
    };
    let from = match from {
        Vantage::OnPremises(h) => match net.dns.inbound_for(h) {
            Some(ep) if !onprem_serves(net, &name) => {
                res.steps.push(format!(
                    "on-premises DNS forwards to inbound endpoint {} ({}) in {}",
                    ep.id,
                    ep.ip,
                    net.vpc(ep.vpc).id
                ));
                Vantage::Vpc(ep.vpc)
            }
            _ => from,
        },
        other => other,
    };
    if let Vantage::Vpc(v) = from {
        if !net.dns.vpc(v).support {
            res.rcode = Rcode::NoResponse;
            res.steps.push(format!(
                "{} has enable_dns_support = false: the Amazon resolver does not answer",
                net.vpc(v).id
            ));
            return res;
        }
    }
    let mut seen = vec![name.clone()];
    for _ in 0..MAX_CNAME_CHAIN {
        match step(net, from, &name, v6, &mut res) {
            Some(next) => {
                let next = next.trim_end_matches('.').to_ascii_lowercase();
                if seen.contains(&next) {
                    seen.push(next);
                    res.rcode = Rcode::ServFail;
                    res.steps
                        .push(format!("CNAME loop {}: SERVFAIL", seen.join(" -> ")));
                    return res;
                }
                seen.push(next.clone());
                name = next;
            }
            None => return res,
        }
    }
    res.rcode = Rcode::ServFail;
    res.steps.push(format!(
        "CNAME chain longer than {MAX_CNAME_CHAIN}: SERVFAIL"
    ));
    res
}

/// A DNS server on premises serves `name` itself (on-premises hosts ask it
/// first; it forwards the rest).
fn onprem_serves(net: &Network, name: &str) -> bool {
    net.dns
        .zones
        .iter()
        .any(|z| matches!(z.kind, ZoneKind::OnPremises { .. }) && in_domain(name, &z.name))
}

/// Answer one name; `Some(target)` when it is a CNAME to follow.
fn step(
    net: &Network,
    from: Vantage,
    name: &str,
    v6: bool,
    res: &mut Resolution,
) -> Option<String> {
    // Forwarding rules and private zones, the most specific first.
    if let Vantage::Vpc(v) = from {
        let attrs = net.dns.vpc(v);
        let rule = net
            .dns
            .rules
            .iter()
            .filter(|r| r.vpcs.contains(&v) && in_domain(name, &r.domain))
            .max_by_key(|r| r.domain.len());
        let zone = net
            .dns
            .zones
            .iter()
            .enumerate()
            .filter(|(_, z)| matches!(&z.kind, ZoneKind::Private { vpcs } if vpcs.contains(&v)))
            .filter(|(_, z)| in_domain(name, &z.name))
            .max_by_key(|(_, z)| z.name.len());
        let zone = zone.filter(|_| {
            if attrs.support && attrs.hostnames {
                return true;
            }
            res.steps.push(format!(
                "{} needs enable_dns_hostnames and enable_dns_support for private hosted zones: skipped",
                net.vpc(v).id
            ));
            false
        });
        match (rule, zone) {
            (Some(r), z) if z.is_none_or(|(_, z)| r.domain.len() >= z.name.len()) => {
                let server = r.targets.first().map(|h| &net.external_hosts[h.ix()]);
                let (sname, sip) = server.map_or(("?".to_string(), "?".to_string()), |s| {
                    (s.name.clone(), s.ip.to_string())
                });
                res.steps.push(format!(
                    "resolver rule {} ({}) forwards through outbound endpoint {} ({}) to {sname} ({sip})",
                    r.id, r.domain, r.endpoint, r.endpoint_ip
                ));
                return answer_from_zones(
                    net,
                    name,
                    v6,
                    res,
                    |k| matches!(k, ZoneKind::OnPremises { server } if r.targets.contains(server)),
                );
            }
            (_, Some((zi, _))) => return answer_zone(net, zi, name, v6, res),
            _ => {}
        }
    }
    if let Vantage::OnPremises(_) = from {
        if onprem_serves(net, name) {
            return answer_from_zones(net, name, v6, res, |k| {
                matches!(k, ZoneKind::OnPremises { .. })
            });
        }
    }
    let regions = net.regions.iter().map(|r| r.name.as_str());
    if let Some((kind, ip, _region)) = parse_hostname(name, regions) {
        return ec2_hostname(net, from, name, kind, ip, v6, res);
    }
    answer_from_zones(net, name, v6, res, |k| matches!(k, ZoneKind::Public))
}

/// Answer from the most specific zone of the kinds `pick` accepts; NXDOMAIN when
/// none covers the name or the name is not in it.
fn answer_from_zones(
    net: &Network,
    name: &str,
    v6: bool,
    res: &mut Resolution,
    pick: impl Fn(&ZoneKind) -> bool,
) -> Option<String> {
    let zone = net
        .dns
        .zones
        .iter()
        .enumerate()
        .filter(|(_, z)| pick(&z.kind) && in_domain(name, &z.name))
        .max_by_key(|(_, z)| z.name.len());
    match zone {
        Some((zi, _)) => answer_zone(net, zi, name, v6, res),
        None => {
            res.rcode = Rcode::NxDomain;
            res.steps.push(format!("no zone holds {name}: NXDOMAIN"));
            None
        }
    }
}

/// Answer `name` from zone `zi`.
fn answer_zone(
    net: &Network,
    zi: usize,
    name: &str,
    v6: bool,
    res: &mut Resolution,
) -> Option<String> {
    let z = &net.dns.zones[zi];
    let what = match z.kind {
        ZoneKind::Private { .. } => "private hosted zone",
        ZoneKind::Public => "public hosted zone",
        ZoneKind::OnPremises { .. } => "on-premises zone",
    };
    let mut found = false;
    let mut cname = None;
    for r in z.records.iter().filter(|r| r.name == name) {
        found = true;
        let wanted = match r.data {
            RecordData::A(_) => !v6,
            RecordData::Aaaa(_) => v6,
            RecordData::Cname(ref t) => {
                cname = Some(t.clone());
                true
            }
        };
        if wanted {
            res.answers.push(super::Answer {
                name: name.to_string(),
                ttl: r.ttl,
                data: r.data.clone(),
            });
        }
    }
    if !found {
        res.rcode = Rcode::NxDomain;
        res.steps.push(format!(
            "{what} {} ({}) has no {name}: NXDOMAIN",
            z.name, z.id
        ));
        return None;
    }
    let shown: Vec<String> = res
        .answers
        .iter()
        .filter(|a| a.name == name)
        .map(|a| format!("{} {}", a.data.type_str(), a.data.value()))
        .collect();
    res.steps.push(format!(
        "{what} {} ({}): {name} {}",
        z.name,
        z.id,
        if shown.is_empty() {
            "has no record of that type (NOERROR, no data)".to_string()
        } else {
            shown.join(", ")
        }
    ));
    cname
}

/// An EC2 hostname.
fn ec2_hostname(
    net: &Network,
    from: Vantage,
    name: &str,
    kind: HostnameKind,
    ip: std::net::Ipv4Addr,
    v6: bool,
    res: &mut Resolution,
) -> Option<String> {
    let eni = net.enis.iter().find(|e| match kind {
        HostnameKind::Private => e.private_ip == ip && from == Vantage::Vpc(e.vpc),
        HostnameKind::Public => e.public_ip == Some(ip) && net.dns.vpc(e.vpc).hostnames,
    });
    let Some(eni) = eni else {
        res.rcode = Rcode::NxDomain;
        res.steps.push(match kind {
            HostnameKind::Private => {
                format!("no instance in this VPC has private hostname {name}: NXDOMAIN")
            }
            HostnameKind::Public => format!(
                "no instance in a VPC with enable_dns_hostnames has public hostname {name}: NXDOMAIN"
            ),
        });
        return None;
    };
    let private = match (kind, from) {
        (HostnameKind::Private, _) => true,
        (HostnameKind::Public, Vantage::Vpc(v)) if v == eni.vpc => {
            res.steps.push(format!(
                "{name} is a public hostname of an instance in this VPC: its private address"
            ));
            true
        }
        (HostnameKind::Public, Vantage::Vpc(v)) => match peering_between(net, v, eni.vpc) {
            Some(p) => {
                let opts = net.dns.peering(p);
                let pcx = net.peering(p);
                let owner_allows = if pcx.requester == eni.vpc {
                    opts.requester
                } else {
                    opts.accepter
                };
                let side = if pcx.requester == eni.vpc {
                    "requester"
                } else {
                    "accepter"
                };
                res.steps.push(format!(
                    "{name} belongs to {} across active peering {}: {}_allow_dns_resolution_from_remote_vpc = {owner_allows}, so its {} address",
                    net.vpc(eni.vpc).id,
                    pcx.id,
                    side,
                    if owner_allows { "private" } else { "public" }
                ));
                owner_allows
            }
            None => {
                res.steps.push(format!(
                    "{name} belongs to {}, not peered with this VPC: its public address",
                    net.vpc(eni.vpc).id
                ));
                false
            }
        },
        (HostnameKind::Public, _) => false,
    };
    if v6 {
        res.steps
            .push(format!("{name} has no AAAA record (NOERROR, no data)"));
        return None;
    }
    let addr = if private {
        eni.private_ip
    } else {
        eni.public_ip.unwrap_or(eni.private_ip)
    };
    res.answers.push(super::Answer {
        name: name.to_string(),
        ttl: EC2_HOSTNAME_TTL,
        data: RecordData::A(addr),
    });
    res.steps.push(format!("EC2 hostname {name}: A {addr}"));
    None
}

/// The active peering between two VPCs, if any.
fn peering_between(net: &Network, a: VpcIdx, b: VpcIdx) -> Option<PcxIdx> {
    net.peerings
        .iter()
        .position(|p| {
            p.status == PeeringStatus::Active
                && ((p.requester == a && p.accepter == b) || (p.requester == b && p.accepter == a))
        })
        .map(|i| PcxIdx(i as u32))
}
