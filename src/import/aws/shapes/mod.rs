//! Serde models of the AWS CLI's `describe-*` output, field names as the CLI
//! prints them (PascalCase). Only what the emulation uses (or reports as not
//! modelled) is declared; every other field is ignored, as the CLI adds fields
//! over time. Ids are required (`String`, not `Option`): a record without its id
//! is an error at its JSON path.

mod common;
mod compute;
mod direct_connect;
mod dns;
mod filters;
mod gateways;
mod network;
mod privatelink;
mod routing;
mod transit;

pub use common::*;
pub use compute::*;
pub use direct_connect::*;
pub use dns::*;
pub use filters::*;
pub use gateways::*;
pub use network::*;
pub use privatelink::*;
pub use routing::*;
pub use transit::*;
