//! Peak memory follows the topology, not the run length: the same hub-and-spokes
//! scenario with ten times as many packets per flow peaks at about the same heap
//! size. Measured with a global allocator that tracks live bytes (this binary holds
//! one test, so nothing else allocates meanwhile).

use peeremu::sim::{run_network, HubAndSpokes, NullObserver, SimConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct PeakTracking;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards every call to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for PeakTracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: PeakTracking = PeakTracking;

/// Peak heap bytes above the level before the run, and frames simulated.
fn peak_of_run(packets_per_flow: u64) -> (usize, u64) {
    let net = HubAndSpokes {
        spokes: 6,
        hub_hosts: 4,
        hosts_per_spoke: 2,
        flows: 200,
        packets_per_flow,
    }
    .build();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let result = run_network(&net, &SimConfig::default(), &mut NullObserver)
        .unwrap_or_else(|e| panic!("{e}"));
    let peak = PEAK.load(Ordering::Relaxed) - base;
    (peak, result.totals.frames)
}

#[test]
fn ten_times_the_packets_needs_about_the_same_memory() {
    let (short_peak, short_frames) = peak_of_run(50);
    let (long_peak, long_frames) = peak_of_run(500);
    assert!(
        long_frames > 9 * short_frames,
        "{short_frames} → {long_frames} frames"
    );
    // Per-flow histograms hold the latencies seen, not one entry per packet, and
    // frames in flight are recycled: a little growth at most.
    assert!(
        long_peak < short_peak + short_peak / 4,
        "peak heap {short_peak} B for {short_frames} frames, {long_peak} B for {long_frames}"
    );
}
