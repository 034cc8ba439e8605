//! VPC flow logs, version 2 default format (`version account-id interface-id srcaddr
//! dstaddr srcport dstport protocol packets bytes start end action log-status`),
//! aggregated like AWS does: per ENI, per 5-tuple, per action, per 60 s window.
//!
//! A window is written out once virtual time is a whole window past it (the
//! simulation reports nearly in time order; a frame may be reported at its future
//! arrival time, so one extra window stays open). Memory stays bounded and the
//! file is complete at every window boundary.
//! Lines are sorted by (window, ENI index, src, dst, ports, protocol, action): the
//! same run always writes the same file.

mod write4;

pub use super::frame_head::Flow4;
use super::pcap::EPOCH_BASE_S;
use crate::model::EniIdx;
use crate::policy::conntrack::FxBuild;
use crate::wire::FlowKey;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;

/// The account id written when none is given (AWS's documentation example).
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// AWS's default maximum aggregation interval (10 minutes) is also offered; 1 minute
/// is the finer one and what we use.
pub const WINDOW_NS: u64 = 60_000_000_000;

/// The `action` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Accept,
    Reject,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "ACCEPT",
            Action::Reject => "REJECT",
        }
    }
}

/// An address as (is IPv6, bits): ordered like `IpAddr` (IPv4 first, then by
/// value), compared and hashed as plain integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Addr {
    v6: bool,
    bits: u128,
}

impl Addr {
    #[inline]
    fn of(ip: IpAddr) -> Addr {
        match ip {
            IpAddr::V4(a) => Addr {
                v6: false,
                bits: u128::from(u32::from(a)),
            },
            IpAddr::V6(a) => Addr {
                v6: true,
                bits: u128::from(a),
            },
        }
    }

    fn ip(self) -> IpAddr {
        if self.v6 {
            IpAddr::V6(self.bits.into())
        } else {
            IpAddr::V4((self.bits as u32).into())
        }
    }

    /// 64 bits that differ whenever the addresses do (most of the time).
    #[inline]
    fn folded(self) -> u64 {
        (self.bits as u64) ^ ((self.bits >> 64) as u64).rotate_left(29)
    }
}

/// One aggregated record's identity. Field order is the output sort order.
///
/// Every frame at an ENI looks one of these up, so addresses are plain integers
/// (not `IpAddr` enums) and [`Hash`] feeds the hasher four words instead of a dozen
/// small fields: about half the cost of the lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RecordKey {
    window: u64,
    eni: EniIdx,
    src: Addr,
    dst: Addr,
    src_port: u16,
    dst_port: u16,
    protocol: u8,
    action: Action,
}

impl std::hash::Hash for RecordKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(self.src.folded());
        h.write_u64(self.dst.folded());
        h.write_u64(
            u64::from(self.eni.0) << 32 | u64::from(self.src_port) << 16 | u64::from(self.dst_port),
        );
        h.write_u64(
            self.window << 16
                | u64::from(self.protocol) << 8
                | (self.action as u64) << 2
                | u64::from(self.src.v6) << 1
                | u64::from(self.dst.v6),
        );
    }
}

impl RecordKey {
    #[inline]
    fn new(window: u64, eni: EniIdx, key: &FlowKey, action: Action) -> RecordKey {
        RecordKey {
            window,
            eni,
            src: Addr::of(key.src),
            dst: Addr::of(key.dst),
            src_port: key.src_port,
            dst_port: key.dst_port,
            protocol: key.protocol,
            action,
        }
    }
}

/// The same identity for an IPv4 packet in three words (48 bytes with its
/// counters): every frame at an ENI looks one up, and a record is compared,
/// hashed (Fx, a word at a time) and copied as three integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key4 {
    /// `window << 16 | protocol << 8 | action`. A window is a minute: every
    /// `u64` time in nanoseconds has its window below 2^29.
    head: u64,
    /// `src << 32 | dst`.
    addrs: u64,
    /// `eni << 32 | src_port << 16 | dst_port`.
    ports: u64,
}

impl Flow4 {
    /// `None` unless both addresses are IPv4.
    #[inline]
    fn of(key: &FlowKey) -> Option<Flow4> {
        match (key.src, key.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => Some(Flow4 {
                src: s.into(),
                dst: d.into(),
                src_port: key.src_port,
                dst_port: key.dst_port,
                protocol: key.protocol,
                ip_len: key.ip_len,
            }),
            _ => None,
        }
    }
}

impl Key4 {
    /// The first of the two `recent` slots (the set) where this record may
    /// be, for a cache of `2^(64 - shift)` slots: the top bits of a
    /// multiplicative hash of the addresses, ENI, ports, protocol and action,
    /// made even (not the window: a retraction finds the record of either open
    /// window in one set).
    #[inline]
    fn set(&self, shift: u32) -> usize {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let b = self.ports ^ self.head << 48;
        ((self.addrs.wrapping_mul(K) ^ b).wrapping_mul(K) >> shift) as usize & !1
    }

