//! Amazon DNS and Route 53 (issue #14 part 1), end to end: flows that name their
//! destination by DNS name are resolved by the emulated resolver before they
//! start, and go where the answer points. Each test loads a small topology,
//! runs it, and asserts the outcome and the lookup recorded for the flow.

use peeremu::route53::{resolve, Rcode, Vantage};
use peeremu::sim::{run_network, NullObserver, RunResult, SimConfig};
use peeremu::topology::load_str;
use std::process::Command;

/// Two VPCs in `region` peered by pcx-ab (vpc-b's side option `opt`), an IGW in
/// each, app in vpc-a (public 3.80.2.30), db in vpc-b (public 3.80.1.20)
/// admitting 5432 from vpc-a only; then `extra` and the flows.
fn topo(region: &str, opt: bool, extra: &str) -> String {
    format!(
        r#"
[[vpc]]
id = "vpc-a"
region = "{region}"
cidr = "10.0.0.0/16"
enable_dns_hostnames = true

[[vpc]]
id = "vpc-b"
region = "{region}"
cidr = "10.1.0.0/16"
enable_dns_hostnames = true

[[peering]]
id = "pcx-ab"
requester = "vpc-a"
accepter = "vpc-b"
status = "active"
accepter_allow_dns_resolution_from_remote_vpc = {opt}

[[internet_gateway]]
id = "igw-a"
vpc = "vpc-a"

[[internet_gateway]]
id = "igw-b"
vpc = "vpc-b"

[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "{region}a"
cidr = "10.0.1.0/24"

[[subnet]]
id = "subnet-b"
vpc = "vpc-b"
az = "{region}a"
cidr = "10.1.1.0/24"

[[route_table]]
id = "rtb-a"
vpc = "vpc-a"
main = true
routes = [{{ destination = "10.1.0.0/16", target = "pcx-ab" }}, {{ destination = "0.0.0.0/0", target = "igw-a" }}]

[[route_table]]
id = "rtb-b"
vpc = "vpc-b"
main = true
routes = [{{ destination = "10.0.0.0/16", target = "pcx-ab" }}, {{ destination = "0.0.0.0/0", target = "igw-b" }}]

[[security_group]]
id = "sg-db"
vpc = "vpc-b"
name = "db"
ingress = [{{ protocol = "tcp", ports = "5432", cidr = "10.0.0.0/16" }}]

[[instance]]
id = "i-app"
name = "app"
subnet = "subnet-a"
private_ip = "10.0.1.10"
public_ip = "3.80.2.30"

[[instance]]
id = "i-db"
name = "db"
subnet = "subnet-b"
private_ip = "10.1.1.20"
public_ip = "3.80.1.20"
security_groups = ["sg-db"]
{extra}
"#
    )
}

fn flow(name: &str, from: &str, to: &str) -> String {
    format!(
        "\n[[flow]]\nname = \"{name}\"\nkind = \"tcp\"\nfrom = \"{from}\"\nto = \"{to}\"\nport = 5432\nbytes = 10000\n"
    )
}

fn run(text: &str) -> (peeremu::model::Network, RunResult) {
    let net = load_str(text, "dns-test.toml").unwrap_or_else(|e| panic!("{e}"));
    let r = run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs");
    assert!(r.totals.conservation.holds, "{:?}", r.totals.conservation);
    (net, r)
}

fn outcome<'a>(r: &'a RunResult, name: &str) -> &'a str {
    r.reports
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no flow {name}"))
        .outcome
        .as_str()
}

fn answer(net: &peeremu::model::Network, flow: &str) -> Option<String> {
    let f = net.flows.iter().find(|f| f.name == flow).expect("flow");
    f.dns
        .as_ref()
        .expect("a flow by name")
        .address()
        .map(|a| a.to_string())
}

