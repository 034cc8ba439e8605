//! Direct Connect port speed (`bandwidth_gbps` on `[[direct_connect]]`, #17): the
//! on-premises hosts behind a connection send and receive at the port's rate, each
//! way, as their links' serialization rate (the mechanism of instance bandwidth,
//! #12). Measured in virtual time on 9000-byte packets over a jumbo private VIF:
//! one frame of 9014 bytes takes 72.1 µs at 1 Gbit/s and 7.2 µs at 10 Gbit/s, and a
//! burst of them leaves no faster than the port allows. The port is one link each
//! way shared by every host behind the connection: two hosts sending at once each
//! get about half of it (TCP transfers take twice as long, a burst of both queues
//! behind the other), in both directions.

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

/// Two on-premises hosts (`dc1`, `dc2`) behind one connection of `gbps`, each
/// sending a TCP transfer of `bytes` to its own instance; `both` false keeps only
/// `dc1`'s flow.
fn shared_topology(gbps: u32, bytes: u64, both: bool) -> String {
    let mut t = format!(
        r#"name = "dx-shared-port"
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
"#
    );
    let n = if both { 2 } else { 1 };
    for i in 1..=n {
        t += &format!(
            r#"[[instance]]
id = "i-app{i}"
name = "app{i}"
subnet = "subnet-app"
private_ip = "10.70.1.1{i}"
security_groups = ["sg-app"]
[[host]]
name = "dc{i}"
ip = "192.168.10.1{i}"
direct_connect = "dxcon-dc"
mtu = 9001
[[flow]]
name = "in{i}"
kind = "tcp"
from = "dc{i}"
to = "app{i}"
port = 5000
bytes = {bytes}
"#
        );
    }
    t
}

fn run_shared(both: bool) -> Vec<FlowReport> {
    let text = shared_topology(1, 20_000_000, both);
    let net = peeremu::topology::load_str(&text, "dx-shared-port.toml").expect("loads");
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs");
    assert!(r.totals.conservation.holds, "{:?}", r.totals.conservation);
    for f in &r.reports {
        assert_eq!(f.bytes_delivered, 20_000_000, "{}: {:?}", f.name, f.notes);
    }
    r.reports
}

fn completion_s(reports: &[FlowReport], name: &str) -> f64 {
    let f = reports.iter().find(|f| f.name == name).expect("flow");
    f.completion_ns.expect("completed") as f64 / 1e9
}

#[test]
fn two_tcp_senders_behind_one_1_gbps_connection_take_twice_as_long_as_one() {
    let alone = run_shared(false);
    let shared = run_shared(true);
    // Alone, a 20 MB transfer towards AWS fills the 1 Gbit/s port (0.16 s at
    // least); two at once take about twice as long each, sharing it.
    let one = completion_s(&alone, "in1");
    assert!(one >= 0.16, "alone in {one} s, faster than 1 Gbit/s");
    for name in ["in1", "in2"] {
        let two = completion_s(&shared, name);
        let ratio = two / one;
        assert!(
            (1.7..=2.3).contains(&ratio),
            "{name}: {two} s shared against {one} s alone (ratio {ratio:.2})"
        );
    }
}

/// The UDP burst topology with a second host behind the same connection and a
/// burst to and from it at the same time as `dc`'s.
fn two_bursts() -> Vec<FlowReport> {
    let mut text = topology(1);
    text += &format!(
        r#"[[host]]
name = "dc2"
ip = "192.168.10.20"
direct_connect = "dxcon-dc"
mtu = 9001
[[flow]]
name = "in2"
kind = "udp"
from = "dc2"
to = "app"
port = 5002
size = 8972
count = {COUNT}
rate_pps = 100000000
[[flow]]
name = "out2"
kind = "udp"
from = "app"
to = "dc2"
port = 5003
size = 8972
count = {COUNT}
rate_pps = 100000000
"#
    );
    let net = peeremu::topology::load_str(&text, "dx-bandwidth-2.toml").expect("loads");
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs");
    assert!(r.totals.conservation.holds, "{:?}", r.totals.conservation);
    r.reports
}

#[test]
fn two_bursts_at_once_queue_behind_each_other_on_the_port_each_way() {
    let both = two_bursts();
    let alone = run(1);
    let get = |r: &[FlowReport], n: &str| r.iter().find(|f| f.name == n).cloned().expect("flow");
    for (a, b) in [("in", "in2"), ("out", "out2")] {
        let (a, b) = (get(&both, a), get(&both, b));
        assert_eq!((a.delivered_packets, b.delivered_packets), (COUNT, COUNT));
        // The last packet of the two bursts waits behind 2 * COUNT - 1 others
        // at 1 Gbit/s: the port, not each host's own link, sets the pace.
        let first = a.latency_ns.min().min(b.latency_ns.min()) as f64;
        let last = a.latency_ns.max().max(b.latency_ns.max()) as f64;
        let floor = (2 * COUNT - 1) as f64 * serialization_ns(1_000_000_000);
        assert!(
            last - first >= 0.99 * floor,
            "{}: {} ns between the first and last packet of both bursts, under {floor}",
            a.name,
            last - first
        );
        // Alone, one burst's spread is half of that.
        let one = get(&alone, &a.name);
        let spread = (one.latency_ns.max() - one.latency_ns.min()) as f64;
        assert!(
            last - first >= 1.9 * spread,
            "{}: both {} ns, alone {spread} ns",
            a.name,
            last - first
        );
    }
}
