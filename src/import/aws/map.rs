//! [`Account`] → [`Plan`]: AWS objects to topology objects. What AWS created
//! implicitly is taken from the JSON (main route table association, default
//! NACL and group, local routes, endpoint routes), not invented; what peeremu
//! does not model is listed in `Plan::skipped` with the reason.

use super::collect::{Account, Rec, Source};
use super::error::ImportError;
use super::plan::*;
use super::shapes::{self, name_tag, BlockStateCode, PeeringCode, PeeringVpcInfo};
use ipnet::IpNet;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Import options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Region of VPCs whose files are not in a region folder and that have no subnet.
    pub region: Option<String>,
    /// On-premises prefixes of Direct Connect connections, which no AWS output
    /// describes: (connection or virtual interface id, CIDR), from
    /// `--onprem-cidr ID=CIDR`.
    pub onprem_cidrs: Vec<(String, String)>,
}

/// The mapper's state: lookups built once, and the plan being filled.
pub struct Mapper<'a> {
    pub acct: &'a Account,
    pub plan: Plan,
    /// VPC id → index in `plan.vpcs`.
    pub vpc_ix: HashMap<String, usize>,
    /// VPC id → its IPv4 and IPv6 blocks (the local routes).
    pub blocks: HashMap<String, Vec<IpNet>>,
    /// Security group id → VPC id.
    pub sg_vpc: HashMap<&'a str, &'a str>,
    /// Peering id → (requester, accepter, status as written), for imported peerings.
    pub peerings: HashMap<String, (String, String, &'static str)>,
    /// Active peerings as (requester, accepter), for security group references.
    pub active: HashSet<(String, String)>,
    /// ENI ids imported (on running instances) → VPC id.
    pub enis: HashMap<String, String>,
    /// Imported NAT gateways, internet and VPN gateways → their VPC.
    pub nats: HashSet<String>,
    pub igw_vpc: HashMap<&'a str, &'a str>,
    pub vgw_vpc: HashMap<&'a str, &'a str>,
    /// Prefix lists written (with their entries).
    pub prefix_lists: HashSet<String>,
    /// Gateway endpoint → route tables its routes were found in.
    pub endpoint_tables: HashMap<String, BTreeSet<String>>,
    /// Gateway endpoint → the prefix list of its routes.
    pub endpoint_pl: HashMap<String, String>,
    /// VGW → on-premises CIDRs (VPN static routes, propagated routes).
    pub vgw_cidrs: HashMap<String, BTreeSet<String>>,
    /// Imported transit gateways → index in `plan.tgws`.
    pub tgw_ix: HashMap<String, usize>,
    /// Imported TGW attachments.
    pub tgw_atts: HashMap<String, super::map_transit::AttInfo>,
    /// TGW → the VPCs with an imported attachment to it.
    pub tgw_vpcs: HashMap<String, HashSet<String>>,
    /// VPN connections imported as TGW VPN attachments.
    pub tgw_vpn_connections: HashSet<String>,
    /// TGWs whose default association and propagation tables differ.
    pub split_default: HashSet<String>,
    /// Network interfaces imported as NLB nodes or interface endpoints.
    pub managed_enis: HashSet<String>,
}

impl<'a> Mapper<'a> {
    pub fn err(&self, src: &Source, field: &str, msg: impl Into<String>) -> ImportError {
        let path = if field.is_empty() {
            src.path.clone()
        } else {
            format!("{}.{field}", src.path)
        };
        ImportError::at(&self.acct.files[src.file as usize], &path, msg)
    }

    pub fn notes(&self, src: &Source, tags: &[shapes::Tag]) -> Notes {
        Notes {
            source: self.acct.show(src),
            name_tag: name_tag(tags).map(str::to_string),
            lines: Vec::new(),
        }
    }

    pub fn skip(&mut self, id: &str, why: impl Into<String>, src: &Source) {
        self.plan.skipped.push(Skip {
            id: id.to_string(),
            why: why.into(),
            source: self.acct.show(src),
        });
    }

