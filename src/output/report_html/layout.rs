//! Where every box of the topology drawing goes: regions as bands, VPCs inside
//! them on a layered grid computed from the peering graph, subnets stacked in their
//! VPC, ENIs (and NAT gateways) on a small grid in their subnet, the VPC's own
//! gateways in a strip under its title, external hosts in a band above the regions.
//!
//! The layered grid: in each connected group of VPCs, the best-connected VPC (a
//! hub) is layer 0, its peers layer 1, theirs layer 2, … (breadth-first); each layer
//! is wrapped into rows of at most `columns` boxes and centred, so a hub sits above
//! its spokes and peering lines fan out downwards instead of crossing the picture.
//! Sizes are computed bottom-up and every row/column advances past the largest box
//! it holds, so boxes never overlap by construction; [`Layout::overlaps`] checks it
//! (unit tests here, the 60-VPC browser test on the SVG itself).
//!
//! Integer pixels only: the same network always gives the same drawing.

use crate::model::{EniIdx, ExternalSite, Network, PeeringStatus, VpcIdx};
use std::collections::VecDeque;

/// An axis-aligned rectangle in SVG pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    /// Interiors intersect (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    pub fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x
            && o.y >= self.y
            && o.x + o.w <= self.x + self.w
            && o.y + o.h <= self.y + self.h
    }

    pub fn center(&self) -> (i32, i32) {
        (self.x + self.w / 2, self.y + self.h / 2)
    }

    /// Where the segment from the centre towards `(tx, ty)` leaves the rectangle.
    pub fn border_towards(&self, tx: i32, ty: i32) -> (i32, i32) {
        let (cx, cy) = self.center();
        let (dx, dy) = (f64::from(tx - cx), f64::from(ty - cy));
        if dx == 0.0 && dy == 0.0 {
            return (cx, cy);
        }
        let sx = if dx == 0.0 {
            f64::INFINITY
        } else {
            f64::from(self.w) / 2.0 / dx.abs()
        };
        let sy = if dy == 0.0 {
            f64::INFINITY
        } else {
            f64::from(self.h) / 2.0 / dy.abs()
        };
        let s = sx.min(sy).min(1.0);
        (cx + (dx * s).round() as i32, cy + (dy * s).round() as i32)
    }
}

/// What a box stands for (also its CSS class).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxKind {
    /// Hosts outside AWS (internet, on premises).
    Outside,
    Region,
    Vpc,
    Subnet,
    Eni,
    Gateway,
    Host,
    /// "+N more" for ENIs not drawn one by one.
    More,
}

impl BoxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BoxKind::Outside => "outside",
            BoxKind::Region => "region",
            BoxKind::Vpc => "vpc",
            BoxKind::Subnet => "subnet",
            BoxKind::Eni => "eni",
            BoxKind::Gateway => "gateway",
            BoxKind::Host => "host",
            BoxKind::More => "more",
        }
    }
}

/// One drawn box: absolute position, its container, and its text lines (the
/// first is the title).
#[derive(Debug, Clone, PartialEq)]
pub struct LaidBox {
    pub kind: BoxKind,
    pub parent: Option<usize>,
    pub rect: Rect,
    /// The AWS id (or name) it stands for: hover text and DOM id.
    pub id: String,
    pub lines: Vec<String>,
}

/// A peering drawn between two VPC boxes.
#[derive(Debug, Clone, PartialEq)]
pub struct PeeringLine {
    pub pcx: usize,
    pub from: (i32, i32),
    pub to: (i32, i32),
    pub status: PeeringStatus,
}

impl PeeringLine {
    pub fn midpoint(&self) -> (i32, i32) {
        ((self.from.0 + self.to.0) / 2, (self.from.1 + self.to.1) / 2)
    }
}

/// The whole drawing's geometry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    pub width: i32,
    pub height: i32,
    pub boxes: Vec<LaidBox>,
    pub peerings: Vec<PeeringLine>,
    /// Box index of each VPC, subnet, ENI (its own box or its subnet's "+N more"),
    /// NAT gateway, internet/VPN gateway and endpoint (when attached), external host.
    pub vpc: Vec<usize>,
    pub subnet: Vec<usize>,
    pub eni: Vec<usize>,
    pub nat: Vec<usize>,
    pub igw: Vec<Option<usize>>,
    pub vgw: Vec<Option<usize>>,
    pub vpce: Vec<usize>,
    pub host: Vec<usize>,
}

