//! Middlebox routing (a route whose target is an instance or ENI): what the
//! instance does with a packet that reached its ENI but is addressed to someone
//! else. AWS delivers such a packet only when the ENI's source/destination check
//! is off (else `SOURCE_DEST_CHECK`, decided in `deliver.rs`); what happens next is
//! up to the instance's operating system, which the instance's `forward` option
//! models ([`Forwarding`]):
//!
//! - `none` (default, Linux `ip_forward = 0`): dropped, `NOT_FORWARDED`.
//! - `router` (`ip_forward = 1`): the kernel lowers the TTL (at 1: dropped,
//!   `TTL_EXCEEDED`, and ICMP time exceeded goes back from the instance) and
//!   sends the packet out by its own routing table: out of the ENI whose subnet
//!   holds the destination, else out of its first ENI (`eth0`, the default
//!   route); the VPC router then takes it as traffic *from* that ENI (source
//!   check off, security group outbound, NACL outbound, the subnet's route
//!   table). Both legs are ENI traffic, so the appliance's security groups and
//!   NACLs apply on both, as in AWS.
//! - `nat`: a router that also masquerades (netfilter `MASQUERADE` with
//!   connection tracking): the source becomes the departure ENI's address and a
//!   port; replies, addressed to the instance, are translated back and forwarded.
//!
//! The forwarding happens inside one pass of the router: the departure leg's
//! actions carry the arrival leg's latency and charges, and each delivered frame
//! records the appliance it crossed ([`ApplianceCrossing`]) so the simulation
//! can show it on the appliance's ENIs (arrival and departure) in captures and
//! flow logs. Out of line: the common path never comes here.

use super::pipeline::{owns, Sink};
use super::trace::{Hop, Tracer};
use super::{Action, Dataplane, DropDetail, Egress};
use crate::model::*;
use crate::wire::{self, FlowKey, FragmentKind, IcmpKind};
use std::net::{IpAddr, Ipv4Addr};

/// A frame that crossed a forwarding instance on its way (the last one, when it
/// crossed several): enough for the simulation to show it on the appliance's
/// ENIs without the router keeping a copy (see `sim::run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApplianceCrossing {
    /// The ENI it arrived on; `None` when the instance sent it itself (its
    /// ICMP time exceeded).
    pub arrival: Option<EniIdx>,
    /// The ENI it left by (the same for a single-ENI instance).
    pub departure: EniIdx,
    /// A NAT instance's translation: `Some((true, address, port))` when the
    /// source was (address, port) before, `Some((false, …))` the destination.
    pub before: Option<(bool, Ipv4Addr, u16)>,
    /// A PrivateLink crossing (interface endpoint ENI ↔ NLB node ENI, see
    /// `privatelink.rs`) instead of a forwarding instance: the destination
    /// (address, port) before, `before` holding the source. Both addresses
    /// were translated and no TTL was lowered (no instance routed it).
    pub privatelink: Option<(Ipv4Addr, u16)>,
}

impl Dataplane {
    /// How the instance behind `eni` treats packets addressed to others.
    pub(super) fn instance_forwarding(&self, eni: EniIdx) -> Forwarding {
        self.net
            .enis
            .get(eni.ix())
            .and_then(|e| self.net.instances.get(e.instance.ix()))
            .map_or(Forwarding::None, |i| i.forward)
    }

