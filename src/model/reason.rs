//! Stable drop reason codes (DESIGN.md §3). Their spelling is part of the file
//! format (`expect = "dropped:NACL_DENY"`) and of every output.

use std::fmt;
use std::str::FromStr;

/// Why the data plane dropped a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    NoRoute,
    BlackholeRoute,
    PeeringNotActive,
    NonTransitivePeering,
    EdgeToEdge,
    NaclDeny,
    SgNoMatch,
    MtuExceeded,
    UnknownDestination,
    SourceDestCheck,
    ConntrackFull,
    QueueOverflow,
    Malformed,
    /// A NAT gateway refused a fragment of a protocol other than UDP (AWS NAT
    /// gateways pass IP fragments of UDP only; TCP and ICMP fragments are dropped).
    NatFragment,
    /// An instance received a packet addressed to someone else (a route targets
    /// its ENI, whose source/destination check is off) and does not forward it.
    NotForwarded,
    /// The transit gateway route table has no route (or the attachment has no
    /// associated route table).
    TgwNoRoute,
    TgwBlackhole,
    TgwAttachmentNotAvailable,
    /// The VPC attachment has no subnet in the source instance's AZ.
    TgwNoAttachmentInAz,
    /// The receiving host's stack had no socket for the packet (no listener or
    /// connection on its port): a TCP segment is answered with a RST, a UDP
    /// datagram with ICMP port unreachable, an echo reply is ignored (as Linux does).
    HostNoSocket,
    /// A fragment reached a host already reassembling as many datagrams as its
    /// stack holds at once (32), so it was discarded.
    HostReassemblyLimit,
    /// A reply left through a NAT gateway (its instance's default route) although
    /// the request came in through the instance's public IP: the requester sees
    /// the gateway's Elastic IP as the source, has no socket for it and discards it.
    AsymmetricNatReply,
    /// The instance behind the ENI was stopped by a `[[change]]`
    /// (`stop_instance`): its interfaces neither send nor answer until it starts.
    InstanceStopped,
    /// A forwarding instance (`forward = "router"`/`"nat"`) received a packet
    /// with TTL (hop limit) 1 or 0: as Linux does, it does not forward it and
    /// answers with ICMP time exceeded (a routing loop through appliances).
    TtlExceeded,
    /// From the internet through an egress-only internet gateway, not a reply to
    /// a connection an instance opened: the gateway admits replies only.
    EgressOnlyInbound,
    /// A packet larger than PrivateLink's 8500-byte MTU reached an interface
    /// endpoint (or came back through the NLB): dropped, no ICMP error.
    PrivatelinkMtu,
    /// A packet reached an NLB node from the provider's side that is no reply to
    /// a consumer's connection: the provider cannot initiate through PrivateLink.
    PrivatelinkProviderInitiated,
    /// An interface endpoint got a packet for a protocol and port its service's
    /// load balancer has no listener for.
    NlbNoListener,
    /// The NLB node's listener has no healthy target it may send to.
    NlbNoHealthyTarget,
    /// From on premises over a transit virtual interface to an address in no
    /// allowed prefix of the Direct Connect gateway's transit gateway
    /// association: on premises never learned a route to it over Direct Connect.
    DxPrefixNotAllowed,
}

impl DropReason {
    /// Every reason, in a stable order (for tables and "did you mean").
    pub const ALL: [DropReason; 30] = [
        DropReason::NoRoute,
        DropReason::BlackholeRoute,
        DropReason::PeeringNotActive,
        DropReason::NonTransitivePeering,
        DropReason::EdgeToEdge,
        DropReason::NaclDeny,
        DropReason::SgNoMatch,
        DropReason::MtuExceeded,
        DropReason::UnknownDestination,
        DropReason::SourceDestCheck,
        DropReason::ConntrackFull,
        DropReason::QueueOverflow,
        DropReason::Malformed,
        DropReason::NatFragment,
        DropReason::NotForwarded,
        DropReason::TgwNoRoute,
        DropReason::TgwBlackhole,
        DropReason::TgwAttachmentNotAvailable,
        DropReason::TgwNoAttachmentInAz,
        DropReason::HostNoSocket,
        DropReason::HostReassemblyLimit,
        DropReason::AsymmetricNatReply,
        DropReason::InstanceStopped,
        DropReason::TtlExceeded,
        DropReason::EgressOnlyInbound,
        DropReason::PrivatelinkMtu,
        DropReason::PrivatelinkProviderInitiated,
        DropReason::NlbNoListener,
        DropReason::NlbNoHealthyTarget,
        DropReason::DxPrefixNotAllowed,
    ];

