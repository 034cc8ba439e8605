//! Flows the run ends before they finish (`--duration`, a schedule running past the
//! end of the run) are `incomplete`, never `delivered`: `expect = "delivered"` fails
//! for them (exit 1), while a flow whose losses are seen keeps `dropped`/`partial`
//! and its `dropped:REASON` expectation.

mod run_support;

use run_support::*;
use serde_json::Value;

/// Three instances in one subnet: `i-b` admits everything from the VPC, `i-c`
/// nothing (its group has no ingress rule: SG_NO_MATCH).
const BASE: &str = r#"
name = "cut-short"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"
[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"
[[security_group]]
id = "sg-open"
vpc = "vpc-a"
name = "open"
ingress = [{ protocol = "all", cidr = "10.0.0.0/16" }]
[[security_group]]
id = "sg-closed"
vpc = "vpc-a"
name = "closed"
[[instance]]
id = "i-a"
subnet = "subnet-a"
private_ip = "10.0.1.10"
security_groups = ["sg-open"]
[[instance]]
id = "i-b"
subnet = "subnet-a"
private_ip = "10.0.1.20"
security_groups = ["sg-open"]
[[instance]]
id = "i-c"
subnet = "subnet-a"
private_ip = "10.0.1.30"
security_groups = ["sg-closed"]
"#;

/// Run `BASE` + `flows` with `extra` arguments; (exit code, summary).
fn run_flows(name: &str, flows: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let dir = temp_dir(name);
    let topo = dir.join("t.toml");
    std::fs::write(&topo, format!("{BASE}{flows}")).expect("write topology");
    let out = dir.join("out");
    let o = run(&topo, &out, &[&["--no-capture"], extra].concat());
    let summary = read_summary(&out);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code(), summary)
}

fn flow<'a>(s: &'a Value, name: &str) -> &'a Value {
    flows(s)
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no flow {name} in {s}"))
}

fn outcome(f: &Value) -> &str {
    f["outcome"].as_str().unwrap_or("?")
}

fn met(f: &Value) -> Option<bool> {
    f["expectation"]["met"].as_bool()
}

fn notes(f: &Value) -> String {
    f["notes"].to_string()
}

#[test]
fn udp_and_ping_cut_by_duration_are_incomplete_and_fail_delivered() {
    let flows = r#"
[[flow]]
name = "udp-100"
kind = "udp"
from = "i-a"
to = "i-b"
count = 100
rate_pps = 10
expect = "delivered"
[[flow]]
name = "ping-100"
kind = "ping"
from = "i-a"
to = "i-b"
count = 100
rate_pps = 10
expect = "delivered"
"#;
    // 10 s of sending each, cut after 2.05 s: 21 of 100 packets sent, every one
    // arrived (the issue's case: this used to be `delivered`, exit 0).
    let (code, s) = run_flows("duration", flows, &["--duration", "2.05"]);
    assert_eq!(code, Some(1), "a cut-short flow fails `delivered`");
    for name in ["udp-100", "ping-100"] {
        let f = flow(&s, name);
        let sent = f["sent_packets"].as_u64().unwrap_or(0);
        assert_eq!(sent, 21, "{name}: {f}");
        assert_eq!(f["delivered_packets"].as_u64(), Some(sent), "{name}: {f}");
        assert_eq!(f["dropped_packets"].as_u64(), Some(0), "{name}: {f}");
        assert_eq!(outcome(f), "incomplete", "{name}: {f}");
        assert_eq!(met(f), Some(false), "{name}");
        assert!(
            notes(f).contains(&format!("{sent} of 100 packets sent")),
            "{name}: {}",
            notes(f)
        );
    }
}

#[test]
fn a_schedule_past_the_end_of_the_run_is_incomplete() {
    let flows = r#"
[[flow]]
name = "starts-after-the-end"
kind = "udp"
from = "i-a"
to = "i-b"
start_ms = 5000
expect = "delivered"
[[flow]]
name = "tcp-starts-after-the-end"
kind = "tcp"
from = "i-a"
to = "i-b"
start_ms = 5000
expect = "delivered"
[[flow]]
name = "all-sent-all-arrived"
kind = "udp"
from = "i-a"
to = "i-b"
count = 3
rate_pps = 1000
expect = "delivered"
"#;
    // The last flow sends for 2 ms and is only in its receive linger at 1 s: every
    // packet sent and arrived, so it is delivered.
    let (code, s) = run_flows("schedule", flows, &["--duration", "1"]);
    assert_eq!(code, Some(1));
    for name in ["starts-after-the-end", "tcp-starts-after-the-end"] {
        let f = flow(&s, name);
        assert_eq!(f["sent_packets"].as_u64(), Some(0), "{name}");
        assert_eq!(outcome(f), "incomplete", "{name}: {f}");
        assert_eq!(met(f), Some(false), "{name}");
    }
    let f = flow(&s, "all-sent-all-arrived");
    assert_eq!(outcome(f), "delivered", "{f}");
    assert_eq!(met(f), Some(true));
}

#[test]
fn tcp_still_transferring_when_the_run_ends_is_incomplete_not_stalled() {
    let flows = r#"
[[flow]]
name = "bulk"
kind = "tcp"
from = "i-a"
to = "i-b"
bytes = 100000000
expect = "delivered"
[[flow]]
name = "requests"
kind = "tcp"
from = "i-a"
to = "i-b"
port = 443
requests = 100000
expect = "delivered"
"#;
    let (code, s) = run_flows("tcp", flows, &["--duration", "0.05"]);
    assert_eq!(code, Some(1));
    let bulk = flow(&s, "bulk");
    assert_eq!(outcome(bulk), "incomplete", "{bulk}");
    assert_eq!(met(bulk), Some(false));
    let delivered = bulk["bytes_delivered"].as_u64().unwrap_or(0);
    assert!(delivered > 0 && delivered < 100_000_000, "{bulk}");
    assert!(
        notes(bulk).contains("run ended before the flow finished")
            && notes(bulk).contains("of 100000000 bytes acknowledged"),
        "{}",
        notes(bulk)
    );
    let rr = flow(&s, "requests");
    assert_eq!(outcome(rr), "incomplete", "{rr}");
    assert_eq!(met(rr), Some(false));
    let responses = rr["responses"].as_u64().unwrap_or(0);
    assert!(responses > 0 && responses < 100_000, "{rr}");
    assert!(
        notes(rr).contains("of 100000 responses received"),
        "{}",
        notes(rr)
    );
}

#[test]
fn losses_seen_before_the_end_keep_dropped_and_their_expectation() {
    let flows = r#"
[[flow]]
name = "udp-denied"
kind = "udp"
from = "i-a"
to = "i-c"
count = 100
rate_pps = 10
expect = "dropped:SG_NO_MATCH"
[[flow]]
name = "tcp-denied"
kind = "tcp"
from = "i-a"
to = "i-c"
expect = "dropped:SG_NO_MATCH"
"#;
    let (code, s) = run_flows("denied", flows, &["--duration", "2"]);
    assert_eq!(code, Some(0), "{s}");
    for name in ["udp-denied", "tcp-denied"] {
        let f = flow(&s, name);
        assert_eq!(outcome(f), "dropped", "{name}: {f}");
        assert_eq!(met(f), Some(true), "{name}");
        assert!(
            notes(f).contains("run ended before the flow finished"),
            "{name}: {}",
            notes(f)
        );
    }
}
