//! `[[change]]` → [`Change`]s, and each flow's `expect_windows`.
//!
//! Each change names its action and object; the object must exist, the time must
//! lie inside the run, and the keys must be those its action uses. Then the
//! changes are applied in time order to a copy of the network
//! ([`Change::apply`], the function the run uses): a step the object cannot take
//! at that time (accepting a deleted peering, removing a route that is not there,
//! starting a running instance) is an error at the change's `action`.

use super::super::format::{ChangeSpec, ExpectWindowSpec, FlowSpec, S};
use super::super::suggest;
use super::routes::route_target;
use super::rules::{nacl_rules, sg_rule};
use super::{Compiler, Kind};
use crate::model::*;
use std::ops::Range;

/// Every `action` value.
const ACTIONS: [&str; 15] = [
    "request_peering",
    "accept_peering",
    "reject_peering",
    "expire_peering",
    "delete_peering",
    "add_route",
    "remove_route",
    "replace_route",
    "add_nacl_rule",
    "remove_nacl_rule",
    "add_sg_rule",
    "remove_sg_rule",
    "set_tgw_attachment_state",
    "stop_instance",
    "start_instance",
];

/// The keys beside `at_ms` and `action` each action uses (others are errors).
fn keys_of(action: &str) -> &'static [&'static str] {
    match action {
        "add_route" | "replace_route" => &["route_table", "destination", "target"],
        "remove_route" => &["route_table", "destination"],
        "add_nacl_rule" => &["network_acl", "direction", "nacl_rule"],
        "remove_nacl_rule" => &["network_acl", "direction", "rule_number"],
        "add_sg_rule" | "remove_sg_rule" => &["security_group", "direction", "sg_rule"],
        "set_tgw_attachment_state" => &["tgw_attachment", "state"],
        "stop_instance" | "start_instance" => &["instance"],
        _ => &["peering"],
    }
}

/// The optional keys a change was given, with their spans.
fn given(s: &ChangeSpec) -> Vec<(&'static str, Range<usize>)> {
    let mut v = Vec::new();
    let mut add = |k: &'static str, span: Option<Range<usize>>| {
        if let Some(span) = span {
            v.push((k, span));
        }
    };
    add("peering", s.peering.as_ref().map(|x| x.span()));
    add("route_table", s.route_table.as_ref().map(|x| x.span()));
    add("destination", s.destination.as_ref().map(|x| x.span()));
    add("target", s.target.as_ref().map(|x| x.span()));
    add("network_acl", s.network_acl.as_ref().map(|x| x.span()));
    add(
        "security_group",
        s.security_group.as_ref().map(|x| x.span()),
    );
    add("direction", s.direction.as_ref().map(|x| x.span()));
    add("nacl_rule", s.nacl_rule.as_ref().map(|x| x.span()));
    add("rule_number", s.rule_number.as_ref().map(|x| x.span()));
    add("sg_rule", s.sg_rule.as_ref().map(|x| x.span()));
    add(
        "tgw_attachment",
        s.tgw_attachment.as_ref().map(|x| x.span()),
    );
    add("state", s.state.as_ref().map(|x| x.span()));
    add("instance", s.instance.as_ref().map(|x| x.span()));
    v
}

/// The objects a change names (as written), to tell which later changes an
/// invalid one would mislead.
fn objects_of(s: &ChangeSpec) -> impl Iterator<Item = &str> {
    [
        &s.peering,
        &s.route_table,
        &s.network_acl,
        &s.security_group,
        &s.tgw_attachment,
        &s.instance,
    ]
    .into_iter()
    .filter_map(|x| x.as_ref().map(|x| x.get_ref().as_str()))
}