    /// The stable code, e.g. `NACL_DENY`.
    pub fn code(self) -> &'static str {
        match self {
            DropReason::NoRoute => "NO_ROUTE",
            DropReason::BlackholeRoute => "BLACKHOLE_ROUTE",
            DropReason::PeeringNotActive => "PEERING_NOT_ACTIVE",
            DropReason::NonTransitivePeering => "NON_TRANSITIVE_PEERING",
            DropReason::EdgeToEdge => "EDGE_TO_EDGE",
            DropReason::NaclDeny => "NACL_DENY",
            DropReason::SgNoMatch => "SG_NO_MATCH",
            DropReason::MtuExceeded => "MTU_EXCEEDED",
            DropReason::UnknownDestination => "UNKNOWN_DESTINATION",
            DropReason::SourceDestCheck => "SOURCE_DEST_CHECK",
            DropReason::ConntrackFull => "CONNTRACK_FULL",
            DropReason::QueueOverflow => "QUEUE_OVERFLOW",
            DropReason::Malformed => "MALFORMED",
            DropReason::NatFragment => "NAT_FRAGMENT",
            DropReason::NotForwarded => "NOT_FORWARDED",
            DropReason::TgwNoRoute => "TGW_NO_ROUTE",
            DropReason::TgwBlackhole => "TGW_BLACKHOLE",
            DropReason::TgwAttachmentNotAvailable => "TGW_ATTACHMENT_NOT_AVAILABLE",
            DropReason::TgwNoAttachmentInAz => "TGW_NO_ATTACHMENT_IN_AZ",
            DropReason::HostNoSocket => "HOST_NO_SOCKET",
            DropReason::HostReassemblyLimit => "HOST_REASSEMBLY_LIMIT",
            DropReason::AsymmetricNatReply => "ASYMMETRIC_NAT_REPLY",
            DropReason::InstanceStopped => "INSTANCE_STOPPED",
            DropReason::TtlExceeded => "TTL_EXCEEDED",
            DropReason::EgressOnlyInbound => "EGRESS_ONLY_INBOUND",
            DropReason::PrivatelinkMtu => "PRIVATELINK_MTU",
            DropReason::PrivatelinkProviderInitiated => "PRIVATELINK_PROVIDER_INITIATED",
            DropReason::NlbNoListener => "NLB_NO_LISTENER",
            DropReason::NlbNoHealthyTarget => "NLB_NO_HEALTHY_TARGET",
            DropReason::DxPrefixNotAllowed => "DX_PREFIX_NOT_ALLOWED",
        }
    }
}

/// A set of drop reasons (`expect = "dropped:A|B"`), one bit per position in
/// [`DropReason::ALL`]; `Copy` like the reasons themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DropReasons(u64);

// One bit per reason: a 65th reason needs a wider set.
const _: () = assert!(DropReason::ALL.len() < 64);

impl DropReasons {
    /// Every reason (`expect = "dropped"`).
    pub const ANY: DropReasons = DropReasons((1 << DropReason::ALL.len()) - 1);

    fn bit(r: DropReason) -> u64 {
        let i = DropReason::ALL.iter().position(|&x| x == r).unwrap_or(0);
        1 << i
    }

    /// This set with `r` added.
    pub fn with(self, r: DropReason) -> DropReasons {
        DropReasons(self.0 | Self::bit(r))
    }

    pub fn contains(self, r: DropReason) -> bool {
        self.0 & Self::bit(r) != 0
    }

    /// The reasons, in [`DropReason::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = DropReason> {
        DropReason::ALL
            .into_iter()
            .filter(move |&r| self.contains(r))
    }

    /// `NACL_DENY|SG_NO_MATCH`, or `*` for every reason.
    pub fn text(self) -> String {
        if self == Self::ANY {
            return "*".to_string();
        }
        self.iter().map(|r| r.code()).collect::<Vec<_>>().join("|")
    }
}

/// What a drop attributed to an ENI does to that ENI's flow log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowLogEffect {
    /// The ENI's security group or its subnet's NACL refused the packet: `REJECT`
    /// at that ENI (and not `ACCEPT` when it was the sender's).
    Reject,
    /// The packet never reached the interface (the instance's own queue): not
    /// logged at all.
    NotLogged,
    /// The ENI let the packet through and a router dropped it later (no route,
    /// MTU, edge to edge, transit gateway, ...): it stays `ACCEPT` where it was
    /// logged, as AWS logs at the interface.
    Accepted,
}

impl DropReason {
    /// How AWS's flow logs show a packet dropped for this reason at the ENI it is
    /// attributed to. AWS documents `REJECT` as "the traffic was not allowed by the
    /// security groups or network ACLs" (VPC User Guide, "Flow log records", field
    /// `action`: <https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html>;
    /// examples of both: <https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html>),
    /// and records traffic at the network interface: what the interface let out
    /// and a router dropped later was accepted there.
    ///
    /// `CONNTRACK_FULL` (also a NAT gateway out of ports) and `SOURCE_DEST_CHECK`
    /// are not rule rejections: AWS does not document them as `REJECT`, so the
    /// packet keeps the record it had.
    pub fn flow_log_effect(self) -> FlowLogEffect {
        match self {
            DropReason::NaclDeny | DropReason::SgNoMatch => FlowLogEffect::Reject,
            DropReason::QueueOverflow => FlowLogEffect::NotLogged,
            _ => FlowLogEffect::Accepted,
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DropReason {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        DropReason::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in DropReason::ALL {
            assert_eq!(r.code().parse::<DropReason>(), Ok(r));
        }
        assert!("NACL".parse::<DropReason>().is_err());
    }

    #[test]
    fn reason_sets() {
        let s = DropReasons::default()
            .with(DropReason::SgNoMatch)
            .with(DropReason::NaclDeny);
        assert!(s.contains(DropReason::NaclDeny) && s.contains(DropReason::SgNoMatch));
        assert!(!s.contains(DropReason::NoRoute));
        assert_eq!(s.text(), "NACL_DENY|SG_NO_MATCH");
        assert!(DropReason::ALL
            .iter()
            .all(|&r| DropReasons::ANY.contains(r)));
        assert_eq!(DropReasons::ANY.text(), "*");
    }
}
