//! External hosts (the internet host, on-premises hosts behind a VGW) and traffic
//! flows with their expectations (`delivered` or `dropped:<REASON>`).

use super::super::format::{FlowSpec, HostSpec, S};
use super::super::names;
use super::super::suggest;
use super::flow_numbers::{inapplicable_keys, numbers, request_response};
use super::{obj, schedule, unicast, Compiler, Kind};
use crate::model::*;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

/// The name of the host that stands for "the internet".
pub const INTERNET_HOST: &str = "internet";
/// Its address when the file does not declare it (TEST-NET-3, RFC 5737).
pub const INTERNET_HOST_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
/// The MTU of hosts outside AWS.
const EXTERNAL_MTU: u16 = 1500;

pub fn hosts(c: &mut Compiler<'_>, specs: &[HostSpec]) {
    // address → host name, so uniqueness is one lookup per host.
    let mut by_ip: HashMap<IpAddr, String> = HashMap::new();
    for h in specs {
        let name = h.name.get_ref().clone();
        let o = obj(Kind::Host, &name);
        if let Some(problem) = names::name_problem(&name) {
            c.err("name-syntax", h.name.span(), &o, problem);
            continue;
        }
        let taken = if c.lookup(Kind::Host, &name).is_some() {
            Some("the name of another host".to_string())
        } else if c.lookup(Kind::Instance, &name).is_some() {
            Some("the name of an instance".to_string())
        } else if c.defined_at.contains_key(&name) {
            Some(format!("the id of {}", c.describe(&name)))
        } else {
            None
        };
        if let Some(other) = taken {
            c.err(
                "duplicate-id",
                h.name.span(),
                &o,
                format!("name `{name}` is already {other}; names must be unambiguous"),
            );
            continue;
        }
        let Some(ip) = c.values(&o).ip(&h.ip) else {
            continue;
        };
        if let Some(what) = unicast::address_problem(ip) {
            let msg = format!("{ip} is {what}; a host needs a unicast address");
            c.err("ip-not-unicast", h.ip.span(), &o, msg);
            continue;
        }
        if let Some(other) = by_ip.get(&ip) {
            let msg =
                format!("{ip} is already the address of host {other}; host addresses are unique");
            c.err("ip-duplicate", h.ip.span(), &o, msg);
            continue;
        }
        let mut site = ExternalSite::Internet;
        if let Some(r) = &h.vgw {
            let Some(g) = c.resolve(Kind::Vgw, r, &o).map(VgwIdx) else {
                continue;
            };
            let v = &c.net.vpn_gateways[g.ix()];
            if !v.onprem_cidrs.iter().any(|n| n.contains(&ip)) {
                let cidrs: Vec<String> = v.onprem_cidrs.iter().map(|n| n.to_string()).collect();
                let msg = format!("{ip} is not in the on-premises networks of {} ({}); an on-premises host must be inside them", v.id, cidrs.join(", "));
                c.err("host-onprem", h.ip.span(), &o, msg);
                continue;
            }
            site = ExternalSite::OnPrem(g);
        }
        if let Some(r) = &h.direct_connect {
            if h.vgw.is_some() {
                let msg = "a host sits behind one of `vgw` (a VPN) or `direct_connect`, not both; a network reached both ways is the VGW's choice (Direct Connect preferred)";
                c.err("host-site", r.span(), &o, msg);
                continue;
            }
            let Some(d) = c.resolve(Kind::Dx, r, &o).map(DxIdx) else {
                continue;
            };
            let dx = &c.net.direct_connects[d.ix()];
            if !dx.onprem_cidrs.iter().any(|n| n.contains(&ip)) {
                let cidrs: Vec<String> = dx.onprem_cidrs.iter().map(|n| n.to_string()).collect();
                let msg = format!("{ip} is not in the on-premises networks of {} ({}); an on-premises host must be inside them", dx.id, cidrs.join(", "));
                c.err("host-onprem", h.ip.span(), &o, msg);
                continue;
            }
            site = ExternalSite::DirectConnect(d);
        }
        if let Some((inside, _)) = c.vpc_holding(ip) {
            let msg = format!(
                "{ip} is inside {}; an external host needs an address outside every VPC",
                c.net.vpcs[inside.ix()].id
            );
            c.err("host-in-vpc", h.ip.span(), &o, msg);
            continue;
        }
        let mtu = match &h.mtu {
            None => EXTERNAL_MTU,
            Some(m) if (576..=9001).contains(m.get_ref()) => *m.get_ref() as u16,
            Some(m) => {
                c.err(
                    "mtu",
                    m.span(),
                    &o,
                    format!("MTU {} is out of range (576 to 9001)", m.get_ref()),
                );
                continue;
            }
        };
        c.register(Kind::Host, &name, c.net.external_hosts.len());
        by_ip.insert(ip, name.clone());
        c.net.external_hosts.push(ExternalHost {
            name,
            ip,
            site,
            mtu,
        });
    }
    if c.lookup(Kind::Host, INTERNET_HOST).is_none() && !c.is_declared(Kind::Host, INTERNET_HOST) {
        // The default address, or the next one in TEST-NET-3 the file left free.
        let base = u32::from(INTERNET_HOST_IP);
        let ip = (0..240)
            .map(|k| IpAddr::V4(Ipv4Addr::from(base + k)))
            .find(|ip| c.net.external_hosts.iter().all(|h| h.ip != *ip))
            .unwrap_or(IpAddr::V4(INTERNET_HOST_IP));
        c.register(Kind::Host, INTERNET_HOST, c.net.external_hosts.len());
        c.net.external_hosts.push(ExternalHost {
            name: INTERNET_HOST.to_string(),
            ip,
            site: ExternalSite::Internet,
            mtu: EXTERNAL_MTU,
        });
    }
}

