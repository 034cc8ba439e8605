//! `peeremu check` end to end: every example topology is valid, every file in
//! `topologies/invalid/` is rejected with exactly the messages (line:col, object,
//! rule) its `# expect:` header lines list, and a missing file is a clear error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn peeremu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run peeremu")
}

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn rel(p: &Path) -> String {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .expect("inside the crate")
        .display()
        .to_string()
}

#[test]
fn every_example_topology_is_valid() {
    let files = toml_files("topologies");
    let names: Vec<String> = files.iter().map(|p| rel(p)).collect();
    for required in [
        "two-vpc-peering",
        "inter-region-mtu",
        "transitive-peering",
        "edge-to-edge",
        "nacl-ephemeral",
        "shared-services",
        "internet-egress",
    ] {
        assert!(
            names.contains(&format!("topologies/{required}.toml")),
            "missing example {required}"
        );
    }
    for f in &names {
        let out = peeremu(&["check", f]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with(&format!("{f}: OK — ")), "{stdout}");
        // Each example is headed by a comment saying what it shows.
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(f))
            .expect("read example");
        // After the editor's schema directive (Taplo / Even Better TOML).
        let text = text
            .strip_prefix("#:schema ../schema/topology.schema.json\n")
            .unwrap_or_else(|| panic!("{f} must start with the #:schema line"));
        assert!(text.starts_with("# "), "{f} must start with a comment");
        assert!(text.contains("Expect"), "{f} must say what to expect");
    }
}

