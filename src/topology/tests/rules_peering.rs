//! Peering rules: self, duplicates, overlaps, quotas, MTU option, cross-VPC group references.

use super::*;

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
