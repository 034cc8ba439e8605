//! Bad input gets a clear error, never a panic: the example topologies, mutated at
//! random (lines dropped, duplicated or swapped, characters replaced, the file cut
//! short), always load or fail with `file:line:col:` messages inside the file; and
//! a mutant that loads (an odd but valid topology: another port, size, MTU, rule
//! or route) also runs through the whole engine without panicking.

use proptest::prelude::*;
use std::path::Path;

const EXAMPLES: [&str; 11] = [
    "two-vpc-peering.toml",
    "inter-region-mtu.toml",
    "transitive-peering.toml",
    "edge-to-edge.toml",
    "nacl-ephemeral.toml",
    "shared-services.toml",
    "internet-egress.toml",
    "tgw-hub-spokes.toml",
    "tgw-segmented.toml",
    "tgw-vpn.toml",
    "tgw-peering-inter-region.toml",
];

fn example(i: usize) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("topologies")
        .join(EXAMPLES[i % EXAMPLES.len()]);
    std::fs::read_to_string(p).expect("example exists")
}

#[derive(Debug, Clone)]
enum Mutation {
    DropLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    ReplaceChar(usize, char),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                '"', '[', ']', '=', '{', '}', ',', '\n', 'x', '9', '-', '/', '.', ' ', 'é'
            ])
        )
            .prop_map(|(a, c)| Mutation::ReplaceChar(a, c)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    if n == 0 {
        return text.to_string();
    }
    match *m {
        Mutation::DropLine(i) => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) => {
            let l = lines[i % n];
            lines.insert(i % n, l);
        }
        Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
        Mutation::ReplaceChar(i, c) => {
            let chars: Vec<char> = text.chars().collect();
            let mut chars = chars;
            let k = i % chars.len().max(1);
            if let Some(slot) = chars.get_mut(k) {
                *slot = c;
            }
            return chars.into_iter().collect();
        }
        Mutation::Truncate(i) => {
            let chars: Vec<char> = text.chars().collect();
            return chars[..i % chars.len().max(1)].iter().collect();
        }
    }
    lines.join("\n")
}

/// Random cases per run: `PEEREMU_FUZZ_CASES` or `default` (`scripts/fuzz.sh`
/// raises it for long runs).
fn cases(default: u32) -> u32 {
    std::env::var("PEEREMU_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(500), ..ProptestConfig::default() })]

    #[test]
    fn mutated_examples_never_panic(which in 0usize..6, muts in prop::collection::vec(mutation(), 1..4)) {
        let mut text = example(which);
        for m in &muts {
            text = apply(&text, m);
        }
        match peeremu::topology::load_str(&text, "m.toml") {
            Ok(net) => run_briefly(&net)?,
            Err(e) => check_messages(&e, text.lines().count().max(1) + 1)?,
        }
    }
}

/// Every message of a failed load is one line, `m.toml:LINE:COL: ...`, inside the
/// file (`line_count` allows one past the end, for "expected ... at end").
fn check_messages(
    e: &peeremu::topology::LoadError,
    line_count: usize,
) -> Result<(), TestCaseError> {
    prop_assert!(!e.messages.is_empty());
    prop_assert_eq!(e.messages.len(), e.diagnostics.len());
    for (m, d) in e.messages.iter().zip(&e.diagnostics) {
        prop_assert!(
            m.starts_with(&format!("m.toml:{}:{}: ", d.line, d.col)),
            "{}",
            m
        );
        prop_assert!(
            d.line >= 1 && d.line <= line_count,
            "{} (file has {} lines)",
            m,
            line_count
        );
        prop_assert!(d.col >= 1);
        prop_assert!(!m.contains('\n'));
    }
    Ok(())
}

/// Virtual time a loaded mutant runs for at most: every example flow starts within
/// the first second; the cap only bounds a mutant whose traffic grew (a digit
/// changed in a count or a byte total). An example runs to its end in about 10 ms
/// of wall time, so 500 cases stay quick.
const RUN_NS: u64 = 2_000_000_000;

/// Runs `net` for [`RUN_NS`] of virtual time through the VPC router and smoltcp
/// hosts. A setup error is an answer too (it names what is wrong); a panic fails
/// the test, and so does a report that lost a flow.
fn run_briefly(net: &peeremu::model::Network) -> Result<(), TestCaseError> {
    let config = peeremu::sim::SimConfig {
        time_limit_ns: Some(RUN_NS),
        ..Default::default()
    };
    match peeremu::sim::run_network(net, &config, &mut peeremu::sim::NullObserver) {
        Ok(r) => {
            prop_assert_eq!(r.reports.len(), net.flows.len());
            prop_assert!(r.totals.sim_time_ns <= RUN_NS);
        }
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}
