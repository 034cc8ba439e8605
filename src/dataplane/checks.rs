//! The policy steps of a hop: NACLs (stateless) and security groups with
//! connection tracking, recorded for traces.

use super::pipeline::Sink;
use super::trace::{Hop, SgVerdict, Tracer};
use super::{Dataplane, DropDetail};
use crate::model::*;
use crate::policy::{nacl, sg};
use crate::wire::{FlowKey, FragmentKind};
use std::net::IpAddr;

impl Dataplane {
    /// Evaluate a subnet's NACL in `dir`.
    pub(super) fn nacl_check<T: Tracer>(
        &self,
        subnet: SubnetIdx,
        dir: Direction,
        key: &FlowKey,
        sink: &mut Sink<'_, T>,
    ) -> Result<(), DropDetail> {
        let n = self.net.subnets[subnet.ix()].nacl;
        let Some(table) = self.net.nacls.get(n.ix()) else {
            return Ok(());
        };
        let verdict = nacl::evaluate(table, dir, key);
        sink.tr.hop(Hop::Nacl {
            nacl: n,
            subnet,
            dir,
            verdict,
        });
        if verdict.allowed() {
            Ok(())
        } else {
            Err(DropDetail::NaclDeny {
                nacl: n,
                dir,
                rule: verdict.rule,
            })
        }
    }

    /// Security groups with connection tracking: a tracked flow passes regardless
    /// of rules; otherwise a rule must allow it, and a tracked rule opens a flow.
    pub(super) fn sg_check<T: Tracer>(
        &mut self,
        now: u64,
        eni: EniIdx,
        dir: Direction,
        peer: IpAddr,
        key: &FlowKey,
        sink: &mut Sink<'_, T>,
    ) -> Result<(), DropDetail> {
        let ct = &mut self.conntrack[eni.ix()];
        // A non-first fragment has no ports: it passes when its first fragment did.
        if key.fragment == FragmentKind::NonFirst && ct.follows_first_fragment(now, key) {
            let verdict = SgVerdict::Tracked(crate::policy::Tracked::Original);
            sink.tr.hop(Hop::Sg { eni, dir, verdict });
            return Ok(());
        }
        let verdict = match ct.lookup(now, key) {
            Some(t) => SgVerdict::Tracked(t),
            None => {
                let Some(m) = sg::evaluate(&self.sgs[eni.ix()], dir, peer, key) else {
                    return Err(DropDetail::SgNoMatch { eni, dir });
                };
                // Non-first fragments carry no ports: they never open a flow.
                if m.tracked
                    && key.fragment != FragmentKind::NonFirst
                    && ct.insert(now, key).is_err()
                {
                    return Err(DropDetail::ConntrackFull { eni });
                }
                SgVerdict::Rule(m)
            }
        };
        if key.fragment == FragmentKind::First {
            ct.note_first_fragment(now, key);
        }
        sink.tr.hop(Hop::Sg { eni, dir, verdict });
        Ok(())
    }
}