#[test]
fn every_invalid_topology_is_rejected_with_its_expected_messages() {
    let files = toml_files("topologies/invalid");
    assert!(files.len() >= 40, "only {} invalid files", files.len());
    for path in &files {
        let f = rel(path);
        let text = std::fs::read_to_string(path).expect("read");
        let expected: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|e| format!("{f}:{e}"))
            .collect();
        assert!(!expected.is_empty(), "{f} has no `# expect:` line");
        let out = peeremu(&["check", &f]);
        assert_eq!(out.status.code(), Some(2), "{f} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let got: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains(": invalid topology ("))
            .collect();
        assert_eq!(got, expected, "{f}: messages differ");
        let n = expected.len();
        let summary = format!(
            "{f}: invalid topology ({n} error{})",
            if n == 1 { "" } else { "s" }
        );
        assert!(stderr.contains(&summary), "{stderr}");
    }
}

#[test]
fn all_errors_are_reported_in_file_order() {
    let out = peeremu(&["check", "topologies/invalid/all-errors.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let positions: Vec<(usize, usize)> = stderr
        .lines()
        .filter(|l| !l.contains("invalid topology"))
        .map(|l| {
            let mut parts = l.split(':');
            let _file = parts.next();
            let line = parts.next().and_then(|x| x.parse().ok()).expect("line");
            let col = parts.next().and_then(|x| x.parse().ok()).expect("col");
            (line, col)
        })
        .collect();
    assert_eq!(positions.len(), 6, "{stderr}");
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted);
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = peeremu(&["check", "topologies/no-such-file.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("topologies/no-such-file.toml: cannot read the topology file"),
        "{stderr}"
    );
}

#[test]
fn several_files_exit_2_if_any_is_invalid() {
    let out = peeremu(&[
        "check",
        "topologies/two-vpc-peering.toml",
        "topologies/invalid/peering-overlap.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("two-vpc-peering.toml: OK"));
}

#[test]
fn five_independent_mistakes_in_five_objects_are_reported_in_one_pass() {
    // topologies/invalid/one-pass.toml: an unknown key in a subnet, overlapping
    // subnets, an unknown route target, a port out of range in a security group
    // rule, a reserved address on an instance.
    let out = peeremu(&["check", "topologies/invalid/one-pass.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("invalid topology"))
        .collect();
    assert_eq!(errors.len(), 5, "{stderr}");
    for (rule_words, object) in [
        ("unknown key `route_tabel`", "subnet subnet-app"),
        ("overlaps", "subnet subnet-web"),
        ("unknown route target `igw-nope`", "route table rtb-app"),
        ("out of range", "security group sg-app"),
        ("reserved by AWS", "instance i-db"),
    ] {
        assert!(
            errors
                .iter()
                .any(|l| l.contains(object) && l.contains(rule_words)),
            "no `{rule_words}` for {object}:\n{stderr}"
        );
    }
    // Nothing that only follows from them: the subnet with the unknown key is
    // kept, so the instance and NAT gateway in it are not "unknown subnet".
    assert!(!stderr.contains("unknown subnet"), "{stderr}");
    // Each is file:line:col.
    for l in &errors {
        let mut parts = l.split(':');
        assert_eq!(parts.next(), Some("topologies/invalid/one-pass.toml"));
        assert!(parts.next().is_some_and(|x| x.parse::<usize>().is_ok()));
        assert!(parts.next().is_some_and(|x| x.parse::<usize>().is_ok()));
    }
}

/// The `# warning: line:col: object: message` lines of a file's header, as
/// `check` prints them.
fn expected_warnings(f: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(f))
        .expect("read example");
    text.lines()
        .filter_map(|l| l.strip_prefix("# warning: "))
        .map(|w| {
            // `12:5: object: …` → `f:12:5: warning: object: …`
            let mut parts = w.splitn(3, ':');
            let (line, col, rest) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or("").trim_start(),
            );
            format!("{f}:{line}:{col}: warning: {rest}")
        })
        .collect()
}

#[test]
fn examples_warn_exactly_as_their_headers_say_and_deny_warnings_rejects_them() {
    // Every example folder but `invalid/` (whose files fail `check`).
    let mut files = toml_files("topologies");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("read topologies")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir() && !p.ends_with("invalid"))
        .collect();
    folders.sort();
    for folder in &folders {
        files.extend(toml_files(&rel(folder)));
    }
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(root.join("peering-vs-tgw"))),
        "sub-folders of topologies/ are checked too"
    );
    let mut warned = 0;
    for path in &files {
        let f = rel(path);
        let expected = expected_warnings(&f);
        let out = peeremu(&["check", &f]);
        assert_eq!(out.status.code(), Some(0), "{f}: warnings keep exit 0");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let got: Vec<&str> = stderr.lines().collect();
        assert_eq!(got, expected, "{f}: warnings differ");
        let denied = peeremu(&["check", "--deny-warnings", &f]);
        let want = if expected.is_empty() { 0 } else { 2 };
        assert_eq!(denied.status.code(), Some(want), "{f} with --deny-warnings");
        if !expected.is_empty() {
            warned += 1;
            assert!(String::from_utf8_lossy(&denied.stderr).contains("denied by --deny-warnings"));
        }
    }
    // Every warning rule has its example in topologies/warnings/.
    for rule in peeremu::warnings::RULES {
        let example = format!("topologies/warnings/{rule}.toml");
        assert!(
            expected_warnings(&example)
                .iter()
                .any(|w| w.ends_with(&format!("[{rule}]"))),
            "{example} does not show {rule}"
        );
    }
    assert!(warned >= 4, "only {warned} examples warn");
}

#[test]
fn run_prints_warnings_and_deny_warnings_stops_it() {
    let dir = std::env::temp_dir().join(format!("peeremu-warn-{}", std::process::id()));
    let out_dir = dir.to_string_lossy().to_string();
    let f = "topologies/warnings/route-peer-cidr.toml";
    let denied = peeremu(&["run", "--deny-warnings", "--out", &out_dir, f]);
    assert_eq!(denied.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(stderr.contains(": warning: route table rtb-a:"), "{stderr}");
    assert!(!dir.exists(), "nothing is written when warnings are denied");
    let ran = peeremu(&["run", "--quiet", "--no-report", "--out", &out_dir, f]);
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(stderr.contains("[route-peer-cidr]"), "{stderr}");
    assert_eq!(ran.status.code(), Some(0), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Security group referencing across a transit gateway needs the switch on the TGW
/// and on both VPC attachments: turning it off on one attachment of the shipped
/// example makes the rule an error naming that attachment.
#[test]
fn sg_reference_across_a_tgw_needs_the_switch_on_both_attachments() {
    let f = "topologies/tgw-sg-referencing.toml";
    let ok = peeremu(&["check", f]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(f))
        .expect("read example");
    let off = text.replace(
        "subnets = [\"subnet-data-a\"]\nsecurity_group_referencing = true\n",
        "subnets = [\"subnet-data-a\"]\nsecurity_group_referencing = false\n",
    );
    assert_ne!(off, text, "the example turns the switch on explicitly");
    let dir = std::env::temp_dir().join(format!("peeremu-sgref-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("off.toml");
    std::fs::write(&path, off).expect("write");
    let out = peeremu(&["check", &path.to_string_lossy()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("security group sg-db: group sg-app is in vpc-app, which vpc-data reaches only through tgw-hub, where security group referencing is off on tgw-attach-data (`[[tgw_attachment]]`)"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
