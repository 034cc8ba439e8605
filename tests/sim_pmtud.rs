//! Path-MTU discovery through the real VPC router: an inter-region peering (MTU
//! 1500) between 9001-MTU instances. With ICMP allowed back, TCP learns the path MTU
//! and completes; with the sender's subnet NACL denying ICMP, it is the classic
//! black hole.
//!
//! Like Linux (tcp_v4_mtu_reduced → tcp_simple_retransmit), the sender re-sends the
//! segments the ICMP reports lost at once, re-segmented, instead of waiting for the
//! retransmission timeout; the learned path MTU expires after 600 s
//! (`net.ipv4.route.mtu_expires`).

use peeremu::dataplane::test_net::{nacl_all, nacl_tcp, sg_all, TestNet};
use peeremu::model::*;
use peeremu::output::Outcome;
use peeremu::sim::{run_network, NullObserver, SimConfig};

fn network(block_icmp: bool) -> Network {
    network_with_second_flow(block_icmp, None)
}

/// The network; with `second_start_ns`, a second bulk transfer (flow 1) starting
/// then, on another connection to the same destination.
fn network_with_second_flow(block_icmp: bool, second_start_ns: Option<u64>) -> Network {
    let mut t = TestNet::new();
    let a = t.vpc_in(0, "10.10.0.0/16");
    let b = t.vpc_in(1, "10.20.0.0/16");
    let sa = t.subnet(a, "10.10.1.0/24", 0);
    let sb = t.subnet(b, "10.20.1.0/24", 2);
    let ga = t.sg(a, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let gb = t.sg(b, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    t.peer_subnets(sa, sb);
    let sender = t.eni(sa, "10.10.1.10", &[ga]);
    let receiver = t.eni(sb, "10.20.1.10", &[gb]);
    if block_icmp {
        // Inbound: TCP only (the replies), so ICMP "fragmentation needed" is denied.
        t.nacl(
            sa,
            vec![nacl_tcp(100, "0.0.0.0/0", (0, 65535), RuleAction::Allow)],
            vec![nacl_all(100, "0.0.0.0/0", RuleAction::Allow)],
        );
    }
    let mut net = t.build();
    net.flows.push(Flow {
        bytes: 500_000,
        expect: Some(if block_icmp {
            Expectation::Dropped(DropReason::MtuExceeded)
        } else {
            Expectation::Delivered
        }),
        ..Flow::new(
            "bulk",
            FlowKind::Tcp,
            Endpoint::Eni(sender),
            Endpoint::Eni(receiver),
        )
    });
    if let Some(start_ns) = second_start_ns {
        let mut second = net.flows[0].clone();
        second.name = "bulk-later".into();
        second.start_ns = start_ns;
        net.flows.push(second);
    }
    net
}

#[test]
fn tcp_learns_the_peering_mtu_and_completes() {
    let r = run_network(&network(false), &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
    assert_eq!(f.bytes_delivered, 500_000);
    assert!(f.drops.contains_key("MTU_EXCEEDED"), "{:?}", f.drops);
    assert!(
        f.notes.iter().any(|n| n.contains("lowered to 1500")),
        "{:?}",
        f.notes
    );
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
}

#[test]
fn nacl_denying_icmp_makes_a_pmtud_black_hole() {
    let r = run_network(&network(true), &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Stalled, "{:?} {:?}", f.drops, f.notes);
    assert!(f.drops.contains_key("NACL_DENY"), "{:?}", f.drops);
    assert!(
        f.notes
            .iter()
            .any(|n| n.starts_with("stalled: path MTU discovery black hole") && n.contains("acl-")),
        "{:?}",
        f.notes
    );
    assert_eq!(f.expectation.as_ref().map(|e| e.1), Some(true));
}

/// Virtual time the 500 kB transfer took before the immediate retransmission
/// (smoltcp waited for its 1 s retransmission timeout): 1.330 s.
const COMPLETION_BEFORE_NS: u64 = 1_330_160_088;

#[test]
fn the_lost_segments_are_resent_at_once_not_after_the_rto() {
    let r = run_network(&network(false), &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Delivered, "{:?}", f.notes);
    let done = f.completion_ns.expect("completed");
    // Handshake and slow start over 2 × 40 ms round trips: about 0.33 s. The
    // recovery costs no retransmission timeout (smoltcp's is at least 1 s).
    eprintln!("done in {done} ns");
    assert!(done < 500_000_000, "{done}");
    assert!(done + 900_000_000 < COMPLETION_BEFORE_NS, "{done}");
}

#[test]
fn the_inter_region_example_transfer_recovers_without_the_rto() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/topologies/inter-region-mtu.toml"
    );
    let mut net = peeremu::topology::load_file(std::path::Path::new(path)).expect("example");
    // Alone: in the example an earlier UDP flow has already taught the path MTU.
    net.flows.retain(|f| f.name == "tcp-bulk");
    net.flows[0].start_ns = 0;
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Delivered, "{:?}", f.notes);
    assert!(f.drops.contains_key("MTU_EXCEEDED"), "{:?}", f.drops);
    // Before: 1.770 s (the lost first window waited for smoltcp's 1 s RTO). Now
    // about 1.0 s: the handshake and CUBIC's slow start over 76 ms round trips
    // (8 of them to reach the 3 MiB window); a retransmission timeout (at least
    // 200 ms + the RTT) would add more than the margin.
    let done = f.completion_ns.expect("completed");
    eprintln!("done in {done} ns");
    assert!(done < 1_100_000_000, "{done}");
}

