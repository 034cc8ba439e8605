//! The router's per-flow cache (issue #18): the forwarding decision of a flow
//! whose packets go from one ENI straight to another (within a VPC or over a
//! peering), remembered so that the flow's next packets skip the route lookup,
//! the peering, NACL and address checks, and the latency and charge sums.
//!
//! Exact by construction:
//! * What is cached depends only on the packet's addresses, protocol, ports (or
//!   ICMP type, code and identifier) and on the router's tables; the cache key
//!   holds all of those fields, and every change to the tables (`[[change]]`,
//!   rule and status replacements) empties the cache.
//! * The per-packet parts are still done per packet: the MTU compare (a packet
//!   larger than the cached link MTU takes the full pipeline) and both ENIs'
//!   connection tracking. A hit needs *both* tables to hold the flow, exactly the
//!   lookup and refresh the full pipeline makes (through handles to both entries,
//!   kept in the cache entry, which skip the hash probes but find what the
//!   keyed lookup finds: see `conntrack::FlowHandle`); when either misses, the packet
//!   takes the full pipeline, which evaluates the rules. Refreshing an entry twice
//!   with one packet (the source ENI's, when only the destination missed) leaves
//!   it as refreshing it once does (`ConnTrack` tests:
//!   `refreshing_twice_with_one_packet_is_refreshing_once`).
//! * Only untraced processing (`NoTrace`) uses it: `peeremu trace` and `run
//!   --explain` record every step of the full pipeline.
//! * A flow is learned only from a packet that both security groups passed as
//!   tracked (not its first packet), so one-packet flows cost no entry.
//!
//! Not cached: IPv6, fragments, ICMP errors, anything crossing a gateway, a
//! transit gateway, a forwarding instance, PrivateLink, or arriving at an ENI with
//! its source/destination check off (a NAT instance's replies are stateful).

use super::{Dataplane, Egress};
use crate::model::{Charges, EniIdx, PcxIdx};
use crate::policy::conntrack::{fold128, FlowHandle, FxBuild, Normalized};
use crate::wire::{FlowKey, FragmentKind, IcmpKind};
use std::collections::HashMap;
use std::net::IpAddr;

/// Entries held at most; when full the cache is emptied (and relearned), which
/// bounds its memory on runs with millions of short flows.
const MAX_ENTRIES: usize = 1 << 18;

/// The ingress ENI and the packet's fields that decide its path, packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CacheKey(u32, u128);

impl std::hash::Hash for CacheKey {
    /// One hasher round (see `ConnKey`'s `Hash`).
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(fold128(self.1) ^ u64::from(self.0).rotate_left(40));
    }
}

/// The cache key of `key` entering at `eni`, when its kind of packet is cached:
/// IPv4, not a fragment, not an ICMP error. A flow key has ports only for TCP
/// and UDP and an ICMP identifier, type and code only for ICMP, so
/// `src_port | icmp_id` loses nothing.
#[inline]
fn cache_key(eni: EniIdx, key: &FlowKey) -> Option<CacheKey> {
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (key.src, key.dst) else {
        return None;
    };
    if key.fragment != FragmentKind::Whole || key.icmp_kind() == Some(IcmpKind::Error) {
        return None;
    }
    let tuple = (u128::from(u32::from(src)) << 96)
        | (u128::from(u32::from(dst)) << 64)
        | (u128::from(key.src_port | key.icmp_id) << 48)
        | (u128::from(key.dst_port) << 32)
        | (u128::from(key.protocol) << 16)
        | (u128::from(key.icmp_type) << 8)
        | u128::from(key.icmp_code);
    Some(CacheKey(eni.0, tuple))
}

/// A flow's cached hop: where it goes and how.
#[derive(Debug, Clone, Copy)]
struct Hop {
    /// The flow's conntrack key and direction (kept: derived from the cache
    /// key's fields alone).
    norm: Normalized,
    /// The flow's entries in the source's and the destination's connection
    /// tables (refreshed through these, no hash probe: see [`FlowHandle`]).
    src_ct: FlowHandle,
    dst_ct: FlowHandle,
    to: EniIdx,
    mac: [u8; 6],
    /// The narrowest MTU on the way (link or receiving interface).
    mtu: u16,
    charges: Charges,
    via: Option<PcxIdx>,
    latency_ns: u64,
}

/// A frame the cache forwarded: its MACs rewritten, where to and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub to: Egress,
    pub frame: Vec<u8>,
    pub latency_ns: u64,
    pub via_peering: Option<PcxIdx>,
    pub charges: Charges,
}

impl Delivery {
    /// The same as the full pipeline's action.
    #[inline]
    pub fn into_action(self) -> super::Action {
        super::Action::Deliver {
            to: self.to,
            frame: self.frame,
            latency_ns: self.latency_ns,
            via_peering: self.via_peering,
            via_tgw: None,
            charges: self.charges,
        }
    }
}

/// The cache, with the key of the packet being learned from (see
/// [`Dataplane::learn_flow`]).
#[derive(Debug, Clone, Default)]
pub(super) struct FlowCache {
    hops: HashMap<CacheKey, Hop, FxBuild>,
    learning: Option<CacheKey>,
}

impl FlowCache {
    /// Forget every cached path (the tables changed).
    pub fn clear(&mut self) {
        self.hops.clear();
        self.learning = None;
    }

