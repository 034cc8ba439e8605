//! Flow log actions as AWS writes them, one case each, read from the
//! `flowlogs.log` a real `peeremu run` writes.
//!
//! AWS logs at the network interface and writes `REJECT` only for what the
//! interface's security group or its subnet's network ACL refused (VPC User Guide,
//! "Flow log records", field `action`:
//! <https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html>). A
//! packet the source ENI let out and a router dropped later (no route, blackhole,
//! MTU, ...) is `ACCEPT` at the source ENI and appears nowhere else.

mod run_support;

use run_support::{run, temp_dir};
use std::path::Path;

/// Two peered VPCs in one region: `i-a` (10.0.1.10, `eni-a`) sends three UDP
/// datagrams to `i-b` (10.1.1.10, `eni-b`) port 5001. Each case edits a piece.
struct Case {
    /// Target of vpc-a's route to 10.1.0.0/16.
    route: &'static str,
    /// Ingress rules of sg-b.
    sg_b: &'static str,
    /// Ingress rules of sg-a.
    sg_a: &'static str,
    /// NACL of subnet-a / subnet-b: (inbound, outbound) rules, or none (default NACL).
    nacl_a: Option<(&'static str, &'static str)>,
    nacl_b: Option<(&'static str, &'static str)>,
    mtu_b: u16,
    size: u32,
}

const BASE: Case = Case {
    route: "pcx-ab",
    sg_b: r#"{ protocol = "udp", ports = "5001", cidr = "10.0.0.0/16" }"#,
    sg_a: "",
    nacl_a: None,
    nacl_b: None,
    mtu_b: 9001,
    size: 100,
};

const ALLOW_ALL: &str = r#"{ rule = 100, protocol = "all", cidr = "0.0.0.0/0", action = "allow" }"#;
const DENY_UDP: &str = r#"{ rule = 90, protocol = "udp", ports = "5001", cidr = "0.0.0.0/0", action = "deny" }, { rule = 100, protocol = "all", cidr = "0.0.0.0/0", action = "allow" }"#;

fn toml(c: &Case) -> String {
    let nacl = |name: &str, subnet_vpc: &str, n: Option<(&str, &str)>| {
        match n {
        None => (String::new(), String::new()),
        Some((inbound, outbound)) => (
            format!("nacl = \"acl-{name}\"\n"),
            format!(
                "[[network_acl]]\nid = \"acl-{name}\"\nvpc = \"{subnet_vpc}\"\ninbound = [{inbound}]\noutbound = [{outbound}]\n\n"
            ),
        ),
    }
    };
    let (assoc_a, acl_a) = nacl("a", "vpc-a", c.nacl_a);
    let (assoc_b, acl_b) = nacl("b", "vpc-b", c.nacl_b);
    format!(
        r#"name = "flowlog-actions"

[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"

[[vpc]]
id = "vpc-b"
region = "us-east-1"
cidr = "10.1.0.0/16"

[[peering]]
id = "pcx-ab"
requester = "vpc-a"
accepter = "vpc-b"
status = "active"

[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"
{assoc_a}
[[subnet]]
id = "subnet-b"
vpc = "vpc-b"
az = "us-east-1a"
cidr = "10.1.1.0/24"
{assoc_b}
{acl_a}{acl_b}[[route_table]]
id = "rtb-a"
vpc = "vpc-a"
main = true
routes = [{{ destination = "10.1.0.0/16", target = "{route}" }}]

[[route_table]]
id = "rtb-b"
vpc = "vpc-b"
main = true
routes = [{{ destination = "10.0.0.0/16", target = "pcx-ab" }}]

[[security_group]]
id = "sg-a"
vpc = "vpc-a"
ingress = [{sg_a}]

[[security_group]]
id = "sg-b"
vpc = "vpc-b"
ingress = [{sg_b}]

[[instance]]
id = "i-a"
subnet = "subnet-a"
private_ip = "10.0.1.10"
security_groups = ["sg-a"]

[[instance]]
id = "i-b"
subnet = "subnet-b"
private_ip = "10.1.1.10"
security_groups = ["sg-b"]
mtu = {mtu_b}

[[flow]]
name = "udp"
kind = "udp"
from = "i-a"
to = "i-b"
port = 5001
size = {size}
count = 3
rate_pps = 100
df = true
"#,
        route = c.route,
        sg_a = c.sg_a,
        sg_b = c.sg_b,
        mtu_b = c.mtu_b,
        size = c.size,
    )
}

/// One `flowlogs.log` line: (interface-id, srcaddr, dstaddr, protocol, packets, action).
#[derive(Debug, Clone, PartialEq)]
struct Line {
    eni: String,
    src: String,
    dst: String,
    protocol: u8,
    packets: u64,
    action: String,
}

fn run_case(name: &str, c: &Case) -> Vec<Line> {
    let dir = temp_dir(name);
    let topo = dir.join("topology.toml");
    std::fs::write(&topo, toml(c)).unwrap();
    let out = dir.join("out");
    let o = run(&topo, &out, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    read_log(&out)
}

fn read_log(out: &Path) -> Vec<Line> {
    let text = std::fs::read_to_string(out.join("flowlogs.log")).expect("flowlogs.log");
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 14, "{l}");
            Line {
                eni: f[2].into(),
                src: f[3].into(),
                dst: f[4].into(),
                protocol: f[7].parse().unwrap(),
                packets: f[8].parse().unwrap(),
                action: f[12].into(),
            }
        })
        .collect()
}

