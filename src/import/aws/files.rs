//! Finding and parsing the JSON files of an export: one folder, or Batfish's
//! snapshot layout `aws_configs/<account>/<region>/*.json`. A file is recognised
//! by its top-level key (`Vpcs`, `Subnets`, …), never by its name.

use super::error::ImportError;
use super::shapes::*;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use std::path::{Path, PathBuf};

/// Top-level keys that hold objects peeremu does not model: read for their ids
/// only, and reported as skipped.
pub const UNMODELLED_KEYS: &[(&str, &str)] = &[
    (
        "LoadBalancerDescriptions",
        "load balancers are not modelled",
    ),
    ("Firewalls", "AWS Network Firewall is not modelled"),
    ("CarrierGateways", "carrier gateways are not modelled"),
    (
        "LocalGateways",
        "local gateways (Outposts) are not modelled",
    ),
    ("DhcpOptions", "DHCP options do not change forwarding"),
    ("FlowLogs", "flow log settings do not change forwarding"),
    ("AvailabilityZones", "zones are taken from the subnets"),
    ("Regions", "regions are taken from the folders and subnets"),
    (
        "ResolverEndpoints",
        "Route 53 Resolver endpoints are not imported yet: add [[resolver_endpoint]] by hand",
    ),
    (
        "IpAddresses",
        "Route 53 Resolver endpoint addresses are not imported yet: add [[resolver_endpoint]] by hand",
    ),
    (
        "ResolverRules",
        "Route 53 Resolver rules are not imported: the on-premises zone and DNS server a rule forwards to are not in AWS's API; add [[host]], [[onprem_zone]] and [[resolver_rule]] by hand",
    ),
    (
        "ResolverRuleAssociations",
        "Route 53 Resolver rule associations are not imported (nor are the rules)",
    ),
];

/// Keys every `describe-*` output may carry besides its records.
const METADATA_KEYS: &[&str] = &[
    "NextToken",
    // directconnect's paging (camelCase).
    "nextToken",
    "ResponseMetadata",
    // route53's paging and get-hosted-zone's name servers.
    "MaxItems",
    "Marker",
    "NextMarker",
    "NextRecordName",
    "NextRecordType",
    "NextRecordIdentifier",
    "MaxResults",
    "DelegationSet",
    "HostedZoneId",
];

/// The largest file read (1 GiB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Top-level keys read as objects.
pub const MODELLED_KEYS: &[&str] = &[
    "Vpcs",
    "Subnets",
    "RouteTables",
    "NetworkAcls",
    "SecurityGroups",
    "Reservations",
    "NetworkInterfaces",
    "Addresses",
    "InternetGateways",
    "EgressOnlyInternetGateways",
    "NatGateways",
    "VpnGateways",
    "VpnConnections",
    "CustomerGateways",
    "VpcPeeringConnections",
    "VpcEndpoints",
    "PrefixLists",
    "TransitGateways",
    "TransitGatewayAttachments",
    "TransitGatewayVpcAttachments",
    "TransitGatewayPeeringAttachments",
    "TransitGatewayRouteTables",
    "Routes",
    "Associations",
    "TransitGatewayRouteTablePropagations",
    "TransitGatewayStaticRoutes",
    "TransitGatewayPropagations",
    "EnableDnsSupport",
    "EnableDnsHostnames",
    "HostedZone",
    "HostedZones",
    "HostedZoneSummaries",
    "ResourceRecordSets",
    "LoadBalancers",
    "Listeners",
    "TargetGroups",
    "TargetHealthDescriptions",
    "Attributes",
    "ServiceConfigurations",
    "AllowedPrincipals",
    "connections",
    "virtualInterfaces",
    "directConnectGateways",
    "directConnectGatewayAssociations",
    "directConnectGatewayAttachments",
];

/// describe-vpc-attribute: (VpcId, EnableDnsSupport, EnableDnsHostnames).
pub type VpcAttribute = (String, Option<bool>, Option<bool>);

/// A hosted zone, with its VPCs when the output prints them (get-hosted-zone).
pub type ZoneWithVpcs = (HostedZone, Option<Vec<HostedZoneVpc>>);

