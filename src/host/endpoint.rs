//! One endpoint: a smoltcp `Interface` over a [`VirtualDevice`], its sockets, and
//! the generators and servers of the flows it takes part in.

use super::device::VirtualDevice;
use super::discard::{self, Discard, Reassembly};
use super::packet::{self, endpoint_key_of, fix_ipv4_header, packet_too_big_l4, resegment_tcp};
use super::ping::{request_tag, PingClient};
use super::pmtu::PathMtuCache;
use super::retransmit::{
    quoted_lost_segment, LostSegment, SegmentTemplate, MAX_PENDING_RETRANSMITS,
};
use super::stats::FlowStats;
use super::tag::{Tag, TAG_LEN};
use super::tcp::{TcpClient, TcpServers};
use super::udp::{FrameHead, UdpClient, UdpSink, TX_SLOTS};
use super::FlowPlan;
use crate::model::{proto, FlowIdx, FlowKind};
use crate::policy::conntrack::FxBuild;
use crate::sim::{Attachment, BufferPool};
use crate::wire::ETHERNET_HEADER_LEN;
use smoltcp::iface::{Config, Interface, PollResult, SocketHandle, SocketSet};
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, Ipv4Cidr, Ipv4Packet};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// ICMP echoes answered and read without smoltcp: a child module, so that it
// reads the host's fields (see there).
#[path = "echo.rs"]
mod echo;

/// (remote address, protocol, local port, remote port).
type EndpointKey = (IpAddr, u8, u16, u16);

/// How to build a host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostConfig {
    pub attachment: Attachment,
    pub name: String,
    pub mac: [u8; 6],
    /// The MAC every frame is addressed to (the VPC router's).
    pub gateway_mac: [u8; 6],
    /// Address and prefix length.
    pub ipv4: Option<(Ipv4Addr, u8)>,
    pub ipv6: Option<(Ipv6Addr, u8)>,
    /// Interface MTU (IP bytes).
    pub mtu: u16,
    /// smoltcp's random seed (ISNs, ephemeral choices): derived from `--seed`.
    pub seed: u64,
    /// The TCP buffer maxima of the host's kernel (see [`super::tcp`]).
    pub tcp: crate::model::TcpBuffers,
    /// The instance's network bandwidth, or an on-premises host's Direct
    /// Connect port speed (bits/s, each direction); 0: the simulation's
    /// default link (other external hosts).
    pub bandwidth_bps: u64,
}

/// Timing knobs for the generators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorTimeouts {
    /// How long a ping waits for the last reply.
    pub ping_reply_ns: u64,
    /// How long after its last datagram a UDP flow counts as finished.
    pub udp_linger_ns: u64,
    /// A TCP transfer with no acknowledged progress for this long is stalled.
    pub tcp_stall_ns: u64,
}

impl Default for GeneratorTimeouts {
    fn default() -> Self {
        GeneratorTimeouts {
            ping_reply_ns: 2_000_000_000,
            udp_linger_ns: 1_000_000_000,
            tcp_stall_ns: 20_000_000_000,
        }
    }
}

/// One per flow a host sends. The TCP client is boxed: it is the largest (its
/// plan, request/response state, buffer sizes) and the least common, so a ping
/// or UDP generator takes 232 bytes rather than 320 (issue #18: memory per flow).
enum Generator {
    Ping(PingClient),
    Udp(UdpClient),
    Tcp(Box<TcpClient>),
}

/// What a poll reads of a generator before deciding whether it acts.
#[derive(Debug, Clone, Copy)]
struct GeneratorSlot {
    /// When it next needs attention, `u64::MAX` for never. A ping or UDP generator
    /// not yet due (and, for ping, with no ICMP arrived) would do nothing in a
    /// poll, so it is skipped: a poll costs the generators that act, not every
    /// flow of the host.
    wake: u64,
    kind: FlowKind,
    /// Its flow's `done` has been handed out by [`Host::take_finished`].
    finished_seen: bool,
    /// The wake time of this ping/UDP generator's live entry in
    /// [`Host::wake_queue`], `u64::MAX` for none (an entry whose time differs is
    /// stale).
    queued: u64,
    /// A UDP client whose datagrams the host may build itself (see
    /// [`Host::direct_poll`]): [`UdpClient::direct_ok`], and the host has an
    /// address of the destination's family to send from (smoltcp drops an
    /// IPv4 datagram silently when it has none). Both are fixed once added.
    direct: bool,
    /// For a UDP client: the index in [`Host::udp_pacers`] of the pacer
    /// [`Host::udp_departure`] charges its frames to, [`NO_PACER`] for none,
    /// [`PACER_UNKNOWN`] until found (see [`Host::flows_seen`]).
    pacer: u32,
    /// For a UDP client, once `pacer` is found: whether it sends IPv4 with DF
    /// clear ([`Host::sends_without_df`]).
    clear_df: bool,
}

/// [`GeneratorSlot::pacer`] of a flow without a pacer.
const NO_PACER: u32 = u32::MAX;
/// [`GeneratorSlot::pacer`] not looked up yet.
const PACER_UNKNOWN: u32 = u32::MAX - 1;

/// A host in virtual time.
pub struct Host {
    pub config: HostConfig,
    iface: Interface,
    sockets: SocketSet<'static>,
    device: VirtualDevice,
    generators: Vec<Generator>,
    /// Per generator (same index): what decides whether it acts in a poll, read
    /// before its (cold) state is touched: a host may run hundreds of flows. One
    /// array of 16-byte entries, so a poll's scan touches one or two cache lines
    /// rather than a line in each of three arrays.
    slots: Vec<GeneratorSlot>,
    /// The generators the current poll concerns (see [`Host::collect_due`]), in
    /// generator order: found once per poll, then walked by every pass over the
    /// generators instead of each pass testing all of them.
    due: Vec<u32>,
    /// Ping and UDP generators by wake time, earliest first (time, generator),
    /// with stale entries skipped (see [`GeneratorSlot::queued`]): a poll finds the
    /// due ones, and the host's next wake, without a scan of every generator.
    /// Used once the host has more than [`SCAN_GENERATORS`] generators (below
    /// that, a scan of `slots` costs less than the queue's upkeep).
    wake_queue: BinaryHeap<Reverse<(u64, u32)>>,
    /// Whether `wake_queue` is in use (see there).
    queued_wakes: bool,
    /// TCP generators every poll concerns (see [`Host::collect_due`]), ascending:
    /// all of them while generators are scanned; with the wake queue, those with
    /// a socket (segments may arrive at any time), so that flows not started or
    /// finished cost nothing per poll (issue #18).
    tcp_gens: Vec<u32>,
    /// Ping generators, ascending.
    ping_gens: Vec<u32>,
    /// Flows whose generator finished since the last [`Host::take_finished`].
    finished: Vec<FlowIdx>,
    /// An ICMP message other than an echo arrived since the last poll: every ping
    /// generator reads its socket.
    icmp_rx: bool,
    /// Ping generators an echo request or reply with their identifier reached
    /// since the last poll (only their sockets can have taken it).
    icmp_due: Vec<u32>,
    sinks: Vec<UdpSink>,
    /// Sinks that may hold datagrams (a frame for their port arrived), so a poll
    /// drains only those; `all_sinks_dirty` after a fragment (ports unknown).
    dirty_sinks: Vec<usize>,
    /// (port, index in `sinks`), sorted by port: looked up for every datagram
    /// received (a host has a few sink ports; a bisection of this array costs
    /// less than a `BTreeMap` walk).
    sink_by_port: Vec<(u16, usize)>,
    all_sinks_dirty: bool,
    servers: TcpServers,
    /// TCP flows to start listening for, by start time.
    pending_listens: Vec<FlowPlan>,
    /// Ping flows answered here (their one-way latency is measured here).
    ping_targets: Vec<FlowIdx>,
    /// (remote, protocol, local port, remote port) → flow, for TCP segment counts.
    /// Value: (flow, this host is the client, cap on the IP size of data segments
    /// from the flow's `size`, 0 = none, index in `tcp_templates`).
    tcp_keys: BTreeMap<EndpointKey, (FlowIdx, bool, u16, u32)>,
    /// Per TCP connection of this host: what the NIC needs to rebuild a segment
    /// lost to a smaller path MTU (see [`super::retransmit`]).
    tcp_templates: Vec<SegmentTemplate>,
    /// Per TCP connection (same index): AWS's single-flow bandwidth limit.
    tcp_pacers: Vec<super::pacing::Pacer>,
    /// Per frame handed out by the current [`Host::poll`] (same index as `out`):
    /// the earliest time it may leave the host (its flow's [`super::pacing`]).
    departures: Vec<u64>,
    /// AWS's single-flow limit for the UDP flows this host sends: (destination,
    /// local port, pacer), in the order added.
    udp_pacers: Vec<(IpAddr, u16, super::pacing::Pacer)>,
    /// Where in `udp_pacers` the first pacer of each (local port, destination)
    /// is: a host may send thousands of flows, and a linear search there grew
    /// the cost per frame with the flows (a sorted vector instead would make
    /// adding flows quadratic on a host sending 100,000 of them).
    udp_pacer_index: HashMap<(u16, IpAddr), u32, FxBuild>,
    /// The index in `udp_pacers` the last UDP frame sent used (tried first).
    udp_pacer_hint: usize,
    /// Segments an ICMP error reported lost for size, to re-send at the next
    /// transmit: (index in `tcp_templates`, segment).
    lost: Vec<(u32, LostSegment)>,
    /// (local port, protocol, destination) of flows that send with DF clear,
    /// sorted: looked up for every frame sent.
    no_df: Vec<(u16, u8, IpAddr)>,
    /// Per-destination path MTU learned from ICMP (Linux's route cache).
    pmtu: PathMtuCache,
    next_ident: u16,
    /// When the last frame received was sent: times UDP datagrams and echo replies
    /// too short to carry a [`Tag`] (see [`UdpSink::after_poll`]).
    rx_sent_ns: u64,
    /// Ping generators whose echo data is too short for a [`Tag`]: (echo
    /// identifier, generator index). Their replies are timed on arrival (see
    /// [`PingClient::reply_arrived`]); empty for every other host.
    short_pings: Vec<(u16, u32)>,
    /// A frame arrived since the last poll that may give smoltcp egress work (TCP,
    /// an ICMP error, a fragment, larger than this host's MTU): see [`Host::poll`].
    big_rx: bool,
    /// smoltcp's own `poll_at` was due (or unknown) after the last poll.
    smol_pending: bool,
    /// [`Host::nothing_pending`] is known to hold (issue #18: a hub host answers
    /// [`Host::idle_poll`] for most frames it receives, and asking again cost
    /// a dozen loads and branches each time). Set by `idle_poll` when it
    /// answers, after it checked `nothing_pending` itself (or knew it); cleared
    /// by everything that can make `nothing_pending` false: a frame for smoltcp
    /// ([`Host::receive_for_smoltcp`], the one place that sets the receive
    /// flags, queues, discards, lost segments and path MTUs), every poll (it
    /// ends in [`Host::next_wake`], which clears it: polls send, refuse and
    /// set `smol_pending`), and adding flows ([`Host::add_client`],
    /// [`Host::add_server`]: TCP generators and listeners). A sink's direct
    /// take changes none of them, and what the engine calls in between
    /// (`take_discarded`, `take_refused`, `take_finished`, source aliases)
    /// only empties them or touches none.
    /// `host::tests::idle_known_only_while_nothing_is_pending` checks it.
    pub(crate) idle_known: bool,
    /// Frames handed to smoltcp so far (see [`UdpSink::takes_whole`]).
    rx_for_smoltcp: u64,
    /// Frames the generators could not send (see [`super::oversize`]), Ethernet
    /// header written, for the engine to drop with a reason.
    refused: Vec<Vec<u8>>,
    /// (echo identifier, generator) of this host's ping generators, sorted: an
    /// echo reply with another identifier matches no socket.
    ping_idents: Vec<(u16, u32)>,
    /// smoltcp's reassembly slots, mirrored (see [`super::discard`]).
    reassembly: Reassembly,
    /// What smoltcp will do with the frame being received: `None`, take it.
    discard: Option<Discard>,
    /// The host's IPv4 address and its subnet's broadcast address (smoltcp's
    /// `Ipv4Cidr::broadcast`; 0 for /31 and /32, which have none), as integers,
    /// for [`Host::sink_takes_directly`]. 0 stands for "no broadcast address"
    /// because a source 0.0.0.0 is refused there anyway, so comparing with it
    /// refuses nothing more.
    own_ipv4: Option<(u32, u32)>,
    /// Whether [`Host::sink_takes_directly`] is used (turned off only by tests
    /// that compare both paths).
    pub(crate) direct_rx: bool,
    /// Whether UDP clients' datagrams may be built without smoltcp (see
    /// [`Host::direct_round`]; turned off only by tests that compare both paths).
    pub(crate) direct_tx: bool,
    /// The frames built so in the current round, with their client's socket
    /// handle (smoltcp's sweep sends in handle order).
    direct_frames: Vec<(SocketHandle, Vec<u8>)>,
    /// Frames built without smoltcp so far (tests check the shortcut is taken).
    pub(crate) direct_sent: u64,
    /// Echo requests sent and answered, and echo replies read, without smoltcp
    /// (see [`echo`]).
    pub(crate) echo: echo::EchoShortcuts,
    /// Whether a poll that only sends UDP datagrams may take [`Host::direct_poll`]
    /// (turned off only by tests that compare it with the general poll).
    pub(crate) direct_polls_on: bool,
    /// Polls done by [`Host::direct_poll`] (tests check it is taken).
    pub(crate) direct_polls: u64,
    /// The due UDP clients of a [`Host::direct_poll`] with several due, as
    /// (socket handle, generator), sorted into smoltcp's sweep order.
    direct_order: Vec<(SocketHandle, u32)>,
    /// The number of generators when the slots' [`GeneratorSlot::pacer`] and
    /// [`GeneratorSlot::clear_df`] were last valid: a flow added since (flows
    /// are added before the first poll) may have added the first pacer of a
    /// (local port, destination) or a DF-clear entry, so every slot's are
    /// looked up again.
    flows_seen: usize,
}

