//! `peeremu bench` end to end: the binary with a small synthetic table, a prefix
//! file, bad input, and the topology mode.

use std::process::{Command, Output};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run peeremu")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The figure before `unit` on the line starting with `prefix`.
fn figure(out: &str, prefix: &str, unit: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{out}"));
    let before = &line[..line
        .find(unit)
        .unwrap_or_else(|| panic!("no {unit} in {line}"))];
    before
        .split_whitespace()
        .last()
        .and_then(|w| w.trim_start_matches('(').parse().ok())
        .unwrap_or_else(|| panic!("no number before {unit} in {line}"))
}

#[test]
fn synthetic_ipv4_prints_build_memory_and_lookup_rates() {
    let o = bench(&["--synthetic", "10000", "--lookups", "200000"]);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "table: 10000 IPv4 prefixes (synthetic, seed 1)");
    assert!(lines[1].starts_with("build: "), "{}", lines[1]);
    assert!(lines[1].contains("10000 distinct prefixes"), "{}", lines[1]);
    assert!(figure(&out, "build:", "bytes/prefix;") > 1.0);
    let matched = figure(&out, "keys:", "%");
    assert!((40.0..80.0).contains(&matched), "{matched}");
    for mode in ["independent:", "dependent:"] {
        assert!(out.contains(&format!("{mode} 200000 lookups in")), "{out}");
        assert!(figure(&out, mode, "ns/lookup") > 0.0);
        assert!(figure(&out, mode, "M lookups/s") > 0.0);
    }
}

#[test]
fn synthetic_ipv6_and_deterministic_table() {
    let a = stdout(&bench(&[
        "--synthetic",
        "5000",
        "--v6",
        "--lookups",
        "50000",
    ]));
    assert!(a.starts_with("table: 5000 IPv6 prefixes"), "{a}");
    let b = stdout(&bench(&[
        "--synthetic",
        "5000",
        "--v6",
        "--lookups",
        "50000",
    ]));
    // Same seed: same table shape and the same keys.
    let shape = |s: &str| -> String {
        let build = s.lines().nth(1).unwrap_or_default();
        let keys = s.lines().nth(2).unwrap_or_default();
        format!("{}|{keys}", &build[build.find("memory").unwrap_or(0)..])
    };
    assert_eq!(shape(&a), shape(&b));
}

#[test]
fn prefix_file_plain_and_bad_line() {
    let dir = std::env::temp_dir().join(format!("peeremu-lpm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("fib.txt");
    std::fs::write(&good, "10.0.0.0/8\n10.1.0.0/16\n2001:db8::/32\n0.0.0.0/0\n").unwrap();
    let o = bench(&["--fib", good.to_str().unwrap(), "--lookups", "1000"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.starts_with("table: 3 IPv4 prefixes"), "{out}");
    // The default route catches every key.
    assert_eq!(figure(&out, "keys:", "%"), 100.0);
    let o = bench(&["--fib", good.to_str().unwrap(), "--v6", "--lookups", "1000"]);
    assert!(stdout(&o).starts_with("table: 1 IPv6 prefixes"));

    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "10.0.0.0/8\nnot-a-prefix\n").unwrap();
    let o = bench(&["--fib", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.txt:2: `not-a-prefix`"), "{err}");

    let o = bench(&["--fib", dir.join("missing.txt").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unusable_topology_is_a_clear_error() {
    let o = bench(&["no-such-topology.toml", "--lookups", "10"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-such-topology.toml"), "{err}");
}

#[test]
fn zero_lookups_is_rejected() {
    let o = bench(&["--synthetic", "10", "--lookups", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn topology_mode_times_every_route_table() {
    let topo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/topologies/two-vpc-peering.toml"
    );
    let o = bench(&[topo, "--lookups", "2000"]);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let tables = out
        .lines()
        .filter(|l| l.starts_with("route table "))
        .count();
    assert!(tables >= 2, "{out}");
    assert!(out.contains("  IPv4: "), "{out}");
    assert!(figure(&out, "  IPv4:", "ns/lookup,") > 0.0);
}
