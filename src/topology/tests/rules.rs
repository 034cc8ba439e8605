//! One test per AWS rule: the smallest file that breaks it, the rule name reported,
//! and (where it matters) the exact line and column.

use super::*;

fn vpc(id: &str, region: &str, cidr: &str, extra: &str) -> String {
    format!("\n[[vpc]]\nid = \"{id}\"\nregion = \"{region}\"\ncidr = \"{cidr}\"\n{extra}\n")
}

fn inst(id: &str, ip: &str, extra: &str) -> String {
    format!(
        "\n[[instance]]\nid = \"{id}\"\nsubnet = \"subnet-a\"\nprivate_ip = \"{ip}\"\n{extra}\n"
    )
}

fn pcx(id: &str, r: &str, a: &str, extra: &str) -> String {
    format!("\n[[peering]]\nid = \"{id}\"\nrequester = \"{r}\"\naccepter = \"{a}\"\n{extra}\n")
}

/// Assert that `src` breaks exactly `rule` (once) and return that diagnostic.
fn only(src: &str, rule: &str) -> Located {
    let e = errors(src);
    let rules: Vec<_> = e.iter().map(|d| d.diag.rule).collect();
    assert_eq!(
        rules,
        vec![rule],
        "{:#?}",
        e.iter().map(|d| d.to_string()).collect::<Vec<_>>()
    );
    e.into_iter().next().expect("one")
}

#[test]
fn vpc_and_subnet_block_sizes() {
    only(&vpc("vpc-a", "us-east-1", "10.0.0.0/15", ""), "cidr-size");
    only(&vpc("vpc-a", "us-east-1", "10.0.0.0/29", ""), "cidr-size");
    ok(&vpc("vpc-a", "us-east-1", "10.0.0.0/28", ""));
    let sub = SUBNET_A.replace("10.0.1.0/24", "10.0.1.0/29");
    only(&format!("{VPC_A}{sub}"), "cidr-size");
    let sub = SUBNET_A.replace("10.0.1.0/24", "10.0.0.0/16");
    ok(&format!("{VPC_A}{sub}"));
}

#[test]
fn subnet_inside_its_vpc_and_not_overlapping() {
    let outside = SUBNET_A.replace("10.0.1.0/24", "10.5.1.0/24");
    only(&format!("{VPC_A}{outside}"), "subnet-outside-vpc");
    // Inside a secondary block is fine.
    let v = vpc(
        "vpc-a",
        "us-east-1",
        "10.0.0.0/16",
        "secondary_cidrs = [\"10.5.0.0/16\"]",
    );
    ok(&format!("{v}{outside}"));
    let second = SUBNET_A
        .replace("subnet-a", "subnet-b")
        .replace("10.0.1.0/24", "10.0.0.0/23");
    let d = only(&format!("{VPC_A}{SUBNET_A}{second}"), "subnet-overlap");
    assert!(d
        .diag
        .message
        .contains("overlaps 10.0.1.0/24 of subnet subnet-a"));
}

#[test]
fn ipv6_blocks() {
    only(
        &vpc(
            "vpc-a",
            "us-east-1",
            "10.0.0.0/16",
            "ipv6_cidr = \"2600:1f18::/48\"",
        ),
        "ipv6-size",
    );
    let v = vpc(
        "vpc-a",
        "us-east-1",
        "10.0.0.0/16",
        "ipv6_cidr = \"2600:1f18:0:100::/56\"",
    );
    let s = |net: &str| format!("{SUBNET_A}ipv6_cidr = \"{net}\"\n");
    ok(&format!("{v}{}", s("2600:1f18:0:1ff::/64")));
    only(&format!("{v}{}", s("2600:1f18:0:100::/60")), "subnet-ipv6");
    only(&format!("{v}{}", s("2600:1f18:0:200::/64")), "subnet-ipv6");
    only(
        &format!("{VPC_A}{}", s("2600:1f18:0:100::/64")),
        "subnet-ipv6",
    );
}

