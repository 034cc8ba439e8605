//! Human-readable and JSON renderings of recorded [`Hop`]s, for `peeremu trace`.

use super::detail::*;
use super::trace::{Gateway, Hop, MtuDecision, SgVerdict};
use super::Egress;
use crate::model::*;
use crate::policy::nacl::rule_label;
use crate::policy::Tracked;
use serde_json::{json, Value};

fn traffic_text(t: &TrafficMatch) -> String {
    let proto = match t.protocol {
        ProtocolMatch::Any => return "all traffic".into(),
        ProtocolMatch::Number(proto::TCP) => "tcp",
        ProtocolMatch::Number(proto::UDP) => "udp",
        ProtocolMatch::Number(proto::ICMP) => "icmp",
        ProtocolMatch::Number(proto::ICMPV6) => "icmpv6",
        ProtocolMatch::Number(n) => return format!("protocol {n}"),
    };
    match t.protocol {
        ProtocolMatch::Number(proto::TCP | proto::UDP) if t.ports.is_all() => {
            format!("{proto} all ports")
        }
        ProtocolMatch::Number(proto::TCP | proto::UDP) if t.ports.from == t.ports.to => {
            format!("{proto} {}", t.ports.from)
        }
        ProtocolMatch::Number(proto::TCP | proto::UDP) => {
            format!("{proto} {}-{}", t.ports.from, t.ports.to)
        }
        _ => match (t.icmp.icmp_type, t.icmp.code) {
            (None, _) => format!("{proto} all types"),
            (Some(ty), None) => format!("{proto} type {ty}"),
            (Some(ty), Some(c)) => format!("{proto} type {ty} code {c}"),
        },
    }
}

/// `tcp 5432 from sg-app` for a security group rule.
pub fn sg_rule_text(net: &Network, sg: SgIdx, dir: Direction, index: u16) -> String {
    let Some(rule) = net
        .security_groups
        .get(sg.ix())
        .and_then(|g| g.rules(dir).get(index as usize))
    else {
        return "?".into();
    };
    let peer = match &rule.peer {
        SgPeer::Cidr(c) => c.to_string(),
        SgPeer::PrefixList(p) => net
            .prefix_lists
            .get(p.ix())
            .map(|p| p.id.clone())
            .unwrap_or_default(),
        SgPeer::Group(g) => sg_id(net, *g).to_string(),
    };
    let word = if dir == Direction::Inbound {
        "from"
    } else {
        "to"
    };
    match rule.description.as_str() {
        "" => format!("{} {word} {peer}", traffic_text(&rule.traffic)),
        // The rule's own words, as the console shows them (escaped: from input).
        d => format!(
            "{} {word} {peer} \"{}\"",
            traffic_text(&rule.traffic),
            crate::escape::escape(d)
        ),
    }
}

fn nacl_rule_text(net: &Network, nacl: NaclIdx, dir: Direction, number: Option<u16>) -> String {
    let Some(n) = number else {
        return "* (implicit deny)".into();
    };
    let rule = net
        .nacls
        .get(nacl.ix())
        .and_then(|t| t.rules(dir).iter().find(|r| r.number == n));
    match rule {
        Some(r) => {
            let action = if r.action == RuleAction::Allow {
                "allow"
            } else {
                "deny"
            };
            let word = if dir == Direction::Inbound {
                "from"
            } else {
                "to"
            };
            format!(
                "{n} ({action} {} {word} {})",
                traffic_text(&r.traffic),
                r.cidr
            )
        }
        None => n.to_string(),
    }
}

/// `eni-a (web, 10.0.1.10)`: the address of the packet's family (IPv6 when `v6`
/// and the ENI has one).
fn eni_label(net: &Network, eni: EniIdx, v6: bool) -> String {
    match net.enis.get(eni.ix()) {
        Some(e) => {
            // PrivateLink's interfaces belong to no instance: name their owner.
            let inst = match net.instances.get(e.instance.ix()) {
                Some(i) => i.name.clone(),
                None => super::detail::privatelink_owner(net, eni),
            };
            match e.ipv6.filter(|_| v6) {
                Some(a) => format!("{} ({inst}, {a})", e.id),
                None => format!("{} ({inst}, {})", e.id, e.private_ip),
            }
        }
        None => "?".into(),
    }
}

fn host_label(net: &Network, h: HostIdx) -> String {
    net.external_hosts
        .get(h.ix())
        .map(|h| format!("{} ({})", h.name, h.ip))
        .unwrap_or_default()
}

/// The name of where a frame was delivered (`v6`: it is an IPv6 packet).
pub fn egress_label(net: &Network, to: Egress, v6: bool) -> String {
    match to {
        Egress::Eni(e) => eni_label(net, e, v6),
        Egress::External(h) => host_label(net, h),
    }
}

