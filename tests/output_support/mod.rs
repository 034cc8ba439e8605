//! Shared by the `output_*` integration tests: a small synthetic network (two VPCs,
//! an ENI in each, a peering, an internet host) and valid frames built with
//! etherparse (TCP, UDP, ICMP, IPv6, IPv4 fragments).
#![allow(dead_code)]

use etherparse::{IpFragOffset, IpNumber, Ipv4Header, PacketBuilder};
use peeremu::model::*;
use peeremu::output::LatencyHistogram;
use peeremu::output::{FlowReport, Outcome};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

pub const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
pub const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 2];
pub const IP_A: [u8; 4] = [10, 0, 1, 10];
pub const IP_B: [u8; 4] = [10, 1, 1, 20];
pub const IP6_A: &str = "2600:1f18::a";
pub const IP6_B: &str = "2600:1f19::b";

/// A fresh, empty folder under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("peeremu-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn eni(id: &str, instance: u32, subnet: u32, vpc: u32, ip: [u8; 4], mac: [u8; 6]) -> Eni {
    Eni {
        id: id.into(),
        instance: InstanceIdx(instance),
        subnet: SubnetIdx(subnet),
        vpc: VpcIdx(vpc),
        private_ip: Ipv4Addr::from(ip),
        ipv6: None,
        public_ip: None,
        mtu: 9001,
        security_groups: vec![],
        source_dest_check: true,
        mac,
    }
}

/// Two VPCs peered, one ENI in each, one internet host; flows named with hostile
/// characters to exercise file-name sanitizing.
pub fn network() -> Network {
    let vpc = |id: &str, cidr: &str| Vpc {
        id: id.into(),
        region: RegionIdx(0),
        cidrs: vec![cidr.parse().unwrap()],
        ipv6: None,
        main_route_table: RtbIdx(0),
        default_nacl: NaclIdx(0),
        default_sg: SgIdx(0),
        internet_gateway: None,
        egress_only_internet_gateway: None,
    };
    let subnet = |id: &str, vpc: u32, cidr: &str| Subnet {
        id: id.into(),
        vpc: VpcIdx(vpc),
        az: AzIdx(0),
        cidr: cidr.parse().unwrap(),
        ipv6: None,
        route_table: RtbIdx(0),
        nacl: NaclIdx(0),
    };
    Network {
        name: "output-test".into(),
        vpcs: vec![vpc("vpc-a", "10.0.0.0/16"), vpc("vpc-b", "10.1.0.0/16")],
        subnets: vec![
            subnet("subnet-a", 0, "10.0.1.0/24"),
            subnet("subnet-b", 1, "10.1.1.0/24"),
        ],
        instances: vec![
            Instance {
                id: "i-a".into(),
                name: "web".into(),
                enis: vec![EniIdx(0)],
                tcp: TcpBuffers::default(),
                forward: Default::default(),
                bandwidth_bps: DEFAULT_INSTANCE_BANDWIDTH_BPS,
                placement_group: None,
            },
            Instance {
                id: "i-b".into(),
                name: "db".into(),
                enis: vec![EniIdx(1)],
                tcp: TcpBuffers::default(),
                forward: Default::default(),
                bandwidth_bps: DEFAULT_INSTANCE_BANDWIDTH_BPS,
                placement_group: None,
            },
        ],
        enis: vec![
            eni("eni-0a", 0, 0, 0, IP_A, MAC_A),
            eni("eni-0b", 1, 1, 1, IP_B, MAC_B),
        ],
        peerings: vec![Peering {
            id: "pcx-ab".into(),
            requester: VpcIdx(0),
            accepter: VpcIdx(1),
            status: PeeringStatus::Active,
            mtu: 1500,
            inter_region: true,
        }],
        external_hosts: vec![ExternalHost {
            name: "internet".into(),
            ip: "198.51.100.7".parse().unwrap(),
            site: ExternalSite::Internet,
            mtu: 1500,
        }],
        flows: vec![
            flow("web→db", Some(Expectation::Delivered)),
            flow(
                "../../escape",
                Some(Expectation::Dropped(DropReason::NaclDeny)),
            ),
        ],
        ..Default::default()
    }
}

pub fn flow(name: &str, expect: Option<Expectation>) -> Flow {
    Flow {
        port: 5432,
        size: 100,
        count: 4,
        rate_pps: 10.0,
        expect,
        ..Flow::new(
            name,
            FlowKind::Udp,
            Endpoint::Eni(EniIdx(0)),
            Endpoint::Eni(EniIdx(1)),
        )
    }
}

