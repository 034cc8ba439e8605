//! The run folder written through `Recorder` from synthetic frames and reports:
//! files present, pcapng contents read back, summary shape, sanitized names,
//! determinism, `--no-capture`, interruption.

mod output_support;

use output_support::*;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use peeremu::output::{Recorder, RecorderConfig, RunTotals};
use std::collections::BTreeMap;
use std::path::Path;

fn totals(wall: f64) -> RunTotals {
    RunTotals {
        events: 123,
        frames: 45,
        sim_time_ns: 61_040_000_000,
        wall_time_s: wall,
        conservation: Default::default(),
    }
}

/// Run a recorder over [`drive`] into `dir`.
fn record(dir: &Path, capture: bool, interrupted: bool, wall: f64) -> peeremu::output::Summary {
    let mut config = RecorderConfig::new(dir);
    config.capture = capture;
    let mut rec = Recorder::create(&network(), &config).unwrap();
    drive(&mut rec);
    let (summary, written) = rec.finish(&reports(), totals(wall), interrupted);
    written.unwrap();
    summary
}

struct Packet {
    iface: String,
    ts_ns: u128,
    flags: Option<u32>,
    comment: Option<String>,
    len: usize,
}

fn read_pcapng(path: &Path) -> Vec<Packet> {
    let bytes = std::fs::read(path).unwrap();
    let mut r = PcapNgReader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(block) = r.next_block() {
        let Block::EnhancedPacket(p) = block.unwrap() else {
            continue;
        };
        let p = p.into_owned();
        let idb = &r.interfaces()[p.interface_id as usize];
        assert!(idb
            .options
            .contains(&InterfaceDescriptionOption::IfTsResol(9)));
        let iface = idb
            .options
            .iter()
            .find_map(|o| match o {
                InterfaceDescriptionOption::IfName(n) => Some(n.to_string()),
                _ => None,
            })
            .unwrap();
        let mut pkt = Packet {
            iface,
            ts_ns: p.timestamp.as_nanos(),
            flags: None,
            comment: None,
            len: p.data.len(),
        };
        for o in &p.options {
            match o {
                EnhancedPacketOption::Flags(f) => pkt.flags = Some(*f),
                EnhancedPacketOption::Comment(c) => pkt.comment = Some(c.to_string()),
                _ => {}
            }
        }
        out.push(pkt);
    }
    out
}

#[test]
fn capture_has_one_interface_per_point_with_ns_timestamps_and_directions() {
    let dir = temp_dir("rec-capture");
    record(&dir, true, false, 0.5);
    let packets = read_pcapng(&dir.join("capture.pcapng"));
    let per_iface: BTreeMap<&str, usize> = packets.iter().fold(BTreeMap::new(), |mut m, p| {
        *m.entry(p.iface.as_str()).or_default() += 1;
        m
    });
    // 5 + 3 fragments + 2 IPv6 + 1 later ping crossings = 11; both ENIs see each.
    assert_eq!(per_iface["eni-0a"], 12); // 11 crossings + the denied frame sent
    assert_eq!(per_iface["eni-0b"], 11);
    assert_eq!(per_iface["pcx-ab"], 11);
    assert_eq!(per_iface["internet"], 1);
    let base = 1_700_000_000u128 * 1_000_000_000;
    assert_eq!(packets[0].ts_ns, base + 1_000);
    assert_eq!(packets[1].ts_ns, base + 1_005);
    assert_eq!(packets[0].flags, Some(2)); // outbound
    let arrival = packets
        .iter()
        .find(|p| p.ts_ns == base + 1_000 + HOP_NS as u128)
        .unwrap();
    assert_eq!((arrival.iface.as_str(), arrival.flags), ("eni-0b", Some(1))); // inbound
                                                                              // Written in time order.
    assert!(packets.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns));
    assert!(packets.iter().all(|p| p.comment.is_none()));
    // Per-point files hold the same frames, one interface each.
    let mut total = 0;
    for (name, n) in &per_iface {
        let own = read_pcapng(&dir.join("points").join(format!("{name}.pcapng")));
        assert_eq!(own.len(), *n, "{name}");
        assert!(own.iter().all(|p| p.iface == *name));
        total += own.len();
    }
    assert_eq!(total, packets.len());
}

