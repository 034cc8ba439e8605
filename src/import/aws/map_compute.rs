//! Instances (running or pending) with their network interfaces, public and
//! Elastic IPs; the other ENIs of `describe-network-interfaces` are reported.

use super::error::ImportError;
use super::map::Mapper;
use super::plan::*;
use super::shapes::{name_tag, InstanceStateName};
use std::collections::HashMap;
use std::net::IpAddr;

pub fn instances(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    // Elastic IPs by ENI (describe-addresses), for ENIs whose JSON lacks them.
    let eip: HashMap<&str, &str> = acct
        .addresses
        .iter()
        .filter_map(|a| {
            Some((
                a.item.network_interface_id.as_deref()?,
                a.item.public_ip.as_str(),
            ))
        })
        .collect();
    // Name tags usable as instance names: unique, printable, not an id, not an address.
    let mut name_count: HashMap<&str, usize> = HashMap::new();
    for r in &acct.instances {
        if let Some(n) = name_tag(&r.item.tags) {
            *name_count.entry(n).or_default() += 1;
        }
    }
    let subnet_vpc: HashMap<&str, &str> = acct
        .subnets
        .iter()
        .map(|s| (s.item.subnet_id.as_str(), s.item.vpc_id.as_str()))
        .collect();
    for r in &acct.instances {
        let i = &r.item;
        let id = &i.instance_id;
        if !matches!(
            i.state.name,
            InstanceStateName::Running | InstanceStateName::Pending
        ) {
            m.skip(
                id,
                format!("instance {:?}: it answers nothing", i.state.name).to_lowercase(),
                &r.src,
            );
            continue;
        }
        let mut notes = m.notes(&r.src, &i.tags);
        let name = name_tag(&i.tags).and_then(|n| {
            let why = if name_count.get(n).copied().unwrap_or(0) > 1 {
                Some("another instance has the same Name tag")
            } else if n.is_empty() || n.trim() != n || n.chars().any(char::is_control) {
                Some("empty, padded or not printable")
            } else if acct.ids.contains_key(n) || n == "internet" {
                Some("it is also an object's id or a host's name")
            } else if n.parse::<IpAddr>().is_ok() {
                Some("it is an IP address")
            } else {
                None
            };
            match why {
                None => Some(n.to_string()),
                Some(w) => {
                    notes.lines.push(format!(
                        "Name tag {n:?} not used as the instance's name: {w}"
                    ));
                    None
                }
            }
        });
        if i.network_interfaces.is_empty() {
            m.skip(
                id,
                "instance without network interfaces in the JSON",
                &r.src,
            );
            continue;
        }
        let mut enis: Vec<(i64, usize)> = i
            .network_interfaces
            .iter()
            .enumerate()
            .map(|(k, e)| {
                (
                    e.attachment
                        .as_ref()
                        .and_then(|a| a.device_index)
                        .unwrap_or(k as i64),
                    k,
                )
            })
            .collect();
        enis.sort();
        let mut out = Vec::new();
        let mut vpc = None;
        for (_, k) in enis {
            let e = &i.network_interfaces[k];
            let at = format!("NetworkInterfaces[{k}]");
            let Some(sv) = subnet_vpc.get(e.subnet_id.as_str()) else {
                return Err(m.err(
                    &r.src,
                    &format!("{at}.SubnetId"),
                    format!("references subnet `{}`, which no file defines", e.subnet_id),
                ));
            };
            vpc.get_or_insert(sv.to_string());
            for (g, grp) in e.groups.iter().enumerate() {
                if !m.sg_vpc.contains_key(grp.group_id.as_str()) {
                    return Err(m.err(
                        &r.src,
                        &format!("{at}.Groups[{g}].GroupId"),
                        format!(
                            "references security group `{}`, which no file defines",
                            grp.group_id
                        ),
                    ));
                }
            }
            let extra = e.private_ip_addresses.iter().filter(|p| !p.primary).count();
            if extra > 0 {
                notes.lines.push(format!(
                    "{}: {extra} secondary private IPs not modelled",
                    e.network_interface_id
                ));
                m.skip(
                    &e.network_interface_id,
                    format!("{extra} secondary private IPs not modelled"),
                    &r.src,
                );
            }
            if e.ipv6_addresses.len() > 1 {
                notes.lines.push(format!(
                    "{}: only the first IPv6 address is modelled",
                    e.network_interface_id
                ));
            }
            let public_ip = e
                .association
                .as_ref()
                .and_then(|a| a.public_ip.clone())
                .or_else(|| {
                    e.private_ip_addresses
                        .iter()
                        .find(|p| p.primary)
                        .and_then(|p| p.association.as_ref()?.public_ip.clone())
                })
                .or_else(|| {
                    eip.get(e.network_interface_id.as_str())
                        .map(|s| s.to_string())
                });
            m.enis
                .insert(e.network_interface_id.clone(), sv.to_string());
            out.push(EniPlan {
                id: e.network_interface_id.clone(),
                subnet: e.subnet_id.clone(),
                private_ip: e.private_ip_address.clone(),
                ipv6: e.ipv6_addresses.first().map(|a| a.ipv6_address.clone()),
                public_ip,
                security_groups: e.groups.iter().map(|g| g.group_id.clone()).collect(),
                source_dest_check: e.source_dest_check.unwrap_or(true),
            });
        }
        let Some(vpc) = vpc else { continue };
        let vi = m.vpc_of(&vpc, &r.src, "NetworkInterfaces[0].VpcId")?;
        m.plan.vpcs[vi].instances.push(InstancePlan {
            id: id.clone(),
            name,
            forward: None,
            enis: out,
            notes,
        });
    }
    Ok(())
}

