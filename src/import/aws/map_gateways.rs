//! Internet, egress-only, NAT and VPN gateways, and VPC endpoints.

use super::error::ImportError;
use super::map::Mapper;
use super::plan::*;
use super::shapes::{EndpointType, NatState};

/// Internet gateways and NAT gateways (needed before routes are mapped).
pub fn gateways(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.igws {
        let g = &r.item;
        let attached: Vec<&str> = g
            .attachments
            .iter()
            .filter(|a| a.state.is_attached())
            .map(|a| a.vpc_id.as_str())
            .collect();
        let notes = m.notes(&r.src, &g.tags);
        match attached.first() {
            Some(v) => {
                let vi = m.vpc_of(v, &r.src, "Attachments[0].VpcId")?;
                m.igw_vpc.insert(&g.internet_gateway_id, v);
                m.plan.vpcs[vi].igws.push(IgwPlan {
                    id: g.internet_gateway_id.clone(),
                    egress_only: false,
                    vpc: Some(v.to_string()),
                    notes,
                });
            }
            None => m.skip(
                &g.internet_gateway_id,
                "internet gateway not attached to a VPC (carries no traffic)",
                &r.src,
            ),
        }
    }
    for r in &acct.eigws {
        let g = &r.item;
        let attached = g.attachments.iter().find(|a| a.state.is_attached());
        let notes = m.notes(&r.src, &g.tags);
        match attached {
            Some(a) => {
                let v = a.vpc_id.as_str();
                let vi = m.vpc_of(v, &r.src, "Attachments[0].VpcId")?;
                // Routes to it resolve like routes to an internet gateway.
                m.igw_vpc.insert(&g.egress_only_internet_gateway_id, v);
                m.plan.vpcs[vi].igws.push(IgwPlan {
                    id: g.egress_only_internet_gateway_id.clone(),
                    egress_only: true,
                    vpc: Some(v.to_string()),
                    notes,
                });
            }
            None => m.skip(
                &g.egress_only_internet_gateway_id,
                "egress-only internet gateway not attached to a VPC (carries no traffic)",
                &r.src,
            ),
        }
    }
    for r in &acct.nats {
        let n = &r.item;
        let id = &n.nat_gateway_id;
        if n.state != NatState::Available && n.state != NatState::Pending {
            m.skip(
                id,
                format!(
                    "NAT gateway {:?}: carries no traffic (routes to it are blackhole)",
                    n.state
                )
                .to_lowercase(),
                &r.src,
            );
            continue;
        }
        if n.connectivity_type.as_deref() == Some("private") {
            m.skip(
                id,
                "private NAT gateways are not modelled (routes to it are written as blackhole)",
                &r.src,
            );
            continue;
        }
        let addr = n.nat_gateway_addresses.iter().find(|a| {
            a.is_primary != Some(false) && a.public_ip.is_some() && a.private_ip.is_some()
        });
        let Some(addr) = addr else {
            m.skip(
                id,
                "NAT gateway without a public and private address in NatGatewayAddresses",
                &r.src,
            );
            continue;
        };
        let vi = m.vpc_of(&n.vpc_id, &r.src, "VpcId")?;
        if !acct.subnets.iter().any(|s| s.item.subnet_id == n.subnet_id) {
            return Err(m.err(
                &r.src,
                "SubnetId",
                format!("references subnet `{}`, which no file defines", n.subnet_id),
            ));
        }
        let mut notes = m.notes(&r.src, &n.tags);
        if n.nat_gateway_addresses.len() > 1 {
            notes.lines.push(
                "secondary addresses not modelled: the primary address translates every flow"
                    .into(),
            );
        }
        m.nats.insert(id.clone());
        m.plan.vpcs[vi].nats.push(NatPlan {
            id: id.clone(),
            subnet: n.subnet_id.clone(),
            private_ip: addr.private_ip.clone().unwrap_or_default(),
            elastic_ip: addr.public_ip.clone().unwrap_or_default(),
            notes,
        });
    }
    for r in &acct.vgws {
        let g = &r.item;
        if matches!(g.state.as_deref(), Some("deleted" | "deleting")) {
            continue;
        }
        if let Some(a) = g.vpc_attachments.iter().find(|a| a.state.is_attached()) {
            m.vgw_vpc.insert(&g.vpn_gateway_id, &a.vpc_id);
        }
    }
    Ok(())
}

