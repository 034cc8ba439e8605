//! The large example: 50 spokes peered with a hub, 10 000 flows, all delivered.

use peeremu::output::Outcome;
use peeremu::sim::{run_network, HubAndSpokes, NullObserver, SimConfig};

#[test]
fn fifty_spokes_ten_thousand_flows() {
    let s = HubAndSpokes {
        packets_per_flow: 3,
        ..Default::default()
    };
    let net = s.build();
    assert_eq!(net.flows.len(), 10_000);
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    let bad: Vec<_> = r
        .reports
        .iter()
        .filter(|f| f.outcome != Outcome::Delivered)
        .map(|f| (f.name.clone(), f.outcome, f.drops.clone(), f.notes.clone()))
        .take(5)
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(r.totals.frames >= 10_000 * 3);
}
