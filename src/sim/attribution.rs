//! Which flow a dropped (or billed) frame belongs to, by its addresses and ports
//! (either direction), or — for an ICMP error — by the packet it quotes. Billing
//! asks for every frame that crossed a billable segment, so the common frame is
//! read straight from its header bytes and found in a hash table: one lookup,
//! no allocation. Frames a NAT
//! gateway translated carry its public address and port: the fabric names the
//! private endpoint behind them ([`Attribution::learn_translation`]). A non-first
//! IPv4 fragment carries no ports: it belongs to the flow of its datagram's first
//! fragment, found by the identification they share
//! ([`Attribution::classify_drop`]).

use super::Fabric;
use crate::host::packet::split_ip;
use crate::host::FlowPlan;
use crate::model::{proto, FlowIdx, FlowKind};
use crate::policy::conntrack::FxBuild;
use crate::wire::ETHERNET_HEADER_LEN;
use smoltcp::wire::Ipv4Packet;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// A flow's identity in one direction: (source, destination, protocol, source
/// port, destination port). Billing looks one up for every billable frame, so the
/// table is a hash map, and the key hashes as three integers (the derived hash of
/// `IpAddr` feeds its octets through the hasher's byte loop); equality and order
/// are the tuple's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key(IpAddr, IpAddr, u8, u16, u16);

impl Hash for Key {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        fn bits(a: IpAddr) -> u128 {
            match a {
                IpAddr::V4(a) => u32::from(a).into(),
                IpAddr::V6(a) => a.into(),
            }
        }
        h.write_u128(bits(self.0));
        h.write_u128(bits(self.1));
        h.write_u64(u64::from(self.2) << 32 | u64::from(self.3) << 16 | u64::from(self.4));
    }
}

/// What ties an IPv4 datagram's fragments together, as for reassembly (RFC 791):
/// source, destination, protocol, identification.
type FragmentId = ([u8; 4], [u8; 4], u8, u16);

/// Most first fragments remembered at once (all are forgotten when it is
/// reached): identifications are reused after 65,536 datagrams anyway, and a
/// datagram's fragments are dropped within moments of each other.
const FRAGMENT_IDS: usize = 4096;

/// What a dropped frame was, relative to a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropKind {
    /// A packet of the flow itself (either direction).
    Packet,
    /// A TCP RST of the flow (either direction): not the flow's data, counted
    /// apart (`dropped_resets`).
    Reset,
    /// An ICMP "fragmentation needed"/"packet too big" about the flow's packets.
    PacketTooBig,
    /// Another ICMP error about the flow's packets.
    IcmpError,
}

/// Lookup tables built once per run.
#[derive(Debug, Default)]
pub struct Attribution {
    exact: HashMap<Key, FlowIdx, FxBuild>,
    /// (src, dst, protocol, 0, 0) for fragments without ports; `None` when
    /// ambiguous. Hashed (only looked up): with 100,000 flows a B-tree cost
    /// 143 M instructions to build before the first event.
    by_addresses: HashMap<Key, Option<FlowIdx>, FxBuild>,
    /// The flow of each dropped first fragment, for the datagram's other fragments.
    first_fragments: BTreeMap<FragmentId, FlowIdx>,
}

impl Attribution {
    pub fn new(plans: &[FlowPlan]) -> Self {
        let mut a = Attribution::default();
        // Two keys a flow (not so `by_addresses`: flows between the same two
        // hosts share its keys, and sizing it for two a flow cost 10 MB of peak
        // memory at 100,000 flows).
        a.exact.reserve(2 * plans.len());
        for p in plans {
            let protocol = match (p.kind, p.dst_ip) {
                (FlowKind::Ping, IpAddr::V4(_)) => proto::ICMP,
                (FlowKind::Ping, IpAddr::V6(_)) => proto::ICMPV6,
                (FlowKind::Udp, _) => proto::UDP,
                (FlowKind::Tcp, _) => proto::TCP,
            };
            let (sport, dport) = match p.kind {
                FlowKind::Ping => (p.local_port, p.local_port),
                _ => (p.local_port, p.port),
            };
            a.exact
                .insert(Key(p.src_ip, p.dst_ip, protocol, sport, dport), p.flow);
            a.exact
                .insert(Key(p.dst_ip, p.src_ip, protocol, dport, sport), p.flow);
            for k in [
                Key(p.src_ip, p.dst_ip, protocol, 0, 0),
                Key(p.dst_ip, p.src_ip, protocol, 0, 0),
            ] {
                a.by_addresses
                    .entry(k)
                    .and_modify(|v| {
                        if *v != Some(p.flow) {
                            *v = None
                        }
                    })
                    .or_insert(Some(p.flow));
            }
        }
        a
    }

