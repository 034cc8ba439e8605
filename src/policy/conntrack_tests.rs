//! Connection-tracking tests: replies, AWS timeouts, the bounded table, fragments.
use super::*;
use crate::policy::traffic::tests::key;

fn reply(k: &FlowKey) -> FlowKey {
    FlowKey {
        src: k.dst,
        dst: k.src,
        src_port: k.dst_port,
        dst_port: k.src_port,
        tcp_flags: if k.protocol == proto::TCP { 0x12 } else { 0 },
        icmp_type: if k.protocol == proto::ICMP {
            0
        } else {
            k.icmp_type
        },
        ..*k
    }
}

#[test]
fn reply_finds_the_request_entry() {
    let mut ct = ConnTrack::new(16);
    let k = key(proto::TCP, "10.0.0.1", "10.0.0.2", 40000, 443);
    assert_eq!(ct.lookup(0, &k), None);
    ct.insert(0, &k).unwrap();
    assert_eq!(ct.lookup(1, &reply(&k)), Some(Tracked::Reply));
    assert_eq!(ct.lookup(2, &k), Some(Tracked::Original));
    // A different source port is a different flow.
    let other = FlowKey {
        src_port: 40001,
        ..k
    };
    assert_eq!(ct.lookup(3, &reply(&other)), None);
}

#[test]
fn tcp_established_lasts_five_days_opening_does_not() {
    let mut ct = ConnTrack::new(16);
    let syn = key(proto::TCP, "10.0.0.1", "10.0.0.2", 40000, 443);
    ct.insert(0, &syn).unwrap();
    assert_eq!(ct.state(0, &syn), Some(FlowState::TcpOpening));
    // A half-open flow dies after the transitory timeout.
    assert_eq!(ct.lookup(TCP_TRANSITORY_TIMEOUT_NS + 1, &reply(&syn)), None);

    ct.insert(0, &syn).unwrap();
    ct.lookup(1, &reply(&syn)).unwrap();
    assert_eq!(ct.state(1, &syn), Some(FlowState::TcpEstablished));
    let t = 1 + TCP_ESTABLISHED_TIMEOUT_NS;
    assert_eq!(ct.lookup(t, &syn), Some(Tracked::Original));
    assert_eq!(ct.lookup(t + TCP_ESTABLISHED_TIMEOUT_NS + 1, &syn), None);
}

#[test]
fn fin_moves_to_closing() {
    let mut ct = ConnTrack::new(16);
    let syn = key(proto::TCP, "10.0.0.1", "10.0.0.2", 40000, 443);
    ct.insert(0, &syn).unwrap();
    ct.lookup(1, &reply(&syn)).unwrap();
    let fin = FlowKey {
        tcp_flags: 0x11,
        ..syn
    };
    ct.lookup(2, &fin).unwrap();
    assert_eq!(ct.state(2, &syn), Some(FlowState::TcpClosing));
    assert_eq!(ct.lookup(3 + TCP_TRANSITORY_TIMEOUT_NS, &syn), None);
}

#[test]
fn udp_30s_then_180s_once_a_stream() {
    let mut ct = ConnTrack::new(16);
    let q = key(proto::UDP, "10.0.0.1", "10.0.0.2", 5000, 53);
    ct.insert(0, &q).unwrap();
    assert_eq!(ct.lookup(UDP_TIMEOUT_NS + 1, &reply(&q)), None);

    ct.insert(0, &q).unwrap();
    let mut t = 0;
    for _ in 0..2 {
        t += SEC;
        ct.lookup(t, &reply(&q)).unwrap();
        t += SEC;
        ct.lookup(t, &q).unwrap();
    }
    assert_eq!(ct.state(t, &q), Some(FlowState::Udp { stream: true }));
    assert_eq!(
        ct.lookup(t + UDP_TIMEOUT_NS + 1, &q),
        Some(Tracked::Original)
    );
    t += UDP_TIMEOUT_NS + 1;
    assert_eq!(ct.lookup(t + UDP_STREAM_TIMEOUT_NS + 1, &q), None);
}

#[test]
fn one_transaction_is_not_a_stream() {
    let mut ct = ConnTrack::new(16);
    let q = key(proto::UDP, "10.0.0.1", "10.0.0.2", 5000, 53);
    ct.insert(0, &q).unwrap();
    ct.lookup(1, &reply(&q)).unwrap();
    ct.lookup(2, &reply(&q)).unwrap();
    assert_eq!(ct.state(2, &q), Some(FlowState::Udp { stream: false }));
}

