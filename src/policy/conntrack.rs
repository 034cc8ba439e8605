//! Per-ENI connection tracking: what makes security groups stateful.
//!
//! A bounded table keyed by the normalized 5-tuple (the two endpoints sorted, so a
//! reply finds its request's entry). Time is virtual nanoseconds passed in; entries
//! idle out after AWS's timeouts; a full table refuses new flows
//! (`CONNTRACK_FULL`) after sweeping out idle ones. The map grows up to the quota
//! and is then reused: no allocation per packet once warm.

use crate::model::proto;
use crate::wire::FlowKey;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
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
/// ICMP has no ports in [`FlowKey`], so all ICMP between two hosts is one flow.
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

/// The normalized key and whether the packet travels from `a` to `b`.
fn normalize(key: &FlowKey) -> (ConnKey, bool) {
    let s = (addr_bits(key.src), key.src_port);
    let d = (addr_bits(key.dst), key.dst_port);
    let from_a = s <= d;
    let ((a, a_port), (b, b_port)) = if from_a { (s, d) } else { (d, s) };
    (
        ConnKey {
            a,
            b,
            a_port,
            b_port,
            protocol: key.protocol,
        },
        from_a,
    )
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

    /// Advance the state with a packet; `original` is its direction.
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

/// FxHash (rustc's hasher): a multiply-rotate hash. Hand-written because it is five
/// lines and the table needs a fast, deterministic hasher (std's SipHash is seeded
/// randomly and several times slower on a 40-byte key).
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.hash = (self.hash.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A deterministic fast `BuildHasher` for index maps in the hot path.
pub type FxBuild = BuildHasherDefault<FxHasher>;

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

/// One ENI's connection-tracking table.
#[derive(Debug, Clone)]
pub struct ConnTrack {
    map: HashMap<ConnKey, Entry, FxBuild>,
    /// First fragments that passed, by train, with when they passed.
    fragments: HashMap<FragKey, u64, FxBuild>,
    capacity: usize,
}

impl ConnTrack {
    /// A table that holds at most `capacity` flows (`Quotas::conntrack_entries_per_eni`).
    /// Memory grows with use, up to the capacity, and is then reused.
    pub fn new(capacity: u32) -> ConnTrack {
        ConnTrack {
            map: HashMap::default(),
            fragments: HashMap::default(),
            capacity: capacity as usize,
        }
    }

    /// Live and idle-but-not-swept entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Find the flow of `key` and refresh it. An idle-expired entry is removed and
    /// not found: the packet must then pass the rules again.
    #[inline]
    pub fn lookup(&mut self, now_ns: u64, key: &FlowKey) -> Option<Tracked> {
        let (k, from_a) = normalize(key);
        let entry = self.map.get_mut(&k)?;
        if entry.expired(now_ns) {
            self.map.remove(&k);
            return None;
        }
        entry.update(now_ns, from_a, key.tcp_flags);
        Some(if from_a == entry.opened_by_a {
            Tracked::Original
        } else {
            Tracked::Reply
        })
    }

    /// The state of the flow of `key`, if tracked and not expired (for traces/tests).
    pub fn state(&self, now_ns: u64, key: &FlowKey) -> Option<FlowState> {
        let (k, _) = normalize(key);
        self.map
            .get(&k)
            .filter(|e| !e.expired(now_ns))
            .map(|e| e.state)
    }

    /// Start tracking the flow `key` opens. When the table is full, idle entries
    /// are swept first; if none were idle the flow is refused.
    pub fn insert(&mut self, now_ns: u64, key: &FlowKey) -> Result<(), ConntrackFull> {
        let (k, from_a) = normalize(key);
        if !self.map.contains_key(&k) && self.map.len() >= self.capacity {
            self.map.retain(|_, e| !e.expired(now_ns));
            if self.map.len() >= self.capacity {
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
        self.map.insert(
            k,
            Entry {
                opened_by_a: from_a,
                last_from_a: from_a,
                state,
                transactions: 0,
                last_seen_ns: now_ns,
            },
        );
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

    /// Forget everything (an ENI detached).
    pub fn clear(&mut self) {
        self.map.clear();
        self.fragments.clear();
    }
}

#[cfg(test)]
mod tests {
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
}
