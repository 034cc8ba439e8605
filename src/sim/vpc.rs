//! The adapter that plugs the VPC router ([`Dataplane`]) into the engine, and
//! [`run_network`], the one call that runs a topology end to end.

use super::{run, Attachment, Fabric, FabricAction, Observer, RunResult, SetupError, SimConfig};
use crate::dataplane::{
    Action, ApplianceCrossing, Dataplane, Egress, GatewayCrossing, Ingress, NatCrossing, Tracer,
};
use crate::model::Network;
use std::fmt::Write as _;
use std::net::IpAddr;

/// [`Dataplane`] as a [`Fabric`]: translates attachments and actions, and renders
/// drop details to text (drops are the rare path; forwarding allocates nothing).
pub struct VpcFabric<'n> {
    pub dataplane: Dataplane,
    net: &'n Network,
    actions: Vec<Action>,
}

impl<'n> VpcFabric<'n> {
    pub fn new(net: &'n Network) -> Self {
        VpcFabric {
            dataplane: Dataplane::new(net),
            net,
            actions: Vec::new(),
        }
    }
}

fn attachment(e: Egress) -> Attachment {
    match e {
        Egress::Eni(i) => Attachment::Eni(i),
        Egress::External(h) => Attachment::External(h),
    }
}

impl Fabric for VpcFabric<'_> {
    fn forward(
        &mut self,
        now_ns: u64,
        from: Attachment,
        frame: Vec<u8>,
        out: &mut Vec<FabricAction>,
    ) {
        let ingress = match from {
            Attachment::Eni(i) => Ingress::Eni(i),
            Attachment::External(h) => Ingress::External(h),
        };
        // A flow's cached path (the common case) comes back directly, crossing
        // nothing: no NAT, appliance or gateway.
        match self
            .dataplane
            .process_cached(now_ns, ingress, frame, &mut self.actions)
        {
            Some(d) => out.push(FabricAction::Deliver {
                to: attachment(d.to),
                frame: d.frame,
                latency_ns: d.latency_ns,
                via_peering: d.via_peering,
                via_tgw: None,
                charges: d.charges,
                via_nat: None,
                via_appliance: None,
                via_gateway: None,
            }),
            None => self.collect(out),
        }
    }

    fn untranslate(&self, public: IpAddr, protocol: u8, port: u16) -> Option<(IpAddr, u16)> {
        self.untranslated(public, protocol, port)
    }

    fn apply_change(&mut self, change: &crate::model::Change) -> Result<(), String> {
        self.dataplane.apply_change(change).map(|_| ())
    }

    fn untranslate_service(
        &self,
        node: IpAddr,
        protocol: u8,
        port: u16,
    ) -> Option<(IpAddr, u16, IpAddr, u16)> {
        self.untranslated_service(node, protocol, port)
    }
}

