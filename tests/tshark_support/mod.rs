//! What the tshark-checking tests share.

// Each test binary uses part of it.
#![allow(dead_code)]

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
