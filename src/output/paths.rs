//! File names built from user-chosen ids and flow names. Every such name goes through
//! [`sanitize`] and [`OutputDir::file`], so a flow called `../../etc/passwd` lands in
//! `latency/.._.._etc_passwd.hgrm`, never outside the output folder.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Longest file name component we produce (most file systems allow 255 bytes; leave
/// room for an extension and a de-duplication suffix).
const MAX_COMPONENT_LEN: usize = 200;

/// A name that cannot become a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadName(pub String);

impl fmt::Display for BadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} cannot be used as a file name", self.0)
    }
}

impl std::error::Error for BadName {}

impl From<BadName> for io::Error {
    fn from(e: BadName) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// Turn an id or flow name into one safe path component: characters outside
/// `[A-Za-z0-9._-]` become `_`, long names are cut (on a char boundary, which is
/// trivially true after the ASCII mapping). Empty, `.` and `..` are refused.
pub fn sanitize(name: &str) -> Result<String, BadName> {
    // Most names are safe as they are: one copy, not a char-by-char rebuild
    // (100,000 flows' stems are claimed for the histogram logs).
    if already_safe(name) {
        return Ok(name.to_string());
    }
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(MAX_COMPONENT_LEN);
    if out.is_empty() || out == "." || out == ".." {
        return Err(BadName(name.to_string()));
    }
    Ok(out)
}

/// Whether [`sanitize`] gives `name` back unchanged.
fn already_safe(name: &str) -> bool {
    let safe = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    let plain = !name.is_empty() && name != "." && name != "..";
    plain && name.len() <= MAX_COMPONENT_LEN && name.bytes().all(safe)
}

/// The output folder: creates it and hands out paths that are proven to lie inside.
#[derive(Debug, Clone)]
pub struct OutputDir {
    root: PathBuf,
}

impl OutputDir {
    /// Create `root` (and parents) if needed.
    pub fn create(root: &Path) -> io::Result<OutputDir> {
        std::fs::create_dir_all(root)?;
        Ok(OutputDir {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `root/<subdir>/<sanitize(stem)><ext>`, creating `subdir` (itself a fixed,
    /// program-chosen name, but checked anyway). Fails if the result is not inside
    /// the root, including through a symlinked sub-folder.
    pub fn file(&self, subdir: Option<&str>, stem: &str, ext: &str) -> io::Result<PathBuf> {
        let mut dir = self.root.clone();
        if let Some(sub) = subdir {
            dir.push(sanitize(sub)?);
            std::fs::create_dir_all(&dir)?;
        }
        let path = dir.join(format!("{}{}", sanitize(stem)?, ext));
        self.check_inside(&path)?;
        Ok(path)
    }

    /// `root/<subdir>`, created and checked once, for writing many files into it
    /// (thousands of `.hgrm` files): [`CheckedDir::file`] then only sanitizes the
    /// stem, a single path component, instead of resolving both folders again.
    pub fn subdir(&self, subdir: &str) -> io::Result<CheckedDir> {
        let dir = self.root.join(sanitize(subdir)?);
        std::fs::create_dir_all(&dir)?;
        self.check_inside(&dir.join("x"))?;
        Ok(CheckedDir { dir })
    }

    /// Refuse any path that leaves the root lexically or (for existing folders)
    /// after resolving symlinks.
    fn check_inside(&self, path: &Path) -> io::Result<()> {
        let rel = path.strip_prefix(&self.root).map_err(|_| outside(path))?;
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(outside(path));
        }
        if let Some(parent) = path.parent() {
            let root = self.root.canonicalize()?;
            let real_parent = parent.canonicalize()?;
            if !real_parent.starts_with(&root) {
                return Err(outside(path));
            }
        }
        Ok(())
    }
}

/// A sub-folder of the output folder already proven to lie inside it.
#[derive(Debug, Clone)]
pub struct CheckedDir {
    dir: PathBuf,
}

impl CheckedDir {
    /// `<dir>/<sanitize(stem)><ext>`: a sanitized stem is one normal component, so
    /// the file is inside the checked folder.
    pub fn file(&self, stem: &str, ext: &str) -> io::Result<PathBuf> {
        Ok(self.dir.join(format!("{}{}", sanitize(stem)?, ext)))
    }
}

/// Create `path` afresh: an existing file (or symlink) is removed first rather than
/// truncated. Overwriting by truncation makes ext4 (`auto_da_alloc`) flush each file
/// on close, which made re-running into the same folder with 10k flows take a second
/// longer; a removed symlink is never followed.
pub fn create_file(path: &Path) -> io::Result<std::fs::File> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::File::create_new(path)
}

/// Write a small file whole (thousands of `.hgrm` files per run). An existing
/// regular file is overwritten in place and only shortened if the new text is
/// shorter: on ext4 both removing a file and truncating it free its blocks, which
/// on a file system mounted with `discard` waits for the device, and truncation
/// also forces a flush on close (`auto_da_alloc`); re-running into the same folder
/// with 10k flows spent a second on that. A symlink (or anything not a regular
/// file) is removed and replaced, never followed.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => {
            let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
            f.write_all(bytes)?;
            if m.len() > bytes.len() as u64 {
                f.set_len(bytes.len() as u64)?;
            }
            Ok(())
        }
        _ => create_file(path)?.write_all(bytes),
    }
}

