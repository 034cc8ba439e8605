//! TOML text → [`Document`], collecting every error instead of stopping at the first.
//!
//! The file is parsed once into toml's spanned document (`DeTable`, with syntax
//! error recovery); then each top-level table and each element of each
//! `[[array]]` is deserialised on its own, so a wrong type in one VPC does not hide
//! an unknown key in a flow. Serde's messages are kept, with a "did you mean".

use super::diag::Diags;
use super::format::*;
use super::suggest;
use serde::de::DeserializeOwned;
use std::ops::Range;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// Parse `src` into a document holding every table that deserialised; the
/// others are reported in `diags`.
pub fn parse(src: &str, diags: &mut Diags) -> Document {
    let (root, errors) = DeTable::parse_recoverable(src);
    for e in errors {
        let span = e.span().unwrap_or(0..0);
        diags.push(
            "syntax",
            span,
            "",
            format!("TOML syntax: {}", clean(e.message())),
        );
    }
    let mut doc = Document::default();
    let root = root.into_inner();
    for (key, value) in root.iter() {
        let k: &str = key.get_ref();
        let vspan = value.span();
        match k {
            "name" => match value.get_ref().as_str() {
                // The topology's name names the output folder and the report.
                Some(s) => match super::names::name_problem(s) {
                    Some(problem) => {
                        diags.push("name-syntax", vspan, "", format!("`name`: {problem}"))
                    }
                    None => doc.name = Some(s.to_string()),
                },
                None => diags.push("type", vspan, "", "`name` must be a string"),
            },
            "latency" => doc.latency = one(value, "latency", diags),
            "quotas" => doc.quotas = one(value, "quotas", diags),
            "prices" => doc.prices = one(value, "prices", diags),
            "vpc" => doc.vpcs = many(value, k, diags),
            "subnet" => doc.subnets = many(value, k, diags),
            "route_table" => doc.route_tables = many(value, k, diags),
            "network_acl" => doc.network_acls = many(value, k, diags),
            "security_group" => doc.security_groups = many(value, k, diags),
            "prefix_list" => doc.prefix_lists = many(value, k, diags),
            "instance" => doc.instances = many(value, k, diags),
            "peering" => doc.peerings = many(value, k, diags),
            "internet_gateway" => doc.internet_gateways = many(value, k, diags),
            "nat_gateway" => doc.nat_gateways = many(value, k, diags),
            "vpn_gateway" => doc.vpn_gateways = many(value, k, diags),
            "gateway_endpoint" => doc.gateway_endpoints = many(value, k, diags),
            "host" => doc.hosts = many(value, k, diags),
            "transit_gateway" => doc.transit_gateways = many(value, k, diags),
            "tgw_attachment" => doc.tgw_attachments = many(value, k, diags),
            "tgw_route_table" => doc.tgw_route_tables = many(value, k, diags),
            "flow" => doc.flows = many(value, k, diags),
            other => diags.push(
                "unknown-key",
                key.span(),
                "",
                format!(
                    "unknown top-level key `{other}`{}",
                    suggest::did_you_mean(other, TOP_LEVEL_KEYS.iter().copied())
                ),
            ),
        }
    }
    doc
}

fn one<T: DeserializeOwned>(
    value: &toml::Spanned<DeValue<'_>>,
    key: &str,
    diags: &mut Diags,
) -> Option<T> {
    if !value.get_ref().is_table() {
        diags.push(
            "type",
            value.span(),
            "",
            format!("`{key}` must be a table (`[{key}]`)"),
        );
        return None;
    }
    deserialize(value, key, diags)
}

fn many<T: DeserializeOwned>(
    value: &toml::Spanned<DeValue<'_>>,
    key: &str,
    diags: &mut Diags,
) -> Vec<T> {
    let Some(items) = value.get_ref().as_array() else {
        diags.push(
            "type",
            value.span(),
            "",
            format!("`{key}` must be an array of tables (`[[{key}]]`)"),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| deserialize(item, key, diags))
        .collect()
}

fn deserialize<T: DeserializeOwned>(
    value: &toml::Spanned<DeValue<'_>>,
    key: &str,
    diags: &mut Diags,
) -> Option<T> {
    let de = ValueDeserializer::from(value.clone());
    match T::deserialize(de) {
        Ok(v) => Some(v),
        Err(e) => {
            let span: Range<usize> = e.span().unwrap_or_else(|| value.span());
            let msg = clean(e.message());
            let (rule, msg) = explain(&msg);
            diags.push(rule, span, object_label(value, key), msg);
            None
        }
    }
}

/// `vpc vpc-a` when the table has an id (or name), else `[[vpc]]`.
fn object_label(value: &toml::Spanned<DeValue<'_>>, key: &str) -> String {
    let word = key
        .replace('_', " ")
        .replace("network acl", "network ACL")
        .replace("nat ", "NAT ")
        .replace("vpn ", "VPN ");
    let id = ["id", "name"].iter().find_map(|k| {
        value
            .get_ref()
            .get(*k)
            .and_then(|v| v.get_ref().as_str().map(str::to_string))
    });
    match id {
        Some(id) if !matches!(key, "latency" | "quotas" | "prices") => format!("{word} {id}"),
        _ if matches!(key, "latency" | "quotas" | "prices") => format!("[{key}]"),
        _ => format!("[[{key}]]"),
    }
}

/// Serde's message, one line, with a "did you mean" for unknown fields and variants.
fn explain(msg: &str) -> (&'static str, String) {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((name, tail)) = rest.split_once('`') {
            let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
            let hint = suggest::did_you_mean(name, expected.iter().copied());
            return ("unknown-key", format!("unknown key `{name}`{hint}"));
        }
    }
    if msg.starts_with("missing field") {
        return ("missing-key", msg.replace("missing field", "missing key"));
    }
    // Serde names our structs (`expected struct SubnetSpec`): say what the user wrote.
    if let Some((head, _)) = msg.split_once("expected struct ") {
        return ("type", format!("{head}expected a table"));
    }
    ("type", msg.to_string())
}

fn clean(msg: &str) -> String {
    msg.trim().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_error_is_reported() {
        let src = r#"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"
secondry_cidrs = []

[[vpc]]
id = "vpc-b"
region = 5
cidr = "10.1.0.0/16"

[[flw]]
name = "x"
"#;
        let mut d = Diags::default();
        let doc = parse(src, &mut d);
        assert!(doc.vpcs.is_empty());
        let msgs: Vec<_> = d.list.iter().map(|x| x.message.clone()).collect();
        assert_eq!(d.list.len(), 3, "{msgs:?}");
        assert!(msgs
            .iter()
            .any(|m| m.contains("did you mean `secondary_cidrs`")));
        assert!(msgs.iter().any(|m| m.contains("did you mean `flow`")));
    }
}