    /// A packet addressed to a NAT instance's own `eni` that is a reply to a
    /// connection it masqueraded: the (address, port) to translate it back to.
    /// Out of line: asked only for ENIs with the check off.
    #[cold]
    #[inline(never)]
    pub(super) fn nat_instance_return(
        &mut self,
        now: u64,
        eni: EniIdx,
        key: &FlowKey,
        frame: &[u8],
    ) -> Option<(Ipv4Addr, u16)> {
        if self.instance_forwarding(eni) != Forwarding::Nat {
            return None;
        }
        let inst = self.net.enis.get(eni.ix())?.instance;
        let IpAddr::V4(remote) = key.src else {
            return None;
        };
        let table = self.instance_nat.get_mut(inst.ix())?;
        let port = match key.icmp_kind() {
            Some(IcmpKind::Error) => {
                // About a packet the instance masqueraded: the quote's source
                // is the instance's address and port.
                let q = wire::quoted_flow(frame).ok()?;
                let port = match q.icmp_query_type() {
                    Some(_) => q.icmp_id,
                    None => q.src_port,
                };
                return table.private_of(q.protocol, port);
            }
            Some(IcmpKind::Request | IcmpKind::Reply) => Some(key.icmp_id),
            Some(IcmpKind::Other) => None,
            None if key.fragment == FragmentKind::NonFirst => {
                let private = table.fragment_owner(remote)?;
                return Some((private, 0));
            }
            None if matches!(key.protocol, proto::TCP | proto::UDP) => Some(key.dst_port),
            None => None,
        };
        let back = table.inbound(now, key.protocol, port, remote)?;
        // A reply's first fragment names the connection; the fragments after
        // it carry no port or echo id and follow it to the same private host,
        // as the NAT gateway's do (Linux's conntrack gets there by reassembling
        // first). Without this note a reply the remote fragmented (a datagram
        // the instance forwarded whole, split on the internet's 1,500-byte leg)
        // had its tail delivered to the instance itself, and the flow's
        // packet was never completed nor dropped (the fuzz defect of #11/#17).
        if key.fragment == FragmentKind::First {
            table.note_first_fragment(remote, back.0);
        }
        Some(back)
    }

