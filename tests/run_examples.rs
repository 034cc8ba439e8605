//! `peeremu run` end to end on every example topology: the binary exits 0, every
//! expectation is met, the run folder is complete and well formed (summary.json,
//! AWS v2 flow logs, HdrHistogram files, pcapng files read to the end), the same
//! seed gives byte-identical outputs, another seed still meets the expectations,
//! and Ctrl-C (SIGINT) leaves complete files behind.

mod run_support;

use peeremu::output::paths::sanitize;
use run_support::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

const OUTCOMES: [&str; 7] = [
    "delivered",
    "partial",
    "dropped",
    "stalled",
    "incomplete",
    "nxdomain",
    "dns-timeout",
];

#[test]
fn every_example_meets_its_expectations_and_writes_a_complete_folder() {
    let mut gaps_seen = BTreeSet::new();
    for (name, topo) in examples() {
        let out = temp_dir(&name);
        let summary = run_ok(&name, &topo, &out, &[]);
        for f in unmet_expectations(&summary) {
            gaps_seen.insert((name.clone(), f));
        }
        check_summary(&name, &summary);
        check_key_order(&name, &out);
        let net = load(&topo);
        check_flowlogs(&name, &net, &summary, &out);
        check_histograms(&name, &summary, &out);
        check_interval_logs(&name, &summary, &out);
        for p in ["capture.pcapng", "drops.pcapng"] {
            assert!(out.join(p).is_file(), "{name}: {p} missing");
        }
        for file in pcapngs(&out) {
            read_pcapng_to_end(&file);
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    // Every known gap is still a gap: once fixed, remove it from KNOWN_GAPS.
    for (t, f, why) in KNOWN_GAPS {
        assert!(
            gaps_seen.contains(&(t.to_string(), f.to_string())),
            "{t}/{f} now meets its expectation ({why} is fixed): remove it from KNOWN_GAPS"
        );
    }
}

/// DESIGN §5 fields, in range and consistent with each other.
fn check_summary(name: &str, s: &Value) {
    assert_eq!(s["topology"].as_str(), Some(name), "{name}: topology name");
    assert_eq!(s["seed"].as_u64(), Some(1));
    assert_eq!(s["interrupted"], Value::Bool(false));
    let mut checked = 0;
    let mut failed = 0;
    for f in flows(s) {
        let ctx = format!("{name}/{}", f["name"]);
        for key in ["name", "src", "dst", "protocol", "outcome"] {
            assert!(f[key].is_string(), "{ctx}: {key} not a string");
        }
        assert!(["ping", "udp", "tcp"].contains(&f["protocol"].as_str().unwrap()));
        assert!(OUTCOMES.contains(&f["outcome"].as_str().unwrap()), "{ctx}");
        let n = |k: &str| {
            f[k].as_u64()
                .unwrap_or_else(|| panic!("{ctx}: {k} not a count"))
        };
        let (sent, delivered, dropped) = (
            n("sent_packets"),
            n("delivered_packets"),
            n("dropped_packets"),
        );
        let bytes = n("bytes_delivered");
        // A flow by name that did not resolve never starts.
        let unresolved = matches!(f["outcome"].as_str(), Some("nxdomain" | "dns-timeout"));
        assert!(sent > 0 || unresolved, "{ctx}: nothing sent");
        let drops = f["drops"].as_object().expect("drops object");
        let drop_sum: u64 = drops.values().map(|v| v.as_u64().unwrap()).sum();
        // `drops` lists resets too (RSTs, ICMP errors about the flow dropped).
        assert_eq!(
            drop_sum,
            dropped + n("dropped_resets"),
            "{ctx}: drops by reason add up"
        );
        let codes: Vec<&String> = drops.keys().collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{ctx}: drops sorted");
        match f["outcome"].as_str().unwrap() {
            "delivered" => assert!(delivered > 0 && bytes > 0, "{ctx}"),
            "dropped" => assert_eq!(bytes, 0, "{ctx}"),
            _ => {}
        }
        // One latency sample per delivered packet (for TCP every segment, SYNs
        // included): latency is null exactly when nothing was delivered.
        assert_eq!(
            f["latency_ns"].is_null(),
            delivered == 0,
            "{ctx}: latency_ns null iff nothing delivered"
        );
        if !f["latency_ns"].is_null() {
            let l = &f["latency_ns"];
            let p: Vec<u64> = ["min", "p50", "p90", "p99", "max"]
                .iter()
                .map(|k| {
                    l[k].as_u64()
                        .unwrap_or_else(|| panic!("{ctx}: latency_ns.{k}"))
                })
                .collect();
            assert!(
                p[0] > 0 && p.windows(2).all(|w| w[0] <= w[1]),
                "{ctx}: {p:?}"
            );
        }
        if f["protocol"] == "tcp" && f["outcome"] == "delivered" {
            assert!(f["completion_ns"].as_u64().is_some_and(|c| c > 0), "{ctx}");
            assert!(f["goodput_bps"].as_f64().is_some_and(|g| g > 0.0), "{ctx}");
        }
        if f["protocol"] == "ping" && delivered > 0 {
            assert!(f["rtt_ns"]["p50"].as_u64().is_some(), "{ctx}: rtt_ns");
        }
        let e = &f["expectation"];
        if !e.is_null() {
            checked += 1;
            let expected = e["expected"].as_str().expect("expectation.expected");
            let met = e["met"].as_bool().expect("expectation.met");
            failed += u64::from(!met);
            // With `expect_windows`, `expected` lists the windows after `; `, and
            // every window must be met too.
            let windows_met = f["timeline"]["windows"]
                .as_array()
                .is_none_or(|w| w.iter().all(|w| w["met"] == true));
            let expected = expected.split("; ").next().unwrap_or(expected);
            // The rule from the README, recomputed from the flow's own figures.
            let should = windows_met
                && match expected.strip_prefix("dropped:") {
                    None if expected == "nxdomain" => f["outcome"] == "nxdomain",
                    None => {
                        assert_eq!(expected, "delivered");
                        f["outcome"] == "delivered"
                    }
                    Some(reason) => f["outcome"] != "delivered" && drops.contains_key(reason),
                };
            assert_eq!(
                met, should,
                "{ctx}: expectation.met disagrees with the figures"
            );
        }
    }
    assert!(checked > 0, "{name}: an example without expectations");
    assert_eq!(s["expectations"]["checked"].as_u64(), Some(checked));
    assert_eq!(s["expectations"]["failed"].as_u64(), Some(failed));
    let t = &s["totals"];
    for k in ["events", "frames", "sim_time_ns"] {
        assert!(t[k].as_u64().is_some_and(|v| v > 0), "{name}: totals.{k}");
    }
    assert!(
        t["events"].as_u64() >= t["frames"].as_u64(),
        "{name}: events < frames"
    );
    assert!(t["wall_time_s"].as_f64().is_some_and(|w| w >= 0.0));
}

/// summary.json lists its keys in the documented order (the first flow's keys
/// included), so diffs between runs stay readable.
fn check_key_order(name: &str, out: &Path) {
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let mut at = 0;
    for key in [
        "topology",
        "seed",
        "interrupted",
        "capture_truncated",
        "frames_not_captured",
        "flows",
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
        "expectations",
        "totals",
        "events",
        "frames",
        "sim_time_ns",
        "wall_time_s",
    ] {
        let quoted = format!("\"{key}\":");
        let found = text[at..].find(&quoted);
        assert!(
            found.is_some(),
            "{name}: summary.json: {key} missing or out of order"
        );
        at += found.unwrap_or(0) + quoted.len();
    }
}

/// One parsed AWS VPC flow log v2 line.
#[derive(Debug)]
struct FlowLogLine {
    eni: String,
    src: IpAddr,
    dst: IpAddr,
    action: String,
}

fn parse_flowlog_line(ctx: &str, line: &str) -> FlowLogLine {
    let f: Vec<&str> = line.split(' ').collect();
    assert_eq!(f.len(), 14, "{ctx}: 14 fields in {line:?}");
    assert_eq!(f[0], "2", "{ctx}: version");
    assert!(
        f[1].len() == 12 && f[1].bytes().all(|b| b.is_ascii_digit()),
        "{ctx}: account"
    );
    assert!(f[2].starts_with("eni-"), "{ctx}: interface-id {line:?}");
    let ip = |s: &str| {
        s.parse::<IpAddr>()
            .unwrap_or_else(|_| panic!("{ctx}: address in {line:?}"))
    };
    let num = |s: &str| {
        s.parse::<u64>()
            .unwrap_or_else(|_| panic!("{ctx}: number in {line:?}"))
    };
    let (src, dst) = (ip(f[3]), ip(f[4]));
    assert!(
        num(f[5]) <= 65535 && num(f[6]) <= 65535 && num(f[7]) <= 255,
        "{ctx}: {line:?}"
    );
    if f[7] == "1" || f[7] == "58" {
        assert_eq!((f[5], f[6]), ("0", "0"), "{ctx}: ICMP has ports 0 0");
    }
    assert!(
        num(f[8]) > 0 && num(f[9]) >= 20 * num(f[8]),
        "{ctx}: packets/bytes {line:?}"
    );
    let (start, end) = (num(f[10]), num(f[11]));
    assert!(
        start >= 1_700_000_000 && start <= end,
        "{ctx}: start/end {line:?}"
    );
    assert!(
        ["ACCEPT", "REJECT"].contains(&f[12]),
        "{ctx}: action {line:?}"
    );
    assert_eq!(f[13], "OK", "{ctx}: log-status");
    FlowLogLine {
        eni: f[2].to_string(),
        src,
        dst,
        action: f[12].to_string(),
    }
}

/// Well-formed lines; ACCEPT records on both ends of delivered traffic; a REJECT
/// record for each flow a security group or NACL dropped (AWS writes REJECT only
/// for those), and none at the source for a flow a router dropped (AWS logs the
/// packet as accepted by the interface that let it out).
fn check_flowlogs(name: &str, net: &peeremu::model::Network, s: &Value, out: &Path) {
    let text = std::fs::read_to_string(out.join("flowlogs.log")).expect("flowlogs.log");
    assert!(text.ends_with('\n'), "{name}: flowlogs.log ends mid-line");
    let lines: Vec<FlowLogLine> = text.lines().map(|l| parse_flowlog_line(name, l)).collect();
    let has = |eni: &str, src: IpAddr, dst: IpAddr, action: &str| {
        lines
            .iter()
            .any(|l| l.eni == eni && l.src == src && l.dst == dst && l.action == action)
    };
    for (flow, report) in net.flows.iter().zip(flows(s)) {
        assert_eq!(
            report["name"].as_str(),
            Some(flow.name.as_str()),
            "flow order"
        );
        let (src_eni, src_ip) = endpoint(net, flow.src, flow.ipv6);
        let (dst_eni, dst_ip) = endpoint(net, flow.dst, flow.ipv6);
        // A flow to an interface endpoint ends at a target; the endpoint's ENI
        // logs the consumer's packets as they arrived (its capture point).
        let ctx = format!("{name}/{}", flow.name);
        if report["delivered_packets"].as_u64() > Some(0) {
            if let Some(e) = &src_eni {
                assert!(has(e, src_ip, dst_ip, "ACCEPT"), "{ctx}: no ACCEPT on {e}");
            }
            if let Some(e) = &dst_eni {
                assert!(
                    lines
                        .iter()
                        .any(|l| &l.eni == e && l.dst == dst_ip && l.action == "ACCEPT"),
                    "{ctx}: no ACCEPT on {e}"
                );
            }
        }
        let expected = report["expectation"]["expected"].as_str().unwrap_or("");
        let met = report["expectation"]["met"] == true;
        match expected.strip_prefix("dropped:") {
            Some("SG_NO_MATCH" | "NACL_DENY") if met => {
                // The REJECT is on the ENI that sent or would have received the
                // frame (a denied reply travels the other way, so either direction
                // counts; a denied ICMP error comes back to the sender).
                // A forwarding instance's group or subnet may refuse it on the way
                // (its ENI then logs the REJECT).
                let appliance = |eni: &str| {
                    net.enis.iter().any(|e| {
                        e.id == eni
                            && net
                                .instances
                                .get(e.instance.0 as usize)
                                .is_some_and(|i| i.forward != peeremu::model::Forwarding::None)
                    })
                };
                assert!(
                    lines.iter().any(|l| l.action == "REJECT"
                        && (Some(&l.eni) == src_eni.as_ref()
                            || Some(&l.eni) == dst_eni.as_ref()
                            || appliance(&l.eni))
                        && ((l.src, l.dst) == (src_ip, dst_ip)
                            || (l.src, l.dst) == (dst_ip, src_ip)
                            || (Some(&l.eni) == src_eni.as_ref() && l.dst == src_ip)
                            // Through an internet gateway or NAT the receiver
                            // sees a translated source.
                            || (Some(&l.eni) == dst_eni.as_ref() && l.dst == dst_ip))),
                    "{ctx}: no REJECT record\n{text}"
                );
            }
            Some(_) if met => {
                // A router dropped it: the source ENI let it out, so ACCEPT there
                // and no REJECT of the flow's own packets at it.
                if let Some(e) = &src_eni {
                    if report["sent_packets"].as_u64() > Some(0) {
                        assert!(
                            has(e, src_ip, dst_ip, "ACCEPT"),
                            "{ctx}: no ACCEPT on {e}\n{text}"
                        );
                    }
                    assert!(
                        !has(e, src_ip, dst_ip, "REJECT"),
                        "{ctx}: REJECT on {e}\n{text}"
                    );
                }
            }
            _ => {}
        }
    }
}

/// Each delivered flow has a latency histogram (and ping an RTT one) that parses as
/// HdrHistogram's percentile distribution and agrees with summary.json.
fn check_histograms(name: &str, s: &Value, out: &Path) {
    for f in flows(s) {
        let flow = f["name"].as_str().unwrap();
        let file = sanitize(flow).expect("safe name");
        let latency = out.join("latency").join(format!("{file}.hgrm"));
        if f["latency_ns"].is_null() {
            continue;
        }
        let (count, max_ms) = parse_hgrm(&latency);
        assert!(count > 0, "{name}/{flow}: empty histogram");
        let max_ns = f["latency_ns"]["max"].as_u64().unwrap() as f64;
        assert!(
            (max_ms * 1e6 - max_ns).abs() <= max_ns * 0.002 + 1000.0,
            "{name}/{flow}: hgrm max {max_ms} ms vs summary {max_ns} ns"
        );
        if f["protocol"] != "ping" {
            // TCP and UDP: one sample per delivered packet (ping samples requests
            // at the target while `delivered_packets` counts replies).
            assert_eq!(
                Some(count),
                f["delivered_packets"].as_u64(),
                "{name}/{flow}: latency samples vs delivered packets"
            );
        }
        if f["protocol"] == "ping" {
            let (rtt_count, _) = parse_hgrm(&out.join("rtt").join(format!("{file}.hgrm")));
            assert!(rtt_count > 0, "{name}/{flow}: empty RTT histogram");
        }
        if let Some(responses) = f["responses"].as_u64() {
            let (n, _) = parse_hgrm(&out.join("response").join(format!("{file}.hgrm")));
            assert_eq!(n, responses, "{name}/{flow}: response samples vs responses");
        }
    }
}

/// Each histogram of an interval log (`latency.hlog`…) read back with the
/// `hdrhistogram` crate: tag → (count, max ns, the line's max column in ms).
fn read_interval_log(path: &Path) -> Vec<(String, u64, u64, f64)> {
    use base64::Engine as _;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for entry in IntervalLogIterator::new(&bytes) {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        if let LogEntry::Interval(i) = entry {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(i.encoded_histogram())
                .expect("base64");
            let h: hdrhistogram::Histogram<u64> = hdrhistogram::serialization::Deserializer::new()
                .deserialize(&mut &raw[..])
                .expect("a V2 histogram");
            let tag = i.tag().expect("every line is tagged").as_str().to_string();
            out.push((tag, h.len(), h.max(), i.max()));
        }
    }
    out
}

/// `latency.hlog` holds one histogram per flow, in flow order, tagged with the
/// flow's file-safe name, whose count and maximum are summary.json's (and the
/// `.hgrm` file's); `rtt.hlog` one per ping flow, `response.hlog` one per
/// request/response flow with a sample per response.
fn check_interval_logs(name: &str, s: &Value, out: &Path) {
    let latency = read_interval_log(&out.join("latency.hlog"));
    let fl = flows(s);
    assert_eq!(latency.len(), fl.len(), "{name}: one line per flow");
    for (f, (tag, count, max, max_ms)) in fl.iter().zip(&latency) {
        let flow = f["name"].as_str().unwrap();
        assert_eq!(tag, &sanitize(flow).unwrap(), "{name}/{flow}: tag");
        let ctx = format!("{name}/{flow}");
        match f["latency_ns"]["max"].as_u64() {
            None => assert_eq!(*count, 0, "{ctx}: delivered nothing"),
            Some(summary_max) => {
                assert_eq!(*max, summary_max, "{ctx}: max");
                assert!((max_ms - summary_max as f64 / 1e6).abs() <= 0.0005, "{ctx}");
                let hgrm = out.join("latency").join(format!("{tag}.hgrm"));
                assert_eq!(*count, parse_hgrm(&hgrm).0, "{ctx}: count as the .hgrm's");
                if f["protocol"] != "ping" {
                    assert_eq!(Some(*count), f["delivered_packets"].as_u64(), "{ctx}");
                }
            }
        }
    }
    let pings = fl.iter().filter(|f| f["protocol"] == "ping").count();
    let rtt_log = out.join("rtt.hlog");
    assert_eq!(rtt_log.is_file(), pings > 0, "{name}: rtt.hlog");
    if pings > 0 {
        let rtt = read_interval_log(&rtt_log);
        assert_eq!(rtt.len(), pings, "{name}: rtt.hlog lines");
        for (f, (tag, count, max, _)) in fl.iter().filter(|f| f["protocol"] == "ping").zip(&rtt) {
            assert_eq!(tag, &sanitize(f["name"].as_str().unwrap()).unwrap());
            match f["rtt_ns"]["max"].as_u64() {
                Some(m) => assert_eq!(*max, m, "{name}/{tag}: rtt max"),
                None => assert_eq!(*count, 0, "{name}/{tag}: no RTT"),
            }
        }
    }
    let rr: Vec<&Value> = fl.iter().filter(|f| f["responses"].is_u64()).collect();
    if !rr.is_empty() {
        let response = read_interval_log(&out.join("response.hlog"));
        assert_eq!(response.len(), rr.len(), "{name}: response.hlog lines");
        for (f, (tag, count, _, _)) in rr.iter().zip(&response) {
            assert_eq!(Some(*count), f["responses"].as_u64(), "{name}/{tag}");
        }
    }
}

/// Parse a `.hgrm` file: returns (total count, max value in ms).
fn parse_hgrm(path: &Path) -> (u64, f64) {
    let ctx = path.display();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(
        header,
        ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"],
        "{ctx}"
    );
    let (mut last_p, mut last_v, mut total, mut rows) = (0.0f64, 0.0f64, 0u64, 0);
    let mut footer = String::new();
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('#') {
            footer.push_str(line);
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols.len() == 3 || cols.len() == 4, "{ctx}: row {line:?}");
        let v: f64 = cols[0]
            .parse()
            .unwrap_or_else(|_| panic!("{ctx}: {line:?}"));
        let p: f64 = cols[1]
            .parse()
            .unwrap_or_else(|_| panic!("{ctx}: {line:?}"));
        let c: u64 = cols[2]
            .parse()
            .unwrap_or_else(|_| panic!("{ctx}: {line:?}"));
        assert!(
            v >= last_v && p >= last_p && c >= total && p <= 1.0,
            "{ctx}: {line:?}"
        );
        (last_v, last_p, total, rows) = (v, p, c, rows + 1);
    }
    assert!(
        rows > 0 && last_p == 1.0,
        "{ctx}: does not reach percentile 1"
    );
    assert!(
        footer.contains("#[Mean") && footer.contains("#[Max"),
        "{ctx}: footer"
    );
    (total, last_v)
}

/// Read every block of a pcapng file; panics on a truncated or corrupt file.
fn read_pcapng_to_end(path: &Path) -> u64 {
    let file = std::fs::File::open(path).expect("open pcapng");
    let mut reader = pcap_file::pcapng::PcapNgReader::new(std::io::BufReader::new(file))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut packets = 0;
    while let Some(block) = reader.next_block() {
        let block = block.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let pcap_file::pcapng::Block::EnhancedPacket(_) = block {
            packets += 1;
        }
    }
    packets
}

/// Same topology and seed twice → every file byte-identical, except the wall time
/// (measured on the host's clock) in summary.json; captures on or off changes no
/// other output but report.html (which lists packet numbers of drops.pcapng).
#[test]
fn same_seed_gives_byte_identical_outputs() {
    for (name, topo) in examples() {
        let a = temp_dir(&format!("{name}-a"));
        let b = temp_dir(&format!("{name}-b"));
        let c = temp_dir(&format!("{name}-nocap"));
        run_ok(&name, &topo, &a, &["--seed", "7"]);
        run_ok(&name, &topo, &b, &["--seed", "7"]);
        run_ok(&name, &topo, &c, &["--seed", "7", "--no-capture"]);
        let files = files_under(&a);
        assert_eq!(files, files_under(&b), "{name}: different file sets");
        assert!(files.len() >= 5, "{name}: {files:?}");
        for f in &files {
            let (x, y) = (read_masked(&a.join(f)), read_masked(&b.join(f)));
            assert!(x == y, "{name}: {} differs between two runs", f.display());
        }
        let without: Vec<_> = files
            .iter()
            .filter(|f| f.extension().is_none_or(|e| e != "pcapng"))
            .cloned()
            .collect();
        assert_eq!(files_under(&c), without, "{name}: --no-capture file set");
        // report.html links drops to their packets in drops.pcapng, so it alone
        // differs without captures.
        for f in without.iter().filter(|f| !f.ends_with("report.html")) {
            assert!(
                read_masked(&a.join(f)) == read_masked(&c.join(f)),
                "{name}: {} depends on --no-capture",
                f.display()
            );
        }
        for d in [a, b, c] {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// A file's bytes, with summary.json's `wall_time_s` value blanked.
fn read_masked(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("read output");
    if path.file_name().is_none_or(|n| n != "summary.json") {
        return bytes;
    }
    let text = String::from_utf8(bytes).expect("utf-8 summary");
    let key = "\"wall_time_s\":";
    let at = text.find(key).expect("wall_time_s in summary.json") + key.len();
    let end = at
        + text[at..]
            .find(['\n', ',', '}'])
            .expect("end of wall_time_s");
    format!("{}<masked>{}", &text[..at], &text[end..]).into_bytes()
}

#[test]
fn other_seeds_still_meet_the_expectations() {
    for (name, topo) in examples() {
        for seed in ["2", "987654321"] {
            let out = temp_dir(&format!("{name}-seed{seed}"));
            let s = run_ok(&name, &topo, &out, &["--seed", seed, "--no-capture"]);
            assert_eq!(s["seed"].as_u64(), Some(seed.parse().unwrap()));
            let _ = std::fs::remove_dir_all(out);
        }
    }
}

#[test]
fn the_table_reports_events_and_frames_per_second() {
    let topo = repo().join("topologies/inter-region-mtu.toml");
    let out = temp_dir("table");
    let o = peeremu()
        .args(["run", "--no-capture", "--out"])
        .arg(&out)
        .arg(&topo)
        .output()
        .expect("run peeremu");
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let totals = stdout
        .lines()
        .find(|l| l.contains(" events (") && l.contains(" frames ("))
        .unwrap_or_else(|| panic!("no events/frames line in\n{stdout}"));
    assert_eq!(totals.matches("/s)").count(), 2, "{totals}");
    assert!(
        totals.contains("expectations: 5 checked, 0 failed"),
        "{totals}"
    );
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn sigint_stops_the_run_and_leaves_complete_files() {
    let (dir, out, status, stderr) = run_interrupted("sigint");
    assert_eq!(
        status.code(),
        Some(130),
        "exit status after SIGINT\n{stderr}"
    );
    let s = read_summary(&out);
    assert_eq!(s["interrupted"], Value::Bool(true));
    let f = &flows(&s)[0];
    let sent = f["sent_packets"].as_u64().unwrap();
    assert!(sent > 0 && sent < 100_000_000, "sent {sent}");
    // Cut short by Ctrl-C: not delivered, whatever arrived of what was sent.
    assert_eq!(f["outcome"].as_str(), Some("incomplete"), "{f}");
    assert!(s["totals"]["sim_time_ns"].as_u64() > Some(0));
    let mut packets = 0;
    for file in pcapngs(&out) {
        packets += read_pcapng_to_end(&file);
    }
    assert!(packets > 0, "no packets captured before SIGINT");
    let log = std::fs::read_to_string(out.join("flowlogs.log")).unwrap();
    assert!(log.ends_with('\n') && log.contains(" ACCEPT OK"), "{log}");
    for line in log.lines() {
        parse_flowlog_line("endless", line);
    }
    let _ = std::fs::remove_dir_all(dir);
}
