//! A timeline of changes during a run (`[[change]]`): peering lifecycle steps,
//! routes, NACL and security group rules, transit gateway attachment states,
//! instances stopped and started.
//!
//! One function, [`Change::apply`], says what a change does to a [`Network`]:
//! the loader runs it over a copy of the network to reject illegal steps (a
//! peering accepted twice, a route removed that is not there) with the change's
//! position, and the data plane runs the same function at the change's virtual
//! time before recompiling the one table it touched. So what `check` accepts is
//! exactly what `run` can apply.

use super::*;
use ipnet::IpNet;

/// The changes of a run and the per-window expectations that check them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    /// Sorted by time (file order among equal times).
    pub changes: Vec<Change>,
    /// Every flow's `expect_windows`, in file order.
    pub windows: Vec<FlowWindow>,
}

impl Timeline {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.windows.is_empty()
    }

    /// The times at which the run takes a snapshot of every flow's counters:
    /// each change and each window bound, sorted, without repeats.
    pub fn marks(&self) -> Vec<u64> {
        let mut t: Vec<u64> = self.changes.iter().map(|c| c.at_ns).collect();
        for w in &self.windows {
            t.push(w.from_ns);
            t.extend(w.until_ns);
        }
        t.sort_unstable();
        t.dedup();
        t
    }
}

/// `expect_windows = [{ from_ms, until_ms, outcome }]` of one flow: what the
/// flow should see between two times.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowWindow {
    /// Index in `Network::flows`.
    pub flow: u32,
    pub from_ns: u64,
    /// `None`: to the end of the run.
    pub until_ns: Option<u64>,
    pub expect: Expectation,
}

/// One timed change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Virtual time it takes effect (`at_ms`).
    pub at_ns: u64,
    pub action: ChangeAction,
    /// How outputs name it: `accept_peering pcx-ab` (the action and its object).
    pub label: String,
}

/// What a change does.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeAction {
    /// A peering lifecycle step ([`PeeringStep`]).
    Peering { pcx: PcxIdx, step: PeeringStep },
    /// Add a route (its destination must not be in the table yet).
    AddRoute { rtb: RtbIdx, route: Route },
    /// Remove the route for a destination (it must be there; never a local route).
    RemoveRoute { rtb: RtbIdx, destination: IpNet },
    /// Point an existing route at another target.
    ReplaceRoute { rtb: RtbIdx, route: Route },
    /// Add a NACL rule (its number must be free in that direction).
    AddNaclRule {
        nacl: NaclIdx,
        dir: Direction,
        rule: NaclRule,
    },
    /// Remove a NACL rule by number.
    RemoveNaclRule {
        nacl: NaclIdx,
        dir: Direction,
        number: u16,
    },
    /// Add a security group rule (`Inbound` = ingress).
    AddSgRule {
        sg: SgIdx,
        dir: Direction,
        rule: SgRule,
    },
    /// Remove the security group rule with the same traffic and peer
    /// (descriptions are ignored, as `RevokeSecurityGroupIngress` does).
    RemoveSgRule {
        sg: SgIdx,
        dir: Direction,
        rule: SgRule,
    },
    /// Set a transit gateway attachment's state.
    TgwAttachmentState {
        att: TgwAttIdx,
        state: TgwAttachmentState,
    },
    /// Stop (`running = false`) or start an instance.
    Instance {
        instance: InstanceIdx,
        running: bool,
    },
}

/// The steps of AWS's VPC peering lifecycle a change may take ("VPC peering
/// connection lifecycle", VPC Peering Guide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeeringStep {
    /// `initiating-request` → `pending-acceptance`.
    Request,
    /// `pending-acceptance` → `active`.
    Accept,
    /// `pending-acceptance` → `rejected`.
    Reject,
    /// `pending-acceptance` → `expired` (AWS: after 7 days without an answer).
    Expire,
    /// `active` or `pending-acceptance` → `deleted`.
    Delete,
}

impl PeeringStep {
    pub const ALL: [PeeringStep; 5] = [
        PeeringStep::Request,
        PeeringStep::Accept,
        PeeringStep::Reject,
        PeeringStep::Expire,
        PeeringStep::Delete,
    ];

    /// The `action` key's value.
    pub fn action(self) -> &'static str {
        match self {
            PeeringStep::Request => "request_peering",
            PeeringStep::Accept => "accept_peering",
            PeeringStep::Reject => "reject_peering",
            PeeringStep::Expire => "expire_peering",
            PeeringStep::Delete => "delete_peering",
        }
    }

    /// The statuses the step may start from, and where it leads.
    pub fn transition(self) -> (&'static [PeeringStatus], PeeringStatus) {
        use PeeringStatus as P;
        match self {
            PeeringStep::Request => (&[P::InitiatingRequest], P::PendingAcceptance),
            PeeringStep::Accept => (&[P::PendingAcceptance], P::Active),
            PeeringStep::Reject => (&[P::PendingAcceptance], P::Rejected),
            PeeringStep::Expire => (&[P::PendingAcceptance], P::Expired),
            PeeringStep::Delete => (&[P::Active, P::PendingAcceptance], P::Deleted),
        }
    }
}

