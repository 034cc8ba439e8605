//! The discrete-event engine: `u64` nanosecond virtual clock, an event queue ordered
//! by (time, sequence), links with latency, bandwidth and a bounded queue.

mod observer;

pub use observer::*;
