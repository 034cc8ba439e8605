//! [`Document`] → [`Network`]: resolve names to indices, create the objects AWS
//! creates implicitly, and check each AWS rule that concerns one object at a time.
//! Rules across objects (overlaps, uniqueness, quotas) live in `validate`.
//!
//! Objects whose own definition is broken are left out (the error is reported once);
//! references to them are then silently unresolved rather than reported again as
//! "unknown", so one mistake gives one message.

mod direct_connect;
mod dns;
mod egress_only_igw;
mod flow_numbers;
mod flows;
mod gateways;
mod instances;
mod privatelink;
mod routes;
mod rules;
mod schedule;
mod settings;
mod timeline;
mod transit_gateway;
mod unicast;
mod values;
mod vpcs;

use super::diag::Diags;
use super::format::{Document, S};
use super::{names, suggest};
use crate::model::*;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
pub(super) use values::number_text;

pub use values::Values;

/// Kinds of named objects, for lookups and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Vpc,
    Subnet,
    RouteTable,
    Nacl,
    Sg,
    PrefixList,
    Instance,
    Eni,
    Peering,
    Igw,
    Nat,
    Vgw,
    Vpce,
    Host,
    Flow,
    Tgw,
    TgwAttachment,
    TgwRouteTable,
    Eigw,
    Dx,
    DxGateway,
    Vif,
    LoadBalancer,
    EndpointService,
    InterfaceEndpoint,
}

impl Kind {
    /// How messages call this kind of object.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Vpc => "vpc",
            Kind::Subnet => "subnet",
            Kind::RouteTable => "route table",
            Kind::Nacl => "network ACL",
            Kind::Sg => "security group",
            Kind::PrefixList => "prefix list",
            Kind::Instance => "instance",
            Kind::Eni => "ENI",
            Kind::Peering => "peering",
            Kind::Igw => "internet gateway",
            Kind::Nat => "NAT gateway",
            Kind::Vgw => "VPN gateway",
            Kind::Vpce => "gateway endpoint",
            Kind::Host => "host",
            Kind::Flow => "flow",
            Kind::Tgw => "transit gateway",
            Kind::TgwAttachment => "transit gateway attachment",
            Kind::TgwRouteTable => "transit gateway route table",
            Kind::Eigw => "egress-only internet gateway",
            Kind::Dx => "Direct Connect connection",
            Kind::DxGateway => "Direct Connect gateway",
            Kind::Vif => "virtual interface",
            Kind::LoadBalancer => "load balancer",
            Kind::EndpointService => "endpoint service",
            Kind::InterfaceEndpoint => "interface endpoint",
        }
    }
}

/// `"<kind> <id>"`, the object part of a message.
pub fn obj(kind: Kind, id: &str) -> String {
    format!("{} {}", kind.word(), id)
}

/// Source positions kept for the cross-object checks in `validate`, aligned with
/// the `Network` tables they describe.
#[derive(Debug, Default)]
pub struct Spans {
    /// Per VPC: the id, then one span per IPv4 block (aligned with `Vpc::cidrs`).
    pub vpc_id: Vec<Range<usize>>,
    pub vpc_blocks: Vec<Vec<Range<usize>>>,
    pub vpc_ipv6: Vec<Range<usize>>,
    pub subnet_cidr: Vec<Range<usize>>,
    pub peering_id: Vec<Range<usize>>,
    pub eni_ip: Vec<Range<usize>>,
    pub eni_public_ip: Vec<Option<Range<usize>>>,
    pub nat_ip: Vec<Range<usize>>,
    pub nat_eip: Vec<Range<usize>>,
    pub igw_vpc: Vec<Range<usize>>,
    pub vgw_vpc: Vec<Range<usize>>,
    /// Ids of the objects the file defines, by index (implicit ones are absent:
    /// they are placed at their VPC's id). For warnings (`topology::places`).
    pub rtb_id: HashMap<u32, Range<usize>>,
    pub nacl_id: HashMap<u32, Range<usize>>,
    pub sg_id: HashMap<u32, Range<usize>>,
    pub nat_id: HashMap<u32, Range<usize>>,
    /// Each written route's destination, by (route table, destination).
    pub route_dest: HashMap<(u32, String), Range<usize>>,
}

