//! ICMP echoes without smoltcp (issue #18: a ping costs three host polls, each
//! about twice a direct UDP one, mostly in smoltcp's ingress and egress).
//!
//! Two shortcuts on the receive side live here, beside the send side's in
//! [`PingClient::send_direct`]:
//! - an IPv4 echo request to the host is answered as smoltcp's ingress answers
//!   it ([`Host::answer_echo`]);
//! - an IPv4 echo reply to one of the host's ping generators is read as its
//!   generator would read it from its ICMP socket ([`Host::echo_reply_reader`]).
//!
//! Each is taken only when smoltcp would do exactly that and nothing else, and
//! leaves the same frames, times and order, and the same smoltcp state, as the
//! general path; otherwise the frame goes to smoltcp as before. The switch
//! [`EchoShortcuts::on`] turns all three off (tests compare both ways:
//! `host::direct_ping_tests`).
//!
//! This file is a child module of `endpoint` (`#[path]` there), so it reads the
//! host's fields without widening their visibility.

use super::*;
use smoltcp::wire::Icmpv4Packet;

/// Whether the echo shortcuts are used, and how often each was taken (tests
/// check that they are).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EchoShortcuts {
    /// Turned off only by tests that compare both paths.
    pub(crate) on: bool,
    /// Echo requests built without smoltcp ([`PingClient::send_direct`]).
    pub(crate) sent: u64,
    /// Echo requests answered without smoltcp.
    pub(crate) answered: u64,
    /// Echo replies read without smoltcp.
    pub(crate) read: u64,
}

impl Default for EchoShortcuts {
    fn default() -> Self {
        EchoShortcuts {
            on: true,
            sent: 0,
            answered: 0,
            read: 0,
        }
    }
}

/// ICMP echo reply and request types, and the only code smoltcp takes for them
/// (`Icmpv4Repr::parse` refuses an echo with another code).
const ECHO_REPLY: u8 = 0;
const ECHO_REQUEST: u8 = 8;

