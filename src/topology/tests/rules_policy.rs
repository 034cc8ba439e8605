//! NACL and security group rules: numbering, quotas, protocols, ports, ICMP, sources, groups per ENI.

use super::*;

fn nacl(inbound: &str) -> String {
    format!("\n[[network_acl]]\nid = \"acl-a\"\nvpc = \"vpc-a\"\ninbound = [{inbound}]\n")
}

#[test]
fn nacl_rules() {
    let rule = |n: i64| {
        format!("{{ rule = {n}, protocol = \"all\", cidr = \"0.0.0.0/0\", action = \"allow\" }}")
    };
    ok(&format!(
        "{VPC_A}{}",
        nacl(&format!("{}, {}", rule(1), rule(32766)))
    ));
    only(&format!("{VPC_A}{}", nacl(&rule(0))), "nacl-rule-number");
    only(
        &format!("{VPC_A}{}", nacl(&rule(32767))),
        "nacl-rule-number",
    );
    only(
        &format!("{VPC_A}{}", nacl(&format!("{}, {}", rule(100), rule(100)))),
        "nacl-rule-duplicate",
    );
    let many: Vec<String> = (1..=21).map(rule).collect();
    only(&format!("{VPC_A}{}", nacl(&many.join(", "))), "nacl-quota");
    ok(&format!("{VPC_A}{}", nacl(&many[..20].join(", "))));
    // Rules are stored sorted by number.
    let n = ok(&format!(
        "{VPC_A}{}",
        nacl(&format!("{}, {}", rule(200), rule(100)))
    ));
    let acl = n.nacls.iter().find(|a| a.id == "acl-a").expect("acl");
    assert_eq!(
        acl.inbound.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![100, 200]
    );
    assert!(
        !acl.is_default && acl.outbound.is_empty(),
        "a custom NACL without rules denies all"
    );
    only(
        &format!(
            "{VPC_A}{}",
            nacl("{ rule = 1, protocol = \"all\", cidr = \"0.0.0.0/0\", action = \"permit\" }")
        ),
        "nacl-action",
    );
}

#[test]
fn protocol_ports_and_icmp() {
    let r = |body: &str| {
        format!(
            "{VPC_A}{}",
            nacl(&format!(
                "{{ rule = 1, cidr = \"0.0.0.0/0\", action = \"allow\", {body} }}"
            ))
        )
    };
    ok(&r("protocol = \"tcp\", ports = \"1024-65535\""));
    ok(&r("protocol = 17, ports = 53"));
    ok(&r("protocol = -1"));
    ok(&r("protocol = \"icmp\", icmp_type = 3, icmp_code = 4"));
    ok(&r("protocol = \"icmpv6\", icmp_type = -1"));
    only(
        &r("protocol = \"tcp\", ports = \"2000-1000\""),
        "port-range",
    );
    only(&r("protocol = \"tcp\", ports = \"0-65536\""), "port-range");
    only(&r("protocol = \"tcp\", ports = \"https\""), "port-range");
    only(
        &r("protocol = \"icmp\", ports = \"80\""),
        "ports-need-tcp-udp",
    );
    only(&r("protocol = \"udp\", icmp_type = 3"), "icmp-needs-icmp");
    only(&r("protocol = \"icmp\", icmp_code = 300"), "icmp-range");
    only(&r("protocol = 256"), "unknown-protocol");
    let d = only(&r("protocol = \"udpp\""), "unknown-protocol");
    assert!(
        d.diag.message.ends_with("did you mean `udp`?"),
        "{}",
        d.diag.message
    );
}

fn sg(ingress: &str) -> String {
    format!("\n[[security_group]]\nid = \"sg-a\"\nvpc = \"vpc-a\"\ningress = [{ingress}]\n")
}

#[test]
fn security_group_rules_and_quotas() {
    let rule = |p: u32| format!("{{ protocol = \"tcp\", ports = {p}, cidr = \"0.0.0.0/0\" }}");
    let many: Vec<String> = (1..=61).map(rule).collect();
    only(&format!("{VPC_A}{}", sg(&many.join(", "))), "sg-rule-quota");
    ok(&format!("{VPC_A}{}", sg(&many[..60].join(", "))));
    only(
        &format!("{VPC_A}{}", sg("{ protocol = \"tcp\", ports = 1 }")),
        "sg-rule-source",
    );
    only(
        &format!(
            "{VPC_A}{}",
            sg("{ protocol = \"tcp\", ports = 1, cidr = \"0.0.0.0/0\", group = \"sg-a\" }")
        ),
        "sg-rule-source",
    );
    let unknown_pl = only(
        &format!(
            "{VPC_A}{}",
            sg("{ protocol = \"tcp\", ports = 1, prefix_list = \"pl-nope\" }")
        ),
        "unknown-reference",
    );
    assert!(unknown_pl
        .diag
        .message
        .contains("unknown prefix list `pl-nope`"));
}

#[test]
fn security_groups_per_eni() {
    let mut src = format!("{VPC_A}{SUBNET_A}");
    for i in 1..=6 {
        src += &format!("\n[[security_group]]\nid = \"sg-{i}\"\nvpc = \"vpc-a\"\n");
    }
    let six = "security_groups = [\"sg-1\", \"sg-2\", \"sg-3\", \"sg-4\", \"sg-5\", \"sg-6\"]";
    only(
        &format!("{src}{}", inst("i-a", "10.0.1.10", six)),
        "sg-per-eni",
    );
    let five = "security_groups = [\"sg-1\", \"sg-2\", \"sg-3\", \"sg-4\", \"sg-5\"]";
    ok(&format!("{src}{}", inst("i-a", "10.0.1.10", five)));
    only(
        &format!("{src}{}", inst("i-a", "10.0.1.10", "security_groups = []")),
        "sg-per-eni",
    );
    let sg_b = "\n[[security_group]]\nid = \"sg-b\"\nvpc = \"vpc-b\"\n";
    only(
        &format!(
            "{VPC_B}{src}{sg_b}{}",
            inst("i-a", "10.0.1.10", "security_groups = [\"sg-b\"]")
        ),
        "sg-other-vpc",
    );
}
