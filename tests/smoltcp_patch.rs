//! The vendored smoltcp's socket-set indexes (vendor/smoltcp/PEEREMU-PATCH.md):
//! egress visits only sockets that may have work, ingress only the sockets of the
//! packet's protocol, and `SocketSet::add` takes the lowest free slot without a
//! search. These tests check that what smoltcp does is unchanged: the same
//! handles, every write sent, every datagram and segment delivered, on an
//! interface with many idle sockets.

use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, IpEndpoint};

fn udp_socket(port: u16) -> udp::Socket<'static> {
    let buf = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 4], vec![0u8; 4 * 256]);
    let mut s = udp::Socket::new(buf(), buf());
    s.bind(port).expect("bind");
    s
}

fn tcp_socket() -> tcp::Socket<'static> {
    tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0u8; 4096]),
        tcp::SocketBuffer::new(vec![0u8; 4096]),
    )
}

fn loopback_iface() -> (Interface, Loopback) {
    let mut device = Loopback::new(Medium::Ip);
    let mut iface = Interface::new(Config::new(HardwareAddress::Ip), &mut device, Instant::ZERO);
    iface.update_ip_addrs(|a| {
        a.push(IpCidr::new(IpAddress::v4(127, 0, 0, 1), 8))
            .expect("address");
    });
    (iface, device)
}

#[test]
fn add_takes_the_lowest_free_slot() {
    let mut set = SocketSet::new(Vec::new());
    let h: Vec<_> = (0..5).map(|p| set.add(udp_socket(1000 + p))).collect();
    assert_eq!(
        h.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
        ["#0", "#1", "#2", "#3", "#4"]
    );
    set.remove(h[3]);
    set.remove(h[1]);
    // The release searched for the first empty slot: #1, then #3, then a new #5.
    assert_eq!(set.add(udp_socket(2001)).to_string(), "#1");
    assert_eq!(set.add(tcp_socket()).to_string(), "#3");
    assert_eq!(set.add(udp_socket(2003)).to_string(), "#5");
    assert_eq!(set.iter().count(), 6);
}

#[test]
fn a_write_to_one_of_many_idle_sockets_is_sent_and_delivered() {
    let (mut iface, mut device) = loopback_iface();
    let mut set = SocketSet::new(Vec::new());
    let handles: Vec<_> = (0..1000).map(|p| set.add(udp_socket(10_000 + p))).collect();
    let mut t = Instant::ZERO;
    // Nothing to send: every socket goes idle.
    iface.poll(t, &mut device, &mut set);
    assert_eq!(iface.poll_at(t, &set), None);
    for round in 0..3u16 {
        let (from, to) = (handles[(round as usize * 397) % 1000], 10_000 + 999 - round);
        let dst = IpEndpoint::new(IpAddress::v4(127, 0, 0, 1), to);
        set.get_mut::<udp::Socket>(from)
            .send_slice(b"hello", dst)
            .expect("send");
        // The written socket has work again, so poll_at says now (smoltcp's
        // "now" is time zero).
        assert!(iface.poll_at(t, &set).is_some_and(|w| w <= t));
        t += Duration::from_millis(1);
        // The first poll sends it into the loopback device, the second reads it.
        iface.poll(t, &mut device, &mut set);
        iface.poll(t, &mut device, &mut set);
        let rx = set.get_mut::<udp::Socket>(handles[usize::from(to - 10_000)]);
        let (data, meta) = rx.recv().expect("the datagram arrived");
        assert_eq!(data, b"hello");
        assert_eq!(meta.endpoint.port, 10_000 + (round * 397) % 1000);
        assert_eq!(
            iface.poll_at(t, &set),
            None,
            "idle again after round {round}"
        );
    }
}

#[test]
fn tcp_connects_and_carries_data_beside_many_udp_sockets() {
    let (mut iface, mut device) = loopback_iface();
    let mut set = SocketSet::new(Vec::new());
    for p in 0..500 {
        set.add(udp_socket(20_000 + p));
    }
    let server = set.add(tcp_socket());
    set.get_mut::<tcp::Socket>(server)
        .listen(80)
        .expect("listen");
    let client = set.add(tcp_socket());
    let cx = iface.context();
    set.get_mut::<tcp::Socket>(client)
        .connect(cx, (IpAddress::v4(127, 0, 0, 1), 80), 49152)
        .expect("connect");
    let mut t = Instant::ZERO;
    let mut sent = false;
    let mut got = Vec::new();
    for _ in 0..200 {
        iface.poll(t, &mut device, &mut set);
        let c = set.get_mut::<tcp::Socket>(client);
        if c.may_send() && !sent {
            c.send_slice(b"request").expect("send");
            sent = true;
        }
        let s = set.get_mut::<tcp::Socket>(server);
        if s.can_recv() {
            s.recv(|b| {
                got.extend_from_slice(b);
                (b.len(), ())
            })
            .expect("recv");
        }
        if got.len() == 7 {
            break;
        }
        // Wake when smoltcp asks (a delayed ACK, a retransmission), else 1 ms on.
        t = iface
            .poll_at(t, &set)
            .filter(|&w| w > t)
            .unwrap_or(t + Duration::from_millis(1));
    }
    assert_eq!(got, b"request");
    assert_eq!(
        set.get::<tcp::Socket>(server).state(),
        tcp::State::Established
    );
}

