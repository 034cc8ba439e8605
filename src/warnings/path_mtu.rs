//! A path-MTU black hole waiting to happen: a flow whose path is narrower than
//! its sender's MTU (9001-byte instances across an inter-region peering, an
//! internet or NAT gateway, a VPN or a transit gateway: 1500 or 8500 bytes), where
//! the router's ICMP "fragmentation needed" (type 3 code 4; ICMPv6 "packet too
//! big", type 2) back to the sender is dropped by a network ACL or security group.
//! TCP sets DF, so its full-sized segments vanish and the connection stalls.
//!
//! Found with the real data plane: for every pair of flow endpoints, one
//! full-sized DF TCP packet each way through [`crate::dataplane::probe`], so the
//! verdict is exactly the one `run` would reach (same rules, same semantics for
//! the ICMP error; AWS: "Path MTU Discovery" in the EC2 User Guide asks for an
//! inbound security group rule for ICMP 3/4, and NACLs are stateless).

use super::Warning;
use crate::dataplane::probe::{probe, Probe, ProbeProtocol};
use crate::dataplane::{Dataplane, DropDetail, Hop};
use crate::model::*;
use crate::topology::Anchor;
use std::collections::HashSet;
use std::net::IpAddr;

/// Most endpoint pairs probed (a generated file may have 400,000 flows; the
/// first pairs are enough to show the mistake, and `check` stays fast).
const MAX_PAIRS: usize = 10_000;
/// Source port of the probes (any ephemeral port).
const PROBE_PORT: u16 = 49_152;

/// The address `from` reaches `to` at, as `run` uses it (from the internet: an
/// instance's public IPv4).
fn reached_at(net: &Network, from: Endpoint, to: Endpoint, v6: bool) -> Option<IpAddr> {
    let from_internet = matches!(from, Endpoint::External(h)
        if net.external_hosts.get(h.ix()).is_some_and(|x| x.site == ExternalSite::Internet));
    match to {
        Endpoint::Eni(i) if from_internet && !v6 => net.enis.get(i.ix())?.public_ip.map(IpAddr::V4),
        _ => net.endpoint_address(to, v6),
    }
}

fn name(net: &Network, e: Endpoint) -> String {
    match e {
        Endpoint::Eni(i) => {
            let eni = &net.enis[i.ix()];
            net.instances
                .get(eni.instance.ix())
                .map_or_else(|| eni.id.clone(), |x| x.name.clone())
        }
        Endpoint::External(h) => net.external_hosts[h.ix()].name.clone(),
    }
}

