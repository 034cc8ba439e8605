//! Frames as bytes: parsing into a [`FlowKey`] (zero-copy, no allocation), building,
//! IPv4 fragmentation and ICMP/ICMPv6 error generation, all on etherparse.

mod flow_key;

pub use flow_key::*;
