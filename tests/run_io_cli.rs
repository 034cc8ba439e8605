//! Output, I/O and signals as a user meets them (issue 11, "hostile input"): the
//! real binary writing into a closed pipe or a full device, two runs into one
//! folder, a disk that fills up, SIGTERM/SIGINT at any moment, and captures that
//! would grow without bound.

mod run_support;

use run_support::*;
use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn topo(name: &str) -> PathBuf {
    repo().join("topologies").join(format!("{name}.toml"))
}

/// One invocation of every subcommand (and `--help`), each of which writes to
/// stdout; `out` is a scratch folder for `run`.
fn every_subcommand(out: &Path) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let t = |n: &str| topo(n).display().to_string();
    vec![
        s(&["check", &t("two-vpc-peering"), &t("nacl-ephemeral")]),
        s(&[
            "trace",
            &t("two-vpc-peering"),
            "--from",
            "app",
            "--to",
            "db",
            "--port",
            "5432",
        ]),
        s(&[
            "run",
            &t("nacl-ephemeral"),
            "--no-capture",
            "--out",
            &out.display().to_string(),
        ]),
        s(&["bench", "--synthetic", "1000", "--lookups", "1000"]),
        s(&["--help"]),
    ]
}

/// The write end of a pipe whose read end is already closed: the first write
/// fails with EPIPE, deterministically (as `| head -1` does once head has exited).
#[cfg(target_os = "linux")]
fn closed_pipe() -> File {
    use std::os::unix::io::FromRawFd;
    let mut fds = [0i32; 2];
    // SAFETY: pipe fills both descriptors, which we own from here on.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe {
        libc::close(fds[0]);
        File::from_raw_fd(fds[1])
    }
}

