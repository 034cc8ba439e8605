//! Changes during a run (`[[change]]`): the router applies [`Change::apply`] to
//! its own copy of the network at the change's virtual time, then recompiles the
//! one table the change touched. Nothing is checked per frame for pending
//! changes: the engine calls [`Dataplane::apply_change`] as an event.
//!
//! AWS semantics that follow from where the state lives:
//! * security group rules: tracked connections keep their conntrack entries, so
//!   they go on until idle; untracked flows (no entry) meet the new rules at
//!   their next packet;
//! * NACL rules, routes, peering status, attachment state: read for every
//!   packet, so the next packet sees the change (a deleted peering drops what
//!   reaches the router after it, `PEERING_NOT_ACTIVE`);
//! * a stopped instance's ENIs drop what they send and what reaches them
//!   (`INSTANCE_STOPPED`) until it starts again.

use super::{transit_gateway, CompiledRoutes, Dataplane};
use crate::model::{Change, EniIdx, Touched};
use crate::policy::NaclShortcut;

impl Dataplane {
    /// Apply `change` now. `Err` (the network unchanged) when the change cannot
    /// happen in the current state; the loader rejects such timelines, so a run
    /// of a checked topology never sees one.
    pub fn apply_change(&mut self, change: &Change) -> Result<Touched, String> {
        // Cached paths were decided by the tables before the change.
        self.flow_cache.clear();
        let touched = change.apply(&mut self.net, &mut self.running)?;
        match touched {
            // Read per packet from the network itself.
            Touched::Peering(_) => {}
            Touched::RouteTable(r) => {
                if let (Some(t), Some(slot)) = (
                    self.net.route_tables.get(r.ix()),
                    self.routes.get_mut(r.ix()),
                ) {
                    *slot = CompiledRoutes::compile(&self.net, t);
                }
            }
            Touched::Nacl(n) => {
                if let (Some(t), Some(slot)) = (
                    self.net.nacls.get(n.ix()),
                    self.nacl_shortcuts.get_mut(n.ix()),
                ) {
                    *slot = NaclShortcut::of(t);
                }
            }
            Touched::SecurityGroup(_) => self.compile_security_groups(),
            Touched::TgwAttachment(_) => {
                self.tgw = transit_gateway::TgwPlane::compile(&self.net);
            }
            Touched::Instance(i) => {
                let running = self.running.get(i.ix()).copied().unwrap_or(true);
                if let Some(inst) = self.net.instances.get(i.ix()) {
                    for e in &inst.enis {
                        if let Some(s) = self.stopped.get_mut(e.ix()) {
                            *s = !running;
                        }
                    }
                }
            }
        }
        Ok(touched)
    }

    /// Whether `eni`'s instance is stopped.
    #[inline]
    pub fn eni_stopped(&self, eni: EniIdx) -> bool {
        self.stopped.get(eni.ix()).copied().unwrap_or(false)
    }
}
