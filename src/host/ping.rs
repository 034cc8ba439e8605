//! ICMP echo generator. The far end answers from smoltcp's automatic echo reply,
//! like a kernel; the request carries a [`Tag`] so both one-way latency (at the
//! responder) and round-trip time (here) are measured.
//!
//! Echo data shorter than a tag (`size` under 16, down to 0) is measured here
//! instead, like `ping` matching replies by sequence number: a log of recent send
//! times gives the round trip, and the reply's own send time (the moment the
//! responder answered, which smoltcp does as the request arrives) the one-way
//! latency, one sample per reply.

use super::oversize;
use super::stats::{record, FlowStats};
use super::tag::{Tag, TAG_LEN};
use super::FlowPlan;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::socket::icmp;
use smoltcp::wire::{Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IpAddress};
use std::net::IpAddr;

/// ICMP header bytes before the echo data.
const ICMP_ECHO_HEADER: usize = 8;

/// Requests a ping too short for a tag remembers (by sequence number modulo this):
/// a reply to an older one, still outstanding after 1024 more were sent, is
/// counted but not timed. A power of two dividing 2^16, the echo sequence space.
const SHORT_LOG: usize = 1024;
/// A [`ShortSend`] slot never written, or whose reply was read.
const NONE: u64 = u64::MAX;

/// One request of a ping too short for a tag.
#[derive(Debug, Clone, Copy)]
struct ShortSend {
    /// Sequence number (`NONE`: free).
    seq: u64,
    sent_ns: u64,
    /// When the responder sent the reply (`NONE`: not seen yet).
    answered_ns: u64,
}

pub struct PingClient {
    pub plan: FlowPlan,
    handle: SocketHandle,
    next_seq: u64,
    reply_timeout_ns: u64,
    data: Vec<u8>,
    /// IPv6 requests too big for the interface: built here and refused (see
    /// [`super::oversize`]), never handed to smoltcp.
    oversize: bool,
    /// IPv4 requests larger than the interface MTU: smoltcp fragments them, one
    /// at a time (see `Host::poll`).
    pub fragments: bool,
    /// Send log when the echo data is shorter than a tag; empty otherwise.
    short: Vec<ShortSend>,
}

impl PingClient {
    /// `mtu`: the sending interface's.
    pub fn new(
        plan: FlowPlan,
        sockets: &mut SocketSet<'static>,
        reply_timeout_ns: u64,
        mtu: u16,
    ) -> Self {
        // `size` is the echo data, as `ping -s`: 56 gives an 84-byte IPv4 packet.
        let packet = plan.size as usize + ICMP_ECHO_HEADER;
        let oversize = oversize::ipv6_too_big(plan.src_ip, packet, mtu);
        let fragments = plan.src_ip.is_ipv4() && 20 + packet > usize::from(mtu);
        let buffer = || {
            icmp::PacketBuffer::new(
                vec![icmp::PacketMetadata::EMPTY; 8],
                vec![0u8; 8 * (packet + 64)],
            )
        };
        let mut socket = icmp::Socket::new(buffer(), buffer());
        // Binding only fails for an identifier of 0 on an unbound socket: never here.
        let _ = socket.bind(icmp::Endpoint::Ident(plan.local_port));
        let handle = sockets.add(socket);
        // The pattern after the tag is laid down once; each packet rewrites the tag.
        let mut data = vec![0u8; packet - ICMP_ECHO_HEADER];
        Tag {
            flow: plan.flow.0,
            seq: 0,
            sent_ns: 0,
        }
        .write(&mut data);
        let short = if data.len() < TAG_LEN {
            let free = ShortSend {
                seq: NONE,
                sent_ns: 0,
                answered_ns: NONE,
            };
            vec![free; SHORT_LOG]
        } else {
            Vec::new()
        };
        PingClient {
            oversize,
            fragments,
            data,
            plan,
            handle,
            next_seq: 0,
            reply_timeout_ns,
            short,
        }
    }

