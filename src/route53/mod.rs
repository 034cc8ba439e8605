//! Amazon DNS (the Route 53 Resolver every VPC has at its base address +2 and at
//! 169.254.169.253) and Route 53 hosted zones: which name resolves to what, from
//! where, as AWS documents it (docs/aws-behaviour.md, "Names").
//!
//! - [`hostnames`]: the names EC2 gives instances (`ip-10-0-1-10.ec2.internal`,
//!   `ec2-3-3-3-3.compute-1.amazonaws.com`) and how a name is read back.
//! - [`zones`]: private and public hosted zones, on-premises zones, resolver
//!   forwarding rules and inbound endpoints (compiled from the topology).
//! - [`resolver`]: one query from one place (a VPC, the internet, an on-premises
//!   host) → an answer, with the steps taken (for `trace` and `summary.json`).
//! - [`message`]: the DNS messages on the wire, encoded and decoded by
//!   hickory-proto (no hand-written DNS encoding).
//! - [`lookup`]: a flow's lookup before it starts: the query and answer frames
//!   the source host exchanges with the resolver.

pub mod hostnames;
pub mod lookup;
pub mod message;
pub mod resolver;
pub mod zones;

pub use lookup::{DnsLookup, LookupFrames};
pub use resolver::{resolve, Answer, Rcode, Resolution, Vantage};
pub use zones::{DnsConfig, ForwardRule, InboundEndpoint, RecordData, Zone, ZoneKind, ZoneRecord};
