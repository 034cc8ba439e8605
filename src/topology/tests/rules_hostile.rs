//! Hostile input (issue #11): addresses that are not unicast or not public, times
//! the virtual clock cannot hold, ids and names that would split or drive outputs,
//! implicit ids that collide, and many unknown references. Each is refused at
//! check with its own rule, or loads.

use super::*;
use crate::topology::compile::MAX_SUGGESTIONS;

fn host(name: &str, ip: &str) -> String {
    format!("\n[[host]]\nname = \"{name}\"\nip = \"{ip}\"\n")
}

#[test]
fn host_addresses_must_be_unicast() {
    for bad in [
        "224.0.0.1",
        "255.255.255.255",
        "0.0.0.0",
        "127.0.0.1",
        "169.254.1.1",
        "240.0.0.1",
        "ff02::1",
        "::",
        "::1",
        "fe80::1",
        "::ffff:198.51.100.1",
    ] {
        let d = only(&format!("{VPC_A}{}", host("h", bad)), "ip-not-unicast");
        assert!(
            d.diag.message.contains("a host needs a unicast address"),
            "{d}"
        );
    }
    ok(&format!("{VPC_A}{}", host("h", "198.51.100.1")));
    ok(&format!("{VPC_A}{}", host("h", "2001:db8::1")));
}

#[test]
fn vpc_blocks_must_hold_unicast_addresses() {
    for (cidr, extra) in [
        ("127.0.0.0/16", ""),
        ("224.0.0.0/16", ""),
        ("169.254.0.0/16", ""),
        ("240.0.0.0/16", ""),
        ("0.0.0.0/16", ""),
        ("10.0.0.0/16", "secondary_cidrs = [\"255.255.0.0/16\"]"),
        ("10.0.0.0/16", "ipv6_cidr = \"ff00::/56\""),
        ("10.0.0.0/16", "ipv6_cidr = \"fe80::/56\""),
    ] {
        only(&vpc("vpc-a", "us-east-1", cidr, extra), "vpc-cidr-range");
    }
}

#[test]
fn public_and_elastic_ips_are_public_and_outside_every_vpc() {
    for bad in [
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "127.0.0.1",
        "10.0.1.20", // inside vpc-a, and private
        "10.9.9.9",  // private (RFC 1918)
        "192.168.1.1",
        "100.64.0.1", // shared address space
    ] {
        let eni = inst("i-a", "10.0.1.10", &format!("public_ip = \"{bad}\""));
        only(&format!("{VPC_A}{SUBNET_A}{eni}"), "public-ip");
        let nat = format!(
            "\n[[nat_gateway]]\nid = \"nat-a\"\nsubnet = \"subnet-a\"\nprivate_ip = \"10.0.1.5\"\nelastic_ip = \"{bad}\"\n"
        );
        only(&format!("{VPC_A}{SUBNET_A}{nat}"), "public-ip");
    }
    // A VPC in public address space: its addresses are not public IPs.
    let public_vpc = vpc("vpc-p", "us-east-1", "54.0.0.0/16", "");
    let eni = inst("i-a", "10.0.1.10", "public_ip = \"54.0.3.3\"");
    let d = only(&format!("{VPC_A}{SUBNET_A}{public_vpc}{eni}"), "public-ip");
    assert!(
        d.diag.message.contains("inside vpc-p's block 54.0.0.0/16"),
        "{d}"
    );
    // Nor an external host's address.
    let eni = inst("i-a", "10.0.1.10", "public_ip = \"198.51.100.1\"");
    let h = host("h", "198.51.100.1");
    only(&format!("{VPC_A}{SUBNET_A}{eni}{h}"), "ip-duplicate");
    ok(&format!(
        "{VPC_A}{SUBNET_A}{}",
        inst("i-a", "10.0.1.10", "public_ip = \"54.0.3.3\"")
    ));
}

#[test]
fn ipv6_addresses_reserved_in_the_subnet_are_refused() {
    let v = vpc(
        "vpc-a",
        "us-east-1",
        "10.0.0.0/16",
        "ipv6_cidr = \"2600:1f18:1:100::/56\"",
    );
    let s = format!("{SUBNET_A}ipv6_cidr = \"2600:1f18:1:101::/64\"\n");
    for ip in [
        "2600:1f18:1:101::",
        "2600:1f18:1:101::1",
        "2600:1f18:1:101::3",
        "2600:1f18:1:101:ffff:ffff:ffff:ffff",
    ] {
        let i = inst("i-a", "10.0.1.10", &format!("ipv6 = \"{ip}\""));
        only(&format!("{v}{s}{i}"), "ip-reserved");
    }
    ok(&format!(
        "{v}{s}{}",
        inst("i-a", "10.0.1.10", "ipv6 = \"2600:1f18:1:101::4\"")
    ));
}