    #[inline]
    fn new(window: u64, eni: EniIdx, f: &Flow4, action: Action) -> Key4 {
        Key4 {
            head: window << 16 | u64::from(f.protocol) << 8 | action as u64,
            addrs: u64::from(f.src) << 32 | u64::from(f.dst),
            ports: u64::from(eni.0) << 32 | u64::from(f.src_port) << 16 | u64::from(f.dst_port),
        }
    }

    #[inline]
    fn window(&self) -> u64 {
        self.head >> 16
    }

    fn record_key(&self) -> RecordKey {
        let v4 = |a: u64| Addr {
            v6: false,
            bits: u128::from(a as u32),
        };
        RecordKey {
            window: self.window(),
            eni: EniIdx((self.ports >> 32) as u32),
            src: v4(self.addrs >> 32),
            dst: v4(self.addrs),
            src_port: (self.ports >> 16) as u16,
            dst_port: self.ports as u16,
            protocol: (self.head >> 8) as u8,
            action: if self.head & 1 == 0 {
                Action::Accept
            } else {
                Action::Reject
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Counters {
    packets: u64,
    bytes: u64,
    /// Seconds into the window of the first and last packet: the log prints whole
    /// seconds, and a window is 60 of them.
    first_s: u8,
    last_s: u8,
}

impl Counters {
    #[inline]
    fn add(&mut self, bytes: u16, second: u8) {
        self.packets += 1;
        self.bytes += u64::from(bytes);
        self.first_s = self.first_s.min(second);
        self.last_s = self.last_s.max(second);
    }
}

/// Count into the record `k` of `map`, creating it.
#[inline]
fn count<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Counters, FxBuild>,
    k: K,
    bytes: u16,
    second: u8,
) {
    match map.get_mut(&k) {
        Some(c) => c.add(bytes, second),
        None => {
            map.insert(
                k,
                Counters {
                    packets: 1,
                    bytes: u64::from(bytes),
                    first_s: second,
                    last_s: second,
                },
            );
        }
    }
}

/// Add `c`, the counters of some packets of record `k`, to `map`: the same
/// record as counting those packets one by one (sums, earliest and latest second).
fn merge<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Counters, FxBuild>, k: K, c: Counters) {
    match map.get_mut(&k) {
        Some(m) => {
            m.packets += c.packets;
            m.bytes += c.bytes;
            m.first_s = m.first_s.min(c.first_s);
            m.last_s = m.last_s.max(c.last_s);
        }
        None => {
            map.insert(k, c);
        }
    }
}

/// Take one packet out of the record `k` of `map`; whether it was there.
fn uncount<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Counters, FxBuild>,
    k: &K,
    bytes: u16,
) -> bool {
    let Some(c) = map.get_mut(k) else {
        return false;
    };
    c.packets -= 1;
    c.bytes = c.bytes.saturating_sub(u64::from(bytes));
    if c.packets == 0 {
        map.remove(k);
    }
    true
}

/// Aggregates packets into flow log records and writes closed windows to `out`.
pub struct FlowLog<W: Write> {
    out: W,
    account_id: String,
    /// `interface-id` per ENI index.
    eni_ids: Vec<String>,
    /// Open records of IPv4 packets, and of IPv6 ones. Fx-hashed: these maps are
    /// touched for every frame of a run, and output order comes from sorting
    /// closed windows, not from iteration order.
    open4: HashMap<Key4, Counters, FxBuild>,
    open6: HashMap<RecordKey, Counters, FxBuild>,
    /// Recently counted IPv4 records, each in the slot its identity hashes to
    /// ([`Key4::set`]), with the packets counted for it since it came there, not
    /// yet in `open4`. They go there when another record takes the slot, and
    /// before anything reads `open4` (a window closing, a retraction): then the
    /// table holds what counting every packet in it would have given (see
    /// [`merge`]). A packet of a record in its slot costs a compare instead of a
    /// hash table lookup (issue #18: a server's ENI interleaves the packets of
    /// many flows, which defeated the per-ENI last record this replaces). Empty:
    /// every packet goes to `open4`.
    recent: Vec<(Key4, Counters)>,
    /// 64 minus log2 of `recent`'s length: [`Key4::set`]'s shift.
    recent_shift: u32,
    /// The newest window seen; every older window is closed.
    newest_window: u64,
    lines: u64,
    /// What was written, per ENI index (`report.html` shows it; counted here
    /// rather than read back from the file: at 100,000 flows re-reading and
    /// re-parsing the log cost 0.7 G instructions).
    written: Vec<FlowLogCounts>,
    /// Lines of ENI indices without an id (`eni-unknown`; none in a valid run).
    written_unknown: FlowLogCounts,
    /// Formatted lines waiting to go to `out` (one write for many lines).
    text: Vec<u8>,
}

/// ACCEPT and REJECT records (lines) and their packets, of one ENI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowLogCounts {
    pub accept_records: u64,
    pub accept_packets: u64,
    pub reject_records: u64,
    pub reject_packets: u64,
}

