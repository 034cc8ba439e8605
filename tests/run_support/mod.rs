//! Shared by the `run_*` end-to-end tests: run the real `peeremu` binary on the
//! example topologies into fresh temporary folders and read what it wrote.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Expectations that fail today because of a known gap outside the test, with the
/// reason. A listed flow must still fail: the test that uses this list fails once
/// the gap is closed, so the list stays true (remove the entry then).
pub const KNOWN_GAPS: &[(&str, &str, &str)] = &[
    // (topology, flow, why), e.g. ("two-vpc-peering", "db-ping-app", "ICMP echo
    // conntrack ignores the echo identifier"), listed until branch `fixdp` fixed it.
];

pub fn is_known_gap(topology: &str, flow: &str) -> bool {
    KNOWN_GAPS
        .iter()
        .any(|(t, f, _)| *t == topology && *f == flow)
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every example topology (`topologies/*.toml`, not `topologies/invalid/`), by name.
pub fn examples() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(repo().join("topologies"))
        .expect("topologies/ exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, p)
        })
        .collect();
    v.sort();
    assert!(v.len() >= 6, "expected the six examples, found {v:?}");
    v
}

/// A fresh, empty folder under the system temp dir, unique per process and call.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let p = std::env::temp_dir().join(format!(
        "peeremu-run-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).expect("create temp dir");
    p
}

pub fn peeremu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
}

/// `peeremu run TOPO --out DIR --quiet` plus `extra`; returns the output.
pub fn run(topology: &Path, out: &Path, extra: &[&str]) -> Output {
    peeremu()
        .arg("run")
        .arg(topology)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .expect("run the peeremu binary")
}

/// Run and insist on exit 0, or on exit 1 when every unmet expectation is a known gap.
pub fn run_ok(name: &str, topology: &Path, out: &Path, extra: &[&str]) -> Value {
    let o = run(topology, out, extra);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let summary = read_summary(out);
    let unmet = unmet_expectations(&summary);
    let all_known = unmet.iter().all(|f| is_known_gap(name, f));
    let expected_code = if unmet.is_empty() { 0 } else { 1 };
    assert!(
        all_known && o.status.code() == Some(expected_code),
        "{name}: exit {:?}, unmet {unmet:?}\n{stderr}",
        o.status.code()
    );
    summary
}

pub fn read_summary(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("summary.json"))
        .unwrap_or_else(|e| panic!("{}/summary.json: {e}", out.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("summary.json: {e}\n{text}"))
}

pub fn flows(summary: &Value) -> &Vec<Value> {
    summary["flows"].as_array().expect("summary.flows array")
}

