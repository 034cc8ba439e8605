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

/// Fifth addition: a TCP socket is boxed in its slot, so a slot costs what a UDP
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
