//! The compiled network: plain data, cross-references by index, never by string.
//!
//! `topology` builds a [`Network`] after validation; everything downstream
//! (`dataplane`, `sim`, `host`, `output`) reads it. Ids (`vpc-…`, `sg-…`) are kept
//! only for messages and outputs.

mod data_cost;
mod direct_connect;
mod egress_only_igw;
mod index;
mod network;
mod objects;
mod privatelink;
mod reason;
mod rules;
mod timeline;
mod traffic;
mod transit_gateway;

pub use data_cost::*;
pub use direct_connect::*;
pub use egress_only_igw::*;
pub use index::*;
pub use network::*;
pub use objects::*;
pub use privatelink::*;
pub use reason::*;
pub use rules::*;
pub use timeline::*;
pub use traffic::*;
pub use transit_gateway::*;
