//! The hot path allocates nothing per frame once warm: a counting global
//! allocator watches `Dataplane::process` over many frames on each kind of path.

use peeremu::dataplane::test_net::frames;
use peeremu::dataplane::{Action, Dataplane, Ingress};
use peeremu::model::{EniIdx, Network};
use std::path::Path;

mod alloc_support;

#[global_allocator]
static GLOBAL: alloc_support::Counting = alloc_support::Counting;

fn load(name: &str) -> Network {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("topologies")
        .join(name);
    peeremu::topology::load_file(&path).expect("example topology loads")
}

fn eni(net: &Network, instance: &str) -> EniIdx {
    match net.endpoint_by_name(instance) {
        Some(peeremu::model::Endpoint::Eni(e)) => e,
        other => panic!("{instance}: {other:?}"),
    }
}

fn host(net: &Network, name: &str) -> peeremu::model::HostIdx {
    match net.endpoint_by_name(name) {
        Some(peeremu::model::Endpoint::External(h)) => h,
        other => panic!("{name}: {other:?}"),
    }
}

/// Send `template` again and again (each delivery hands the buffer back, refilled
/// from the template since gateways rewrite it) and count allocations after
/// `rounds` warm-up rounds.
fn allocations(dp: &mut Dataplane, ingress: Ingress, template: Vec<u8>, rounds: usize) -> usize {
    let mut frame = template.clone();
    let mut out = Vec::with_capacity(8);
    let mut now = 0;
    let mut round = || {
        now += 1000;
        dp.process(now, ingress, std::mem::take(&mut frame), &mut out);
        frame = match out.pop() {
            Some(Action::Deliver { mut frame, .. }) => {
                frame.clear();
                frame.extend_from_slice(&template);
                frame
            }
            other => panic!(
                "expected a delivery, got {:?}",
                other.map(|a| format!("{a:?}").chars().take(200).collect::<String>())
            ),
        };
        out.clear();
    };
    for _ in 0..rounds {
        round();
    }
    alloc_support::allocations(|| {
        for _ in 0..rounds {
            round();
        }
    })
}

#[test]
fn no_allocation_per_frame_once_warm() {
    let net = load("two-vpc-peering.toml");
    let mut dp = Dataplane::new(&net);
    let (app, db) = (eni(&net, "app"), eni(&net, "db"));
    let syn = frames::tcp("10.0.1.10", "10.1.1.20", 40000, 5432, 0x02, 0);
    assert_eq!(
        allocations(&mut dp, Ingress::Eni(app), syn, 1000),
        0,
        "peering, request direction"
    );
    let reply = frames::tcp("10.1.1.20", "10.0.1.10", 5432, 40000, 0x10, 1400);
    assert_eq!(
        allocations(&mut dp, Ingress::Eni(db), reply, 1000),
        0,
        "peering, tracked reply"
    );

    let net = load("edge-to-edge.toml");
    let mut dp = Dataplane::new(&net);
    let (web, app, internet) = (
        eni(&net, "a-web"),
        eni(&net, "a-app"),
        host(&net, "internet"),
    );
    let ping = frames::echo("10.0.0.20", "203.0.113.10", false);
    assert_eq!(
        allocations(&mut dp, Ingress::Eni(web), ping, 1000),
        0,
        "internet gateway out"
    );
    let pong = frames::echo("203.0.113.10", "54.1.2.3", true);
    assert_eq!(
        allocations(&mut dp, Ingress::External(internet), pong, 1000),
        0,
        "internet gateway in"
    );
    let via_nat = frames::echo("10.0.1.20", "203.0.113.10", false);
    assert_eq!(
        allocations(&mut dp, Ingress::Eni(app), via_nat, 1000),
        0,
        "NAT gateway out"
    );
    // The NAT gateway translates the echo identifier like a port: answer the
    // identifier it chose.
    let mut out = Vec::new();
    let via_nat = frames::echo("10.0.1.20", "203.0.113.10", false);
    dp.process(u64::MAX / 2, Ingress::Eni(app), via_nat, &mut out);
    let public_id = match out.pop() {
        Some(Action::Deliver { frame, .. }) => peeremu::wire::parse_frame(&frame).unwrap().icmp_id,
        other => panic!("expected a delivery, got {other:?}"),
    };
    let nat_reply = frames::echo_id("203.0.113.10", "3.3.3.3", public_id, true);
    assert_eq!(
        allocations(&mut dp, Ingress::External(internet), nat_reply, 1000),
        0,
        "NAT gateway in"
    );
}