#[test]
fn icmp_and_other_timeouts() {
    let mut ct = ConnTrack::new(16);
    let ping = key(proto::ICMP, "10.0.0.1", "10.0.0.2", 0, 0);
    ct.insert(0, &ping).unwrap();
    assert_eq!(
        ct.lookup(ICMP_TIMEOUT_NS, &reply(&ping)),
        Some(Tracked::Reply)
    );
    assert_eq!(ct.lookup(2 * ICMP_TIMEOUT_NS + 1, &reply(&ping)), None);
    let gre = key(47, "10.0.0.1", "10.0.0.2", 0, 0);
    ct.insert(0, &gre).unwrap();
    assert_eq!(ct.state(OTHER_TIMEOUT_NS, &gre), Some(FlowState::Other));
    assert_eq!(ct.state(OTHER_TIMEOUT_NS + 1, &gre), None);
}

#[test]
fn full_table_refuses_new_flows_until_one_idles_out() {
    let mut ct = ConnTrack::new(2);
    let a = key(proto::UDP, "10.0.0.1", "10.0.0.2", 1, 53);
    let b = key(proto::UDP, "10.0.0.1", "10.0.0.2", 2, 53);
    let c = key(proto::UDP, "10.0.0.1", "10.0.0.2", 3, 53);
    ct.insert(0, &a).unwrap();
    ct.insert(10 * SEC, &b).unwrap();
    assert_eq!(ct.insert(20 * SEC, &c), Err(ConntrackFull));
    // Re-inserting an existing flow is not a new entry.
    assert_eq!(ct.insert(20 * SEC, &a), Ok(()));
    // At 41 s `a` (refreshed at 20 s) is live but `b` (10 s) has idled out.
    assert_eq!(ct.insert(41 * SEC, &c), Ok(()));
    assert_eq!(ct.len(), 2);
    assert_eq!(ct.state(41 * SEC, &b), None);
}

#[test]
fn non_first_fragments_follow_their_first_fragment() {
    let mut ct = ConnTrack::new(4);
    let mut first = key(proto::UDP, "10.0.0.2", "10.0.0.1", 53, 5000);
    first.fragment = crate::wire::FragmentKind::First;
    let rest = FlowKey {
        src_port: 0,
        dst_port: 0,
        fragment: crate::wire::FragmentKind::NonFirst,
        ..first
    };
    assert!(!ct.follows_first_fragment(0, &rest));
    ct.note_first_fragment(0, &first);
    assert!(ct.follows_first_fragment(SEC, &rest));
    assert!(!ct.follows_first_fragment(FRAGMENT_TIMEOUT_NS + 1, &rest));
    let other = FlowKey {
        src: "10.0.0.3".parse().unwrap(),
        ..rest
    };
    assert!(!ct.follows_first_fragment(SEC, &other));
}

#[test]
fn ipv6_flows() {
    let mut ct = ConnTrack::new(4);
    let k = key(proto::TCP, "2600::1", "2600::2", 40000, 443);
    ct.insert(0, &k).unwrap();
    assert_eq!(ct.lookup(1, &reply(&k)), Some(Tracked::Reply));
}

fn echo(src: &str, dst: &str, id: u16, reply: bool) -> FlowKey {
    FlowKey {
        icmp_type: if reply { 0 } else { 8 },
        icmp_id: id,
        ..key(proto::ICMP, src, dst, 0, 0)
    }
}

#[test]
fn echo_is_tracked_by_identifier_and_requester() {
    let mut ct = ConnTrack::new(16);
    let ping = echo("10.0.0.1", "10.0.0.2", 7, false);
    assert!(ConnTrack::opens_flow(&ping));
    ct.insert(0, &ping).unwrap();
    assert_eq!(
        ct.lookup(1, &echo("10.0.0.2", "10.0.0.1", 7, true)),
        Some(Tracked::Reply)
    );
    assert_eq!(ct.lookup(2, &ping), Some(Tracked::Original));
    // The responder pinging back is a new flow, not a reply (same identifier too).
    assert_eq!(ct.lookup(3, &echo("10.0.0.2", "10.0.0.1", 7, false)), None);
    // Another identifier is another flow.
    assert_eq!(ct.lookup(4, &echo("10.0.0.2", "10.0.0.1", 8, true)), None);
    // The requester "replying" to its own request is no part of it either.
    assert_eq!(ct.lookup(5, &echo("10.0.0.1", "10.0.0.2", 7, true)), None);
    assert_eq!(ct.state(5, &ping), Some(FlowState::Icmp));
    assert_eq!(ct.len(), 1);
}