/// Which compiled table a change touched (what the data plane recompiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touched {
    Peering(PcxIdx),
    RouteTable(RtbIdx),
    Nacl(NaclIdx),
    SecurityGroup(SgIdx),
    TgwAttachment(TgwAttIdx),
    Instance(InstanceIdx),
}

impl Change {
    /// Apply the change to `net`; `running` holds each instance's state (indexed
    /// like `net.instances`). `Err` says why the change cannot happen now (the
    /// network is left as it was).
    pub fn apply(&self, net: &mut Network, running: &mut [bool]) -> Result<Touched, String> {
        match &self.action {
            ChangeAction::Peering { pcx, step } => {
                let p = net.peerings.get_mut(pcx.ix()).ok_or("no such peering")?;
                let (from, to) = step.transition();
                if !from.contains(&p.status) {
                    let allowed: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
                    return Err(format!(
                        "peering {} is {} at that time; {} needs it {} (AWS peering lifecycle)",
                        p.id,
                        p.status.as_str(),
                        step.action(),
                        allowed.join(" or ")
                    ));
                }
                p.status = to;
                Ok(Touched::Peering(*pcx))
            }
            ChangeAction::AddRoute { rtb, route } => {
                let t = table(net, *rtb)?;
                if t.routes.iter().any(|r| r.destination == route.destination) {
                    return Err(format!(
                        "route table {} already has a route for {} at that time; use replace_route",
                        t.id,
                        dest_text(&route.destination)
                    ));
                }
                // Before the endpoint routes, like routes written in the file.
                let at = t
                    .routes
                    .iter()
                    .rposition(|r| !matches!(r.destination, RouteDestination::PrefixList(_)))
                    .map_or(0, |p| p + 1);
                t.routes.insert(at, route.clone());
                Ok(Touched::RouteTable(*rtb))
            }
            ChangeAction::RemoveRoute { rtb, destination } => {
                let t = table(net, *rtb)?;
                let i = route_index(t, *destination)?;
                t.routes.remove(i);
                Ok(Touched::RouteTable(*rtb))
            }
            ChangeAction::ReplaceRoute { rtb, route } => {
                let t = table(net, *rtb)?;
                let RouteDestination::Cidr(d) = route.destination else {
                    return Err("only CIDR destinations can be replaced".into());
                };
                let i = route_index(t, d)?;
                t.routes[i].target = route.target;
                t.routes[i].propagated = false;
                Ok(Touched::RouteTable(*rtb))
            }
            ChangeAction::AddNaclRule { nacl, dir, rule } => {
                let n = net.nacls.get_mut(nacl.ix()).ok_or("no such network ACL")?;
                let id = n.id.clone();
                let rules = nacl_dir(n, *dir);
                if rules.iter().any(|r| r.number == rule.number) {
                    return Err(format!(
                        "network ACL {id} already has {} rule {} at that time; remove it first",
                        dir.as_str(),
                        rule.number
                    ));
                }
                rules.push(rule.clone());
                rules.sort_by_key(|r| r.number);
                Ok(Touched::Nacl(*nacl))
            }
            ChangeAction::RemoveNaclRule { nacl, dir, number } => {
                let n = net.nacls.get_mut(nacl.ix()).ok_or("no such network ACL")?;
                let id = n.id.clone();
                let rules = nacl_dir(n, *dir);
                let Some(i) = rules.iter().position(|r| r.number == *number) else {
                    return Err(format!(
                        "network ACL {id} has no {} rule {number} at that time",
                        dir.as_str()
                    ));
                };
                rules.remove(i);
                Ok(Touched::Nacl(*nacl))
            }
            ChangeAction::AddSgRule { sg, dir, rule } => {
                let g = net
                    .security_groups
                    .get_mut(sg.ix())
                    .ok_or("no such security group")?;
                let id = g.id.clone();
                let rules = sg_dir(g, *dir);
                if rules.iter().any(|r| same_sg_rule(r, rule)) {
                    return Err(format!(
                        "security group {id} already has this {} rule at that time (AWS: InvalidPermission.Duplicate)",
                        sg_word(*dir)
                    ));
                }
                rules.push(rule.clone());
                Ok(Touched::SecurityGroup(*sg))
            }
            ChangeAction::RemoveSgRule { sg, dir, rule } => {
                let g = net
                    .security_groups
                    .get_mut(sg.ix())
                    .ok_or("no such security group")?;
                let id = g.id.clone();
                let rules = sg_dir(g, *dir);
                let Some(i) = rules.iter().position(|r| same_sg_rule(r, rule)) else {
                    return Err(format!(
                        "security group {id} has no such {} rule at that time (same protocol, ports and source)",
                        sg_word(*dir)
                    ));
                };
                rules.remove(i);
                Ok(Touched::SecurityGroup(*sg))
            }
            ChangeAction::TgwAttachmentState { att, state } => {
                let a = net
                    .tgw_attachments
                    .get_mut(att.ix())
                    .ok_or("no such transit gateway attachment")?;
                if a.state == TgwAttachmentState::Deleted {
                    return Err(format!(
                        "transit gateway attachment {} is deleted at that time; a deleted attachment cannot change state",
                        a.id
                    ));
                }
                if a.state == *state {
                    return Err(format!(
                        "transit gateway attachment {} is already {} at that time",
                        a.id,
                        state.as_str()
                    ));
                }
                a.state = *state;
                Ok(Touched::TgwAttachment(*att))
            }
            ChangeAction::Instance {
                instance,
                running: to,
            } => {
                let now = running.get_mut(instance.ix()).ok_or("no such instance")?;
                if *now == *to {
                    let id = net.instances.get(instance.ix()).map_or("", |i| &i.id);
                    let state = if *to { "running" } else { "stopped" };
                    return Err(format!("instance {id} is already {state} at that time"));
                }
                *now = *to;
                Ok(Touched::Instance(*instance))
            }
        }
    }
}

