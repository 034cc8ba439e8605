//! Importing a real network into a topology file (`peeremu import`).
//!
//! Each source gets its own module; today only AWS (the JSON that
//! `aws ec2 describe-*` prints, as Batfish also reads it).

pub mod aws;