fn endpoint(c: &mut Compiler<'_>, r: &S<String>, o: &str) -> Option<Endpoint> {
    // A flow may name a load balancer or interface endpoint (its first interface);
    // when that object is broken its error is reported already, and "unknown flow
    // endpoint" here would only mislead.
    let name = r.get_ref();
    let broken_service = [Kind::LoadBalancer, Kind::InterfaceEndpoint]
        .iter()
        .any(|&k| c.is_declared(k, name) && c.lookup(k, name).is_none());
    // Flows are compiled last: an implicit ENI id (`eni-vpce-app-1`) that is
    // defined but was not built belongs to an object whose error is reported.
    let broken_implicit = c.defined_at.get(name).is_some_and(|(k, _)| *k == Kind::Eni)
        && c.implied_by.contains_key(name);
    if (broken_service || broken_implicit) && c.lookup(Kind::Eni, name).is_none() {
        return None;
    }
    // An address where a name belongs (`to = "10.1.1.20"`, what a new user
    // tries first): say whose address it is.
    let named = [Kind::Instance, Kind::Eni, Kind::Host]
        .iter()
        .any(|&k| c.lookup(k, name).is_some());
    if let (Ok(ip), false) = (name.trim().parse::<std::net::IpAddr>(), named) {
        // A scan per such error, so bounded like suggestions (a file of 400,000
        // flows by address must not check in quadratic time).
        let scan = c.suggestions < super::MAX_SUGGESTIONS;
        c.suggestions += 1;
        let eni = c.net.enis.iter().filter(|_| scan).find(|e| {
            IpAddr::V4(e.private_ip) == ip
                || e.ipv6.map(IpAddr::V6) == Some(ip)
                || e.public_ip.map(IpAddr::V4) == Some(ip)
        });
        let owner = match eni {
            Some(e) => Some(format!("ENI {}", e.id)),
            None => c
                .net
                .external_hosts
                .iter()
                .filter(|_| scan)
                .find(|h| h.ip == ip)
                .map(|h| format!("host {}", h.name)),
        };
        let msg = match owner {
            None if !scan => format!("a flow names its ends (instance, ENI or host), not addresses like {ip}"),
            Some(owner) => format!("a flow names its ends, not addresses: {ip} is {owner}; write that id (or the instance's id or name)"),
            None => format!("a flow names its ends, not addresses, and no ENI or host of the topology has {ip}; declare a [[host]] with `ip = \"{ip}\"` and name it"),
        };
        c.err("unknown-reference", r.span(), o, msg);
        return None;
    }
    let (kind, ix) = c.resolve_any(
        &[Kind::Instance, Kind::Eni, Kind::Host],
        r,
        o,
        "flow endpoint (instance, ENI or host)",
    )?;
    Some(match kind {
        Kind::Instance => Endpoint::Eni(*c.net.instances[ix as usize].enis.first()?),
        Kind::Eni => Endpoint::Eni(EniIdx(ix)),
        _ => Endpoint::External(HostIdx(ix)),
    })
}

