//! A ping/UDP flow's `size` is its payload (ICMP echo data, UDP payload) as the
//! README says — ping's default of 56 makes Linux's 84-byte IPv4 packet — and every
//! packet is measured whatever its size, `size = 0` included (latency and RTT are
//! not `null`).

mod run_support;

use run_support::*;
use serde_json::Value;

const TOPOLOGY: &str = r#"
name = "sizes"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"
ipv6_cidr = "2600:1f18:1:100::/56"
[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"
ipv6_cidr = "2600:1f18:1:101::/64"
[[security_group]]
id = "sg-open"
vpc = "vpc-a"
ingress = [
  { protocol = "all", cidr = "10.0.0.0/16" },
  { protocol = "all", cidr = "2600:1f18:1:100::/56" },
]
[[instance]]
id = "i-a"
subnet = "subnet-a"
private_ip = "10.0.1.10"
ipv6 = "2600:1f18:1:101::10"
security_groups = ["sg-open"]
[[instance]]
id = "i-b"
subnet = "subnet-a"
private_ip = "10.0.1.20"
ipv6 = "2600:1f18:1:101::20"
security_groups = ["sg-open"]
[[flow]]
name = "ping-default"
kind = "ping"
from = "i-a"
to = "i-b"
expect = "delivered"
[[flow]]
name = "udp-1000"
kind = "udp"
from = "i-a"
to = "i-b"
port = 7001
size = 1000
expect = "delivered"
[[flow]]
name = "ping-0"
kind = "ping"
from = "i-b"
to = "i-a"
size = 0
expect = "delivered"
[[flow]]
name = "udp-0"
kind = "udp"
from = "i-a"
to = "i-b"
port = 7002
size = 0
expect = "delivered"
[[flow]]
name = "ping-15"
kind = "ping"
from = "i-a"
to = "i-b"
size = 15
start_ms = 100
expect = "delivered"
[[flow]]
name = "udp-15"
kind = "udp"
from = "i-b"
to = "i-a"
port = 7003
size = 15
expect = "delivered"
[[flow]]
name = "ping6-0"
kind = "ping"
from = "i-a"
to = "i-b"
ipv6 = true
size = 0
expect = "delivered"
[[flow]]
name = "udp6-0"
kind = "udp"
from = "i-a"
to = "i-b"
ipv6 = true
port = 7004
size = 0
expect = "delivered"
"#;

/// (sender address, protocol, destination port or 0 for ICMP) → (packets, bytes)
/// summed over the sender's flow log lines for that traffic.
fn sent_on_the_wire(log: &str, src: &str, protocol: u8, dport: u16) -> (u64, u64) {
    let mut total = (0, 0);
    for line in log.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        // 2 account eni src dst sport dport proto packets bytes start end action status
        let eni_of_src = if src.ends_with("10") {
            "eni-a"
        } else {
            "eni-b"
        };
        if f.len() == 14
            && f[2] == eni_of_src
            && f[3] == src
            && f[6] == dport.to_string()
            && f[7] == protocol.to_string()
        {
            total.0 += f[8].parse::<u64>().expect("packets");
            total.1 += f[9].parse::<u64>().expect("bytes");
        }
    }
    total
}

#[test]
fn size_is_the_payload_and_every_size_is_measured() {
    let dir = temp_dir("sizes");
    let topo = dir.join("t.toml");
    std::fs::write(&topo, TOPOLOGY).expect("write topology");
    let out = dir.join("out");
    let o = run(&topo, &out, &["--no-capture"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s = read_summary(&out);
    let log = std::fs::read_to_string(out.join("flowlogs.log")).expect("flow log");
    let _ = std::fs::remove_dir_all(&dir);
    let flow = |name: &str| -> Value {
        flows(&s)
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no flow {name}"))
    };
    // (flow, payload bytes, sender, protocol, port, IP packet bytes)
    let cases = [
        ("ping-default", 56, "10.0.1.10", 1, 0, 84),
        ("udp-1000", 1000, "10.0.1.10", 17, 7001, 1028),
        ("ping-0", 0, "10.0.1.20", 1, 0, 28),
        ("udp-0", 0, "10.0.1.10", 17, 7002, 28),
        ("ping-15", 15, "10.0.1.10", 1, 0, 43),
        ("udp-15", 15, "10.0.1.20", 17, 7003, 43),
        ("ping6-0", 0, "2600:1f18:1:101::10", 58, 0, 48),
        ("udp6-0", 0, "2600:1f18:1:101::10", 17, 7004, 48),
    ];
    for (name, payload, src, protocol, port, ip_len) in cases {
        let f = flow(name);
        assert_eq!(f["outcome"], "delivered", "{name}: {f}");
        assert_eq!(f["delivered_packets"].as_u64(), Some(10), "{name}: {f}");
        assert_eq!(
            f["bytes_delivered"].as_u64(),
            Some(10 * payload),
            "{name}: {f}"
        );
        // Measured whatever the size: one-way latency about the fabric's, and
        // round trips for ping.
        let p50 = f["latency_ns"]["p50"].as_u64();
        assert!(p50.is_some_and(|ns| ns > 0), "{name}: latency {f}");
        if protocol != 17 {
            let rtt = f["rtt_ns"]["p50"].as_u64();
            assert!(rtt.zip(p50).is_some_and(|(r, l)| r > l), "{name}: rtt {f}");
        }
        // On the wire: every packet has the IP length of its payload + headers.
        // ICMP shares one flow log record per direction (ports 0 0): below.
        if protocol != 1 {
            assert_eq!(
                sent_on_the_wire(&log, src, protocol, port),
                (10, 10 * ip_len),
                "{name}\n{log}"
            );
        }
    }
    // ICMP each way: the requests of ping-default (84 bytes) and ping-15 (43) one
    // way and their replies back, the requests of ping-0 (28) and replies back.
    for src in ["10.0.1.10", "10.0.1.20"] {
        assert_eq!(
            sent_on_the_wire(&log, src, 1, 0),
            (30, 10 * 84 + 10 * 43 + 10 * 28),
            "{src}\n{log}"
        );
    }
}
