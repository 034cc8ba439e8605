//! The event loop that runs a whole topology: hosts emit frames, links carry them
//! to the fabric (the VPC router) and on to their destination, in virtual time.
//!
//! Per frame hop: the sender's uplink (serialization + drop-tail queue), the fabric
//! (its `latency_ns` is the propagation delay between the two ends), then the
//! receiver's downlink. Hosts are polled only when a frame arrives or when their
//! own timers (smoltcp's `poll_at`, generator schedules) are due.

use super::attribution::{Attribution, DropKind};
use super::direct_connect_port::DxPorts;
use super::report::{build_reports, FlowDrops};
use super::setup::{self, SetupError};
use super::timeline::{Counters, TimelineRun};
use super::translation::TranslatedSources;
use super::{
    Attachment, BufferPool, CapturePoint, DropEvent, EventQueue, Fabric, FabricAction,
    FrameDirection, FrameId, FrameSlab, Link, LinkParams, Observer,
};
use crate::dataplane::DropDetail;
use crate::host::{Discard, FlowStats, GeneratorTimeouts, Host, OVER_FLOW_LIMIT};
use crate::model::{proto, Charges, DropReason, EniIdx, NatIdx, Network};
use crate::output::{Conservation, FlowReport, RunTotals};
use crate::wire::{parse_frame, FlowKey};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

/// How to run.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig<'a> {
    /// `--seed`: ephemeral ports, echo identifiers, smoltcp's ISNs.
    pub seed: u64,
    /// Stop at this virtual time; default: 60 s after both the last scheduled send
    /// and the last delivered frame (see [`DEFAULT_TAIL_NS`]).
    pub time_limit_ns: Option<u64>,
    /// Every host's uplink and downlink (latency is taken from the fabric).
    pub host_link: LinkParams,
    pub timeouts: GeneratorTimeouts,
    /// Checked between events (Ctrl-C); the run stops cleanly when set.
    pub stop: Option<&'a AtomicBool>,
}

impl Default for SimConfig<'_> {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            time_limit_ns: None,
            host_link: LinkParams::default(),
            timeouts: GeneratorTimeouts::default(),
            stop: None,
        }
    }
}

/// What a run hands back.
#[derive(Debug)]
pub struct RunResult {
    pub reports: Vec<FlowReport>,
    /// `wall_time_s` is left 0: the caller measures wall time.
    pub totals: RunTotals,
    /// Stopped by `stop` before finishing.
    pub interrupted: bool,
}

/// Without `--duration`, a run ends once this much virtual time has passed since
/// both the last scheduled send and the last frame delivered to any host (or
/// earlier, when every flow has finished). Measuring from the last delivery lets a
/// long transfer or request/response exchange run to its end however long it
/// takes, while a stalled one (a path MTU black hole: nothing gets through) is
/// still cut off a minute after its last sign of life.
pub const DEFAULT_TAIL_NS: u64 = 60_000_000_000;

#[derive(Debug, Clone, Copy)]
enum Event {
    /// Poll a host (lazy: ignored unless it is the host's current schedule).
    Poll(u32),
    /// A frame reaches the fabric from a host's uplink.
    ToFabric { frame: FrameId, host: u32 },
    /// A frame reaches a host's downlink queue.
    ToDownlink { frame: FrameId, host: u32 },
    /// A frame has crossed the downlink: the host receives it.
    ToHost { frame: FrameId, host: u32 },
    /// A frame reaches an endpoint that takes part in no flow (it would ignore it):
    /// captured on arrival, then discarded.
    Absorb { frame: FrameId, point: CapturePoint },
    /// A time of the topology's timeline: snapshot every flow's counters, then
    /// apply the changes due (see `sim::timeline`).
    Mark,
    /// Frame `frame` of a flow's DNS lookup: a query or segment leaves its
    /// source, or an answer or segment reaches it (see `sim::dns`).
    Dns { lookup: u32, frame: u32 },
}

/// One endpoint. The fields every frame touches sit here, together; the smoltcp
/// host (about 18 KB with its fragmentation buffers) is boxed so that forwarding a
/// frame (attachment, links) does not pull its cache lines in.
struct Node {
    attachment: Attachment,
    point: CapturePoint,
    uplink: Link,
    downlink: Link,
    /// The Direct Connect port the host is behind (see [`DxPorts`]), if any.
    port: Option<u32>,
    /// The time of the poll event currently scheduled (lazy deletion of others).
    scheduled_ns: Option<u64>,
    host: Box<Host>,
}