impl FlowLogCounts {
    fn add(&mut self, action: Action, packets: u64) {
        match action {
            Action::Accept => {
                self.accept_records += 1;
                self.accept_packets += packets;
            }
            Action::Reject => {
                self.reject_records += 1;
                self.reject_packets += packets;
            }
        }
    }

    fn merge(&mut self, o: &FlowLogCounts) {
        self.accept_records += o.accept_records;
        self.accept_packets += o.accept_packets;
        self.reject_records += o.reject_records;
        self.reject_packets += o.reject_packets;
    }

    fn is_empty(&self) -> bool {
        self.accept_records == 0 && self.reject_records == 0
    }
}

/// A free slot of the recent-records cache: its key has a window no time has
/// (see [`Key4`]), so no packet's key equals it.
const EMPTY_SLOT: (Key4, Counters) = (
    Key4 {
        head: u64::MAX,
        addrs: 0,
        ports: 0,
    },
    Counters {
        packets: 0,
        bytes: 0,
        first_s: 0,
        last_s: 0,
    },
);

/// Slots of the recent-records cache unless [`FlowLog::for_flows`] says otherwise.
const RECENT_SLOTS_DEFAULT: usize = 256;

/// Formatted lines are handed to the writer once they fill this much.
const TEXT_CHUNK: usize = 64 * 1024;

impl<W: Write> FlowLog<W> {
    pub fn new(out: W, account_id: &str, eni_ids: Vec<String>) -> Self {
        FlowLog {
            out,
            account_id: account_id.to_string(),
            eni_ids,
            open4: HashMap::default(),
            open6: HashMap::default(),
            recent: vec![EMPTY_SLOT; RECENT_SLOTS_DEFAULT],
            recent_shift: 64 - RECENT_SLOTS_DEFAULT.trailing_zeros(),
            newest_window: 0,
            lines: 0,
            written: Vec::new(),
            written_unknown: FlowLogCounts::default(),
            text: Vec::new(),
        }
    }

    /// Size the cache of recent records (`recent`) for a run of `flows` flows:
    /// about four slots a flow (each flow's records at both of its ENIs, and
    /// room to spare so that few share a slot), from 256 to 16,384 (56 bytes
    /// each, in sets of two). `0` flows: no cache (every packet counted in the table).
    pub fn for_flows(mut self, flows: usize) -> Self {
        self.merge_recent(|_| true);
        let slots = match flows {
            0 => 0,
            n => n.saturating_mul(4).next_power_of_two().clamp(256, 1 << 14),
        };
        self.recent = vec![EMPTY_SLOT; slots];
        // With no slot every index misses (`get_mut` of an empty vector).
        self.recent_shift = 64 - slots.max(2).trailing_zeros();
        self
    }

