//! A cache prefetch hint, for the few places that know which memory they will read
//! next well before reading it: LPM batch lookups (`lpm::batch`) and a received
//! datagram's flow counters (`host`). `core::intrinsics::prefetch_*` is unstable
//! and no maintained crate wraps `_mm_prefetch` for stable Rust, hence this one
//! function.

/// Start fetching the cache line at `ptr` into L1: a hint, with no effect on
/// results; it never faults, whatever the address. A no-op off x86_64.
#[inline(always)]
pub fn prefetch<T>(ptr: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` has no architectural effect and never faults, whatever
    // the address; SSE is part of baseline x86-64.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(ptr.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}
