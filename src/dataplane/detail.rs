//! The exact object behind every drop, by index (no allocation per drop), with a
//! human-readable rendering (the fix hints for `trace` are in `hint.rs`).

use super::trace::Gateway;
use crate::model::*;
use crate::policy::nacl::rule_label;
use std::fmt;
use std::net::IpAddr;

/// Where a packet came in from before an illegal onward hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Peering(PcxIdx),
    Vpn(VgwIdx),
}

/// What set the MTU a packet exceeded, named in its `MTU_EXCEEDED` detail: an
/// index, like the rest of [`DropDetail`] (carried in every leg, so no lookup or
/// allocation on the forwarding path; the id is looked up when shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtuLink {
    /// Within a VPC (jumbo frames, 9001 bytes).
    Vpc(VpcIdx),
    Peering(PcxIdx),
    /// An internet, NAT, VPN or egress-only gateway, an endpoint or a Direct
    /// Connect virtual interface.
    Gateway(Gateway),
    /// A transit gateway (8500 bytes towards VPCs).
    TransitGateway,
    /// The receiving ENI's interface MTU is the smaller.
    Eni(EniIdx),
    /// The external host's interface MTU is the smaller.
    Host(HostIdx),
}

/// Why and where a frame was dropped. [`DropDetail::reason`] is its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropDetail {
    Malformed(&'static str),
    /// `Outbound`: the ENI sent a packet whose source is not its address;
    /// `Inbound`: a route brought it a packet not addressed to it.
    SourceDestCheck {
        eni: EniIdx,
        dir: Direction,
    },
    SgNoMatch {
        eni: EniIdx,
        dir: Direction,
    },
    ConntrackFull {
        eni: EniIdx,
    },
    NaclDeny {
        nacl: NaclIdx,
        dir: Direction,
        rule: Option<u16>,
    },
    NoRoute {
        rtb: RtbIdx,
        dst: IpAddr,
    },
    /// The route's target is not usable from here (detached gateway).
    TargetNotAttached {
        rtb: RtbIdx,
        route: u16,
    },
    /// Through an internet gateway without a public IP (IPv4).
    NoPublicIp {
        eni: EniIdx,
        igw: IgwIdx,
    },
    Blackhole {
        rtb: RtbIdx,
        route: u16,
    },
    PeeringNotActive {
        pcx: PcxIdx,
        status: PeeringStatus,
    },
    /// Arrived over `pcx` for an address outside the receiving VPC.
    NonTransitive {
        pcx: PcxIdx,
        onward: Option<PcxIdx>,
    },
    /// Arrived over `from` and would leave through `to`.
    EdgeToEdge {
        from: Edge,
        to: RouteTarget,
    },
    /// Larger than the MTU of `link` (what set the MTU: the link crossed, or the
    /// receiving interface or host when theirs is smaller).
    MtuExceeded {
        link_mtu: u16,
        packet: u16,
        link: MtuLink,
    },
    UnknownDestination {
        dst: IpAddr,
    },
    /// A packet from the internet to a private address (RFC 1918, RFC 6598,
    /// IPv6 ULA, or inside a VPC's IPv4 CIDR): the internet does not route it to
    /// the VPC. (The ENI whose private address it is, if one, is looked up when
    /// shown: the detail stays as small as the others.)
    PrivateFromInternet {
        dst: IpAddr,
    },
    /// NAT gateways pass fragments of UDP only.
    NatFragment {
        nat: NatIdx,
    },
    /// An instance got a packet for someone else (a route targets its ENI, whose
    /// source/destination check is off) and does not forward: see
    /// `Dataplane::at_instance`, where forwarding instances will plug in.
    NotForwarded {
        eni: EniIdx,
    },
    /// A forwarding instance got a packet with TTL (hop limit) 1 or 0 on `eni`:
    /// not forwarded, ICMP time exceeded sent back (Linux `ip_forward`).
    TtlExceeded {
        eni: EniIdx,
    },
    /// No free source port on the NAT gateway.
    NatPortsExhausted {
        nat: NatIdx,
    },
    /// The ingress named an ENI or host that does not exist.
    UnknownIngress,
    /// No route for `dst` in TGW route table `rtb` (the one associated with the
    /// attachment the frame came in on). Kept as small as `NoRoute`, so that
    /// `DropDetail` (and every `Action`) does not grow for the VPC hot path.
    TgwNoRoute {
        rtb: TgwRtbIdx,
        dst: IpAddr,
    },
    /// Attachment `att` is associated with no route table of `tgw`.
    TgwNotAssociated {
        tgw: TgwIdx,
        att: TgwAttIdx,
    },
    /// A path through more transit gateways than any sane design (a loop of
    /// static routes over TGW peerings).
    TgwRoutingLoop {
        tgw: TgwIdx,
    },
    TgwBlackhole {
        rtb: TgwRtbIdx,
        route: u32,
    },
    TgwAttachmentNotAvailable {
        att: TgwAttIdx,
        state: TgwAttachmentState,
    },
    /// The VPC attachment has no subnet in the sender's AZ `az`.
    TgwNoAttachmentInAz {
        att: TgwAttIdx,
        az: AzIdx,
    },
    /// Larger than the TGW's MTU towards attachment `att` (the TGW never
    /// fragments); `icmp`: an ICMP error went back to the sender.
    TgwMtuExceeded {
        tgw: TgwIdx,
        att: TgwAttIdx,
        link_mtu: u16,
        packet: u16,
        icmp: bool,
    },
    /// The receiving host's stack had no socket for the packet: nothing listens
    /// on its port or is connected to its source (see `host::discard`).
    HostNoSocket {
        host: Endpoint,
    },
    /// The receiving host already reassembled as many datagrams as its stack holds.
    HostReassemblyLimit {
        host: Endpoint,
    },
    /// `nat` rewrote the source of a reply from `eni` (whose subnet routes the
    /// requester's address to `nat`), though the request reached `eni` through
    /// its public IP: the requester has no socket for the gateway's address.
    AsymmetricNatReply {
        nat: NatIdx,
        eni: Option<EniIdx>,
    },
    /// `eni`'s instance is stopped (a `[[change]]`): the frame was to or from it.
    InstanceStopped {
        eni: EniIdx,
    },
    /// From the internet to `dst` through egress-only gateway `eigw`, belonging
    /// to no flow the gateway carried out: the internet may not initiate.
    EgressOnlyInbound {
        eigw: EigwIdx,
        dst: IpAddr,
    },
    /// A packet of `packet` bytes, larger than PrivateLink's 8500, at interface
    /// endpoint ENI or NLB node `eni` (no ICMP error: AWS sends none).
    PrivatelinkMtu {
        eni: EniIdx,
        packet: u16,
    },
    /// A packet reached NLB node `node` from the provider's side that answers no
    /// consumer connection.
    PrivatelinkProviderInitiated {
        node: EniIdx,
    },
    /// Interface endpoint ENI `eni` got a packet for `port` (0: no port, e.g.
    /// ICMP or a non-first fragment) that no listener of the service's NLB takes.
    NlbNoListener {
        eni: EniIdx,
        port: u16,
    },
    /// NLB node `node` has no healthy target for the listener on `port`.
    NlbNoHealthyTarget {
        node: EniIdx,
        port: u16,
    },
    /// From on premises over a transit VIF to `dst`, in no allowed prefix of
    /// Direct Connect gateway attachment `att` (the DX gateway's association).
    DxPrefixNotAllowed {
        att: TgwAttIdx,
        dst: IpAddr,
    },
}