    /// Records and packets written so far per ENI id, ENIs with none left out:
    /// what reading the file back and counting its lines per `interface-id` and
    /// `action` gives.
    pub fn counts_by_eni(&self) -> std::collections::BTreeMap<String, FlowLogCounts> {
        let mut out = std::collections::BTreeMap::<String, FlowLogCounts>::new();
        let known = self
            .written
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((self.eni_ids.get(i)?.as_str(), c)));
        for (id, c) in known.chain([(UNKNOWN_ENI, &self.written_unknown)]) {
            if !c.is_empty() {
                out.entry(id.to_string()).or_default().merge(c);
            }
        }
        out
    }

    /// Count one packet (`key.ip_len` bytes) for `eni`. Allocation-free unless it
    /// starts a new record or closes a window.
    #[inline]
    pub fn record(
        &mut self,
        time_ns: u64,
        eni: EniIdx,
        key: &FlowKey,
        action: Action,
    ) -> io::Result<()> {
        if let Some(f) = Flow4::of(key) {
            return self.record4(time_ns, eni, &f, action);
        }
        let window = self.window_of(time_ns)?;
        count(
            &mut self.open6,
            RecordKey::new(window, eni, key, action),
            key.ip_len,
            second_in_window(time_ns),
        );
        Ok(())
    }

    /// [`FlowLog::record`] of an IPv4 packet, given as the fields the log reads.
    #[inline]
    pub fn record4(
        &mut self,
        time_ns: u64,
        eni: EniIdx,
        f: &Flow4,
        action: Action,
    ) -> io::Result<()> {
        let window = self.window_of(time_ns)?;
        self.count4(
            Key4::new(window, eni, f, action),
            f.ip_len,
            second_in_window(time_ns),
        );
        Ok(())
    }

    /// The window of `time_ns`, after writing every window it closes.
    #[inline]
    fn window_of(&mut self, time_ns: u64) -> io::Result<u64> {
        let window = time_ns / WINDOW_NS;
        if window > self.newest_window {
            self.newest_window = window;
            self.write_windows_before(window - 1)?;
        }
        Ok(window)
    }

    /// Take back one packet counted as `ACCEPT` for `eni` (in the window of
    /// `time_ns` or the one before, if still open): the simulation reports a frame
    /// leaving an ENI before the VPC router decides, and AWS logs a packet its
    /// egress rules reject only as `REJECT`. Returns whether a packet was found.
    pub fn retract_accept(&mut self, time_ns: u64, eni: EniIdx, key: &FlowKey) -> bool {
        let window = time_ns / WINDOW_NS;
        if let Some(f) = Flow4::of(key) {
            // The record's set, whatever its window (not part of the hash).
            let set = Key4::new(window, eni, &f, Action::Accept).set(self.recent_shift);
            for way in self.recent.iter_mut().skip(set).take(2) {
                let (k, c) = std::mem::replace(way, EMPTY_SLOT);
                if k != EMPTY_SLOT.0 {
                    merge(&mut self.open4, k, c);
                }
            }
        }
        for w in [window, window.saturating_sub(1)] {
            let found = match Flow4::of(key) {
                Some(f) => uncount(
                    &mut self.open4,
                    &Key4::new(w, eni, &f, Action::Accept),
                    key.ip_len,
                ),
                None => uncount(
                    &mut self.open6,
                    &RecordKey::new(w, eni, key, Action::Accept),
                    key.ip_len,
                ),
            };
            if found {
                return true;
            }
        }
        false
    }

    /// Write every record still open and flush. Safe to call more than once.
    pub fn finish(&mut self) -> io::Result<()> {
        self.write_windows_before(u64::MAX)?;
        self.out.flush()
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// Count one IPv4 packet for record `k` (see `recent`).
    #[inline]
    fn count4(&mut self, k: Key4, bytes: u16, second: u8) {
        let set = k.set(self.recent_shift);
        if let Some([a, b]) = self.recent.get_mut(set..set + 2) {
            if a.0 == k {
                a.1.add(bytes, second);
                return;
            }
            if b.0 == k {
                b.1.add(bytes, second);
                return;
            }
        }
        self.count4_missed(set, k, bytes, second);
    }

    /// [`FlowLog::count4`] of a record not in its set: it takes the set's first
    /// way, whose record moves to the second, whose record goes to `open4`
    /// (first in, first out). Out of line: the commonest case, a hit, then
    /// keeps its few values in registers.
    #[inline(never)]
    fn count4_missed(&mut self, set: usize, k: Key4, bytes: u16, second: u8) {
        let fresh = Counters {
            packets: 1,
            bytes: u64::from(bytes),
            first_s: second,
            last_s: second,
        };
        let Some(ways) = self.recent.get_mut(set..set + 2) else {
            count(&mut self.open4, k, bytes, second);
            return;
        };
        let first = std::mem::replace(&mut ways[0], (k, fresh));
        let (old, c) = std::mem::replace(&mut ways[1], first);
        if old != EMPTY_SLOT.0 {
            merge(&mut self.open4, old, c);
        }
    }

    /// Move the recent records `which` picks into `open4`.
    fn merge_recent(&mut self, which: impl Fn(&Key4) -> bool) {
        for slot in &mut self.recent {
            if slot.0 != EMPTY_SLOT.0 && which(&slot.0) {
                let (k, c) = std::mem::replace(slot, EMPTY_SLOT);
                merge(&mut self.open4, k, c);
            }
        }
    }

    fn write_windows_before(&mut self, window: u64) -> io::Result<()> {
        self.merge_recent(|k| k.window() < window);
        if let Some(r) = self.write_closed4(window) {
            return r;
        }
        self.write_closed(window)
    }

    /// Write the records of windows before `window`, whatever their keys:
    /// sorted as `RecordKey`s (see [`sorted`]), each line by [`line`]. The
    /// windows' recent records must be in the tables (`merge_recent`).
    fn write_closed(&mut self, window: u64) -> io::Result<()> {
        let closed: Vec<(RecordKey, Counters)> = self
            .open4
            .iter()
            .filter(|(k, _)| k.window() < window)
            .map(|(k, c)| (k.record_key(), *c))
            .chain(
                self.open6
                    .iter()
                    .filter(|(k, _)| k.window < window)
                    .map(|(k, c)| (*k, *c)),
            )
            .collect();
        if closed.is_empty() {
            return Ok(());
        }
        self.open4.retain(|k, _| k.window() >= window);
        self.open6.retain(|k, _| k.window >= window);
        let order = sorted(&closed);
        if self.written.len() < self.eni_ids.len() {
            self.written
                .resize(self.eni_ids.len(), FlowLogCounts::default());
        }
        for (k, c) in order.into_iter().filter_map(|i| closed.get(i as usize)) {
            let eni = match self.eni_ids.get(k.eni.ix()) {
                Some(id) => {
                    self.written[k.eni.ix()].add(k.action, c.packets);
                    id.as_str()
                }
                None => {
                    self.written_unknown.add(k.action, c.packets);
                    UNKNOWN_ENI
                }
            };
            line(&mut self.text, &self.account_id, eni, k, c);
            self.line_written()?;
        }
        self.write_text()
    }

    /// Count the line just added to `text`, and write `text` out once it
    /// holds a chunk.
    #[inline]
    fn line_written(&mut self) -> io::Result<()> {
        self.lines += 1;
        if self.text.len() >= TEXT_CHUNK {
            return self.write_text();
        }
        Ok(())
    }

    /// Write out what `text` holds (it is emptied even if writing fails).
    fn write_text(&mut self) -> io::Result<()> {
        let r = self.out.write_all(&self.text);
        self.text.clear();
        r
    }
}

