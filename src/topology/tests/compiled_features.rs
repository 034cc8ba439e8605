//! Compiled features not in the examples: IPv6, several ENIs, prefix lists and
//! gateway endpoints, instance route targets, default names.

use super::*;
use crate::model::*;

fn cidr(s: &str) -> RouteDestination {
    RouteDestination::Cidr(s.parse().expect("cidr"))
}

#[test]
fn ipv6_blocks_add_local_routes_and_default_rules() {
    let src = r#"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"
secondary_cidrs = ["10.1.0.0/16"]
ipv6_cidr = "2600:1f18:1:100::/56"

[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.1.1.0/24"
ipv6_cidr = "2600:1f18:1:101::/64"

[[instance]]
id = "i-a"
subnet = "subnet-a"
private_ip = "10.1.1.10"
ipv6 = "2600:1f18:1:101::10"

[[instance]]
id = "i-b"
subnet = "subnet-a"
private_ip = "10.1.1.11"
ipv6 = "2600:1f18:1:101::11"

[[flow]]
name = "v6"
kind = "ping"
from = "i-a"
to = "i-b"
ipv6 = true
"#;
    let n = ok(src);
    let main = n.route_table(n.vpcs[0].main_route_table);
    let locals: Vec<_> = main.routes.iter().map(|r| r.destination.clone()).collect();
    assert_eq!(
        locals,
        vec![
            cidr("10.0.0.0/16"),
            cidr("10.1.0.0/16"),
            cidr("2600:1f18:1:100::/56")
        ]
    );
    assert!(main.routes.iter().all(|r| r.target == RouteTarget::Local));
    let acl = n.nacl(n.vpcs[0].default_nacl);
    assert_eq!(
        acl.inbound.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![100, 101]
    );
    assert_eq!(n.sg(n.vpcs[0].default_sg).egress.len(), 2);
    assert!(n.flows[0].ipv6);
    assert!(n.vpcs[0].contains("2600:1f18:1:1ff::1".parse().expect("ip")));
}

#[test]
fn several_enis_endpoints_and_prefix_lists() {
    let src = format!(
        "{VPC_A}{SUBNET_A}{}",
        r#"
[[subnet]]
id = "subnet-b"
vpc = "vpc-a"
az = "us-east-1b"
cidr = "10.0.2.0/24"

[[prefix_list]]
id = "pl-s3"
name = "com.amazonaws.us-east-1.s3"
cidrs = ["52.216.0.0/15"]

[[route_table]]
id = "rtb-a"
vpc = "vpc-a"
routes = [{ destination = "10.9.0.0/16", target = "fw" }]

[[gateway_endpoint]]
id = "vpce-s3"
vpc = "vpc-a"
service = "s3"
prefix_list = "pl-s3"
route_tables = ["rtb-a"]

[[security_group]]
id = "sg-web"
vpc = "vpc-a"
ingress = [{ protocol = 6, ports = 443, prefix_list = "pl-s3" }]
egress = []

[[instance]]
id = "i-fw"
name = "fw"
enis = [
  { subnet = "subnet-a", private_ip = "10.0.1.10", source_dest_check = false, mtu = 1500 },
  { id = "eni-fw-b", subnet = "subnet-b", private_ip = "10.0.2.10", security_groups = ["sg-web"] },
  { subnet = "subnet-b", private_ip = "10.0.2.11" },
]
"#
    );
    let n = ok(&src);
    let ids: Vec<&str> = n.enis.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["eni-fw", "eni-fw-b", "eni-fw-2"]);
    assert_eq!(n.instances[0].enis, vec![EniIdx(0), EniIdx(1), EniIdx(2)]);
    assert!(!n.enis[0].source_dest_check);
    assert_eq!(n.enis[0].mtu, 1500);
    assert_eq!(n.enis[2].mac, Eni::mac_for_index(2));
    let t = n
        .route_tables
        .iter()
        .find(|t| t.id == "rtb-a")
        .expect("rtb");
    assert_eq!(t.routes.len(), 3);
    assert_eq!(
        t.routes[1].target,
        RouteTarget::Eni(EniIdx(0)),
        "an instance target is its first ENI"
    );
    assert_eq!(
        t.routes[2],
        Route {
            destination: RouteDestination::PrefixList(PlIdx(0)),
            target: RouteTarget::GatewayEndpoint(VpceIdx(0)),
            propagated: false
        }
    );
    let web = n
        .security_groups
        .iter()
        .find(|g| g.id == "sg-web")
        .expect("sg");
    assert_eq!(web.ingress[0].peer, SgPeer::PrefixList(PlIdx(0)));
    assert!(web.egress.is_empty(), "egress = [] means no egress");
    assert_eq!(n.gateway_endpoints[0].service, "s3");
}

