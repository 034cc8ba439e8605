//! Per-ENI connection tracking: what makes security groups stateful.
//!
//! A bounded table keyed by the normalized 5-tuple (the two endpoints sorted, so a
//! reply finds its request's entry). Time is virtual nanoseconds passed in; entries
//! idle out after AWS's timeouts; a full table refuses new flows
//! (`CONNTRACK_FULL`) after sweeping out idle ones. The map grows up to the quota
//! and is then reused: no allocation per packet once warm.

use crate::model::proto;
use crate::wire::{FlowKey, FragmentKind, IcmpKind};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

pub use super::fxhash::{FxBuild, FxHasher};
use std::net::IpAddr;

const SEC: u64 = 1_000_000_000;
/// AWS default for idle established TCP connections (5 days).
pub const TCP_ESTABLISHED_TIMEOUT_NS: u64 = 432_000 * SEC;
/// TCP before the handshake completes, or after FIN/RST. AWS does not document
/// these; 120 s is a conservative choice (Linux uses 120 s for SYN_SENT/TIME_WAIT).
pub const TCP_TRANSITORY_TIMEOUT_NS: u64 = 120 * SEC;
/// UDP seen one way or in one request/response transaction (AWS default).
pub const UDP_TIMEOUT_NS: u64 = 30 * SEC;
/// UDP "stream": more than one request/response transaction (AWS default).
pub const UDP_STREAM_TIMEOUT_NS: u64 = 180 * SEC;
/// ICMP flows.
pub const ICMP_TIMEOUT_NS: u64 = 30 * SEC;
/// Any other IP protocol.
pub const OTHER_TIMEOUT_NS: u64 = 60 * SEC;

const TCP_FIN: u8 = 0x01;
const TCP_RST: u8 = 0x04;

/// The table is full of live flows: a new flow is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConntrackFull;

/// How a packet relates to a tracked flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracked {
    /// Same direction as the packet that opened the flow.
    Original,
    /// The opposite direction: a reply, allowed regardless of rules.
    Reply,
}

/// A flow's state, which decides its idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowState {
    TcpOpening,
    TcpEstablished,
    TcpClosing,
    Udp { stream: bool },
    Icmp,
    Other,
}

impl FlowState {
    /// AWS's idle timeout for a flow in this state.
    pub fn idle_timeout_ns(self) -> u64 {
        match self {
            FlowState::TcpEstablished => TCP_ESTABLISHED_TIMEOUT_NS,
            FlowState::TcpOpening | FlowState::TcpClosing => TCP_TRANSITORY_TIMEOUT_NS,
            FlowState::Udp { stream: false } => UDP_TIMEOUT_NS,
            FlowState::Udp { stream: true } => UDP_STREAM_TIMEOUT_NS,
            FlowState::Icmp => ICMP_TIMEOUT_NS,
            FlowState::Other => OTHER_TIMEOUT_NS,
        }
    }
}

/// The normalized 5-tuple: endpoint `a` sorts before endpoint `b`.
///
/// ICMP queries (echo, timestamp, ...) are keyed like Linux keys them, by the
/// pair's request type and identifier, with `a` the *requester* instead of the
/// lower endpoint: `a_port` is the identifier, `b_port` the request type. So a
/// request from the responder's side is a flow of its own (a different key), never
/// a reply, and two pings between the same hosts with different identifiers are
/// two flows. Other ICMP (errors are handled by [`ConnTrack::related`]) is keyed by
/// addresses only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ConnKey {
    a: u128,
    b: u128,
    a_port: u16,
    b_port: u16,
    protocol: u8,
}

/// Fold a 128-bit value to 64 bits (for hashing).
#[inline]
pub fn fold128(x: u128) -> u64 {
    (x as u64) ^ ((x >> 64) as u64).rotate_left(29)
}

impl Hash for ConnKey {
    /// One hasher round for the whole key: the fields are folded first, since
    /// FxHash costs a dependent multiply per `write` and this runs twice per hop.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        let ports = (u64::from(self.a_port) << 40)
            | (u64::from(self.b_port) << 16)
            | u64::from(self.protocol);
        state.write_u64(fold128(self.a) ^ fold128(self.b).rotate_left(17) ^ ports.rotate_left(7));
    }
}

