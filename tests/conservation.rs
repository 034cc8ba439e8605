//! Frame conservation (DESIGN.md §3), checked by every run itself: every frame a
//! host emits ends delivered, dropped with a reason, or in flight when the run
//! ends — in total and per flow. Here over every example topology (whole runs and
//! runs cut short) and over randomized topologies that mix what used to lose
//! frames quietly: NAT gateways and internet gateways, routes into instances,
//! datagrams up to 65,507 bytes, ports in the ephemeral range, early ends.
//!
//! `PEEREMU_FUZZ_CASES` raises the number of random topologies (see
//! `scripts/fuzz.sh` for a long local run).

use peeremu::sim::{run_network, NullObserver, RunResult, SimConfig};
use proptest::prelude::*;
use std::path::Path;

/// Random cases per run: `PEEREMU_FUZZ_CASES` or `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PEEREMU_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Panics with every flow's counts when the run's balance does not hold.
fn assert_conserved(what: &str, r: &RunResult) {
    let c = r.totals.conservation;
    let flows: Vec<String> = r
        .reports
        .iter()
        .map(|f| {
            format!(
                "  {} {}: sent {} delivered {} dropped {} in flight {} unaccounted {} {:?} {:?}",
                f.name,
                f.outcome.as_str(),
                f.sent_packets,
                f.delivered_packets,
                f.dropped_packets,
                f.in_flight_frames,
                f.unaccounted_packets,
                f.drops,
                f.notes
            )
        })
        .collect();
    assert!(
        c.holds,
        "{what}: conservation does not hold: {c:?}\n{}",
        flows.join("\n")
    );
    assert_eq!(
        c.emitted + c.generated,
        c.delivered + c.absorbed + c.dropped + c.in_flight,
        "{what}"
    );
    for f in &r.reports {
        assert_eq!(f.unaccounted_packets, 0, "{what}: flow {}", f.name);
    }
}

fn examples() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("topologies/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "the examples are there");
    files
}

#[test]
fn every_example_conserves_frames_whole_and_cut_short() {
    for path in examples() {
        let net = peeremu::topology::load_file(&path).expect("example loads");
        let name = path.display();
        // Whole runs, and runs ended early with frames still on the wire.
        for limit in [None, Some(1_000_000), Some(40_000_000), Some(1_500_000_000)] {
            let cfg = SimConfig {
                time_limit_ns: limit,
                ..Default::default()
            };
            let r = run_network(&net, &cfg, &mut NullObserver).expect("runs");
            assert_conserved(&format!("{name} limit {limit:?}"), &r);
            if limit.is_none() {
                assert!(r.totals.conservation.emitted > 0, "{name} sends frames");
            }
        }
    }
}

#[test]
fn a_run_cut_short_counts_frames_in_flight() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies/inter-region-mtu.toml");
    let net = peeremu::topology::load_file(&path).expect("loads");
    // 1 ms into an inter-region run, frames are still crossing the Atlantic.
    let cfg = SimConfig {
        time_limit_ns: Some(1_000_000),
        ..Default::default()
    };
    let r = run_network(&net, &cfg, &mut NullObserver).expect("runs");
    assert!(r.totals.conservation.in_flight > 0, "{:?}", r.totals);
    assert!(r.reports.iter().any(|f| f.in_flight_frames > 0));
    assert_conserved("inter-region cut at 1 ms", &r);
}

/// One random flow.
#[derive(Debug, Clone)]
struct FlowSpec {
    kind: u8,
    from: usize,
    to: usize,
    port: u16,
    size: u32,
    count: u32,
    bytes: u32,
    requests: u32,
}

/// One random topology: a VPC with a public and a private subnet, an internet
/// gateway, a NAT gateway, a forwarding candidate, and a peered VPC.
#[derive(Debug, Clone)]
struct Spec {
    nat: bool,
    app_public_ip: bool,
    middlebox_route: bool,
    middlebox_check: bool,
    /// What i-mb's kernel does with packets for others: 0 none, 1 router,
    /// 2 nat (then it has a public IP and, with `nat`, the private subnet's
    /// default route goes to it instead of the NAT gateway).
    middlebox_forward: u8,
    peering_active: bool,
    open_groups: bool,
    nacl_deny: bool,
    flows: Vec<FlowSpec>,
    limit_ms: Option<u64>,
}

const ENDPOINTS: [&str; 5] = ["app", "web", "internet", "peer", "mb"];

