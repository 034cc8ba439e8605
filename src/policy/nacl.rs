//! Network ACL evaluation: stateless, rules in ascending number order, first
//! match wins, and an implicit final `*` rule that denies.

use super::{net_contains, traffic_matches};
use crate::model::proto;
use crate::model::{Direction, Nacl, ProtocolMatch, RuleAction};
use crate::wire::FlowKey;
use ipnet::Ipv4Net;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The outcome of a NACL: what it did and which rule did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NaclVerdict {
    pub action: RuleAction,
    /// The matching rule's number; `None` is the implicit final `*` deny.
    pub rule: Option<u16>,
}

impl NaclVerdict {
    pub fn allowed(self) -> bool {
        self.action == RuleAction::Allow
    }
}

/// Evaluate `nacl` for a packet crossing the subnet boundary in `dir`.
///
/// Inbound rules match the packet's source address, outbound rules its
/// destination. Rule lists are kept sorted by number by `topology`; a rule whose
/// CIDR family differs from the packet's never matches.
#[inline]
pub fn evaluate(nacl: &Nacl, dir: Direction, key: &FlowKey) -> NaclVerdict {
    let peer: IpAddr = match dir {
        Direction::Inbound => key.src,
        Direction::Outbound => key.dst,
    };
    for rule in nacl.rules(dir) {
        if net_contains(&rule.cidr, peer) && traffic_matches(&rule.traffic, key) {
            return NaclVerdict {
                action: rule.action,
                rule: Some(rule.number),
            };
        }
    }
    NaclVerdict {
        action: RuleAction::Deny,
        rule: None,
    }
}

/// A NACL's verdict per direction and address family when it does not depend on
/// the packet: the first rule of that family (rules of the other family never
/// match) covers every address (`0.0.0.0/0` or `::/0`) and every protocol, so
/// [`evaluate`] stops there for every packet. True of the default NACL and of
/// most custom ones; computed once per rule change, it turns the per-packet scan
/// into one load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NaclShortcut {
    /// `[inbound, outbound][IPv4, IPv6]`.
    verdict: [[Option<NaclVerdict>; 2]; 2],
}

impl NaclShortcut {
    /// The shortcut of `nacl` (rules sorted by number, as [`evaluate`] expects).
    pub fn of(nacl: &Nacl) -> NaclShortcut {
        let mut verdict = [[None; 2]; 2];
        for (d, dir) in [Direction::Inbound, Direction::Outbound]
            .into_iter()
            .enumerate()
        {
            for (f, v6) in [false, true].into_iter().enumerate() {
                let first = nacl
                    .rules(dir)
                    .iter()
                    .find(|r| r.cidr.addr().is_ipv6() == v6);
                verdict[d][f] = first
                    .filter(|r| {
                        r.cidr.prefix_len() == 0 && r.traffic.protocol == ProtocolMatch::Any
                    })
                    .map(|r| NaclVerdict {
                        action: r.action,
                        rule: Some(r.number),
                    });
            }
        }
        NaclShortcut { verdict }
    }

    /// [`evaluate`]'s verdict for `key` going `dir`, when it is the same for
    /// every packet of `key`'s family.
    #[inline]
    pub fn get(&self, dir: Direction, key: &FlowKey) -> Option<NaclVerdict> {
        let d = match dir {
            Direction::Inbound => 0,
            Direction::Outbound => 1,
        };
        let peer = match dir {
            Direction::Inbound => key.src,
            Direction::Outbound => key.dst,
        };
        self.verdict[d][usize::from(peer.is_ipv6())]
    }
}

/// Traffic network ACLs never filter (DESIGN.md §4; AWS: "Network ACLs don't
/// filter traffic destined to and from" these services).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NaclExempt {
    /// The Amazon DNS server: the VPC's primary IPv4 block base + 2, or
    /// 169.254.169.253 / fd00:ec2::253.
    AmazonDns,
    /// DHCP (UDP between ports 67 and 68).
    Dhcp,
    /// The instance metadata service: 169.254.169.254 / fd00:ec2::254.
    InstanceMetadata,
    /// The Amazon Time Sync Service: 169.254.169.123 / fd00:ec2::123.
    TimeSync,
}