    /// Skip `id` when its `state` is given and is not `available` (the state in
    /// which AWS's resources carry traffic): "`what` `state`: carries no
    /// traffic". Returns whether it was skipped.
    pub fn skip_unavailable(
        &mut self,
        id: &str,
        what: &str,
        state: Option<&str>,
        src: &Source,
    ) -> bool {
        match state.filter(|s| *s != "available") {
            Some(st) => {
                self.skip(id, format!("{what} {st}: carries no traffic"), src);
                true
            }
            None => false,
        }
    }

    /// Check that `s` is a CIDR (IPv4 or IPv6), naming the JSON path if not.
    pub fn cidr(&self, s: &str, src: &Source, field: &str) -> Result<IpNet, ImportError> {
        s.trim()
            .parse::<IpNet>()
            .map_err(|_| self.err(src, field, format!("`{s}` is not a CIDR block")))
    }

    /// The plan of VPC `id`, or an error at `src.field` naming the missing VPC.
    pub fn vpc_of(&self, id: &str, src: &Source, field: &str) -> Result<usize, ImportError> {
        self.vpc_ix.get(id).copied().ok_or_else(|| {
            self.err(
                src,
                field,
                format!("references VPC `{id}`, which no file defines (export describe-vpcs too)"),
            )
        })
    }
}

/// Map the whole account.
pub fn map(acct: &Account, opts: &Options) -> Result<Plan, ImportError> {
    let mut m = Mapper {
        acct,
        plan: Plan::default(),
        vpc_ix: HashMap::new(),
        blocks: HashMap::new(),
        sg_vpc: acct
            .sgs
            .iter()
            .map(|s| (s.item.group_id.as_str(), s.item.vpc_id.as_str()))
            .collect(),
        peerings: HashMap::new(),
        active: HashSet::new(),
        enis: HashMap::new(),
        nats: HashSet::new(),
        igw_vpc: HashMap::new(),
        vgw_vpc: HashMap::new(),
        prefix_lists: HashSet::new(),
        endpoint_tables: HashMap::new(),
        endpoint_pl: HashMap::new(),
        vgw_cidrs: HashMap::new(),
        tgw_ix: HashMap::new(),
        tgw_atts: HashMap::new(),
        tgw_vpcs: HashMap::new(),
        tgw_vpn_connections: HashSet::new(),
        split_default: HashSet::new(),
        managed_enis: HashSet::new(),
    };
    vpcs(&mut m, opts)?;
    peerings(&mut m)?;
    prefix_lists(&mut m);
    subnets(&mut m)?;
    super::map_gateways::gateways(&mut m)?;
    super::map_compute::instances(&mut m)?;
    super::map_transit::transit_gateways(&mut m, opts.region.as_deref())?;
    super::map_routes::route_tables(&mut m)?;
    super::map_compute::forwarders(&mut m);
    super::map_rules::nacls(&mut m)?;
    super::map_rules::security_groups(&mut m)?;
    super::map_gateways::vpn_gateways(&mut m)?;
    super::map_gateways::endpoints(&mut m)?;
    super::map_dns::dns(&mut m)?;
    super::map_privatelink::privatelink(&mut m)?;
    super::map_direct_connect::direct_connect(&mut m, opts)?;
    for (id, why, src) in &acct.unmodelled {
        m.skip(id, *why, src);
    }
    super::map_compute::other_enis(&mut m);
    quotas(&mut m);
    m.plan.imported = count(&m.plan);
    Ok(m.plan)
}

fn count(p: &Plan) -> usize {
    p.prefix_lists.len()
        + p.peerings.len()
        + p.tgws.len()
        + p.tgw_attachments.len()
        + p.tgw_route_tables.len()
        + p.zones.len()
        + p.load_balancers.len()
        + p.endpoint_services.len()
        + p.interface_endpoints.len()
        + p.direct_connects.len()
        + p.dx_gateways.len()
        + p.vpcs
            .iter()
            .map(|v| {
                1 + v.subnets.len()
                    + v.route_tables.len()
                    + v.nacls.len()
                    + v.sgs.len()
                    + v.igws.len()
                    + v.nats.len()
                    + v.vgws.len()
                    + v.endpoints.len()
                    + v.instances.len()
            })
            .sum::<usize>()
}

/// The region of an AZ name (`us-east-1a` → `us-east-1`).
fn az_region(az: &str) -> &str {
    az.trim_end_matches(|c: char| c.is_ascii_lowercase())
}

