//! Egress-only internet gateways: IPv6 connections from the VPC out to the
//! internet, their replies back in, nothing the internet initiates.

use super::*;

/// An egress-only internet gateway (`eigw-…`). AWS: "IPv6 traffic only"; it is
/// stateful, so replies to outbound connections come back, and it has no
/// addresses of its own (instances keep their global IPv6 addresses).
#[derive(Debug, Clone, PartialEq)]
pub struct EgressOnlyInternetGateway {
    pub id: String,
    /// Attached VPC (one per VPC); a detached gateway carries nothing.
    pub vpc: Option<VpcIdx>,
}