impl NaclExempt {
    pub fn as_str(self) -> &'static str {
        match self {
            NaclExempt::AmazonDns => "Amazon DNS",
            NaclExempt::Dhcp => "DHCP",
            NaclExempt::InstanceMetadata => "instance metadata (169.254.169.254)",
            NaclExempt::TimeSync => "Amazon Time Sync",
        }
    }
}

const DNS_LINK_LOCAL: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 253);
const METADATA: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
const TIME_SYNC: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 123);
const DNS_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x253);
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
const TIME_SYNC_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x123);
const DHCP_SERVER: u16 = 67;
const DHCP_CLIENT: u16 = 68;

/// Whether the packet `key` is exempt from network ACLs because one end is an
/// Amazon-provided service, and which. `vpc_primary` is the VPC's primary IPv4
/// block (its base + 2 is the Amazon DNS server). Either end may be the service
/// (a query or its answer); source/destination checks keep instances from
/// claiming these addresses.
///
/// Not exempt: the VPC router's own address (subnet base + 1), although AWS lists
/// it too, because this emulator deliberately applies NACLs to the ICMP errors
/// the router sends (the path MTU discovery black hole of DESIGN.md §3).
#[inline]
pub fn exemption(vpc_primary: Option<Ipv4Net>, key: &FlowKey) -> Option<NaclExempt> {
    if key.protocol == proto::UDP
        && matches!(key.src_port, DHCP_SERVER | DHCP_CLIENT)
        && matches!(key.dst_port, DHCP_SERVER | DHCP_CLIENT)
    {
        return Some(NaclExempt::Dhcp);
    }
    let vpc_dns = vpc_primary.map(|n| Ipv4Addr::from(u32::from(n.network()).wrapping_add(2)));
    [key.src, key.dst].into_iter().find_map(|ip| match ip {
        IpAddr::V4(a) if a == DNS_LINK_LOCAL || Some(a) == vpc_dns => Some(NaclExempt::AmazonDns),
        IpAddr::V4(METADATA) | IpAddr::V6(METADATA_V6) => Some(NaclExempt::InstanceMetadata),
        IpAddr::V4(TIME_SYNC) | IpAddr::V6(TIME_SYNC_V6) => Some(NaclExempt::TimeSync),
        IpAddr::V6(DNS_V6) => Some(NaclExempt::AmazonDns),
        _ => None,
    })
}

/// Display a rule number the AWS console way (`100` or `*`).
pub fn rule_label(rule: Option<u16>) -> RuleLabel {
    RuleLabel(rule)
}

/// See [`rule_label`].
#[derive(Debug, Clone, Copy)]
pub struct RuleLabel(pub Option<u16>);

