//! Direct Connect end to end (`topologies/direct-connect-jumbo.toml`): jumbo frames
//! over a 9001-byte private virtual interface, path-MTU effects over a 1500-byte one
//! (DF datagrams dropped with "fragmentation needed", fragments without DF, TCP
//! lowering its segments), Direct Connect preferred over the VPN for the same
//! prefix, each link's latency, and edge-to-edge routing refused through a peering
//! in both directions. The tshark test checks the bytes on the wire.
//! Transit virtual interfaces (`topologies/direct-connect-transit.toml`): on
//! premises through a Direct Connect gateway and a transit gateway to two VPCs,
//! the VIF's MTU as the TGW's link MTU, allowed prefixes, and the VIF's point.

mod run_support;
mod tshark_support;

use run_support::*;
use serde_json::Value;
use std::path::Path;
use tshark_support::{checked_lines as checked, lines as fields};

fn example() -> std::path::PathBuf {
    repo().join("topologies/direct-connect-jumbo.toml")
}

fn flow<'a>(s: &'a Value, name: &str) -> &'a Value {
    flows(s)
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no flow {name}"))
}

fn p50_ms(f: &Value) -> f64 {
    f["latency_ns"]["p50"].as_f64().expect("latency") / 1e6
}

#[test]
fn jumbo_vif_carries_9000_bytes_the_1500_vif_does_not_and_dx_beats_the_vpn() {
    let out = temp_dir("dx-example");
    let s = run_ok("direct-connect-jumbo", &example(), &out, &[]);
    for name in [
        "jumbo-udp-df",
        "std-udp-frag",
        "jumbo-tcp",
        "std-tcp",
        "both-udp-df",
        "vpn-ping",
        "dc-to-app",
    ] {
        let f = flow(&s, name);
        assert_eq!(f["outcome"], "delivered", "{name}: {f}");
        assert_eq!(f["expectation"]["met"], true, "{name}");
    }
    let df = flow(&s, "std-udp-df");
    assert_eq!(df["delivered_packets"], 0);
    assert_eq!(df["drops"]["MTU_EXCEEDED"], 5, "{df}");
    // The drop names the link whose MTU the packet exceeded, not only the sizes.
    assert_eq!(
        df["drop_objects"]["MTU_EXCEEDED"],
        "9000 bytes > link MTU 1500 of dxvif-std (Direct Connect virtual interface)",
        "{df}"
    );
    // TCP over the 1500-byte interface: every byte arrives (after PMTUD).
    assert_eq!(flow(&s, "std-tcp")["bytes_delivered"], 500_000);
    // One-way latency: the connection's (1 ms, 3 ms), the VPN's 8 ms.
    let jumbo = p50_ms(flow(&s, "jumbo-udp-df"));
    assert!((1.0..1.5).contains(&jumbo), "jumbo VIF {jumbo} ms");
    let std = p50_ms(flow(&s, "std-udp-frag"));
    assert!((3.0..3.5).contains(&std), "1500 VIF {std} ms");
    let vpn = p50_ms(flow(&s, "vpn-ping"));
    assert!((8.0..8.5).contains(&vpn), "VPN {vpn} ms");
    // dc-both is declared behind the VPN, yet its prefix is reached over DX.
    let both = p50_ms(flow(&s, "both-udp-df"));
    assert!((1.0..1.5).contains(&both), "DX preferred: {both} ms");
    assert_eq!(s["totals"]["conservation"]["holds"], true);
}