#[test]
fn public_hostname_is_private_across_a_peering_only_with_the_option() {
    let name = "ec2-3-80-1-20.compute-1.amazonaws.com";
    for (opt, want, outcome_want) in [
        (true, "10.1.1.20", "delivered"),
        (false, "3.80.1.20", "dropped"),
    ] {
        let (net, r) = run(&topo("us-east-1", opt, &flow("f", "app", name)));
        assert_eq!(answer(&net, "f").as_deref(), Some(want), "option {opt}");
        // Off: through igw-a to the public address; sg-db admits vpc-a's
        // private range only, so the classic failure.
        assert_eq!(outcome(&r, "f"), outcome_want, "option {opt}");
        if !opt {
            assert!(
                r.reports[0].drops.contains_key("SG_NO_MATCH"),
                "{:?}",
                r.reports[0].drops
            );
        }
    }
}

#[test]
fn ec2_hostnames_follow_aws_names_and_views() {
    let (net, _) = run(&topo("us-east-1", false, ""));
    let a = Vantage::Vpc(peeremu::model::VpcIdx(0));
    let b = Vantage::Vpc(peeremu::model::VpcIdx(1));
    let addr = |v, n: &str| resolve(&net, v, n, false).address().map(|a| a.to_string());
    // Private hostname: inside its own VPC only.
    assert_eq!(
        addr(b, "ip-10-1-1-20.ec2.internal").as_deref(),
        Some("10.1.1.20")
    );
    assert_eq!(
        resolve(&net, a, "ip-10-1-1-20.ec2.internal", false).rcode,
        Rcode::NxDomain
    );
    assert_eq!(
        resolve(&net, Vantage::Internet, "ip-10-1-1-20.ec2.internal", false).rcode,
        Rcode::NxDomain
    );
    // Public hostname: private inside the VPC, public outside.
    let public = "ec2-3-80-1-20.compute-1.amazonaws.com";
    assert_eq!(addr(b, public).as_deref(), Some("10.1.1.20"));
    assert_eq!(
        addr(Vantage::Internet, public).as_deref(),
        Some("3.80.1.20")
    );
    // Upper case and a trailing dot are the same name.
    assert_eq!(
        addr(b, "EC2-3-80-1-20.Compute-1.AmazonAWS.com.").as_deref(),
        Some("10.1.1.20")
    );
    // Elsewhere than us-east-1: <region>.compute.internal / .compute.amazonaws.com.
    let (net, _) = run(&topo("eu-west-1", true, ""));
    let a = Vantage::Vpc(peeremu::model::VpcIdx(0));
    let b = Vantage::Vpc(peeremu::model::VpcIdx(1));
    assert_eq!(
        resolve(&net, b, "ip-10-1-1-20.eu-west-1.compute.internal", false)
            .address()
            .map(|a| a.to_string())
            .as_deref(),
        Some("10.1.1.20")
    );
    assert_eq!(
        resolve(
            &net,
            a,
            "ec2-3-80-1-20.eu-west-1.compute.amazonaws.com",
            false
        )
        .address()
        .map(|a| a.to_string())
        .as_deref(),
        Some("10.1.1.20")
    );
    assert_eq!(
        resolve(&net, a, "ec2-3-80-1-20.compute-1.amazonaws.com", false).rcode,
        Rcode::NxDomain
    );
}

#[test]
fn vpc_dns_attributes_behave_as_documented() {
    // enable_dns_hostnames off in vpc-b: no public hostname (NXDOMAIN).
    let text = topo(
        "us-east-1",
        false,
        &flow("f", "app", "ec2-3-80-1-20.compute-1.amazonaws.com"),
    )
    .replacen(
        "cidr = \"10.1.0.0/16\"\nenable_dns_hostnames = true",
        "cidr = \"10.1.0.0/16\"\nenable_dns_hostnames = false",
        1,
    );
    let (_, r) = run(&text);
    assert_eq!(outcome(&r, "f"), "nxdomain");
    // enable_dns_support off in vpc-a: nobody answers; the stub gives up.
    let text = topo(
        "us-east-1",
        false,
        &flow("f", "app", "ec2-3-80-1-20.compute-1.amazonaws.com"),
    )
    .replacen(
        "cidr = \"10.0.0.0/16\"\nenable_dns_hostnames = true",
        "cidr = \"10.0.0.0/16\"\nenable_dns_support = false",
        1,
    );
    let (net, r) = run(&text);
    assert_eq!(outcome(&r, "f"), "dns-timeout");
    assert_eq!(r.reports[0].sent_packets, 0);
    let l = net.flows[0].dns.as_ref().unwrap();
    assert_eq!(l.resolution.rcode, Rcode::NoResponse);
    assert_eq!(
        l.answer_ns - l.query_ns,
        peeremu::route53::lookup::STUB_TIMEOUT_NS
    );
    // The query was sent and nobody took it.
    assert_eq!(r.totals.conservation.absorbed, 1);
}