/// The ICMP bytes of a plain IPv4 ICMP echo (`ip`: the IP packet): version 4,
/// a 20-byte header (no options), not a fragment (MF clear, offset 0), a total
/// length between 28 and the bytes there are, type `kind` and code 0. The same
/// checks as smoltcp's `Ipv4Packet::new_checked`, `Ipv4Repr::parse`,
/// `Icmpv4Packet::new_checked` and `Icmpv4Repr::parse` (checksums are not
/// verified on receive: see `device`), narrowed to the common case.
#[inline]
fn plain_echo(ip: &[u8], kind: u8) -> Option<(&[u8; 20], &[u8])> {
    let h = ip.first_chunk::<20>()?;
    if h[0] != 0x45 || h[6] & 0x3f != 0 || h[7] != 0 || h[9] != proto::ICMP {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let icmp = ip.get(20..total)?;
    (icmp.len() >= 8 && icmp[0] == kind && icmp[1] == 0).then_some((h, icmp))
}

/// Whether smoltcp's `is_unicast_v4` holds for `a` on an interface whose only
/// IPv4 subnet has broadcast address `subnet_broadcast`.
#[inline]
fn unicast(a: Ipv4Addr, subnet_broadcast: Option<Ipv4Addr>) -> bool {
    !(a.is_broadcast() || a.is_multicast() || a.is_unspecified() || Some(a) == subnet_broadcast)
}

impl Host {
    /// After [`Host::account_ingress`]: an echo request answered, or an echo
    /// reply read, here instead of by smoltcp (see the module's text); `Some`
    /// gives the frame back for smoltcp. A cheap look first: most frames are
    /// not ICMP.
    #[inline]
    pub(super) fn echo_directly(
        &mut self,
        frame: Vec<u8>,
        now_ns: u64,
        stats: &mut [FlowStats],
    ) -> Option<Vec<u8>> {
        let icmp = frame.get(ETHERNET_HEADER_LEN + 9) == Some(&proto::ICMP);
        if !icmp || !self.echo.on {
            return Some(frame);
        }
        self.echo_without_smoltcp(frame, now_ns, stats)
    }

    /// See [`Host::echo_directly`]. Common to both shortcuts: smoltcp reads the
    /// frame at once (nothing waits before it in the device), it is whole and
    /// fits the MTU (so `account_ingress` asked for no full poll), and nothing
    /// marked it for a discard.
    fn echo_without_smoltcp(
        &mut self,
        frame: Vec<u8>,
        now_ns: u64,
        stats: &mut [FlowStats],
    ) -> Option<Vec<u8>> {
        let Some((own, subnet_broadcast)) = self.own_ipv4 else {
            return Some(frame);
        };
        // `own_ipv4` holds integers for the UDP receive path; 0 is "no broadcast".
        let own = Ipv4Addr::from(own);
        let subnet_broadcast = (subnet_broadcast != 0).then(|| Ipv4Addr::from(subnet_broadcast));
        let ip = &frame[ETHERNET_HEADER_LEN..];
        if !self.device.rx.is_empty()
            || self.discard.is_some()
            || ip.len() > usize::from(self.config.mtu)
        {
            return Some(frame);
        }
        if let Some((h, icmp)) = plain_echo(ip, ECHO_REQUEST) {
            let total = 20 + icmp.len();
            if self.answers_echo(h, icmp, own, subnet_broadcast) {
                self.answer_echo(frame, total, now_ns);
                return None;
            }
        } else if let Some((h, icmp)) = plain_echo(ip, ECHO_REPLY) {
            if let Some(g) = self.echo_reply_reader(h, icmp, own, subnet_broadcast, now_ns) {
                if let Generator::Ping(p) = &mut self.generators[g] {
                    let flow = p.plan.flow.ix();
                    p.take_reply(icmp, now_ns, &mut stats[flow]);
                    if !p.finishes(now_ns, &stats[flow]) {
                        // Its part of the poll that follows is done: see
                        // `echo_reply_reader`.
                        self.icmp_due.retain(|&i| i as usize != g);
                    }
                }
                self.echo.read += 1;
                // Read: the buffer goes back to the pool when the poll ends, as
                // it would once smoltcp had read it.
                self.device.rx_spent.push(frame);
                return None;
            }
        }
        Some(frame)
    }

    /// Whether smoltcp would answer this echo request (header `h`, ICMP bytes
    /// `icmp`) and do nothing else with it: `process_ipv4` takes it (a unicast
    /// source, addressed to the host's own address), no ICMP socket accepts it
    /// (every ICMP socket of a host is a ping generator's, bound to its echo
    /// identifier, and `accepts_v4` takes an echo request with that
    /// identifier), and `icmpv4_reply` answers it (source and destination both
    /// unicast). smoltcp answers whether or not a socket took it, but a socket
    /// that did would also hold a copy: then smoltcp does it all.
    #[inline]
    fn answers_echo(
        &self,
        h: &[u8; 20],
        icmp: &[u8],
        own: Ipv4Addr,
        subnet_broadcast: Option<Ipv4Addr>,
    ) -> bool {
        let src = Ipv4Addr::new(h[12], h[13], h[14], h[15]);
        let dst = Ipv4Addr::new(h[16], h[17], h[18], h[19]);
        let ident = u16::from_be_bytes([icmp[4], icmp[5]]);
        dst == own
            && unicast(own, subnet_broadcast)
            && unicast(src, subnet_broadcast)
            && !self.ping_idents.iter().any(|e| e.0 == ident)
    }

    /// Turn the echo request in `frame` (IP total length `total`) into the
    /// reply smoltcp's ingress sends, in place, and send it as that ingress
    /// would: queued on the device now, before anything the poll that follows
    /// (the engine polls a host right after it receives) sends.
    ///
    /// The bytes are `icmpv4_reply`'s through `dispatch_ip` (not fragmenting:
    /// the reply is as long as the request, which fits the MTU): a 20-byte
    /// IPv4 header from `Ipv4Repr::emit` (no DSCP/ECN, identification 0, DF
    /// set, hop limit 64, protocol ICMP, checksum 0 since the device computes
    /// none, addresses swapped), then `Icmpv4Repr::EchoReply` with the
    /// request's identifier, sequence number and data, its checksum computed
    /// (the device's `icmpv4` capability is `Tx`); anything after the IP total
    /// length is not part of the reply. `Host::poll`'s `finish_tx` then
    /// numbers it as every packet smoltcp sends. The one trace the dispatch
    /// leaves in smoltcp, its IPv4 identification counter advanced by one (and
    /// the clock, which the poll sets to the same instant), is left by
    /// `note_sent_without_dispatch`. The request's buffer becomes the reply's,
    /// so nothing is allocated.
    fn answer_echo(&mut self, mut frame: Vec<u8>, total: usize, now_ns: u64) {
        frame.truncate(ETHERNET_HEADER_LEN + total);
        let ip = &mut frame[ETHERNET_HEADER_LEN..];
        let mut src = [0u8; 4];
        src.copy_from_slice(&ip[12..16]);
        ip.copy_within(16..20, 12);
        ip[16..20].copy_from_slice(&src);
        ip[1] = 0;
        ip[4..6].fill(0);
        ip[6] = 0x40;
        ip[8] = 64;
        ip[10..12].fill(0);
        let icmp = &mut ip[20..];
        icmp[0] = ECHO_REPLY;
        Icmpv4Packet::new_unchecked(icmp).fill_checksum();
        self.device.tx.push(frame);
        self.iface.note_sent_without_dispatch(instant(now_ns), 1);
        self.echo.answered += 1;
    }

    /// The generator whose ICMP socket smoltcp would put this echo reply in,
    /// when that is all smoltcp would do with it and the generator would read
    /// it in the poll that follows before anything else touches it: then it
    /// reads it here. smoltcp: `process_ipv4` takes it (a unicast source, to
    /// the host's own address); `process_icmpv4` gives it to every ICMP socket
    /// that `accepts_v4` it, those bound to its identifier (every ICMP socket
    /// is a ping generator's), and answers nothing. So: exactly one generator
    /// has that identifier; its socket's receive queue is empty (the reply is
    /// all it will read) and takes the reply whole (`PacketBuffer::enqueue`
    /// on an empty ring needs only the size within the capacity); and the
    /// generator is not due to send in that poll (it reads after it sends, and
    /// a send may reuse the log slot of a short ping's reply). What it reads
    /// is the reply's ICMP bytes as the socket re-emits them, identical from
    /// byte 4 on (the checksum, which it does not read, is recomputed there).
    /// `account_ingress` put the generator in `icmp_due` (only it: every
    /// frame received before was followed by a poll, which empties it, or
    /// by an idle poll, which needs it empty), so the poll that follows
    /// would read its empty socket and check whether its flow is done. When
    /// that check fails now, that part of the poll would change nothing
    /// (`update_wakes` finds the same wake time, already queued, and no end
    /// to report), so the generator is taken out of `icmp_due`, and the poll
    /// may be an idle one (`Host::idle_poll`); when the flow ends with this
    /// reply, it stays, and the poll marks the flow done as before.
    fn echo_reply_reader(
        &self,
        h: &[u8; 20],
        icmp: &[u8],
        own: Ipv4Addr,
        subnet_broadcast: Option<Ipv4Addr>,
        now_ns: u64,
    ) -> Option<usize> {
        let src = Ipv4Addr::new(h[12], h[13], h[14], h[15]);
        let dst = Ipv4Addr::new(h[16], h[17], h[18], h[19]);
        if dst != own || !unicast(src, subnet_broadcast) {
            return None;
        }
        let ident = u16::from_be_bytes([icmp[4], icmp[5]]);
        let at = self.ping_idents.partition_point(|e| e.0 < ident);
        let g = match (self.ping_idents.get(at), self.ping_idents.get(at + 1)) {
            (Some(a), next) if a.0 == ident && next.is_none_or(|b| b.0 != ident) => a.1 as usize,
            _ => return None,
        };
        if self.slots[g].wake <= now_ns {
            return None;
        }
        match &self.generators[g] {
            Generator::Ping(p) if p.reply_fits(&self.sockets, icmp.len()) => Some(g),
            _ => None,
        }
    }
}
