//! The discrete-event engine: `u64` nanosecond virtual clock, an event queue ordered
//! by (time, sequence), links with latency, bandwidth and a bounded queue.

mod fabric;
mod frames;
mod link;
mod observer;
mod queue;

pub use fabric::*;
pub use frames::*;
pub use link::*;
pub use observer::*;
pub use queue::*;
