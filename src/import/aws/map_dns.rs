//! Amazon DNS and Route 53 → `enable_dns_*` on `[[vpc]]`, the peering's
//! `*_allow_dns_resolution_from_remote_vpc`, `[[private_zone]]` and
//! `[[public_zone]]`.
//!
//! What the export shows is written, and what `peeremu check` would refuse is
//! reported instead of written: a peering option is kept only when both VPCs
//! have both attributes on (AWS ignores it otherwise); records Route 53 has and
//! peeremu does not model (alias records, routing policies, wildcards, MX, TXT,
//! …) are reported, except the zone apex's SOA and NS, which Route 53 creates
//! with every zone and which do not change where a flow goes.

use super::collect::{Rec, Source};
use super::error::ImportError;
use super::map::Mapper;
use super::plan::*;
use super::shapes::{zone_id, HostedZone, HostedZoneVpc};
use std::collections::{BTreeMap, BTreeSet};

pub fn dns(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    attributes(m)?;
    peering_options(m);
    zones(m);
    Ok(())
}

fn attributes(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.vpc_attributes {
        let (vpc, support, hostnames) = &r.item;
        let Some(&vi) = m.vpc_ix.get(vpc) else {
            m.skip(
                vpc,
                "describe-vpc-attribute of a VPC that is not in the export",
                &r.src,
            );
            continue;
        };
        let v = &mut m.plan.vpcs[vi];
        for (got, slot, key) in [
            (support, &mut v.enable_dns_support, "EnableDnsSupport"),
            (hostnames, &mut v.enable_dns_hostnames, "EnableDnsHostnames"),
        ] {
            let Some(got) = got else { continue };
            if let Some(had) = slot {
                if had != got {
                    return Err(ImportError::at(
                        &acct.files[r.src.file as usize],
                        key,
                        format!("{vpc}: {key} is {got} here and {had} in another describe-vpc-attribute file"),
                    ));
                }
            }
            *slot = Some(*got);
        }
    }
    for v in &mut m.plan.vpcs {
        if v.enable_dns_hostnames == Some(true) && v.enable_dns_support == Some(false) {
            v.enable_dns_hostnames = Some(false);
            v.notes.lines.push("EnableDnsHostnames true with EnableDnsSupport false: written false, as without DNS support the hostnames resolve nowhere".into());
        }
    }
    Ok(())
}

/// Both attributes on, as written (support defaults on, hostnames off).
fn resolves(m: &Mapper<'_>, vpc: &str) -> bool {
    m.vpc_ix.get(vpc).is_some_and(|&i| {
        let v = &m.plan.vpcs[i];
        v.enable_dns_support != Some(false) && v.enable_dns_hostnames == Some(true)
    })
}

fn peering_options(m: &mut Mapper<'_>) {
    let acct = m.acct;
    for pi in 0..m.plan.peerings.len() {
        let p = &m.plan.peerings[pi];
        if p.status != "active" {
            continue;
        }
        let Some(r) = acct
            .peerings
            .iter()
            .find(|r| r.item.vpc_peering_connection_id == p.id)
        else {
            continue;
        };
        let (req, acc) = (p.requester.clone(), p.accepter.clone());
        let both = resolves(m, &req) && resolves(m, &acc);
        for (side, info) in [
            ("RequesterVpcInfo", &r.item.requester_vpc_info),
            ("AccepterVpcInfo", &r.item.accepter_vpc_info),
        ] {
            let on = info
                .peering_options
                .as_ref()
                .is_some_and(|o| o.allow_dns_resolution_from_remote_vpc);
            if !on {
                continue;
            }
            if !both {
                let why = format!("{side}.PeeringOptions.AllowDnsResolutionFromRemoteVpc left out: it needs enableDnsSupport and enableDnsHostnames in both VPCs (export describe-vpc-attribute for {req} and {acc}); without them AWS does not apply it");
                let id = m.plan.peerings[pi].id.clone();
                m.plan.peerings[pi].notes.lines.push(why.clone());
                m.skip(&id, why, &r.src);
                continue;
            }
            let p = &mut m.plan.peerings[pi];
            if side == "RequesterVpcInfo" {
                p.requester_dns = true;
            } else {
                p.accepter_dns = true;
            }
        }
    }
}

/// A zone or record name as Route 53 prints it (`Api.Example.com.`, `\052`
/// for `*`) → lower case without the trailing dot; `None` when peeremu cannot
/// take it (escapes, wildcards, invalid labels).
fn dns_name(s: &str) -> Option<String> {
    let n = s.trim_end_matches('.').to_ascii_lowercase();
    if n.contains('\\') || crate::route53::message::valid_name(&n).is_err() {
        return None;
    }
    Some(n)
}