pub fn blackholes(net: &Network) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut seen: HashSet<(EndKey, EndKey, bool)> = HashSet::new();
    let mut dp: Option<Dataplane> = None;
    for f in &net.flows {
        if seen.len() >= MAX_PAIRS {
            break;
        }
        // TCP sets DF on every segment and stalls when they vanish; a UDP or ping
        // flow's own size and DF setting decide its fate, shown by the run.
        if f.kind != FlowKind::Tcp || f.unresolved() {
            continue; // (a flow by name that did not resolve never sends)
        }
        if !seen.insert((key(f.src), key(f.dst), f.ipv6)) {
            continue;
        }
        let (Some(src_ip), Some(dst_ip)) = (
            net.endpoint_address(f.src, f.ipv6),
            reached_at(net, f.src, f.dst, f.ipv6),
        ) else {
            continue;
        };
        let dp = dp.get_or_insert_with(|| Dataplane::new(net));
        // The request way, then the answer way (data flows both ways in TCP; the
        // answer follows the request's connection, as a server's would).
        let ways = [
            (f.src, f.dst, src_ip, dst_ip, PROBE_PORT, f.port.max(1)),
            (
                f.dst,
                f.src,
                net.endpoint_address(f.dst, f.ipv6).unwrap_or(dst_ip),
                src_ip,
                f.port.max(1),
                PROBE_PORT,
            ),
        ];
        for (from, to, s, d, sport, dport) in ways {
            let Endpoint::Eni(sender) = from else {
                continue; // an external host's own firewall is not modelled
            };
            // TCP's segments are the smaller of the two ends' MSS: a far end with a
            // small MTU (an internet host at 1500) keeps them small, as on Linux.
            let far_mtu = match to {
                Endpoint::Eni(e) => net.enis.get(e.ix()).map(|e| e.mtu),
                Endpoint::External(h) => net.external_hosts.get(h.ix()).map(|h| h.mtu),
            };
            let own_mtu = net.enis[sender.ix()].mtu;
            let mtu = usize::from(far_mtu.map_or(own_mtu, |m| m.min(own_mtu)));
            let headers = if f.ipv6 { 40 + 20 } else { 20 + 20 };
            let p = Probe {
                src: from,
                dst: to,
                src_ip: s,
                dst_ip: d,
                protocol: ProbeProtocol::Tcp,
                src_port: sport,
                dst_port: dport,
                payload_len: mtu.saturating_sub(headers),
                dont_fragment: true,
            };
            let Ok(result) = probe(dp, &p) else { continue };
            let leg = &result.request;
            let Some(path_mtu) = leg.hops.iter().find_map(|h| match h {
                Hop::IcmpError { mtu, .. } => Some(*mtu),
                _ => None,
            }) else {
                continue;
            };
            // The drop after the ICMP error is the error's (the first drop is the
            // oversized packet itself, MTU_EXCEEDED).
            let after_error = leg
                .hops
                .iter()
                .skip_while(|h| !matches!(h, Hop::IcmpError { .. }));
            let Some(detail) = after_error
                .filter_map(|h| match h {
                    Hop::Drop { detail, .. } => Some(*detail),
                    _ => None,
                })
                .last()
            else {
                continue;
            };
            let router = leg.dropped_packet().src;
            let (icmp, toml_rule) = if f.ipv6 {
                (
                    "ICMPv6 \"packet too big\" (type 2)",
                    format!(
                        "protocol = \"icmpv6\", icmp_type = 2, icmp_code = -1, cidr = \"{}\"",
                        host_cidr(router)
                    ),
                )
            } else {
                (
                    "ICMP \"fragmentation needed\" (type 3 code 4)",
                    format!(
                        "protocol = \"icmp\", icmp_type = 3, icmp_code = 4, cidr = \"{}\"",
                        host_cidr(router)
                    ),
                )
            };
            let head = format!(
                "flow {}: {} sends {mtu}-byte packets (TCP sets DF) but the path to {} carries {path_mtu}; the router's {icmp} back to {} is dropped here ({}), so full-sized segments vanish and TCP stalls (a path-MTU black hole)",
                f.name,
                name(net, from),
                name(net, to),
                name(net, from),
                detail.display(net)
            );
            let (anchor, object, fix) = match detail {
                DropDetail::NaclDeny { nacl, .. } => (
                    Anchor::Nacl(nacl),
                    format!("network ACL {}", net.nacls[nacl.ix()].id),
                    format!("add an inbound rule {{ rule = N, {toml_rule}, action = \"allow\" }} (NACLs are stateless: the error needs its own rule)"),
                ),
                DropDetail::SgNoMatch { eni, .. } => {
                    let sg = net.enis[eni.ix()].security_groups.first().copied();
                    let Some(sg) = sg else { continue };
                    (
                        Anchor::Sg(sg),
                        format!("security group {}", net.security_groups[sg.ix()].id),
                        format!("add an inbound rule {{ {toml_rule} }}, as AWS's path MTU discovery guidance asks"),
                    )
                }
                _ => continue,
            };
            out.push(Warning {
                anchor,
                rule: "path-mtu-blackhole",
                object,
                message: format!("{head}; {fix}"),
            });
        }
    }
    out
}

/// An endpoint as a hashable pair (kind, index).
type EndKey = (u8, u32);

fn key(e: Endpoint) -> EndKey {
    match e {
        Endpoint::Eni(i) => (0, i.0),
        Endpoint::External(h) => (1, h.0),
    }
}

/// `a.b.c.d/32` or `…/128`.
fn host_cidr(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}/32"),
        IpAddr::V6(a) => format!("{a}/128"),
    }
}
