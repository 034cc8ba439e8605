//! Parsing of the scalar values of the format (CIDRs, addresses, protocols, ports,
//! ICMP type/code), each reporting a located error in plain words.

use super::super::diag::Diags;
use super::super::format::{NaclRuleSpec, PortsValue, ProtocolValue, S};
use super::super::suggest;
use crate::model::{proto, IcmpMatch, PortRange, ProtocolMatch, TrafficMatch};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// Value parsers bound to the object being compiled (for messages).
pub struct Values<'a> {
    pub diags: &'a mut Diags,
    pub object: &'a str,
}

/// A number from the file as printed in a message, short: `1e308`, not its 309
/// digits, and `1e-300`, not 300 zeros (Rust's `{}` writes every digit). Every
/// message that quotes a number read from the input goes through here.
pub fn number_text(x: f64) -> String {
    if x.is_finite() && x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Protocol names accepted in rules (AWS console names).
pub const PROTOCOL_NAMES: &[&str] = &["all", "tcp", "udp", "icmp", "icmpv6"];

impl Values<'_> {
    fn err(&mut self, rule: &'static str, span: Range<usize>, msg: String) {
        self.diags.push(rule, span, self.object, msg);
    }

    pub fn ipnet(&mut self, s: &S<String>) -> Option<IpNet> {
        let text = s.get_ref().trim();
        match text.parse::<IpNet>() {
            Ok(n) if n.trunc() != n => {
                self.err(
                    "cidr-syntax",
                    s.span(),
                    format!(
                        "`{text}` has host bits set; a CIDR block starts at its network address (`{}`)",
                        n.trunc()
                    ),
                );
                None
            }
            Ok(n) => Some(n),
            Err(_) => {
                self.err(
                    "cidr-syntax",
                    s.span(),
                    format!("`{text}` is not a CIDR block (expected e.g. `10.0.0.0/16` or `2600:1f18::/56`)"),
                );
                None
            }
        }
    }

    pub fn v4net(&mut self, s: &S<String>) -> Option<Ipv4Net> {
        match self.ipnet(s)? {
            IpNet::V4(n) => Some(n),
            IpNet::V6(_) => {
                self.err(
                    "cidr-syntax",
                    s.span(),
                    format!("`{}` must be an IPv4 CIDR block", s.get_ref()),
                );
                None
            }
        }
    }

    pub fn v6net(&mut self, s: &S<String>) -> Option<Ipv6Net> {
        match self.ipnet(s)? {
            IpNet::V6(n) => Some(n),
            IpNet::V4(_) => {
                self.err(
                    "cidr-syntax",
                    s.span(),
                    format!("`{}` must be an IPv6 CIDR block", s.get_ref()),
                );
                None
            }
        }
    }

    pub fn ip(&mut self, s: &S<String>) -> Option<IpAddr> {
        match s.get_ref().trim().parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                self.err(
                    "ip-syntax",
                    s.span(),
                    format!("`{}` is not an IP address", s.get_ref()),
                );
                None
            }
        }
    }

    pub fn v4(&mut self, s: &S<String>) -> Option<Ipv4Addr> {
        match self.ip(s)? {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(_) => {
                self.err(
                    "ip-syntax",
                    s.span(),
                    format!("`{}` must be an IPv4 address", s.get_ref()),
                );
                None
            }
        }
    }

    pub fn v6(&mut self, s: &S<String>) -> Option<Ipv6Addr> {
        match self.ip(s)? {
            IpAddr::V6(a) => Some(a),
            IpAddr::V4(_) => {
                self.err(
                    "ip-syntax",
                    s.span(),
                    format!("`{}` must be an IPv6 address", s.get_ref()),
                );
                None
            }
        }
    }

    /// A protocol by name or number; `all`/`-1` is any.
    pub fn protocol(&mut self, p: &S<ProtocolValue>) -> Option<ProtocolMatch> {
        match p.get_ref() {
            ProtocolValue::Number(-1) => Some(ProtocolMatch::Any),
            ProtocolValue::Number(n) => match u8::try_from(*n) {
                Ok(n) => Some(ProtocolMatch::Number(n)),
                Err(_) => {
                    self.err(
                        "unknown-protocol",
                        p.span(),
                        format!("protocol number {n} is out of range (0–255, or -1 for all)"),
                    );
                    None
                }
            },
            ProtocolValue::Name(name) => match name.to_ascii_lowercase().as_str() {
                "all" | "-1" | "any" => Some(ProtocolMatch::Any),
                "tcp" => Some(ProtocolMatch::Number(proto::TCP)),
                "udp" => Some(ProtocolMatch::Number(proto::UDP)),
                "icmp" => Some(ProtocolMatch::Number(proto::ICMP)),
                "icmpv6" | "icmp6" => Some(ProtocolMatch::Number(proto::ICMPV6)),
                other => match other.parse::<u8>() {
                    Ok(n) => Some(ProtocolMatch::Number(n)),
                    Err(_) => {
                        let hint = suggest::did_you_mean(other, PROTOCOL_NAMES.iter().copied());
                        self.err(
                            "unknown-protocol",
                            p.span(),
                            format!("unknown protocol `{name}` (use all, tcp, udp, icmp, icmpv6 or a number){hint}"),
                        );
                        None
                    }
                },
            },
        }
    }

    /// A port or port range, `from <= to`, each 0–65535.
    pub fn ports(&mut self, p: &S<PortsValue>) -> Option<PortRange> {
        let (from, to) = match p.get_ref() {
            PortsValue::Number(n) => (*n, *n),
            PortsValue::Range(s) => {
                let parsed = match s.split_once('-') {
                    Some((a, b)) => a
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .zip(b.trim().parse::<i64>().ok()),
                    None => s.trim().parse::<i64>().ok().map(|n| (n, n)),
                };
                match parsed {
                    Some(v) => v,
                    None => {
                        self.err(
                            "port-range",
                            p.span(),
                            format!(
                                "`{s}` is not a port or port range (e.g. `443` or `1024-65535`)"
                            ),
                        );
                        return None;
                    }
                }
            }
        };
        if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) {
            self.err(
                "port-range",
                p.span(),
                if from == to {
                    format!("port {from} is out of range; ports are 0–65535")
                } else {
                    format!("port range {from}-{to} is out of range; ports are 0–65535")
                },
            );
            return None;
        }
        if from > to {
            self.err(
                "port-range",
                p.span(),
                format!("port range {from}-{to} starts after it ends"),
            );
            return None;
        }
        Some(PortRange {
            from: from as u16,
            to: to as u16,
        })
    }

    /// The protocol part of a NACL or SG rule: ports only for TCP/UDP, ICMP
    /// type/code only for ICMP/ICMPv6 (as AWS's API enforces).
    pub fn traffic(
        &mut self,
        protocol: &S<ProtocolValue>,
        ports: Option<&S<PortsValue>>,
        icmp_type: Option<&S<i64>>,
        icmp_code: Option<&S<i64>>,
    ) -> Option<TrafficMatch> {
        let protocol_m = self.protocol(protocol)?;
        let is_l4 = matches!(protocol_m, ProtocolMatch::Number(proto::TCP | proto::UDP));
        let is_icmp = matches!(
            protocol_m,
            ProtocolMatch::Number(proto::ICMP | proto::ICMPV6)
        );
        let mut ok = true;
        let mut range = PortRange::ALL;
        if let Some(p) = ports {
            if is_l4 {
                range = self.ports(p)?;
            } else {
                self.err(
                    "ports-need-tcp-udp",
                    p.span(),
                    "ports apply only to tcp and udp rules".to_string(),
                );
                ok = false;
            }
        }
        let mut icmp = IcmpMatch::ANY;
        for (v, what) in [(icmp_type, "icmp_type"), (icmp_code, "icmp_code")] {
            let Some(v) = v else { continue };
            if !is_icmp {
                self.err(
                    "icmp-needs-icmp",
                    v.span(),
                    format!("{what} applies only to icmp and icmpv6 rules"),
                );
                ok = false;
                continue;
            }
            let n = *v.get_ref();
            let val = match n {
                -1 => None,
                0..=255 => Some(n as u8),
                _ => {
                    self.err(
                        "icmp-range",
                        v.span(),
                        format!("{what} {n} is out of range (0–255, or -1 for any)"),
                    );
                    ok = false;
                    None
                }
            };
            if what == "icmp_type" {
                icmp.icmp_type = val;
            } else {
                icmp.code = val;
            }
        }
        ok.then_some(TrafficMatch {
            protocol: protocol_m,
            ports: range,
            icmp,
        })
    }

    pub fn nacl_traffic(&mut self, r: &NaclRuleSpec) -> Option<TrafficMatch> {
        self.traffic(
            &r.protocol,
            r.ports.as_ref(),
            r.icmp_type.as_ref(),
            r.icmp_code.as_ref(),
        )
    }
}