/// Run every flow of `net` through `fabric`, reporting to `observer`.
pub fn run(
    net: &Network,
    config: &SimConfig<'_>,
    fabric: &mut dyn Fabric,
    observer: &mut dyn Observer,
) -> Result<RunResult, SetupError> {
    let setup = setup::build(net, config.seed)?;
    let mut attribution = Attribution::new(&setup.plans);
    let public_ips: Vec<(IpAddr, IpAddr)> = net
        .enis
        .iter()
        .filter_map(|eni| Some((eni.private_ip.into(), eni.public_ip?.into())))
        .collect();
    attribution.alias(&public_ips);
    let mut ports = DxPorts::default();
    let mut nodes: Vec<Node> = setup
        .hosts
        .into_iter()
        .map(|cfg| {
            let point = match cfg.attachment {
                Attachment::Eni(e) => CapturePoint::Eni(e),
                Attachment::External(h) => CapturePoint::External(h),
            };
            // Behind a Direct Connect connection: its port, shared with the
            // other hosts behind it, sets the rate; the host's own link is
            // infinitely fast.
            let port = ports.port_of(net, cfg.attachment, config.host_link);
            // The instance's own bandwidth (`bandwidth_gbps`), both ways (AWS's
            // figures apply to inbound and outbound each).
            let link = match (port, cfg.bandwidth_bps) {
                (Some(_), _) => LinkParams {
                    bandwidth_bps: 0,
                    ..config.host_link
                },
                (None, 0) => config.host_link,
                (None, bps) => LinkParams {
                    bandwidth_bps: bps,
                    ..config.host_link
                },
            };
            Node {
                attachment: cfg.attachment,
                host: Box::new(Host::new(cfg)),
                scheduled_ns: None,
                point,
                uplink: Link::new(link),
                downlink: Link::new(link),
                port,
            }
        })
        .collect();
    let translated = TranslatedSources::new(net, &setup.plans, nodes.len());
    let mut stats: Vec<FlowStats> = setup.plans.iter().map(FlowStats::for_plan).collect();
    let counts = setup::clients_per_host(net, &setup.plans, nodes.len());
    for (n, c) in nodes.iter_mut().zip(counts) {
        n.host.reserve_clients(c.ping, c.udp, c.paced_udp, c.tcp);
    }
    for (i, p) in setup.plans.iter().enumerate() {
        // Setting up 100k flows takes about a second: an interrupt stops it here
        // (the event loop then ends before its first event).
        if i % 1024 == 0 && config.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            break;
        }
        if net.flows[p.flow.ix()].unresolved() {
            continue; // never starts: its lookup failed
        }
        nodes[p.dst_host].host.add_server(p);
        nodes[p.src_host]
            .host
            .add_client(p.clone(), config.timeouts);
    }
    let last_send = setup
        .plans
        .iter()
        .map(|p| p.last_send_ns())
        .max()
        .unwrap_or(0);

    let mut e = Engine {
        net,
        queue: EventQueue::new(),
        slab: FrameSlab::default(),
        pool: BufferPool::default(),
        out: Vec::new(),
        nat_scratch: Vec::new(),
        actions: Vec::new(),
        drops: vec![FlowDrops::default(); setup.plans.len()],
        attribution,
        translated,
        host_of: HostOf::new(&setup.host_of),
        events: 0,
        frames: 0,
        pending_flows: setup.plans.len() - net.flows.iter().filter(|f| f.unresolved()).count(),
        last_delivery_ns: 0,
        eni_frames_only: observer.eni_frames_only(),
        ledger: Conservation::default(),
        timeline: TimelineRun::new(net),
        dns_left: 0,
        ports,
    };
    // Before the first polls: a change at 0 applies before any frame.
    for &t in &e.timeline.marks {
        e.queue.push(t, Event::Mark);
    }
    for (i, n) in nodes.iter_mut().enumerate() {
        n.scheduled_ns = Some(0);
        e.queue.push(0, Event::Poll(i as u32));
    }
    // Flows by DNS name: their lookups' frames, at the times compiled.
    let lookups = super::dns::frames_for(net, config.seed, &setup.plans);
    for (i, l) in lookups.iter().enumerate() {
        if let Some((_, l)) = l {
            e.dns_left += l.frames.frames.len();
            for (k, f) in l.frames.frames.iter().enumerate() {
                e.queue.push(
                    f.at_ns,
                    Event::Dns {
                        lookup: i as u32,
                        frame: k as u32,
                    },
                );
            }
        }
    }
    let mut now = 0u64;
    let mut interrupted = false;
    observer.loop_started();
    while let Some((t, ev)) = e.queue.pop() {
        let time_limit = config.time_limit_ns.unwrap_or_else(|| {
            last_send
                .max(e.last_delivery_ns)
                .saturating_add(DEFAULT_TAIL_NS)
        });
        if t > time_limit {
            break;
        }
        if config.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            interrupted = true;
            break;
        }
        now = t;
        e.events += 1;
        if let Event::Dns { lookup, frame } = ev {
            e.dns(t, &lookups, lookup, frame, observer);
        } else {
            e.handle(t, ev, &mut nodes, &mut stats, fabric, observer);
        }
        if e.pending_flows == 0 && e.dns_left == 0 {
            break;
        }
    }
    let pmtu = nodes_pmtu(&nodes, &setup.plans);
    drop(nodes);
    let conservation = e.close_ledger(&*fabric);
    let end: Vec<Counters> = stats
        .iter()
        .zip(&e.drops)
        .map(|(s, d)| Counters::of(s, d, d.in_flight))
        .collect();
    let timelines = e.timeline.finish(net, &end);
    let reports = build_reports(net, &setup.plans, stats, &e.drops, &pmtu, timelines);
    let conservation = Conservation {
        unaccounted_packets: reports.iter().map(|r| r.unaccounted_packets).sum(),
        ..conservation
    }
    .check();
    Ok(RunResult {
        reports,
        totals: RunTotals {
            events: e.events,
            frames: e.frames,
            sim_time_ns: now,
            wall_time_s: 0.0,
            conservation,
        },
        interrupted,
    })
}