#[test]
fn secondary_cidr_rules() {
    only(
        &vpc(
            "vpc-a",
            "us-east-1",
            "10.0.0.0/16",
            "secondary_cidrs = [\"10.0.0.0/17\"]",
        ),
        "secondary-cidr-overlap",
    );
    only(
        &vpc(
            "vpc-a",
            "us-east-1",
            "10.0.0.0/16",
            "secondary_cidrs = [\"172.16.0.0/16\"]",
        ),
        "secondary-cidr-rfc1918",
    );
    only(
        &vpc(
            "vpc-a",
            "us-east-1",
            "192.168.0.0/16",
            "secondary_cidrs = [\"10.0.0.0/16\"]",
        ),
        "secondary-cidr-rfc1918",
    );
    // A publicly routable primary cannot take an RFC 1918 secondary …
    only(
        &vpc(
            "vpc-a",
            "us-east-1",
            "100.64.0.0/16",
            "secondary_cidrs = [\"10.0.0.0/16\"]",
        ),
        "secondary-cidr-rfc1918",
    );
    // … but any primary can take a publicly routable one, and same-range is fine.
    ok(&vpc(
        "vpc-a",
        "us-east-1",
        "10.0.0.0/16",
        "secondary_cidrs = [\"100.64.0.0/16\", \"10.1.0.0/16\"]",
    ));
    let five = "secondary_cidrs = [\"10.1.0.0/16\", \"10.2.0.0/16\", \"10.3.0.0/16\", \"10.4.0.0/16\", \"10.5.0.0/16\"]";
    only(
        &vpc("vpc-a", "us-east-1", "10.0.0.0/16", five),
        "secondary-cidr-quota",
    );
    ok(&format!(
        "[quotas]\nsecondary_cidrs_per_vpc = 5\n{}",
        vpc("vpc-a", "us-east-1", "10.0.0.0/16", five)
    ));
}

#[test]
fn eni_addresses() {
    let base = format!("{VPC_A}{SUBNET_A}");
    only(
        &format!("{base}{}", inst("i-a", "10.0.2.10", "")),
        "ip-outside-subnet",
    );
    for reserved in ["10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.255"] {
        only(
            &format!("{base}{}", inst("i-a", reserved, "")),
            "ip-reserved",
        );
    }
    ok(&format!("{base}{}", inst("i-a", "10.0.1.4", "")));
    ok(&format!("{base}{}", inst("i-a", "10.0.1.254", "")));
    let d = only(
        &format!(
            "{base}{}{}",
            inst("i-a", "10.0.1.10", ""),
            inst("i-b", "10.0.1.10", "")
        ),
        "ip-duplicate",
    );
    assert!(d.diag.message.contains("already used by ENI eni-a"));
    only(
        &format!(
            "{base}{}{}",
            inst("i-a", "10.0.1.10", "public_ip = \"54.0.0.1\""),
            inst("i-b", "10.0.1.11", "public_ip = \"54.0.0.1\"")
        ),
        "ip-duplicate",
    );
    // The same private IP in two VPCs is fine.
    let sub_b = SUBNET_A
        .replace("subnet-a", "subnet-b")
        .replace("vpc-a", "vpc-b");
    let vpc_b = vpc("vpc-b", "us-east-1", "10.0.0.0/16", "");
    let i_b = inst("i-b", "10.0.1.10", "").replace("subnet-a", "subnet-b");
    ok(&format!(
        "{base}{vpc_b}{sub_b}{}{i_b}",
        inst("i-a", "10.0.1.10", "")
    ));
    let nat = "\n[[nat_gateway]]\nid = \"nat-a\"\nsubnet = \"subnet-a\"\nprivate_ip = \"10.0.7.7\"\nelastic_ip = \"3.3.3.3\"\n";
    only(&format!("{base}{nat}"), "ip-outside-subnet");
    let nat_dup = nat.replace("10.0.7.7", "10.0.1.10");
    only(
        &format!("{base}{}{nat_dup}", inst("i-a", "10.0.1.10", "")),
        "ip-duplicate",
    );
}