#[test]
fn replies_and_errors_open_no_flow() {
    assert!(!ConnTrack::opens_flow(&echo(
        "10.0.0.2", "10.0.0.1", 7, true
    )));
    let error = FlowKey {
        icmp_type: 3,
        icmp_code: 4,
        ..key(proto::ICMP, "10.0.0.2", "10.0.0.1", 0, 0)
    };
    assert!(!ConnTrack::opens_flow(&error));
    let mut nonfirst = key(proto::UDP, "10.0.0.1", "10.0.0.2", 0, 0);
    nonfirst.fragment = crate::wire::FragmentKind::NonFirst;
    assert!(!ConnTrack::opens_flow(&nonfirst));
    assert!(ConnTrack::opens_flow(&key(
        proto::UDP,
        "10.0.0.1",
        "10.0.0.2",
        1,
        2
    )));
}

#[test]
fn errors_relate_to_the_quoted_flow_without_refreshing_it() {
    let mut ct = ConnTrack::new(16);
    let udp = key(proto::UDP, "10.0.0.1", "10.0.0.2", 40000, 53);
    ct.insert(0, &udp).unwrap();
    // Either direction of the quoted packet relates (a quote of our request, or
    // of the peer's reply).
    assert!(ct.related(1, &udp));
    assert!(ct.related(1, &reply(&udp)));
    assert!(!ct.related(1, &key(proto::UDP, "10.0.0.1", "10.0.0.2", 40001, 53)));
    assert!(ct.related(UDP_TIMEOUT_NS, &udp));
    // Being quoted did not keep the flow alive.
    assert!(!ct.related(UDP_TIMEOUT_NS + 1, &udp));
}

#[test]
fn ipv4_and_ipv6_flows_share_one_capacity() {
    let mut ct = ConnTrack::new(2);
    let v4 = key(proto::TCP, "10.0.0.1", "10.0.0.2", 40000, 443);
    let v6 = key(proto::TCP, "2001:db8::1", "2001:db8::2", 40000, 443);
    ct.insert(0, &v4).unwrap();
    ct.insert(0, &v6).unwrap();
    assert_eq!(ct.len(), 2);
    assert_eq!(ct.lookup(1, &reply(&v6)), Some(Tracked::Reply));
    assert_eq!(ct.lookup(1, &reply(&v4)), Some(Tracked::Reply));
    // Full of live flows of either family: a third is refused.
    let other = key(proto::UDP, "10.0.0.1", "10.0.0.3", 5000, 53);
    assert_eq!(ct.insert(2, &other), Err(ConntrackFull));
    ct.clear();
    assert!(ct.is_empty());
}

#[test]
fn ipv4_mapped_ipv6_addresses_key_like_ipv4() {
    // The packed IPv4 table must keep the old identity: an address was keyed by
    // its IPv4-mapped form, whichever family it came in.
    let mut ct = ConnTrack::new(4);
    let v4 = key(proto::UDP, "10.0.0.1", "10.0.0.2", 5000, 53);
    ct.insert(0, &v4).unwrap();
    let mapped = key(proto::UDP, "::ffff:10.0.0.2", "::ffff:10.0.0.1", 53, 5000);
    assert_eq!(ct.lookup(1, &mapped), Some(Tracked::Reply));
    assert_eq!(ct.len(), 1);
    // Port order decides the direction when the addresses are equal.
    let lo = key(proto::TCP, "10.0.0.1", "10.0.0.1", 1, 2);
    ct.insert(2, &lo).unwrap();
    assert_eq!(ct.lookup(3, &reply(&lo)), Some(Tracked::Reply));
    assert_eq!(ct.lookup(3, &lo), Some(Tracked::Original));
}

