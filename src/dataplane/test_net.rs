//! A builder for small hand-made networks in tests and benches (no topology file
//! needed). Arguments are literals written by the programmer: it panics on a
//! malformed CIDR or address, so never feed it input.
//! Defaults follow AWS: a VPC gets a main route table with its local route, a
//! default NACL allowing everything, and a default group (inbound from itself,
//! all outbound).

use crate::model::*;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub struct TestNet {
    pub net: Network,
}

fn allow_all(number: u16) -> NaclRule {
    nacl_all(number, "0.0.0.0/0", RuleAction::Allow)
}

/// A NACL rule for every protocol and port to/from `cidr`.
pub fn nacl_all(number: u16, cidr: &str, action: RuleAction) -> NaclRule {
    NaclRule {
        number,
        traffic: TrafficMatch::ALL,
        cidr: cidr.parse().unwrap(),
        action,
    }
}

/// An SG rule allowing everything to/from `cidr`.
pub fn sg_all(cidr: &str) -> SgRule {
    SgRule {
        traffic: TrafficMatch::ALL,
        peer: SgPeer::Cidr(cidr.parse().unwrap()),
        description: String::new(),
    }
}

/// The inbound SG rule AWS tells users to add for path MTU discovery: ICMP type 3
/// code 4 ("fragmentation needed"), or with `v6` ICMPv6 type 2 ("packet too big"),
/// from anywhere.
pub fn sg_pmtud(v6: bool) -> SgRule {
    let (protocol, icmp, cidr) = if v6 {
        (
            proto::ICMPV6,
            IcmpMatch {
                icmp_type: Some(2),
                code: None,
            },
            "::/0",
        )
    } else {
        (
            proto::ICMP,
            IcmpMatch {
                icmp_type: Some(3),
                code: Some(4),
            },
            "0.0.0.0/0",
        )
    };
    SgRule {
        traffic: TrafficMatch {
            protocol: ProtocolMatch::Number(protocol),
            ports: PortRange::ALL,
            icmp,
        },
        peer: SgPeer::Cidr(cidr.parse().unwrap()),
        description: String::new(),
    }
}

/// An SG rule allowing one TCP port from/to `peer`.
pub fn sg_tcp(port: u16, peer: SgPeer) -> SgRule {
    sg_port(proto::TCP, port, peer)
}

/// An SG rule allowing one UDP port from/to `peer`.
pub fn sg_udp(port: u16, peer: SgPeer) -> SgRule {
    sg_port(proto::UDP, port, peer)
}

fn sg_port(protocol: u8, port: u16, peer: SgPeer) -> SgRule {
    SgRule {
        traffic: TrafficMatch {
            protocol: ProtocolMatch::Number(protocol),
            ports: PortRange {
                from: port,
                to: port,
            },
            icmp: IcmpMatch::ANY,
        },
        peer,
        description: String::new(),
    }
}

/// A NACL rule for TCP `ports` from/to `cidr`.
pub fn nacl_tcp(number: u16, cidr: &str, ports: (u16, u16), action: RuleAction) -> NaclRule {
    NaclRule {
        number,
        traffic: TrafficMatch {
            protocol: ProtocolMatch::Number(proto::TCP),
            ports: PortRange {
                from: ports.0,
                to: ports.1,
            },
            icmp: IcmpMatch::ANY,
        },
        cidr: cidr.parse().unwrap(),
        action,
    }
}

impl TestNet {
    /// Regions us-east-1 (AZs 0 and 1) and eu-west-1 (AZ 2).
    pub fn new() -> TestNet {
        let mut net = Network {
            name: "test".into(),
            ..Network::default()
        };
        for r in ["us-east-1", "eu-west-1"] {
            net.regions.push(Region { name: r.into() });
        }
        for (name, r) in [("us-east-1a", 0), ("us-east-1b", 0), ("eu-west-1a", 1)] {
            net.azs.push(Az {
                name: name.into(),
                region: RegionIdx(r),
            });
        }
        TestNet { net }
    }

