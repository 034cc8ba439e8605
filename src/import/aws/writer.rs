//! [`Plan`] → topology TOML text: grouped by VPC, each object headed by a
//! comment naming its source file and JSON path, notes as comments, and the
//! skipped objects listed at the end.

use super::error::printable;
use super::plan::*;
use std::fmt::Write;

/// A TOML basic string (quoted and escaped by the toml crate).
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", v.join(", "))
}

fn notes(out: &mut String, n: &Notes) {
    let name = n
        .name_tag
        .as_ref()
        .map(|t| format!(" (Name: {})", printable(t)))
        .unwrap_or_default();
    let _ = writeln!(out, "# from {}{name}", printable(&n.source));
    for l in &n.lines {
        let _ = writeln!(out, "# {}", printable(l));
    }
}

/// Header text (already one comment line per entry) and the plan.
pub fn write(header: &[String], plan: &Plan) -> String {
    let mut o = String::with_capacity(1 << 16);
    for h in header {
        let _ = writeln!(o, "# {}", printable(h));
    }
    o.push('\n');
    if !plan.quotas.is_empty() {
        o.push_str("# The account uses more than AWS's default quotas; raised here to what it uses.\n[quotas]\n");
        for (k, v, why) in &plan.quotas {
            let _ = writeln!(o, "{k} = {v}  # {}", printable(why));
        }
        o.push('\n');
    }
    for p in &plan.prefix_lists {
        notes(&mut o, &p.notes);
        let _ = writeln!(o, "[[prefix_list]]\nid = {}", q(&p.id));
        if let Some(n) = &p.name {
            let _ = writeln!(o, "name = {}", q(n));
        }
        let _ = writeln!(o, "cidrs = {}\n", list(&p.cidrs));
    }
    for v in &plan.vpcs {
        vpc(&mut o, v);
    }
    if !plan.peerings.is_empty() {
        o.push_str("# ======== Peering connections ========\n\n");
    }
    for p in &plan.peerings {
        notes(&mut o, &p.notes);
        let _ = writeln!(
            o,
            "[[peering]]\nid = {}\nrequester = {}\naccepter = {}\nstatus = {}\n",
            q(&p.id),
            q(&p.requester),
            q(&p.accepter),
            q(p.status)
        );
        if p.requester_dns || p.accepter_dns {
            o.pop();
            if p.requester_dns {
                o.push_str("requester_allow_dns_resolution_from_remote_vpc = true\n");
            }
            if p.accepter_dns {
                o.push_str("accepter_allow_dns_resolution_from_remote_vpc = true\n");
            }
            o.push('\n');
        }
    }
    transit(&mut o, plan);
    zones(&mut o, plan);
    privatelink(&mut o, plan);
    direct_connect(&mut o, plan);
    if !plan.skipped.is_empty() {
        let _ = writeln!(
            o,
            "# ======== Not imported ({}) ========",
            plan.skipped.len()
        );
        for s in &plan.skipped {
            let _ = writeln!(
                o,
                "# {}: {} ({})",
                printable(&s.id),
                printable(&s.why),
                printable(&s.source)
            );
        }
    }
    o
}

