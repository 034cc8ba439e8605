//! One-line fix hints for drops (`peeremu trace`), naming the exact objects:
//! the group, ACL, route table, peering or gateway to change.

use super::detail::*;
use super::DropDetail;
use crate::model::*;
use crate::policy::nacl::rule_label;
use crate::wire::FlowKey;
use std::net::IpAddr;

impl DropDetail {
    /// A one-line suggestion for fixing the drop of `key`.
    pub fn hint(&self, net: &Network, key: &FlowKey) -> String {
        use DropDetail::*;
        let what = traffic(key);
        match *self {
            Malformed(_) | UnknownIngress => "the frame itself is invalid: check the sender".into(),
            SourceDestCheck { eni, dir: Direction::Outbound } => format!(
                "disable source/destination check on {} (it forwards traffic not addressed to it)",
                eni_id(net, eni)
            ),
            // A route targets the ENI: with the check off the packet reaches the
            // instance, which must forward it (`forward`, else NOT_FORWARDED).
            SourceDestCheck { eni, dir: Direction::Inbound } => format!(
                "a route sends {} to {}, which checks source/destination: route it to where it lives (local, a peering or a gateway), or set `source_dest_check = false` on a forwarding instance (`forward = \"router\"` or \"nat\")",
                key.dst,
                eni_id(net, eni)
            ),
            SgNoMatch { eni, dir } => {
                let groups: Vec<&str> = net
                    .enis
                    .get(eni.ix())
                    .map(|e| e.security_groups.iter().map(|g| sg_id(net, *g)).collect())
                    .unwrap_or_default();
                let first = groups.first().copied().unwrap_or("a security group");
                match dir {
                    // AWS: path MTU discovery needs an inbound rule for the
                    // router's ICMP 3/4 (ICMPv6 2); from anywhere, as AWS's
                    // example rule has it (the router's address is internal).
                    Direction::Inbound if super::checks::needs_pmtud_rule(dir, key) => format!(
                        "add an ingress rule to {first} allowing {what} from {}{}",
                        if key.src.is_ipv4() { "0.0.0.0/0" } else { "::/0" },
                        pmtud_note(key)
                    ),
                    Direction::Inbound => format!(
                        "add an ingress rule to {first} allowing {what} from {}/{}",
                        key.src,
                        host_len(key.src)
                    ),
                    Direction::Outbound => format!(
                        "add an egress rule to {first} allowing {what} to {}/{}",
                        key.dst,
                        host_len(key.dst)
                    ),
                }
            }
            ConntrackFull { eni } => format!(
                "{} tracks too many flows: make the rules untracked (0.0.0.0/0 both ways) or raise conntrack_entries_per_eni",
                eni_id(net, eni)
            ),
            NatPortsExhausted { nat } => format!(
                "{} has no free source port (all {} are held by mappings idle less than 350 s): spread traffic over more NAT gateways or reuse connections",
                nat_id(net, nat),
                super::nat::PUBLIC_PORTS
            ),
            NaclDeny { nacl, dir, rule } => {
                let peer = match dir {
                    Direction::Inbound => key.src,
                    Direction::Outbound => key.dst,
                };
                // A reply: from a service port to a higher, ephemeral one.
                let ephemeral = matches!(key.protocol, proto::TCP | proto::UDP) && key.dst_port >= 1024 && key.src_port < key.dst_port;
                format!(
                    "{} {} rule {} denies {what} {} {peer}{}: add an allow rule{} numbered below it",
                    nacl_id(net, nacl),
                    dir.as_str(),
                    rule_label(rule),
                    if dir == Direction::Inbound { "from" } else { "to" },
                    pmtud_note(key),
                    if ephemeral { " for the return ports (ephemeral 1024-65535)" } else { "" }
                )
            }
            NoRoute { rtb, dst } => no_route_hint(net, rtb, dst),
            TargetNotAttached { rtb, .. } => format!(
                "the route's target in {} is not attached to its VPC: attach it or fix the route",
                rtb_id(net, rtb)
            ),
            NoPublicIp { eni, .. } => format!(
                "assign a public or Elastic IP to {} (or route 0.0.0.0/0 through a NAT gateway)",
                eni_id(net, eni)
            ),
            Blackhole { rtb, route } => match super::detail::blackhole_peering(net, rtb, route) {
                Some(p) => format!(
                    "{} is {}, so the route to it in {} is a blackhole (AWS never turns it active again): create a new peering and point the route at it, or remove the route",
                    crate::escape::escape(&p.id),
                    p.status.as_str(),
                    rtb_id(net, rtb)
                ),
                None => format!(
                    "the route's target in {} was deleted: point the route at a live target",
                    rtb_id(net, rtb)
                ),
            },
            PeeringNotActive { pcx, status } => match status {
                PeeringStatus::PendingAcceptance => format!(
                    "accept {} (status {})",
                    pcx_id(net, pcx),
                    status.as_str()
                ),
                PeeringStatus::InitiatingRequest => format!(
                    "{} is {} (still being requested): wait until it is pending acceptance, then accept it",
                    pcx_id(net, pcx),
                    status.as_str()
                ),
                _ => format!(
                    "{} is {}, which AWS never turns active again: create a new peering connection and point the routes at it",
                    pcx_id(net, pcx),
                    status.as_str()
                ),
            },
            NonTransitive { pcx, onward } => {
                let vpc_of = |ip: IpAddr| {
                    net.vpcs
                        .iter()
                        .find(|v| v.contains(ip))
                        .map(|v| v.id.clone())
                };
                let peers = match (vpc_of(key.src), vpc_of(key.dst)) {
                    (Some(a), Some(b)) => format!("{a} with {b}"),
                    _ => format!("with the VPC holding {}", key.dst),
                };
                format!(
                    "{} is not transitive{}: peer {peers} directly (or use a transit gateway)",
                    pcx_id(net, pcx),
                    onward.map(|o| format!(" (onward over {})", pcx_id(net, o))).unwrap_or_default(),
                )
            }
            EdgeToEdge { from, to } => {
                let from = match from {
                    Edge::Peering(p) => pcx_id(net, p),
                    Edge::Vpn(g) => vgw_id(net, g),
                };
                let src_vpc = net
                    .vpcs
                    .iter()
                    .find(|v| v.contains(key.src))
                    .map_or("the source VPC", |v| v.id.as_str());
                let to = target_id(net, to);
                match net.vpcs.iter().find(|v| v.contains(key.dst)) {
                    // A private address of another VPC: no gateway leads there.
                    Some(v) => format!(
                        "edge-to-edge routing is not supported ({from} -> {to}), and {} is in {}: peer {src_vpc} with {} directly (or use a transit gateway)",
                        key.dst, v.id, v.id
                    ),
                    None => format!(
                        "edge-to-edge routing is not supported ({from} -> {to}): give {src_vpc} its own gateway for {}",
                        key.dst
                    ),
                }
            }
            MtuExceeded { link_mtu, .. } if key.dst.is_ipv6() => format!(
                "send packets of at most {link_mtu} bytes (lower the MTU/MSS; routers never fragment IPv6); allow ICMPv6 type 2 (packet too big) back for path MTU discovery"
            ),
            MtuExceeded { link_mtu, .. } => format!(
                "send packets of at most {link_mtu} bytes (lower the MTU/MSS) or clear DF; allow ICMP type 3 code 4 back for path MTU discovery"
            ),
            UnknownDestination { dst } => format!("nothing owns {dst}: check the destination address"),
            PrivateFromInternet { dst } => {
                let public = super::detail::private_owner(net, dst)
                    .and_then(|e| net.enis.get(e.ix()))
                    .and_then(|e| e.public_ip);
                match public {
                    Some(p) => format!("address the instance by its public IP {p} (the internet gateway translates it to the private address)"),
                    None => "give the instance a public IP (or an Elastic IP) and address that, or reach it from inside the VPC, over a VPN or a peering".to_string(),
                }
            }
            NotForwarded { eni } => format!(
                "the instance does not forward: {} ({}) got a packet for {} because a route targets it; set `forward = \"router\"` (or \"nat\") on the instance to make it a middlebox, or route {} to where it lives (local, a peering or a gateway) instead of to {}",
                instance_id(net, eni),
                eni_id(net, eni),
                key.dst,
                key.dst,
                eni_id(net, eni)
            ),
            TtlExceeded { eni } => format!(
                "a routing loop through forwarding instances ({} is one): check the route tables of the subnets the appliances forward from, so that {} leaves towards its destination instead of coming back",
                instance_id(net, eni),
                key.dst
            ),
            NatFragment { nat } => format!(
                "{}: NAT gateway passes only UDP fragments: lower the MTU/MSS (or let path MTU discovery work, DF set) so TCP and ICMP are never fragmented",
                nat_id(net, nat)
            ),
            HostNoSocket { host } => format!(
                "nothing on {} listens on {} or is connected to {} (the host answers TCP with a RST and UDP with ICMP port unreachable, as Linux does): check the flow's port and addresses",
                endpoint_label(net, host),
                traffic(key),
                key.src
            ),
            HostReassemblyLimit { host } => format!(
                "{} holds at most {} datagrams in reassembly, each until it is complete or 60 s after its first fragment (a datagram that lost a fragment keeps its slot the full 60 s): send datagrams that fit the path MTU, or fewer at once",
                endpoint_label(net, host),
                crate::host::REASSEMBLY_SLOTS
            ),
            AsymmetricNatReply { nat, eni } => asymmetric_nat_hint(net, nat, eni, key),
            InstanceStopped { eni } => format!(
                "start {} (a stopped instance's interfaces neither send nor receive; a [[change]] stopped it)",
                super::detail::instance_id(net, eni)
            ),
            EgressOnlyInbound { eigw, dst } => format!(
                "{} lets the internet answer, never call in: open the connection from the instance ({dst}) instead, or, for a server the internet must reach, attach an internet gateway and route ::/0 to it",
                eigw_id(net, eigw)
            ),
            PrivatelinkMtu { .. } => format!(
                "send packets of at most {} bytes through PrivateLink: lower the MTU to 8500 or the MSS (TCP is clamped; UDP and ICMP are not), or clear DF and let the sender fragment; endpoints send no ICMP error, so path MTU discovery cannot find this",
                crate::model::PRIVATELINK_MTU
            ),
            PrivatelinkProviderInitiated { node } => format!(
                "PrivateLink carries connections opened by consumers only: {} cannot open one to a consumer through {}; have the consumer connect, or publish an endpoint service in the other direction",
                key.src,
                super::detail::privatelink_owner(net, node)
            ),
            NlbNoListener { .. } => format!(
                "add a {} listener on port {} to the service's load balancer (with targets), or send to a port it listens on; an interface endpoint answers nothing else (no ping)",
                traffic(key),
                key.dst_port
            ),
            NlbNoHealthyTarget { node, .. } => format!(
                "register a healthy target for the listener in {}'s AZ, or turn on cross-zone load balancing ({})",
                eni_id(net, node),
                super::detail::privatelink_owner(net, node)
            ),
            DxPrefixNotAllowed { att, dst } => format!(
                "add a prefix holding {dst} to `allowed_prefixes` of {} (the Direct Connect gateway's association with the transit gateway): AWS advertises to on premises exactly the allowed prefixes, nothing else",
                net.tgw_attachments.get(att.ix()).map_or("?", |a| a.id.as_str())
            ),
            TgwNoRoute { rtb: r, dst } => match withdrawn_propagation(net, r, dst) {
                Some(a) => format!(
                    "{} propagates {dst} into {} only while it is available: make it available again, or add a static route",
                    tgw_att_id(net, a),
                    tgw_rtb_id(net, r)
                ),
                None => format!(
                    "add a route for {dst} to {} (static to an attachment) or propagate the attachment that holds it into {}",
                    tgw_rtb_id(net, r),
                    tgw_rtb_id(net, r)
                ),
            },
            TgwNotAssociated { tgw, att } => format!(
                "associate {} with a route table of {} (or enable default_route_table_association)",
                tgw_att_id(net, att),
                tgw_id(net, tgw)
            ),
            TgwRoutingLoop { .. } => "the TGW route tables send the packet round in a loop over peering attachments: fix the static routes".into(),
            TgwBlackhole { rtb, .. } => format!(
                "{} has a blackhole route for {}: remove it or point it at an attachment (if the isolation is intended, this drop is correct)",
                tgw_rtb_id(net, rtb),
                key.dst
            ),
            TgwAttachmentNotAvailable { att, state } => format!(
                "{} is {}: only an available attachment carries traffic (accept or recreate it)",
                tgw_att_id(net, att),
                state.as_str()
            ),
            TgwNoAttachmentInAz { att, az } => format!(
                "add a subnet in {} to {} (a VPC attachment carries traffic only from the AZs it has a subnet in)",
                net.azs.get(az.ix()).map_or("the sender's AZ", |a| a.name.as_str()),
                tgw_att_id(net, att)
            ),
            TgwMtuExceeded { link_mtu, icmp, .. } => format!(
                "a transit gateway never fragments: send packets of at most {link_mtu} bytes (interface MTU or TCP MSS){}",
                if icmp {
                    "; let the ICMP \"fragmentation needed\" back in (path MTU discovery)"
                } else {
                    "; no ICMP comes back on this attachment, so path MTU discovery cannot help"
                }
            ),
        }
    }
}

