//! Each warning fires on the mistake it is about, and not on the fixed file.

use super::find;
use crate::topology::load_str;

fn rules(src: &str) -> Vec<(&'static str, String)> {
    let net = load_str(src, "t.toml").unwrap_or_else(|e| panic!("invalid:\n{e}"));
    find(&net)
        .into_iter()
        .map(|w| (w.rule, format!("{}: {}", w.object, w.message)))
        .collect()
}

const TWO_REGIONS: &str = r#"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"

[[vpc]]
id = "vpc-b"
region = "eu-west-1"
cidr = "10.1.0.0/16"

[[peering]]
id = "pcx-ab"
requester = "vpc-a"
accepter = "vpc-b"

[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"

[[subnet]]
id = "subnet-b"
vpc = "vpc-b"
az = "eu-west-1a"
cidr = "10.1.1.0/24"

[[route_table]]
id = "rtb-a"
vpc = "vpc-a"
main = true
routes = [{ destination = "10.1.0.0/16", target = "pcx-ab" }]

[[route_table]]
id = "rtb-b"
vpc = "vpc-b"
main = true
routes = [{ destination = "10.0.0.0/16", target = "pcx-ab" }]

[[security_group]]
id = "sg-a"
vpc = "vpc-a"
ingress = [{ protocol = "icmp", icmp_type = 3, icmp_code = 4, cidr = "0.0.0.0/0" }]

[[security_group]]
id = "sg-b"
vpc = "vpc-b"
ingress = [
  { protocol = "tcp", ports = "5432", cidr = "10.0.0.0/16" },
  { protocol = "icmp", icmp_type = 3, icmp_code = 4, cidr = "0.0.0.0/0" },
]

[[instance]]
id = "i-a"
subnet = "subnet-a"
private_ip = "10.0.1.10"
security_groups = ["sg-a"]

[[instance]]
id = "i-b"
subnet = "subnet-b"
private_ip = "10.1.1.10"
security_groups = ["sg-b"]

[[flow]]
name = "db"
kind = "tcp"
from = "i-a"
to = "i-b"
port = 5432
bytes = 100000
"#;

#[test]
fn a_correct_inter_region_peering_has_no_warning() {
    assert_eq!(rules(TWO_REGIONS), vec![]);
}

#[test]
fn a_nacl_that_drops_fragmentation_needed_is_a_path_mtu_black_hole() {
    // vpc-a's subnet gets a NACL that allows only TCP: the ICMP 3/4 from the
    // peering's router back to i-a is dropped.
    let src = format!(
        "{TWO_REGIONS}{}",
        r#"
[[network_acl]]
id = "acl-tcp"
vpc = "vpc-a"
inbound = [{ rule = 100, protocol = "tcp", ports = "0-65535", cidr = "0.0.0.0/0", action = "allow" }]
outbound = [{ rule = 100, protocol = "all", cidr = "0.0.0.0/0", action = "allow" }]
"#
    )
    .replace(
        "cidr = \"10.0.1.0/24\"\n",
        "cidr = \"10.0.1.0/24\"\nnacl = \"acl-tcp\"\n",
    );
    let got = rules(&src);
    assert_eq!(got.len(), 1, "{got:?}");
    let (rule, text) = &got[0];
    assert_eq!(*rule, "path-mtu-blackhole");
    assert!(
        text.starts_with("network ACL acl-tcp: flow db: i-a sends 9001-byte packets"),
        "{text}"
    );
    assert!(text.contains("carries 1500"), "{text}");
    assert!(text.contains("icmp_type = 3, icmp_code = 4"), "{text}");
}

#[test]
fn a_route_into_a_peering_for_someone_elses_cidr_warns() {
    let src = TWO_REGIONS.replace(
        r#"routes = [{ destination = "10.1.0.0/16", target = "pcx-ab" }]"#,
        r#"routes = [{ destination = "10.1.0.0/16", target = "pcx-ab" }, { destination = "10.2.0.0/16", target = "pcx-ab" }]"#,
    );
    let got = rules(&src);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "route-peer-cidr");
    assert!(
        got[0]
            .1
            .contains("10.2.0.0/16 is outside the blocks of the peer vpc-b (10.1.0.0/16)"),
        "{}",
        got[0].1
    );
}

#[test]
fn a_route_table_no_subnet_uses_warns_unless_it_has_only_local_routes() {
    let unused = r#"
[[route_table]]
id = "rtb-spare"
vpc = "vpc-a"
routes = [{ destination = "10.1.0.0/16", target = "pcx-ab" }]
"#;
    let got = rules(&format!("{TWO_REGIONS}{unused}"));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "route-table-unused");
    assert!(
        got[0].1.starts_with("route table rtb-spare: no subnet"),
        "{}",
        got[0].1
    );
    let only_local = "\n[[route_table]]\nid = \"rtb-empty\"\nvpc = \"vpc-a\"\n";
    assert_eq!(rules(&format!("{TWO_REGIONS}{only_local}")), vec![]);
}

#[test]
fn a_nat_gateway_in_a_private_subnet_warns() {
    let nat = r#"
[[nat_gateway]]
id = "nat-a"
subnet = "subnet-a"
private_ip = "10.0.1.5"
elastic_ip = "52.0.0.5"
"#;
    let got = rules(&format!("{TWO_REGIONS}{nat}"));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "nat-gateway-no-igw");
    // With an internet gateway route in its subnet's table it is public: no warning.
    let public = format!("{TWO_REGIONS}{nat}\n[[internet_gateway]]\nid = \"igw-a\"\nvpc = \"vpc-a\"\n")
        .replace(
            r#"routes = [{ destination = "10.1.0.0/16", target = "pcx-ab" }]"#,
            r#"routes = [{ destination = "10.1.0.0/16", target = "pcx-ab" }, { destination = "0.0.0.0/0", target = "igw-a" }]"#,
        );
    assert_eq!(rules(&public), vec![]);
}

const TGW: &str = include_str!("../../topologies/warnings/route-tgw-cidr.toml");

#[test]
fn a_route_into_a_transit_gateway_that_its_table_does_not_know_warns() {
    let got = rules(TGW);
    // Only the 192.168.0.0/16 route: rtb-b's 10.0.0.0/8 summary route is covered in
    // part by vpc-a's propagated /16, the usual design.
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "route-tgw-cidr");
    assert!(
        got[0].1.starts_with(
            "route table rtb-a: route 192.168.0.0/16 → tgw-hub: no route in tgw-rtb-hub-default"
        ),
        "{}",
        got[0].1
    );
    let fixed = TGW.replace(
        "  { destination = \"192.168.0.0/16\", target = \"tgw-hub\" },\n",
        "",
    );
    assert_ne!(fixed, TGW);
    assert_eq!(rules(&fixed), vec![]);
}

#[test]
fn a_tgw_attachment_with_no_route_table_makes_every_route_to_the_tgw_warn() {
    let src = TGW.replace(
        "id = \"tgw-hub\"\nregion = \"us-east-1\"\n",
        "id = \"tgw-hub\"\nregion = \"us-east-1\"\ndefault_route_table_association = false\n",
    );
    assert_ne!(src, TGW);
    let got = rules(&src);
    // rtb-a's two routes and rtb-b's one: nothing is associated.
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().all(
        |(r, t)| *r == "route-tgw-cidr" && t.contains("is associated with no TGW route table")
    ));
}
