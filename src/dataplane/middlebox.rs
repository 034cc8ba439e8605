//! Middlebox routing (a route whose target is an instance or ENI): what the
//! instance does with a packet that reached its ENI but is addressed to someone
//! else. AWS delivers such a packet only when the ENI's source/destination check
//! is off (else `SOURCE_DEST_CHECK`, decided in `deliver.rs`); what happens next is
//! up to the instance's operating system.
//!
//! Today no instance forwards, so the packet ends at the instance with
//! `NOT_FORWARDED` — never silently, and counted for its flow like any drop.
//! Forwarding instances (a router, a NAT instance) plug in at
//! [`Dataplane::at_instance`] through a new [`InstanceForwarding`] variant.

use super::pipeline::Sink;
use super::trace::Tracer;
use super::{Dataplane, DropDetail};
use crate::model::EniIdx;

/// What an instance does with packets addressed to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InstanceForwarding {
    /// Its operating system discards them (Linux with `ip_forward = 0`): the
    /// packet is dropped with `NOT_FORWARDED`. Forwarding kinds (router, NAT
    /// instance) are added next to this one.
    None,
}

impl Dataplane {
    /// How the instance behind `eni` treats packets addressed to others.
    pub(super) fn instance_forwarding(&self, _eni: EniIdx) -> InstanceForwarding {
        InstanceForwarding::None
    }

    /// The packet passed `eni`'s NACL and security group but is not addressed to
    /// it: hand it to the instance. Out of line: the common path delivers to the
    /// address owner.
    #[cold]
    #[inline(never)]
    pub(super) fn at_instance<T: Tracer>(
        &mut self,
        eni: EniIdx,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        match self.instance_forwarding(eni) {
            InstanceForwarding::None => {
                sink.drop(DropDetail::NotForwarded { eni }, Some(eni), frame)
            }
        }
    }
}