/// The path MTU each flow's source learned towards its destination.
fn nodes_pmtu(nodes: &[Node], plans: &[crate::host::FlowPlan]) -> Vec<Option<u16>> {
    plans
        .iter()
        .map(|p| nodes[p.src_host].host.path_mtu(p.dst_ip))
        .collect()
}

/// Attachment → node index as two dense tables (a lookup per delivered frame: an
/// index instead of a `BTreeMap` walk).
struct HostOf {
    enis: Vec<Option<u32>>,
    externals: Vec<Option<u32>>,
}

impl HostOf {
    fn new(map: &std::collections::BTreeMap<Attachment, usize>) -> Self {
        let mut t = HostOf {
            enis: Vec::new(),
            externals: Vec::new(),
        };
        for (&a, &h) in map {
            let (table, i) = match a {
                Attachment::Eni(e) => (&mut t.enis, e.ix()),
                Attachment::External(x) => (&mut t.externals, x.ix()),
            };
            if table.len() <= i {
                table.resize(i + 1, None);
            }
            table[i] = Some(h as u32);
        }
        t
    }

    #[inline]
    fn get(&self, a: Attachment) -> Option<usize> {
        let slot = match a {
            Attachment::Eni(e) => self.enis.get(e.ix()),
            Attachment::External(x) => self.externals.get(x.ix()),
        };
        slot.copied().flatten().map(|h| h as usize)
    }
}

struct Engine<'n> {
    net: &'n Network,
    queue: EventQueue<Event>,
    slab: FrameSlab,
    pool: BufferPool,
    out: Vec<Vec<u8>>,
    /// A frame as it was before a NAT gateway translated it (reused).
    nat_scratch: Vec<u8>,
    actions: Vec<FabricAction>,
    drops: Vec<FlowDrops>,
    attribution: Attribution,
    /// Tells receivers who is behind a translated source.
    translated: TranslatedSources,
    host_of: HostOf,
    events: u64,
    frames: u64,
    pending_flows: usize,
    /// When a frame last reached a host (see [`DEFAULT_TAIL_NS`]).
    last_delivery_ns: u64,
    /// The observer's [`Observer::eni_frames_only`], asked once.
    eni_frames_only: bool,
    /// Frame counts for the conservation check (a few additions per frame).
    ledger: Conservation,
    /// The topology's timeline: marks reached, snapshots, changes applied.
    timeline: TimelineRun,
    /// DNS lookup frames still to put on the wire (the run does not end before:
    /// a flow whose name did not resolve is finished from the start, but its
    /// query is still sent).
    dns_left: usize,
    /// The Direct Connect ports hosts share.
    ports: DxPorts,
}

