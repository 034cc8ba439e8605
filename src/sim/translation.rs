//! Receivers of translated sources: a flow from a private instance to the internet
//! reaches its receiver from the NAT gateway's Elastic IP and a public port the
//! gateway chose at run time, or from the instance's public IP (internet gateway,
//! 1:1). The receiving host knows its flows by their untranslated source, so before
//! it reads such a frame the engine asks the fabric who is behind that public
//! endpoint ([`Fabric::untranslate`]) and tells the host
//! ([`Host::learn_source_alias`]), as a real server simply sees the public address.
//!
//! Only hosts that serve a flow from an instance that can be translated (one with a
//! public IP, or in a VPC with a NAT gateway) look at their frames' sources, and
//! only frames from a translating address go further, so other runs pay one
//! flag test per delivered frame.

use super::Fabric;
use crate::host::{FlowPlan, Host};
use crate::model::{proto, Endpoint, Network};
use crate::policy::conntrack::FxBuild;
use crate::wire::ETHERNET_HEADER_LEN;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

/// (host, protocol, public address, public port, destination port).
type SeenKey = (u32, u8, Ipv4Addr, u16, u16);

/// The engine's side of source translation for receivers.
#[derive(Debug, Default)]
pub struct TranslatedSources {
    /// Per host (simulation index): whether it serves a flow whose source may be
    /// translated.
    watch: Vec<bool>,
    /// Every address a gateway translates to: NAT gateways' Elastic IPs and
    /// instances' public IPs.
    public: HashSet<Ipv4Addr, FxBuild>,
    /// What each host was last told about a public endpoint (NAT gateways reuse a
    /// public port for another flow once the old mapping idled out).
    told: HashMap<SeenKey, (IpAddr, u16), FxBuild>,
}

impl TranslatedSources {
    pub fn new(net: &Network, plans: &[FlowPlan], hosts: usize) -> Self {
        let mut t = TranslatedSources {
            watch: vec![false; hosts],
            ..Default::default()
        };
        t.public
            .extend(net.nat_gateways.iter().map(|n| n.public_ip));
        t.public.extend(net.enis.iter().filter_map(|e| e.public_ip));
        // NAT instances masquerade to their ENIs' private addresses, for any
        // VPC that routes to them (peered, through a TGW).
        let nat_instances: Vec<&crate::model::Instance> = net
            .instances
            .iter()
            .filter(|i| i.forward == crate::model::Forwarding::Nat)
            .collect();
        for i in &nat_instances {
            t.public.extend(
                i.enis
                    .iter()
                    .filter_map(|e| net.enis.get(e.ix()))
                    .map(|e| e.private_ip),
            );
        }
        // PrivateLink: targets see an NLB node's address; watch them.
        for lb in &net.load_balancers {
            t.public.extend(
                lb.nodes
                    .iter()
                    .filter_map(|n| net.enis.get(n.ix()))
                    .map(|e| e.private_ip),
            );
        }
        for (f, p) in net.flows.iter().zip(plans) {
            let Endpoint::Eni(e) = f.dst else { continue };
            if matches!(
                net.privatelink_role(e),
                Some(crate::model::PrivateLinkRole::Endpoint(_))
            ) {
                if let Some(w) = t.watch.get_mut(p.dst_host) {
                    *w = true;
                }
            }
        }
        if t.public.is_empty() {
            return t;
        }
        let nat_vpcs: HashSet<_, FxBuild> = net.nat_gateways.iter().map(|n| n.vpc).collect();
        for (f, p) in net.flows.iter().zip(plans) {
            let Endpoint::Eni(e) = f.src else { continue };
            let Some(eni) = net.enis.get(e.ix()) else {
                continue;
            };
            let translatable =
                eni.public_ip.is_some() || nat_vpcs.contains(&eni.vpc) || !nat_instances.is_empty();
            if translatable && p.src_ip.is_ipv4() {
                if let Some(w) = t.watch.get_mut(p.dst_host) {
                    *w = true;
                }
            }
        }
        t
    }

    /// A frame is about to reach `host` (index `h`): if it comes from a translated
    /// TCP or UDP source the host has not been told about, tell it.
    #[inline]
    pub fn observe(&mut self, h: usize, frame: &[u8], fabric: &dyn Fabric, host: &mut Host) {
        if !self.watch.get(h).copied().unwrap_or(false) {
            return;
        }
        let Some((protocol, src, sport, dport)) = ported_ipv4(frame) else {
            return;
        };
        if !self.public.contains(&src) {
            return;
        }
        let Some(original) = fabric.untranslate(IpAddr::V4(src), protocol, sport) else {
            return;
        };
        let key = (h as u32, protocol, src, sport, dport);
        if self.told.get(&key) == Some(&original) {
            return;
        }
        self.told.insert(key, original);
        host.learn_source_alias(protocol, (IpAddr::V4(src), sport), original, dport);
    }
}

/// (protocol, source, source port, destination port) of an IPv4 TCP or UDP frame
/// that carries its ports (whole, or a first fragment).
#[inline]
fn ported_ipv4(frame: &[u8]) -> Option<(u8, Ipv4Addr, u16, u16)> {
    let ip = frame.get(ETHERNET_HEADER_LEN..)?;
    let first = *ip.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let protocol = *ip.get(9)?;
    if !matches!(protocol, proto::TCP | proto::UDP) {
        return None;
    }
    let frag = ip.get(6..8)?;
    if (frag[0] & 0x1f) | frag[1] != 0 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    let src = Ipv4Addr::new(*ip.get(12)?, ip[13], ip[14], ip[15]);
    let ports = ip.get(ihl..ihl + 4)?;
    Some((
        protocol,
        src,
        u16::from_be_bytes([ports[0], ports[1]]),
        u16::from_be_bytes([ports[2], ports[3]]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    #[test]
    fn ports_are_read_from_whole_datagrams_and_first_fragments_only() {
        let mut frame = Vec::new();
        PacketBuilder::ethernet2([2; 6], [4; 6])
            .ipv4([54, 0, 0, 5], [93, 184, 216, 34], 64)
            .udp(1024, 443)
            .write(&mut frame, &[0u8; 3000])
            .expect("build");
        let want = Some((proto::UDP, Ipv4Addr::new(54, 0, 0, 5), 1024, 443));
        assert_eq!(ported_ipv4(&frame), want);
        let mut pieces = Vec::new();
        crate::wire::fragment_ipv4(&frame, 1500, &mut pieces).expect("fragments");
        assert_eq!(ported_ipv4(&pieces[0]), want);
        assert_eq!(ported_ipv4(&pieces[1]), None);
        assert_eq!(ported_ipv4(&frame[..20]), None);
    }
}
