//! `peeremu run` output that answers the next question: the top drop's object in
//! the table, `--explain FLOW`, counts that add up (resets apart from the flow's
//! own packets), and the `dropped` / `dropped:A|B` expectations.

use peeremu::dataplane::test_net::{nacl_all, nacl_tcp, sg_all, TestNet};
use peeremu::model::*;
use peeremu::output::Outcome;
use peeremu::sim::{run_network, NullObserver, SimConfig};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn peeremu_run(topology: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .arg("run")
        .arg(topology)
        .arg("--out")
        .arg(out)
        .args(["--no-report", "--no-capture"])
        .args(extra)
        .output()
        .expect("peeremu runs")
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("topologies")
        .join(format!("{name}.toml"))
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("peeremu-run-output-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_table_names_the_object_of_the_top_drop() {
    let dir = temp("table");
    let out = peeremu_run(&example("nacl-ephemeral"), &dir.join("o"), &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text
        .lines()
        .find(|l| l.starts_with("client-to-db-broken"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains("NACL_DENY acl-db-broken rule * outbound"),
        "{text}"
    );
    let header = text.lines().next().unwrap();
    assert!(header.contains("dropped  resets  top drop"), "{header}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("o/summary.json")).unwrap()).unwrap();
    let f = &summary["flows"][0];
    assert_eq!(
        f["drop_objects"]["NACL_DENY"],
        "acl-db-broken rule * outbound"
    );
    assert_eq!(f["dropped_resets"], 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_prints_the_hops_of_the_first_dropped_packet() {
    let dir = temp("explain");
    let out = peeremu_run(
        &example("nacl-ephemeral"),
        &dir.join("o"),
        &["--explain", "client-to-db-broken"],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // The SYN-ACK of the run (its port is the run's), traced with the state the
    // run had: the security group lets it out as the reply of a tracked flow.
    assert!(
        text.contains("explain flow \"client-to-db-broken\": first dropped packet tcp 10.0.2.10:5432 -> 10.0.1.10:"),
        "{text}"
    );
    assert!(
        text.contains("   1. +0.000 ms  ENI eni-db-broken (db-broken, 10.0.2.10) sends"),
        "{text}"
    );
    assert!(
        text.contains("security group egress: allowed as the reply of a tracked flow"),
        "{text}"
    );
    assert!(
        text.contains("DROPPED NACL_DENY: acl-db-broken rule * outbound"),
        "{text}"
    );
    assert!(text.contains("      fix: "), "{text}");

    // A flow nothing of which was dropped says so.
    let out = peeremu_run(
        &example("nacl-ephemeral"),
        &dir.join("o2"),
        &["--explain", "client-to-db-fixed"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("explain flow \"client-to-db-fixed\": none of its packets was dropped"),
        "{text}"
    );

    // With --json the explanation goes to stderr, stdout stays JSON.
    let out = peeremu_run(
        &example("nacl-ephemeral"),
        &dir.join("o3"),
        &["--explain", "client-to-db-broken", "--json"],
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DROPPED NACL_DENY"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_of_an_unknown_flow_is_an_error_with_a_suggestion() {
    let dir = temp("explain-unknown");
    let out = peeremu_run(
        &example("nacl-ephemeral"),
        &dir.join("o"),
        &["--explain", "client-to-db-brokn"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--explain: no flow is named 'client-to-db-brokn'; did you mean `client-to-db-broken`?"
        ),
        "{err}"
    );
    assert!(!dir.join("o").exists(), "nothing is written");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two VPCs; `deny_syn`: the receiver's subnet NACL denies TCP inbound;
/// `black_hole`: an inter-region peering (MTU 1500) and the sender's NACL
/// denying ICMP inbound, so every "fragmentation needed" is dropped.
fn network(deny_syn: bool, black_hole: bool) -> Network {
    let mut t = TestNet::new();
    let a = t.vpc_in(0, "10.10.0.0/16");
    let b = t.vpc_in(u32::from(black_hole), "10.20.0.0/16");
    let sa = t.subnet(a, "10.10.1.0/24", 0);
    let sb = t.subnet(b, "10.20.1.0/24", 2);
    let ga = t.sg(a, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let gb = t.sg(b, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    t.peer_subnets(sa, sb);
    let sender = t.eni(sa, "10.10.1.10", &[ga]);
    let receiver = t.eni(sb, "10.20.1.10", &[gb]);
    if deny_syn {
        t.nacl(
            sb,
            vec![nacl_tcp(100, "0.0.0.0/0", (0, 65535), RuleAction::Deny)],
            vec![nacl_all(100, "0.0.0.0/0", RuleAction::Allow)],
        );
    }
    if black_hole {
        t.nacl(
            sa,
            vec![nacl_tcp(100, "0.0.0.0/0", (0, 65535), RuleAction::Allow)],
            vec![nacl_all(100, "0.0.0.0/0", RuleAction::Allow)],
        );
    }
    let mut net = t.build();
    net.flows.push(Flow {
        bytes: 200_000,
        ..Flow::new(
            "bulk",
            FlowKind::Tcp,
            Endpoint::Eni(sender),
            Endpoint::Eni(receiver),
        )
    });
    net
}

#[test]
fn a_tcp_flow_refused_by_a_nacl_counts_its_syns_and_no_more() {
    let r = run_network(
        &network(true, false),
        &SimConfig::default(),
        &mut NullObserver,
    )
    .expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Dropped, "{:?}", f.notes);
    assert!(f.sent_packets > 0);
    assert_eq!(f.dropped_packets, f.sent_packets, "{f:?}");
    assert_eq!(f.dropped_resets, 0, "{f:?}");
    assert_eq!(f.drops.get("NACL_DENY"), Some(&f.sent_packets));
    assert_eq!(f.unaccounted_packets, 0);
}

#[test]
fn icmp_errors_about_a_flow_are_resets_not_its_packets() {
    let r = run_network(
        &network(false, true),
        &SimConfig::default(),
        &mut NullObserver,
    )
    .expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Stalled, "{:?} {:?}", f.drops, f.notes);
    // Every oversized segment was dropped (MTU_EXCEEDED), and the router's ICMP
    // "fragmentation needed" about it was dropped by the sender's NACL: before,
    // both counted as the flow's drops and `dropped` exceeded `sent`.
    let too_big = f.drops["MTU_EXCEEDED"];
    let icmp = f.drops["NACL_DENY"];
    assert!(too_big > 0 && icmp > 0, "{:?}", f.drops);
    assert_eq!(f.dropped_packets, too_big, "{f:?}");
    assert_eq!(f.dropped_resets, icmp, "{f:?}");
    assert!(f.sent_packets >= f.dropped_packets, "{f:?}");
    assert_eq!(
        f.drops.values().sum::<u64>(),
        f.dropped_packets + f.dropped_resets
    );
}

/// A topology whose flow `f` is refused by a NACL, expecting `expect`.
fn refused_flow_topology(expect: &str) -> String {
    format!(
        r#"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"

[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"

[[subnet]]
id = "subnet-b"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.2.0/24"
nacl = "acl-b"

[[network_acl]]
id = "acl-b"
vpc = "vpc-a"
inbound = []
outbound = []

[[instance]]
id = "i-a"
subnet = "subnet-a"
private_ip = "10.0.1.10"

[[instance]]
id = "i-b"
subnet = "subnet-b"
private_ip = "10.0.2.10"

[[flow]]
name = "f"
kind = "ping"
from = "i-a"
to = "i-b"
count = 2
expect = "{expect}"
"#
    )
}

#[test]
fn dropped_for_any_reason_or_any_of_a_list() {
    let dir = temp("expect");
    let cases = [
        ("dropped", true),
        ("dropped:SG_NO_MATCH|NACL_DENY", true),
        ("dropped:SG_NO_MATCH|NO_ROUTE", false),
        ("dropped:NACL_DENY", true),
        ("delivered", false),
    ];
    for (i, (expect, met)) in cases.into_iter().enumerate() {
        let file = dir.join(format!("t{i}.toml"));
        std::fs::write(&file, refused_flow_topology(expect)).unwrap();
        let out = peeremu_run(&file, &dir.join(format!("o{i}")), &["--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{expect}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let e = &v["flows"][0]["expectation"];
        assert_eq!(e["met"], met, "{expect}: {v:#}");
        assert_eq!(out.status.code(), Some(if met { 0 } else { 1 }), "{expect}");
        // Written back as given, a list in the order of the reason codes.
        let written = match expect {
            "dropped:SG_NO_MATCH|NACL_DENY" => "dropped:NACL_DENY|SG_NO_MATCH",
            "dropped:SG_NO_MATCH|NO_ROUTE" => "dropped:NO_ROUTE|SG_NO_MATCH",
            other => other,
        };
        assert_eq!(e["expected"], written, "{expect}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dropped_is_not_met_by_a_flow_merely_cut_short() {
    // Nothing dropped, the run stopped early: not "dropped" for any reason.
    let mut net = network(false, false);
    net.flows[0].expect = Some(Expectation::DroppedAnyOf(DropReasons::ANY));
    let config = SimConfig {
        time_limit_ns: Some(1),
        ..Default::default()
    };
    let r = run_network(&net, &config, &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Incomplete, "{:?}", f.notes);
    assert_eq!(f.expectation, Some(("dropped".to_string(), false)));
}