fn vpcs(m: &mut Mapper<'_>, opts: &Options) -> Result<(), ImportError> {
    let mut subnet_region: HashMap<&str, &str> = HashMap::new();
    for s in &m.acct.subnets {
        subnet_region
            .entry(s.item.vpc_id.as_str())
            .or_insert(az_region(&s.item.availability_zone));
    }
    for r in &m.acct.vpcs {
        let v = &r.item;
        let region = r
            .region
            .clone()
            .or_else(|| subnet_region.get(v.vpc_id.as_str()).map(|s| s.to_string()))
            .or_else(|| opts.region.clone())
            .ok_or_else(|| m.err(&r.src, "", format!("cannot tell the region of {}: put its files in a folder named after the region (aws_configs/<account>/<region>/) or pass --region", v.vpc_id)))?;
        let mut notes = m.notes(&r.src, &v.tags);
        let primary = m.cidr(&v.cidr_block, &r.src, "CidrBlock")?;
        let mut blocks = vec![primary];
        let mut secondary = Vec::new();
        for (i, a) in v.cidr_block_association_set.iter().enumerate() {
            let field = format!("CidrBlockAssociationSet[{i}].CidrBlock");
            let n = m.cidr(&a.cidr_block, &r.src, &field)?;
            if n == primary {
                continue;
            }
            let state = a.cidr_block_state.as_ref().map(|s| s.state);
            if matches!(state, None | Some(BlockStateCode::Associated)) {
                blocks.push(n);
                secondary.push(a.cidr_block.clone());
            } else {
                notes.lines.push(format!(
                    "block {} left out: {:?}, not associated",
                    a.cidr_block, state
                ));
            }
        }
        let mut ipv6 = None;
        for (i, a) in v.ipv6_cidr_block_association_set.iter().enumerate() {
            let field = format!("Ipv6CidrBlockAssociationSet[{i}].Ipv6CidrBlock");
            let n = m.cidr(&a.ipv6_cidr_block, &r.src, &field)?;
            let state = a.ipv6_cidr_block_state.as_ref().map(|s| s.state);
            if !matches!(state, None | Some(BlockStateCode::Associated)) {
                continue;
            }
            if ipv6.is_none() {
                ipv6 = Some(a.ipv6_cidr_block.clone());
                blocks.push(n);
            } else {
                notes.lines.push(format!(
                    "IPv6 block {} left out: peeremu models one IPv6 block per VPC",
                    a.ipv6_cidr_block
                ));
                m.skip(
                    &v.vpc_id,
                    format!("second IPv6 block {} not modelled", a.ipv6_cidr_block),
                    &r.src,
                );
            }
        }
        m.vpc_ix.insert(v.vpc_id.clone(), m.plan.vpcs.len());
        m.blocks.insert(v.vpc_id.clone(), blocks);
        m.plan.vpcs.push(VpcPlan {
            id: v.vpc_id.clone(),
            region,
            cidr: v.cidr_block.clone(),
            secondary,
            ipv6,
            notes,
            ..VpcPlan::default()
        });
    }
    Ok(())
}

/// A VPC of another account (or not exported), known from a peering's side.
/// `false` when the JSON does not say enough about it (AWS prints the CIDR
/// blocks only for active peerings).
fn stub_vpc(
    m: &mut Mapper<'_>,
    info: &PeeringVpcInfo,
    r: &Rec<shapes::VpcPeeringConnection>,
    side: &str,
) -> Result<bool, ImportError> {
    let pcx = &r.item.vpc_peering_connection_id;
    let field = format!("{side}.CidrBlock");
    let cidr = info
        .cidr_block
        .clone()
        .or_else(|| info.cidr_block_set.first().map(|c| c.cidr_block.clone()));
    let (Some(cidr), Some(region)) = (cidr, info.region.clone()) else {
        return Ok(false);
    };
    let primary = m.cidr(&cidr, &r.src, &field)?;
    let mut blocks = vec![primary];
    let mut secondary = Vec::new();
    for c in &info.cidr_block_set {
        let n = m.cidr(&c.cidr_block, &r.src, &format!("{side}.CidrBlockSet"))?;
        if n != primary {
            blocks.push(n);
            secondary.push(c.cidr_block.clone());
        }
    }
    let ipv6 = info
        .ipv6_cidr_block_set
        .first()
        .map(|c| c.ipv6_cidr_block.clone());
    if let Some(v6) = &ipv6 {
        blocks.push(m.cidr(v6, &r.src, &format!("{side}.Ipv6CidrBlockSet"))?);
    }
    let mut notes = m.notes(&r.src, &[]);
    notes.lines.push(format!(
        "known only from peering {pcx} ({side}, account {}): no subnets or instances in the export",
        info.owner_id.as_deref().unwrap_or("?")
    ));
    m.vpc_ix.insert(info.vpc_id.clone(), m.plan.vpcs.len());
    m.blocks.insert(info.vpc_id.clone(), blocks);
    m.plan.vpcs.push(VpcPlan {
        id: info.vpc_id.clone(),
        region,
        cidr,
        secondary,
        ipv6,
        notes,
        ..VpcPlan::default()
    });
    Ok(true)
}