const PAD: i32 = 10;
const GAP: i32 = 8;
const ITEM_W: i32 = 150;
const ITEM_H: i32 = 36;
const LINE_H: i32 = 15;
/// Space between VPC boxes (room for peering lines and their labels).
const VPC_GAP_X: i32 = 48;
const VPC_GAP_Y: i32 = 64;
const REGION_GAP: i32 = 36;
/// ENIs and NAT gateways drawn one by one in a subnet; the rest become "+N more".
pub const MAX_ITEMS_PER_SUBNET: usize = 12;
const ITEMS_PER_ROW: usize = 3;
const HOSTS_PER_ROW: usize = 6;

/// Width of a text line at the drawing's 12 px font (a generous estimate, so text
/// stays inside its box).
pub fn text_width(s: &str) -> i32 {
    (s.chars().count() as i32) * 7 + 4
}

fn header_height(lines: usize) -> i32 {
    PAD + lines as i32 * LINE_H
}

/// A tree of boxes under construction, positions relative to the parent.
struct Node {
    kind: BoxKind,
    id: String,
    lines: Vec<String>,
    w: i32,
    h: i32,
    children: Vec<(i32, i32, Node)>,
    /// What this node stands for, recorded into the layout's index vectors.
    tag: Tag,
}

#[derive(Clone, Copy)]
enum Tag {
    None,
    Vpc(usize),
    Subnet(usize),
    /// A subnet's "+N more" box.
    More(usize),
    /// A row of gateways: positions its children, is not drawn itself.
    Row,
    Eni(usize),
    Nat(usize),
    Igw(usize),
    Vgw(usize),
    Vpce(usize),
    Host(usize),
}

impl Node {
    fn leaf(kind: BoxKind, id: String, lines: Vec<String>, tag: Tag) -> Node {
        let w = lines.iter().map(|l| text_width(l)).max().unwrap_or(0) + 2 * GAP;
        Node {
            kind,
            id,
            w: w.max(ITEM_W),
            h: ITEM_H.max(lines.len() as i32 * LINE_H + 6),
            lines,
            children: Vec::new(),
            tag,
        }
    }
}

/// Place `items` in rows of at most `per_row`, each row as tall as its tallest item;
/// returns positions and the total size.
fn grid(items: &[(i32, i32)], per_row: usize) -> (Vec<(i32, i32)>, i32, i32) {
    let mut pos = Vec::with_capacity(items.len());
    let (mut w, mut y) = (0, 0);
    for row in items.chunks(per_row.max(1)) {
        let mut x = 0;
        let row_h = row.iter().map(|r| r.1).max().unwrap_or(0);
        for &(iw, _) in row {
            pos.push((x, y));
            x += iw + GAP;
        }
        w = w.max(x - GAP);
        y += row_h + GAP;
    }
    (pos, w.max(0), (y - GAP).max(0))
}

/// Stack `children` under a header of `lines`, with `PAD` around them.
fn container(
    kind: BoxKind,
    id: String,
    lines: Vec<String>,
    tag: Tag,
    children: Vec<Node>,
    per_row: usize,
) -> Node {
    let sizes: Vec<(i32, i32)> = children.iter().map(|c| (c.w, c.h)).collect();
    let (pos, gw, gh) = grid(&sizes, per_row);
    let head = header_height(lines.len());
    let text_w = lines.iter().map(|l| text_width(l)).max().unwrap_or(0);
    let w = (gw.max(text_w) + 2 * PAD).max(ITEM_W + 2 * PAD);
    let h = head
        + if children.is_empty() {
            PAD
        } else {
            gh + PAD + GAP
        };
    Node {
        kind,
        id,
        lines,
        w,
        h,
        children: pos
            .into_iter()
            .zip(children)
            .map(|((x, y), c)| (PAD + x, head + GAP + y, c))
            .collect(),
        tag,
    }
}

