//! A synthetic account for the import's speed: `vpcs` VPCs in one region, each
//! with a subnet, a main route table, a network ACL of 20 + 20 rules, a
//! security group of 30 + 30 rules (100 rules per VPC) and two instances;
//! VPC i is peered with VPC i+1 (routes both ways). 1,000 VPCs = 100,000 rules.

use serde_json::{json, Value};
use std::path::Path;

fn vpc_cidr(i: usize) -> String {
    format!("10.{}.{}.0/20", i / 16, (i % 16) * 16)
}

fn vpc_id(i: usize) -> String {
    format!("vpc-{i:017x}")
}

pub fn write(dir: &Path, vpcs: usize) {
    let (mut v, mut s, mut r, mut n, mut g, mut res, mut p) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..vpcs {
        let (a, b) = (i / 16, (i % 16) * 16);
        let vid = vpc_id(i);
        v.push(json!({"VpcId": vid, "CidrBlock": vpc_cidr(i), "State": "available", "OwnerId": "123456789012", "Tags": [{"Key": "Name", "Value": format!("vpc-{i}")}]}));
        let sid = format!("subnet-{i:017x}");
        s.push(json!({"SubnetId": sid, "VpcId": vid, "CidrBlock": format!("10.{a}.{b}.0/24"), "AvailabilityZone": "us-east-1a", "State": "available"}));
        let mut routes = vec![
            json!({"DestinationCidrBlock": vpc_cidr(i), "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}),
        ];
        if i > 0 {
            routes.push(json!({"DestinationCidrBlock": vpc_cidr(i - 1), "VpcPeeringConnectionId": format!("pcx-{:017x}", i - 1), "Origin": "CreateRoute", "State": "active"}));
        }
        if i + 1 < vpcs {
            routes.push(json!({"DestinationCidrBlock": vpc_cidr(i + 1), "VpcPeeringConnectionId": format!("pcx-{i:017x}"), "Origin": "CreateRoute", "State": "active"}));
            p.push(json!({"VpcPeeringConnectionId": format!("pcx-{i:017x}"), "Status": {"Code": "active", "Message": "Active"},
                "RequesterVpcInfo": {"VpcId": vid, "Region": "us-east-1", "CidrBlock": vpc_cidr(i)},
                "AccepterVpcInfo": {"VpcId": vpc_id(i + 1), "Region": "us-east-1", "CidrBlock": vpc_cidr(i + 1)}}));
        }
        r.push(json!({"RouteTableId": format!("rtb-{i:017x}"), "VpcId": vid, "Associations": [{"Main": true}], "Routes": routes}));
        let mut entries = vec![];
        for k in 0..20 {
            for egress in [false, true] {
                entries.push(json!({"RuleNumber": 100 + k, "Protocol": "6", "RuleAction": if k % 5 == 4 { "deny" } else { "allow" }, "Egress": egress,
                    "CidrBlock": format!("10.{}.0.0/16", k), "PortRange": {"From": 1000 + k, "To": 2000 + k}}));
            }
        }
        entries.push(json!({"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0"}));
        entries.push(json!({"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": true, "CidrBlock": "0.0.0.0/0"}));
        n.push(json!({"NetworkAclId": format!("acl-{i:017x}"), "VpcId": vid, "IsDefault": true, "Entries": entries, "Associations": [{"SubnetId": sid}]}));
        let perms = |base: usize| -> Vec<Value> {
            (0..30).map(|k| json!({"IpProtocol": "tcp", "FromPort": base + k, "ToPort": base + k, "IpRanges": [{"CidrIp": format!("10.{k}.0.0/16")}], "UserIdGroupPairs": []})).collect()
        };
        let gid = format!("sg-{i:017x}");
        g.push(json!({"GroupId": gid, "GroupName": format!("app-{i}"), "VpcId": vid, "IpPermissions": perms(3000), "IpPermissionsEgress": perms(4000)}));
        let insts: Vec<Value> = (0..2)
            .map(|k| json!({"InstanceId": format!("i-{i:015x}{k:02x}"), "State": {"Code": 16, "Name": "running"}, "Tags": [{"Key": "Name", "Value": format!("host-{i}-{k}")}],
                "NetworkInterfaces": [{"NetworkInterfaceId": format!("eni-{i:015x}{k:02x}"), "SubnetId": sid, "VpcId": vid, "PrivateIpAddress": format!("10.{a}.{b}.{}", 10 + k),
                    "Groups": [{"GroupId": gid}], "SourceDestCheck": true, "Attachment": {"DeviceIndex": 0}}]}))
            .collect();
        res.push(json!({"ReservationId": format!("r-{i:017x}"), "Instances": insts}));
    }
    let region = dir.join("123456789012").join("us-east-1");
    super::write_json(&region, "Vpcs.json", &json!({"Vpcs": v}));
    super::write_json(&region, "Subnets.json", &json!({"Subnets": s}));
    super::write_json(&region, "RouteTables.json", &json!({"RouteTables": r}));
    super::write_json(&region, "NetworkAcls.json", &json!({"NetworkAcls": n}));
    super::write_json(
        &region,
        "SecurityGroups.json",
        &json!({"SecurityGroups": g}),
    );
    super::write_json(&region, "Instances.json", &json!({"Reservations": res}));
    super::write_json(
        &region,
        "VpcPeeringConnections.json",
        &json!({"VpcPeeringConnections": p}),
    );
}
