//! Private IPs are unique within a VPC (ENIs and NAT gateways); public and
//! Elastic IPs are unique everywhere, and none is an external host's address.

use super::super::compile::Spans;
use super::super::diag::Diags;
use crate::model::{Network, VpcIdx};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

pub fn unique(net: &Network, spans: &Spans, diags: &mut Diags) {
    // (vpc, ip) → the first owner's description
    let mut private: HashMap<(VpcIdx, Ipv4Addr), String> = HashMap::new();
    let mut public: HashMap<Ipv4Addr, String> = HashMap::new();
    let hosts: HashMap<IpAddr, &str> = net
        .external_hosts
        .iter()
        .map(|h| (h.ip, h.name.as_str()))
        .collect();
    let owners = net
        .enis
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                format!("ENI {}", e.id),
                e.vpc,
                e.private_ip,
                spans.eni_ip[i].clone(),
                e.public_ip,
                spans.eni_public_ip[i].clone(),
            )
        })
        .chain(net.nat_gateways.iter().enumerate().map(|(i, n)| {
            (
                format!("NAT gateway {}", n.id),
                n.vpc,
                n.private_ip,
                spans.nat_ip[i].clone(),
                Some(n.public_ip),
                Some(spans.nat_eip[i].clone()),
            )
        }));
    for (who, vpc, ip, span, pub_ip, pub_span) in owners {
        match private.get(&(vpc, ip)) {
            Some(first) => diags.push(
                "ip-duplicate",
                span,
                who.clone(),
                format!("private IP {ip} is already used by {first} in {}; addresses are unique within a VPC", net.vpcs[vpc.ix()].id),
            ),
            None => {
                private.insert((vpc, ip), who.clone());
            }
        }
        if let (Some(p), Some(ps)) = (pub_ip, pub_span) {
            if let Some(host) = hosts.get(&IpAddr::V4(p)) {
                diags.push("ip-duplicate", ps, who.clone(), format!("public IP {p} is the address of host {host}; an address belongs to one place"));
                continue;
            }
            match public.get(&p) {
                Some(first) => diags.push("ip-duplicate", ps, who.clone(), format!("public IP {p} is already used by {first}; a public or Elastic IP belongs to one interface")),
                None => {
                    public.insert(p, who);
                }
            }
        }
    }
}
