//! Unit tests of the loader: what it compiles (indices, implicit objects) and
//! which rule each mistake breaks, where.

mod compiled;
mod compiled_features;
mod rules_cidr;
mod rules_general;
mod rules_hostile;
mod rules_peering;
mod rules_policy;
mod rules_routes;

use super::{load_str, Located};
use crate::model::Network;

/// Load `src` (named `t.toml`), panicking with the messages if it is invalid.
fn ok(src: &str) -> Network {
    match load_str(src, "t.toml") {
        Ok(n) => n,
        Err(e) => panic!("unexpected errors:\n{e}"),
    }
}

/// The diagnostics for an invalid `src`.
fn errors(src: &str) -> Vec<Located> {
    match load_str(src, "t.toml") {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(e) => {
            assert_eq!(e.messages.len(), e.diagnostics.len());
            e.diagnostics
        }
    }
}

const VPC_A: &str = r#"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"
"#;

const VPC_B: &str = r#"
[[vpc]]
id = "vpc-b"
region = "us-east-1"
cidr = "10.1.0.0/16"
"#;

const SUBNET_A: &str = r#"
[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"
"#;

/// A `[[vpc]]` table.
fn vpc(id: &str, region: &str, cidr: &str, extra: &str) -> String {
    format!("\n[[vpc]]\nid = \"{id}\"\nregion = \"{region}\"\ncidr = \"{cidr}\"\n{extra}\n")
}

/// An `[[instance]]` in `subnet-a`.
fn inst(id: &str, ip: &str, extra: &str) -> String {
    format!(
        "\n[[instance]]\nid = \"{id}\"\nsubnet = \"subnet-a\"\nprivate_ip = \"{ip}\"\n{extra}\n"
    )
}

/// A `[[peering]]` table.
fn pcx(id: &str, r: &str, a: &str, extra: &str) -> String {
    format!("\n[[peering]]\nid = \"{id}\"\nrequester = \"{r}\"\naccepter = \"{a}\"\n{extra}\n")
}

/// Assert that `src` breaks exactly `rule` (once) and return that diagnostic.
fn only(src: &str, rule: &str) -> Located {
    let e = errors(src);
    let rules: Vec<_> = e.iter().map(|d| d.diag.rule).collect();
    assert_eq!(
        rules,
        vec![rule],
        "{:#?}",
        e.iter().map(|d| d.to_string()).collect::<Vec<_>>()
    );
    e.into_iter().next().expect("one")
}
