//! Capture points of gateways that have no ENI in the customer's account: the
//! egress-only internet gateway (`eigw-…`) and Direct Connect private virtual
//! interfaces (`dxvif-…`). A frame delivered across one records which, so the
//! simulation shows it there (outbound: leaving AWS for the internet or on
//! premises; inbound: coming in). No flow log records follow from these: AWS
//! flow logs are per network interface, and neither has one (docs/outputs.md).
//! Kept beside the actions, not in them, as [`super::NatCrossing`] is.

use super::{Action, Dataplane};
use crate::model::{DxIdx, EigwIdx};

/// The gateway a delivered frame crossed, and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayCrossing {
    EgressOnlyIgw {
        eigw: EigwIdx,
        outbound: bool,
    },
    /// Connection and the index of its virtual interface.
    VirtualInterface {
        dx: DxIdx,
        vif: u16,
        outbound: bool,
    },
}

impl Dataplane {
    /// Record `crossing` for every frame delivered since action `start`.
    pub(super) fn mark_via_gateway(
        &mut self,
        out: &[Action],
        start: usize,
        crossing: GatewayCrossing,
    ) {
        for (i, a) in out.iter().enumerate().skip(start) {
            if matches!(a, Action::Deliver { .. }) {
                self.gateway_crossings.push((i as u32, crossing));
            }
        }
    }

    /// Which of the actions the last [`Dataplane::process`] call appended were
    /// frames that crossed an egress-only gateway or a virtual interface.
    pub fn gateway_crossings(&self) -> &[(u32, GatewayCrossing)] {
        &self.gateway_crossings
    }
}
