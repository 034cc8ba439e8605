//! Where the objects a warning is about are written, so warnings (found later,
//! on the compiled network: see `crate::warnings`) carry file:line:col like errors.
//! Objects AWS creates implicitly (main route table, default NACL and security
//! group) are placed at their VPC's id.

use super::compile::Spans;
use super::diag::{Diagnostic, Lines, Located};
use crate::model::*;
use std::ops::Range;

/// An object a warning points at.
#[derive(Debug, Clone, PartialEq)]
pub enum Anchor {
    Vpc(VpcIdx),
    RouteTable(RtbIdx),
    /// A written route: its table and destination.
    Route(RtbIdx, RouteDestination),
    Nat(NatIdx),
    Nacl(NaclIdx),
    Sg(SgIdx),
    /// An ENI, placed at its private IP.
    Eni(EniIdx),
    /// The file as a whole (line 1, column 1): a finding about no one object.
    File,
}

/// A route's destination as a lookup key.
pub fn route_key(d: &RouteDestination) -> String {
    match d {
        RouteDestination::Cidr(n) => n.to_string(),
        RouteDestination::PrefixList(p) => format!("pl#{}", p.0),
    }
}

/// The topology file's text and the spans of its objects.
pub struct Places {
    file: String,
    text: String,
    spans: Spans,
}

impl Places {
    pub(super) fn new(file: &str, text: &str, spans: Spans) -> Places {
        Places {
            file: file.to_string(),
            text: text.to_string(),
            spans,
        }
    }

    fn vpc_span(&self, v: VpcIdx) -> Range<usize> {
        self.spans.vpc_id.get(v.ix()).cloned().unwrap_or(0..0)
    }

    fn span(&self, net: &Network, a: &Anchor) -> Range<usize> {
        let s = &self.spans;
        let or_vpc = |span: Option<&Range<usize>>, vpc: Option<VpcIdx>| {
            span.cloned()
                .or_else(|| vpc.map(|v| self.vpc_span(v)))
                .unwrap_or(0..0)
        };
        match a {
            Anchor::Vpc(v) => self.vpc_span(*v),
            Anchor::RouteTable(t) => or_vpc(
                s.rtb_id.get(&t.0),
                net.route_tables.get(t.ix()).map(|x| x.vpc),
            ),
            Anchor::Route(t, d) => match s.route_dest.get(&(t.0, route_key(d))) {
                Some(r) => r.clone(),
                None => self.span(net, &Anchor::RouteTable(*t)),
            },
            Anchor::Nat(n) => or_vpc(
                s.nat_id.get(&n.0),
                net.nat_gateways.get(n.ix()).map(|x| x.vpc),
            ),
            Anchor::Nacl(n) => or_vpc(s.nacl_id.get(&n.0), net.nacls.get(n.ix()).map(|x| x.vpc)),
            Anchor::Sg(g) => or_vpc(
                s.sg_id.get(&g.0),
                net.security_groups.get(g.ix()).map(|x| x.vpc),
            ),
            Anchor::Eni(e) => or_vpc(s.eni_ip.get(e.ix()), net.enis.get(e.ix()).map(|x| x.vpc)),
            Anchor::File => 0..0,
        }
    }

    /// Place one finding (`rule`, about `object`) at `anchor`.
    pub fn locate(
        &self,
        net: &Network,
        anchor: &Anchor,
        rule: &'static str,
        object: String,
        message: String,
    ) -> Located {
        let span = self.span(net, anchor);
        let (line, col) = Lines::new(&self.text).line_col(span.start);
        Located {
            file: self.file.clone(),
            line,
            col,
            diag: Diagnostic {
                span,
                object,
                message,
                rule,
            },
        }
    }
}