fn subnet_node(net: &Network, s: usize) -> Node {
    let sub = &net.subnets[s];
    let az = net.azs.get(sub.az.ix()).map_or("", |a| a.name.as_str());
    let mut lines = vec![sub.id.clone(), format!("{} {az}", sub.cidr)];
    if let Some(v6) = sub.ipv6 {
        lines.push(v6.to_string());
    }
    let mut items = Vec::new();
    let enis: Vec<usize> = (0..net.enis.len())
        .filter(|&e| net.enis[e].subnet.ix() == s)
        .collect();
    let nats: Vec<usize> = (0..net.nat_gateways.len())
        .filter(|&n| net.nat_gateways[n].subnet.ix() == s)
        .collect();
    for &n in &nats {
        let g = &net.nat_gateways[n];
        items.push(Node::leaf(
            BoxKind::Gateway,
            g.id.clone(),
            vec![
                g.id.clone(),
                format!("NAT {} / {}", g.private_ip, g.public_ip),
            ],
            Tag::Nat(n),
        ));
    }
    let room = MAX_ITEMS_PER_SUBNET.saturating_sub(items.len()).max(1);
    let shown = if enis.len() > room {
        room - 1
    } else {
        enis.len()
    };
    for &e in &enis[..shown] {
        items.push(eni_node(net, e));
    }
    if shown < enis.len() {
        // Stands for every ENI not drawn (the layout maps them to it).
        items.push(Node::leaf(
            BoxKind::More,
            format!("{}-more", sub.id),
            vec![format!("+{} more ENIs", enis.len() - shown)],
            Tag::More(s),
        ));
    }
    container(
        BoxKind::Subnet,
        sub.id.clone(),
        lines,
        Tag::Subnet(s),
        items,
        ITEMS_PER_ROW,
    )
}

fn eni_node(net: &Network, e: usize) -> Node {
    let eni = &net.enis[e];
    let inst = net.instances.get(eni.instance.ix());
    let name = inst.map_or(eni.id.as_str(), |i| i.name.as_str());
    let mut title = name.to_string();
    if inst.is_some_and(|i| i.enis.len() > 1) {
        title = format!("{name} {}", eni.id);
    }
    let mut ip = eni.private_ip.to_string();
    if let Some(p) = eni.public_ip {
        ip.push_str(&format!(" / {p}"));
    }
    Node::leaf(BoxKind::Eni, eni.id.clone(), vec![title, ip], Tag::Eni(e))
}

fn vpc_node(net: &Network, v: usize) -> Node {
    let vpc = &net.vpcs[v];
    let mut cidrs: Vec<String> = vpc.cidrs.iter().take(3).map(|c| c.to_string()).collect();
    if vpc.cidrs.len() > 3 {
        cidrs.push(format!("+{}", vpc.cidrs.len() - 3));
    }
    let mut lines = vec![vpc.id.clone(), cidrs.join(", ")];
    if let Some(v6) = vpc.ipv6 {
        lines.push(v6.to_string());
    }
    let mut gateways = Vec::new();
    for (i, g) in net.internet_gateways.iter().enumerate() {
        if g.vpc.map(|x| x.ix()) == Some(v) {
            gateways.push(Node::leaf(
                BoxKind::Gateway,
                g.id.clone(),
                vec![g.id.clone(), "internet gateway".into()],
                Tag::Igw(i),
            ));
        }
    }
    for (i, g) in net.vpn_gateways.iter().enumerate() {
        if g.vpc.map(|x| x.ix()) == Some(v) {
            gateways.push(Node::leaf(
                BoxKind::Gateway,
                g.id.clone(),
                vec![g.id.clone(), "VPN gateway".into()],
                Tag::Vgw(i),
            ));
        }
    }
    for (i, g) in net.gateway_endpoints.iter().enumerate() {
        if g.vpc.ix() == v {
            gateways.push(Node::leaf(
                BoxKind::Gateway,
                g.id.clone(),
                vec![g.id.clone(), format!("endpoint {}", g.service)],
                Tag::Vpce(i),
            ));
        }
    }
    let mut children = Vec::new();
    if !gateways.is_empty() {
        // The gateways as one borderless row, so subnets stack below them.
        let mut row = container(
            BoxKind::Gateway,
            String::new(),
            Vec::new(),
            Tag::Row,
            gateways,
            usize::MAX,
        );
        // No header and no padding of its own: only the gateways are drawn.
        row.h -= header_height(0) + GAP + PAD;
        row.w -= 2 * PAD;
        for c in &mut row.children {
            c.0 -= PAD;
            c.1 -= header_height(0) + GAP;
        }
        children.push(row);
    }
    for s in 0..net.subnets.len() {
        if net.subnets[s].vpc.ix() == v {
            children.push(subnet_node(net, s));
        }
    }
    container(
        BoxKind::Vpc,
        vpc.id.clone(),
        lines,
        Tag::Vpc(v),
        children,
        1,
    )
}