fn peerings(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.peerings {
        let p = &r.item;
        let (status, why) = match p.status.code {
            PeeringCode::Active => ("active", None),
            PeeringCode::PendingAcceptance => ("pending-acceptance", None),
            PeeringCode::InitiatingRequest => ("pending-acceptance", Some("initiating-request: not yet carrying traffic, written as pending-acceptance")),
            PeeringCode::Provisioning => ("pending-acceptance", Some("provisioning: accepted but not yet carrying traffic, written as pending-acceptance")),
            PeeringCode::Deleted => ("deleted", None),
            PeeringCode::Deleting => ("deleted", Some("deleting: carries no traffic, written as deleted")),
            PeeringCode::Rejected => ("rejected", None),
            PeeringCode::Failed => ("failed", None),
            PeeringCode::Expired => ("expired", None),
        };
        let live = matches!(status, "active" | "pending-acceptance");
        let sides = [
            ("RequesterVpcInfo", &p.requester_vpc_info),
            ("AccepterVpcInfo", &p.accepter_vpc_info),
        ];
        let missing: Vec<&str> = sides
            .iter()
            .filter(|(_, i)| !m.vpc_ix.contains_key(&i.vpc_id))
            .map(|(_, i)| i.vpc_id.as_str())
            .collect();
        if !missing.is_empty() && !live {
            let id = p.vpc_peering_connection_id.clone();
            m.skip(
                &id,
                format!(
                    "{status} peering with {} which is not in the export",
                    missing.join(", ")
                ),
                &r.src,
            );
            continue;
        }
        let mut known = true;
        for (side, info) in sides {
            if !m.vpc_ix.contains_key(&info.vpc_id) && !stub_vpc(m, info, r, side)? {
                known = false;
            }
        }
        if !known {
            let id = p.vpc_peering_connection_id.clone();
            m.skip(&id, format!("{status} peering with {}, which is not in the export and whose CIDR blocks and region the peering does not print", missing.join(", ")), &r.src);
            continue;
        }
        let mut notes = m.notes(&r.src, &p.tags);
        if let Some(w) = why {
            notes.lines.push(format!("Status.Code {w}"));
        }
        if let Some(msg) = &p.status.message {
            notes.lines.push(format!("Status.Message: {msg}"));
        }
        if status == "active" {
            m.active.insert((
                p.requester_vpc_info.vpc_id.clone(),
                p.accepter_vpc_info.vpc_id.clone(),
            ));
        }
        m.peerings.insert(
            p.vpc_peering_connection_id.clone(),
            (
                p.requester_vpc_info.vpc_id.clone(),
                p.accepter_vpc_info.vpc_id.clone(),
                status,
            ),
        );
        m.plan.peerings.push(PeeringPlan {
            id: p.vpc_peering_connection_id.clone(),
            requester: p.requester_vpc_info.vpc_id.clone(),
            accepter: p.accepter_vpc_info.vpc_id.clone(),
            status,
            requester_dns: false,
            accepter_dns: false,
            notes,
        });
    }
    Ok(())
}

