//! Prefix lists, network ACLs and security groups, with their rule checks:
//! NACL numbering 1–32766, unique per direction, per-direction quotas; SG sources
//! (exactly one of cidr / prefix_list / group), cross-VPC group references only
//! across a same-region active peering, per-direction quotas.

use super::super::format::{NaclRuleSpec, NaclSpec, PrefixListSpec, SgRuleSpec, SgSpec, S};
use super::super::{names, suggest};
use super::{obj, Compiler, Kind};
use crate::model::*;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

pub fn prefix_lists(c: &mut Compiler<'_>, specs: &[PrefixListSpec]) {
    for p in specs {
        let id = p.id.get_ref().clone();
        let o = obj(Kind::PrefixList, &id);
        if !c.check_name(p.name.as_ref(), &o) {
            continue;
        }
        let cidrs: Vec<IpNet> = p
            .cidrs
            .iter()
            .filter_map(|s| c.values(&o).ipnet(s))
            .collect();
        if cidrs.len() != p.cidrs.len() {
            continue;
        }
        c.register(Kind::PrefixList, &id, c.net.prefix_lists.len());
        c.net.prefix_lists.push(PrefixList {
            name: p
                .name
                .as_ref()
                .map_or_else(|| id.clone(), |n| n.get_ref().clone()),
            id,
            cidrs,
        });
    }
}

pub(super) fn nacl_rules(
    c: &mut Compiler<'_>,
    o: &str,
    dir: Direction,
    rules: &[S<NaclRuleSpec>],
) -> Option<Vec<NaclRule>> {
    let mut out: Vec<NaclRule> = Vec::new();
    let mut ok = true;
    let quota = c.net.quotas.nacl_rules_per_direction as usize;
    if rules.len() > quota {
        c.err(
            "nacl-quota",
            rules[quota].span(),
            o,
            format!("{} {} rules exceed the quota of {quota} per direction (quotas.nacl_rules_per_direction)", rules.len(), dir.as_str()),
        );
        ok = false;
    }
    for r in rules {
        let r = r.get_ref();
        let n = *r.rule.get_ref();
        if !(1..=32766).contains(&n) {
            c.err(
                "nacl-rule-number",
                r.rule.span(),
                o,
                format!(
                    "{} rule number {n} is out of range; NACL rules are numbered 1 to 32766",
                    dir.as_str()
                ),
            );
            ok = false;
            continue;
        }
        if out.iter().any(|x| i64::from(x.number) == n) {
            c.err(
                "nacl-rule-duplicate",
                r.rule.span(),
                o,
                format!(
                    "{} rule number {n} is used twice; rule numbers are unique per direction",
                    dir.as_str()
                ),
            );
            ok = false;
            continue;
        }
        let traffic = c.values(o).nacl_traffic(r);
        let cidr = c.values(o).ipnet(&r.cidr);
        let action = match r.action.get_ref().to_ascii_lowercase().as_str() {
            "allow" => Some(RuleAction::Allow),
            "deny" => Some(RuleAction::Deny),
            other => {
                let hint = suggest::did_you_mean(other, ["allow", "deny"]);
                c.err(
                    "nacl-action",
                    r.action.span(),
                    o,
                    format!("unknown action `{other}` (allow or deny){hint}"),
                );
                None
            }
        };
        match (traffic, cidr, action) {
            (Some(traffic), Some(cidr), Some(action)) => out.push(NaclRule {
                number: n as u16,
                traffic,
                cidr,
                action,
            }),
            _ => ok = false,
        }
    }
    out.sort_by_key(|r| r.number);
    ok.then_some(out)
}

pub fn nacls(c: &mut Compiler<'_>, specs: &[NaclSpec]) {
    for n in specs {
        let id = n.id.get_ref().clone();
        let o = obj(Kind::Nacl, &id);
        let vpc = c.resolve(Kind::Vpc, &n.vpc, &o).map(VpcIdx);
        let inbound = nacl_rules(c, &o, Direction::Inbound, &n.inbound);
        let outbound = nacl_rules(c, &o, Direction::Outbound, &n.outbound);
        let (Some(vpc), Some(inbound), Some(outbound)) = (vpc, inbound, outbound) else {
            continue;
        };
        c.register(Kind::Nacl, &id, c.net.nacls.len());
        c.spans
            .nacl_id
            .insert(c.net.nacls.len() as u32, n.id.span());
        c.net.nacls.push(Nacl {
            id,
            vpc,
            is_default: false,
            inbound,
            outbound,
        });
    }
}