    /// Also recognise the flows' frames after 1:1 NAT between each `(private,
    /// public)` pair (an internet gateway translating an instance's address):
    /// a flow planned with the private address is also found by the public one
    /// (its frames out on the internet), and one planned with the public address
    /// (a flow from the internet) by the private one (its frames inside the VPC).
    /// One pass over the flows, however many addresses are translated.
    pub fn alias(&mut self, pairs: &[(IpAddr, IpAddr)]) {
        if pairs.is_empty() {
            return;
        }
        let mut other: BTreeMap<IpAddr, IpAddr> = BTreeMap::new();
        for &(private, public) in pairs {
            other.insert(private, public);
            other.insert(public, private);
        }
        // In key order (as when the table was a B-tree): the first flow to claim
        // an aliased identity keeps it, the same one on every run.
        let mut entries: Vec<(Key, FlowIdx)> = self.exact.iter().map(|(&k, &f)| (k, f)).collect();
        entries.sort_unstable_by_key(|&(k, _)| k);
        let mut extra: Vec<(Key, FlowIdx)> = Vec::new();
        for (Key(s, d, p, sp, dp), f) in entries {
            let (s2, d2) = (other.get(&s).copied(), other.get(&d).copied());
            if let Some(s2) = s2 {
                extra.push((Key(s2, d, p, sp, dp), f));
            }
            if let Some(d2) = d2 {
                extra.push((Key(s, d2, p, sp, dp), f));
            }
            if let (Some(s2), Some(d2)) = (s2, d2) {
                extra.push((Key(s2, d2, p, sp, dp), f));
            }
        }
        for (k, f) in extra {
            self.exact.entry(k).or_insert(f);
        }
    }

    /// The flow an Ethernet frame belongs to.
    pub fn classify(&self, frame: &[u8]) -> Option<(FlowIdx, DropKind)> {
        let ip = frame.get(ETHERNET_HEADER_LEN..)?;
        if let Some(key) = plain_ipv4_key(ip) {
            return self.exact.get(&key.0).map(|&f| (f, key.1));
        }
        self.classify_ip(ip)
    }

    /// [`Attribution::classify`] for any IP packet (the general path).
    fn classify_ip(&self, ip: &[u8]) -> Option<(FlowIdx, DropKind)> {
        match split_ip(ip) {
            Some((_, _, protocol @ (proto::ICMP | proto::ICMPV6), l4))
                if is_error(protocol, l4) =>
            {
                let kind = if is_too_big(protocol, l4) {
                    DropKind::PacketTooBig
                } else {
                    DropKind::IcmpError
                };
                self.lookup(l4.get(8..)?).map(|f| (f, kind))
            }
            Some((_, _, proto::TCP, l4)) if l4.get(13).is_some_and(|f| f & 0x04 != 0) => {
                self.lookup(ip).map(|f| (f, DropKind::Reset))
            }
            _ => self.lookup(ip).map(|f| (f, DropKind::Packet)),
        }
    }

    /// [`Attribution::classify`] for a frame being dropped, which also ties IPv4
    /// fragments together: a first fragment's flow is remembered under its
    /// [`FragmentId`], and a later fragment no address entry names (one a NAT
    /// gateway translated: its public address and no port) takes that flow.
    pub fn classify_drop(&mut self, frame: &[u8]) -> Option<(FlowIdx, DropKind)> {
        let found = self.classify(frame);
        self.follow_fragments(frame, found)
    }

