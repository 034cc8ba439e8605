//! Constant-rate UDP: a sender and a sink that counts datagrams per flow by the tag
//! they carry (several flows may share one sink port).

use super::oversize;
use super::stats::FlowStats;
use super::tag::{Tag, TAG_LEN};
use super::FlowPlan;
use crate::model::FlowIdx;
use crate::policy::conntrack::FxBuild;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use smoltcp::wire::{checksum, IpAddress, IpEndpoint, IpProtocol};
use std::collections::HashMap;
use std::net::IpAddr;

/// The UDP header in front of every datagram's payload.
const UDP_HEADER: usize = 8;

/// Room for `packets` datagrams of up to `max_datagram` bytes. Sinks are drained
/// after every poll and senders hand over one datagram per due send, so a few
/// suffice; memory per socket matters with thousands of flows.
fn buffer(packets: usize, max_datagram: usize) -> udp::PacketBuffer<'static> {
    udp::PacketBuffer::new(
        vec![udp::PacketMetadata::EMPTY; packets],
        vec![0u8; packets * max_datagram.max(64)],
    )
}

pub fn smol_addr(ip: IpAddr) -> IpAddress {
    match ip {
        IpAddr::V4(a) => IpAddress::Ipv4(a),
        IpAddr::V6(a) => IpAddress::Ipv6(a),
    }
}

pub struct UdpClient {
    pub plan: FlowPlan,
    handle: SocketHandle,
    next_seq: u64,
    linger_ns: u64,
    /// Datagram payload bytes.
    len: usize,
    /// Address in smoltcp's send buffer of the last payload written in full (0:
    /// none). Every datagram of this socket has `len` bytes, so datagrams in its
    /// ring sit at multiples of `len` (or restart at 0): two payloads are at the
    /// same place or do not overlap. A payload landing where the last one was
    /// still holds its pattern, and only the tag needs writing.
    last_payload: usize,
    /// IPv6 datagrams too big for the interface: built here and refused (see
    /// [`super::oversize`]), never handed to smoltcp.
    oversize: bool,
    /// IPv4 datagrams larger than the interface MTU: smoltcp fragments them.
    pub fragments: bool,
    /// The ones' complement sum of what is the same in every datagram it
    /// builds without smoltcp (see [`UdpClient::send_direct`]): the pseudo
    /// header (its addresses are fixed: the host's addresses are set once, in
    /// `Host::new`, and smoltcp picks the source from them and the fixed
    /// destination), the UDP header without its checksum, and the payload's
    /// pattern (bytes from [`TAG_LEN`] on). Known once one was built.
    fixed_sum: Option<u16>,
}

/// Datagrams a client's smoltcp send buffer holds (see [`UdpClient::new`]): a
/// poll hands smoltcp at most this many, the rest wait for the next poll.
pub const TX_SLOTS: usize = 1;

/// What the host writes over the front of a frame smoltcp sent (see
/// `Host::finish_tx`), for a datagram built already finished
/// ([`UdpClient::next_direct`]).
#[derive(Debug, Clone, Copy)]
pub struct FrameHead {
    /// The Ethernet header (`packet::ethernet_header`).
    pub ethernet: [u8; crate::wire::ETHERNET_HEADER_LEN],
    /// The IPv4 identification (unused for IPv6).
    pub ident: u16,
    /// Send an IPv4 datagram with DF clear.
    pub clear_df: bool,
}

impl UdpClient {
    /// `mtu`: the sending interface's.
    pub fn new(plan: FlowPlan, sockets: &mut SocketSet<'static>, linger_ns: u64, mtu: u16) -> Self {
        // `size` is the UDP payload, as `iperf -l` (the README's flow `size`).
        let len = plan.size as usize;
        let oversize = oversize::ipv6_too_big(plan.src_ip, len + UDP_HEADER, mtu);
        let fragments = plan.src_ip.is_ipv4() && 20 + len + UDP_HEADER > usize::from(mtu);
        // (receive buffer, transmit buffer): a sender only needs room to send, and
        // one datagram is due per poll (polls come at each send time, and smoltcp
        // transmits everything queued before the poll returns), so one slot: the
        // same metadata and payload bytes are reused for every datagram and stay
        // in cache, where a ring of 16 walked a new cold line per datagram. Were
        // two ever due at once, the second would wait for the next poll.
        let mut socket = udp::Socket::new(buffer(1, 64), buffer(TX_SLOTS, len));
        // Binding fails only for port 0; plans never use it.
        let _ = socket.bind(plan.local_port);
        let handle = sockets.add(socket);
        UdpClient {
            len,
            last_payload: 0,
            oversize,
            fragments,
            plan,
            handle,
            next_seq: 0,
            linger_ns,
            fixed_sum: None,
        }
    }

