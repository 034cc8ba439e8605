//! The egress-only internet gateway end to end (`topologies/ipv6-egress-only.toml`):
//! IPv6 connections opened by the instance go out untranslated and their replies
//! come back through the gateway's state; a connection the internet opens is
//! dropped at the gateway (`EGRESS_ONLY_INBOUND`), before the instance's security
//! group (which admits it) or its flow log ever see it. The tshark test checks the
//! bytes: the internet host sees the instance's own IPv6 address.

mod run_support;
mod tshark_support;

use run_support::*;
use serde_json::Value;
use tshark_support::{checked_lines as checked, lines as fields};

const APP: &str = "2600:1f18:4a00:1::10";
const MIRROR: &str = "2a05:d018:0:1::20";

fn example() -> std::path::PathBuf {
    repo().join("topologies/ipv6-egress-only.toml")
}

fn flow<'a>(s: &'a Value, name: &str) -> &'a Value {
    flows(s)
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no flow {name}"))
}

#[test]
fn outbound_flows_and_replies_pass_inbound_initiations_are_dropped() {
    let out = temp_dir("eigw-example");
    let s = run_ok("ipv6-egress-only", &example(), &out, &[]);
    for name in ["app-ping", "app-udp", "app-tcp"] {
        let f = flow(&s, name);
        assert_eq!(f["outcome"], "delivered", "{name}: {f}");
        assert_eq!(f["dropped_packets"], 0, "{name}: {f}");
        assert!(f["delivered_packets"].as_u64().unwrap() > 0, "{name}");
    }
    // TCP needs the replies (SYN-ACK, ACKs) back through the gateway.
    assert_eq!(flow(&s, "app-tcp")["bytes_delivered"], 100_000);
    let inbound = flow(&s, "mirror-ssh-in");
    assert_eq!(inbound["outcome"], "dropped");
    assert_eq!(inbound["delivered_packets"], 0);
    let drops = inbound["drops"].as_object().unwrap();
    assert_eq!(drops.keys().collect::<Vec<_>>(), ["EGRESS_ONLY_INBOUND"]);
    assert_eq!(
        drops["EGRESS_ONLY_INBOUND"], inbound["dropped_packets"],
        "every retransmitted SYN is dropped at the gateway"
    );
    let object = inbound["drop_objects"]["EGRESS_ONLY_INBOUND"]
        .as_str()
        .unwrap();
    assert!(object.starts_with("eigw-v6 "), "{object}");
    assert_eq!(s["totals"]["conservation"]["holds"], true);
    // Flow logs: the instance's interface logs its own flows, never the SYNs the
    // gateway refused (they never reached it).
    let logs = std::fs::read_to_string(out.join("flowlogs.log")).unwrap();
    assert!(logs.contains(&format!("eni-app {APP} {MIRROR} ")), "{logs}");
    assert!(
        !logs
            .lines()
            .any(|l| l.contains(&format!("{MIRROR} {APP} ")) && l.contains(" 22 6 ")),
        "a refused SYN was logged at the ENI:\n{logs}"
    );
}

#[test]
fn trace_names_the_gateway_and_the_fix() {
    let o = peeremu()
        .args([
            "trace", "--from", "mirror", "--to", APP, "--proto", "tcp", "--port", "22",
        ])
        .arg(example())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("through eigw-v6"), "{text}");
    assert!(text.contains("DROPPED EGRESS_ONLY_INBOUND"), "{text}");
    assert!(text.contains("attach an internet gateway"), "{text}");
}

#[test]
#[ignore = "needs tshark"]
fn tshark_sees_untranslated_ipv6_and_no_inbound_syn_at_the_instance() {
    let out = temp_dir("eigw-tshark");
    run_ok("ipv6-egress-only", &example(), &out, &[]);
    let mirror = out.join("points/mirror.pcapng");
    // What the internet host receives comes from app's own global address.
    let srcs = fields(&mirror, "ipv6.dst == 2a05:d018:0:1::20", &["ipv6.src"]);
    assert!(!srcs.is_empty());
    assert!(srcs.iter().all(|s| s == APP), "{srcs:?}");
    // The TCP handshake app opened completed: a SYN-ACK came back in to app.
    let eni = out.join("points/eni-app.pcapng");
    let synack = fields(
        &eni,
        "tcp.flags.syn == 1 && tcp.flags.ack == 1 && ipv6.dst == 2600:1f18:4a00:1::10",
        &["tcp.srcport"],
    );
    assert!(synack.iter().any(|p| p == "443"), "{synack:?}");
    // The SYNs mirror sent to port 22 never reached app's interface.
    let syn22 = fields(&eni, "tcp.dstport == 22", &["frame.number"]);
    assert!(syn22.is_empty(), "{syn22:?}");
    // ... but they are in the drops capture, with the reason.
    let dropped = fields(
        &out.join("drops.pcapng"),
        "tcp.dstport == 22 && ipv6.src == 2a05:d018:0:1::20",
        &[tshark_support::comment_field()],
    );
    assert!(!dropped.is_empty());
    assert!(
        dropped.iter().all(|c| c.contains("EGRESS_ONLY_INBOUND")),
        "{dropped:?}"
    );
}

