//! Write a large hub-and-spokes topology (TOML) on stdout, for `peeremu run`:
//!
//! ```sh
//! cargo run --release --example gen_hub_spokes -- --spokes 50 --flows 10000 > /tmp/large.toml
//! cargo run --release -- run /tmp/large.toml --no-capture
//! ```

mod topology;

use clap::Parser;
use topology::HubSpokes;

/// Generate a hub VPC peered with N spoke VPCs and a mix of flows.
#[derive(Parser)]
struct Args {
    /// Spoke VPCs (1–125).
    #[arg(long, default_value_t = 50)]
    spokes: u32,
    /// Flows (1 in 100 TCP, 1 in 10 ping, 1 in 1000 spoke-to-spoke, the rest UDP).
    #[arg(long, default_value_t = 10_000)]
    flows: u32,
    /// Packets per UDP/ping flow.
    #[arg(long, default_value_t = 20)]
    packets: u64,
    /// Instances in the hub (1–200).
    #[arg(long, default_value_t = 20)]
    hub_hosts: u32,
    /// Instances per spoke (1–200).
    #[arg(long, default_value_t = 4)]
    hosts_per_spoke: u32,
}

fn main() {
    let a = Args::parse();
    let t = HubSpokes {
        spokes: a.spokes,
        hub_hosts: a.hub_hosts,
        hosts_per_spoke: a.hosts_per_spoke,
        flows: a.flows,
        packets_per_flow: a.packets,
    };
    print!("{}", t.to_toml());
}
