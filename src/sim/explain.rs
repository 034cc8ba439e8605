//! `peeremu run --explain FLOW`: the router's decisions for the first packet of
//! one flow that was dropped in the run itself, with the state the run had then
//! (conntrack, NAT mappings), not a synthetic probe.
//!
//! [`ExplainFabric`] traces every frame through the VPC router and keeps the hops
//! of the last frame that produced a drop; [`ExplainObserver`] passes everything
//! on to the real observer and, when the engine says a dropped frame belongs to the
//! flow ([`Observer::flow_dropped`]), takes those hops if the frame is the one the
//! router dropped. Tracing costs a push per decision, paid only with `--explain`.

use super::{Attachment, DropEvent, Fabric, FabricAction, Observer, VpcFabric};
use super::{CapturePoint, FrameDirection};
use crate::dataplane::probe::Leg;
use crate::dataplane::{Hop, TimedHops};
use crate::model::{DropReason, FlowIdx, Network};
use crate::wire::{parse_frame, FlowKey};
use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;

/// The first dropped packet of the flow asked about.
#[derive(Debug, Clone)]
pub struct ExplainedDrop {
    /// When it was dropped (virtual ns).
    pub time_ns: u64,
    pub reason: DropReason,
    /// The object that dropped it, as in `drops.pcapng`.
    pub detail: String,
    /// The packet as it entered the router (`None`: dropped before the router,
    /// on a host's link).
    pub key: Option<FlowKey>,
    /// The router's decisions, timed (`None` as for `key`).
    pub leg: Option<Leg>,
}

/// The last frame the router dropped something of: its hops and the frames it
/// dropped (to match the engine's drop report against).
#[derive(Debug, Default)]
struct LastDrop {
    key: Option<FlowKey>,
    hops: TimedHops,
    frames: Vec<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Shared {
    last: Option<LastDrop>,
    found: Option<ExplainedDrop>,
}

/// Shared between the fabric and the observer (one thread: the engine's).
#[derive(Debug, Clone, Default)]
pub struct Explainer(Rc<RefCell<Shared>>);

impl Explainer {
    /// What was found, once the run is over.
    pub fn found(&self) -> Option<ExplainedDrop> {
        self.0.borrow().found.clone()
    }
}

/// The VPC router with every frame traced.
pub struct ExplainFabric<'n> {
    inner: VpcFabric<'n>,
    traced: TimedHops,
    shared: Explainer,
}

impl<'n> ExplainFabric<'n> {
    pub fn new(net: &'n Network, shared: Explainer) -> Self {
        ExplainFabric {
            inner: VpcFabric::new(net),
            traced: TimedHops::default(),
            shared,
        }
    }
}

impl Fabric for ExplainFabric<'_> {
    fn forward(
        &mut self,
        now_ns: u64,
        from: Attachment,
        frame: Vec<u8>,
        out: &mut Vec<FabricAction>,
    ) {
        let key = parse_frame(&frame).ok();
        self.traced.restart(now_ns);
        let start = out.len();
        self.inner
            .forward_traced(now_ns, from, frame, out, &mut self.traced);
        let mut shared = self.shared.0.borrow_mut();
        if shared.found.is_some() {
            return;
        }
        let dropped: Vec<Vec<u8>> = out[start..]
            .iter()
            .filter_map(|a| match a {
                FabricAction::Drop { frame, .. } => Some(frame.clone()),
                FabricAction::Deliver { .. } => None,
            })
            .collect();
        shared.last = (!dropped.is_empty()).then(|| LastDrop {
            key,
            hops: self.traced.clone(),
            frames: dropped,
        });
    }

    fn untranslate(&self, public: IpAddr, protocol: u8, port: u16) -> Option<(IpAddr, u16)> {
        self.inner.untranslated(public, protocol, port)
    }

    fn untranslate_service(
        &self,
        node: IpAddr,
        protocol: u8,
        port: u16,
    ) -> Option<(IpAddr, u16, IpAddr, u16)> {
        self.inner.untranslated_service(node, protocol, port)
    }
}

/// Passes everything to `inner`; keeps the first drop of `flow`.
pub struct ExplainObserver<'o> {
    pub inner: &'o mut dyn Observer,
    pub flow: FlowIdx,
    pub shared: Explainer,
}

impl Observer for ExplainObserver<'_> {
    fn loop_started(&mut self) {
        self.inner.loop_started();
    }

    fn eni_frames_only(&self) -> bool {
        self.inner.eni_frames_only()
    }

    fn frame(&mut self, time_ns: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
        self.inner.frame(time_ns, point, dir, frame);
    }

    fn dropped(&mut self, event: DropEvent<'_>) {
        self.inner.dropped(event);
    }

    fn flow_dropped(&mut self, flow: FlowIdx, event: DropEvent<'_>) {
        self.inner.flow_dropped(flow, event);
        let mut shared = self.shared.0.borrow_mut();
        if flow != self.flow || shared.found.is_some() {
            return;
        }
        // The router's drop (the frame is one it dropped), or a host link's.
        let last = shared
            .last
            .take()
            .filter(|l| l.frames.iter().any(|f| f.as_slice() == event.frame));
        let (key, leg) = match last {
            Some(l) => {
                let key = l.key.or_else(|| parse_frame(event.frame).ok());
                let leg = key.map(|key| Leg {
                    key,
                    drop: l.hops.hops.iter().rev().find_map(|h| match h {
                        Hop::Drop { detail } => Some(*detail),
                        _ => None,
                    }),
                    hops: l.hops.hops,
                    times: l.hops.times,
                    delivered: None,
                });
                (key, leg)
            }
            None => (parse_frame(event.frame).ok(), None),
        };
        shared.found = Some(ExplainedDrop {
            time_ns: event.time_ns,
            reason: event.reason,
            detail: event.detail.to_string(),
            key,
            leg,
        });
    }
}
