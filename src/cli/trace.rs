//! `peeremu trace`: send one synthetic packet and its reply through the VPC
//! router pipeline and print every decision, like AWS Reachability Analyzer.
//!
//! The request leaves at virtual time 0; the reply is built from the frame the
//! destination actually received (after any NAT) and sent back when it arrives.

use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK};
use crate::dataplane::explain::{egress_label, hop_json, hop_text};
use crate::dataplane::{
    Action, Dataplane, DropDetail, Egress, Hop, Ingress, EXTERNAL_MAC, ROUTER_MAC,
};
use crate::model::{Endpoint, ExternalHost, ExternalSite, HostIdx, Network, VgwIdx};
use crate::wire::{build_packet, parse_frame, FlowKey, PacketSpec, Transport};
use serde_json::{json, Value};
use std::net::IpAddr;
use std::path::PathBuf;

/// Source port of the synthetic request (the first Linux ephemeral port).
pub const TRACE_SOURCE_PORT: u16 = 49152;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
}

/// Trace one packet (and its reply) from A to B.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file.
    pub topology: PathBuf,
    /// A second file of [[flow]] and [[host]] tables, added to the topology's
    /// (e.g. for an imported account, which has none).
    #[arg(long, value_name = "FILE")]
    pub flows: Option<PathBuf>,
    /// Source: instance name or id (its first ENI), ENI id, external host name, or an
    /// IP address (an ENI's, an external host's, or any internet/on-premises address).
    #[arg(long)]
    pub from: String,
    /// Destination, as for --from. An instance reached from the internet is addressed
    /// by its public IP when it has one.
    #[arg(long)]
    pub to: String,
    /// Protocol: a TCP SYN (answered by SYN-ACK), a UDP datagram, or an ICMP echo.
    #[arg(long, value_enum, default_value = "tcp")]
    pub proto: Proto,
    /// Destination port for tcp/udp, 1 to 65535 (the source port is 49152).
    #[arg(long, default_value_t = 443, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// IP packet size in bytes, headers included (what MTUs compare with), from the
    /// protocol's headers alone (TCP 40, UDP and ICMP 28; IPv6 20 more) to 65535; the
    /// default is the smallest packet of the protocol (ICMP 84 like ping).
    #[arg(long)]
    pub size: Option<u16>,
    /// Set IPv4 Don't Fragment (always set for TCP, like Linux; IPv6 never fragments).
    #[arg(long)]
    pub df: bool,
    /// Use the IPv6 addresses of instances named by --from/--to.
    #[arg(long)]
    pub ipv6: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One end of the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Eni(crate::model::EniIdx),
    Host(HostIdx),
}

/// What happened to one packet.
struct Leg {
    key: FlowKey,
    hops: Vec<Hop>,
    delivered: Option<(Egress, Vec<u8>, u64)>,
    drop: Option<DropDetail>,
}

pub fn main(args: Args) -> u8 {
    let mut net = match crate::topology::load_with_flows(&args.topology, args.flows.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            crate::output::console::eprint(format_args!("{e}"));
            return EXIT_INVALID;
        }
    };
    match run(&mut net, &args) {
        Ok((report, ok)) => {
            let code = if ok { EXIT_OK } else { EXIT_FAILED };
            let written = crate::output::console::printf(format_args!("{report}\n"));
            crate::output::console::finish(code, written)
        }
        Err(msg) => {
            crate::errln!("peeremu trace: {msg}");
            EXIT_INVALID
        }
    }
}

