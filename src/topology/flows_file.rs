//! `--flows FILE`: flows (and hosts) kept in a second file and merged into the
//! topology, so an imported account (which has no flows) can be asked questions
//! without editing it. Errors name the file they are in, with its own lines.
//!
//! Both files are parsed on their own. The flows file is parsed behind a blank
//! line as long as the topology text, so its spans follow the topology's: one
//! compiled document, and each diagnostic is placed in the file its span falls in.

use super::diag::{self, Diagnostic, Diags};
use super::{compile, parse, validate, LoadError};
use crate::model::Network;
use std::path::Path;

/// Tables a flows file may hold.
const FLOWS_FILE_TABLES: [&str; 2] = ["[[flow]]", "[[host]]"];

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|e| LoadError {
        messages: vec![format!("{}: cannot read: {e}", path.display())],
        diagnostics: Vec::new(),
    })
}

/// Lines of a flows file that are not in a `[[flow]]` or `[[host]]` table.
fn foreign_tables(text: &str, offset: usize, diags: &mut Diags) {
    let mut pos = 0;
    let mut in_table = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        let at = offset + pos + (line.len() - line.trim_start().len());
        pos += line.len();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') {
            let header: String = t
                .split('#')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            in_table = FLOWS_FILE_TABLES.contains(&header.as_str());
            if !in_table {
                diags.push("flows-file", at..at + t.len(), "", format!("{header}: a flows file holds only [[flow]] and [[host]] tables (put the network in the topology file)"));
            }
        } else if !in_table && t.contains('=') {
            diags.push(
                "flows-file",
                at..at + t.len(),
                "",
                "a flows file holds only [[flow]] and [[host]] tables (no top-level keys)",
            );
        }
    }
}

/// Load `topology`, adding the `[[flow]]` and `[[host]]` tables of `flows`.
pub fn load_with_flows(topology: &Path, flows: Option<&Path>) -> Result<Network, LoadError> {
    let Some(flows) = flows else {
        return super::load_file(topology);
    };
    let (topo_text, flows_text) = (read(topology)?, read(flows)?);
    let (topo_name, flows_name) = (topology.display().to_string(), flows.display().to_string());
    let offset = topo_text.len() + 1;
    let padded = format!("{}\n{flows_text}", " ".repeat(offset - 1));
    let mut topo_diags = Diags::default();
    let mut doc = parse::parse(&topo_text, &mut topo_diags);
    let mut flow_diags = Diags::default();
    let extra = parse::parse(&padded, &mut flow_diags);
    foreign_tables(&flows_text, offset, &mut flow_diags);
    let syntax = |d: &Diags| d.list.iter().any(|x| x.rule == "syntax");
    if syntax(&topo_diags) || syntax(&flow_diags) || !flow_diags.is_empty() {
        let mut all = topo_diags.list;
        all.retain(|d| d.rule == "syntax" || !syntax(&flow_diags));
        all.extend(flow_diags.list);
        return Err(place(
            all,
            offset,
            (&topo_name, &topo_text),
            (&flows_name, &flows_text),
        ));
    }
    doc.flows.extend(extra.flows);
    doc.hosts.extend(extra.hosts);
    let stem = topology.file_stem().map_or_else(
        || "topology".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut diags = topo_diags;
    let (net, spans) = compile::compile(doc, &stem, &mut diags);
    validate::validate(&net, &spans, &mut diags);
    if diags.is_empty() {
        Ok(net)
    } else {
        Err(place(
            diags.list,
            offset,
            (&topo_name, &topo_text),
            (&flows_name, &flows_text),
        ))
    }
}

/// Place each diagnostic in the file its span falls in.
fn place(
    list: Vec<Diagnostic>,
    offset: usize,
    topo: (&str, &str),
    flows: (&str, &str),
) -> LoadError {
    let (a, mut b): (Vec<Diagnostic>, Vec<Diagnostic>) =
        list.into_iter().partition(|d| d.span.start < offset);
    for d in &mut b {
        d.span = d.span.start - offset..d.span.end.saturating_sub(offset);
    }
    let mut located = diag::locate(topo.0, topo.1, a);
    located.extend(diag::locate(flows.0, flows.1, b));
    LoadError::from_located(located)
}