/// Names of flows whose expectation is present and not met.
pub fn unmet_expectations(summary: &Value) -> Vec<String> {
    flows(summary)
        .iter()
        .filter(|f| f["expectation"]["met"] == Value::Bool(false))
        .map(|f| f["name"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, acc: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                walk(root, &p, acc);
            } else {
                acc.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut acc = Vec::new();
    walk(dir, dir, &mut acc);
    acc.sort();
    acc
}

/// Every pcapng file under `dir`.
pub fn pcapngs(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng"))
        .map(|p| dir.join(p))
        .collect()
}

/// The topology as the library loads it (for addresses and ENI ids of flow ends).
pub fn load(topology: &Path) -> peeremu::model::Network {
    peeremu::topology::load_file(topology).unwrap_or_else(|e| panic!("{e}"))
}

/// One end of a flow: its ENI id (None for an external host) and its address.
pub fn endpoint(
    net: &peeremu::model::Network,
    ep: peeremu::model::Endpoint,
    ipv6: bool,
) -> (Option<String>, std::net::IpAddr) {
    use peeremu::model::Endpoint;
    match ep {
        Endpoint::Eni(i) => {
            let eni = &net.enis[i.0 as usize];
            let ip = match (ipv6, eni.ipv6) {
                (true, Some(v6)) => v6.into(),
                _ => eni.private_ip.into(),
            };
            (Some(eni.id.clone()), ip)
        }
        Endpoint::External(h) => (None, net.external_hosts[h.0 as usize].ip),
    }
}

/// The source address a flow's receiver sees: an instance reaching an internet
/// host over IPv4 appears as its public IP (internet gateway) or, without one, as
/// the Elastic IP of its VPC's NAT gateway (the examples have at most one);
/// otherwise its own address.
pub fn seen_source(net: &peeremu::model::Network, flow: &peeremu::model::Flow) -> std::net::IpAddr {
    use peeremu::model::{Endpoint, ExternalSite};
    let (_, own) = endpoint(net, flow.src, flow.ipv6);
    let to_internet = matches!(flow.dst, Endpoint::External(h)
        if net.external_hosts[h.0 as usize].site == ExternalSite::Internet);
    match flow.src {
        Endpoint::Eni(i) if to_internet && !flow.ipv6 => {
            let eni = &net.enis[i.0 as usize];
            // A NAT instance its subnet routes to: its public IP.
            let rtb = &net.route_tables[net.subnets[eni.subnet.0 as usize].route_table.0 as usize];
            let nat_instance = rtb.routes.iter().find_map(|r| match r.target {
                peeremu::model::RouteTarget::Eni(e) => {
                    let x = &net.enis[e.0 as usize];
                    (net.instances[x.instance.0 as usize].forward
                        == peeremu::model::Forwarding::Nat)
                        .then_some(x.public_ip)
                        .flatten()
                }
                _ => None,
            });
            eni.public_ip
                .or(nat_instance)
                .or_else(|| {
                    net.nat_gateways
                        .iter()
                        .find(|n| n.vpc == eni.vpc)
                        .map(|n| n.public_ip)
                })
                .map_or(own, Into::into)
        }
        _ => own,
    }
}

/// The folder a run into `out` is writing: `.<name>.partial-<pid>` beside `out`
/// (the run is moved into `out` once whole), if one exists.
pub fn staging_dir(out: &Path) -> Option<PathBuf> {
    let name = out.file_name()?.to_string_lossy().into_owned();
    let prefix = format!(".{name}.partial-");
    std::fs::read_dir(out.parent()?)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
}

/// A run into `out` has started writing captures.
pub fn run_under_way(out: &Path) -> bool {
    staging_dir(out).is_some_and(|d| d.join("capture.pcapng").exists())
}

/// A topology whose one flow runs for ~1000 s of virtual time: far longer than the
/// test waits, so Ctrl-C always lands mid-run.
pub const ENDLESS: &str = r#"
name = "endless"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"
[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"
[[instance]]
id = "i-a"
subnet = "subnet-a"
private_ip = "10.0.1.10"
[[instance]]
id = "i-b"
subnet = "subnet-a"
private_ip = "10.0.1.20"
[[flow]]
name = "endless-udp"
kind = "udp"
from = "i-a"
to = "i-b"
size = 100
count = 100000000
rate_pps = 100000
expect = "delivered"
"#;

/// Start `peeremu run` on [`ENDLESS`] with captures on, send it SIGINT (as Ctrl-C
/// does) once it is under way, and wait for it to stop. Returns (temp folder, run
/// folder, exit status, stderr).
pub fn run_interrupted(name: &str) -> (PathBuf, PathBuf, std::process::ExitStatus, String) {
    run_interrupted_by(name, "-INT")
}

/// [`run_interrupted`] with another signal (`-TERM`).
pub fn run_interrupted_by(
    name: &str,
    signal: &str,
) -> (PathBuf, PathBuf, std::process::ExitStatus, String) {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let dir = temp_dir(name);
    let topo = dir.join("endless.toml");
    std::fs::write(&topo, ENDLESS).unwrap();
    let out = dir.join("out");
    let mut child = peeremu()
        .arg("run")
        .arg(&topo)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn peeremu");
    // Wait until the run is under way (it writes its captures), then a bit more.
    let t0 = Instant::now();
    while !run_under_way(&out) && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        child.try_wait().expect("poll child").is_none(),
        "the endless run finished before Ctrl-C"
    );
    let kill = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let t1 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("poll child") {
            break s;
        }
        if t1.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("peeremu did not stop within 60 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = child
        .wait_with_output()
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .unwrap_or_default();
    (dir, out, status, stderr)
}