/// One JSON file, parsed.
#[derive(Debug, Default)]
pub struct File {
    /// The path as shown in messages and comments (relative to the import folder).
    pub shown: String,
    /// The region, when the file sits in a folder named like one.
    pub region: Option<String>,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub network_acls: Vec<NetworkAcl>,
    pub security_groups: Vec<SecurityGroup>,
    pub reservations: Vec<Reservation>,
    pub network_interfaces: Vec<InstanceEni>,
    pub addresses: Vec<Address>,
    pub internet_gateways: Vec<InternetGateway>,
    pub egress_only_gateways: Vec<EgressOnlyInternetGateway>,
    pub nat_gateways: Vec<NatGateway>,
    pub vpn_gateways: Vec<VpnGateway>,
    pub vpn_connections: Vec<VpnConnection>,
    pub customer_gateways: Vec<CustomerGateway>,
    pub peerings: Vec<VpcPeeringConnection>,
    pub endpoints: Vec<VpcEndpoint>,
    pub prefix_lists: Vec<PrefixList>,
    pub tgws: Vec<TransitGateway>,
    pub tgw_attachments: Vec<TgwAttachment>,
    pub tgw_vpc_attachments: Vec<TgwVpcAttachment>,
    pub tgw_peering_attachments: Vec<TgwPeeringAttachment>,
    pub tgw_route_tables: Vec<TgwRouteTable>,
    /// `search-transit-gateway-routes` output, per route table.
    pub tgw_routes: Vec<ForTable<TgwRoute>>,
    /// `get-transit-gateway-route-table-associations` output, per route table.
    pub tgw_associations: Vec<ForTable<TgwTableLink>>,
    /// `get-transit-gateway-route-table-propagations` output, per route table.
    pub tgw_propagations: Vec<ForTable<TgwTableLink>>,
    /// describe-vpc-attribute: (VpcId, EnableDnsSupport, EnableDnsHostnames).
    pub vpc_attribute: Option<VpcAttribute>,
    /// get-hosted-zone (with its `VPCs`) and list-hosted-zones (without).
    pub zones: Vec<ZoneWithVpcs>,
    /// list-hosted-zones-by-vpc output, for the VPC named in the file's path.
    pub zone_summaries: Vec<ForTable<HostedZoneSummary>>,
    /// list-resource-record-sets output, for the zone named in the file's path
    /// (`table`: the path's `Z…` candidates, `|`-separated, resolved in `collect`).
    pub record_sets: Vec<ForTable<ResourceRecordSet>>,
    /// get-hosted-zone's two halves, joined after the file is read.
    pub zone_pending: Option<HostedZone>,
    pub zone_vpcs_pending: Option<Vec<HostedZoneVpc>>,
    /// elbv2 describe-load-balancers, -listeners, -target-groups.
    pub load_balancers: Vec<LoadBalancer>,
    pub listeners: Vec<Listener>,
    pub target_groups: Vec<TargetGroup>,
    /// describe-target-health, for the target group named in the file's path
    /// (`table`: the path's candidate names, `|`-separated, resolved in `map`).
    pub target_health: Vec<ForTable<TargetHealthDescription>>,
    /// describe-load-balancer-attributes (or -target-group-attributes), for the
    /// object named in the path (candidates as for `target_health`).
    pub lb_attributes: Vec<ForTable<LbAttribute>>,
    pub service_configurations: Vec<ServiceConfiguration>,
    /// describe-vpc-endpoint-service-permissions, with the service of each
    /// (its `ServiceId`, else the `vpce-svc-…` of the file's path).
    pub allowed_principals: Vec<ForTable<AllowedPrincipal>>,
    pub dx_connections: Vec<DxConnection>,
    pub dx_vifs: Vec<DxVirtualInterface>,
    pub dx_gateways: Vec<DxGateway>,
    pub dx_associations: Vec<DxGatewayAssociation>,
    pub dx_attachments: Vec<DxGatewayAttachment>,
    /// (top-level key, why not modelled, ids).
    pub unmodelled: Vec<(String, &'static str, Vec<String>)>,
}

/// Records of a per-route-table output, with the table they belong to and the
/// JSON path of their list (`Routes`, `TransitGatewayStaticRoutes[2].Routes`).
#[derive(Debug, Clone)]
pub struct ForTable<T> {
    pub table: String,
    pub path: String,
    pub items: Vec<T>,
}

/// The route table a per-table output is for, from the path: AWS prints
/// `search-transit-gateway-routes`, `get-transit-gateway-route-table-associations`
/// and `-propagations` without the table's id, so the user names the file (or its
/// folder) after it: `tgw-rtb-0abc.routes.json`, `routes-tgw-rtb-0abc.json` or
/// `tgw-rtb-0abc/routes.json`. The id runs from `tgw-rtb-` to the first `.`.
pub fn table_of(shown: &str) -> Option<String> {
    let p = Path::new(shown);
    let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
    let folders = p
        .parent()
        .into_iter()
        .flat_map(|d| d.components().rev())
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    stem.into_iter().chain(folders).find_map(|c| {
        let at = c.find("tgw-rtb-")?;
        let id = c[at..].split('.').next().unwrap_or("");
        (id.len() > "tgw-rtb-".len()).then(|| id.to_string())
    })
}

/// The VPC a per-VPC output is for (list-hosted-zones-by-vpc prints no VPC id):
/// the first `vpc-…` in the file's name or its folders, up to the first `.`
/// (`vpc-0abc.zones.json`, `vpc-0abc/HostedZoneSummaries.json`).
pub fn vpc_of_path(shown: &str) -> Option<String> {
    path_parts(shown).find_map(|c| {
        let at = c.find("vpc-")?;
        let id = c[at..].split('.').next().unwrap_or("");
        (id.len() > "vpc-".len()).then(|| id.to_string())
    })
}

/// The hosted zone ids a per-zone output (list-resource-record-sets, which
/// prints no zone id) may be for: the words of the file's name and folders that
/// look like a Route 53 zone id (`Z` and at least five capital letters or
/// digits), e.g. `Z0123456789ABC.records.json` or `Z0123456789ABC/records.json`.
/// `collect` keeps the one that names an exported zone.
pub fn zone_candidates(shown: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in path_parts(shown) {
        for w in c.split(['.', '-', '_', ' ']) {
            if w.len() >= 6
                && w.starts_with('Z')
                && w.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && !out.iter().any(|x| x == w)
            {
                out.push(w.to_string());
            }
        }
    }
    out
}

/// The names a per-object elbv2 output (describe-target-health,
/// describe-load-balancer-attributes: neither prints its object) may be for:
/// the file's name up to its first `.`, and each folder's name
/// (`web-tg.health.json`, `web-tg/health.json`). `map` keeps the one that
/// names an exported target group or load balancer.
pub fn name_candidates(shown: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in path_parts(shown) {
        let w = c.split('.').next().unwrap_or("").to_string();
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// The endpoint service a per-service output is for: the first `vpce-svc-…`
/// of the file's name or folders, up to the first `.`.
pub fn service_of_path(shown: &str) -> Option<String> {
    path_parts(shown).find_map(|c| {
        let at = c.find("vpce-svc-")?;
        let id = c[at..].split('.').next().unwrap_or("");
        (id.len() > "vpce-svc-".len()).then(|| id.to_string())
    })
}

/// The file's stem, then its folders from the nearest.
fn path_parts(shown: &str) -> impl Iterator<Item = String> + '_ {
    let p = Path::new(shown);
    let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
    let folders = p
        .parent()
        .into_iter()
        .flat_map(|d| d.components().rev())
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    stem.into_iter().chain(folders)
}

/// Every `.json` file under `dir`, sorted (so the output is deterministic), and
/// the number of other files seen.
pub fn find(dir: &Path) -> Result<(Vec<PathBuf>, usize), ImportError> {
    let mut out = Vec::new();
    let mut others = 0;
    if dir.is_file() {
        return Err(ImportError::file(
            &dir.display().to_string(),
            "is a file; `import aws` expects a folder of describe-* outputs (the JSON files the AWS CLI saved, see docs/cli.md)".to_string(),
        ));
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            ImportError::file(
                &d.display().to_string(),
                format!("cannot read the folder: {e}"),
            )
        })?;
        for entry in entries {
            let entry =
                entry.map_err(|e| ImportError::file(&d.display().to_string(), e.to_string()))?;
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                out.push(p);
            } else {
                others += 1;
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(ImportError::file(
            &dir.display().to_string(),
            "no .json files found (expected `aws ec2 describe-*` output, in one folder or as aws_configs/<account>/<region>/*.json)",
        ));
    }
    Ok((out, others))
}

/// Whether a folder name looks like an AWS region (`us-east-1`, `us-gov-west-1`).
pub fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// A file's text, read at most [`MAX_FILE_BYTES`] (a FIFO or a link to
/// `/dev/zero` has no size to check first), as the AWS CLI's output may be saved:
/// UTF-8, with or without a byte-order mark, or UTF-16 with one (what Windows
/// PowerShell 5's `aws … > file.json` writes). Before stop 14 a BOM gave
/// "expected value at line 1 column 1" and UTF-16 "did not contain valid UTF-8".
fn read_text(path: &Path, shown: &str) -> Result<String, ImportError> {
    use std::io::Read as _;
    let cannot = |e: String| ImportError::file(shown, format!("cannot read: {e}"));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| cannot(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ImportError::file(
            shown,
            format!(
                "larger than the {} MiB an import reads per file; split the output (--filters, or one call per VPC)",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let utf16 = |be: bool| {
        let units = bytes[2..].chunks(2).map(|c| match (c, be) {
            ([a, b], true) => u16::from_be_bytes([*a, *b]),
            ([a, b], false) => u16::from_le_bytes([*a, *b]),
            _ => 0xFFFF, // an odd byte count: not UTF-16
        });
        char::decode_utf16(units)
            .map(|c| c.ok().filter(|&c| c != '\u{FFFF}'))
            .collect::<Option<String>>()
            .ok_or_else(|| {
                cannot(
                    "the file starts with a UTF-16 byte-order mark but is not valid UTF-16".into(),
                )
            })
    };
    match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()),
        [0xFF, 0xFE, ..] => return utf16(false),
        [0xFE, 0xFF, ..] => return utf16(true),
        _ => String::from_utf8(bytes),
    }
    .map_err(|_| cannot("not UTF-8 text (save the AWS CLI's output as UTF-8)".into()))
}

/// Read and parse one file. `shown` names it in errors.
pub fn parse(path: &Path, shown: String) -> Result<File, ImportError> {
    // A describe-* output of the largest accounts is tens of MB; refuse what
    // would only exhaust memory, before reading it.
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.len() > MAX_FILE_BYTES {
            return Err(ImportError::file(
                &shown,
                format!(
                    "{} bytes: larger than the {} MiB an import reads per file; split the output (--filters, or one call per VPC)",
                    meta.len(),
                    MAX_FILE_BYTES >> 20
                ),
            ));
        }
    }
    let text = read_text(path, &shown)?;
    let region = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| looks_like_region(n));
    let mut de = serde_json::Deserializer::from_str(&text);
    let mut file = File {
        shown: shown.clone(),
        region,
        ..File::default()
    };
    let mut keys = Vec::new();
    let table = table_of(&shown);
    let shown_for_seed = shown.clone();
    let mut track = serde_path_to_error::Track::new();
    let result = serde::de::DeserializeSeed::deserialize(
        FileSeed {
            file: &mut file,
            shown: &shown_for_seed,
            keys: &mut keys,
            table: table.as_deref(),
        },
        serde_path_to_error::Deserializer::new(&mut de, &mut track),
    );
    if let Err(e) = result {
        // `?` is serde_path_to_error's name for a key not read yet (truncated input).
        let path = track.path().to_string();
        let path = path.strip_suffix(".?").unwrap_or(&path).to_string();
        return Err(ImportError::at(&shown, &path, e.to_string()));
    }
    if let Err(e) = de.end() {
        return Err(ImportError::at(&shown, ".", e.to_string()));
    }
    let attr_keys = keys
        .iter()
        .filter(|k| matches!(k.as_str(), "EnableDnsSupport" | "EnableDnsHostnames"))
        .count();
    // An attribute read before (or without) its `VpcId` leaves the id empty.
    let attr_vpc = file
        .vpc_attribute
        .as_ref()
        .map(|a| a.0.clone())
        .filter(|v| !v.is_empty());
    match (&attr_vpc, attr_keys) {
        (Some(v), 0) => {
            return Err(ImportError::at(
                &shown,
                ".",
                format!("`VpcId` {v} without an attribute: expected describe-vpc-attribute output (EnableDnsSupport or EnableDnsHostnames)"),
            ))
        }
        (None, n) if n > 0 => {
            return Err(ImportError::at(
                &shown,
                ".",
                "describe-vpc-attribute output without its `VpcId`: which VPC the attribute is for is ambiguous (print it as the AWS CLI does, with VpcId)",
            ))
        }
        _ => {}
    }
    if file.zone_pending.is_some() || file.zone_vpcs_pending.is_some() {
        match (file.zone_pending.take(), file.zone_vpcs_pending.take()) {
            (Some(z), vpcs) => file.zones.push((z, vpcs)),
            (None, _) => {
                return Err(ImportError::at(
                    &shown,
                    ".",
                    "`VPCs` without its `HostedZone`: expected route53 get-hosted-zone output",
                ))
            }
        }
    }
    if keys.is_empty() {
        return Err(ImportError::at(
            &shown,
            ".",
            format!(
                "no `aws ec2 describe-*` output key at the top level (expected one of {})",
                MODELLED_KEYS.join(", ")
            ),
        ));
    }
    Ok(file)
}

