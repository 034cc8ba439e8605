//! Instances and their ENIs: subnet, private IP (inside the subnet, not reserved),
//! optional IPv6 and public IP, MTU (default 9001), security groups (own VPC only,
//! at most `sgs_per_eni`, default: the VPC's default group), source/dest check.

use super::super::format::{EniSpec, InstanceSpec, S};
use super::super::names;
use super::gateways::{check_ip_in_subnet, check_public_ip};
use super::{implicit_eni_id, obj, Compiler, Kind};
use crate::model::*;
use std::collections::HashMap;
use std::ops::Range;

/// AWS's MTU for current-generation instances.
pub const DEFAULT_ENI_MTU: u16 = 9001;

/// Whether `ip` is one of the five IPv6 addresses AWS reserves in `subnet` (the
/// first four and the last, as for IPv4).
fn reserved_role_v6(subnet: ipnet::Ipv6Net, ip: std::net::Ipv6Addr) -> Option<&'static str> {
    let offset = u128::from(ip) - u128::from(subnet.network());
    let last = u128::from(subnet.broadcast()) - u128::from(subnet.network());
    match offset {
        0 => Some("the subnet-router anycast address"),
        1..=3 => Some("reserved by AWS"),
        x if x == last => Some("reserved by AWS (the last address)"),
        _ => None,
    }
}

struct Built {
    eni: Eni,
    ip_span: Range<usize>,
    public_span: Option<Range<usize>>,
}

fn eni(
    c: &mut Compiler<'_>,
    o: &str,
    e: &EniSpec,
    id: String,
    at: Range<usize>,
    inst: InstanceIdx,
) -> Option<Built> {
    let Some(subnet_ref) = &e.subnet else {
        c.err("missing-key", at, o, "missing key `subnet`");
        return None;
    };
    let Some(ip_ref) = &e.private_ip else {
        c.err("missing-key", at, o, "missing key `private_ip`");
        return None;
    };
    // Every check whose inputs are known runs, so an instance's independent
    // mistakes are all reported at once; the ENI is built only if all passed.
    let subnet = c.resolve(Kind::Subnet, subnet_ref, o).map(SubnetIdx);
    let ip = c.values(o).v4(ip_ref);
    let mut ok = subnet.is_some() && ip.is_some();
    if let (Some(subnet), Some(ip)) = (subnet, ip) {
        ok &= check_ip_in_subnet(c, o, subnet, ip, ip_ref.span());
    }
    let subnet_info = subnet.map(|sn| {
        let s = &c.net.subnets[sn.ix()];
        (s.vpc, s.ipv6, s.id.clone())
    });
    let mut ipv6 = None;
    if let (Some(s), Some((_, subnet_v6, sid))) = (&e.ipv6, &subnet_info) {
        ok = false;
        if let Some(a) = c.values(o).v6(s) {
            match *subnet_v6 {
                Some(n) if n.contains(&a) => {
                    if let Some(role) = reserved_role_v6(n, a) {
                        c.err("ip-reserved", s.span(), o, format!("IPv6 address {a} is {role} of subnet {sid} ({n}); AWS reserves the first four IPv6 addresses and the last one of every subnet"));
                    } else {
                        ipv6 = Some(a);
                        ok = true;
                    }
                }
                Some(n) => {
                    c.err(
                        "ip-outside-subnet",
                        s.span(),
                        o,
                        format!("IPv6 address {a} is not inside subnet {sid}'s {n}"),
                    );
                }
                None => {
                    c.err(
                        "ip-outside-subnet",
                        s.span(),
                        o,
                        format!(
                            "subnet {sid} has no IPv6 block, so the ENI cannot have an IPv6 address"
                        ),
                    );
                }
            }
        }
    }
    let public_ip = match &e.public_ip {
        Some(s) => match c.values(o).v4(s) {
            Some(ip) if check_public_ip(c, o, "public IP", ip, s.span()) => Some(ip),
            _ => {
                ok = false;
                None
            }
        },
        None => None,
    };
    let mtu = match &e.mtu {
        None => DEFAULT_ENI_MTU,
        Some(m) if (576..=9001).contains(m.get_ref()) => *m.get_ref() as u16,
        Some(m) => {
            c.err(
                "mtu",
                m.span(),
                o,
                format!(
                    "MTU {} is out of range; an ENI's MTU is 576 to 9001",
                    m.get_ref()
                ),
            );
            ok = false;
            DEFAULT_ENI_MTU
        }
    };
    let vpc = subnet_info.map(|(v, _, _)| v);
    let groups = security_groups(c, o, vpc, e.security_groups.as_deref(), at);
    let (true, Some(subnet), Some(vpc), Some(ip), Some(groups)) = (ok, subnet, vpc, ip, groups)
    else {
        return None;
    };
    Some(Built {
        eni: Eni {
            id,
            instance: inst,
            subnet,
            vpc,
            private_ip: ip,
            ipv6,
            public_ip,
            mtu,
            security_groups: groups,
            source_dest_check: e.source_dest_check.unwrap_or(true),
            mac: [0; 6],
        },
        ip_span: ip_ref.span(),
        public_span: e.public_ip.as_ref().map(|s| s.span()),
    })
}

