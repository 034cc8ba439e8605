//! What the tshark-checking tests share.

// Each test binary uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Options that make tshark verify IPv4, TCP and UDP checksums (off by default).
pub const CHECKSUMS: [&str; 6] = [
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
];

/// tshark renamed `pkt_comment` to `frame.comment` (3.6); use whichever it knows.
pub fn comment_field() -> &'static str {
    let out = Command::new("tshark")
        .args(["-G", "fields"])
        .output()
        .expect("tshark must be installed for this test (Debian package tshark)");
    let known = String::from_utf8_lossy(&out.stdout);
    if known
        .lines()
        .any(|l| l.split('\t').nth(2) == Some("frame.comment"))
    {
        "frame.comment"
    } else {
        "pkt_comment"
    }
}

/// tshark fields (tab-separated, one line per frame) of every frame in `file`
/// matching `filter`.
pub fn lines(file: &Path, filter: &str, f: &[&str]) -> Vec<String> {
    run_fields(file, filter, f, &[])
}

/// [`lines`] with checksum validation on (`*.checksum.status` 1 = good).
pub fn checked_lines(file: &Path, filter: &str, f: &[&str]) -> Vec<String> {
    run_fields(file, filter, f, &CHECKSUMS)
}

fn run_fields(file: &Path, filter: &str, f: &[&str], options: &[&str]) -> Vec<String> {
    let mut c = Command::new("tshark");
    c.arg("-r").arg(file).args(options);
    c.args(["-Y", filter, "-T", "fields"]);
    for x in f {
        c.args(["-e", x]);
    }
    let o = c.output().expect("run tshark");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}
