//! Amazon DNS and Route 53: the VPCs' and peerings' DNS attributes, hosted
//! zones, resolver endpoints and rules (`crate::route53` answers from them).
//! Checked here: names are valid DNS names, records lie inside their zone and
//! hold a value of their type, zones name known VPCs or servers, and AWS's
//! preconditions on the attributes.

use super::super::format::{HostSpec, PeeringSpec, VpcSpec, S};
use super::super::format_dns::{RecordSpec, ResolverEndpointSpec, ResolverRuleSpec, ZoneSpec};
use super::{Compiler, Kind};
use crate::model::*;
use crate::route53::message::valid_name;
use crate::route53::zones::{
    in_domain, ForwardRule, InboundEndpoint, PeeringDns, RecordData, VpcDns, Zone, ZoneKind,
    ZoneRecord,
};
use std::collections::HashMap;
use std::net::IpAddr;

/// Route 53's console default TTL.
const DEFAULT_TTL: u32 = 300;

/// The tables of the file the DNS reads (the instances were moved out of the
/// document by then).
pub struct DnsDoc<'a> {
    pub vpcs: &'a [VpcSpec],
    pub peerings: &'a [PeeringSpec],
    pub hosts: &'a [HostSpec],
    pub private_zones: &'a [ZoneSpec],
    pub public_zones: &'a [ZoneSpec],
    pub onprem_zones: &'a [ZoneSpec],
    pub resolver_endpoints: &'a [ResolverEndpointSpec],
    pub resolver_rules: &'a [ResolverRuleSpec],
}

pub fn compile(c: &mut Compiler<'_>, doc: &DnsDoc<'_>) {
    attributes(c, doc);
    let mut ids: HashMap<String, ()> = HashMap::new();
    let mut private_names: HashMap<(String, VpcIdx), String> = HashMap::new();
    for (z, which) in doc
        .private_zones
        .iter()
        .map(|z| (z, "private"))
        .chain(doc.public_zones.iter().map(|z| (z, "public")))
        .chain(doc.onprem_zones.iter().map(|z| (z, "onprem")))
    {
        if !valid_id(c, &z.id, &format!("{which} zone")) {
            continue;
        }
        if ids.insert(z.id.get_ref().clone(), ()).is_some() {
            let o = format!("{which} zone {}", z.id.get_ref());
            c.err(
                "duplicate-id",
                z.id.span(),
                &o,
                format!("duplicate zone id `{}`; ids must be unique", z.id.get_ref()),
            );
            continue;
        }
        if let Some(zone) = zone(c, z, which) {
            // AWS associates a VPC with at most one private zone of a name
            // (ConflictingDomainExists); before stop 14 both passed and one of
            // them silently answered.
            if let ZoneKind::Private { vpcs } = &zone.kind {
                for v in vpcs {
                    let key = (zone.name.clone(), *v);
                    if let Some(first) = private_names.get(&key) {
                        let o = format!("private zone {}", zone.id);
                        let msg = format!(
                            "{} is already associated with private zone {first} of the same name {}; AWS associates a VPC with at most one private hosted zone of a name (ConflictingDomainExists)",
                            c.net.vpcs[v.ix()].id,
                            zone.name
                        );
                        c.err("zone-conflict", z.name.span(), &o, msg);
                    } else {
                        private_names.insert(key, zone.id.clone());
                    }
                }
            }
            c.net.dns.zones.push(zone);
        }
    }
    endpoints_and_rules(c, doc);
}

