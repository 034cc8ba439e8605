//! tshark decodes what `Recorder` writes: no malformed packets, correct IP/TCP/UDP/
//! ICMP checksums, IPv4 fragments reassembled, nanosecond timestamps, interface
//! names, direction flags and drop comments. Needs tshark (Debian package `tshark`),
//! hence ignored by default; CI runs `cargo test -- --include-ignored`.

mod output_support;
mod tshark_support;

use output_support::*;
use peeremu::output::{Recorder, RecorderConfig, RunTotals};
use std::path::{Path, PathBuf};
use std::process::Command;
use tshark_support::{comment_field, CHECKSUMS};

/// Record [`drive`] once into a fresh folder.
fn recorded(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let mut rec = Recorder::create(&network(), &RecorderConfig::new(&dir)).unwrap();
    drive(&mut rec);
    let (_, written) = rec.finish(&reports(), RunTotals::default(), false);
    written.unwrap();
    dir
}

/// Run tshark with checksum validation on; return stdout (stderr must be empty).
fn tshark(file: &Path, extra: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(CHECKSUMS)
        .args(extra)
        .output()
        .expect("tshark must be installed for this test");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_clean(verbose: &str) {
    for bad in [
        "[Malformed",
        "Bad checksum",
        "incorrect",
        "status: Bad",
        "Status: Bad",
        "Expert Info (Error",
    ] {
        assert!(!verbose.contains(bad), "tshark reports {bad:?}:\n{verbose}");
    }
}

#[test]
#[ignore = "needs tshark"]
fn capture_decodes_with_valid_checksums_and_reassembled_fragments() {
    let dir = recorded("tshark-capture");
    let file = dir.join("capture.pcapng");
    let verbose = tshark(&file, &["-V"]);
    assert_clean(&verbose);
    // Checksums were really checked, not skipped.
    assert!(
        verbose.contains("[Header checksum status: Good]"),
        "{verbose}"
    );
    assert!(verbose.contains("[Checksum Status: Good]"));
    // Every protocol we built was decoded.
    let protos = tshark(&file, &["-T", "fields", "-e", "frame.protocols"]);
    for p in [
        "eth:ethertype:ip:tcp",
        "ip:udp:data",
        "ip:icmp:data",
        "ipv6:udp",
        "ipv6:icmpv6",
    ] {
        assert!(protos.contains(p), "no {p} in\n{protos}");
    }
    // The 4000-byte datagram is reassembled (tshark pools the copies seen at the
    // three points into one reassembly here; the per-point files show it cleanly).
    let reassembled = tshark(
        &file,
        &[
            "-Y",
            "ip.reassembled.length",
            "-T",
            "fields",
            "-e",
            "ip.reassembled.length",
        ],
    );
    assert!(!reassembled.is_empty(), "no reassembly");
    assert!(reassembled.lines().all(|l| l == "4008"), "{reassembled}");
}

#[test]
#[ignore = "needs tshark"]
fn per_point_files_decode_cleanly_with_three_fragments_reassembled() {
    let dir = recorded("tshark-points");
    for point in ["eni-0a", "eni-0b", "pcx-ab"] {
        let file = dir.join("points").join(format!("{point}.pcapng"));
        let verbose = tshark(&file, &["-V"]);
        assert_clean(&verbose);
        assert!(
            !verbose.contains("Retransmission"),
            "{point}: each frame once per point"
        );
        let r = tshark(
            &file,
            &[
                "-Y",
                "ip.reassembled.length",
                "-T",
                "fields",
                "-e",
                "ip.reassembled.length",
                "-e",
                "ip.fragment.count",
                "-e",
                "udp.length",
            ],
        );
        // Fragments only cross a → b, so eni-0a, the link and eni-0b all see them.
        assert_eq!(
            r.lines().collect::<Vec<_>>(),
            ["4008\t3\t4008"],
            "{point}: {r}"
        );
    }
    let internet = tshark(
        &dir.join("points/internet.pcapng"),
        &["-T", "fields", "-e", "frame.interface_name"],
    );
    assert_eq!(internet, "internet\n");
}

#[test]
#[ignore = "needs tshark"]
fn timestamps_interfaces_and_directions() {
    let dir = recorded("tshark-meta");
    let file = dir.join("capture.pcapng");
    let fields = tshark(
        &file,
        &[
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.interface_name",
            "-e",
            "frame.packet_flags_direction",
        ],
    );
    // tshark prints the direction as `2` or `0x00000002` depending on its version.
    let rows: Vec<(String, String, u32)> = fields
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let dir = c[2].trim_start_matches("0x");
            let dir =
                u32::from_str_radix(dir, if c[2].starts_with("0x") { 16 } else { 10 }).unwrap();
            (c[0].to_string(), c[1].to_string(), dir)
        })
        .collect();
    let row = |t: &str, i: &str, d: u32| (t.to_string(), i.to_string(), d);
    assert_eq!(
        rows[0],
        row("1700000000.000001000", "eni-0a", 2),
        "{fields}"
    );
    assert_eq!(rows[1], row("1700000000.000001005", "pcx-ab", 2));
    assert!(rows.contains(&row("1700000000.040001000", "eni-0b", 1)));
    assert!(rows.contains(&row("1700000000.400000000", "internet", 1)));
}

#[test]
#[ignore = "needs tshark"]
fn drops_show_their_comments() {
    let dir = recorded("tshark-drops");
    let file = dir.join("drops.pcapng");
    assert_clean(&tshark(&file, &["-V"]));
    let comments = tshark(
        &file,
        &[
            "-T",
            "fields",
            "-e",
            comment_field(),
            "-e",
            "frame.interface_name",
        ],
    );
    assert_eq!(
        comments.lines().collect::<Vec<_>>(),
        [
            "NACL_DENY acl-0b1 rule * inbound\teni-0b",
            "MTU_EXCEEDED pcx-ab MTU 1500\tvpc-router"
        ]
    );
}
