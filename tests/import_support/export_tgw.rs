//! The transit gateways of a compiled [`Network`] as AWS describes them:
//! `describe-transit-gateways`, `-attachments` (one record per side of a
//! peering), `-vpc-attachments`, `-peering-attachments`, `-route-tables`,
//! `describe-vpn-connections` for VPN attachments, and per route table the
//! output of `search-transit-gateway-routes`,
//! `get-transit-gateway-route-table-associations` and `-propagations` in files
//! named after the table (AWS's output does not name it).

use peeremu::model::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

fn state(s: TgwAttachmentState) -> &'static str {
    match s {
        TgwAttachmentState::Available => "available",
        TgwAttachmentState::Pending => "pending",
        TgwAttachmentState::PendingAcceptance => "pendingAcceptance",
        TgwAttachmentState::Modifying => "modifying",
        TgwAttachmentState::Deleting => "deleting",
        TgwAttachmentState::Deleted => "deleted",
        TgwAttachmentState::Rejected => "rejected",
        TgwAttachmentState::Failed => "failed",
    }
}

fn vpn_id(att: &str) -> String {
    format!("vpn-for-{att}")
}

/// `ResourceType` and `ResourceId` of attachment `a` seen from TGW `side`.
fn resource(net: &Network, a: &TgwAttachment, side: TgwIdx) -> (&'static str, String) {
    match &a.kind {
        TgwAttachmentKind::Vpc { vpc, .. } => ("vpc", net.vpcs[vpc.ix()].id.clone()),
        TgwAttachmentKind::Vpn { .. } => ("vpn", vpn_id(&a.id)),
        TgwAttachmentKind::Peering { .. } => (
            "peering",
            net.transit_gateways[a.peer_of(side).unwrap_or(side).ix()]
                .id
                .clone(),
        ),
        TgwAttachmentKind::DirectConnectGateway { dxgw, .. } => (
            "direct-connect-gateway",
            net.direct_connect_gateways[dxgw.ix()].id.clone(),
        ),
    }
}

fn link(net: &Network, a: TgwAttIdx, side: TgwIdx, state: &str) -> Value {
    let att = &net.tgw_attachments[a.ix()];
    let (ty, res) = resource(net, att, side);
    json!({"TransitGatewayAttachmentId": att.id, "ResourceId": res, "ResourceType": ty, "State": state})
}

