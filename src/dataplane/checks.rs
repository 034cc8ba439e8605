//! The policy steps of a hop: NACLs (stateless) and security groups with
//! connection tracking, recorded for traces.

use super::pipeline::Sink;
use super::trace::{Hop, SgVerdict, Tracer};
use super::{Dataplane, DropDetail};
use crate::model::*;
use crate::policy::{nacl, sg, ConnTrack, NaclVerdict};
use crate::wire::{self, FlowKey, FragmentKind, IcmpKind};
use std::net::IpAddr;

impl Dataplane {
    /// Evaluate a subnet's NACL in `dir` (traffic to and from Amazon services is
    /// exempt: [`nacl::exemption`]).
    ///
    /// Inline for the common case, a NACL that allows the packet's whole family
    /// (the default NACL: one load); anything else is [`Dataplane::nacl_check_full`].
    #[inline]
    pub(super) fn nacl_check<T: Tracer>(
        &self,
        subnet: SubnetIdx,
        dir: Direction,
        key: &FlowKey,
        sink: &mut Sink<'_, T>,
    ) -> Result<(), DropDetail> {
        let n = self.net.subnets[subnet.ix()].nacl;
        let shortcut = self
            .nacl_shortcuts
            .get(n.ix())
            .and_then(|s| s.get(dir, key));
        match shortcut {
            Some(verdict) if verdict.allowed() => {
                nacl_hop(sink, n, subnet, dir, verdict);
                Ok(())
            }
            _ => self.nacl_check_full(subnet, n, dir, key, shortcut, sink),
        }
    }

    /// [`Dataplane::nacl_check`] when the shortcut did not allow the packet: the
    /// shortcut's deny, or the rule scan; then the exemptions.
    #[inline(never)]
    fn nacl_check_full<T: Tracer>(
        &self,
        subnet: SubnetIdx,
        n: NaclIdx,
        dir: Direction,
        key: &FlowKey,
        shortcut: Option<NaclVerdict>,
        sink: &mut Sink<'_, T>,
    ) -> Result<(), DropDetail> {
        let Some(table) = self.net.nacls.get(n.ix()) else {
            return Ok(());
        };
        let verdict = shortcut.unwrap_or_else(|| nacl::evaluate(table, dir, key));
        if verdict.allowed() {
            nacl_hop(sink, n, subnet, dir, verdict);
            return Ok(());
        }
        // Amazon services are exempt; checked only when the rules deny, which
        // keeps the common allowed case as cheap as before.
        let vpc = self.net.subnets[subnet.ix()].vpc;
        let primary = self
            .net
            .vpcs
            .get(vpc.ix())
            .and_then(|v| v.cidrs.first().copied());
        if let Some(exempt) = nacl::exemption(primary, key) {
            sink.tr.hop(Hop::NaclExempt {
                nacl: n,
                dir,
                exempt,
            });
            return Ok(());
        }
        nacl_hop(sink, n, subnet, dir, verdict);
        Err(DropDetail::NaclDeny {
            nacl: n,
            dir,
            rule: verdict.rule,
        })
    }