/// Resolve an endpoint; an unknown IP becomes an ad-hoc external host (on
/// premises when a VPN gateway's CIDRs hold it, else on the internet).
fn resolve(net: &mut Network, s: &str) -> Result<(End, Option<IpAddr>), String> {
    if let Some(e) = net.endpoint_by_name(s) {
        return Ok((
            match e {
                Endpoint::Eni(e) => End::Eni(e),
                Endpoint::External(h) => End::Host(h),
            },
            None,
        ));
    }
    let ip: IpAddr = s
        .parse()
        .map_err(|_| format!("'{s}' is not an instance, ENI, external host or IP address"))?;
    let owners: Vec<usize> = (0..net.enis.len())
        .filter(|&i| {
            let e = &net.enis[i];
            IpAddr::V4(e.private_ip) == ip
                || e.ipv6.map(IpAddr::V6) == Some(ip)
                || e.public_ip.map(IpAddr::V4) == Some(ip)
        })
        .collect();
    match owners.as_slice() {
        [one] => return Ok((End::Eni(crate::model::EniIdx(*one as u32)), Some(ip))),
        [] => {}
        _ => {
            return Err(format!(
                "{ip} belongs to several ENIs (overlapping VPCs): name the instance instead"
            ))
        }
    }
    if let Some(h) = net.external_hosts.iter().position(|h| h.ip == ip) {
        return Ok((End::Host(HostIdx(h as u32)), Some(ip)));
    }
    let vgw = net
        .vpn_gateways
        .iter()
        .position(|g| g.onprem_cidrs.iter().any(|c| c.contains(&ip)));
    net.external_hosts.push(ExternalHost {
        name: ip.to_string(),
        ip,
        site: vgw.map_or(ExternalSite::Internet, |g| {
            ExternalSite::OnPrem(VgwIdx(g as u32))
        }),
        mtu: 1500,
    });
    Ok((
        End::Host(HostIdx(net.external_hosts.len() as u32 - 1)),
        Some(ip),
    ))
}

fn address(
    net: &Network,
    end: End,
    given: Option<IpAddr>,
    ipv6: bool,
    from_internet: bool,
) -> Result<IpAddr, String> {
    if let Some(ip) = given {
        return Ok(ip);
    }
    match end {
        End::Host(h) => Ok(net.external_hosts[h.ix()].ip),
        End::Eni(e) => {
            let eni = &net.enis[e.ix()];
            if ipv6 {
                return eni
                    .ipv6
                    .map(IpAddr::V6)
                    .ok_or_else(|| format!("{} has no IPv6 address", eni.id));
            }
            Ok(match (from_internet, eni.public_ip) {
                (true, Some(p)) => IpAddr::V4(p),
                _ => IpAddr::V4(eni.private_ip),
            })
        }
    }
}

fn ingress_of(end: End) -> Ingress {
    match end {
        End::Eni(e) => Ingress::Eni(e),
        End::Host(h) => Ingress::External(h),
    }
}

fn mac_of(net: &Network, end: End) -> [u8; 6] {
    match end {
        End::Eni(e) => net.enis[e.ix()].mac,
        End::Host(_) => EXTERNAL_MAC,
    }
}

/// Transport payload bytes for an IP packet of `size` bytes; an error when `size`
/// cannot hold the headers (rather than silently raising it).
fn payload_len(proto: Proto, v6: bool, size: Option<u16>) -> Result<usize, String> {
    let ip = if v6 { 40 } else { 20 };
    let transport = match proto {
        Proto::Tcp => 20,
        Proto::Udp | Proto::Icmp => 8,
    };
    match size {
        Some(s) if usize::from(s) < ip + transport => Err(format!(
            "--size {s} is too small: an {} {} packet is at least {} bytes (IP header {ip} + {} header {transport}); --size counts the whole IP packet, headers included",
            if v6 { "IPv6" } else { "IPv4" },
            proto_name(proto),
            ip + transport,
            proto_name(proto),
        )),
        Some(s) => Ok(usize::from(s) - ip - transport),
        None if proto == Proto::Icmp => Ok(56),
        None => Ok(0),
    }
}

