//! `--flows FILE`: flows (and hosts) kept in a second file and merged into the
//! topology, so an imported account (which has no flows) can be asked questions
//! without editing it. Errors name the file they are in, with its own lines.
//!
//! Both files are parsed on their own. The flows file is parsed behind a blank
//! line as long as the topology text, so its spans follow the topology's: one
//! compiled document, and each diagnostic is placed in the file its span falls in.

use super::diag::{self, Diagnostic, Diags};
use super::{compile, parse, validate, LoadError, Places};
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

/// Report what a flows file may not hold (other tables, top-level keys) and
/// return its text with those lines blanked (same byte offsets), so they are
/// reported once, here, and not parsed.
fn foreign_tables(text: &str, offset: usize, diags: &mut Diags) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut pos = 0;
    let mut foreign = false;
    let mut in_table = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        let at = offset + pos + (line.len() - line.trim_start().len());
        pos += line.len();
        let mut blank = foreign;
        if t.starts_with('[') {
            let header: String = t
                .split('#')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            in_table = true;
            // A flow's or host's own sub-tables (`[[flow.expect_windows]]`) are theirs.
            let sub_table = ["[[flow.", "[flow.", "[[host.", "[host."]
                .iter()
                .any(|p| header.starts_with(p));
            foreign = !FLOWS_FILE_TABLES.contains(&header.as_str()) && !sub_table;
            blank = foreign;
            if foreign {
                diags.push("flows-file", at..at + t.len(), "", format!("{header}: a flows file holds only [[flow]] and [[host]] tables (put the network in the topology file)"));
            }
        } else if !in_table && !t.is_empty() && !t.starts_with('#') {
            blank = true;
            diags.push(
                "flows-file",
                at..at + t.len(),
                "",
                "a flows file holds only [[flow]] and [[host]] tables (no top-level keys)",
            );
        }
        if blank {
            // One space per byte (not per character), so byte offsets stay.
            for c in line.chars() {
                if c == '\n' {
                    kept.push('\n');
                } else {
                    kept.extend(std::iter::repeat_n(' ', c.len_utf8()));
                }
            }
        } else {
            kept.push_str(line);
        }
    }
    kept
}

/// Load `topology`, adding the `[[flow]]` and `[[host]]` tables of `flows`.
pub fn load_with_flows(topology: &Path, flows: Option<&Path>) -> Result<Network, LoadError> {
    load_with_flows_placed(topology, flows).map(|(net, _)| net)
}

/// [`load_with_flows`], and where each object of the topology file is written.
pub fn load_with_flows_placed(
    topology: &Path,
    flows: Option<&Path>,
) -> Result<(Network, Places), LoadError> {
    let Some(flows) = flows else {
        return super::load_file_placed(topology);
    };
    let (topo_text, flows_text) = (read(topology)?, read(flows)?);
    let (topo_name, flows_name) = (topology.display().to_string(), flows.display().to_string());
    let offset = topo_text.len() + 1;
    let mut topo_diags = Diags::default();
    let mut doc = parse::parse(&topo_text, &mut topo_diags);
    let mut flow_diags = Diags::default();
    let kept = foreign_tables(&flows_text, offset, &mut flow_diags);
    let padded = format!("{}\n{kept}", " ".repeat(offset - 1));
    let extra = parse::parse(&padded, &mut flow_diags);
    let syntax = |d: &Diags| d.list.iter().any(|x| x.rule == "syntax");
    if syntax(&topo_diags) || syntax(&flow_diags) {
        // As for one file: after a syntax error, only the syntax errors.
        let mut all = topo_diags.list;
        all.extend(flow_diags.list);
        all.retain(|d| d.rule == "syntax");
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
    diags.list.extend(flow_diags.list);
    let (net, spans) = compile::compile(doc, &stem, &mut diags);
    validate::validate(&net, &spans, &mut diags);
    if diags.is_empty() {
        Ok((net, Places::new(&topo_name, &topo_text, spans)))
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