/// VPN gateways, with the on-premises CIDRs of their VPN connections' static
/// routes and of the routes they propagate (found while mapping routes).
pub fn vpn_gateways(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.vpns {
        let v = &r.item;
        if let Some(g) = &v.vpn_gateway_id {
            for rt in &v.routes {
                if rt.state.as_deref().is_none_or(|s| s == "available") {
                    m.vgw_cidrs
                        .entry(g.clone())
                        .or_default()
                        .insert(rt.destination_cidr_block.clone());
                }
            }
        } else if let Some(t) = &v.transit_gateway_id {
            if !m.tgw_vpn_connections.contains(&v.vpn_connection_id) {
                m.skip(
                    &v.vpn_connection_id,
                    format!("VPN connection to transit gateway {t} without an imported VPN attachment (export describe-transit-gateway-attachments; see its attachment above)"),
                    &r.src,
                );
            }
        }
    }
    for r in &acct.vgws {
        let g = &r.item;
        if matches!(g.state.as_deref(), Some("deleted" | "deleting")) {
            m.skip(&g.vpn_gateway_id, "VPN gateway deleted", &r.src);
            continue;
        }
        let mut notes = m.notes(&r.src, &g.tags);
        let vpns: Vec<&str> = acct
            .vpns
            .iter()
            .filter(|v| v.item.vpn_gateway_id.as_deref() == Some(g.vpn_gateway_id.as_str()))
            .map(|v| v.item.vpn_connection_id.as_str())
            .collect();
        if !vpns.is_empty() {
            notes.lines.push(format!(
                "VPN connections {}: their routes are the on-premises CIDRs",
                vpns.join(", ")
            ));
        }
        let cidrs: Vec<String> = m
            .vgw_cidrs
            .get(&g.vpn_gateway_id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        let vpc = m
            .vgw_vpc
            .get(g.vpn_gateway_id.as_str())
            .map(|v| v.to_string());
        let vi = match &vpc {
            Some(v) => m.vpc_of(v, &r.src, "VpcAttachments[0].VpcId")?,
            None => {
                m.skip(
                    &g.vpn_gateway_id,
                    "VPN gateway not attached to a VPC",
                    &r.src,
                );
                continue;
            }
        };
        m.plan.vpcs[vi].vgws.push(VgwPlan {
            id: g.vpn_gateway_id.clone(),
            vpc,
            onprem_cidrs: cidrs,
            notes,
        });
    }
    Ok(())
}

/// Gateway endpoints (S3, DynamoDB): their prefix list and route tables.
/// Interface endpoints are `map_privatelink`'s; load-balancer endpoints are
/// not modelled.
pub fn endpoints(m: &mut Mapper<'_>) -> Result<(), ImportError> {
    let acct = m.acct;
    for r in &acct.endpoints {
        let e = &r.item;
        let id = &e.vpc_endpoint_id;
        if e.vpc_endpoint_type == EndpointType::Interface {
            continue; // see map_privatelink
        }
        if e.vpc_endpoint_type != EndpointType::Gateway {
            m.skip(
                id,
                format!(
                    "{:?} endpoint for {} not modelled (only gateway endpoints are)",
                    e.vpc_endpoint_type, e.service_name
                ),
                &r.src,
            );
            continue;
        }
        if matches!(
            e.state.as_deref().map(str::to_ascii_lowercase).as_deref(),
            Some("deleted" | "deleting" | "failed" | "rejected")
        ) {
            m.skip(id, "endpoint not available", &r.src);
            continue;
        }
        let vi = m.vpc_of(&e.vpc_id, &r.src, "VpcId")?;
        let pl = m.endpoint_pl.get(id).cloned().or_else(|| {
            acct.prefix_lists
                .iter()
                .find(|p| p.item.prefix_list_name.as_deref() == Some(e.service_name.as_str()))
                .map(|p| p.item.prefix_list_id.clone())
        });
        let Some(pl) = pl.filter(|p| m.prefix_lists.contains(p)) else {
            m.skip(
                id,
                format!(
                    "no prefix list with entries for {} in the export (add describe-prefix-lists)",
                    e.service_name
                ),
                &r.src,
            );
            continue;
        };
        let mut tables = m.endpoint_tables.remove(id).unwrap_or_default();
        for (i, t) in e.route_table_ids.iter().enumerate() {
            if !acct
                .route_tables
                .iter()
                .any(|x| &x.item.route_table_id == t)
            {
                return Err(m.err(
                    &r.src,
                    &format!("RouteTableIds[{i}]"),
                    format!("references route table `{t}`, which no file defines"),
                ));
            }
            tables.insert(t.clone());
        }
        let service = e
            .service_name
            .rsplit('.')
            .next()
            .unwrap_or(&e.service_name)
            .to_string();
        let notes = m.notes(&r.src, &e.tags);
        m.plan.vpcs[vi].endpoints.push(EndpointPlan {
            id: id.clone(),
            service,
            prefix_list: pl,
            route_tables: tables.into_iter().collect(),
            notes,
        });
    }
    Ok(())
}
