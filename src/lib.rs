//! peeremu: a packet-level discrete-event emulator of the AWS VPC data plane.
//!
//! The modules follow a frame's path (see DESIGN.md §2):
//! `topology` (file format, loading, validation) compiles into `model` (plain,
//! index-based data); `host` endpoints emit frames that `sim` moves in virtual time
//! through `dataplane` (the VPC router pipeline, built on `wire`, `policy` and `lpm`);
//! `output` writes what happened.

pub mod cli;
pub mod dataplane;
pub mod escape;
pub mod host;
pub mod import;
pub mod lpm;
pub mod model;
pub mod output;
pub mod policy;
pub mod prefetch;
pub mod rng;
pub mod route53;
pub mod sim;
pub mod topology;
pub mod warnings;
pub mod wire;
