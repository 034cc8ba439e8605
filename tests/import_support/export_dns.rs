//! The DNS settings of a compiled [`Network`] as AWS prints them:
//! `ec2 describe-vpc-attribute` (one file per VPC and attribute),
//! `route53 get-hosted-zone` and `list-resource-record-sets` per zone (in files
//! named after the zone, as AWS's record output does not name it). The
//! peerings' `PeeringOptions` are added by `export` itself.

use peeremu::model::*;
use peeremu::route53::{RecordData, ZoneKind};
use serde_json::json;
use std::path::Path;

/// A Route 53-like zone id for an example's id (`Z-INTERNAL` → `ZINTERNAL`).
pub fn zone_id(id: &str) -> String {
    let rest: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let rest = rest.trim_start_matches('Z');
    format!("Z{rest:0>8}")
}

pub fn export(net: &Network, dir: &Path, account: &str) {
    let region_of_vpc = |v: VpcIdx| net.regions[net.vpcs[v.ix()].region.ix()].name.clone();
    for (vi, v) in net.vpcs.iter().enumerate() {
        let a = net.dns.vpc(VpcIdx(vi as u32));
        let out = dir.join(account).join(region_of_vpc(VpcIdx(vi as u32)));
        super::write_json(
            &out,
            &format!("{}.enableDnsSupport.json", v.id),
            &json!({"VpcId": v.id, "EnableDnsSupport": {"Value": a.support}}),
        );
        super::write_json(
            &out,
            &format!("{}.enableDnsHostnames.json", v.id),
            &json!({"VpcId": v.id, "EnableDnsHostnames": {"Value": a.hostnames}}),
        );
    }
    for z in &net.dns.zones {
        let (private, vpcs, region) = match &z.kind {
            ZoneKind::Private { vpcs } => (true, vpcs.clone(), region_of_vpc(vpcs[0])),
            ZoneKind::Public => (false, vec![], net.regions[0].name.clone()),
            // On-premises zones live on a DNS server, not in Route 53.
            ZoneKind::OnPremises { .. } => continue,
        };
        let id = zone_id(&z.id);
        let out = dir.join(account).join(region);
        let mut zone = json!({"HostedZone": {"Id": format!("/hostedzone/{id}"), "Name": format!("{}.", z.name),
            "CallerReference": z.id, "Config": {"PrivateZone": private}, "ResourceRecordSetCount": z.records.len() + 2}});
        if private {
            zone["VPCs"] = json!(vpcs
                .iter()
                .map(|v| json!({"VPCRegion": region_of_vpc(*v), "VPCId": net.vpcs[v.ix()].id}))
                .collect::<Vec<_>>());
        } else {
            zone["DelegationSet"] = json!({"NameServers": ["ns-0.awsdns-00.com"]});
        }
        super::write_json(&out, &format!("{id}.zone.json"), &zone);
        let mut sets = vec![
            json!({"Name": format!("{}.", z.name), "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": "ns-0.awsdns-00.com."}]}),
            json!({"Name": format!("{}.", z.name), "Type": "SOA", "TTL": 900, "ResourceRecords": [{"Value": "ns-0.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}]}),
        ];
        for r in &z.records {
            let (ty, value) = match &r.data {
                RecordData::A(a) => ("A", a.to_string()),
                RecordData::Aaaa(a) => ("AAAA", a.to_string()),
                RecordData::Cname(c) => ("CNAME", c.clone()),
            };
            sets.push(json!({"Name": format!("{}.", r.name), "Type": ty, "TTL": r.ttl, "ResourceRecords": [{"Value": value}]}));
        }
        super::write_json(
            &out,
            &format!("{id}.records.json"),
            &json!({"ResourceRecordSets": sets, "IsTruncated": false, "MaxItems": "300"}),
        );
    }
}
