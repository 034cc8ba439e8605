//! `PEEREMU_MEMORY_REPORT` (issue #18, `output::memory`): `peeremu run` prints the
//! memory it held beyond the loaded topology, and only when asked.

use std::process::Command;

fn run(report: bool, name: &str) -> std::process::Output {
    let out = std::env::temp_dir().join(format!("peeremu-memreport-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peeremu"));
    cmd.args([
        "run",
        "topologies/two-vpc-peering.toml",
        "--quiet",
        "--no-capture",
    ])
    .arg("--out")
    .arg(&out)
    .env_remove("PEEREMU_MEMORY_REPORT");
    if report {
        cmd.env("PEEREMU_MEMORY_REPORT", "1");
    }
    let output = cmd.output().expect("runs");
    let _ = std::fs::remove_dir_all(&out);
    output
}

/// The three figures of `memory: topology T KB resident after load, peak P KB
/// after it: run R KB`.
fn figures(line: &str) -> Option<(u64, u64, u64)> {
    let rest = line.strip_prefix("memory: topology ")?;
    let (t, rest) = rest.split_once(" KB resident after load, peak ")?;
    let (p, rest) = rest.split_once(" KB after it: run ")?;
    let r = rest.strip_suffix(" KB")?;
    Some((t.parse().ok()?, p.parse().ok()?, r.parse().ok()?))
}

#[cfg(target_os = "linux")]
#[test]
fn the_memory_line_is_printed_when_asked_and_adds_up() {
    let out = run(true, "on");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("memory: "))
        .unwrap_or_else(|| panic!("no memory line in: {stderr}"));
    let (topology, peak, run) = figures(line).unwrap_or_else(|| panic!("{line}"));
    assert!(topology > 0, "{line}");
    assert!(peak >= topology, "{line}");
    assert_eq!(run, peak - topology, "{line}");
}

#[test]
fn no_memory_line_by_default() {
    let out = run(false, "off");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("memory: "));
}