fn vpc(o: &mut String, v: &VpcPlan) {
    let title = v
        .notes
        .name_tag
        .as_ref()
        .map(|n| format!(" \"{}\"", printable(n)))
        .unwrap_or_default();
    let _ = writeln!(o, "# ======== {}{title} ({}) ========\n", v.id, v.region);
    notes(o, &v.notes);
    let _ = writeln!(
        o,
        "[[vpc]]\nid = {}\nregion = {}\ncidr = {}",
        q(&v.id),
        q(&v.region),
        q(&v.cidr)
    );
    if !v.secondary.is_empty() {
        let _ = writeln!(o, "secondary_cidrs = {}", list(&v.secondary));
    }
    if let Some(x) = &v.ipv6 {
        let _ = writeln!(o, "ipv6_cidr = {}", q(x));
    }
    if let Some(x) = v.enable_dns_support {
        let _ = writeln!(o, "enable_dns_support = {x}");
    }
    if let Some(x) = v.enable_dns_hostnames {
        let _ = writeln!(o, "enable_dns_hostnames = {x}");
    }
    o.push('\n');
    for s in &v.subnets {
        notes(o, &s.notes);
        let _ = writeln!(
            o,
            "[[subnet]]\nid = {}\nvpc = {}\naz = {}\ncidr = {}",
            q(&s.id),
            q(&v.id),
            q(&s.az),
            q(&s.cidr)
        );
        if let Some(x) = &s.ipv6 {
            let _ = writeln!(o, "ipv6_cidr = {}", q(x));
        }
        if let Some(x) = &s.route_table {
            let _ = writeln!(o, "route_table = {}", q(x));
        }
        if let Some(x) = &s.nacl {
            let _ = writeln!(o, "nacl = {}", q(x));
        }
        o.push('\n');
    }
    for t in &v.route_tables {
        notes(o, &t.notes);
        let _ = writeln!(o, "[[route_table]]\nid = {}\nvpc = {}", q(&t.id), q(&v.id));
        if t.main {
            o.push_str("main = true\n");
        }
        write_routes(o, &t.routes);
    }
    for n in &v.nacls {
        notes(o, &n.notes);
        let _ = writeln!(o, "[[network_acl]]\nid = {}\nvpc = {}", q(&n.id), q(&v.id));
        rules(o, "inbound", &n.inbound);
        rules(o, "outbound", &n.outbound);
        o.push('\n');
    }
    for s in &v.sgs {
        notes(o, &s.notes);
        let _ = writeln!(
            o,
            "[[security_group]]\nid = {}\nvpc = {}",
            q(&s.id),
            q(&v.id)
        );
        if let Some(n) = &s.name {
            let _ = writeln!(o, "name = {}", q(n));
        }
        rules(o, "ingress", &s.ingress);
        rules(o, "egress", &s.egress);
        o.push('\n');
    }
    for g in &v.igws {
        notes(o, &g.notes);
        let table = if g.egress_only {
            "egress_only_internet_gateway"
        } else {
            "internet_gateway"
        };
        let _ = writeln!(o, "[[{table}]]\nid = {}", q(&g.id));
        if let Some(x) = &g.vpc {
            let _ = writeln!(o, "vpc = {}", q(x));
        }
        o.push('\n');
    }
    for n in &v.nats {
        notes(o, &n.notes);
        let _ = writeln!(
            o,
            "[[nat_gateway]]\nid = {}\nsubnet = {}\nprivate_ip = {}\nelastic_ip = {}\n",
            q(&n.id),
            q(&n.subnet),
            q(&n.private_ip),
            q(&n.elastic_ip)
        );
    }
    for g in &v.vgws {
        notes(o, &g.notes);
        let _ = writeln!(o, "[[vpn_gateway]]\nid = {}", q(&g.id));
        if let Some(x) = &g.vpc {
            let _ = writeln!(o, "vpc = {}", q(x));
        }
        let _ = writeln!(o, "onprem_cidrs = {}\n", list(&g.onprem_cidrs));
    }
    for e in &v.endpoints {
        notes(o, &e.notes);
        let _ = writeln!(
            o,
            "[[gateway_endpoint]]\nid = {}\nvpc = {}\nservice = {}\nprefix_list = {}\nroute_tables = {}\n",
            q(&e.id),
            q(&v.id),
            q(&e.service),
            q(&e.prefix_list),
            list(&e.route_tables)
        );
    }
    for i in &v.instances {
        notes(o, &i.notes);
        let _ = writeln!(o, "[[instance]]\nid = {}", q(&i.id));
        if let Some(f) = i.forward {
            let _ = writeln!(o, "forward = {}", q(f));
        }
        if let Some(n) = &i.name {
            let _ = writeln!(o, "name = {}", q(n));
        }
        o.push_str("enis = [\n");
        for e in &i.enis {
            let mut line = format!(
                "  {{ id = {}, subnet = {}, private_ip = {}",
                q(&e.id),
                q(&e.subnet),
                q(&e.private_ip)
            );
            if let Some(x) = &e.ipv6 {
                let _ = write!(line, ", ipv6 = {}", q(x));
            }
            if let Some(x) = &e.public_ip {
                let _ = write!(line, ", public_ip = {}", q(x));
            }
            let _ = write!(line, ", security_groups = {}", list(&e.security_groups));
            if !e.source_dest_check {
                line.push_str(", source_dest_check = false");
            }
            line.push_str(" },");
            let _ = writeln!(o, "{line}");
        }
        o.push_str("]\n\n");
    }
}