/// The indices of `closed` in the order of their keys (keys are distinct: they
/// come from a map). When every address is IPv4, as in most runs, each key is
/// packed into one integer whose order is [`RecordKey`]'s derived `Ord` (field
/// by field; `Addr`s as (v6, bits), all `v6 = false` here): the window as its
/// offset from the earliest one and the ENI index take only the bits their
/// largest value needs, then 32-bit addresses, 16-bit ports, the protocol and
/// the action. At 185,000 records sorting by `RecordKey`, moving 128-byte
/// records, took 176 M instructions; a (u128, index) pair compares and moves
/// in a few. If the fields do not fit in 128 bits they are sorted as keys.
fn sorted(closed: &[(RecordKey, Counters)]) -> Vec<u32> {
    let bits = |max: u64| 64 - max.leading_zeros();
    let v4 = !closed.iter().any(|(k, _)| k.src.v6 || k.dst.v6);
    let first = closed.iter().map(|(k, _)| k.window).min().unwrap_or(0);
    let last = closed.iter().map(|(k, _)| k.window).max().unwrap_or(0);
    let enis = closed.iter().map(|(k, _)| k.eni.0).max().unwrap_or(0);
    // Below the window and the ENI: 32 + 32 + 16 + 16 + 8 + 1 bits.
    const LOW: u32 = 105;
    let eni_bits = bits(u64::from(enis));
    if !v4 || bits(last - first) + eni_bits + LOW > 128 {
        let mut order: Vec<u32> = (0..closed.len() as u32).collect();
        order.sort_unstable_by_key(|&i| closed[i as usize].0);
        return order;
    }
    let packed = |k: &RecordKey| {
        // `checked_shl`: a shift by all 128 bits (no window bits, ENI
        // bits filling the rest) gives 0, as that part is 0.
        u128::from(k.window - first)
            .checked_shl(LOW + eni_bits)
            .unwrap_or(0)
            | u128::from(k.eni.0) << LOW
            | u128::from(k.src.bits as u32) << 73
            | u128::from(k.dst.bits as u32) << 41
            | u128::from(k.src_port) << 25
            | u128::from(k.dst_port) << 9
            | u128::from(k.protocol) << 1
            | k.action as u128
    };
    let mut keyed: Vec<(u128, u32)> = closed
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (packed(k), i as u32))
        .collect();
    keyed.sort_unstable_by_key(|&(key, _)| key);
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// `interface-id` of an ENI index without one.
const UNKNOWN_ENI: &str = "eni-unknown";

/// One record's line, formatted by hand (`write!` spent about 4,000
/// instructions a line on its formatting machinery; this is a few hundred).
fn line(b: &mut Vec<u8>, account_id: &str, eni: &str, k: &RecordKey, c: &Counters) {
    let window_start_s = k.window * (WINDOW_NS / 1_000_000_000);
    let mut num = itoa::Buffer::new();
    b.extend_from_slice(b"2 ");
    b.extend_from_slice(account_id.as_bytes());
    b.push(b' ');
    b.extend_from_slice(eni.as_bytes());
    b.push(b' ');
    addr(b, k.src);
    b.push(b' ');
    addr(b, k.dst);
    for n in [
        u64::from(k.src_port),
        u64::from(k.dst_port),
        u64::from(k.protocol),
        c.packets,
        c.bytes,
        EPOCH_BASE_S + window_start_s + u64::from(c.first_s),
        EPOCH_BASE_S + window_start_s + u64::from(c.last_s),
    ] {
        b.push(b' ');
        b.extend_from_slice(num.format(n).as_bytes());
    }
    b.push(b' ');
    b.extend_from_slice(k.action.as_str().as_bytes());
    b.extend_from_slice(b" OK\n");
}

