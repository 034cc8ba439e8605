//! The compiled network: plain data, cross-references by index, never by string.
//!
//! `topology` builds a [`Network`] after validation; everything downstream
//! (`dataplane`, `sim`, `host`, `output`) reads it. Ids (`vpc-…`, `sg-…`) are kept
//! only for messages and outputs.

mod data_cost;
mod index;
mod network;
mod objects;
mod privatelink;
mod reason;
mod rules;
mod traffic;
mod transit_gateway;

pub use data_cost::*;
pub use index::*;
pub use network::*;
pub use objects::*;
pub use privatelink::*;
pub use reason::*;
pub use rules::*;
pub use traffic::*;
pub use transit_gateway::*;