#[test]
fn name_defaults_to_the_file_stem() {
    let n = load_str(VPC_A, "dir/my-topo.toml").expect("valid");
    assert_eq!(n.name, "my-topo");
}

#[test]
fn the_implicit_internet_host_takes_a_free_address() {
    let src = format!("{VPC_A}\n[[host]]\nname = \"cdn\"\nip = \"203.0.113.10\"\n");
    let n = ok(&src);
    let internet = n
        .external_hosts
        .iter()
        .find(|h| h.name == "internet")
        .expect("internet");
    assert_eq!(
        internet.ip,
        "203.0.113.11".parse::<std::net::IpAddr>().expect("ip")
    );
}

#[test]
fn request_response_keys_compile_with_defaults_and_replace_bytes() {
    let base = format!(
        "{VPC_A}{SUBNET_A}{}{}",
        inst("i-a", "10.0.1.10", ""),
        inst("i-b", "10.0.1.11", "")
    );
    let flow = |keys: &str| {
        format!("{base}\n[[flow]]\nname = \"f\"\nkind = \"tcp\"\nfrom = \"i-a\"\nto = \"i-b\"\n{keys}\n")
    };
    let net = ok(&flow("requests = 7\nresponse_bytes = 9000"));
    let f = &net.flows[0];
    assert_eq!(
        f.request_response,
        Some(RequestResponse {
            requests: 7,
            request_bytes: 100,
            response_bytes: 9000,
            interval_ns: 0,
        })
    );
    assert_eq!(f.bytes, 0, "no bulk transfer alongside");
    assert_eq!(ok(&flow("bytes = 5000")).flows[0].request_response, None);
    // Each wrong combination is its own diagnostic, at its key.
    let rules = |keys: &str| -> Vec<&'static str> {
        errors(&flow(keys)).iter().map(|d| d.diag.rule).collect()
    };
    assert_eq!(rules("bytes = 10\nrequests = 2"), ["flow-keys"]);
    assert_eq!(rules("request_bytes = 10"), ["flow-keys"]);
    assert_eq!(rules("requests = 2\nresponse_bytes = 0"), ["flow-value"]);
    let spaced = ok(&flow("requests = 3\ninterval_ms = 15000"));
    let rr = spaced.flows[0].request_response.expect("request/response");
    assert_eq!(rr.interval_ns, 15_000_000_000);
    assert_eq!(rules("requests = 2\ninterval_ms = -1"), ["flow-value"]);
    assert_eq!(rules("interval_ms = 10"), ["flow-keys"]);
    let udp = flow("requests = 2").replace("kind = \"tcp\"", "kind = \"udp\"");
    let e = errors(&udp);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].to_string().contains("applies only to tcp flows"),
        "{}",
        e[0]
    );
}

#[test]
fn tcp_buffer_maxima_are_instance_keys_with_linux_defaults() {
    let src = format!(
        "{}{}{}",
        vpc("vpc-a", "us-east-1", "10.0.0.0/16", ""),
        "[[subnet]]\nid = \"subnet-a\"\nvpc = \"vpc-a\"\naz = \"us-east-1a\"\ncidr = \"10.0.1.0/24\"\n",
        inst("i-a", "10.0.1.10", "tcp_rmem_max = 16777216\ntcp_wmem_max = 8388608\n")
            + &inst("i-b", "10.0.1.11", "")
            + &inst("i-c", "10.0.1.12", "tcp_congestion = \"reno\"\n")
            + &inst("i-d", "10.0.1.13", "tcp_congestion = \"none\"\n"),
    );
    let net = ok(&src);
    assert_eq!(
        net.instances[0].tcp,
        TcpBuffers {
            rmem_max: 16_777_216,
            wmem_max: 8_388_608,
            congestion: TcpCongestion::Cubic,
        }
    );
    assert_eq!(net.instances[1].tcp, TcpBuffers::LINUX);
    assert_eq!(TcpBuffers::LINUX.rmem_max, 6_291_456);
    assert_eq!(TcpBuffers::LINUX.congestion, TcpCongestion::Cubic);
    assert_eq!(net.instances[2].tcp.congestion, TcpCongestion::Reno);
    assert_eq!(net.instances[3].tcp.congestion, TcpCongestion::None);
}