fn addr_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4) as u128 | (0xffff << 32),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// An IPv4 flow's [`ConnKey`] packed into one `u128`: `a`, `b`, `a_port`, `b_port`,
/// `protocol` from the high bits down. Half the bytes of a [`ConnKey`] to hash,
/// compare and keep in cache, and IPv4 is nearly every frame the router sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct V4Key(u128);

impl Hash for V4Key {
    /// One hasher round: addresses in the high half, ports and protocol in the low.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(fold128(self.0));
    }
}

/// A normalized key: IPv4 packed, IPv6 in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NormKey {
    V4(V4Key),
    V6(ConnKey),
}

/// The IPv4 address of an `addr_bits` value, when it is one (IPv4-mapped form).
#[inline]
fn v4_of_bits(bits: u128) -> Option<u32> {
    (bits >> 32 == 0xffff).then_some(bits as u32)
}

impl NormKey {
    /// Pack a [`ConnKey`] whose addresses are both IPv4 (or IPv4-mapped IPv6,
    /// which [`addr_bits`] has always keyed the same as IPv4).
    #[inline]
    fn of(k: ConnKey) -> NormKey {
        match (v4_of_bits(k.a), v4_of_bits(k.b)) {
            (Some(a), Some(b)) => NormKey::V4(pack_v4(a, b, k.a_port, k.b_port, k.protocol)),
            _ => NormKey::V6(k),
        }
    }
}

#[inline]
fn pack_v4(a: u32, b: u32, a_port: u16, b_port: u16, protocol: u8) -> V4Key {
    V4Key(
        (u128::from(a) << 96)
            | (u128::from(b) << 64)
            | (u128::from(a_port) << 48)
            | (u128::from(b_port) << 32)
            | u128::from(protocol),
    )
}

/// [`normalize`] for the common case, an IPv4 packet of a protocol other than
/// ICMP (so never an ICMP query, keyed by ports): `None` otherwise. Kept apart so
/// the per-packet lookup neither builds an IPv6-sized key nor classifies ICMP.
#[inline(always)]
fn normalize_v4_ports(key: &FlowKey) -> Option<(V4Key, bool)> {
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (key.src, key.dst) else {
        return None;
    };
    if key.protocol == proto::ICMP || key.protocol == proto::ICMPV6 {
        return None;
    }
    // The order of the general case: (address, port) pairs, each compared as one
    // integer.
    let s = (u64::from(u32::from(src)) << 16) | u64::from(key.src_port);
    let d = (u64::from(u32::from(dst)) << 16) | u64::from(key.dst_port);
    let from_a = s <= d;
    let (a, b) = if from_a { (s, d) } else { (d, s) };
    let k = pack_v4(
        (a >> 16) as u32,
        (b >> 16) as u32,
        a as u16,
        b as u16,
        key.protocol,
    );
    Some((k, from_a))
}

/// Refresh the entry `k` of `map` with a packet (see [`ConnTrack::lookup`]).
#[inline(always)]
fn refresh<K: Hash + Eq>(
    map: &mut HashMap<K, Entry, FxBuild>,
    k: &K,
    now_ns: u64,
    from_a: bool,
    tcp_flags: u8,
) -> Option<Tracked> {
    let entry = map.get_mut(k)?;
    if entry.expired(now_ns) {
        map.remove(k);
        return None;
    }
    entry.update(now_ns, from_a, tcp_flags);
    Some(if from_a == entry.opened_by_a {
        Tracked::Original
    } else {
        Tracked::Reply
    })
}

/// The normalized key and whether the packet travels from `a` to `b`. The common
/// case (IPv4, not ICMP) first, before any ICMP classification.
#[inline(always)]
fn normalize(key: &FlowKey) -> (NormKey, bool) {
    match normalize_v4_ports(key) {
        Some((k, from_a)) => (NormKey::V4(k), from_a),
        None => normalize_v4_icmp_query(key).unwrap_or_else(|| normalize_other(key)),
    }
}