fn prefix_lists(m: &mut Mapper<'_>) {
    let acct = m.acct;
    for r in &acct.prefix_lists {
        let p = &r.item;
        match &p.cidrs {
            Some(cidrs) => {
                m.prefix_lists.insert(p.prefix_list_id.clone());
                m.plan.prefix_lists.push(PrefixListPlan {
                    id: p.prefix_list_id.clone(),
                    name: p.prefix_list_name.clone(),
                    cidrs: cidrs.clone(),
                    notes: m.notes(&r.src, &p.tags),
                });
            }
            None => m.skip(
                &p.prefix_list_id,
                "managed prefix list without entries (describe-managed-prefix-lists does not print them; add them with get-managed-prefix-list-entries as `Cidrs`)",
                &r.src,
            ),
        }
    }
}

fn subnets(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    // Explicit associations, then each VPC's main table and default NACL.
    let mut rtb_of: HashMap<&str, &str> = HashMap::new();
    for t in &acct.route_tables {
        for a in &t.item.associations {
            if let Some(s) = &a.subnet_id {
                rtb_of.insert(s, &t.item.route_table_id);
            }
        }
    }
    let mut nacl_of: HashMap<&str, &str> = HashMap::new();
    let mut default_nacl: HashMap<&str, &str> = HashMap::new();
    for n in &acct.nacls {
        for a in &n.item.associations {
            nacl_of.insert(&a.subnet_id, &n.item.network_acl_id);
        }
        if n.item.is_default {
            default_nacl.insert(&n.item.vpc_id, &n.item.network_acl_id);
        }
    }
    for r in &acct.subnets {
        let s = &r.item;
        let vi = m.vpc_of(&s.vpc_id, &r.src, "VpcId")?;
        m.cidr(&s.cidr_block, &r.src, "CidrBlock")?;
        let mut notes = m.notes(&r.src, &s.tags);
        let ipv6 = s
            .ipv6_cidr_block_association_set
            .iter()
            .find(|a| {
                matches!(
                    a.ipv6_cidr_block_state.as_ref().map(|x| x.state),
                    None | Some(BlockStateCode::Associated)
                )
            })
            .map(|a| a.ipv6_cidr_block.clone());
        let route_table = rtb_of.get(s.subnet_id.as_str()).map(|t| t.to_string());
        if route_table.is_none() {
            notes.lines.push(
                "no explicit route table association: uses the VPC's main route table".into(),
            );
        }
        let nacl = nacl_of
            .get(s.subnet_id.as_str())
            .or_else(|| default_nacl.get(s.vpc_id.as_str()))
            .map(|n| n.to_string());
        m.plan.vpcs[vi].subnets.push(SubnetPlan {
            id: s.subnet_id.clone(),
            az: s.availability_zone.clone(),
            cidr: s.cidr_block.clone(),
            ipv6,
            route_table,
            nacl,
            notes,
        });
    }
    Ok(())
}

