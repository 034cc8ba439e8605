//! Subnets of one VPC may not overlap.
//!
//! Indexed, not pairwise: two CIDR blocks overlap only when one contains the
//! other, so an earlier subnet overlapping `a` either starts inside `a` (a range
//! query on start addresses) or is one of the few blocks containing `a`'s network
//! address (one lookup per shorter prefix length).

use super::super::compile::Spans;
use super::super::diag::Diags;
use crate::model::{Network, VpcIdx};
use std::collections::{BTreeMap, HashMap};

pub fn no_overlap(net: &Network, spans: &Spans, diags: &mut Diags) {
    // Earlier subnets by (VPC, first address) and by (VPC, network, length).
    let mut by_start: BTreeMap<(VpcIdx, u32), usize> = BTreeMap::new();
    let mut by_block: HashMap<(VpcIdx, u32, u8), usize> = HashMap::new();
    for (i, a) in net.subnets.iter().enumerate() {
        let (start, end) = (u32::from(a.cidr.network()), u32::from(a.cidr.broadcast()));
        let inside = by_start
            .range((a.vpc, start)..=(a.vpc, end))
            .next()
            .map(|(_, &j)| j);
        let containing = || {
            (0..a.cidr.prefix_len()).find_map(|len| {
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                by_block.get(&(a.vpc, start & mask, len)).copied()
            })
        };
        if let Some(j) = inside.or_else(containing) {
            let b = &net.subnets[j];
            diags.push(
                "subnet-overlap",
                spans.subnet_cidr[i].clone(),
                format!("subnet {}", a.id),
                format!(
                    "{} overlaps {} of subnet {} in {}; subnets of a VPC cannot overlap",
                    a.cidr,
                    b.cidr,
                    b.id,
                    net.vpcs[a.vpc.ix()].id
                ),
            );
        }
        by_start.entry((a.vpc, start)).or_insert(i);
        by_block
            .entry((a.vpc, start, a.cidr.prefix_len()))
            .or_insert(i);
    }
}
