//! A compiled [`Network`] → `aws ec2 describe-*` JSON in Batfish's layout
//! (`<account>/<region>/*.json`), the way AWS would describe that network: the
//! implicit objects (main tables, default NACLs and groups, local routes, the
//! `*` NACL rules) appear as AWS prints them. What AWS's JSON cannot say (ENI
//! and peering MTUs, VPN latency, hosts, flows) is not exported.

use peeremu::model::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const ACCOUNT: &str = "123456789012";

fn proto_name(p: ProtocolMatch) -> String {
    match p {
        ProtocolMatch::Any => "-1".into(),
        ProtocolMatch::Number(6) => "tcp".into(),
        ProtocolMatch::Number(17) => "udp".into(),
        ProtocolMatch::Number(1) => "icmp".into(),
        ProtocolMatch::Number(58) => "icmpv6".into(),
        ProtocolMatch::Number(n) => n.to_string(),
    }
}

fn is_ports(p: ProtocolMatch) -> bool {
    matches!(p, ProtocolMatch::Number(6 | 17))
}

fn is_icmp(p: ProtocolMatch) -> bool {
    matches!(p, ProtocolMatch::Number(1 | 58))
}

fn nacl_entry(r: &NaclRule, egress: bool) -> Value {
    let mut e = json!({
        "Egress": egress,
        "Protocol": match r.traffic.protocol { ProtocolMatch::Any => "-1".to_string(), ProtocolMatch::Number(n) => n.to_string() },
        "RuleAction": if r.action == RuleAction::Allow { "allow" } else { "deny" },
        "RuleNumber": r.number,
    });
    match r.cidr {
        ipnet::IpNet::V4(_) => e["CidrBlock"] = json!(r.cidr.to_string()),
        ipnet::IpNet::V6(_) => e["Ipv6CidrBlock"] = json!(r.cidr.to_string()),
    }
    if is_ports(r.traffic.protocol) {
        e["PortRange"] = json!({"From": r.traffic.ports.from, "To": r.traffic.ports.to});
    }
    if is_icmp(r.traffic.protocol) {
        let t = r.traffic.icmp.icmp_type.map_or(-1, i64::from);
        let c = r.traffic.icmp.code.map_or(-1, i64::from);
        e["IcmpTypeCode"] = json!({"Code": c, "Type": t});
    }
    e
}

fn permission(net: &Network, r: &SgRule) -> Value {
    let mut p = json!({
        "IpProtocol": proto_name(r.traffic.protocol),
        "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": [],
    });
    if is_ports(r.traffic.protocol) {
        p["FromPort"] = json!(r.traffic.ports.from);
        p["ToPort"] = json!(r.traffic.ports.to);
    }
    if is_icmp(r.traffic.protocol) {
        p["FromPort"] = json!(r.traffic.icmp.icmp_type.map_or(-1, i64::from));
        p["ToPort"] = json!(r.traffic.icmp.code.map_or(-1, i64::from));
    }
    match &r.peer {
        SgPeer::Cidr(c @ ipnet::IpNet::V4(_)) => {
            p["IpRanges"] = json!([{"CidrIp": c.to_string(), "Description": r.description}])
        }
        SgPeer::Cidr(c) => p["Ipv6Ranges"] = json!([{"CidrIpv6": c.to_string()}]),
        SgPeer::PrefixList(pl) => {
            p["PrefixListIds"] = json!([{"PrefixListId": net.prefix_lists[pl.ix()].id}])
        }
        SgPeer::Group(g) => {
            let sg = &net.security_groups[g.ix()];
            p["UserIdGroupPairs"] =
                json!([{"GroupId": sg.id, "UserId": ACCOUNT, "VpcId": net.vpcs[sg.vpc.ix()].id}])
        }
    }
    p
}