    pub fn build(self) -> Network {
        self.net
    }

    pub fn vpc(&mut self, cidr: &str) -> VpcIdx {
        self.vpc_in(0, cidr)
    }

    pub fn vpc_in(&mut self, region: u32, cidr: &str) -> VpcIdx {
        let v = VpcIdx(self.net.vpcs.len() as u32);
        let rtb = RtbIdx(self.net.route_tables.len() as u32);
        let cidr: ipnet::Ipv4Net = cidr.parse().unwrap();
        self.net.route_tables.push(RouteTable {
            id: format!("rtb-main{}", v.0),
            vpc: v,
            is_main: true,
            routes: vec![Route {
                destination: RouteDestination::Cidr(IpNet::V4(cidr)),
                target: RouteTarget::Local,
                propagated: false,
            }],
        });
        let nacl = NaclIdx(self.net.nacls.len() as u32);
        self.net.nacls.push(Nacl {
            id: format!("acl-default{}", v.0),
            vpc: v,
            is_default: true,
            inbound: vec![allow_all(100)],
            outbound: vec![allow_all(100)],
        });
        let sg = SgIdx(self.net.security_groups.len() as u32);
        self.net.security_groups.push(SecurityGroup {
            id: format!("sg-default{}", v.0),
            name: "default".into(),
            vpc: v,
            is_default: true,
            ingress: vec![SgRule {
                traffic: TrafficMatch::ALL,
                peer: SgPeer::Group(sg),
                description: String::new(),
            }],
            egress: vec![sg_all("0.0.0.0/0")],
        });
        self.net.vpcs.push(Vpc {
            egress_only_internet_gateway: None,
            id: format!("vpc-{}", v.0),
            region: RegionIdx(region),
            cidrs: vec![cidr],
            ipv6: None,
            main_route_table: rtb,
            default_nacl: nacl,
            default_sg: sg,
            internet_gateway: None,
        });
        v
    }

    /// Give a VPC an IPv6 block (and its local route in the main table).
    pub fn vpc_ipv6(&mut self, vpc: VpcIdx, cidr: &str) {
        let c: ipnet::Ipv6Net = cidr.parse().unwrap();
        self.net.vpcs[vpc.ix()].ipv6 = Some(c);
        let rtb = self.net.vpcs[vpc.ix()].main_route_table;
        self.route(rtb, cidr, RouteTarget::Local);
        // AWS adds ::/0 allow rules to the default NACL of an IPv6 VPC.
        let n = self.net.vpcs[vpc.ix()].default_nacl;
        let mut all6 = allow_all(101);
        all6.cidr = "::/0".parse().unwrap();
        self.net.nacls[n.ix()].inbound.push(all6.clone());
        self.net.nacls[n.ix()].outbound.push(all6);
    }

    pub fn subnet(&mut self, vpc: VpcIdx, cidr: &str, az: u32) -> SubnetIdx {
        let s = SubnetIdx(self.net.subnets.len() as u32);
        let v = &self.net.vpcs[vpc.ix()];
        self.net.subnets.push(Subnet {
            id: format!("subnet-{}", s.0),
            vpc,
            az: AzIdx(az),
            cidr: cidr.parse().unwrap(),
            ipv6: None,
            route_table: v.main_route_table,
            nacl: v.default_nacl,
        });
        s
    }

    pub fn sg(&mut self, vpc: VpcIdx, ingress: Vec<SgRule>, egress: Vec<SgRule>) -> SgIdx {
        let s = SgIdx(self.net.security_groups.len() as u32);
        self.net.security_groups.push(SecurityGroup {
            id: format!("sg-{}", s.0),
            name: format!("group{}", s.0),
            vpc,
            is_default: false,
            ingress,
            egress,
        });
        s
    }

