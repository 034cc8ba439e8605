//! The run folder (`--out`) is replaced whole or not at all.
//!
//! Two runs writing into one folder at once used to interleave their files (a
//! 1-packet `capture.pcapng` from a run that exited 0), and a run that failed
//! half-way (disk full, killed) left a folder of partial files that looked like a
//! result. Now a run:
//!
//! 1. takes an exclusive lock on `<parent>/.<name>.lock` (`flock`, released by the
//!    kernel when the process ends, however it ends): a second run into the same
//!    folder fails at once with a message, exit 2. The lock file stays (removing it
//!    would let a third run lock a fresh file while a second still holds the old);
//! 2. writes everything into a fresh sibling, `<parent>/.<name>.partial-<pid>`
//!    (removing those a killed run left behind: the lock says none is in use);
//! 3. only when every file is written and closed, swaps it into place atomically
//!    (`renameat2(RENAME_EXCHANGE)`; two renames where the file system cannot) and
//!    removes the previous run's files.
//!
//! A run that fails or is killed before step 3 leaves `<out>` as it was. To keep a
//! typo in `--out` from deleting someone's files, an existing folder is replaced
//! only when it is empty or holds a previous run (`summary.json`).

use super::recorder::SUMMARY_FILE;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Why a run cannot write its folder.
#[derive(Debug)]
pub enum ClaimError {
    /// Another run holds the folder's lock.
    Busy {
        out: PathBuf,
        lock: PathBuf,
    },
    /// The folder exists and is not a previous run's.
    NotARunFolder(PathBuf),
    /// `--out` names no folder (`/`, `.`, `..`).
    NoName(PathBuf),
    Io(PathBuf, io::Error),
}

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimError::Busy { out, lock } => write!(
                f,
                "another run is writing to {} (it holds {}): wait for it or choose another --out",
                out.display(),
                lock.display()
            ),
            ClaimError::NotARunFolder(out) => write!(
                f,
                "{} exists and is not a peeremu run folder (no {SUMMARY_FILE}); a run replaces its folder whole, so choose an empty or new --out",
                out.display()
            ),
            ClaimError::NoName(out) => write!(
                f,
                "--out {} names no folder of its own: give a folder name such as pcaps/run-1",
                out.display()
            ),
            ClaimError::Io(path, e) => write!(f, "cannot write outputs in {}: {e}", path.display()),
        }
    }
}

impl std::error::Error for ClaimError {}

/// A claimed run folder: the lock is held and the run writes into [`staging`].
///
/// [`staging`]: RunFolder::staging
#[derive(Debug)]
pub struct RunFolder {
    out: PathBuf,
    staging: PathBuf,
    /// Holds the `flock` until dropped.
    _lock: File,
    committed: bool,
}

