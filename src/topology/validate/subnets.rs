//! Subnets of one VPC may not overlap.

use super::super::compile::Spans;
use super::super::diag::Diags;
use crate::model::Network;

pub fn no_overlap(net: &Network, spans: &Spans, diags: &mut Diags) {
    for (i, a) in net.subnets.iter().enumerate() {
        if let Some(b) = net.subnets[..i].iter().find(|b| {
            b.vpc == a.vpc
                && (b.cidr.contains(&a.cidr.network()) || a.cidr.contains(&b.cidr.network()))
        }) {
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
    }
}