#[test]
fn private_zones_answer_only_associated_vpcs_with_split_horizon() {
    let zones = r#"
[[private_zone]]
id = "Z1"
name = "example.com"
vpcs = ["vpc-a"]
records = [
  { name = "db.example.com", type = "CNAME", value = "db1.example.com" },
  { name = "db1.example.com", type = "A", value = "10.1.1.20" },
]

[[public_zone]]
id = "Z2"
name = "example.com"
records = [{ name = "db.example.com", type = "A", value = "3.80.1.20" }, { name = "www.example.com", type = "A", value = "3.80.1.20" }]
"#;
    let flows = [
        flow("a", "app", "db.example.com"),
        flow("b", "db", "nothere.example.org"),
        flow("www", "app", "www.example.com"),
    ];
    let text = topo("us-east-1", false, &format!("{zones}{}", flows.concat()));
    let (net, r) = run(&text);
    // vpc-a: the private zone, the CNAME followed inside it.
    assert_eq!(answer(&net, "a").as_deref(), Some("10.1.1.20"));
    let l = net.flows[0].dns.as_ref().unwrap();
    assert_eq!(l.resolution.answers.len(), 2);
    assert_eq!(outcome(&r, "a"), "delivered");
    // The private zone is authoritative for vpc-a: www is not in it → NXDOMAIN,
    // though the public zone has it.
    assert_eq!(outcome(&r, "www"), "nxdomain");
    // vpc-b (not associated) and the internet see the public zone.
    let b = Vantage::Vpc(peeremu::model::VpcIdx(1));
    assert_eq!(
        resolve(&net, b, "db.example.com", false)
            .address()
            .map(|a| a.to_string())
            .as_deref(),
        Some("3.80.1.20")
    );
    assert_eq!(
        resolve(&net, Vantage::Internet, "db.example.com", false)
            .address()
            .map(|a| a.to_string())
            .as_deref(),
        Some("3.80.1.20")
    );
    assert_eq!(outcome(&r, "b"), "nxdomain");
}