impl DropDetail {
    /// The stable reason code.
    pub fn reason(&self) -> DropReason {
        use DropDetail::*;
        match self {
            Malformed(_) | UnknownIngress => DropReason::Malformed,
            NatFragment { .. } => DropReason::NatFragment,
            NotForwarded { .. } => DropReason::NotForwarded,
            TtlExceeded { .. } => DropReason::TtlExceeded,
            SourceDestCheck { .. } => DropReason::SourceDestCheck,
            SgNoMatch { .. } => DropReason::SgNoMatch,
            ConntrackFull { .. } | NatPortsExhausted { .. } => DropReason::ConntrackFull,
            NaclDeny { .. } => DropReason::NaclDeny,
            NoRoute { .. } | TargetNotAttached { .. } | NoPublicIp { .. } => DropReason::NoRoute,
            Blackhole { .. } => DropReason::BlackholeRoute,
            PeeringNotActive { .. } => DropReason::PeeringNotActive,
            NonTransitive { .. } => DropReason::NonTransitivePeering,
            EdgeToEdge { .. } => DropReason::EdgeToEdge,
            MtuExceeded { .. } => DropReason::MtuExceeded,
            UnknownDestination { .. } | PrivateFromInternet { .. } => {
                DropReason::UnknownDestination
            }
            TgwNoRoute { .. } | TgwNotAssociated { .. } | TgwRoutingLoop { .. } => {
                DropReason::TgwNoRoute
            }
            TgwBlackhole { .. } => DropReason::TgwBlackhole,
            TgwAttachmentNotAvailable { .. } => DropReason::TgwAttachmentNotAvailable,
            TgwNoAttachmentInAz { .. } => DropReason::TgwNoAttachmentInAz,
            TgwMtuExceeded { .. } => DropReason::MtuExceeded,
            HostNoSocket { .. } => DropReason::HostNoSocket,
            HostReassemblyLimit { .. } => DropReason::HostReassemblyLimit,
            AsymmetricNatReply { .. } => DropReason::AsymmetricNatReply,
            InstanceStopped { .. } => DropReason::InstanceStopped,
            EgressOnlyInbound { .. } => DropReason::EgressOnlyInbound,
            PrivatelinkMtu { .. } => DropReason::PrivatelinkMtu,
            PrivatelinkProviderInitiated { .. } => DropReason::PrivatelinkProviderInitiated,
            NlbNoListener { .. } => DropReason::NlbNoListener,
            NlbNoHealthyTarget { .. } => DropReason::NlbNoHealthyTarget,
            DxPrefixNotAllowed { .. } => DropReason::DxPrefixNotAllowed,
        }
    }