    /// Whether a request still waits in smoltcp's send buffer.
    pub fn tx_queued(&self, sockets: &SocketSet<'static>) -> bool {
        sockets.get::<icmp::Socket>(self.handle).send_queue() > 0
    }

    /// Send the requests that are due; whether any was due. Requests the host
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
        while self.next_seq < self.plan.count && self.plan.send_time(self.next_seq) <= now_ns {
            let socket = sockets.get_mut::<icmp::Socket>(self.handle);
            let tag = Tag {
                flow: self.plan.flow.0,
                seq: self.next_seq as u32,
                sent_ns: now_ns,
            };
            tag.write_tag(&mut self.data);
            let seq_no = self.next_seq as u16;
            let ident = self.plan.local_port;
            if self.oversize {
                let p = &self.plan;
                refused.push(oversize::echo_frame(
                    p.src_ip, p.dst_ip, ident, seq_no, &self.data,
                ));
                st.sent_packets += 1;
                self.next_seq += 1;
                continue;
            }
            let ok = match (self.plan.src_ip, self.plan.dst_ip) {
                (IpAddr::V4(_), IpAddr::V4(dst)) => {
                    let repr = Icmpv4Repr::EchoRequest {
                        ident,
                        seq_no,
                        data: &self.data,
                    };
                    match socket.send(repr.buffer_len(), IpAddress::Ipv4(dst)) {
                        Ok(buf) => {
                            repr.emit(
                                &mut Icmpv4Packet::new_unchecked(buf),
                                &ChecksumCapabilities::default(),
                            );
                            true
                        }
                        Err(_) => false,
                    }
                }
                (IpAddr::V6(src), IpAddr::V6(dst)) => {
                    let repr = Icmpv6Repr::EchoRequest {
                        ident,
                        seq_no,
                        data: &self.data,
                    };
                    match socket.send(repr.buffer_len(), IpAddress::Ipv6(dst)) {
                        Ok(buf) => {
                            repr.emit(
                                &src,
                                &dst,
                                &mut Icmpv6Packet::new_unchecked(buf),
                                &ChecksumCapabilities::default(),
                            );
                            true
                        }
                        Err(_) => false,
                    }
                }
                _ => false,
            };
            if !ok {
                break;
            }
            if let Some(slot) = self.short.get_mut(self.next_seq as usize % SHORT_LOG) {
                *slot = ShortSend {
                    seq: self.next_seq,
                    sent_ns: now_ns,
                    answered_ns: NONE,
                };
            }
            st.sent_packets += 1;
            self.next_seq += 1;
            if self.fragments {
                // One fragmented request per egress sweep (see `Host::poll`).
                break;
            }
        }
        true
    }

    /// Read echo replies.
    pub fn after_poll(
        &mut self,
        now_ns: u64,
        sockets: &mut SocketSet<'static>,
        st: &mut FlowStats,
    ) {
        // Only reading: the socket gets nothing to send (see smoltcp's patch).
        let socket = sockets.get_mut_for_recv::<icmp::Socket>(self.handle);
        // `can_recv` first: a failed `recv` (one per drain) costs more than the check.
        while socket.can_recv() {
            let Ok((payload, _)) = socket.recv() else {
                break;
            };
            self.take_reply(payload, now_ns, st);
        }
        if self.finishes(now_ns, st) {
            st.done = true;
        }
    }

    /// Whether the flow is done at `now_ns` (every request sent, and every
    /// reply read or the reply timeout past).
    #[inline]
    pub fn finishes(&self, now_ns: u64, st: &FlowStats) -> bool {
        self.next_seq >= self.plan.count
            && (st.delivered_packets >= self.plan.count
                || now_ns >= self.plan.last_send_ns() + self.reply_timeout_ns)
    }

    /// One ICMP message read from the socket (or an echo reply read without
    /// it: see `echo`, where `payload` is the reply's ICMP bytes as received,
    /// the same as the socket's from byte 4 on): counted and timed if it is an
    /// echo reply to this generator.
    #[inline]
    pub fn take_reply(&mut self, payload: &[u8], now_ns: u64, st: &mut FlowStats) {
        // Echo reply: type 0 (ICMPv4) or 129 (ICMPv6), ident and seq, then data.
        let is_reply = matches!(payload.first(), Some(0) | Some(129));
        if !is_reply || payload.len() < ICMP_ECHO_HEADER {
            return;
        }
        let ident = u16::from_be_bytes([payload[4], payload[5]]);
        if ident != self.plan.local_port {
            return;
        }
        let data = &payload[ICMP_ECHO_HEADER..];
        st.delivered_packets += 1;
        st.bytes_delivered += data.len() as u64;
        if let (Some(tag), Some(rtt)) = (Tag::read(data), st.rtt_ns.as_mut()) {
            if tag.flow == self.plan.flow.0 {
                record(rtt, now_ns.saturating_sub(tag.sent_ns));
            }
        } else if let Some(sent) = self.short_slot(u16::from_be_bytes([payload[6], payload[7]])) {
            let request = *sent;
            sent.seq = NONE;
            if let Some(rtt) = st.rtt_ns.as_mut() {
                record(rtt, now_ns.saturating_sub(request.sent_ns));
            }
            if request.answered_ns != NONE {
                st.record_latency(request.answered_ns.saturating_sub(request.sent_ns));
            }
        }
    }

    /// Whether an ICMP message of `len` bytes read now would be all the
    /// socket holds, queued whole: its receive queue is empty, and an empty
    /// ring takes any packet within its capacity (`PacketBuffer::enqueue`
    /// clears it first).
    pub fn reply_fits(&self, sockets: &SocketSet<'static>, len: usize) -> bool {
        let socket = sockets.get::<icmp::Socket>(self.handle);
        !socket.can_recv() && len <= socket.payload_recv_capacity()
    }

    /// Whether this round's requests may be built here
    /// ([`PingClient::send_direct`]) rather than queued in smoltcp: not one
    /// smoltcp fragments or the host refuses, and at most one due now (the
    /// socket would hold several, and smoltcp's sweeps send one per socket
    /// each, interleaved with the other sockets').
    #[inline]
    pub fn direct_ok(&self, now_ns: u64) -> bool {
        let second = self.next_seq + 1;
        let two_due = second < self.plan.count && self.plan.send_time(second) <= now_ns;
        !(self.fragments || self.oversize || two_due)
    }

    /// The request due now, if any ([`PingClient::direct_ok`] holds), built
    /// here as a frame for `tx`, with this socket's handle; whether one was
    /// due. Only when smoltcp's egress sweep would send exactly this (see
    /// `Host::direct_round`): the frame is the one the sweep makes of what
    /// [`PingClient::before_poll`] queues. `icmp::Socket::dispatch` takes the
    /// source smoltcp chooses for the destination (`src`, from `Host::poll`:
    /// the host's IPv4 address, or `get_source_address_ipv6`), hop limit 64,
    /// and re-emits the queued echo from its parsed form; `dispatch_ip` (not
    /// fragmenting: it fits the MTU) writes the IP header as
    /// `Ipv4Repr::emit`/`Ipv6Repr::emit` do (IPv4: identification 0, DF set,
    /// checksum 0, the device computing none; `Host::poll`'s `finish_tx`
    /// numbers it as every packet) and the echo with its checksum (the
    /// device's ICMP capabilities are `Tx`), after 14 bytes the device
    /// reserves for Ethernet. The request's tag, its short-ping log entry and
    /// the flow's counters are as `before_poll` leaves them; the socket's send
    /// queue stays empty, as the sweep leaves it.
    pub fn send_direct(
        &mut self,
        now_ns: u64,
        src: IpAddress,
        pool: &mut crate::sim::BufferPool,
        st: &mut FlowStats,
        tx: &mut Vec<(SocketHandle, Vec<u8>)>,
    ) -> bool {
        if !(self.next_seq < self.plan.count && self.plan.send_time(self.next_seq) <= now_ns) {
            return false;
        }
        let tag = Tag {
            flow: self.plan.flow.0,
            seq: self.next_seq as u32,
            sent_ns: now_ns,
        };
        tag.write_tag(&mut self.data);
        let ident = self.plan.local_port;
        let seq_no = self.next_seq as u16;
        let icmp_len = ICMP_ECHO_HEADER + self.data.len();
        let mut frame = pool.take();
        frame.clear();
        frame.resize(crate::wire::ETHERNET_HEADER_LEN, 0);
        let caps = ChecksumCapabilities::default();
        match (src, self.plan.dst_ip) {
            (IpAddress::Ipv4(s), IpAddr::V4(d)) => {
                frame.extend_from_slice(&super::packet::smoltcp_ipv4_header(
                    s.octets(),
                    d.octets(),
                    1,
                    icmp_len,
                ));
                let at = frame.len();
                frame.resize(at + icmp_len, 0);
                let repr = Icmpv4Repr::EchoRequest {
                    ident,
                    seq_no,
                    data: &self.data,
                };
                repr.emit(&mut Icmpv4Packet::new_unchecked(&mut frame[at..]), &caps);
            }
            (IpAddress::Ipv6(s), IpAddr::V6(d)) => {
                frame.extend_from_slice(&super::packet::smoltcp_ipv6_header(
                    s.octets(),
                    d.octets(),
                    58,
                    icmp_len,
                ));
                let at = frame.len();
                frame.resize(at + icmp_len, 0);
                let repr = Icmpv6Repr::EchoRequest {
                    ident,
                    seq_no,
                    data: &self.data,
                };
                repr.emit(
                    &s,
                    &d,
                    &mut Icmpv6Packet::new_unchecked(&mut frame[at..]),
                    &caps,
                );
            }
            // `Host::poll` passes a source of the destination's family.
            _ => {
                pool.give(frame);
                return false;
            }
        }
        tx.push((self.handle, frame));
        if let Some(slot) = self.short.get_mut(self.next_seq as usize % SHORT_LOG) {
            *slot = ShortSend {
                seq: self.next_seq,
                sent_ns: now_ns,
                answered_ns: NONE,
            };
        }
        st.sent_packets += 1;
        self.next_seq += 1;
        true
    }

    /// The logged request an echo sequence number answers (the latest sent with
    /// those 16 bits), if its reply was not read yet; `None` for a tagged ping.
    fn short_slot(&mut self, seq_no: u16) -> Option<&mut ShortSend> {
        self.short
            .get_mut(usize::from(seq_no) % SHORT_LOG)
            .filter(|s| s.seq != NONE && s.seq as u16 == seq_no)
    }

    /// An echo reply to this (tagless) ping reached the host: `sent_ns` is when
    /// the responder sent it, i.e. when the request reached the responder.
    pub fn reply_arrived(&mut self, seq_no: u16, sent_ns: u64) {
        if let Some(s) = self.short_slot(seq_no).filter(|s| s.answered_ns == NONE) {
            s.answered_ns = sent_ns;
        }
    }

    /// The next time this generator needs the host polled.
    pub fn next_wake(&self, st: &FlowStats) -> Option<u64> {
        (!st.done).then(|| self.plan.next_wake(self.next_seq, self.reply_timeout_ns))
    }
}

/// One-way latency of an echo request arriving at its responder (read from its tag).
pub fn request_tag(icmp: &[u8]) -> Option<Tag> {
    match icmp.first() {
        Some(8) | Some(128) if icmp.len() >= ICMP_ECHO_HEADER + TAG_LEN => {
            Tag::read(&icmp[ICMP_ECHO_HEADER..])
        }
        _ => None,
    }
}