/// Reports matching [`network`]'s flows: the first delivered, the second dropped.
pub fn reports() -> Vec<FlowReport> {
    let mut latency = LatencyHistogram::new();
    for v in [40_100_000u64, 40_200_000, 40_300_000] {
        latency.record(v);
    }
    let mut rtt = LatencyHistogram::new();
    rtt.record(80_400_000);
    vec![
        FlowReport {
            name: "web→db".into(),
            src: "web".into(),
            dst: "db".into(),
            protocol: "ping",
            sent_packets: 3,
            delivered_packets: 3,
            dropped_packets: 0,
            dropped_resets: 0,
            bytes_delivered: 300,
            drops: BTreeMap::new(),
            drop_objects: Default::default(),
            latency_ns: latency,
            rtt_ns: Some(rtt),
            response_ns: None,
            responses: None,
            completion_ns: None,
            goodput_bps: None,
            goodput_series: None,
            outcome: Outcome::Delivered,
            expectation: None,
            notes: vec![],
            in_flight_frames: 0,
            unaccounted_packets: 0,
            path_mtu: None,
            data_cost: Default::default(),
            timeline: None,
        },
        FlowReport {
            name: "../../escape".into(),
            src: "web".into(),
            dst: "db".into(),
            protocol: "udp",
            sent_packets: 2,
            delivered_packets: 0,
            dropped_packets: 2,
            dropped_resets: 0,
            bytes_delivered: 0,
            drops: [("NACL_DENY".to_string(), 2)].into_iter().collect(),
            drop_objects: Default::default(),
            latency_ns: LatencyHistogram::new(),
            rtt_ns: None,
            response_ns: None,
            responses: None,
            completion_ns: None,
            goodput_bps: None,
            goodput_series: None,
            outcome: Outcome::Dropped,
            expectation: None,
            notes: vec!["blocked by acl-b".into()],
            in_flight_frames: 0,
            unaccounted_packets: 0,
            path_mtu: None,
            data_cost: Default::default(),
            timeline: None,
        },
    ]
}

/// A TCP segment. Ports should be ones tshark has no payload dissector for.
pub fn tcp(
    src: [u8; 4],
    dst: [u8; 4],
    ports: (u16, u16),
    seq: u32,
    syn: bool,
    ack: Option<u32>,
    payload: usize,
) -> Vec<u8> {
    let mut b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(src, dst, 64)
        .tcp(ports.0, ports.1, seq, 65535);
    if syn {
        b = b.syn();
    }
    if let Some(a) = ack {
        b = b.ack(a);
    }
    let data = vec![0x61u8; payload];
    let mut out = Vec::new();
    b.write(&mut out, &data).unwrap();
    out
}

pub fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..payload).map(|i| i as u8).collect();
    let mut out = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(src, dst, 64)
        .udp(sport, dport)
        .write(&mut out, &data)
        .unwrap();
    out
}

pub fn ping(src: [u8; 4], dst: [u8; 4], seq: u16, reply: bool) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(MAC_A, MAC_B).ipv4(src, dst, 64);
    let b = if reply {
        b.icmpv4_echo_reply(7, seq)
    } else {
        b.icmpv4_echo_request(7, seq)
    };
    let mut out = Vec::new();
    b.write(&mut out, &[0x42u8; 56]).unwrap();
    out
}

pub fn udp6(payload: usize) -> Vec<u8> {
    let src: Ipv6Addr = IP6_A.parse().unwrap();
    let dst: Ipv6Addr = IP6_B.parse().unwrap();
    let mut out = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv6(src.octets(), dst.octets(), 64)
        .udp(40002, 9000)
        .write(&mut out, &vec![1u8; payload])
        .unwrap();
    out
}

pub fn ping6() -> Vec<u8> {
    let src: Ipv6Addr = IP6_A.parse().unwrap();
    let dst: Ipv6Addr = IP6_B.parse().unwrap();
    let mut out = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv6(src.octets(), dst.octets(), 64)
        .icmpv6_echo_request(9, 1)
        .write(&mut out, &[0x42u8; 56])
        .unwrap();
    out
}

/// A UDP datagram of `payload` bytes split into IPv4 fragments of at most `mtu`
/// bytes (RFC 791: 8-byte offsets, MF on all but the last, same id, fresh checksum).
pub fn udp_fragments(payload: usize, mtu: usize, id: u16) -> Vec<Vec<u8>> {
    let whole = udp(IP_A, IP_B, 4000, 9000, payload);
    let ip_payload = &whole[14 + 20..];
    let chunk = (mtu - 20) / 8 * 8;
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < ip_payload.len() {
        let end = (offset + chunk).min(ip_payload.len());
        let mut h = Ipv4Header::new((end - offset) as u16, 64, IpNumber::UDP, IP_A, IP_B).unwrap();
        h.identification = id;
        h.dont_fragment = false;
        h.more_fragments = end < ip_payload.len();
        h.fragment_offset = IpFragOffset::try_new((offset / 8) as u16).unwrap();
        h.header_checksum = h.calc_header_checksum();
        let mut frame = whole[..14].to_vec();
        h.write(&mut frame).unwrap();
        frame.extend_from_slice(&ip_payload[offset..end]);
        out.push(frame);
        offset = end;
    }
    out
}