fn send(dp: &mut Dataplane, now: u64, from: Ingress, frame: Vec<u8>) -> Result<Leg, String> {
    let key = parse_frame(&frame).map_err(|m| m.to_string())?;
    let mut hops = Vec::new();
    let mut out = Vec::new();
    dp.process_traced(now, from, frame, &mut out, &mut hops);
    let mut leg = Leg {
        key,
        hops,
        delivered: None,
        drop: None,
    };
    for a in out {
        match a {
            Action::Deliver {
                to,
                frame,
                latency_ns,
                ..
            } if leg.delivered.is_none() => leg.delivered = Some((to, frame, latency_ns)),
            Action::Drop { detail, .. } if leg.drop.is_none() => leg.drop = Some(detail),
            _ => {}
        }
    }
    Ok(leg)
}

fn run(net: &mut Network, args: &Args) -> Result<(String, bool), String> {
    let (src, src_ip) = resolve(net, &args.from)?;
    let (dst, dst_ip) = resolve(net, &args.to)?;
    if matches!((src, dst), (End::Host(_), End::Host(_))) {
        return Err("one end must be inside a VPC (both are external hosts)".into());
    }
    if src == dst {
        return Err("--from and --to are the same endpoint".into());
    }
    let from_internet =
        matches!(src, End::Host(h) if net.external_hosts[h.ix()].site == ExternalSite::Internet);
    let s = address(net, src, src_ip, args.ipv6, false)?;
    let d = address(net, dst, dst_ip, args.ipv6, from_internet)?;
    if s.is_ipv4() != d.is_ipv4() {
        return Err(format!("{s} and {d} are not the same address family"));
    }
    let payload = payload_len(args.proto, d.is_ipv6(), args.size)?;
    let df = args.df || args.proto == Proto::Tcp;
    // `id`: the echo identifier (a NAT gateway translates it like a port).
    let transport = |reply: bool, sport: u16, dport: u16, id: u16| match args.proto {
        Proto::Tcp => Transport::Tcp {
            src_port: sport,
            dst_port: dport,
            flags: if reply { 0x12 } else { 0x02 },
            seq: 1,
            ack: u32::from(reply) * 2,
        },
        Proto::Udp => Transport::Udp {
            src_port: sport,
            dst_port: dport,
        },
        Proto::Icmp => Transport::Echo { id, seq: 1, reply },
    };
    let spec = PacketSpec {
        src_mac: mac_of(net, src),
        dst_mac: ROUTER_MAC,
        src: s,
        dst: d,
        transport: transport(false, TRACE_SOURCE_PORT, args.port, 1),
        payload_len: payload,
        dont_fragment: df,
        identification: 1,
        ttl: 64,
    };
    let frame = build_packet(&spec).map_err(|m| m.to_string())?;
    let mut dp = Dataplane::new(net);
    let request = send(&mut dp, 0, ingress_of(src), frame)?;
    let reached = match &request.delivered {
        Some((to, _, _)) => *to == egress_of(dst),
        None => false,
    };
    let reply = match (&request.delivered, reached) {
        (Some((_, got, latency)), true) => {
            let k = parse_frame(got).map_err(|m| m.to_string())?;
            let spec = PacketSpec {
                src_mac: mac_of(net, dst),
                src: k.dst,
                dst: k.src,
                transport: transport(true, k.dst_port, k.src_port, k.icmp_id),
                identification: 2,
                ..spec
            };
            let frame = build_packet(&spec).map_err(|m| m.to_string())?;
            Some(send(&mut dp, *latency, ingress_of(dst), frame)?)
        }
        _ => None,
    };
    let back = reply
        .as_ref()
        .and_then(|r| r.delivered.as_ref())
        .is_some_and(|(to, _, _)| *to == egress_of(src));
    let ok = reached && back;
    let title = format!(
        "{} -> {}: {} {} -> {}, {} bytes{}",
        args.from,
        args.to,
        proto_name(args.proto),
        endpoint(s, args.proto, TRACE_SOURCE_PORT),
        endpoint(d, args.proto, args.port),
        request.key.ip_len,
        if df && d.is_ipv4() { ", DF" } else { "" }
    );
    let net = dp.network();
    let verdict = verdict(&request, reply.as_ref(), reached, back);
    if args.json {
        let v = json!({
            "from": args.from, "to": args.to, "protocol": proto_name(args.proto),
            "src": s.to_string(), "dst": d.to_string(),
            "port": if args.proto == Proto::Icmp { Value::Null } else { json!(args.port) },
            "size": request.key.ip_len, "df": df && d.is_ipv4(),
            "request": leg_json(net, &request),
            "reply": reply.as_ref().map(|r| leg_json(net, r)),
            "delivered": ok,
            "verdict": verdict.0,
            "reason": verdict.1,
        });
        return Ok((
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?,
            ok,
        ));
    }
    let mut text = format!("Trace {title}\n\nRequest:\n");
    leg_text(net, &request, &mut text);
    if let Some(r) = &reply {
        text.push_str("\nReply:\n");
        leg_text(net, r, &mut text);
    }
    text.push_str(&format!("\nResult: {}", verdict.2));
    Ok((text, ok))
}

