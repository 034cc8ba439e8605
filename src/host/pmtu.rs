//! The per-destination path MTU cache, like Linux's route cache exceptions: an
//! ICMP "fragmentation needed"/"packet too big" lowers a destination's path MTU, and
//! the entry expires after `net.ipv4.route.mtu_expires` (600 s by default; IPv6 uses
//! the same default), after which the host tries its interface MTU again. Times are
//! virtual nanoseconds.

use std::collections::BTreeMap;
use std::net::IpAddr;

/// Linux's `net.ipv4.route.mtu_expires` default: 600 s.
pub const MTU_EXPIRES_NS: u64 = 600_000_000_000;

#[derive(Debug, Clone, Default)]
pub struct PathMtuCache {
    /// Destination → (path MTU, when it was learned).
    entries: BTreeMap<IpAddr, (u16, u64)>,
}

impl PathMtuCache {
    /// The path MTU to use towards `dst` at `now_ns`; `None` (the interface MTU)
    /// when nothing was learned or the entry expired.
    #[inline]
    pub fn get(&self, dst: IpAddr, now_ns: u64) -> Option<u16> {
        if self.entries.is_empty() {
            return None;
        }
        self.entries
            .get(&dst)
            .filter(|&&(_, at)| now_ns.saturating_sub(at) < MTU_EXPIRES_NS)
            .map(|&(mtu, _)| mtu)
    }

    /// Nothing learned yet: no packet needs a lookup.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The last path MTU learned towards `dst`, expired or not (for reports).
    pub fn last_learned(&self, dst: IpAddr) -> Option<u16> {
        self.entries.get(&dst).map(|&(mtu, _)| mtu)
    }

    /// An ICMP error advertised `mtu` towards `dst`. Like Linux, only a decrease
    /// below the current value (the interface MTU `iface_mtu` once expired) is
    /// taken; it restarts the expiry clock. Returns whether the cache changed.
    pub fn learn(&mut self, dst: IpAddr, mtu: u16, now_ns: u64, iface_mtu: u16) -> bool {
        let current = self.get(dst, now_ns).unwrap_or(iface_mtu);
        if mtu < current {
            self.entries.insert(dst, (mtu, now_ns));
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const D: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 20, 1, 10));

    #[test]
    fn learned_mtu_expires_after_600_s() {
        let mut c = PathMtuCache::default();
        assert_eq!(c.get(D, 0), None);
        assert!(c.learn(D, 1500, 1_000, 9001));
        assert_eq!(c.get(D, 1_000 + MTU_EXPIRES_NS - 1), Some(1500));
        assert_eq!(c.get(D, 1_000 + MTU_EXPIRES_NS), None);
        assert_eq!(c.last_learned(D), Some(1500));
    }

    #[test]
    fn only_decreases_are_taken_until_expiry() {
        let mut c = PathMtuCache::default();
        assert!(!c.learn(D, 9001, 0, 9001));
        assert!(c.learn(D, 1500, 0, 9001));
        assert!(!c.learn(D, 8500, 10, 9001));
        assert!(c.learn(D, 1400, 20, 9001));
        assert_eq!(c.get(D, 30), Some(1400));
        // Expired: a larger value than the old entry is learned again.
        assert!(c.learn(D, 8500, 20 + MTU_EXPIRES_NS, 9001));
        assert_eq!(c.get(D, 20 + MTU_EXPIRES_NS), Some(8500));
    }
}
