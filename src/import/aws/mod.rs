//! `peeremu import aws DIR`: the JSON that `aws ec2 describe-*` prints → a
//! topology file.
//!
//! Pipeline: `files` (find the `.json` files, recognise each by its top-level
//! key, parse into the serde models of `shapes`, errors naming file and JSON
//! path) → `collect` (index by id, duplicates are errors) → `map*` (AWS objects
//! to topology objects, a [`plan::Plan`]) → `writer` (TOML text, grouped by VPC,
//! commented). The text is then loaded as `peeremu check` would, so what is
//! written always passes it.

mod collect;
pub mod error;
mod files;
mod map;
mod map_compute;
mod map_direct_connect;
mod map_dns;
mod map_gateways;
mod map_privatelink;
mod map_routes;
mod map_rules;
mod map_transit;
pub mod plan;
pub mod shapes;
mod writer;

pub use error::ImportError;
pub use map::Options;

use std::path::Path;

/// A finished import.
#[derive(Debug)]
pub struct Imported {
    /// The topology file's text.
    pub toml: String,
    /// Objects written.
    pub imported: usize,
    /// What was not imported (or only in part), and why.
    pub skipped: Vec<plan::Skip>,
    /// The number of `.json` files read.
    pub files: usize,
}

impl Imported {
    /// `N objects imported, M skipped:` and one line per skipped object.
    pub fn report(&self) -> String {
        let mut s = format!(
            "{} objects imported from {} files, {} skipped{}",
            self.imported,
            self.files,
            self.skipped.len(),
            if self.skipped.is_empty() { "" } else { ":" }
        );
        for k in &self.skipped {
            s.push_str(&format!(
                "\n  {}: {} ({})",
                error::printable(&k.id),
                error::printable(&k.why),
                error::printable(&k.source)
            ));
        }
        s
    }
}

/// Import the export in `dir`; `out_name` names the topology in the self-check's
/// messages. Nothing is written here: the caller writes `toml` only on success.
pub fn import(dir: &Path, opts: &Options, out_name: &str) -> Result<Imported, ImportError> {
    let (paths, others) = files::find(dir)?;
    let mut acct = collect::Account::default();
    for p in &paths {
        let shown = p.strip_prefix(dir).unwrap_or(p).display().to_string();
        acct.add(files::parse(p, shown)?)?;
    }
    let plan = map::map(&acct, opts)?;
    let mut header = vec![
        format!("Imported by `peeremu import aws` from {} ({} JSON files).", dir.display(), paths.len()),
        format!(
            "{} objects imported, {} not imported (listed at the end of this file).",
            plan.imported,
            plan.skipped.len()
        ),
        "AWS ids are kept as ids; `Name` tags are in the comments (and name instances when unique).".into(),
        "No flows: AWS's configuration has none. Give them with `--flows flows.toml` to `peeremu run`/`trace`,".into(),
        "or ask `peeremu reach` which instances can reach which.".into(),
    ];
    if others > 0 {
        header.push(format!("{others} files not ending in .json were ignored."));
    }
    let toml = writer::write(&header, &plan);
    let chk = crate::topology::load_str(&toml, out_name);
    if let Err(e) = chk {
        return Err(ImportError::file(
            out_name,
            format!(
                "the imported topology does not pass `peeremu check` (a case the importer does not handle yet; nothing written):\n{e}"
            ),
        ));
    }
    Ok(Imported {
        toml,
        imported: plan.imported,
        skipped: plan.skipped,
        files: paths.len(),
    })
}