/// `enable_dns_*` per VPC and the peering options.
fn attributes(c: &mut Compiler<'_>, doc: &DnsDoc<'_>) {
    c.net.dns.vpc_attributes = vec![VpcDns::default(); c.net.vpcs.len()];
    for v in doc.vpcs {
        let Some(ix) = c.lookup(Kind::Vpc, v.id.get_ref()) else {
            continue;
        };
        let support = v.enable_dns_support.as_ref().is_none_or(|s| *s.get_ref());
        let hostnames = v
            .enable_dns_hostnames
            .as_ref()
            .is_some_and(|s| *s.get_ref());
        if let (Some(h), false) = (&v.enable_dns_hostnames, support) {
            if *h.get_ref() {
                let o = format!("vpc {}", v.id.get_ref());
                c.err("dns-hostnames-need-support", h.span(), &o, "enable_dns_hostnames = true needs enable_dns_support = true (AWS enables DNS hostnames only in a VPC with DNS support)");
            }
        }
        c.net.dns.vpc_attributes[ix as usize] = VpcDns { support, hostnames };
    }
    c.net.dns.peering_options = vec![PeeringDns::default(); c.net.peerings.len()];
    for p in doc.peerings {
        let Some(ix) = c.lookup(Kind::Peering, p.id.get_ref()) else {
            continue;
        };
        let o = format!("peering {}", p.id.get_ref());
        let pcx = c.net.peerings[ix as usize].clone();
        let mut opts = PeeringDns::default();
        for (flag, set, key) in [
            (
                &p.requester_allow_dns_resolution_from_remote_vpc,
                &mut opts.requester,
                "requester",
            ),
            (
                &p.accepter_allow_dns_resolution_from_remote_vpc,
                &mut opts.accepter,
                "accepter",
            ),
        ] {
            let Some(f) = flag else { continue };
            *set = *f.get_ref();
            if !*f.get_ref() {
                continue;
            }
            for v in [pcx.requester, pcx.accepter] {
                let a = c.net.dns.vpc(v);
                if !(a.support && a.hostnames) {
                    let msg = format!("{key}_allow_dns_resolution_from_remote_vpc needs enable_dns_support and enable_dns_hostnames in both VPCs, and {} lacks {}", c.net.vpcs[v.ix()].id, if a.support { "enable_dns_hostnames" } else { "enable_dns_support" });
                    c.err("peering-dns-attributes", f.span(), &o, msg);
                    break;
                }
            }
        }
        c.net.dns.peering_options[ix as usize] = opts;
    }
}

/// A DNS name as written: lower case, no trailing dot; `None` (reported) when invalid.
fn dns_name(c: &mut Compiler<'_>, s: &S<String>, o: &str, what: &str) -> Option<String> {
    let raw = s.get_ref().trim();
    match valid_name(raw) {
        Ok(()) => Some(raw.trim_end_matches('.').to_ascii_lowercase()),
        Err(e) => {
            c.err(
                "dns-name",
                s.span(),
                o,
                // Raw: diagnostics are escaped once, when printed (escaping here
                // too printed a NUL as `\\0`).
                format!("{what} `{raw}` is not a valid DNS name: {e}"),
            );
            None
        }
    }
}

fn zone(c: &mut Compiler<'_>, z: &ZoneSpec, which: &str) -> Option<Zone> {
    let o = format!("{which} zone {}", z.id.get_ref());
    let name = dns_name(c, &z.name, &o, "zone name");
    let kind = match which {
        "private" => {
            if z.vpcs.is_empty() {
                c.err(
                    "zone-vpcs",
                    z.id.span(),
                    &o,
                    "a private hosted zone needs `vpcs`: at least one VPC to associate it with",
                );
            }
            if let Some(s) = &z.server {
                c.err("zone-keys", s.span(), &o, "`server` is for [[onprem_zone]]; a private zone is answered by the Amazon resolver of its VPCs");
            }
            let mut vpcs = Vec::new();
            for v in &z.vpcs {
                if let Some(ix) = c.resolve(Kind::Vpc, v, &o) {
                    vpcs.push(VpcIdx(ix));
                }
            }
            if vpcs.len() != z.vpcs.len() {
                return None;
            }
            ZoneKind::Private { vpcs }
        }
        "public" => {
            if let Some(v) = z.vpcs.first() {
                c.err(
                    "zone-keys",
                    v.span(),
                    &o,
                    "`vpcs` is for [[private_zone]]; a public zone is answered to everyone",
                );
            }
            if let Some(s) = &z.server {
                c.err("zone-keys", s.span(), &o, "`server` is for [[onprem_zone]]");
            }
            ZoneKind::Public
        }
        _ => {
            if let Some(v) = z.vpcs.first() {
                c.err("zone-keys", v.span(), &o, "`vpcs` is for [[private_zone]]; an on-premises zone is reached by a [[resolver_rule]]");
            }
            let Some(s) = &z.server else {
                c.err(
                    "zone-keys",
                    z.id.span(),
                    &o,
                    "an on-premises zone needs `server`: the [[host]] whose DNS server holds it",
                );
                return None;
            };
            let h = HostIdx(c.resolve(Kind::Host, s, &o)?);
            if !matches!(c.net.external_hosts[h.ix()].site, ExternalSite::OnPrem(_)) {
                c.err("zone-keys", s.span(), &o, format!("host {} is on the internet; an on-premises zone's server is a host behind a VPN gateway (`vgw`)", s.get_ref()));
                return None;
            }
            ZoneKind::OnPremises { server: h }
        }
    };
    let mut records = Vec::new();
    let mut ok = name.is_some();
    for r in &z.records {
        match record(c, r, name.as_deref(), &o) {
            Some(rec) => records.push(rec),
            None => ok = false,
        }
    }
    let name = name?;
    // Route 53: "You can't create a CNAME record at the zone apex".
    // (Records that failed are reported; positions pair up only when none did.)
    let paired = records.len() == z.records.len();
    for (r, rec) in z.records.iter().zip(&records).filter(|_| paired) {
        if rec.name == name && matches!(rec.data, RecordData::Cname(_)) {
            c.err("cname-apex", r.name.span(), &o, format!("a CNAME record at the zone apex {name}; Route 53 allows none there (use an A or AAAA record)"));
            ok = false;
        }
    }
    // RFC 1034 §3.6.2: a name with a CNAME has no other data.
    for r in &z.records {
        let n = r
            .name
            .get_ref()
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let at: Vec<&ZoneRecord> = records.iter().filter(|x| x.name == n).collect();
        if at.len() > 1
            && at.iter().any(|x| matches!(x.data, RecordData::Cname(_)))
            && r.kind.get_ref().eq_ignore_ascii_case("CNAME")
        {
            c.err("cname-other-data", r.name.span(), &o, format!("{n} has a CNAME and other records; a name with a CNAME may have no other record (RFC 1034)"));
            ok = false;
        }
    }
    // Route 53 refuses a record set holding the same value twice
    // (InvalidChangeBatch "Duplicate Resource Record"); here each record is one
    // value, so an exact repeat (name, type, value) is that error.
    for (i, (r, rec)) in z
        .records
        .iter()
        .zip(&records)
        .enumerate()
        .filter(|_| paired)
    {
        if records[..i]
            .iter()
            .any(|x| x.name == rec.name && x.data == rec.data)
        {
            c.err("record-duplicate", r.name.span(), &o, format!("{} {} {} is listed twice; Route 53 refuses a duplicate resource record (InvalidChangeBatch): remove one", rec.name, rec.data.type_str(), rec.data.value()));
            ok = false;
        }
    }
    ok.then(|| Zone {
        id: z.id.get_ref().clone(),
        name,
        kind,
        records,
    })
}