/// The router's cached path (`dataplane::flow_cache`) may refresh the source
/// ENI's entry, miss at the destination and send the packet through the full
/// pipeline, which refreshes the source's entry again with the same packet.
#[test]
fn refreshing_twice_with_one_packet_is_refreshing_once() {
    let udp = key(proto::UDP, "10.0.0.1", "10.0.0.2", 40000, 53);
    let tcp = key(proto::TCP, "10.0.0.1", "10.0.0.2", 40000, 443);
    let fin = FlowKey {
        tcp_flags: 0x11,
        ..reply(&tcp)
    };
    for (first, packets) in [
        (udp, vec![reply(&udp), udp, reply(&udp), udp, reply(&udp)]),
        (tcp, vec![reply(&tcp), tcp, fin, tcp]),
    ] {
        let mut once = ConnTrack::new(16);
        once.insert(0, &first).unwrap();
        let mut twice = once.clone();
        for (i, p) in packets.iter().enumerate() {
            let now = (i as u64 + 1) * SEC;
            let a = once.lookup(now, p);
            assert_eq!(twice.lookup(now, p), a);
            assert_eq!(twice.lookup(now, p), a);
            assert_eq!(format!("{once:?}"), format!("{twice:?}"));
        }
    }
}

/// The router's cached path refreshes through handles ([`FlowHandle`]): each
/// refresh gives what the keyed lookup gives, on a table kept in step by keyed
/// lookups; once the entry is gone (idle-expired, its slot taken by another
/// flow, the table cleared) the handle touches no other flow and falls back to
/// the keyed lookup, which finds the flow again when it is tracked anew.
#[test]
fn a_handle_refreshes_what_the_key_finds() {
    let k = key(proto::UDP, "10.0.0.1", "10.0.0.2", 5000, 53);
    let other = key(proto::UDP, "10.0.0.3", "10.0.0.4", 6000, 53);
    let (n, back) = (Normalized::of(&k), Normalized::of(&reply(&k)));
    let (mut handled, mut keyed) = (ConnTrack::new(4), ConnTrack::new(4));
    let both = |ct: &mut [&mut ConnTrack; 2], now: u64, f: &FlowKey| {
        for t in ct.iter_mut() {
            t.insert(now, f).unwrap();
        }
    };
    both(&mut [&mut handled, &mut keyed], 0, &k);
    let h = handled.handle(&n);
    assert_ne!(h, FlowHandle::NONE);
    assert_eq!(handled.handle(&Normalized::of(&other)), FlowHandle::NONE);
    let mut now = 0;
    for p in [back, n, back, n, n] {
        now += SEC;
        let want = keyed.lookup_normalized(now, &p);
        assert!(want.is_some());
        assert_eq!(handled.lookup_handle(now, h, &p), want);
        assert_eq!(handled.state(now, &k), keyed.state(now, &k));
    }
    // Idle-expired: removed through the handle as by the key.
    now += 1_000 * SEC;
    assert_eq!(handled.lookup_handle(now, h, &n), None);
    assert_eq!(keyed.lookup_normalized(now, &n), None);
    assert_eq!((handled.len(), keyed.len()), (0, 0));
    // Another flow takes the freed slot: the old handle must not refresh it.
    both(&mut [&mut handled, &mut keyed], now, &other);
    assert_eq!(handled.lookup_handle(now + 1, h, &n), None);
    let o = Normalized::of(&other);
    assert_eq!(
        handled.lookup_handle(now + 2, h, &o),
        keyed.lookup_normalized(now + 2, &o)
    );
    assert_eq!(handled.state(now + 2, &other), keyed.state(now + 2, &other));
    // Tracked anew: the stale handle falls back to the key and finds it.
    both(&mut [&mut handled, &mut keyed], now + 3, &k);
    assert_eq!(
        handled.lookup_handle(now + 4, h, &back),
        Some(Tracked::Reply)
    );
    assert_eq!(
        keyed.lookup_normalized(now + 4, &back),
        Some(Tracked::Reply)
    );
    assert_eq!(handled.state(now + 4, &k), keyed.state(now + 4, &k));
    // Cleared: nothing found through a handle taken before.
    let fresh = handled.handle(&n);
    assert_ne!(fresh, h);
    handled.clear();
    assert_eq!(handled.lookup_handle(now + 5, fresh, &n), None);
    assert!(handled.is_empty());
}
