//! An instance set to forward (`forward = "router"` or `"nat"`) whose ENI still
//! checks source and destination (the AWS default). AWS accepts it, but the ENI
//! then drops every packet a route brings it for another address, and every
//! packet the instance would send from another address (SOURCE_DEST_CHECK): the
//! appliance forwards nothing. A warning, not an error, because AWS lets you
//! configure it (and `inspection-firewall.toml` shows what happens).
//! Source: AWS VPC User Guide, "NAT instances" ("Disable source/destination
//! checks": "you must disable source/destination checking on the NAT
//! instance"), <https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html>,
//! and "Source/destination checking" in the EC2 ENI documentation.

use super::Warning;
use crate::model::*;
use crate::topology::Anchor;

pub fn checked_enis(net: &Network) -> Vec<Warning> {
    let mut out = Vec::new();
    for inst in &net.instances {
        if inst.forward == Forwarding::None {
            continue;
        }
        for &e in &inst.enis {
            let Some(eni) = net.enis.get(e.ix()) else {
                continue;
            };
            if !eni.source_dest_check {
                continue;
            }
            out.push(Warning {
                anchor: Anchor::Eni(e),
                rule: "forward-source-dest-check",
                object: format!("instance {}", inst.id),
                message: format!(
                    "it is set to forward (forward = \"{}\") but its ENI {} checks source/destination (the default), so AWS drops what a route brings it for other addresses (SOURCE_DEST_CHECK); set `source_dest_check = false`",
                    inst.forward.as_str(),
                    eni.id
                ),
            });
        }
    }
    out
}