#[test]
fn drops_carry_reason_and_object_comments() {
    let dir = temp_dir("rec-drops");
    record(&dir, true, false, 0.5);
    let drops = read_pcapng(&dir.join("drops.pcapng"));
    assert_eq!(drops.len(), 2);
    assert_eq!(drops[0].iface, "eni-0b");
    assert_eq!(
        drops[0].comment.as_deref(),
        Some("NACL_DENY acl-0b1 rule * inbound")
    );
    assert_eq!(drops[1].iface, "vpc-router");
    assert_eq!(
        drops[1].comment.as_deref(),
        Some("MTU_EXCEEDED pcx-ab MTU 1500")
    );
    assert_eq!(drops[1].len, 14 + 20 + 8 + 3000);
    assert_eq!(drops[0].flags, None);
}

#[test]
fn summary_histograms_and_safe_names() {
    let dir = temp_dir("rec-summary");
    let summary = record(&dir, true, false, 0.5);
    assert_eq!(summary.expectations.checked, 2);
    assert_eq!(summary.expectations.failed, 0);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["topology"], "output-test");
    assert_eq!(json["seed"], 1);
    assert_eq!(json["interrupted"], false);
    let f0 = &json["flows"][0];
    for key in [
        "name",
        "src",
        "dst",
        "protocol",
        "sent_packets",
        "delivered_packets",
        "dropped_packets",
        "bytes_delivered",
        "drops",
        "latency_ns",
        "outcome",
        "expectation",
    ] {
        assert!(f0.get(key).is_some(), "missing {key}");
    }
    assert_eq!(f0["expectation"]["expected"], "delivered");
    assert!(f0["rtt_ns"]["p50"].as_u64().unwrap() > 80_000_000);
    assert_eq!(
        json["flows"][1]["expectation"]["expected"],
        "dropped:NACL_DENY"
    );
    assert_eq!(json["flows"][1]["expectation"]["met"], true);
    for key in ["events", "frames", "sim_time_ns", "wall_time_s"] {
        assert!(json["totals"].get(key).is_some(), "missing totals.{key}");
    }
    // Flow names became safe file names inside the folder.
    assert!(dir.join("latency/web_db.hgrm").is_file());
    assert!(dir.join("rtt/web_db.hgrm").is_file());
    assert!(dir.join("latency/.._.._escape.hgrm").is_file());
    assert!(!dir.join("rtt/.._.._escape.hgrm").exists());
    assert!(!dir.parent().unwrap().join("escape.hgrm").exists());
    let hgrm = std::fs::read_to_string(dir.join("latency/web_db.hgrm")).unwrap();
    assert!(hgrm.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n\n"));
    assert!(hgrm.contains("Total count    =            3]"));
    // Both flows in one interval log, tagged with their file-safe names.
    let log = std::fs::read_to_string(dir.join("latency.hlog")).unwrap();
    let tags: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("Tag="))
        .map(|l| &l[..l.find(',').unwrap()])
        .collect();
    assert_eq!(tags, ["web_db", ".._.._escape"]);
    let rtt = std::fs::read_to_string(dir.join("rtt.hlog")).unwrap();
    assert_eq!(rtt.matches("\nTag=").count(), 1);
}

/// Every file under `dir`, as sorted relative paths.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn same_input_gives_identical_files_except_wall_time() {
    let a = temp_dir("rec-det-a");
    let b = temp_dir("rec-det-b");
    record(&a, true, false, 0.25);
    record(&b, true, false, 7.5);
    let files_a = files_under(&a);
    assert_eq!(files_a, files_under(&b));
    // 4 top-level, 2 interval logs (latency, rtt), 4 points, 3 hgrm
    assert_eq!(files_a.len(), 13, "{files_a:?}");
    for f in files_a.iter().filter(|f| f.as_str() != "summary.json") {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
    let masked = |d: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap())
                .unwrap();
        v["totals"]["wall_time_s"] = serde_json::Value::Null;
        v
    };
    assert_eq!(masked(&a), masked(&b));
    assert_ne!(
        std::fs::read(a.join("summary.json")).unwrap(),
        std::fs::read(b.join("summary.json")).unwrap()
    );
}

#[test]
fn no_capture_writes_no_pcapng() {
    let dir = temp_dir("rec-nocap");
    record(&dir, false, false, 0.5);
    assert!(!dir.join("capture.pcapng").exists());
    assert!(!dir.join("drops.pcapng").exists());
    assert!(dir.join("summary.json").is_file());
    assert!(dir.join("flowlogs.log").is_file());
}

