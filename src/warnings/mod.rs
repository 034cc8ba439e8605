//! Warnings: configurations AWS accepts but that do not do what their author
//! almost certainly meant. Each is a pure function over the compiled network
//! ([`Network`]); `peeremu check` and `peeremu run` print them (file:line:col, like
//! errors) without changing the exit status, unless `--deny-warnings`.
//!
//! The list, with what each one means and how to silence it, is in
//! docs/warnings.md.

mod empty;
mod forwarding;
mod nat_gateway;
mod path_mtu;
mod routes;

use crate::model::Network;
use crate::topology::{Anchor, Located, Places};

/// One finding: the object it is about, a stable rule name, the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub anchor: Anchor,
    pub rule: &'static str,
    /// `route table rtb-a`, as in errors.
    pub object: String,
    pub message: String,
}

/// Every rule, for docs and tests.
pub const RULES: [&str; 7] = [
    "path-mtu-blackhole",
    "route-peer-cidr",
    "route-table-unused",
    "nat-gateway-no-igw",
    "route-tgw-cidr",
    "forward-source-dest-check",
    "topology-empty",
];

/// Every warning about `net`, in rule order.
pub fn find(net: &Network) -> Vec<Warning> {
    let mut out = Vec::new();
    out.extend(path_mtu::blackholes(net));
    out.extend(routes::peering_cidrs(net));
    out.extend(routes::unused_tables(net));
    out.extend(nat_gateway::without_internet_route(net));
    out.extend(routes::tgw_cidrs(net));
    out.extend(forwarding::checked_enis(net));
    out.extend(empty::without_vpcs(net));
    out
}

/// [`find`], placed in the topology file and sorted by position.
pub fn located(net: &Network, places: &Places) -> Vec<Located> {
    let mut out: Vec<Located> = find(net)
        .into_iter()
        .map(|w| places.locate(net, &w.anchor, w.rule, w.object, w.message))
        .collect();
    out.sort_by(|a, b| (a.line, a.col, &a.diag.message).cmp(&(b.line, b.col, &b.diag.message)));
    out.dedup();
    out
}

/// Print each warning to stderr as `file:line:col: warning: object: message`
/// (escaped, like errors); returns how many there were.
pub fn print(warnings: &[Located]) -> usize {
    for w in warnings {
        crate::output::console::eprint(format_args!("{}\n", Shown(w)));
    }
    warnings.len()
}

/// `file:line:col: warning: object: message`.
pub struct Shown<'a>(pub &'a Located);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::escape::Escaped;
        let w = self.0;
        write!(f, "{}:{}:{}: warning: ", Escaped(&w.file), w.line, w.col)?;
        if !w.diag.object.is_empty() {
            write!(f, "{}: ", Escaped(&w.diag.object))?;
        }
        write!(f, "{} [{}]", Escaped(&w.diag.message), w.diag.rule)
    }
}

#[cfg(test)]
mod tests;