/// The order of a region's VPCs in layers: breadth-first from the best-connected
/// VPC of each connected group (ties: file order). Returns layers of VPC indices.
fn layers(net: &Network, vpcs: &[usize]) -> Vec<Vec<usize>> {
    let n = net.vpcs.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for p in &net.peerings {
        let (a, b) = (p.requester.ix(), p.accepter.ix());
        if a < n && b < n && a != b {
            adj[a].push(b);
            adj[b].push(a);
        }
    }
    let degree = |v: usize| adj[v].len();
    let in_region: Vec<bool> = (0..n).map(|v| vpcs.contains(&v)).collect();
    let mut seen = vec![false; n];
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut order: Vec<usize> = vpcs.to_vec();
    order.sort_by_key(|&v| (std::cmp::Reverse(degree(v)), v));
    for &root in &order {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let mut group: Vec<Vec<usize>> = vec![vec![root]];
        let mut queue = VecDeque::from([(root, 0usize)]);
        while let Some((v, d)) = queue.pop_front() {
            let mut next: Vec<usize> = adj[v]
                .iter()
                .copied()
                .filter(|&w| in_region[w] && !seen[w])
                .collect();
            next.sort_by_key(|&w| (std::cmp::Reverse(degree(w)), w));
            next.dedup();
            for w in next {
                seen[w] = true;
                if group.len() <= d + 1 {
                    group.push(Vec::new());
                }
                group[d + 1].push(w);
                queue.push_back((w, d + 1));
            }
        }
        out.extend(group);
    }
    out
}

/// Lay out a region's VPCs: small regions in one row (a chain in path order),
/// larger ones as layered rows of at most `columns` boxes.
fn region_rows(net: &Network, vpcs: &[usize]) -> Vec<Vec<usize>> {
    let columns = ((vpcs.len() as f64).sqrt().ceil() as usize).max(3);
    let layers = layers(net, vpcs);
    if vpcs.len() <= columns {
        // One row: a hub in the middle of its spokes, a chain end to end.
        let flat: Vec<usize> = layers.concat();
        let mut row = Vec::with_capacity(flat.len());
        for (i, v) in flat.into_iter().enumerate() {
            if i % 2 == 1 {
                row.insert(0, v);
            } else {
                row.push(v);
            }
        }
        return vec![row];
    }
    let mut rows = Vec::new();
    for layer in layers {
        for chunk in layer.chunks(columns) {
            rows.push(chunk.to_vec());
        }
    }
    rows
}

fn region_node(net: &Network, r: usize, vpcs: &[usize]) -> Node {
    let rows = region_rows(net, vpcs);
    let nodes: Vec<Vec<Node>> = rows
        .iter()
        .map(|row| row.iter().map(|&v| vpc_node(net, v)).collect())
        .collect();
    let width = nodes
        .iter()
        .map(|row| row.iter().map(|n| n.w).sum::<i32>() + VPC_GAP_X * (row.len() as i32 - 1).max(0))
        .max()
        .unwrap_or(0);
    let name = net.regions.get(r).map_or(String::new(), |x| x.name.clone());
    let lines = vec![format!("region {name}")];
    let head = header_height(1);
    let mut children = Vec::new();
    let mut y = head + GAP;
    for row in nodes {
        let row_w =
            row.iter().map(|n| n.w).sum::<i32>() + VPC_GAP_X * (row.len() as i32 - 1).max(0);
        let row_h = row.iter().map(|n| n.h).max().unwrap_or(0);
        let mut x = PAD + (width - row_w) / 2;
        for n in row {
            let w = n.w;
            children.push((x, y, n));
            x += w + VPC_GAP_X;
        }
        y += row_h + VPC_GAP_Y;
    }
    let w = (width + 2 * PAD).max(text_width(&lines[0]) + 2 * PAD);
    Node {
        kind: BoxKind::Region,
        id: name,
        lines,
        w,
        h: y - VPC_GAP_Y + PAD,
        children,
        tag: Tag::None,
    }
}

fn outside_node(net: &Network) -> Option<Node> {
    if net.external_hosts.is_empty() {
        return None;
    }
    let hosts: Vec<Node> = net
        .external_hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let site = match h.site {
                ExternalSite::Internet => "internet".to_string(),
                ExternalSite::OnPrem(g) => format!(
                    "on premises via {}",
                    net.vpn_gateways.get(g.ix()).map_or("?", |g| g.id.as_str())
                ),
                ExternalSite::DirectConnect(d) => format!(
                    "on premises via {}",
                    net.direct_connects
                        .get(d.ix())
                        .map_or("?", |d| d.id.as_str())
                ),
            };
            Node::leaf(
                BoxKind::Host,
                h.name.clone(),
                vec![h.name.clone(), format!("{} {site}", h.ip)],
                Tag::Host(i),
            )
        })
        .collect();
    Some(container(
        BoxKind::Outside,
        "outside".into(),
        vec!["outside AWS".into()],
        Tag::None,
        hosts,
        HOSTS_PER_ROW,
    ))
}