    /// The packet passed `eni`'s NACL and security group on arrival and is not
    /// for the instance itself (addressed to another, or a reply a NAT instance
    /// translates back: `back`). `arrival` is the arrival leg's latency and
    /// charges. Out of line: the common path delivers to the address owner.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn at_instance<T: Tracer>(
        &mut self,
        now: u64,
        eni: EniIdx,
        arrival: (u64, Charges),
        key: FlowKey,
        back: Option<(Ipv4Addr, u16)>,
        mut frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let forward = self.instance_forwarding(eni);
        if forward == Forwarding::None {
            return sink.drop(DropDetail::NotForwarded { eni }, Some(eni), frame);
        }
        let Some(e) = self.net.enis.get(eni.ix()) else {
            return sink.drop(DropDetail::NotForwarded { eni }, Some(eni), frame);
        };
        let inst = e.instance;
        // The kernel first checks the TTL (ip_forward, RFC 1812 §5.3.1).
        match wire::ttl(&frame) {
            Ok(t) if t > 1 => {}
            Ok(_) => return self.time_exceeded(now, eni, arrival, frame, sink),
            Err(m) => return sink.drop(DropDetail::Malformed(m.0), Some(eni), frame),
        }
        let ttl = match wire::decrement_ttl(&mut frame) {
            Ok(t) => t,
            Err(m) => return sink.drop(DropDetail::Malformed(m.0), Some(eni), frame),
        };
        let dst = match back {
            Some((ip, _)) => IpAddr::V4(ip),
            None => key.dst,
        };
        let out = self.departure_eni(inst, eni, dst);
        // The translation to apply: a reply going back gets its destination
        // (address, port) restored; a NAT instance's new outbound packet gets
        // its source masqueraded.
        let mut translate = back.map(|(ip, port)| (false, ip, port));
        if forward == Forwarding::Nat && back.is_none() {
            match self.masquerade(now, inst, out, &key) {
                Ok(t) => translate = t,
                Err(d) => return sink.drop(d, Some(eni), frame),
            }
        }
        sink.tr.hop(Hop::Forward {
            instance: inst,
            from: eni,
            to: out,
            ttl,
            nat: forward == Forwarding::Nat,
        });
        let mut before = None;
        let mut key = key;
        if let Some((is_src, ip, port)) = translate {
            let port = Some(port).filter(|_| key.fragment != FragmentKind::NonFirst);
            let change = Some((ip, port));
            let (s, d) = if is_src {
                (change, None)
            } else {
                (None, change)
            };
            if let Err(m) = wire::rewrite_ipv4(&mut frame, s, d) {
                return sink.drop(DropDetail::Malformed(m.0), Some(eni), frame);
            }
            let old = if is_src {
                (key.src, key.src_port, key.icmp_id)
            } else {
                (key.dst, key.dst_port, key.icmp_id)
            };
            let Ok(k) = wire::parse_frame(&frame) else {
                return sink.drop(DropDetail::Malformed("translated frame"), Some(eni), frame);
            };
            key = k;
            let ported = matches!(key.icmp_kind(), Some(IcmpKind::Request | IcmpKind::Reply));
            let (from_port, to_port) = match (is_src, ported) {
                (_, true) => (old.2, key.icmp_id),
                (true, false) => (old.1, key.src_port),
                (false, false) => (old.1, key.dst_port),
            };
            sink.tr.hop(Hop::Translate {
                from: old.0,
                from_port,
                to: IpAddr::V4(ip),
                to_port,
            });
            if let IpAddr::V4(a) = old.0 {
                before = Some((is_src, a, if ported { old.2 } else { old.1 }));
            }
        }
        let crossing = ApplianceCrossing {
            arrival: Some(eni),
            departure: out,
            before,
            privatelink: None,
        };
        self.depart(now, arrival, crossing, key, frame, sink);
    }

    /// Hand a frame the instance sends (forwarded, or its ICMP error) to the
    /// VPC router as traffic from `crossing.departure`, then add the arrival
    /// leg to what came of it: its latency and charges on every frame, the
    /// crossing on every delivered one. A router ICMP error addressed to
    /// someone else but sent back to the appliance (the departure leg was too
    /// big) reaches the instance, which forwards it on too.
    fn depart<T: Tracer>(
        &mut self,
        now: u64,
        (latency, charges): (u64, Charges),
        crossing: ApplianceCrossing,
        key: FlowKey,
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let start = sink.out.len();
        self.departing = true;
        self.ingress_eni(now, crossing.departure, key, frame, sink);
        self.departing = false;
        let mut i = start;
        while i < sink.out.len() {
            let relay = match &sink.out[i] {
                Action::IcmpError {
                    to: Egress::Eni(e),
                    frame,
                    ..
                } if *e == crossing.departure => wire::parse_frame(frame)
                    .ok()
                    .filter(|k| !owns(&self.net.enis[e.ix()], k.dst)),
                _ => None,
            };
            if let Some(k) = relay {
                if let Action::IcmpError { frame, .. } = sink.out.remove(i) {
                    // Its actions land at the end and get this leg's latency
                    // below, like the others.
                    let t = (0, Charges::NONE);
                    self.at_instance(now, crossing.departure, t, k, None, frame, sink);
                }
                continue;
            }
            match &mut sink.out[i] {
                Action::Deliver {
                    latency_ns,
                    charges: c,
                    ..
                } => {
                    *latency_ns += latency;
                    *c = c.union(charges);
                    self.note_crossing(i, crossing);
                }
                Action::IcmpError { latency_ns, .. } => *latency_ns += latency,
                Action::Drop { .. } => {}
            }
            i += 1;
        }
    }

    /// Record that the delivered action at `i` crossed `crossing`, unless it
    /// already records one (crossed later on its way: the last one is kept).
    pub(super) fn note_crossing(&mut self, i: usize, crossing: ApplianceCrossing) {
        if !self
            .appliance_crossings
            .iter()
            .any(|&(at, _)| at as usize == i)
        {
            self.appliance_crossings.push((i as u32, crossing));
        }
    }

    /// The instance's routing: the ENI of `inst` whose subnet holds `dst` (a
    /// directly connected network), else its first ENI (the default route via
    /// `eth0`'s subnet router), as Linux on a multi-ENI instance does.
    fn departure_eni(&self, inst: InstanceIdx, arrival: EniIdx, dst: IpAddr) -> EniIdx {
        let Some(i) = self.net.instances.get(inst.ix()) else {
            return arrival;
        };
        let connected = i.enis.iter().copied().find(|e| {
            self.net.enis.get(e.ix()).is_some_and(|x| {
                let s = &self.net.subnets[x.subnet.ix()];
                match dst {
                    IpAddr::V4(a) => s.cidr.contains(&a),
                    IpAddr::V6(a) => s.ipv6.is_some_and(|n| n.contains(&a)),
                }
            })
        });
        connected.or(i.enis.first().copied()).unwrap_or(arrival)
    }

    /// Masquerade: the new source (the departure ENI's address, and a port or
    /// echo identifier from the instance's connection tracking) for a packet
    /// leaving a NAT instance. `None`: IPv6 (forwarded as by a router; Linux
    /// masquerades IPv6 only when told to).
    fn masquerade(
        &mut self,
        now: u64,
        inst: InstanceIdx,
        out: EniIdx,
        key: &FlowKey,
    ) -> Result<Option<(bool, Ipv4Addr, u16)>, DropDetail> {
        let (IpAddr::V4(sip), IpAddr::V4(dip)) = (key.src, key.dst) else {
            return Ok(None);
        };
        let ip = self.net.enis[out.ix()].private_ip;
        let Some(table) = self.instance_nat.get_mut(inst.ix()) else {
            return Ok(None);
        };
        let port = match (key.fragment, key.icmp_kind()) {
            // Fragments after the first carry no port: they follow their first.
            (FragmentKind::NonFirst, _) => {
                table.note_first_fragment(dip, sip);
                return Ok(Some((true, ip, 0)));
            }
            (_, Some(IcmpKind::Request | IcmpKind::Reply)) => Some(key.icmp_id),
            (_, None) if matches!(key.protocol, proto::TCP | proto::UDP) => Some(key.src_port),
            _ => None,
        };
        if key.fragment == FragmentKind::First {
            table.note_first_fragment(dip, sip);
        }
        match table.outbound(now, key.protocol, sip, port, dip) {
            Some(p) => Ok(Some((true, ip, p))),
            None => Err(DropDetail::ConntrackFull { eni: out }),
        }
    }

    /// TTL ran out at the instance: dropped (`TTL_EXCEEDED`), and the instance
    /// sends ICMP time exceeded back to the source from the arrival ENI's
    /// address, through the router like any packet it sends.
    fn time_exceeded<T: Tracer>(
        &mut self,
        now: u64,
        eni: EniIdx,
        arrival: (u64, Charges),
        frame: Vec<u8>,
        sink: &mut Sink<'_, T>,
    ) {
        let e = &self.net.enis[eni.ix()];
        let from = match wire::parse_frame(&frame).map(|k| k.src) {
            Ok(IpAddr::V6(_)) => e.ipv6.map(IpAddr::V6),
            _ => Some(IpAddr::V4(e.private_ip)),
        };
        let icmp = from.and_then(|f| wire::icmp_time_exceeded(&frame, f).ok());
        sink.drop(DropDetail::TtlExceeded { eni }, Some(eni), frame);
        let Some(mut icmp) = icmp else { return };
        let mac = self.net.enis[eni.ix()].mac;
        let _ = wire::set_macs(&mut icmp, mac, super::ROUTER_MAC);
        let Ok(k) = wire::parse_frame(&icmp) else {
            return;
        };
        sink.tr.hop(Hop::TimeExceeded { eni, packet: k });
        let crossing = ApplianceCrossing {
            arrival: None,
            departure: eni,
            before: None,
            privatelink: None,
        };
        self.depart(now, arrival, crossing, k, icmp, sink);
    }
}
