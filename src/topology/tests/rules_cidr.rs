//! CIDR rules: block sizes, containment, overlaps, IPv6, secondary blocks, ENI addresses.

use super::*;

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