    /// Security groups with connection tracking: a tracked flow passes regardless
    /// of rules; otherwise a rule must allow it, and a tracked rule opens a flow.
    /// An ICMP error passes as *related* when the packet it quotes (read from
    /// `frame`) belongs to a tracked flow; otherwise it needs a rule, and it never
    /// opens a flow (nor does an ICMP query reply). Inbound path MTU discovery
    /// messages are the exception: they always need a rule ([`needs_pmtud_rule`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sg_check<T: Tracer>(
        &mut self,
        now: u64,
        eni: EniIdx,
        dir: Direction,
        peer: IpAddr,
        key: &FlowKey,
        frame: &[u8],
        sink: &mut Sink<'_, T>,
    ) -> Result<(), DropDetail> {
        let ct = &mut self.conntrack[eni.ix()];
        // A non-first fragment has no ports: it passes when its first fragment did.
        if key.fragment == FragmentKind::NonFirst && ct.follows_first_fragment(now, key) {
            let verdict = SgVerdict::Tracked(crate::policy::Tracked::Original);
            sink.tr.hop(Hop::Sg { eni, dir, verdict });
            return Ok(());
        }
        let error = key.icmp_kind() == Some(IcmpKind::Error);
        if error
            && !needs_pmtud_rule(dir, key)
            && wire::quoted_flow(frame).is_ok_and(|q| ct.related(now, &q))
        {
            let verdict = SgVerdict::Related;
            sink.tr.hop(Hop::Sg { eni, dir, verdict });
            return Ok(());
        }
        let tracked = if error { None } else { ct.lookup(now, key) };
        let verdict = match tracked {
            // A forwarding instance sends on a packet that came in on this
            // ENI: the flow it opened inbound does not let it out, its
            // outbound rules must (AWS: an appliance's group must allow the
            // forwarded traffic both ways). Replies still pass as tracked.
            Some(crate::policy::Tracked::Original) if self.departing => {
                self.flow_cache.stop_learning();
                match sg::evaluate(&self.sgs[eni.ix()], dir, peer, key) {
                    Some(m) => SgVerdict::Rule(m),
                    None => return Err(DropDetail::SgNoMatch { eni, dir }),
                }
            }
            Some(t) => SgVerdict::Tracked(t),
            None => {
                // Learned only from packets of flows both groups track.
                self.flow_cache.stop_learning();
                let Some(m) = sg::evaluate(&self.sgs[eni.ix()], dir, peer, key) else {
                    // An NLB without security groups filters nothing (AWS: security
                    // groups on an NLB are optional); out of line, after no rule matched.
                    if self.sgs[eni.ix()].groups.is_empty() && self.privatelink_role(eni).is_some()
                    {
                        return Ok(());
                    }
                    return Err(DropDetail::SgNoMatch { eni, dir });
                };
                if m.tracked && ConnTrack::opens_flow(key) && ct.insert(now, key).is_err() {
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

impl Dataplane {
    /// The security group check of a router-generated ICMP "fragmentation
    /// needed" / "packet too big" arriving at `eni`: an inbound rule must allow it
    /// ([`needs_pmtud_rule`]). An ICMP error never opens a tracked flow, so this is
    /// the rule evaluation of [`Dataplane::sg_check`] without its connection table.
    pub(super) fn pmtud_sg_check<T: Tracer>(
        &self,
        eni: EniIdx,
        key: &FlowKey,
        sink: &mut Sink<'_, T>,
    ) -> Result<(), DropDetail> {
        let dir = Direction::Inbound;
        let Some(m) = self
            .sgs
            .get(eni.ix())
            .and_then(|g| sg::evaluate(g, dir, key.src, key))
        else {
            return Err(DropDetail::SgNoMatch { eni, dir });
        };
        let verdict = SgVerdict::Rule(m);
        sink.tr.hop(Hop::Sg { eni, dir, verdict });
        Ok(())
    }
}

/// Whether `key` is an inbound ICMP "fragmentation needed" (type 3 code 4) or
/// ICMPv6 "packet too big" (type 2), which a security group admits only by an
/// inbound rule, never as related to a tracked flow.
///
/// AWS documents it so (EC2 User Guide, "Network maximum transmission unit (MTU)
/// for your EC2 instance", Path MTU Discovery,
/// <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/network_mtu.html#path_mtu_discovery>):
/// security groups allow no inbound ICMP by default, and without an inbound rule
/// for "Destination Unreachable: fragmentation needed" (ICMPv6: "Packet Too Big")
/// path MTU discovery is blocked. NACLs, being stateless, need their own rule
/// anyway (VPC User Guide, "Path MTU Discovery").
#[inline]
pub(super) fn needs_pmtud_rule(dir: Direction, key: &FlowKey) -> bool {
    dir == Direction::Inbound
        && key.fragment != FragmentKind::NonFirst
        && matches!(
            (key.protocol, key.icmp_type, key.icmp_code),
            (crate::model::proto::ICMP, 3, 4) | (crate::model::proto::ICMPV6, 2, _)
        )
}

/// The trace hop of a NACL's verdict.
#[inline]
fn nacl_hop<T: Tracer>(
    sink: &mut Sink<'_, T>,
    nacl: NaclIdx,
    subnet: SubnetIdx,
    dir: Direction,
    verdict: NaclVerdict,
) {
    sink.tr.hop(Hop::Nacl {
        nacl,
        subnet,
        dir,
        verdict,
    });
}
