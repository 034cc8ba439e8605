//! Network ACL evaluation: stateless, rules in ascending number order, first
//! match wins, and an implicit final `*` rule that denies.

use super::{net_contains, traffic_matches};
use crate::model::{Direction, Nacl, RuleAction};
use crate::wire::FlowKey;
use std::net::IpAddr;

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
    use crate::model::{
        proto, IcmpMatch, NaclRule, PortRange, ProtocolMatch, TrafficMatch, VpcIdx,
    };
    use crate::policy::traffic::tests::key;

    fn rule(number: u16, cidr: &str, ports: (u16, u16), action: RuleAction) -> NaclRule {
        NaclRule {
            number,
            traffic: TrafficMatch {
                protocol: ProtocolMatch::Number(proto::TCP),
                ports: PortRange {
                    from: ports.0,
                    to: ports.1,
                },
                icmp: IcmpMatch::ANY,
            },
            cidr: cidr.parse().unwrap(),
            action,
        }
    }

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
    fn lowest_number_first_match_wins() {
        let n = nacl(
            vec![
                rule(90, "10.0.1.5/32", (22, 22), RuleAction::Deny),
                rule(100, "10.0.0.0/16", (22, 22), RuleAction::Allow),
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
                rule(10, "0.0.0.0/0", (0, 65535), RuleAction::Allow),
                rule(20, "10.0.1.5/32", (22, 22), RuleAction::Deny),
            ],
            vec![],
        );
        let k = key(proto::TCP, "10.0.1.5", "10.0.2.9", 40000, 22);
        assert_eq!(evaluate(&n, Direction::Inbound, &k).rule, Some(10));
    }

    #[test]
    fn falls_through_to_star_deny() {
        let n = nacl(
            vec![rule(100, "10.0.0.0/16", (443, 443), RuleAction::Allow)],
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
            vec![rule(100, "10.1.0.0/16", (0, 65535), RuleAction::Allow)],
            vec![rule(100, "10.1.0.0/16", (0, 65535), RuleAction::Allow)],
        );
        let k = key(proto::TCP, "10.1.0.7", "10.2.0.7", 40000, 80);
        assert!(evaluate(&n, Direction::Inbound, &k).allowed());
        assert!(!evaluate(&n, Direction::Outbound, &k).allowed());
    }

    #[test]
    fn stateless_reply_needs_ephemeral_rule() {
        let n = nacl(
            vec![rule(100, "0.0.0.0/0", (443, 443), RuleAction::Allow)],
            vec![rule(100, "0.0.0.0/0", (443, 443), RuleAction::Allow)],
        );
        // The request 40000 -> 443 leaves; its reply 443 -> 40000 comes back to an
        // ephemeral port that no inbound rule allows.
        let reply = key(proto::TCP, "10.9.0.1", "10.0.0.1", 443, 40000);
        assert_eq!(evaluate(&n, Direction::Inbound, &reply).rule, None);
        let fixed = nacl(
            vec![
                rule(100, "0.0.0.0/0", (443, 443), RuleAction::Allow),
                rule(110, "0.0.0.0/0", (1024, 65535), RuleAction::Allow),
            ],
            vec![],
        );
        assert_eq!(evaluate(&fixed, Direction::Inbound, &reply).rule, Some(110));
    }

    #[test]
    fn ipv4_rule_never_matches_ipv6_packet() {
        let n = nacl(
            vec![rule(100, "0.0.0.0/0", (0, 65535), RuleAction::Allow)],
            vec![],
        );
        let k = key(proto::TCP, "2600::1", "2600::2", 40000, 80);
        assert_eq!(evaluate(&n, Direction::Inbound, &k).rule, None);
    }
}