    /// Render with object ids (`acl-1 rule * inbound`).
    pub fn display<'a>(&'a self, net: &'a Network) -> DetailDisplay<'a> {
        DetailDisplay { detail: self, net }
    }
}

macro_rules! id_fn {
    ($name:ident, $idx:ty, $field:ident) => {
        pub fn $name(net: &Network, i: $idx) -> &str {
            net.$field.get(i.ix()).map(|o| o.id.as_str()).unwrap_or("?")
        }
    };
}
id_fn!(eni_id, EniIdx, enis);
id_fn!(sg_id, SgIdx, security_groups);
id_fn!(nacl_id, NaclIdx, nacls);
id_fn!(rtb_id, RtbIdx, route_tables);
id_fn!(pcx_id, PcxIdx, peerings);
id_fn!(nat_id, NatIdx, nat_gateways);
id_fn!(igw_id, IgwIdx, internet_gateways);
id_fn!(vgw_id, VgwIdx, vpn_gateways);
id_fn!(vpce_id, VpceIdx, gateway_endpoints);
id_fn!(tgw_id, TgwIdx, transit_gateways);
id_fn!(tgw_att_id, TgwAttIdx, tgw_attachments);
id_fn!(tgw_rtb_id, TgwRtbIdx, tgw_route_tables);
id_fn!(eigw_id, EigwIdx, egress_only_internet_gateways);