    pub fn prefix_list(&mut self, cidrs: &[&str]) -> PlIdx {
        let p = PlIdx(self.net.prefix_lists.len() as u32);
        self.net.prefix_lists.push(PrefixList {
            id: format!("pl-{}", p.0),
            name: format!("list{}", p.0),
            cidrs: cidrs.iter().map(|c| c.parse().unwrap()).collect(),
        });
        p
    }

    /// An instance with one ENI at `ip` in `subnet`.
    pub fn eni(&mut self, subnet: SubnetIdx, ip: &str, sgs: &[SgIdx]) -> EniIdx {
        let e = EniIdx(self.net.enis.len() as u32);
        let i = InstanceIdx(self.net.instances.len() as u32);
        let vpc = self.net.subnets[subnet.ix()].vpc;
        self.net.instances.push(Instance {
            id: format!("i-{}", i.0),
            name: format!("host{}", i.0),
            enis: vec![e],
            tcp: TcpBuffers::default(),
            bandwidth_bps: DEFAULT_INSTANCE_BANDWIDTH_BPS,
            placement_group: None,
            forward: Forwarding::None,
        });
        self.net.enis.push(Eni {
            id: format!("eni-{}", e.0),
            instance: i,
            subnet,
            vpc,
            private_ip: ip.parse().unwrap(),
            ipv6: None,
            public_ip: None,
            mtu: 9001,
            security_groups: sgs.to_vec(),
            source_dest_check: true,
            mac: Eni::mac_for_index(e.ix()),
        });
        e
    }

    pub fn route_table(&mut self, vpc: VpcIdx) -> RtbIdx {
        let r = RtbIdx(self.net.route_tables.len() as u32);
        let mut routes = Vec::new();
        for c in &self.net.vpcs[vpc.ix()].cidrs {
            routes.push(Route {
                destination: RouteDestination::Cidr(IpNet::V4(*c)),
                target: RouteTarget::Local,
                propagated: false,
            });
        }
        self.net.route_tables.push(RouteTable {
            id: format!("rtb-{}", r.0),
            vpc,
            is_main: false,
            routes,
        });
        r
    }

    pub fn associate(&mut self, subnet: SubnetIdx, rtb: RtbIdx) {
        self.net.subnets[subnet.ix()].route_table = rtb;
    }

    pub fn route(&mut self, rtb: RtbIdx, cidr: &str, target: RouteTarget) {
        self.net.route_tables[rtb.ix()].routes.push(Route {
            destination: RouteDestination::Cidr(cidr.parse().unwrap()),
            target,
            propagated: false,
        });
    }

    pub fn route_pl(&mut self, rtb: RtbIdx, pl: PlIdx, target: RouteTarget) {
        self.net.route_tables[rtb.ix()].routes.push(Route {
            destination: RouteDestination::PrefixList(pl),
            target,
            propagated: false,
        });
    }

    pub fn nacl(
        &mut self,
        subnet: SubnetIdx,
        inbound: Vec<NaclRule>,
        outbound: Vec<NaclRule>,
    ) -> NaclIdx {
        let n = NaclIdx(self.net.nacls.len() as u32);
        let vpc = self.net.subnets[subnet.ix()].vpc;
        self.net.nacls.push(Nacl {
            id: format!("acl-{}", n.0),
            vpc,
            is_default: false,
            inbound,
            outbound,
        });
        self.net.subnets[subnet.ix()].nacl = n;
        n
    }

    /// An active peering between the VPCs of `sa` and `sb`, each subnet given a
    /// route table of its own that sends the other VPC's first CIDR over it.
    pub fn peer_subnets(&mut self, sa: SubnetIdx, sb: SubnetIdx) -> PcxIdx {
        let (a, b) = (self.net.subnets[sa.ix()].vpc, self.net.subnets[sb.ix()].vpc);
        let pcx = self.peering(a, b, PeeringStatus::Active);
        for (subnet, vpc, other) in [(sa, a, b), (sb, b, a)] {
            let rtb = self.route_table(vpc);
            self.associate(subnet, rtb);
            let cidr = self.net.vpcs[other.ix()].cidrs[0].to_string();
            self.route(rtb, &cidr, RouteTarget::Peering(pcx));
        }
        pcx
    }