impl VpcFabric<'_> {
    /// [`Fabric::forward`], recording the router's decisions in `tr` (`run
    /// --explain`; `NoTrace` compiles to the untraced pipeline).
    pub fn forward_traced<T: Tracer>(
        &mut self,
        now_ns: u64,
        from: Attachment,
        frame: Vec<u8>,
        out: &mut Vec<FabricAction>,
        tr: &mut T,
    ) {
        let ingress = match from {
            Attachment::Eni(i) => Ingress::Eni(i),
            Attachment::External(h) => Ingress::External(h),
        };
        self.dataplane
            .process_traced(now_ns, ingress, frame, &mut self.actions, tr);
        self.collect(out);
    }

    /// Move the router's actions of the last frame to `out`, with the crossings
    /// it recorded.
    fn collect(&mut self, out: &mut Vec<FabricAction>) {
        // One action is the common case: popped, without a `Drain` (whose drop
        // costs about as much as moving the action).
        if self.actions.len() == 1 {
            if let Some(a) = self.actions.pop() {
                let via_nat = crossing_at(self.dataplane.nat_crossings(), 0);
                let via_app = crossing_at(self.dataplane.appliance_crossings(), 0);
                let via_gw = crossing_at(self.dataplane.gateway_crossings(), 0);
                // Drop details are rendered against the router's own network: after a
                // `[[change]]` its route tables and statuses are the current ones.
                let net = self.dataplane.network();
                out.push(fabric_action(net, a, via_nat, via_app, via_gw));
            }
        } else {
            let crossings = self.dataplane.nat_crossings();
            let apps = self.dataplane.appliance_crossings();
            let gws = self.dataplane.gateway_crossings();
            for (i, a) in self.actions.drain(..).enumerate() {
                let app = crossing_at(apps, i);
                out.push(fabric_action(
                    self.dataplane.network(),
                    a,
                    crossing_at(crossings, i),
                    app,
                    crossing_at(gws, i),
                ));
            }
        }
    }

    /// See [`Fabric::untranslate`].
    pub fn untranslated(&self, public: IpAddr, protocol: u8, port: u16) -> Option<(IpAddr, u16)> {
        let IpAddr::V4(public) = public else {
            return None;
        };
        // A NAT gateway's Elastic IP and public port, or an instance's public IP
        // (the internet gateway's 1:1 translation keeps the port).
        let (ip, p) = self
            .dataplane
            .nat_private_endpoint(public, protocol, port)
            .or_else(|| {
                let eni = self.dataplane.eni_by_public_ip(public)?;
                Some((self.net.enis.get(eni.ix())?.private_ip, port))
            })
            .unwrap_or((public, port));
        // A NAT instance masqueraded it (reached by its private address, or
        // by its public IP through the internet gateway).
        let behind = self.dataplane.instance_nat_private(ip, protocol, p);
        match behind {
            Some((ip, p)) => Some((IpAddr::V4(ip), p)),
            None if ip == public => self
                .untranslated_service(IpAddr::V4(public), protocol, port)
                .map(|(c, cp, _, _)| (c, cp)),
            None => Some((IpAddr::V4(ip), p)),
        }
    }

    /// See [`Fabric::untranslate_service`].
    pub fn untranslated_service(
        &self,
        node: IpAddr,
        protocol: u8,
        port: u16,
    ) -> Option<(IpAddr, u16, IpAddr, u16)> {
        let IpAddr::V4(node) = node else {
            return None;
        };
        self.dataplane
            .privatelink_consumer(node, protocol, port)
            .map(|(c, cp, e, lp)| (IpAddr::V4(c), cp, IpAddr::V4(e), lp))
    }
}

/// Run every flow of `net` through the VPC router.
pub fn run_network(
    net: &Network,
    config: &SimConfig<'_>,
    observer: &mut dyn Observer,
) -> Result<RunResult, SetupError> {
    let mut fabric = VpcFabric::new(net);
    run(net, config, &mut fabric, observer)
}

/// What the router recorded for its `i`-th action, if anything: the NAT gateway,
/// forwarding instance or gateway without an ENI it crossed. The router keeps
/// each kind in its own short list of (action index, crossing); most are empty.
#[inline]
fn crossing_at<C: Copy>(crossings: &[(u32, C)], i: usize) -> Option<C> {
    crossings
        .iter()
        .find(|&&(at, _)| at as usize == i)
        .map(|&(_, c)| c)
}

/// The engine's view of one of the data plane's actions (drop details rendered to
/// text).
fn fabric_action(
    net: &Network,
    a: Action,
    via_nat: Option<NatCrossing>,
    via_appliance: Option<ApplianceCrossing>,
    via_gateway: Option<GatewayCrossing>,
) -> FabricAction {
    match a {
        Action::Deliver {
            to,
            frame,
            latency_ns,
            via_peering,
            via_tgw,
            charges,
        } => FabricAction::Deliver {
            to: attachment(to),
            frame,
            latency_ns,
            via_peering,
            via_tgw,
            charges,
            via_nat,
            via_appliance,
            via_gateway,
        },
        Action::IcmpError {
            to,
            frame,
            latency_ns,
        } => FabricAction::Deliver {
            to: attachment(to),
            frame,
            latency_ns,
            via_peering: None,
            via_tgw: None,
            charges: crate::model::Charges::NONE,
            via_nat: None,
            via_appliance: None,
            via_gateway: None,
        },
        Action::Drop {
            reason,
            detail,
            eni,
            frame,
        } => {
            let mut text = String::new();
            let _ = write!(text, "{}", detail.display(net));
            FabricAction::Drop {
                reason,
                detail: text,
                eni,
                frame,
            }
        }
    }
}
