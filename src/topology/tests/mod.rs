//! Unit tests of the loader: what it compiles (indices, implicit objects) and
//! which rule each mistake breaks, where.

mod compiled;
mod rules;

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