fn outside(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} would be outside the output folder", path.display()),
    )
}

/// Hands out distinct sanitized stems: two flows named `a/b` and `a_b` get `a_b` and
/// `a_b_2`, in the order asked (deterministic given the flow order).
#[derive(Debug, Default)]
pub struct UniqueNames<'a> {
    /// Hashed: only membership matters (the order of claims sets the names).
    /// Names claimed with [`UniqueNames::claim_str`] that were safe and free
    /// are borrowed, not copied.
    used: HashSet<Cow<'a, str>, crate::policy::conntrack::FxBuild>,
}

impl<'a> UniqueNames<'a> {
    /// Room for `n` names without growing (a run's flows are claimed at once).
    pub fn with_capacity(n: usize) -> Self {
        let mut used = HashSet::default();
        used.reserve(n);
        UniqueNames { used }
    }

    pub fn claim(&mut self, name: &str) -> Result<String, BadName> {
        let base = sanitize(name)?;
        let mut candidate = base.clone();
        let mut n = 2u32;
        while !self.used.insert(Cow::Owned(candidate.clone())) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        Ok(candidate)
    }

    /// [`UniqueNames::claim`] of a name that outlives `self`: most names are
    /// safe and free, and are then handed back as they are, without a copy
    /// (100,000 flows claim their stems for the histogram logs: three copies
    /// of each name were 96 M instructions).
    ///
    /// One lookup for a safe name: inserting it tells whether it was free (a
    /// taken name stays as it was, and `claim` then finds the next free one).
    pub fn claim_str(&mut self, name: &'a str) -> Result<Cow<'a, str>, BadName> {
        if already_safe(name) && self.used.insert(Cow::Borrowed(name)) {
            return Ok(Cow::Borrowed(name));
        }
        self.claim(name).map(Cow::Owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_safe_characters() {
        assert_eq!(sanitize("eni-0a1.B_2").as_deref(), Ok("eni-0a1.B_2"));
    }

    #[test]
    fn sanitize_replaces_separators_and_unicode() {
        assert_eq!(
            sanitize("../../etc/passwd").as_deref(),
            Ok(".._.._etc_passwd")
        );
        assert_eq!(sanitize("web→db 1").as_deref(), Ok("web_db_1"));
        assert_eq!(sanitize("a\\b\0c").as_deref(), Ok("a_b_c"));
    }

    #[test]
    fn sanitize_rejects_empty_and_dot_names() {
        for bad in ["", ".", ".."] {
            assert_eq!(sanitize(bad), Err(BadName(bad.to_string())));
        }
        // Three dots is an ordinary (if odd) file name, not a traversal.
        assert!(sanitize("...").is_ok());
    }

    #[test]
    fn sanitize_cuts_long_names() {
        let long = "x".repeat(1000);
        assert_eq!(sanitize(&long).map(|s| s.len()), Ok(MAX_COMPONENT_LEN));
    }

    #[test]
    fn files_stay_inside_the_root() {
        let tmp = std::env::temp_dir().join(format!("peeremu-paths-{}", std::process::id()));
        let dir = OutputDir::create(&tmp).unwrap();
        let p = dir.file(Some("latency"), "../../x", ".hgrm").unwrap();
        assert_eq!(p, tmp.join("latency").join(".._.._x.hgrm"));
        assert!(dir.file(None, "..", ".hgrm").is_err());
        assert!(dir.file(Some(".."), "x", ".hgrm").is_err());
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_subfolder_is_refused() {
        let base = std::env::temp_dir().join(format!("peeremu-link-{}", std::process::id()));
        let root = base.join("out");
        let elsewhere = base.join("elsewhere");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("latency")).unwrap();
        let dir = OutputDir::create(&root).unwrap();
        assert!(dir.file(Some("latency"), "f", ".hgrm").is_err());
        assert!(dir.subdir("latency").is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn checked_subdir_files_and_fresh_creation() {
        let tmp = std::env::temp_dir().join(format!("peeremu-sub-{}", std::process::id()));
        let dir = OutputDir::create(&tmp).unwrap();
        let sub = dir.subdir("latency").unwrap();
        let p = sub.file("../x", ".hgrm").unwrap();
        assert_eq!(p, tmp.join("latency").join(".._x.hgrm"));
        assert!(sub.file("..", "").is_err());
        assert!(dir.subdir("..").is_err());
        std::fs::write(&p, "old contents").unwrap();
        use std::io::Write as _;
        create_file(&p).unwrap().write_all(b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn write_file_overwrites_in_place_and_shortens() {
        let tmp = std::env::temp_dir().join(format!("peeremu-wf-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let p = tmp.join("f.hgrm");
        write_file(&p, b"first version, long").unwrap();
        write_file(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        write_file(&p, b"third, longer than second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"third, longer than second");
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn write_file_replaces_a_symlink_instead_of_following_it() {
        let base = std::env::temp_dir().join(format!("peeremu-wfl-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let target = base.join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = base.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_file(&link, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert_eq!(std::fs::read(&link).unwrap(), b"new");
        assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn fresh_creation_replaces_a_symlink_instead_of_following_it() {
        let base = std::env::temp_dir().join(format!("peeremu-fresh-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let target = base.join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = base.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        drop(create_file(&link).unwrap());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn unique_names_disambiguate_collisions() {
        let mut names = UniqueNames::default();
        assert_eq!(names.claim("a/b").as_deref(), Ok("a_b"));
        assert_eq!(names.claim("a_b").as_deref(), Ok("a_b_2"));
        assert_eq!(names.claim("a b").as_deref(), Ok("a_b_3"));
        assert!(names.claim("..").is_err());
    }

    /// Names of every length around the hasher's 8-byte words, and names
    /// that differ only in their last byte: each claimed twice.
    #[test]
    fn names_of_any_length_are_told_apart() {
        let mut names = UniqueNames::default();
        let asked: Vec<String> = (0..20)
            .flat_map(|n| ["a".repeat(n), format!("{}b", "a".repeat(n))])
            .collect();
        for name in &asked {
            let first = names.claim_str(name);
            if name.is_empty() {
                assert!(first.is_err());
                continue;
            }
            assert_eq!(first.as_deref(), Ok(name.as_str()));
        }
        for name in asked.iter().filter(|n| !n.is_empty()) {
            assert_eq!(names.claim_str(name), Ok(Cow::Owned(format!("{name}_2"))));
        }
    }

    /// Borrowed and copied claims share one set: the same names, in the same
    /// order, as `claim` alone gives; only safe, free names are borrowed.
    #[test]
    fn borrowed_claims_give_the_names_claim_gives() {
        let asked = ["a_b", "a/b", "a_b", "x", "a_b_2", "..", "x"];
        let mut copied = UniqueNames::default();
        let mut borrowed = UniqueNames::default();
        for name in asked {
            let by_str = borrowed.claim_str(name);
            assert_eq!(by_str.as_deref(), copied.claim(name).as_deref(), "{name}");
            if let Ok(stem) = by_str {
                assert_eq!(matches!(stem, Cow::Borrowed(_)), stem == name, "{name}");
            }
        }
        assert_eq!(borrowed.claim_str("a_b_2").as_deref(), Ok("a_b_2_3"));
    }
}