fn in_zone(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

fn zones(m: &mut Mapper<'_>) {
    let acct = m.acct;
    // Merge every output that names a zone: id → (zone, source, VPCs, VPCs known).
    type Merged<'a> = (&'a HostedZone, &'a Source, BTreeSet<String>, bool);
    let mut by_id: BTreeMap<String, Merged<'_>> = BTreeMap::new();
    for r in &acct.zones {
        let (z, vpcs) = &r.item;
        let e =
            by_id
                .entry(zone_id(&z.id).to_string())
                .or_insert((z, &r.src, BTreeSet::new(), false));
        if let Some(vs) = vpcs {
            e.0 = z;
            e.1 = &r.src;
            e.3 = true;
            e.2.extend(vs.iter().map(|v: &HostedZoneVpc| v.vpc_id.clone()));
        }
    }
    for (vpc, r) in &acct.zone_summaries {
        let id = zone_id(&r.item.hosted_zone_id).to_string();
        match by_id.get_mut(&id) {
            Some(e) => {
                e.2.insert(vpc.clone());
                e.3 = true;
            }
            None => m.skip(
                &id,
                format!(
                    "hosted zone {} associated with {vpc}, not described by get-hosted-zone or list-hosted-zones (export it to import it)",
                    r.item.name
                ),
                &r.src,
            ),
        }
    }
    // Record sets: the zone named in their file's path.
    let mut records: BTreeMap<String, Vec<&Rec<super::shapes::ResourceRecordSet>>> =
        BTreeMap::new();
    let mut orphan_files = BTreeSet::new();
    for (cands, r) in &acct.record_sets {
        let hits: Vec<&str> = cands
            .split('|')
            .filter(|c| by_id.contains_key(*c))
            .collect();
        match hits.as_slice() {
            [one] => records.entry(one.to_string()).or_default().push(r),
            _ => {
                if orphan_files.insert(r.src.file) {
                    let why = if hits.is_empty() {
                        format!("record sets of hosted zone {}, which no get-hosted-zone or list-hosted-zones output describes: not imported", cands.replace('|', " or "))
                    } else {
                        format!("record sets whose file names several exported zones ({}): not imported; name the file after one zone", hits.join(", "))
                    };
                    m.skip(&acct.files[r.src.file as usize], why, &r.src);
                }
            }
        }
    }
    for (id, (z, src, vpcs, vpcs_known)) in by_id {
        let private = z.config.as_ref().is_some_and(|c| c.private_zone);
        let mut notes = m.notes(src, &[]);
        let Some(name) = dns_name(&z.name) else {
            m.skip(
                &id,
                format!("hosted zone name {:?} is not a name peeremu models", z.name),
                src,
            );
            continue;
        };
        let mut written_vpcs = Vec::new();
        if private {
            for v in &vpcs {
                if m.vpc_ix.contains_key(v) {
                    written_vpcs.push(v.clone());
                    if !resolves(m, v) {
                        notes.lines.push(format!("{v} lacks enableDnsSupport or enableDnsHostnames (as exported, or not exported: describe-vpc-attribute): the zone does not resolve there, as in AWS"));
                    }
                } else {
                    notes
                        .lines
                        .push(format!("associated VPC {v} is not in the export: left out"));
                }
            }
            if written_vpcs.is_empty() {
                let why = if vpcs_known {
                    "private hosted zone associated with no VPC in the export"
                } else {
                    "private hosted zone whose VPCs the export does not show (list-hosted-zones does not print them: export get-hosted-zone or list-hosted-zones-by-vpc)"
                };
                m.skip(&id, why, src);
                continue;
            }
        }
        let mut out = Vec::new();
        for r in records.get(&id).into_iter().flatten() {
            let x = &r.item;
            let kind = x.kind.to_ascii_uppercase();
            let rname = dns_name(&x.name);
            let apex = rname.as_deref() == Some(name.as_str());
            if apex && matches!(kind.as_str(), "SOA" | "NS") {
                continue; // created with every zone; no flow goes by them
            }
            let what = format!("{} {}", x.name, kind);
            let why = if x.alias_target.is_some() {
                Some("alias record not modelled".to_string())
            } else if x.set_identifier.is_some() {
                Some("record of a routing policy (SetIdentifier) not modelled".to_string())
            } else if !matches!(kind.as_str(), "A" | "AAAA" | "CNAME") {
                Some(format!(
                    "{kind} record not modelled (A, AAAA and CNAME are)"
                ))
            } else if rname.as_deref().is_none_or(|n| !in_zone(n, &name)) {
                Some(
                    "name not modelled (wildcard, escaped characters) or outside the zone"
                        .to_string(),
                )
            } else {
                None
            };
            if let Some(w) = why {
                notes.lines.push(format!("{what}: {w}"));
                m.skip(&id, format!("{what}: {w}"), &r.src);
                continue;
            }
            let rname = rname.unwrap_or_default();
            for v in &x.resource_records {
                let value = v.value.trim().trim_end_matches('.').to_string();
                let ok = match kind.as_str() {
                    "A" => value.parse::<std::net::Ipv4Addr>().is_ok(),
                    "AAAA" => value.parse::<std::net::Ipv6Addr>().is_ok(),
                    _ => dns_name(&value).is_some(),
                };
                if !ok {
                    let w = format!("{what} value {:?} not modelled", v.value);
                    notes.lines.push(w.clone());
                    m.skip(&id, w, &r.src);
                    continue;
                }
                out.push(RecordPlan {
                    name: rname.clone(),
                    kind: kind.clone(),
                    value: if kind == "CNAME" {
                        value.to_ascii_lowercase()
                    } else {
                        value
                    },
                    ttl: x.ttl.filter(|t| (0..=2_147_483_647).contains(t)),
                });
            }
        }
        if !records.contains_key(&id) {
            notes.lines.push("no list-resource-record-sets output for this zone (a file named after it, Z….records.json): written without records".into());
        }
        m.plan.zones.push(ZonePlan {
            id,
            private,
            name,
            vpcs: written_vpcs,
            records: out,
            notes,
        });
    }
}