pub(super) fn gateway_id(net: &Network, g: Gateway) -> &str {
    match g {
        Gateway::Internet(i) => igw_id(net, i),
        Gateway::Nat(n) => nat_id(net, n),
        Gateway::Vpn(v) => vgw_id(net, v),
        Gateway::EgressOnlyInternet(g) => eigw_id(net, g),
        Gateway::DirectConnect(d, v) => net
            .direct_connects
            .get(d.ix())
            .and_then(|d| d.virtual_interfaces.get(usize::from(v)))
            .map_or("?", |v| v.id.as_str()),
        Gateway::Endpoint(e) => vpce_id(net, e),
    }
}

/// One line describing a hop of an IPv4 (`v6` false) or IPv6 packet.
pub fn hop_text(net: &Network, hop: &Hop, v6: bool) -> String {
    match *hop {
        Hop::Eni {
            eni,
            dir: Direction::Outbound,
        } => format!("ENI {} sends", eni_label(net, eni, v6)),
        Hop::Eni {
            eni,
            dir: Direction::Inbound,
        } => format!("ENI {} receives", eni_label(net, eni, v6)),
        Hop::External {
            host,
            dir: Direction::Outbound,
        } => format!("external host {} sends", host_label(net, host)),
        Hop::External {
            host,
            dir: Direction::Inbound,
        } => format!("external host {} receives", host_label(net, host)),
        Hop::Sg { dir, verdict, .. } => {
            let which = if dir == Direction::Inbound {
                "ingress"
            } else {
                "egress"
            };
            match verdict {
                SgVerdict::Rule(m) => format!(
                    "security group {} {which} rule #{}: allows {}{}",
                    sg_id(net, m.sg),
                    m.index,
                    sg_rule_text(net, m.sg, dir, m.index),
                    if m.tracked {
                        " (tracked)"
                    } else {
                        " (untracked: 0.0.0.0/0 both ways)"
                    }
                ),
                SgVerdict::Tracked(Tracked::Reply) => {
                    format!("security group {which}: allowed as the reply of a tracked flow")
                }
                SgVerdict::Tracked(Tracked::Original) => {
                    format!("security group {which}: allowed, part of a tracked flow")
                }
                SgVerdict::Related => {
                    format!("security group {which}: allowed, ICMP error related to a tracked flow")
                }
            }
        }
        Hop::Nacl {
            nacl,
            subnet,
            dir,
            verdict,
        } => format!(
            "network ACL {} {} ({}): rule {} {}",
            nacl_id(net, nacl),
            dir.as_str(),
            net.subnets
                .get(subnet.ix())
                .map(|s| s.id.as_str())
                .unwrap_or("?"),
            nacl_rule_text(net, nacl, dir, verdict.rule),
            if verdict.allowed() {
                "allows"
            } else {
                "denies"
            }
        ),
        Hop::NaclExempt { nacl, dir, exempt } => format!(
            "network ACL {} {}: not applied to {} traffic",
            nacl_id(net, nacl),
            dir.as_str(),
            exempt.as_str()
        ),
        Hop::NaclSkipped { subnet } => format!(
            "network ACL skipped: traffic stays inside {}",
            net.subnets
                .get(subnet.ix())
                .map(|s| s.id.as_str())
                .unwrap_or("?")
        ),
        Hop::Route { rtb, prefix, route } => {
            let target = route_target_id(net, rtb, route);
            // AWS's route state: a route to a peering that is gone is `blackhole`.
            let state = match super::detail::blackhole_peering(net, rtb, route) {
                Some(p) => format!(" (state blackhole: the peering is {})", p.status.as_str()),
                None => String::new(),
            };
            format!(
                "route table {}: {prefix} -> {target}{state}",
                rtb_id(net, rtb)
            )
        }
        Hop::Peering { pcx } => match net.peerings.get(pcx.ix()) {
            Some(p) => format!(
                "peering {} ({}, {}, link MTU {})",
                p.id,
                p.status.as_str(),
                if p.inter_region {
                    "inter-region"
                } else {
                    "same region"
                },
                p.mtu
            ),
            None => "peering ?".into(),
        },
        Hop::Gateway { gateway } => format!("through {}", gateway_id(net, gateway)),
        Hop::PrivateLink {
            endpoint,
            node,
            target,
        } => match target {
            Some(t) => format!(
                "PrivateLink: {} ({}) -> {} node {} -> target {} ({})",
                eni_id(net, endpoint),
                super::detail::privatelink_owner(net, endpoint),
                super::detail::privatelink_owner(net, node),
                eni_id(net, node),
                eni_id(net, t),
                super::detail::instance_id(net, t)
            ),
            None => format!(
                "PrivateLink reply: {} node {} -> {} ({})",
                super::detail::privatelink_owner(net, node),
                eni_id(net, node),
                eni_id(net, endpoint),
                super::detail::privatelink_owner(net, endpoint)
            ),
        },
        Hop::Translate {
            from,
            from_port,
            to,
            to_port,
        } => {
            if from_port == to_port {
                format!("address translation {from} -> {to}")
            } else {
                format!("address translation {from}:{from_port} -> {to}:{to_port}")
            }
        }
        Hop::Mtu {
            packet,
            link,
            decision,
        } => match decision {
            MtuDecision::Fits => format!("MTU: {packet} bytes fit the link MTU {link}"),
            MtuDecision::Fragmented(n) => {
                format!("MTU: {packet} bytes > {link}, DF clear: fragmented into {n}")
            }
            MtuDecision::TooBig => {
                format!("MTU: {packet} bytes > {link} and may not be fragmented")
            }
        },
        Hop::Deliver { to, latency_ns } => format!(
            "delivered to {} after {:.3} ms",
            egress_label(net, to, v6),
            latency_ns as f64 / 1e6
        ),
        Hop::Drop { detail } => format!("DROPPED {}: {}", detail.reason(), detail.display(net)),
        Hop::IcmpError { to, mtu, packet } if packet.protocol == proto::ICMPV6 => format!(
            "router {} sends ICMPv6 \"packet too big\" (type 2, MTU {mtu}) back to {}",
            packet.src,
            egress_label(net, to, true)
        ),
        Hop::IcmpError { to, mtu, packet } => format!(
            "router {} sends ICMP \"fragmentation needed\" (type 3 code 4, MTU {mtu}) back to {}",
            packet.src,
            egress_label(net, to, false)
        ),
        Hop::TgwAttachment { att, tgw, dir } => {
            let a = net.tgw_attachments.get(att.ix());
            format!(
                "transit gateway {} {} attachment {} ({}, {}, MTU {})",
                tgw_id(net, tgw),
                match dir {
                    Direction::Inbound => "receives from",
                    Direction::Outbound => "forwards to",
                },
                tgw_att_id(net, att),
                a.map_or("?", |a| a.kind_str()),
                a.map_or("?", |a| a.state.as_str()),
                a.map_or(0, |a| a.mtu)
            )
        }
        Hop::TgwRoute { rtb, prefix, route } => {
            let (target, propagated) = tgw_route_target(net, rtb, route);
            format!(
                "transit gateway route table {}: {prefix} -> {target} ({})",
                tgw_rtb_id(net, rtb),
                if propagated { "propagated" } else { "static" }
            )
        }
        Hop::MssClamp { from, to } => {
            format!("transit gateway clamps the TCP MSS from {from} to {to}")
        }
        Hop::Forward {
            instance,
            from,
            to,
            ttl,
            nat,
        } => {
            let name = net
                .instances
                .get(instance.ix())
                .map_or("?", |i| i.id.as_str());
            let how = if nat { "NAT instance" } else { "instance" };
            if from == to {
                format!(
                    "{how} {name} forwards it (TTL now {ttl}) back out of {}",
                    eni_id(net, to)
                )
            } else {
                format!(
                    "{how} {name} forwards it (TTL now {ttl}) from {} out of {}",
                    eni_id(net, from),
                    eni_id(net, to)
                )
            }
        }
        Hop::TimeExceeded { eni, packet } => format!(
            "the instance behind {} answers with ICMP time exceeded to {}",
            eni_id(net, eni),
            packet.dst
        ),
    }
}

