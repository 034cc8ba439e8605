//! `peeremu check`: load and validate topology files, print every problem with its
//! file:line:col, or a one-line summary of what each valid file contains.

use crate::model::{Network, PeeringStatus};
use crate::output::console;
use crate::topology;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file(s) to validate.
    #[arg(required = true)]
    pub topologies: Vec<PathBuf>,
    /// Treat warnings as errors: a file with warnings is invalid (exit 2).
    #[arg(long)]
    pub deny_warnings: bool,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `2 VPCs, 4 subnets, 1 peering (1 active), 3 instances, 5 flows`.
pub fn summary(net: &Network) -> String {
    let active = net
        .peerings
        .iter()
        .filter(|p| p.status == PeeringStatus::Active)
        .count();
    let mut parts = vec![
        plural(net.vpcs.len(), "VPC", "VPCs"),
        plural(net.subnets.len(), "subnet", "subnets"),
        format!(
            "{} ({active} active)",
            plural(net.peerings.len(), "peering", "peerings")
        ),
        plural(net.instances.len(), "instance", "instances"),
    ];
    for (n, one, many) in [
        (
            net.internet_gateways.len(),
            "internet gateway",
            "internet gateways",
        ),
        (net.nat_gateways.len(), "NAT gateway", "NAT gateways"),
        (net.vpn_gateways.len(), "VPN gateway", "VPN gateways"),
        (
            net.gateway_endpoints.len(),
            "gateway endpoint",
            "gateway endpoints",
        ),
        // What later stops added (before stop 14 a file of transit gateways or
        // Direct Connect read as if it had none).
        (
            net.egress_only_internet_gateways.len(),
            "egress-only internet gateway",
            "egress-only internet gateways",
        ),
        (
            net.transit_gateways.len(),
            "transit gateway",
            "transit gateways",
        ),
        (
            net.direct_connects.len(),
            "Direct Connect connection",
            "Direct Connect connections",
        ),
        (net.load_balancers.len(), "load balancer", "load balancers"),
        (
            net.interface_endpoints.len(),
            "interface endpoint",
            "interface endpoints",
        ),
        (net.dns.zones.len(), "hosted zone", "hosted zones"),
        (net.timeline.changes.len(), "change", "changes"),
    ] {
        if n > 0 {
            parts.push(plural(n, one, many));
        }
    }
    let expected = net.flows.iter().filter(|f| f.expect.is_some()).count();
    parts.push(format!(
        "{} ({expected} with expectations)",
        plural(net.flows.len(), "flow", "flows")
    ));
    parts.join(", ")
}

pub fn main(args: Args) -> u8 {
    let mut code = super::EXIT_OK;
    for path in &args.topologies {
        match topology::load_file_placed(path) {
            Ok((net, places)) => {
                let warnings = crate::warnings::located(&net, &places);
                let n = crate::warnings::print(&warnings);
                if n > 0 && args.deny_warnings {
                    crate::errln!(
                        "{}: invalid topology ({}, denied by --deny-warnings)",
                        crate::escape::path(path),
                        plural(n, "warning", "warnings")
                    );
                    code = super::EXIT_INVALID;
                    continue;
                }
                let line = format!("{}: OK — {}\n", crate::escape::path(path), summary(&net));
                if let Err(e) = console::print(&line) {
                    return console::finish(code, Err(e));
                }
            }
            Err(e) => {
                console::eprint(format_args!("{e}"));
                crate::errln!(
                    "{}: invalid topology ({})",
                    crate::escape::path(path),
                    plural(e.messages.len(), "error", "errors")
                );
                code = super::EXIT_INVALID;
            }
        }
    }
    code
}
