//! Route tables: targets that exist and belong to the VPC, local routes, duplicates, quotas; gateways per VPC.

use super::*;

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
fn gateway_endpoints_only_touch_their_own_vpcs_tables() {
    let pl = "\n[[prefix_list]]\nid = \"pl-s3\"\ncidrs = [\"52.216.0.0/15\"]\n";
    let rtb_b = "\n[[route_table]]\nid = \"rtb-b\"\nvpc = \"vpc-b\"\n";
    let vpce = "\n[[gateway_endpoint]]\nid = \"vpce-s3\"\nvpc = \"vpc-a\"\nservice = \"s3\"\nprefix_list = \"pl-s3\"\nroute_tables = [\"rtb-b\"]\n";
    only(
        &format!("{VPC_A}{VPC_B}{pl}{rtb_b}{vpce}"),
        "association-other-vpc",
    );
    // Writing a route to an endpoint by hand is refused: the endpoint adds it.
    let own = vpce.replace("rtb-b", "rtb-main-a");
    let by_hand = "\n[[route_table]]\nid = \"rtb-x\"\nvpc = \"vpc-a\"\nroutes = [{ destination = \"pl-s3\", target = \"vpce-s3\" }]\n";
    only(&format!("{VPC_A}{pl}{own}{by_hand}"), "route-target-vpc");
}

#[test]
fn external_hosts() {
    let vgw =
        "\n[[vpn_gateway]]\nid = \"vgw-a\"\nvpc = \"vpc-a\"\nonprem_cidrs = [\"192.168.0.0/16\"]\n";
    let host =
        |ip: &str, extra: &str| format!("\n[[host]]\nname = \"h\"\nip = \"{ip}\"\n{extra}\n");
    ok(&format!(
        "{VPC_A}{vgw}{}",
        host("192.168.1.1", "vgw = \"vgw-a\"")
    ));
    only(
        &format!("{VPC_A}{vgw}{}", host("172.16.1.1", "vgw = \"vgw-a\"")),
        "host-onprem",
    );
    only(&format!("{VPC_A}{}", host("10.0.3.3", "")), "host-in-vpc");
    only(
        &format!("{VPC_A}{}{}", host("8.8.8.8", ""), host("8.8.4.4", "")),
        "duplicate-id",
    );
}

#[test]
fn host_names_and_addresses_are_unambiguous() {
    let host = |name: &str, ip: &str| format!("\n[[host]]\nname = \"{name}\"\nip = \"{ip}\"\n");
    only(
        &format!("{VPC_A}{}{}", host("a", "8.8.8.8"), host("b", "8.8.8.8")),
        "ip-duplicate",
    );
    only(
        &format!("{VPC_A}{}", host("vpc-a", "8.8.8.8")),
        "duplicate-id",
    );
    let web = format!("{SUBNET_A}{}", inst("i-web", "10.0.1.10", "name = \"web\""));
    only(
        &format!("{VPC_A}{web}{}", host("web", "8.8.8.8")),
        "duplicate-id",
    );
}