fn route(net: &Network, r: &Route) -> Value {
    let mut v = json!({"Origin": "CreateRoute", "State": "active"});
    match &r.destination {
        RouteDestination::Cidr(c @ ipnet::IpNet::V4(_)) => {
            v["DestinationCidrBlock"] = json!(c.to_string())
        }
        RouteDestination::Cidr(c) => v["DestinationIpv6CidrBlock"] = json!(c.to_string()),
        RouteDestination::PrefixList(p) => {
            v["DestinationPrefixListId"] = json!(net.prefix_lists[p.ix()].id)
        }
    }
    match r.target {
        RouteTarget::Local => {
            v["GatewayId"] = json!("local");
            v["Origin"] = json!("CreateRouteTable");
        }
        RouteTarget::Peering(p) => v["VpcPeeringConnectionId"] = json!(net.peerings[p.ix()].id),
        RouteTarget::InternetGateway(g) => v["GatewayId"] = json!(net.internet_gateways[g.ix()].id),
        RouteTarget::EgressOnlyInternetGateway(g) => {
            v["EgressOnlyInternetGatewayId"] = json!(net.egress_only_internet_gateways[g.ix()].id)
        }
        RouteTarget::NatGateway(n) => v["NatGatewayId"] = json!(net.nat_gateways[n.ix()].id),
        RouteTarget::VpnGateway(g) => {
            v["GatewayId"] = json!(net.vpn_gateways[g.ix()].id);
            if r.propagated {
                v["Origin"] = json!("EnableVgwRoutePropagation");
            }
        }
        RouteTarget::GatewayEndpoint(e) => {
            v["GatewayId"] = json!(net.gateway_endpoints[e.ix()].id);
            v["Origin"] = json!("CreateRoute");
        }
        RouteTarget::Eni(e) => {
            let eni = &net.enis[e.ix()];
            v["NetworkInterfaceId"] = json!(eni.id);
            v["InstanceId"] = json!(net.instances[eni.instance.ix()].id);
            v["InstanceOwnerId"] = json!(ACCOUNT);
        }
        RouteTarget::TransitGateway(t) => {
            v["TransitGatewayId"] = json!(net.transit_gateways[t.ix()].id)
        }
        RouteTarget::Blackhole => {
            // AWS keeps the deleted target's id and marks the route blackhole.
            v["NatGatewayId"] = json!("nat-0deleted00000000");
            v["State"] = json!("blackhole");
        }
    }
    v
}