fn flow_spec() -> impl Strategy<Value = FlowSpec> {
    (
        0u8..4,
        0usize..ENDPOINTS.len(),
        0usize..ENDPOINTS.len(),
        prop_oneof![
            Just(22u16),
            Just(443u16),
            Just(5000u16),
            32768u16..61000,
            1u16..65535
        ],
        prop_oneof![
            3 => 0u32..1500,
            1 => 1500u32..20000,
            1 => 60000u32..=65507
        ],
        1u32..5,
        1u32..300_000,
        1u32..4,
    )
        .prop_map(
            |(kind, from, to, port, size, count, bytes, requests)| FlowSpec {
                kind,
                from,
                to,
                port,
                size,
                count,
                bytes,
                requests,
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<[bool; 7]>(),
        proptest::collection::vec(flow_spec(), 1..6),
        prop_oneof![Just(None), (1u64..3000).prop_map(Some)],
        0u8..3,
    )
        .prop_map(|(b, flows, limit_ms, middlebox_forward)| Spec {
            middlebox_forward,
            nat: b[0],
            app_public_ip: b[1],
            middlebox_route: b[2],
            middlebox_check: b[3],
            peering_active: b[4],
            open_groups: b[5],
            nacl_deny: b[6],
            flows,
            limit_ms,
        })
}

/// A flow's two ends: never the same endpoint, and from the internet only to an
/// instance with a public IP (the internet cannot address the others; `check`
/// refuses such a flow).
fn ends(s: &Spec, f: &FlowSpec) -> (&'static str, &'static str) {
    let from = ENDPOINTS[f.from];
    let to = ENDPOINTS[(f.from + 1 + f.to % (ENDPOINTS.len() - 1)) % ENDPOINTS.len()];
    let public = |e: &str| e == "web" || (e == "app" && s.app_public_ip);
    if from == "internet" && !public(to) {
        return (from, "web");
    }
    (from, to)
}

fn topology(s: &Spec) -> String {
    let mut t = String::from(
        r#"name = "random"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"
[[vpc]]
id = "vpc-p"
region = "us-east-1"
cidr = "10.2.0.0/16"
[[internet_gateway]]
id = "igw-a"
vpc = "vpc-a"
[[nat_gateway]]
id = "nat-a"
subnet = "subnet-pub"
private_ip = "10.0.0.10"
elastic_ip = "3.3.3.3"
[[host]]
name = "internet"
ip = "203.0.113.10"
[[subnet]]
id = "subnet-pub"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.0.0/24"
route_table = "rtb-pub"
[[subnet]]
id = "subnet-priv"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"
route_table = "rtb-priv"
nacl = "acl-priv"
[[subnet]]
id = "subnet-p"
vpc = "vpc-p"
az = "us-east-1b"
cidr = "10.2.1.0/24"
[[route_table]]
id = "rtb-p"
vpc = "vpc-p"
main = true
routes = [ { destination = "10.0.0.0/16", target = "pcx-ap" } ]
[[route_table]]
id = "rtb-pub"
vpc = "vpc-a"
main = true
routes = [ { destination = "0.0.0.0/0", target = "igw-a" }, { destination = "10.2.0.0/16", target = "pcx-ap" } ]
"#,
    );
    let default_route = match (s.nat, s.middlebox_forward) {
        (true, 2) => "i-mb",
        (true, _) => "nat-a",
        (false, _) => "igw-a",
    };
    let peer_route = if s.middlebox_route { "i-mb" } else { "pcx-ap" };
    t.push_str(&format!(
        "[[route_table]]\nid = \"rtb-priv\"\nvpc = \"vpc-a\"\nroutes = [ {{ destination = \"0.0.0.0/0\", target = \"{default_route}\" }}, {{ destination = \"10.2.0.0/16\", target = \"{peer_route}\" }} ]\n"
    ));
    let status = if s.peering_active {
        "active"
    } else {
        "pending-acceptance"
    };
    t.push_str(&format!(
        "[[peering]]\nid = \"pcx-ap\"\nrequester = \"vpc-a\"\naccepter = \"vpc-p\"\nstatus = \"{status}\"\n"
    ));
    let groups = if s.open_groups {
        t.push_str(
            "[[security_group]]\nid = \"sg-open\"\nvpc = \"vpc-a\"\ningress = [ { protocol = \"all\", cidr = \"0.0.0.0/0\" } ]\n\
             [[security_group]]\nid = \"sg-open-p\"\nvpc = \"vpc-p\"\ningress = [ { protocol = \"all\", cidr = \"0.0.0.0/0\" } ]\n",
        );
        (
            "security_groups = [\"sg-open\"]\n",
            "security_groups = [\"sg-open-p\"]\n",
        )
    } else {
        ("", "")
    };
    // The private subnet's NACL allows everything, or denies UDP coming in.
    let deny = if s.nacl_deny {
        "{ rule = 10, action = \"deny\", protocol = \"udp\", cidr = \"0.0.0.0/0\" }, "
    } else {
        ""
    };
    t.push_str(&format!(
        "[[network_acl]]\nid = \"acl-priv\"\nvpc = \"vpc-a\"\n\
         inbound = [ {deny}{{ rule = 20, action = \"allow\", protocol = \"all\", cidr = \"0.0.0.0/0\" }} ]\n\
         outbound = [ {{ rule = 10, action = \"allow\", protocol = \"all\", cidr = \"0.0.0.0/0\" }} ]\n"
    ));
    let public = if s.app_public_ip {
        "public_ip = \"54.1.2.3\"\n"
    } else {
        ""
    };
    t.push_str(&format!(
        "[[instance]]\nid = \"i-app\"\nname = \"app\"\nsubnet = \"subnet-priv\"\nprivate_ip = \"10.0.1.20\"\n{public}{}",
        groups.0
    ));
    t.push_str(&format!(
        "[[instance]]\nid = \"i-web\"\nname = \"web\"\nsubnet = \"subnet-pub\"\nprivate_ip = \"10.0.0.20\"\npublic_ip = \"54.1.2.4\"\n{}",
        groups.0
    ));
    t.push_str(&format!(
        "[[instance]]\nid = \"i-mb\"\nname = \"mb\"\nsubnet = \"subnet-pub\"\nprivate_ip = \"10.0.0.30\"\nsource_dest_check = {}\nforward = \"{}\"\n{}{}",
        s.middlebox_check,
        ["none", "router", "nat"][usize::from(s.middlebox_forward % 3)],
        if s.middlebox_forward == 2 { "public_ip = \"54.1.2.5\"\n" } else { "" },
        groups.0
    ));
    t.push_str(&format!(
        "[[instance]]\nid = \"i-peer\"\nname = \"peer\"\nsubnet = \"subnet-p\"\nprivate_ip = \"10.2.1.20\"\n{}",
        groups.1
    ));
    for (i, f) in s.flows.iter().enumerate() {
        let (from, to) = ends(s, f);
        t.push_str(&format!(
            "[[flow]]\nname = \"f{i}\"\nfrom = \"{from}\"\nto = \"{to}\"\n"
        ));
        match f.kind {
            0 => t.push_str(&format!(
                "kind = \"ping\"\nsize = {}\ncount = {}\n",
                f.size, f.count
            )),
            1 => t.push_str(&format!(
                "kind = \"udp\"\nport = {}\nsize = {}\ncount = {}\n",
                f.port, f.size, f.count
            )),
            2 => t.push_str(&format!(
                "kind = \"tcp\"\nport = {}\nbytes = {}\n",
                f.port, f.bytes
            )),
            _ => t.push_str(&format!(
                "kind = \"tcp\"\nport = {}\nrequests = {}\nresponse_bytes = {}\n",
                f.port,
                f.requests,
                f.bytes % 20_000 + 1
            )),
        }
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(24),
        max_global_rejects: cases(24).saturating_mul(2).max(1024),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_topologies_conserve_frames(s in spec()) {
        // With its default route to the NAT gateway, an instance with a public IP
        // answers the internet from the NAT gateway's address; the internet host
        // discards those replies, dropped for ASYMMETRIC_NAT_REPLY
        // (`asymmetric_nat_replies_are_flagged_not_silent` below).
        let text = topology(&s);
        // A flow from an endpoint to itself, or another combination the rules
        // refuse, is a load error: those cases test nothing here.
        let net = match peeremu::topology::load_str(&text, "random.toml") {
            Ok(net) => net,
            Err(e) => return Err(TestCaseError::reject(format!("does not load: {e}"))),
        };
        let cfg = SimConfig {
            time_limit_ns: s.limit_ms.map(|ms| ms * 1_000_000),
            ..Default::default()
        };
        // A flow the engine cannot set up (the internet sending to an instance
        // with no public address) is refused before any frame moves.
        let r = match run_network(&net, &cfg, &mut NullObserver) {
            Ok(r) => r,
            Err(e) => return Err(TestCaseError::reject(format!("not set up: {e}"))),
        };
        assert_conserved(&text, &r);
    }
}

/// The random topologies above must mostly load, or they test nothing.
#[test]
fn random_topologies_mostly_load() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut loaded = 0;
    for _ in 0..50 {
        let s = spec().new_tree(&mut runner).expect("value").current();
        if peeremu::topology::load_str(&topology(&s), "random.toml").is_ok() {
            loaded += 1;
        }
    }
    assert!(loaded >= 25, "only {loaded} of 50 random topologies load");
}

/// Replies that leave through a NAT gateway though their request came in through
/// the instance's public IP reach the internet host from the gateway's address:
/// it has no socket for them and discards them, each dropped for
/// ASYMMETRIC_NAT_REPLY with the gateway, the instance and a fix in the flow's
/// notes, and the balance holds.
#[test]
fn asymmetric_nat_replies_are_flagged_not_silent() {
    let s = Spec {
        nat: true,
        app_public_ip: true,
        middlebox_route: false,
        middlebox_check: false,
        middlebox_forward: 0,
        peering_active: false,
        open_groups: true,
        nacl_deny: false,
        flows: vec![FlowSpec {
            kind: 0,
            from: 2,
            to: 2,
            port: 22,
            size: 56,
            count: 3,
            bytes: 1,
            requests: 1,
        }],
        limit_ms: None,
    };
    let net = peeremu::topology::load_str(&topology(&s), "asymmetric.toml").expect("loads");
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs");
    let f = &r.reports[0];
    assert_eq!(f.delivered_packets, 0);
    assert_eq!(
        f.drops.get("ASYMMETRIC_NAT_REPLY"),
        Some(&3),
        "{:?}",
        f.drops
    );
    assert_eq!(f.dropped_packets, 3);
    assert!(
        f.notes
            .iter()
            .any(|n| n.contains("nat-a") && n.contains("i-app") && n.contains("igw-a")),
        "{:?}",
        f.notes
    );
    assert_conserved("asymmetric NAT replies", &r);
}

/// A receiver whose reassembly slots are all held by datagrams that lost a
/// fragment (the sender's uplink queue is shorter than one datagram's
/// fragments) discards the fragments of the next ones: HOST_REASSEMBLY_LIMIT,
/// every frame accounted for.
#[test]
fn fragments_beyond_the_reassembly_slots_are_dropped_with_a_reason() {
    let text = r#"name = "reassembly"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"
[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"
[[security_group]]
id = "sg-open"
vpc = "vpc-a"
ingress = [ { protocol = "all", cidr = "0.0.0.0/0" } ]
[[instance]]
id = "i-a"
subnet = "subnet-a"
private_ip = "10.0.1.10"
mtu = 1500
security_groups = ["sg-open"]
[[instance]]
id = "i-b"
subnet = "subnet-a"
private_ip = "10.0.1.20"
mtu = 1500
security_groups = ["sg-open"]
[[flow]]
name = "big"
from = "i-a"
to = "i-b"
kind = "udp"
port = 5000
size = 60000
count = 40
rate_pps = 100
"#;
    let net = peeremu::topology::load_str(text, "reassembly.toml").expect("loads");
    let cfg = SimConfig {
        host_link: peeremu::sim::LinkParams {
            queue_bytes: 30_000,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = run_network(&net, &cfg, &mut NullObserver).expect("runs");
    let f = &r.reports[0];
    assert_eq!(f.delivered_packets, 0, "every datagram lost its tail");
    let limited = f.drops.get("HOST_REASSEMBLY_LIMIT").copied().unwrap_or(0);
    assert!(limited > 0, "{:?}", f.drops);
    assert!(f.drops.contains_key("QUEUE_OVERFLOW"), "{:?}", f.drops);
    assert_conserved("reassembly limit", &r);
}

/// Regression (CI fuzz seed 20261208): a NAT instance (`forward = "nat"`) as the
/// private subnet's default route, and one 1,500-byte ping through it to the
/// internet. The internet host fragments its 1,528-byte reply; the instance
/// used to translate the first fragment back and keep the second for itself, so
/// the flow's packet ended unaccounted (sent 1, delivered 0, dropped 0). Now
/// both fragments follow the connection back and the reply arrives.
#[test]
fn a_nat_instance_as_default_route_accounts_for_every_frame() {
    let s = Spec {
        nat: true,
        app_public_ip: false,
        middlebox_route: false,
        middlebox_check: false,
        middlebox_forward: 2,
        peering_active: false,
        open_groups: false,
        nacl_deny: false,
        flows: vec![FlowSpec {
            kind: 0,
            from: 0,
            to: 1,
            port: 22,
            size: 1500,
            count: 1,
            bytes: 1,
            requests: 1,
        }],
        limit_ms: None,
    };
    let text = topology(&s);
    let net = peeremu::topology::load_str(&text, "nat-instance.toml").expect("loads");
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs");
    assert_conserved(&text, &r);
    let f = &r.reports[0];
    assert_eq!(
        (f.sent_packets, f.delivered_packets, f.dropped_packets),
        (1, 1, 0),
        "{:?} {:?}",
        f.drops,
        f.notes
    );
}