/// Smallest `tcp_rmem_max`/`tcp_wmem_max` accepted: Linux's minimum buffer
/// (`SOCK_MIN_RCVBUF`/`SOCK_MIN_SNDBUF` are about 2-4 KB; `tcp_rmem`'s own minimum
/// default is 4096).
pub const TCP_BUFFER_MIN: i64 = 4096;
/// Largest accepted: 1 GiB, the largest window TCP window scaling can express
/// (RFC 7323: shift 14).
pub const TCP_BUFFER_MAX: i64 = 1 << 30;

/// The instance's `tcp_rmem_max`/`tcp_wmem_max` (Linux's defaults when absent);
/// an out-of-range value is an error (rule `tcp-buffer`) and the default is kept.
fn tcp_buffers(c: &mut Compiler<'_>, o: &str, spec: &InstanceSpec) -> TcpBuffers {
    let mut tcp = TcpBuffers::LINUX;
    tcp.congestion = congestion(c, o, spec);
    for (key, value, slot) in [
        ("tcp_rmem_max", &spec.tcp_rmem_max, &mut tcp.rmem_max),
        ("tcp_wmem_max", &spec.tcp_wmem_max, &mut tcp.wmem_max),
    ] {
        let Some(v) = value else { continue };
        let n = *v.get_ref();
        if (TCP_BUFFER_MIN..=TCP_BUFFER_MAX).contains(&n) {
            *slot = n as u32;
        } else {
            c.err(
                "tcp-buffer",
                v.span(),
                o,
                format!("{key} = {n} is out of range; it is a byte count from {TCP_BUFFER_MIN} to {TCP_BUFFER_MAX} (1 GiB, the largest TCP window)"),
            );
        }
    }
    tcp
}

/// The instance's `tcp_congestion` (cubic, Linux's default, when absent); an
/// unknown value is an error (rule `tcp-congestion`) and cubic is kept.
fn congestion(c: &mut Compiler<'_>, o: &str, spec: &InstanceSpec) -> TcpCongestion {
    let Some(v) = &spec.tcp_congestion else {
        return TcpCongestion::Cubic;
    };
    match v.get_ref().as_str() {
        "cubic" => TcpCongestion::Cubic,
        "reno" => TcpCongestion::Reno,
        "none" => TcpCongestion::None,
        other => {
            c.err(
                "tcp-congestion",
                v.span(),
                o,
                format!(
                    "unknown tcp_congestion `{}`; it is \"cubic\" (Linux's default), \"reno\" or \"none\" (no congestion window)",
                    other
                ),
            );
            TcpCongestion::Cubic
        }
    }
}

/// Largest `bandwidth_gbps` accepted: 3200, the largest per-instance figure AWS
/// lists (p5.48xlarge); a larger one is almost surely a unit mistake.
pub const BANDWIDTH_GBPS_MAX: f64 = 3200.0;