/// Whether `src` may start a flow. An interface endpoint's network interfaces and
/// an NLB's nodes are requester-managed: they answer connections made to them
/// (and the node opens its own towards a target for each) but never start one, so
/// a flow from one is refused (rule `flow-source`; before stop 15 it passed).
fn starts_connections(c: &mut Compiler<'_>, src: Endpoint, r: &S<String>, o: &str) -> bool {
    let Endpoint::Eni(e) = src else { return true };
    if c.net
        .enis
        .get(e.ix())
        .is_none_or(|x| x.instance != NO_INSTANCE)
    {
        return true;
    }
    let what = match c.net.privatelink_role(e) {
        Some(PrivateLinkRole::Endpoint(i)) => format!(
            "a network interface of interface endpoint {}",
            c.net.interface_endpoints[i.ix()].id
        ),
        Some(PrivateLinkRole::LbNode(l)) => {
            format!(
                "a node of load balancer {}",
                c.net.load_balancers[l.ix()].id
            )
        }
        None => return true,
    };
    let name = r.get_ref();
    let eni = &c.net.enis[e.ix()].id;
    let subject = if name == eni {
        format!("`from` names {eni}, {what}")
    } else {
        format!("`from` names {name}, whose first interface {eni} is {what}")
    };
    let msg = format!("{subject}: it answers connections made to it and never starts one; send the flow from an instance or a host");
    c.err("flow-source", r.span(), o, msg);
    false
}

fn has_ipv6(net: &Network, e: Endpoint) -> bool {
    match e {
        Endpoint::Eni(i) => net.enis[i.ix()].ipv6.is_some(),
        Endpoint::External(h) => net.external_hosts[h.ix()].ip.is_ipv6(),
    }
}

/// Every spelling `expect` accepts (for "did you mean").
fn expectations() -> Vec<String> {
    ["delivered".to_string(), "dropped".to_string()]
        .into_iter()
        .chain(
            DropReason::ALL
                .iter()
                .map(|r| format!("dropped:{}", r.code())),
        )
        .collect()
}