/// Deserialises the top-level object key by key into `File` (a seed, not a
/// derived struct, so an unknown key is an error naming it, and each key's
/// records are read straight into their typed models, with paths tracked).
struct FileSeed<'a> {
    file: &'a mut File,
    /// The file as shown, for per-VPC and per-zone outputs.
    shown: &'a str,
    keys: &'a mut Vec<String>,
    /// The TGW route table named in the file's path, for per-table outputs.
    table: Option<&'a str>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FileSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object as `aws ec2 describe-*` prints it")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let f = self.file;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Vpcs" => f.vpcs = map.next_value()?,
                "Subnets" => f.subnets = map.next_value()?,
                "RouteTables" => f.route_tables = map.next_value()?,
                "NetworkAcls" => f.network_acls = map.next_value()?,
                "SecurityGroups" => f.security_groups = map.next_value()?,
                "Reservations" => f.reservations = map.next_value()?,
                "NetworkInterfaces" => f.network_interfaces = map.next_value()?,
                "Addresses" => f.addresses = map.next_value()?,
                "InternetGateways" => f.internet_gateways = map.next_value()?,
                "EgressOnlyInternetGateways" => f.egress_only_gateways = map.next_value()?,
                "NatGateways" => f.nat_gateways = map.next_value()?,
                "VpnGateways" => f.vpn_gateways = map.next_value()?,
                "VpnConnections" => f.vpn_connections = map.next_value()?,
                "CustomerGateways" => f.customer_gateways = map.next_value()?,
                "VpcPeeringConnections" => f.peerings = map.next_value()?,
                "VpcEndpoints" => f.endpoints = map.next_value()?,
                "PrefixLists" => f.prefix_lists = map.next_value()?,
                "TransitGateways" => f.tgws = map.next_value()?,
                "TransitGatewayAttachments" => f.tgw_attachments = map.next_value()?,
                "TransitGatewayVpcAttachments" => f.tgw_vpc_attachments = map.next_value()?,
                "TransitGatewayPeeringAttachments" => {
                    f.tgw_peering_attachments = map.next_value()?
                }
                "TransitGatewayRouteTables" => f.tgw_route_tables = map.next_value()?,
                "Routes" | "Associations" | "TransitGatewayRouteTablePropagations" => {
                    let Some(table) = self.table else {
                        return Err(serde::de::Error::custom(format!(
                            "`{key}` ({}) does not say which transit gateway route table it is for: name the file or its folder after the table (tgw-rtb-….json, tgw-rtb-…/{key}.json)",
                            match key.as_str() {
                                "Routes" => "search-transit-gateway-routes",
                                "Associations" => "get-transit-gateway-route-table-associations",
                                _ => "get-transit-gateway-route-table-propagations",
                            }
                        )));
                    };
                    let table = table.to_string();
                    let path = key.clone();
                    match key.as_str() {
                        "Routes" => f.tgw_routes.push(ForTable {
                            table,
                            path,
                            items: map.next_value()?,
                        }),
                        "Associations" => f.tgw_associations.push(ForTable {
                            table,
                            path,
                            items: map.next_value()?,
                        }),
                        _ => f.tgw_propagations.push(ForTable {
                            table,
                            path,
                            items: map.next_value()?,
                        }),
                    }
                }
                "TransitGatewayStaticRoutes" => {
                    let sets: Vec<WrappedRoutes> = map.next_value()?;
                    for (i, w) in sets.into_iter().enumerate() {
                        f.tgw_routes.push(ForTable {
                            table: w.transit_gateway_route_table_id,
                            path: format!("{key}[{i}].Routes"),
                            items: w.routes,
                        });
                    }
                }
                "TransitGatewayPropagations" => {
                    let sets: Vec<WrappedPropagations> = map.next_value()?;
                    for (i, w) in sets.into_iter().enumerate() {
                        f.tgw_propagations.push(ForTable {
                            table: w.transit_gateway_route_table_id,
                            path: format!("{key}[{i}].TransitGatewayRouteTablePropagations"),
                            items: w.transit_gateway_route_table_propagations,
                        });
                    }
                }
                "VpcId" => {
                    let v: String = map.next_value()?;
                    let entry = f.vpc_attribute.get_or_insert((String::new(), None, None));
                    entry.0 = v;
                    continue;
                }
                "EnableDnsSupport" | "EnableDnsHostnames" => {
                    let v: BoolValue = map.next_value()?;
                    let entry = f.vpc_attribute.get_or_insert((String::new(), None, None));
                    if key == "EnableDnsSupport" {
                        entry.1 = Some(v.value);
                    } else {
                        entry.2 = Some(v.value);
                    }
                }
                "EnableNetworkAddressUsageMetrics" => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                "HostedZone" => f.zone_pending = Some(map.next_value()?),
                "VPCs" => {
                    f.zone_vpcs_pending = Some(map.next_value()?);
                    continue;
                }
                "HostedZones" => {
                    let zones: Vec<HostedZone> = map.next_value()?;
                    f.zones.extend(zones.into_iter().map(|z| (z, None)));
                }
                "HostedZoneSummaries" => {
                    let Some(vpc) = vpc_of_path(self.shown) else {
                        return Err(serde::de::Error::custom(
                            "`HostedZoneSummaries` (route53 list-hosted-zones-by-vpc) does not say which VPC it is for: name the file or its folder after the VPC (vpc-….zones.json, vpc-…/zones.json)",
                        ));
                    };
                    f.zone_summaries.push(ForTable {
                        table: vpc,
                        path: key.clone(),
                        items: map.next_value()?,
                    });
                }
                "ResourceRecordSets" => {
                    let zones = zone_candidates(self.shown);
                    if zones.is_empty() {
                        return Err(serde::de::Error::custom(
                            "`ResourceRecordSets` (route53 list-resource-record-sets) does not say which hosted zone it is for: name the file or its folder after the zone id (Z….records.json, Z…/records.json)",
                        ));
                    }
                    f.record_sets.push(ForTable {
                        table: zones.join("|"),
                        path: key.clone(),
                        items: map.next_value()?,
                    });
                }
                "LoadBalancers" => f.load_balancers = map.next_value()?,
                "Listeners" => f.listeners = map.next_value()?,
                "TargetGroups" => f.target_groups = map.next_value()?,
                "TargetHealthDescriptions" | "Attributes" => {
                    let names = name_candidates(self.shown).join("|");
                    let path = key.clone();
                    if key == "Attributes" {
                        f.lb_attributes.push(ForTable {
                            table: names,
                            path,
                            items: map.next_value()?,
                        });
                    } else {
                        f.target_health.push(ForTable {
                            table: names,
                            path,
                            items: map.next_value()?,
                        });
                    }
                }
                "ServiceConfigurations" => f.service_configurations = map.next_value()?,
                "AllowedPrincipals" => {
                    let items: Vec<AllowedPrincipal> = map.next_value()?;
                    let from_path = service_of_path(self.shown);
                    if from_path.is_none() && items.iter().any(|p| p.service_id.is_none()) {
                        return Err(serde::de::Error::custom(
                            "`AllowedPrincipals` (describe-vpc-endpoint-service-permissions) without `ServiceId` does not say which endpoint service it is for: name the file or its folder after the service (vpce-svc-….permissions.json)",
                        ));
                    }
                    f.allowed_principals.push(ForTable {
                        table: from_path.unwrap_or_default(),
                        path: key.clone(),
                        items,
                    });
                }
                "connections" => f.dx_connections = map.next_value()?,
                "virtualInterfaces" => f.dx_vifs = map.next_value()?,
                "directConnectGateways" => f.dx_gateways = map.next_value()?,
                "directConnectGatewayAssociations" => f.dx_associations = map.next_value()?,
                "directConnectGatewayAttachments" => f.dx_attachments = map.next_value()?,
                "IsTruncated" => {
                    if map.next_value::<Option<bool>>()? == Some(true) {
                        return Err(serde::de::Error::custom(
                            "IsTruncated is true: the route53 output is only part of the list; run the AWS CLI without --max-items (it pages through everything)",
                        ));
                    }
                    continue;
                }
                "AdditionalRoutesAvailable" => {
                    // search-transit-gateway-routes prints at most 1,000 routes.
                    if map.next_value::<Option<bool>>()? == Some(true) {
                        return Err(serde::de::Error::custom(
                            "AdditionalRoutesAvailable is true: search-transit-gateway-routes printed only part of the table (at most 1,000 routes); search in parts with --filters (type, route-search.subnet-of-match) and give each part its own file",
                        ));
                    }
                    continue;
                }
                k if METADATA_KEYS.contains(&k) => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                k => match UNMODELLED_KEYS.iter().find(|(u, _)| *u == k) {
                    Some((_, why)) => {
                        let items: Vec<Unmodelled> = map.next_value()?;
                        f.unmodelled
                            .push((key.clone(), why, items.into_iter().map(|u| u.id).collect()));
                    }
                    None => {
                        return Err(serde::de::Error::custom(format!(
                            "unknown top-level key `{}`: not an `aws ec2 describe-*` output peeremu reads (expected one of {})",
                            key.escape_debug(),
                            MODELLED_KEYS.join(", ")
                        )))
                    }
                },
            }
            self.keys.push(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_folder_names() {
        assert!(looks_like_region("us-east-1"));
        assert!(looks_like_region("us-gov-west-1"));
        assert!(!looks_like_region("123456789012"));
        assert!(!looks_like_region("aws_configs"));
        assert!(!looks_like_region("us-east-x"));
    }

    #[test]
    fn vpc_and_zone_from_the_path() {
        assert_eq!(
            vpc_of_path("us-east-1/vpc-0abc.zones-by-vpc.json").as_deref(),
            Some("vpc-0abc")
        );
        assert_eq!(
            vpc_of_path("vpc-0abc/HostedZoneSummaries.json").as_deref(),
            Some("vpc-0abc")
        );
        assert_eq!(vpc_of_path("zones.json"), None);
        assert_eq!(
            zone_candidates("Z0123456789AB.records.json"),
            vec!["Z0123456789AB".to_string()]
        );
        assert_eq!(
            zone_candidates("Z0123456789AB/records.json"),
            vec!["Z0123456789AB".to_string()]
        );
        // Not zone ids: too short, lower case.
        assert!(zone_candidates("Zone.records.json").is_empty());
        assert!(zone_candidates("ZABC/z0123456789ab.json").is_empty());
    }

    #[test]
    fn route_table_from_the_path() {
        assert_eq!(
            table_of("tgw-rtb-0abc.routes.json").as_deref(),
            Some("tgw-rtb-0abc")
        );
        assert_eq!(
            table_of("a/us-east-1/routes-tgw-rtb-0abc.json").as_deref(),
            Some("tgw-rtb-0abc")
        );
        assert_eq!(
            table_of("tgw-rtb-dev-x/Routes.json").as_deref(),
            Some("tgw-rtb-dev-x")
        );
        assert_eq!(table_of("us-east-1/Routes.json"), None);
        assert_eq!(table_of("tgw-rtb-.json"), None);
    }
}
