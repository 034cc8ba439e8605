//! `peeremu trace` per example topology: verdict, reason code, the exact object
//! and the fix hint for its interesting pairs; exit codes on bad input.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn topo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("topologies")
        .join(format!("{name}.toml"))
}

/// Run `peeremu trace <topology> <args> --json`: exit code and parsed output.
fn trace(name: &str, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .arg("trace")
        .arg(topo(name))
        .args(args)
        .arg("--json")
        .output()
        .expect("peeremu runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (out.status.code().unwrap_or(-1), v)
}

fn hop_kinds(leg: &Value) -> Vec<String> {
    leg["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn two_vpc_peering() {
    let (code, v) = trace(
        "two-vpc-peering",
        &["--from", "app", "--to", "db", "--port", "5432"],
    );
    assert_eq!((code, v["verdict"].as_str()), (0, Some("delivered")));
    let hops = v["request"]["hops"].as_array().unwrap();
    let sg = hops
        .iter()
        .find(|h| h["kind"] == "security_group" && h["direction"] == "inbound")
        .unwrap();
    assert_eq!(
        (sg["sg"].as_str(), sg["rule"].as_u64()),
        (Some("sg-db"), Some(0))
    );
    assert!(hops
        .iter()
        .any(|h| h["kind"] == "peering" && h["peering"] == "pcx-ab"));
    assert!(hops.iter().any(|h| h["kind"] == "route"
        && h["route_table"] == "rtb-a-app"
        && h["destination"] == "10.1.0.0/16"));
    assert!(hop_kinds(&v["reply"]).contains(&"deliver".to_string()));

    let (code, v) = trace(
        "two-vpc-peering",
        &["--from", "batch", "--to", "db", "--port", "5432"],
    );
    assert_eq!((code, v["reason"].as_str()), (1, Some("NO_ROUTE")));
    let drop = &v["request"]["drop"];
    assert_eq!(drop["detail"], "rtb-a-batch has no route for 10.1.1.20");
    assert_eq!(
        drop["hint"],
        "add a route for 10.1.0.0/16 to rtb-a-batch (target pcx-ab); the peer needs one back"
    );
    assert!(v["reply"].is_null());

    let (code, v) = trace(
        "two-vpc-peering",
        &["--from", "app", "--to", "10.1.1.20", "--port", "22"],
    );
    assert_eq!((code, v["reason"].as_str()), (1, Some("SG_NO_MATCH")));
    assert_eq!(
        v["request"]["drop"]["detail"],
        "eni-db inbound groups sg-db"
    );
    assert!(v["request"]["drop"]["hint"]
        .as_str()
        .unwrap()
        .contains("sg-db allowing tcp 22 from 10.0.1.10/32"));
}

#[test]
fn transitive_peering() {
    let (code, v) = trace(
        "transitive-peering",
        &["--from", "a", "--to", "c", "--proto", "icmp"],
    );
    assert_eq!(
        (code, v["reason"].as_str()),
        (1, Some("NON_TRANSITIVE_PEERING"))
    );
    assert!(v["request"]["drop"]["hint"]
        .as_str()
        .unwrap()
        .contains("not transitive"));
    let (code, _) = trace(
        "transitive-peering",
        &["--from", "a", "--to", "b", "--proto", "icmp"],
    );
    assert_eq!(code, 0);
}

#[test]
fn shared_services() {
    let (code, v) = trace(
        "shared-services",
        &["--from", "spoke-a", "--to", "spoke-b", "--proto", "icmp"],
    );
    assert_eq!(
        (code, v["reason"].as_str()),
        (1, Some("NON_TRANSITIVE_PEERING"))
    );
    let (code, v) = trace(
        "shared-services",
        &["--from", "spoke-a", "--to", "shared", "--port", "443"],
    );
    assert_eq!((code, v["verdict"].as_str()), (0, Some("delivered")));
}

#[test]
fn nacl_ephemeral() {
    let (code, v) = trace(
        "nacl-ephemeral",
        &["--from", "client", "--to", "db-broken", "--port", "5432"],
    );
    assert_eq!((code, v["reason"].as_str()), (1, Some("NACL_DENY")));
    assert!(v["request"]["drop"].is_null(), "the request gets through");
    let drop = &v["reply"]["drop"];
    assert!(
        drop["detail"]
            .as_str()
            .unwrap()
            .ends_with("rule * outbound"),
        "{drop}"
    );
    assert!(
        drop["hint"]
            .as_str()
            .unwrap()
            .contains("ephemeral 1024-65535"),
        "{drop}"
    );
    let (code, _) = trace(
        "nacl-ephemeral",
        &["--from", "client", "--to", "db-fixed", "--port", "5432"],
    );
    assert_eq!(code, 0);
}

#[test]
fn inter_region_mtu() {
    let big_df = [
        "--from", "sender", "--to", "receiver", "--proto", "udp", "--port", "5001", "--size",
        "8020", "--df",
    ];
    let (code, v) = trace("inter-region-mtu", &big_df);
    assert_eq!((code, v["reason"].as_str()), (1, Some("MTU_EXCEEDED")));
    assert_eq!(
        v["request"]["drop"]["detail"],
        "8020 bytes > link MTU 1500 of pcx-x (inter-region peering)"
    );
    assert!(hop_kinds(&v["request"]).contains(&"icmp_error".to_string()));
    let (code, v) = trace("inter-region-mtu", &big_df[..10]);
    assert_eq!(code, 0, "DF clear: fragmented and delivered");
    let mtu = v["request"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "mtu")
        .unwrap()
        .clone();
    assert_eq!(
        (mtu["decision"].as_str(), mtu["link_mtu"].as_u64()),
        (Some("fragmented"), Some(1500))
    );
    assert!(
        v["request"]["latency_ns"].as_u64().unwrap() >= 10_000_000,
        "inter-region latency"
    );
}

#[test]
fn edge_to_edge() {
    for to in ["internet", "onprem-server"] {
        let (code, v) = trace(
            "edge-to-edge",
            &["--from", "b", "--to", to, "--proto", "icmp"],
        );
        assert_eq!(
            (code, v["reason"].as_str()),
            (1, Some("EDGE_TO_EDGE")),
            "{to}"
        );
    }
    let (code, v) = trace(
        "edge-to-edge",
        &["--from", "a-app", "--to", "internet", "--proto", "icmp"],
    );
    assert_eq!(code, 0);
    assert!(v["request"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["kind"] == "gateway" && h["gateway"] == "nat-a"));
    // An arbitrary internet address becomes an ad-hoc host; it addresses the web
    // instance by its public IP, translated by the IGW, and sg-a admits ICMP only
    // from 10.0.0.0/8 and on premises.
    let (code, v) = trace(
        "edge-to-edge",
        &["--from", "198.51.100.7", "--to", "a-web", "--proto", "icmp"],
    );
    assert_eq!(
        (code, v["reason"].as_str()),
        (1, Some("SG_NO_MATCH")),
        "{v}"
    );
    assert_eq!(v["dst"], "54.1.2.3");
    assert!(hop_kinds(&v["request"]).contains(&"translate".to_string()));
}

#[test]
fn text_output_lists_hops_and_result() {
    let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .args(["trace"])
        .arg(topo("two-vpc-peering"))
        .args(["--from", "batch", "--to", "db", "--port", "5432"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("DROPPED NO_ROUTE: rtb-a-batch has no route for 10.1.1.20"),
        "{text}"
    );
    assert!(
        text.contains("fix: add a route for 10.1.0.0/16 to rtb-a-batch (target pcx-ab)"),
        "{text}"
    );
    assert!(
        text.contains("Result: request dropped (NO_ROUTE)"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_peeremu"))
            .arg("trace")
            .args(args)
            .output()
            .unwrap()
    };
    let t = topo("two-vpc-peering");
    let t = t.to_str().unwrap();
    for args in [
        vec![t, "--from", "nosuch", "--to", "db"],
        vec![t, "--from", "app", "--to", "db", "--proto", "gre"],
        vec![t, "--from", "app", "--to", "app"],
        vec![t, "--from", "app", "--to", "db", "--ipv6"],
        vec!["/nonexistent.toml", "--from", "app", "--to", "db"],
        vec![t, "--from", "app"],
        // Out of range: no port 0; a packet too small for its headers is not
        // silently enlarged.
        vec![t, "--from", "app", "--to", "db", "--port", "0"],
        vec![t, "--from", "app", "--to", "db", "--size", "1"],
        vec![
            t, "--from", "app", "--to", "db", "--proto", "udp", "--size", "27",
        ],
        vec![t, "--from", "app", "--to", "db", "--size", "65536"],
    ] {
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn out_of_range_port_and_size_say_why() {
    let stderr = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
            .arg("trace")
            .arg(topo("two-vpc-peering"))
            .args(["--from", "app", "--to", "db"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let port = stderr(&["--port", "0"]);
    assert!(
        port.contains("--port") && port.contains("1..=65535"),
        "{port}"
    );
    let size = stderr(&["--size", "1"]);
    assert!(
        size.contains("--size 1 is too small") && size.contains("at least 40 bytes"),
        "{size}"
    );
    let icmp = stderr(&["--proto", "icmp", "--size", "27"]);
    assert!(icmp.contains("at least 28 bytes"), "{icmp}");
    // The smallest packets themselves are fine.
    for (proto, size) in [("tcp", "40"), ("udp", "28"), ("icmp", "28")] {
        let (code, v) = trace(
            "two-vpc-peering",
            &[
                "--from", "app", "--to", "db", "--port", "5432", "--proto", proto, "--size", size,
            ],
        );
        assert_ne!(code, 2, "{proto} {size}");
        assert_eq!(v["size"].as_u64(), size.parse().ok(), "{proto}");
    }
}

#[test]
fn same_input_same_bytes() {
    let args = ["--from", "a-app", "--to", "internet", "--proto", "icmp"];
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_peeremu"))
            .arg("trace")
            .arg(topo("edge-to-edge"))
            .args(args)
            .arg("--json")
            .output()
            .unwrap()
            .stdout
    };
    let first = run();
    assert!(!first.is_empty());
    assert_eq!(first, run());
}

/// `trace --at`: the network as it is at a time of the run, after the
/// `[[change]]`s due by then (peering-lifecycle: requested at 200 ms, accepted
/// at 1000 ms, deleted at 2000 ms).
#[test]
fn trace_at_a_time_sees_the_changes_due_by_then() {
    let args = [
        "--from", "app", "--to", "db", "--proto", "udp", "--port", "9000",
    ];
    let at = |t: &str| {
        let mut a = args.to_vec();
        a.extend(["--at", t]);
        trace("peering-lifecycle", &a)
    };
    // As written (and at 0.1 s): the peering is still being requested.
    let (code, v) = trace("peering-lifecycle", &args);
    assert_eq!(
        (code, v["reason"].as_str()),
        (1, Some("PEERING_NOT_ACTIVE"))
    );
    assert!(
        v["at_ms"].is_null() && v["changes_applied"].is_null(),
        "{v}"
    );
    let (code, v) = at("0.1");
    assert_eq!(
        (code, v["reason"].as_str()),
        (1, Some("PEERING_NOT_ACTIVE"))
    );
    assert_eq!(v["at_ms"], 100.0);
    assert_eq!(v["changes_applied"], serde_json::json!([]));
    // 1.5 s: accepted, so the datagram crosses the peering.
    let (_, v) = at("1500ms");
    assert!(v["request"]["drop"].is_null(), "{v}");
    assert_eq!(
        v["changes_applied"],
        serde_json::json!(["request_peering pcx-ab", "accept_peering pcx-ab"])
    );
    // 2 s: the change at 2000 ms is due (at or before): deleted, and the route
    // to it is a blackhole, named with the route and the deleted peering.
    let (code, v) = at("2s");
    assert_eq!((code, v["reason"].as_str()), (1, Some("BLACKHOLE_ROUTE")));
    let drop = &v["request"]["drop"];
    assert_eq!(
        drop["detail"], "rtb-a route 1 -> pcx-ab (blackhole: the peering is deleted)",
        "{v}"
    );
    assert!(
        drop["hint"]
            .as_str()
            .unwrap()
            .contains("create a new peering"),
        "{v}"
    );
    let route = v["request"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "route")
        .expect("a route hop");
    assert!(
        route["text"]
            .as_str()
            .unwrap()
            .contains("(state blackhole: the peering is deleted)"),
        "{route}"
    );
    // One instant before the deletion it still crosses.
    let (_, v) = at("1999.999ms");
    assert!(v["request"]["drop"].is_null(), "{v}");
    // The text names the changes applied.
    let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .arg("trace")
        .arg(topo("peering-lifecycle"))
        .args(args)
        .args(["--at", "2.5"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("At 2500 ms of the run: after request_peering pcx-ab, accept_peering pcx-ab, delete_peering pcx-ab"),
        "{text}"
    );
    // A bad time is bad input.
    for bad in ["soon", "-1", "3 fortnights", "1e99"] {
        let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
            .arg("trace")
            .arg(topo("peering-lifecycle"))
            .args(args)
            .args(["--at", bad])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "--at {bad}");
    }
}

/// `trace --at` sees security group changes: the rule admitting 5432 is
/// removed at 500 ms, so a new connection is refused after it.
#[test]
fn trace_at_sees_security_group_changes() {
    let args = [
        "--from", "app", "--to", "db", "--proto", "tcp", "--port", "5432",
    ];
    let (code, _) = trace("sg-change-tracked", &args);
    assert_eq!(code, 0);
    let mut a = args.to_vec();
    a.extend(["--at", "600ms"]);
    let (code, v) = trace("sg-change-tracked", &a);
    assert_eq!(
        (code, v["reason"].as_str()),
        (1, Some("SG_NO_MATCH")),
        "{v}"
    );
}

/// `trace --at` stops an instance as the run does: after `stop_instance` the
/// instance's ENI sends nothing (`INSTANCE_STOPPED`), before it the path is
/// what the other changes made it.
#[test]
fn trace_at_sees_a_stopped_instance() {
    let text = std::fs::read_to_string(topo("peering-lifecycle")).expect("example");
    let text = format!(
        "{text}\n[[change]]\nat_ms = 1500\naction = \"stop_instance\"\ninstance = \"app\"\n"
    );
    let dir = std::env::temp_dir().join(format!("peeremu-trace-at-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stopped.toml");
    std::fs::write(&file, text).unwrap();
    let at = |t: &str| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
            .arg("trace")
            .arg(&file)
            .args([
                "--from", "app", "--to", "db", "--proto", "udp", "--port", "9000",
            ])
            .args(["--at", t, "--json"])
            .output()
            .expect("runs");
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    assert!(at("1.2")["request"]["drop"].is_null());
    let v = at("1.6");
    assert_eq!(v["reason"], "INSTANCE_STOPPED", "{v}");
    assert_eq!(
        v["changes_applied"].as_array().map(|a| a.len()),
        Some(3),
        "{v}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `trace --at` in the drawing formats: the SVG carries the `--at` line as a
/// caption above the unchanged drawing, and the HTML page's text says it as the
/// text format does.
#[test]
fn trace_at_is_stated_in_the_svg_and_html_formats() {
    let run = |format: &str, at: Option<&str>| -> String {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_peeremu"));
        cmd.arg("trace")
            .arg(topo("peering-lifecycle"))
            .args([
                "--from", "app", "--to", "db", "--proto", "udp", "--port", "9000",
            ])
            .args(["--format", format]);
        if let Some(t) = at {
            cmd.args(["--at", t]);
        }
        let out = cmd.output().expect("runs");
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let line = "At 2500 ms of the run: after request_peering pcx-ab, accept_peering pcx-ab, delete_peering pcx-ab";
    let plain = run("svg", None);
    assert!(
        plain.starts_with("<svg") && !plain.contains("At "),
        "{plain}"
    );
    let svg = run("svg", Some("2.5"));
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    assert!(svg.contains(&format!(">{line}</text>")), "{svg}");
    // The drawing itself is nested whole under the caption (at 0.1 s no
    // change is due, so it is the network as written).
    let early = run("svg", Some("0.1"));
    assert!(
        early.contains(">At 100 ms of the run: no change applied yet"),
        "{early}"
    );
    assert!(
        early.contains(plain.trim_end()),
        "the drawing changed under the caption"
    );
    let html = run("html", Some("2.5"));
    assert!(html.contains(line), "{html}");
    let html = run("html", Some("0.1"));
    assert!(
        html.contains("At 100 ms of the run: no change applied yet"),
        "{html}"
    );
}