/// `delivered`, `dropped` (any reason), `dropped:REASON` or `dropped:A|B` (any
/// of the reasons listed). Each unknown reason is an error of its own, at its
/// column.
pub(super) fn expectation(c: &mut Compiler<'_>, s: &S<String>, o: &str) -> Option<Expectation> {
    let raw = s.get_ref();
    let text = raw.trim();
    match text {
        "delivered" => return Some(Expectation::Delivered),
        "nxdomain" => return Some(Expectation::Nxdomain),
        "dropped" => return Some(Expectation::DroppedAnyOf(DropReasons::ANY)),
        _ => {}
    }
    if let Some(codes) = text.strip_prefix("dropped:") {
        // Where `codes` starts inside the string value (the span includes the quote).
        let mut at = raw.len() - raw.trim_start().len() + "dropped:".len();
        let mut set = DropReasons::default();
        let mut first = None;
        let mut ok = true;
        for code in codes.split('|') {
            let name = code.trim();
            let start = at + (code.len() - code.trim_start().len());
            at += code.len() + 1;
            match name.parse::<DropReason>() {
                Ok(r) => {
                    set = set.with(r);
                    first = first.or(Some(r));
                }
                Err(()) => {
                    ok = false;
                    let hint =
                        suggest::did_you_mean(name, DropReason::ALL.iter().map(|r| r.code()));
                    let what = if name.is_empty() {
                        "empty drop reason (write `dropped` for any reason, or `dropped:A|B`)"
                            .to_string()
                    } else {
                        format!("unknown drop reason `{name}` (reasons are the codes listed in docs/topology-format.md: NO_ROUTE, NACL_DENY, …){hint}")
                    };
                    c.err("unknown-reason", inner_span(s, start, name.len()), o, what);
                }
            }
        }
        if !ok {
            return None;
        }
        return Some(match (first, codes.contains('|')) {
            (Some(r), false) => Expectation::Dropped(r),
            _ => Expectation::DroppedAnyOf(set),
        });
    }
    let all = expectations();
    let hint = suggest::did_you_mean(text, all.iter().map(|s| s.as_str()));
    c.err(
        "unknown-reason",
        s.span(),
        o,
        format!("unknown expectation `{text}` (use `delivered`, `dropped`, `dropped:<REASON>`, `dropped:<REASON>|<REASON>` or, for a flow to a DNS name, `nxdomain`){hint}"),
    );
    None
}

/// The span of `len` bytes at byte `start` of a string value's text, when the
/// value is a plain one-line string (`"…"` with no escapes before that point);
/// else the whole value.
fn inner_span(s: &S<String>, start: usize, len: usize) -> std::ops::Range<usize> {
    let span = s.span();
    let quoted = span.end.saturating_sub(span.start) == s.get_ref().len() + 2;
    if quoted {
        let from = span.start + 1 + start;
        from..from + len.max(1)
    } else {
        span
    }
}