fn table(net: &mut Network, rtb: RtbIdx) -> Result<&mut RouteTable, String> {
    net.route_tables
        .get_mut(rtb.ix())
        .ok_or_else(|| "no such route table".to_string())
}

fn dest_text(d: &RouteDestination) -> String {
    match d {
        RouteDestination::Cidr(n) => n.to_string(),
        RouteDestination::PrefixList(p) => format!("prefix list #{}", p.0),
    }
}

/// The index of the (non-local) route for `d` in `t`.
fn route_index(t: &RouteTable, d: IpNet) -> Result<usize, String> {
    let dest = RouteDestination::Cidr(d);
    match t.routes.iter().position(|r| r.destination == dest) {
        Some(i) if t.routes[i].target == RouteTarget::Local => Err(format!(
            "{d} is the local route of route table {}; the local route cannot be removed or replaced",
            t.id
        )),
        Some(i) => Ok(i),
        None => Err(format!(
            "route table {} has no route for {d} at that time",
            t.id
        )),
    }
}

fn nacl_dir(n: &mut Nacl, dir: Direction) -> &mut Vec<NaclRule> {
    match dir {
        Direction::Inbound => &mut n.inbound,
        Direction::Outbound => &mut n.outbound,
    }
}

fn sg_dir(g: &mut SecurityGroup, dir: Direction) -> &mut Vec<SgRule> {
    match dir {
        Direction::Inbound => &mut g.ingress,
        Direction::Outbound => &mut g.egress,
    }
}

fn sg_word(dir: Direction) -> &'static str {
    match dir {
        Direction::Inbound => "ingress",
        Direction::Outbound => "egress",
    }
}

/// Same protocol, ports/ICMP match and source or destination.
fn same_sg_rule(a: &SgRule, b: &SgRule) -> bool {
    a.traffic == b.traffic && a.peer == b.peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net_with_peering(status: PeeringStatus) -> Network {
        Network {
            peerings: vec![Peering {
                id: "pcx-1".into(),
                requester: VpcIdx(0),
                accepter: VpcIdx(1),
                status,
                mtu: 9001,
                inter_region: false,
            }],
            ..Default::default()
        }
    }

    fn step(step: PeeringStep) -> Change {
        Change {
            at_ns: 0,
            action: ChangeAction::Peering {
                pcx: PcxIdx(0),
                step,
            },
            label: String::new(),
        }
    }

    #[test]
    fn peering_lifecycle_follows_aws() {
        let mut net = net_with_peering(PeeringStatus::InitiatingRequest);
        let mut running = [];
        assert!(step(PeeringStep::Accept)
            .apply(&mut net, &mut running)
            .is_err());
        for s in [
            PeeringStep::Request,
            PeeringStep::Accept,
            PeeringStep::Delete,
        ] {
            step(s).apply(&mut net, &mut running).unwrap();
        }
        assert_eq!(net.peerings[0].status, PeeringStatus::Deleted);
        let e = step(PeeringStep::Accept)
            .apply(&mut net, &mut running)
            .unwrap_err();
        assert!(
            e.contains("is deleted") && e.contains("pending-acceptance"),
            "{e}"
        );
        let mut net = net_with_peering(PeeringStatus::Active);
        assert!(step(PeeringStep::Reject)
            .apply(&mut net, &mut running)
            .is_err());
        assert_eq!(net.peerings[0].status, PeeringStatus::Active);
    }

    #[test]
    fn instances_stop_and_start_once() {
        let mut net = Network::default();
        let mut running = [true];
        let stop = Change {
            at_ns: 0,
            action: ChangeAction::Instance {
                instance: InstanceIdx(0),
                running: false,
            },
            label: String::new(),
        };
        stop.apply(&mut net, &mut running).unwrap();
        assert!(!running[0]);
        assert!(stop.apply(&mut net, &mut running).is_err());
    }
}