/// Push the TGW records through `push(region, key, record)`; write the
/// per-table files under `dir/<account>/<region>/`.
pub fn export(
    net: &Network,
    dir: &Path,
    account: &str,
    push: &mut dyn FnMut(String, &'static str, Value),
) {
    let region = |t: TgwIdx| {
        net.regions[net.transit_gateways[t.ix()].region.ix()]
            .name
            .clone()
    };
    for (gi, g) in net.transit_gateways.iter().enumerate() {
        let r = region(TgwIdx(gi as u32));
        let onoff = |x: Option<TgwRtbIdx>| if x.is_some() { "enable" } else { "disable" };
        let mut options = json!({
            "AmazonSideAsn": 64512,
            "AutoAcceptSharedAttachments": "disable",
            "DefaultRouteTableAssociation": onoff(g.default_association),
            "DefaultRouteTablePropagation": onoff(g.default_propagation),
            "VpnEcmpSupport": "enable",
            "DnsSupport": "enable",
            "SecurityGroupReferencingSupport": if g.sg_referencing { "enable" } else { "disable" },
            "MulticastSupport": "disable"
        });
        if let Some(t) = g.default_association {
            options["AssociationDefaultRouteTableId"] = json!(net.tgw_route_tables[t.ix()].id);
        }
        if let Some(t) = g.default_propagation {
            options["PropagationDefaultRouteTableId"] = json!(net.tgw_route_tables[t.ix()].id);
        }
        push(
            r.clone(),
            "TransitGateways",
            json!({"TransitGatewayId": g.id, "TransitGatewayArn": format!("arn:aws:ec2:{r}:{account}:transit-gateway/{}", g.id),
                "State": "available", "OwnerId": account, "Description": g.id, "CreationTime": "2026-01-01T00:00:00.000Z",
                "Options": options, "Tags": []}),
        );
    }
    for a in &net.tgw_attachments {
        let sides: Vec<TgwIdx> = std::iter::once(a.tgw).chain(a.peer_of(a.tgw)).collect();
        for &side in &sides {
            let (ty, res) = resource(net, a, side);
            let mut j = json!({"TransitGatewayAttachmentId": a.id, "TransitGatewayId": net.transit_gateways[side.ix()].id,
                "TransitGatewayOwnerId": account, "ResourceOwnerId": account, "ResourceType": ty, "ResourceId": res,
                "State": state(a.state), "CreationTime": "2026-01-01T00:00:00.000Z", "Tags": []});
            if let Some(t) = a.association_on(side) {
                j["Association"] = json!({"TransitGatewayRouteTableId": net.tgw_route_tables[t.ix()].id, "State": "associated"});
            }
            push(region(side), "TransitGatewayAttachments", j);
        }
        match &a.kind {
            TgwAttachmentKind::Vpc {
                vpc,
                subnets,
                appliance_mode,
            } => {
                let v = &net.vpcs[vpc.ix()];
                let onoff = |b: bool| if b { "enable" } else { "disable" };
                push(
                    region(a.tgw),
                    "TransitGatewayVpcAttachments",
                    json!({"TransitGatewayAttachmentId": a.id, "TransitGatewayId": net.transit_gateways[a.tgw.ix()].id,
                        "VpcId": v.id, "VpcOwnerId": account, "State": state(a.state),
                        "SubnetIds": subnets.iter().map(|s| net.subnets[s.ix()].id.clone()).collect::<Vec<_>>(),
                        "CreationTime": "2026-01-01T00:00:00.000Z",
                        "Options": {"DnsSupport": "enable", "SecurityGroupReferencingSupport": onoff(a.sg_referencing),
                            "Ipv6Support": onoff(v.ipv6.is_some()), "ApplianceModeSupport": onoff(*appliance_mode)},
                        "Tags": []}),
                );
            }
            TgwAttachmentKind::Vpn { vgw } => {
                let routes: Vec<Value> = net.vpn_gateways[vgw.ix()]
                    .onprem_cidrs
                    .iter()
                    .map(|c| json!({"DestinationCidrBlock": c.to_string(), "Source": "Static", "State": "available"}))
                    .collect();
                push(
                    region(a.tgw),
                    "VpnConnections",
                    json!({"VpnConnectionId": vpn_id(&a.id), "TransitGatewayId": net.transit_gateways[a.tgw.ix()].id,
                        "CustomerGatewayId": format!("cgw-for-{}", a.id), "Category": "VPN", "State": "available",
                        "Type": "ipsec.1", "Routes": routes, "Options": {"StaticRoutesOnly": true}}),
                );
            }
            TgwAttachmentKind::Peering { peer } => {
                let info = |t: TgwIdx| json!({"TransitGatewayId": net.transit_gateways[t.ix()].id, "OwnerId": account, "Region": region(t)});
                let j = json!({"TransitGatewayAttachmentId": a.id, "RequesterTgwInfo": info(a.tgw), "AccepterTgwInfo": info(*peer),
                    "Status": {"Code": state(a.state), "Message": state(a.state)}, "State": state(a.state),
                    "CreationTime": "2026-01-01T00:00:00.000Z", "Tags": []});
                push(region(a.tgw), "TransitGatewayPeeringAttachments", j.clone());
                if region(*peer) != region(a.tgw) {
                    push(region(*peer), "TransitGatewayPeeringAttachments", j);
                }
            }
            // Its allowed prefixes are in `aws directconnect
            // describe-direct-connect-gateway-associations`, not an EC2 output.
            TgwAttachmentKind::DirectConnectGateway { .. } => {}
        }
    }
    for (ti, t) in net.tgw_route_tables.iter().enumerate() {
        let ix = TgwRtbIdx(ti as u32);
        let g = &net.transit_gateways[t.tgw.ix()];
        let r = region(t.tgw);
        push(
            r.clone(),
            "TransitGatewayRouteTables",
            json!({"TransitGatewayRouteTableId": t.id, "TransitGatewayId": g.id, "State": "available",
                "DefaultAssociationRouteTable": g.default_association == Some(ix),
                "DefaultPropagationRouteTable": g.default_propagation == Some(ix),
                "CreationTime": "2026-01-01T00:00:00.000Z", "Tags": []}),
        );
        let routes: Vec<Value> = t
            .routes
            .iter()
            .map(|x| {
                let mut j = json!({"DestinationCidrBlock": x.destination.to_string(),
                    "Type": if x.propagated { "propagated" } else { "static" }, "State": "active"});
                match x.target {
                    TgwRouteTarget::Attachment(a) => {
                        let l = link(net, a, t.tgw, "");
                        j["TransitGatewayAttachments"] = json!([{"ResourceId": l["ResourceId"], "TransitGatewayAttachmentId": l["TransitGatewayAttachmentId"], "ResourceType": l["ResourceType"]}]);
                    }
                    TgwRouteTarget::Blackhole => j["State"] = json!("blackhole"),
                }
                j
            })
            .collect();
        let props: BTreeSet<u32> = t
            .routes
            .iter()
            .filter(|x| x.propagated)
            .filter_map(|x| match x.target {
                TgwRouteTarget::Attachment(a) => Some(a.0),
                TgwRouteTarget::Blackhole => None,
            })
            .collect();
        let assocs: Vec<Value> = net
            .tgw_attachments
            .iter()
            .enumerate()
            .filter(|(_, a)| a.association_on(t.tgw) == Some(ix))
            .map(|(ai, _)| link(net, TgwAttIdx(ai as u32), t.tgw, "associated"))
            .collect();
        let folder = dir.join(account).join(&r);
        super::write_json(
            &folder,
            &format!("{}.routes.json", t.id),
            &json!({"Routes": routes, "AdditionalRoutesAvailable": false}),
        );
        super::write_json(
            &folder,
            &format!("{}.propagations.json", t.id),
            &json!({"TransitGatewayRouteTablePropagations": props.iter().map(|&a| link(net, TgwAttIdx(a), t.tgw, "enabled")).collect::<Vec<_>>()}),
        );
        super::write_json(
            &folder,
            &format!("{}.associations.json", t.id),
            &json!({"Associations": assocs}),
        );
    }
}