/// MTU_EXCEEDED drops of the second transfer when it starts at `start_ns`.
fn second_flow_mtu_drops(start_ns: u64) -> u64 {
    let net = network_with_second_flow(false, Some(start_ns));
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    for f in &r.reports {
        assert_eq!(f.outcome, Outcome::Delivered, "{}: {:?}", f.name, f.notes);
    }
    assert!(r.reports[0].drops.contains_key("MTU_EXCEEDED"));
    r.reports[1].drops.get("MTU_EXCEEDED").copied().unwrap_or(0)
}

#[test]
fn the_learned_path_mtu_expires_after_600_seconds() {
    // 300 s later the cached path MTU still applies: nothing too big is sent.
    assert_eq!(second_flow_mtu_drops(300_000_000_000), 0);
    // 700 s later it has expired: jumbo segments again, ICMP again, relearned.
    assert!(second_flow_mtu_drops(700_000_000_000) > 0);
}

/// The sender's security group admits nothing unsolicited inbound (TCP replies
/// ride the tracked flow), with or without the ICMP 3/4 rule AWS documents for
/// path MTU discovery; NACLs are the default (allow all).
fn network_sg(pmtud_rule: bool) -> Network {
    use peeremu::dataplane::test_net::sg_pmtud;
    let mut t = TestNet::new();
    let a = t.vpc_in(0, "10.10.0.0/16");
    let b = t.vpc_in(1, "10.20.0.0/16");
    let sa = t.subnet(a, "10.10.1.0/24", 0);
    let sb = t.subnet(b, "10.20.1.0/24", 2);
    let ingress = if pmtud_rule {
        vec![sg_pmtud(false)]
    } else {
        vec![]
    };
    let ga = t.sg(a, ingress, vec![sg_all("0.0.0.0/0")]);
    let gb = t.sg(b, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    t.peer_subnets(sa, sb);
    let sender = t.eni(sa, "10.10.1.10", &[ga]);
    let receiver = t.eni(sb, "10.20.1.10", &[gb]);
    let mut net = t.build();
    net.flows.push(Flow {
        bytes: 500_000,
        ..Flow::new(
            "bulk",
            FlowKind::Tcp,
            Endpoint::Eni(sender),
            Endpoint::Eni(receiver),
        )
    });
    net
}

/// AWS: path MTU discovery needs an inbound security group rule for ICMP type 3
/// code 4; the router's "fragmentation needed" is not admitted as related to the
/// TCP flow. With the rule the transfer learns the path MTU and completes.
#[test]
fn security_group_with_the_icmp_3_4_rule_lets_pmtud_work() {
    let r =
        run_network(&network_sg(true), &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Delivered, "{:?} {:?}", f.drops, f.notes);
    assert_eq!(f.bytes_delivered, 500_000);
    assert!(f.drops.contains_key("MTU_EXCEEDED"), "{:?}", f.drops);
    assert!(!f.drops.contains_key("SG_NO_MATCH"), "{:?}", f.drops);
}

/// Without the rule: the classic black hole. The handshake passes, the first
/// full-sized segments are too big, their ICMP is dropped by the sender's group
/// (SG_NO_MATCH), and the transfer stalls with a note naming the group.
#[test]
fn security_group_without_the_icmp_3_4_rule_is_a_pmtud_black_hole() {
    let net = network_sg(false);
    let sender_group = net.enis[0].security_groups[0];
    let group = net.security_groups[sender_group.ix()].id.clone();
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    let f = &r.reports[0];
    assert_eq!(f.outcome, Outcome::Stalled, "{:?} {:?}", f.drops, f.notes);
    assert!(f.bytes_delivered < 500_000);
    assert!(f.drops.contains_key("MTU_EXCEEDED"), "{:?}", f.drops);
    assert!(f.drops.contains_key("SG_NO_MATCH"), "{:?}", f.drops);
    assert!(
        f.notes
            .iter()
            .any(|n| n.starts_with("stalled: path MTU discovery black hole") && n.contains(&group)),
        "{:?}",
        f.notes
    );
}

/// The sender's data segments as they leave its ENI: (time, sequence number
/// relative to the ISN, payload bytes), and the MSS its SYN advertised.
#[derive(Default)]
struct Segments {
    isn: Option<u32>,
    syn_mss: Option<u16>,
    data: Vec<(u64, u32, usize)>,
}

impl peeremu::sim::Observer for Segments {
    fn frame(
        &mut self,
        t: u64,
        point: peeremu::sim::CapturePoint,
        dir: peeremu::sim::FrameDirection,
        frame: &[u8],
    ) {
        use etherparse::{SlicedPacket, TcpOptionElement, TransportSlice};
        if point != peeremu::sim::CapturePoint::Eni(EniIdx(0))
            || dir != peeremu::sim::FrameDirection::Outbound
        {
            return;
        }
        let Ok(p) = SlicedPacket::from_ethernet(frame) else {
            return;
        };
        let Some(TransportSlice::Tcp(tcp)) = p.transport else {
            return;
        };
        if tcp.syn() {
            self.isn = Some(tcp.sequence_number());
            for o in tcp.options_iterator().flatten() {
                if let TcpOptionElement::MaximumSegmentSize(m) = o {
                    self.syn_mss = Some(m);
                }
            }
        }
        let len = tcp.payload().len();
        if let (Some(isn), true) = (self.isn, len > 0) {
            self.data
                .push((t, tcp.sequence_number().wrapping_sub(isn), len));
        }
    }
    fn dropped(&mut self, _: peeremu::sim::DropEvent<'_>) {}
}

/// Like Linux: the SYN advertises the MSS of the interface MTU (9001 − 40), and
/// once ICMP lowered the path MTU to 1500, the data sent after it goes out in
/// full 1460-byte segments, except the transfer's last: not as each 8961-byte
/// segment split into 6 × 1460 + 201. (The segments lost before the ICMP came back
/// are re-sent each split at the new MSS, as Linux's `tcp_fragment` does.)
#[test]
fn after_the_path_mtu_drop_segments_are_full_sized_at_the_new_mss() {
    let mut seen = Segments::default();
    let r = run_network(&network(false), &SimConfig::default(), &mut seen).expect("setup");
    assert_eq!(r.reports[0].outcome, Outcome::Delivered);
    assert_eq!(seen.syn_mss, Some(9001 - 40));
    // Data first sent after the path MTU was learned: beyond every jumbo segment.
    let jumbo_end = seen
        .data
        .iter()
        .filter(|d| d.2 > 1460)
        .map(|d| d.1 + d.2 as u32)
        .max()
        .expect("the first window went out in jumbo segments");
    let mut fresh: Vec<_> = seen.data.iter().filter(|d| d.1 >= jumbo_end).collect();
    fresh.sort_by_key(|d| d.1);
    fresh.dedup_by_key(|d| d.1);
    assert!(fresh.len() > 100, "{}", fresh.len());
    let (last, full) = fresh.split_last().expect("segments");
    let short: Vec<_> = full.iter().filter(|d| d.2 != 1460).collect();
    assert!(short.is_empty(), "not full-sized: {short:?}");
    assert!(last.2 <= 1460);
    // Sequence numbers count the SYN: the data ends at ISN + 1 + 500,000.
    assert_eq!(
        last.1 + last.2 as u32,
        500_001,
        "the last byte of the transfer"
    );
}
