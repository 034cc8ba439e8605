//! Every record of every file, indexed by AWS id, with where it came from.
//! Ids are unique across files (as in AWS) except peering connections, which
//! both regions of an inter-region peering print: those are merged when they
//! name the same two VPCs.

use super::error::ImportError;
use super::files::{File, ForTable};
use super::shapes::*;
use std::collections::{HashMap, HashSet};

/// Where a record came from: its file and JSON path (`Vpcs[2]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: u32,
    pub path: String,
}

/// A record with its source (and the region of its file, if known).
#[derive(Debug, Clone)]
pub struct Rec<T> {
    pub item: T,
    pub src: Source,
    pub region: Option<String>,
}

/// The whole export, indexed.
#[derive(Debug, Default)]
pub struct Account {
    /// Files as shown, indexed by `Source::file`.
    pub files: Vec<String>,
    pub vpcs: Vec<Rec<Vpc>>,
    pub subnets: Vec<Rec<Subnet>>,
    pub route_tables: Vec<Rec<RouteTable>>,
    pub nacls: Vec<Rec<NetworkAcl>>,
    pub sgs: Vec<Rec<SecurityGroup>>,
    pub instances: Vec<Rec<Instance>>,
    pub enis: Vec<Rec<InstanceEni>>,
    pub addresses: Vec<Rec<Address>>,
    pub igws: Vec<Rec<InternetGateway>>,
    pub eigws: Vec<Rec<EgressOnlyInternetGateway>>,
    pub nats: Vec<Rec<NatGateway>>,
    pub vgws: Vec<Rec<VpnGateway>>,
    pub vpns: Vec<Rec<VpnConnection>>,
    pub cgws: Vec<Rec<CustomerGateway>>,
    pub peerings: Vec<Rec<VpcPeeringConnection>>,
    pub endpoints: Vec<Rec<VpcEndpoint>>,
    pub prefix_lists: Vec<Rec<PrefixList>>,
    pub tgws: Vec<Rec<TransitGateway>>,
    pub tgw_route_tables: Vec<Rec<TgwRouteTable>>,
    /// Attachments as `describe-transit-gateway-attachments` prints them. Not
    /// unique by id: both sides of a TGW peering print it (each with its own
    /// TGW and association).
    pub tgw_attachments: Vec<Rec<TgwAttachment>>,
    pub tgw_vpc_attachments: Vec<Rec<TgwVpcAttachment>>,
    pub tgw_peering_attachments: Vec<Rec<TgwPeeringAttachment>>,
    /// Per-table outputs: (route table id, record).
    pub tgw_routes: Vec<(String, Rec<TgwRoute>)>,
    pub tgw_associations: Vec<(String, Rec<TgwTableLink>)>,
    pub tgw_propagations: Vec<(String, Rec<TgwTableLink>)>,
    /// (route table id, `routes` | `associations` | `propagations`) for every
    /// per-table output read, empty ones too (an empty list is data).
    pub tgw_table_outputs: HashSet<(String, &'static str)>,
    /// describe-vpc-attribute outputs: (VpcId, EnableDnsSupport, EnableDnsHostnames).
    pub vpc_attributes: Vec<Rec<super::files::VpcAttribute>>,
    /// Hosted zones (get-hosted-zone with its VPCs, list-hosted-zones without).
    pub zones: Vec<Rec<super::files::ZoneWithVpcs>>,
    /// list-hosted-zones-by-vpc: (VPC from the file's path, zone).
    pub zone_summaries: Vec<(String, Rec<HostedZoneSummary>)>,
    /// list-resource-record-sets: (zone id candidates from the path, `|`-separated, record).
    pub record_sets: Vec<(String, Rec<ResourceRecordSet>)>,
    /// elbv2 load balancers (by ARN), listeners, target groups.
    pub load_balancers: Vec<Rec<LoadBalancer>>,
    pub listeners: Vec<Rec<Listener>>,
    pub target_groups: Vec<Rec<TargetGroup>>,
    /// describe-target-health: (candidate target group names from the path, record).
    pub target_health: Vec<(String, Rec<TargetHealthDescription>)>,
    /// describe-load-balancer-attributes: (candidate names from the path, record).
    pub lb_attributes: Vec<(String, Rec<LbAttribute>)>,
    pub service_configurations: Vec<Rec<ServiceConfiguration>>,
    /// (service id from the path, or empty: the record's `ServiceId`, record).
    pub allowed_principals: Vec<(String, Rec<AllowedPrincipal>)>,
    pub dx_connections: Vec<Rec<DxConnection>>,
    pub dx_vifs: Vec<Rec<DxVirtualInterface>>,
    /// Direct Connect gateways are global: every region's folder may print the
    /// same ones; the first is kept (as are associations and attachments).
    pub dx_gateways: Vec<Rec<DxGateway>>,
    pub dx_associations: Vec<Rec<DxGatewayAssociation>>,
    pub dx_attachments: Vec<Rec<DxGatewayAttachment>>,
    /// (id, why, source) of records of kinds not modelled.
    pub unmodelled: Vec<(String, &'static str, Source)>,
    /// Every id defined, with its source (for duplicates and references).
    pub ids: HashMap<String, Source>,
}

impl Account {
    /// `file.json Vpcs[2]`, for comments and messages.
    pub fn show(&self, s: &Source) -> String {
        format!("{} {}", self.files[s.file as usize], s.path)
    }

    fn define(&mut self, id: &str, src: &Source, id_key: &str) -> Result<(), ImportError> {
        let file = &self.files[src.file as usize];
        let at = format!("{}.{id_key}", src.path);
        if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ImportError::at(file, &at, format!("invalid id {id:?}")));
        }
        if let Some(first) = self.ids.get(id) {
            return Err(ImportError::at(
                file,
                &at,
                format!(
                    "duplicate id `{id}`: already defined in {}; ids are unique in an AWS account",
                    self.show(first)
                ),
            ));
        }
        self.ids.insert(id.to_string(), src.clone());
        Ok(())
    }

