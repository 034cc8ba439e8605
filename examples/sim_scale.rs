//! Run the 50-spoke / 10k-flow scenario through the full pipeline with captures off
//! and print throughput: `cargo run --release --example sim_scale [flows] [packets]`.

use peeremu::sim::{run_network, HubAndSpokes, NullObserver, SimConfig};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut s = HubAndSpokes::default();
    if let Some(f) = args.next().and_then(|a| a.parse().ok()) {
        s.flows = f;
    }
    if let Some(p) = args.next().and_then(|a| a.parse().ok()) {
        s.packets_per_flow = p;
    }
    let net = s.build();
    let started = Instant::now();
    let r = match run_network(&net, &SimConfig::default(), &mut NullObserver) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let met = r
        .reports
        .iter()
        .filter(|f| f.expectation.as_ref().is_some_and(|e| e.1))
        .count();
    println!(
        "{} flows ({met} met), {} events, {} frames, {:.3} s virtual, {:.3} s wall: {:.0} events/s, {:.0} frames/s",
        r.reports.len(),
        r.totals.events,
        r.totals.frames,
        r.totals.sim_time_ns as f64 / 1e9,
        wall,
        r.totals.events as f64 / wall,
        r.totals.frames as f64 / wall
    );
}
