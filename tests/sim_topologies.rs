//! The example topologies, run end to end through the real VPC router.

use peeremu::output::Outcome;
use peeremu::sim::*;
use std::path::Path;

#[derive(Default)]
struct Tape(Vec<u8>, u64, bool);

impl Tape {
    /// Observers see time move forward only (pcapng writers rely on it).
    fn tick(&mut self, t: u64) {
        if t < self.1 {
            self.2 = true;
        }
        self.1 = t;
    }
}

impl Observer for Tape {
    fn frame(&mut self, t: u64, point: CapturePoint, dir: FrameDirection, frame: &[u8]) {
        self.tick(t);
        self.0
            .extend_from_slice(format!("{t} {point:?} {dir:?} ").as_bytes());
        self.0.extend_from_slice(frame);
    }
    fn dropped(&mut self, e: DropEvent<'_>) {
        self.tick(e.time_ns);
        self.0.extend_from_slice(
            format!("{} {} {} {:?}", e.time_ns, e.reason, e.detail, e.eni).as_bytes(),
        );
        self.0.extend_from_slice(e.frame);
    }
}

fn run_file(name: &str, seed: u64) -> (RunResult, Tape) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("topologies")
        .join(name);
    let net = peeremu::topology::load_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut tape = Tape::default();
    let cfg = SimConfig {
        seed,
        ..Default::default()
    };
    let r = run_network(&net, &cfg, &mut tape).unwrap_or_else(|e| panic!("{name}: {e}"));
    (r, tape)
}

fn describe(r: &RunResult) -> String {
    r.reports
        .iter()
        .map(|f| {
            format!(
                "{}: {} sent={} delivered={} drops={:?} expectation={:?} notes={:?}\n",
                f.name,
                f.outcome.as_str(),
                f.sent_packets,
                f.delivered_packets,
                f.drops,
                f.expectation,
                f.notes
            )
        })
        .collect()
}

/// Expectations that fail because of a known gap outside `sim`/`host`, with the
/// reason. The test fails when one of them starts passing, so the list stays true.
const KNOWN_GAPS: &[(&str, &str)] = &[];

#[test]
fn every_example_meets_its_expectations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("topologies/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let mut failures = String::new();
    for name in &names {
        let (r, tape) = run_file(name, 1);
        assert!(!tape.2, "{name}: observer saw time go backwards");
        let known = |flow: &str| KNOWN_GAPS.iter().any(|g| g.0 == name && g.1 == flow);
        for f in &r.reports {
            let met = f.expectation.as_ref().is_none_or(|e| e.1);
            if met == known(&f.name) {
                let why = if met {
                    "now met: remove it from KNOWN_GAPS"
                } else {
                    "not met"
                };
                failures.push_str(&format!("== {name} {} {why}\n{}", f.name, describe(&r)));
            }
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn inter_region_tcp_learns_the_path_mtu() {
    let (r, _) = run_file("inter-region-mtu.toml", 1);
    let tcp = r
        .reports
        .iter()
        .find(|f| f.protocol == "tcp")
        .expect("a tcp flow");
    assert_eq!(tcp.outcome, Outcome::Delivered, "{}", describe(&r));
    assert!(
        tcp.notes.iter().any(|n| n.contains("lowered to 1500")),
        "{}",
        describe(&r)
    );
}

#[test]
fn same_topology_and_seed_give_identical_bytes() {
    let (r1, t1) = run_file("inter-region-mtu.toml", 3);
    let (r2, t2) = run_file("inter-region-mtu.toml", 3);
    assert!(!t1.0.is_empty());
    assert!(t1.0 == t2.0, "observer streams differ");
    assert_eq!(r1.totals, r2.totals);
    assert_eq!(describe(&r1), describe(&r2));
}