    /// [`Attribution::learn_translation`] then [`Attribution::classify_drop`], with
    /// one table lookup when the frame's identity is known (the common case): what
    /// billing asks for every frame that crossed a billable segment.
    #[inline]
    pub fn attribute(&mut self, frame: &[u8], fabric: &dyn Fabric) -> Option<(FlowIdx, DropKind)> {
        // A plain datagram of a known identity (nearly every billed frame) is no
        // fragment and needs no translation learned: found with one lookup.
        let plain = frame.get(ETHERNET_HEADER_LEN..).and_then(plain_ipv4_key);
        if let Some(&f) = plain.and_then(|(key, _)| self.exact.get(&key)) {
            return plain.map(|(_, kind)| (f, kind));
        }
        let found = match self.classify(frame) {
            Some(found) => Some(found),
            None => {
                self.learn_translation(frame, fabric);
                self.classify(frame)
            }
        };
        self.follow_fragments(frame, found)
    }

    /// The fragment half of [`Attribution::classify_drop`], given what
    /// [`Attribution::classify`] found.
    #[inline]
    fn follow_fragments(
        &mut self,
        frame: &[u8],
        found: Option<(FlowIdx, DropKind)>,
    ) -> Option<(FlowIdx, DropKind)> {
        let Some((id, first)) = fragment_id(frame) else {
            return found;
        };
        match found {
            Some((flow, _)) if first => {
                if self.first_fragments.len() >= FRAGMENT_IDS {
                    self.first_fragments.clear();
                }
                self.first_fragments.insert(id, flow);
                found
            }
            None if !first => self
                .first_fragments
                .get(&id)
                .map(|&flow| (flow, DropKind::Packet)),
            _ => found,
        }
    }

    /// Called for a frame about to be dropped, before [`Attribution::classify`]:
    /// when no flow owns its identity (or, for an ICMP error, the quoted one's),
    /// ask `fabric` whether one end is a NAT gateway's public (address, port), and
    /// if the private endpoint behind it belongs to a flow, remember the
    /// translated identity for that flow (both directions). Drops are rare, so
    /// this costs nothing on the forwarding path; entries are bounded by the
    /// translated flows.
    pub fn learn_translation(&mut self, frame: &[u8], fabric: &dyn Fabric) {
        if self.classify(frame).is_some() {
            return;
        }
        let Some(ip) = frame.get(ETHERNET_HEADER_LEN..) else {
            return;
        };
        let packet = match split_ip(ip) {
            Some((_, _, p @ (proto::ICMP | proto::ICMPV6), l4)) if is_error(p, l4) => l4.get(8..),
            _ => Some(ip),
        };
        let Some((src, dst, protocol, l4)) = packet.and_then(split_ip) else {
            return;
        };
        let Some((sport, dport)) = ports(protocol, l4) else {
            return;
        };
        let icmp = matches!(protocol, proto::ICMP | proto::ICMPV6);
        // NAT instances may translate a translated packet again (one masquerading
        // what another already masqueraded, up to a routing loop between them that
        // TTL ends): peel one translation at a time until a flow owns the identity.
        // A packet meets at most 255 translations (one per forwarding hop, each
        // lowering its TTL), and a mapping that leads back to itself ends the search.
        let mut at = (src, dst, sport, dport);
        for _ in 0..MAX_TRANSLATIONS {
            let Some(next) = untranslate_once(fabric, at, protocol, icmp) else {
                return;
            };
            if next == at {
                return;
            }
            if let Some(&f) = self
                .exact
                .get(&Key(next.0, next.1, protocol, next.2, next.3))
            {
                self.exact.insert(Key(src, dst, protocol, sport, dport), f);
                self.exact.insert(Key(dst, src, protocol, dport, sport), f);
                return;
            }
            at = next;
        }
    }