/// Up to this many generators a host finds its due ones, and its next wake, by a
/// scan of its generator slots (16 bytes each); above it, by its wake queue.
const SCAN_GENERATORS: usize = 32;

/// The identifier of a whole ICMP or ICMPv6 echo request or reply (`l4`).
fn echo_ident(protocol: u8, l4: &[u8]) -> Option<u16> {
    let echo = match protocol {
        proto::ICMP => matches!(l4.first(), Some(0) | Some(8)),
        proto::ICMPV6 => matches!(l4.first(), Some(128) | Some(129)),
        _ => false,
    };
    (echo && l4.len() >= 8).then(|| u16::from_be_bytes([l4[4], l4[5]]))
}

/// Whether a TCP segment (`l4`) has RST set.
fn is_rst(l4: &[u8]) -> bool {
    l4.get(13).is_some_and(|f| f & 0x04 != 0)
}

fn instant(ns: u64) -> Instant {
    Instant::from_micros((ns / 1000) as i64)
}

impl Host {
    pub fn new(config: HostConfig) -> Self {
        let mut device = VirtualDevice {
            mtu: config.mtu as usize,
            ..Default::default()
        };
        let mut cfg = Config::new(HardwareAddress::Ip);
        cfg.random_seed = config.seed;
        let mut iface = Interface::new(cfg, &mut device, Instant::ZERO);
        iface.update_ip_addrs(|addrs| {
            if let Some((a, len)) = config.ipv4 {
                let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(a), len));
            }
            if let Some((a, len)) = config.ipv6 {
                let _ = addrs.push(IpCidr::new(IpAddress::Ipv6(a), len));
            }
        });
        // Everything off-link goes to the VPC router; with Medium::Ip the gateway
        // address only has to exist (no neighbour resolution).
        if let Some((a, _)) = config.ipv4 {
            let _ = iface.routes_mut().add_default_ipv4_route(a);
        }
        if let Some((a, _)) = config.ipv6 {
            let _ = iface.routes_mut().add_default_ipv6_route(a);
        }
        let next_ident = (config.seed >> 16) as u16;
        let own_ipv4 = config.ipv4.map(|(a, len)| {
            let broadcast = Ipv4Cidr::new(a, len).broadcast();
            (u32::from(a), broadcast.map_or(0, u32::from))
        });
        Host {
            config,
            iface,
            sockets: SocketSet::new(Vec::new()),
            device,
            generators: Vec::new(),
            slots: Vec::new(),
            due: Vec::new(),
            wake_queue: BinaryHeap::new(),
            queued_wakes: false,
            tcp_gens: Vec::new(),
            ping_gens: Vec::new(),
            finished: Vec::new(),
            icmp_rx: false,
            icmp_due: Vec::new(),
            sinks: Vec::new(),
            dirty_sinks: Vec::new(),
            sink_by_port: Vec::new(),
            all_sinks_dirty: false,
            servers: TcpServers::default(),
            pending_listens: Vec::new(),
            ping_targets: Vec::new(),
            tcp_keys: BTreeMap::new(),
            tcp_templates: Vec::new(),
            tcp_pacers: Vec::new(),
            departures: Vec::new(),
            udp_pacers: Vec::new(),
            udp_pacer_index: HashMap::default(),
            udp_pacer_hint: 0,
            lost: Vec::new(),
            no_df: Vec::new(),
            pmtu: PathMtuCache::default(),
            next_ident,
            rx_sent_ns: 0,
            short_pings: Vec::new(),
            big_rx: false,
            smol_pending: true,
            idle_known: false,
            rx_for_smoltcp: 0,
            refused: Vec::new(),
            ping_idents: Vec::new(),
            reassembly: Reassembly::default(),
            discard: None,
            own_ipv4,
            direct_rx: true,
            direct_tx: true,
            direct_frames: Vec::new(),
            direct_sent: 0,
            echo: echo::EchoShortcuts::default(),
            direct_polls_on: true,
            direct_polls: 0,
            direct_order: Vec::new(),
            flows_seen: 0,
        }
    }

    /// The earliest time frame `i` of the last [`Host::poll`]'s output may leave
    /// (AWS's single-flow limit, see [`super::pacing`]); `now_ns` if unknown.
    #[inline]
    pub fn departure(&self, i: usize, now_ns: u64) -> u64 {
        self.departures
            .get(i)
            .copied()
            .unwrap_or(now_ns)
            .max(now_ns)
    }

    /// Room for the flows this host is about to send (`ping`, `udp` and `tcp`
    /// flows, `paced_udp` of the UDP ones with a rate cap), before
    /// [`Host::add_client`] adds them one by one: at 100,000 flows growing the
    /// sockets, generators and pacer index as they came copied each of them
    /// about once more and was a tenth of the setup. What is added, and in
    /// what order, is unchanged.
    pub fn reserve_clients(&mut self, ping: usize, udp: usize, paced_udp: usize, tcp: usize) {
        let all = ping + udp + tcp;
        self.sockets.reserve(ping + udp);
        self.generators.reserve(all);
        self.slots.reserve(all);
        self.ping_gens.reserve(ping);
        self.ping_idents.reserve(ping);
        self.udp_pacers.reserve(paced_udp);
        self.udp_pacer_index.reserve(paced_udp);
    }

    /// Take the sending side of `plan`.
    pub fn add_client(&mut self, plan: FlowPlan, t: GeneratorTimeouts) {
        self.idle_known = false;
        let plan_kind = plan.kind;
        let proto = match (plan.kind, plan.dst_ip) {
            (FlowKind::Ping, IpAddr::V4(_)) => proto::ICMP,
            (FlowKind::Ping, IpAddr::V6(_)) => proto::ICMPV6,
            (FlowKind::Udp, _) => proto::UDP,
            (FlowKind::Tcp, _) => proto::TCP,
        };
        if !plan.df && plan.kind != FlowKind::Tcp {
            let entry = (plan.local_port, proto, plan.dst_ip);
            let at = self.no_df.partition_point(|e| *e <= entry);
            self.no_df.insert(at, entry);
        }
        let mut direct = false;
        let g = match plan.kind {
            FlowKind::Ping => {
                if (plan.size as usize) < TAG_LEN {
                    let at = self.generators.len() as u32;
                    self.short_pings.push((plan.local_port, at));
                }
                let entry = (plan.local_port, self.generators.len() as u32);
                let at = self.ping_idents.partition_point(|e| *e <= entry);
                self.ping_idents.insert(at, entry);
                let mtu = self.config.mtu;
                Generator::Ping(PingClient::new(
                    plan,
                    &mut self.sockets,
                    t.ping_reply_ns,
                    mtu,
                ))
            }
            FlowKind::Udp => {
                if plan.flow_cap_bps > 0 {
                    let at = self.udp_pacers.len() as u32;
                    self.udp_pacer_index
                        .entry((plan.local_port, plan.dst_ip))
                        .or_insert(at);
                    self.udp_pacers.push((
                        plan.dst_ip,
                        plan.local_port,
                        super::pacing::Pacer::new(plan.flow_cap_bps),
                    ));
                }
                let mtu = self.config.mtu;
                let u = UdpClient::new(plan, &mut self.sockets, t.udp_linger_ns, mtu);
                direct = u.direct_ok() && (u.plan.dst_ip.is_ipv6() || self.config.ipv4.is_some());
                Generator::Udp(u)
            }
            FlowKind::Tcp => {
                // `size` caps the segment payload, like TCP_MAXSEG: applied on the
                // NIC by the same re-segmentation as the path MTU.
                let headers = if plan.dst_ip.is_ipv4() { 40 } else { 60 };
                let cap = match plan.size {
                    0 => 0,
                    n => (n.saturating_add(headers)).min(u16::MAX as u32) as u16,
                };
                let template = self.tcp_templates.len() as u32;
                self.tcp_templates.push(SegmentTemplate::default());
                self.tcp_pacers
                    .push(super::pacing::Pacer::new(plan.flow_cap_bps));
                self.tcp_keys.insert(
                    (plan.dst_ip, proto, plan.local_port, plan.port),
                    (plan.flow, true, cap, template),
                );
                Generator::Tcp(Box::new(TcpClient::new(
                    plan,
                    t.tcp_stall_ns,
                    self.config.tcp,
                )))
            }
        };
        let index = self.generators.len() as u32;
        self.generators.push(g);
        let queued = match plan_kind {
            // Below SCAN_GENERATORS every poll scans every generator anyway.
            FlowKind::Tcp if !self.queued_wakes => {
                self.tcp_gens.push(index);
                u64::MAX
            }
            FlowKind::Tcp | FlowKind::Ping | FlowKind::Udp => {
                if plan_kind == FlowKind::Ping {
                    self.ping_gens.push(index);
                }
                if self.queued_wakes {
                    self.wake_queue.push(Reverse((0, index)));
                }
                0
            }
        };
        self.slots.push(GeneratorSlot {
            wake: 0,
            kind: plan_kind,
            finished_seen: false,
            queued,
            direct,
            pacer: PACER_UNKNOWN,
            clear_df: false,
        });
        if !self.queued_wakes && self.slots.len() > SCAN_GENERATORS {
            // Switch to the queue: every ping/UDP generator's wake in it.
            self.queued_wakes = true;
            for (i, slot) in self.slots.iter_mut().enumerate() {
                slot.queued = u64::MAX;
                if slot.kind != FlowKind::Tcp && slot.wake != u64::MAX {
                    slot.queued = slot.wake;
                    self.wake_queue.push(Reverse((slot.wake, i as u32)));
                }
            }
            // TCP generators stay in `tcp_gens` until their next poll, which
            // keeps there only those with a socket (see `update_wakes`).
        }
    }

    /// Take the receiving side of `plan`.
    pub fn add_server(&mut self, plan: &FlowPlan) {
        self.idle_known = false;
        match plan.kind {
            FlowKind::Ping => {
                // Sorted: looked up by binary search for every echo request.
                let at = self.ping_targets.partition_point(|&f| f <= plan.flow);
                self.ping_targets.insert(at, plan.flow);
            }
            FlowKind::Udp => {
                let idx = match self.sink_on(plan.port) {
                    Some(i) => i,
                    None => {
                        let sink =
                            UdpSink::new(plan.port, self.config.mtu as usize, &mut self.sockets);
                        self.sinks.push(sink);
                        let at = self.sink_by_port.partition_point(|e| e.0 < plan.port);
                        self.sink_by_port
                            .insert(at, (plan.port, self.sinks.len() - 1));
                        self.sinks.len() - 1
                    }
                };
                // Datagram bytes: `size` counts the UDP header at most.
                self.sinks[idx].ensure_room(plan.size as usize, &mut self.sockets);
                self.sinks[idx].add_flow(plan);
            }
            FlowKind::Tcp => {
                let template = self.tcp_templates.len() as u32;
                self.tcp_templates.push(SegmentTemplate::default());
                self.tcp_pacers
                    .push(super::pacing::Pacer::new(plan.flow_cap_bps));
                self.tcp_keys.insert(
                    (plan.src_ip, proto::TCP, plan.port, plan.local_port),
                    (plan.flow, false, 0, template),
                );
                self.pending_listens.push(plan.clone());
                self.pending_listens
                    .sort_by_key(|p| std::cmp::Reverse(p.start_ns));
            }
        }
    }

    /// A flow served here arrives with its source translated: `seen` (the NAT
    /// gateway's Elastic IP and public port, or the instance's public IP) stands
    /// for `original` (the sender's private address and port), towards `local_port`
    /// of this host. The UDP sink and the TCP server then credit and answer that
    /// source as the flow's own (a later translation of the same public endpoint
    /// replaces this one). Ping needs nothing: echo requests carry their flow in
    /// their tag.
    pub fn learn_source_alias(
        &mut self,
        protocol: u8,
        seen: (IpAddr, u16),
        original: (IpAddr, u16),
        local_port: u16,
    ) {
        match protocol {
            proto::UDP => {
                if let Some(i) = self.sink_on(local_port) {
                    self.sinks[i].alias(seen, original);
                }
            }
            proto::TCP => {
                let key = (original.0, proto::TCP, local_port, original.1);
                if let Some(&v) = self.tcp_keys.get(&key).filter(|v| !v.1) {
                    self.tcp_keys
                        .insert((seen.0, proto::TCP, local_port, seen.1), v);
                    self.servers.alias(seen, original, local_port);
                }
            }
            _ => {}
        }
    }

    /// TCP server sockets still open (listening or connected): none once every
    /// flow served here has ended and its client's RST or FIN arrived.
    pub fn open_tcp_server_sockets(&self) -> usize {
        self.servers.open_sockets()
    }

    /// The path MTU this host last learned towards `dst`, if any (even if the
    /// entry has expired since).
    pub fn path_mtu(&self, dst: IpAddr) -> Option<u16> {
        self.pmtu.last_learned(dst)
    }

    /// The path MTU this host uses towards `dst` at `now_ns` (`None`: its own MTU,
    /// nothing learned or the entry expired after 600 s).
    pub fn path_mtu_at(&self, dst: IpAddr, now_ns: u64) -> Option<u16> {
        self.pmtu.get(dst, now_ns)
    }

    /// A frame arrives (`sent_ns`: when its source put it on the wire). When the
    /// host's stack will discard it (see [`super::discard`]), [`Host::discarding`]
    /// says so until [`Host::take_discarded`]; smoltcp still reads the frame, and
    /// answers it as it would.
    pub fn receive(&mut self, frame: Vec<u8>, now_ns: u64, sent_ns: u64, stats: &mut [FlowStats]) {
        self.rx_sent_ns = sent_ns;
        if let Some(ip) = frame.get(ETHERNET_HEADER_LEN..) {
            if self.sink_takes_directly(ip, now_ns, stats) {
                // Read: the buffer goes back to the pool when the poll ends, as
                // it would once smoltcp had read it.
                self.device.rx_spent.push(frame);
                return;
            }
        }
        self.receive_for_smoltcp(frame, now_ns, sent_ns, stats);
    }

    /// The rest of [`Host::receive`]: a frame smoltcp will read. Out of line
    /// (issue #18): inlined, its many locals made every call of `receive`, the
    /// direct take included, save and restore every register.
    #[inline(never)]
    fn receive_for_smoltcp(
        &mut self,
        frame: Vec<u8>,
        now_ns: u64,
        sent_ns: u64,
        stats: &mut [FlowStats],
    ) {
        self.idle_known = false;
        self.rx_for_smoltcp += 1;
        if let Some(ip) = frame.get(ETHERNET_HEADER_LEN..) {
            self.account_ingress(ip, now_ns, sent_ns, stats);
        }
        let Some(frame) = self.echo_directly(frame, now_ns, stats) else {
            return;
        };
        self.device.rx.push_back(frame);
    }

    /// Count a plain IPv4 UDP datagram for one of this host's sinks here, without
    /// smoltcp, when smoltcp would only queue it whole in the sink's socket for
    /// the poll that follows to read and count (about 800 instructions of
    /// smoltcp's ingress, queueing and `recv` per datagram; issue #11). Every
    /// condition smoltcp checks on that path (`process_ip`, `process_ipv4`,
    /// `process_udp`, the socket's `accepts` and `process`) holds here, or the
    /// frame takes the usual path: no frame waiting before it; version 4,
    /// 20-byte header, not a fragment, total length within the frame (and within
    /// the MTU, beyond which the usual path asks for a full poll); addressed to
    /// the host's own IPv4 address from a unicast source (not broadcast,
    /// multicast, unspecified or the subnet's broadcast address); a UDP length
    /// between 8 and the IP payload and a destination port other than 0 (no
    /// checksum: the host does not verify received ones, see `device`); a sink
    /// on that port whose socket is the only UDP socket bound to it, and whose
    /// receive queue is empty with room for the payload. smoltcp would send
    /// nothing back and change nothing else; the poll that follows still runs
    /// (generators due, smoltcp's clock), only without this datagram to read.
    #[inline]
    pub(crate) fn sink_takes_directly(
        &mut self,
        ip: &[u8],
        now_ns: u64,
        stats: &mut [FlowStats],
    ) -> bool {
        let Some((own, subnet_broadcast)) = self.own_ipv4.filter(|_| self.direct_rx) else {
            return false;
        };
        if !self.device.rx.is_empty() || ip.len() > self.config.mtu as usize {
            return false;
        }
        let (Some(l4), Some(h)) = (packet::plain_ipv4_udp(ip), ip.first_chunk::<20>()) else {
            return false;
        };
        // As integers, what `Ipv4Addr`'s `is_broadcast`, `is_multicast` (224/4)
        // and `is_unspecified` test.
        let src = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
        let dst = u32::from_be_bytes([h[16], h[17], h[18], h[19]]);
        if dst != own || src == u32::MAX || src >> 28 == 0xe || src == 0 || src == subnet_broadcast
        {
            return false;
        }
        let udp_len = usize::from(u16::from_be_bytes([l4[4], l4[5]]));
        let port = u16::from_be_bytes([l4[2], l4[3]]);
        if udp_len < 8 || udp_len > l4.len() || port == 0 {
            return false;
        }
        let Some(i) = self.sink_on(port) else {
            return false;
        };
        let payload = &l4[8..udp_len];
        let epoch = self.rx_for_smoltcp;
        if !self.sink_sole_on_port(i)
            || !self.sinks[i].takes_whole(&self.sockets, payload.len(), epoch)
        {
            return false;
        }
        let sport = u16::from_be_bytes([l4[0], l4[1]]);
        self.sinks[i].count_ipv4(src, sport, payload, now_ns, self.rx_sent_ns, stats);
        true
    }

    /// Whether no UDP client of this host is bound to sink `i`'s port (smoltcp
    /// hands a datagram to the first socket bound to its port, in handle
    /// order). Known per sink until a generator is added.
    #[inline(always)]
    fn sink_sole_on_port(&mut self, i: usize) -> bool {
        let n = self.generators.len();
        match self.sinks[i].sole_on_port(n) {
            Some(sole) => sole,
            None => self.find_sink_sole_on_port(i, n),
        }
    }

    /// [`Host::sink_sole_on_port`] when not known for `n` generators.
    #[cold]
    fn find_sink_sole_on_port(&mut self, i: usize, n: usize) -> bool {
        let sole = !self.udp_client_on(self.sinks[i].port());
        self.sinks[i].set_sole_on_port(n, sole);
        sole
    }

    /// Test only: hand `frame` to smoltcp as [`Host::receive_for_smoltcp`] does
    /// but without the ingress bookkeeping (no sink marked for reading), to build
    /// states no arrival leaves.
    #[cfg(test)]
    pub(crate) fn queue_unmarked_for_smoltcp(&mut self, frame: Vec<u8>) {
        self.idle_known = false;
        self.rx_for_smoltcp += 1;
        self.device.rx.push_back(frame);
    }

    /// The frame just received will be discarded by the host's stack.
    #[inline]
    pub fn discarding(&self) -> bool {
        self.discard.is_some()
    }

    /// Why the frame just received will be discarded, and a copy of it (from
    /// `pool`) for the engine to drop with that reason.
    #[cold]
    pub fn take_discarded(&mut self, pool: &mut BufferPool) -> Option<(Discard, Vec<u8>)> {
        let why = self.discard.take()?;
        let mut copy = pool.take();
        copy.extend_from_slice(self.device.rx.back()?);
        Some((why, copy))
    }

    fn account_ingress(&mut self, ip: &[u8], now_ns: u64, sent_ns: u64, stats: &mut [FlowStats]) {
        // Most frames are plain UDP datagrams: for those the general path below
        // comes down to the size check and the sink's bookkeeping.
        if let Some(udp) = packet::plain_ipv4_udp(ip) {
            if ip.len() > self.config.mtu as usize {
                self.big_rx = true;
            }
            self.note_udp(udp, stats);
            return;
        }
        let fragment = ip.first().is_some_and(|b| b >> 4 == 4)
            && ip
                .get(6..8)
                .is_some_and(|f| f[0] & 0x20 != 0 || (f[0] & 0x1f) | f[1] != 0);
        if fragment {
            self.all_sinks_dirty = true;
            // smoltcp reads it at this instant: the engine polls the host at once.
            if !self.reassembly.admit(ip, (now_ns / 1000) as i64) {
                self.discard = Some(Discard::ReassemblyLimit);
            }
        }
        let Some((src, dst, protocol, l4)) = packet::split_ip(ip) else {
            // Unknown to us (a later fragment...): a full poll, every socket read.
            self.big_rx = true;
            self.icmp_rx = true;
            return;
        };
        if !matches!(
            protocol,
            proto::UDP | proto::TCP | proto::ICMP | proto::ICMPV6
        ) {
            // An IPv6 extension header (smoltcp reads a hop-by-hop header and
            // hands what follows to its socket) or a protocol no socket here
            // takes: whatever sink the packet is for, if any, is not known here,
            // so every sink reads in the poll that follows (a datagram behind a
            // hop-by-hop header was otherwise queued in its sink unread, and
            // counted late or never).
            self.all_sinks_dirty = true;
        }
        if fragment || !matches!(protocol, proto::UDP | proto::TCP) {
            // Echo replies, ICMP errors, or a fragment of either: ping generators
            // read their sockets. A whole echo request or reply can only reach the
            // sockets bound to its identifier (smoltcp's ICMP sockets take no
            // other echo), so only their generators read.
            match echo_ident(protocol, l4).filter(|_| !fragment) {
                Some(ident) => {
                    let from = self.ping_idents.partition_point(|e| e.0 < ident);
                    for &(id, g) in &self.ping_idents[from..] {
                        if id != ident {
                            break;
                        }
                        self.icmp_due.push(g);
                    }
                }
                None => self.icmp_rx = true,
            }
        }
        // Only UDP datagrams and ICMP echoes that fit leave smoltcp's egress work
        // unchanged; anything else (TCP segments, ICMP errors a TCP socket may act
        // on, fragments, oversize packets) asks for a full poll.
        let simple = match protocol {
            proto::UDP => true,
            proto::ICMP => matches!(l4.first(), Some(0) | Some(8)),
            proto::ICMPV6 => matches!(l4.first(), Some(128) | Some(129)),
            _ => false,
        };
        if fragment || ip.len() > self.config.mtu as usize || !simple {
            self.big_rx = true;
        }
        if let Some((dst, mtu)) = packet_too_big_l4(protocol, l4) {
            self.pmtu.learn(dst, mtu, now_ns, self.config.mtu);
            // Linux re-sends the segment at once (tcp_simple_retransmit).
            if let Some(lost) = quoted_lost_segment(protocol, l4) {
                let conn = self.tcp_keys.get(&lost.key).map(|c| c.3);
                if let Some(conn) = conn.filter(|_| self.lost.len() < MAX_PENDING_RETRANSMITS) {
                    if lost.ip_len > mtu {
                        self.lost.push((conn, lost));
                    }
                }
            }
        }
        let echo_reply = match protocol {
            proto::ICMP => l4.first() == Some(&0),
            proto::ICMPV6 => l4.first() == Some(&129),
            _ => false,
        };
        if echo_reply && l4.len() >= 8 {
            let ident = u16::from_be_bytes([l4[4], l4[5]]);
            let at = self.ping_idents.partition_point(|e| e.0 < ident);
            if self.ping_idents.get(at).is_none_or(|e| e.0 != ident) {
                self.discarded(Discard::NoSocket);
            }
        }
        match protocol {
            proto::UDP if l4.len() >= 4 => self.note_udp(l4, stats),
            // An echo reply to a ping too short for a tag: its sender times it.
            proto::ICMP | proto::ICMPV6
                if !self.short_pings.is_empty()
                    && l4.len() >= 8
                    && matches!(l4.first(), Some(0) | Some(129)) =>
            {
                let ident = u16::from_be_bytes([l4[4], l4[5]]);
                let seq_no = u16::from_be_bytes([l4[6], l4[7]]);
                let found = self.short_pings.iter().find(|s| s.0 == ident);
                if let Some(Generator::Ping(p)) =
                    found.and_then(|&(_, i)| self.generators.get_mut(i as usize))
                {
                    p.reply_arrived(seq_no, sent_ns);
                }
            }
            proto::ICMP | proto::ICMPV6 if !self.ping_targets.is_empty() => {
                if let Some(tag) = request_tag(l4) {
                    if self.ping_targets.binary_search(&FlowIdx(tag.flow)).is_ok() {
                        if let Some(st) = stats.get_mut(tag.flow as usize) {
                            st.record_latency(now_ns.saturating_sub(tag.sent_ns));
                        }
                    }
                }
            }
            proto::TCP if l4.len() >= 20 => {
                let sport = u16::from_be_bytes([l4[0], l4[1]]);
                let dport = u16::from_be_bytes([l4[2], l4[3]]);
                let flow = self.tcp_keys.get(&(src, protocol, dport, sport)).copied();
                if flow.is_none() && !self.tcp_taken(l4, (src, sport), (dst, dport), now_ns) {
                    self.discarded(Discard::NoSocket);
                }
                if let Some((flow, false, _, _)) = flow.filter(|_| !is_rst(l4)) {
                    // Every segment counted as delivered (SYN, ACK, data; not the
                    // RST that ends the flow) has its one-way latency recorded, as
                    // for ping and UDP: the histogram's count is
                    // `delivered_packets`, and a connection whose SYNs got through
                    // but nothing else still shows how long they took.
                    if let Some(st) = stats.get_mut(flow.ix()) {
                        st.delivered_packets += 1;
                        st.record_latency(now_ns.saturating_sub(sent_ns));
                    }
                }
            }
            _ => {}
        }
    }

    /// The frame being received will be discarded by smoltcp (a reassembly
    /// limit, found first, is the reason that stands).
    #[cold]
    fn discarded(&mut self, why: Discard) {
        self.discard.get_or_insert(why);
    }

    /// Whether a socket takes a TCP segment of no known connection: one that
    /// accepts it now, or a listener this poll opens before smoltcp reads it.
    #[cold]
    fn tcp_taken(
        &self,
        l4: &[u8],
        (src, sport): (IpAddr, u16),
        (dst, dport): (IpAddr, u16),
        now_ns: u64,
    ) -> bool {
        let ack = l4.get(13).is_some_and(|f| f & 0x10 != 0);
        let rst = is_rst(l4);
        let listening = !ack
            && !rst
            && self
                .pending_listens
                .iter()
                .any(|p| p.start_ns <= now_ns && p.port == dport);
        listening
            || discard::tcp_accepts(
                &self.sockets,
                (super::udp::smol_addr(src), sport),
                (super::udp::smol_addr(dst), dport),
                ack,
                rst,
            )
    }

    /// Whether a UDP client of this host sends from `port` (its socket is bound
    /// there, so it takes datagrams to that port).
    #[cold]
    fn udp_client_on(&self, port: u16) -> bool {
        self.generators
            .iter()
            .any(|g| matches!(g, Generator::Udp(u) if u.plan.local_port == port))
    }

    /// The index in `sinks` of the sink on `port`.
    #[inline(always)]
    fn sink_on(&self, port: u16) -> Option<usize> {
        // A host has a few sink ports: a scan of them costs less than a
        // bisection, which was a call of its own for every datagram (issue #18).
        if self.sink_by_port.len() <= 8 {
            return self.sink_by_port.iter().find(|e| e.0 == port).map(|e| e.1);
        }
        let i = self
            .sink_by_port
            .binary_search_by_key(&port, |e| e.0)
            .ok()?;
        self.sink_by_port.get(i).map(|e| e.1)
    }

    /// A UDP datagram (`l4`: at least the ports) arrived: mark its sink for draining.
    #[inline]
    fn note_udp(&mut self, l4: &[u8], stats: &[FlowStats]) {
        let port = u16::from_be_bytes([l4[2], l4[3]]);
        let Some(i) = self.sink_on(port) else {
            if !self.udp_client_on(port) {
                self.discarded(Discard::NoSocket);
            }
            return;
        };
        if !self.dirty_sinks.contains(&i) {
            self.dirty_sinks.push(i);
        }
        // The sink will count this datagram for the flow its tag names once
        // smoltcp has delivered it: start loading that flow's counters now (a
        // hint only; the sink checks the tag itself).
        if let Some(tag) = l4.get(8..).and_then(Tag::read) {
            // With thousands of flows interleaved, per-flow counters are cold;
            // loading them while smoltcp processes the frame hides that miss.
            if let Some(st) = stats.get(tag.flow as usize) {
                crate::prefetch::prefetch(st);
            }
        }
    }

    /// Run generators and smoltcp at `now_ns`; frames to transmit go to `out`.
    /// Returns when the host next needs polling.
    pub fn poll(
        &mut self,
        now_ns: u64,
        pool: &mut BufferPool,
        stats: &mut [FlowStats],
        out: &mut Vec<Vec<u8>>,
    ) -> Option<u64> {
        let calm = self.direct_polls_on && self.only_sends(now_ns);
        self.collect_due(now_ns);
        if calm && self.due.iter().all(|&i| self.slots[i as usize].direct) {
            return self.direct_poll(now_ns, pool, stats, out);
        }
        std::mem::swap(&mut self.device.pool, pool);
        self.departures.clear();
        while self
            .pending_listens
            .last()
            .is_some_and(|p| p.start_ns <= now_ns)
        {
            if let Some(p) = self.pending_listens.pop() {
                self.servers.listen(&p, self.config.tcp, &mut self.sockets);
                self.smol_pending = true;
            }
        }
        self.sync_path_mss(now_ns);
        let now = instant(now_ns);
        let mut full = false;
        // The due generators were found above (neither a listen nor a path MSS
        // changes them).
        for _round in 0..4 {
            let mut wrote = false;
            let mut tcp_active = false;
            // Whether a datagram smoltcp will fragment is queued: smoltcp has one
            // fragmenter per interface, and a second such datagram dispatched
            // before the first's fragments are all out overwrites it (the first
            // loses its later fragments without a trace). So one per egress sweep;
            // another generator with one due waits for the next poll (1 µs on).
            let mut fragmenting = false;
            let direct = self.direct_round(now_ns);
            for &i in &self.due {
                let i = i as usize;
                let wake = self.slots[i].wake;
                match &mut self.generators[i] {
                    Generator::Ping(p) if p.fragments && fragmenting => {}
                    Generator::Udp(u) if u.fragments && fragmenting => {}
                    Generator::Udp(u) if direct && wake <= now_ns && u.direct_ok() => {
                        let src = match u.plan.dst_ip {
                            IpAddr::V4(_) => self.config.ipv4.map(|a| IpAddress::Ipv4(a.0)),
                            IpAddr::V6(d) => {
                                Some(IpAddress::Ipv6(self.iface.get_source_address_ipv6(&d)))
                            }
                        };
                        if let Some(src) = src {
                            wrote |= u.send_direct(
                                now_ns,
                                src,
                                &mut self.device.pool,
                                &mut stats[u.plan.flow.ix()],
                                &mut self.direct_frames,
                            );
                        }
                    }
                    Generator::Ping(p) if direct && wake <= now_ns => {
                        // Only when `direct_round` allowed it (see `send_direct`).
                        let src = match p.plan.dst_ip {
                            IpAddr::V4(_) => self.config.ipv4.map(|a| IpAddress::Ipv4(a.0)),
                            IpAddr::V6(d) => {
                                Some(IpAddress::Ipv6(self.iface.get_source_address_ipv6(&d)))
                            }
                        };
                        if let Some(src) = src {
                            let sent = p.send_direct(
                                now_ns,
                                src,
                                &mut self.device.pool,
                                &mut stats[p.plan.flow.ix()],
                                &mut self.direct_frames,
                            );
                            self.echo.sent += u64::from(sent);
                            wrote |= sent;
                        }
                    }
                    Generator::Ping(p) if wake <= now_ns => {
                        fragmenting |= p.fragments;
                        wrote |= p.before_poll(
                            now_ns,
                            &mut self.sockets,
                            &mut stats[p.plan.flow.ix()],
                            &mut self.refused,
                        )
                    }
                    Generator::Udp(u) if wake <= now_ns => {
                        fragmenting |= u.fragments;
                        wrote |= u.before_poll(
                            now_ns,
                            &mut self.sockets,
                            &mut stats[u.plan.flow.ix()],
                            &mut self.refused,
                        )
                    }
                    Generator::Ping(_) | Generator::Udp(_) => {}
                    Generator::Tcp(t) => {
                        let f = t.plan.flow.ix();
                        t.before_poll(
                            now_ns,
                            self.iface.context(),
                            &mut self.sockets,
                            &mut stats[f],
                        );
                        tcp_active |= t.has_socket();
                    }
                }
            }
            // A quiet poll has no egress work: only UDP datagrams and ICMP echoes
            // that fit came in, no application wrote, no TCP client is active, and
            // after the last full poll smoltcp's `poll_at` was `None` (every send
            // buffer empty, no TCP timer). smoltcp answers pings and sends port
            // unreachables while reading (one frame each, no larger than the
            // request or the minimum MTU), and such frames do not touch TCP
            // sockets. So only ingress runs, and `poll_at` (still `None`) is not
            // asked: the same frames as a full `poll` at less cost on
            // receive-heavy hosts.
            let calm = !tcp_active && !self.big_rx && !self.smol_pending;
            let quiet = calm && !wrote;
            // With nothing received (a generator due, or an echo answered or
            // read in `receive`), the lone empty ingress call would only set
            // smoltcp's clock and expire reassembly buffers, and both are done
            // again before smoltcp next reads or sends (the egress sweep that
            // may follow sets the clock to the same instant; see
            // `Host::idle_poll`): skipped.
            let nothing_to_read = self.device.rx.is_empty();
            if calm && !nothing_to_read {
                // One frame per call, until the device is empty: the same calls as
                // looping until smoltcp reports `None`, without that last empty
                // call when frames came in (it would only repeat the clock update
                // and reassembly expiry of the first, for the same instant).
                loop {
                    self.iface
                        .poll_ingress_single(now, &mut self.device, &mut self.sockets);
                    if self.device.rx.is_empty() {
                        break;
                    }
                }
            }
            if direct && wrote {
                // Only UDP and ping clients wrote, and built their packets themselves
                // (see `direct_round`): they leave after what the ingress calls
                // above sent, in socket handle order, as the sweep would send them.
                if self.direct_frames.len() > 1 {
                    self.direct_frames.sort_by_key(|f| f.0);
                }
                let n = self.direct_frames.len();
                self.direct_sent += n as u64;
                self.device
                    .tx
                    .extend(self.direct_frames.drain(..).map(|f| f.1));
                self.iface.note_sent_without_dispatch(now, n);
            } else if calm && wrote {
                // Only ping/UDP generators wrote (the state is otherwise quiet):
                // `Interface::poll` would sweep every socket until a sweep sends
                // nothing, and then `poll_at` would sweep them again. One sweep
                // sends what the generators queued; a second is needed only when
                // a written socket still holds data or smoltcp fragmented a
                // datagram (the rest waits in its fragmenter), and then the full
                // loop runs, as `poll` would. Same frames, in the same order.
                let sent_from = self.device.tx.len();
                let sent = self
                    .iface
                    .poll_egress(now, &mut self.device, &mut self.sockets)
                    != PollResult::None;
                if sent && self.egress_left(now_ns, sent_from) {
                    full = true;
                    while self
                        .iface
                        .poll_egress(now, &mut self.device, &mut self.sockets)
                        != PollResult::None
                    {}
                    self.drain_fragmenter(now, sent_from);
                }
            } else if !quiet {
                full = true;
                self.full_poll(now);
            }
            // Another round only when an application gave smoltcp new work (TCP data
            // written, a window opened by reading, a close); replies and ACKs that
            // smoltcp owed went out in this poll already.
            let mut work = false;
            // Every generator in `due` reads here: a ping one is due or ICMP came
            // in, a UDP one is due.
            for &i in &self.due {
                match &mut self.generators[i as usize] {
                    Generator::Ping(p) => {
                        p.after_poll(now_ns, &mut self.sockets, &mut stats[p.plan.flow.ix()])
                    }
                    Generator::Udp(u) => u.after_poll(now_ns, &mut stats[u.plan.flow.ix()]),
                    Generator::Tcp(t) => {
                        work |=
                            t.after_poll(now_ns, &mut self.sockets, &mut stats[t.plan.flow.ix()])
                    }
                }
            }
            if self.all_sinks_dirty {
                for s in &mut self.sinks {
                    s.after_poll(now_ns, self.rx_sent_ns, &mut self.sockets, stats);
                }
            } else {
                for &i in &self.dirty_sinks {
                    self.sinks[i].after_poll(now_ns, self.rx_sent_ns, &mut self.sockets, stats);
                }
            }
            // A quiet poll leaves TCP sockets untouched (no segment in, no timer):
            // nothing new for the servers to read or close.
            if !quiet {
                work |= self.servers.after_poll(now_ns, &mut self.sockets, stats);
            }
            if !work {
                break;
            }
        }
        self.dirty_sinks.clear();
        self.all_sinks_dirty = false;
        self.big_rx = false;
        self.finish_tx(now_ns, stats, out);
        self.update_wakes(stats);
        self.icmp_rx = false;
        self.icmp_due.clear();
        std::mem::swap(&mut self.device.pool, pool);
        for buf in self.device.rx_spent.drain(..) {
            pool.give(buf);
        }
        self.next_wake(now_ns, full)
    }

    /// Whether this round's due UDP clients build their datagrams themselves
    /// instead of queueing them in smoltcp ([`UdpClient::send_direct`]). Only
    /// when smoltcp's egress sweep would send exactly those datagrams and
    /// nothing else, so the frames, their order and smoltcp's state after it
    /// are the same: the poll is calm (nothing received that gives smoltcp
    /// work, no socket left with something to send or a timer after the last
    /// full poll, no TCP generator concerned, so no TCP socket writes), and
    /// every generator that writes this round is a UDP client
    /// [`UdpClient::direct_ok`] allows or one whose datagrams are refused
    /// before smoltcp, or a ping generator [`PingClient::direct_ok`] allows
    /// (one whose requests smoltcp would fragment, or with two due at once,
    /// or a datagram smoltcp would fragment, sends the whole round through
    /// smoltcp). The device is
    /// `Medium::Ip` (no neighbour to resolve, see `device`). Such a sweep
    /// dispatches each socket's datagram in handle order and advances
    /// smoltcp's IPv4 identification once per packet: `Host::poll` sends them
    /// in that order and tells smoltcp (`note_sent_without_dispatch`).
    fn direct_round(&self, now_ns: u64) -> bool {
        if !self.direct_tx || self.big_rx || self.smol_pending {
            return false;
        }
        self.due.iter().all(|&i| {
            let i = i as usize;
            let due = self.slots[i].wake <= now_ns;
            match &self.generators[i] {
                // smoltcp drops an IPv4 datagram silently when the host has no
                // IPv4 address to send it from: that stays smoltcp's to do.
                Generator::Udp(u) => {
                    !due || u.refuses_all()
                        || (u.direct_ok()
                            && (u.plan.dst_ip.is_ipv6() || self.config.ipv4.is_some()))
                }
                Generator::Ping(p) => {
                    !due || (self.echo.on
                        && p.direct_ok(now_ns)
                        && (p.plan.dst_ip.is_ipv6() || self.config.ipv4.is_some()))
                }
                Generator::Tcp(_) => false,
            }
        })
    }

    /// Whether the host is in the state where a poll can only send what its
    /// due generators write (see [`Host::direct_poll`]): nothing received waits
    /// or was received since the last poll that gives smoltcp work (no frame
    /// in the device, no large or TCP frame, no ICMP for a ping generator, no
    /// sink to read), smoltcp owed nothing after the last full poll
    /// (`smol_pending`), nothing is queued to send (no frame in the device, no
    /// TCP segment to re-send), no TCP generator is concerned by every poll
    /// and no TCP server connection or listener due (so no TCP socket is
    /// read or written), and no path MTU is learned (nothing re-segmented,
    /// every plain packet only numbered).
    #[inline]
    fn only_sends(&self, now_ns: u64) -> bool {
        self.device.rx.is_empty()
            && !self.big_rx
            && !self.smol_pending
            && !self.icmp_rx
            && self.icmp_due.is_empty()
            && self.dirty_sinks.is_empty()
            && !self.all_sinks_dirty
            && self.tcp_gens.is_empty()
            && self.device.tx.is_empty()
            && self.lost.is_empty()
            && self.pmtu.is_empty()
            && self.servers.is_empty()
            && self
                .pending_listens
                .last()
                .is_none_or(|p| p.start_ns > now_ns)
    }

    /// A poll in which only UDP clients whose datagrams the host builds itself
    /// are due ([`GeneratorSlot::direct`]), in the state [`Host::only_sends`]
    /// describes: the general poll's work for that case, without its general
    /// machinery (issue #18: most polls of a UDP sender are this one). Each due
    /// client's datagrams are built already finished
    /// ([`UdpClient::next_direct`] with a [`FrameHead`]) straight into `out`.
    ///
    /// The same frames, times and state as the general poll, step by step:
    /// * The general poll takes the direct round (`direct_round`: calm, every
    ///   due generator a direct UDP client), builds the same datagrams
    ///   (`send_direct` is `next_direct` without a head) and sends them in
    ///   socket handle order (stable: one client's in their order): so here,
    ///   clients in handle order, [`TX_SLOTS`] datagrams at most each.
    /// * `finish_tx` then numbers every frame in that order from
    ///   `next_ident` (an IPv6 frame takes a number too, unwritten), clears DF
    ///   where [`Host::sends_without_df`] says (no echo reply here), fills the
    ///   IPv4 header checksum (`number_plain_ipv4`: the bytes `next_direct`
    ///   writes with a head), writes the Ethernet header
    ///   (`packet::ethernet_header` is what `write_ethernet` writes), and asks
    ///   the flow's pacer for each frame's departure, in order: the pacer of
    ///   (local port, destination), the one [`Host::udp_departure`] finds
    ///   (the pacer and DF are fixed once the flows are added, and kept in the
    ///   slot: [`GeneratorSlot::pacer`]). No path MTU is learned,
    ///   so nothing is re-segmented.
    /// * smoltcp's IPv4 identification advances by the frames sent and its
    ///   clock is set (`note_sent_without_dispatch`, as the general poll does).
    ///   When nothing was due to send (a flow's linger ending) the general poll
    ///   makes one ingress call on the empty device, which only sets smoltcp's
    ///   clock and expires reassembly buffers: skipped, as [`Host::idle_poll`]
    ///   skips the same call (both are redone before smoltcp next reads or
    ///   sends).
    /// * Then, as there: every due client's `after_poll` and its wake update
    ///   (generator order), no sink to read, no TCP server connection
    ///   (`TcpServers::after_poll` would do nothing), buffers smoltcp read
    ///   given back to the pool after the frames were taken from it, and the
    ///   next wake of a quiet (not full) poll.
    fn direct_poll(
        &mut self,
        now_ns: u64,
        pool: &mut BufferPool,
        stats: &mut [FlowStats],
        out: &mut Vec<Vec<u8>>,
    ) -> Option<u64> {
        self.direct_polls += 1;
        // A poll, like the general one: see `idle_known`.
        self.idle_known = false;
        self.departures.clear();
        if self.flows_seen != self.generators.len() {
            for slot in &mut self.slots {
                slot.pacer = PACER_UNKNOWN;
            }
            self.flows_seen = self.generators.len();
        }
        let sent_from = out.len();
        match self.due.len() {
            0 => {}
            1 => self.direct_send(self.due[0], now_ns, pool, stats, out),
            _ => {
                let mut order = std::mem::take(&mut self.direct_order);
                order.clear();
                for &i in &self.due {
                    if let Generator::Udp(u) = &self.generators[i as usize] {
                        order.push((u.handle(), i));
                    }
                }
                order.sort_unstable_by_key(|o| o.0);
                for &(_, i) in &order {
                    self.direct_send(i, now_ns, pool, stats, out);
                }
                self.direct_order = order;
            }
        }
        let n = out.len() - sent_from;
        if n > 0 {
            self.direct_sent += n as u64;
            self.iface.note_sent_without_dispatch(instant(now_ns), n);
        }
        // `after_poll` and `update_wakes`, generator by generator: each reads
        // and writes only its own client and flow, and the wake queue and the
        // finished flows get their entries in the same order.
        for k in 0..self.due.len() {
            let i = self.due[k] as usize;
            let Generator::Udp(u) = &mut self.generators[i] else {
                continue;
            };
            let st = &mut stats[u.plan.flow.ix()];
            u.after_poll(now_ns, st);
            let (flow, next, done) = (u.plan.flow, u.next_wake(st), st.done);
            self.set_wake(i, flow, next, false, done);
        }
        for buf in self.device.rx_spent.drain(..) {
            pool.give(buf);
        }
        self.next_wake(now_ns, false)
    }

    /// The datagrams UDP client `i` has due, finished as `finish_tx` would
    /// finish them (see [`Host::direct_poll`]), into `out` with their
    /// departures.
    #[inline(always)]
    fn direct_send(
        &mut self,
        i: u32,
        now_ns: u64,
        pool: &mut BufferPool,
        stats: &mut [FlowStats],
        out: &mut Vec<Vec<u8>>,
    ) {
        let i = i as usize;
        let Generator::Udp(u) = &mut self.generators[i] else {
            return;
        };
        let (dst, lport) = (u.plan.dst_ip, u.plan.local_port);
        let slot = &mut self.slots[i];
        if slot.pacer == PACER_UNKNOWN {
            // What `udp_departure` finds: the first pacer added for (local
            // port, destination) (its hint only ever holds such a first one).
            slot.pacer = self
                .udp_pacer_index
                .get(&(lport, dst))
                .map_or(NO_PACER, |&p| p);
            // `finish_tx` asks for IPv4 only (no echo reply here).
            slot.clear_df = dst.is_ipv4()
                && !self.no_df.is_empty()
                && Self::no_df_has(&self.no_df, dst, proto::UDP, lport);
        }
        let (pacer, clear_df) = (slot.pacer, slot.clear_df);
        let src = match dst {
            IpAddr::V4(_) => {
                let Some((a, _)) = self.config.ipv4 else {
                    return;
                };
                IpAddress::Ipv4(a)
            }
            IpAddr::V6(d) => IpAddress::Ipv6(self.iface.get_source_address_ipv6(&d)),
        };
        let ethernet =
            packet::ethernet_header(self.config.mac, self.config.gateway_mac, dst.is_ipv6());
        let st = &mut stats[u.plan.flow.ix()];
        for _ in 0..TX_SLOTS {
            let head = FrameHead {
                ethernet,
                ident: self.next_ident,
                clear_df,
            };
            let Some(frame) = u.next_direct(now_ns, src, Some(&head), pool, st) else {
                break;
            };
            self.next_ident = self.next_ident.wrapping_add(1);
            let at = match self.udp_pacers.get_mut(pacer as usize) {
                Some((_, _, p)) => {
                    self.udp_pacer_hint = pacer as usize;
                    p.depart_bounded(now_ns, frame.len())
                        .unwrap_or(super::pacing::OVER_FLOW_LIMIT)
                }
                None => now_ns,
            };
            out.push(frame);
            self.departures.push(at);
        }
    }

    /// smoltcp's IPv4 identification counter (tests compare it across both
    /// ways of sending).
    #[cfg(test)]
    pub(crate) fn smoltcp_ipv4_ident(&self) -> u16 {
        self.iface.next_ipv4_ident()
    }

    /// Like Linux's `tcp_sync_mss`: every TCP connection towards a destination
    /// with a learned path MTU sends segments of that MTU's MSS (minus 40 bytes of
    /// IPv4 and TCP headers, 60 for IPv6), and of its own again once the entry
    /// expired. smoltcp would keep the MSS of the interface MTU, leaving the NIC to
    /// split each segment into full pieces and a short remainder (8961 bytes into
    /// 6 × 1460 + 201). Nothing to do until a path MTU is learned.
    fn sync_path_mss(&mut self, now_ns: u64) {
        if self.pmtu.is_empty() {
            return;
        }
        for (_, socket) in self.sockets.iter_mut() {
            let smoltcp::socket::Socket::Tcp(s) = socket else {
                continue;
            };
            let Some(remote) = s.remote_endpoint() else {
                continue;
            };
            let dst = IpAddr::from(remote.addr);
            let headers = if dst.is_ipv4() { 40 } else { 60 };
            let mss = self
                .pmtu
                .get(dst, now_ns)
                .map_or(usize::MAX, |mtu| usize::from(mtu).saturating_sub(headers));
            s.set_path_mss(mss);
        }
    }

    /// `Interface::poll` (maintenance, every received frame, then egress until
    /// nothing is sent), except that the fragments of a datagram smoltcp
    /// fragments (an echo reply larger than the MTU) are all sent before the next
    /// frame is read or another socket dispatches: smoltcp keeps one fragmenter,
    /// which the next large packet would overwrite. Without fragmentation, the
    /// same calls as `poll`.
    fn full_poll(&mut self, now: Instant) {
        self.iface.poll_maintenance(now);
        loop {
            let from = self.device.tx.len();
            let r = self
                .iface
                .poll_ingress_single(now, &mut self.device, &mut self.sockets);
            if r == smoltcp::iface::PollIngressSingleResult::None {
                break;
            }
            self.drain_fragmenter(now, from);
        }
        let from = self.device.tx.len();
        while self
            .iface
            .poll_egress(now, &mut self.device, &mut self.sockets)
            != PollResult::None
        {}
        self.drain_fragmenter(now, from);
    }

    /// If the frames sent from `device.tx[from..]` leave smoltcp's fragmenter
    /// mid-datagram (the last IPv4 fragment among them has MF set), send the rest
    /// now, one fragment per egress call.
    fn drain_fragmenter(&mut self, now: Instant, from: usize) {
        let open = |tx: &[Vec<u8>]| {
            tx.iter()
                .rev()
                .filter_map(|f| {
                    let ip = Ipv4Packet::new_checked(f.get(ETHERNET_HEADER_LEN..)?).ok()?;
                    (ip.version() == 4 && (ip.more_frags() || ip.frag_offset() != 0))
                        .then(|| ip.more_frags())
                })
                .next()
                .unwrap_or(false)
        };
        let mut from = from;
        // A 65,535-byte datagram at the 68-byte minimum MTU is 1,365 fragments.
        for _ in 0..2048 {
            if !open(&self.device.tx[from.min(self.device.tx.len())..]) {
                return;
            }
            from = self.device.tx.len();
            self.iface
                .poll_egress(now, &mut self.device, &mut self.sockets);
            if self.device.tx.len() == from {
                return;
            }
        }
    }

    /// After one egress sweep of a calm poll: whether smoltcp may still have
    /// something to send (a due generator's socket not drained, or a fragment
    /// sent, so more of its datagram waits in the fragmenter).
    fn egress_left(&self, now_ns: u64, sent_from: usize) -> bool {
        // An IPv4 packet with MF set: version nibble and flags byte read directly
        // (smoltcp built these packets; the full header parse cost more than the
        // rest of this check).
        let fragmented = self.device.tx[sent_from..].iter().any(|f| {
            let ip = f.get(ETHERNET_HEADER_LEN..).unwrap_or(&[]);
            ip.len() >= 20 && ip[0] >> 4 == 4 && ip[6] & 0x20 != 0
        });
        fragmented
            || self.due.iter().any(|&i| {
                let i = i as usize;
                self.slots[i].wake <= now_ns
                    && match &self.generators[i] {
                        Generator::Ping(p) => p.tx_queued(&self.sockets),
                        Generator::Udp(u) => u.tx_queued(&self.sockets),
                        Generator::Tcp(_) => false,
                    }
            })
    }

    /// Frames this host's generators could not send since the last call (IPv6
    /// datagrams larger than the interface MTU: see [`super::oversize`]), whole,
    /// to be dropped for `MTU_EXCEEDED`.
    #[inline]
    pub fn has_refused(&self) -> bool {
        !self.refused.is_empty()
    }

    pub fn take_refused(&mut self) -> impl Iterator<Item = Vec<u8>> + '_ {
        let (mac, gateway) = (self.config.mac, self.config.gateway_mac);
        self.refused.drain(..).map(move |mut f| {
            packet::write_ethernet(&mut f, mac, gateway);
            f
        })
    }

    /// Flows whose generator finished since the last call, in generator order.
    pub fn take_finished(&mut self) -> impl Iterator<Item = FlowIdx> + '_ {
        self.finished.drain(..)
    }

    /// The generators this poll concerns, in generator order: ping and UDP ones
    /// that are due, every TCP one, and every ping one when ICMP arrived (it reads
    /// its socket; for an echo, those with its identifier). `wake` and `icmp_rx`
    /// stay as they are until the poll ends, so the set holds for the whole poll.
    /// Found from the wake queue and the per-kind lists: a poll costs the
    /// generators it concerns, not every flow of the host.
    #[inline(always)]
    fn collect_due(&mut self, now_ns: u64) {
        self.due.clear();
        if !self.queued_wakes {
            for (i, slot) in self.slots.iter().enumerate() {
                let concerned = slot.wake <= now_ns
                    || match slot.kind {
                        FlowKind::Tcp => true,
                        FlowKind::Ping => self.icmp_rx,
                        FlowKind::Udp => false,
                    };
                if concerned {
                    self.due.push(i as u32);
                }
            }
            if !self.icmp_rx && !self.icmp_due.is_empty() {
                self.due.extend_from_slice(&self.icmp_due);
                self.due.sort_unstable();
                self.due.dedup();
            }
            return;
        }
        while let Some(&Reverse((w, i))) = self.wake_queue.peek() {
            if w > now_ns {
                break;
            }
            self.wake_queue.pop();
            let slot = &mut self.slots[i as usize];
            if slot.queued == w {
                // Live: re-queued by `update_wakes` with its next time.
                slot.queued = u64::MAX;
                self.due.push(i);
            }
        }
        self.due.extend_from_slice(&self.tcp_gens);
        if self.icmp_rx {
            self.due.extend_from_slice(&self.ping_gens);
        } else {
            self.due.extend_from_slice(&self.icmp_due);
        }
        self.due.sort_unstable();
        self.due.dedup();
    }

    /// Refresh the wake time of every generator this poll concerned (`due`),
    /// noting the flows that finished.
    fn update_wakes(&mut self, stats: &[FlowStats]) {
        for k in 0..self.due.len() {
            let i = self.due[k] as usize;
            let (flow, next, live_tcp) = match &self.generators[i] {
                Generator::Ping(p) => (p.plan.flow, p.next_wake(&stats[p.plan.flow.ix()]), false),
                Generator::Udp(u) => (u.plan.flow, u.next_wake(&stats[u.plan.flow.ix()]), false),
                Generator::Tcp(t) => (
                    t.plan.flow,
                    t.next_wake(&stats[t.plan.flow.ix()]),
                    t.has_socket(),
                ),
            };
            let done = stats[flow.ix()].done;
            self.set_wake(i, flow, next, live_tcp, done);
        }
    }

    /// [`Host::update_wakes`] for generator `i` of `flow`: its next wake
    /// `next`, whether it is a TCP generator with a socket, whether its flow
    /// is done.
    #[inline(always)]
    fn set_wake(&mut self, i: usize, flow: FlowIdx, next: Option<u64>, live_tcp: bool, done: bool) {
        let slot = &mut self.slots[i];
        slot.wake = next.unwrap_or(u64::MAX);
        if self.queued_wakes && slot.kind == FlowKind::Tcp {
            // A TCP generator with a socket is concerned by every poll (see
            // `tcp_gens`); before its start it waits in the queue like the
            // others, and once finished it is in neither.
            let at = self.tcp_gens.binary_search(&(i as u32));
            match (live_tcp, at) {
                (true, Err(at)) => self.tcp_gens.insert(at, i as u32),
                (false, Ok(at)) => {
                    self.tcp_gens.remove(at);
                }
                _ => {}
            }
        }
        if self.queued_wakes && !live_tcp && slot.queued != slot.wake {
            slot.queued = slot.wake;
            if slot.wake != u64::MAX {
                self.wake_queue.push(Reverse((slot.wake, i as u32)));
            }
        }
        if !slot.finished_seen && done {
            slot.finished_seen = true;
            self.finished.push(flow);
        }
    }

    /// Whether the flow sending from `lport` to `dst` has DF clear (`df = false`).
    #[inline]
    fn sends_without_df(&self, dst: IpAddr, protocol: u8, lport: u16) -> bool {
        // Most hosts send every flow with DF set (the default).
        if self.no_df.is_empty() {
            return false;
        }
        Self::no_df_has(&self.no_df, dst, protocol, lport)
    }

    /// [`Host::sends_without_df`]'s search of `no_df`.
    #[inline]
    fn no_df_has(no_df: &[(u16, u8, IpAddr)], dst: IpAddr, protocol: u8, lport: u16) -> bool {
        // The local port first: it tells flows apart at the cost of one compare,
        // where the address is a wider enum compare.
        let from = no_df.partition_point(|e| (e.0, e.1) < (lport, protocol));
        no_df[from..]
            .iter()
            .take_while(|e| e.0 == lport && e.1 == protocol)
            .any(|e| e.2 == dst)
    }

    /// When a UDP frame of `bytes` to `dst` from `lport` may leave under AWS's
    /// single-flow limit, or [`super::pacing::OVER_FLOW_LIMIT`] when the flow's
    /// queue is full (the frame is dropped); `now_ns` for a flow without a limit.
    fn udp_departure(&mut self, dst: IpAddr, lport: u16, now_ns: u64, bytes: usize) -> u64 {
        // The pacer the last datagram used first: a host's datagrams come in runs
        // of one flow (a poll sends what one generator wrote), so the search over
        // its flows is mostly skipped.
        let hint = self.udp_pacer_hint;
        let at = match self.udp_pacers.get(hint) {
            Some((d, l, _)) if *l == lport && *d == dst => Some(hint),
            _ => self.udp_pacer_index.get(&(lport, dst)).map(|&i| i as usize),
        };
        match at.and_then(|i| Some((i, self.udp_pacers.get_mut(i)?))) {
            Some((i, (_, _, p))) => {
                self.udp_pacer_hint = i;
                p.depart_bounded(now_ns, bytes)
                    .unwrap_or(super::pacing::OVER_FLOW_LIMIT)
            }
            None => now_ns,
        }
    }

    /// DF/identification fixes, PMTU re-segmentation and Ethernet headers.
    fn finish_tx(&mut self, now_ns: u64, stats: &mut [FlowStats], out: &mut Vec<Vec<u8>>) {
        // Half the polls (a frame received and nothing answered) send nothing.
        if self.device.tx.is_empty() && self.lost.is_empty() {
            return;
        }
        let mut tx = std::mem::take(&mut self.device.tx);
        for (conn, lost) in self.lost.drain(..) {
            if let Some(t) = self.tcp_templates.get(conn as usize) {
                if let Some(frame) = t.rebuild(&lost, &mut self.device.pool) {
                    tx.push(frame);
                }
            }
        }
        // With no path MTU learned, a plain UDP or ICMP packet is only numbered (DF
        // cleared where asked): one look at its header instead of the general path.
        let no_pmtu = self.pmtu.is_empty();
        let mut udp_carry: Option<(IpAddr, u16)> = None;
        for mut frame in tx.drain(..) {
            let ip = &mut frame[ETHERNET_HEADER_LEN..];
            if let Some(p) = packet::plain_ipv4(ip).filter(|_| no_pmtu) {
                let clear_df = p.echo_reply
                    || self.sends_without_df(IpAddr::V4(p.dst), p.protocol, p.local_port);
                packet::number_plain_ipv4(ip, self.next_ident, clear_df);
                self.next_ident = self.next_ident.wrapping_add(1);
                packet::write_ethernet(&mut frame, self.config.mac, self.config.gateway_mac);
                let at = match p.protocol {
                    proto::UDP => {
                        self.udp_departure(IpAddr::V4(p.dst), p.local_port, now_ns, frame.len())
                    }
                    _ => now_ns,
                };
                out.push(frame);
                self.departures.push(at);
                continue;
            }
            // One parse for both questions (ICMP is protocol 1 in IPv4 only).
            let split = packet::split_ip(ip);
            let mut clear_df =
                matches!(split, Some((_, _, proto::ICMP, l4)) if l4.first() == Some(&0));
            let key = split.and_then(|s| endpoint_key_of(s, true));
            let mut tcp_client_flow = None;
            let mut segment_cap = None;
            let mut pacer = None;
            // A UDP datagram's fragments after the first carry no ports: they
            // follow the first (smoltcp sends them back to back) through its pacer.
            let mut udp_at = key.is_none().then_some(udp_carry).flatten();
            udp_carry = None;
            if let Some((dst, protocol, lport, rport)) = key {
                clear_df |= self.sends_without_df(dst, protocol, lport);
                if protocol == proto::UDP {
                    udp_at = Some((dst, lport));
                    udp_carry = udp_at;
                }
                if protocol == proto::TCP {
                    if let Some(&(flow, client, cap, conn)) =
                        self.tcp_keys.get(&(dst, protocol, lport, rport))
                    {
                        let l4 = split.map_or(&[][..], |s| s.3);
                        if client {
                            // The RST that ends a flow is not one of its packets.
                            tcp_client_flow = Some(flow).filter(|_| !is_rst(l4));
                            segment_cap = Some(cap).filter(|&c| c > 0);
                        }
                        if let Some(t) = self.tcp_templates.get_mut(conn as usize) {
                            t.observe(ip, ip.len() - l4.len(), l4);
                        }
                        pacer = Some(conn as usize);
                    }
                }
            }
            fix_ipv4_header(ip, self.next_ident, clear_df);
            self.next_ident = self.next_ident.wrapping_add(1);
            let pmtu = key.and_then(|k| self.pmtu.get(k.0, now_ns));
            let limit = match (pmtu, segment_cap) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let start = out.len();
            match limit {
                Some(mtu) if key.is_some_and(|k| k.1 == proto::TCP) => {
                    if let Err(f) =
                        resegment_tcp(frame, mtu, &mut self.next_ident, &mut self.device.pool, out)
                    {
                        out.push(f);
                    }
                }
                _ => out.push(frame),
            }
            for f in &mut out[start..] {
                packet::write_ethernet(f, self.config.mac, self.config.gateway_mac);
                let at = match udp_at {
                    Some((dst, lport)) => self.udp_departure(dst, lport, now_ns, f.len()),
                    None => {
                        let p = pacer.and_then(|c| self.tcp_pacers.get_mut(c));
                        p.map_or(now_ns, |p| p.depart(now_ns, f.len()))
                    }
                };
                self.departures.push(at);
            }
            // TCP counts segments as they leave the NIC (after re-segmentation).
            if let Some(st) = tcp_client_flow.and_then(|f| stats.get_mut(f.ix())) {
                st.sent_packets += (out.len() - start) as u64;
            }
        }
        self.device.tx = tx;
    }

    /// `full`: whether the poll just done was a full one; after a quiet one every
    /// socket waits for ingress, so smoltcp's `poll_at` is `None` without asking.
    /// Inlined (always: the hint alone left it a call): `idle_poll` asks with
    /// `full` false, and `poll` is its only other caller.
    #[inline(always)]
    fn next_wake(&mut self, now_ns: u64, full: bool) -> Option<u64> {
        // Every poll ends here: see `idle_known`.
        self.idle_known = false;
        let smol = if full {
            self.iface
                .poll_at(instant(now_ns), &self.sockets)
                .map(|t| (t.total_micros().max(0) as u64) * 1000)
        } else {
            None
        };
        self.smol_pending = smol.is_some();

        // The earliest live entry of the wake queue (stale ones dropped on the
        // way), and the TCP generators' own; or a scan of them all.
        let gens = if self.queued_wakes {
            self.queued_next_wake()
        } else {
            self.slots
                .iter()
                .map(|s| s.wake)
                .min()
                .filter(|&w| w != u64::MAX)
        };
        let listens = self.pending_listens.last().map(|p| p.start_ns);
        let next = earliest(earliest(smol, gens), listens)?;
        // smoltcp counts in microseconds: never ask for a time already passed.
        Some(if next > now_ns {
            next
        } else {
            (now_ns / 1000 + 1) * 1000
        })
    }

    /// The earliest wake of this host's generators, from the wake queue.
    fn queued_next_wake(&mut self) -> Option<u64> {
        let queued = loop {
            match self.wake_queue.peek() {
                Some(&Reverse((w, i))) if self.slots[i as usize].queued != w => {
                    self.wake_queue.pop();
                }
                Some(&Reverse((w, _))) => break Some(w),
                None => break None,
            }
        };
        let tcp = self
            .tcp_gens
            .iter()
            .map(|&i| self.slots[i as usize].wake)
            .min();
        earliest(queued, tcp).filter(|&w| w != u64::MAX)
    }

    /// A poll at `now_ns` that would do nothing observable, done without
    /// running it (issue #18: the engine polls a host after every frame it
    /// receives, and a sink that counted a datagram directly leaves that poll
    /// nothing to do). `None`: a poll is needed. `Some(next)`: what [`Host::poll`]
    /// would have returned, its bookkeeping done (the frames read go back to
    /// `pool`). Such a poll reads no frame (none waits), sends none (nothing
    /// queued, no generator due, smoltcp owes nothing: `poll_at` was `None`
    /// after the last full poll), leaves every sink and generator as it is, and
    /// is quiet (not full; no TCP client concerned, no listener due, no path MTU
    /// to apply); so its only other effects are setting smoltcp's clock and
    /// expiring reassembly buffers. Both are done again, at a later time, before
    /// smoltcp next reads a frame or sends: each of the interface's entry points
    /// sets the clock first (the one other way in, `Interface::context`, serves
    /// TCP's `connect`, which reads no clock), and expiry at a later time removes
    /// whatever an earlier one would have.
    pub fn idle_poll(&mut self, now_ns: u64, pool: &mut BufferPool) -> Option<Option<u64>> {
        let generator_due = if self.queued_wakes {
            // A stale entry at or before `now_ns` also counts: poll then.
            self.wake_queue
                .peek()
                .is_some_and(|&Reverse((w, _))| w <= now_ns)
        } else {
            self.slots
                .iter()
                .any(|s| s.wake <= now_ns || s.kind == FlowKind::Tcp)
        };
        let idle = !generator_due
            && self
                .pending_listens
                .last()
                .is_none_or(|p| p.start_ns > now_ns)
            && (self.idle_known || self.nothing_pending());
        if !idle {
            return None;
        }
        // Back to the pool in the order `poll` gives them: nearly always one,
        // popped (a `Drain` costs more than the rest of this call).
        if self.device.rx_spent.len() == 1 {
            if let Some(buf) = self.device.rx_spent.pop() {
                pool.give(buf);
            }
        } else {
            for buf in self.device.rx_spent.drain(..) {
                pool.give(buf);
            }
        }
        let next = self.next_wake(now_ns, false);
        self.idle_known = true;
        Some(next)
    }

    /// What [`Host::idle_poll`] asks besides the time: nothing received for
    /// smoltcp, nothing to send or re-send, smoltcp owes nothing, no TCP client,
    /// no path MTU learned.
    #[inline]
    pub(crate) fn nothing_pending(&self) -> bool {
        self.device.rx.is_empty()
            && self.device.tx.is_empty()
            && !self.smol_pending
            && !self.big_rx
            && !self.icmp_rx
            && !self.all_sinks_dirty
            && self.dirty_sinks.is_empty()
            && self.icmp_due.is_empty()
            && self.discard.is_none()
            && self.lost.is_empty()
            && self.refused.is_empty()
            && self.tcp_gens.is_empty()
            && self.pmtu.is_empty()
    }
}

/// The earlier of two optional times (a plain match: this runs in every poll,
/// where chained `Option` iterators cost several times as much).
#[inline]
fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod size_tests {
    use super::Generator;

    /// Issue #18: a host holds one generator per flow it sends; the TCP client,
    /// the largest, is boxed so ping and UDP generators stay small.
    #[test]
    fn a_generator_is_sized_by_ping_and_udp() {
        let size = std::mem::size_of::<Generator>();
        assert!(size <= 240, "{size}");
    }
}
