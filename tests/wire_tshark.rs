//! Wireshark agrees with us: every kind of frame `wire` makes is written to a pcap and
//! decoded by tshark with checksum validation on; no malformed packets, no bad
//! checksums, and the fields that matter decode to what we meant. Needs tshark
//! (`scripts/test.sh` installs it), hence `#[ignore]` in a plain `cargo test`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use pcap_file::pcap::{PcapPacket, PcapWriter};
use peeremu::wire::{
    build_packet, fragment_ipv4, icmpv4_frag_needed, icmpv6_packet_too_big, rewrite_ipv4,
    PacketSpec, Transport,
};

const TCP: Transport = Transport::Tcp {
    src_port: 49152,
    dst_port: 443,
    flags: 0x18,
    seq: 1,
    ack: 1,
};
const UDP: Transport = Transport::Udp {
    src_port: 40000,
    dst_port: 40001, // nothing Wireshark decodes further (4789 would be VXLAN)
};
const ECHO: Transport = Transport::Echo {
    id: 77,
    seq: 1,
    reply: false,
};

fn spec(v6: bool, transport: Transport, payload_len: usize, df: bool) -> PacketSpec {
    let (src, dst) = if v6 {
        (
            IpAddr::V6(Ipv6Addr::new(0x2600, 0x1f18, 0, 1, 0, 0, 0, 0x10)),
            IpAddr::V6(Ipv6Addr::new(0x2600, 0x1f18, 0, 2, 0, 0, 0, 0x20)),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(10, 0, 1, 10)),
            IpAddr::V4(Ipv4Addr::new(10, 1, 2, 20)),
        )
    };
    PacketSpec {
        src_mac: [2, 0, 0, 0, 0, 0x0a],
        dst_mac: [2, 0, 0, 0, 0, 0x0b],
        src,
        dst,
        transport,
        payload_len,
        dont_fragment: df,
        identification: 0x1000 + payload_len as u16,
        ttl: 64,
    }
}

/// Frames that are not ICMP errors: every transport over both families, fragment
/// trains (tshark reassembles them and checks the reassembled transport checksum) and
/// NATed frames.
fn data_frames() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    for v6 in [false, true] {
        for t in [TCP, UDP, ECHO] {
            frames.push(build_packet(&spec(v6, t, 100, false)).unwrap());
        }
    }
    for t in [TCP, UDP, ECHO] {
        let big = build_packet(&spec(false, t, 8000, false)).unwrap();
        fragment_ipv4(&big, 1500, &mut frames).unwrap();
        let mut natted = build_packet(&spec(false, t, 300, false)).unwrap();
        rewrite_ipv4(
            &mut natted,
            Some((Ipv4Addr::new(54, 1, 2, 3), Some(61000))),
            None,
        )
        .unwrap();
        frames.push(natted);
    }
    frames
}

/// ICMP "fragmentation needed" and ICMPv6 "packet too big" for each transport.
fn error_frames() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    for t in [TCP, UDP, ECHO] {
        let df = build_packet(&spec(false, t, 3000, true)).unwrap();
        frames.push(icmpv4_frag_needed(&df, Ipv4Addr::new(10, 0, 1, 1), 1500).unwrap());
        let v6 = build_packet(&spec(true, t, 3000, false)).unwrap();
        let router = Ipv6Addr::new(0x2600, 0x1f18, 0, 1, 0, 0, 0, 1);
        frames.push(icmpv6_packet_too_big(&v6, router, 1500).unwrap());
    }
    frames
}

fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = PcapWriter::new(file).unwrap();
    for (i, f) in frames.iter().enumerate() {
        let ts = Duration::from_micros(i as u64);
        writer
            .write_packet(&PcapPacket::new(ts, f.len() as u32, f))
            .unwrap();
    }
}

/// tshark with IPv4 header checksum checks on, and transport ones when asked.
fn tshark(path: &Path, transport_checks: bool, extra: &[&str]) -> String {
    let on = if transport_checks { "TRUE" } else { "FALSE" };
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-o", "ip.check_checksum:TRUE"])
        .args(["-o", &format!("tcp.check_checksum:{on}")])
        .args(["-o", &format!("udp.check_checksum:{on}")])
        .args(["-o", "tcp.analyze_sequence_numbers:FALSE"])
        .args(extra)
        .output()
        .expect("tshark must be installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_no_complaints(detail: &str) {
    for bad in [
        "Malformed",
        "Checksum Status: Bad",
        "incorrect",
        "Expert Info (Error",
        "Expert Info (Warning",
    ] {
        let hits: Vec<&str> = detail.lines().filter(|l| l.contains(bad)).collect();
        assert!(hits.is_empty(), "tshark reports {bad:?}: {hits:#?}");
    }
}

fn pcap_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("peeremu-wire-{}-{name}.pcap", std::process::id()))
}