/// Smallest `bandwidth_gbps` accepted: 0.01 (10 Mbit/s), below the smallest
/// baseline AWS lists for any instance type (0.032 Gbit/s, t3.nano). Before stop
/// 15 anything above 0 passed: `1e-300` made every frame take longer than the
/// run to leave, and flows ended `incomplete` with no hint why.
pub const BANDWIDTH_GBPS_MIN: f64 = 0.01;

/// The instance's `bandwidth_gbps` in bits per second (the default when absent);
/// not a number in [0.01, 3200] is an error (rule `instance-bandwidth`).
fn bandwidth(c: &mut Compiler<'_>, o: &str, spec: &InstanceSpec) -> u64 {
    let Some(v) = &spec.bandwidth_gbps else {
        return DEFAULT_INSTANCE_BANDWIDTH_BPS;
    };
    let g = *v.get_ref();
    if (BANDWIDTH_GBPS_MIN..=BANDWIDTH_GBPS_MAX).contains(&g) {
        return (g * 1e9).round() as u64;
    }
    c.err(
        "instance-bandwidth",
        v.span(),
        o,
        format!(
            "bandwidth_gbps = {} is out of range; it is the instance's network bandwidth in Gbit/s, from {BANDWIDTH_GBPS_MIN} (10 Mbit/s) to {BANDWIDTH_GBPS_MAX}",
            super::values::number_text(g)
        ),
    );
    DEFAULT_INSTANCE_BANDWIDTH_BPS
}

/// The instance's `forward` (none when absent); an unknown value is an error
/// (rule `forward`) and the instance does not forward.
fn forwarding(c: &mut Compiler<'_>, o: &str, spec: &InstanceSpec) -> Forwarding {
    let Some(v) = &spec.forward else {
        return Forwarding::None;
    };
    match v.get_ref().as_str() {
        "none" => Forwarding::None,
        "router" => Forwarding::Router,
        "nat" => Forwarding::Nat,
        other => {
            c.err(
                "forward",
                v.span(),
                o,
                format!(
                    "unknown forward `{}`; it is \"none\" (the default), \"router\" (pass packets for others on, TTL decremented) or \"nat\" (a NAT instance: masquerade)",
                    other
                ),
            );
            Forwarding::None
        }
    }
}

