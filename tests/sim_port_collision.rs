//! An ephemeral source port is never a port the same host listens on (as on
//! Linux): host B sends to A from an ephemeral port, and A sends to B's port of
//! that very number. Before, B's client socket bound to that port took A's
//! datagrams: the flow log said ACCEPT, the flow 0 delivered and no drops.

use peeremu::dataplane::test_net::{sg_all, TestNet};
use peeremu::model::*;
use peeremu::output::Outcome;
use peeremu::sim::{
    run_network, CapturePoint, DropEvent, FrameDirection, NullObserver, Observer, SimConfig,
};

/// The UDP source ports `eni` sent from.
struct SourcePorts {
    eni: EniIdx,
    ports: Vec<u16>,
}

impl Observer for SourcePorts {
    fn frame(&mut self, _: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
        if point == CapturePoint::Eni(self.eni) && dir == FrameDirection::Outbound {
            // Ethernet (14) + IPv4 without options (20) + UDP.
            if frame.len() >= 38 && frame[23] == 17 {
                let p = u16::from_be_bytes([frame[34], frame[35]]);
                if !self.ports.contains(&p) {
                    self.ports.push(p);
                }
            }
        }
    }
    fn dropped(&mut self, _: DropEvent<'_>) {}
}

fn network() -> (Network, EniIdx, EniIdx) {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    let s = t.subnet(v, "10.0.1.0/24", 0);
    let sg = t.sg(v, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let a = t.eni(s, "10.0.1.10", &[sg]);
    let b = t.eni(s, "10.0.1.20", &[sg]);
    let mut net = t.build();
    net.flows.push(Flow {
        port: 5001,
        size: 100,
        count: 5,
        bytes: 20_000,
        rate_pps: 10.0,
        expect: Some(Expectation::Delivered),
        ..Flow::new("b-to-a", FlowKind::Udp, Endpoint::Eni(b), Endpoint::Eni(a))
    });
    (net, a, b)
}

fn port_b_sends_from(net: &Network, b: EniIdx) -> u16 {
    let mut obs = SourcePorts {
        eni: b,
        ports: Vec::new(),
    };
    run_network(net, &SimConfig::default(), &mut obs).expect("setup");
    assert_eq!(obs.ports.len(), 1, "{:?}", obs.ports);
    obs.ports[0]
}

fn collides(kind: FlowKind) {
    let (mut net, a, b) = network();
    let p = port_b_sends_from(&net, b);
    // A sends to B's port p: the port B's first flow would draw.
    net.flows.push(Flow {
        port: p,
        size: 100,
        count: 5,
        bytes: 20_000,
        rate_pps: 10.0,
        expect: Some(Expectation::Delivered),
        ..Flow::new("a-to-b", kind, Endpoint::Eni(a), Endpoint::Eni(b))
    });
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    for f in &r.reports {
        assert_eq!(f.outcome, Outcome::Delivered, "{}: {f:?}", f.name);
        assert!(f.delivered_packets > 0 && f.bytes_delivered > 0, "{f:?}");
    }
    let moved = port_b_sends_from(&net, b);
    assert_ne!(moved, p, "B's ephemeral port must avoid its listening port");
}

#[test]
fn an_ephemeral_udp_port_avoids_the_hosts_udp_listening_ports() {
    collides(FlowKind::Udp);
}

#[test]
fn an_ephemeral_udp_port_avoids_the_hosts_tcp_listening_ports_only_as_linux_does() {
    // TCP and UDP ports are separate: B's UDP port may equal its TCP listening port,
    // and both flows still work.
    let (mut net, a, b) = network();
    let p = port_b_sends_from(&net, b);
    net.flows.push(Flow {
        port: p,
        bytes: 20_000,
        expect: Some(Expectation::Delivered),
        ..Flow::new("a-to-b", FlowKind::Tcp, Endpoint::Eni(a), Endpoint::Eni(b))
    });
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("setup");
    for f in &r.reports {
        assert_eq!(f.outcome, Outcome::Delivered, "{}: {f:?}", f.name);
    }
    assert_eq!(port_b_sends_from(&net, b), p);
}
