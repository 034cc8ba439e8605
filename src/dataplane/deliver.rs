//! The last steps of a hop: MTU (fragment, or drop with an ICMP error back to the
//! source), destination checks, MAC rewrite and hand-off (DESIGN.md §3 steps 5-6).

use super::pipeline::{owns, Fragmenting, Leg, Sink, Source};
use super::trace::{Hop, MtuDecision, Tracer};
use super::{Action, Dataplane, DropDetail, Egress, MtuLink, ROUTER_MAC};
use crate::model::*;
use crate::wire::{self, FlowKey};
use std::net::{Ipv4Addr, Ipv6Addr};

impl Dataplane {
    /// Deliver to an ENI: MTU, source/destination check, NACL inbound (unless
    /// within one subnet), security group ingress.
    pub(super) fn deliver_eni<T: Tracer>(
        &mut self,
        now: u64,
        leg: Leg,
        dst: EniIdx,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let Some(d) = self.net.enis.get(dst.ix()) else {
            return sink.drop_unknown(key.dst, None, frame);
        };
        let (dsubnet, dmac, sdc, owned) = (d.subnet, d.mac, d.source_dest_check, owns(d, key.dst));
        if self.eni_stopped(dst) {
            return sink.drop(DropDetail::InstanceStopped { eni: dst }, Some(dst), frame);
        }
        // The link's MTU, or the receiving interface's when that is smaller.
        let (mtu, link) = if d.mtu < leg.mtu {
            (d.mtu, MtuLink::Eni(dst))
        } else {
            (leg.mtu, leg.link)
        };
        let Some((mut frame, fragment)) =
            self.mtu_step(leg.src, dsubnet, (mtu, link), &key, frame, sink)
        else {
            return;
        };
        // What follows happens at the destination's end of the link.
        sink.tr.at(leg.latency_ns);
        // Not addressed to this ENI: it came by a route targeting the ENI
        // (middlebox routing), which AWS delivers only with the check off.
        if !owned && sdc {
            return sink.drop(
                DropDetail::SourceDestCheck {
                    eni: dst,
                    dir: Direction::Inbound,
                },
                Some(dst),
                frame,
            );
        }
        let same_subnet =
            matches!(leg.src, Source::Eni(s) if self.net.enis[s.ix()].subnet == dsubnet);
        if same_subnet {
            sink.tr.hop(Hop::NaclSkipped { subnet: dsubnet });
        } else if let Err(det) = self.nacl_check(dsubnet, Direction::Inbound, &key, sink) {
            return sink.drop(det, Some(dst), frame);
        }
        if let Err(det) = self.sg_check(now, dst, Direction::Inbound, key.src, &key, &frame, sink) {
            return sink.drop(det, Some(dst), frame);
        }
        sink.tr.hop(Hop::Eni {
            eni: dst,
            dir: Direction::Inbound,
        });
        if let Some(role) = self.privatelink_role(dst) {
            self.flow_cache.stop_learning();
            return self.at_privatelink(now, leg, dst, role, key, frame, sink);
        }
        // A NAT instance's replies are addressed to it: asked only when the
        // check is off, so the common path pays one test of a loaded field.
        let back = if owned && !sdc {
            self.nat_instance_return(now, dst, &key, &frame)
        } else {
            None
        };
        if !owned || back.is_some() {
            self.flow_cache.stop_learning();
            let arrival = (leg.latency_ns, leg.charges);
            return self.at_instance(now, dst, arrival, key, back, frame, sink);
        }
        if let Err(m) = wire::set_macs(&mut frame, ROUTER_MAC, dmac) {
            return sink.drop(DropDetail::Malformed(m.0), Some(dst), frame);
        }
        // A packet both groups tracked, delivered unchanged to an ENI that
        // checks source and destination: its flow's path may be cached.
        if let Some(ck) = self.flow_cache.take_learning() {
            if fragment.is_none() && sdc && matches!(leg.src, Source::Eni(_)) {
                self.learn_flow(
                    ck,
                    &key,
                    dst,
                    dmac,
                    mtu,
                    leg.latency_ns,
                    leg.via,
                    leg.charges,
                );
            }
        }
        self.emit(
            Egress::Eni(dst),
            frame,
            (leg.latency_ns, leg.charges),
            leg.via,
            fragment,
            sink,
        );
    }

