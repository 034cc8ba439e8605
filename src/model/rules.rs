//! Compiled NACL and security group rules: what `policy` evaluates.

use super::{PlIdx, SgIdx, VpcIdx};
use ipnet::IpNet;

/// IP protocol numbers used across the crate.
pub mod proto {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ICMPV6: u8 = 58;
}

/// Which IP protocol a rule matches (`-1`/`all` in AWS is [`ProtocolMatch::Any`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolMatch {
    Any,
    Number(u8),
}

impl ProtocolMatch {
    #[inline]
    pub fn matches(self, protocol: u8) -> bool {
        match self {
            ProtocolMatch::Any => true,
            ProtocolMatch::Number(n) => n == protocol,
        }
    }
}

/// An inclusive port range; `0..=65535` matches every port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

impl PortRange {
    pub const ALL: PortRange = PortRange { from: 0, to: 65535 };

    #[inline]
    pub fn contains(self, port: u16) -> bool {
        self.from <= port && port <= self.to
    }

    pub fn is_all(self) -> bool {
        self == PortRange::ALL
    }
}

/// ICMP type/code match; `None` is AWS's `-1` (any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpMatch {
    pub icmp_type: Option<u8>,
    pub code: Option<u8>,
}

impl IcmpMatch {
    pub const ANY: IcmpMatch = IcmpMatch {
        icmp_type: None,
        code: None,
    };

    #[inline]
    pub fn matches(self, icmp_type: u8, code: u8) -> bool {
        self.icmp_type.is_none_or(|t| t == icmp_type) && self.code.is_none_or(|c| c == code)
    }
}

/// Which traffic a rule's protocol part matches. Ports apply to TCP/UDP rules,
/// the ICMP match to ICMP/ICMPv6 rules; `Any` protocol ignores both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficMatch {
    pub protocol: ProtocolMatch,
    pub ports: PortRange,
    pub icmp: IcmpMatch,
}

impl TrafficMatch {
    pub const ALL: TrafficMatch = TrafficMatch {
        protocol: ProtocolMatch::Any,
        ports: PortRange::ALL,
        icmp: IcmpMatch::ANY,
    };
}

/// Direction of a rule relative to the subnet (NACL) or ENI (security group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    Allow,
    Deny,
}

/// One numbered NACL entry.
#[derive(Debug, Clone, PartialEq)]
pub struct NaclRule {
    /// 1..=32766; evaluated lowest first.
    pub number: u16,
    pub traffic: TrafficMatch,
    pub cidr: IpNet,
    pub action: RuleAction,
}

/// A network ACL; rule lists are sorted by number. The implicit final `*` deny
/// is not stored: evaluation falls through to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Nacl {
    pub id: String,
    pub vpc: VpcIdx,
    pub is_default: bool,
    pub inbound: Vec<NaclRule>,
    pub outbound: Vec<NaclRule>,
}

impl Nacl {
    pub fn rules(&self, dir: Direction) -> &[NaclRule] {
        match dir {
            Direction::Inbound => &self.inbound,
            Direction::Outbound => &self.outbound,
        }
    }
}

/// Where a security group rule's peer may be.
#[derive(Debug, Clone, PartialEq)]
pub enum SgPeer {
    Cidr(IpNet),
    PrefixList(PlIdx),
    /// Members' private IPs (including a peer VPC's group, same region only).
    Group(SgIdx),
}

/// One security group rule (allow only).
#[derive(Debug, Clone, PartialEq)]
pub struct SgRule {
    pub traffic: TrafficMatch,
    pub peer: SgPeer,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc: VpcIdx,
    pub is_default: bool,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}

impl SecurityGroup {
    pub fn rules(&self, dir: Direction) -> &[SgRule] {
        match dir {
            Direction::Inbound => &self.ingress,
            Direction::Outbound => &self.egress,
        }
    }
}

/// A managed prefix list (e.g. the S3 service ranges a gateway endpoint reaches).
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixList {
    pub id: String,
    pub name: String,
    pub cidrs: Vec<IpNet>,
}