#[test]
fn interrupted_run_leaves_complete_files_and_says_so() {
    let dir = temp_dir("rec-interrupt");
    let mut rec = Recorder::create(&network(), &RecorderConfig::new(&dir)).unwrap();
    let stop = peeremu::output::Interrupt::new();
    // Feed part of the traffic, as a simulation would before polling the flag.
    rec.frame(
        5,
        peeremu::sim::CapturePoint::Eni(peeremu::model::EniIdx(0)),
        peeremu::sim::FrameDirection::Outbound,
        &ping(IP_A, IP_B, 1, false),
    );
    stop.trigger();
    assert!(stop.is_set());
    let (summary, written) = rec.finish(&reports()[..1], totals(0.1), stop.is_set());
    written.unwrap();
    assert!(summary.interrupted);
    let json = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(json.contains("\"interrupted\": true"));
    // The capture parses to the end: whole blocks only.
    assert_eq!(read_pcapng(&dir.join("capture.pcapng")).len(), 1);
    assert_eq!(read_pcapng(&dir.join("drops.pcapng")).len(), 0);
}

#[test]
fn unwritable_output_folder_is_an_error_not_a_panic() {
    let dir = temp_dir("rec-unwritable");
    let file = dir.join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    assert!(Recorder::create(&network(), &RecorderConfig::new(file.join("out"))).is_err());
}

use peeremu::sim::Observer;

/// Flow logs come from `wire::parse_frame`: one line per ENI, 5-tuple, window, action.
#[test]
fn flow_logs_aggregate_per_eni_window_and_action() {
    let dir = temp_dir("rec-flowlog");
    record(&dir, false, false, 0.5);
    let log = std::fs::read_to_string(dir.join("flowlogs.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines
        .iter()
        .all(|l| l.starts_with("2 123456789012 eni-0") && l.ends_with(" OK")));
    assert!(lines.contains(&"2 123456789012 eni-0a 10.0.1.10 10.1.1.20 40000 45000 6 2 180 1700000000 1700000000 ACCEPT OK"));
    assert!(lines.contains(&"2 123456789012 eni-0b 10.0.1.10 10.1.1.20 4001 5432 17 1 128 1700000000 1700000000 REJECT OK"));
    // The ping at 61 s opens a second window, written last.
    let last = lines.last().unwrap();
    assert!(last.ends_with("1700000061 1700000061 ACCEPT OK"), "{last}");
    assert!(
        last.contains(" 10.0.1.10 10.1.1.20 0 0 1 1 84 ")
            || last.contains(" 10.1.1.20 0 0 1 1 84 "),
        "{last}"
    );
}

/// A frame reported leaving eni-0a and then rejected on eni-0a's behalf (egress)
/// is logged as one REJECT, not ACCEPT + REJECT.
#[test]
fn egress_rejection_is_logged_only_as_reject() {
    let dir = temp_dir("rec-egress");
    let mut rec = Recorder::create(&network(), &RecorderConfig::new(&dir)).unwrap();
    let f = udp(IP_A, IP_B, 4003, 5432, 10);
    let a = peeremu::model::EniIdx(0);
    rec.frame(
        10,
        peeremu::sim::CapturePoint::Eni(a),
        peeremu::sim::FrameDirection::Outbound,
        &f,
    );
    rec.frame(
        20,
        peeremu::sim::CapturePoint::Eni(a),
        peeremu::sim::FrameDirection::Outbound,
        &f,
    );
    rec.dropped(peeremu::sim::DropEvent {
        time_ns: 30,
        reason: peeremu::model::DropReason::SgNoMatch,
        detail: "eni-0a sg-1 egress",
        eni: Some(a),
        frame: &f,
    });
    let (_, written) = rec.finish(&[], RunTotals::default(), false);
    written.unwrap();
    let log = std::fs::read_to_string(dir.join("flowlogs.log")).unwrap();
    assert_eq!(
        log,
        "2 123456789012 eni-0a 10.0.1.10 10.1.1.20 4003 5432 17 1 38 1700000000 1700000000 ACCEPT OK\n\
         2 123456789012 eni-0a 10.0.1.10 10.1.1.20 4003 5432 17 1 38 1700000000 1700000000 REJECT OK\n"
    );
}