impl Engine<'_> {
    fn handle(
        &mut self,
        t: u64,
        ev: Event,
        nodes: &mut [Node],
        stats: &mut [FlowStats],
        fabric: &mut dyn Fabric,
        observer: &mut dyn Observer,
    ) {
        match ev {
            Event::Poll(h) => {
                let n = &mut nodes[h as usize];
                if n.scheduled_ns != Some(t) {
                    return; // superseded
                }
                n.scheduled_ns = None;
                self.poll(t, h as usize, nodes, stats, observer);
            }
            Event::ToFabric { frame, host } => {
                let (bytes, sent_ns) = self.slab.remove_stamped(frame);
                self.frames += 1;
                let from = nodes[host as usize].attachment;
                fabric.forward(t, from, bytes, &mut self.actions);
                match self.actions.len() {
                    0 => self.ledger.vanished += 1,
                    n => self.ledger.generated += n as u64 - 1,
                }
                // Carried out in place, their frames taken out, then cleared: an
                // action is large, and moving it out (popped or drained) and on
                // into `act` cost more than most of the work done with it.
                let mut actions = std::mem::take(&mut self.actions);
                for a in &mut actions {
                    self.act(t, a, sent_ns, fabric, observer);
                }
                actions.clear();
                self.actions = actions;
            }
            Event::ToDownlink { frame, host } => {
                let len = self.slab_len(frame);
                let n = &mut nodes[host as usize];
                let sent = match n.port {
                    None => n.downlink.send(t, len).map_err(|_| "downlink queue full"),
                    Some(p) => self
                        .ports
                        .down(p, t, len)
                        .and_then(|at| n.downlink.send(at, len).map_err(|_| "downlink queue full")),
                };
                match sent {
                    Ok(at) => self.queue.push(at, Event::ToHost { frame, host }),
                    Err(detail) => {
                        let bytes = self.slab.remove(frame);
                        self.attribution.learn_translation(&bytes, &*fabric);
                        let eni = match n.attachment {
                            Attachment::Eni(e) => Some(e),
                            Attachment::External(_) => None,
                        };
                        self.drop_frame(t, DropReason::QueueOverflow, detail, eni, bytes, observer);
                    }
                }
            }
            // Handled by `Engine::dns` (it needs the lookups' frames).
            Event::Dns { .. } => {}
            Event::Absorb { frame, point } => {
                let bytes = self.slab.remove(frame);
                self.ledger.absorbed += 1;
                if self.observes(point) {
                    observer.frame(t, point, FrameDirection::Inbound, &bytes);
                }
                self.pool.give(bytes);
            }
            Event::ToHost { frame, host } => {
                self.last_delivery_ns = t;
                self.ledger.delivered += 1;
                let (bytes, sent_ns) = self.slab.remove_stamped(frame);
                let n = &mut nodes[host as usize];
                if self.observes(n.point) {
                    observer.frame(t, n.point, FrameDirection::Inbound, &bytes);
                }
                self.translated
                    .observe(host as usize, &bytes, &*fabric, &mut n.host);
                n.host.receive(bytes, t, sent_ns, stats);
                if n.host.discarding() {
                    if let Some((why, copy)) = n.host.take_discarded(&mut self.pool) {
                        let at = n.attachment;
                        self.host_discard(t, at, why, copy, fabric, observer);
                    }
                }
                // A sink that counted the datagram directly usually leaves the
                // poll nothing to do: then the host says so, and when it next
                // needs one, at a fraction of a poll's cost (see `Host::idle_poll`).
                let n = &mut nodes[host as usize];
                match n.host.idle_poll(t, &mut self.pool) {
                    Some(next) => self.schedule(n, host as usize, next),
                    None => self.poll(t, host as usize, nodes, stats, observer),
                }
            }
            Event::Mark => self.mark(t, stats, fabric),
        }
    }

    /// A time of the timeline: snapshot every flow's counters (with its frames
    /// in flight), then apply the changes due at `t` to the fabric.
    #[cold]
    #[inline(never)]
    fn mark(&mut self, t: u64, stats: &[FlowStats], fabric: &mut dyn Fabric) {
        let mut in_flight = vec![0u64; self.drops.len()];
        for frame in self.slab.live() {
            if let Some((flow, _)) = self.attribution.classify(frame) {
                if let Some(n) = in_flight.get_mut(flow.ix()) {
                    *n += 1;
                }
            }
        }
        let counters = stats
            .iter()
            .zip(&self.drops)
            .zip(in_flight)
            .map(|((s, d), n)| Counters::of(s, d, n))
            .collect();
        self.timeline.snapshot(counters);
        for change in self.timeline.due(self.net, t) {
            let label = match fabric.apply_change(change) {
                Ok(()) => change.label.clone(),
                Err(why) => format!("{} (not applied: {why})", change.label),
            };
            self.timeline.applied(label);
        }
    }

    /// Whether frames seen at `point` go to the observer (see
    /// [`Observer::eni_frames_only`]).
    #[inline]
    /// A frame of a flow's DNS lookup, seen at the source's interface and
    /// counted: a frame the host sends is taken by the resolver (delivered) or
    /// by nobody (absorbed); one the resolver sends is generated and delivered
    /// to the host.
    fn dns(
        &mut self,
        t: u64,
        lookups: &[Option<(CapturePoint, super::dns::Lookup)>],
        i: u32,
        k: u32,
        observer: &mut dyn Observer,
    ) {
        let Some(Some((point, l))) = lookups.get(i as usize) else {
            return;
        };
        let Some(f) = l.frames.frames.get(k as usize) else {
            return;
        };
        self.dns_left = self.dns_left.saturating_sub(1);
        self.frames += 1;
        let dir = if f.from_host {
            self.ledger.emitted += 1;
            if f.taken {
                self.ledger.delivered += 1;
            } else {
                self.ledger.absorbed += 1;
            }
            FrameDirection::Outbound
        } else {
            self.ledger.generated += 1;
            self.ledger.delivered += 1;
            self.last_delivery_ns = t;
            FrameDirection::Inbound
        };
        if self.observes(*point) {
            observer.frame(t, *point, dir, &f.bytes);
        }
    }

    fn observes(&self, point: CapturePoint) -> bool {
        !self.eni_frames_only || matches!(point, CapturePoint::Eni(_) | CapturePoint::NatGateway(_))
    }

    /// The run's frame counts, with the frames still travelling counted in
    /// total and for their flows.
    fn close_ledger(&mut self, fabric: &dyn Fabric) -> Conservation {
        self.ledger.in_flight = self.slab.in_flight() as u64;
        for frame in self.slab.live() {
            // A frame a NAT gateway translated counts for its flow too.
            self.attribution.learn_translation(frame, fabric);
            if let Some((flow, _)) = self.attribution.classify(frame) {
                self.drops[flow.ix()].in_flight += 1;
            }
        }
        self.ledger
    }

    fn slab_len(&self, id: FrameId) -> usize {
        self.slab.get(id).len()
    }

    fn poll(
        &mut self,
        t: u64,
        h: usize,
        nodes: &mut [Node],
        stats: &mut [FlowStats],
        observer: &mut dyn Observer,
    ) {
        let n = &mut nodes[h];
        let mut out = std::mem::take(&mut self.out);
        let next = n.host.poll(t, &mut self.pool, stats, &mut out);
        let observed = self.observes(n.point);
        self.ledger.emitted += out.len() as u64;
        for (i, frame) in out.drain(..).enumerate() {
            if observed {
                observer.frame(t, n.point, FrameDirection::Outbound, &frame);
            }
            // The host's own TCP segments wait for room (TCP Small Queues: see
            // `Link::enqueue`), and for their flow's share of AWS's single-flow
            // limit (`host::pacing`); other frames meet the drop-tail queue, a UDP
            // flow's after its own share of that limit.
            let at = n.host.departure(i, t);
            let tcp = is_tcp(&frame);
            let mut sent = if at == OVER_FLOW_LIMIT {
                Err("single-flow limit queue full")
            } else if tcp {
                Ok(n.uplink.enqueue(at, frame.len()))
            } else {
                n.uplink
                    .send(at, frame.len())
                    .map_err(|_| "uplink queue full")
            };
            if let (Ok(at), Some(p)) = (sent, n.port) {
                sent = self.ports.up(p, at, frame.len(), tcp);
            }
            match sent {
                Ok(at) => {
                    let id = self.slab.insert_stamped(frame, t);
                    self.queue.push(
                        at,
                        Event::ToFabric {
                            frame: id,
                            host: h as u32,
                        },
                    );
                }
                Err(detail) => {
                    let eni = match n.attachment {
                        Attachment::Eni(e) => Some(e),
                        Attachment::External(_) => None,
                    };
                    self.drop_frame(t, DropReason::QueueOverflow, detail, eni, frame, observer);
                }
            }
        }
        self.out = out;
        if n.host.has_refused() {
            self.drop_refused(t, n, observer);
        }
        self.schedule(n, h, next);
        for f in n.host.take_finished() {
            let f = f.ix();
            if stats[f].done && !self.drops[f].finished {
                self.drops[f].finished = true;
                self.pending_flows -= 1;
            }
        }
    }

    /// Poll host `h` (node `n`) at `next`, unless a poll is scheduled earlier.
    #[inline]
    fn schedule(&mut self, n: &mut Node, h: usize, next: Option<u64>) {
        if let Some(next) = next {
            if n.scheduled_ns.is_none_or(|s| next < s) {
                n.scheduled_ns = Some(next);
                self.queue.push(next, Event::Poll(h as u32));
            }
        }
    }

    /// Drop what a host's generators could not send (IPv6 datagrams larger than
    /// its MTU), for `MTU_EXCEEDED`: counted for their flow, never vanished.
    fn drop_refused(&mut self, t: u64, n: &mut Node, observer: &mut dyn Observer) {
        let eni = match n.attachment {
            Attachment::Eni(e) => Some(e),
            Attachment::External(_) => None,
        };
        let mtu = n.host.config.mtu;
        let frames: Vec<Vec<u8>> = n.host.take_refused().collect();
        for frame in frames {
            // The host did send it (the drop is its interface's): counted as
            // emitted, or the run's totals had one more dropped frame than frames
            // sent (stop 14: IPv6 ping/UDP larger than the ENI's MTU).
            self.ledger.emitted += 1;
            let detail = format!(
                "IPv6 packet of {} bytes exceeds the {mtu}-byte MTU of {}: IPv6 source \
                 fragmentation is not emulated",
                frame.len().saturating_sub(crate::wire::ETHERNET_HEADER_LEN),
                n.host.config.name,
            );
            self.drop_frame(t, DropReason::MtuExceeded, &detail, eni, frame, observer);
        }
    }

    /// Show a frame a NAT gateway translated on the gateway's interface: as it
    /// arrived (rebuilt in a reused buffer from the translated frame and what the
    /// gateway changed) and as it left.
    fn observe_nat(
        &mut self,
        t: u64,
        c: crate::dataplane::NatCrossing,
        frame: &[u8],
        observer: &mut dyn Observer,
    ) {
        let point = CapturePoint::NatGateway(c.nat);
        self.nat_scratch.clear();
        self.nat_scratch.extend_from_slice(frame);
        let (src, dst) = if c.outbound {
            (Some(c.before), None)
        } else {
            (None, Some(c.before))
        };
        if crate::wire::rewrite_ipv4(&mut self.nat_scratch, src, dst).is_ok() {
            observer.frame(t, point, FrameDirection::Inbound, &self.nat_scratch);
        }
        observer.frame(t, point, FrameDirection::Outbound, frame);
    }

    /// Show a frame a forwarding instance passed on on the instance's ENIs:
    /// as it arrived (rebuilt in a reused buffer: TTL one higher, the NAT
    /// instance's translation undone, from the router to the ENI's MAC) and as
    /// it left (from the ENI's MAC to the router). Flow logs of the appliance's
    /// ENIs follow from these, as AWS records both legs. A PrivateLink crossing
    /// is shown the same way on the interface endpoint's and the NLB node's
    /// ENIs (both addresses translated back, TTL as it was).
    fn observe_appliance(
        &mut self,
        t: u64,
        c: crate::dataplane::ApplianceCrossing,
        frame: &[u8],
        observer: &mut dyn Observer,
    ) {
        use crate::dataplane::ROUTER_MAC;
        let mac = |e: EniIdx| self.net.enis.get(e.ix()).map(|e| e.mac);
        if let Some(arrival) = c.arrival.filter(|&a| self.observes(CapturePoint::Eni(a))) {
            let in_mac = mac(arrival);
            self.nat_scratch.clear();
            self.nat_scratch.extend_from_slice(frame);
            let f = &mut self.nat_scratch;
            let undone = match (c.before, c.privatelink) {
                // PrivateLink: both addresses were translated, no TTL lowered.
                (Some((_, ip, port)), Some((dip, dport))) => {
                    crate::wire::rewrite_ipv4(f, Some((ip, Some(port))), Some((dip, Some(dport))))
                }
                (Some((true, ip, port)), None) => {
                    crate::wire::rewrite_ipv4(f, Some((ip, Some(port))), None)
                }
                (Some((false, ip, port)), None) => {
                    crate::wire::rewrite_ipv4(f, None, Some((ip, Some(port))))
                }
                (None, _) => Ok(()),
            };
            let ttl_ok = c.privatelink.is_some() || crate::wire::increment_ttl(f).is_ok();
            let ok = undone.is_ok()
                && ttl_ok
                && in_mac.is_some_and(|m| crate::wire::set_macs(f, ROUTER_MAC, m).is_ok());
            if ok {
                observer.frame(t, CapturePoint::Eni(arrival), FrameDirection::Inbound, f);
            }
        }
        let Some(out) = self.net.enis.get(c.departure.ix()) else {
            return;
        };
        let (out_mac, private, public) = (out.mac, out.private_ip, out.public_ip);
        self.nat_scratch.clear();
        self.nat_scratch.extend_from_slice(frame);
        // Towards the internet the internet gateway has already mapped the
        // instance's address to its public IP: the ENI saw the private one.
        if let (Some(p), Ok(k)) = (public, parse_frame(frame)) {
            if k.src == std::net::IpAddr::V4(p) {
                let _ =
                    crate::wire::rewrite_ipv4(&mut self.nat_scratch, Some((private, None)), None);
            }
        }
        if crate::wire::set_macs(&mut self.nat_scratch, out_mac, ROUTER_MAC).is_ok()
            && self.observes(CapturePoint::Eni(c.departure))
        {
            let p = CapturePoint::Eni(c.departure);
            observer.frame(t, p, FrameDirection::Outbound, &self.nat_scratch);
        }
    }

    /// Carry out one of the fabric's actions for a frame sent at `sent_ns`.
    #[inline]
    fn act(
        &mut self,
        t: u64,
        a: &mut FabricAction,
        sent_ns: u64,
        fabric: &dyn Fabric,
        observer: &mut dyn Observer,
    ) {
        if let FabricAction::Drop { frame, .. } = a {
            self.attribution.learn_translation(frame, fabric);
        }
        self.apply(t, a, sent_ns, fabric, observer);
    }

    fn apply(
        &mut self,
        t: u64,
        action: &mut FabricAction,
        sent_ns: u64,
        fabric: &dyn Fabric,
        observer: &mut dyn Observer,
    ) {
        match action {
            FabricAction::Deliver {
                to,
                frame,
                latency_ns,
                via_peering,
                via_tgw,
                charges,
                via_nat,
                via_appliance,
                via_gateway,
            } => {
                let frame = std::mem::take(frame);
                if !charges.is_empty() {
                    self.charge(*charges, &frame, fabric);
                }
                if let Some(c) = *via_nat {
                    self.observe_nat(t, c, &frame, observer);
                }
                if let Some(c) = *via_appliance {
                    self.observe_appliance(t, c, &frame, observer);
                }
                if let Some(p) = via_peering.filter(|_| !self.eni_frames_only) {
                    observer.frame(
                        t,
                        CapturePoint::Peering(p),
                        FrameDirection::Outbound,
                        &frame,
                    );
                }
                if let Some(c) = via_gateway.filter(|_| !self.eni_frames_only) {
                    observe_gateway(t, c, &frame, observer);
                }
                if let Some((a, b)) = via_tgw.filter(|_| !self.eni_frames_only) {
                    let i = FrameDirection::Inbound;
                    observer.frame(t, CapturePoint::TgwAttachment(a), i, &frame);
                    let o = FrameDirection::Outbound;
                    observer.frame(t, CapturePoint::TgwAttachment(b), o, &frame);
                }
                match self.host_of.get(*to) {
                    Some(h) => {
                        let id = self.slab.insert_stamped(frame, sent_ns);
                        self.queue.push(
                            t + *latency_ns,
                            Event::ToDownlink {
                                frame: id,
                                host: h as u32,
                            },
                        );
                    }
                    // An endpoint that takes part in no flow: it would ignore the
                    // frame, so it is only captured on arrival.
                    None => {
                        let point = match *to {
                            Attachment::Eni(e) => CapturePoint::Eni(e),
                            Attachment::External(x) => CapturePoint::External(x),
                        };
                        let id = self.slab.insert(frame);
                        self.queue
                            .push(t + *latency_ns, Event::Absorb { frame: id, point });
                    }
                }
            }
            FabricAction::Drop {
                reason,
                detail,
                eni,
                frame,
            } => {
                let frame = std::mem::take(frame);
                self.drop_frame(t, *reason, detail, *eni, frame, observer);
            }
        }
    }

    /// Count a delivered frame's IP bytes on the billable segments it crossed,
    /// for its flow (both directions; an ICMP error about the flow counts too).
    /// Only frames that crossed a billable segment get here. Billed frames are
    /// counted for their flow, a NAT gateway's public side included (the
    /// translation is learned from `fabric` when the identity is new).
    fn charge(&mut self, charges: Charges, frame: &[u8], fabric: &dyn Fabric) {
        if let Some((flow, _)) = self.attribution.attribute(frame, fabric) {
            let bytes = frame.len().saturating_sub(crate::wire::ETHERNET_HEADER_LEN);
            if let Some(d) = self.drops.get_mut(flow.ix()) {
                d.segment_bytes.add(charges, bytes as u64);
            }
        }
    }

    /// A host's stack discards a frame it received (`frame` is a copy; smoltcp
    /// reads the original and answers it as a Linux host would): counted
    /// dropped, with the reason, instead of delivered.
    #[cold]
    fn host_discard(
        &mut self,
        t: u64,
        at: Attachment,
        why: Discard,
        frame: Vec<u8>,
        fabric: &dyn Fabric,
        observer: &mut dyn Observer,
    ) {
        self.ledger.delivered -= 1;
        self.attribution.learn_translation(&frame, fabric);
        let (host, eni) = match at {
            Attachment::Eni(e) => (crate::model::Endpoint::Eni(e), Some(e)),
            Attachment::External(h) => (crate::model::Endpoint::External(h), None),
        };
        let key = parse_frame(&frame).ok();
        let detail = match why {
            Discard::ReassemblyLimit => DropDetail::HostReassemblyLimit { host },
            Discard::NoSocket => key
                .and_then(|k| asymmetric_nat_reply(self.net, &k, fabric))
                .unwrap_or(DropDetail::HostNoSocket { host }),
        };
        let text = detail.display(self.net).to_string();
        if let Some(k) = key {
            if let Some((flow, _)) = self.attribution.classify(&frame) {
                let reason = detail.reason();
                self.drops[flow.ix()]
                    .host_notes
                    .entry(reason)
                    .or_insert_with(|| format!("{text}; fix: {}", detail.hint(self.net, &k)));
            }
        }
        self.drop_frame(t, detail.reason(), &text, eni, frame, observer);
    }

    fn drop_frame(
        &mut self,
        t: u64,
        reason: DropReason,
        detail: &str,
        eni: Option<crate::model::EniIdx>,
        frame: Vec<u8>,
        observer: &mut dyn Observer,
    ) {
        self.ledger.dropped += 1;
        let event = DropEvent {
            time_ns: t,
            reason,
            detail,
            eni,
            frame: &frame,
        };
        observer.dropped(event);
        if let Some((flow, kind)) = self.attribution.classify_drop(&frame) {
            observer.flow_dropped(flow, event);
            let d = &mut self.drops[flow.ix()];
            d.note_object(reason, detail);
            match kind {
                DropKind::Packet => d.count(reason),
                DropKind::Reset => d.count_reset(reason),
                DropKind::PacketTooBig => {
                    d.count_reset(reason);
                    d.icmp_too_big_dropped
                        .get_or_insert_with(|| detail.to_string());
                }
                DropKind::IcmpError => d.count_reset(reason),
            }
        }
        self.pool.give(frame);
    }
}

