//! The VPC router pipeline (DESIGN.md §3).

#[cfg(test)]
pub(crate) mod test_net;
