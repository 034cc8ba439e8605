//! The egress-only internet gateway (`eigw-…`): IPv6 from the VPC out to the
//! internet, replies back in, nothing the internet initiates.
//!
//! AWS: "An egress-only internet gateway is stateful: it forwards traffic from the
//! instances in the subnet to the internet or other AWS services, and then sends
//! the response back to the instances", and it "prevents the internet from
//! initiating an IPv6 connection with your instances" (VPC User Guide, "Enable
//! outbound IPv6 traffic using an egress-only internet gateway"). It translates
//! nothing: instances keep their global IPv6 addresses.
//!
//! The state is the gateway's own (not the security group's): a table of the
//! outbound flows it carried, keyed by both addresses, the protocol and both
//! ports (an ICMPv6 query's identifier as the inside port), each with the time it
//! was last used. AWS does not document the gateway's idle timeout; we use the
//! NAT gateway's 350 s (decision, see docs/aws-behaviour.md). A reply refreshes
//! its entry, as in any stateful gateway. Only frames routed to an egress-only
//! gateway touch this table: the other paths pay nothing.

use super::pipeline::{Leg, Sink, Source};
use super::trace::{Gateway, Hop, Tracer};
use super::{Dataplane, DropDetail, GatewayCrossing, MtuLink, INTERNET_MTU, NAT_IDLE_TIMEOUT_NS};
use crate::model::*;
use crate::policy::conntrack::FxBuild;
use crate::wire::{self, FlowKey, FragmentKind, IcmpKind};
use std::collections::HashMap;
use std::net::IpAddr;

/// How long an unused flow stays open through the gateway.
pub const EIGW_IDLE_TIMEOUT_NS: u64 = NAT_IDLE_TIMEOUT_NS;

/// (inside address, outside address, protocol, inside port, outside port); the
/// address pair alone (protocol 0, ports 0) admits non-first fragments, which
/// carry no ports.
type EigwKey = (u128, u128, u8, u16, u16);

/// One gateway's open flows (see the module doc).
#[derive(Debug, Clone, Default)]
pub(super) struct EigwState {
    flows: HashMap<EigwKey, u64, FxBuild>,
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The (inside, outside) ports of a packet going out, or `None` for a packet
/// that opens nothing (an ICMPv6 error, or a non-first fragment).
fn ports_out(key: &FlowKey) -> Option<(u16, u16)> {
    match key.icmp_kind() {
        Some(IcmpKind::Request | IcmpKind::Reply) => Some((key.icmp_id, 0)),
        Some(_) => None,
        None if key.fragment == FragmentKind::NonFirst => None,
        None => Some((key.src_port, key.dst_port)),
    }
}

impl EigwState {
    /// Record an outbound packet (`inside` → `outside`).
    fn outbound(&mut self, now: u64, key: &FlowKey) {
        let (inside, outside) = (bits(key.src), bits(key.dst));
        if let Some((ip, op)) = ports_out(key) {
            self.flows
                .insert((inside, outside, key.protocol, ip, op), now);
        }
        self.flows.insert((inside, outside, 0, 0, 0), now);
    }