/// Raise `[quotas]` to what the account uses, where it uses more than AWS's defaults.
fn quotas(m: &mut Mapper<'_>) {
    let d = crate::model::Quotas::default();
    let p = &m.plan;
    let max = |it: &mut dyn Iterator<Item = usize>| it.max().unwrap_or(0) as u32;
    let routes = max(
        &mut p.vpcs.iter().flat_map(|v| v.route_tables.iter()).map(|t| {
            t.routes.len()
                + p.vpcs
                    .iter()
                    .flat_map(|v| v.endpoints.iter())
                    .filter(|e| e.route_tables.contains(&t.id))
                    .count()
        }),
    );
    let nacl = max(&mut p
        .vpcs
        .iter()
        .flat_map(|v| v.nacls.iter())
        .map(|n| n.inbound.len().max(n.outbound.len())));
    let sg = max(&mut p
        .vpcs
        .iter()
        .flat_map(|v| v.sgs.iter())
        .map(|s| s.ingress.len().max(s.egress.len())));
    let sgs = max(&mut p
        .vpcs
        .iter()
        .flat_map(|v| v.instances.iter())
        .flat_map(|i| i.enis.iter())
        .map(|e| e.security_groups.len()));
    let secondary = max(&mut p.vpcs.iter().map(|v| v.secondary.len()));
    let mut active: HashMap<&str, usize> = HashMap::new();
    let mut pending: HashMap<&str, usize> = HashMap::new();
    for x in &p.peerings {
        let counter = match x.status {
            "active" => &mut active,
            "pending-acceptance" => &mut pending,
            _ => continue,
        };
        *counter.entry(&x.requester).or_default() += 1;
        *counter.entry(&x.accepter).or_default() += 1;
    }
    let act = max(&mut active.values().copied());
    let pend = max(&mut pending.values().copied());
    let mut q = Vec::new();
    let mut raise = |key: &'static str, used: u32, default: u32, what: &str| {
        if used > default {
            q.push((
                key,
                used,
                format!("AWS default {default}; the account has {used} {what}"),
            ));
        }
    };
    raise(
        "active_peerings_per_vpc",
        act,
        d.active_peerings_per_vpc,
        "active peerings on one VPC",
    );
    raise(
        "pending_peerings_per_vpc",
        pend,
        d.pending_peerings_per_vpc,
        "pending peerings on one VPC",
    );
    // The topology's quota counts gateway-endpoint routes as well (AWS counts them too).
    raise(
        "routes_per_table",
        routes,
        d.routes_per_table,
        "non-local routes in one table",
    );
    raise(
        "nacl_rules_per_direction",
        nacl,
        d.nacl_rules_per_direction,
        "rules in one direction of a network ACL",
    );
    raise(
        "sg_rules_per_direction",
        sg,
        d.sg_rules_per_direction,
        "rules in one direction of a security group",
    );
    raise(
        "sgs_per_eni",
        sgs,
        d.sgs_per_eni,
        "security groups on one network interface",
    );
    raise(
        "secondary_cidrs_per_vpc",
        secondary,
        d.secondary_cidrs_per_vpc,
        "secondary blocks on one VPC",
    );
    tgw_quotas(p, &d, &mut raise);
    m.plan.quotas = q;
}

/// The transit gateway quotas peeremu checks, raised to what the account uses.
fn tgw_quotas(
    p: &Plan,
    d: &crate::model::Quotas,
    raise: &mut dyn FnMut(&'static str, u32, u32, &str),
) {
    let per_tgw =
        |f: &dyn Fn(&str) -> usize| p.tgws.iter().map(|g| f(&g.id)).max().unwrap_or(0) as u32;
    let tables = per_tgw(&|g| p.tgw_route_tables.iter().filter(|t| t.tgw == g).count());
    let peerings = per_tgw(&|g| {
        p.tgw_attachments
            .iter()
            .filter(|a| a.kind == "peering" && (a.tgw == g || a.peer_tgw.as_deref() == Some(g)))
            .count()
    });
    // Static routes plus, per propagation, the blocks the attachment propagates.
    let blocks = |att: &str| {
        p.tgw_attachments
            .iter()
            .find(|a| a.id == att)
            .map_or(0, |a| {
                a.onprem_cidrs.len()
                    + a.vpc.as_ref().map_or(0, |v| {
                        p.vpcs
                            .iter()
                            .find(|x| &x.id == v)
                            .map_or(0, |x| 1 + x.secondary.len() + usize::from(x.ipv6.is_some()))
                    })
            })
    };
    let routes = per_tgw(&|g| {
        p.tgw_route_tables
            .iter()
            .filter(|t| t.tgw == g)
            .map(|t| t.routes.len() + t.propagations.iter().map(|a| blocks(a)).sum::<usize>())
            .sum()
    });
    let mut vpc_tgws: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for a in &p.tgw_attachments {
        if let Some(v) = &a.vpc {
            vpc_tgws.entry(v).or_default().insert(&a.tgw);
        }
    }
    let tgws = vpc_tgws.values().map(BTreeSet::len).max().unwrap_or(0) as u32;
    raise(
        "route_tables_per_tgw",
        tables,
        d.route_tables_per_tgw,
        "route tables on one transit gateway",
    );
    raise(
        "peering_attachments_per_tgw",
        peerings,
        d.peering_attachments_per_tgw,
        "peering attachments on one transit gateway",
    );
    raise(
        "routes_per_tgw",
        routes,
        d.routes_per_tgw,
        "routes (static and propagated) on one transit gateway",
    );
    raise(
        "tgws_per_vpc",
        tgws,
        d.tgws_per_vpc,
        "transit gateways attached to one VPC",
    );
}
