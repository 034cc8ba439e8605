//! Longest-prefix-match tables for IPv4 and IPv6 with a generic value.
//!
//! This placeholder is a simple correct table (sorted by prefix length, linear
//! scan) with the final API; the LPM work replaces its internals.

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{Ipv4Addr, Ipv6Addr};

/// IPv4 longest-prefix-match table.
#[derive(Debug, Clone)]
pub struct Lpm4<V> {
    routes: Vec<(Ipv4Net, V)>,
}

impl<V> Default for Lpm4<V> {
    fn default() -> Self {
        Lpm4 { routes: Vec::new() }
    }
}

impl<V> Lpm4<V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Build from a route list; a later duplicate prefix replaces an earlier one.
    pub fn from_routes(routes: impl IntoIterator<Item = (Ipv4Net, V)>) -> Self {
        let mut t = Self::new();
        for (n, v) in routes {
            t.insert(n, v);
        }
        t
    }

    /// Insert or replace; returns the old value.
    pub fn insert(&mut self, net: Ipv4Net, value: V) -> Option<V> {
        let net = net.trunc();
        if let Some(slot) = self.routes.iter_mut().find(|(n, _)| *n == net) {
            return Some(std::mem::replace(&mut slot.1, value));
        }
        self.routes.push((net, value));
        self.routes
            .sort_by(|a, b| b.0.prefix_len().cmp(&a.0.prefix_len()));
        None
    }

    pub fn remove(&mut self, net: Ipv4Net) -> Option<V> {
        let net = net.trunc();
        let pos = self.routes.iter().position(|(n, _)| *n == net)?;
        Some(self.routes.remove(pos).1)
    }

    /// The value of the longest prefix containing `addr`, with that prefix.
    pub fn lookup_prefix(&self, addr: Ipv4Addr) -> Option<(Ipv4Net, &V)> {
        self.routes
            .iter()
            .find(|(n, _)| n.contains(&addr))
            .map(|(n, v)| (*n, v))
    }

    /// The value of the longest prefix containing `addr`.
    pub fn lookup(&self, addr: Ipv4Addr) -> Option<&V> {
        self.lookup_prefix(addr).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

/// IPv6 longest-prefix-match table.
#[derive(Debug, Clone)]
pub struct Lpm6<V> {
    routes: Vec<(Ipv6Net, V)>,
}

impl<V> Default for Lpm6<V> {
    fn default() -> Self {
        Lpm6 { routes: Vec::new() }
    }
}

impl<V> Lpm6<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_routes(routes: impl IntoIterator<Item = (Ipv6Net, V)>) -> Self {
        let mut t = Self::new();
        for (n, v) in routes {
            t.insert(n, v);
        }
        t
    }

    pub fn insert(&mut self, net: Ipv6Net, value: V) -> Option<V> {
        let net = net.trunc();
        if let Some(slot) = self.routes.iter_mut().find(|(n, _)| *n == net) {
            return Some(std::mem::replace(&mut slot.1, value));
        }
        self.routes.push((net, value));
        self.routes
            .sort_by(|a, b| b.0.prefix_len().cmp(&a.0.prefix_len()));
        None
    }

    pub fn remove(&mut self, net: Ipv6Net) -> Option<V> {
        let net = net.trunc();
        let pos = self.routes.iter().position(|(n, _)| *n == net)?;
        Some(self.routes.remove(pos).1)
    }

    pub fn lookup_prefix(&self, addr: Ipv6Addr) -> Option<(Ipv6Net, &V)> {
        self.routes
            .iter()
            .find(|(n, _)| n.contains(&addr))
            .map(|(n, v)| (*n, v))
    }

    pub fn lookup(&self, addr: Ipv6Addr) -> Option<&V> {
        self.lookup_prefix(addr).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}
