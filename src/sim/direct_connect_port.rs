//! A Direct Connect connection's port: one link each way, shared by every
//! on-premises host behind the connection.
//!
//! AWS sells a connection by port speed (`bandwidth_gbps`); its virtual
//! interfaces, private and transit, are VLANs on that one port and share its
//! bandwidth (a VIF has no rate of its own). So two hosts
//! behind one connection that send at once queue behind each other on the port
//! and each gets about half of it. Modelled as a [`Link`] per direction (the
//! same serialization and drop-tail queue as every other link): the hosts' own
//! links are then infinitely fast, and every frame crosses the port.

use super::{Attachment, Link, LinkParams};
use crate::model::{DxIdx, ExternalSite, Network};

/// The ports of the connections that have hosts taking part in the run.
#[derive(Debug, Default)]
pub(super) struct DxPorts {
    /// Per port: towards AWS (the hosts' uplink) and towards on premises.
    links: Vec<[Link; 2]>,
    /// Connection → its port, once a host behind it needed one.
    by_dx: Vec<Option<u32>>,
}

impl DxPorts {
    /// The port of the host at `a` when it is behind a Direct Connect
    /// connection (created on first use, with `host_link`'s queue bound and
    /// latency and the connection's speed), else `None`.
    pub fn port_of(&mut self, net: &Network, a: Attachment, host_link: LinkParams) -> Option<u32> {
        let Attachment::External(h) = a else {
            return None;
        };
        let ExternalSite::DirectConnect(d) = net.external_hosts.get(h.ix())?.site else {
            return None;
        };
        let DxIdx(i) = d;
        let i = i as usize;
        let dx = net.direct_connects.get(i)?;
        if self.by_dx.len() <= i {
            self.by_dx.resize(i + 1, None);
        }
        if let Some(p) = self.by_dx[i] {
            return Some(p);
        }
        let p = self.links.len() as u32;
        let params = LinkParams {
            bandwidth_bps: dx.bandwidth_bps,
            latency_ns: 0,
            ..host_link
        };
        self.links.push([Link::new(params), Link::new(params)]);
        self.by_dx[i] = Some(p);
        Some(p)
    }

    /// A frame of `bytes` from a host behind port `p`, off its own link at
    /// `at`: when its last bit is through the port, or the queue was full. The
    /// host's own TCP segments wait for room, as on its own link
    /// ([`Link::enqueue`]).
    #[inline]
    pub fn up(&mut self, p: u32, at: u64, bytes: usize, tcp: bool) -> Result<u64, &'static str> {
        let Some([l, _]) = self.links.get_mut(p as usize) else {
            return Ok(at);
        };
        if tcp {
            Ok(l.enqueue(at, bytes))
        } else {
            l.send(at, bytes)
                .map_err(|_| "Direct Connect port queue full (towards AWS)")
        }
    }

    /// A frame of `bytes` for a host behind port `p`, reaching the port at `at`.
    #[inline]
    pub fn down(&mut self, p: u32, at: u64, bytes: usize) -> Result<u64, &'static str> {
        let Some([_, l]) = self.links.get_mut(p as usize) else {
            return Ok(at);
        };
        l.send(at, bytes)
            .map_err(|_| "Direct Connect port queue full (towards on premises)")
    }
}
