//! Whether a rule's protocol/port/ICMP part matches a packet: shared by NACLs and
//! security groups, which AWS matches the same way.

use crate::model::{proto, ProtocolMatch, TrafficMatch};
use crate::wire::{FlowKey, FragmentKind};
use ipnet::IpNet;
use std::net::IpAddr;

/// Whether `net` contains `ip`: one XOR and mask. Hand-written because
/// `ipnet`'s `Contains<&IpAddr>` recomputes network and broadcast addresses on
/// every call, which showed up as the largest single cost of a router hop.
#[inline]
pub fn net_contains(net: &IpNet, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpNet::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(n.prefix_len()))
                .unwrap_or(0);
            (u32::from(n.addr()) ^ u32::from(a)) & mask == 0
        }
        (IpNet::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(n.prefix_len()))
                .unwrap_or(0);
            (u128::from(n.addr()) ^ u128::from(a)) & mask == 0
        }
        _ => false,
    }
}

/// Does `rule` match the packet `key`?
///
/// Port ranges are compared with the packet's **destination** port in both
/// directions (that is what AWS rules mean: an outbound rule for 443 matches
/// packets *to* port 443, an inbound ephemeral rule matches replies *to* 1024-65535).
/// Non-first fragments carry no transport header, so a port range cannot be
/// checked: they match any port range of their protocol (AWS documents the same for
/// NACLs; the first fragment decides).
#[inline]
pub fn traffic_matches(rule: &TrafficMatch, key: &FlowKey) -> bool {
    match rule.protocol {
        ProtocolMatch::Any => true,
        ProtocolMatch::Number(n) if n != key.protocol => false,
        ProtocolMatch::Number(proto::TCP | proto::UDP) => {
            key.fragment == FragmentKind::NonFirst || rule.ports.contains(key.dst_port)
        }
        ProtocolMatch::Number(proto::ICMP | proto::ICMPV6) => {
            key.fragment == FragmentKind::NonFirst
                || rule.icmp.matches(key.icmp_type, key.icmp_code)
        }
        ProtocolMatch::Number(_) => true,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{IcmpMatch, PortRange};
    use std::net::IpAddr;

    /// A TCP/UDP/ICMP flow key for tests.
    pub(crate) fn key(protocol: u8, src: &str, dst: &str, sport: u16, dport: u16) -> FlowKey {
        FlowKey {
            src: src.parse::<IpAddr>().unwrap(),
            dst: dst.parse::<IpAddr>().unwrap(),
            protocol,
            src_port: sport,
            dst_port: dport,
            icmp_type: if protocol == proto::ICMP { 8 } else { 0 },
            icmp_code: 0,
            icmp_id: 0,
            tcp_flags: if protocol == proto::TCP { 0x02 } else { 0 },
            fragment: FragmentKind::Whole,
            dont_fragment: true,
            ip_len: 60,
        }
    }

    fn tcp(from: u16, to: u16) -> TrafficMatch {
        TrafficMatch {
            protocol: ProtocolMatch::Number(proto::TCP),
            ports: PortRange { from, to },
            icmp: IcmpMatch::ANY,
        }
    }

    #[test]
    fn net_contains_agrees_with_ipnet() {
        for (net, ip) in [
            ("10.0.0.0/16", "10.0.255.1"),
            ("10.0.0.0/16", "10.1.0.1"),
            ("0.0.0.0/0", "8.8.8.8"),
            ("10.0.1.10/32", "10.0.1.10"),
            ("10.0.1.10/32", "10.0.1.11"),
            ("10.0.1.77/24", "10.0.1.1"),
            ("2600::/56", "2600::ff"),
            ("2600::/56", "2601::1"),
            ("::/0", "2600::1"),
            ("::/0", "10.0.0.1"),
            ("0.0.0.0/0", "::1"),
        ] {
            let n: IpNet = net.parse().unwrap();
            let a: IpAddr = ip.parse().unwrap();
            assert_eq!(net_contains(&n, a), n.contains(&a), "{net} {ip}");
        }
    }

    #[test]
    fn ports_are_destination_ports() {
        let k = key(proto::TCP, "10.0.0.1", "10.0.0.2", 40000, 443);
        assert!(traffic_matches(&tcp(443, 443), &k));
        assert!(!traffic_matches(&tcp(40000, 40000), &k));
        assert!(!traffic_matches(&tcp(1, 442), &k));
    }

    #[test]
    fn protocol_must_match_unless_any() {
        let k = key(proto::UDP, "10.0.0.1", "10.0.0.2", 5000, 53);
        assert!(!traffic_matches(&tcp(0, 65535), &k));
        assert!(traffic_matches(&TrafficMatch::ALL, &k));
    }

    #[test]
    fn icmp_type_and_code() {
        let mut k = key(proto::ICMP, "10.0.0.1", "10.0.0.2", 0, 0);
        let echo = TrafficMatch {
            protocol: ProtocolMatch::Number(proto::ICMP),
            ports: PortRange::ALL,
            icmp: IcmpMatch {
                icmp_type: Some(8),
                code: None,
            },
        };
        assert!(traffic_matches(&echo, &k));
        k.icmp_type = 3;
        k.icmp_code = 4;
        assert!(!traffic_matches(&echo, &k));
    }

    #[test]
    fn non_first_fragments_ignore_ports() {
        let mut k = key(proto::UDP, "10.0.0.1", "10.0.0.2", 0, 0);
        k.fragment = FragmentKind::NonFirst;
        let udp53 = TrafficMatch {
            protocol: ProtocolMatch::Number(proto::UDP),
            ports: PortRange { from: 53, to: 53 },
            icmp: IcmpMatch::ANY,
        };
        assert!(traffic_matches(&udp53, &k));
        assert!(!traffic_matches(&tcp(0, 65535), &k));
    }
}
