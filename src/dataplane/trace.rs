//! Recording every decision of the pipeline for `peeremu trace`, at no cost to
//! the hot path: the pipeline is generic over [`Tracer`], and [`NoTrace`]'s empty
//! `hop` is inlined away with the construction of its argument.

use super::{DropDetail, Egress};
use crate::model::{
    Direction, DxIdx, EigwIdx, EniIdx, HostIdx, IgwIdx, InstanceIdx, NaclIdx, NatIdx, PcxIdx,
    RtbIdx, SubnetIdx, TgwAttIdx, TgwIdx, TgwRtbIdx, VgwIdx, VpceIdx,
};
use crate::policy::{MatchedRule, NaclExempt, NaclVerdict, Tracked};
use crate::wire::FlowKey;
use ipnet::IpNet;
use std::net::IpAddr;

/// Why a security group let a packet through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SgVerdict {
    /// A rule allowed it (and, if tracked, a conntrack entry now exists).
    Rule(MatchedRule),
    /// It belongs to a tracked flow: allowed regardless of rules.
    Tracked(Tracked),
    /// An ICMP error related to a tracked flow (fragmentation needed).
    Related,
}

/// A gateway a packet went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    Internet(IgwIdx),
    Nat(NatIdx),
    Vpn(VgwIdx),
    Endpoint(VpceIdx),
    EgressOnlyInternet(EigwIdx),
    /// A Direct Connect connection and its virtual interface (index).
    DirectConnect(DxIdx, u16),
}

/// What the MTU step decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtuDecision {
    Fits,
    /// IPv4 with DF clear: fragmented into this many frames.
    Fragmented(u16),
    /// DF set (or IPv6): dropped, ICMP error sent back.
    TooBig,
}

/// One recorded decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// The packet leaves (`Outbound`) or arrives at (`Inbound`) an ENI.
    Eni {
        eni: EniIdx,
        dir: Direction,
    },
    /// The packet comes from, or is delivered to, an external host.
    External {
        host: HostIdx,
        dir: Direction,
    },
    Sg {
        eni: EniIdx,
        dir: Direction,
        verdict: SgVerdict,
    },
    Nacl {
        nacl: NaclIdx,
        subnet: SubnetIdx,
        dir: Direction,
        verdict: NaclVerdict,
    },
    /// NACLs do not apply within a subnet.
    NaclSkipped {
        subnet: SubnetIdx,
    },
    /// NACLs do not filter traffic to and from Amazon services (DNS, DHCP,
    /// instance metadata, time sync): recorded when the rules would have denied it.
    NaclExempt {
        nacl: NaclIdx,
        dir: Direction,
        exempt: NaclExempt,
    },
    Route {
        rtb: RtbIdx,
        prefix: IpNet,
        route: u16,
    },
    Peering {
        pcx: PcxIdx,
    },
    Gateway {
        gateway: Gateway,
    },
    /// PrivateLink: a consumer's packet at interface endpoint ENI `endpoint`
    /// leaves NLB node `node` for `target`; `target` `None`: a target's reply at
    /// `node` goes back out of `endpoint`.
    PrivateLink {
        endpoint: EniIdx,
        node: EniIdx,
        target: Option<EniIdx>,
    },
    /// Address translation (IGW 1:1 NAT, NAT gateway).
    Translate {
        from: IpAddr,
        from_port: u16,
        to: IpAddr,
        to_port: u16,
    },
    Mtu {
        packet: u16,
        link: u16,
        decision: MtuDecision,
    },
    Deliver {
        to: Egress,
        latency_ns: u64,
    },
    Drop {
        detail: DropDetail,
    },
    /// The router sends an ICMP error (IPv4 fragmentation needed / ICMPv6 packet
    /// too big, advertising `mtu`) back to the source; `packet` is that error's own
    /// key (the router's address to the source), for what follows it in the trace.
    IcmpError {
        to: Egress,
        mtu: u16,
        packet: FlowKey,
    },
    /// The packet enters (`Inbound`) or leaves (`Outbound`) transit gateway `tgw`
    /// through attachment `att`.
    TgwAttachment {
        att: TgwAttIdx,
        tgw: TgwIdx,
        dir: Direction,
    },
    /// The TGW route table lookup: route number `route` of `rtb` (static or
    /// propagated, to an attachment or a blackhole).
    TgwRoute {
        rtb: TgwRtbIdx,
        prefix: IpNet,
        route: u32,
    },
    /// A forwarded TCP SYN's MSS option lowered from `from` to `to`.
    MssClamp {
        from: u16,
        to: u16,
    },
    /// A forwarding instance (`forward = "router"`/`"nat"`) passes the packet
    /// that arrived on `from` on by its own routing, out of `to` (the same ENI,
    /// or another of its ENIs in the destination's subnet), TTL lowered to `ttl`.
    Forward {
        instance: InstanceIdx,
        from: EniIdx,
        to: EniIdx,
        ttl: u8,
        nat: bool,
    },
    /// A forwarding instance answers a packet whose TTL ran out with ICMP time
    /// exceeded from its ENI `eni`; `packet` is that error's key.
    TimeExceeded {
        eni: EniIdx,
        packet: FlowKey,
    },
}

/// Receives the pipeline's decisions.
pub trait Tracer {
    /// Whether hops are recorded: untraced processing may take the router's
    /// per-flow cache (`flow_cache`), which records no hops.
    const RECORDS: bool = true;

    fn hop(&mut self, hop: Hop);
    /// The hops that follow happen `offset_ns` of virtual time after the frame
    /// entered the router (its one-way latency so far: the NAT gateway one AZ hop
    /// away, the far side of a link). Offsets never go back.
    #[inline(always)]
    fn at(&mut self, _offset_ns: u64) {}
}

/// Records nothing; compiles to nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;

impl Tracer for NoTrace {
    const RECORDS: bool = false;

    #[inline(always)]
    fn hop(&mut self, _: Hop) {}
}

/// Records every hop with the virtual time it happens at: `start_ns` (when the
/// frame entered the router) plus the offset the pipeline reported (see
/// [`Tracer::at`]).
#[derive(Debug, Default, Clone)]
pub struct TimedHops {
    pub hops: Vec<Hop>,
    /// `times[i]` is when `hops[i]` happened, in virtual ns.
    pub times: Vec<u64>,
    start_ns: u64,
    offset_ns: u64,
}

impl TimedHops {
    /// An empty record for a frame entering the router at `start_ns`.
    pub fn starting_at(start_ns: u64) -> TimedHops {
        TimedHops {
            start_ns,
            ..TimedHops::default()
        }
    }

    /// Forget the hops, keep the buffers (one frame after another).
    pub fn restart(&mut self, start_ns: u64) {
        self.hops.clear();
        self.times.clear();
        self.start_ns = start_ns;
        self.offset_ns = 0;
    }
}

impl Tracer for TimedHops {
    fn hop(&mut self, hop: Hop) {
        self.hops.push(hop);
        self.times
            .push(self.start_ns.saturating_add(self.offset_ns));
    }

    fn at(&mut self, offset_ns: u64) {
        self.offset_ns = self.offset_ns.max(offset_ns);
    }
}

/// Records every hop in order.
impl Tracer for Vec<Hop> {
    fn hop(&mut self, hop: Hop) {
        self.push(hop);
    }
}
