//! The per-flow cache (`flow_cache`): untraced processing, which takes it, gives
//! the same actions and leaves the same connection tracking as the full
//! pipeline, packet for packet; a table change empties it.

use super::test_net::{frames, sg_all, sg_udp, TestNet};
use super::tests::{delivered, dropped};
use super::*;

/// VPC a (10.0.1.10, AZ 0) peered with VPC b (10.1.1.20, AZ 1). Tracked
/// groups: a may send anything to 10.1.0.0/16, b accepts UDP 5001 and ICMP
/// from 10.0.0.0/16; nothing else either way.
fn peered() -> (TestNet, EniIdx, EniIdx, PcxIdx) {
    let mut t = TestNet::new();
    let va = t.vpc("10.0.0.0/16");
    let vb = t.vpc("10.1.0.0/16");
    let sa = t.subnet(va, "10.0.1.0/24", 0);
    let sb = t.subnet(vb, "10.1.1.0/24", 1);
    let ga = t.sg(va, vec![], vec![sg_all("10.1.0.0/16")]);
    let icmp = SgRule {
        traffic: TrafficMatch {
            protocol: ProtocolMatch::Number(proto::ICMP),
            ports: PortRange::ALL,
            icmp: IcmpMatch::ANY,
        },
        peer: SgPeer::Cidr("10.0.0.0/16".parse().unwrap()),
        description: String::new(),
    };
    let gb = t.sg(
        vb,
        vec![
            sg_udp(5001, SgPeer::Cidr("10.0.0.0/16".parse().unwrap())),
            icmp,
        ],
        vec![],
    );
    let a = t.eni(sa, "10.0.1.10", &[ga]);
    let b = t.eni(sb, "10.1.1.20", &[gb]);
    let pcx = t.peer_subnets(sa, sb);
    (t, a, b, pcx)
}

/// Process `frame` at `from` untraced (`cached`, which may take the cache) and
/// traced (`full`, which never does); both must do the same.
fn both(
    cached: &mut Dataplane,
    full: &mut Dataplane,
    now: u64,
    from: EniIdx,
    frame: Vec<u8>,
) -> Vec<Action> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    cached.process(now, Ingress::Eni(from), frame.clone(), &mut a);
    full.process_traced(now, Ingress::Eni(from), frame, &mut b, &mut Vec::new());
    assert_eq!(a, b, "at {now} ns from {from:?}");
    a
}

#[test]
fn the_cached_path_does_what_the_full_pipeline_does_packet_for_packet() {
    let (t, a, b, pcx) = peered();
    let mut cached = Dataplane::new(&t.build());
    let mut full = cached.clone();
    let mut now = 0;
    let mut step = |frame: Vec<u8>, from: EniIdx| {
        now += 1_000_000;
        both(&mut cached, &mut full, now, from, frame)
    };
    for _ in 0..5 {
        let out = step(
            frames::udp("10.0.1.10", "10.1.1.20", 40000, 5001, 100, true),
            a,
        );
        let (to, _, _, via) = delivered(&out);
        assert_eq!((to, via), (Egress::Eni(b), Some(pcx)));
    }
    for _ in 0..3 {
        let out = step(
            frames::udp("10.1.1.20", "10.0.1.10", 5001, 40000, 100, true),
            b,
        );
        assert_eq!(delivered(&out).0, Egress::Eni(a));
    }
    for reply in [false, true, false, true, false, true] {
        let (s, d, from) = if reply {
            ("10.1.1.20", "10.0.1.10", b)
        } else {
            ("10.0.1.10", "10.1.1.20", a)
        };
        step(frames::echo_id(s, d, 7, reply), from);
    }
    // Larger than the path's MTU: dropped with an ICMP error (DF) or fragmented.
    let big = step(
        frames::udp("10.0.1.10", "10.1.1.20", 40000, 5001, 9000, true),
        a,
    );
    assert!(big.iter().any(|x| matches!(
        x,
        Action::Drop {
            reason: DropReason::MtuExceeded,
            ..
        }
    )));
    let frag = step(
        frames::udp("10.0.1.10", "10.1.1.20", 40000, 5001, 9000, false),
        a,
    );
    assert!(frag.len() >= 2);
    step(
        frames::udp("10.0.1.10", "10.1.1.20", 40000, 5001, 100, true),
        a,
    );
    // A port b's group does not allow, and a request from b's side: dropped.
    assert!(matches!(
        dropped(&step(
            frames::udp("10.0.1.10", "10.1.1.20", 40000, 5002, 100, true),
            a
        )),
        DropDetail::SgNoMatch { .. }
    ));
    assert!(matches!(
        dropped(&step(
            frames::udp("10.1.1.20", "10.0.1.10", 5001, 40001, 100, true),
            b
        )),
        DropDetail::SgNoMatch { .. }
    ));
    // The flows both ways and the echo were learned (so the cache was taken).
    assert!(cached.flow_cache.len() >= 3, "{}", cached.flow_cache.len());
    assert_eq!(full.flow_cache.len(), 0);
    // The connection tables are the same.
    for e in [a, b] {
        assert_eq!(
            format!("{:?}", cached.conntrack(e)),
            format!("{:?}", full.conntrack(e))
        );
    }
    // Idle past UDP's timeout: the flow's entries expire, the cached path is not
    // taken, and the rules decide again (b's reply is no longer a reply).
    let late = now + 31_000_000_000;
    let out = both(
        &mut cached,
        &mut full,
        late,
        b,
        frames::udp("10.1.1.20", "10.0.1.10", 5001, 40000, 100, true),
    );
    assert!(matches!(dropped(&out), DropDetail::SgNoMatch { .. }));
}

#[test]
fn a_table_change_empties_the_cache() {
    let (t, a, _, pcx) = peered();
    let mut dp = Dataplane::new(&t.build());
    let mut out = Vec::new();
    for i in 0..3 {
        out.clear();
        let f = frames::udp("10.0.1.10", "10.1.1.20", 40000, 5001, 100, true);
        dp.process(i, Ingress::Eni(a), f, &mut out);
    }
    assert_eq!(dp.flow_cache.len(), 1);
    // A deleted peering drops the flow's next packet.
    assert!(dp.set_peering_status(pcx, PeeringStatus::Deleted));
    assert_eq!(dp.flow_cache.len(), 0);
    out.clear();
    let f = frames::udp("10.0.1.10", "10.1.1.20", 40000, 5001, 100, true);
    dp.process(4, Ingress::Eni(a), f, &mut out);
    assert!(matches!(
        dropped(&out),
        DropDetail::Blackhole { .. } | DropDetail::PeeringNotActive { .. }
    ));
}