/// An address as `IpAddr`'s `Display` writes it (dotted quad; IPv6 by `Display`
/// itself: rare, and its zero compression is not worth repeating).
fn addr(b: &mut Vec<u8>, a: Addr) {
    if a.v6 {
        // Writing to a Vec cannot fail.
        let _ = write!(b, "{}", a.ip());
        return;
    }
    // Four octets by hand: a third of what `itoa` took per address here.
    let mut text = [0u8; 15];
    let mut n = 0;
    for (i, o) in (a.bits as u32).to_be_bytes().into_iter().enumerate() {
        if i > 0 {
            text[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            text[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            text[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        text[n] = b'0' + o % 10;
        n += 1;
    }
    b.extend_from_slice(&text[..n]);
}

/// Whole seconds since the start of the window of `time_ns` (0 to 59).
#[inline]
fn second_in_window(time_ns: u64) -> u8 {
    ((time_ns % WINDOW_NS) / 1_000_000_000) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::FragmentKind;

    fn key(src: &str, dst: &str, sport: u16, dport: u16, len: u16) -> FlowKey {
        FlowKey {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            protocol: 6,
            src_port: sport,
            dst_port: dport,
            icmp_type: 0,
            icmp_code: 0,
            icmp_id: 0,
            tcp_flags: 0,
            fragment: FragmentKind::Whole,
            dont_fragment: true,
            ip_len: len,
        }
    }

    fn text(log: FlowLog<Vec<u8>>) -> String {
        String::from_utf8(log.into_inner()).unwrap()
    }

    #[test]
    fn aggregates_per_window_and_action() {
        let mut log = FlowLog::new(
            Vec::new(),
            DEFAULT_ACCOUNT_ID,
            vec!["eni-a".into(), "eni-b".into()],
        );
        let k = key("10.0.1.5", "10.0.2.7", 40000, 5432, 60);
        let s = 1_000_000_000u64;
        log.record(s, EniIdx(0), &k, Action::Accept).unwrap();
        log.record(2 * s, EniIdx(0), &k, Action::Accept).unwrap();
        log.record(2 * s, EniIdx(1), &k, Action::Reject).unwrap();
        // The next window keeps the first open (late reports may still land there)…
        log.record(61 * s, EniIdx(0), &k, Action::Accept).unwrap();
        log.record(59 * s, EniIdx(1), &k, Action::Reject).unwrap();
        assert_eq!(log.lines(), 0);
        // …the one after closes it.
        log.record(125 * s, EniIdx(1), &k, Action::Accept).unwrap();
        assert_eq!(log.lines(), 2);
        log.finish().unwrap();
        let t = text(log);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines,
            vec![
                "2 123456789012 eni-a 10.0.1.5 10.0.2.7 40000 5432 6 2 120 1700000001 1700000002 ACCEPT OK",
                "2 123456789012 eni-b 10.0.1.5 10.0.2.7 40000 5432 6 2 120 1700000002 1700000059 REJECT OK",
                "2 123456789012 eni-a 10.0.1.5 10.0.2.7 40000 5432 6 1 60 1700000061 1700000061 ACCEPT OK",
                "2 123456789012 eni-b 10.0.1.5 10.0.2.7 40000 5432 6 1 60 1700000125 1700000125 ACCEPT OK",
            ]
        );
    }

    /// A log whose recent-records cache has `slots` slots (a power of two).
    fn with_recent_slots(mut log: FlowLog<Vec<u8>>, slots: usize) -> FlowLog<Vec<u8>> {
        log.recent = vec![EMPTY_SLOT; slots];
        log.recent_shift = 64 - slots.max(2).trailing_zeros();
        log
    }

    /// Issue #18: IPv4 records counted aside in the recent-records cache
    /// (`recent`) and merged into the table later write the same log as counting
    /// every packet in the table: random packets of a few records on a few
    /// ENIs, both actions, IPv6 among them, retractions, late reports and
    /// windows closing; with caches small enough for records to evict each
    /// other all the time (one set of two slots, two sets), and with one where
    /// few collide.
    #[test]
    fn records_counted_aside_write_the_same_log() {
        let keys = [
            key("10.0.1.5", "10.0.2.7", 40000, 5432, 60),
            key("10.0.2.7", "10.0.1.5", 5432, 40000, 1500),
            key("10.0.1.6", "10.0.2.7", 40001, 5432, 200),
            key("10.0.1.5", "10.0.2.8", 40000, 53, 90),
            key("2600:1f18::5", "2600:1f18:0:1::7", 40000, 5432, 80),
        ];
        let ids = || vec!["eni-a".into(), "eni-b".into(), "eni-c".into()];
        for slots in [2, 4, 256] {
            let log = || FlowLog::new(Vec::new(), DEFAULT_ACCOUNT_ID, ids());
            let mut aside = with_recent_slots(log(), slots);
            // Every packet straight into the table.
            let mut table = log().for_flows(0);
            assert!(table.recent.is_empty());
            let mut rng = crate::rng::SplitMix64::new(18);
            let mut t = 0u64;
            let (mut retracted, mut hits, mut evictions) = (0, 0, 0);
            for _ in 0..20_000 {
                let r = rng.next_u64();
                // Mostly forward, sometimes a late report up to 2 s back.
                t = match r % 16 {
                    0 => t.saturating_sub(r % 2_000_000_000),
                    _ => t + r % 200_000_000,
                };
                // ENI 3 has no id.
                let eni = EniIdx(((r >> 16) % 4) as u32);
                // Mostly the ENI's own record (a sender's flow), sometimes any.
                let k = match (r >> 8) % 8 {
                    0..=5 => &keys[eni.ix()],
                    _ => &keys[((r >> 40) % 5) as usize],
                };
                let action = if (r >> 24) % 5 == 0 {
                    Action::Reject
                } else {
                    Action::Accept
                };
                if (r >> 32) % 7 == 0 {
                    let (a, b) = (
                        aside.retract_accept(t, eni, k),
                        table.retract_accept(t, eni, k),
                    );
                    assert_eq!(a, b);
                    retracted += usize::from(a);
                } else {
                    if let Some(f) = Flow4::of(k) {
                        let k = Key4::new(t / WINDOW_NS, eni, &f, action);
                        let set = k.set(aside.recent_shift);
                        let ways = &aside.recent[set..set + 2];
                        if ways.iter().any(|(cached, _)| *cached == k) {
                            hits += 1;
                        } else if ways[1].0 != EMPTY_SLOT.0 {
                            evictions += 1;
                        }
                    }
                    aside.record(t, eni, k, action).unwrap();
                    table.record(t, eni, k, action).unwrap();
                }
            }
            aside.finish().unwrap();
            table.finish().unwrap();
            assert!(
                retracted > 100 && hits > 1000 && (slots > 4 || evictions > 100),
                "{slots}: {retracted} {hits} {evictions}"
            );
            assert_eq!(aside.lines(), table.lines());
            assert!(aside.lines() > 50, "{}", aside.lines());
            assert_eq!(aside.counts_by_eni(), table.counts_by_eni());
            assert_eq!(text(aside), text(table));
        }
    }

    /// What the run hands `report.html` equals reading the written log back,
    /// IPv6 lines, unknown ENIs and an ENI id used twice included.
    #[test]
    fn counts_kept_while_writing_equal_the_file_read_back() {
        let ids = vec![
            "eni-a".into(),
            "eni-b".into(),
            "eni-a".into(),
            "eni-c".into(),
        ];
        let mut log = FlowLog::new(Vec::new(), DEFAULT_ACCOUNT_ID, ids);
        let v4 = key("10.0.1.5", "10.0.2.7", 40000, 5432, 60);
        let v6 = key("2600:1f18::5", "2600:1f18:0:1::7", 40000, 5432, 80);
        let s = 1_000_000_000u64;
        for (t, eni, k, a) in [
            (s, 0, &v4, Action::Accept),
            (2 * s, 0, &v4, Action::Accept),
            (2 * s, 1, &v6, Action::Reject),
            (3 * s, 2, &v6, Action::Accept),
            (70 * s, 1, &v4, Action::Accept),
            (200 * s, 9, &v4, Action::Reject),
        ] {
            log.record(t, EniIdx(eni), k, a).unwrap();
        }
        log.finish().unwrap();
        let kept = log.counts_by_eni();
        let t = text(log);
        assert!(t.contains(" 2600:1f18::5 2600:1f18:0:1::7 ") && t.contains(" eni-unknown "));
        let read = crate::output::report_html::inputs::count_flow_log(t.as_bytes()).unwrap();
        assert_eq!(kept, read);
        assert_eq!(kept["eni-a"].accept_records, 2);
        assert!(!kept.contains_key("eni-c"));
    }

    #[test]
    fn retracted_accept_disappears_or_shrinks() {
        let mut log = FlowLog::new(Vec::new(), DEFAULT_ACCOUNT_ID, vec!["eni-a".into()]);
        let k = key("10.0.1.5", "10.0.2.7", 40000, 5432, 60);
        let other = key("10.0.1.5", "10.0.2.7", 40001, 5432, 60);
        log.record(1, EniIdx(0), &k, Action::Accept).unwrap();
        log.record(1, EniIdx(0), &k, Action::Accept).unwrap();
        log.record(2, EniIdx(0), &other, Action::Accept).unwrap();
        // Reported a little later, in the next window: the previous is still open.
        assert!(log.retract_accept(WINDOW_NS + 5, EniIdx(0), &k));
        assert!(log.retract_accept(3, EniIdx(0), &other));
        assert!(!log.retract_accept(3, EniIdx(0), &other));
        log.record(3, EniIdx(0), &other, Action::Reject).unwrap();
        log.finish().unwrap();
        assert_eq!(
            text(log),
            "2 123456789012 eni-a 10.0.1.5 10.0.2.7 40000 5432 6 1 60 1700000000 1700000000 ACCEPT OK\n\
             2 123456789012 eni-a 10.0.1.5 10.0.2.7 40001 5432 6 1 60 1700000000 1700000000 REJECT OK\n"
        );
    }

    #[test]
    fn output_is_sorted_whatever_the_arrival_order() {
        let run = |order: &[usize]| {
            let keys = [
                key("10.0.0.9", "10.0.0.1", 1, 2, 40),
                key("10.0.0.1", "10.0.0.9", 2, 1, 40),
                key("10.0.0.1", "10.0.0.9", 3, 1, 40),
            ];
            let mut log = FlowLog::new(Vec::new(), "111122223333", vec!["eni-a".into()]);
            for &i in order {
                log.record(10, EniIdx(0), &keys[i], Action::Accept).unwrap();
            }
            log.finish().unwrap();
            text(log)
        };
        let a = run(&[0, 1, 2]);
        assert_eq!(a, run(&[2, 0, 1]));
        assert!(a.starts_with("2 111122223333 eni-a 10.0.0.1 10.0.0.9 2 1 "));
        assert_eq!(a.lines().count(), 3);
    }

    #[test]
    fn ipv4_records_sort_before_ipv6_ones_and_seconds_stay_exact() {
        let mut log = FlowLog::new(Vec::new(), DEFAULT_ACCOUNT_ID, vec!["eni-a".into()]);
        let mut k6 = key("2600:1f18::5", "2600:1f18::7", 1, 2, 100);
        k6.protocol = 17;
        let k4 = key("10.0.0.1", "10.0.0.2", 1, 2, 50);
        let w = 3 * WINDOW_NS;
        log.record(w + 59_999_999_999, EniIdx(0), &k6, Action::Accept)
            .unwrap();
        log.record(w + 7_500_000_000, EniIdx(0), &k4, Action::Accept)
            .unwrap();
        log.record(w + 1_000_000_000, EniIdx(0), &k4, Action::Accept)
            .unwrap();
        log.finish().unwrap();
        assert_eq!(
            text(log),
            "2 123456789012 eni-a 10.0.0.1 10.0.0.2 1 2 6 2 100 1700000181 1700000187 ACCEPT OK\n\
             2 123456789012 eni-a 2600:1f18::5 2600:1f18::7 1 2 17 1 100 1700000239 1700000239 ACCEPT OK\n"
        );
    }

    /// The packed-integer order of IPv4 records is `RecordKey`'s own: keys that
    /// tie on every field but one, for each field, and values at the edges of
    /// each packed part; with windows and ENIs that fit beside the rest, and
    /// with ones that do not (sorted as keys).
    #[test]
    fn ipv4_records_sort_as_their_keys_do() {
        let mut rng = crate::rng::SplitMix64::new(18);
        let v4 = |bits: u64| Addr {
            v6: false,
            bits: u128::from(bits as u32),
        };
        let counters = Counters {
            packets: 1,
            bytes: 1,
            first_s: 0,
            last_s: 0,
        };
        let fits: (&[u64], &[u64]) = (&[7, 8, 1000], &[0, 1, (1 << 22) - 1]);
        let wide: (&[u64], &[u64]) = (&[0, 1, u64::MAX / WINDOW_NS], &[0, 1, u64::from(u32::MAX)]);
        let single: (&[u64], &[u64]) = (&[3], &[(1 << 23) - 1, 5]);
        for (windows, enis) in [fits, wide, single] {
            let mut pick = |values: &[u64]| values[(rng.next_u64() % values.len() as u64) as usize];
            let mut seen = std::collections::BTreeSet::new();
            let mut closed = Vec::new();
            for _ in 0..4000 {
                let k = RecordKey {
                    window: pick(windows),
                    eni: EniIdx(pick(enis) as u32),
                    src: v4(pick(&[0, 1, 0x0a00_0001, 0xffff_ffff])),
                    dst: v4(pick(&[0, 0x0a00_0002, 0x8000_0000, 0xffff_ffff])),
                    src_port: pick(&[0, 1, 65535]) as u16,
                    dst_port: pick(&[0, 443, 65535]) as u16,
                    protocol: pick(&[1, 6, 17, 255]) as u8,
                    action: if pick(&[0, 1]) == 0 {
                        Action::Accept
                    } else {
                        Action::Reject
                    },
                };
                if seen.insert(k) {
                    closed.push((k, counters));
                }
            }
            assert!(closed.len() > 1000, "{}", closed.len());
            let order: Vec<RecordKey> = sorted(&closed)
                .into_iter()
                .map(|i| closed[i as usize].0)
                .collect();
            assert_eq!(
                order,
                seen.into_iter().collect::<Vec<_>>(),
                "{windows:?} {enis:?}"
            );
        }
    }

    #[test]
    fn ipv4_addresses_are_written_as_display_writes_them() {
        for bits in [
            0u32,
            0x0909_0909,
            0x0a0a_0a0a,
            0x6363_6363,
            0x6464_6464,
            0xffff_ffff,
            0x0a00_01fe,
        ] {
            let mut b = Vec::new();
            addr(
                &mut b,
                Addr {
                    v6: false,
                    bits: u128::from(bits),
                },
            );
            assert_eq!(
                String::from_utf8(b).unwrap(),
                std::net::Ipv4Addr::from(bits).to_string()
            );
        }
    }

    #[test]
    fn ipv6_and_finish_twice() {
        let mut log = FlowLog::new(Vec::new(), DEFAULT_ACCOUNT_ID, vec!["eni-a".into()]);
        let mut k = key("2600:1f18::5", "2600:1f18::7", 0, 0, 104);
        k.protocol = 58;
        log.record(0, EniIdx(0), &k, Action::Reject).unwrap();
        log.finish().unwrap();
        log.finish().unwrap();
        assert_eq!(
            text(log),
            "2 123456789012 eni-a 2600:1f18::5 2600:1f18::7 0 0 58 1 104 1700000000 1700000000 REJECT OK\n"
        );
    }
}