/// Create the groups (rules come later: they may reference any group).
pub fn security_groups(c: &mut Compiler<'_>, specs: &[SgSpec]) {
    for g in specs {
        let id = g.id.get_ref().clone();
        let o = obj(Kind::Sg, &id);
        if !c.check_name(g.name.as_ref(), &o) {
            continue;
        }
        let Some(vpc) = c.resolve(Kind::Vpc, &g.vpc, &o).map(VpcIdx) else {
            continue;
        };
        c.register(Kind::Sg, &id, c.net.security_groups.len());
        c.spans
            .sg_id
            .insert(c.net.security_groups.len() as u32, g.id.span());
        c.net.security_groups.push(SecurityGroup {
            name: g
                .name
                .as_ref()
                .map_or_else(|| id.clone(), |n| n.get_ref().clone()),
            id,
            vpc,
            is_default: false,
            ingress: Vec::new(),
            egress: Vec::new(),
        });
    }
}

/// Whether two VPCs are joined by an active peering.
fn peered(net: &Network, a: VpcIdx, b: VpcIdx) -> bool {
    net.peerings
        .iter()
        .any(|p| p.status == PeeringStatus::Active && p.other_side(a) == Some(b))
}

/// How two VPCs attached to the same transit gateways stand for security group
/// referencing across them.
enum TgwReference {
    /// No transit gateway has a VPC attachment from both.
    NotShared,
    /// A TGW with the switch on, on itself and on both attachments.
    Enabled,
    /// Shared TGWs, but on the first one the switch is off where named.
    Disabled { tgw: String, off: Vec<String> },
}

/// AWS (Transit Gateway guide, "Security group referencing", 2024): an inbound
/// rule may name a group of another VPC in the same region attached to the same
/// TGW when security group referencing support is enabled on the TGW and on both
/// VPC attachments. A TGW is regional and its VPC attachments are in its region,
/// so "same region" holds by construction.
fn tgw_reference(net: &Network, a: VpcIdx, b: VpcIdx) -> TgwReference {
    let attachment = |t: TgwIdx, v: VpcIdx| {
        net.tgw_attachments.iter().find(|x| {
            x.tgw == t && matches!(x.kind, TgwAttachmentKind::Vpc { vpc, .. } if vpc == v)
        })
    };
    let mut first_off = None;
    for (ti, tgw) in net.transit_gateways.iter().enumerate() {
        let t = TgwIdx(ti as u32);
        let (Some(x), Some(y)) = (attachment(t, a), attachment(t, b)) else {
            continue;
        };
        if tgw.sg_referencing && x.sg_referencing && y.sg_referencing {
            return TgwReference::Enabled;
        }
        if first_off.is_none() {
            let mut off = Vec::new();
            if !tgw.sg_referencing {
                off.push(format!("{} (`[[transit_gateway]]`)", tgw.id));
            }
            for att in [x, y] {
                if !att.sg_referencing {
                    off.push(format!("{} (`[[tgw_attachment]]`)", att.id));
                }
            }
            first_off = Some(TgwReference::Disabled {
                tgw: tgw.id.clone(),
                off,
            });
        }
    }
    first_off.unwrap_or(TgwReference::NotShared)
}