/// Packets of UDP 10.0.1.10 → 10.1.1.10 logged at `eni` with `action`.
fn udp_packets(lines: &[Line], eni: &str, action: &str) -> u64 {
    lines
        .iter()
        .filter(|l| {
            l.eni == eni
                && l.src == "10.0.1.10"
                && l.dst == "10.1.1.10"
                && l.protocol == 17
                && l.action == action
        })
        .map(|l| l.packets)
        .sum()
}

fn rejects(lines: &[Line]) -> Vec<&Line> {
    lines.iter().filter(|l| l.action == "REJECT").collect()
}

#[test]
fn delivered_traffic_is_accept_at_both_interfaces() {
    let l = run_case("fl-delivered", &BASE);
    assert_eq!(udp_packets(&l, "eni-a", "ACCEPT"), 3, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-b", "ACCEPT"), 3, "{l:?}");
    assert!(rejects(&l).is_empty(), "{l:?}");
}

#[test]
fn security_group_reject_is_reject_at_the_receiving_interface_only() {
    let c = Case {
        sg_b: r#"{ protocol = "tcp", ports = "22", cidr = "10.0.0.0/16" }"#,
        ..BASE
    };
    let l = run_case("fl-sg", &c);
    assert_eq!(udp_packets(&l, "eni-a", "ACCEPT"), 3, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-b", "REJECT"), 3, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-b", "ACCEPT"), 0, "{l:?}");
    assert_eq!(rejects(&l).len(), 1, "{l:?}");
}

#[test]
fn nacl_reject_outbound_at_the_source_is_reject_there_and_not_accept() {
    let c = Case {
        nacl_a: Some((ALLOW_ALL, DENY_UDP)),
        ..BASE
    };
    let l = run_case("fl-nacl-out", &c);
    assert_eq!(udp_packets(&l, "eni-a", "REJECT"), 3, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-a", "ACCEPT"), 0, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-b", "ACCEPT"), 0, "{l:?}");
    assert_eq!(rejects(&l).len(), 1, "{l:?}");
}

#[test]
fn nacl_reject_inbound_at_the_destination_is_reject_there_accept_at_the_source() {
    let c = Case {
        nacl_b: Some((DENY_UDP, ALLOW_ALL)),
        ..BASE
    };
    let l = run_case("fl-nacl-in", &c);
    assert_eq!(udp_packets(&l, "eni-a", "ACCEPT"), 3, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-a", "REJECT"), 0, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-b", "REJECT"), 3, "{l:?}");
    assert_eq!(rejects(&l).len(), 1, "{l:?}");
}

/// A blackhole route: the VPC router drops what eni-a let out. AWS logs it as
/// accepted at eni-a (the interface's rules allowed it); nothing is a REJECT.
#[test]
fn routing_drop_is_accept_at_the_source_and_no_reject() {
    let c = Case {
        route: "blackhole",
        ..BASE
    };
    let l = run_case("fl-route", &c);
    assert_eq!(udp_packets(&l, "eni-a", "ACCEPT"), 3, "{l:?}");
    assert!(rejects(&l).is_empty(), "{l:?}");
    assert!(l.iter().all(|l| l.eni == "eni-a"), "{l:?}");
}

/// Too big for eni-b (MTU 1500) with DF set: MTU_EXCEEDED at the router, an
/// ACCEPT at eni-a; the router's "fragmentation needed" is an inbound ACCEPT at
/// eni-a when sg-a has the rule AWS documents for path MTU discovery, and a
/// REJECT there (the security group's) when it lacks it.
#[test]
fn mtu_drop_is_accept_at_the_source_and_the_icmp_follows_the_security_group() {
    let big = Case {
        mtu_b: 1500,
        size: 3000,
        ..BASE
    };
    let with_rule = Case {
        sg_a: r#"{ protocol = "icmp", icmp_type = 3, icmp_code = 4, cidr = "0.0.0.0/0" }"#,
        ..big
    };
    let icmp_at_a = |l: &[Line], action: &str| {
        l.iter()
            .filter(|x| {
                x.eni == "eni-a"
                    && x.src == "10.0.1.1"
                    && x.dst == "10.0.1.10"
                    && x.protocol == 1
                    && x.action == action
            })
            .map(|x| x.packets)
            .sum::<u64>()
    };
    let l = run_case("fl-mtu-rule", &with_rule);
    assert_eq!(udp_packets(&l, "eni-a", "ACCEPT"), 3, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-b", "ACCEPT"), 0, "{l:?}");
    assert!(icmp_at_a(&l, "ACCEPT") >= 1, "{l:?}");
    assert!(rejects(&l).is_empty(), "{l:?}");

    let l = run_case("fl-mtu-norule", &big);
    assert_eq!(udp_packets(&l, "eni-a", "ACCEPT"), 3, "{l:?}");
    assert_eq!(udp_packets(&l, "eni-a", "REJECT"), 0, "{l:?}");
    assert!(icmp_at_a(&l, "REJECT") >= 1, "{l:?}");
    assert_eq!(icmp_at_a(&l, "ACCEPT"), 0, "{l:?}");
}