/// The latest time a change may take effect: the run lasts at least until
/// `sim::DEFAULT_TAIL_NS` after the last flow's last scheduled send (a change
/// later than that might never happen).
fn run_end_ns(net: &Network) -> u64 {
    let last = net
        .flows
        .iter()
        .map(|f| match (&f.request_response, f.kind) {
            (Some(rr), _) => f
                .start_ns
                .saturating_add(rr.requests.saturating_sub(1).saturating_mul(rr.interval_ns)),
            (None, FlowKind::Tcp) => f.start_ns,
            (None, _) => {
                let gap = (1e9 / f.rate_pps).round().max(1.0);
                let n = f.count.saturating_sub(1) as f64;
                (f.start_ns as f64 + n * gap).min(MAX_VIRTUAL_NS as f64) as u64
            }
        })
        .max();
    // No flows: a run ends at once, but `trace --at` still shows the network at
    // any time (an imported account with its planned changes), so every time is
    // allowed; before stop 14 every change was "after the run (0 ms: … plus the
    // 60 s tail)".
    last.map_or(MAX_VIRTUAL_NS, |l| {
        l.saturating_add(crate::sim::DEFAULT_TAIL_NS)
    })
}

/// A time in milliseconds as written, short: `1e308`, not its 309 digits, and
/// `1.8446744073709552e19` for what was `u64::MAX` in the file.
fn ms_text(ms: f64) -> String {
    super::values::number_text(ms)
}

/// A time in milliseconds, checked: finite, not negative, not after `end_ns`.
fn time_ns(c: &mut Compiler<'_>, t: &S<f64>, o: &str, key: &str, end_ns: u64) -> Option<u64> {
    let ms = *t.get_ref();
    if !ms.is_finite() || ms < 0.0 {
        c.err(
            "change-time",
            t.span(),
            o,
            format!(
                "{key} = {} is not a time in the run; times count milliseconds from 0",
                ms_text(ms)
            ),
        );
        return None;
    }
    let ns = (ms * 1e6).round();
    if ns > end_ns as f64 {
        c.err(
            "change-time",
            t.span(),
            o,
            format!(
                "{key} = {} is after the run can be sure to last ({} ms: the last flow's last scheduled send plus the 60 s tail); nothing would see it",
                ms_text(ms),
                end_ns / 1_000_000
            ),
        );
        return None;
    }
    Some(ns as u64)
}

/// A change's `direction`: NACLs take inbound/outbound, security groups
/// ingress/egress.
fn direction(c: &mut Compiler<'_>, d: &S<String>, o: &str, sg: bool) -> Option<Direction> {
    let words: [&str; 2] = if sg {
        ["ingress", "egress"]
    } else {
        ["inbound", "outbound"]
    };
    match d.get_ref().as_str() {
        x if x == words[0] => Some(Direction::Inbound),
        x if x == words[1] => Some(Direction::Outbound),
        other => {
            let hint = suggest::did_you_mean(other, words);
            c.err(
                "change-direction",
                d.span(),
                o,
                format!(
                    "unknown direction `{other}` ({} or {}){hint}",
                    words[0], words[1]
                ),
            );
            None
        }
    }
}

/// A required key of this action.
fn need<'s, T>(
    c: &mut Compiler<'_>,
    v: &'s Option<S<T>>,
    key: &str,
    action: &S<String>,
    o: &str,
) -> Option<&'s S<T>> {
    if v.is_none() {
        c.err(
            "change-key",
            action.span(),
            o,
            format!("`{}` needs `{key}`", action.get_ref()),
        );
    }
    v.as_ref()
}

