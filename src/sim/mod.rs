//! The discrete-event engine: `u64` nanosecond virtual clock, an event queue ordered
//! by (time, sequence), links with latency, bandwidth and a bounded queue, and
//! [`run`], which drives a whole topology through a [`Fabric`].

mod attribution;
mod direct;
mod fabric;
mod frames;
mod link;
mod observer;
mod queue;
mod report;
mod rng;
mod run;
mod scenario;
mod setup;
mod vpc;

pub use attribution::{Attribution, DropKind};
pub use direct::DirectFabric;
pub use fabric::*;
pub use frames::*;
pub use link::*;
pub use observer::*;
pub use queue::*;
pub use report::FlowDrops;
pub use rng::SplitMix64;
pub use run::{run, RunResult, SimConfig, DEFAULT_TAIL_NS};
pub use scenario::HubAndSpokes;
pub use setup::{endpoint_name, SetupError};
pub use vpc::{run_network, VpcFabric};