fn egress_of(end: End) -> Egress {
    match end {
        End::Eni(e) => Egress::Eni(e),
        End::Host(h) => Egress::External(h),
    }
}

/// (`delivered`|`dropped`|`misdelivered`, reason code, sentence).
fn verdict(
    req: &Leg,
    reply: Option<&Leg>,
    reached: bool,
    back: bool,
) -> (&'static str, Option<&'static str>, String) {
    if !reached {
        return match req.drop {
            Some(d) => (
                "dropped",
                Some(d.reason().code()),
                format!("request dropped ({})", d.reason()),
            ),
            None => (
                "misdelivered",
                None,
                "request delivered somewhere else".into(),
            ),
        };
    }
    if back {
        return ("delivered", None, "delivered both ways".into());
    }
    match reply.and_then(|r| r.drop) {
        Some(d) => (
            "dropped",
            Some(d.reason().code()),
            format!("request delivered, reply dropped ({})", d.reason()),
        ),
        None => (
            "misdelivered",
            None,
            "request delivered, reply delivered somewhere else".into(),
        ),
    }
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
        Proto::Icmp => "icmp",
    }
}

fn endpoint(ip: IpAddr, proto: Proto, port: u16) -> String {
    match (proto, ip) {
        (Proto::Icmp, _) => ip.to_string(),
        (_, IpAddr::V4(_)) => format!("{ip}:{port}"),
        (_, IpAddr::V6(_)) => format!("[{ip}]:{port}"),
    }
}

fn leg_text(net: &Network, leg: &Leg, text: &mut String) {
    let v6 = leg.key.dst.is_ipv6();
    // The packet a drop is about: the traced one, until the router answers it
    // with an ICMP error; drops after that are the error's (a PMTUD black hole).
    let mut packet = leg.key;
    for (i, hop) in leg.hops.iter().enumerate() {
        text.push_str(&format!("  {:>2}. {}\n", i + 1, hop_text(net, hop, v6)));
        match hop {
            Hop::IcmpError { packet: p, .. } => packet = *p,
            Hop::Drop { detail } => {
                text.push_str(&format!("      fix: {}\n", detail.hint(net, &packet)));
            }
            _ => {}
        }
    }
}

fn leg_json(net: &Network, leg: &Leg) -> Value {
    let v6 = leg.key.dst.is_ipv6();
    let hops: Vec<Value> = leg.hops.iter().map(|h| hop_json(net, h, v6)).collect();
    json!({
        "hops": hops,
        "delivered_to": leg.delivered.as_ref().map(|(to, _, _)| egress_label(net, *to, v6)),
        "latency_ns": leg.delivered.as_ref().map(|(_, _, l)| *l),
        "drop": leg.drop.map(|d| json!({
            "reason": d.reason().code(),
            "detail": d.display(net).to_string(),
            "hint": d.hint(net, &leg.key),
        })),
    })
}