#[test]
fn resolver_endpoints_forward_to_and_answer_on_premises() {
    let extra = r#"
[[vpn_gateway]]
id = "vgw-a"
vpc = "vpc-a"
onprem_cidrs = ["192.168.0.0/16"]

[[host]]
name = "corp-dns"
ip = "192.168.0.53"
vgw = "vgw-a"

[[host]]
name = "corp-app"
ip = "192.168.10.10"
vgw = "vgw-a"
dns_forwarder = "rslvr-in"

[[onprem_zone]]
id = "corp"
name = "corp.example"
server = "corp-dns"
records = [{ name = "app.corp.example", type = "A", value = "192.168.10.10" }]

[[private_zone]]
id = "Z1"
name = "aws.example"
vpcs = ["vpc-b"]
records = [{ name = "db.aws.example", type = "A", value = "10.1.1.20" }]

[[resolver_endpoint]]
id = "rslvr-out"
direction = "outbound"
subnet = "subnet-a"
ip = "10.0.1.53"

[[resolver_endpoint]]
id = "rslvr-in"
direction = "inbound"
subnet = "subnet-b"
ip = "10.1.1.53"

[[resolver_rule]]
id = "rslvr-rr-corp"
domain = "corp.example"
endpoint = "rslvr-out"
targets = ["corp-dns"]
vpcs = ["vpc-a"]
"#;
    let (net, _) = run(&topo("us-east-1", false, extra));
    let a = Vantage::Vpc(peeremu::model::VpcIdx(0));
    let b = Vantage::Vpc(peeremu::model::VpcIdx(1));
    // Outbound: vpc-a's queries for corp.example go to corp-dns.
    let res = resolve(&net, a, "app.corp.example", false);
    assert_eq!(
        res.address().map(|x| x.to_string()).as_deref(),
        Some("192.168.10.10")
    );
    assert!(
        res.steps[0].contains("rslvr-rr-corp") && res.steps[0].contains("rslvr-out"),
        "{:?}",
        res.steps
    );
    // vpc-b has no rule: NXDOMAIN.
    assert_eq!(
        resolve(&net, b, "app.corp.example", false).rcode,
        Rcode::NxDomain
    );
    // Inbound: corp-app's DNS forwards to rslvr-in, answered as vpc-b (the
    // private zone associated with vpc-b).
    let corp_app = peeremu::model::HostIdx(
        net.external_hosts
            .iter()
            .position(|h| h.name == "corp-app")
            .unwrap() as u32,
    );
    let res = resolve(&net, Vantage::OnPremises(corp_app), "db.aws.example", false);
    assert_eq!(
        res.address().map(|x| x.to_string()).as_deref(),
        Some("10.1.1.20")
    );
    assert!(res.steps[0].contains("rslvr-in"), "{:?}", res.steps);
    // Without the inbound endpoint the on-premises host cannot see the zone.
    let plain = peeremu::model::HostIdx(
        net.external_hosts
            .iter()
            .position(|h| h.name == "corp-dns")
            .unwrap() as u32,
    );
    assert_eq!(
        resolve(&net, Vantage::OnPremises(plain), "db.aws.example", false).rcode,
        Rcode::NxDomain
    );
}

fn peeremu(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs")
}

#[test]
fn the_dns_peering_example_meets_its_expectations_and_reruns_byte_identically() {
    let dir = std::env::temp_dir().join(format!("peeremu-dns-{}", std::process::id()));
    let mut captures = Vec::new();
    for k in 0..2 {
        let out = dir.join(k.to_string());
        let o = peeremu(&[
            "run",
            "topologies/dns-peering.toml",
            "--out",
            out.to_str().unwrap(),
            "--no-report",
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["expectations"]["failed"], 0);
        assert_eq!(summary["totals"]["conservation"]["holds"], true);
        let f = &summary["flows"][0];
        assert_eq!(f["dns"]["answers"][0]["value"], "10.1.1.20");
        assert_eq!(
            summary["flows"][1]["dns"]["answers"][0]["value"],
            "3.80.1.20"
        );
        assert_eq!(summary["flows"][3]["outcome"], "nxdomain");
        assert_eq!(summary["flows"][3]["dns"]["rcode"], "NXDOMAIN");
        captures.push(std::fs::read(out.join("capture.pcapng")).unwrap());
    }
    assert_eq!(captures[0], captures[1], "reruns are byte-identical");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs tshark"]
fn dns_messages_decode_clean_in_tshark() {
    let dir = std::env::temp_dir().join(format!("peeremu-dns-tshark-{}", std::process::id()));
    let o = peeremu(&[
        "run",
        "topologies/dns-peering.toml",
        "--out",
        dir.to_str().unwrap(),
        "--no-report",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let cap = dir.join("capture.pcapng");
    let t = Command::new("tshark")
        .args([
            "-r",
            cap.to_str().unwrap(),
            "-Y",
            "dns",
            "-T",
            "fields",
            "-e",
            "dns.flags.response",
            "-e",
            "dns.qry.name",
            "-e",
            "dns.flags.rcode",
            "-e",
            "dns.a",
            "-e",
            "_ws.malformed",
        ])
        .output()
        .expect("tshark runs");
    let text = String::from_utf8_lossy(&t.stdout);
    // tshark prints booleans as 0/1 or False/True depending on its version.
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.replacen("True\t", "1\t", 1).replacen("False\t", "0\t", 1))
        .collect();
    // Five queries from instances (the internet host's lookup is public DNS,
    // off the modelled network) and five answers, NXDOMAIN included.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("0\t")).count(),
        5,
        "{text}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("1\t")).count(),
        5,
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("1\tec2-3-80-1-20.compute-1.amazonaws.com\t0\t10.1.1.20")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("1\tdb.internal.example\t3")),
        "{text}"
    );
    let bad = Command::new("tshark")
        .args(["-r", cap.to_str().unwrap(), "-Y", "dns && (_ws.malformed || _ws.expert.severity >= \"Warning\" || udp.checksum.status == \"Bad\" || ip.checksum.status == \"Bad\")"])
        .output()
        .expect("tshark runs");
    assert!(
        String::from_utf8_lossy(&bad.stdout).trim().is_empty(),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trace_accepts_a_name_and_shows_the_resolution_step() {
    let name = "ec2-3-80-1-20.compute-1.amazonaws.com";
    let t = |from: &str, to: &str| {
        let o = peeremu(&[
            "trace",
            "topologies/dns-peering.toml",
            "--from",
            from,
            "--to",
            to,
            "--port",
            "5432",
        ]);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
        )
    };
    let (code, out) = t("app-a", name);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("Resolution of {name}:")), "{out}");
    assert!(
        out.contains("accepter_allow_dns_resolution_from_remote_vpc = true"),
        "{out}"
    );
    assert!(out.contains("answer: 10.1.1.20"), "{out}");
    assert!(out.contains("delivered both ways"), "{out}");
    // The resolution comes before the hops.
    assert!(
        out.find("Resolution of").unwrap() < out.find("Request:").unwrap(),
        "{out}"
    );
    let (code, out) = t("app-c", name);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("answer: 3.80.1.20") && out.contains("SG_NO_MATCH"),
        "{out}"
    );
    let (code, out) = t("app-c", "db.internal.example");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the name did not resolve (NXDOMAIN)"), "{out}");
    let o = peeremu(&[
        "trace",
        "topologies/dns-peering.toml",
        "--from",
        "app-a",
        "--to",
        "api.example.com",
        "--port",
        "443",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["dns"]["answers"][0]["value"], "10.1.1.20");
    assert_eq!(v["dst"], "10.1.1.20");
}