fn record(c: &mut Compiler<'_>, r: &RecordSpec, zone: Option<&str>, o: &str) -> Option<ZoneRecord> {
    let name = dns_name(c, &r.name, o, "record name");
    if let (Some(n), Some(z)) = (&name, zone) {
        if !in_domain(n, z) {
            c.err("record-outside-zone", r.name.span(), o, format!("record {n} is not inside zone {z}; write the record's full name, ending in .{z}"));
            return None;
        }
    }
    let ttl = match &r.ttl {
        None => DEFAULT_TTL,
        Some(t) if (0..=2_147_483_647).contains(t.get_ref()) => *t.get_ref() as u32,
        Some(t) => {
            c.err(
                "dns-ttl",
                t.span(),
                o,
                format!(
                    "TTL {} is out of range (0 to 2147483647 seconds)",
                    t.get_ref()
                ),
            );
            return None;
        }
    };
    let value = r.value.get_ref().trim();
    let data = match r.kind.get_ref().to_ascii_uppercase().as_str() {
        "A" => match value.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => RecordData::A(a),
            _ => {
                c.err(
                    "record-value",
                    r.value.span(),
                    o,
                    format!("an A record holds an IPv4 address, not `{}`", value),
                );
                return None;
            }
        },
        "AAAA" => match value.parse::<IpAddr>() {
            Ok(IpAddr::V6(a)) => RecordData::Aaaa(a),
            _ => {
                c.err(
                    "record-value",
                    r.value.span(),
                    o,
                    format!("an AAAA record holds an IPv6 address, not `{}`", value),
                );
                return None;
            }
        },
        "CNAME" => RecordData::Cname(dns_name(c, &r.value, o, "CNAME target")?),
        other => {
            c.err(
                "record-type",
                r.kind.span(),
                o,
                format!("unknown record type `{}` (A, AAAA or CNAME)", other),
            );
            return None;
        }
    };
    Some(ZoneRecord {
        name: name?,
        ttl,
        data,
    })
}

/// Whether a zone's, resolver endpoint's or rule's id is one AWS could give
/// (printable ASCII, no spaces), as every other id; reported when not. Before
/// stop 14 these took anything, an empty string and newlines included.
fn valid_id(c: &mut Compiler<'_>, id: &S<String>, what: &str) -> bool {
    let Some(problem) = super::super::names::id_problem(id.get_ref()) else {
        return true;
    };
    let (rule, o) = if id.get_ref().is_empty() {
        ("empty-id", what.to_string())
    } else {
        ("id-syntax", format!("{what} {}", id.get_ref()))
    };
    c.err(rule, id.span(), &o, problem);
    false
}

