//! The topology file format, loading with line/column errors, and validation of
//! AWS's rules (DESIGN.md §4). Produces a [`crate::model::Network`].
//!
//! Pipeline: `parse` (TOML → spanned [`format::Document`], every table on its own so
//! all errors surface) → `compile` (names → indices, implicit objects, per-object
//! rules) → `validate` (rules across objects). Problems are collected as
//! [`diag::Diagnostic`]s and only formatted at the end.

mod compile;
pub mod diag;
mod flows_file;
pub mod format;
pub mod format_dns;
pub mod names;
mod parse;
pub mod places;
pub mod regions;
pub mod schema;
pub mod suggest;
mod validate;

use crate::model::Network;
use std::path::Path;

pub use diag::{Diagnostic, Located};
pub use flows_file::{load_with_flows, load_with_flows_placed};
pub use places::{Anchor, Places};

/// A topology that could not be loaded: every problem found, each already formatted
/// as `file:line:col: object: message` (see `Display`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub messages: Vec<String>,
    /// The same problems, structured (file, line, column, object, rule).
    pub diagnostics: Vec<Located>,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for m in &self.messages {
            writeln!(f, "{m}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    fn from_located(diagnostics: Vec<Located>) -> Self {
        LoadError {
            messages: diagnostics.iter().map(|d| d.to_string()).collect(),
            diagnostics,
        }
    }
}

/// Largest topology file read (64 MiB): a 400,000-flow file is about 30 MB. The
/// limit keeps `/dev/zero`, a FIFO or a mistaken multi-gigabyte file from hanging
/// or exhausting memory before a single line is checked.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Read, parse, validate and compile a topology file.
pub fn load_file(path: &Path) -> Result<Network, LoadError> {
    load_file_placed(path).map(|(net, _)| net)
}

/// [`load_file`], and where each object is written (for warnings).
pub fn load_file_placed(path: &Path) -> Result<(Network, Places), LoadError> {
    let shown = crate::escape::escape(&path.display().to_string()).into_owned();
    let fail = |why: String| LoadError {
        messages: vec![format!("{shown}: cannot read the topology file: {why}")],
        diagnostics: Vec::new(),
    };
    let text = match read_bounded(path) {
        Ok(t) => t,
        Err(e) => return Err(fail(e)),
    };
    let stem = path.file_stem().map_or_else(
        || "topology".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    load_named(&text, &path.display().to_string(), &stem)
}

/// The file's text, read through a reader that stops one byte past the limit.
fn read_bounded(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "it is larger than {} MiB, the most a topology may be",
            MAX_FILE_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Load a topology from text; `file_name` is used in messages and, without its
/// extension, as the default topology name.
pub fn load_str(text: &str, file_name: &str) -> Result<Network, LoadError> {
    load_str_placed(text, file_name).map(|(net, _)| net)
}

/// [`load_str`], and where each object is written (for warnings).
pub fn load_str_placed(text: &str, file_name: &str) -> Result<(Network, Places), LoadError> {
    let stem = Path::new(file_name).file_stem().map_or_else(
        || "topology".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    load_named(text, file_name, &stem)
}

fn load_named(text: &str, file_name: &str, stem: &str) -> Result<(Network, Places), LoadError> {
    let mut diags = diag::Diags::default();
    let doc = parse::parse(text, &mut diags);
    if diags.list.iter().any(|d| d.rule == "syntax") {
        // After a syntax error the recovered document is a guess: report only
        // the syntax errors rather than what they make the rest look like.
        diags.list.retain(|d| d.rule == "syntax");
        return Err(LoadError::from_located(diag::locate(
            file_name, text, diags.list,
        )));
    }
    let (net, spans) = compile::compile(doc, stem, &mut diags);
    validate::validate(&net, &spans, &mut diags);
    if diags.is_empty() {
        Ok((net, Places::new(file_name, text, spans)))
    } else {
        Err(LoadError::from_located(diag::locate(
            file_name, text, diags.list,
        )))
    }
}

#[cfg(test)]
mod tests;
