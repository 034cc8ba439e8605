//! Ids, references, associations, flows, parse errors, positions and "all errors reported".

use super::*;

#[test]
fn ids_references_and_associations() {
    only(&format!("{VPC_A}{VPC_A}"), "duplicate-id");
    // Ids are unique across kinds too.
    only(
        &format!("{VPC_A}\n[[internet_gateway]]\nid = \"vpc-a\"\n"),
        "duplicate-id",
    );
    let d = only(
        &format!(
            "{VPC_A}{}",
            SUBNET_A.replace("vpc = \"vpc-a\"", "vpc = \"vpc-aa\"")
        ),
        "unknown-reference",
    );
    assert_eq!(
        d.diag.message,
        "unknown vpc `vpc-aa`; did you mean `vpc-a`?"
    );
    only(
        &format!("{VPC_A}{}", SUBNET_A.replace("us-east-1a", "us-west-2a")),
        "az-region",
    );
    let rtb_b = "\n[[route_table]]\nid = \"rtb-b\"\nvpc = \"vpc-b\"\n";
    only(
        &format!("{VPC_A}{VPC_B}{rtb_b}{SUBNET_A}route_table = \"rtb-b\"\n"),
        "association-other-vpc",
    );
    let acl_b = "\n[[network_acl]]\nid = \"acl-b\"\nvpc = \"vpc-b\"\n";
    only(
        &format!("{VPC_A}{VPC_B}{acl_b}{SUBNET_A}nacl = \"acl-b\"\n"),
        "association-other-vpc",
    );
    // The implicit objects can be referenced by their ids.
    ok(&format!(
        "{VPC_A}{SUBNET_A}nacl = \"acl-default-a\"\nroute_table = \"rtb-main-a\"\n"
    ));
}

#[test]
fn a_broken_object_is_reported_once() {
    // The VPC is invalid; the subnet that references it must not add "unknown vpc".
    let src = format!("{}{SUBNET_A}", vpc("vpc-a", "us-east-1", "10.0.0.0/8", ""));
    only(&src, "cidr-size");
}

fn flow(body: &str) -> String {
    format!(
        "{VPC_A}{SUBNET_A}{}{}\n[[flow]]\nname = \"f\"\n{body}\n",
        inst("i-a", "10.0.1.10", ""),
        inst("i-b", "10.0.1.11", "")
    )
}

#[test]
fn flows() {
    ok(&flow(
        "kind = \"udp\"\nfrom = \"i-a\"\nto = \"eni-b\"\nexpect = \"dropped:NACL_DENY\"",
    ));
    ok(&flow("kind = \"ping\"\nfrom = \"i-a\"\nto = \"internet\""));
    let d = only(
        &flow("kind = \"ping\"\nfrom = \"i-a\"\nto = \"i-b\"\nexpect = \"dropped:NO_RUOTE\""),
        "unknown-reason",
    );
    assert!(
        d.diag.message.ends_with("did you mean `NO_ROUTE`?"),
        "{}",
        d.diag.message
    );
    only(
        &flow("kind = \"ping\"\nfrom = \"i-a\"\nto = \"i-b\"\nexpect = \"deliverd\""),
        "unknown-reason",
    );
    let d = only(
        &flow("kind = \"ping\"\nfrom = \"i-a\"\nto = \"i-c\""),
        "unknown-reference",
    );
    assert!(d.diag.message.contains("`i-c`"));
    only(
        &flow("kind = \"icmp\"\nfrom = \"i-a\"\nto = \"i-b\""),
        "unknown-protocol",
    );
    only(
        &flow("kind = \"ping\"\nfrom = \"i-a\"\nto = \"i-a\""),
        "flow-endpoints",
    );
    only(
        &flow("kind = \"tcp\"\nfrom = \"i-a\"\nto = \"i-b\"\nport = 70000"),
        "port-range",
    );
    only(
        &flow("kind = \"udp\"\nfrom = \"i-a\"\nto = \"i-b\"\nsize = 70000"),
        "flow-value",
    );
    only(
        &flow("kind = \"ping\"\nfrom = \"i-a\"\nto = \"i-b\"\nipv6 = true"),
        "flow-ipv6",
    );
    only(
        &flow("kind = \"udp\"\nfrom = \"i-a\"\nto = \"i-b\"\nrate_pps = 0.0"),
        "flow-value",
    );
}