/// The target id of route number `route` in TGW route table `rtb`, and whether
/// the route was propagated.
pub fn tgw_route_target(net: &Network, rtb: TgwRtbIdx, route: u32) -> (String, bool) {
    net.tgw_route_tables
        .get(rtb.ix())
        .and_then(|t| t.routes.get(route as usize))
        .map(|r| {
            let t = match r.target {
                TgwRouteTarget::Attachment(a) => tgw_att_id(net, a).to_string(),
                TgwRouteTarget::Blackhole => "blackhole".to_string(),
            };
            (t, r.propagated)
        })
        .unwrap_or_default()
}

/// The id of the instance an ENI belongs to (`?` if unknown).
pub fn instance_id(net: &Network, eni: EniIdx) -> &str {
    net.enis
        .get(eni.ix())
        .and_then(|e| net.instances.get(e.instance.ix()))
        .map_or("?", |i| i.id.as_str())
}

/// An endpoint as people know it: `eni-… (i-…)` or the external host's name.
pub fn endpoint_label(net: &Network, end: Endpoint) -> String {
    match end {
        Endpoint::Eni(e) => format!("{} ({})", eni_id(net, e), instance_id(net, e)),
        Endpoint::External(h) => net
            .external_hosts
            .get(h.ix())
            .map_or("?".to_string(), |x| x.name.clone()),
    }
}

/// The id of a route target (`pcx-…`, `local`, `blackhole`).
pub fn target_id(net: &Network, t: RouteTarget) -> String {
    match t {
        RouteTarget::Local => "local".into(),
        RouteTarget::Peering(p) => pcx_id(net, p).into(),
        RouteTarget::InternetGateway(g) => igw_id(net, g).into(),
        RouteTarget::NatGateway(n) => nat_id(net, n).into(),
        RouteTarget::VpnGateway(g) => vgw_id(net, g).into(),
        RouteTarget::GatewayEndpoint(e) => vpce_id(net, e).into(),
        RouteTarget::Eni(e) => eni_id(net, e).into(),
        RouteTarget::Blackhole => "blackhole".into(),
        RouteTarget::TransitGateway(t) => tgw_id(net, t).into(),
        RouteTarget::EgressOnlyInternetGateway(g) => eigw_id(net, g).into(),
    }
}

/// The target id of route number `route` in `rtb` (empty if there is no such route).
pub fn route_target_id(net: &Network, rtb: RtbIdx, route: u16) -> String {
    net.route_tables
        .get(rtb.ix())
        .and_then(|t| t.routes.get(usize::from(route)))
        .map(|r| target_id(net, r.target))
        .unwrap_or_default()
}

/// The peering a route points at when that peering will never be active
/// again (deleted, rejected, expired, failed): AWS shows the route as
/// `blackhole`.
pub fn blackhole_peering(net: &Network, rtb: RtbIdx, route: u16) -> Option<&Peering> {
    let r = net
        .route_tables
        .get(rtb.ix())?
        .routes
        .get(usize::from(route))?;
    match r.target {
        RouteTarget::Peering(p) => net.peerings.get(p.ix()).filter(|p| p.status.terminal()),
        _ => None,
    }
}

/// The attachment whose propagated route in `rtb` would cover `dst` but is
/// withdrawn because the attachment is not `available` (drop path only).
pub fn withdrawn_propagation(net: &Network, rtb: TgwRtbIdx, dst: IpAddr) -> Option<TgwAttIdx> {
    let t = net.tgw_route_tables.get(rtb.ix())?;
    t.routes
        .iter()
        .filter(|r| r.propagated && r.destination.contains(&dst))
        .max_by_key(|r| r.destination.prefix_len())
        .and_then(|r| match r.target {
            TgwRouteTarget::Attachment(a) => Some(a),
            TgwRouteTarget::Blackhole => None,
        })
        .filter(|a| {
            net.tgw_attachments
                .get(a.ix())
                .is_some_and(|x| x.state != TgwAttachmentState::Available)
        })
}

/// See [`DropDetail::display`].
pub struct DetailDisplay<'a> {
    detail: &'a DropDetail,
    net: &'a Network,
}