    fn lookup(&self, ip: &[u8]) -> Option<FlowIdx> {
        match split_ip(ip) {
            Some((src, dst, protocol, l4)) => match ports(protocol, l4) {
                Some((s, d)) => self.exact.get(&Key(src, dst, protocol, s, d)).copied(),
                None => self
                    .by_addresses
                    .get(&Key(src, dst, protocol, 0, 0))
                    .copied()
                    .flatten(),
            },
            // A non-first IPv4 fragment: addresses and protocol only.
            None => {
                if ip.first()? >> 4 != 4 || ip.len() < 20 {
                    return None;
                }
                let src = IpAddr::from([ip[12], ip[13], ip[14], ip[15]]);
                let dst = IpAddr::from([ip[16], ip[17], ip[18], ip[19]]);
                self.by_addresses
                    .get(&Key(src, dst, ip[9], 0, 0))
                    .copied()
                    .flatten()
            }
        }
    }
}

/// The most translations [`Attribution::learn_translation`] peels off one
/// packet: a packet crosses at most 255 routers (its TTL), each translating once.
const MAX_TRANSLATIONS: usize = 255;

/// One translation undone: (source, destination, source port, destination port)
/// as they were before the NAT (gateway, instance, internet gateway or
/// PrivateLink) that wrote one end of `at`; `None` when neither end is a
/// translated one.
fn untranslate_once(
    fabric: &dyn Fabric,
    (src, dst, sport, dport): (IpAddr, IpAddr, u16, u16),
    protocol: u8,
    icmp: bool,
) -> Option<(IpAddr, IpAddr, u16, u16)> {
    // PrivateLink translated both ends: the provider's side of a consumer's
    // request (from an NLB node) or of the target's reply (to one).
    let service = fabric
        .untranslate_service(src, protocol, sport)
        .map(|(c, cp, e, lp)| (c, e, cp, lp))
        .or_else(|| {
            fabric
                .untranslate_service(dst, protocol, dport)
                .map(|(c, cp, e, lp)| (e, c, lp, cp))
        });
    // The source translated (on its way out), or the destination (a reply).
    service.or_else(|| {
        fabric
            .untranslate(src, protocol, sport)
            .map(|(ip, p)| (ip, dst, p, if icmp { p } else { dport }))
            .or_else(|| {
                fabric
                    .untranslate(dst, protocol, dport)
                    .map(|(ip, p)| (src, ip, if icmp { p } else { sport }, p))
            })
    })
}

/// The identity of the common frame read straight from its bytes: a whole IPv4
/// datagram with a 20-byte header carrying TCP, UDP or an ICMP message that is
/// not an error, complete in the buffer; with what it is to its flow (a TCP RST
/// is a reset). `None` sends anything else down the general path
/// ([`split_ip`], which checks the same and more), with the same outcome for
/// these frames: this only spares billing a second header parse per frame.
#[inline]
fn plain_ipv4_key(ip: &[u8]) -> Option<(Key, DropKind)> {
    let h = ip.get(..20)?;
    if h[0] != 0x45 || h[6] & 0x3f != 0 || h[7] != 0 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if total > ip.len() {
        return None;
    }
    let l4 = ip.get(20..total)?;
    let src = IpAddr::from([h[12], h[13], h[14], h[15]]);
    let dst = IpAddr::from([h[16], h[17], h[18], h[19]]);
    let port = |i: usize| u16::from_be_bytes([l4[i], l4[i + 1]]);
    match h[9] {
        proto::TCP if l4.len() >= 14 => {
            let kind = if l4[13] & 0x04 != 0 {
                DropKind::Reset
            } else {
                DropKind::Packet
            };
            Some((Key(src, dst, proto::TCP, port(0), port(2)), kind))
        }
        proto::UDP if l4.len() >= 4 => Some((
            Key(src, dst, proto::UDP, port(0), port(2)),
            DropKind::Packet,
        )),
        proto::ICMP if l4.len() >= 6 && !is_error(proto::ICMP, l4) => {
            let id = port(4);
            Some((Key(src, dst, proto::ICMP, id, id), DropKind::Packet))
        }
        _ => None,
    }
}

