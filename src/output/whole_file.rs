//! Writing one output file whole or not at all (`import aws -o`, `compare --json`):
//! the bytes go to a temporary file beside the target, which is renamed over it
//! only once everything is written and flushed. Before stop 14 a full disk left a
//! truncated (even empty) topology behind, which a later `check` could take for
//! the account. Targets that are not regular files (`/dev/stdout`, a FIFO) are
//! written directly, as a rename cannot replace them.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Write `bytes` to `path`: all of them, or (on error) nothing new, the previous
/// file (if any) left as it was.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let special = fs::metadata(path).is_ok_and(|m| !m.is_file());
    if special {
        return fs::write(path, bytes);
    }
    let tmp = temporary(path);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `dir/.name.peeremu-<pid>.tmp`, beside `path` (a rename stays on one file
/// system).
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.peeremu-{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_whole_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("peeremu-whole-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("out.toml");
        write(&p, b"old").expect("write");
        write(&p, b"new contents").expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"new contents");
        let names: Vec<_> = fs::read_dir(&dir).expect("ls").collect();
        assert_eq!(names.len(), 1);
        // A target in a missing folder fails and creates nothing.
        assert!(write(&dir.join("no/such.toml"), b"x").is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
