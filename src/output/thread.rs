//! [`RecorderThread`]: runs a [`Recorder`] on its own thread, so parsing frames for
//! the flow log and writing captures overlap with the simulation instead of adding
//! to it (together about a fifth of a run's time on one core).
//!
//! The simulation's thread copies what it observes into a batch (frame bytes in one
//! arena, a small fixed record per observation) and hands full batches over a
//! bounded crossbeam channel; the recorder thread replays them, in order, into the
//! `Recorder`, and returns the emptied batch for reuse. Order is preserved, so the
//! files are byte-identical to a recorder called directly; the channel bound keeps
//! memory fixed (a slow disk slows the simulation down rather than piling up
//! frames); batches are recycled, so the steady state allocates nothing.
//!
//! Without captures only the flow log reads frames, and only their headers: then
//! only frames seen at ENIs are passed on, cut to [`flow_log_snap`] bytes, and the
//! recorder thread sees each as its headers followed by zeros up to the original
//! length, which parses to the same flow key (tested below). That keeps the copy,
//! and the cache it sweeps, small.

use super::frame_head::{plain_ipv4_head, HEAD_LEN};
use super::recorder::Recorder;
use crate::model::{DropReason, EniIdx};
use crate::sim::{CapturePoint, DropEvent, FrameDirection, Observer};
use crossbeam_channel::{bounded, Receiver, Sender};
use std::io;
use std::thread::JoinHandle;
use std::time::Instant;

/// A batch is handed over once its arena holds this many bytes…
const BATCH_BYTES: usize = 1024 * 1024;
/// …or this many observations.
const BATCH_RECORDS: usize = 8192;
/// Batches in flight (filled and waiting, or being replayed).
const BATCHES_IN_FLIGHT: usize = 4;

#[derive(Debug, Clone, Copy)]
enum Record {
    /// A plain IPv4 UDP or ICMP frame seen at an ENI or NAT gateway without
    /// captures (see `frame_head`): its first bytes, all the flow log reads, kept
    /// in the record itself (one store of a fixed size, no arena).
    Head {
        time_ns: u64,
        point: CapturePoint,
        dir: FrameDirection,
        len: u32,
        head: [u8; HEAD_LEN],
    },
    Frame {
        time_ns: u64,
        point: CapturePoint,
        dir: FrameDirection,
        /// `arena[start..end]`: the frame, or its first bytes (`len` is then
        /// larger than `end - start`).
        start: u32,
        end: u32,
        len: u32,
    },
    Drop {
        time_ns: u64,
        reason: DropReason,
        eni: Option<EniIdx>,
        /// The detail text, then the frame, in the arena.
        start: u32,
        detail_end: u32,
        end: u32,
    },
}

#[derive(Debug, Default)]
struct Batch {
    records: Vec<Record>,
    arena: Vec<u8>,
}

impl Batch {
    fn is_full(&self) -> bool {
        self.arena.len() >= BATCH_BYTES || self.records.len() >= BATCH_RECORDS
    }

    /// Append `bytes`; returns the arena offset after them.
    fn push_bytes(&mut self, bytes: &[u8]) -> u32 {
        self.arena.extend_from_slice(bytes);
        self.arena.len() as u32
    }

    /// Replay into `recorder`; `zeros` is scratch space, all zero between calls.
    fn replay(&self, recorder: &mut Recorder, zeros: &mut Vec<u8>) {
        for r in &self.records {
            match *r {
                Record::Head {
                    time_ns,
                    point,
                    dir,
                    len,
                    ref head,
                } => {
                    if !recorder.head_frame(time_ns, point, head, len) {
                        replay_snapped(recorder, zeros, time_ns, point, dir, head, len);
                    }
                }
                Record::Frame {
                    time_ns,
                    point,
                    dir,
                    start,
                    end,
                    len,
                } => {
                    let bytes = &self.arena[start as usize..end as usize];
                    if bytes.len() == len as usize {
                        recorder.frame(time_ns, point, dir, bytes);
                    } else {
                        replay_snapped(recorder, zeros, time_ns, point, dir, bytes, len);
                    }
                }
                Record::Drop {
                    time_ns,
                    reason,
                    eni,
                    start,
                    detail_end,
                    end,
                } => recorder.dropped(DropEvent {
                    time_ns,
                    reason,
                    // The detail was copied from a `&str`, byte for byte.
                    detail: std::str::from_utf8(&self.arena[start as usize..detail_end as usize])
                        .unwrap_or(""),
                    eni,
                    frame: &self.arena[detail_end as usize..end as usize],
                }),
            }
        }
    }

    fn clear(&mut self) {
        self.records.clear();
        self.arena.clear();
    }
}

