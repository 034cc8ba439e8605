//! The large example's generator (`cargo run --release --example gen_hub_spokes`):
//! the full-size file (50 spokes, 10 000 flows) loads, and a smaller one runs
//! through `peeremu run` and meets every expectation. The full-size run is
//! measured by hand in release (README, "Large example"), not here: tests never
//! assert wall-clock time.

mod run_support;

#[path = "../examples/gen_hub_spokes/topology.rs"]
mod topology;

use run_support::*;
use topology::HubSpokes;

#[test]
fn the_full_size_topology_loads() {
    let dir = temp_dir("large-load");
    let file = dir.join("hub-50-spokes.toml");
    let text = HubSpokes::default().to_toml();
    assert_eq!(
        text,
        HubSpokes::default().to_toml(),
        "generator is deterministic"
    );
    std::fs::write(&file, &text).unwrap();
    let net = load(&file);
    assert_eq!(net.name, "hub-50-spokes");
    assert_eq!(net.vpcs.len(), 51);
    assert_eq!(net.peerings.len(), 50);
    assert_eq!(net.instances.len(), 20 + 50 * 4);
    assert_eq!(net.flows.len(), 10_000);
    assert!(net.flows.iter().all(|f| f.expect.is_some()));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn more_spokes_than_the_default_quota_raise_it() {
    let dir = temp_dir("large-quota");
    let file = dir.join("hub-60.toml");
    let t = HubSpokes {
        spokes: 60,
        flows: 10,
        ..Default::default()
    };
    std::fs::write(&file, t.to_toml()).unwrap();
    assert_eq!(load(&file).peerings.len(), 60);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_smaller_generated_topology_runs_and_meets_its_expectations() {
    let dir = temp_dir("large-run");
    let file = dir.join("hub-6-spokes.toml");
    let t = HubSpokes {
        spokes: 6,
        hub_hosts: 4,
        hosts_per_spoke: 2,
        flows: 1000,
        packets_per_flow: 3,
    };
    std::fs::write(&file, t.to_toml()).unwrap();
    let out = dir.join("out");
    let s = run_ok("hub-6-spokes", &file, &out, &["--no-capture"]);
    let flows = flows(&s);
    assert_eq!(flows.len(), 1000);
    assert_eq!(s["expectations"]["checked"].as_u64(), Some(1000));
    assert_eq!(s["expectations"]["failed"].as_u64(), Some(0));
    // Every kind the generator mixes in is there and did what it should.
    for (protocol, outcome, at_least) in [
        ("udp", "delivered", 800),
        ("ping", "delivered", 90),
        ("tcp", "delivered", 10),
        ("ping", "dropped", 1),
    ] {
        let n = flows
            .iter()
            .filter(|f| f["protocol"] == protocol && f["outcome"] == outcome)
            .count();
        assert!(n >= at_least, "{n} {protocol} flows {outcome}");
    }
    let dropped = flows.iter().find(|f| f["outcome"] == "dropped").unwrap();
    assert!(dropped["drops"]["NO_ROUTE"].as_u64() > Some(0), "{dropped}");
    let _ = std::fs::remove_dir_all(dir);
}
