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
            "vpc" => doc.vpcs = many(value, k, diags, &mut doc.broken),
            "subnet" => doc.subnets = many(value, k, diags, &mut doc.broken),
            "route_table" => doc.route_tables = many(value, k, diags, &mut doc.broken),
            "network_acl" => doc.network_acls = many(value, k, diags, &mut doc.broken),
            "security_group" => doc.security_groups = many(value, k, diags, &mut doc.broken),
            "prefix_list" => doc.prefix_lists = many(value, k, diags, &mut doc.broken),
            "instance" => doc.instances = many(value, k, diags, &mut doc.broken),
            "peering" => doc.peerings = many(value, k, diags, &mut doc.broken),
            "internet_gateway" => doc.internet_gateways = many(value, k, diags, &mut doc.broken),
            "nat_gateway" => doc.nat_gateways = many(value, k, diags, &mut doc.broken),
            "vpn_gateway" => doc.vpn_gateways = many(value, k, diags, &mut doc.broken),
            "gateway_endpoint" => doc.gateway_endpoints = many(value, k, diags, &mut doc.broken),
            "host" => doc.hosts = many(value, k, diags, &mut doc.broken),
            "transit_gateway" => doc.transit_gateways = many(value, k, diags, &mut doc.broken),
            "tgw_attachment" => doc.tgw_attachments = many(value, k, diags, &mut doc.broken),
            "tgw_route_table" => doc.tgw_route_tables = many(value, k, diags, &mut doc.broken),
            "load_balancer" => doc.load_balancers = many(value, k, diags, &mut doc.broken),
            "endpoint_service" => doc.endpoint_services = many(value, k, diags, &mut doc.broken),
            "vpc_endpoint" => doc.vpc_endpoints = many(value, k, diags, &mut doc.broken),
            "flow" => doc.flows = many(value, k, diags, &mut doc.broken),
            "change" => doc.changes = many(value, k, diags, &mut doc.broken),
            "private_zone" => doc.private_zones = many(value, k, diags, &mut doc.broken),
            "public_zone" => doc.public_zones = many(value, k, diags, &mut doc.broken),
            "onprem_zone" => doc.onprem_zones = many(value, k, diags, &mut doc.broken),
            "resolver_endpoint" => doc.resolver_endpoints = many(value, k, diags, &mut doc.broken),
            "resolver_rule" => doc.resolver_rules = many(value, k, diags, &mut doc.broken),
            "egress_only_internet_gateway" => {
                doc.egress_only_internet_gateways = many(value, k, diags, &mut doc.broken)
            }
            "direct_connect_gateway" => {
                doc.direct_connect_gateways = many(value, k, diags, &mut doc.broken)
            }
            "direct_connect" => doc.direct_connects = many(value, k, diags, &mut doc.broken),
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
    deserialize(value, key, diags, &mut Vec::new())
}

fn many<T: DeserializeOwned>(
    value: &toml::Spanned<DeValue<'_>>,
    key: &str,
    diags: &mut Diags,
    broken: &mut Vec<Broken>,
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
        .filter_map(|item| deserialize(item, key, diags, broken))
        .collect()
}

/// Most bad keys one object may have before the rest are not looked for (each
/// costs a fresh deserialisation of the object).
const MAX_BAD_KEYS: usize = 32;

/// Deserialise one table. A bad key (unknown, or a value of the wrong type) is
/// reported and then left out, and the table deserialised again: the object
/// survives with its other keys when the bad one was optional, so its own other
/// mistakes are still checked and references to it do not turn into misleading
/// "unknown …" errors elsewhere. A table that still fails is recorded in
/// `broken` (its id and name), so references to it stay quiet.
fn deserialize<T: DeserializeOwned>(
    value: &toml::Spanned<DeValue<'_>>,
    key: &str,
    diags: &mut Diags,
    broken: &mut Vec<Broken>,
) -> Option<T> {
    let label = object_label(value, key);
    let mut value = value.clone();
    // Keys left out, and the keys an unknown one was probably meant to be
    // (`cdir` → `cidr`): a "missing key" for one of them only repeats a message.
    let mut gone: Vec<String> = Vec::new();
    for _ in 0..=MAX_BAD_KEYS {
        let de = ValueDeserializer::from(value.clone());
        let e = match T::deserialize(de) {
            Ok(v) => return Some(v),
            Err(e) => e,
        };
        let span: Range<usize> = e.span().unwrap_or_else(|| value.span());
        let msg = clean(e.message());
        let (rule, text, meant) = explain(&msg);
        let follow_on =
            rule == "missing-key" && gone.iter().any(|m| text.contains(&format!("`{m}`")));
        if !follow_on {
            diags.push(rule, span.clone(), label.clone(), text);
        }
        if rule == "missing-key" || span == value.span() {
            break; // nothing to leave out
        }
        match remove_entry_at(&mut value, &span) {
            Some(name) => {
                gone.push(name);
                gone.extend(meant);
            }
            None => break,
        }
    }
    broken.push(broken_of(&value, key));
    None
}

