//! AWS rules that span several objects, checked on the compiled network:
//! subnet overlaps, peering overlaps and quotas, address uniqueness.

mod addresses;
mod peering;
mod subnets;

use super::compile::Spans;
use super::diag::Diags;
use crate::model::Network;

pub fn validate(net: &Network, spans: &Spans, diags: &mut Diags) {
    subnets::no_overlap(net, spans, diags);
    peering::overlaps(net, spans, diags);
    peering::quotas(net, spans, diags);
    addresses::unique(net, spans, diags);
}