/// The compiler's state: the network being built and the name tables.
pub struct Compiler<'d> {
    pub diags: &'d mut Diags,
    pub net: Network,
    pub spans: Spans,
    /// Every id written in the file, by kind (to tell "broken" from "unknown").
    declared: HashSet<(Kind, String)>,
    /// Built objects by kind and id (instances also by name).
    index: HashMap<(Kind, String), u32>,
    /// First place each id was defined (ids are unique across kinds, as in AWS),
    /// the ids of implicit objects included.
    defined_at: HashMap<String, (Kind, Range<usize>)>,
    /// For an implicit id in `defined_at`: the object that implies it (`vpc vpc-a`).
    implied_by: HashMap<String, String>,
    /// Unknown references reported so far with a "did you mean" (see `resolve_any`).
    suggestions: usize,
    /// Names of the built objects per kind, sorted, for suggestions (built lazily).
    candidates: HashMap<Vec<Kind>, Vec<String>>,
    /// Every VPC block → its VPC, for "which VPC holds this address" in one lookup
    /// (built on first use, once all VPCs are compiled; rebuilt if more appear).
    vpc_blocks: Option<VpcBlocks>,
}

/// The VPCs' blocks as longest-prefix-match tables (see `Compiler::vpc_holding`).
struct VpcBlocks {
    vpcs: usize,
    v4: crate::lpm::Lpm4<u32>,
    v6: crate::lpm::Lpm6<u32>,
}

/// How many unknown references get a "did you mean": each suggestion compares the
/// name with every candidate, so a file with 400,000 unknown references would
/// otherwise take minutes. Past the first errors, a suggestion helps nobody.
pub const MAX_SUGGESTIONS: usize = 100;

/// Compile a parsed document. Errors go to `diags`; the network is meaningful only
/// when no error was reported.
pub fn compile(doc: Document, default_name: &str, diags: &mut Diags) -> (Network, Spans) {
    let mut c = Compiler {
        diags,
        net: Network::default(),
        spans: Spans::default(),
        declared: HashSet::new(),
        index: HashMap::new(),
        defined_at: HashMap::new(),
        implied_by: HashMap::new(),
        suggestions: 0,
        candidates: HashMap::new(),
        vpc_blocks: None,
    };
    c.net.name = doc.name.clone().unwrap_or_else(|| default_name.to_string());
    c.declare_all(&doc);
    settings::latency_and_quotas(&mut c, &doc);
    settings::prices(&mut c, &doc);
    vpcs::vpcs(&mut c, &doc.vpcs);
    rules::prefix_lists(&mut c, &doc.prefix_lists);
    routes::route_tables(&mut c, &doc.route_tables);
    rules::nacls(&mut c, &doc.network_acls);
    rules::security_groups(&mut c, &doc.security_groups);
    vpcs::implicit_objects(&mut c);
    vpcs::subnets(&mut c, &doc.subnets);
    gateways::internet_gateways(&mut c, &doc.internet_gateways);
    egress_only_igw::egress_only_internet_gateways(&mut c, &doc.egress_only_internet_gateways);
    gateways::nat_gateways(&mut c, &doc.nat_gateways);
    gateways::vpn_gateways(&mut c, &doc.vpn_gateways);
    direct_connect::compile(&mut c, &doc);
    gateways::peerings(&mut c, &doc.peerings);
    transit_gateway::compile(&mut c, &doc);
    direct_connect::transit_checks(&mut c, &doc);
    instances::instances(&mut c, doc.instances);
    privatelink::compile(
        &mut c,
        &doc.load_balancers,
        &doc.endpoint_services,
        &doc.vpc_endpoints,
    );
    gateways::endpoints(&mut c, &doc.gateway_endpoints);
    routes::routes(&mut c, &doc.route_tables);
    rules::security_group_rules(&mut c, &doc.security_groups);
    flows::hosts(&mut c, &doc.hosts);
    dns::compile(
        &mut c,
        &dns::DnsDoc {
            vpcs: &doc.vpcs,
            peerings: &doc.peerings,
            hosts: &doc.hosts,
            private_zones: &doc.private_zones,
            public_zones: &doc.public_zones,
            onprem_zones: &doc.onprem_zones,
            resolver_endpoints: &doc.resolver_endpoints,
            resolver_rules: &doc.resolver_rules,
        },
    );
    flows::flows(&mut c, &doc.flows);
    timeline::changes(&mut c, &doc.changes);
    (c.net, c.spans)
}