/// Name the route that is missing: to the peer VPC holding `dst` (over their
/// peering), to on-premises (VGW), or to the internet (IGW).
fn no_route_hint(net: &Network, rtb: RtbIdx, dst: IpAddr) -> String {
    let table = rtb_id(net, rtb);
    let Some(src_vpc) = net.route_tables.get(rtb.ix()).map(|t| t.vpc) else {
        return format!("add a route for {dst} to {table}");
    };
    for (i, v) in net.vpcs.iter().enumerate() {
        let vpc = VpcIdx(i as u32);
        if vpc == src_vpc || !v.contains(dst) {
            continue;
        }
        let block = match dst {
            IpAddr::V4(a) => v
                .cidrs
                .iter()
                .find(|c| c.contains(&a))
                .map(|c| c.to_string()),
            IpAddr::V6(_) => v.ipv6.map(|c| c.to_string()),
        }
        .unwrap_or_else(|| dst.to_string());
        let pcx = net
            .peerings
            .iter()
            .find(|p| p.other_side(src_vpc) == Some(vpc));
        return match pcx {
            Some(p) => format!(
                "add a route for {block} to {table} (target {}); the peer needs one back",
                p.id
            ),
            None => format!(
                "peer {} with {} first, then add a route for {block} to {table}",
                net.vpcs[src_vpc.ix()].id,
                v.id
            ),
        };
    }
    if let Some(g) = net
        .vpn_gateways
        .iter()
        .find(|g| g.vpc == Some(src_vpc) && g.onprem_cidrs.iter().any(|c| c.contains(&dst)))
    {
        return format!(
            "add a route for {dst} to {table} (target {}) or enable route propagation",
            g.id
        );
    }
    if let Some(g) = net.vpcs.get(src_vpc.ix()).and_then(|v| v.internet_gateway) {
        return format!(
            "add a route for 0.0.0.0/0 to {table} (target {} or a NAT gateway)",
            igw_id(net, g)
        );
    }
    // RFC 1918, shared (100.64/10) and unique-local addresses are not the internet.
    let private = match dst {
        IpAddr::V4(a) => a.is_private() || (a.octets()[0] == 100 && a.octets()[1] & 0xc0 == 64),
        IpAddr::V6(a) => a.segments()[0] & 0xfe00 == 0xfc00,
    };
    if !private {
        let vpc = net
            .vpcs
            .get(src_vpc.ix())
            .map_or("the VPC", |v| v.id.as_str());
        return format!(
            "{dst} is on the internet: attach an internet gateway to {vpc} and add a route for 0.0.0.0/0 to {table}"
        );
    }
    format!("add a route for {dst} to {table} (peering, gateway or local)")
}