/// An IPv4 fragment's [`FragmentId`], and whether it is the first (offset 0);
/// `None` for a whole datagram or anything else.
fn fragment_id(frame: &[u8]) -> Option<(FragmentId, bool)> {
    // Most frames are whole IPv4 datagrams or IPv6: told apart from fragments by
    // two header bytes, before the full parse.
    let ip = frame.get(ETHERNET_HEADER_LEN..)?;
    if ip.first()? >> 4 != 4 || ip.get(6..8)? == [0, 0] || ip.get(6..8)? == [0x40, 0] {
        return None;
    }
    let ip = Ipv4Packet::new_checked(frame.get(ETHERNET_HEADER_LEN..)?).ok()?;
    if !ip.more_frags() && ip.frag_offset() == 0 {
        return None;
    }
    let id = (
        ip.src_addr().octets(),
        ip.dst_addr().octets(),
        u8::from(ip.next_header()),
        ip.ident(),
    );
    Some((id, ip.frag_offset() == 0))
}

/// (source, destination) ports of TCP/UDP, or the echo identifier twice for ICMP.
fn ports(protocol: u8, l4: &[u8]) -> Option<(u16, u16)> {
    match protocol {
        proto::TCP | proto::UDP => l4.get(..4).map(|p| {
            (
                u16::from_be_bytes([p[0], p[1]]),
                u16::from_be_bytes([p[2], p[3]]),
            )
        }),
        proto::ICMP | proto::ICMPV6 => l4.get(4..6).map(|p| {
            let id = u16::from_be_bytes([p[0], p[1]]);
            (id, id)
        }),
        _ => None,
    }
}

fn is_error(protocol: u8, l4: &[u8]) -> bool {
    matches!(
        (protocol, l4.first()),
        (proto::ICMP, Some(3 | 11 | 12)) | (proto::ICMPV6, Some(1..=4))
    )
}