/// One IPv4 fragment from 10.0.0.2 to 127.0.0.1 carrying `part` of a UDP
/// datagram at byte `offset`, handed to the loopback device (which smoltcp then
/// reads as received).
fn inject_fragment(device: &mut Loopback, ident: u16, offset: u16, more: bool, part: &[u8]) {
    use smoltcp::phy::{Device, TxToken};
    use smoltcp::wire::{IpProtocol, Ipv4Address, Ipv4Packet};
    let tx = device
        .transmit(Instant::ZERO)
        .expect("loopback takes frames");
    tx.consume(20 + part.len(), |buf| {
        let mut ip = Ipv4Packet::new_unchecked(buf);
        ip.set_version(4);
        ip.set_header_len(20);
        ip.set_dscp(0);
        ip.set_ecn(0);
        ip.set_total_len(20 + part.len() as u16);
        ip.set_ident(ident);
        ip.clear_flags();
        ip.set_more_frags(more);
        ip.set_frag_offset(offset);
        ip.set_hop_limit(64);
        ip.set_next_header(IpProtocol::Udp);
        ip.set_src_addr(Ipv4Address::new(10, 0, 0, 2));
        ip.set_dst_addr(Ipv4Address::new(127, 0, 0, 1));
        ip.fill_checksum();
        ip.payload_mut().copy_from_slice(part);
    });
}

/// A UDP datagram from 10.0.0.2:7 to 127.0.0.1:9 carrying `payload`, checksum set.
fn udp_datagram(payload: &[u8]) -> Vec<u8> {
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{Ipv4Address, UdpPacket, UdpRepr};
    let mut bytes = vec![0u8; 8 + payload.len()];
    let repr = UdpRepr {
        src_port: 7,
        dst_port: 9,
    };
    repr.emit(
        &mut UdpPacket::new_unchecked(&mut bytes[..]),
        &IpAddress::Ipv4(Ipv4Address::new(10, 0, 0, 2)),
        &IpAddress::Ipv4(Ipv4Address::new(127, 0, 0, 1)),
        payload.len(),
        |p| p.copy_from_slice(payload),
        &ChecksumCapabilities::default(),
    );
    bytes
}

/// Fifth addition: `remove_expired` (run before every packet read) skips its
/// walk over the reassembly slots while none is taken. Twice over: every slot
/// is taken by a datagram whose last fragment never comes, so a whole
/// fragmented datagram is not reassembled; once the reassembly timeout has
/// passed the stale ones are expired and the next datagram is. The second round
/// fails if taking a slot after the set was found empty did not re-arm the walk.
#[test]
fn partial_datagrams_expire_and_free_their_reassembly_slots() {
    let (mut iface, mut device) = loopback_iface();
    let mut set = SocketSet::new(Vec::new());
    let rx = set.add(udp_socket(9));
    let timeout = iface.reassembly_timeout();
    let payload: Vec<u8> = (0..32u8).collect();
    let datagram = udp_datagram(&payload);
    let whole = |device: &mut Loopback, ident: u16| {
        inject_fragment(device, ident, 0, true, &datagram[..16]);
        inject_fragment(device, ident, 16, false, &datagram[16..]);
    };
    let mut t = Instant::from_secs(1);
    // smoltcp is built with `reassembly-buffer-count-32`; a few more make sure.
    let slots = 40u16;
    for round in 0..2u16 {
        let base = round * 1000;
        for i in 0..slots {
            inject_fragment(&mut device, base + i, 0, true, &datagram[..16]);
        }
        iface.poll(t, &mut device, &mut set);
        whole(&mut device, base + 500);
        iface.poll(t, &mut device, &mut set);
        assert!(
            !set.get_mut::<udp::Socket>(rx).can_recv(),
            "round {round}: every slot is taken, nothing can be reassembled"
        );
        t += timeout + Duration::from_secs(1);
        whole(&mut device, base + 600);
        iface.poll(t, &mut device, &mut set);
        let (data, meta) = set
            .get_mut::<udp::Socket>(rx)
            .recv()
            .unwrap_or_else(|e| panic!("round {round}: the stale slots expired: {e:?}"));
        assert_eq!(data, &payload[..], "round {round}");
        assert_eq!(meta.endpoint.port, 7);
        t += Duration::from_secs(1);
    }
}