    /// Whether every datagram it sends is refused before smoltcp (IPv6 larger
    /// than the interface MTU: see [`super::oversize`]).
    pub fn refuses_all(&self) -> bool {
        self.oversize
    }

    /// Whether its datagrams may be built without smoltcp ([`Self::send_direct`]):
    /// smoltcp would neither fragment them (IPv4 larger than the MTU) nor refuse
    /// them (IPv6 larger: see [`super::oversize`]), and `udp::Socket::send`
    /// accepts the addresses (ports other than 0, a specified destination).
    pub fn direct_ok(&self) -> bool {
        !self.fragments
            && !self.oversize
            && self.plan.local_port != 0
            && self.plan.port != 0
            && !self.plan.dst_ip.is_unspecified()
    }

    /// Its smoltcp socket (the order smoltcp's egress sweep visits it in).
    pub fn handle(&self) -> SocketHandle {
        self.handle
    }

    /// [`Self::before_poll`] without smoltcp, for a client [`Self::direct_ok`]
    /// allows, on a `Medium::Ip` interface whose egress sweep would send only
    /// what the due UDP clients wrote (see `Host::poll`): the datagrams that are
    /// due and that smoltcp's send buffer would take ([`TX_SLOTS`]: it is empty
    /// when a poll starts, every poll's egress drains it) are built here as
    /// smoltcp's sweep would build them, from `src` (the source address smoltcp
    /// picks for the destination), and pushed to `tx` with this client's
    /// socket handle. The bytes are those of `udp::Socket::dispatch` and
    /// `InterfaceInner::dispatch_ip`: IPv4 version/IHL 0x45, DSCP/ECN 0, ident
    /// 0, DF set, hop limit 64, header checksum 0 (the host numbers the packet
    /// and fills it, as it does smoltcp's: see `device`); IPv6 traffic class and
    /// flow label 0; the UDP checksum computed (smoltcp's `Checksum::Tx`), 0
    /// sent as 0xffff; the payload the tag and pattern [`Tag::write`] lays down.
    /// Returns whether any datagram was due, as [`Self::before_poll`] does.
    pub fn send_direct(
        &mut self,
        now_ns: u64,
        src: IpAddress,
        pool: &mut crate::sim::BufferPool,
        st: &mut FlowStats,
        tx: &mut Vec<(SocketHandle, Vec<u8>)>,
    ) -> bool {
        let mut due = false;
        for _ in 0..TX_SLOTS {
            let Some(frame) = self.next_direct(now_ns, src, None, pool, st) else {
                break;
            };
            due = true;
            tx.push((self.handle, frame));
        }
        due
    }

    /// The next datagram of [`Self::send_direct`], if one is due (counted as
    /// sent): as smoltcp builds it (`head` `None`), or already finished as the
    /// host finishes smoltcp's frames (`head`: see [`FrameHead`]). At most
    /// [`TX_SLOTS`] per poll, as smoltcp's send buffer would take.
    #[inline(always)]
    pub fn next_direct(
        &mut self,
        now_ns: u64,
        src: IpAddress,
        head: Option<&FrameHead>,
        pool: &mut crate::sim::BufferPool,
        st: &mut FlowStats,
    ) -> Option<Vec<u8>> {
        if !(self.next_seq < self.plan.count && self.plan.send_time(self.next_seq) <= now_ns) {
            return None;
        }
        let tag = Tag {
            flow: self.plan.flow.0,
            seq: self.next_seq as u32,
            sent_ns: now_ns,
        };
        let mut frame = pool.take();
        self.build_frame(src, tag, head, &mut frame);
        st.sent_packets += 1;
        self.next_seq += 1;
        Some(frame)
    }