fn is_too_big(protocol: u8, l4: &[u8]) -> bool {
    match protocol {
        proto::ICMP => l4.first() == Some(&3) && l4.get(1) == Some(&4),
        _ => l4.first() == Some(&2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{icmpv4::DestUnreachableHeader, Icmpv4Type, PacketBuilder};
    use std::net::Ipv4Addr;

    const A: [u8; 4] = [10, 0, 0, 1];
    const B: [u8; 4] = [10, 0, 0, 2];

    fn plan() -> FlowPlan {
        FlowPlan {
            flow: FlowIdx(3),
            kind: FlowKind::Udp,
            src_host: 0,
            dst_host: 1,
            src_ip: IpAddr::V4(Ipv4Addr::from(A)),
            dst_ip: IpAddr::V4(Ipv4Addr::from(B)),
            port: 5001,
            local_port: 40000,
            size: 100,
            count: 1,
            bytes: 0,
            interval_ns: 1,
            start_ns: 0,
            df: true,
            request_response: None,
            flow_cap_bps: 0,
        }
    }

    fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ethernet2([2; 6], [4; 6])
            .ipv4(src, dst, 64)
            .udp(sport, dport)
            .write(&mut out, &[0u8; 20])
            .expect("build");
        out
    }

    #[test]
    fn both_directions_and_quoted_errors_map_to_the_flow() {
        let a = Attribution::new(&[plan()]);
        let fwd = udp(A, B, 40000, 5001);
        assert_eq!(a.classify(&fwd), Some((FlowIdx(3), DropKind::Packet)));
        assert_eq!(
            a.classify(&udp(B, A, 5001, 40000)),
            Some((FlowIdx(3), DropKind::Packet))
        );
        assert_eq!(a.classify(&udp(A, B, 40001, 5001)), None);
        let mut icmp = Vec::new();
        PacketBuilder::ethernet2([4; 6], [2; 6])
            .ipv4([169, 254, 0, 1], A, 64)
            .icmpv4(Icmpv4Type::DestinationUnreachable(
                DestUnreachableHeader::FragmentationNeeded { next_hop_mtu: 1500 },
            ))
            .write(&mut icmp, &fwd[14..14 + 28])
            .expect("build");
        assert_eq!(
            a.classify(&icmp),
            Some((FlowIdx(3), DropKind::PacketTooBig))
        );
        assert_eq!(a.classify(&[0u8; 10]), None);
    }

    /// A fabric whose NAT maps public 54.0.0.5:1024 to 10.0.0.1:40000.
    struct Nat;

    impl Fabric for Nat {
        fn forward(
            &mut self,
            _: u64,
            _: crate::sim::Attachment,
            _: Vec<u8>,
            _: &mut Vec<crate::sim::FabricAction>,
        ) {
        }
        fn untranslate(&self, public: IpAddr, _: u8, port: u16) -> Option<(IpAddr, u16)> {
            (public == IpAddr::from([54, 0, 0, 5]) && port == 1024)
                .then_some((IpAddr::from(A), 40000))
        }
    }

    #[test]
    fn the_plain_ipv4_shortcut_agrees_with_the_general_path() {
        let tcp_plan = FlowPlan {
            flow: FlowIdx(4),
            kind: FlowKind::Tcp,
            ..plan()
        };
        let a = Attribution::new(&[plan(), tcp_plan.clone()]);
        let tcp = |flags: u8, payload: usize| {
            let mut out = Vec::new();
            let b = PacketBuilder::ethernet2([2; 6], [4; 6])
                .ipv4(A, B, 64)
                .tcp(40000, 5001, 1, 1000);
            let b = if flags & 0x04 != 0 { b.rst() } else { b.ack(1) };
            b.write(&mut out, &vec![0u8; payload]).expect("build");
            out
        };
        let echo = {
            let mut out = Vec::new();
            PacketBuilder::ethernet2([2; 6], [4; 6])
                .ipv4(A, B, 64)
                .icmpv4_echo_request(40000, 1)
                .write(&mut out, &[0u8; 8])
                .expect("build");
            out
        };
        let error = {
            let mut out = Vec::new();
            PacketBuilder::ethernet2([4; 6], [2; 6])
                .ipv4(B, A, 64)
                .icmpv4(Icmpv4Type::DestinationUnreachable(
                    DestUnreachableHeader::FragmentationNeeded { next_hop_mtu: 1500 },
                ))
                .write(&mut out, &udp(A, B, 40000, 5001)[14..14 + 28])
                .expect("build");
            out
        };
        let mut padded = udp(A, B, 40000, 5001);
        padded.extend_from_slice(&[0u8; 30]);
        let mut truncated = udp(A, B, 40000, 5001);
        truncated.truncate(40);
        let mut short_total = udp(A, B, 40000, 5001);
        short_total[ETHERNET_HEADER_LEN + 3] = 22; // total length 22: 2 bytes of UDP
        let mut fragment = udp(A, B, 40000, 5001);
        fragment[ETHERNET_HEADER_LEN + 6] = 0x20; // more fragments, offset 0
        let frames = [
            udp(A, B, 40000, 5001),
            udp(B, A, 5001, 40000),
            udp(A, B, 40001, 5001),
            tcp(0, 10),
            tcp(0x04, 0),
            echo,
            error,
            padded,
            truncated,
            short_total,
            fragment,
        ];
        // Billing's `attribute` agrees with `learn_translation` + `classify_drop`.
        let mut billing = Attribution::new(&[plan(), tcp_plan.clone()]);
        let mut drops = Attribution::new(&[plan(), tcp_plan]);
        let mut shortcuts = 0;
        for f in &frames {
            let ip = &f[ETHERNET_HEADER_LEN..];
            shortcuts += usize::from(plain_ipv4_key(ip).is_some());
            assert_eq!(a.classify(f), a.classify_ip(ip), "{f:?}");
            drops.learn_translation(f, &Nat);
            assert_eq!(billing.attribute(f, &Nat), drops.classify_drop(f), "{f:?}");
        }
        // The shortcut takes the whole UDP, TCP and echo frames (padded too),
        // and leaves the error, the truncated ones and the fragment.
        assert_eq!(shortcuts, 7);
        assert_eq!(
            a.classify(&tcp(0x04, 0)),
            Some((FlowIdx(4), DropKind::Reset))
        );
        assert_eq!(
            a.classify(&tcp(0, 10)),
            Some((FlowIdx(4), DropKind::Packet))
        );
    }

    #[test]
    fn frames_translated_by_a_nat_gateway_are_learned_from_the_fabric() {
        let mut a = Attribution::new(&[plan()]);
        let public = [54, 0, 0, 5];
        let reply = udp(B, public, 5001, 1024);
        assert_eq!(a.classify(&reply), None);
        a.learn_translation(&reply, &Nat);
        assert_eq!(a.classify(&reply), Some((FlowIdx(3), DropKind::Packet)));
        // The outbound direction too, and nothing for an unknown public port.
        assert_eq!(
            a.classify(&udp(public, B, 1024, 5001)),
            Some((FlowIdx(3), DropKind::Packet))
        );
        let other = udp(B, public, 5001, 1025);
        a.learn_translation(&other, &Nat);
        assert_eq!(a.classify(&other), None);
    }

    #[test]
    fn aliases_follow_one_to_one_nat() {
        let mut a = Attribution::new(&[plan()]);
        let public = [54, 1, 2, 3];
        assert_eq!(a.classify(&udp(public, B, 40000, 5001)), None);
        a.alias(&[(
            IpAddr::V4(Ipv4Addr::from(A)),
            IpAddr::V4(Ipv4Addr::from(public)),
        )]);
        assert_eq!(
            a.classify(&udp(public, B, 40000, 5001)),
            Some((FlowIdx(3), DropKind::Packet))
        );
        assert_eq!(
            a.classify(&udp(B, public, 5001, 40000)),
            Some((FlowIdx(3), DropKind::Packet))
        );
    }

    #[test]
    fn a_flow_planned_to_a_public_address_is_found_by_the_private_one() {
        // A flow from the internet is planned to the instance's public address;
        // inside the VPC (where a security group drops it) it carries the private one.
        let public = [54, 1, 2, 3];
        let mut p = plan();
        p.src_ip = IpAddr::V4(Ipv4Addr::from(B));
        p.dst_ip = IpAddr::V4(Ipv4Addr::from(public));
        let mut a = Attribution::new(&[p]);
        assert_eq!(a.classify(&udp(B, A, 40000, 5001)), None);
        a.alias(&[(
            IpAddr::V4(Ipv4Addr::from(A)),
            IpAddr::V4(Ipv4Addr::from(public)),
        )]);
        assert_eq!(
            a.classify(&udp(B, A, 40000, 5001)),
            Some((FlowIdx(3), DropKind::Packet))
        );
        assert_eq!(
            a.classify(&udp(A, B, 5001, 40000)),
            Some((FlowIdx(3), DropKind::Packet))
        );
    }

    #[test]
    fn later_fragments_follow_their_first_fragment() {
        let mut a = Attribution::new(&[plan()]);
        // Addressed from a public address (as after NAT): no address entry knows
        // the port-less fragments, only the alias knows the first one's ports.
        let public = [54, 1, 2, 3];
        a.alias(&[(
            IpAddr::V4(Ipv4Addr::from(A)),
            IpAddr::V4(Ipv4Addr::from(public)),
        )]);
        let mut big = Vec::new();
        PacketBuilder::ethernet2([2; 6], [4; 6])
            .ipv4(public, B, 64)
            .udp(40000, 5001)
            .write(&mut big, &[7u8; 3000])
            .expect("build");
        let mut pieces = Vec::new();
        crate::wire::fragment_ipv4(&big, 1500, &mut pieces).expect("fragments");
        assert_eq!(pieces.len(), 3);
        let flow = Some((FlowIdx(3), DropKind::Packet));
        // A later fragment dropped before its first is nobody's.
        assert_eq!(a.classify_drop(&pieces[1]), None);
        assert_eq!(a.classify_drop(&pieces[0]), flow);
        assert_eq!(a.classify_drop(&pieces[1]), flow);
        assert_eq!(a.classify_drop(&pieces[2]), flow);
        // `classify` alone still knows nothing of them.
        assert_eq!(a.classify(&pieces[2]), None);
        // Another datagram's fragment (another identification) is not taken.
        let mut other = pieces[2].clone();
        other[ETHERNET_HEADER_LEN + 5] ^= 1;
        assert_eq!(a.classify_drop(&other), None);
        // A whole datagram is not a fragment.
        assert_eq!(fragment_id(&big), None);
    }
}