/// Replay a frame of `len` bytes of which only the first, `bytes`, were kept: as
/// those bytes followed by zeros (which parse like the frame: see the tests).
/// `zeros` is scratch space, all zero between calls.
fn replay_snapped(
    recorder: &mut Recorder,
    zeros: &mut Vec<u8>,
    time_ns: u64,
    point: CapturePoint,
    dir: FrameDirection,
    bytes: &[u8],
    len: u32,
) {
    if zeros.len() < len as usize {
        zeros.resize(len as usize, 0);
    }
    zeros[..bytes.len()].copy_from_slice(bytes);
    recorder.frame(time_ns, point, dir, &zeros[..len as usize]);
    zeros[..bytes.len()].fill(0);
}

/// An [`Observer`] that forwards everything to a [`Recorder`] on another thread.
pub struct RecorderThread {
    batch: Batch,
    full: Option<Sender<Batch>>,
    empty: Receiver<Batch>,
    worker: Option<JoinHandle<Recorder>>,
    /// Set when the recorder thread went away early (it panicked): observations
    /// are then dropped and [`RecorderThread::finish`] reports it.
    lost: bool,
    /// Captures are off: only ENI frames' headers are passed on.
    headers_only: bool,
    loop_started: Option<Instant>,
}

impl RecorderThread {
    /// Move `recorder` onto a new thread. Fails only if no thread can be spawned.
    pub fn spawn(mut recorder: Recorder) -> io::Result<RecorderThread> {
        let headers_only = !recorder.capturing();
        let (full_tx, full_rx) = bounded::<Batch>(BATCHES_IN_FLIGHT);
        let (empty_tx, empty_rx) = bounded::<Batch>(BATCHES_IN_FLIGHT + 1);
        let worker = std::thread::Builder::new()
            .name("peeremu-recorder".into())
            .spawn(move || {
                let mut zeros = Vec::new();
                for mut batch in full_rx {
                    batch.replay(&mut recorder, &mut zeros);
                    batch.clear();
                    // The simulation may be gone (finished): then the batch is freed.
                    let _ = empty_tx.try_send(batch);
                }
                recorder
            })?;
        Ok(RecorderThread {
            batch: Batch::default(),
            full: Some(full_tx),
            empty: empty_rx,
            worker: Some(worker),
            lost: false,
            headers_only,
            loop_started: None,
        })
    }

    /// When the simulation's event loop started, if it did.
    pub fn loop_started_at(&self) -> Option<Instant> {
        self.loop_started
    }

    /// Hand the current batch to the recorder thread and take an empty one.
    fn hand_over(&mut self) {
        let next = self.empty.try_recv().unwrap_or_default();
        let batch = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = &self.full {
            if tx.send(batch).is_err() {
                self.lost = true;
                self.full = None;
            }
        }
    }

    /// [`Observer::frame`] of a frame kept as bytes in the arena: whole with
    /// captures, else its first bytes (see [`flow_log_snap`]). Out of line, so
    /// that the commonest case (a `Record::Head`) saves fewer registers.
    #[inline(never)]
    fn frame_bytes(
        &mut self,
        time_ns: u64,
        point: CapturePoint,
        dir: FrameDirection,
        frame: &[u8],
    ) {
        let kept = if self.headers_only {
            &frame[..flow_log_snap(frame)]
        } else {
            frame
        };
        let start = self.batch.arena.len() as u32;
        let end = self.batch.push_bytes(kept);
        self.batch.records.push(Record::Frame {
            time_ns,
            point,
            dir,
            start,
            end,
            len: frame.len() as u32,
        });
        self.after_push();
    }

    #[inline]
    fn after_push(&mut self) {
        if self.batch.is_full() {
            self.hand_over();
        }
    }

    /// Deliver everything observed, stop the thread and give the recorder back.
    pub fn finish(mut self) -> io::Result<Recorder> {
        if !self.batch.records.is_empty() {
            self.hand_over();
        }
        self.full = None; // closes the channel: the thread's loop ends
        let worker = self.worker.take();
        let recorder = worker
            .ok_or_else(|| io::Error::other("recorder thread missing"))?
            .join()
            .map_err(|_| io::Error::other("the recorder thread panicked"))?;
        if self.lost {
            return Err(io::Error::other("the recorder thread stopped early"));
        }
        Ok(recorder)
    }
}

impl Observer for RecorderThread {
    fn loop_started(&mut self) {
        self.loop_started = Some(Instant::now());
    }

    fn eni_frames_only(&self) -> bool {
        self.headers_only
    }

