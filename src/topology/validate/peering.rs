//! Peering rules across objects: no overlapping IPv4 blocks (secondary blocks
//! included) or IPv6 blocks between the two VPCs; per-VPC quotas of active and
//! pending-acceptance peerings.

use super::super::compile::Spans;
use super::super::diag::Diags;
use crate::model::{Network, PeeringStatus};
use ipnet::IpNet;

fn overlap(a: IpNet, b: IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

pub fn overlaps(net: &Network, spans: &Spans, diags: &mut Diags) {
    for (i, p) in net.peerings.iter().enumerate() {
        if !matches!(
            p.status,
            PeeringStatus::Active | PeeringStatus::PendingAcceptance
        ) {
            continue; // a failed/rejected/deleted request carries nothing
        }
        let (r, a) = (&net.vpcs[p.requester.ix()], &net.vpcs[p.accepter.ix()]);
        let blocks = |v: &crate::model::Vpc| -> Vec<IpNet> {
            v.cidrs
                .iter()
                .map(|&c| IpNet::V4(c))
                .chain(v.ipv6.map(IpNet::V6))
                .collect()
        };
        'outer: for x in blocks(r) {
            for y in blocks(a) {
                if overlap(x, y) {
                    diags.push(
                        "peering-overlap",
                        spans.peering_id[i].clone(),
                        format!("peering {}", p.id),
                        format!(
                            "{x} ({}) overlaps {y} ({}); AWS does not peer overlapping CIDR blocks",
                            r.id, a.id
                        ),
                    );
                    break 'outer;
                }
            }
        }
    }
}

pub fn quotas(net: &Network, spans: &Spans, diags: &mut Diags) {
    for (status, quota, key) in [
        (
            PeeringStatus::Active,
            net.quotas.active_peerings_per_vpc,
            "active_peerings_per_vpc",
        ),
        (
            PeeringStatus::PendingAcceptance,
            net.quotas.pending_peerings_per_vpc,
            "pending_peerings_per_vpc",
        ),
    ] {
        // Each VPC's peerings of this status, in file order: one pass, not one
        // scan of every peering per VPC.
        let mut mine: Vec<Vec<usize>> = vec![Vec::new(); net.vpcs.len()];
        for (i, p) in net.peerings.iter().enumerate() {
            if p.status == status {
                mine[p.requester.ix()].push(i);
                if p.accepter != p.requester {
                    mine[p.accepter.ix()].push(i);
                }
            }
        }
        for (v, mine) in net.vpcs.iter().zip(&mine) {
            if mine.len() > quota as usize {
                let first_over = mine[quota as usize];
                diags.push(
                    "peering-quota",
                    spans.peering_id[first_over].clone(),
                    format!("peering {}", net.peerings[first_over].id),
                    format!(
                        "{} has {} {} peerings, over the quota of {quota} per VPC (quotas.{key})",
                        v.id,
                        mine.len(),
                        status.as_str()
                    ),
                );
            }
        }
    }
}