/// The ENI's groups; `vpc` is `None` when its subnet is unknown (the groups are
/// then only resolved, so a misspelt one is still reported).
fn security_groups(
    c: &mut Compiler<'_>,
    o: &str,
    vpc: Option<VpcIdx>,
    refs: Option<&[S<String>]>,
    at: Range<usize>,
) -> Option<Vec<SgIdx>> {
    let Some(refs) = refs else {
        return vpc.map(|v| vec![c.net.vpcs[v.ix()].default_sg]);
    };
    if refs.is_empty() {
        c.err("sg-per-eni", at, o, "an ENI needs at least one security group; omit `security_groups` to use the VPC's default group");
        return None;
    }
    let quota = c.net.quotas.sgs_per_eni as usize;
    if refs.len() > quota {
        c.err("sg-per-eni", refs[quota].span(), o, format!("{} security groups exceed the quota of {quota} per network interface (quotas.sgs_per_eni)", refs.len()));
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for r in refs {
        let Some(g) = c.resolve(Kind::Sg, r, o).map(SgIdx) else {
            ok = false;
            continue;
        };
        let gv = c.net.security_groups[g.ix()].vpc;
        let Some(vpc) = vpc else {
            ok = false;
            continue;
        };
        if gv != vpc {
            let msg = format!("security group {} belongs to {}, but this ENI is in {}; an ENI can only use its own VPC's groups", r.get_ref(), c.net.vpcs[gv.ix()].id, c.net.vpcs[vpc.ix()].id);
            c.err("sg-other-vpc", r.span(), o, msg);
            ok = false;
            continue;
        }
        if !out.contains(&g) {
            out.push(g);
        }
    }
    ok.then_some(out)
}

/// Instance names are references (flows, routes) like ids: they must not be
/// ambiguous with another instance's name or with another object's id.
fn check_names(c: &mut Compiler<'_>, specs: &[InstanceSpec]) {
    // name → the instance that has it (a map: a generated file has many instances).
    let mut names: HashMap<&str, &str> = HashMap::new();
    for spec in specs {
        let Some(n) = &spec.name else { continue };
        let name = n.get_ref().as_str();
        let o = obj(Kind::Instance, spec.id.get_ref());
        if let Some(problem) = names::name_problem(name) {
            c.err("name-syntax", n.span(), &o, problem);
            continue;
        }
        let other = match names.get(name) {
            Some(first) => Some(format!("the name of instance {first}")),
            None if name != spec.id.get_ref() && c.defined_at.contains_key(name) => {
                Some(format!("the id of {}", c.describe(name)))
            }
            None => None,
        };
        if let Some(other) = other {
            c.err(
                "duplicate-id",
                n.span(),
                &o,
                format!("name `{name}` is already {other}; names must be unambiguous"),
            );
        }
        names.entry(name).or_insert(spec.id.get_ref());
    }
}

pub fn instances(c: &mut Compiler<'_>, specs: Vec<InstanceSpec>) {
    check_names(c, &specs);
    for mut spec in specs {
        let id = spec.id.get_ref().clone();
        let o = obj(Kind::Instance, &id);
        let shorthand = spec.has_shorthand();
        let mut enis: Vec<(Option<S<String>>, EniSpec, Range<usize>)> = Vec::new();
        if shorthand && !spec.enis.is_empty() {
            c.err("instance-enis", spec.id.span(), &o, "give either the single-ENI keys (subnet, private_ip, …) or `enis = [...]`, not both");
            continue;
        }
        if shorthand {
            enis.push((None, spec.take_shorthand(), spec.id.span()));
        } else {
            for e in std::mem::take(&mut spec.enis) {
                let span = e.span();
                let mut e = e.into_inner();
                enis.push((e.id.take(), e, span));
            }
        }
        if enis.is_empty() {
            c.err("instance-enis", spec.id.span(), &o, "an instance needs a network interface: set `subnet` and `private_ip`, or `enis = [...]`");
            continue;
        }
        let inst = InstanceIdx(c.net.instances.len() as u32);
        let mut built = Vec::new();
        for (k, (eid, e, span)) in enis.iter().enumerate() {
            let eni_id = match eid {
                Some(s) => s.get_ref().clone(),
                None => implicit_eni_id(&id, k),
            };
            if let Some(b) = eni(c, &o, e, eni_id, span.clone(), inst) {
                built.push(b);
            }
        }
        if built.len() != enis.len() {
            continue;
        }
        let mut ixs = Vec::new();
        for b in built {
            let ix = c.net.enis.len();
            c.register(Kind::Eni, &b.eni.id, ix);
            c.spans.eni_ip.push(b.ip_span);
            c.spans.eni_public_ip.push(b.public_span);
            let mut e = b.eni;
            e.mac = Eni::mac_for_index(ix);
            c.net.enis.push(e);
            ixs.push(EniIdx(ix as u32));
        }
        let name = spec
            .name
            .as_ref()
            .map_or_else(|| id.clone(), |n| n.get_ref().clone());
        c.register(Kind::Instance, &id, inst.ix());
        c.register(Kind::Instance, &name, inst.ix());
        let tcp = tcp_buffers(c, &o, &spec);
        let bandwidth_bps = bandwidth(c, &o, &spec);
        let placement_group =
            spec.cluster_placement_group.as_ref().and_then(
                |g| match names::placement_group_problem(g.get_ref()) {
                    Some(problem) => {
                        c.err("placement-group-name", g.span(), &o, problem);
                        None
                    }
                    None => Some(g.get_ref().clone()),
                },
            );
        let forward = forwarding(c, &o, &spec);
        c.net.instances.push(Instance {
            id,
            name,
            enis: ixs,
            tcp,
            bandwidth_bps,
            placement_group,
            forward,
        });
    }
}