    #[inline]
    fn frame(&mut self, time_ns: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
        if self.headers_only {
            if !matches!(point, CapturePoint::Eni(_) | CapturePoint::NatGateway(_)) {
                return;
            }
            if let Some(head) = plain_ipv4_head(frame) {
                self.batch.records.push(Record::Head {
                    time_ns,
                    point,
                    dir,
                    len: frame.len() as u32,
                    head: *head,
                });
                // The arena did not grow: only the records can be full.
                if self.batch.records.len() >= BATCH_RECORDS {
                    self.hand_over();
                }
                return;
            }
        }
        self.frame_bytes(time_ns, point, dir, frame);
    }

    fn dropped(&mut self, event: DropEvent<'_>) {
        let start = self.batch.arena.len() as u32;
        let detail_end = self.batch.push_bytes(event.detail.as_bytes());
        let end = self.batch.push_bytes(event.frame);
        self.batch.records.push(Record::Drop {
            time_ns: event.time_ns,
            reason: event.reason,
            eni: event.eni,
            start,
            detail_end,
            end,
        });
        self.after_push();
    }
}

/// How many leading bytes of `frame` the flow log's parse reads at most: Ethernet,
/// the IP header, and a TCP (at most 60 bytes), UDP or ICMP (8) header, when
/// nothing else comes between (IPv4 with TCP/UDP/ICMP, IPv6 with TCP/UDP/ICMPv6
/// as next header); the whole frame otherwise (IPv6 extension headers, other
/// protocols, non-IP). Only the fixed fields that say which case applies are read.
fn flow_log_snap(frame: &[u8]) -> usize {
    const ETH: usize = 14;
    /// The transport header's length at most: UDP and ICMP 8, TCP 60.
    fn transport(protocol: u8) -> Option<usize> {
        match protocol {
            1 | 17 | 58 => Some(8),
            6 => Some(60),
            _ => None,
        }
    }
    // Every field read lies in the first 24 bytes, and every snap is longer than
    // that: a shorter frame is kept whole either way. One length check then,
    // instead of one per field (this runs for every frame seen at an ENI).
    let Some(head) = frame.get(..ETH + 10) else {
        return frame.len();
    };
    let v = head[ETH];
    let snap = match (head[12], head[13]) {
        // IPv4: the header's own length (IHL), then the transport header.
        (0x08, 0x00) if v >> 4 == 4 && v & 0x0f >= 5 => {
            let p = head[ETH + 9];
            transport(p)
                .filter(|_| p != 58)
                .map(|t| ETH + usize::from(v & 0x0f) * 4 + t)
        }
        (0x86, 0xdd) if v >> 4 == 6 => {
            let p = head[ETH + 6];
            transport(p).filter(|_| p != 1).map(|t| ETH + 40 + t)
        }
        _ => None,
    };
    snap.unwrap_or(frame.len()).min(frame.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use crate::wire::{build_packet, parse_frame, PacketSpec, Transport};

    /// A frame cut to its snap and padded with zeros to its length parses exactly
    /// like the frame (the flow log's only use of it), for well-formed frames of
    /// every kind and for random corruptions of them.
    #[test]
    fn snapped_frames_parse_like_whole_ones() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
        let mut frames: Vec<Vec<u8>> = Vec::new();
        for name in ["inter-region-mtu", "shared-services", "nacl-ephemeral"] {
            let net = crate::topology::load_file(&dir.join(format!("{name}.toml")))
                .unwrap_or_else(|e| panic!("{e}"));
            let mut collect = Collect(&mut frames);
            crate::sim::run_network(&net, &crate::sim::SimConfig::default(), &mut collect)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(frames.len() > 100);
        // IPv6 (none of these examples has any), and IPv4 fragments of each kind.
        for (src, dst) in [("2600:1f18::a", "2600:1f18::b"), ("10.0.0.1", "10.0.0.2")] {
            for transport in [
                Transport::Tcp {
                    src_port: 1,
                    dst_port: 2,
                    flags: 0x02,
                    seq: 9,
                    ack: 0,
                },
                Transport::Udp {
                    src_port: 3,
                    dst_port: 4,
                },
                Transport::Echo {
                    id: 5,
                    seq: 6,
                    reply: false,
                },
            ] {
                let spec = PacketSpec {
                    src_mac: [2; 6],
                    dst_mac: [4; 6],
                    src: src.parse().unwrap(),
                    dst: dst.parse().unwrap(),
                    transport,
                    payload_len: 3000,
                    dont_fragment: false,
                    identification: 7,
                    ttl: 64,
                };
                let f = build_packet(&spec).unwrap();
                // IPv4 fragments (an error for IPv6: then nothing is added).
                let _ = crate::wire::fragment_ipv4(&f, 1280, &mut frames);
                frames.push(f);
            }
        }
        // Every kind the flow log meets: IPv4 and IPv6, TCP, UDP, ICMP, fragments.
        let keys: Vec<_> = frames.iter().filter_map(|f| parse_frame(f).ok()).collect();
        assert!(keys.iter().any(|k| k.src.is_ipv6()));
        for p in [1, 6, 17, 58] {
            assert!(keys.iter().any(|k| k.protocol == p), "protocol {p}");
        }
        let mut rng = SplitMix64::new(3);
        let mut corrupted = Vec::new();
        for f in &frames {
            for _ in 0..20 {
                let mut c = f.clone();
                let i = (rng.next_u64() as usize) % c.len().min(140);
                c[i] = rng.next_u64() as u8;
                corrupted.push(c);
            }
        }
        for f in frames.iter().chain(&corrupted) {
            let n = flow_log_snap(f);
            let mut padded = f[..n].to_vec();
            padded.resize(f.len(), 0);
            assert_eq!(
                parse_frame(&padded),
                parse_frame(f),
                "snap {n} of {} bytes",
                f.len()
            );
        }
    }

    /// Issue #18: without captures most frames reach the recorder thread as
    /// their first 42 bytes (`Record::Head`), and the flow log's fields are read
    /// from those (`frame_head`) instead of parsing the frame; the rest as
    /// snapped bytes. The flow log written that way is byte for byte the one a
    /// recorder given every whole frame writes: on examples with UDP, ping, TCP,
    /// NAT gateways, Amazon DNS queries, rejections and fragments.
    #[test]
    fn the_flow_log_behind_the_thread_is_the_one_of_whole_frames() {
        use crate::output::{RecorderConfig, RunTotals};
        let topologies = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
        let out = std::env::temp_dir().join(format!("peeremu-thread-{}", std::process::id()));
        let finish = |recorder: Recorder| {
            let dir = recorder.output_dir().to_path_buf();
            let unparsed = recorder.counts().2;
            let totals = RunTotals {
                events: 0,
                frames: 0,
                sim_time_ns: 0,
                wall_time_s: 0.0,
                conservation: Default::default(),
            };
            recorder.finish(&[], totals, false).1.unwrap();
            let log =
                std::fs::read_to_string(dir.join(super::super::recorder::FLOWLOG_FILE)).unwrap();
            (log, unparsed)
        };
        let mut heads = 0;
        for name in [
            "shared-services",
            "nacl-ephemeral",
            "nat-instance-vs-gateway",
            "dns-peering",
            "inter-region-mtu",
            "sg-change-tracked",
        ] {
            let net = crate::topology::load_file(&topologies.join(format!("{name}.toml")))
                .unwrap_or_else(|e| panic!("{e}"));
            let config = |which: &str| {
                let mut c = RecorderConfig::new(out.join(name).join(which));
                c.capture = false;
                c
            };
            let sim = crate::sim::SimConfig::default();
            let mut direct = Recorder::create(&net, &config("direct")).unwrap();
            crate::sim::run_network(&net, &sim, &mut direct).unwrap();
            let recorder = Recorder::create(&net, &config("thread")).unwrap();
            let mut thread = RecorderThread::spawn(recorder).unwrap();
            let mut counted = CountHeads {
                inner: &mut thread,
                heads: 0,
            };
            crate::sim::run_network(&net, &sim, &mut counted).unwrap();
            heads += counted.heads;
            let (expected, threaded) = (finish(direct), finish(thread.finish().unwrap()));
            assert!(expected.0.lines().count() > 3, "{name}: {}", expected.0);
            assert_eq!(threaded, expected, "{name}");
        }
        assert!(heads > 200, "{heads}");
        let _ = std::fs::remove_dir_all(&out);
    }

    /// Passes everything on, counting the ENI frames kept as `Record::Head`.
    struct CountHeads<'a> {
        inner: &'a mut RecorderThread,
        heads: usize,
    }

    impl Observer for CountHeads<'_> {
        fn eni_frames_only(&self) -> bool {
            self.inner.eni_frames_only()
        }
        fn frame(&mut self, t: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
            let head = crate::output::frame_head::plain_ipv4_head(frame).is_some();
            self.heads += usize::from(head && matches!(point, CapturePoint::Eni(_)));
            self.inner.frame(t, point, dir, frame);
        }
        fn dropped(&mut self, e: DropEvent<'_>) {
            self.inner.dropped(e);
        }
        fn flow_dropped(&mut self, flow: crate::model::FlowIdx, e: DropEvent<'_>) {
            self.inner.flow_dropped(flow, e);
        }
    }

    struct Collect<'a>(&'a mut Vec<Vec<u8>>);

    impl Observer for Collect<'_> {
        fn frame(&mut self, _: u64, _: CapturePoint, _: FrameDirection, frame: &[u8]) {
            self.0.push(frame.to_vec());
        }
        fn dropped(&mut self, e: DropEvent<'_>) {
            self.0.push(e.frame.to_vec());
        }
    }
}