fn dev_full() -> File {
    File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

/// Before: `failed printing to stdout: Broken pipe`, a panic, exit 101.
#[cfg(target_os = "linux")]
#[test]
fn a_closed_pipe_ends_every_subcommand_quietly_with_exit_0() {
    let dir = temp_dir("epipe");
    for args in every_subcommand(&dir.join("out")) {
        let o = peeremu()
            .args(&args)
            .stdout(Stdio::from(closed_pipe()))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}\n{stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Before: a panic (exit 101). Now one line naming the problem, exit 2.
#[test]
fn a_full_stdout_is_an_error_with_exit_2() {
    let dir = temp_dir("devfull");
    for args in every_subcommand(&dir.join("out")) {
        let o = peeremu()
            .args(&args)
            .stdout(Stdio::from(dev_full()))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}\n{stderr}");
        assert!(
            stderr.contains("cannot write to standard output")
                && stderr.contains("No space left on device")
                && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Diagnostics into a full stderr: the status still says what happened.
#[test]
fn a_full_stderr_does_not_panic() {
    let bad = topo("invalid/duplicate-id");
    for args in [
        vec!["check".to_string(), bad.display().to_string()],
        vec![
            "trace".into(),
            bad.display().to_string(),
            "--from".into(),
            "a".into(),
            "--to".into(),
            "b".into(),
        ],
    ] {
        let o = peeremu()
            .args(&args)
            .stderr(Stdio::from(dev_full()))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    // Nothing on stderr to lose: exit 0 as usual.
    let o = peeremu()
        .args(["check"])
        .arg(topo("two-vpc-peering"))
        .stderr(Stdio::from(dev_full()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

/// [`ENDLESS`] with `n` flows between 2n instances (enough for setup to take a
/// while with large `n`).
fn endless_with_flows(n: usize) -> String {
    let mut t = String::from(
        "name = \"endless-many\"\n[[vpc]]\nid = \"vpc-a\"\nregion = \"us-east-1\"\ncidr = \"10.0.0.0/16\"\n\
         [[subnet]]\nid = \"subnet-a\"\nvpc = \"vpc-a\"\naz = \"us-east-1a\"\ncidr = \"10.0.0.0/16\"\n",
    );
    for i in 0..2 * n {
        t.push_str(&format!(
            "[[instance]]\nid = \"i-{i}\"\nsubnet = \"subnet-a\"\nprivate_ip = \"10.0.{}.{}\"\n",
            10 + i / 200,
            10 + i % 200
        ));
    }
    for i in 0..n {
        t.push_str(&format!(
            "[[flow]]\nname = \"f{i}\"\nkind = \"udp\"\nfrom = \"i-{}\"\nto = \"i-{}\"\nsize = 100\ncount = 100000000\nrate_pps = 10000\n",
            2 * i,
            2 * i + 1
        ));
    }
    t
}

fn spawn_run(topology: &Path, out: &Path, extra: &[&str]) -> Child {
    peeremu()
        .arg("run")
        .arg(topology)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn peeremu")
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(ok.success());
}

/// Wait for `child` (at most a minute: far longer than a run that reacts needs,
/// far shorter than the endless run takes otherwise). Returns (status, stderr).
fn wait(mut child: Child) -> (ExitStatus, String) {
    let t0 = Instant::now();
    while child.try_wait().expect("poll child").is_none() {
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("peeremu did not stop within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().expect("collect output");
    (o.status, String::from_utf8_lossy(&o.stderr).into_owned())
}

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < Duration::from_secs(60), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sibling folders a run leaves behind besides `out` and its lock file.
fn leftovers(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.")) && *n != format!(".{name}.lock"))
        .collect()
}

/// Read every block of a pcapng file; panics on a truncated or corrupt file.
fn read_pcapng_to_end(path: &Path) -> usize {
    let bytes = std::fs::read(path).expect("read pcapng");
    let mut reader = pcap_file::pcapng::PcapNgReader::new(&bytes[..])
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut packets = 0;
    while let Some(block) = reader.next_block() {
        let block = block.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let pcap_file::pcapng::Block::EnhancedPacket(_) = block {
            packets += 1;
        }
    }
    packets
}

/// Every pcapng file of `out` reads to its end (no block cut short).
fn captures_read_whole(out: &Path) -> usize {
    let files = pcapngs(out);
    // points/ files are opened on a point's first frame: maybe none yet.
    assert!(
        out.join("capture.pcapng").is_file() && out.join("drops.pcapng").is_file(),
        "{files:?}"
    );
    files.iter().map(|f| read_pcapng_to_end(f)).sum()
}

/// A second run into a folder another run is writing fails at once (exit 2)
/// without touching it; the first, stopped by SIGTERM, finishes whole.
#[test]
fn a_second_run_into_the_same_folder_fails_at_once() {
    let dir = temp_dir("concurrent");
    let topology = dir.join("endless.toml");
    std::fs::write(&topology, ENDLESS).unwrap();
    let out = dir.join("out");
    let first = spawn_run(&topology, &out, &[]);
    wait_until("the first run writes captures", || run_under_way(&out));
    let second = peeremu()
        .arg("run")
        .arg(&topology)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another run is writing to"), "{stderr}");
    assert!(!out.exists(), "the second run wrote into the folder");
    signal(&first, "-TERM");
    let (status, stderr) = wait(first);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(read_summary(&out)["interrupted"], Value::Bool(true));
    assert!(captures_read_whole(&out) > 0);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    let _ = std::fs::remove_dir_all(dir);
}

/// A run replaces the previous run's folder whole: no file of the old run stays
/// (before, a `--no-capture` rerun left the old captures beside the new summary).
#[test]
fn a_rerun_replaces_the_folder_whole() {
    let dir = temp_dir("rerun");
    let out = dir.join("out");
    let o = run(&topo("nacl-ephemeral"), &out, &[]);
    assert!(
        o.status.code() == Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.join("capture.pcapng").exists());
    let o = run(&topo("nacl-ephemeral"), &out, &["--no-capture"]);
    assert!(
        o.status.code() == Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.join("capture.pcapng").exists());
    assert!(out.join("summary.json").exists());
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    let _ = std::fs::remove_dir_all(dir);
}

/// A folder that holds something other than a run is refused, not replaced.
#[test]
fn a_folder_that_is_not_a_run_is_left_alone() {
    let dir = temp_dir("foreign");
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let o = run(&topo("nacl-ephemeral"), &dir, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not a peeremu run folder"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Run with every file limited to `bytes` (RLIMIT_FSIZE, SIGXFSZ ignored): writes
/// beyond fail with EFBIG, as they would with ENOSPC on a full disk.
#[cfg(target_os = "linux")]
fn run_with_file_size_limit(topology: &Path, out: &Path, bytes: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = peeremu();
    cmd.arg("run")
        .arg(topology)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--duration", "2"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("run peeremu")
}

/// Outputs that cannot be written make the run fail clearly (exit 2), leave no
/// partial files, and keep the previous run's folder as it was.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_run_and_keeps_the_previous_folder() {
    let dir = temp_dir("full-disk");
    let topology = dir.join("endless.toml");
    std::fs::write(&topology, ENDLESS).unwrap();
    let out = dir.join("out");
    let o = run_with_file_size_limit(&topology, &out, 256 * 1024);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("writing outputs failed") && stderr.contains("File too large"),
        "{stderr}"
    );
    assert!(!out.exists(), "a failed run left {:?}", files_under(&out));
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    // With a previous run in place, it stays as it was.
    let o = run(&topo("nacl-ephemeral"), &out, &[]);
    assert_eq!(o.status.code(), Some(0));
    let before = std::fs::read(out.join("summary.json")).unwrap();
    let o = run_with_file_size_limit(&topology, &out, 256 * 1024);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    let _ = std::fs::remove_dir_all(dir);
}

/// A read-only place for the run folder: exit 2 naming it, nothing created.
#[test]
fn an_unwritable_output_folder_is_exit_2() {
    let o = run(&topo("nacl-ephemeral"), Path::new("/proc/peeremu-out"), &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/proc"), "{stderr}");
}

/// SIGTERM is handled like Ctrl-C: the run stops, writes what was done, says
/// `"interrupted": true`, closes its captures on whole blocks, exits 130.
#[test]
fn sigterm_stops_the_run_and_leaves_complete_files() {
    let dir = temp_dir("sigterm");
    let topology = dir.join("endless.toml");
    std::fs::write(&topology, ENDLESS).unwrap();
    let out = dir.join("out");
    let child = spawn_run(&topology, &out, &[]);
    wait_until("the run writes captures", || run_under_way(&out));
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, "-TERM");
    let (status, stderr) = wait(child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    let s = read_summary(&out);
    assert_eq!(s["interrupted"], Value::Bool(true));
    assert!(flows(&s)[0]["sent_packets"].as_u64() > Some(0));
    assert!(captures_read_whole(&out) > 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// A signal at any moment, from start-up through setup (2,000 flows) into the
/// simulation, SIGTERM or SIGINT (the latter with SIGINT ignored on entry, as a
/// shell script's `peeremu run … &` starts it): the process ends promptly with
/// exit 130 (or by the signal itself, when it comes before `main` runs), and
/// either leaves no folder (stopped while reading the topology,
/// before any output existed) or a whole one that says it was interrupted. Never
/// a partial folder. Before, SIGINT was ignored for the whole run (exit 0,
/// `"interrupted": false`) and SIGTERM cut captures mid-block.
#[cfg(target_os = "linux")]
#[test]
fn a_signal_at_any_phase_leaves_a_whole_folder_or_none() {
    use std::os::unix::process::CommandExt;
    let dir = temp_dir("phases");
    let topology = dir.join("many.toml");
    std::fs::write(&topology, endless_with_flows(2000)).unwrap();
    // Delays after spawning; `None`: once captures are being written.
    let delays = [Some(0u64), Some(50), Some(150), Some(400), None, None];
    for (i, delay) in delays.into_iter().enumerate() {
        let sig = if i % 2 == 0 { "-TERM" } else { "-INT" };
        let out = dir.join(format!("out-{i}"));
        let mut cmd = peeremu();
        cmd.arg("run")
            .arg(&topology)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: only an async-signal-safe call between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_IGN);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn peeremu");
        match delay {
            Some(ms) => std::thread::sleep(Duration::from_millis(ms)),
            None => {
                wait_until("the run writes captures", || run_under_way(&out));
                std::thread::sleep(Duration::from_millis(300));
            }
        }
        signal(&child, sig);
        let (status, stderr) = wait(child);
        let case = format!("{sig} after {delay:?} ms");
        // A signal before `main` has installed the handler (right after exec) ends
        // the process by its default action: then too nothing was written.
        use std::os::unix::process::ExitStatusExt;
        let early = status.signal().is_some() && delay.is_some_and(|ms| ms < 100);
        assert!(
            status.code() == Some(130) || early,
            "{case}: {status:?}\n{stderr}"
        );
        assert!(leftovers(&out).is_empty(), "{case}: {:?}", leftovers(&out));
        if delay.is_none() {
            assert!(out.exists(), "{case}");
        }
        if out.exists() {
            let s = read_summary(&out);
            assert_eq!(s["interrupted"], Value::Bool(true), "{case}");
            captures_read_whole(&out);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// [`ENDLESS`] with a finite flow: `count` datagrams at 100k/s, no expectation.
fn finite(count: u64) -> String {
    ENDLESS
        .replace("count = 100000000", &format!("count = {count}"))
        .replace("expect = \"delivered\"\n", "")
}

/// `--max-capture`: the capture files stop growing at the limit, the run says so
/// (terminal and summary.json), and every frame is still counted.
#[test]
fn captures_stop_at_the_size_limit_and_the_rest_is_counted() {
    let dir = temp_dir("max-capture");
    let topology = dir.join("finite.toml");
    std::fs::write(&topology, finite(20_000)).unwrap();
    let out = dir.join("out");
    let o = peeremu()
        .arg("run")
        .arg(&topology)
        .arg("--out")
        .arg(&out)
        .args(["--max-capture", "200K"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("captures reached --max-capture (200.0 KiB)"),
        "{stderr}"
    );
    assert!(
        stdout.contains("captures: stopped at --max-capture (200.0 KiB)"),
        "{stdout}"
    );
    let s = read_summary(&out);
    assert_eq!(s["capture_truncated"], Value::Bool(true));
    let not_captured = s["frames_not_captured"].as_u64().unwrap();
    let f = &flows(&s)[0];
    assert_eq!(f["delivered_packets"].as_u64(), Some(20_000), "{f}");
    let total: u64 = pcapngs(&out)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(total <= 200 * 1024, "{total} bytes of captures");
    assert!(total > 150 * 1024, "only {total} bytes of captures");
    // Each datagram is seen at both ENIs: captured or counted, never lost.
    let captured = read_pcapng_to_end(&out.join("capture.pcapng")) as u64;
    assert!(captured > 0);
    assert_eq!(captured + not_captured, 2 * 20_000);
    // The flow log still has every packet.
    let log = std::fs::read_to_string(out.join("flowlogs.log")).unwrap();
    let packets: u64 = log
        .lines()
        .map(|l| l.split(' ').nth(8).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(packets, 2 * 20_000, "{log}");
    // Under the default limit nothing is cut.
    let o = run(&topology, &out, &[]);
    assert_eq!(o.status.code(), Some(0));
    let s = read_summary(&out);
    assert_eq!(s["capture_truncated"], Value::Bool(false));
    assert_eq!(s["frames_not_captured"], 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// `--snaplen`: frames are cut in the captures, their length on the wire kept.
#[test]
fn snaplen_cuts_captured_frames() {
    use pcap_file::pcapng::{Block, PcapNgReader};
    let dir = temp_dir("snaplen");
    let topology = dir.join("finite.toml");
    std::fs::write(&topology, finite(10)).unwrap();
    let out = dir.join("out");
    let o = run(&topology, &out, &["--snaplen", "64"]);
    assert_eq!(o.status.code(), Some(0));
    let bytes = std::fs::read(out.join("capture.pcapng")).unwrap();
    let mut r = PcapNgReader::new(&bytes[..]).unwrap();
    let mut lens = Vec::new();
    while let Some(b) = r.next_block() {
        if let Block::EnhancedPacket(p) = b.unwrap() {
            lens.push((p.data.len(), p.original_len));
        }
    }
    // Ten 100-byte datagrams, each seen at both ENIs, cut to 64 bytes.
    assert_eq!(lens.len(), 20);
    assert!(
        lens.iter()
            .all(|&(cut, len)| cut == 64 && len >= 14 + 20 + 100),
        "{lens:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A SIGHUP ignored on entry (`nohup peeremu run …`) stays ignored: the run goes
/// on after a hangup, and a later SIGTERM is the first signal it reacts to.
#[cfg(target_os = "linux")]
#[test]
fn nohup_keeps_sighup_ignored() {
    use std::os::unix::process::CommandExt;
    let dir = temp_dir("nohup");
    let topology = dir.join("endless.toml");
    std::fs::write(&topology, ENDLESS).unwrap();
    let out = dir.join("out");
    let mut cmd = peeremu();
    cmd.arg("run")
        .arg(&topology)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only an async-signal-safe call between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn peeremu");
    wait_until("the run writes captures", || run_under_way(&out));
    signal(&child, "-HUP");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP stopped the run"
    );
    signal(&child, "-TERM");
    let (status, stderr) = wait(child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(stderr.matches("interrupted").count(), 1, "{stderr}");
    assert_eq!(read_summary(&out)["interrupted"], Value::Bool(true));
    let _ = std::fs::remove_dir_all(dir);
}
