//! [`Document`] → [`Network`]: resolve names to indices, create the objects AWS
//! creates implicitly, and check each AWS rule that concerns one object at a time.
//! Rules across objects (overlaps, uniqueness, quotas) live in `validate`.
//!
//! Objects whose own definition is broken are left out (the error is reported once);
//! references to them are then silently unresolved rather than reported again as
//! "unknown", so one mistake gives one message.

mod flow_numbers;
mod flows;
mod gateways;
mod instances;
mod routes;
mod rules;
mod settings;
mod transit_gateway;
mod values;
mod vpcs;

use super::diag::Diags;
use super::format::{Document, S};
use super::suggest;
use crate::model::*;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

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
    /// First place each id was defined (ids are unique across kinds, as in AWS).
    defined_at: HashMap<String, (Kind, Range<usize>)>,
}

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
    };
    c.net.name = doc.name.clone().unwrap_or_else(|| default_name.to_string());
    c.declare_all(&doc);
    settings::latency_and_quotas(&mut c, &doc);
    vpcs::vpcs(&mut c, &doc.vpcs);
    rules::prefix_lists(&mut c, &doc.prefix_lists);
    routes::route_tables(&mut c, &doc.route_tables);
    rules::nacls(&mut c, &doc.network_acls);
    rules::security_groups(&mut c, &doc.security_groups);
    vpcs::implicit_objects(&mut c);
    vpcs::subnets(&mut c, &doc.subnets);
    gateways::internet_gateways(&mut c, &doc.internet_gateways);
    gateways::nat_gateways(&mut c, &doc.nat_gateways);
    gateways::vpn_gateways(&mut c, &doc.vpn_gateways);
    gateways::peerings(&mut c, &doc.peerings);
    transit_gateway::compile(&mut c, &doc);
    instances::instances(&mut c, doc.instances);
    gateways::endpoints(&mut c, &doc.gateway_endpoints);
    routes::routes(&mut c, &doc.route_tables);
    rules::security_group_rules(&mut c, &doc.security_groups);
    flows::hosts(&mut c, &doc.hosts);
    flows::flows(&mut c, &doc.flows);
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
        for (kind, id) in ids {
            self.declared.insert((kind, id.get_ref().clone()));
            self.define(kind, id);
        }
        // Instance names are references too (flows, routes).
        for i in &doc.instances {
            if let Some(n) = &i.name {
                self.declared.insert((Kind::Instance, n.get_ref().clone()));
            }
        }
        for h in &doc.hosts {
            self.declared.insert((Kind::Host, h.name.get_ref().clone()));
        }
    }

    /// Record that `id` is defined here; a second definition is an error.
    fn define(&mut self, kind: Kind, id: &S<String>) {
        let name = id.get_ref();
        if name.trim().is_empty() {
            self.diags
                .push("empty-id", id.span(), kind.word(), "an id cannot be empty");
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

    /// Register a built object under its id (the first definition wins).
    fn register(&mut self, kind: Kind, id: &str, ix: usize) {
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
        let candidates: Vec<&str> = self
            .index
            .keys()
            .filter(|(k, _)| kinds.contains(k))
            .map(|(_, n)| n.as_str())
            .collect();
        let mut sorted = candidates;
        sorted.sort_unstable();
        let hint = suggest::did_you_mean(name, sorted.iter().copied());
        self.diags.push(
            "unknown-reference",
            r.span(),
            object,
            format!("unknown {what} `{name}`{hint}"),
        );
        None
    }

    fn resolve(&mut self, kind: Kind, r: &S<String>, object: &str) -> Option<u32> {
        self.resolve_any(&[kind], r, object, kind.word())
            .map(|(_, ix)| ix)
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

/// The short form of a VPC id used to name its implicit objects (`vpc-a` → `a`).
fn suffix(vpc_id: &str) -> &str {
    vpc_id.strip_prefix("vpc-").unwrap_or(vpc_id)
}
