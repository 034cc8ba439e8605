//! Test helpers for `peeremu import aws`: an exporter from a compiled topology
//! to the JSON `aws ec2 describe-*` prints (for round trips), and a synthetic
//! account generator (for the import's speed).

#![allow(dead_code)]

pub mod export;
pub mod export_dns;
pub mod export_tgw;
pub mod synthetic;

use std::path::{Path, PathBuf};

/// A fresh empty folder under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("import_aws")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Write `value` as pretty JSON (as the CLI prints it) to `dir/file`.
pub fn write_json(dir: &Path, file: &str, value: &serde_json::Value) {
    let path = dir.join(file);
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("folder");
    }
    let text = serde_json::to_string_pretty(value).expect("json");
    std::fs::write(path, text + "\n").expect("write json");
}
