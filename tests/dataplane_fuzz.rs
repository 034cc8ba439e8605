//! Bad input never panics the router: random bytes and mutated real frames, from
//! every ingress of every example topology, always yield at least one action, and
//! undecodable frames are dropped as MALFORMED.

use peeremu::dataplane::test_net::frames;
use peeremu::dataplane::{Action, Dataplane, Ingress};
use peeremu::model::{DropReason, EniIdx, HostIdx, Network};
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

fn networks() -> &'static Vec<Network> {
    static NETS: OnceLock<Vec<Network>> = OnceLock::new();
    NETS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| peeremu::topology::load_file(f).unwrap())
            .collect()
    })
}

fn ingresses(net: &Network) -> Vec<Ingress> {
    let enis = (0..net.enis.len()).map(|i| Ingress::Eni(EniIdx(i as u32)));
    let hosts = (0..net.external_hosts.len()).map(|i| Ingress::External(HostIdx(i as u32)));
    enis.chain(hosts)
        .chain([Ingress::Eni(EniIdx(9999))])
        .collect()
}

fn process_all(frame: &[u8]) -> Vec<Action> {
    let mut all = Vec::new();
    for net in networks() {
        let mut dp = Dataplane::new(net);
        for ingress in ingresses(net) {
            let mut out = Vec::new();
            dp.process(0, ingress, frame.to_vec(), &mut out);
            assert!(!out.is_empty(), "every frame gets a verdict");
            all.extend(out);
        }
    }
    all
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
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn random_bytes_are_dropped_as_malformed(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        // Without a valid IPv4/IPv6 header checksum and lengths, nothing is forwarded.
        let decodable = peeremu::wire::parse_frame(&bytes).is_ok();
        for a in process_all(&bytes) {
            if !decodable {
                let is_malformed = matches!(a, Action::Drop { reason: DropReason::Malformed, .. });
                prop_assert!(is_malformed);
            }
        }
    }

    #[test]
    fn mutated_frames_never_panic(pos in 0usize..120, byte in any::<u8>(), cut in 0usize..130) {
        let mut f = frames::udp("10.0.1.10", "10.1.1.20", 5000, 5432, 60, false);
        let i = pos % f.len();
        f[i] = byte;
        f.truncate(cut.max(1).min(f.len()));
        process_all(&f);
        let mut t = frames::tcp("10.0.1.10", "10.1.1.20", 40000, 5432, 0x02, 40);
        let j = pos % t.len();
        t[j] ^= byte;
        process_all(&t);
    }
}
