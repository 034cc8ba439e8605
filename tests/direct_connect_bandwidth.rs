//! Direct Connect port speed (`bandwidth_gbps` on `[[direct_connect]]`, #17): the
//! on-premises hosts behind a connection send and receive at the port's rate, each
//! way, as their links' serialization rate (the mechanism of instance bandwidth,
//! #12). Measured in virtual time on 9000-byte packets over a jumbo private VIF:
//! one frame of 9014 bytes takes 72.1 µs at 1 Gbit/s and 7.2 µs at 10 Gbit/s, and a
//! burst of them leaves no faster than the port allows.

use peeremu::output::FlowReport;
use peeremu::sim::{run_network, NullObserver, SimConfig};

/// Datagrams per flow: sent back to back (far faster than either rate), so
/// they queue at the on-premises host's link.
const COUNT: u64 = 50;
/// IP bytes of each packet (8972-byte datagrams), plus 14 of Ethernet.
const FRAME_BYTES: u64 = 9000 + 14;

fn topology(gbps: u32) -> String {
    format!(
        r#"name = "dx-bandwidth"
[[vpc]]
id = "vpc-app"
region = "us-east-1"
cidr = "10.70.0.0/16"
[[subnet]]
id = "subnet-app"
vpc = "vpc-app"
az = "us-east-1a"
cidr = "10.70.1.0/24"
[[route_table]]
id = "rtb-app"
vpc = "vpc-app"
main = true
routes = [{{ destination = "192.168.0.0/16", target = "vgw-app" }}]
[[vpn_gateway]]
id = "vgw-app"
vpc = "vpc-app"
onprem_cidrs = ["192.168.30.0/24"]
[[direct_connect]]
id = "dxcon-dc"
onprem_cidrs = ["192.168.10.0/24"]
latency_ms = 1
bandwidth_gbps = {gbps}
virtual_interfaces = [
  {{ id = "dxvif-dc", kind = "private", vgw = "vgw-app", mtu = 9001 }},
]
[[security_group]]
id = "sg-app"
vpc = "vpc-app"
ingress = [ {{ protocol = "all", cidr = "192.168.0.0/16" }} ]
[[instance]]
id = "i-app"
name = "app"
subnet = "subnet-app"
private_ip = "10.70.1.10"
security_groups = ["sg-app"]
[[host]]
name = "dc"
ip = "192.168.10.10"
direct_connect = "dxcon-dc"
mtu = 9001
[[flow]]
name = "in"
kind = "udp"
from = "dc"
to = "app"
port = 5000
size = 8972
count = {COUNT}
rate_pps = 100000000
[[flow]]
name = "out"
kind = "udp"
from = "app"
to = "dc"
port = 5001
size = 8972
count = {COUNT}
rate_pps = 100000000
"#
    )
}

fn run(gbps: u32) -> Vec<FlowReport> {
    let net = peeremu::topology::load_str(&topology(gbps), "dx-bandwidth.toml").expect("loads");
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs");
    assert!(r.totals.conservation.holds, "{:?}", r.totals.conservation);
    for f in &r.reports {
        assert_eq!(
            f.delivered_packets, COUNT,
            "{}: {:?} {:?}",
            f.name, f.drops, f.notes
        );
    }
    r.reports
}

/// Serialization time of one frame at `bps`, in ns.
fn serialization_ns(bps: u64) -> f64 {
    (FRAME_BYTES * 8) as f64 * 1e9 / bps as f64
}

#[test]
fn a_1_gbps_connection_serializes_each_frame_at_1_gbps() {
    let slow = run(1);
    let fast = run(10);
    // The first packet of each flow meets an empty queue: the difference is
    // the serialization at the on-premises end, 72.1 - 7.2 = 64.9 µs.
    let expected = serialization_ns(1_000_000_000) - serialization_ns(10_000_000_000);
    for (s, f) in slow.iter().zip(&fast) {
        let extra = s.latency_ns.min() as f64 - f.latency_ns.min() as f64;
        assert!(
            (extra - expected).abs() < 0.02 * expected,
            "{}: {extra} ns more at 1 Gbit/s, expected {expected}",
            s.name
        );
    }
}

#[test]
fn a_burst_over_a_1_gbps_connection_leaves_no_faster_than_1_gbps() {
    for f in run(1) {
        // The last of COUNT back-to-back packets waited behind COUNT - 1 others:
        // the spread of one-way latencies is at least their serialization.
        let spread = (f.latency_ns.max() - f.latency_ns.min()) as f64;
        let floor = (COUNT - 1) as f64 * serialization_ns(1_000_000_000);
        assert!(
            spread >= 0.99 * floor,
            "{}: {spread} ns between the first and last packet, under {floor}",
            f.name
        );
        // Throughput bound: COUNT frames in no less than their time at 1 Gbit/s.
        let bps = (COUNT - 1) as f64 * (FRAME_BYTES * 8) as f64 / (spread / 1e9);
        assert!(
            bps <= 1.01e9,
            "{}: {bps} bit/s over a 1 Gbit/s port",
            f.name
        );
    }
}
