//! NAT gateway source translation: private (address, port) ↔ public port, with
//! AWS's 350 s idle timeout. Deterministic port allocation (a cycling counter).

use crate::model::proto;
use crate::policy::conntrack::FxBuild;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// AWS NAT gateway idle timeout.
pub const NAT_IDLE_TIMEOUT_NS: u64 = 350 * 1_000_000_000;
const FIRST_PORT: u16 = 1024;
const PORTS: u32 = 65536 - FIRST_PORT as u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Private {
    protocol: u8,
    ip: Ipv4Addr,
    port: u16,
    /// ICMP has no ports in a flow key: its mapping is per remote address.
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

fn is_icmp(protocol: u8) -> bool {
    protocol == proto::ICMP
}

impl NatTable {
    /// The public port for an outbound flow (allocating one if new). ICMP keeps
    /// port 0. `None`: every port is in use by a live flow.
    pub fn outbound(
        &mut self,
        now_ns: u64,
        protocol: u8,
        ip: Ipv4Addr,
        port: u16,
        remote: Ipv4Addr,
    ) -> Option<u16> {
        let icmp = is_icmp(protocol);
        let key = Private {
            protocol,
            ip,
            port,
            remote: if icmp { remote } else { Ipv4Addr::UNSPECIFIED },
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
        let public_port = if icmp {
            0
        } else {
            self.allocate(now_ns, protocol)?
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
            (ip, port, now_ns),
        );
        Some(public_port)
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

    /// The private (address, port) a reply to `public_port` goes to.
    pub fn inbound(
        &mut self,
        now_ns: u64,
        protocol: u8,
        public_port: u16,
        remote: Ipv4Addr,
    ) -> Option<(Ipv4Addr, u16)> {
        let key = Public {
            protocol,
            port: public_port,
            remote: if is_icmp(protocol) {
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

    /// Remember who the fragments from `remote` belong to.
    pub fn note_first_fragment(&mut self, remote: Ipv4Addr, private: Ipv4Addr) {
        self.fragments_from.insert(remote, private);
    }

    /// The private owner of non-first fragments from `remote`.
    pub fn fragment_owner(&self, remote: Ipv4Addr) -> Option<Ipv4Addr> {
        self.fragments_from.get(&remote).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn ports_are_allocated_and_reversed() {
        let mut n = NatTable::default();
        let p1 = n
            .outbound(0, proto::TCP, ip("10.0.1.10"), 40000, ip("8.8.8.8"))
            .unwrap();
        let p2 = n
            .outbound(0, proto::TCP, ip("10.0.1.11"), 40000, ip("8.8.8.8"))
            .unwrap();
        assert_ne!(p1, p2);
        assert_eq!(
            n.outbound(1, proto::TCP, ip("10.0.1.10"), 40000, ip("8.8.8.8")),
            Some(p1)
        );
        assert_eq!(
            n.inbound(2, proto::TCP, p2, ip("8.8.8.8")),
            Some((ip("10.0.1.11"), 40000))
        );
        assert_eq!(n.inbound(2, proto::UDP, p2, ip("8.8.8.8")), None);
    }

    #[test]
    fn idle_mappings_expire_after_350s() {
        let mut n = NatTable::default();
        let p = n
            .outbound(0, proto::UDP, ip("10.0.1.10"), 5000, ip("8.8.8.8"))
            .unwrap();
        assert!(n
            .inbound(NAT_IDLE_TIMEOUT_NS, proto::UDP, p, ip("8.8.8.8"))
            .is_some());
        assert!(n
            .inbound(2 * NAT_IDLE_TIMEOUT_NS + 1, proto::UDP, p, ip("8.8.8.8"))
            .is_none());
    }

    #[test]
    fn icmp_maps_per_remote() {
        let mut n = NatTable::default();
        assert_eq!(
            n.outbound(0, proto::ICMP, ip("10.0.1.10"), 0, ip("1.1.1.1")),
            Some(0)
        );
        assert_eq!(
            n.inbound(1, proto::ICMP, 0, ip("1.1.1.1")),
            Some((ip("10.0.1.10"), 0))
        );
        assert_eq!(n.inbound(1, proto::ICMP, 0, ip("9.9.9.9")), None);
    }
}