fn rules(o: &mut String, key: &str, rules: &[RulePlan]) {
    if rules.is_empty() {
        let _ = writeln!(o, "{key} = []");
        return;
    }
    let _ = writeln!(o, "{key} = [");
    for r in rules {
        let mut parts = Vec::new();
        if let Some(n) = r.rule {
            parts.push(format!("rule = {n}"));
        }
        match r.protocol.parse::<u8>() {
            Ok(n) => parts.push(format!("protocol = {n}")),
            Err(_) => parts.push(format!("protocol = {}", q(&r.protocol))),
        }
        if let Some((a, b)) = r.ports {
            if a == b {
                parts.push(format!("ports = {a}"));
            } else {
                parts.push(format!("ports = \"{a}-{b}\""));
            }
        }
        if let Some((t, c)) = r.icmp {
            parts.push(format!("icmp_type = {t}, icmp_code = {c}"));
        }
        parts.push(format!("{} = {}", r.peer.0, q(&r.peer.1)));
        if let Some(a) = r.action {
            parts.push(format!("action = {}", q(a)));
        }
        if let Some(d) = &r.description {
            parts.push(format!("description = {}", q(d)));
        }
        let _ = writeln!(o, "  {{ {} }},", parts.join(", "));
    }
    o.push_str("]\n");
}

fn transit(o: &mut String, plan: &Plan) {
    if !plan.tgws.is_empty() {
        o.push_str("# ======== Transit gateways ========\n\n");
    }
    for g in &plan.tgws {
        notes(o, &g.notes);
        let _ = writeln!(
            o,
            "[[transit_gateway]]\nid = {}\nregion = {}\ndefault_route_table_association = {}\ndefault_route_table_propagation = {}\n",
            q(&g.id),
            q(&g.region),
            g.default_association,
            g.default_propagation
        );
        if g.sg_referencing {
            // After the blank line above: still the same table (nothing else between).
            o.pop();
            o.push_str("security_group_referencing = true\n\n");
        }
        for a in plan.tgw_attachments.iter().filter(|a| a.tgw == g.id) {
            notes(o, &a.notes);
            let _ = writeln!(
                o,
                "[[tgw_attachment]]\nid = {}\ntgw = {}\nkind = {}",
                q(&a.id),
                q(&a.tgw),
                q(a.kind)
            );
            if a.state != "available" {
                let _ = writeln!(o, "state = {}", q(a.state));
            }
            if let Some(v) = &a.vpc {
                let _ = writeln!(o, "vpc = {}\nsubnets = {}", q(v), list(&a.subnets));
            }
            if a.appliance_mode {
                o.push_str("appliance_mode = true\n");
            }
            if let Some(x) = a.sg_referencing {
                let _ = writeln!(o, "security_group_referencing = {x}");
            }
            if a.kind == "vpn" {
                let _ = writeln!(o, "onprem_cidrs = {}", list(&a.onprem_cidrs));
            }
            if let Some(p) = &a.peer_tgw {
                let _ = writeln!(o, "peer_tgw = {}", q(p));
            }
            if let Some(d) = &a.dx_gateway {
                let _ = writeln!(
                    o,
                    "dx_gateway = {}\nallowed_prefixes = {}",
                    q(d),
                    list(&a.allowed_prefixes)
                );
            }
            o.push('\n');
        }
        for t in plan.tgw_route_tables.iter().filter(|t| t.tgw == g.id) {
            notes(o, &t.notes);
            let _ = writeln!(
                o,
                "[[tgw_route_table]]\nid = {}\ntgw = {}",
                q(&t.id),
                q(&t.tgw)
            );
            if t.default {
                o.push_str("default = true\n");
            }
            let _ = writeln!(o, "associations = {}", list(&t.associations));
            let _ = writeln!(o, "propagations = {}", list(&t.propagations));
            write_routes(o, &t.routes);
        }
    }
}