fn endpoints_and_rules(c: &mut Compiler<'_>, doc: &DnsDoc<'_>) {
    // id → (inbound?, vpc, ip)
    let mut eps: HashMap<String, (bool, VpcIdx, std::net::Ipv4Addr)> = HashMap::new();
    for e in doc.resolver_endpoints {
        if !valid_id(c, &e.id, "resolver endpoint") {
            continue;
        }
        let o = format!("resolver endpoint {}", e.id.get_ref());
        let inbound = match e.direction.get_ref().as_str() {
            "inbound" => true,
            "outbound" => false,
            other => {
                c.err(
                    "resolver-endpoint",
                    e.direction.span(),
                    &o,
                    format!("unknown direction `{}` (inbound or outbound)", other),
                );
                continue;
            }
        };
        let Some(s) = c.resolve(Kind::Subnet, &e.subnet, &o) else {
            continue;
        };
        let Some(ip) = c.values(&o).ip(&e.ip) else {
            continue;
        };
        let subnet = &c.net.subnets[s as usize];
        let (vpc, cidr) = (subnet.vpc, subnet.cidr);
        let v4 = match ip {
            IpAddr::V4(v4) if cidr.contains(&v4) => v4,
            _ => {
                c.err("resolver-endpoint", e.ip.span(), &o, format!("{ip} is not inside subnet {} ({cidr}); an endpoint's address is in its subnet", e.subnet.get_ref()));
                continue;
            }
        };
        if eps
            .insert(e.id.get_ref().clone(), (inbound, vpc, v4))
            .is_some()
        {
            c.err(
                "duplicate-id",
                e.id.span(),
                &o,
                format!("duplicate resolver endpoint id `{}`", e.id.get_ref()),
            );
            continue;
        }
        if inbound {
            c.net.dns.inbound.push(InboundEndpoint {
                id: e.id.get_ref().clone(),
                vpc,
                ip: v4,
            });
        }
    }
    for r in doc.resolver_rules {
        if !valid_id(c, &r.id, "resolver rule") {
            continue;
        }
        let o = format!("resolver rule {}", r.id.get_ref());
        let domain = dns_name(c, &r.domain, &o, "rule domain");
        let endpoint = match eps.get(r.endpoint.get_ref()) {
            Some(&(false, _, ip)) => Some(ip),
            Some(_) => {
                c.err("resolver-rule", r.endpoint.span(), &o, format!("{} is an inbound endpoint; a forwarding rule sends queries out through an outbound endpoint", r.endpoint.get_ref()));
                None
            }
            None => {
                c.err(
                    "resolver-rule",
                    r.endpoint.span(),
                    &o,
                    format!("unknown resolver endpoint `{}`", r.endpoint.get_ref()),
                );
                None
            }
        };
        let mut targets = Vec::new();
        for t in &r.targets {
            if let Some(h) = c.resolve(Kind::Host, t, &o) {
                targets.push(HostIdx(h));
            }
        }
        if r.targets.is_empty() {
            c.err("resolver-rule", r.id.span(), &o, "a forwarding rule needs `targets`: the on-premises DNS servers ([[host]]) to forward to");
        }
        let mut vpcs = Vec::new();
        for v in &r.vpcs {
            if let Some(ix) = c.resolve(Kind::Vpc, v, &o) {
                vpcs.push(VpcIdx(ix));
            }
        }
        if let (Some(domain), Some(ip)) = (domain, endpoint) {
            if targets.len() == r.targets.len() && !targets.is_empty() && vpcs.len() == r.vpcs.len()
            {
                c.net.dns.rules.push(ForwardRule {
                    id: r.id.get_ref().clone(),
                    domain,
                    vpcs,
                    targets,
                    endpoint: r.endpoint.get_ref().clone(),
                    endpoint_ip: ip,
                });
            }
        }
    }
    c.net.dns.host_resolver = vec![None; c.net.external_hosts.len()];
    for h in doc.hosts {
        let Some(f) = &h.dns_forwarder else { continue };
        let o = format!("host {}", h.name.get_ref());
        let Some(hix) = c.lookup(Kind::Host, h.name.get_ref()) else {
            continue;
        };
        match c.net.dns.inbound.iter().position(|e| e.id == *f.get_ref()) {
            Some(i) => c.net.dns.host_resolver[hix as usize] = Some(i),
            None => c.err(
                "resolver-endpoint",
                f.span(),
                &o,
                format!(
                    "`dns_forwarder` names `{}`, which is not an inbound resolver endpoint",
                    f.get_ref()
                ),
            ),
        }
    }
}