pub fn flows(c: &mut Compiler<'_>, specs: &[FlowSpec]) {
    // A set, not a list: a generated topology has tens of thousands of flows.
    let mut seen: HashSet<String> = HashSet::new();
    for f in specs {
        let name = f.name.get_ref().clone();
        let o = obj(Kind::Flow, &name);
        if let Some(problem) = names::flow_name_problem(&name) {
            c.err("name-syntax", f.name.span(), &o, problem);
            continue;
        }
        if !seen.insert(name.clone()) {
            c.err(
                "duplicate-id",
                f.name.span(),
                &o,
                format!("duplicate flow name `{name}`; names must be unique"),
            );
            continue;
        }
        let kind = match f.kind.get_ref().as_str() {
            "ping" => Some(FlowKind::Ping),
            "udp" => Some(FlowKind::Udp),
            "tcp" => Some(FlowKind::Tcp),
            other => {
                let hint = suggest::did_you_mean(other, ["ping", "udp", "tcp"]);
                c.err(
                    "unknown-protocol",
                    f.kind.span(),
                    &o,
                    format!("unknown flow kind `{other}` (ping, udp or tcp){hint}"),
                );
                None
            }
        };
        let src = endpoint(c, &f.from, &o).filter(|&s| starts_connections(c, s, &f.from, &o));
        // A destination named by DNS name: looked up from the source first.
        let by_name = looks_like_dns_name(c, &f.to);
        let (dst, mut dns) = match (by_name, src) {
            (true, Some(s)) => match lookup(c, f, s, &o) {
                Some((d, l)) => (Some(d), Some(Box::new(l))),
                None => (None, None),
            },
            (true, None) => (None, None),
            (false, _) => {
                if let Some(d) = &f.dns_server {
                    c.err(
                        "flow-dns-server",
                        d.span(),
                        &o,
                        "`dns_server` is for a flow whose `to` is a DNS name (the resolver its source asks)",
                    );
                }
                (endpoint(c, &f.to, &o), None)
            }
        };
        // `None`: the expectation is broken (reported); `Some(None)`: no expectation.
        let expect = match &f.expect {
            Some(s) => expectation(c, s, &o).map(Some),
            None => Some(None),
        };
        // Numbers are checked even when an endpoint is broken, so that every
        // mistake of the flow is reported at once.
        let numbers = numbers(c, f, kind.unwrap_or(FlowKind::Udp), &o);
        let rr = request_response(c, f, kind, &o);
        let keys_apply = inapplicable_keys(c, f, kind, &o);
        let (Some(kind), Some(src), Some(dst), Some(n), Some(expect), Some(rr), true) =
            (kind, src, dst, numbers, expect, rr, keys_apply)
        else {
            continue;
        };
        if !schedule::check(c, f, &o, kind, n.count, n.rate_pps, n.start_ns) {
            continue;
        }
        if src == dst && dns.is_none() {
            c.err(
                "flow-endpoints",
                f.to.span(),
                &o,
                "a flow's source and destination are the same",
            );
            continue;
        }
        if f.ipv6 && !(has_ipv6(&c.net, src) && has_ipv6(&c.net, dst)) {
            c.err(
                "flow-ipv6",
                f.name.span(),
                &o,
                "`ipv6 = true` needs an IPv6 address at both ends",
            );
            continue;
        }
        // Linux refuses (EMSGSIZE) a DF datagram larger than its own interface's
        // MTU rather than send it; before stop 14 the host fragmented it and
        // dropped DF without a word.
        let df = f.df.as_ref().filter(|d| *d.get_ref());
        if let (Some(d), false, FlowKind::Ping | FlowKind::Udp) = (df, f.ipv6, kind) {
            let mtu = match src {
                Endpoint::Eni(e) => c.net.enis[e.ix()].mtu,
                Endpoint::External(h) => c.net.external_hosts[h.ix()].mtu,
            };
            let packet = u64::from(n.size) + 28; // IPv4 and UDP/ICMP headers
            if packet > u64::from(mtu) {
                let msg = format!("`df = true` with {} bytes of payload makes {packet}-byte packets, larger than the sender's MTU {mtu}: Linux refuses to send them (EMSGSIZE); lower `size` to at most {} or set `df = false`", n.size, u64::from(mtu) - 28);
                c.err("flow-df-size", d.span(), &o, msg);
                continue;
            }
        }
        // As `sim::setup` addresses it: from the internet, an instance's public IPv4.
        if let Some(problem) =
            unreachable_from_internet(&c.net, src, dst, f.ipv6).filter(|_| dns.is_none())
        {
            c.err("flow-endpoints", f.to.span(), &o, problem);
            continue;
        }
        // `nxdomain` can only be met by a flow that looks a name up; before
        // stop 14 it was accepted on any flow and failed after the run.
        if let (Some(Expectation::Nxdomain), None, Some(e)) = (&expect, &dns, &f.expect) {
            c.err(
                "expect-nxdomain",
                e.span(),
                &o,
                "`nxdomain` is the outcome of a flow whose `to` is a DNS name; this flow names its destination directly",
            );
            continue;
        }
        if let Some(d) = dns.as_mut() {
            let wait = d.answer_ns - d.query_ns;
            d.query_ns = n.start_ns;
            d.answer_ns = n.start_ns.saturating_add(wait);
        }
        c.net.flows.push(Flow {
            name,
            kind,
            src,
            dst,
            port: n.port,
            size: n.size,
            count: n.count,
            bytes: if kind == FlowKind::Tcp && rr.is_none() {
                n.bytes
            } else {
                0
            },
            rate_pps: n.rate_pps,
            // A flow by name starts once its answer is in.
            start_ns: dns.as_ref().map_or(n.start_ns, |d| d.answer_ns),
            df: f
                .df
                .as_ref()
                .map_or(kind == FlowKind::Tcp, |d| *d.get_ref()),
            ipv6: f.ipv6,
            expect,
            request_response: rr,
            dns,
        });
        let flow = (c.net.flows.len() - 1) as u32;
        super::timeline::windows(c, f, flow, &o);
    }
}