    /// Hand a frame on, fragmenting it to `fragment` bytes when asked. Inline: on
    /// the common path (no fragmenting) it is one push.
    #[inline]
    pub(super) fn emit<T: Tracer>(
        &mut self,
        to: Egress,
        frame: Vec<u8>,
        (latency_ns, charges): (u64, Charges),
        via: Option<PcxIdx>,
        fragment: Fragmenting,
        sink: &mut Sink<'_, T>,
    ) {
        if let Some((packet, mtu)) = fragment {
            let timing = (latency_ns, charges);
            return self.emit_fragments(to, frame, timing, via, (packet, mtu), sink);
        }
        sink.out.push(Action::Deliver {
            to,
            frame,
            latency_ns,
            via_peering: via,
            via_tgw: None,
            charges,
        });
        sink.tr.hop(Hop::Deliver { to, latency_ns });
    }

    /// [`Dataplane::emit`] of a frame that must be fragmented to `mtu` bytes.
    #[cold]
    #[inline(never)]
    fn emit_fragments<T: Tracer>(
        &mut self,
        to: Egress,
        frame: Vec<u8>,
        (latency_ns, charges): (u64, Charges),
        via: Option<PcxIdx>,
        (packet, mtu): (u16, u16),
        sink: &mut Sink<'_, T>,
    ) {
        self.scratch.clear();
        if let Err(m) = wire::fragment_ipv4(&frame, mtu, &mut self.scratch) {
            let eni = match to {
                Egress::Eni(e) => Some(e),
                Egress::External(_) => None,
            };
            return sink.drop(DropDetail::Malformed(m.0), eni, frame);
        }
        let n = self.scratch.len().min(u16::MAX as usize) as u16;
        sink.tr.hop(Hop::Mtu {
            packet,
            link: mtu,
            decision: MtuDecision::Fragmented(n),
        });
        for f in self.scratch.drain(..) {
            sink.out.push(Action::Deliver {
                to,
                frame: f,
                latency_ns,
                via_peering: via,
                via_tgw: None,
                charges,
            });
        }
        sink.tr.hop(Hop::Deliver { to, latency_ns });
    }

    /// Compare the packet with the link MTU. Returns the frame and, when it must be
    /// fragmented, `(packet length, mtu)`; `None` when it was dropped (DF set or
    /// IPv6) and an ICMP error was sent back. `router_subnet` names the router
    /// that answers when the source is external; `link` what set the MTU.
    #[inline]
    pub(super) fn mtu_step<T: Tracer>(
        &mut self,
        src: Source,
        router_subnet: SubnetIdx,
        (mtu, link): (u16, MtuLink),
        key: &FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) -> Option<(Vec<u8>, Fragmenting)> {
        if key.ip_len <= mtu {
            sink.tr.hop(Hop::Mtu {
                packet: key.ip_len,
                link: mtu,
                decision: MtuDecision::Fits,
            });
            return Some((frame, None));
        }
        self.mtu_exceeded(src, router_subnet, (mtu, link), key, frame, sink)
    }

