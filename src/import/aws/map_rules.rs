//! Network ACL entries and security group permissions.

use super::collect::Source;
use super::error::ImportError;
use super::map::Mapper;
use super::plan::*;
use super::shapes::{IpPermission, RuleAction};

/// The implicit final `*` rules AWS prints, 32767 for IPv4 and 32768 for IPv6
/// (the topology keeps them implicit).
const NACL_DEFAULT_RULES: [i64; 2] = [32767, 32768];

/// A NACL protocol (`-1`, `6`, …) or SG protocol (`-1`, `tcp`, `58`, …) as the
/// topology writes it; `None` if it is neither a known name nor 0-255.
fn protocol(p: &str) -> Option<String> {
    Some(
        match p.to_ascii_lowercase().as_str() {
            "-1" | "all" => "all",
            "6" | "tcp" => "tcp",
            "17" | "udp" => "udp",
            "1" | "icmp" => "icmp",
            "58" | "icmpv6" => "icmpv6",
            n => return n.parse::<u8>().ok().map(|n| n.to_string()),
        }
        .to_string(),
    )
}

fn has_ports(p: &str) -> bool {
    matches!(p, "tcp" | "udp")
}

fn is_icmp(p: &str) -> bool {
    matches!(p, "icmp" | "icmpv6")
}

pub fn nacls(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.nacls {
        let n = &r.item;
        let vi = m.vpc_of(&n.vpc_id, &r.src, "VpcId")?;
        let mut notes = m.notes(&r.src, &n.tags);
        if n.is_default {
            notes.lines.push("the VPC's default network ACL".into());
        }
        let mut inbound = Vec::new();
        let mut outbound = Vec::new();
        for (k, e) in n.entries.iter().enumerate() {
            if NACL_DEFAULT_RULES.contains(&e.rule_number) && e.rule_action == RuleAction::Deny {
                continue;
            }
            let at = Source {
                file: r.src.file,
                path: format!("{}.Entries[{k}]", r.src.path),
            };
            let proto = protocol(&e.protocol).ok_or_else(|| {
                m.err(
                    &at,
                    "Protocol",
                    format!("unknown protocol `{}` (a number 0-255 or -1)", e.protocol),
                )
            })?;
            let cidr = match (&e.cidr_block, &e.ipv6_cidr_block) {
                (Some(c), _) => (c.clone(), "CidrBlock"),
                (_, Some(c)) => (c.clone(), "Ipv6CidrBlock"),
                _ => return Err(m.err(&at, "", "entry without CidrBlock or Ipv6CidrBlock")),
            };
            m.cidr(&cidr.0, &at, cidr.1)?;
            let ports = e
                .port_range
                .filter(|_| has_ports(&proto))
                .map(|p| (p.from, p.to))
                .filter(|p| *p != (0, 65535));
            let icmp = e
                .icmp_type_code
                .filter(|_| is_icmp(&proto))
                .map(|c| (c.kind.unwrap_or(-1), c.code.unwrap_or(-1)))
                .filter(|c| *c != (-1, -1));
            let rule = RulePlan {
                rule: Some(e.rule_number),
                protocol: proto,
                ports,
                icmp,
                peer: ("cidr", cidr.0),
                action: Some(match e.rule_action {
                    RuleAction::Allow => "allow",
                    RuleAction::Deny => "deny",
                }),
                description: None,
            };
            if e.egress {
                outbound.push(rule)
            } else {
                inbound.push(rule)
            }
        }
        inbound.sort_by_key(|r| r.rule);
        outbound.sort_by_key(|r| r.rule);
        m.plan.vpcs[vi].nacls.push(NaclPlan {
            id: n.network_acl_id.clone(),
            inbound,
            outbound,
            notes,
        });
    }
    Ok(())
}

pub fn security_groups(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.sgs {
        let g = &r.item;
        let vi = m.vpc_of(&g.vpc_id, &r.src, "VpcId")?;
        let mut notes = m.notes(&r.src, &g.tags);
        let ingress = permissions(
            m,
            &g.ip_permissions,
            &g.vpc_id,
            &g.group_id,
            &r.src,
            "IpPermissions",
            &mut notes,
        )?;
        let egress = permissions(
            m,
            &g.ip_permissions_egress,
            &g.vpc_id,
            &g.group_id,
            &r.src,
            "IpPermissionsEgress",
            &mut notes,
        )?;
        let name = g
            .group_name
            .clone()
            .filter(|n| !n.is_empty() && !n.chars().any(char::is_control));
        m.plan.vpcs[vi].sgs.push(SgPlan {
            id: g.group_id.clone(),
            name,
            ingress,
            egress,
            notes,
        });
    }
    Ok(())
}

/// Whether `a` and `b` are the same VPC, or peered by an active peering in one
/// region (the only case where AWS lets a rule reference the other's groups).
fn may_reference(m: &Mapper<'_>, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let region = |v: &str| m.vpc_ix.get(v).map(|&i| m.plan.vpcs[i].region.as_str());
    region(a) == region(b)
        && (m.active.contains(&(a.to_string(), b.to_string()))
            || m.active.contains(&(b.to_string(), a.to_string())))
}