pub fn changes(c: &mut Compiler<'_>, specs: &[ChangeSpec]) {
    let end_ns = run_end_ns(&c.net);
    // (change, span of its action) for the lifecycle pass.
    let mut out: Vec<(Change, Range<usize>, &ChangeSpec)> = Vec::new();
    // Objects named by a change that was itself invalid: the lifecycle of such an
    // object is not checked, since every later step would be judged without
    // the missing one (before stop 14 an `at_ms = -1` on `request_peering` also
    // reported the accept and delete after it as out of order).
    let mut invalid: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for s in specs {
        let action = s.action.get_ref().as_str();
        let o = format!("change {action} at {} ms", ms_text(*s.at_ms.get_ref()));
        if !ACTIONS.contains(&action) {
            let hint = suggest::did_you_mean(action, ACTIONS);
            c.err(
                "change-action",
                s.action.span(),
                &o,
                format!("unknown action `{action}`{hint}"),
            );
            continue;
        }
        let at = time_ns(c, &s.at_ms, &o, "at_ms", end_ns);
        let uses = keys_of(action);
        let mut ok = true;
        for (k, span) in given(s) {
            if !uses.contains(&k) {
                let msg = format!(
                    "`{action}` does not use `{k}` (it takes {})",
                    uses.join(", ")
                );
                c.err("change-key", span, &o, msg);
                ok = false;
            }
        }
        let what = compile_action(c, s, &o);
        let (Some(at_ns), Some((action, label)), true) = (at, what, ok) else {
            invalid.extend(objects_of(s));
            continue;
        };
        out.push((
            Change {
                at_ns,
                action,
                label,
            },
            s.action.span(),
            s,
        ));
    }
    // Stable: changes at one time apply in file order.
    out.sort_by_key(|(ch, _, _)| ch.at_ns);
    let mut net = c.net.clone();
    let mut running = vec![true; net.instances.len()];
    for (ch, span, s) in &out {
        if let Err(why) = ch.apply(&mut net, &mut running) {
            if objects_of(s).any(|x| invalid.contains(x)) {
                continue;
            }
            let o = format!("change {} at {} ms", ch.label, ch.at_ns as f64 / 1e6);
            c.err("change-lifecycle", span.clone(), &o, why);
        }
    }
    c.net.timeline.changes = out.into_iter().map(|(ch, _, _)| ch).collect();
}