/// A private zone whose `pool.internal.example` has 40 A records (the last one
/// db's address: the flow goes there), and three flows by name: one from app
/// to that name (its answer is over 512 bytes: truncated, retried over TCP),
/// one from app asking 169.254.169.253 for db's private hostname, and one from
/// the internet host asking its own resolver `192.0.2.53` for db's public
/// hostname (an internet host's lookup has frames when its resolver is named).
fn large_and_link_local() -> String {
    let mut records: Vec<String> = (100..139)
        .map(|i| {
            format!("{{ name = \"pool.internal.example\", type = \"A\", value = \"10.1.1.{i}\" }}")
        })
        .collect();
    records
        .push("{ name = \"pool.internal.example\", type = \"A\", value = \"10.1.1.20\" }".into());
    let extra = format!(
        r#"
[[private_zone]]
id = "Z-POOL"
name = "internal.example"
vpcs = ["vpc-a"]
records = [{}]

[[host]]
name = "internet"
ip = "203.0.113.10"

[[flow]]
name = "pool"
kind = "tcp"
from = "app"
to = "pool.internal.example"
port = 5432
bytes = 10000
expect = "delivered"

[[flow]]
name = "link-local"
kind = "tcp"
from = "app"
to = "ec2-3-80-1-20.compute-1.amazonaws.com"
dns_server = "169.254.169.253"
port = 5432
bytes = 10000
start_ms = 100
expect = "delivered"

[[flow]]
name = "from-internet"
kind = "ping"
from = "internet"
to = "ec2-3-80-2-30.compute-1.amazonaws.com"
dns_server = "192.0.2.53"
count = 1
start_ms = 200
"#,
        records.join(", ")
    );
    topo("us-east-1", true, &extra)
}

