//! The topology file format, loading with line/column errors, and validation of
//! AWS's rules (DESIGN.md §4). Produces a [`crate::model::Network`].
//!
//! Pipeline: `parse` (TOML → spanned [`format::Document`], every table on its own so
//! all errors surface) → `compile` (names → indices, implicit objects, per-object
//! rules) → `validate` (rules across objects). Problems are collected as
//! [`diag::Diagnostic`]s and only formatted at the end.

mod compile;
pub mod diag;
pub mod format;
mod parse;
pub mod schema;
mod suggest;
mod validate;

use crate::model::Network;
use std::path::Path;

pub use diag::{Diagnostic, Located};

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

/// Read, parse, validate and compile a topology file.
pub fn load_file(path: &Path) -> Result<Network, LoadError> {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return Err(LoadError {
                messages: vec![format!("{shown}: cannot read the topology file: {e}")],
                diagnostics: Vec::new(),
            })
        }
    };
    let stem = path.file_stem().map_or_else(
        || "topology".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    load_named(&text, &shown, &stem)
}

/// Load a topology from text; `file_name` is used in messages and, without its
/// extension, as the default topology name.
pub fn load_str(text: &str, file_name: &str) -> Result<Network, LoadError> {
    let stem = Path::new(file_name).file_stem().map_or_else(
        || "topology".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    load_named(text, file_name, &stem)
}

fn load_named(text: &str, file_name: &str, stem: &str) -> Result<Network, LoadError> {
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
        Ok(net)
    } else {
        Err(LoadError::from_located(diag::locate(
            file_name, text, diags.list,
        )))
    }
}

#[cfg(test)]
mod tests;