/// [`normalize_other`] of an IPv4 ICMP query (echo and the like), the other
/// common case: the same key, packed directly (`ConnKey` then `NormKey::of`
/// gave the same `V4Key` at several times the cost).
#[inline]
fn normalize_v4_icmp_query(key: &FlowKey) -> Option<(NormKey, bool)> {
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (key.src, key.dst) else {
        return None;
    };
    if key.protocol != proto::ICMP {
        return None;
    }
    let request_type = key.icmp_query_type()?;
    let request = key.icmp_kind() == Some(IcmpKind::Request);
    let (requester, responder) = if request { (src, dst) } else { (dst, src) };
    let k = pack_v4(
        u32::from(requester),
        u32::from(responder),
        key.icmp_id,
        u16::from(request_type),
        key.protocol,
    );
    Some((NormKey::V4(k), request))
}

/// [`normalize`] of IPv6 packets and ICMP: out of line, the per-packet path stays
/// small.
#[inline(never)]
fn normalize_other(key: &FlowKey) -> (NormKey, bool) {
    if let Some(request_type) = key.icmp_query_type() {
        let request = key.icmp_kind() == Some(IcmpKind::Request);
        let (requester, responder) = if request {
            (key.src, key.dst)
        } else {
            (key.dst, key.src)
        };
        let k = ConnKey {
            a: addr_bits(requester),
            b: addr_bits(responder),
            a_port: key.icmp_id,
            b_port: u16::from(request_type),
            protocol: key.protocol,
        };
        return (NormKey::of(k), request);
    }
    let s = (addr_bits(key.src), key.src_port);
    let d = (addr_bits(key.dst), key.dst_port);
    let from_a = s <= d;
    let ((a, a_port), (b, b_port)) = if from_a { (s, d) } else { (d, s) };
    (
        NormKey::of(ConnKey {
            a,
            b,
            a_port,
            b_port,
            protocol: key.protocol,
        }),
        from_a,
    )
}

/// A packet's normalized conntrack key, its direction and its TCP flags: what
/// [`ConnTrack::lookup_normalized`] needs, computed once per packet.
#[derive(Debug, Clone, Copy)]
pub struct Normalized {
    key: NormKey,
    from_a: bool,
    tcp_flags: u8,
}

impl Normalized {
    #[inline(always)]
    pub fn of(key: &FlowKey) -> Normalized {
        let (k, from_a) = normalize(key);
        Normalized {
            key: k,
            from_a,
            tcp_flags: key.tcp_flags,
        }
    }

    /// The same flow and direction with another packet's TCP flags (the key
    /// depends only on addresses, protocol and ports or ICMP fields, which a
    /// cache can keep; the flags are per packet).
    #[inline(always)]
    pub fn with_tcp_flags(self, tcp_flags: u8) -> Normalized {
        Normalized { tcp_flags, ..self }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The flow was opened by a packet from `a`.
    opened_by_a: bool,
    last_from_a: bool,
    state: FlowState,
    /// UDP request/response transactions seen.
    transactions: u8,
    last_seen_ns: u64,
}

impl Entry {
    fn expired(&self, now_ns: u64) -> bool {
        now_ns.saturating_sub(self.last_seen_ns) > self.state.idle_timeout_ns()
    }

    /// Advance the state with a packet; `original` is its direction. Inline: it
    /// runs twice per forwarded packet.
    #[inline(always)]
    fn update(&mut self, now_ns: u64, from_a: bool, tcp_flags: u8) {
        let original = from_a == self.opened_by_a;
        match self.state {
            FlowState::TcpOpening | FlowState::TcpEstablished
                if tcp_flags & (TCP_FIN | TCP_RST) != 0 =>
            {
                self.state = FlowState::TcpClosing
            }
            // The first packet back (SYN-ACK) means the handshake is under way in
            // both directions; AWS then applies the established timeout.
            FlowState::TcpOpening if !original => self.state = FlowState::TcpEstablished,
            FlowState::Udp { .. } => {
                if !original && self.last_from_a != from_a {
                    self.transactions = self.transactions.saturating_add(1);
                }
                self.state = FlowState::Udp {
                    stream: self.transactions >= 2,
                };
            }
            _ => {}
        }
        self.last_from_a = from_a;
        self.last_seen_ns = now_ns;
    }
}

/// How long a first fragment vouches for the non-first fragments that follow it
/// (Linux's default reassembly timeout, `ipfrag_time`).
pub const FRAGMENT_TIMEOUT_NS: u64 = 30 * SEC;

/// A fragment train: non-first fragments have no ports, only addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FragKey {
    src: u128,
    dst: u128,
    protocol: u8,
}

