//! NAT gateway source translation: private (address, port) ↔ public port, with
//! AWS's 350 s idle timeout. Deterministic port allocation (a cycling counter).
//!
//! An ICMP query's identifier is translated like a port (as Linux and AWS do), so
//! two instances pinging the same remote through one NAT gateway get distinct
//! public identifiers and each reply finds its own instance. Packets without a
//! port or identifier (other ICMP) are mapped per remote address.

use crate::policy::conntrack::FxBuild;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// AWS NAT gateway idle timeout.
pub const NAT_IDLE_TIMEOUT_NS: u64 = 350 * 1_000_000_000;
const FIRST_PORT: u16 = 1024;
const PORTS: u32 = 65536 - FIRST_PORT as u32;
/// How many public ports (or ICMP identifiers) a NAT gateway hands out per protocol.
pub(super) const PUBLIC_PORTS: u32 = PORTS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Private {
    protocol: u8,
    ip: Ipv4Addr,
    port: u16,
    /// Packets without a port or identifier are mapped per remote address;
    /// `UNSPECIFIED` for ported ones (endpoint-independent mapping).
    remote: Ipv4Addr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Public {
    protocol: u8,
    port: u16,
    remote: Ipv4Addr,
}

#[derive(Debug, Clone, Copy)]
struct Binding {
    other: u16,
    last_ns: u64,
}

/// One NAT gateway's translations.
#[derive(Debug, Clone, Default)]
pub struct NatTable {
    out: HashMap<Private, Binding, FxBuild>,
    back: HashMap<Public, (Ipv4Addr, u16, u64), FxBuild>,
    /// Private owner of the last first-fragment seen from a remote, for the
    /// non-first fragments that follow (they carry no ports).
    fragments_from: HashMap<Ipv4Addr, Ipv4Addr, FxBuild>,
    next_port: u32,
}

impl NatTable {
    /// The public port (or ICMP identifier) for an outbound flow, allocating one
    /// if new. `port` is `None` for packets that have neither: they keep 0 and are
    /// mapped per `remote`. `None` back: every port is in use by a live flow.
    pub fn outbound(
        &mut self,
        now_ns: u64,
        protocol: u8,
        ip: Ipv4Addr,
        port: Option<u16>,
        remote: Ipv4Addr,
    ) -> Option<u16> {
        let key = Private {
            protocol,
            ip,
            port: port.unwrap_or(0),
            remote: if port.is_none() {
                remote
            } else {
                Ipv4Addr::UNSPECIFIED
            },
        };
        if let Some(b) = self.out.get_mut(&key) {
            if now_ns.saturating_sub(b.last_ns) <= NAT_IDLE_TIMEOUT_NS {
                b.last_ns = now_ns;
                let back = Public {
                    protocol,
                    port: b.other,
                    remote: key.remote,
                };
                if let Some(v) = self.back.get_mut(&back) {
                    v.2 = now_ns;
                }
                return Some(b.other);
            }
        }
        let public_port = match port {
            None => 0,
            Some(_) => self.allocate(now_ns, protocol)?,
        };
        self.out.insert(
            key,
            Binding {
                other: public_port,
                last_ns: now_ns,
            },
        );
        self.back.insert(
            Public {
                protocol,
                port: public_port,
                remote: key.remote,
            },
            (ip, key.port, now_ns),
        );
        Some(public_port)
    }

    /// The live public port of an existing outbound mapping, without creating
    /// one or refreshing it (for ICMP errors about a translated flow).
    pub fn mapped(&self, now_ns: u64, protocol: u8, ip: Ipv4Addr, port: u16) -> Option<u16> {
        let key = Private {
            protocol,
            ip,
            port,
            remote: Ipv4Addr::UNSPECIFIED,
        };
        self.out
            .get(&key)
            .filter(|b| now_ns.saturating_sub(b.last_ns) <= NAT_IDLE_TIMEOUT_NS)
            .map(|b| b.other)
    }

    fn allocate(&mut self, now_ns: u64, protocol: u8) -> Option<u16> {
        for _ in 0..PORTS {
            let port = (u32::from(FIRST_PORT) + self.next_port % PORTS) as u16;
            self.next_port = (self.next_port + 1) % PORTS;
            let k = Public {
                protocol,
                port,
                remote: Ipv4Addr::UNSPECIFIED,
            };
            match self.back.get(&k) {
                Some(&(_, _, last)) if now_ns.saturating_sub(last) <= NAT_IDLE_TIMEOUT_NS => {
                    continue
                }
                _ => return Some(port),
            }
        }
        None
    }

    /// The private (address, port) a reply to `public_port` goes to (`None`: a
    /// packet without port or identifier, mapped per `remote`).
    pub fn inbound(
        &mut self,
        now_ns: u64,
        protocol: u8,
        public_port: Option<u16>,
        remote: Ipv4Addr,
    ) -> Option<(Ipv4Addr, u16)> {
        let key = Public {
            protocol,
            port: public_port.unwrap_or(0),
            remote: if public_port.is_none() {
                remote
            } else {
                Ipv4Addr::UNSPECIFIED
            },
        };
        let v = self.back.get_mut(&key)?;
        if now_ns.saturating_sub(v.2) > NAT_IDLE_TIMEOUT_NS {
            return None;
        }
        v.2 = now_ns;
        Some((v.0, v.1))
    }

    /// The private (address, port) behind `public_port`, live or idle, without
    /// touching the mapping: for attributing drops of translated frames to flows.
    pub fn private_of(&self, protocol: u8, public_port: u16) -> Option<(Ipv4Addr, u16)> {
        let key = Public {
            protocol,
            port: public_port,
            remote: Ipv4Addr::UNSPECIFIED,
        };
        self.back.get(&key).map(|v| (v.0, v.1))
    }

    /// Whether it never translated anything.
    pub fn is_empty(&self) -> bool {
        self.back.is_empty()
    }

    /// Remember who the fragments from `remote` belong to.
    pub fn note_first_fragment(&mut self, remote: Ipv4Addr, private: Ipv4Addr) {
        self.fragments_from.insert(remote, private);
    }

    /// The private owner of non-first fragments from `remote`.
    pub fn fragment_owner(&self, remote: Ipv4Addr) -> Option<Ipv4Addr> {
        self.fragments_from.get(&remote).copied()
    }
}

/// Note the frames just delivered (`actions`, from index `start` of the call's
/// output) as translated by a NAT gateway, in `crossings`.
pub(super) fn mark_via_nat(
    crossings: &mut Vec<(u32, super::NatCrossing)>,
    actions: &[super::Action],
    start: usize,
    crossing: super::NatCrossing,
) {
    for (i, a) in actions.iter().enumerate().skip(start) {
        if matches!(a, super::Action::Deliver { .. }) {
            crossings.push((i as u32, crossing));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::proto;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn ports_are_allocated_and_reversed() {
        let mut n = NatTable::default();
        let p1 = n
            .outbound(0, proto::TCP, ip("10.0.1.10"), Some(40000), ip("8.8.8.8"))
            .unwrap();
        let p2 = n
            .outbound(0, proto::TCP, ip("10.0.1.11"), Some(40000), ip("8.8.8.8"))
            .unwrap();
        assert_ne!(p1, p2);
        assert_eq!(
            n.outbound(1, proto::TCP, ip("10.0.1.10"), Some(40000), ip("8.8.8.8")),
            Some(p1)
        );
        assert_eq!(n.mapped(1, proto::TCP, ip("10.0.1.10"), 40000), Some(p1));
        assert_eq!(n.mapped(1, proto::UDP, ip("10.0.1.10"), 40000), None);
        assert_eq!(
            n.inbound(2, proto::TCP, Some(p2), ip("8.8.8.8")),
            Some((ip("10.0.1.11"), 40000))
        );
        assert_eq!(n.inbound(2, proto::UDP, Some(p2), ip("8.8.8.8")), None);
    }

    #[test]
    fn idle_mappings_expire_after_350s() {
        let mut n = NatTable::default();
        let p = n
            .outbound(0, proto::UDP, ip("10.0.1.10"), Some(5000), ip("8.8.8.8"))
            .unwrap();
        assert!(n
            .inbound(NAT_IDLE_TIMEOUT_NS, proto::UDP, Some(p), ip("8.8.8.8"))
            .is_some());
        assert!(n
            .inbound(
                2 * NAT_IDLE_TIMEOUT_NS + 1,
                proto::UDP,
                Some(p),
                ip("8.8.8.8")
            )
            .is_none());
        assert_eq!(
            n.mapped(4 * NAT_IDLE_TIMEOUT_NS, proto::UDP, ip("10.0.1.10"), 5000),
            None
        );
    }

    #[test]
    fn echo_identifiers_are_translated_like_ports() {
        let mut n = NatTable::default();
        // Two instances ping the same remote with the same identifier.
        let a = n
            .outbound(0, proto::ICMP, ip("10.0.1.10"), Some(7), ip("1.1.1.1"))
            .unwrap();
        let b = n
            .outbound(0, proto::ICMP, ip("10.0.1.11"), Some(7), ip("1.1.1.1"))
            .unwrap();
        assert_ne!(a, b);
        assert_eq!(
            n.inbound(1, proto::ICMP, Some(a), ip("1.1.1.1")),
            Some((ip("10.0.1.10"), 7))
        );
        assert_eq!(
            n.inbound(1, proto::ICMP, Some(b), ip("1.1.1.1")),
            Some((ip("10.0.1.11"), 7))
        );
    }

    #[test]
    fn unported_packets_map_per_remote() {
        let mut n = NatTable::default();
        assert_eq!(
            n.outbound(0, proto::ICMP, ip("10.0.1.10"), None, ip("1.1.1.1")),
            Some(0)
        );
        assert_eq!(
            n.inbound(1, proto::ICMP, None, ip("1.1.1.1")),
            Some((ip("10.0.1.10"), 0))
        );
        assert_eq!(n.inbound(1, proto::ICMP, None, ip("9.9.9.9")), None);
    }

    #[test]
    fn ports_run_out_then_free_up_after_the_idle_timeout() {
        let mut n = NatTable::default();
        let remote = ip("8.8.8.8");
        for i in 0..PUBLIC_PORTS {
            let private = Ipv4Addr::from(0x0a00_0000 + i);
            assert!(n
                .outbound(0, proto::UDP, private, Some(5000), remote)
                .is_some());
        }
        let last = ip("10.255.255.255");
        assert_eq!(n.outbound(1, proto::UDP, last, Some(5000), remote), None);
        // TCP has its own ports.
        assert!(n
            .outbound(1, proto::TCP, last, Some(5000), remote)
            .is_some());
        let later = NAT_IDLE_TIMEOUT_NS + 1;
        assert!(n
            .outbound(later, proto::UDP, last, Some(5000), remote)
            .is_some());
    }
}