#[test]
#[ignore = "needs tshark"]
fn tshark_accepts_data_frames_fragments_and_nat() {
    let path = pcap_path("data");
    let frames = data_frames();
    write_pcap(&path, &frames);
    assert_no_complaints(&tshark(&path, true, &["-V"]));
    // Each fragment train is reassembled by Wireshark into its transport protocol.
    let protocols = tshark(&path, true, &["-T", "fields", "-e", "_ws.col.Protocol"]);
    let top: Vec<&str> = protocols.lines().collect();
    assert_eq!(top.len(), frames.len());
    let reassembled = tshark(
        &path,
        true,
        &[
            "-Y",
            "ip.reassembled.length == 8020 || ip.reassembled.length == 8008",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
    );
    assert_eq!(
        reassembled.lines().count(),
        3,
        "three trains reassembled: {reassembled}"
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
#[ignore = "needs tshark"]
fn tshark_decodes_icmp_errors() {
    let path = pcap_path("errors");
    write_pcap(&path, &error_frames());
    // Transport checksums are off here: the packets quoted inside the errors are
    // truncated by design (RFC 792, RFC 4443 §3.2), which tshark would flag.
    assert_no_complaints(&tshark(&path, false, &["-V"]));
    let names = [
        "icmp.type",
        "icmp.code",
        "icmp.mtu",
        "icmp.checksum.status",
        "icmpv6.type",
        "icmpv6.mtu",
        "icmpv6.checksum.status",
    ];
    // Only the outer message's fields: the quoted packet may be ICMP too.
    let mut args = vec!["-T", "fields", "-E", "separator=,", "-E", "occurrence=f"];
    for name in names {
        args.extend(["-e", name]);
    }
    let fields = tshark(&path, false, &args);
    let rows: Vec<&str> = fields.lines().collect();
    assert_eq!(rows.len(), 6, "{fields}");
    for (i, row) in rows.iter().enumerate() {
        let expected = if i % 2 == 0 {
            "3,4,1500,1,,,"
        } else {
            ",,,,2,1500,1"
        };
        assert!(
            row.starts_with(expected),
            "row {i}: {row:?}, expected {expected:?}"
        );
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
#[ignore = "needs tshark"]
fn tshark_accepts_icmp_errors_translated_back_through_nat() {
    // Errors about packets that left through a NAT gateway as 54.0.0.5:61000,
    // translated back to the instance: outer destination and quoted source.
    let private = Ipv4Addr::new(10, 0, 1, 10);
    let mut frames = Vec::new();
    for t in [TCP, UDP, ECHO] {
        let mut s = spec(false, t, 3000, true);
        s.src = IpAddr::V4(Ipv4Addr::new(54, 0, 0, 5));
        let sent = build_packet(&s).unwrap();
        let mut error = icmpv4_frag_needed(&sent, Ipv4Addr::new(203, 0, 113, 1), 1400).unwrap();
        rewrite_ipv4(&mut error, None, Some((private, Some(40000)))).unwrap();
        frames.push(error);
    }
    let path = pcap_path("translated-errors");
    write_pcap(&path, &frames);
    assert_no_complaints(&tshark(&path, false, &["-V"]));
    let fields = |occurrence: &str, names: &[&str]| {
        let mut args = vec!["-T", "fields", "-E", "separator=,", "-E", occurrence];
        for n in names {
            args.extend(["-e", n]);
        }
        tshark(&path, false, &args)
    };
    // The last (quoted) IP header: the instance's address, checksum good (1).
    let quoted = fields("occurrence=l", &["ip.src", "ip.checksum.status"]);
    assert_eq!(
        quoted.lines().collect::<Vec<_>>(),
        vec!["10.0.1.10,1"; 3],
        "{quoted}"
    );
    // The outer ICMP checksum is good.
    let outer = fields("occurrence=f", &["icmp.checksum.status"]);
    assert_eq!(outer.lines().collect::<Vec<_>>(), vec!["1"; 3], "{outer}");
    let ports = tshark(
        &path,
        false,
        &[
            "-T",
            "fields",
            "-e",
            "udp.srcport",
            "-e",
            "tcp.srcport",
            "-e",
            "icmp.ident",
        ],
    );
    assert!(ports.lines().all(|l| l.contains("40000")), "{ports}");
    let _ = std::fs::remove_file(&path);
}