/// `tcp 5432`, `udp 53`, `icmp type 8`; an ICMP error with its code, as a NACL
/// rule would name it (`icmp type 3 code 4`, `icmpv6 type 2 code 0`).
/// Replies must leave the way their request came in: through the internet
/// gateway that owns the instance's public IP, not the NAT gateway its subnet's
/// route sends them to.
fn asymmetric_nat_hint(net: &Network, nat: NatIdx, eni: Option<EniIdx>, key: &FlowKey) -> String {
    let e = eni.and_then(|i| Some((i, net.enis.get(i.ix())?)));
    let rtb = e
        .and_then(|(_, e)| net.subnets.get(e.subnet.ix()))
        .map(|s| s.route_table);
    let igw = e.and_then(|(_, e)| {
        net.internet_gateways
            .iter()
            .find(|g| g.vpc == Some(e.vpc))
            .map(|g| g.id.as_str())
    });
    let who = e.map_or("the instance".to_string(), |(i, _)| {
        instance_id(net, i).to_string()
    });
    format!(
        "{who} answers {} through {} ({} routes it there), so its reply arrives from the gateway's address, not the public IP the request was sent to: route the instance's internet traffic to {} (a public subnet), or reach it without its public IP",
        key.dst,
        nat_id(net, nat),
        rtb.map_or("its route table".to_string(), |r| rtb_id(net, r).to_string()),
        igw.unwrap_or("the internet gateway")
    )
}

fn traffic(key: &FlowKey) -> String {
    let error = key.icmp_kind() == Some(crate::wire::IcmpKind::Error);
    match key.protocol {
        proto::TCP => format!("tcp {}", key.dst_port),
        proto::UDP => format!("udp {}", key.dst_port),
        proto::ICMP | proto::ICMPV6 => {
            let name = if key.protocol == proto::ICMP {
                "icmp"
            } else {
                "icmpv6"
            };
            if error {
                format!("{name} type {} code {}", key.icmp_type, key.icmp_code)
            } else {
                format!("{name} type {}", key.icmp_type)
            }
        }
        p => format!("protocol {p}"),
    }
}

/// ` (path MTU discovery's "fragmentation needed")` when `key` is the router's
/// ICMP error about a packet too big for a link, else empty.
fn pmtud_note(key: &FlowKey) -> &'static str {
    match (key.protocol, key.icmp_type, key.icmp_code) {
        (proto::ICMP, 3, 4) => " (the router's \"fragmentation needed\" for path MTU discovery)",
        (proto::ICMPV6, 2, _) => " (the router's \"packet too big\" for path MTU discovery)",
        _ => "",
    }
}

fn host_len(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}
