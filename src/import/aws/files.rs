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
    ("TransitGateways", "transit gateways are not modelled yet"),
    (
        "TransitGatewayAttachments",
        "transit gateways are not modelled yet",
    ),
    (
        "TransitGatewayVpcAttachments",
        "transit gateways are not modelled yet",
    ),
    (
        "TransitGatewayRouteTables",
        "transit gateways are not modelled yet",
    ),
    ("LoadBalancers", "load balancers are not modelled"),
    (
        "LoadBalancerDescriptions",
        "load balancers are not modelled",
    ),
    ("TargetGroups", "load balancers are not modelled"),
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
];

/// Keys every `describe-*` output may carry besides its records.
const METADATA_KEYS: &[&str] = &["NextToken", "ResponseMetadata"];

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
];

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
    /// (top-level key, why not modelled, ids).
    pub unmodelled: Vec<(String, &'static str, Vec<String>)>,
}

/// Every `.json` file under `dir`, sorted (so the output is deterministic), and
/// the number of other files seen.
pub fn find(dir: &Path) -> Result<(Vec<PathBuf>, usize), ImportError> {
    let mut out = Vec::new();
    let mut others = 0;
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

/// Read and parse one file. `shown` names it in errors.
pub fn parse(path: &Path, shown: String) -> Result<File, ImportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ImportError::file(&shown, format!("cannot read: {e}")))?;
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
    let mut track = serde_path_to_error::Track::new();
    let result = serde::de::DeserializeSeed::deserialize(
        FileSeed {
            file: &mut file,
            keys: &mut keys,
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
    keys: &'a mut Vec<String>,
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
}