    /// One datagram's frame (14 bytes for Ethernet, then the IP packet), as
    /// smoltcp's device token lays it out (Ethernet bytes zero) when `head` is
    /// `None`: see [`Self::send_direct`]. With a `head`, the frame as
    /// `Host::finish_tx` leaves smoltcp's: its Ethernet header, and for IPv4
    /// the identification, DF cleared if asked, and the header checksum filled
    /// (what `packet::number_plain_ipv4` writes over smoltcp's header).
    fn build_frame(
        &mut self,
        src: IpAddress,
        tag: Tag,
        head: Option<&FrameHead>,
        frame: &mut Vec<u8>,
    ) {
        const ETH: usize = crate::wire::ETHERNET_HEADER_LEN;
        let udp_len = UDP_HEADER + self.len;
        let udp_len16 = (udp_len as u16).to_be_bytes();
        // Ethernet, IP and UDP headers and the tag, laid out here and appended
        // at once.
        let mut h = [0u8; ETH + 40 + UDP_HEADER + TAG_LEN];
        if let Some(head) = head {
            h[..ETH].copy_from_slice(&head.ethernet);
        }
        let ip_len = match (src, self.plan.dst_ip) {
            (IpAddress::Ipv4(s), IpAddr::V4(d)) => {
                let mut ip = super::packet::smoltcp_ipv4_header(
                    s.octets(),
                    d.octets(),
                    u8::from(IpProtocol::Udp),
                    udp_len,
                );
                if let Some(head) = head {
                    // `number_plain_ipv4`: identification, DF, checksum.
                    ip[4..6].copy_from_slice(&head.ident.to_be_bytes());
                    if head.clear_df {
                        ip[6] = 0;
                    }
                    let sum = !crate::wire::ipv4_header20_sum(&ip);
                    ip[10..12].copy_from_slice(&sum.to_ne_bytes());
                }
                h[ETH..ETH + 20].copy_from_slice(&ip);
                20
            }
            (IpAddress::Ipv6(s), IpAddr::V6(d)) => {
                h[ETH..ETH + 40].copy_from_slice(&super::packet::smoltcp_ipv6_header(
                    s.octets(),
                    d.octets(),
                    u8::from(IpProtocol::Udp),
                    udp_len,
                ));
                40
            }
            // `Host::poll` passes a source of the destination's family.
            _ => return,
        };
        let udp_at = ETH + ip_len;
        let u = &mut h[udp_at..udp_at + UDP_HEADER];
        u[0..2].copy_from_slice(&self.plan.local_port.to_be_bytes());
        u[2..4].copy_from_slice(&self.plan.port.to_be_bytes());
        u[4..6].copy_from_slice(&udp_len16);
        let payload_at = udp_at + UDP_HEADER;
        // The payload: what `Tag::write` writes, appended rather than written
        // over zeroes.
        let n = self.len.min(TAG_LEN);
        let tag_bytes = &mut h[payload_at..payload_at + n];
        tag.write_tag(tag_bytes);
        frame.clear();
        frame.reserve(payload_at + self.len);
        frame.extend_from_slice(&h[..payload_at + n]);
        super::tag::extend_pattern(frame, TAG_LEN, self.len);
        // The UDP checksum as `UdpPacket::fill_checksum` computes it, from
        // parts: ones' complement sums add up in any grouping (every part
        // starts at an even offset, and the pseudo header's is never 0, so the
        // folded total is the same), and all but the tag's is the same in
        // every datagram.
        let fixed = match self.fixed_sum {
            Some(sum) => sum,
            None => {
                let dst = smol_addr(self.plan.dst_ip);
                let sum = checksum::combine(&[
                    checksum::pseudo_header(&src, &dst, IpProtocol::Udp, udp_len as u32),
                    checksum::data(&frame[udp_at..payload_at]),
                    checksum::data(&frame[payload_at + n..]),
                ]);
                self.fixed_sum = Some(sum);
                sum
            }
        };
        let tag_sum = if n == TAG_LEN {
            // The whole tag: eight words, summed from its fields
            // (`checksum::data`'s loop costs more for 16 bytes).
            let acc = tag.word_sum();
            checksum::combine(&[(acc >> 16) as u16, acc as u16])
        } else {
            checksum::data(&frame[payload_at..payload_at + n])
        };
        let sum = !checksum::combine(&[fixed, tag_sum]);
        let sum = if sum == 0 { 0xffff } else { sum };
        frame[udp_at + 6..udp_at + 8].copy_from_slice(&sum.to_be_bytes());
    }