/// Why `dst` cannot be reached from `src` over IPv4 when `src` is on the
/// internet: the internet addresses an instance only at its public IP (through its
/// VPC's internet gateway), and this one has none.
fn unreachable_from_internet(
    net: &Network,
    src: Endpoint,
    dst: Endpoint,
    ipv6: bool,
) -> Option<String> {
    let from_internet = matches!(src, Endpoint::External(h)
        if net.external_hosts.get(h.ix()).is_some_and(|x| x.site == ExternalSite::Internet));
    let Endpoint::Eni(e) = dst else { return None };
    let eni = net.enis.get(e.ix())?;
    (from_internet && !ipv6 && eni.public_ip.is_none()).then(|| {
        format!(
            "the internet reaches an instance only at its public IP, and {} has none: give it `public_ip` (its VPC needs an internet gateway), or send the flow the other way",
            &eni.id
        )
    })
}

/// The Amazon resolver's link-local address, which answers like the VPC's
/// base +2 (Amazon VPC User Guide, "Amazon DNS server").
pub const LINK_LOCAL_RESOLVER: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 253);

/// A flow's `dns_server`: for an instance, the Amazon resolver at its VPC's
/// base +2 (`default`) or at 169.254.169.253; for an internet host, the
/// resolver on the internet it asks (any address of its family); an
/// on-premises host asks its own DNS server (`dns_forwarder` on the host).
fn dns_server(
    c: &mut Compiler<'_>,
    d: &S<String>,
    src: Endpoint,
    default: Option<IpAddr>,
    o: &str,
) -> Option<IpAddr> {
    let text = d.get_ref().trim();
    let ip = text.parse::<IpAddr>().ok();
    let problem = match src {
        Endpoint::Eni(_) => match (ip, default) {
            (Some(IpAddr::V4(a)), _) if a == LINK_LOCAL_RESOLVER => return ip,
            (Some(a), Some(b)) if a == b => return ip,
            (_, b) => format!(
                "an instance asks the Amazon resolver at its VPC's base +2{} or at 169.254.169.253, not `{}`",
                b.map_or(String::new(), |b| format!(" ({b})")),
                text
            ),
        },
        Endpoint::External(h) => match c.net.external_hosts.get(h.ix()) {
            Some(x) if x.site == ExternalSite::Internet => match ip {
                Some(a) if a.is_ipv4() == x.ip.is_ipv4() => return ip,
                _ => format!(
                    "`{}` is not an IP address of the internet host's family (the resolver it asks, e.g. \"192.0.2.53\")",
                    text
                ),
            },
            _ => "an on-premises host asks its own DNS server: set `dns_forwarder` on the host to a Route 53 Resolver inbound endpoint".to_string(),
        },
    };
    c.err("flow-dns-server", d.span(), o, problem);
    None
}

/// `to` names no object and reads as a DNS name (it has a dot): the flow's
/// source looks it up (see [`lookup`]).
fn looks_like_dns_name(c: &Compiler<'_>, to: &S<String>) -> bool {
    let t = to.get_ref();
    t.contains('.')
        && t.parse::<IpAddr>().is_err()
        && [Kind::Instance, Kind::Eni, Kind::Host]
            .iter()
            .all(|&k| c.lookup(k, t).is_none() && !c.is_declared(k, t))
}

