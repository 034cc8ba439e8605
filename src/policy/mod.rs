//! Pure policy evaluation over compiled rule tables: network ACLs (stateless,
//! ordered), security groups (stateful, union of groups) and the per-ENI
//! connection-tracking table that makes them stateful (DESIGN.md §4).
//!
//! Nothing here reads a clock or allocates per packet: time is an argument
//! (virtual nanoseconds) and tables are built once from the [`crate::model::Network`].

pub mod conntrack;
pub mod fxhash;
pub mod nacl;
pub mod sg;

mod traffic;

pub use conntrack::{ConnTrack, ConntrackFull, Tracked};
pub use nacl::{NaclExempt, NaclShortcut, NaclVerdict};
pub use sg::{CompiledSg, MatchedRule};
pub use traffic::{net_contains, traffic_matches};