impl RunFolder {
    /// Lock `out` for this run and create the folder to write into.
    pub fn claim(out: &Path) -> Result<RunFolder, ClaimError> {
        let io_err = |p: &Path| {
            let p = p.to_path_buf();
            move |e| ClaimError::Io(p, e)
        };
        // A symlinked run folder: replace the folder it points to, not the link.
        let out = match fs::symlink_metadata(out) {
            Ok(m) if m.file_type().is_symlink() => fs::canonicalize(out).map_err(io_err(out))?,
            _ => out.to_path_buf(),
        };
        let name = match out.file_name() {
            Some(n) if !out.ends_with("..") => n.to_os_string(),
            _ => return Err(ClaimError::NoName(out)),
        };
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io_err(&parent))?;
        let lock_path = parent.join(sibling(&name, "lock"));
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match try_lock(&lock) {
            Ok(true) => {}
            Ok(false) => {
                return Err(ClaimError::Busy {
                    out,
                    lock: lock_path,
                })
            }
            Err(e) => return Err(ClaimError::Io(lock_path, e)),
        }
        match fs::read_dir(&out) {
            Ok(mut entries) => {
                if entries.next().is_some() && !out.join(SUMMARY_FILE).is_file() {
                    return Err(ClaimError::NotARunFolder(out));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(ClaimError::Io(out, e)),
        }
        remove_leftovers(&parent, &name);
        let staging = parent.join(sibling(&name, &format!("partial-{}", std::process::id())));
        fs::create_dir(&staging).map_err(io_err(&staging))?;
        Ok(RunFolder {
            out,
            staging,
            _lock: lock,
            committed: false,
        })
    }

    /// Where the run writes its files.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The folder the outputs end up in.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Put the written folder in place of `out` (atomically where the file system
    /// can) and remove the previous run's files. On error `out` is unchanged, except
    /// in the two-rename fallback, where a failed second rename leaves the previous
    /// run under `.<name>.old-<pid>` (the message says so).
    pub fn commit(mut self) -> io::Result<()> {
        let old = if fs::symlink_metadata(&self.out).is_ok() {
            Some(swap_into_place(&self.staging, &self.out)?)
        } else {
            fs::rename(&self.staging, &self.out)?;
            None
        };
        self.committed = true;
        if let Some(old) = old {
            // The previous run's files; failing to remove them loses nothing.
            let _ = fs::remove_dir_all(old);
        }
        Ok(())
    }
}

impl Drop for RunFolder {
    /// A run that did not commit leaves nothing behind but its lock file.
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// `.<name>.<what>`: a hidden sibling of the run folder.
fn sibling(name: &std::ffi::OsStr, what: &str) -> OsString {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(".");
    s.push(what);
    s
}

/// Remove `.<name>.partial-*` and `.<name>.old-*` folders of runs that were killed
/// (only called with the lock held, so none belongs to a live run).
fn remove_leftovers(parent: &Path, name: &std::ffi::OsStr) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let partial = sibling(name, "partial-");
    let old = sibling(name, "old-");
    for e in entries.flatten() {
        let file_name = e.file_name();
        let bytes = file_name.as_encoded_bytes();
        if bytes.starts_with(partial.as_encoded_bytes())
            || bytes.starts_with(old.as_encoded_bytes())
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Exchange `staging` and `out`; returns where the previous `out` now is.
fn swap_into_place(staging: &Path, out: &Path) -> io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        match exchange(staging, out) {
            Ok(()) => return Ok(staging.to_path_buf()),
            // Not supported by this file system (or kernel): two renames below.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {}
            Err(e) => return Err(e),
        }
    }
    let name = out.file_name().unwrap_or_default();
    let old = out
        .parent()
        .unwrap_or(Path::new("."))
        .join(sibling(name, &format!("old-{}", std::process::id())));
    fs::rename(out, &old)?;
    if let Err(e) = fs::rename(staging, out) {
        return Err(io::Error::new(
            e.kind(),
            format!("{e}; the previous run is now in {}", old.display()),
        ));
    }
    Ok(old)
}

/// `renameat2(a, b, RENAME_EXCHANGE)`: swap two paths in one step. Hand-written:
/// std has no exchanging rename, and this one call does not justify a crate.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Take an exclusive advisory lock without waiting: `Ok(false)` if another process
/// holds it. `flock` on Linux (released when the process ends, even by SIGKILL).
#[cfg(target_os = "linux")]
fn try_lock(f: &File) -> io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a file descriptor we own; no memory is passed.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Elsewhere no lock is taken (libc is a Linux-only dependency here); the folder
/// is still replaced whole.
#[cfg(not(target_os = "linux"))]
fn try_lock(_: &File) -> io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("peeremu-rf-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        p
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_run_replaces_the_previous_one_whole() {
        let base = temp("replace");
        let out = base.join("run");
        let first = RunFolder::claim(&out).unwrap();
        fs::write(first.staging().join(SUMMARY_FILE), "1").unwrap();
        fs::write(first.staging().join("only-in-first"), "x").unwrap();
        assert!(!out.exists(), "nothing is in place before the commit");
        first.commit().unwrap();
        let second = RunFolder::claim(&out).unwrap();
        fs::write(second.staging().join(SUMMARY_FILE), "2").unwrap();
        second.commit().unwrap();
        assert_eq!(names(&out), [SUMMARY_FILE]);
        assert_eq!(fs::read_to_string(out.join(SUMMARY_FILE)).unwrap(), "2");
        assert_eq!(names(&base), [".run.lock", "run"]);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_second_claim_fails_while_the_first_holds_the_lock() {
        let base = temp("busy");
        let out = base.join("run");
        let first = RunFolder::claim(&out).unwrap();
        // flock locks belong to the open file: a second open in this process
        // conflicts like another process would.
        let err = RunFolder::claim(&out).unwrap_err();
        assert!(matches!(err, ClaimError::Busy { .. }), "{err}");
        assert!(
            err.to_string().contains("another run is writing to"),
            "{err}"
        );
        drop(first);
        RunFolder::claim(&out).unwrap();
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn an_uncommitted_run_leaves_the_old_folder_and_no_partial_files() {
        let base = temp("abandon");
        let out = base.join("run");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join(SUMMARY_FILE), "old").unwrap();
        let run = RunFolder::claim(&out).unwrap();
        fs::write(run.staging().join("capture.pcapng"), "partial").unwrap();
        drop(run);
        assert_eq!(names(&base), [".run.lock", "run"]);
        assert_eq!(fs::read_to_string(out.join(SUMMARY_FILE)).unwrap(), "old");
        // A killed run's staging folder is removed by the next run.
        fs::create_dir_all(base.join(".run.partial-1")).unwrap();
        let run = RunFolder::claim(&out).unwrap();
        assert!(!base.join(".run.partial-1").exists());
        drop(run);
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_folder_that_is_not_a_run_is_never_replaced() {
        let base = temp("foreign");
        fs::write(base.join("notes.txt"), "mine").unwrap();
        let err = RunFolder::claim(&base).unwrap_err();
        assert!(matches!(err, ClaimError::NotARunFolder(_)), "{err}");
        assert!(base.join("notes.txt").exists());
        // An empty folder is fine.
        let empty = base.join("empty");
        fs::create_dir(&empty).unwrap();
        RunFolder::claim(&empty).unwrap().commit().unwrap();
        for bad in ["/", ".", ".."] {
            let err = RunFolder::claim(Path::new(bad)).unwrap_err();
            assert!(matches!(err, ClaimError::NoName(_)), "{bad}: {err}");
        }
        fs::remove_dir_all(&base).unwrap();
    }
}