#[test]
fn peering_rules() {
    let two = format!("{VPC_A}{VPC_B}");
    only(
        &format!("{VPC_A}{}", pcx("pcx-aa", "vpc-a", "vpc-a", "")),
        "peering-self",
    );
    only(
        &format!(
            "{two}{}{}",
            pcx("pcx-1", "vpc-a", "vpc-b", ""),
            pcx("pcx-2", "vpc-b", "vpc-a", "")
        ),
        "peering-duplicate",
    );
    // A deleted peering does not block a new one.
    ok(&format!(
        "{two}{}{}",
        pcx("pcx-1", "vpc-a", "vpc-b", "status = \"deleted\""),
        pcx("pcx-2", "vpc-b", "vpc-a", "")
    ));
    let overlapping = vpc(
        "vpc-b",
        "us-east-1",
        "10.1.0.0/16",
        "secondary_cidrs = [\"10.0.128.0/17\"]",
    );
    let d = only(
        &format!(
            "{VPC_A}{overlapping}{}",
            pcx("pcx-ab", "vpc-a", "vpc-b", "")
        ),
        "peering-overlap",
    );
    assert_eq!(
        d.to_string(),
        "t.toml:14:6: peering pcx-ab: 10.0.0.0/16 (vpc-a) overlaps 10.0.128.0/17 (vpc-b); AWS does not peer overlapping CIDR blocks"
    );
    let v6a = vpc(
        "vpc-a",
        "us-east-1",
        "10.0.0.0/16",
        "ipv6_cidr = \"2600:1f18:0:100::/56\"",
    );
    let v6b = vpc(
        "vpc-b",
        "us-east-1",
        "10.1.0.0/16",
        "ipv6_cidr = \"2600:1f18:0:100::/56\"",
    );
    only(
        &format!("{v6a}{v6b}{}", pcx("pcx-ab", "vpc-a", "vpc-b", "")),
        "peering-overlap",
    );
    // A failed request with overlapping blocks is history, not an error.
    ok(&format!(
        "{VPC_A}{overlapping}{}",
        pcx("pcx-ab", "vpc-a", "vpc-b", "status = \"failed\"")
    ));
    only(
        &format!(
            "{two}{}",
            pcx("pcx-ab", "vpc-a", "vpc-b", "status = \"actve\"")
        ),
        "peering-status",
    );
}

#[test]
fn peering_quotas_default_to_aws_values() {
    // 51 active peerings from one hub: over AWS's default of 50.
    let mut src = vpc("vpc-hub", "us-east-1", "10.0.0.0/16", "");
    for i in 1..=51 {
        src += &vpc(
            &format!("vpc-{i}"),
            "us-east-1",
            &format!("10.{i}.0.0/16"),
            "",
        );
        src += &pcx(&format!("pcx-{i}"), "vpc-hub", &format!("vpc-{i}"), "");
    }
    let d = only(&src, "peering-quota");
    assert!(d
        .diag
        .message
        .contains("vpc-hub has 51 active peerings, over the quota of 50"));
    assert_eq!(d.diag.object, "peering pcx-51");
    ok(&format!("[quotas]\nactive_peerings_per_vpc = 125\n{src}"));
    // 26 pending: over 25.
    let mut src = vpc("vpc-hub", "us-east-1", "10.0.0.0/16", "");
    for i in 1..=26 {
        src += &vpc(
            &format!("vpc-{i}"),
            "us-east-1",
            &format!("10.{i}.0.0/16"),
            "",
        );
        src += &pcx(
            &format!("pcx-{i}"),
            "vpc-hub",
            &format!("vpc-{i}"),
            "status = \"pending-acceptance\"",
        );
    }
    assert!(only(&src, "peering-quota")
        .diag
        .message
        .contains("26 pending-acceptance peerings, over the quota of 25"));
}

#[test]
fn peering_mtu_option() {
    let eu = vpc("vpc-b", "eu-west-1", "10.1.0.0/16", "");
    let n = ok(&format!(
        "{VPC_A}{eu}{}",
        pcx("pcx-ab", "vpc-a", "vpc-b", "mtu = 8500")
    ));
    assert_eq!(n.peerings[0].mtu, 8500);
    only(
        &format!(
            "{VPC_A}{eu}{}",
            pcx("pcx-ab", "vpc-a", "vpc-b", "mtu = 9001")
        ),
        "peering-mtu",
    );
    only(
        &format!(
            "{VPC_A}{VPC_B}{}",
            pcx("pcx-ab", "vpc-a", "vpc-b", "mtu = 1500")
        ),
        "peering-mtu",
    );
}