/// The action and its label (`accept_peering pcx-ab`), or `None` (reported).
fn compile_action(c: &mut Compiler<'_>, s: &ChangeSpec, o: &str) -> Option<(ChangeAction, String)> {
    let action = s.action.get_ref().as_str();
    let a = &s.action;
    if let Some(step) = PeeringStep::ALL.into_iter().find(|p| p.action() == action) {
        let r = need(c, &s.peering, "peering", a, o)?;
        let pcx = PcxIdx(c.resolve(Kind::Peering, r, o)?);
        return Some((
            ChangeAction::Peering { pcx, step },
            format!("{action} {}", r.get_ref()),
        ));
    }
    match action {
        "add_route" | "replace_route" | "remove_route" => {
            let t = need(c, &s.route_table, "route_table", a, o)?;
            let d = need(c, &s.destination, "destination", a, o);
            let target = if action == "remove_route" {
                None
            } else {
                need(c, &s.target, "target", a, o)
            };
            let rtb = RtbIdx(c.resolve(Kind::RouteTable, t, o)?);
            let destination = c.values(o).ipnet(d?)?;
            let label = format!("{action} {} {destination}", t.get_ref());
            if action == "remove_route" {
                return Some((ChangeAction::RemoveRoute { rtb, destination }, label));
            }
            let target_ref = target?;
            let target = route_target(c, rtb, target_ref, o)?;
            // The rules a written route meets (before stop 14 a change could
            // route IPv4 to an egress-only gateway, or a subnet of the VPC to a
            // peering).
            let vpc = c.net.route_tables[rtb.ix()].vpc;
            let problem = super::routes::destination_problem(
                &c.net,
                vpc,
                target,
                destination,
                target_ref.get_ref(),
            );
            if let Some((rule, msg)) = problem {
                c.err(rule, d?.span(), o, msg);
                return None;
            }
            let route = Route {
                destination: RouteDestination::Cidr(destination),
                target,
                propagated: false,
            };
            let label = format!("{label} -> {}", s.target.as_ref()?.get_ref());
            Some(match action {
                "add_route" => (ChangeAction::AddRoute { rtb, route }, label),
                _ => (ChangeAction::ReplaceRoute { rtb, route }, label),
            })
        }
        "add_nacl_rule" | "remove_nacl_rule" => {
            let n = need(c, &s.network_acl, "network_acl", a, o)?;
            let d = need(c, &s.direction, "direction", a, o)?;
            let nacl = NaclIdx(c.resolve(Kind::Nacl, n, o)?);
            let dir = direction(c, d, o, false)?;
            let head = format!("{action} {} {}", n.get_ref(), dir.as_str());
            if action == "remove_nacl_rule" {
                let r = need(c, &s.rule_number, "rule_number", a, o)?;
                let number = *r.get_ref();
                if !(1..=32766).contains(&number) {
                    c.err(
                        "nacl-rule-number",
                        r.span(),
                        o,
                        format!("rule number {number} is out of range; NACL rules are numbered 1 to 32766"),
                    );
                    return None;
                }
                let number = number as u16;
                let label = format!("{head} rule {number}");
                return Some((ChangeAction::RemoveNaclRule { nacl, dir, number }, label));
            }
            let r = need(c, &s.nacl_rule, "nacl_rule", a, o)?;
            let rule = nacl_rules(c, o, dir, std::slice::from_ref(r))?.pop()?;
            let label = format!("{head} rule {}", rule.number);
            Some((ChangeAction::AddNaclRule { nacl, dir, rule }, label))
        }
        "add_sg_rule" | "remove_sg_rule" => {
            let g = need(c, &s.security_group, "security_group", a, o)?;
            let d = need(c, &s.direction, "direction", a, o)?;
            let r = need(c, &s.sg_rule, "sg_rule", a, o)?;
            let sg = SgIdx(c.resolve(Kind::Sg, g, o)?);
            let dir = direction(c, d, o, true)?;
            let rule = sg_rule(c, o, sg, dir, r)?;
            let label = format!("{action} {} {}", g.get_ref(), d.get_ref());
            Some(match action {
                "add_sg_rule" => (ChangeAction::AddSgRule { sg, dir, rule }, label),
                _ => (ChangeAction::RemoveSgRule { sg, dir, rule }, label),
            })
        }
        "set_tgw_attachment_state" => {
            let t = need(c, &s.tgw_attachment, "tgw_attachment", a, o)?;
            let st = need(c, &s.state, "state", a, o)?;
            let att = TgwAttIdx(c.resolve(Kind::TgwAttachment, t, o)?);
            let Some(state) = TgwAttachmentState::ALL
                .into_iter()
                .find(|x| x.as_str() == st.get_ref())
            else {
                let hint = suggest::did_you_mean(
                    st.get_ref(),
                    TgwAttachmentState::ALL.iter().map(|x| x.as_str()),
                );
                c.err(
                    "change-state",
                    st.span(),
                    o,
                    format!("unknown attachment state `{}`{hint}", st.get_ref()),
                );
                return None;
            };
            let label = format!("{action} {} {}", t.get_ref(), state.as_str());
            Some((ChangeAction::TgwAttachmentState { att, state }, label))
        }
        _ => {
            let i = need(c, &s.instance, "instance", a, o)?;
            let instance = InstanceIdx(c.resolve(Kind::Instance, i, o)?);
            let running = action == "start_instance";
            let label = format!("{action} {}", i.get_ref());
            Some((ChangeAction::Instance { instance, running }, label))
        }
    }
}

/// A flow's `expect_windows` (the flow was just pushed as `flow`).
pub fn windows(c: &mut Compiler<'_>, f: &FlowSpec, flow: u32, o: &str) {
    let end_ns = u64::MAX;
    for w in &f.expect_windows {
        let span = w.span();
        let ExpectWindowSpec {
            from_ms,
            until_ms,
            outcome,
        } = w.get_ref();
        let from = match from_ms {
            Some(t) => time_ns(c, t, o, "from_ms", end_ns),
            None => Some(0),
        };
        let until = match until_ms {
            Some(t) => time_ns(c, t, o, "until_ms", end_ns).map(Some),
            None => Some(None),
        };
        let expect = super::flows::expectation(c, outcome, o);
        let (Some(from_ns), Some(until_ns), Some(expect)) = (from, until, expect) else {
            continue;
        };
        if until_ns.is_some_and(|u| u <= from_ns) {
            c.err(
                "expect-window",
                span,
                o,
                "a window's until_ms must be later than its from_ms",
            );
            continue;
        }
        c.net.timeline.windows.push(FlowWindow {
            flow,
            from_ns,
            until_ns,
            expect,
        });
    }
}
