//! One full VPC router hop per frame: parse, security group egress with
//! conntrack, NACL outbound, route lookup, peering, MTU, NACL inbound, security
//! group ingress with conntrack, MAC rewrite. Topology: topologies/two-vpc-peering.toml
//! (app in vpc-a to db in vpc-b over pcx-ab), flows warmed so conntrack hits.
//!
//! The same hop through a transit gateway (VPC → TGW → VPC:
//! topologies/peering-vs-tgw/tgw.toml, spoke1 to hub) is measured side by side
//! with the peering hop of the same hub and spoke (peering-vs-tgw/peering.toml):
//! `tcp_1500_spoke_to_hub_over_peering` and `tcp_1500_spoke_to_hub_over_tgw`.
//!
//! `cargo bench --bench pipeline` reports ns per frame (Throughput::Elements(1)).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use peeremu::dataplane::test_net::frames;
use peeremu::dataplane::{Action, Dataplane, Ingress};
use peeremu::model::{Endpoint, EniIdx, Network};
use std::hint::black_box;
use std::path::Path;

fn network() -> Network {
    load("topologies/two-vpc-peering.toml")
}

fn load(file: &str) -> Network {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    match peeremu::topology::load_file(&path) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    }
}

fn eni(net: &Network, name: &str) -> EniIdx {
    match net.endpoint_by_name(name) {
        Some(Endpoint::Eni(e)) => e,
        _ => panic!("no instance {name}"),
    }
}

/// Process `frame` from `ingress` over and over, reusing the delivered buffer.
fn hop(c: &mut Criterion, name: &str, dp: &mut Dataplane, ingress: Ingress, frame: Vec<u8>) {
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    let mut out = Vec::with_capacity(8);
    let mut frame = Some(frame);
    let start = 1_000_000u64;
    let mut now = start;
    group.bench_function(name, |b| {
        b.iter(|| {
            now += 1_000;
            let f = frame.take().unwrap_or_default();
            dp.process(now, ingress, black_box(f), &mut out);
            match out.pop() {
                Some(Action::Deliver { frame: f, .. }) => frame = Some(f),
                _ => panic!("the benchmark frame must be delivered"),
            }
            out.clear();
        })
    });
    group.finish();
    // With PEEREMU_BENCH_COUNT set, report how many frames were processed so CPU
    // time from `perf stat` can be turned into ns/frame on a busy machine.
    if std::env::var_os("PEEREMU_BENCH_COUNT").is_some() {
        eprintln!("{name}: {} frames", (now - start) / 1_000);
    }
}

/// spoke1 → hub in `file` (one of topologies/peering-vs-tgw/): open the flow,
/// then measure its data segments.
fn spoke_to_hub(c: &mut Criterion, file: &str, name: &str) {
    let net = load(file);
    let (spoke, hub) = (eni(&net, "spoke1"), eni(&net, "hub"));
    let mut dp = Dataplane::new(&net);
    let mut out = Vec::new();
    let (s, h) = ("10.1.1.10", "10.0.1.10");
    dp.process(
        0,
        Ingress::Eni(spoke),
        frames::tcp(s, h, 40000, 5001, 0x02, 0),
        &mut out,
    );
    dp.process(
        1,
        Ingress::Eni(hub),
        frames::tcp(h, s, 5001, 40000, 0x12, 0),
        &mut out,
    );
    assert!(
        out.iter().all(|a| matches!(a, Action::Deliver { .. })),
        "warm-up delivered: {out:?}"
    );
    let data = frames::tcp(s, h, 40000, 5001, 0x10, 1448);
    hop(c, name, &mut dp, Ingress::Eni(spoke), data);
}

fn bench(c: &mut Criterion) {
    spoke_to_hub(
        c,
        "topologies/peering-vs-tgw/peering.toml",
        "tcp_1500_spoke_to_hub_over_peering",
    );
    spoke_to_hub(
        c,
        "topologies/peering-vs-tgw/tgw.toml",
        "tcp_1500_spoke_to_hub_over_tgw",
    );
    let net = network();
    let (app, db) = (eni(&net, "app"), eni(&net, "db"));
    let mut dp = Dataplane::new(&net);
    let mut out = Vec::new();
    // Open the flow (SYN, SYN-ACK) so both ENIs' conntrack tables hold it.
    dp.process(
        0,
        Ingress::Eni(app),
        frames::tcp("10.0.1.10", "10.1.1.20", 40000, 5432, 0x02, 0),
        &mut out,
    );
    dp.process(
        1,
        Ingress::Eni(db),
        frames::tcp("10.1.1.20", "10.0.1.10", 5432, 40000, 0x12, 0),
        &mut out,
    );
    assert!(
        out.iter().all(|a| matches!(a, Action::Deliver { .. })),
        "warm-up delivered"
    );
    // A full-size data segment of the established flow, and its ACK back.
    let data = frames::tcp("10.0.1.10", "10.1.1.20", 40000, 5432, 0x10, 1448);
    hop(c, "tcp_1500_over_peering", &mut dp, Ingress::Eni(app), data);
    let ack = frames::tcp("10.1.1.20", "10.0.1.10", 5432, 40000, 0x10, 0);
    hop(
        c,
        "tcp_ack_reply_over_peering",
        &mut dp,
        Ingress::Eni(db),
        ack,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