impl Compiler<'_> {
    fn declare_all(&mut self, doc: &Document) {
        let mut ids: Vec<(Kind, &S<String>)> = Vec::new();
        ids.extend(doc.vpcs.iter().map(|x| (Kind::Vpc, &x.id)));
        ids.extend(doc.subnets.iter().map(|x| (Kind::Subnet, &x.id)));
        ids.extend(doc.route_tables.iter().map(|x| (Kind::RouteTable, &x.id)));
        ids.extend(doc.network_acls.iter().map(|x| (Kind::Nacl, &x.id)));
        ids.extend(doc.security_groups.iter().map(|x| (Kind::Sg, &x.id)));
        ids.extend(doc.prefix_lists.iter().map(|x| (Kind::PrefixList, &x.id)));
        ids.extend(doc.instances.iter().map(|x| (Kind::Instance, &x.id)));
        for i in &doc.instances {
            ids.extend(
                i.enis
                    .iter()
                    .filter_map(|e| e.get_ref().id.as_ref())
                    .map(|e| (Kind::Eni, e)),
            );
        }
        ids.extend(doc.peerings.iter().map(|x| (Kind::Peering, &x.id)));
        ids.extend(doc.internet_gateways.iter().map(|x| (Kind::Igw, &x.id)));
        ids.extend(
            doc.egress_only_internet_gateways
                .iter()
                .map(|x| (Kind::Eigw, &x.id)),
        );
        ids.extend(
            doc.direct_connect_gateways
                .iter()
                .map(|x| (Kind::DxGateway, &x.id)),
        );
        ids.extend(doc.direct_connects.iter().map(|x| (Kind::Dx, &x.id)));
        for d in &doc.direct_connects {
            ids.extend(
                d.virtual_interfaces
                    .iter()
                    .map(|v| (Kind::Vif, &v.get_ref().id)),
            );
        }
        ids.extend(doc.nat_gateways.iter().map(|x| (Kind::Nat, &x.id)));
        ids.extend(doc.vpn_gateways.iter().map(|x| (Kind::Vgw, &x.id)));
        ids.extend(doc.gateway_endpoints.iter().map(|x| (Kind::Vpce, &x.id)));
        ids.extend(doc.transit_gateways.iter().map(|x| (Kind::Tgw, &x.id)));
        ids.extend(
            doc.tgw_attachments
                .iter()
                .map(|x| (Kind::TgwAttachment, &x.id)),
        );
        ids.extend(
            doc.tgw_route_tables
                .iter()
                .map(|x| (Kind::TgwRouteTable, &x.id)),
        );
        ids.extend(
            doc.load_balancers
                .iter()
                .map(|x| (Kind::LoadBalancer, &x.id)),
        );
        ids.extend(
            doc.endpoint_services
                .iter()
                .map(|x| (Kind::EndpointService, &x.id)),
        );
        ids.extend(
            doc.vpc_endpoints
                .iter()
                .map(|x| (Kind::InterfaceEndpoint, &x.id)),
        );
        for (kind, id) in ids {
            self.declared.insert((kind, id.get_ref().clone()));
            self.define(kind, id);
        }
        self.define_implicit_ids(doc);
        // Instance names are references too (flows, routes).
        for i in &doc.instances {
            if let Some(n) = &i.name {
                self.declared.insert((Kind::Instance, n.get_ref().clone()));
            }
        }
        for h in &doc.hosts {
            self.declared.insert((Kind::Host, h.name.get_ref().clone()));
        }
        self.declare_broken(&doc.broken);
    }

    /// Placeholders for the objects whose table could not be read: their ids
    /// (and the ids AWS would have created with them) count as declared, so a
    /// reference to one is not reported again as "unknown".
    fn declare_broken(&mut self, broken: &[super::format::Broken]) {
        for b in broken {
            let kind = match b.table.as_str() {
                "vpc" => Kind::Vpc,
                "subnet" => Kind::Subnet,
                "route_table" => Kind::RouteTable,
                "network_acl" => Kind::Nacl,
                "security_group" => Kind::Sg,
                "prefix_list" => Kind::PrefixList,
                "instance" => Kind::Instance,
                "peering" => Kind::Peering,
                "internet_gateway" => Kind::Igw,
                "egress_only_internet_gateway" => Kind::Eigw,
                "direct_connect_gateway" => Kind::DxGateway,
                "direct_connect" => Kind::Dx,
                "nat_gateway" => Kind::Nat,
                "vpn_gateway" => Kind::Vgw,
                "gateway_endpoint" => Kind::Vpce,
                "host" => Kind::Host,
                "flow" => Kind::Flow,
                "transit_gateway" => Kind::Tgw,
                "tgw_attachment" => Kind::TgwAttachment,
                "tgw_route_table" => Kind::TgwRouteTable,
                "load_balancer" => Kind::LoadBalancer,
                "endpoint_service" => Kind::EndpointService,
                "vpc_endpoint" => Kind::InterfaceEndpoint,
                _ => continue,
            };
            let Some(id) = &b.id else { continue };
            self.declared.insert((kind, id.clone()));
            if let Some(n) = &b.name {
                self.declared.insert((kind, n.clone()));
            }
            match kind {
                Kind::Vpc => {
                    let sfx = suffix(id);
                    for (k, implied) in [
                        (Kind::RouteTable, format!("rtb-main-{sfx}")),
                        (Kind::Nacl, format!("acl-default-{sfx}")),
                        (Kind::Sg, format!("sg-default-{sfx}")),
                    ] {
                        self.declared.insert((k, implied));
                    }
                }
                Kind::Instance => {
                    self.declared.insert((Kind::Eni, implicit_eni_id(id, 0)));
                    for e in &b.enis {
                        self.declared.insert((Kind::Eni, e.clone()));
                    }
                }
                _ => {}
            }
        }
    }

    /// Record that `id` is defined here; a second definition is an error.
    fn define(&mut self, kind: Kind, id: &S<String>) {
        let name = id.get_ref();
        if let Some(problem) = names::id_problem(name) {
            let (rule, object) = if name.is_empty() {
                ("empty-id", kind.word().to_string())
            } else {
                ("id-syntax", obj(kind, name))
            };
            self.diags.push(rule, id.span(), object, problem);
            return;
        }
        if let Some((k0, _)) = self.defined_at.get(name) {
            let what = if *k0 == kind {
                String::new()
            } else {
                format!(" (already a {})", k0.word())
            };
            self.diags.push(
                "duplicate-id",
                id.span(),
                obj(kind, name),
                format!("duplicate id `{name}`{what}; ids must be unique"),
            );
        } else {
            self.defined_at.insert(name.clone(), (kind, id.span()));
        }
    }

    /// `ENI eni-a`, or `ENI eni-a (implied by instance i-a)` for an implicit id.
    fn describe(&self, id: &str) -> String {
        let Some((kind, _)) = self.defined_at.get(id) else {
            return format!("`{id}`");
        };
        match self.implied_by.get(id) {
            Some(owner) => format!("{} (implied by {owner})", obj(*kind, id)),
            None => obj(*kind, id),
        }
    }

    /// The ids of the objects AWS (and we) create implicitly, each checked against
    /// every explicit id and every implicit id before it: a VPC's main route table
    /// (unless the file marks one `main`), default network ACL and default security
    /// group; an instance's unnamed ENIs; a NAT gateway's interface; the `internet`
    /// host unless declared.
    fn define_implicit_ids(&mut self, doc: &Document) {
        let mut seen = HashSet::new();
        for v in &doc.vpcs {
            let id = v.id.get_ref();
            if !seen.insert(id.as_str()) || names::id_problem(id).is_some() {
                continue; // a duplicate or bad id was reported; it implies nothing new
            }
            let sfx = suffix(id);
            let has_main = doc
                .route_tables
                .iter()
                .any(|t| t.main && t.vpc.get_ref() == id);
            let owner = obj(Kind::Vpc, id);
            if !has_main {
                self.define_implicit(
                    Kind::RouteTable,
                    format!("rtb-main-{sfx}"),
                    &owner,
                    v.id.span(),
                );
            }
            self.define_implicit(
                Kind::Nacl,
                format!("acl-default-{sfx}"),
                &owner,
                v.id.span(),
            );
            self.define_implicit(Kind::Sg, format!("sg-default-{sfx}"), &owner, v.id.span());
        }
        let mut seen = HashSet::new();
        for i in &doc.instances {
            let id = i.id.get_ref();
            if !seen.insert(id.as_str()) || names::id_problem(id).is_some() {
                continue;
            }
            let owner = obj(Kind::Instance, id);
            if i.has_shorthand() {
                if i.enis.is_empty() {
                    self.define_implicit(Kind::Eni, implicit_eni_id(id, 0), &owner, i.id.span());
                }
                continue; // both forms at once: reported by `instances`
            }
            for (k, e) in i.enis.iter().enumerate() {
                if e.get_ref().id.is_none() {
                    self.define_implicit(Kind::Eni, implicit_eni_id(id, k), &owner, e.span());
                }
            }
        }
        // A NAT gateway's interface, `eni-<nat id>`, is in its captures and flow log.
        let mut seen = HashSet::new();
        for n in &doc.nat_gateways {
            let id = n.id.get_ref();
            if !seen.insert(id.as_str()) || names::id_problem(id).is_some() {
                continue;
            }
            let owner = obj(Kind::Nat, id);
            self.define_implicit(Kind::Eni, format!("eni-{id}"), &owner, n.id.span());
        }
        // PrivateLink interfaces, `eni-<load balancer or endpoint id>-<n>`: a flow,
        // target, capture and flow log name them, so they are ids like any other
        // (before stop 14 an explicit `eni-vpce-x-1` elsewhere passed `check`).
        let mut seen = HashSet::new();
        let lbs = doc
            .load_balancers
            .iter()
            .map(|l| (Kind::LoadBalancer, &l.id, l.subnets.len()));
        let endpoints = doc
            .vpc_endpoints
            .iter()
            .map(|e| (Kind::InterfaceEndpoint, &e.id, e.subnets.len()));
        for (kind, id, n) in lbs.chain(endpoints) {
            let name = id.get_ref();
            if !seen.insert(name.as_str()) || names::id_problem(name).is_some() {
                continue;
            }
            let owner = obj(kind, name);
            for k in 1..=n {
                self.define_implicit(Kind::Eni, format!("eni-{name}-{k}"), &owner, id.span());
            }
        }
        // A transit gateway's implicit default route table (when no table is
        // marked `default` and it associates or propagates by default).
        let mut seen = HashSet::new();
        for t in &doc.transit_gateways {
            let name = t.id.get_ref();
            if !seen.insert(name.as_str()) || names::id_problem(name).is_some() {
                continue;
            }
            let explicit = doc
                .tgw_route_tables
                .iter()
                .any(|r| r.default && r.tgw.get_ref() == name);
            let by_default = t.default_route_table_association.unwrap_or(true)
                || t.default_route_table_propagation.unwrap_or(true);
            if !explicit && by_default {
                let implied = transit_gateway::default_table_id(name);
                self.define_implicit(
                    Kind::TgwRouteTable,
                    implied,
                    &obj(Kind::Tgw, name),
                    t.id.span(),
                );
            }
        }
        let internet = flows::INTERNET_HOST;
        if !doc.hosts.iter().any(|h| h.name.get_ref() == internet) {
            if let Some((kind, span)) = self.defined_at.get(internet).cloned() {
                let other = self.describe(internet);
                self.diags.push(
                    "duplicate-id",
                    span,
                    obj(kind, internet),
                    format!(
                        "`{internet}` is also the name of the implicit internet host (created when no [[host]] is called so); rename {other}"
                    ),
                );
            }
        }
    }

    /// Record the implicit id `id` of `owner` (reported at `at`).
    fn define_implicit(&mut self, kind: Kind, id: String, owner: &str, at: Range<usize>) {
        if self.defined_at.contains_key(&id) {
            let other = self.describe(&id);
            self.diags.push(
                "duplicate-id",
                at,
                owner,
                format!(
                    "the {} id `{id}` it implies is already taken by {other}; ids must be unique, implicit ones included",
                    kind.word()
                ),
            );
            return;
        }
        self.defined_at.insert(id.clone(), (kind, at));
        self.implied_by.insert(id, owner.to_string());
    }

    /// Register a built object under its id (the first definition wins).
    fn register(&mut self, kind: Kind, id: &str, ix: usize) {
        self.candidates.clear(); // suggestions see every object built so far
        self.index
            .entry((kind, id.to_string()))
            .or_insert(ix as u32);
    }

    /// Whether `id` was written for `kind` before (even if the object is broken).
    fn is_declared(&self, kind: Kind, id: &str) -> bool {
        self.declared.contains(&(kind, id.to_string()))
    }

    fn lookup(&self, kind: Kind, id: &str) -> Option<u32> {
        self.index.get(&(kind, id.to_string())).copied()
    }

    /// Resolve a reference among `kinds`; report it with a suggestion if unknown.
    fn resolve_any(
        &mut self,
        kinds: &[Kind],
        r: &S<String>,
        object: &str,
        what: &str,
    ) -> Option<(Kind, u32)> {
        let name = r.get_ref();
        for &k in kinds {
            if let Some(ix) = self.lookup(k, name) {
                return Some((k, ix));
            }
        }
        if kinds.iter().any(|&k| self.is_declared(k, name)) {
            return None; // broken object, already reported
        }
        let hint = if self.suggestions < MAX_SUGGESTIONS {
            self.suggestions += 1;
            let index = &self.index;
            let sorted = self.candidates.entry(kinds.to_vec()).or_insert_with(|| {
                let mut v: Vec<String> = index
                    .keys()
                    .filter(|(k, _)| kinds.contains(k))
                    .map(|(_, n)| n.clone())
                    .collect();
                v.sort_unstable();
                v
            });
            suggest::did_you_mean(name, sorted.iter().map(String::as_str))
        } else {
            String::new()
        };
        // An id of another kind (`instance = "sg-a"`) is a wrong reference, not a
        // missing one: say what it is, so the fix is obvious.
        let kind_of = match self.defined_at.get(name) {
            Some((k, _)) if !kinds.contains(k) => format!(" (that id names {})", obj(*k, name)),
            _ => String::new(),
        };
        self.diags.push(
            "unknown-reference",
            r.span(),
            object,
            format!("unknown {what} `{name}`{kind_of}{hint}"),
        );
        None
    }

    fn resolve(&mut self, kind: Kind, r: &S<String>, object: &str) -> Option<u32> {
        self.resolve_any(&[kind], r, object, kind.word())
            .map(|(_, ix)| ix)
    }

    /// A VPC whose blocks hold `ip`, with that block: one table lookup instead of
    /// a scan of every VPC (a generated file has tens of thousands).
    fn vpc_holding(&mut self, ip: std::net::IpAddr) -> Option<(VpcIdx, ipnet::IpNet)> {
        let stale = self
            .vpc_blocks
            .as_ref()
            .is_none_or(|b| b.vpcs != self.net.vpcs.len());
        if stale {
            let vpcs = &self.net.vpcs;
            let v4 = vpcs
                .iter()
                .zip(0u32..)
                .flat_map(|(v, i)| v.cidrs.iter().map(move |&n| (n, i)));
            let v6 = vpcs
                .iter()
                .zip(0u32..)
                .filter_map(|(v, i)| v.ipv6.map(|n| (n, i)));
            self.vpc_blocks = Some(VpcBlocks {
                vpcs: vpcs.len(),
                v4: crate::lpm::Lpm4::from_routes(v4),
                v6: crate::lpm::Lpm6::from_routes(v6),
            });
        }
        let b = self.vpc_blocks.as_ref()?;
        match ip {
            std::net::IpAddr::V4(a) => {
                b.v4.lookup_prefix(a)
                    .map(|(n, &i)| (VpcIdx(i), ipnet::IpNet::V4(n)))
            }
            std::net::IpAddr::V6(a) => {
                b.v6.lookup_prefix(a)
                    .map(|(n, &i)| (VpcIdx(i), ipnet::IpNet::V6(n)))
            }
        }
    }

    /// Check an optional name (see `names`); report it and return false if bad.
    fn check_name(&mut self, name: Option<&S<String>>, object: &str) -> bool {
        let Some(problem) = name.and_then(|n| names::name_problem(n.get_ref())) else {
            return true;
        };
        let span = name.map_or(0..0, |n| n.span());
        self.diags.push("name-syntax", span, object, problem);
        false
    }

    /// Report an error.
    fn err(
        &mut self,
        rule: &'static str,
        span: Range<usize>,
        object: &str,
        msg: impl Into<String>,
    ) {
        self.diags.push(rule, span, object, msg);
    }

    /// Parsers of addresses, CIDRs, ports and protocols that report into `diags`.
    fn values<'a>(&'a mut self, object: &'a str) -> Values<'a> {
        Values {
            diags: self.diags,
            object,
        }
    }
}

/// The id of an instance's `k`-th ENI when the file gives none: `eni-<id without
/// i->` for the first, `eni-<id without i->-<k>` after it.
fn implicit_eni_id(instance_id: &str, k: usize) -> String {
    let base = instance_id.strip_prefix("i-").unwrap_or(instance_id);
    if k == 0 {
        format!("eni-{base}")
    } else {
        format!("eni-{base}-{k}")
    }
}

/// The short form of a VPC id used to name its implicit objects (`vpc-a` → `a`).
fn suffix(vpc_id: &str) -> &str {
    vpc_id.strip_prefix("vpc-").unwrap_or(vpc_id)
}