/// A frame no socket took that is a reply (a TCP segment with ACK, an echo reply)
/// from a NAT gateway's Elastic IP, sent by an instance with a public IP: the
/// request came in through that public IP and the reply left through the NAT
/// gateway the instance's subnet routes to, so its source is not the one the
/// requester expects.
fn asymmetric_nat_reply(net: &Network, k: &FlowKey, fabric: &dyn Fabric) -> Option<DropDetail> {
    let nat = net
        .nat_gateways
        .iter()
        .position(|n| IpAddr::V4(n.public_ip) == k.src)?;
    let (reply, port) = match k.protocol {
        proto::TCP => (k.tcp_flags & 0x10 != 0, k.src_port),
        proto::ICMP => (k.icmp_type == 0, k.icmp_id),
        _ => (false, 0),
    };
    if !reply {
        return None;
    }
    let (private, _) = fabric.untranslate(k.src, k.protocol, port)?;
    let eni = net
        .enis
        .iter()
        .position(|e| IpAddr::V4(e.private_ip) == private && e.public_ip.is_some())?;
    Some(DropDetail::AsymmetricNatReply {
        nat: NatIdx(nat as u32),
        eni: Some(EniIdx(eni as u32)),
    })
}

/// Whether an Ethernet frame carries TCP (IPv4, or IPv6 without extension headers).
#[inline]
fn is_tcp(frame: &[u8]) -> bool {
    use crate::wire::ETHERNET_HEADER_LEN as E;
    match frame.get(E).map(|b| b >> 4) {
        Some(4) => frame.get(E + 9) == Some(&crate::model::proto::TCP),
        Some(6) => frame.get(E + 6) == Some(&crate::model::proto::TCP),
        _ => false,
    }
}

/// Show a frame that crossed an egress-only internet gateway or a Direct
/// Connect virtual interface there (outbound: leaving AWS; inbound: coming in).
fn observe_gateway(
    t: u64,
    c: crate::dataplane::GatewayCrossing,
    frame: &[u8],
    observer: &mut dyn Observer,
) {
    use crate::dataplane::GatewayCrossing as G;
    let (point, outbound) = match c {
        G::EgressOnlyIgw { eigw, outbound } => (CapturePoint::EgressOnlyIgw(eigw), outbound),
        G::VirtualInterface { dx, vif, outbound } => {
            (CapturePoint::VirtualInterface(dx, vif), outbound)
        }
    };
    let dir = if outbound {
        FrameDirection::Outbound
    } else {
        FrameDirection::Inbound
    };
    observer.frame(t, point, dir, frame);
}