    /// Whether an inbound packet (`outside` → `inside`) belongs to a flow the
    /// gateway carried out within the idle timeout; refreshes that flow.
    fn inbound(&mut self, now: u64, key: &FlowKey, frame: &[u8]) -> bool {
        let (outside, inside) = (bits(key.src), bits(key.dst));
        let k = match key.icmp_kind() {
            Some(IcmpKind::Request | IcmpKind::Reply) => {
                (inside, outside, key.protocol, key.icmp_id, 0)
            }
            // An error about a packet the inside sent (packet too big on the way,
            // port unreachable from the remote): the quoted packet's flow.
            Some(IcmpKind::Error) => match wire::quoted_flow(frame) {
                Ok(q) => match ports_out(&q) {
                    Some((ip, op)) => (bits(q.src), bits(q.dst), q.protocol, ip, op),
                    None => (bits(q.src), bits(q.dst), 0, 0, 0),
                },
                Err(_) => return false,
            },
            Some(IcmpKind::Other) => return false,
            None if key.fragment == FragmentKind::NonFirst => (inside, outside, 0, 0, 0),
            None => (inside, outside, key.protocol, key.dst_port, key.src_port),
        };
        match self.flows.get_mut(&k) {
            Some(last) if now.saturating_sub(*last) <= EIGW_IDLE_TIMEOUT_NS => {
                *last = now;
                true
            }
            _ => false,
        }
    }
}

impl Dataplane {
    /// Out of an egress-only internet gateway: IPv6 only, no translation, the
    /// flow recorded so its replies may come back.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn out_eigw<T: Tracer>(
        &mut self,
        now: u64,
        src: EniIdx,
        g: EigwIdx,
        not_attached: DropDetail,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let vpc = self.net.enis[src.ix()].vpc;
        if self
            .net
            .egress_only_internet_gateways
            .get(g.ix())
            .is_none_or(|i| i.vpc != Some(vpc))
            || key.dst.is_ipv4()
        {
            // (An IPv4 route to it is a validation error; kept defensive.)
            return sink.drop(not_attached, Some(src), frame);
        }
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::EgressOnlyInternet(g),
        });
        let Some((h, host_mtu)) = self.host_at(key.dst, None) else {
            return sink.drop_unknown(key.dst, Some(src), frame);
        };
        if let Some(state) = self.eigw.get_mut(g.ix()) {
            state.outbound(now, &key);
        }
        // Data transfer out through an egress-only gateway is billed like any
        // data transfer out to the internet.
        let timing = (
            self.net.latency.internet_ns,
            Charges::NONE.with(Segment::InternetEgress),
        );
        let start = sink.out.len();
        self.deliver_external(
            src,
            h,
            super::deliver::towards_host(
                (
                    INTERNET_MTU,
                    MtuLink::Gateway(Gateway::EgressOnlyInternet(g)),
                ),
                h,
                host_mtu,
            ),
            timing,
            &key,
            frame,
            None,
            sink,
        );
        let crossing = GatewayCrossing::EgressOnlyIgw {
            eigw: g,
            outbound: true,
        };
        self.mark_via_gateway(sink.out, start, crossing);
    }

    /// From the internet to an IPv6 address in a VPC whose only way in is its
    /// egress-only gateway: a reply to a flow it carried out is delivered; a
    /// packet the internet initiated is dropped (`EGRESS_ONLY_INBOUND`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn in_eigw<T: Tracer>(
        &mut self,
        now: u64,
        h: HostIdx,
        g: EigwIdx,
        e: EniIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let internet = self.net.latency.internet_ns;
        sink.tr.at(internet);
        sink.tr.hop(Hop::Gateway {
            gateway: Gateway::EgressOnlyInternet(g),
        });
        let open = self
            .eigw
            .get_mut(g.ix())
            .is_some_and(|s| s.inbound(now, &key, &frame));
        if !open {
            let d = DropDetail::EgressOnlyInbound {
                eigw: g,
                dst: key.dst,
            };
            return sink.drop(d, None, frame);
        }
        let leg = Leg {
            src: Source::External(h),
            mtu: INTERNET_MTU,
            link: MtuLink::Gateway(Gateway::EgressOnlyInternet(g)),
            latency_ns: internet,
            via: None,
            charges: Charges::NONE,
        };
        let start = sink.out.len();
        self.deliver_eni(now, leg, e, key, frame, sink);
        let crossing = GatewayCrossing::EgressOnlyIgw {
            eigw: g,
            outbound: false,
        };
        self.mark_via_gateway(sink.out, start, crossing);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(src: &str, dst: &str, protocol: u8, sp: u16, dp: u16) -> FlowKey {
        FlowKey {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            protocol,
            src_port: sp,
            dst_port: dp,
            icmp_type: 0,
            icmp_code: 0,
            icmp_id: 0,
            tcp_flags: 0,
            fragment: FragmentKind::Whole,
            dont_fragment: true,
            ip_len: 100,
        }
    }

    #[test]
    fn replies_pass_initiations_and_stale_flows_do_not() {
        let mut s = EigwState::default();
        let out = key("2600:1f18::10", "2001:db8::20", proto::TCP, 40000, 443);
        let reply = key("2001:db8::20", "2600:1f18::10", proto::TCP, 443, 40000);
        let other_port = key("2001:db8::20", "2600:1f18::10", proto::TCP, 443, 40001);
        assert!(!s.inbound(0, &reply, &[]), "nothing went out yet");
        s.outbound(1_000, &out);
        assert!(s.inbound(2_000, &reply, &[]));
        assert!(
            !s.inbound(2_000, &other_port, &[]),
            "another port: initiated"
        );
        let late = 2_000 + EIGW_IDLE_TIMEOUT_NS + 1;
        assert!(!s.inbound(late, &reply, &[]), "idle past the timeout");
        let frag = FlowKey {
            fragment: FragmentKind::NonFirst,
            src_port: 0,
            dst_port: 0,
            ..reply
        };
        s.outbound(late, &out);
        assert!(s.inbound(late, &frag, &[]), "a later fragment of a reply");
    }
}