#[test]
fn a_large_answer_is_truncated_and_retried_over_tcp() {
    let (net, r) = run(&large_and_link_local());
    let l = net.flows[0].dns.as_ref().expect("a flow by name");
    assert_eq!(l.resolution.answers.len(), 40);
    assert!(l.truncated, "40 A records do not fit 512 bytes");
    // Three round trips: UDP (answer truncated), the TCP handshake, the query
    // over TCP; the flow starts when the full answer is in.
    assert_eq!(l.answer_ns - l.query_ns, 6 * l.one_way_ns);
    assert_eq!(net.flows[0].start_ns, l.answer_ns);
    assert_eq!(answer(&net, "pool").as_deref(), Some("10.1.1.20"));
    assert_eq!(outcome(&r, "pool"), "delivered");
    // A small answer is not truncated.
    let small = net.flows[1].dns.as_ref().unwrap();
    assert!(!small.truncated);
    assert_eq!(small.answer_ns - small.query_ns, 2 * small.one_way_ns);
    // Every lookup frame is counted: the run's own check balances.
    assert!(r.totals.conservation.holds);
}

#[test]
fn the_link_local_resolver_answers_like_base_plus_two() {
    let (net, r) = run(&large_and_link_local());
    let f = &net.flows[1];
    let l = f.dns.as_ref().unwrap();
    assert_eq!(
        l.server.map(|s| s.to_string()).as_deref(),
        Some("169.254.169.253")
    );
    // The same answer base +2 gives (the peering lets vpc-a resolve db's public
    // hostname to its private address).
    let base2 = resolve(
        &net,
        Vantage::Vpc(peeremu::model::VpcIdx(0)),
        &l.name,
        false,
    );
    assert_eq!(l.resolution.answers, base2.answers);
    assert_eq!(answer(&net, "link-local").as_deref(), Some("10.1.1.20"));
    assert_eq!(outcome(&r, "link-local"), "delivered");
    // The internet host asks the resolver it was given; the public address.
    let i = net.flows[2].dns.as_ref().unwrap();
    assert_eq!(
        i.server.map(|s| s.to_string()).as_deref(),
        Some("192.0.2.53")
    );
    assert_eq!(answer(&net, "from-internet").as_deref(), Some("3.80.2.30"));
}

#[test]
fn dns_server_is_checked() {
    for (server, from, to, says) in [
        (
            "10.0.0.53",
            "app",
            "db.example.org",
            "base +2 (10.0.0.2) or at 169.254.169.253",
        ),
        (
            "10.0.0.2",
            "app",
            "db",
            "`dns_server` is for a flow whose `to` is a DNS name",
        ),
        (
            "dns.example",
            "internet",
            "db.example.org",
            "not an IP address",
        ),
    ] {
        let text = topo(
            "us-east-1",
            false,
            &format!(
                "\n[[host]]\nname = \"internet\"\nip = \"203.0.113.10\"\n\n[[flow]]\nname = \"f\"\nkind = \"ping\"\nfrom = \"{from}\"\nto = \"{to}\"\ndns_server = \"{server}\"\n"
            ),
        );
        let e = load_str(&text, "t.toml").expect_err("rejected").to_string();
        assert!(e.contains(says) && e.contains("flow f"), "{server}: {e}");
    }
    // The VPC's own base +2 is accepted.
    let text = topo(
        "us-east-1",
        false,
        "\n[[flow]]\nname = \"f\"\nkind = \"ping\"\nfrom = \"app\"\nto = \"db.example.org\"\ndns_server = \"10.0.0.2\"\n",
    );
    assert!(load_str(&text, "t.toml").is_ok());
}