/// Look `f.to` up from `src` as its resolver answers; the endpoint the answer
/// points at (the source itself when the name did not resolve: the flow never
/// starts) and the lookup.
fn lookup(
    c: &mut Compiler<'_>,
    f: &FlowSpec,
    src: Endpoint,
    o: &str,
) -> Option<(Endpoint, crate::route53::DnsLookup)> {
    use crate::route53::{resolve, DnsLookup, Vantage};
    let raw = f.to.get_ref().trim();
    if let Err(e) = crate::route53::message::valid_name(raw) {
        // Raw: diagnostics are escaped once, when printed.
        let msg =
            format!("`to` is neither an instance, ENI or host nor a valid DNS name (`{raw}`: {e})");
        c.err("dns-name", f.to.span(), o, msg);
        return None;
    }
    let net = &c.net;
    let (vantage, server, one_way) = match src {
        Endpoint::Eni(e) => {
            let vpc = net.enis[e.ix()].vpc;
            // The Amazon resolver at the VPC's base address +2.
            let base = net.vpcs[vpc.ix()]
                .cidrs
                .first()
                .map(|n| u32::from(n.network()));
            let server = base.map(|b| IpAddr::V4(Ipv4Addr::from(b.wrapping_add(2))));
            (Vantage::Vpc(vpc), server, net.latency.same_az_ns)
        }
        Endpoint::External(h) => match net.external_hosts[h.ix()].site {
            ExternalSite::Internet => (Vantage::Internet, None, net.latency.internet_ns),
            ExternalSite::OnPrem(g) => {
                let server = net.dns.inbound_for(h).map(|ep| IpAddr::V4(ep.ip));
                let lat = net.vpn_gateways.get(g.ix()).map_or(0, |v| v.latency_ns);
                (Vantage::OnPremises(h), server, lat)
            }
            ExternalSite::DirectConnect(d) => {
                let server = net.dns.inbound_for(h).map(|ep| IpAddr::V4(ep.ip));
                let lat = net.direct_connects.get(d.ix()).map_or(0, |x| x.latency_ns);
                (Vantage::OnPremises(h), server, lat)
            }
        },
    };
    let server = match &f.dns_server {
        None => server,
        Some(d) => Some(dns_server(c, d, src, server, o)?),
    };
    let net = &c.net;
    let res = resolve(net, vantage, raw, f.ipv6);
    let start = f
        .start_ms
        .as_ref()
        .map_or(0, |s| (s.get_ref().max(0.0) * 1e6) as u64);
    let l = DnsLookup::timed(raw.to_string(), f.ipv6, server, res, start, one_way);
    let Some(addr) = l.address() else {
        return Some((src, l));
    };
    let same_vpc = |e: &Eni| matches!(src, Endpoint::Eni(s) if net.enis[s.ix()].vpc == e.vpc);
    let by_private = |pick: &dyn Fn(&Eni) -> bool| {
        net.enis.iter().position(|e| {
            pick(e)
                && match addr {
                    IpAddr::V4(v4) => e.private_ip == v4,
                    IpAddr::V6(v6) => e.ipv6 == Some(v6),
                }
        })
    };
    let found = by_private(&same_vpc)
        .or_else(|| by_private(&|_| true))
        .map(|i| Endpoint::Eni(EniIdx(i as u32)))
        .or_else(|| {
            net.enis
                .iter()
                .position(|e| matches!(addr, IpAddr::V4(v4) if e.public_ip == Some(v4)))
                .map(|i| Endpoint::Eni(EniIdx(i as u32)))
        })
        .or_else(|| {
            net.external_hosts
                .iter()
                .position(|h| h.ip == addr)
                .map(|i| Endpoint::External(HostIdx(i as u32)))
        });
    match found {
        Some(d) if d != src => Some((d, l)),
        Some(_) => {
            let msg = format!("`{}` resolves to {addr}, the flow's own source", raw);
            c.err("flow-endpoints", f.to.span(), o, msg);
            None
        }
        None => {
            let msg = format!(
                "`{}` resolves to {addr}, which no instance or host of the topology has",
                raw
            );
            c.err("flow-dns-target", f.to.span(), o, msg);
            None
        }
    }
}
