//! The discrete-event engine: `u64` nanosecond virtual clock, an event queue ordered
//! by (time, sequence), links with latency, bandwidth and a bounded queue, and
//! [`run`], which drives a whole topology through a [`Fabric`].
//!
//! Running a topology end to end (what `peeremu run` does):
//!
//! ```no_run
//! # fn demo(net: &peeremu::model::Network) -> Result<(), peeremu::sim::SetupError> {
//! use peeremu::sim::{run_network, NullObserver, SimConfig};
//! let config = SimConfig { seed: 1, time_limit_ns: None, ..Default::default() };
//! let result = run_network(net, &config, &mut NullObserver)?;
//! for flow in &result.reports {
//!     println!("{} {}", flow.name, flow.outcome.as_str());
//! }
//! println!("{} events, {} frames", result.totals.events, result.totals.frames);
//! # Ok(()) }
//! ```
//!
//! Per frame hop: the sender's uplink ([`Link`]: serialization at the ENI bandwidth,
//! drop-tail queue → `QUEUE_OVERFLOW`), the fabric (the VPC router; its
//! `latency_ns` is the propagation delay: same AZ, cross-AZ, region pair), then the
//! receiver's downlink. Hosts (`crate::host`) are smoltcp stacks polled only when a
//! frame arrives or one of their timers is due.
//!
//! Determinism: one thread, events totally ordered by (time, insertion sequence),
//! ordered maps only, and every random choice (ephemeral ports, echo identifiers,
//! smoltcp's ISNs) drawn from [`SplitMix64`] seeded by `SimConfig::seed`.

mod attribution;
mod direct;
mod direct_connect_port;
mod dns;
pub mod explain;
mod fabric;
mod frames;
mod link;
mod observer;
mod queue;
mod report;
mod run;
mod scenario;
mod setup;
mod timeline;
mod translation;
mod vpc;

pub use crate::rng::SplitMix64;
pub use attribution::{Attribution, DropKind};
pub use direct::DirectFabric;
pub use fabric::*;
pub use frames::*;
pub use link::*;
pub use observer::*;
pub use queue::*;
pub use report::FlowDrops;
pub use run::{run, RunResult, SimConfig, DEFAULT_TAIL_NS};
pub use scenario::HubAndSpokes;
pub use setup::{endpoint_name, SetupError};
pub use vpc::{run_network, VpcFabric};