/// Sixth addition: a TCP socket is boxed in its slot, so a slot costs what a UDP
/// or ICMP socket needs (issue #18: memory per flow), and a boxed TCP socket is
/// still found, read and written through the set.
#[test]
fn a_socket_slot_is_sized_by_udp_not_tcp() {
    use smoltcp::iface::SocketStorage;
    use smoltcp::socket::icmp;
    let small = std::mem::size_of::<udp::Socket>().max(std::mem::size_of::<icmp::Socket>());
    assert!(std::mem::size_of::<tcp::Socket>() > 2 * small);
    assert!(
        std::mem::size_of::<SocketStorage>() <= small + 96,
        "slot {} bytes, UDP/ICMP socket {small}",
        std::mem::size_of::<SocketStorage>()
    );
    let mut set = SocketSet::new(Vec::new());
    let u = set.add(udp_socket(7));
    let t = set.add(tcp_socket());
    set.get_mut::<tcp::Socket>(t).listen(80).expect("listen");
    assert!(set.get::<tcp::Socket>(t).is_listening());
    assert_eq!(set.get::<udp::Socket>(u).endpoint().port, 7);
    let removed = set.remove(t);
    assert!(matches!(removed, smoltcp::socket::Socket::Tcp(s) if s.is_listening()));
}

/// Eighth addition: `SocketSet::reserve` makes room without changing which
/// slots `add` takes, also after a removal left a hole to fill first.
#[test]
fn reserving_room_keeps_the_handles_add_gives() {
    let handles = |reserve: bool| {
        let mut set = SocketSet::new(vec![]);
        if reserve {
            set.reserve(64);
        }
        let mut out: Vec<_> = (0..40).map(|i| set.add(udp_socket(1000 + i))).collect();
        set.remove(out[7]);
        if reserve {
            set.reserve(64);
        }
        out.push(set.add(udp_socket(2000)));
        out.extend((0..30).map(|i| set.add(udp_socket(3000 + i))));
        out
    };
    let plain = handles(false);
    assert_eq!(plain[40], plain[7], "the freed slot is taken first");
    assert_eq!(handles(true), plain);
}

/// Seventh addition: `Interface::note_sent_without_dispatch` stands for packets
/// an egress sweep would have dispatched. smoltcp advances its IPv4
/// identification once per packet it dispatches, IPv4 or IPv6 (it is written
/// only into fragments); noting the same number of packets leaves it where the
/// sweep would, so later fragments carry the same identification.
#[test]
fn packets_sent_without_dispatch_advance_the_ipv4_identification_as_dispatch_does() {
    let iface = || {
        let (mut iface, device) = loopback_iface();
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1), 128))
                .expect("address");
        });
        (iface, device)
    };
    let (mut sent, mut device) = iface();
    let (mut noted, _) = iface();
    let start = sent.next_ipv4_ident();
    assert_eq!(noted.next_ipv4_ident(), start, "same seed, same counter");
    let mut set = SocketSet::new(Vec::new());
    let h = set.add(udp_socket(7000));
    let t = Instant::from_millis(5);
    let v4 = IpEndpoint::new(IpAddress::v4(127, 0, 0, 1), 7001);
    let v6 = IpEndpoint::new(IpAddress::v6(0, 0, 0, 0, 0, 0, 0, 1), 7001);
    for to in [v4, v6, v4] {
        set.get_mut::<udp::Socket>(h)
            .send_slice(b"x", to)
            .expect("send");
        iface_egress(&mut sent, t, &mut device, &mut set);
    }
    assert_eq!(sent.next_ipv4_ident(), start.wrapping_add(3));
    noted.note_sent_without_dispatch(t, 3);
    assert_eq!(noted.next_ipv4_ident(), sent.next_ipv4_ident());
    noted.note_sent_without_dispatch(t, 0x1_0000 - 1);
    assert_eq!(noted.next_ipv4_ident(), start.wrapping_add(2), "wraps");
}

/// One egress sweep (the datagram goes into the loopback device, unread).
fn iface_egress(iface: &mut Interface, t: Instant, device: &mut Loopback, set: &mut SocketSet) {
    iface.poll_egress(t, device, set);
}
