//! Egress-only internet gateways: one per VPC, like internet gateways (AWS:
//! "You can attach one egress-only internet gateway to a VPC"), and routes to
//! them for IPv6 destinations only (checked in `routes`).

use super::super::format::EigwSpec;
use super::{obj, Compiler, Kind};
use crate::model::*;

pub fn egress_only_internet_gateways(c: &mut Compiler<'_>, specs: &[EigwSpec]) {
    for g in specs {
        let id = g.id.get_ref().clone();
        let o = obj(Kind::Eigw, &id);
        let mut vpc = None;
        if let Some(r) = &g.vpc {
            let Some(v) = c.resolve(Kind::Vpc, r, &o).map(VpcIdx) else {
                continue;
            };
            if let Some(other) = c.net.vpcs[v.ix()].egress_only_internet_gateway {
                let msg = format!(
                    "{} already has egress-only internet gateway {}; a VPC can have only one attached",
                    c.net.vpcs[v.ix()].id,
                    c.net.egress_only_internet_gateways[other.ix()].id
                );
                c.err("eigw-per-vpc", r.span(), &o, msg);
                continue;
            }
            vpc = Some(v);
        }
        let ix = EigwIdx(c.net.egress_only_internet_gateways.len() as u32);
        if let Some(v) = vpc {
            c.net.vpcs[v.ix()].egress_only_internet_gateway = Some(ix);
        }
        c.register(Kind::Eigw, &id, ix.ix());
        c.net
            .egress_only_internet_gateways
            .push(EgressOnlyInternetGateway { id, vpc });
    }
}