    /// [`Dataplane::mtu_step`] of a packet larger than the link MTU: fragment, or
    /// drop it and send the ICMP error back. Kept out of line: the common path is
    /// one compare.
    #[cold]
    #[inline(never)]
    fn mtu_exceeded<T: Tracer>(
        &mut self,
        src: Source,
        router_subnet: SubnetIdx,
        (mtu, link): (u16, MtuLink),
        key: &FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) -> Option<(Vec<u8>, Fragmenting)> {
        let v6 = key.dst.is_ipv6();
        if !v6 && !key.dont_fragment {
            return Some((frame, Some((key.ip_len, mtu))));
        }
        sink.tr.hop(Hop::Mtu {
            packet: key.ip_len,
            link: mtu,
            decision: MtuDecision::TooBig,
        });
        let router = match src {
            Source::Eni(e) | Source::Hairpin(e) => self.net.enis[e.ix()].subnet,
            Source::External(_) => router_subnet,
        };
        let sn = &self.net.subnets[router.ix()];
        let icmp = if v6 {
            let ip = sn
                .ipv6
                .map(|n| Ipv6Addr::from(u128::from(n.network()) + 1))
                .unwrap_or(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
            wire::icmpv6_packet_too_big(&frame, ip, u32::from(mtu))
        } else {
            let ip = Ipv4Addr::from(u32::from(sn.cidr.network()).wrapping_add(1));
            wire::icmpv4_frag_needed(&frame, ip, mtu)
        };
        let eni = src.eni();
        sink.drop(
            DropDetail::MtuExceeded {
                link_mtu: mtu,
                packet: key.ip_len,
                link,
            },
            eni,
            frame,
        );
        if let Ok(icmp) = icmp {
            let to = match src {
                Source::Eni(e) | Source::Hairpin(e) => Egress::Eni(e),
                Source::External(h) => Egress::External(h),
            };
            match wire::parse_frame(&icmp) {
                Ok(packet) => {
                    sink.tr.hop(Hop::IcmpError { to, mtu, packet });
                    self.send_icmp_error(src, icmp, &packet, sink);
                }
                Err(m) => sink.drop(DropDetail::Malformed(m.0), eni, icmp),
            }
        }
        None
    }

    /// Send a router-generated ICMP error back to the source. To an ENI it must
    /// pass the source subnet's NACL inbound and an inbound rule of the ENI's
    /// security groups (AWS: path MTU discovery needs an inbound rule for ICMP
    /// 3/4 or ICMPv6 2, see `checks::needs_pmtud_rule`): the classic PMTUD black
    /// hole when either is missing.
    pub(super) fn send_icmp_error<T: Tracer>(
        &mut self,
        src: Source,
        mut icmp: Vec<u8>,
        key: &FlowKey,
        sink: &mut Sink<'_, T>,
    ) {
        match src {
            Source::Eni(e) | Source::Hairpin(e) => {
                let eni = &self.net.enis[e.ix()];
                let (subnet, mac) = (eni.subnet, eni.mac);
                if let Err(d) = self.nacl_check(subnet, Direction::Inbound, key, sink) {
                    return sink.drop(d, Some(e), icmp);
                }
                if let Err(d) = self.pmtud_sg_check(e, key, sink) {
                    return sink.drop(d, Some(e), icmp);
                }
                let _ = wire::set_macs(&mut icmp, ROUTER_MAC, mac);
                let latency_ns = self.net.latency.same_az_ns;
                sink.out.push(Action::IcmpError {
                    to: Egress::Eni(e),
                    frame: icmp,
                    latency_ns,
                });
            }
            Source::External(h) => {
                let _ = wire::set_macs(&mut icmp, ROUTER_MAC, super::EXTERNAL_MAC);
                let latency_ns = self.host_latency(h);
                sink.out.push(Action::IcmpError {
                    to: Egress::External(h),
                    frame: icmp,
                    latency_ns,
                });
            }
        }
    }
}

/// The narrower of a link (`mtu`, what set it) and the interface MTU of the
/// external host `h` at its end (the link on a tie).
pub(super) fn towards_host(link: (u16, MtuLink), h: HostIdx, host_mtu: u16) -> (u16, MtuLink) {
    if host_mtu < link.0 {
        (host_mtu, MtuLink::Host(h))
    } else {
        link
    }
}