impl fmt::Display for DetailDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DropDetail::*;
        let net = self.net;
        match *self.detail {
            Malformed(why) => write!(f, "{why}"),
            UnknownIngress => write!(f, "unknown ingress interface"),
            SourceDestCheck { eni, .. } => {
                write!(f, "{} source/destination check", eni_id(net, eni))
            }
            SgNoMatch { eni, dir } => {
                write!(f, "{} {} groups", eni_id(net, eni), dir.as_str())?;
                if let Some(e) = net.enis.get(eni.ix()) {
                    for (i, g) in e.security_groups.iter().enumerate() {
                        write!(f, "{}{}", if i == 0 { " " } else { "," }, sg_id(net, *g))?;
                    }
                }
                Ok(())
            }
            ConntrackFull { eni } => write!(f, "{} connection tracking table", eni_id(net, eni)),
            NatPortsExhausted { nat } => write!(
                f,
                "{} source ports exhausted (NAT port allocation failed)",
                nat_id(net, nat)
            ),
            NaclDeny { nacl, dir, rule } => write!(
                f,
                "{} rule {} {}",
                nacl_id(net, nacl),
                rule_label(rule),
                dir.as_str()
            ),
            NoRoute { rtb, dst } => write!(f, "{} has no route for {dst}", rtb_id(net, rtb)),
            TargetNotAttached { rtb, route } => {
                let target = route_target_id(net, rtb, route);
                write!(f, "{} route {route} -> {target}", rtb_id(net, rtb))
            }
            Blackhole { rtb, route } => {
                let target = route_target_id(net, rtb, route);
                write!(f, "{} route {route} -> {target}", rtb_id(net, rtb))?;
                match blackhole_peering(net, rtb, route) {
                    Some(p) => write!(f, " (blackhole: the peering is {})", p.status.as_str()),
                    None => Ok(()),
                }
            }
            NoPublicIp { eni, igw } => write!(
                f,
                "{} has no public IP for {}",
                eni_id(net, eni),
                igw_id(net, igw)
            ),
            PeeringNotActive { pcx, status } => {
                write!(f, "{} is {}", pcx_id(net, pcx), status.as_str())
            }
            NonTransitive { pcx, onward } => {
                write!(f, "{}", pcx_id(net, pcx))?;
                if let Some(o) = onward {
                    write!(f, " then {}", pcx_id(net, o))?;
                }
                Ok(())
            }
            EdgeToEdge { from, to } => {
                let from = match from {
                    Edge::Peering(p) => pcx_id(net, p),
                    Edge::Vpn(g) => vgw_id(net, g),
                };
                write!(f, "{from} -> {}", target_id(net, to))
            }
            MtuExceeded {
                link_mtu,
                packet,
                link,
            } => {
                write!(f, "{packet} bytes > link MTU {link_mtu} ")?;
                mtu_link(f, net, link)
            }
            UnknownDestination { dst } => write!(f, "no interface owns {dst}"),
            PrivateFromInternet { dst } => {
                write!(
                    f,
                    "{dst} is a private address, not reachable from the internet"
                )?;
                match private_owner(net, dst) {
                    Some(e) => write!(f, " (the private address of {})", eni_id(net, e)),
                    None => Ok(()),
                }
            }
            NatFragment { nat } => write!(
                f,
                "{}: NAT gateway passes only UDP fragments",
                nat_id(net, nat)
            ),
            NotForwarded { eni } => write!(
                f,
                "{} ({}) does not forward packets addressed to others",
                eni_id(net, eni),
                instance_id(net, eni)
            ),
            TtlExceeded { eni } => write!(
                f,
                "{} ({}) forwards, and the packet arrived with TTL 1: not forwarded, ICMP time exceeded sent back",
                eni_id(net, eni),
                instance_id(net, eni)
            ),
            TgwNoRoute { rtb, dst } => {
                let tgw = net.tgw_route_tables.get(rtb.ix()).map(|t| t.tgw);
                write!(
                    f,
                    "{} route table {} has no route for {dst}",
                    tgw.map_or("?", |t| tgw_id(net, t)),
                    tgw_rtb_id(net, rtb)
                )?;
                match withdrawn_propagation(net, rtb, dst) {
                    Some(a) => write!(
                        f,
                        " (the route propagated by {} is withdrawn: the attachment is {})",
                        tgw_att_id(net, a),
                        net.tgw_attachments[a.ix()].state.as_str()
                    ),
                    None => Ok(()),
                }
            }
            TgwNotAssociated { tgw, att } => write!(
                f,
                "{} attachment {} is not associated with a route table",
                tgw_id(net, tgw),
                tgw_att_id(net, att)
            ),
            TgwRoutingLoop { tgw } => write!(
                f,
                "{}: more than 8 transit gateways on the path (routing loop)",
                tgw_id(net, tgw)
            ),
            TgwBlackhole { rtb, route } => {
                let (target, _) = tgw_route_target(net, rtb, route);
                let prefix = net
                    .tgw_route_tables
                    .get(rtb.ix())
                    .and_then(|t| t.routes.get(route as usize))
                    .map(|r| r.destination.to_string())
                    .unwrap_or_default();
                write!(f, "{} route {prefix} -> {target}", tgw_rtb_id(net, rtb))
            }
            TgwAttachmentNotAvailable { att, state } => {
                write!(f, "{} is {}", tgw_att_id(net, att), state.as_str())
            }
            TgwNoAttachmentInAz { att, az } => write!(
                f,
                "{} has no subnet in {}",
                tgw_att_id(net, att),
                net.azs.get(az.ix()).map_or("?", |a| a.name.as_str())
            ),
            TgwMtuExceeded {
                tgw,
                att,
                link_mtu,
                packet,
                icmp,
            } => write!(
                f,
                "{packet} bytes > {} MTU {link_mtu} towards {} ({})",
                tgw_id(net, tgw),
                tgw_att_id(net, att),
                if icmp {
                    "ICMP sent back"
                } else {
                    "dropped silently"
                }
            ),
            HostNoSocket { host } => write!(
                f,
                "{} has no socket for it (nothing listens on the port or is connected to the sender)",
                endpoint_label(net, host)
            ),
            HostReassemblyLimit { host } => write!(
                f,
                "{} is already reassembling {} datagrams",
                endpoint_label(net, host),
                crate::host::REASSEMBLY_SLOTS
            ),
            AsymmetricNatReply { nat, eni } => {
                let eip = net.nat_gateways.get(nat.ix()).map(|n| n.public_ip);
                write!(
                    f,
                    "{} rewrote the reply's source to its Elastic IP {}",
                    nat_id(net, nat),
                    eip.map_or("?".to_string(), |a| a.to_string())
                )?;
                if let Some((i, e)) = eni.and_then(|i| Some((i, net.enis.get(i.ix())?))) {
                    write!(
                        f,
                        "; the request reached {} through its public IP {}",
                        instance_id(net, i),
                        e.public_ip.map_or("?".to_string(), |a| a.to_string())
                    )?;
                }
                write!(f, ", so the requester has no socket for it")
            }
            InstanceStopped { eni } => write!(
                f,
                "{} ({}) is stopped",
                instance_id(net, eni),
                eni_id(net, eni)
            ),
            EgressOnlyInbound { eigw, dst } => write!(
                f,
                "{} admits only replies: {dst} opened no connection to the sender",
                eigw_id(net, eigw)
            ),
            PrivatelinkMtu { eni, packet } => write!(
                f,
                "{} ({}): {packet} bytes > PrivateLink MTU {} (dropped, no ICMP error)",
                eni_id(net, eni),
                privatelink_owner(net, eni),
                PRIVATELINK_MTU
            ),
            PrivatelinkProviderInitiated { node } => write!(
                f,
                "{} ({}): not a reply to a consumer's connection; the provider cannot initiate through PrivateLink",
                eni_id(net, node),
                privatelink_owner(net, node)
            ),
            NlbNoListener { eni, port } => write!(
                f,
                "{} ({}): the service's load balancer has no listener for port {port}",
                eni_id(net, eni),
                privatelink_owner(net, eni)
            ),
            NlbNoHealthyTarget { node, port } => write!(
                f,
                "{} ({}): no healthy target for the listener on port {port}",
                eni_id(net, node),
                privatelink_owner(net, node)
            ),
            DxPrefixNotAllowed { att, dst } => {
                let a = net.tgw_attachments.get(att.ix());
                let (dxgw, tgw) = match a.map(|a| &a.kind) {
                    Some(TgwAttachmentKind::DirectConnectGateway { dxgw, .. }) => (
                        net.direct_connect_gateways
                            .get(dxgw.ix())
                            .map_or("?", |g| g.id.as_str()),
                        a.and_then(|a| net.transit_gateways.get(a.tgw.ix()))
                            .map_or("?", |t| t.id.as_str()),
                    ),
                    _ => ("?", "?"),
                };
                write!(
                    f,
                    "{dst} is in no allowed prefix of {} ({dxgw}'s association with {tgw}): on premises has no route to it over Direct Connect",
                    a.map_or("?", |a| a.id.as_str())
                )
            }
        }
    }
}

