//! `peeremu compare` and per-flow data cost on `topologies/peering-vs-tgw/`, with
//! figures computed by hand: each UDP flow sends 100 datagrams of 1000 bytes, i.e.
//! 100 × (1000 + 8 + 20) = 102800 IP bytes, and nothing comes back.

use peeremu::output::FlowReport;
use peeremu::sim::{run_network, NullObserver, SimConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

const GIB: f64 = 1_073_741_824.0;
const UDP_BYTES: u64 = 100 * (1000 + 8 + 20);

fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("topologies/peering-vs-tgw")
        .join(name)
}

fn run(name: &str, prices: &str) -> Vec<FlowReport> {
    let text = std::fs::read_to_string(file(name)).expect("example");
    let text = format!("{text}\n{prices}");
    let net = peeremu::topology::load_str(&text, name).unwrap_or_else(|e| panic!("{e}"));
    run_network(&net, &SimConfig::default(), &mut NullObserver)
        .expect("runs")
        .reports
}

fn flow<'a>(r: &'a [FlowReport], name: &str) -> &'a FlowReport {
    r.iter().find(|f| f.name == name).expect(name)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-15 + b.abs() * 1e-12
}

#[test]
fn peering_costs_nothing_in_one_az_and_a_cent_each_way_across() {
    let r = run("peering.toml", "");
    let same_az = flow(&r, "spoke1-to-hub-udp").data_cost;
    assert_eq!(same_az.bytes.cross_az, 0);
    assert_eq!(same_az.total_usd, 0.0);
    let cross = flow(&r, "spoke2-to-hub-udp").data_cost;
    assert_eq!(cross.bytes.cross_az, UDP_BYTES);
    assert_eq!(cross.bytes.tgw_processing, 0);
    // $0.01/GB out of us-east-1b and $0.01/GB into us-east-1a.
    assert!(close(cross.total_usd, UDP_BYTES as f64 * 0.02 / GIB));
    // 9001 end to end: the 9000-byte DF datagrams arrive.
    assert_eq!(flow(&r, "spoke1-to-hub-jumbo-udp").delivered_packets, 5);
    let spokes = flow(&r, "spoke1-to-spoke2-ping");
    assert!(spokes.drops.contains_key("NON_TRANSITIVE_PEERING"));
}

#[test]
fn tgw_bills_processing_once_and_no_cross_az() {
    let r = run("tgw.toml", "");
    for name in ["spoke1-to-hub-udp", "spoke2-to-hub-udp"] {
        let c = flow(&r, name).data_cost;
        assert_eq!(c.bytes.tgw_processing, UDP_BYTES, "{name}");
        assert_eq!(c.bytes.cross_az, 0, "{name}");
        assert!(close(c.total_usd, UDP_BYTES as f64 * 0.02 / GIB), "{name}");
    }
    // An echo request and its reply each enter the TGW once: 5 × 2 × (56 + 8 + 20).
    let ping = flow(&r, "spoke1-to-spoke2-ping");
    assert_eq!(ping.delivered_packets, 5);
    assert_eq!(ping.data_cost.bytes.tgw_processing, 5 * 2 * 84);
    // 9000-byte DF datagrams do not fit the TGW's 8500: dropped, ICMP back, PMTU 8500.
    let jumbo = flow(&r, "spoke1-to-hub-jumbo-udp");
    assert_eq!(jumbo.delivered_packets, 0);
    assert!(jumbo.drops.contains_key("MTU_EXCEEDED"));
    assert_eq!(jumbo.path_mtu, Some(8500));
    assert_eq!(
        jumbo.data_cost.bytes.tgw_processing, 0,
        "dropped frames are not billed"
    );
}

#[test]
fn prices_come_from_the_prices_table() {
    let r = run("tgw.toml", "[prices]\ntgw_processing_per_gb = 1.0\n");
    let c = flow(&r, "spoke1-to-hub-udp").data_cost;
    assert!(close(c.usd.tgw_processing, UDP_BYTES as f64 / GIB));
}

#[test]
fn compare_prints_both_designs_per_flow_and_writes_json() {
    let json = std::env::temp_dir().join(format!("peeremu-compare-{}.json", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .args(["compare"])
        .arg(file("peering.toml"))
        .arg(file("tgw.toml"))
        .arg("--json")
        .arg(&json)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("spoke1-to-hub-jumbo-udp"))
        .expect("jumbo row");
    assert!(
        lines[at].contains("peering") && lines[at].contains("delivered"),
        "{table}"
    );
    assert!(lines[at + 1].contains("tgw") && lines[at + 1].contains("dropped MTU_EXCEEDED"));
    assert!(lines[at + 1].contains("8500 (ICMP)"), "{table}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("valid");
    let _ = std::fs::remove_file(&json);
    let rows = v["flows"].as_array().expect("flows");
    assert_eq!(rows.len(), 5);
    let spokes = rows
        .iter()
        .find(|r| r["name"] == "spoke1-to-spoke2-ping")
        .expect("row");
    assert_eq!(spokes["a"]["reason"], "NON_TRANSITIVE_PEERING");
    assert_eq!(spokes["b"]["outcome"], "delivered");
    let cross = rows
        .iter()
        .find(|r| r["name"] == "spoke2-to-hub-udp")
        .expect("row");
    assert_eq!(cross["a"]["data_cost"]["bytes"]["cross_az"], UDP_BYTES);
    assert_eq!(
        cross["b"]["data_cost"]["bytes"]["tgw_processing"],
        UDP_BYTES
    );
}

#[test]
fn compare_without_common_flows_or_with_a_bad_file_is_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .args(["compare", "no-such-file.toml"])
        .arg(file("tgw.toml"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// Both designs meet every expectation their header promises, and their frames
/// balance (the examples in this folder are not in `topologies/*.toml`'s sweep).
#[test]
fn both_designs_meet_their_expectations_and_conserve_frames() {
    for name in ["peering.toml", "tgw.toml"] {
        let net = peeremu::topology::load_file(&file(name)).unwrap_or_else(|e| panic!("{e}"));
        let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs");
        assert!(
            r.totals.conservation.holds,
            "{name}: {:?}",
            r.totals.conservation
        );
        for f in &r.reports {
            let (expected, met) = f
                .expectation
                .clone()
                .expect("every flow has an expectation");
            assert!(
                met,
                "{name}: {} expected {expected}, got {:?}",
                f.name, f.outcome
            );
            assert_eq!(f.unaccounted_packets, 0, "{name}: {}", f.name);
        }
    }
}
