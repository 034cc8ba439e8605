//! A public NAT gateway must be in a public subnet: one whose route table has a
//! route to an internet gateway. AWS lets you create it anywhere ("Create a NAT
//! gateway": "You must also specify ... a public subnet"), but translated traffic
//! then has no way out and is dropped at the NAT's subnet (NO_ROUTE). A warning,
//! not an error, because AWS accepts the configuration.
//! Source: AWS VPC User Guide, "NAT gateways" / "Work with NAT gateways"
//! (<https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html>).

use super::Warning;
use crate::model::*;
use crate::topology::Anchor;

pub fn without_internet_route(net: &Network) -> Vec<Warning> {
    let mut out = Vec::new();
    for (ni, n) in net.nat_gateways.iter().enumerate() {
        let subnet = &net.subnets[n.subnet.ix()];
        let table = &net.route_tables[subnet.route_table.ix()];
        let to_igw = table.routes.iter().any(|r| {
            matches!(r.target, RouteTarget::InternetGateway(g)
                if net.internet_gateways[g.ix()].vpc == Some(n.vpc))
        });
        if to_igw {
            continue;
        }
        out.push(Warning {
            anchor: Anchor::Nat(NatIdx(ni as u32)),
            rule: "nat-gateway-no-igw",
            object: format!("NAT gateway {}", n.id),
            message: format!(
                "its subnet {} uses route table {}, which has no route to an internet gateway; a public NAT gateway must be in a public subnet, or the traffic it translates has no way out (add `0.0.0.0/0 → igw-…` to {} or move the NAT gateway)",
                subnet.id, table.id, table.id
            ),
        });
    }
    out
}
