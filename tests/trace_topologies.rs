//! `peeremu trace` on every example topology: each declared flow is an
//! interesting pair, and its expectation (`delivered` / `dropped:REASON`) must be
//! what the trace of one packet and its reply shows.

use peeremu::model::{Endpoint, Expectation, FlowKind, Network};
use std::path::{Path, PathBuf};
use std::process::Command;

fn peeremu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
}

fn topologies() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("topologies/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn name_of(net: &Network, e: Endpoint) -> String {
    match e {
        Endpoint::Eni(i) => net.enis[i.ix()].id.clone(),
        Endpoint::External(h) => net.external_hosts[h.ix()].name.clone(),
    }
}

/// What to trace for `flow` and what to expect: without `[[change]]`, the
/// flow's expectation on the network as written. In a network that changes
/// during the run, `trace --at` sees it at a given time: the flow's start
/// (checked against the window holding it, else its expectation), and for ping
/// and UDP (each packet on its own) every window's start too. A TCP window
/// after its start is not traced: an open connection outlives a security group
/// change that would refuse the new one trace sends (tests/timeline.rs runs
/// those).
fn checks(net: &Network, i: usize) -> Vec<(Option<u64>, Expectation)> {
    let flow = &net.flows[i];
    if net.timeline.changes.is_empty() {
        return flow.expect.into_iter().map(|e| (None, e)).collect();
    }
    let windows: Vec<_> = net
        .timeline
        .windows
        .iter()
        .filter(|w| w.flow as usize == i)
        .collect();
    let holding = |t: u64| {
        windows
            .iter()
            .find(|w| w.from_ns <= t && w.until_ns.is_none_or(|u| t < u))
            .map(|w| w.expect)
    };
    let mut out = Vec::new();
    if let Some(e) = holding(flow.start_ns).or(flow.expect) {
        out.push((Some(flow.start_ns), e));
    }
    if flow.kind != FlowKind::Tcp {
        for w in &windows {
            if w.from_ns > flow.start_ns {
                out.push((Some(w.from_ns), w.expect));
            }
        }
    }
    out
}

/// Trace every flow of `path` (see [`checks`]); returns how many traces were
/// checked.
fn check_topology(path: &Path) -> Option<usize> {
    let net =
        peeremu::topology::load_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Known gap: `trace --to` does not take an interface endpoint's id yet
    // (tests/privatelink.rs runs these flows).
    if !net.interface_endpoints.is_empty() {
        eprintln!(
            "{}: skipped (trace to an interface endpoint)",
            path.display()
        );
        return None;
    }
    let mut checked = 0;
    for (i, flow) in net.flows.iter().enumerate() {
        for (at, expect) in checks(&net, i) {
            if expect == Expectation::Nxdomain {
                continue; // a name that does not resolve: tests/dns.rs traces names
            }
            let mut cmd = peeremu();
            cmd.arg("trace").arg(path).arg("--json");
            if let Some(at) = at {
                cmd.args(["--at", &format!("{at}ns")]);
            }
            cmd.args([
                "--from",
                &name_of(&net, flow.src),
                "--to",
                // A flow to a DNS name: trace resolves the same name.
                &flow
                    .dns
                    .as_ref()
                    .map_or_else(|| name_of(&net, flow.dst), |d| d.name.clone()),
            ]);
            let proto = match flow.kind {
                FlowKind::Ping => "icmp",
                FlowKind::Udp => "udp",
                FlowKind::Tcp => "tcp",
            };
            cmd.args(["--proto", proto]);
            if flow.kind != FlowKind::Ping {
                cmd.args(["--port", &flow.port.to_string()]);
            }
            if flow.kind != FlowKind::Tcp {
                // A flow's size is the ICMP/UDP payload; trace's --size is the whole
                // IP packet.
                let headers = if flow.ipv6 { 48 } else { 28 };
                cmd.args(["--size", &(flow.size + headers).to_string()]);
            }
            if flow.df {
                cmd.arg("--df");
            }
            if flow.ipv6 {
                cmd.arg("--ipv6");
            }
            let out = cmd.output().expect("peeremu runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let what = format!(
                "{}: flow {} (at {at:?} ns)\n{stdout}{}",
                path.display(),
                flow.name,
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value =
                serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
            match expect {
                // A UDP flow is one-way: trace also shows the reply it would meet
                // (dropped here or not), which the flow never sends.
                Expectation::Delivered if flow.kind == FlowKind::Udp => {
                    assert!(v["request"]["drop"].is_null(), "{what}");
                }
                Expectation::Delivered => {
                    assert_eq!(out.status.code(), Some(0), "{what}");
                    assert_eq!(v["verdict"], "delivered", "{what}");
                }
                // A TCP transfer that passes its handshake and then stalls (the path
                // MTU black hole) is dropped only once segments are full-sized: trace
                // one of the sender's MTU, and find the reason among its drops (the
                // router's ICMP error is dropped after the segment itself).
                Expectation::Dropped(reason)
                    if flow.kind == FlowKind::Tcp && v["verdict"] == "delivered" =>
                {
                    let mtu = match flow.src {
                        Endpoint::Eni(e) => net.enis[e.ix()].mtu,
                        Endpoint::External(_) => 1500,
                    };
                    let mut cmd = peeremu();
                    cmd.arg("trace").arg(path);
                    if let Some(at) = at {
                        cmd.args(["--at", &format!("{at}ns")]);
                    }
                    let out = cmd
                        .args(["--json", "--df", "--proto", "tcp"])
                        .args(["--from", &name_of(&net, flow.src)])
                        .args(["--to", &name_of(&net, flow.dst)])
                        .args(["--port", &flow.port.to_string()])
                        .args(["--size", &mtu.to_string()])
                        .output()
                        .expect("peeremu runs");
                    let stdout = String::from_utf8_lossy(&out.stdout);
                    let v: serde_json::Value = serde_json::from_str(&stdout)
                        .unwrap_or_else(|e| panic!("{what}: full-size trace not JSON: {e}"));
                    let drops: Vec<&str> = v["request"]["hops"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|h| h["kind"] == "drop")
                        .filter_map(|h| h["reason"].as_str())
                        .collect();
                    assert!(
                        drops.contains(&reason.code()),
                        "{what}\nfull-size: {stdout}"
                    );
                }
                Expectation::Dropped(reason) => {
                    assert_eq!(out.status.code(), Some(1), "{what}");
                    assert_eq!(v["reason"], reason.code(), "{what}");
                }
                Expectation::Nxdomain => unreachable!("skipped above"),
                Expectation::DroppedAnyOf(reasons) => {
                    assert_eq!(out.status.code(), Some(1), "{what}");
                    let code = v["reason"].as_str().unwrap_or_default();
                    assert!(
                        reasons.iter().any(|r| r.code() == code),
                        "{what}: {code} not in {}",
                        reasons.text()
                    );
                }
            }
            checked += 1;
        }
    }
    Some(checked)
}

#[test]
fn every_example_topology_flow_traces_as_expected() {
    let files = topologies();
    assert!(files.len() >= 5, "example topologies present: {files:?}");
    let mut total = 0;
    for f in &files {
        let Some(n) = check_topology(f) else { continue };
        assert!(
            n > 0,
            "{} declares no flow with an expectation",
            f.display()
        );
        total += n;
    }
    assert!(total >= 20, "{total} flows checked");
}
