//! The `peeremu run` command line as a user meets it (the binary, exit codes).

use std::process::Command;

fn peeremu(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .args(args)
        .output()
        .expect("run the peeremu binary")
}

#[test]
fn missing_topology_exits_2_naming_the_file() {
    let out = peeremu(&[
        "run",
        "/nonexistent/peeremu-topology.toml",
        "--out",
        "/nonexistent/out",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/peeremu-topology.toml"), "{err}");
    // Nothing was created for a topology that did not load.
    assert!(!std::path::Path::new("/nonexistent/out").exists());
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["run"][..],
        &["run", "t.toml", "--duration", "-3"],
        &["run", "t.toml", "--account-id", "42"],
        &["run", "t.toml", "--quiet", "--json"],
    ] {
        assert_eq!(peeremu(args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn help_lists_every_option() {
    let out = peeremu(&["run", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--out",
        "--seed",
        "--no-capture",
        "--duration",
        "--quiet",
        "--json",
        "--account-id",
        "--max-capture",
        "--snaplen",
    ] {
        assert!(help.contains(opt), "{opt} missing from\n{help}");
    }
}