/// Lay out the whole network.
pub fn layout(net: &Network) -> Layout {
    let mut bands: Vec<Node> = Vec::new();
    bands.extend(outside_node(net));
    for r in 0..net.regions.len() {
        let vpcs: Vec<usize> = (0..net.vpcs.len())
            .filter(|&v| net.vpcs[v].region.ix() == r)
            .collect();
        if !vpcs.is_empty() {
            bands.push(region_node(net, r, &vpcs));
        }
    }
    let mut out = Layout {
        vpc: vec![0; net.vpcs.len()],
        subnet: vec![0; net.subnets.len()],
        eni: vec![usize::MAX; net.enis.len()],
        nat: vec![0; net.nat_gateways.len()],
        igw: vec![None; net.internet_gateways.len()],
        vgw: vec![None; net.vpn_gateways.len()],
        vpce: vec![0; net.gateway_endpoints.len()],
        host: vec![0; net.external_hosts.len()],
        ..Default::default()
    };
    let mut y = PAD;
    let mut width = 0;
    let mut more = std::collections::BTreeMap::new();
    for band in bands {
        let h = band.h;
        width = width.max(band.w);
        place(&mut out, &mut more, band, PAD, y, None);
        y += h + REGION_GAP;
    }
    // ENIs not drawn one by one point at their subnet's "+N more" box.
    for (e, b) in out.eni.iter_mut().enumerate() {
        if *b == usize::MAX {
            let s = net.enis[e].subnet.ix();
            *b = more.get(&s).copied().unwrap_or(out.subnet[s]);
        }
    }
    out.width = width + 2 * PAD;
    out.height = y - REGION_GAP + PAD;
    for (i, p) in net.peerings.iter().enumerate() {
        let (Some(&a), Some(&b)) = (out.vpc.get(p.requester.ix()), out.vpc.get(p.accepter.ix()))
        else {
            continue;
        };
        let (ra, rb) = (out.boxes[a].rect, out.boxes[b].rect);
        let (ca, cb) = (ra.center(), rb.center());
        out.peerings.push(PeeringLine {
            pcx: i,
            from: ra.border_towards(cb.0, cb.1),
            to: rb.border_towards(ca.0, ca.1),
            status: p.status,
        });
    }
    out
}

/// Give `node` absolute coordinates and record it (and its children) in `out`.
fn place(
    out: &mut Layout,
    more: &mut std::collections::BTreeMap<usize, usize>,
    node: Node,
    x: i32,
    y: i32,
    parent: Option<usize>,
) {
    // A gateways row is a positioning aid, not a box: its children join the parent.
    let me = if matches!(node.tag, Tag::Row) {
        parent
    } else {
        out.boxes.push(LaidBox {
            kind: node.kind,
            parent,
            rect: Rect {
                x,
                y,
                w: node.w,
                h: node.h,
            },
            id: node.id,
            lines: node.lines,
        });
        let i = out.boxes.len() - 1;
        match node.tag {
            Tag::Vpc(v) => out.vpc[v] = i,
            Tag::Subnet(s) => out.subnet[s] = i,
            Tag::Eni(e) => out.eni[e] = i,
            Tag::Nat(n) => out.nat[n] = i,
            Tag::Igw(g) => out.igw[g] = Some(i),
            Tag::Vgw(g) => out.vgw[g] = Some(i),
            Tag::Vpce(g) => out.vpce[g] = i,
            Tag::Host(h) => out.host[h] = i,
            Tag::More(s) => {
                more.insert(s, i);
            }
            Tag::None | Tag::Row => {}
        }
        Some(i)
    };
    for (cx, cy, child) in node.children {
        place(out, more, child, x + cx, y + cy, me);
    }
}