    pub fn peering(&mut self, a: VpcIdx, b: VpcIdx, status: PeeringStatus) -> PcxIdx {
        let p = PcxIdx(self.net.peerings.len() as u32);
        let inter = self.net.vpcs[a.ix()].region != self.net.vpcs[b.ix()].region;
        self.net.peerings.push(Peering {
            id: format!("pcx-{}", p.0),
            requester: a,
            accepter: b,
            status,
            mtu: if inter { 1500 } else { 9001 },
            inter_region: inter,
        });
        p
    }

    pub fn igw(&mut self, vpc: VpcIdx) -> IgwIdx {
        let g = IgwIdx(self.net.internet_gateways.len() as u32);
        self.net.internet_gateways.push(InternetGateway {
            id: format!("igw-{}", g.0),
            vpc: Some(vpc),
        });
        self.net.vpcs[vpc.ix()].internet_gateway = Some(g);
        g
    }

    pub fn public_ip(&mut self, eni: EniIdx, ip: &str) {
        self.net.enis[eni.ix()].public_ip = Some(ip.parse().unwrap());
    }

    pub fn eni_ipv6(&mut self, eni: EniIdx, ip: &str) {
        self.net.enis[eni.ix()].ipv6 = Some(ip.parse::<Ipv6Addr>().unwrap());
    }

    pub fn nat(&mut self, subnet: SubnetIdx, private: &str, public: &str) -> NatIdx {
        let n = NatIdx(self.net.nat_gateways.len() as u32);
        let vpc = self.net.subnets[subnet.ix()].vpc;
        self.net.nat_gateways.push(NatGateway {
            id: format!("nat-{}", n.0),
            subnet,
            vpc,
            private_ip: private.parse::<Ipv4Addr>().unwrap(),
            public_ip: public.parse::<Ipv4Addr>().unwrap(),
        });
        n
    }

    pub fn vgw(&mut self, vpc: VpcIdx, onprem: &str) -> VgwIdx {
        let g = VgwIdx(self.net.vpn_gateways.len() as u32);
        self.net.vpn_gateways.push(VpnGateway {
            id: format!("vgw-{}", g.0),
            vpc: Some(vpc),
            onprem_cidrs: vec![onprem.parse().unwrap()],
            latency_ns: 5_000_000,
            mtu: 1500,
        });
        g
    }

    pub fn endpoint(&mut self, vpc: VpcIdx, pl: PlIdx) -> VpceIdx {
        let e = VpceIdx(self.net.gateway_endpoints.len() as u32);
        self.net.gateway_endpoints.push(GatewayEndpoint {
            id: format!("vpce-{}", e.0),
            vpc,
            service: "com.amazonaws.us-east-1.s3".into(),
            prefix_list: pl,
        });
        e
    }

    pub fn external(&mut self, name: &str, ip: &str, site: ExternalSite) -> HostIdx {
        let h = HostIdx(self.net.external_hosts.len() as u32);
        self.net.external_hosts.push(ExternalHost {
            name: name.into(),
            ip: ip.parse::<IpAddr>().unwrap(),
            site,
            mtu: 1500,
        });
        h
    }
}

impl Default for TestNet {
    fn default() -> Self {
        TestNet::new()
    }
}

/// Frames for tests and benches.
pub mod frames {
    use crate::wire::{build_packet, PacketSpec, Transport};
    use std::net::IpAddr;

    fn build(src: &str, dst: &str, transport: Transport, payload_len: usize, df: bool) -> Vec<u8> {
        build_packet(&PacketSpec {
            src_mac: [0x02, 0, 0, 0, 0xaa, 0x01],
            dst_mac: super::super::ROUTER_MAC,
            src: src.parse::<IpAddr>().unwrap(),
            dst: dst.parse::<IpAddr>().unwrap(),
            transport,
            payload_len,
            dont_fragment: df,
            identification: 7,
            ttl: 64,
        })
        .unwrap()
    }