/// Export `net` under `dir/<account>/<region>/`.
pub fn export(net: &Network, dir: &Path) {
    let region_of_vpc = |v: VpcIdx| net.regions[net.vpcs[v.ix()].region.ix()].name.clone();
    // region → file key → records
    let mut files: BTreeMap<String, BTreeMap<&str, Vec<Value>>> = BTreeMap::new();
    let mut push = |region: String, key: &'static str, v: Value| {
        files
            .entry(region)
            .or_default()
            .entry(key)
            .or_default()
            .push(v)
    };
    for v in &net.vpcs {
        let mut assoc = vec![];
        for c in &v.cidrs {
            assoc.push(json!({"AssociationId": format!("vpc-cidr-assoc-{}", c.addr()), "CidrBlock": c.to_string(), "CidrBlockState": {"State": "associated"}}));
        }
        let mut j = json!({"CidrBlock": v.cidrs[0].to_string(), "CidrBlockAssociationSet": assoc, "VpcId": v.id, "OwnerId": ACCOUNT, "State": "available", "IsDefault": false, "InstanceTenancy": "default"});
        if let Some(v6) = v.ipv6 {
            j["Ipv6CidrBlockAssociationSet"] = json!([{"Ipv6CidrBlock": v6.to_string(), "Ipv6CidrBlockState": {"State": "associated"}, "NetworkBorderGroup": net.regions[v.region.ix()].name}]);
        }
        push(net.regions[v.region.ix()].name.clone(), "Vpcs", j);
    }
    for s in &net.subnets {
        let mut j = json!({"SubnetId": s.id, "VpcId": net.vpcs[s.vpc.ix()].id, "CidrBlock": s.cidr.to_string(), "AvailabilityZone": net.azs[s.az.ix()].name, "State": "available", "MapPublicIpOnLaunch": false});
        if let Some(v6) = s.ipv6 {
            j["Ipv6CidrBlockAssociationSet"] = json!([{"Ipv6CidrBlock": v6.to_string(), "Ipv6CidrBlockState": {"State": "associated"}}]);
        }
        push(region_of_vpc(s.vpc), "Subnets", j);
    }
    for (ti, t) in net.route_tables.iter().enumerate() {
        let mut assoc = vec![];
        if t.is_main {
            assoc.push(json!({"Main": true, "RouteTableId": t.id, "AssociationState": {"State": "associated"}}));
        }
        for s in net
            .subnets
            .iter()
            .filter(|s| s.route_table.ix() == ti && !t.is_main)
        {
            assoc.push(json!({"Main": false, "RouteTableId": t.id, "SubnetId": s.id, "AssociationState": {"State": "associated"}}));
        }
        let routes: Vec<Value> = t.routes.iter().map(|r| route(net, r)).collect();
        push(
            region_of_vpc(t.vpc),
            "RouteTables",
            json!({"RouteTableId": t.id, "VpcId": net.vpcs[t.vpc.ix()].id, "Associations": assoc, "Routes": routes, "PropagatingVgws": [], "OwnerId": ACCOUNT}),
        );
    }
    for (ni, n) in net.nacls.iter().enumerate() {
        let mut entries: Vec<Value> = n.outbound.iter().map(|r| nacl_entry(r, true)).collect();
        entries.push(json!({"CidrBlock": "0.0.0.0/0", "Egress": true, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 32767}));
        entries.extend(n.inbound.iter().map(|r| nacl_entry(r, false)));
        entries.push(json!({"CidrBlock": "0.0.0.0/0", "Egress": false, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 32767}));
        let assoc: Vec<Value> = net
            .subnets
            .iter()
            .filter(|s| s.nacl.ix() == ni)
            .map(|s| json!({"NetworkAclId": n.id, "SubnetId": s.id}))
            .collect();
        push(
            region_of_vpc(n.vpc),
            "NetworkAcls",
            json!({"NetworkAclId": n.id, "VpcId": net.vpcs[n.vpc.ix()].id, "IsDefault": n.is_default, "Entries": entries, "Associations": assoc, "OwnerId": ACCOUNT}),
        );
    }
    for g in &net.security_groups {
        let ingress: Vec<Value> = g.ingress.iter().map(|r| permission(net, r)).collect();
        let egress: Vec<Value> = g.egress.iter().map(|r| permission(net, r)).collect();
        push(
            region_of_vpc(g.vpc),
            "SecurityGroups",
            json!({"GroupId": g.id, "GroupName": g.name, "Description": g.name, "VpcId": net.vpcs[g.vpc.ix()].id, "IpPermissions": ingress, "IpPermissionsEgress": egress, "OwnerId": ACCOUNT}),
        );
    }
    for i in &net.instances {
        let enis: Vec<Value> = i
            .enis
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let e = &net.enis[e.ix()];
                let mut j = json!({
                    "NetworkInterfaceId": e.id, "SubnetId": net.subnets[e.subnet.ix()].id, "VpcId": net.vpcs[e.vpc.ix()].id,
                    "PrivateIpAddress": e.private_ip.to_string(),
                    "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": e.private_ip.to_string()}],
                    "Ipv6Addresses": e.ipv6.map(|a| vec![json!({"Ipv6Address": a.to_string()})]).unwrap_or_default(),
                    "Groups": e.security_groups.iter().map(|g| json!({"GroupId": net.security_groups[g.ix()].id, "GroupName": net.security_groups[g.ix()].name})).collect::<Vec<_>>(),
                    "SourceDestCheck": e.source_dest_check,
                    "Attachment": {"DeviceIndex": k, "Status": "attached"},
                    "Status": "in-use",
                });
                if let Some(p) = e.public_ip {
                    j["Association"] = json!({"PublicIp": p.to_string(), "IpOwnerId": "amazon"});
                }
                j
            })
            .collect();
        let first = &net.enis[i.enis[0].ix()];
        let mut inst = json!({"InstanceId": i.id, "InstanceType": "t3.micro", "State": {"Code": 16, "Name": "running"}, "NetworkInterfaces": enis, "PrivateIpAddress": first.private_ip.to_string(), "SubnetId": net.subnets[first.subnet.ix()].id, "VpcId": net.vpcs[first.vpc.ix()].id});
        if i.name != i.id {
            inst["Tags"] = json!([{"Key": "Name", "Value": i.name}]);
        }
        push(
            region_of_vpc(first.vpc),
            "Reservations",
            json!({"ReservationId": format!("r-{}", i.id), "OwnerId": ACCOUNT, "Instances": [inst]}),
        );
    }
    for (pi, p) in net.peerings.iter().enumerate() {
        let info = |v: VpcIdx| {
            let vpc = &net.vpcs[v.ix()];
            let mut j = json!({"VpcId": vpc.id, "OwnerId": ACCOUNT, "Region": net.regions[vpc.region.ix()].name});
            if p.status == PeeringStatus::Active {
                j["CidrBlock"] = json!(vpc.cidrs[0].to_string());
                j["CidrBlockSet"] = json!(vpc
                    .cidrs
                    .iter()
                    .map(|c| json!({"CidrBlock": c.to_string()}))
                    .collect::<Vec<_>>());
            }
            j
        };
        let mut j = json!({"VpcPeeringConnectionId": p.id, "RequesterVpcInfo": info(p.requester), "AccepterVpcInfo": info(p.accepter), "Status": {"Code": p.status.as_str(), "Message": p.status.as_str()}});
        if p.status == PeeringStatus::Active {
            let o = net.dns.peering_options.get(pi).copied().unwrap_or_default();
            let opts = |on: bool| json!({"AllowDnsResolutionFromRemoteVpc": on, "AllowEgressFromLocalClassicLinkToRemoteVpc": false, "AllowEgressFromLocalVpcToRemoteClassicLink": false});
            j["RequesterVpcInfo"]["PeeringOptions"] = opts(o.requester);
            j["AccepterVpcInfo"]["PeeringOptions"] = opts(o.accepter);
        }
        // Both regions of an inter-region peering describe it.
        push(
            region_of_vpc(p.requester),
            "VpcPeeringConnections",
            j.clone(),
        );
        if p.inter_region {
            push(region_of_vpc(p.accepter), "VpcPeeringConnections", j);
        }
    }
    for g in &net.internet_gateways {
        let attach: Vec<Value> = g
            .vpc
            .iter()
            .map(|v| json!({"VpcId": net.vpcs[v.ix()].id, "State": "available"}))
            .collect();
        let region = g
            .vpc
            .map_or_else(|| net.regions[0].name.clone(), region_of_vpc);
        push(
            region,
            "InternetGateways",
            json!({"InternetGatewayId": g.id, "Attachments": attach, "OwnerId": ACCOUNT}),
        );
    }
    for g in &net.egress_only_internet_gateways {
        let attach: Vec<Value> = g
            .vpc
            .iter()
            .map(|v| json!({"VpcId": net.vpcs[v.ix()].id, "State": "attached"}))
            .collect();
        let region = g
            .vpc
            .map_or_else(|| net.regions[0].name.clone(), region_of_vpc);
        push(
            region,
            "EgressOnlyInternetGateways",
            json!({"EgressOnlyInternetGatewayId": g.id, "Attachments": attach}),
        );
    }
    for n in &net.nat_gateways {
        push(
            region_of_vpc(n.vpc),
            "NatGateways",
            json!({"NatGatewayId": n.id, "SubnetId": net.subnets[n.subnet.ix()].id, "VpcId": net.vpcs[n.vpc.ix()].id, "State": "available", "ConnectivityType": "public",
            "NatGatewayAddresses": [{"PrivateIp": n.private_ip.to_string(), "PublicIp": n.public_ip.to_string(), "IsPrimary": true, "Status": "succeeded"}]}),
        );
    }
    // A TGW VPN attachment's customer side is a VPN gateway entry of the
    // compiled network; AWS describes it as the attachment's VPN connection.
    let tgw_vpn = |id: &str| net.tgw_attachments.iter().any(|a| a.id == id);
    for g in net.vpn_gateways.iter().filter(|g| !tgw_vpn(&g.id)) {
        let region = g
            .vpc
            .map_or_else(|| net.regions[0].name.clone(), region_of_vpc);
        let attach: Vec<Value> = g
            .vpc
            .iter()
            .map(|v| json!({"VpcId": net.vpcs[v.ix()].id, "State": "attached"}))
            .collect();
        push(
            region.clone(),
            "VpnGateways",
            json!({"VpnGatewayId": g.id, "State": "available", "Type": "ipsec.1", "VpcAttachments": attach}),
        );
        let routes: Vec<Value> = g.onprem_cidrs.iter().map(|c| json!({"DestinationCidrBlock": c.to_string(), "Source": "Static", "State": "available"})).collect();
        push(
            region,
            "VpnConnections",
            json!({"VpnConnectionId": format!("vpn-{}", g.id), "VpnGatewayId": g.id, "State": "available", "Type": "ipsec.1", "Routes": routes, "Options": {"StaticRoutesOnly": true}}),
        );
    }
    for (ei, e) in net.gateway_endpoints.iter().enumerate() {
        let region = region_of_vpc(e.vpc);
        let tables: Vec<&str> = net
            .route_tables
            .iter()
            .filter(|t| {
                t.routes
                    .iter()
                    .any(|r| r.target == RouteTarget::GatewayEndpoint(VpceIdx(ei as u32)))
            })
            .map(|t| t.id.as_str())
            .collect();
        push(
            region.clone(),
            "VpcEndpoints",
            json!({"VpcEndpointId": e.id, "VpcEndpointType": "Gateway", "VpcId": net.vpcs[e.vpc.ix()].id, "ServiceName": format!("com.amazonaws.{region}.{}", e.service), "State": "available", "RouteTableIds": tables}),
        );
    }
    for p in &net.prefix_lists {
        let cidrs: Vec<String> = p.cidrs.iter().map(|c| c.to_string()).collect();
        push(
            net.regions[0].name.clone(),
            "PrefixLists",
            json!({"PrefixListId": p.id, "PrefixListName": p.name, "Cidrs": cidrs}),
        );
    }
    super::export_tgw::export(net, dir, ACCOUNT, &mut push);
    super::export_dns::export(net, dir, ACCOUNT);
    for (region, keys) in files {
        for (key, records) in keys {
            let mut obj = serde_json::Map::new();
            obj.insert(key.to_string(), Value::Array(records));
            super::write_json(
                &dir.join(ACCOUNT).join(&region),
                &format!("{key}.json"),
                &aws_ids(Value::Object(obj)),
            );
        }
    }
}

/// The ids the topology gives a VPC's implicit objects (`acl-default-a`,
/// `sg-default-a`, `rtb-main-a`) renamed as AWS would name real ones
/// (`acl-0default-a`, …): the importer writes AWS's default NACL and group
/// explicitly, and a VPC of the imported file still implies objects of those
/// names, which an explicit id may not take.
fn aws_ids(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(
            [
                ("acl-default-", "acl-0default-"),
                ("sg-default-", "sg-0default-"),
                ("rtb-main-", "rtb-0main-"),
            ]
            .iter()
            .find_map(|(from, to)| s.strip_prefix(from).map(|rest| format!("{to}{rest}")))
            .unwrap_or(s),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(aws_ids).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, aws_ids(v))).collect()),
        other => other,
    }
}