impl Layout {
    /// Pairs of boxes with the same container whose interiors intersect, and boxes
    /// not inside their container (both should be empty).
    pub fn overlaps(&self) -> Vec<(usize, usize)> {
        let mut bad = Vec::new();
        for (i, a) in self.boxes.iter().enumerate() {
            if let Some(p) = a.parent {
                if !self.boxes[p].rect.contains(&a.rect) {
                    bad.push((p, i));
                }
            }
            for (j, b) in self.boxes.iter().enumerate().skip(i + 1) {
                if a.parent == b.parent && a.rect.overlaps(&b.rect) {
                    bad.push((i, j));
                }
            }
        }
        bad
    }

    /// The box of an ENI.
    pub fn eni_box(&self, e: EniIdx) -> Option<&LaidBox> {
        self.eni.get(e.ix()).and_then(|&i| self.boxes.get(i))
    }

    pub fn vpc_box(&self, v: VpcIdx) -> Option<&LaidBox> {
        self.vpc.get(v.ix()).and_then(|&i| self.boxes.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataplane::test_net::TestNet;

    fn hub_and_spokes(spokes: usize, per_spoke: usize) -> Network {
        let mut t = TestNet::new();
        let hub = t.vpc("10.0.0.0/16");
        let hs = t.subnet(hub, "10.0.1.0/24", 0);
        for h in 0..20 {
            t.eni(hs, &format!("10.0.1.{}", 10 + h), &[]);
        }
        for s in 1..=spokes {
            let v = t.vpc(&format!("10.{s}.0.0/16"));
            let sub = t.subnet(v, &format!("10.{s}.1.0/24"), 0);
            for h in 0..per_spoke {
                t.eni(sub, &format!("10.{s}.1.{}", 10 + h), &[]);
            }
            t.peering(hub, v, PeeringStatus::Active);
        }
        t.build()
    }

    #[test]
    fn boxes_never_overlap_from_2_to_60_vpcs() {
        for spokes in [1, 2, 3, 5, 8, 20, 59] {
            let net = hub_and_spokes(spokes, 4);
            let l = layout(&net);
            assert_eq!(
                l.overlaps(),
                Vec::<(usize, usize)>::new(),
                "{spokes} spokes"
            );
            assert_eq!(l.vpc.len(), spokes + 1);
            // Every VPC, subnet and ENI has its own box, inside the drawing.
            let all = Rect {
                x: 0,
                y: 0,
                w: l.width,
                h: l.height,
            };
            assert!(l.boxes.iter().all(|b| all.contains(&b.rect)));
            let vpcs = l.boxes.iter().filter(|b| b.kind == BoxKind::Vpc).count();
            assert_eq!(vpcs, spokes + 1);
        }
    }

    #[test]
    fn the_hub_sits_above_its_spokes_and_the_grid_stays_square() {
        let net = hub_and_spokes(59, 4);
        let l = layout(&net);
        let hub = l.boxes[l.vpc[0]].rect;
        for v in 1..60 {
            assert!(
                l.boxes[l.vpc[v]].rect.y > hub.y + hub.h,
                "spoke {v} below the hub"
            );
        }
        // 8 columns of spokes: far wider than tall would be unreadable.
        assert!(l.width < 3 * l.height, "{}x{}", l.width, l.height);
        assert_eq!(l.peerings.len(), 59);
    }

    #[test]
    fn crowded_subnets_fold_into_a_more_box() {
        let net = hub_and_spokes(1, 30);
        let l = layout(&net);
        let more: Vec<_> = l.boxes.iter().filter(|b| b.kind == BoxKind::More).collect();
        assert_eq!(more.len(), 2, "hub (20 ENIs) and spoke (30)");
        assert!(more.iter().any(|b| b.lines[0] == "+19 more ENIs"));
        // Every ENI maps to a box; hidden ones to the "+N more" box.
        let last = l.eni_box(EniIdx(net.enis.len() as u32 - 1)).unwrap();
        assert_eq!(last.kind, BoxKind::More);
        assert_eq!(l.eni_box(EniIdx(0)).unwrap().kind, BoxKind::Eni);
        assert_eq!(l.overlaps(), Vec::<(usize, usize)>::new());
    }

    #[test]
    fn rect_geometry() {
        let a = Rect {
            x: 0,
            y: 0,
            w: 10,
            h: 10,
        };
        assert!(a.overlaps(&Rect {
            x: 9,
            y: 9,
            w: 5,
            h: 5
        }));
        assert!(
            !a.overlaps(&Rect {
                x: 10,
                y: 0,
                w: 5,
                h: 5
            }),
            "touching is fine"
        );
        assert_eq!(a.border_towards(100, 5), (10, 5));
        assert_eq!(a.border_towards(5, -100), (5, 0));
    }
}
