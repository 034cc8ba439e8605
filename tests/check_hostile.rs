//! Hostile input end to end (issue #11): `check` and `run` refuse with a located
//! error and exit 2 — never a panic — and stay fast on huge files.

use std::fmt::Write as _;
use std::process::{Command, Output};

fn peeremu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run peeremu")
}

const HEADER: &str = r#"
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
"#;

/// 100,000 flows from an unknown endpoint: every lookup is indexed, suggestions
/// are capped and positions are found by binary search, so this loads in well
/// under a second in release builds; a quadratic step (the cause of 16 s for 16k
/// flows before) would make the suite visibly slow (minutes) rather than flaky.
#[test]
fn a_hundred_thousand_unknown_references_check_in_linear_time() {
    let n = 100_000;
    let mut src = String::from(HEADER);
    for k in 0..n {
        let _ = write!(
            src,
            "\n[[flow]]\nname = \"f{k}\"\nkind = \"udp\"\nfrom = \"i-nope{k}\"\nto = \"i-a\"\n"
        );
    }
    let e = peeremu::topology::load_str(&src, "big.toml").expect_err("unknown endpoints");
    assert_eq!(e.diagnostics.len(), n);
    let last = e.diagnostics.last().expect("errors");
    assert_eq!(last.line, src.lines().count() - 1, "{last}");
    let suggested = e
        .messages
        .iter()
        .filter(|m| m.contains("did you mean"))
        .count();
    assert!(suggested <= 100, "{suggested} suggestions");
}

#[test]
fn a_topology_larger_than_64_mib_is_refused_without_reading_it_all() {
    // /dev/zero never ends: a bounded reader stops after 64 MiB + 1 byte.
    let out = peeremu(&["check", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/dev/zero: cannot read the topology file: it is larger than 64 MiB"),
        "{stderr}"
    );
}

#[test]
fn a_topology_that_is_not_utf8_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("peeremu-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("latin1.toml");
    std::fs::write(&path, b"name = \"caf\xe9\"\n").expect("write");
    let out = peeremu(&["check", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("it is not UTF-8 text (invalid byte at offset 11)"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A multicast host address used to pass `check` and then panic inside smoltcp
/// (`Host::new`) during `run`, leaving 0-byte files: now `run` refuses it like
/// `check`, with the file, line and column.
#[test]
fn run_refuses_a_multicast_host_before_simulating() {
    let dir = std::env::temp_dir().join(format!("peeremu-hostile-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("multicast.toml");
    let text = format!(
        "{HEADER}\n[[host]]\nname = \"mc\"\nip = \"224.0.0.1\"\n\n[[flow]]\nname = \"f\"\nkind = \"ping\"\nfrom = \"i-a\"\nto = \"mc\"\n"
    );
    std::fs::write(&path, text).expect("write");
    let out_dir = dir.join("out");
    let out = peeremu(&[
        "run",
        path.to_str().expect("utf-8 path"),
        "--out",
        out_dir.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("multicast.toml:20:6: host mc: 224.0.0.1 is a multicast address"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_refuses_a_synthetic_table_that_cannot_fit() {
    let out = peeremu(&["bench", "--synthetic", "100000000", "--lookups", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--synthetic 100000000 is more than the 20000000 prefixes"),
        "{stderr}"
    );
}
