//! Frame conservation (DESIGN.md §3): every frame a host emits ends delivered to a
//! host, dropped with a reason, or still in flight when the run ends. The run
//! keeps these counts itself and checks them at the end, so that a frame lost
//! anywhere without a reason (a peeremu defect) is reported loudly instead of
//! quietly turning into a wrong verdict.
//!
//! Two checks:
//! * **Frames, in total** (exact): `emitted + generated = delivered + absorbed +
//!   dropped + in_flight`, where `generated` counts the frames the network made
//!   (fragments beyond the first, ICMP errors) and `vanished` the frames the
//!   router took without any verdict (must be 0).
//! * **Packets, per flow**: every packet the flow's application sent that did not
//!   arrive must be matched by at least one of the flow's frames dropped with a
//!   reason or still in flight: `unaccounted = sent − delivered − dropped −
//!   in_flight`, floored at 0, must be 0. (A fragmented datagram's lost fragments
//!   count separately, so this bound is loose, never falsely alarming.)

use serde::Serialize;

/// Frame counts over the whole run (`summary.json` `totals.conservation`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Conservation {
    /// Frames hosts (instances and external hosts) transmitted.
    pub emitted: u64,
    /// Frames the network made: IPv4 fragments beyond the first, ICMP errors.
    pub generated: u64,
    /// Frames handed to a host taking part in a flow.
    pub delivered: u64,
    /// Frames that reached an endpoint taking part in no flow (it ignores them).
    pub absorbed: u64,
    /// Frames dropped, each with a reason (`drops.pcapng`).
    pub dropped: u64,
    /// Frames on a link or in a queue when the run ended.
    pub in_flight: u64,
    /// Frames the router took without any verdict (a defect; must be 0).
    pub vanished: u64,
    /// Packets of flows that neither arrived nor were dropped or in flight (a
    /// defect; must be 0): the sum of every flow's `unaccounted_packets`.
    pub unaccounted_packets: u64,
    /// Everything adds up.
    pub holds: bool,
}

impl Conservation {
    /// Frames on the right-hand side of the balance.
    pub fn accounted(&self) -> u64 {
        self.delivered + self.absorbed + self.dropped + self.in_flight
    }

    /// Set `holds` from the counts.
    pub fn check(mut self) -> Self {
        self.holds = self.emitted + self.generated == self.accounted()
            && self.vanished == 0
            && self.unaccounted_packets == 0;
        self
    }

    /// The loud warning printed when the counts do not add up (`None` when they do).
    pub fn warning(&self) -> Option<String> {
        if self.holds {
            return None;
        }
        let mut broken = Vec::new();
        let created = self.emitted + self.generated;
        if created != self.accounted() {
            broken.push(format!(
                "{} frames emitted by hosts + {} made by the network, but {} delivered + {} absorbed + {} dropped + {} in flight",
                self.emitted, self.generated, self.delivered, self.absorbed, self.dropped, self.in_flight
            ));
        }
        if self.vanished > 0 {
            broken.push(format!(
                "{} frames taken by the router without a verdict",
                self.vanished
            ));
        }
        if self.unaccounted_packets > 0 {
            broken.push(format!(
                "{} packets of flows neither arrived, nor were dropped with a reason, nor were in flight",
                self.unaccounted_packets
            ));
        }
        Some(format!(
            "warning: frame conservation does not hold, so some verdicts may be wrong (a peeremu defect; please report it): {}",
            broken.join("; ")
        ))
    }
}

/// A flow's packets that neither arrived nor were dropped with a reason nor were
/// in flight (see the module doc).
pub fn unaccounted_packets(sent: u64, delivered: u64, dropped: u64, in_flight: u64) -> u64 {
    sent.saturating_sub(delivered)
        .saturating_sub(dropped)
        .saturating_sub(in_flight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_counts_hold() {
        let c = Conservation {
            emitted: 10,
            generated: 2,
            delivered: 8,
            absorbed: 1,
            dropped: 2,
            in_flight: 1,
            ..Default::default()
        }
        .check();
        assert!(c.holds);
        assert!(c.warning().is_none());
    }

    #[test]
    fn a_missing_frame_is_reported() {
        let c = Conservation {
            emitted: 10,
            delivered: 9,
            ..Default::default()
        }
        .check();
        assert!(!c.holds);
        assert!(c.warning().unwrap().contains("10 frames emitted by hosts"));
    }

    #[test]
    fn vanished_frames_or_packets_fail_even_when_frames_balance() {
        let base = Conservation {
            emitted: 3,
            delivered: 3,
            ..Default::default()
        };
        assert!(base.check().holds);
        assert!(
            !Conservation {
                vanished: 1,
                ..base
            }
            .check()
            .holds
        );
        assert!(
            !Conservation {
                unaccounted_packets: 1,
                ..base
            }
            .check()
            .holds
        );
    }

    #[test]
    fn unaccounted_packets_floor_at_zero() {
        assert_eq!(unaccounted_packets(10, 10, 0, 0), 0);
        assert_eq!(unaccounted_packets(10, 4, 0, 0), 6);
        assert_eq!(unaccounted_packets(10, 4, 5, 0), 1);
        assert_eq!(unaccounted_packets(10, 4, 5, 3), 0);
        assert_eq!(unaccounted_packets(1, 0, 3, 0), 0);
    }
}
