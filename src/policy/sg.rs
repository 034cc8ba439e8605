//! Security group evaluation: allow rules only, the union of every group on the
//! ENI, peers given as CIDRs, prefix lists or other groups.
//!
//! Groups are compiled once per ENI into one flat rule list per direction, with
//! prefix lists and group references resolved to address sets (a group reference
//! matches the members' private IPv4/IPv6 addresses), so evaluation is a scan with
//! no lookups into the [`Network`].

use super::{net_contains, traffic_matches};
use crate::model::{proto, Direction, EniIdx, Network, ProtocolMatch, SgIdx, SgPeer, SgRule};
use crate::wire::FlowKey;
use ipnet::IpNet;
use std::net::IpAddr;

/// Which rule allowed a packet, and whether the flow must be tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchedRule {
    pub sg: SgIdx,
    /// Position of the rule in the group's ingress or egress list.
    pub index: u16,
    /// False when AWS does not track the flow (DESIGN.md §4): TCP/UDP allowed by a
    /// `0.0.0.0/0` (or `::/0`) rule while the opposite direction allows
    /// `0.0.0.0/0` on all ports. ICMP and other protocols are always tracked.
    pub tracked: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct CompiledRule {
    traffic: crate::model::TrafficMatch,
    sg: SgIdx,
    index: u16,
    /// Range into [`CompiledSg::nets`].
    nets: (u32, u32),
    /// The peer is exactly `0.0.0.0/0` / `::/0`.
    open_v4: bool,
    open_v6: bool,
}

/// "Allows every port of TCP / UDP from anywhere", per address family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct OpenAll {
    tcp: [bool; 2],
    udp: [bool; 2],
}

/// The security groups of one ENI, compiled.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompiledSg {
    /// The ENI's groups, for messages.
    pub groups: Vec<SgIdx>,
    ingress: Vec<CompiledRule>,
    egress: Vec<CompiledRule>,
    nets: Vec<IpNet>,
    open_in: OpenAll,
    open_out: OpenAll,
}

/// Every group's members as host prefixes (private IPv4 /32, IPv6 /128), by group.
pub fn group_members(net: &Network) -> Vec<Vec<IpNet>> {
    let mut members = vec![Vec::new(); net.security_groups.len()];
    for eni in &net.enis {
        for sg in &eni.security_groups {
            if let Some(m) = members.get_mut(sg.ix()) {
                m.push(IpNet::from(IpAddr::V4(eni.private_ip)));
                if let Some(v6) = eni.ipv6 {
                    m.push(IpNet::from(IpAddr::V6(v6)));
                }
            }
        }
    }
    members
}

fn family(ip: IpAddr) -> usize {
    match ip {
        IpAddr::V4(_) => 0,
        IpAddr::V6(_) => 1,
    }
}

impl CompiledSg {
    /// Compile the groups of `eni`; `members` comes from [`group_members`].
    pub fn for_eni(net: &Network, eni: EniIdx, members: &[Vec<IpNet>]) -> CompiledSg {
        let groups = net.eni(eni).security_groups.clone();
        let mut c = CompiledSg {
            groups,
            ..CompiledSg::default()
        };
        for &sg in &c.groups.clone() {
            let Some(group) = net.security_groups.get(sg.ix()) else {
                continue;
            };
            for (dir, rules) in [
                (Direction::Inbound, &group.ingress),
                (Direction::Outbound, &group.egress),
            ] {
                for (i, rule) in rules.iter().enumerate() {
                    c.push_rule(net, dir, sg, i, rule, members);
                }
            }
        }
        c
    }

    fn push_rule(
        &mut self,
        net: &Network,
        dir: Direction,
        sg: SgIdx,
        index: usize,
        rule: &SgRule,
        members: &[Vec<IpNet>],
    ) {
        let start = self.nets.len() as u32;
        let (mut open_v4, mut open_v6) = (false, false);
        match &rule.peer {
            SgPeer::Cidr(c) => {
                open_v4 = matches!(c, IpNet::V4(n) if n.prefix_len() == 0);
                open_v6 = matches!(c, IpNet::V6(n) if n.prefix_len() == 0);
                self.nets.push(*c);
            }
            SgPeer::PrefixList(pl) => {
                if let Some(pl) = net.prefix_lists.get(pl.ix()) {
                    self.nets.extend(pl.cidrs.iter().copied());
                }
            }
            SgPeer::Group(g) => {
                if let Some(m) = members.get(g.ix()) {
                    self.nets.extend(m.iter().copied());
                }
            }
        }
        let compiled = CompiledRule {
            traffic: rule.traffic,
            sg,
            index: index.min(u16::MAX as usize) as u16,
            nets: (start, self.nets.len() as u32),
            open_v4,
            open_v6,
        };
        let (list, open) = match dir {
            Direction::Inbound => (&mut self.ingress, &mut self.open_in),
            Direction::Outbound => (&mut self.egress, &mut self.open_out),
        };
        for (fam, is_open) in [(0, open_v4), (1, open_v6)] {
            if !is_open {
                continue;
            }
            let all_ports = rule.traffic.ports.is_all();
            match rule.traffic.protocol {
                ProtocolMatch::Any => {
                    open.tcp[fam] = true;
                    open.udp[fam] = true;
                }
                ProtocolMatch::Number(proto::TCP) if all_ports => open.tcp[fam] = true,
                ProtocolMatch::Number(proto::UDP) if all_ports => open.udp[fam] = true,
                _ => {}
            }
        }
        list.push(compiled);
    }

