//! Drop reasons that once were wrong or missing, end to end through the real
//! binary: `run` and `trace` must name the same reason, the exact object and the
//! packet actually dropped (issue #11, items 4, 7 and 8).

mod run_support;

use run_support::{peeremu, read_summary, temp_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Write `text` as `<name>.toml` in a fresh folder; returns its path.
fn topology(name: &str, text: &str) -> PathBuf {
    let dir = temp_dir(name);
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("write topology");
    path
}

/// `peeremu trace TOPO ARGS` as text: exit code and stdout.
fn trace_text(topo: &Path, args: &[&str]) -> (i32, String) {
    let o = peeremu()
        .arg("trace")
        .arg(topo)
        .args(args)
        .output()
        .expect("peeremu runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// `peeremu trace TOPO ARGS --json`.
fn trace_json(topo: &Path, args: &[&str]) -> Value {
    let (_, text) = trace_text(topo, &[args, &["--json"]].concat());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The first line of `text` containing `needle`.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
}

const MIDDLEBOX: &str = r#"
name = "middlebox"

[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"

[[route_table]]
id = "rtb-a"
vpc = "vpc-a"
main = true
routes = [
  { destination = "10.9.0.0/16", target = "i-fw" },       # check off: reaches the instance
  { destination = "10.8.0.0/16", target = "i-checked" },  # check on: refused at its ENI
]

[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"

[[subnet]]
id = "subnet-fw"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.2.0/24"

[[security_group]]
id = "sg-all"
vpc = "vpc-a"
ingress = [{ protocol = "all", cidr = "0.0.0.0/0" }]

[[instance]]
id = "i-a"
name = "a"
subnet = "subnet-a"
private_ip = "10.0.1.10"
security_groups = ["sg-all"]

[[instance]]
id = "i-fw"
name = "fw"
subnet = "subnet-fw"
private_ip = "10.0.2.10"
source_dest_check = false
security_groups = ["sg-all"]

[[instance]]
id = "i-checked"
name = "checked"
subnet = "subnet-fw"
private_ip = "10.0.2.11"
security_groups = ["sg-all"]

[[host]]
name = "far"
ip = "10.9.0.5"

[[host]]
name = "far-checked"
ip = "10.8.0.5"

[[flow]]
name = "udp-via-fw"
kind = "udp"
from = "a"
to = "far"
count = 3
expect = "dropped:NOT_FORWARDED"

[[flow]]
name = "tcp-via-fw"
kind = "tcp"
from = "a"
to = "far"
bytes = 1000
expect = "dropped:NOT_FORWARDED"

[[flow]]
name = "udp-via-checked"
kind = "udp"
from = "a"
to = "far-checked"
count = 3
expect = "dropped:SOURCE_DEST_CHECK"
"#;

/// Item 4: a frame routed to an instance that does not forward was handed to its
/// host and lost without a reason (`run`: "0/3 delivered; no drops"; `trace`:
/// "delivered somewhere else"). Now both say NOT_FORWARDED at the instance's ENI
/// (SOURCE_DEST_CHECK when the check is on), and every frame is counted.
#[test]
fn a_frame_routed_to_an_instance_that_does_not_forward_is_dropped_with_a_reason() {
    let topo = topology("middlebox", MIDDLEBOX);
    let out = topo.parent().unwrap().join("out");
    let o = peeremu()
        .arg("run")
        .arg(&topo)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s = read_summary(&out);
    for f in s["flows"].as_array().unwrap() {
        let (sent, dropped) = (
            f["sent_packets"].as_u64().unwrap(),
            f["dropped_packets"].as_u64().unwrap(),
        );
        let reason = if f["name"] == "udp-via-checked" {
            "SOURCE_DEST_CHECK"
        } else {
            "NOT_FORWARDED"
        };
        assert_eq!(f["drops"][reason].as_u64(), Some(sent), "{f}");
        assert_eq!(dropped, sent, "{f}");
        assert_eq!(f["delivered_packets"], 0, "{f}");
    }
    let drops = std::fs::read(out.join("drops.pcapng")).expect("drops.pcapng");
    let needle = b"NOT_FORWARDED eni-fw (i-fw) does not forward";
    assert!(drops.windows(needle.len()).any(|w| w == needle));

    let v = trace_json(
        &topo,
        &[
            "--from", "a", "--to", "far", "--proto", "udp", "--port", "53",
        ],
    );
    assert_eq!(v["verdict"], "dropped", "{v}");
    assert_eq!(v["reason"], "NOT_FORWARDED");
    let hint = v["request"]["drop"]["hint"].as_str().unwrap();
    assert!(
        hint.starts_with("the instance does not forward: i-fw (eni-fw)"),
        "{hint}"
    );
    let v = trace_json(
        &topo,
        &["--from", "a", "--to", "far-checked", "--proto", "udp"],
    );
    assert_eq!(v["reason"], "SOURCE_DEST_CHECK", "{v}");
    let hint = v["request"]["drop"]["hint"].as_str().unwrap();
    assert!(
        hint.starts_with("a route sends 10.8.0.5 to eni-checked, which checks source/destination"),
        "{hint}"
    );
    let _ = std::fs::remove_dir_all(topo.parent().unwrap());
}

const CHAIN: &str = r#"
name = "chain"

[[vpc]]
id = "vpc-dr"
region = "us-east-1"
cidr = "10.0.0.0/16"

[[vpc]]
id = "vpc-app"
region = "us-east-1"
cidr = "10.1.0.0/16"

[[vpc]]
id = "vpc-shared"
region = "us-east-1"
cidr = "10.2.0.0/16"

[[peering]]
id = "pcx-dr-app"
requester = "vpc-dr"
accepter = "vpc-app"

[[peering]]
id = "pcx-app-shared"
requester = "vpc-app"
accepter = "vpc-shared"

[[internet_gateway]]
id = "igw-app"
vpc = "vpc-app"

[[route_table]]
id = "rtb-dr"
vpc = "vpc-dr"
main = true
routes = [
  { destination = "10.1.0.0/16", target = "pcx-dr-app" },
  { destination = "10.2.0.0/16", target = "pcx-dr-app" },
]

[[route_table]]
id = "rtb-app-public"
vpc = "vpc-app"
routes = [
  { destination = "0.0.0.0/0", target = "igw-app" },
  { destination = "10.0.0.0/16", target = "pcx-dr-app" },
]

[[route_table]]
id = "rtb-app"
vpc = "vpc-app"
main = true
routes = [
  { destination = "10.0.0.0/16", target = "pcx-dr-app" },
  { destination = "10.2.0.0/16", target = "pcx-app-shared" },
]

[[route_table]]
id = "rtb-shared"
vpc = "vpc-shared"
main = true
routes = [{ destination = "10.1.0.0/16", target = "pcx-app-shared" }]

[[subnet]]
id = "subnet-dr"
vpc = "vpc-dr"
az = "us-east-1a"
cidr = "10.0.1.0/24"

[[subnet]]
id = "subnet-app"
vpc = "vpc-app"
az = "us-east-1a"
cidr = "10.1.1.0/24"
route_table = "rtb-app-public"

[[subnet]]
id = "subnet-shared"
vpc = "vpc-shared"
az = "us-east-1a"
cidr = "10.2.1.0/24"

[[instance]]
id = "i-dr"
name = "dr"
subnet = "subnet-dr"
private_ip = "10.0.1.10"

[[instance]]
id = "i-shared"
name = "shared"
subnet = "subnet-shared"
private_ip = "10.2.1.10"
"#;

/// Item 8: dr – app – shared; dr sends shared's prefix into the dr–app peering.
/// app has an internet gateway (in a table listed first), but the route app would
/// use for shared's prefix is the app–shared peering: NON_TRANSITIVE_PEERING, with
/// the route shown. It said `EDGE_TO_EDGE: pcx-dr-app -> igw-app`, "give vpc-dr
/// its own gateway".
#[test]
fn chain_of_peerings_is_non_transitive_even_when_the_middle_vpc_has_a_gateway() {
    let topo = topology("chain", CHAIN);
    let (code, text) = trace_text(
        &topo,
        &["--from", "dr", "--to", "shared", "--proto", "icmp"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("route table rtb-app: 10.2.0.0/16 -> pcx-app-shared"),
        "{text}"
    );
    let drop = line_with(&text, "DROPPED");
    assert_eq!(
        drop.trim_start_matches(|c: char| c == ' ' || c.is_ascii_digit() || c == '.' || c == '+')
            .trim_start_matches("ms")
            .trim_start(),
        "DROPPED NON_TRANSITIVE_PEERING: pcx-dr-app then pcx-app-shared"
    );
    assert!(
        line_with(&text, "fix:").contains("peer vpc-dr with vpc-shared directly"),
        "{text}"
    );
    assert!(!text.contains("igw-app"), "{text}");
    let _ = std::fs::remove_dir_all(topo.parent().unwrap());
}

/// An inter-region peering (MTU 1500) whose sender's subnet NACL admits TCP only:
/// the router's "fragmentation needed" / "packet too big" is denied on its way
/// back (the path MTU black hole). Dual stack.
const BLACK_HOLE: &str = r#"
name = "black-hole"

[[vpc]]
id = "vpc-use1"
region = "us-east-1"
cidr = "10.10.0.0/16"
ipv6_cidr = "2600:1f18:1:100::/56"

[[vpc]]
id = "vpc-euw1"
region = "eu-west-1"
cidr = "10.20.0.0/16"
ipv6_cidr = "2600:1f18:2:100::/56"

[[peering]]
id = "pcx-x"
requester = "vpc-use1"
accepter = "vpc-euw1"

[[subnet]]
id = "subnet-app"
vpc = "vpc-use1"
az = "us-east-1a"
cidr = "10.10.20.0/24"
ipv6_cidr = "2600:1f18:1:101::/64"
nacl = "acl-app"

[[subnet]]
id = "subnet-db"
vpc = "vpc-euw1"
az = "eu-west-1a"
cidr = "10.20.1.0/24"
ipv6_cidr = "2600:1f18:2:101::/64"

[[route_table]]
id = "rtb-use1"
vpc = "vpc-use1"
main = true
routes = [
  { destination = "10.20.0.0/16", target = "pcx-x" },
  { destination = "2600:1f18:2:100::/56", target = "pcx-x" },
]

[[route_table]]
id = "rtb-euw1"
vpc = "vpc-euw1"
main = true
routes = [
  { destination = "10.10.0.0/16", target = "pcx-x" },
  { destination = "2600:1f18:1:100::/56", target = "pcx-x" },
]

[[network_acl]]
id = "acl-app"
vpc = "vpc-use1"
inbound = [
  { rule = 100, protocol = "tcp", ports = "1024-65535", cidr = "0.0.0.0/0", action = "allow" },
  { rule = 110, protocol = "tcp", ports = "1024-65535", cidr = "::/0", action = "allow" },
]
outbound = [
  { rule = 100, protocol = "all", cidr = "0.0.0.0/0", action = "allow" },
  { rule = 110, protocol = "all", cidr = "::/0", action = "allow" },
]

[[security_group]]
id = "sg-db"
vpc = "vpc-euw1"
ingress = [
  { protocol = "tcp", ports = "5432", cidr = "10.10.0.0/16" },
  { protocol = "tcp", ports = "5432", cidr = "2600:1f18:1:100::/56" },
]

[[instance]]
id = "i-app"
name = "app"
subnet = "subnet-app"
private_ip = "10.10.20.10"
ipv6 = "2600:1f18:1:101::10"

[[instance]]
id = "i-db"
name = "db"
subnet = "subnet-db"
private_ip = "10.20.1.10"
ipv6 = "2600:1f18:2:101::10"
security_groups = ["sg-db"]
"#;

/// Item 8: the hint for the denied ICMP error named the traced packet ("denies tcp
/// 5432 from 10.10.20.10"); it names the router's error from 10.10.20.1. Item 7:
/// over IPv6 the trace speaks of ICMPv6 "packet too big" (type 2) and shows the
/// ENIs' IPv6 addresses, not IPv4 "fragmentation needed" and IPv4 addresses.
#[test]
fn path_mtu_black_hole_names_the_denied_icmp_error_in_each_family() {
    let topo = topology("black-hole", BLACK_HOLE);
    let args = [
        "--from", "app", "--to", "db", "--port", "5432", "--size", "3000",
    ];
    let (code, v4) = trace_text(&topo, &args);
    assert_eq!(code, 1, "{v4}");
    assert!(
        line_with(&v4, "router 10.10.20.1 sends").contains(
            "ICMP \"fragmentation needed\" (type 3 code 4, MTU 1500) back to eni-app (app, 10.10.20.10)"
        ),
        "{v4}"
    );
    let fix = v4
        .lines()
        .filter(|l| l.contains("fix:"))
        .nth(1)
        .unwrap_or("");
    assert!(
        fix.contains("acl-app inbound rule * denies icmp type 3 code 4 from 10.10.20.1"),
        "{v4}"
    );
    assert!(!fix.contains("tcp 5432"), "{v4}");

    let (code, v6) = trace_text(&topo, &[&args[..], &["--ipv6"]].concat());
    assert_eq!(code, 1, "{v6}");
    assert!(
        v6.contains("ENI eni-app (app, 2600:1f18:1:101::10) sends"),
        "{v6}"
    );
    assert!(
        line_with(&v6, "sends ICMPv6").contains(
            "router 2600:1f18:1:101::1 sends ICMPv6 \"packet too big\" (type 2, MTU 1500)"
        ),
        "{v6}"
    );
    let fixes: Vec<&str> = v6.lines().filter(|l| l.contains("fix:")).collect();
    assert!(
        fixes[0].contains("allow ICMPv6 type 2 (packet too big)") && !fixes[0].contains("clear DF"),
        "{v6}"
    );
    assert!(
        fixes[1].contains("denies icmpv6 type 2 code 0 from 2600:1f18:1:101::1"),
        "{v6}"
    );
    for wrong in [
        "fragmentation needed",
        "type 3 code 4",
        "10.10.20.10",
        "10.20.1.10",
    ] {
        assert!(!v6.contains(wrong), "{wrong:?} in an IPv6 trace:\n{v6}");
    }
    let _ = std::fs::remove_dir_all(topo.parent().unwrap());
}

/// An instance with a public IP in a subnet whose default route leads to a NAT
/// gateway: the internet's request comes in through the internet gateway, the
/// reply leaves through the NAT gateway with its Elastic IP as source, and the
/// internet host has no socket for it. `run` and `trace` both say
/// ASYMMETRIC_NAT_REPLY and point at the route table and the internet gateway.
#[test]
fn a_reply_through_a_nat_gateway_is_dropped_at_the_requester_with_a_reason() {
    let text = format!(
        "{}{}",
        include_str!("data/asymmetric-nat-base.toml"),
        r#"
[[flow]]
name = "ping"
from = "internet"
to = "app"
kind = "ping"
count = 3
expect = "dropped:ASYMMETRIC_NAT_REPLY"

[[flow]]
name = "ssh"
from = "internet"
to = "app"
kind = "tcp"
port = 22
bytes = 1000
expect = "dropped:ASYMMETRIC_NAT_REPLY"
"#
    );
    let topo = topology("asymmetric-nat", &text);
    let out = topo.parent().unwrap().join("out");
    let o = peeremu()
        .arg("run")
        .arg(&topo)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s = read_summary(&out);
    assert_eq!(
        s["totals"]["conservation"]["holds"], true,
        "{}",
        s["totals"]
    );
    let ping = &s["flows"][0];
    assert_eq!(ping["drops"]["ASYMMETRIC_NAT_REPLY"], 3, "{ping}");
    assert_eq!(ping["unaccounted_packets"], 0, "{ping}");
    let drops = std::fs::read(out.join("drops.pcapng")).expect("drops.pcapng");
    let needle = b"ASYMMETRIC_NAT_REPLY nat-a rewrote the reply's source to its Elastic IP 3.3.3.3";
    assert!(drops.windows(needle.len()).any(|w| w == needle));

    let (code, text) = trace_text(
        &topo,
        &[
            "--from", "internet", "--to", "app", "--proto", "tcp", "--port", "22",
        ],
    );
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("Result: request delivered, reply dropped (ASYMMETRIC_NAT_REPLY)"),
        "{text}"
    );
    let fix = line_with(&text, "fix: ");
    assert!(fix.contains("rtb-priv") && fix.contains("igw-a"), "{fix}");
    let v = trace_json(
        &topo,
        &["--from", "internet", "--to", "app", "--proto", "icmp"],
    );
    assert_eq!(v["reason"], "ASYMMETRIC_NAT_REPLY", "{v}");
}