/// The transit gateway through which `a` may reference `b`'s groups in an
/// inbound rule: both VPCs attached to it, and `SecurityGroupReferencingSupport`
/// on for the TGW and both VPC attachments (an attachment that does not say is
/// on, AWS's default for a new attachment), as `peeremu check` requires.
/// `Err(tgw)`: they share a TGW, but the switch is off somewhere.
fn tgw_reference(m: &Mapper<'_>, a: &str, b: &str) -> Option<Result<String, String>> {
    let p = &m.plan;
    let mut off = None;
    for g in &p.tgws {
        let att = |v: &str| {
            p.tgw_attachments
                .iter()
                .find(|x| x.tgw == g.id && x.vpc.as_deref() == Some(v))
        };
        let (Some(x), Some(y)) = (att(a), att(b)) else {
            continue;
        };
        if g.sg_referencing && x.sg_referencing != Some(false) && y.sg_referencing != Some(false) {
            return Some(Ok(g.id.clone()));
        }
        off.get_or_insert_with(|| g.id.clone());
    }
    off.map(Err)
}

fn permissions(
    m: &mut Mapper<'_>,
    perms: &[IpPermission],
    vpc: &str,
    group: &str,
    src: &Source,
    key: &str,
    notes: &mut Notes,
) -> Result<Vec<RulePlan>, ImportError> {
    let mut out = Vec::new();
    for (k, p) in perms.iter().enumerate() {
        let at = Source {
            file: src.file,
            path: format!("{}.{key}[{k}]", src.path),
        };
        let proto = protocol(&p.ip_protocol).ok_or_else(|| {
            m.err(
                &at,
                "IpProtocol",
                format!(
                    "unknown protocol `{}` (tcp, udp, icmp, icmpv6, -1 or a number 0-255)",
                    p.ip_protocol
                ),
            )
        })?;
        let ports = match (has_ports(&proto), p.from_port, p.to_port) {
            (true, Some(a), Some(b)) if (a, b) != (0, 65535) && a >= 0 => Some((a, b)),
            _ => None,
        };
        let icmp = match (is_icmp(&proto), p.from_port, p.to_port) {
            (true, Some(t), c) if t != -1 || c.unwrap_or(-1) != -1 => Some((t, c.unwrap_or(-1))),
            _ => None,
        };
        let base = RulePlan {
            protocol: proto,
            ports,
            icmp,
            ..RulePlan::default()
        };
        for (i, c) in p.ip_ranges.iter().enumerate() {
            m.cidr(&c.cidr_ip, &at, &format!("IpRanges[{i}].CidrIp"))?;
            out.push(RulePlan {
                peer: ("cidr", c.cidr_ip.clone()),
                description: c.description.clone(),
                ..base.clone()
            });
        }
        for (i, c) in p.ipv6_ranges.iter().enumerate() {
            m.cidr(&c.cidr_ipv6, &at, &format!("Ipv6Ranges[{i}].CidrIpv6"))?;
            out.push(RulePlan {
                peer: ("cidr", c.cidr_ipv6.clone()),
                description: c.description.clone(),
                ..base.clone()
            });
        }
        for pl in &p.prefix_list_ids {
            if m.prefix_lists.contains(&pl.prefix_list_id) {
                out.push(RulePlan {
                    peer: ("prefix_list", pl.prefix_list_id.clone()),
                    description: pl.description.clone(),
                    ..base.clone()
                });
            } else {
                let why = format!("{key} rule of {group} with prefix list {} left out: its entries are not in the export", pl.prefix_list_id);
                notes.lines.push(why.clone());
                m.skip(group, why, &at);
            }
        }
        for (i, pair) in p.user_id_group_pairs.iter().enumerate() {
            let other = pair.group_id.as_str();
            let Some(their_vpc) = m.sg_vpc.get(other).copied() else {
                let foreign = pair.vpc_peering_connection_id.is_some()
                    || pair.user_id.as_deref().is_some_and(|u| {
                        Some(u)
                            != m.vpc_ix
                                .get(vpc)
                                .and_then(|&v| m.acct.vpcs.get(v))
                                .and_then(|v| v.item.owner_id.as_deref())
                    });
                if foreign {
                    let why = format!("{key} rule of {group} referencing group {other} of another account left out: its members are not in the export");
                    notes.lines.push(why.clone());
                    m.skip(group, why, &at);
                    continue;
                }
                return Err(m.err(
                    &at,
                    &format!("UserIdGroupPairs[{i}].GroupId"),
                    format!("references security group `{other}`, which no file defines"),
                ));
            };
            let across_tgw = if may_reference(m, vpc, their_vpc) {
                None
            } else {
                tgw_reference(m, vpc, their_vpc)
            };
            if let Some(Ok(tgw)) = &across_tgw {
                if key == "IpPermissionsEgress" {
                    let why = format!("{key} rule of {group} referencing group {other} in {their_vpc} across {tgw} left out: AWS supports referencing across a transit gateway in inbound rules only");
                    notes.lines.push(why.clone());
                    m.skip(group, why, &at);
                    continue;
                }
            }
            if let Some(Err(tgw)) = &across_tgw {
                let why = format!("{key} rule of {group} referencing group {other} in {their_vpc} left out: stale, as SecurityGroupReferencingSupport is disabled on {tgw} or on one of its VPC attachments (and there is no active same-region peering)");
                notes.lines.push(why.clone());
                m.skip(group, why, &at);
                continue;
            }
            if across_tgw.is_none() && !may_reference(m, vpc, their_vpc) {
                let why = format!("{key} rule of {group} referencing group {other} in {their_vpc} left out: stale (no active same-region peering), AWS ignores it");
                notes.lines.push(why.clone());
                m.skip(group, why, &at);
                continue;
            }
            out.push(RulePlan {
                peer: ("group", other.to_string()),
                description: pair.description.clone(),
                ..base.clone()
            });
        }
    }
    Ok(out)
}