/// ENIs of `describe-network-interfaces` that are not an imported instance's:
/// NAT gateways' (imported as the gateway), endpoints', load balancers', …
pub fn other_enis(m: &mut Mapper<'_>) {
    let acct = m.acct;
    for r in &acct.enis {
        let e = &r.item;
        if m.enis.contains_key(&e.network_interface_id)
            || m.managed_enis.contains(&e.network_interface_id)
        {
            continue;
        }
        let kind = e.interface_type.as_deref().unwrap_or("interface");
        if kind == "nat_gateway" {
            continue; // imported as its NAT gateway
        }
        let owner = match (&e.attachment, &e.description) {
            (Some(a), _) if a.instance_id.is_some() => format!(
                "attached to {} (not imported)",
                a.instance_id.as_deref().unwrap_or("")
            ),
            (_, Some(d)) if !d.is_empty() => format!("{kind}: {d}"),
            _ => kind.to_string(),
        };
        m.skip(
            &e.network_interface_id,
            format!("network interface not on an imported instance ({owner})"),
            &r.src,
        );
    }
}

/// Instances that forward: an ENI with `SourceDestCheck: false` that a VPC route
/// targets is there to pass traffic on (a firewall, a NAT instance). Whether
/// and how the instance forwards is its operating system's setting
/// (`ip_forward`, iptables), which no AWS API describes, so the importer writes
/// `forward = "router"` (AWS's "appliance" pattern) and reports it, saying how
/// to make it a NAT instance. A route target with its check on is left as it
/// is: AWS drops there (`SOURCE_DEST_CHECK`), and so does peeremu.
pub fn forwarders(m: &mut Mapper<'_>) {
    use std::collections::BTreeMap;
    // ENI → the route tables whose routes target it.
    let mut targeted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for v in &m.plan.vpcs {
        for t in &v.route_tables {
            for r in &t.routes {
                let e = targeted.entry(r.target.clone()).or_default();
                if !e.contains(&t.id) {
                    e.push(t.id.clone());
                }
            }
        }
    }
    let mut reports = Vec::new();
    for v in &mut m.plan.vpcs {
        for i in &mut v.instances {
            let hit: Vec<(&EniPlan, &Vec<String>)> = i
                .enis
                .iter()
                .filter(|e| !e.source_dest_check)
                .filter_map(|e| Some((e, targeted.get(&e.id)?)))
                .collect();
            let Some((eni, tables)) = hit.first() else {
                continue;
            };
            let why = format!(
                "written forward = \"router\": {} has SourceDestCheck false and is the target of routes in {}; AWS does not describe what the instance's OS does with the traffic (ip_forward, iptables): if it is a NAT instance, set forward = \"nat\" on this [[instance]]",
                eni.id,
                tables.join(", ")
            );
            i.forward = Some("router");
            i.notes.lines.push(why.clone());
            reports.push((i.id.clone(), why, i.notes.source.clone()));
        }
    }
    for (id, why, source) in reports {
        m.plan.skipped.push(Skip { id, why, source });
    }
}