fn sg_ref(region_b: &str, peering: &str) -> String {
    format!(
        "{VPC_A}{}{peering}\n[[security_group]]\nid = \"sg-b\"\nvpc = \"vpc-b\"\n\n[[security_group]]\nid = \"sg-a\"\nvpc = \"vpc-a\"\ningress = [{{ protocol = \"tcp\", ports = \"443\", group = \"sg-b\" }}]\n",
        vpc("vpc-b", region_b, "10.1.0.0/16", "")
    )
}

#[test]
fn security_group_references_across_vpcs() {
    ok(&sg_ref("us-east-1", &pcx("pcx-ab", "vpc-a", "vpc-b", "")));
    only(
        &sg_ref("eu-west-1", &pcx("pcx-ab", "vpc-a", "vpc-b", "")),
        "sg-reference-cross-region",
    );
    only(&sg_ref("us-east-1", ""), "sg-reference-unpeered");
    only(
        &sg_ref(
            "us-east-1",
            &pcx(
                "pcx-ab",
                "vpc-a",
                "vpc-b",
                "status = \"pending-acceptance\"",
            ),
        ),
        "sg-reference-unpeered",
    );
}

fn table(routes: &str) -> String {
    format!("\n[[route_table]]\nid = \"rtb-a\"\nvpc = \"vpc-a\"\nroutes = [{routes}]\n")
}

#[test]
fn route_targets_must_exist_and_belong_to_the_vpc() {
    let igw_b = "\n[[internet_gateway]]\nid = \"igw-b\"\nvpc = \"vpc-b\"\n";
    let d = only(
        &format!(
            "{VPC_A}{VPC_B}{igw_b}{}",
            table("{ destination = \"0.0.0.0/0\", target = \"igw-c\" }")
        ),
        "unknown-reference",
    );
    assert!(
        d.diag.message.ends_with("did you mean `igw-b`?"),
        "{}",
        d.diag.message
    );
    only(
        &format!(
            "{VPC_A}{VPC_B}{igw_b}{}",
            table("{ destination = \"0.0.0.0/0\", target = \"igw-b\" }")
        ),
        "route-target-vpc",
    );
    let detached = "\n[[internet_gateway]]\nid = \"igw-x\"\n";
    only(
        &format!(
            "{VPC_A}{detached}{}",
            table("{ destination = \"0.0.0.0/0\", target = \"igw-x\" }")
        ),
        "route-target-vpc",
    );
    let vpc_c = vpc("vpc-c", "us-east-1", "10.2.0.0/16", "");
    only(
        &format!(
            "{VPC_A}{VPC_B}{vpc_c}{}{}",
            pcx("pcx-bc", "vpc-b", "vpc-c", ""),
            table("{ destination = \"10.2.0.0/16\", target = \"pcx-bc\" }")
        ),
        "route-target-vpc",
    );
    let sub_b = SUBNET_A
        .replace("subnet-a", "subnet-b")
        .replace("vpc-a", "vpc-b")
        .replace("10.0.1.0/24", "10.1.1.0/24");
    let nat_b = "\n[[nat_gateway]]\nid = \"nat-b\"\nsubnet = \"subnet-b\"\nprivate_ip = \"10.1.1.9\"\nelastic_ip = \"3.3.3.3\"\n";
    only(
        &format!(
            "{VPC_A}{VPC_B}{sub_b}{nat_b}{}",
            table("{ destination = \"0.0.0.0/0\", target = \"nat-b\" }")
        ),
        "route-target-vpc",
    );
    let i_b = inst("i-b", "10.1.1.10", "").replace("subnet-a", "subnet-b");
    only(
        &format!(
            "{VPC_A}{VPC_B}{sub_b}{i_b}{}",
            table("{ destination = \"10.9.0.0/16\", target = \"i-b\" }")
        ),
        "route-target-vpc",
    );
    let vgw_b = "\n[[vpn_gateway]]\nid = \"vgw-b\"\nvpc = \"vpc-b\"\n";
    only(
        &format!(
            "{VPC_A}{VPC_B}{vgw_b}{}",
            table("{ destination = \"192.168.0.0/16\", target = \"vgw-b\" }")
        ),
        "route-target-vpc",
    );
}