/// What a requester-managed ENI belongs to: `interface endpoint vpce-…` or
/// `load balancer nlb-…` (`?` otherwise). Drop path only (a scan).
pub fn privatelink_owner(net: &Network, eni: EniIdx) -> String {
    match net.privatelink_role(eni) {
        Some(PrivateLinkRole::Endpoint(i)) => format!(
            "interface endpoint {}",
            net.interface_endpoints
                .get(i.ix())
                .map_or("?", |e| e.id.as_str())
        ),
        Some(PrivateLinkRole::LbNode(l)) => format!(
            "load balancer {}",
            net.load_balancers
                .get(l.ix())
                .map_or("?", |e| e.id.as_str())
        ),
        None => "?".to_string(),
    }
}

/// The ENI whose private address `dst` is, if one (drop path only).
pub(super) fn private_owner(net: &Network, dst: IpAddr) -> Option<EniIdx> {
    net.enis
        .iter()
        .position(|e| super::pipeline::owns(e, dst))
        .map(|i| EniIdx(i as u32))
}

/// `of pcx-dr (inter-region peering)`: the object whose MTU a packet exceeded.
/// Drop path only.
fn mtu_link(f: &mut fmt::Formatter<'_>, net: &Network, link: MtuLink) -> fmt::Result {
    match link {
        MtuLink::Vpc(v) => write!(
            f,
            "within {}",
            net.vpcs.get(v.ix()).map_or("the VPC", |v| v.id.as_str())
        ),
        MtuLink::Peering(p) => match net.peerings.get(p.ix()) {
            Some(pcx) if pcx.inter_region => write!(f, "of {} (inter-region peering)", pcx.id),
            Some(pcx) => write!(f, "of {} (peering)", pcx.id),
            None => write!(f, "of a peering"),
        },
        MtuLink::Gateway(g) => {
            let kind = match g {
                Gateway::Internet(_) => "internet gateway",
                Gateway::Nat(_) => "NAT gateway",
                Gateway::Vpn(_) => "site-to-site VPN",
                Gateway::Endpoint(_) => "gateway endpoint",
                Gateway::EgressOnlyInternet(_) => "egress-only internet gateway",
                Gateway::DirectConnect(..) => "Direct Connect virtual interface",
            };
            write!(f, "of {} ({kind})", super::explain::gateway_id(net, g))
        }
        MtuLink::TransitGateway => write!(f, "of the transit gateway"),
        MtuLink::Eni(e) => write!(
            f,
            "of {} ({}, its interface MTU)",
            eni_id(net, e),
            instance_id(net, e)
        ),
        MtuLink::Host(h) => write!(
            f,
            "of {} (its interface MTU)",
            net.external_hosts
                .get(h.ix())
                .map_or("?", |x| x.name.as_str())
        ),
    }
}