    /// Add one parsed file.
    pub fn add(&mut self, f: File) -> Result<(), ImportError> {
        let fi = self.files.len() as u32;
        self.files.push(f.shown.clone());
        let region = f.region.clone();
        let src = |key: &str, i: usize| Source {
            file: fi,
            path: format!("{key}[{i}]"),
        };
        macro_rules! take {
            ($list:expr, $into:ident, $key:literal, $idf:ident, $idkey:literal) => {
                for (i, item) in $list.into_iter().enumerate() {
                    let s = src($key, i);
                    self.define(&item.$idf, &s, $idkey)?;
                    self.$into.push(Rec {
                        item,
                        src: s,
                        region: region.clone(),
                    });
                }
            };
        }
        take!(f.vpcs, vpcs, "Vpcs", vpc_id, "VpcId");
        take!(f.subnets, subnets, "Subnets", subnet_id, "SubnetId");
        take!(
            f.route_tables,
            route_tables,
            "RouteTables",
            route_table_id,
            "RouteTableId"
        );
        take!(
            f.network_acls,
            nacls,
            "NetworkAcls",
            network_acl_id,
            "NetworkAclId"
        );
        take!(
            f.security_groups,
            sgs,
            "SecurityGroups",
            group_id,
            "GroupId"
        );
        take!(f.addresses, addresses, "Addresses", public_ip, "PublicIp");
        take!(
            f.internet_gateways,
            igws,
            "InternetGateways",
            internet_gateway_id,
            "InternetGatewayId"
        );
        take!(
            f.egress_only_gateways,
            eigws,
            "EgressOnlyInternetGateways",
            egress_only_internet_gateway_id,
            "EgressOnlyInternetGatewayId"
        );
        take!(
            f.nat_gateways,
            nats,
            "NatGateways",
            nat_gateway_id,
            "NatGatewayId"
        );
        take!(
            f.vpn_gateways,
            vgws,
            "VpnGateways",
            vpn_gateway_id,
            "VpnGatewayId"
        );
        take!(
            f.vpn_connections,
            vpns,
            "VpnConnections",
            vpn_connection_id,
            "VpnConnectionId"
        );
        take!(
            f.customer_gateways,
            cgws,
            "CustomerGateways",
            customer_gateway_id,
            "CustomerGatewayId"
        );
        take!(
            f.endpoints,
            endpoints,
            "VpcEndpoints",
            vpc_endpoint_id,
            "VpcEndpointId"
        );
        take!(
            f.prefix_lists,
            prefix_lists,
            "PrefixLists",
            prefix_list_id,
            "PrefixListId"
        );
        take!(
            f.tgws,
            tgws,
            "TransitGateways",
            transit_gateway_id,
            "TransitGatewayId"
        );
        take!(
            f.tgw_route_tables,
            tgw_route_tables,
            "TransitGatewayRouteTables",
            transit_gateway_route_table_id,
            "TransitGatewayRouteTableId"
        );
        take!(
            f.load_balancers,
            load_balancers,
            "LoadBalancers",
            load_balancer_arn,
            "LoadBalancerArn"
        );
        take!(
            f.listeners,
            listeners,
            "Listeners",
            listener_arn,
            "ListenerArn"
        );
        take!(
            f.target_groups,
            target_groups,
            "TargetGroups",
            target_group_arn,
            "TargetGroupArn"
        );
        take!(
            f.service_configurations,
            service_configurations,
            "ServiceConfigurations",
            service_id,
            "ServiceId"
        );
        take!(
            f.dx_connections,
            dx_connections,
            "connections",
            connection_id,
            "connectionId"
        );
        take!(
            f.dx_vifs,
            dx_vifs,
            "virtualInterfaces",
            virtual_interface_id,
            "virtualInterfaceId"
        );
        for (i, item) in f.dx_gateways.into_iter().enumerate() {
            let id = item.direct_connect_gateway_id.clone();
            if self
                .dx_gateways
                .iter()
                .any(|g| g.item.direct_connect_gateway_id == id)
            {
                continue; // another region's view of the same global gateway
            }
            let s = src("directConnectGateways", i);
            self.define(&id, &s, "directConnectGatewayId")?;
            self.dx_gateways.push(Rec {
                item,
                src: s,
                region: region.clone(),
            });
        }
        for (i, item) in f.dx_associations.into_iter().enumerate() {
            let same = |a: &DxGatewayAssociation| {
                a.direct_connect_gateway_id == item.direct_connect_gateway_id
                    && a.association_id == item.association_id
                    && a.associated_gateway.as_ref().map(|g| &g.id)
                        == item.associated_gateway.as_ref().map(|g| &g.id)
                    && a.virtual_gateway_id == item.virtual_gateway_id
            };
            if self.dx_associations.iter().any(|a| same(&a.item)) {
                continue;
            }
            self.dx_associations.push(Rec {
                item,
                src: src("directConnectGatewayAssociations", i),
                region: region.clone(),
            });
        }
        for (i, item) in f.dx_attachments.into_iter().enumerate() {
            if self.dx_attachments.iter().any(|a| {
                a.item.direct_connect_gateway_id == item.direct_connect_gateway_id
                    && a.item.virtual_interface_id == item.virtual_interface_id
            }) {
                continue;
            }
            self.dx_attachments.push(Rec {
                item,
                src: src("directConnectGatewayAttachments", i),
                region: region.clone(),
            });
        }
        self.target_health
            .extend(per_table_records(f.target_health, fi, &region));
        self.lb_attributes
            .extend(per_table_records(f.lb_attributes, fi, &region));
        self.allowed_principals
            .extend(per_table_records(f.allowed_principals, fi, &region));
        // An attachment is printed by several outputs (and a peering by both
        // regions): its id is known, not defined once.
        macro_rules! attachments {
            ($list:expr, $into:ident, $key:literal) => {
                for (i, item) in $list.into_iter().enumerate() {
                    let s = src($key, i);
                    let id = &item.transit_gateway_attachment_id;
                    if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                        return Err(ImportError::at(
                            &self.files[fi as usize],
                            &format!("{}.TransitGatewayAttachmentId", s.path),
                            format!("invalid id {id:?}"),
                        ));
                    }
                    self.ids.entry(id.clone()).or_insert_with(|| s.clone());
                    self.$into.push(Rec {
                        item,
                        src: s,
                        region: region.clone(),
                    });
                }
            };
        }
        attachments!(
            f.tgw_attachments,
            tgw_attachments,
            "TransitGatewayAttachments"
        );
        attachments!(
            f.tgw_vpc_attachments,
            tgw_vpc_attachments,
            "TransitGatewayVpcAttachments"
        );
        attachments!(
            f.tgw_peering_attachments,
            tgw_peering_attachments,
            "TransitGatewayPeeringAttachments"
        );
        macro_rules! per_table {
            ($sets:expr, $into:ident, $what:literal) => {
                for set in &$sets {
                    self.tgw_table_outputs.insert((set.table.clone(), $what));
                }
                self.$into.extend(per_table_records($sets, fi, &region));
            };
        }
        per_table!(f.tgw_routes, tgw_routes, "routes");
        per_table!(f.tgw_associations, tgw_associations, "associations");
        per_table!(f.tgw_propagations, tgw_propagations, "propagations");
        for (r, res) in f.reservations.into_iter().enumerate() {
            for (i, item) in res.instances.into_iter().enumerate() {
                let s = Source {
                    file: fi,
                    path: format!("Reservations[{r}].Instances[{i}]"),
                };
                self.define(&item.instance_id, &s, "InstanceId")?;
                self.instances.push(Rec {
                    item,
                    src: s,
                    region: region.clone(),
                });
            }
        }
        // ENIs are also nested in their instances: describe-network-interfaces
        // adds the others (NAT gateways', endpoints', load balancers', …).
        for (i, item) in f.network_interfaces.into_iter().enumerate() {
            let s = src("NetworkInterfaces", i);
            self.enis.push(Rec {
                item,
                src: s,
                region: region.clone(),
            });
        }
        for (i, item) in f.peerings.into_iter().enumerate() {
            let s = src("VpcPeeringConnections", i);
            let id = item.vpc_peering_connection_id.clone();
            if let Some(first) = self
                .peerings
                .iter()
                .find(|p| p.item.vpc_peering_connection_id == id)
            {
                let same = first.item.requester_vpc_info.vpc_id == item.requester_vpc_info.vpc_id
                    && first.item.accepter_vpc_info.vpc_id == item.accepter_vpc_info.vpc_id;
                if same {
                    continue; // the other region's view of the same peering
                }
                return Err(ImportError::at(
                    &self.files[fi as usize],
                    &format!("{}.VpcPeeringConnectionId", s.path),
                    format!(
                        "peering `{id}` connects other VPCs than in {}",
                        self.show(&first.src)
                    ),
                ));
            }
            self.define(&id, &s, "VpcPeeringConnectionId")?;
            self.peerings.push(Rec {
                item,
                src: s,
                region: region.clone(),
            });
        }
        if let Some(a) = f.vpc_attribute {
            self.vpc_attributes.push(Rec {
                item: a,
                src: Source {
                    file: fi,
                    path: String::new(),
                },
                region: region.clone(),
            });
        }
        for (i, z) in f.zones.into_iter().enumerate() {
            let path = if z.1.is_some() {
                "HostedZone".to_string()
            } else {
                format!("HostedZones[{i}]")
            };
            self.zones.push(Rec {
                item: z,
                src: Source { file: fi, path },
                region: region.clone(),
            });
        }
        self.zone_summaries
            .extend(per_table_records(f.zone_summaries, fi, &region));
        self.record_sets
            .extend(per_table_records(f.record_sets, fi, &region));
        for (key, why, ids) in f.unmodelled {
            for (i, id) in ids.into_iter().enumerate() {
                self.unmodelled.push((
                    id,
                    why,
                    Source {
                        file: fi,
                        path: format!("{key}[{i}]"),
                    },
                ));
            }
        }
        Ok(())
    }
}

/// The records of outputs AWS prints without the object they are for (a TGW
/// route table's routes, a VPC's hosted zones, a zone's record sets), each with
/// that object's id taken from the file's path.
fn per_table_records<'a, T: 'a>(
    sets: Vec<ForTable<T>>,
    fi: u32,
    region: &'a Option<String>,
) -> impl Iterator<Item = (String, Rec<T>)> + 'a {
    sets.into_iter().flat_map(move |set| {
        let ForTable { table, path, items } = set;
        items.into_iter().enumerate().map(move |(i, item)| {
            (
                table.clone(),
                Rec {
                    item,
                    src: Source {
                        file: fi,
                        path: format!("{path}[{i}]"),
                    },
                    region: region.clone(),
                },
            )
        })
    })
}