impl FragKey {
    fn of(key: &FlowKey) -> FragKey {
        FragKey {
            src: addr_bits(key.src),
            dst: addr_bits(key.dst),
            protocol: key.protocol,
        }
    }
}

/// An IPv4 flow's entry in its slot (see [`FlowHandle`]).
#[derive(Debug, Clone, Copy)]
struct V4Slot {
    key: V4Key,
    entry: Entry,
    /// The insertion that filled the slot (0: the slot is free). Ids are never
    /// reused, so a handle to an entry since removed never matches again.
    id: u64,
}

/// Where a flow's entry sits in one ENI's table, for the router's flow cache
/// (`dataplane::flow_cache`): refreshing through it ([`ConnTrack::lookup_handle`])
/// is [`ConnTrack::lookup_normalized`] without the hash probe.
///
/// Exact: a handle names a slot and the insertion that filled it. While that
/// insertion's entry lives, the slot holds it and the key finds that slot (an
/// entry and its key's map entry are added and removed together, and an entry
/// replaced by `insert` keeps its slot and id), so the refresh is the keyed one.
/// Once the entry is gone (idle-expired, swept, cleared) the ids differ and the
/// keyed lookup is made instead. Tested:
/// `a_handle_refreshes_what_the_key_finds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowHandle {
    slot: u32,
    id: u64,
}

impl FlowHandle {
    /// Names no entry (a handle to an IPv6 flow, or to a flow not tracked).
    pub const NONE: FlowHandle = FlowHandle {
        slot: u32::MAX,
        id: 0,
    };
}

/// One ENI's connection-tracking table.
#[derive(Debug, Clone)]
pub struct ConnTrack {
    /// IPv4 flows (see [`V4Key`]), each key to its entry's slot in `v4_slots`,
    /// and IPv6 flows; one capacity covers both.
    v4: HashMap<V4Key, u32, FxBuild>,
    v4_slots: Vec<V4Slot>,
    /// Free slots of `v4_slots`, reused first.
    v4_free: Vec<u32>,
    /// The next insertion's id (from 1).
    next_id: u64,
    v6: HashMap<ConnKey, Entry, FxBuild>,
    /// First fragments that passed, by train, with when they passed.
    fragments: HashMap<FragKey, u64, FxBuild>,
    capacity: usize,
}

impl ConnTrack {
    /// A table that holds at most `capacity` flows (`Quotas::conntrack_entries_per_eni`).
    /// Memory grows with use, up to the capacity, and is then reused.
    pub fn new(capacity: u32) -> ConnTrack {
        ConnTrack {
            v4: HashMap::default(),
            v4_slots: Vec::new(),
            v4_free: Vec::new(),
            next_id: 1,
            v6: HashMap::default(),
            fragments: HashMap::default(),
            capacity: capacity as usize,
        }
    }

    /// Live and idle-but-not-swept entries.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Find the flow of `key` and refresh it. An idle-expired entry is removed and
    /// not found: the packet must then pass the rules again.
    ///
    /// Always inlined: it runs twice per hop from one call site, and the call
    /// (spills, the key passed through memory) cost as much as the probe.
    #[inline(always)]
    pub fn lookup(&mut self, now_ns: u64, key: &FlowKey) -> Option<Tracked> {
        self.lookup_normalized(now_ns, &Normalized::of(key))
    }