    /// Queue the datagrams that are due; whether any was. Datagrams the host
    /// cannot send go to `refused` as whole frames instead.
    pub fn before_poll(
        &mut self,
        now_ns: u64,
        sockets: &mut SocketSet<'static>,
        st: &mut FlowStats,
        refused: &mut Vec<Vec<u8>>,
    ) -> bool {
        if !(self.next_seq < self.plan.count && self.plan.send_time(self.next_seq) <= now_ns) {
            return false;
        }
        if self.oversize {
            while self.next_seq < self.plan.count && self.plan.send_time(self.next_seq) <= now_ns {
                let mut payload = vec![0u8; self.len];
                Tag {
                    flow: self.plan.flow.0,
                    seq: self.next_seq as u32,
                    sent_ns: now_ns,
                }
                .write(&mut payload);
                let p = &self.plan;
                refused.push(oversize::udp_frame(
                    p.src_ip,
                    p.dst_ip,
                    p.local_port,
                    p.port,
                    &payload,
                ));
                st.sent_packets += 1;
                self.next_seq += 1;
            }
            return false;
        }
        let socket = sockets.get_mut::<udp::Socket>(self.handle);
        let to = IpEndpoint::new(smol_addr(self.plan.dst_ip), self.plan.port);
        while self.next_seq < self.plan.count && self.plan.send_time(self.next_seq) <= now_ns {
            // Written straight into smoltcp's send buffer (no per-flow staging
            // buffer to pull into cache and copy from).
            let Ok(payload) = socket.send(self.len, to) else {
                break;
            };
            let tag = Tag {
                flow: self.plan.flow.0,
                seq: self.next_seq as u32,
                sent_ns: now_ns,
            };
            let at = payload.as_ptr() as usize;
            if at == self.last_payload {
                tag.write_tag(payload);
            } else {
                tag.write(payload);
                self.last_payload = at;
            }
            st.sent_packets += 1;
            self.next_seq += 1;
        }
        true
    }

    /// Whether a datagram still waits in smoltcp's send buffer.
    pub fn tx_queued(&self, sockets: &SocketSet<'static>) -> bool {
        sockets.get::<udp::Socket>(self.handle).send_queue() > 0
    }

    pub fn after_poll(&mut self, now_ns: u64, st: &mut FlowStats) {
        if self.next_seq >= self.plan.count && now_ns >= self.plan.last_send_ns() + self.linger_ns {
            st.done = true;
        }
    }

    pub fn next_wake(&self, st: &FlowStats) -> Option<u64> {
        (!st.done).then(|| self.plan.next_wake(self.next_seq, self.linger_ns))
    }
}

/// Receives every flow sent to one port of this host.
pub struct UdpSink {
    handle: SocketHandle,
    port: u16,
    /// The largest datagram its receive buffer holds (smoltcp silently discards
    /// a larger one).
    max_datagram: usize,
    /// (IPv4 source address, source port) → flow (the first flow added wins a
    /// duplicate key), looked up for every datagram: keys are one integer
    /// ([`ipv4_key`]) rather than `IpAddr` enums, hashed with FxHash in one
    /// multiply (a hub's sink may serve hundreds of flows; a bisection cost a
    /// dozen wide compares, and a 128-bit key for both families three
    /// multiplies; issue #18).
    by_ipv4: HashMap<u64, FlowIdx, FxBuild>,
    /// The same for IPv6 sources: (address, port) → flow.
    by_ipv6: HashMap<(u128, u16), FlowIdx, FxBuild>,
    /// Whether no UDP client of the host is bound to `port` (smoltcp could give
    /// it a datagram for this port first), as found when the host had the given
    /// number of generators: see [`UdpSink::sole_on_port`].
    sole: Option<(usize, bool)>,
    /// The host's receive count ([`UdpSink::takes_whole`]'s `epoch`) when its
    /// socket's receive queue was last seen empty (`u64::MAX`: never).
    empty_at: u64,
    /// The payload capacity of its socket's receive buffer (fixed per socket).
    capacity: usize,
}