#[test]
fn latencies_are_bounded() {
    for bad in ["1e308", "3600000.5", "-1", "nan", "inf"] {
        only(
            &format!("{VPC_A}\n[latency]\nsame_az_ms = {bad}\n"),
            "latency",
        );
        only(
            &format!("{VPC_A}\n[latency]\nregion_pairs = [{{ a = \"x\", b = \"y\", one_way_ms = {bad} }}]\n"),
            "latency",
        );
        only(
            &format!("{VPC_A}\n[[vpn_gateway]]\nid = \"vgw-a\"\nlatency_ms = {bad}\n"),
            "latency",
        );
    }
    ok(&format!("{VPC_A}\n[latency]\ninternet_ms = 3600000\n"));
}

fn two_instances() -> String {
    format!(
        "{VPC_A}{SUBNET_A}{}{}",
        inst("i-a", "10.0.1.10", ""),
        inst("i-b", "10.0.1.11", "")
    )
}

fn flow(name: &str, body: &str) -> String {
    format!("\n[[flow]]\nname = \"{name}\"\nkind = \"udp\"\nfrom = \"i-a\"\nto = \"i-b\"\n{body}\n")
}

#[test]
fn flow_schedules_end_inside_the_virtual_clock() {
    let base = two_instances();
    // 4e9 packets at one per 1000 s: 4e12 s, beyond 1e9 s.
    let src = format!(
        "{base}{}",
        flow("f", "count = 4000000000\nrate_pps = 0.001")
    );
    let d = only(&src, "flow-schedule");
    let count_line = src[..src.find("count =").unwrap()].matches('\n').count() + 1;
    assert_eq!((d.line, d.col), (count_line, 9), "points at `count`: {d}");
    // The last send of 1,000,001 packets at 0.001/s is at exactly 1e9 s: accepted.
    ok(&format!(
        "{base}{}",
        flow("f", "count = 1000001\nrate_pps = 0.001")
    ));
    only(
        &format!("{base}{}", flow("f", "count = 1000002\nrate_pps = 0.001")),
        "flow-schedule",
    );
    // A late start counts too.
    only(
        &format!(
            "{base}{}",
            flow(
                "f",
                "count = 999990\nrate_pps = 0.001\nstart_ms = 2592000000"
            )
        ),
        "flow-schedule",
    );
}

#[test]
fn ids_are_printable_ascii_without_whitespace() {
    for bad in [
        "vpc a",
        "vpc-a\\n",
        "vpc\\u0000a",
        "\\u001b[2Jvpc",
        "vpc-\\u00e9",
        "\\t",
    ] {
        let d = only(&vpc(bad, "us-east-1", "10.0.0.0/16", ""), "id-syntax");
        // Printed escaped: no raw control character reaches the terminal.
        let shown = d.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
    }
    only(&vpc("", "us-east-1", "10.0.0.0/16", ""), "empty-id");
    only(&vpc("vpc-a", "us east 1", "10.0.0.0/16", ""), "region");
    // An ENI id in `enis`.
    let e = format!(
        "{VPC_A}{SUBNET_A}\n[[instance]]\nid = \"i-a\"\nenis = [{{ id = \"eni a\", subnet = \"subnet-a\", private_ip = \"10.0.1.10\" }}]\n"
    );
    only(&e, "id-syntax");
}

#[test]
fn names_are_printable_and_flow_names_are_file_names() {
    let base = two_instances();
    for bad in [
        "",
        ".",
        "..",
        "a/b",
        "../x",
        "a\\u0000b",
        "\\u001b[31mred",
        "a\\nb",
        " pad",
    ] {
        only(&format!("{base}{}", flow(bad, "")), "name-syntax");
    }
    ok(&format!("{base}{}", flow("web to db (tcp) — ok", "")));
    only(
        &format!(
            "{VPC_A}{SUBNET_A}{}",
            inst("i-a", "10.0.1.10", "name = \"w\\u0007b\"")
        ),
        "name-syntax",
    );
    only(
        &format!("{VPC_A}{}", host("h\\u001b", "198.51.100.1")),
        "name-syntax",
    );
    only(&format!("name = \"x\\ny\"\n{VPC_A}"), "name-syntax");
    let sg = |extra: &str| {
        format!("{VPC_A}\n[[security_group]]\nid = \"sg-a\"\nvpc = \"vpc-a\"\n{extra}\n")
    };
    only(&sg("name = \"a\\rb\""), "name-syntax");
    only(
        &sg("ingress = [{ protocol = \"all\", cidr = \"0.0.0.0/0\", description = \"x\\u001b]0;pwned\\u0007\" }]"),
        "name-syntax",
    );
    ok(&sg(
        "ingress = [{ protocol = \"all\", cidr = \"0.0.0.0/0\", description = \"\" }]",
    ));
}

#[test]
fn diagnostics_print_input_escaped() {
    let src = vpc("vpc-\\u001b[2J", "us-east-1", "10.0.0.0/16", "");
    let e = load_str(&src, "t\nx.toml").unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("t\\nx.toml:"), "{shown}");
    assert!(shown.contains("vpc vpc-\\u{1b}[2J"), "{shown}");
    assert_eq!(
        shown.matches('\n').count(),
        1,
        "one line per error: {shown:?}"
    );
    assert!(!shown.contains('\u{1b}'));
}