    /// Cached paths (tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.hops.len()
    }

    /// Stop learning from the packet in process (its path is not a cached kind).
    #[inline]
    pub fn stop_learning(&mut self) {
        self.learning = None;
    }

    /// The key of the packet in process, when it may still be learned from
    /// (taken: a packet is learned from once).
    #[inline]
    pub fn take_learning(&mut self) -> Option<CacheKey> {
        self.learning.take()
    }
}

impl Dataplane {
    /// The cached path of `key` entering at `ingress`: delivered as cached when
    /// the packet fits the path's MTU and both ENIs' connection tables track its
    /// flow; else the frame back, for the full pipeline (which learns from it
    /// when its kind is cached).
    #[inline]
    pub(super) fn cached_hop(
        &mut self,
        now: u64,
        ingress: super::Ingress,
        key: &FlowKey,
        mut frame: Vec<u8>,
    ) -> Result<Delivery, Vec<u8>> {
        self.flow_cache.learning = None;
        let super::Ingress::Eni(src) = ingress else {
            return Err(frame);
        };
        let Some(ck) = cache_key(src, key) else {
            return Err(frame);
        };
        let Some(&hop) = self.flow_cache.hops.get(&ck) else {
            self.flow_cache.learning = Some(ck);
            return Err(frame);
        };
        let n = hop.norm.with_tcp_flags(key.tcp_flags);
        let tracked = key.ip_len <= hop.mtu
            && !self.departing
            && frame.len() >= crate::wire::ETHERNET_HEADER_LEN
            && self
                .conntrack
                .get_mut(src.ix())
                .is_some_and(|ct| ct.lookup_handle(now, hop.src_ct, &n).is_some())
            && self
                .conntrack
                .get_mut(hop.to.ix())
                .is_some_and(|ct| ct.lookup_handle(now, hop.dst_ct, &n).is_some());
        if !tracked {
            self.flow_cache.learning = Some(ck);
            return Err(frame);
        }
        // Cannot fail: the length was checked above.
        let _ = crate::wire::set_macs(&mut frame, super::ROUTER_MAC, hop.mac);
        Ok(Delivery {
            to: Egress::Eni(hop.to),
            frame,
            latency_ns: hop.latency_ns,
            via_peering: hop.via,
            charges: hop.charges,
        })
    }

    /// Remember the path of the packet `ck` (see [`FlowCache::take_learning`]),
    /// which the full pipeline is delivering to ENI `to` unchanged but for its
    /// MACs.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn learn_flow(
        &mut self,
        ck: CacheKey,
        key: &FlowKey,
        to: EniIdx,
        mac: [u8; 6],
        mtu: u16,
        latency_ns: u64,
        via: Option<PcxIdx>,
        charges: Charges,
    ) {
        if self.flow_cache.hops.len() >= MAX_ENTRIES {
            self.flow_cache.hops.clear();
        }
        let norm = Normalized::of(key);
        let handle = |e: usize| {
            self.conntrack
                .get(e)
                .map_or(FlowHandle::NONE, |ct| ct.handle(&norm))
        };
        let (src_ct, dst_ct) = (handle(ck.0 as usize), handle(to.ix()));
        self.flow_cache.hops.insert(
            ck,
            Hop {
                norm,
                src_ct,
                dst_ct,
                to,
                mac,
                mtu,
                charges,
                via,
                latency_ns,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_frame;

    #[test]
    fn keys_tell_apart_every_field_that_decides_a_path() {
        let key = |f: &dyn Fn(&mut FlowKey)| {
            let mut k = parse_frame(&crate::dataplane::test_net::frames::udp(
                "10.0.1.10",
                "10.0.2.20",
                1000,
                53,
                20,
                true,
            ))
            .unwrap();
            f(&mut k);
            cache_key(EniIdx(3), &k)
        };
        let base = key(&|_| {});
        assert!(base.is_some());
        assert_ne!(base, key(&|k| k.src_port = 1001));
        assert_ne!(base, key(&|k| k.dst_port = 54));
        assert_ne!(base, key(&|k| k.protocol = 6));
        assert_ne!(base, key(&|k| k.src = "10.0.1.11".parse().unwrap()));
        assert_ne!(base, key(&|k| k.dst = "10.0.2.21".parse().unwrap()));
        assert_ne!(
            base,
            cache_key(
                EniIdx(4),
                &parse_frame(&crate::dataplane::test_net::frames::udp(
                    "10.0.1.10",
                    "10.0.2.20",
                    1000,
                    53,
                    20,
                    true
                ))
                .unwrap()
            )
        );
        // Not cached: fragments, IPv6, ICMP errors.
        assert_eq!(key(&|k| k.fragment = FragmentKind::First), None);
        assert_eq!(key(&|k| k.dst = "fd00::1".parse().unwrap()), None);
        assert_eq!(
            key(&|k| {
                k.protocol = 1;
                k.src_port = 0;
                k.dst_port = 0;
                k.icmp_type = 3;
                k.icmp_code = 4;
            }),
            None
        );
        // Echo requests with different identifiers are different flows.
        let echo = |id| {
            key(&|k| {
                k.protocol = 1;
                k.src_port = 0;
                k.dst_port = 0;
                k.icmp_type = 8;
                k.icmp_id = id;
            })
        };
        assert!(echo(1).is_some());
        assert_ne!(echo(1), echo(2));
    }
}