    /// Number of compiled rules in a direction.
    pub fn rule_count(&self, dir: Direction) -> usize {
        match dir {
            Direction::Inbound => self.ingress.len(),
            Direction::Outbound => self.egress.len(),
        }
    }
}

/// Evaluate the ENI's groups for a packet going `dir` (inbound: from `peer`;
/// outbound: to `peer`). `None` means no rule allows it (`SG_NO_MATCH`).
#[inline]
pub fn evaluate(
    sg: &CompiledSg,
    dir: Direction,
    peer: IpAddr,
    key: &FlowKey,
) -> Option<MatchedRule> {
    let (rules, reverse) = match dir {
        Direction::Inbound => (&sg.ingress, &sg.open_out),
        Direction::Outbound => (&sg.egress, &sg.open_in),
    };
    let fam = family(peer);
    // Untracked is possible only for TCP/UDP whose reverse direction is wide open.
    let may_be_untracked = match key.protocol {
        proto::TCP => reverse.tcp[fam],
        proto::UDP => reverse.udp[fam],
        _ => false,
    };
    let mut first: Option<MatchedRule> = None;
    for rule in rules {
        if !traffic_matches(&rule.traffic, key) {
            continue;
        }
        let nets = &sg.nets[rule.nets.0 as usize..rule.nets.1 as usize];
        if !nets.iter().any(|n| net_contains(n, peer)) {
            continue;
        }
        let open = if fam == 0 { rule.open_v4 } else { rule.open_v6 };
        if may_be_untracked && open {
            let m = first.unwrap_or(MatchedRule {
                sg: rule.sg,
                index: rule.index,
                tracked: true,
            });
            return Some(MatchedRule {
                tracked: false,
                ..m
            });
        }
        if first.is_none() {
            first = Some(MatchedRule {
                sg: rule.sg,
                index: rule.index,
                tracked: true,
            });
            if !may_be_untracked {
                return first;
            }
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataplane::test_net::{sg_all, sg_tcp, TestNet};
    use crate::model::{IcmpMatch, PortRange, TrafficMatch};
    use crate::policy::traffic::tests::key;

    #[test]
    fn union_of_groups_reports_the_matching_group() {
        let mut t = TestNet::new();
        let vpc = t.vpc("10.0.0.0/16");
        let sn = t.subnet(vpc, "10.0.1.0/24", 0);
        let web = t.sg(
            vpc,
            vec![sg_tcp(443, SgPeer::Cidr("0.0.0.0/0".parse().unwrap()))],
            vec![],
        );
        let ssh = t.sg(
            vpc,
            vec![sg_tcp(22, SgPeer::Cidr("10.0.0.0/16".parse().unwrap()))],
            vec![],
        );
        let eni = t.eni(sn, "10.0.1.10", &[web, ssh]);
        let net = t.build();
        let c = CompiledSg::for_eni(&net, eni, &group_members(&net));
        let k22 = key(proto::TCP, "10.0.2.5", "10.0.1.10", 40000, 22);
        let m = evaluate(&c, Direction::Inbound, k22.src, &k22).unwrap();
        assert_eq!((m.sg, m.index, m.tracked), (ssh, 0, true));
        let k443 = key(proto::TCP, "10.0.2.5", "10.0.1.10", 40000, 443);
        assert_eq!(
            evaluate(&c, Direction::Inbound, k443.src, &k443)
                .unwrap()
                .sg,
            web
        );
        let k80 = key(proto::TCP, "10.0.2.5", "10.0.1.10", 40000, 80);
        assert_eq!(evaluate(&c, Direction::Inbound, k80.src, &k80), None);
        // SSH from outside the VPC CIDR: no rule.
        let far = key(proto::TCP, "192.0.2.1", "10.0.1.10", 40000, 22);
        assert_eq!(evaluate(&c, Direction::Inbound, far.src, &far), None);
    }

    #[test]
    fn group_reference_matches_members_private_ips() {
        let mut t = TestNet::new();
        let vpc = t.vpc("10.0.0.0/16");
        let sn = t.subnet(vpc, "10.0.1.0/24", 0);
        let app = t.sg(vpc, vec![], vec![sg_all("0.0.0.0/0")]);
        let db = t.sg(vpc, vec![sg_tcp(5432, SgPeer::Group(app))], vec![]);
        let _app_eni = t.eni(sn, "10.0.1.10", &[app]);
        let db_eni = t.eni(sn, "10.0.1.20", &[db]);
        let _other = t.eni(sn, "10.0.1.30", &[db]);
        let net = t.build();
        let c = CompiledSg::for_eni(&net, db_eni, &group_members(&net));
        let from_app = key(proto::TCP, "10.0.1.10", "10.0.1.20", 40000, 5432);
        assert!(evaluate(&c, Direction::Inbound, from_app.src, &from_app).is_some());
        let from_other = key(proto::TCP, "10.0.1.30", "10.0.1.20", 40000, 5432);
        assert_eq!(
            evaluate(&c, Direction::Inbound, from_other.src, &from_other),
            None
        );
    }

    #[test]
    fn prefix_list_peer() {
        let mut t = TestNet::new();
        let vpc = t.vpc("10.0.0.0/16");
        let sn = t.subnet(vpc, "10.0.1.0/24", 0);
        let pl = t.prefix_list(&["52.216.0.0/15", "3.5.0.0/19"]);
        let s = t.sg(vpc, vec![], vec![sg_tcp(443, SgPeer::PrefixList(pl))]);
        let eni = t.eni(sn, "10.0.1.10", &[s]);
        let net = t.build();
        let c = CompiledSg::for_eni(&net, eni, &group_members(&net));
        let s3 = key(proto::TCP, "10.0.1.10", "3.5.1.1", 40000, 443);
        assert!(evaluate(&c, Direction::Outbound, s3.dst, &s3).is_some());
        let web = key(proto::TCP, "10.0.1.10", "8.8.8.8", 40000, 443);
        assert_eq!(evaluate(&c, Direction::Outbound, web.dst, &web), None);
    }

    #[test]
    fn untracked_only_when_both_directions_wide_open() {
        let mut t = TestNet::new();
        let vpc = t.vpc("10.0.0.0/16");
        let sn = t.subnet(vpc, "10.0.1.0/24", 0);
        let open = t.sg(
            vpc,
            vec![
                sg_tcp(80, SgPeer::Cidr("0.0.0.0/0".parse().unwrap())),
                sg_tcp(22, SgPeer::Cidr("203.0.113.0/24".parse().unwrap())),
                SgRule {
                    traffic: TrafficMatch {
                        protocol: ProtocolMatch::Number(proto::ICMP),
                        ports: PortRange::ALL,
                        icmp: IcmpMatch::ANY,
                    },
                    peer: SgPeer::Cidr("0.0.0.0/0".parse().unwrap()),
                    description: String::new(),
                },
            ],
            vec![sg_all("0.0.0.0/0")],
        );
        let eni = t.eni(sn, "10.0.1.10", &[open]);
        let closed_out = t.sg(
            vpc,
            vec![sg_tcp(80, SgPeer::Cidr("0.0.0.0/0".parse().unwrap()))],
            vec![sg_tcp(443, SgPeer::Cidr("0.0.0.0/0".parse().unwrap()))],
        );
        let eni2 = t.eni(sn, "10.0.1.11", &[closed_out]);
        let net = t.build();
        let m = group_members(&net);
        let c = CompiledSg::for_eni(&net, eni, &m);
        let http = key(proto::TCP, "198.51.100.1", "10.0.1.10", 40000, 80);
        assert!(
            !evaluate(&c, Direction::Inbound, http.src, &http)
                .unwrap()
                .tracked
        );
        let ssh = key(proto::TCP, "203.0.113.9", "10.0.1.10", 40000, 22);
        assert!(
            evaluate(&c, Direction::Inbound, ssh.src, &ssh)
                .unwrap()
                .tracked
        );
        let ping = key(proto::ICMP, "198.51.100.1", "10.0.1.10", 0, 0);
        assert!(
            evaluate(&c, Direction::Inbound, ping.src, &ping)
                .unwrap()
                .tracked
        );
        // Outbound only allows 443: inbound 80 from anywhere stays tracked.
        let c2 = CompiledSg::for_eni(&net, eni2, &m);
        let http2 = key(proto::TCP, "198.51.100.1", "10.0.1.11", 40000, 80);
        assert!(
            evaluate(&c2, Direction::Inbound, http2.src, &http2)
                .unwrap()
                .tracked
        );
    }
}
