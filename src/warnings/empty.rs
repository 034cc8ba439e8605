//! A topology without a VPC: an empty file, one with only comments, or one with
//! only `name = …` (often the wrong file). `check` would say "OK" and `run` would write empty outputs, leaving a new
//! user to wonder whether anything was read; this says plainly that nothing was.

use super::Warning;
use crate::model::Network;
use crate::topology::Anchor;

pub fn without_vpcs(net: &Network) -> Vec<Warning> {
    if !net.vpcs.is_empty() {
        return Vec::new();
    }
    vec![Warning {
        anchor: Anchor::File,
        rule: "topology-empty",
        object: String::new(),
        message: "the topology defines no VPC, so there is nothing to check or emulate; describe at least one `[[vpc]]` with its subnets and instances (see docs/topology-format.md or the examples in topologies/)".to_string(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_topology_without_vpcs_warns() {
        let empty = crate::topology::load_str("", "empty.toml").expect("an empty topology loads");
        let w = without_vpcs(&empty);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].rule, "topology-empty");
        let one = crate::topology::load_str(
            "[[vpc]]\nid = \"vpc-a\"\ncidr = \"10.0.0.0/16\"\nregion = \"us-east-1\"\n",
            "one.toml",
        )
        .expect("one VPC loads");
        assert!(without_vpcs(&one).is_empty());
    }
}