    /// [`ConnTrack::lookup`] with the key normalized once by the caller: a hop
    /// meets two ENIs' tables with the same packet (the router's cached path,
    /// `dataplane::flow_cache`). Exactly the same lookup and refresh.
    #[inline(always)]
    pub fn lookup_normalized(&mut self, now_ns: u64, n: &Normalized) -> Option<Tracked> {
        match n.key {
            NormKey::V4(k4) => match self.v4.get(&k4) {
                Some(&slot) => self.refresh_slot(slot, now_ns, n.from_a, n.tcp_flags),
                None => None,
            },
            NormKey::V6(k6) => refresh(&mut self.v6, &k6, now_ns, n.from_a, n.tcp_flags),
        }
    }

    /// [`ConnTrack::lookup_normalized`] of `n` through `h`, a handle to `n`'s
    /// entry taken earlier ([`ConnTrack::handle`]): the same refresh without the
    /// hash probe while the entry lives, the keyed lookup once it is gone.
    #[inline(always)]
    pub fn lookup_handle(&mut self, now_ns: u64, h: FlowHandle, n: &Normalized) -> Option<Tracked> {
        match self.v4_slots.get(h.slot as usize) {
            Some(s) if s.id == h.id => self.refresh_slot(h.slot, now_ns, n.from_a, n.tcp_flags),
            _ => self.lookup_normalized(now_ns, n),
        }
    }

    /// The handle of `n`'s entry ([`FlowHandle::NONE`] when not tracked or IPv6).
    pub fn handle(&self, n: &Normalized) -> FlowHandle {
        let NormKey::V4(k4) = n.key else {
            return FlowHandle::NONE;
        };
        self.v4
            .get(&k4)
            .and_then(|&slot| {
                let id = self.v4_slots.get(slot as usize)?.id;
                Some(FlowHandle { slot, id })
            })
            .unwrap_or(FlowHandle::NONE)
    }

    /// [`refresh`] of the IPv4 entry in `slot`: an idle-expired entry is removed
    /// (its key and its slot) and not found.
    #[inline(always)]
    fn refresh_slot(
        &mut self,
        slot: u32,
        now_ns: u64,
        from_a: bool,
        tcp_flags: u8,
    ) -> Option<Tracked> {
        let s = self.v4_slots.get_mut(slot as usize)?;
        if s.entry.expired(now_ns) {
            let key = s.key;
            s.id = 0;
            self.v4.remove(&key);
            self.v4_free.push(slot);
            return None;
        }
        s.entry.update(now_ns, from_a, tcp_flags);
        Some(if from_a == s.entry.opened_by_a {
            Tracked::Original
        } else {
            Tracked::Reply
        })
    }

    /// Whether an ICMP error quoting `quoted` (see [`crate::wire::quoted_flow`]) is
    /// *related* to a live tracked flow, in either direction: Linux's `RELATED`
    /// state, which lets errors about a flow (fragmentation needed, port
    /// unreachable, time exceeded) pass where the flow passes. Does not refresh the
    /// flow: only its own packets keep it alive.
    #[inline]
    pub fn related(&self, now_ns: u64, quoted: &FlowKey) -> bool {
        let (k, _) = normalize(quoted);
        self.get(&k).is_some_and(|e| !e.expired(now_ns))
    }

    /// Whether a packet allowed by a rule opens a flow. ICMP query replies and
    /// errors never do (Linux marks them `INVALID` without a flow), and neither do
    /// non-first fragments (no ports).
    #[inline]
    pub fn opens_flow(key: &FlowKey) -> bool {
        key.fragment != FragmentKind::NonFirst
            && !matches!(key.icmp_kind(), Some(IcmpKind::Reply | IcmpKind::Error))
    }

    /// The state of the flow of `key`, if tracked and not expired (for traces/tests).
    pub fn state(&self, now_ns: u64, key: &FlowKey) -> Option<FlowState> {
        let (k, _) = normalize(key);
        self.get(&k).filter(|e| !e.expired(now_ns)).map(|e| e.state)
    }