pub(super) fn sg_rule(
    c: &mut Compiler<'_>,
    o: &str,
    own: SgIdx,
    dir: Direction,
    r: &S<SgRuleSpec>,
) -> Option<SgRule> {
    let span = r.span();
    let r = r.get_ref();
    let traffic = c.values(o).traffic(
        &r.protocol,
        r.ports.as_ref(),
        r.icmp_type.as_ref(),
        r.icmp_code.as_ref(),
    );
    if let Some(d) = &r.description {
        if let Some(problem) = names::text_problem(d.get_ref(), "a description") {
            c.err("name-syntax", d.span(), o, problem);
            return None;
        }
    }
    let given = [r.cidr.is_some(), r.prefix_list.is_some(), r.group.is_some()]
        .iter()
        .filter(|&&b| b)
        .count();
    if given != 1 {
        c.err(
            "sg-rule-source",
            span,
            o,
            "a security group rule needs exactly one of `cidr`, `prefix_list` or `group`",
        );
        return None;
    }
    let peer = if let Some(s) = &r.cidr {
        SgPeer::Cidr(c.values(o).ipnet(s)?)
    } else if let Some(s) = &r.prefix_list {
        SgPeer::PrefixList(PlIdx(c.resolve(Kind::PrefixList, s, o)?))
    } else if let Some(s) = &r.group {
        let g = SgIdx(c.resolve(Kind::Sg, s, o)?);
        let (mine, theirs) = (
            c.net.security_groups[own.ix()].vpc,
            c.net.security_groups[g.ix()].vpc,
        );
        if mine != theirs {
            let (my_vpc, their_vpc) = (&c.net.vpcs[mine.ix()], &c.net.vpcs[theirs.ix()]);
            let (my_region, their_region) = (
                c.net.regions[my_vpc.region.ix()].name.clone(),
                c.net.regions[their_vpc.region.ix()].name.clone(),
            );
            let (my_id, their_id) = (my_vpc.id.clone(), their_vpc.id.clone());
            if !peered(&c.net, mine, theirs) {
                match tgw_reference(&c.net, mine, theirs) {
                    // Same region by construction (a TGW's VPC attachments are in
                    // its region).
                    TgwReference::Enabled if dir == Direction::Inbound => {
                        return Some(SgRule {
                            traffic: traffic?,
                            peer: SgPeer::Group(g),
                            description: description(r),
                        });
                    }
                    TgwReference::Enabled => {
                        c.err("sg-reference-tgw-egress", s.span(), o, format!("group {} is in {their_id}, which {my_id} reaches through a transit gateway; AWS supports security group referencing across a transit gateway in inbound rules only: name its addresses (`cidr`, `prefix_list`) in this egress rule", s.get_ref()));
                        return None;
                    }
                    TgwReference::Disabled { tgw, off } => {
                        c.err("sg-reference-tgw-disabled", s.span(), o, format!("group {} is in {their_id}, which {my_id} reaches only through {tgw}, where security group referencing is off on {}; set `security_group_referencing = true` there (AWS needs it on the transit gateway and on both VPC attachments)", s.get_ref(), off.join(" and ")));
                        return None;
                    }
                    TgwReference::NotShared => {}
                }
                c.err("sg-reference-unpeered", s.span(), o, format!("group {} is in {their_id}, which has no active peering with {my_id}; a rule can reference another VPC's group only across an active peering", s.get_ref()));
                return None;
            }
            if my_region != their_region {
                c.err("sg-reference-cross-region", s.span(), o, format!("group {} is in {their_id} ({their_region}) but this group is in {my_id} ({my_region}); AWS allows referencing a peer VPC's security group only within the same region", s.get_ref()));
                return None;
            }
        }
        SgPeer::Group(g)
    } else {
        return None;
    };
    Some(SgRule {
        traffic: traffic?,
        peer,
        description: description(r),
    })
}

fn description(r: &SgRuleSpec) -> String {
    r.description
        .as_ref()
        .map(|d| d.get_ref().clone())
        .unwrap_or_default()
}

pub fn security_group_rules(c: &mut Compiler<'_>, specs: &[SgSpec]) {
    let quota = c.net.quotas.sg_rules_per_direction as usize;
    let mut seen = std::collections::HashSet::new();
    for g in specs {
        let id = g.id.get_ref().clone();
        // A duplicate id was reported; only the first definition gets rules.
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(own) = c.lookup(Kind::Sg, &id).map(SgIdx) else {
            continue;
        };
        let o = obj(Kind::Sg, &id);
        for (dir, rules) in [
            (Direction::Inbound, Some(&g.ingress)),
            (Direction::Outbound, g.egress.as_ref()),
        ] {
            let Some(rules) = rules else {
                // AWS's default egress: all traffic to 0.0.0.0/0 (and ::/0 with IPv6).
                let vpc = c.net.security_groups[own.ix()].vpc;
                let mut eg = vec![SgRule {
                    traffic: TrafficMatch::ALL,
                    peer: SgPeer::Cidr(IpNet::V4(Ipv4Net::default())),
                    description: String::new(),
                }];
                if c.net.vpcs[vpc.ix()].ipv6.is_some() {
                    eg.push(SgRule {
                        traffic: TrafficMatch::ALL,
                        peer: SgPeer::Cidr(IpNet::V6(Ipv6Net::default())),
                        description: String::new(),
                    });
                }
                c.net.security_groups[own.ix()].egress = eg;
                continue;
            };
            if rules.len() > quota {
                let word = if dir == Direction::Inbound {
                    "ingress"
                } else {
                    "egress"
                };
                c.err("sg-rule-quota", rules[quota].span(), &o, format!("{} {word} rules exceed the quota of {quota} per direction (quotas.sg_rules_per_direction)", rules.len()));
            }
            let compiled: Vec<SgRule> = rules
                .iter()
                .filter_map(|r| sg_rule(c, &o, own, dir, r))
                .collect();
            let sg = &mut c.net.security_groups[own.ix()];
            match dir {
                Direction::Inbound => sg.ingress = compiled,
                Direction::Outbound => sg.egress = compiled,
            }
        }
    }
}
