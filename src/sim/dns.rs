//! The frames of flows' DNS lookups (`crate::route53::lookup`), made once before
//! the run: addresses and ports from the flow's plan and the seed.

use super::CapturePoint;
use crate::host::FlowPlan;
use crate::model::{Endpoint, Network};
use crate::rng::SplitMix64;
use crate::route53::lookup::{frames, LookupFrames};

/// One lookup to put on the wire.
pub struct Lookup {
    pub frames: LookupFrames,
}

/// Per plan: where the lookup is seen and its frames (`None`: the flow names
/// its destination by object, or its source has no resolver on the network).
pub fn frames_for(
    net: &Network,
    seed: u64,
    plans: &[FlowPlan],
) -> Vec<Option<(CapturePoint, Lookup)>> {
    plans
        .iter()
        .map(|p| {
            let f = net.flows.get(p.flow.ix())?;
            let l = f.dns.as_ref()?;
            let (point, mac) = match f.src {
                Endpoint::Eni(e) => (CapturePoint::Eni(e), net.enis.get(e.ix())?.mac),
                Endpoint::External(h) => {
                    (CapturePoint::External(h), crate::dataplane::EXTERNAL_MAC)
                }
            };
            // The stub's source port and the message id: drawn per flow from
            // the seed, so reruns are byte-identical.
            let mut rng = SplitMix64::new(SplitMix64::derive(seed, 9, p.flow.ix() as u64));
            let r = rng.next_u64();
            let port = 32768 + (r % 28232) as u16; // Linux's ephemeral range
            let id = (r >> 32) as u16;
            let client = match l.server? {
                std::net::IpAddr::V4(_) => match f.src {
                    Endpoint::Eni(e) => std::net::IpAddr::V4(net.enis.get(e.ix())?.private_ip),
                    Endpoint::External(h) => net.external_hosts.get(h.ix())?.ip,
                },
                std::net::IpAddr::V6(_) => p.src_ip,
            };
            // The TCP retry's initial sequence numbers (client, server).
            let isn = rng.next_u64();
            let fr = frames(l, client, mac, crate::dataplane::ROUTER_MAC, port, id, isn)?;
            Some((point, Lookup { frames: fr }))
        })
        .collect()
}