/// Remove the entry whose key starts at `span` or whose value is `span` from
/// whichever table (at any depth) holds it; its key.
fn remove_entry_at(value: &mut toml::Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<String> {
    match value.get_mut() {
        DeValue::Table(t) => {
            let name = t
                .iter()
                .find(|(k, v)| k.span().start == span.start || v.span() == *span)
                .map(|(k, _)| k.get_ref().to_string());
            if let Some(name) = name {
                t.remove(name.as_str());
                return Some(name);
            }
            t.iter_mut().find_map(|(_, v)| remove_entry_at(v, span))
        }
        DeValue::Array(a) => a.iter_mut().find_map(|v| remove_entry_at(v, span)),
        _ => None,
    }
}

/// What references to the object in `value` (a `key` table) may name.
fn broken_of(value: &toml::Spanned<DeValue<'_>>, key: &str) -> Broken {
    let text = |v: &toml::Spanned<DeValue<'_>>, k: &str| {
        v.get_ref()
            .get(k)
            .and_then(|x| x.get_ref().as_str().map(str::to_string))
    };
    let (id, name) = match key {
        "host" | "flow" => (text(value, "name"), None),
        _ => (text(value, "id"), text(value, "name")),
    };
    let enis = value
        .get_ref()
        .get("enis")
        .and_then(|e| e.get_ref().as_array())
        .map(|a| a.iter().filter_map(|e| text(e, "id")).collect())
        .unwrap_or_default();
    Broken {
        table: key.to_string(),
        id,
        name,
        enis,
    }
}

/// `vpc vpc-a` when the table has an id (or name), else `[[vpc]]`.
fn object_label(value: &toml::Spanned<DeValue<'_>>, key: &str) -> String {
    // As compiled objects are called (`Kind::word`), so one object has one name.
    let word = match key {
        "tgw_attachment" => "transit gateway attachment".to_string(),
        "tgw_route_table" => "transit gateway route table".to_string(),
        "direct_connect" => "Direct Connect connection".to_string(),
        "direct_connect_gateway" => "Direct Connect gateway".to_string(),
        "vpc_endpoint" => "interface endpoint".to_string(),
        "egress_only_internet_gateway" => "egress-only internet gateway".to_string(),
        _ => key
            .replace('_', " ")
            .replace("network acl", "network ACL")
            .replace("nat ", "NAT ")
            .replace("vpn ", "VPN "),
    };
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

/// Serde's message, one line, with a "did you mean" for unknown fields and
/// variants; and for an unknown key, the key it was probably meant to be.
fn explain(msg: &str) -> (&'static str, String, Option<String>) {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((name, tail)) = rest.split_once('`') {
            let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
            let hint = suggest::did_you_mean(name, expected.iter().copied());
            let meant = hint.split('`').nth(1).map(str::to_string);
            return ("unknown-key", format!("unknown key `{name}`{hint}"), meant);
        }
    }
    if msg.starts_with("missing field") {
        return (
            "missing-key",
            msg.replace("missing field", "missing key"),
            None,
        );
    }
    // Serde names our structs (`expected struct SubnetSpec`): say what the user wrote.
    if let Some((head, _)) = msg.split_once("expected struct ") {
        return ("type", format!("{head}expected a table"), None);
    }
    ("type", msg.to_string(), None)
}

/// Serde's message on one line, in a user's words: its Rust type names (`expected
/// i64`) said plainly, and a float quoted short (`1e308`, not its 309 digits, as
/// serde prints it).
fn clean(msg: &str) -> String {
    let mut m = msg
        .trim()
        .replace('\n', " ")
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace("expected u32", "expected an integer from 0 to 4294967295");
    if let Some((head, rest)) = m.split_once("floating point `") {
        if let Some((num, tail)) = rest.split_once('`') {
            if let Ok(x) = num.parse::<f64>() {
                m = format!(
                    "{head}floating point `{}`{tail}",
                    super::compile::number_text(x)
                );
            }
        }
    }
    m
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
        // vpc-a survives without its unknown key; vpc-b's region is required.
        assert_eq!(doc.vpcs.len(), 1);
        assert_eq!(doc.broken.len(), 1);
        let msgs: Vec<_> = d.list.iter().map(|x| x.message.clone()).collect();
        assert_eq!(d.list.len(), 3, "{msgs:?}");
        assert!(msgs
            .iter()
            .any(|m| m.contains("did you mean `secondary_cidrs`")));
        assert!(msgs.iter().any(|m| m.contains("did you mean `flow`")));
    }
}
