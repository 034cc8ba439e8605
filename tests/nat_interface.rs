//! A NAT gateway's network interface (`eni-<nat id>`): a capture point showing
//! each translated frame on both sides (as it arrived, as it left), and flow log
//! records as AWS writes them at that interface, on `topologies/internet-egress.toml`
//! (app 10.30.1.10 → api 198.51.100.20 through nat-app, private IP 10.30.0.5,
//! Elastic IP 3.20.0.5).

mod run_support;

use run_support::{repo, run_ok, temp_dir};
use std::path::PathBuf;
use std::process::Command;

fn run_example() -> PathBuf {
    let out = temp_dir("nat-iface").join("out");
    run_ok(
        "internet-egress",
        &repo().join("topologies/internet-egress.toml"),
        &out,
        &[],
    );
    out
}

/// AWS's NAT gateway example (VPC User Guide, "Flow log record examples",
/// traffic through a NAT gateway): at the gateway's interface, what arrives is
/// logged to the interface's private IP and what leaves from it, so one TCP
/// connection shows as four records there, the instance's private address on
/// one side, the gateway's on the other (the Elastic IP is the internet gateway's).
#[test]
fn nat_gateway_interface_has_flow_log_records_for_both_sides() {
    let out = run_example();
    let log = std::fs::read_to_string(out.join("flowlogs.log")).unwrap();
    let records: Vec<Vec<&str>> = log
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .filter(|f| f[2] == "eni-nat-app" && f[7] == "6")
        .collect();
    let has = |src: &str, dst: &str, dport: Option<&str>, sport: Option<&str>| {
        records.iter().any(|f| {
            f[3] == src
                && f[4] == dst
                && dport.is_none_or(|p| f[6] == p)
                && sport.is_none_or(|p| f[5] == p)
                && f[12] == "ACCEPT"
        })
    };
    // nat-tcp-bulk (port 443): instance → NAT, NAT → internet, and back.
    assert!(has("10.30.1.10", "10.30.0.5", Some("443"), None), "{log}");
    assert!(
        has("10.30.0.5", "198.51.100.20", Some("443"), None),
        "{log}"
    );
    assert!(
        has("198.51.100.20", "10.30.0.5", None, Some("443")),
        "{log}"
    );
    assert!(has("10.30.0.5", "10.30.1.10", None, Some("443")), "{log}");
    // The Elastic IP never appears at the gateway's interface.
    assert!(!records
        .iter()
        .any(|f| f[3] == "3.20.0.5" || f[4] == "3.20.0.5"));
    // The instance's own interface logs the packet's real addresses.
    assert!(log
        .lines()
        .any(|l| l.contains(" eni-app 10.30.1.10 198.51.100.20 ")));
}

/// Decoded by tshark: on the gateway's interface, frames arriving from the
/// instance carry its private source and leave with the gateway's Elastic IP
/// (replies the other way round), all with valid checksums.
#[test]
#[ignore = "needs tshark (run with --include-ignored)"]
fn tshark_shows_what_the_nat_gateway_changed_on_its_interface() {
    let out = run_example();
    let file = out.join("points").join("eni-nat-app.pcapng");
    assert!(file.is_file(), "{}", file.display());
    let o = Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .args([
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
        ])
        .args(["-Y", "tcp.port == 443 || tcp.srcport == 443"])
        .args(["-T", "fields", "-e", "frame.interface_name"])
        .args([
            "-e",
            "frame.packet_flags_direction",
            "-e",
            "ip.src",
            "-e",
            "ip.dst",
        ])
        .args(["-e", "_ws.expert.message"])
        .output()
        .expect("tshark must be installed for this test (Debian package tshark)");
    let text = String::from_utf8_lossy(&o.stdout);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert!(!rows.is_empty(), "{text}");
    let count = |dir: &str, src: &str, dst: &str| {
        rows.iter()
            .filter(|r| r[0] == "eni-nat-app" && r[1] == dir && r[2] == src && r[3] == dst)
            .count()
    };
    // epb_flags direction: 1 inbound, 2 outbound.
    let (inbound, outbound) = ("0x00000001", "0x00000002");
    let from_instance = count(inbound, "10.30.1.10", "198.51.100.20");
    let translated = count(outbound, "3.20.0.5", "198.51.100.20");
    assert!(from_instance > 0, "{text}");
    assert_eq!(from_instance, translated, "{text}");
    let reply = count(inbound, "198.51.100.20", "3.20.0.5");
    let untranslated = count(outbound, "198.51.100.20", "10.30.1.10");
    assert!(reply > 0, "{text}");
    assert_eq!(reply, untranslated, "{text}");
    assert!(
        !rows.iter().any(|r| r
            .get(4)
            .is_some_and(|m| m.contains("ncorrect") || m.contains("alformed"))),
        "{text}"
    );
}