impl std::fmt::Display for RuleLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("*"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataplane::test_net::{nacl_all as all, nacl_tcp};
    use crate::model::{NaclRule, VpcIdx};
    use crate::policy::traffic::tests::key;

    fn nacl(inbound: Vec<NaclRule>, outbound: Vec<NaclRule>) -> Nacl {
        Nacl {
            id: "acl-1".into(),
            vpc: VpcIdx(0),
            is_default: false,
            inbound,
            outbound,
        }
    }

    #[test]
    fn shortcut_agrees_with_the_scan_only_where_it_answers() {
        let n = nacl(
            vec![
                all(90, "::/0", RuleAction::Deny),
                all(100, "0.0.0.0/0", RuleAction::Allow),
            ],
            vec![
                nacl_tcp(100, "0.0.0.0/0", (0, 65535), RuleAction::Allow),
                all(110, "0.0.0.0/0", RuleAction::Deny),
                all(120, "::/0", RuleAction::Allow),
            ],
        );
        let s = NaclShortcut::of(&n);
        let packets = [
            key(proto::TCP, "10.0.1.5", "10.0.2.9", 40000, 22),
            key(proto::UDP, "10.0.1.5", "10.0.2.9", 5000, 53),
            key(proto::ICMP, "10.0.1.5", "10.0.2.9", 0, 0),
            key(proto::TCP, "2001:db8::1", "2001:db8::2", 40000, 22),
            key(proto::UDP, "2001:db8::1", "2001:db8::2", 5000, 53),
        ];
        for k in &packets {
            for dir in [Direction::Inbound, Direction::Outbound] {
                if let Some(v) = s.get(dir, k) {
                    assert_eq!(v, evaluate(&n, dir, k), "{dir:?} {k:?}");
                }
            }
        }
        // Inbound: each family's first rule covers everything (v6 deny, v4 allow).
        assert_eq!(
            s.get(Direction::Inbound, &packets[0]).map(|v| v.rule),
            Some(Some(100))
        );
        assert_eq!(
            s.get(Direction::Inbound, &packets[3]).map(|v| v.rule),
            Some(Some(90))
        );
        // Outbound IPv4 starts with a TCP-only rule: it depends on the packet.
        assert_eq!(s.get(Direction::Outbound, &packets[1]), None);
        assert_eq!(
            s.get(Direction::Outbound, &packets[4]).map(|v| v.rule),
            Some(Some(120))
        );
        // No rule of a family: the implicit deny is left to the scan.
        let empty = NaclShortcut::of(&nacl(vec![], vec![]));
        assert_eq!(empty.get(Direction::Inbound, &packets[0]), None);
    }

    #[test]
    fn lowest_number_first_match_wins() {
        let n = nacl(
            vec![
                nacl_tcp(90, "10.0.1.5/32", (22, 22), RuleAction::Deny),
                nacl_tcp(100, "10.0.0.0/16", (22, 22), RuleAction::Allow),
            ],
            vec![],
        );
        let blocked = key(proto::TCP, "10.0.1.5", "10.0.2.9", 40000, 22);
        let v = evaluate(&n, Direction::Inbound, &blocked);
        assert_eq!(
            v,
            NaclVerdict {
                action: RuleAction::Deny,
                rule: Some(90)
            }
        );
        let other = key(proto::TCP, "10.0.1.6", "10.0.2.9", 40000, 22);
        let v = evaluate(&n, Direction::Inbound, &other);
        assert_eq!(
            v,
            NaclVerdict {
                action: RuleAction::Allow,
                rule: Some(100)
            }
        );
    }

    #[test]
    fn allow_before_deny_when_numbered_lower() {
        let n = nacl(
            vec![
                nacl_tcp(10, "0.0.0.0/0", (0, 65535), RuleAction::Allow),
                nacl_tcp(20, "10.0.1.5/32", (22, 22), RuleAction::Deny),
            ],
            vec![],
        );
        let k = key(proto::TCP, "10.0.1.5", "10.0.2.9", 40000, 22);
        assert_eq!(evaluate(&n, Direction::Inbound, &k).rule, Some(10));
    }

    #[test]
    fn falls_through_to_star_deny() {
        let n = nacl(
            vec![nacl_tcp(100, "10.0.0.0/16", (443, 443), RuleAction::Allow)],
            vec![],
        );
        let k = key(proto::TCP, "10.0.0.1", "10.0.0.2", 40000, 80);
        let v = evaluate(&n, Direction::Inbound, &k);
        assert_eq!(
            v,
            NaclVerdict {
                action: RuleAction::Deny,
                rule: None
            }
        );
        assert!(!v.allowed());
        assert_eq!(rule_label(v.rule).to_string(), "*");
        // An empty custom NACL denies everything.
        let empty = nacl(vec![], vec![]);
        assert_eq!(evaluate(&empty, Direction::Outbound, &k).rule, None);
    }

    #[test]
    fn inbound_matches_source_outbound_matches_destination() {
        let n = nacl(
            vec![nacl_tcp(100, "10.1.0.0/16", (0, 65535), RuleAction::Allow)],
            vec![nacl_tcp(100, "10.1.0.0/16", (0, 65535), RuleAction::Allow)],
        );
        let k = key(proto::TCP, "10.1.0.7", "10.2.0.7", 40000, 80);
        assert!(evaluate(&n, Direction::Inbound, &k).allowed());
        assert!(!evaluate(&n, Direction::Outbound, &k).allowed());
    }

    #[test]
    fn stateless_reply_needs_ephemeral_rule() {
        let n = nacl(
            vec![nacl_tcp(100, "0.0.0.0/0", (443, 443), RuleAction::Allow)],
            vec![nacl_tcp(100, "0.0.0.0/0", (443, 443), RuleAction::Allow)],
        );
        // The request 40000 -> 443 leaves; its reply 443 -> 40000 comes back to an
        // ephemeral port that no inbound rule allows.
        let reply = key(proto::TCP, "10.9.0.1", "10.0.0.1", 443, 40000);
        assert_eq!(evaluate(&n, Direction::Inbound, &reply).rule, None);
        let fixed = nacl(
            vec![
                nacl_tcp(100, "0.0.0.0/0", (443, 443), RuleAction::Allow),
                nacl_tcp(110, "0.0.0.0/0", (1024, 65535), RuleAction::Allow),
            ],
            vec![],
        );
        assert_eq!(evaluate(&fixed, Direction::Inbound, &reply).rule, Some(110));
    }

    #[test]
    fn ipv4_rule_never_matches_ipv6_packet() {
        let n = nacl(
            vec![nacl_tcp(100, "0.0.0.0/0", (0, 65535), RuleAction::Allow)],
            vec![],
        );
        let k = key(proto::TCP, "2600::1", "2600::2", 40000, 80);
        assert_eq!(evaluate(&n, Direction::Inbound, &k).rule, None);
    }

    #[test]
    fn amazon_services_are_exempt_from_nacls() {
        let vpc: Ipv4Net = "10.0.0.0/16".parse().unwrap();
        let ex = |k: &FlowKey| exemption(Some(vpc), k);
        let dns = key(proto::UDP, "10.0.1.10", "10.0.0.2", 40000, 53);
        assert_eq!(ex(&dns), Some(NaclExempt::AmazonDns));
        let answer = key(proto::UDP, "10.0.0.2", "10.0.1.10", 53, 40000);
        assert_eq!(ex(&answer), Some(NaclExempt::AmazonDns));
        // Base + 2 of a subnet other than the VPC's base is an ordinary address.
        assert_eq!(
            ex(&key(proto::UDP, "10.0.1.10", "10.0.1.2", 40000, 53)),
            None
        );
        let link_dns = key(proto::UDP, "10.0.1.10", "169.254.169.253", 40000, 53);
        assert_eq!(ex(&link_dns), Some(NaclExempt::AmazonDns));
        let imds = key(proto::TCP, "10.0.1.10", "169.254.169.254", 40000, 80);
        assert_eq!(ex(&imds), Some(NaclExempt::InstanceMetadata));
        let imds6 = key(proto::TCP, "2600::10", "fd00:ec2::254", 40000, 80);
        assert_eq!(ex(&imds6), Some(NaclExempt::InstanceMetadata));
        let ntp = key(proto::UDP, "10.0.1.10", "169.254.169.123", 123, 123);
        assert_eq!(ex(&ntp), Some(NaclExempt::TimeSync));
        let dhcp = key(proto::UDP, "0.0.0.0", "255.255.255.255", 68, 67);
        assert_eq!(ex(&dhcp), Some(NaclExempt::Dhcp));
        // Ordinary traffic, and DNS to someone else, is filtered.
        assert_eq!(
            ex(&key(proto::UDP, "10.0.1.10", "8.8.8.8", 40000, 53)),
            None
        );
        assert_eq!(ex(&key(proto::UDP, "10.0.1.10", "10.0.0.3", 68, 53)), None);
        assert_eq!(exemption(None, &dns), None);
    }
}