/// A table's `routes = [...]` array (VPC and TGW route tables alike), each route's
/// note as a comment after it.
fn write_routes(o: &mut String, routes: &[RoutePlan]) {
    o.push_str("routes = [\n");
    for r in routes {
        let note = r
            .note
            .as_ref()
            .map(|n| format!("  # {}", printable(n)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "  {{ destination = {}, target = {} }},{note}",
            q(&r.destination),
            q(&r.target)
        );
    }
    o.push_str("]\n\n");
}

fn zones(o: &mut String, plan: &Plan) {
    if !plan.zones.is_empty() {
        o.push_str("# ======== Route 53 hosted zones ========\n\n");
    }
    for z in &plan.zones {
        notes(o, &z.notes);
        let table = if z.private {
            "private_zone"
        } else {
            "public_zone"
        };
        let _ = writeln!(o, "[[{table}]]\nid = {}\nname = {}", q(&z.id), q(&z.name));
        if z.private {
            let _ = writeln!(o, "vpcs = {}", list(&z.vpcs));
        }
        o.push_str("records = [\n");
        for r in &z.records {
            let ttl = r.ttl.map(|t| format!(", ttl = {t}")).unwrap_or_default();
            let _ = writeln!(
                o,
                "  {{ name = {}, type = {}, value = {}{ttl} }},",
                q(&r.name),
                q(&r.kind),
                q(&r.value)
            );
        }
        o.push_str("]\n\n");
    }
}

/// `[{ subnet = "…", ip = "…" }, …]`.
fn subnet_ips(items: &[(String, String)]) -> String {
    let v: Vec<String> = items
        .iter()
        .map(|(s, ip)| format!("{{ subnet = {}, ip = {} }}", q(s), q(ip)))
        .collect();
    format!("[{}]", v.join(", "))
}

fn privatelink(o: &mut String, plan: &Plan) {
    if !plan.load_balancers.is_empty() || !plan.interface_endpoints.is_empty() {
        o.push_str("# ======== PrivateLink ========\n\n");
    }
    for lb in &plan.load_balancers {
        notes(o, &lb.notes);
        let _ = writeln!(
            o,
            "[[load_balancer]]\nid = {}\nkind = \"network\"\nsubnets = {}\ncross_zone = {}",
            q(&lb.id),
            subnet_ips(&lb.subnets),
            lb.cross_zone
        );
        if !lb.security_groups.is_empty() {
            let _ = writeln!(o, "security_groups = {}", list(&lb.security_groups));
        }
        if !lb.unhealthy_targets.is_empty() {
            let _ = writeln!(o, "unhealthy_targets = {}", list(&lb.unhealthy_targets));
        }
        o.push_str("listeners = [\n");
        for l in &lb.listeners {
            let note = l
                .note
                .as_ref()
                .map(|n| format!("  # {}", printable(n)))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  {{ protocol = {}, port = {}, targets = {} }},{note}",
                q(l.protocol),
                l.port,
                list(&l.targets)
            );
        }
        o.push_str("]\n\n");
    }
    for s in &plan.endpoint_services {
        notes(o, &s.notes);
        let _ = writeln!(
            o,
            "[[endpoint_service]]\nid = {}\nload_balancer = {}\nacceptance_required = {}\n",
            q(&s.id),
            q(&s.load_balancer),
            s.acceptance_required
        );
    }
    for e in &plan.interface_endpoints {
        notes(o, &e.notes);
        let _ = writeln!(
            o,
            "[[vpc_endpoint]]\nid = {}\ntype = \"interface\"\nservice = {}\nsubnets = {}\nsecurity_groups = {}\n",
            q(&e.id),
            q(&e.service),
            subnet_ips(&e.subnets),
            list(&e.security_groups)
        );
    }
}

fn direct_connect(o: &mut String, plan: &Plan) {
    if !plan.direct_connects.is_empty() || !plan.dx_gateways.is_empty() {
        o.push_str("# ======== Direct Connect ========\n\n");
    }
    for g in &plan.dx_gateways {
        notes(o, &g.notes);
        let _ = writeln!(
            o,
            "[[direct_connect_gateway]]\nid = {}\nvpn_gateways = {}\n",
            q(&g.id),
            list(&g.vpn_gateways)
        );
    }
    for d in &plan.direct_connects {
        notes(o, &d.notes);
        let _ = writeln!(
            o,
            "[[direct_connect]]\nid = {}\nonprem_cidrs = {}",
            q(&d.id),
            list(&d.onprem_cidrs)
        );
        if let Some(b) = d.bandwidth_gbps {
            let _ = writeln!(o, "bandwidth_gbps = {b}");
        }
        o.push_str("virtual_interfaces = [\n");
        for v in &d.vifs {
            let mut parts = vec![
                format!("id = {}", q(&v.id)),
                format!("kind = {}", q(v.kind)),
            ];
            if let Some(g) = &v.vgw {
                parts.push(format!("vgw = {}", q(g)));
            }
            if let Some(g) = &v.dx_gateway {
                parts.push(format!("dx_gateway = {}", q(g)));
            }
            if let Some(x) = v.mtu {
                parts.push(format!("mtu = {x}"));
            }
            let note = v
                .note
                .as_ref()
                .map(|n| format!("  # {}", printable(n)))
                .unwrap_or_default();
            let _ = writeln!(o, "  {{ {} }},{note}", parts.join(", "));
        }
        o.push_str("]\n\n");
    }
}
