//! Frames a host's stack discards. smoltcp drops a received frame quietly when no
//! socket takes it or when it has no room to reassemble it, and tells no one; a
//! Linux host does the same (answering an unmatched TCP segment with a RST and an
//! unmatched UDP datagram with ICMP port unreachable, as smoltcp does too). So
//! that such frames end "dropped with a reason" (DESIGN.md §3) rather than
//! vanish, the host decides, as each frame arrives and before smoltcp reads it,
//! whether smoltcp will take it: by the same rules smoltcp applies, on state
//! smoltcp does not expose (its reassembly slots) mirrored here. smoltcp has no
//! API that reports a discard, hence the mirror.
//!
//! Only frames already off the common path are examined (fragments, TCP segments
//! of no known connection, UDP datagrams to a port without a sink, echo replies):
//! a plain datagram to a sink costs nothing more.

use smoltcp::iface::SocketSet;
use smoltcp::socket::{tcp, Socket};
use smoltcp::storage::Assembler;
use smoltcp::wire::{IpAddress, Ipv4Address, Ipv4Packet};

/// How many datagrams smoltcp reassembles at once (its `reassembly-buffer-count`
/// feature, chosen in Cargo.toml).
pub const REASSEMBLY_SLOTS: usize = smoltcp::config::REASSEMBLY_BUFFER_COUNT;

/// smoltcp's reassembly timeout (`Interface::reassembly_timeout`, left at its
/// default), in microseconds like smoltcp's clock.
const REASSEMBLY_TIMEOUT_US: i64 = 60_000_000;

/// Why the host's stack discards a frame it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    /// No socket takes it (no listener or connection on its port, no ping with
    /// its echo identifier).
    NoSocket,
    /// A fragment of a new datagram while every reassembly slot is taken.
    ReassemblyLimit,
}

/// (source, destination, identification, protocol): smoltcp's `Ipv4FragKey`.
type FragKey = (Ipv4Address, Ipv4Address, u16, u8);

/// One of smoltcp's packet assemblers, as smoltcp keeps it.
#[derive(Debug)]
struct Slot {
    key: FragKey,
    /// smoltcp's `expires_at`, in microseconds.
    expires_us: i64,
    /// Known once the last fragment arrived.
    total: Option<usize>,
    /// The byte ranges received, with smoltcp's own bookkeeping (its limit on
    /// holes included), so the slot completes exactly when smoltcp's does.
    received: Assembler,
}

/// A mirror of smoltcp's IPv4 reassembly slots (`PacketAssemblerSet`), replaying
/// `process_ipv4`'s steps for each fragment: expire slots past their timeout,
/// find or take a slot for the datagram (none free: the fragment is dropped),
/// record the last fragment's total size, add the fragment's range, free the
/// slot once the datagram is complete. Allocated on the first fragment, so hosts
/// that never receive one pay nothing.
#[derive(Debug, Default)]
pub struct Reassembly {
    slots: Vec<Slot>,
}

impl Reassembly {
    /// A fragment (`ip`, a whole IPv4 packet with MF set or a non-zero offset)
    /// arrives at `now_us`, the instant smoltcp will read it at: whether smoltcp
    /// keeps it (`false`: it has no free slot and discards it).
    pub fn admit(&mut self, ip: &[u8], now_us: i64) -> bool {
        let Ok(p) = Ipv4Packet::new_checked(ip) else {
            // smoltcp discards it too, for being malformed (the router lets no
            // such frame through).
            return true;
        };
        // `poll_ingress_single` expires slots before reading each frame.
        self.slots.retain(|s| s.expires_us >= now_us);
        let key = (
            p.src_addr(),
            p.dst_addr(),
            p.ident(),
            u8::from(p.next_header()),
        );
        let i = match self.slots.iter().position(|s| s.key == key) {
            Some(i) => i,
            None if self.slots.len() >= REASSEMBLY_SLOTS => return false,
            None => {
                self.slots.push(Slot {
                    key,
                    expires_us: now_us + REASSEMBLY_TIMEOUT_US,
                    total: None,
                    received: Assembler::new(),
                });
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[i];
        let offset = p.frag_offset() as usize;
        let len = (p.total_len() as usize).saturating_sub(p.header_len() as usize);
        if !p.more_frags() {
            match slot.total {
                // smoltcp rejects a second, different end (the slot stays).
                Some(t) if t != offset + len => return true,
                _ => slot.total = Some(offset + len),
            }
        }
        // smoltcp ignores the assembler's "too many holes" the same way.
        let _ = slot.received.add(offset, len);
        if slot.total == Some(slot.received.peek_front()) {
            self.slots.swap_remove(i);
        }
        true
    }
}

/// Whether one of the host's TCP sockets accepts a segment from `src:sport` to
/// `dst:dport` (`ack`, `rst`: its flags): smoltcp's `tcp::Socket::accepts`, read
/// through the sockets' public state. Only asked about segments of no known
/// connection, so its scan of every socket is rare.
pub fn tcp_accepts(
    sockets: &SocketSet<'static>,
    (src, sport): (IpAddress, u16),
    (dst, dport): (IpAddress, u16),
    ack: bool,
    rst: bool,
) -> bool {
    sockets.iter().any(|(_, s)| {
        let Socket::Tcp(s) = s else {
            return false;
        };
        match s.state() {
            tcp::State::Closed => false,
            tcp::State::Listen if ack || rst => false,
            tcp::State::Listen => {
                let l = s.listen_endpoint();
                l.addr.is_none_or(|a| a == dst) && dport != 0 && dport == l.port
            }
            _ => match (s.local_endpoint(), s.remote_endpoint()) {
                (Some(l), Some(r)) => {
                    l.addr == dst && l.port == dport && r.addr == src && r.port == sport
                }
                _ => false,
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    /// The IPv4 fragments (without Ethernet) of one UDP datagram.
    fn fragments(ident: u16, payload: usize) -> Vec<Vec<u8>> {
        let mut frame = Vec::new();
        PacketBuilder::ethernet2([2; 6], [4; 6])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(1000, 2000)
            .write(&mut frame, &vec![7u8; payload])
            .expect("build");
        let mut p = Ipv4Packet::new_unchecked(&mut frame[14..]);
        p.set_ident(ident);
        p.fill_checksum();
        let mut pieces = Vec::new();
        crate::wire::fragment_ipv4(&frame, 1500, &mut pieces).expect("fragments");
        pieces.into_iter().map(|f| f[14..].to_vec()).collect()
    }

    #[test]
    fn a_datagram_completes_and_frees_its_slot() {
        let mut r = Reassembly::default();
        for f in fragments(1, 4000) {
            assert!(r.admit(&f, 0));
        }
        assert!(r.slots.is_empty());
    }

    #[test]
    fn the_slot_after_the_last_is_refused_until_one_expires() {
        let mut r = Reassembly::default();
        // Only the first fragment of each: every datagram stays incomplete.
        for ident in 0..REASSEMBLY_SLOTS as u16 {
            assert!(r.admit(&fragments(ident, 4000)[0], 0));
        }
        let late = fragments(999, 4000);
        assert!(!r.admit(&late[0], 1));
        // A fragment of a datagram already being reassembled still gets in.
        assert!(r.admit(&fragments(3, 4000)[1], 1));
        // 60 s later the incomplete ones have expired.
        assert!(r.admit(&late[0], REASSEMBLY_TIMEOUT_US + 1));
    }
}