/// Decoded by tshark: the egress-only gateway has a capture point of its own
/// (`points/eigw-v6.pcapng`, interface `eigw-v6` in capture.pcapng, #17).
/// Outbound (`epb_flags`, tshark's `frame.p2p_dir` 0) are the instance's IPv6
/// packets leaving for the internet untranslated, inbound (1) the replies it let
/// in: every frame the internet host received crossed it, and every frame that
/// reached the instance's ENI from the internet. The SYNs the internet opened
/// (dropped at the gateway) are not on it. Checksums are valid, nothing is
/// malformed, and no flow log record names the gateway (it has no ENI).
#[test]
#[ignore = "needs tshark"]
fn tshark_shows_ipv6_out_and_replies_in_at_the_gateway_point() {
    let out = temp_dir("eigw-point");
    run_ok("ipv6-egress-only", &example(), &out, &[]);
    let point = out.join("points/eigw-v6.pcapng");
    let f = [
        "frame.p2p_dir",
        "ipv6.src",
        "ipv6.dst",
        "tcp.checksum.status",
        "udp.checksum.status",
        "icmpv6.checksum.status",
    ];
    let rows = checked(&point, "frame", &f);
    let (mut outbound, mut inbound) = (0, 0);
    for l in &rows {
        let c: Vec<&str> = l.split('\t').collect();
        match c[0] {
            "0" => {
                assert_eq!(&c[1..3], [APP, MIRROR], "{l}");
                outbound += 1;
            }
            "1" => {
                assert_eq!(&c[1..3], [MIRROR, APP], "{l}");
                inbound += 1;
            }
            _ => panic!("no direction: {l}"),
        }
        let sums: Vec<&&str> = c[3..].iter().filter(|s| !s.is_empty()).collect();
        assert_eq!(sums, [&"1"], "one valid checksum: {l}");
    }
    // Replies of all three kinds came in: echo replies, a SYN-ACK, UDP is one way.
    let replies = checked(
        &point,
        "frame.p2p_dir == 1",
        &["icmpv6.type", "tcp.flags.syn"],
    );
    assert!(
        replies.iter().any(|l| l.starts_with("129\t")),
        "{replies:?}"
    );
    assert!(replies.iter().any(|l| l.ends_with("\t1")), "{replies:?}");
    let at = |file: &str, filter: &str| checked(&out.join(file), filter, &["frame.number"]).len();
    let received = at(
        "points/mirror.pcapng",
        &format!("ipv6.dst == {APP} || ipv6.src == {APP}"),
    );
    assert!(outbound > 0 && inbound > 0, "{rows:?}");
    assert_eq!(
        outbound,
        at("points/mirror.pcapng", "frame.p2p_dir == 1"),
        "every frame the internet host received crossed the gateway"
    );
    assert!(received > outbound, "mirror's own frames too");
    assert_eq!(
        inbound,
        at(
            "points/eni-app.pcapng",
            &format!("frame.p2p_dir == 1 && ipv6.src == {MIRROR}")
        ),
        "every frame from the internet that reached the ENI crossed the gateway"
    );
    assert_eq!(
        at("points/eigw-v6.pcapng", "tcp.port == 22"),
        0,
        "refused SYNs"
    );
    assert_eq!(
        at(
            "points/eigw-v6.pcapng",
            "_ws.malformed || _ws.expert.severity >= 8388608"
        ),
        0
    );
    // The same frames in capture.pcapng, on the interface named for the gateway.
    assert_eq!(
        at("capture.pcapng", "frame.interface_name == \"eigw-v6\""),
        rows.len()
    );
    let logs = std::fs::read_to_string(out.join("flowlogs.log")).unwrap();
    assert!(!logs.contains("eigw"), "{logs}");
}