/// The numbered lines of a leg's hops, each with its virtual time as an offset
/// from `origin_ns` (`  3. +0.050 ms  network ACL …`), and the fix hint under a
/// drop (what `peeremu trace` and `peeremu run --explain` print).
pub fn leg_text(net: &Network, leg: &super::probe::Leg, origin_ns: u64, text: &mut String) {
    let v6 = leg.key.dst.is_ipv6();
    for (i, ((hop, packet), (_, t))) in leg.hops_with_packet().zip(leg.timed_hops()).enumerate() {
        let offset = t.saturating_sub(origin_ns);
        text.push_str(&format!(
            "  {:>2}. +{:.3} ms  {}\n",
            i + 1,
            offset as f64 / 1e6,
            hop_text(net, hop, v6)
        ));
        if let Hop::Drop { detail } = hop {
            text.push_str(&format!("      fix: {}\n", detail.hint(net, &packet)));
        }
    }
}

/// A hop as JSON: `kind`, `text`, and the objects it names.
pub fn hop_json(net: &Network, hop: &Hop, v6: bool) -> Value {
    let text = hop_text(net, hop, v6);
    match *hop {
        Hop::Eni { eni, dir } => {
            json!({"kind": "eni", "eni": eni_id(net, eni), "direction": dir.as_str(), "text": text})
        }
        Hop::External { host, dir } => {
            json!({"kind": "external", "host": host_label(net, host), "direction": dir.as_str(), "text": text})
        }
        Hop::Sg { eni, dir, verdict } => {
            let (sg, rule, tracked) = match verdict {
                SgVerdict::Rule(m) => (Some(sg_id(net, m.sg)), Some(m.index), m.tracked),
                _ => (None, None, true),
            };
            // The rule's `description`, when it has one.
            let description = match verdict {
                SgVerdict::Rule(m) => net
                    .security_groups
                    .get(m.sg.ix())
                    .and_then(|g| g.rules(dir).get(usize::from(m.index)))
                    .map(|r| r.description.as_str())
                    .filter(|d| !d.is_empty()),
                _ => None,
            };
            json!({"kind": "security_group", "eni": eni_id(net, eni), "direction": dir.as_str(), "sg": sg, "rule": rule, "description": description, "tracked": tracked, "text": text})
        }
        Hop::Nacl {
            nacl, dir, verdict, ..
        } => json!({
            "kind": "nacl", "nacl": nacl_id(net, nacl), "direction": dir.as_str(),
            "rule": rule_label(verdict.rule).to_string(), "allowed": verdict.allowed(), "text": text
        }),
        Hop::NaclSkipped { .. } => json!({"kind": "nacl_skipped", "text": text}),
        Hop::NaclExempt { nacl, dir, .. } => json!({
            "kind": "nacl_exempt", "nacl": nacl_id(net, nacl), "direction": dir.as_str(), "text": text
        }),
        Hop::Route { rtb, prefix, .. } => {
            json!({"kind": "route", "route_table": rtb_id(net, rtb), "destination": prefix.to_string(), "text": text})
        }
        Hop::Peering { pcx } => {
            json!({"kind": "peering", "peering": pcx_id(net, pcx), "text": text})
        }
        Hop::Gateway { gateway } => {
            json!({"kind": "gateway", "gateway": gateway_id(net, gateway), "text": text})
        }
        Hop::Translate { .. } => json!({"kind": "translate", "text": text}),
        Hop::PrivateLink {
            endpoint,
            node,
            target,
        } => json!({
            "kind": "privatelink", "endpoint_eni": eni_id(net, endpoint),
            "node_eni": eni_id(net, node),
            "target_eni": target.map(|t| eni_id(net, t).to_string()), "text": text
        }),
        Hop::Mtu {
            packet,
            link,
            decision,
        } => json!({
            "kind": "mtu", "packet": packet, "link_mtu": link,
            "decision": match decision { MtuDecision::Fits => "fits", MtuDecision::Fragmented(_) => "fragmented", MtuDecision::TooBig => "too_big" },
            "text": text
        }),
        Hop::Deliver { latency_ns, .. } => {
            json!({"kind": "deliver", "latency_ns": latency_ns, "text": text})
        }
        Hop::Drop { detail } => {
            json!({"kind": "drop", "reason": detail.reason().code(), "detail": detail.display(net).to_string(), "text": text})
        }
        Hop::IcmpError { mtu, packet, .. } => json!({
            "kind": "icmp_error", "mtu": mtu, "src": packet.src.to_string(),
            "icmp_type": packet.icmp_type, "icmp_code": packet.icmp_code, "text": text
        }),
        Hop::TgwAttachment { att, tgw, dir } => json!({
            "kind": "tgw_attachment", "transit_gateway": tgw_id(net, tgw),
            "attachment": tgw_att_id(net, att), "direction": dir.as_str(), "text": text
        }),
        Hop::TgwRoute { rtb, prefix, route } => {
            let (target, propagated) = tgw_route_target(net, rtb, route);
            json!({
                "kind": "tgw_route", "tgw_route_table": tgw_rtb_id(net, rtb),
                "destination": prefix.to_string(), "target": target,
                "propagated": propagated, "text": text
            })
        }
        Hop::MssClamp { from, to } => {
            json!({"kind": "mss_clamp", "from": from, "to": to, "text": text})
        }
        Hop::Forward {
            instance,
            from,
            to,
            ttl,
            nat,
        } => json!({
            "kind": "forward",
            "instance": net.instances.get(instance.ix()).map_or("?", |i| i.id.as_str()),
            "from_eni": eni_id(net, from), "to_eni": eni_id(net, to),
            "ttl": ttl, "nat": nat, "text": text
        }),
        Hop::TimeExceeded { eni, packet } => json!({
            "kind": "time_exceeded", "eni": eni_id(net, eni),
            "to": packet.dst.to_string(), "text": text
        }),
    }
}