#[test]
fn implicit_ids_collide_with_explicit_and_implicit_ones() {
    // An instance's implicit ENI vs an explicit ENI id of another instance.
    let src = format!(
        "{VPC_A}{SUBNET_A}{}\n[[instance]]\nid = \"i-b\"\nenis = [{{ id = \"eni-a\", subnet = \"subnet-a\", private_ip = \"10.0.1.11\" }}]\n",
        inst("i-a", "10.0.1.10", "")
    );
    let d = only(&src, "duplicate-id");
    assert_eq!(d.diag.object, "instance i-a");
    assert_eq!(
        d.diag.message,
        "the ENI id `eni-a` it implies is already taken by ENI eni-a; ids must be unique, implicit ones included"
    );
    // VPCs `a` and `vpc-a` both imply rtb-main-a, acl-default-a and sg-default-a.
    let src = format!("{VPC_A}{}", vpc("a", "us-east-1", "10.1.0.0/16", ""));
    let e = errors(&src);
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e
        .iter()
        .all(|d| d.diag.rule == "duplicate-id" && d.diag.object == "vpc a"));
    assert_eq!(
        e[1].diag.message,
        "the route table id `rtb-main-a` it implies is already taken by route table rtb-main-a (implied by vpc vpc-a); ids must be unique, implicit ones included"
    );
    // An explicit object with an implicit object's id.
    let src = format!("{VPC_A}\n[[network_acl]]\nid = \"sg-default-a\"\nvpc = \"vpc-a\"\n");
    only(&src, "duplicate-id");
    // A second unnamed ENI (`eni-a-1`) vs an explicit id.
    let src = format!(
        "{VPC_A}{SUBNET_A}\n[[instance]]\nid = \"i-a\"\nenis = [{{ subnet = \"subnet-a\", private_ip = \"10.0.1.10\" }}, {{ subnet = \"subnet-a\", private_ip = \"10.0.1.11\" }}]\n\n[[internet_gateway]]\nid = \"eni-a-1\"\n"
    );
    only(&src, "duplicate-id");
    // `internet` as an id while the internet host is implicit.
    only(
        &format!("{VPC_A}\n[[internet_gateway]]\nid = \"internet\"\n"),
        "duplicate-id",
    );
    // Declaring the main table yourself frees `rtb-main-<vpc>`.
    ok(&format!(
        "{VPC_A}{}\n[[route_table]]\nid = \"rtb-main-a\"\nvpc = \"a\"\nmain = true\n",
        vpc("a", "us-east-1", "10.1.0.0/16", "")
    )
    .replace("[[vpc]]\nid = \"vpc-a\"", "[[vpc]]\nid = \"vpc-x\""));
}

#[test]
fn only_the_first_unknown_references_get_suggestions() {
    let mut src = two_instances();
    let n = MAX_SUGGESTIONS + 50;
    for k in 0..n {
        src.push_str(&format!(
            "\n[[flow]]\nname = \"f{k}\"\nkind = \"udp\"\nfrom = \"i-aa\"\nto = \"i-b\"\n"
        ));
    }
    let e = errors(&src);
    assert_eq!(e.len(), n);
    let suggested = e
        .iter()
        .filter(|d| d.diag.message.ends_with("did you mean `i-a`?"))
        .count();
    assert_eq!(suggested, MAX_SUGGESTIONS);
}

/// The indexed overlap check (a range query plus one lookup per shorter prefix)
/// finds every shape of overlap: a block inside an earlier one, an earlier block
/// inside it, the same block; and not blocks of another VPC.
#[test]
fn subnet_overlaps_of_every_shape_are_found() {
    let sub = |id: &str, vpc: &str, cidr: &str| {
        format!("\n[[subnet]]\nid = \"{id}\"\nvpc = \"{vpc}\"\naz = \"us-east-1a\"\ncidr = \"{cidr}\"\n")
    };
    let other = vpc("vpc-c", "us-east-1", "10.0.0.0/16", "");
    for (first, second) in [
        ("10.0.0.0/20", "10.0.4.0/24"),
        ("10.0.4.0/24", "10.0.0.0/20"),
        ("10.0.4.0/24", "10.0.4.0/24"),
        ("10.0.4.16/28", "10.0.4.0/26"),
    ] {
        let d = only(
            &format!(
                "{VPC_A}{}{}",
                sub("s1", "vpc-a", first),
                sub("s2", "vpc-a", second)
            ),
            "subnet-overlap",
        );
        assert_eq!(d.diag.object, "subnet s2");
        // The same blocks in two VPCs do not overlap.
        ok(&format!(
            "{VPC_A}{other}{}{}",
            sub("s1", "vpc-a", first),
            sub("s2", "vpc-c", second)
        ));
    }
    ok(&format!(
        "{VPC_A}{}{}",
        sub("s1", "vpc-a", "10.0.4.0/24"),
        sub("s2", "vpc-a", "10.0.5.0/24")
    ));
}