#[test]
#[ignore = "needs tshark"]
fn dns_over_tcp_and_the_link_local_resolver_decode_clean_in_tshark() {
    let dir = std::env::temp_dir().join(format!("peeremu-dns-tcp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let topo_file = dir.join("dns-tcp.toml");
    std::fs::write(&topo_file, large_and_link_local()).unwrap();
    let out = dir.join("out");
    let o = peeremu(&[
        "run",
        topo_file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-report",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["flows"][0]["dns"]["truncated"], true);
    assert_eq!(summary["flows"][1]["dns"]["truncated"], false);
    assert_eq!(summary["flows"][1]["dns"]["server"], "169.254.169.253");
    assert_eq!(summary["totals"]["conservation"]["holds"], true);
    let cap = out.join("capture.pcapng");
    let fields = |filter: &str, f: &[&str]| -> Vec<String> {
        let mut args = vec!["-r", cap.to_str().unwrap(), "-Y", filter, "-T", "fields"];
        for x in f {
            args.extend(["-e", x]);
        }
        let t = Command::new("tshark")
            .args(&args)
            .output()
            .expect("tshark runs");
        String::from_utf8_lossy(&t.stdout)
            .lines()
            .map(|l| l.replace("True", "1").replace("False", "0"))
            .collect()
    };
    // Over UDP: the query, and the answer with TC set and no records.
    let udp = fields(
        "udp && dns.qry.name == \"pool.internal.example\" && dns.flags.response == 1",
        &["dns.flags.truncated", "dns.count.answers"],
    );
    assert_eq!(udp, ["1\t0"], "UDP answer: TC, no records");
    // Over TCP port 53: the same query, answered in full (40 A records).
    let tcp = fields(
        "tcp.port == 53 && dns.qry.name == \"pool.internal.example\"",
        &[
            "dns.flags.response",
            "dns.flags.truncated",
            "dns.count.answers",
        ],
    );
    assert_eq!(tcp, ["0\t0\t0", "1\t0\t40"], "TCP query and full answer");
    // The TCP connection: SYN, SYN-ACK, ACK, the query, the answer (one
    // segment), the stub's ACK and FIN, the resolver's FIN, the last ACK.
    let segs = fields("tcp.port == 53", &["tcp.flags.str"]);
    assert_eq!(segs.len(), 9, "{segs:?}");
    assert!(segs[0].contains('S') && !segs[0].contains('A'), "{segs:?}");
    assert!(segs.iter().any(|s| s.contains('F')), "{segs:?}");
    // The link-local resolver: the query to 169.254.169.253 port 53 and its
    // answer from there.
    let ll = fields(
        "udp.port == 53 && ip.addr == 169.254.169.253",
        &["ip.src", "ip.dst", "dns.flags.response", "dns.a"],
    );
    assert_eq!(
        ll,
        [
            "10.0.1.10\t169.254.169.253\t0\t",
            "169.254.169.253\t10.0.1.10\t1\t10.1.1.20"
        ],
        "link-local query and answer"
    );
    // The internet host's lookup, at its own resolver.
    let inet = fields(
        "dns && ip.addr == 192.0.2.53",
        &["ip.src", "dns.flags.response", "dns.a"],
    );
    assert_eq!(
        inet,
        ["203.0.113.10\t0\t", "192.0.2.53\t1\t3.80.2.30"],
        "internet host's lookup"
    );
    let bad = fields(
        "(dns || tcp.port == 53) && (_ws.malformed || _ws.expert.severity >= \"Warning\" || tcp.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || ip.checksum.status == \"Bad\" || tcp.analysis.flags)",
        &["frame.number", "_ws.expert.message"],
    );
    assert!(bad.is_empty(), "{bad:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trace_says_when_the_answer_goes_over_tcp() {
    let dir = std::env::temp_dir().join(format!("peeremu-dns-trace-tcp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let topo_file = dir.join("dns-tcp.toml");
    std::fs::write(&topo_file, large_and_link_local()).unwrap();
    let t = topo_file.to_str().unwrap();
    let base = ["trace", t, "--from", "app", "--port", "5432"];
    let o = peeremu(&[&base[..], &["--to", "pool.internal.example"]].concat());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("truncated over UDP (TC), asked again over TCP port 53")
            && text.contains("answer: 10.1.1.20"),
        "{text}"
    );
    let o = peeremu(&[&base[..], &["--to", "pool.internal.example", "--json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["dns"]["truncated"], true);
    // A small answer fits UDP.
    let o = peeremu(
        &[
            &base[..],
            &["--to", "ec2-3-80-1-20.compute-1.amazonaws.com", "--json"],
        ]
        .concat(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["dns"]["truncated"], false);
    let _ = std::fs::remove_dir_all(&dir);
}