#[test]
fn parse_errors_have_line_and_column() {
    let d = only("[[vpc]]\nid = \"vpc-a\"\nregion = \"us-east-1\"\ncidr = \"10.0.0.0/16\"\n  colour = \"red\"\n", "unknown-key");
    assert_eq!((d.line, d.col), (5, 3));
    let d = only(
        "[[vpc]]\nid = \"vpc-a\"\nregion = \"us-east-1\"\ncidr = [1]\n",
        "type",
    );
    assert_eq!((d.line, d.col), (4, 8));
    let d = only(
        "[[vpc]]\nid = \"vpc-a\"\nregion = \"us-east-1\"\n",
        "missing-key",
    );
    assert_eq!(d.line, 1);
    assert!(d.diag.message.contains("cidr"));
    let d = only("name = \"x\"\n[[vpc]\n", "syntax");
    assert_eq!(d.line, 2);
    let d = only(&format!("{VPC_A}\n[[vpcs]]\nid = \"x\"\n"), "unknown-key");
    assert!(d.diag.message.ends_with("did you mean `vpc`?"));
}

#[test]
fn every_error_is_reported_with_its_position() {
    // Three independent mistakes in three objects, plus a wrong type in a fourth
    // (an optional key: the flow is still checked, its unknown endpoints too).
    let src = "\
[[vpc]]
id = \"vpc-a\"
region = \"us-east-1\"
cidr = \"10.0.0.0/12\"

[[vpc]]
id = \"vpc-b\"
region = \"us-east-1\"
cidr = \"10.16.0.0/16\"
secondary_cidrs = [\"192.168.0.0/16\"]

[[peering]]
id = \"pcx-ab\"
requester = \"vpc-b\"
accepter = \"vpc-b\"

[[flow]]
name = \"f\"
kind = \"ping\"
from = \"a\"
to = \"b\"
df = \"yes\"
";
    let e = errors(src);
    let got: Vec<(usize, usize, &str)> = e.iter().map(|d| (d.line, d.col, d.diag.rule)).collect();
    assert_eq!(
        got,
        vec![
            (4, 8, "cidr-size"),
            (10, 20, "secondary-cidr-rfc1918"),
            (15, 12, "peering-self"),
            (20, 8, "unknown-reference"),
            (21, 6, "unknown-reference"),
            (22, 6, "type"),
        ]
    );
    assert!(e[0]
        .to_string()
        .starts_with("t.toml:4:8: vpc vpc-a: VPC CIDR block 10.0.0.0/12 is a /12"));
}

#[test]
fn implicit_ids_never_clash_with_the_files_ids() {
    // Not silently renamed (it used to become `sg-default-a-2`): refused, naming both.
    let mine = "\n[[security_group]]\nid = \"sg-default-a\"\nvpc = \"vpc-a\"\n";
    let d = only(&format!("{VPC_A}{mine}"), "duplicate-id");
    assert_eq!(d.diag.object, "vpc vpc-a");
    assert!(d
        .diag
        .message
        .contains("already taken by security group sg-default-a"));
}

#[test]
fn a_duplicate_table_is_reported_once() {
    let t = "\n[[route_table]]\nid = \"rtb-a\"\nvpc = \"vpc-a\"\nroutes = [{ destination = \"10.5.0.0/16\", target = \"blackhole\" }]\n";
    only(&format!("{VPC_A}{t}{t}"), "duplicate-id");
    let g = "\n[[security_group]]\nid = \"sg-a\"\nvpc = \"vpc-a\"\ningress = [{ protocol = \"tcp\", ports = 1, cidr = \"0.0.0.0/0\" }]\n";
    only(&format!("{VPC_A}{g}{g}"), "duplicate-id");
}

#[test]
fn instance_names_are_unambiguous() {
    let named = |id: &str, ip: &str, name: &str| inst(id, ip, &format!("name = \"{name}\""));
    let base = format!("{VPC_A}{SUBNET_A}");
    only(
        &format!(
            "{base}{}{}",
            named("i-1", "10.0.1.10", "web"),
            named("i-2", "10.0.1.11", "web")
        ),
        "duplicate-id",
    );
    only(
        &format!(
            "{base}{}{}",
            named("i-1", "10.0.1.10", "i-2"),
            inst("i-2", "10.0.1.11", "")
        ),
        "duplicate-id",
    );
    ok(&format!("{base}{}", named("i-1", "10.0.1.10", "i-1")));
}