fn trace(topology: &Path, from: &str, to: &str, extra: &[&str]) -> String {
    let o = peeremu()
        .args(["trace", "--from", from, "--to", to])
        .args(extra)
        .arg(topology)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn trace_shows_the_virtual_interface_and_the_vpn_only_prefix() {
    let t = trace(
        &example(),
        "app",
        "dc-both",
        &["--proto", "udp", "--size", "8972"],
    );
    let request = t.split("Reply:").next().unwrap();
    assert!(request.contains("through vgw-app"), "{t}");
    assert!(request.contains("through dxvif-jumbo"), "{t}");
    assert!(request.contains("fit the link MTU 9001"), "{t}");
    let t = trace(
        &example(),
        "app",
        "dc-std",
        &["--proto", "udp", "--size", "8972"],
    );
    assert!(t.contains("through dxvif-std"), "{t}");
    // trace sends without DF: fragmented to the 1500-byte interface.
    assert!(
        t.contains("MTU: 8972 bytes > 1500, DF clear: fragmented into 7"),
        "{t}"
    );
    let t = trace(&example(), "app", "dc-vpn", &[]);
    assert!(t.contains("through vgw-app") && !t.contains("dxvif"), "{t}");
}

/// vpc-b peers with vpc-a, whose VGW has a Direct Connect connection: neither
/// way may the peering and the Direct Connect be chained.
const EDGE: &str = r#"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"

[[vpc]]
id = "vpc-b"
region = "us-east-1"
cidr = "10.1.0.0/16"

[[peering]]
id = "pcx-ab"
requester = "vpc-b"
accepter = "vpc-a"

[[vpn_gateway]]
id = "vgw-a"
vpc = "vpc-a"

[[direct_connect]]
id = "dxcon-a"
onprem_cidrs = ["192.168.0.0/16"]
virtual_interfaces = [{ id = "dxvif-a", kind = "private", vgw = "vgw-a", mtu = 9001 }]

[[host]]
name = "dc"
ip = "192.168.1.10"
direct_connect = "dxcon-a"

[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"

[[subnet]]
id = "subnet-b"
vpc = "vpc-b"
az = "us-east-1a"
cidr = "10.1.1.0/24"

[[route_table]]
id = "rtb-a"
vpc = "vpc-a"
main = true
routes = [
  { destination = "10.1.0.0/16", target = "pcx-ab" },
  { destination = "192.168.0.0/16", target = "vgw-a" },
]

[[route_table]]
id = "rtb-b"
vpc = "vpc-b"
main = true
routes = [
  { destination = "10.0.0.0/16", target = "pcx-ab" },
  { destination = "192.168.0.0/16", target = "pcx-ab" },
]

[[security_group]]
id = "sg-a"
vpc = "vpc-a"
ingress = [{ protocol = "icmp", cidr = "0.0.0.0/0" }]

[[security_group]]
id = "sg-b"
vpc = "vpc-b"
ingress = [{ protocol = "icmp", cidr = "0.0.0.0/0" }]

[[instance]]
id = "i-a"
name = "a"
subnet = "subnet-a"
private_ip = "10.0.1.10"
security_groups = ["sg-a"]

[[instance]]
id = "i-b"
name = "b"
subnet = "subnet-b"
private_ip = "10.1.1.10"
security_groups = ["sg-b"]

[[flow]]
name = "a-to-dc"
kind = "ping"
from = "a"
to = "dc"
expect = "delivered"

[[flow]]
name = "b-to-dc"
kind = "ping"
from = "b"
to = "dc"
expect = "dropped:EDGE_TO_EDGE"

[[flow]]
name = "dc-to-b"
kind = "ping"
from = "dc"
to = "b"
expect = "dropped:EDGE_TO_EDGE"
"#;

#[test]
fn no_edge_to_edge_routing_between_a_peering_and_direct_connect() {
    let dir = temp_dir("dx-edge");
    std::fs::create_dir_all(&dir).unwrap();
    let topo = dir.join("dx-edge.toml");
    std::fs::write(&topo, EDGE).unwrap();
    let out = dir.join("out");
    let s = run_ok("dx-edge", &topo, &out, &[]);
    assert_eq!(flow(&s, "a-to-dc")["outcome"], "delivered");
    for name in ["b-to-dc", "dc-to-b"] {
        let f = flow(&s, name);
        assert_eq!(f["drops"]["EDGE_TO_EDGE"], f["sent_packets"], "{name}: {f}");
    }
    let t = trace(&topo, "dc", "b", &[]);
    assert!(t.contains("through dxvif-a"), "{t}");
    assert!(t.contains("DROPPED EDGE_TO_EDGE"), "{t}");
}

fn max_of(v: &[String]) -> u64 {
    v.iter().filter_map(|x| x.parse().ok()).max().unwrap_or(0)
}

#[test]
#[ignore = "needs tshark"]
fn tshark_decodes_jumbo_frames_fragments_frag_needed_and_mss() {
    let out = temp_dir("dx-tshark");
    run_ok("direct-connect-jumbo", &example(), &out, &[]);
    let points = out.join("points");
    // 9000-byte IP packets arrive whole over the jumbo interface.
    let jumbo = fields(
        &points.join("dc-jumbo.pcapng"),
        "udp.dstport == 5001",
        &["ip.len"],
    );
    assert!(
        !jumbo.is_empty() && jumbo.iter().all(|l| l == "9000"),
        "{jumbo:?}"
    );
    // Over the 1500-byte interface: the datagrams without DF arrive as fragments
    // of at most 1500 bytes, which tshark reassembles to 8980-byte UDP.
    let std = points.join("dc-std.pcapng");
    let frags = fields(&std, "ip.flags.mf == 1 || ip.frag_offset > 0", &["ip.len"]);
    assert!(frags.len() >= 5 * 7, "{frags:?}");
    assert!(max_of(&frags) <= 1500, "{frags:?}");
    let whole = fields(&std, "udp.dstport == 5002", &["udp.length"]);
    assert!(
        whole.iter().all(|l| l == "8980") && whole.len() == 5,
        "{whole:?}"
    );
    // The DF datagrams never reach dc-std; app gets "fragmentation needed", MTU 1500.
    assert!(fields(&std, "udp.dstport == 5001", &["frame.number"]).is_empty());
    let eni = points.join("eni-app.pcapng");
    let icmp = fields(&eni, "icmp.type == 3 && icmp.code == 4", &["icmp.mtu"]);
    assert!(
        !icmp.is_empty() && icmp.iter().all(|m| m == "1500"),
        "{icmp:?}"
    );
    // Both ends offer MSS 8961 (9001-byte interfaces); over the 1500-byte VIF the
    // data that reaches dc-std is at most 1460 bytes a segment, over the jumbo one
    // segments carry more than 8000.
    let mss = fields(&std, "tcp.flags.syn == 1", &["tcp.options.mss_val"]);
    assert!(
        !mss.is_empty() && mss.iter().all(|m| m == "8961"),
        "{mss:?}"
    );
    let std_seg = fields(&std, "tcp.srcport != 443 && tcp.len > 0", &["tcp.len"]);
    assert!(
        max_of(&std_seg) <= 1460 && max_of(&std_seg) > 1000,
        "{std_seg:?}"
    );
    let jumbo_seg = fields(
        &points.join("dc-jumbo.pcapng"),
        "tcp.srcport != 443 && tcp.len > 0",
        &["tcp.len"],
    );
    assert!(max_of(&jumbo_seg) > 8000, "{jumbo_seg:?}");
}

/// Decoded by tshark: each private virtual interface has a capture point of
/// its own (`points/dxvif-….pcapng`, interface `dxvif-…` in capture.pcapng,
/// #17). Outbound (`frame.p2p_dir` 0) are the frames leaving the VPC for on
/// premises over it, inbound (1) those coming in: every frame the hosts behind
/// a connection received crossed its interface, and every frame from them that
/// reached the instance. The jumbo interface carries 9000-byte packets, the
/// 1500-byte one only fragments of at most 1500 bytes and none of the DF
/// datagrams (dropped before it); the VPN-only host's ping crosses neither.
/// Checksums are valid, nothing is malformed, and no flow log record names a
/// virtual interface (it has no ENI).
#[test]
#[ignore = "needs tshark"]
fn tshark_shows_both_directions_at_the_virtual_interface_points() {
    let out = temp_dir("dx-points");
    run_ok("direct-connect-jumbo", &example(), &out, &[]);
    let points = out.join("points");
    let count = |file: &Path, filter: &str| checked(file, filter, &["frame.number"]).len();
    let f = [
        "frame.p2p_dir",
        "ip.src",
        "ip.dst",
        "ip.checksum.status",
        "tcp.checksum.status",
        "udp.checksum.status",
        "icmp.checksum.status",
    ];
    for (vif, remote, hosts) in [
        (
            "dxvif-jumbo",
            &["192.168.10.10", "192.168.10.20"][..],
            &["dc-jumbo", "dc-both"][..],
        ),
        ("dxvif-std", &["192.168.20.10"][..], &["dc-std"][..]),
    ] {
        let file = points.join(format!("{vif}.pcapng"));
        let rows = checked(&file, "frame", &f);
        let (mut outbound, mut inbound) = (0, 0);
        for l in &rows {
            let c: Vec<&str> = l.split('\t').collect();
            let (from, to) = match c[0] {
                "0" => {
                    outbound += 1;
                    (c[1], c[2])
                }
                "1" => {
                    inbound += 1;
                    (c[2], c[1])
                }
                _ => panic!("{vif}: no direction: {l}"),
            };
            assert_eq!(from, "10.70.1.10", "{vif}: {l}");
            assert!(remote.contains(&to), "{vif}: {l}");
            // IP checksum good; the transport's too (none shown on fragments).
            assert!(
                c[3..].iter().all(|s| s.is_empty() || *s == "1"),
                "{vif}: {l}"
            );
            assert_eq!(c[3], "1", "{vif}: {l}");
        }
        assert!(outbound > 0 && inbound > 0, "{vif}: {rows:?}");
        let received: usize = hosts
            .iter()
            .map(|h| count(&points.join(format!("{h}.pcapng")), "frame.p2p_dir == 1"))
            .sum();
        assert_eq!(
            outbound, received,
            "{vif}: every frame on premises received"
        );
        let from_remote = remote
            .iter()
            .map(|r| format!("ip.src == {r}"))
            .collect::<Vec<_>>()
            .join(" || ");
        let reached = count(
            &points.join("eni-app.pcapng"),
            &format!("frame.p2p_dir == 1 && ({from_remote})"),
        );
        assert_eq!(inbound, reached, "{vif}: every frame from on premises");
        let bad = "_ws.malformed || _ws.expert.severity >= 8388608";
        assert_eq!(count(&file, bad), 0, "{vif}");
        assert_eq!(
            count(
                &out.join("capture.pcapng"),
                &format!("frame.interface_name == \"{vif}\"")
            ),
            rows.len(),
            "{vif} in capture.pcapng"
        );
    }
    let jumbo = points.join("dxvif-jumbo.pcapng");
    let lens = checked(&jumbo, "frame.p2p_dir == 0 && udp", &["ip.len"]);
    assert!(lens.iter().any(|l| l == "9000"), "{lens:?}");
    // dc-to-app's echo requests came in over the jumbo interface.
    let pings = checked(&jumbo, "frame.p2p_dir == 1 && icmp.type == 8", &["ip.src"]);
    assert!(!pings.is_empty(), "{pings:?}");
    let std = points.join("dxvif-std.pcapng");
    let std_lens = checked(&std, "ip", &["ip.len"]);
    assert!(max_of(&std_lens) <= 1500, "{std_lens:?}");
    assert_eq!(count(&std, "udp.dstport == 5001"), 0, "DF datagrams");
    for vif in [&jumbo, &std] {
        assert_eq!(count(vif, "ip.addr == 192.168.30.10"), 0, "VPN-only host");
    }
    let logs = std::fs::read_to_string(out.join("flowlogs.log")).unwrap();
    assert!(!logs.contains("dxvif"), "{logs}");
}

// ---- transit virtual interfaces (`topologies/direct-connect-transit.toml`) ----

fn transit_example() -> std::path::PathBuf {
    repo().join("topologies/direct-connect-transit.toml")
}

/// On premises reaches two VPCs over a transit VIF, the Direct Connect gateway
/// and the TGW; 8500-byte packets pass, 9001-byte DF ones get PMTUD at the TGW
/// (the VIF's MTU), and a VPC outside the allowed prefixes is unreachable from
/// on premises, with the association named.
#[test]
fn transit_vif_reaches_the_allowed_vpcs_through_the_tgw_at_mtu_8500() {
    let out = temp_dir("dx-transit");
    let s = run_ok("direct-connect-transit", &transit_example(), &out, &[]);
    for name in [
        "dc-to-a",
        "dc-to-b",
        "a-to-dc-udp-8500-df",
        "a-to-dc-udp-1500-df",
        "b-to-dc-tcp",
    ] {
        let f = flow(&s, name);
        assert_eq!(f["outcome"], "delivered", "{name}: {f}");
        assert_eq!(f["dropped_packets"], 0, "{name}: {f}");
    }
    assert_eq!(flow(&s, "b-to-dc-tcp")["bytes_delivered"], 500_000);
    let big = flow(&s, "a-to-dc-udp-9001-df");
    assert_eq!(big["delivered_packets"], 0, "{big}");
    assert_eq!(big["drops"]["MTU_EXCEEDED"], 5, "{big}");
    assert_eq!(
        big["drop_objects"]["MTU_EXCEEDED"],
        "9001 bytes > tgw-core MTU 8500 towards tgw-attach-dx (ICMP sent back)",
        "{big}"
    );
    let c = flow(&s, "dc-to-c");
    assert_eq!(c["delivered_packets"], 0, "{c}");
    assert_eq!(c["drops"]["DX_PREFIX_NOT_ALLOWED"], 3, "{c}");
    let object = c["drop_objects"]["DX_PREFIX_NOT_ALLOWED"].as_str().unwrap();
    assert!(
        object.contains("10.3.1.10")
            && object.contains("tgw-attach-dx (dxgw-corp's association with tgw-core)"),
        "{object}"
    );
    // One way: the connection's 2 ms plus the TGW hop (0.1 ms default).
    let p50 = p50_ms(flow(&s, "dc-to-a"));
    assert!((2.0..2.3).contains(&p50), "{p50} ms");
    assert_eq!(s["totals"]["conservation"]["holds"], true);
}

#[test]
fn trace_crosses_the_transit_vif_and_the_direct_connect_gateway_attachment() {
    let t = transit_example();
    let text = trace(&t, "dc-app", "app-b", &[]);
    for hop in [
        "through dxvif-transit",
        "receives from attachment tgw-attach-dx (direct-connect-gateway, available, MTU 8500)",
        "10.2.0.0/16 -> tgw-attach-b (propagated)",
        "192.168.0.0/16 -> tgw-attach-dx (propagated)",
        "Result: delivered both ways",
    ] {
        assert!(text.contains(hop), "missing `{hop}`:\n{text}");
    }
    let text = trace(&t, "dc-app", "app-c", &[]);
    assert!(text.contains("DROPPED DX_PREFIX_NOT_ALLOWED"), "{text}");
    assert!(
        text.contains("`allowed_prefixes` of tgw-attach-dx"),
        "{text}"
    );
}

/// A transit VIF with the default 1500-byte MTU: the TGW's link towards it is
/// 1500, so a 1501-byte DF packet from a VPC gets "fragmentation needed" (MTU
/// 1500), and one from on premises over 1500 is dropped at the VIF.
#[test]
fn a_1500_byte_transit_vif_sets_the_tgw_link_mtu() {
    let text = std::fs::read_to_string(transit_example()).unwrap().replace(
        "dx_gateway = \"dxgw-corp\", mtu = 8500",
        "dx_gateway = \"dxgw-corp\"",
    );
    let dir = temp_dir("dx-transit-1500");
    let file = dir.join("t.toml");
    std::fs::write(&file, text).unwrap();
    let out = trace(&file, "app-a", "dc-app", &["--size", "1501", "--df"]);
    assert!(
        out.contains("1501 bytes > tgw-core MTU 1500 towards tgw-attach-dx (ICMP sent back)"),
        "{out}"
    );
    let out = trace(&file, "app-a", "dc-app", &["--size", "1500", "--df"]);
    assert!(out.contains("Result: delivered"), "{out}");
    let out = trace(&file, "dc-app", "app-a", &["--size", "1501", "--df"]);
    assert!(
        out.contains(
            "1501 bytes > link MTU 1500 of dxvif-transit (Direct Connect virtual interface)"
        ),
        "{out}"
    );
}

/// The transit VIF's capture point shows both directions between on premises
/// and the two allowed VPCs, nothing from vpc-c, packets of at most 8500 bytes
/// (the 8500-byte datagrams among them), SYNs with the MSS clamped to 8460, and
/// valid checksums; its counts match what dc-app sent and received.
#[test]
#[ignore = "needs tshark"]
fn tshark_shows_the_transit_vif_point_at_mtu_8500() {
    let out = temp_dir("dx-transit-points");
    run_ok("direct-connect-transit", &transit_example(), &out, &[]);
    let points = out.join("points");
    let vif = points.join("dxvif-transit.pcapng");
    let count = |file: &Path, filter: &str| checked(file, filter, &["frame.number"]).len();
    let rows = checked(
        &vif,
        "frame",
        &["frame.p2p_dir", "ip.src", "ip.dst", "ip.checksum.status"],
    );
    let (mut outbound, mut inbound) = (0, 0);
    for l in &rows {
        let c: Vec<&str> = l.split('\t').collect();
        let (aws, onprem) = match c[0] {
            "0" => {
                outbound += 1;
                (c[1], c[2])
            }
            "1" => {
                inbound += 1;
                (c[2], c[1])
            }
            _ => panic!("no direction: {l}"),
        };
        assert_eq!(onprem, "192.168.10.10", "{l}");
        assert!(["10.1.1.10", "10.2.1.10"].contains(&aws), "{l}");
        assert_eq!(c[3], "1", "{l}");
    }
    assert!(outbound > 0 && inbound > 0, "{rows:?}");
    let dc = points.join("dc-app.pcapng");
    assert_eq!(
        outbound,
        count(&dc, "frame.p2p_dir == 1"),
        "what dc-app received"
    );
    assert_eq!(
        inbound,
        count(&dc, "frame.p2p_dir == 0 && ip.dst != 10.3.1.10"),
        "what dc-app sent into AWS"
    );
    let lens = checked(&vif, "ip", &["ip.len"]);
    assert!(max_of(&lens) <= 8500, "{lens:?}");
    assert!(lens.iter().any(|l| l == "8500"), "{lens:?}");
    assert_eq!(count(&vif, "ip.addr == 10.3.1.10"), 0, "vpc-c");
    assert_eq!(
        count(&vif, "udp.dstport == 5002"),
        0,
        "9001-byte DF datagrams"
    );
    let mss = checked(&vif, "tcp.flags.syn == 1", &["tcp.options.mss_val"]);
    assert!(
        !mss.is_empty() && mss.iter().all(|m| m == "8460"),
        "{mss:?}"
    );
    let bad = "_ws.malformed || _ws.expert.severity >= 8388608";
    assert_eq!(count(&vif, bad), 0);
}
