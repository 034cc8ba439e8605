//! Run the 50-spoke / 10k-flow scenario through the full pipeline with captures off
//! and print throughput: `cargo run --release --example sim_scale [flows] [packets]`.
//!
//! With `SIM_SCALE_DIGEST=1` every observed frame and drop (time, point, bytes) and
//! every flow report is folded into one FNV-1a digest instead: a before/after check
//! that an optimisation left the run byte-identical.

use peeremu::sim::{
    run_network, CapturePoint, DropEvent, FrameDirection, HubAndSpokes, NullObserver, Observer,
    SimConfig,
};
use std::time::Instant;

/// FNV-1a over everything observed (deterministic, no dependency).
struct Digest(u64);

impl Digest {
    fn eat(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
}

impl Observer for Digest {
    fn frame(&mut self, t: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
        self.eat(&t.to_le_bytes());
        self.eat(format!("{point:?}{dir:?}").as_bytes());
        self.eat(frame);
    }
    fn dropped(&mut self, e: DropEvent<'_>) {
        self.eat(&e.time_ns.to_le_bytes());
        self.eat(format!("{:?}{}{:?}", e.reason, e.detail, e.eni).as_bytes());
        self.eat(e.frame);
    }
}

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
    let digest = std::env::var_os("SIM_SCALE_DIGEST").is_some();
    let mut hasher = Digest(0xcbf2_9ce4_8422_2325);
    let started = Instant::now();
    let observer: &mut dyn Observer = if digest {
        &mut hasher
    } else {
        &mut NullObserver
    };
    let r = match run_network(&net, &SimConfig::default(), observer) {
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
    if digest {
        for f in &r.reports {
            hasher.eat(format!("{f:?}").as_bytes());
        }
        println!("digest {:016x}", hasher.0);
    }
    println!(
        "{} flows ({met} met), {} events, {} frames, {:.3} s virtual, {:.3} s wall: {:.0} events/s, {:.0} frames/s, {:.0} ns/frame",
        r.reports.len(),
        r.totals.events,
        r.totals.frames,
        r.totals.sim_time_ns as f64 / 1e9,
        wall,
        r.totals.events as f64 / wall,
        r.totals.frames as f64 / wall,
        wall * 1e9 / r.totals.frames.max(1) as f64
    );
}