/// An IPv4 datagram's (source address, source port) as one integer.
#[inline(always)]
fn ipv4_key(addr: u32, port: u16) -> u64 {
    u64::from(addr) << 16 | u64::from(port)
}

impl UdpSink {
    pub fn new(port: u16, max_datagram: usize, sockets: &mut SocketSet<'static>) -> Self {
        let socket = Self::socket(port, max_datagram);
        let capacity = socket.payload_recv_capacity();
        UdpSink {
            handle: sockets.add(socket),
            empty_at: u64::MAX,
            capacity,
            port,
            max_datagram,
            by_ipv4: HashMap::default(),
            by_ipv6: HashMap::default(),
            sole: None,
        }
    }

    fn socket(port: u16, max_datagram: usize) -> udp::Socket<'static> {
        // (receive buffer, transmit buffer): a sink only receives.
        let mut socket = udp::Socket::new(buffer(4, max_datagram), buffer(1, 64));
        let _ = socket.bind(port);
        socket
    }

    /// Make room for datagrams of `max_datagram` bytes (a flow larger than the
    /// interface MTU arrives in fragments and is reassembled whole): called while
    /// flows are added, before any datagram arrives.
    pub fn ensure_room(&mut self, max_datagram: usize, sockets: &mut SocketSet<'static>) {
        if max_datagram > self.max_datagram {
            sockets.remove(self.handle);
            let socket = Self::socket(self.port, max_datagram);
            self.capacity = socket.payload_recv_capacity();
            self.empty_at = u64::MAX;
            self.handle = sockets.add(socket);
            self.max_datagram = max_datagram;
        }
    }

    pub fn add_flow(&mut self, plan: &FlowPlan) {
        let (addr, port) = (plan.src_ip, plan.local_port);
        match addr {
            IpAddr::V4(a) => {
                self.by_ipv4
                    .entry(ipv4_key(u32::from(a), port))
                    .or_insert(plan.flow);
            }
            IpAddr::V6(a) => {
                self.by_ipv6
                    .entry((u128::from(a), port))
                    .or_insert(plan.flow);
            }
        }
    }

    /// Datagrams from `seen` (a translated source) belong to the flow sent from
    /// `original`, if this sink serves one.
    pub fn alias(&mut self, seen: (IpAddr, u16), original: (IpAddr, u16)) {
        if let Some(flow) = self.flow_of(smol_addr(original.0), original.1) {
            match seen.0 {
                IpAddr::V4(a) => self.by_ipv4.insert(ipv4_key(u32::from(a), seen.1), flow),
                IpAddr::V6(a) => self.by_ipv6.insert((u128::from(a), seen.1), flow),
            };
        }
    }

    /// The flow datagrams from (`addr`, `port`) belong to.
    #[inline]
    fn flow_of(&self, addr: IpAddress, port: u16) -> Option<FlowIdx> {
        match addr {
            IpAddress::Ipv4(a) => self.by_ipv4.get(&ipv4_key(u32::from(a), port)).copied(),
            IpAddress::Ipv6(a) => self.by_ipv6.get(&(u128::from(a), port)).copied(),
        }
    }

    /// Count the datagrams smoltcp delivered. `rx_sent_ns`: when the frame the host
    /// received in this poll was sent; it times a datagram too short to carry a
    /// [`Tag`] (the engine polls a host after every frame it hands it, so a
    /// datagram that short, never fragmented, came in that frame).
    pub fn after_poll(
        &mut self,
        now_ns: u64,
        rx_sent_ns: u64,
        sockets: &mut SocketSet<'static>,
        stats: &mut [FlowStats],
    ) {
        // Only reading: the socket gets nothing to send (see smoltcp's patch).
        let socket = sockets.get_mut_for_recv::<udp::Socket>(self.handle);
        // `can_recv` first: a failed `recv` (one per drain) costs more than the check.
        while socket.can_recv() {
            let Ok((data, meta)) = socket.recv() else {
                break;
            };
            self.count(meta.endpoint, data, now_ns, rx_sent_ns, stats);
        }
    }

    /// Count one datagram from `from` with payload `data` for the flow it
    /// belongs to (none: not counted).
    #[inline]
    pub fn count(
        &self,
        from: IpEndpoint,
        data: &[u8],
        now_ns: u64,
        rx_sent_ns: u64,
        stats: &mut [FlowStats],
    ) {
        if let Some(flow) = self.flow_of(from.addr, from.port) {
            count_for(flow, data, now_ns, rx_sent_ns, stats);
        }
    }

    /// [`UdpSink::count`] for a datagram from IPv4 address `addr` (as an
    /// integer) and `port`: the receive path's direct take (issue #18). Not
    /// inlined: in `Host::receive` it made the compiler call the map lookup,
    /// the goodput record and the latency record out of line.
    #[inline(never)]
    pub fn count_ipv4(
        &self,
        addr: u32,
        port: u16,
        data: &[u8],
        now_ns: u64,
        rx_sent_ns: u64,
        stats: &mut [FlowStats],
    ) {
        if let Some(&flow) = self.by_ipv4.get(&ipv4_key(addr, port)) {
            count_for(flow, data, now_ns, rx_sent_ns, stats);
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether smoltcp, given a datagram with `len` payload bytes for this
    /// sink's socket, would queue it whole, so that the next [`UdpSink::after_poll`]
    /// reads exactly it: its receive queue is empty (so the datagram is the
    /// next one read, and an empty queue takes any datagram up to its capacity).
    ///
    /// `epoch`: how many frames the host has handed smoltcp so far. Issue #18:
    /// the queue is looked at only when the host handed smoltcp a frame since
    /// it was last seen empty (a look cost a `SocketSet::get` call per
    /// datagram). Exact: only smoltcp's ingress of a received frame puts a
    /// datagram in the queue (smoltcp loops nothing back: every frame a host
    /// reads came through `Host::receive`), the caller asks only when no frame
    /// waits for smoltcp (so every frame handed over has been read), and
    /// nothing else refills it: a direct take leaves it as it is and a poll's
    /// reads only empty it. `host::tests::a_datagram_queued_for_a_sink_stops_direct_takes`
    /// checks it.
    #[inline]
    pub fn takes_whole(&mut self, sockets: &SocketSet<'static>, len: usize, epoch: u64) -> bool {
        if self.empty_at != epoch {
            if sockets.get::<udp::Socket>(self.handle).can_recv() {
                return false;
            }
            self.empty_at = epoch;
        }
        len <= self.capacity
    }

    /// Whether the sink's socket is the only UDP socket on its port, as known
    /// when the host had `generators` generators (`None`: not known then).
    #[inline]
    pub fn sole_on_port(&self, generators: usize) -> Option<bool> {
        self.sole.filter(|s| s.0 == generators).map(|s| s.1)
    }

    pub fn set_sole_on_port(&mut self, generators: usize, sole: bool) {
        self.sole = Some((generators, sole));
    }
}

/// Count one datagram with payload `data` for `flow` (see [`UdpSink::count`]).
#[inline(always)]
fn count_for(flow: FlowIdx, data: &[u8], now_ns: u64, rx_sent_ns: u64, stats: &mut [FlowStats]) {
    let Some(st) = stats.get_mut(flow.ix()) else {
        return;
    };
    st.delivered_packets += 1;
    st.deliver(now_ns, data.len() as u64);
    // Timed by its tag when the tag names this flow; a datagram too short
    // for a tag, by when its frame was sent; one tagged for another flow is
    // counted but not timed.
    match Tag::read(data) {
        Some(tag) if tag.flow == flow.0 => {
            st.record_latency(now_ns.saturating_sub(tag.sent_ns));
        }
        Some(_) => {}
        None => st.record_latency(now_ns.saturating_sub(rx_sent_ns)),
    }
}