#[test]
fn route_table_rules() {
    only(
        &format!(
            "{VPC_A}{}",
            table("{ destination = \"10.0.0.0/16\", target = \"blackhole\" }")
        ),
        "local-route",
    );
    only(
        &format!(
            "{VPC_A}{}",
            table("{ destination = \"10.5.0.0/16\", target = \"local\" }")
        ),
        "local-route",
    );
    only(
        &format!(
            "{VPC_A}{}",
            table("{ destination = \"10.0.1.0/24\", target = \"blackhole\" }")
        ),
        "local-route",
    );
    // More specific than local, to an ENI: AWS's middlebox routing, allowed.
    ok(&format!(
        "{VPC_A}{SUBNET_A}{}{}",
        inst("i-fw", "10.0.1.10", ""),
        table("{ destination = \"10.0.2.0/24\", target = \"i-fw\" }")
    ));
    only(
        &format!("{VPC_A}{}", table("{ destination = \"10.5.0.0/16\", target = \"blackhole\" }, { destination = \"10.5.0.0/16\", target = \"blackhole\" }")),
        "route-duplicate",
    );
    let many: Vec<String> = (1..=51)
        .map(|i| format!("{{ destination = \"10.{i}.0.0/16\", target = \"blackhole\" }}"))
        .collect();
    let d = only(
        &format!("{VPC_A}{}", table(&many.join(", "))),
        "route-quota",
    );
    assert!(d.diag.message.contains("51 routes exceed the quota of 50"));
    ok(&format!("{VPC_A}{}", table(&many[..50].join(", "))));
    let two_main = "\n[[route_table]]\nid = \"rtb-1\"\nvpc = \"vpc-a\"\nmain = true\n\n[[route_table]]\nid = \"rtb-2\"\nvpc = \"vpc-a\"\nmain = true\n";
    only(&format!("{VPC_A}{two_main}"), "main-route-table");
}

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

#[test]
fn gateways_per_vpc() {
    let igw = |id: &str| format!("\n[[internet_gateway]]\nid = \"{id}\"\nvpc = \"vpc-a\"\n");
    only(
        &format!("{VPC_A}{}{}", igw("igw-1"), igw("igw-2")),
        "igw-per-vpc",
    );
    let vgw = |id: &str| format!("\n[[vpn_gateway]]\nid = \"{id}\"\nvpc = \"vpc-a\"\n");
    only(
        &format!("{VPC_A}{}{}", vgw("vgw-1"), vgw("vgw-2")),
        "vgw-per-vpc",
    );
}

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
    // Three independent mistakes in three objects, plus a parse error in a fourth.
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
            (22, 6, "type"),
        ]
    );
    assert!(e[0]
        .to_string()
        .starts_with("t.toml:4:8: vpc vpc-a: VPC CIDR block 10.0.0.0/12 is a /12"));
}

#[test]
fn implicit_ids_never_clash_with_the_files_ids() {
    let mine = "\n[[security_group]]\nid = \"sg-default-a\"\nvpc = \"vpc-a\"\n";
    let n = ok(&format!("{VPC_A}{mine}"));
    let default = n.sg(n.vpcs[0].default_sg);
    assert_eq!(default.id, "sg-default-a-2");
    assert!(default.is_default);
}

#[test]
fn a_duplicate_table_is_reported_once() {
    let t = "\n[[route_table]]\nid = \"rtb-a\"\nvpc = \"vpc-a\"\nroutes = [{ destination = \"10.5.0.0/16\", target = \"blackhole\" }]\n";
    only(&format!("{VPC_A}{t}{t}"), "duplicate-id");
    let g = "\n[[security_group]]\nid = \"sg-a\"\nvpc = \"vpc-a\"\ningress = [{ protocol = \"tcp\", ports = 1, cidr = \"0.0.0.0/0\" }]\n";
    only(&format!("{VPC_A}{g}{g}"), "duplicate-id");
}