    /// Start tracking the flow `key` opens. When the table is full, idle entries
    /// are swept first; if none were idle the flow is refused.
    pub fn insert(&mut self, now_ns: u64, key: &FlowKey) -> Result<(), ConntrackFull> {
        let (k, from_a) = normalize(key);
        if self.get(&k).is_none() && self.len() >= self.capacity {
            let (slots, free) = (&mut self.v4_slots, &mut self.v4_free);
            self.v4.retain(|_, &mut slot| {
                let Some(s) = slots.get_mut(slot as usize) else {
                    return false;
                };
                let live = !s.entry.expired(now_ns);
                if !live {
                    s.id = 0;
                    free.push(slot);
                }
                live
            });
            self.v6.retain(|_, e| !e.expired(now_ns));
            if self.len() >= self.capacity {
                return Err(ConntrackFull);
            }
        }
        let state = match key.protocol {
            proto::TCP if key.tcp_flags & (TCP_FIN | TCP_RST) != 0 => FlowState::TcpClosing,
            proto::TCP => FlowState::TcpOpening,
            proto::UDP => FlowState::Udp { stream: false },
            proto::ICMP | proto::ICMPV6 => FlowState::Icmp,
            _ => FlowState::Other,
        };
        let entry = Entry {
            opened_by_a: from_a,
            last_from_a: from_a,
            state,
            transactions: 0,
            last_seen_ns: now_ns,
        };
        match k {
            NormKey::V4(k4) => self.insert_v4(k4, entry),
            NormKey::V6(k6) => {
                self.v6.insert(k6, entry);
            }
        };
        Ok(())
    }

    /// Remember that a first fragment of `key`'s train passed, so the non-first
    /// fragments that follow (which carry no ports) pass too. Bounded like the
    /// flow table; when full of live trains the note is skipped.
    pub fn note_first_fragment(&mut self, now_ns: u64, key: &FlowKey) {
        let k = FragKey::of(key);
        if !self.fragments.contains_key(&k) && self.fragments.len() >= self.capacity {
            self.fragments
                .retain(|_, t| now_ns.saturating_sub(*t) <= FRAGMENT_TIMEOUT_NS);
            if self.fragments.len() >= self.capacity {
                return;
            }
        }
        self.fragments.insert(k, now_ns);
    }

    /// Whether the non-first fragment `key` follows a first fragment that passed
    /// within [`FRAGMENT_TIMEOUT_NS`].
    pub fn follows_first_fragment(&self, now_ns: u64, key: &FlowKey) -> bool {
        self.fragments
            .get(&FragKey::of(key))
            .is_some_and(|t| now_ns.saturating_sub(*t) <= FRAGMENT_TIMEOUT_NS)
    }

    /// Track `entry` under `k4`: an entry already there is replaced in its slot
    /// (keeping its id: the key still finds that slot), else a free slot (or a
    /// new one) takes it under a new id.
    fn insert_v4(&mut self, k4: V4Key, entry: Entry) {
        if let Some(&slot) = self.v4.get(&k4) {
            if let Some(s) = self.v4_slots.get_mut(slot as usize) {
                s.entry = entry;
                return;
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let new = V4Slot { key: k4, entry, id };
        let slot = match self.v4_free.pop() {
            Some(slot) => {
                if let Some(s) = self.v4_slots.get_mut(slot as usize) {
                    *s = new;
                }
                slot
            }
            None => {
                self.v4_slots.push(new);
                (self.v4_slots.len() - 1) as u32
            }
        };
        self.v4.insert(k4, slot);
    }

    #[inline]
    fn get(&self, k: &NormKey) -> Option<&Entry> {
        match k {
            NormKey::V4(k4) => self
                .v4
                .get(k4)
                .and_then(|&slot| self.v4_slots.get(slot as usize))
                .map(|s| &s.entry),
            NormKey::V6(k6) => self.v6.get(k6),
        }
    }

    /// Forget everything (an ENI detached).
    pub fn clear(&mut self) {
        self.v4.clear();
        self.v4_slots.clear();
        self.v4_free.clear();
        self.v6.clear();
        self.fragments.clear();
    }
}

#[cfg(test)]
#[path = "conntrack_tests.rs"]
mod tests;