use peeremu::sim::{CapturePoint, DropEvent, FrameDirection, Observer};

/// One-way latency across the peering in [`drive`].
pub const HOP_NS: u64 = 40_000_000;

/// What [`drive`] fed in.
pub struct Driven {
    pub frames: usize,
    pub drops: usize,
}

enum Ev {
    Frame(CapturePoint, FrameDirection, Vec<u8>),
    Drop(DropReason, &'static str, Option<EniIdx>, Vec<u8>),
}

/// Feed a deterministic mix of frames and drops to `obs` in time order, as the
/// simulation would: each crossing is seen leaving the source ENI, on the peering
/// link 5 ns later, and arriving at the destination ENI [`HOP_NS`] later.
pub fn drive(obs: &mut dyn Observer) -> Driven {
    let mut evs: Vec<(u64, Ev)> = Vec::new();
    let across = |evs: &mut Vec<(u64, Ev)>, t: u64, f: Vec<u8>, from: u32, to: u32| {
        evs.push((
            t,
            Ev::Frame(
                CapturePoint::Eni(EniIdx(from)),
                FrameDirection::Outbound,
                f.clone(),
            ),
        ));
        evs.push((
            t + 5,
            Ev::Frame(
                CapturePoint::Peering(PcxIdx(0)),
                FrameDirection::Outbound,
                f.clone(),
            ),
        ));
        evs.push((
            t + HOP_NS,
            Ev::Frame(CapturePoint::Eni(EniIdx(to)), FrameDirection::Inbound, f),
        ));
    };
    // TCP handshake a → b and a data segment.
    across(
        &mut evs,
        1_000,
        tcp(IP_A, IP_B, (40000, 45000), 1000, true, None, 0),
        0,
        1,
    );
    across(
        &mut evs,
        40_002_000,
        tcp(IP_B, IP_A, (45000, 40000), 7000, true, Some(1001), 0),
        1,
        0,
    );
    across(
        &mut evs,
        80_003_000,
        tcp(IP_A, IP_B, (40000, 45000), 1001, false, Some(7001), 100),
        0,
        1,
    );
    // Ping and its reply.
    across(&mut evs, 100_000_000, ping(IP_A, IP_B, 1, false), 0, 1);
    across(&mut evs, 140_000_100, ping(IP_B, IP_A, 1, true), 1, 0);
    // A 4000-byte UDP datagram fragmented for the 1500-byte inter-region peering.
    for (i, frag) in udp_fragments(4000, 1500, 0x1234).into_iter().enumerate() {
        across(&mut evs, 200_000_000 + i as u64 * 1_000, frag, 0, 1);
    }
    // IPv6.
    across(&mut evs, 300_000_000, udp6(200), 0, 1);
    across(&mut evs, 300_001_000, ping6(), 0, 1);
    // A later ping opens a second flow-log window.
    across(&mut evs, 61_000_000_000, ping(IP_A, IP_B, 2, false), 0, 1);
    // Internet host.
    let to_internet = udp([10, 0, 1, 10], [198, 51, 100, 7], 33434, 9000, 40);
    evs.push((
        400_000_000,
        Ev::Frame(
            CapturePoint::External(HostIdx(0)),
            FrameDirection::Inbound,
            to_internet,
        ),
    ));
    // Drops: a NACL at the destination ENI, then an MTU drop on the link.
    let denied = udp(IP_A, IP_B, 4001, 5432, 100);
    evs.push((
        500_000_000,
        Ev::Frame(
            CapturePoint::Eni(EniIdx(0)),
            FrameDirection::Outbound,
            denied.clone(),
        ),
    ));
    evs.push((
        540_000_000,
        Ev::Drop(
            DropReason::NaclDeny,
            "acl-0b1 rule * inbound",
            Some(EniIdx(1)),
            denied,
        ),
    ));
    let too_big = udp(IP_A, IP_B, 4002, 5432, 3000);
    evs.push((
        600_000_000,
        Ev::Drop(DropReason::MtuExceeded, "pcx-ab MTU 1500", None, too_big),
    ));

    evs.sort_by_key(|(t, _)| *t);
    let mut driven = Driven {
        frames: 0,
        drops: 0,
    };
    for (time_ns, ev) in &evs {
        match ev {
            Ev::Frame(point, dir, f) => {
                obs.frame(*time_ns, *point, *dir, f);
                driven.frames += 1;
            }
            Ev::Drop(reason, detail, eni, f) => {
                obs.dropped(DropEvent {
                    time_ns: *time_ns,
                    reason: *reason,
                    detail,
                    eni: *eni,
                    frame: f,
                });
                driven.drops += 1;
            }
        }
    }
    driven
}