    fn tcp_with_df(
        src: &str,
        dst: &str,
        sport: u16,
        dport: u16,
        flags: u8,
        payload_len: usize,
        df: bool,
    ) -> Vec<u8> {
        let t = Transport::Tcp {
            src_port: sport,
            dst_port: dport,
            flags,
            seq: 1,
            ack: 0,
        };
        build(src, dst, t, payload_len, df)
    }

    /// A TCP segment with `flags` (SYN = 0x02, SYN-ACK = 0x12, ACK = 0x10).
    pub fn tcp(
        src: &str,
        dst: &str,
        sport: u16,
        dport: u16,
        flags: u8,
        payload_len: usize,
    ) -> Vec<u8> {
        tcp_with_df(src, dst, sport, dport, flags, payload_len, true)
    }

    /// A TCP segment with DF clear (so the network may fragment it).
    pub fn tcp_no_df(
        src: &str,
        dst: &str,
        sport: u16,
        dport: u16,
        flags: u8,
        payload_len: usize,
    ) -> Vec<u8> {
        tcp_with_df(src, dst, sport, dport, flags, payload_len, false)
    }

    /// A UDP datagram; `df` sets Don't Fragment (IPv4).
    pub fn udp(
        src: &str,
        dst: &str,
        sport: u16,
        dport: u16,
        payload_len: usize,
        df: bool,
    ) -> Vec<u8> {
        build(
            src,
            dst,
            Transport::Udp {
                src_port: sport,
                dst_port: dport,
            },
            payload_len,
            df,
        )
    }

    /// An ICMP(v6) echo request or reply.
    pub fn echo(src: &str, dst: &str, reply: bool) -> Vec<u8> {
        echo_id(src, dst, 1, reply)
    }

    /// An echo request or reply with identifier `id` (56 payload bytes).
    pub fn echo_id(src: &str, dst: &str, id: u16, reply: bool) -> Vec<u8> {
        build(src, dst, Transport::Echo { id, seq: 1, reply }, 56, false)
    }
}

/// One VPC with an internet gateway: a public subnet (ENI with a public IP, a NAT
/// gateway) and a private subnet routed through the NAT gateway.
pub struct Internet {
    pub t: TestNet,
    pub public_subnet: SubnetIdx,
    pub public_eni: EniIdx,
    pub private_eni: EniIdx,
    pub host: HostIdx,
    pub igw: IgwIdx,
    pub nat: NatIdx,
}

pub fn internet() -> Internet {
    let mut t = TestNet::new();
    let v = t.vpc("10.0.0.0/16");
    let public = t.subnet(v, "10.0.0.0/24", 0);
    let private = t.subnet(v, "10.0.1.0/24", 0);
    let igw = t.igw(v);
    let main = t.net.vpcs[v.ix()].main_route_table;
    t.route(main, "0.0.0.0/0", RouteTarget::InternetGateway(igw));
    let nat = t.nat(public, "10.0.0.5", "54.0.0.5");
    let prt = t.route_table(v);
    t.associate(private, prt);
    t.route(prt, "0.0.0.0/0", RouteTarget::NatGateway(nat));
    let web = t.sg(v, vec![sg_all("0.0.0.0/0")], vec![sg_all("0.0.0.0/0")]);
    let public_eni = t.eni(public, "10.0.0.10", &[web]);
    t.public_ip(public_eni, "54.0.0.10");
    let private_eni = t.eni(private, "10.0.1.10", &[web]);
    let host = t.external("internet", "93.184.216.34", ExternalSite::Internet);
    Internet {
        t,
        public_subnet: public,
        public_eni,
        private_eni,
        host,
        igw,
        nat,
    }
}
