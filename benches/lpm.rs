//! Longest-prefix-match lookups: peeremu's `Lpm4`/`Lpm6` against `prefix-trie`,
//! `poptrie` and `ip_network_table-deps-treebitmap`, side by side, on the same
//! tables and the same keys in one run.
//!
//! Tables: 16, 1,000 and 100,000 synthetic prefixes (the full-table length mix,
//! `peeremu::lpm::generate`) and the full table: the real BGP dump when present
//! (`$PEEREMU_BGP_TABLE` or `../shared/data/bgp-full-table.txt.gz`), otherwise a
//! synthetic table of the same size. Keys: half inside table prefixes, half uniform.
//!
//! Two modes per table and implementation:
//! - `throughput`: independent lookups over a key array (the CPU may overlap them),
//!   one `lookup` call per key for every crate; peeremu is measured a second time
//!   (`peeremu-batch`) through its batched `lookup_batch`, which the others lack;
//! - `latency`: a dependent chain, every bit of each key made to depend on the
//!   previous result (see [`Chain`]), so a lookup cannot start before the previous
//!   one finished.
//!
//! Criterion reports time per batch of `KEYS` lookups and elements/s; ns/lookup is
//! time / KEYS. Memory (bytes per prefix) is printed once per table on stderr.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ip_network_table_deps_treebitmap::IpLookupTable;
use ipnet::{Ipv4Net, Ipv6Net};
use peeremu::lpm::{generate, load, Lpm4, Lpm6, BATCH};
use prefix_trie::PrefixMap;
use std::collections::HashSet;
use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

/// Keys per criterion iteration: enough that the full table's working set does not
/// fit in cache because the same few keys are replayed.
const KEYS: usize = 1 << 18;
const FULL_V4: usize = 901_899;
const FULL_V6: usize = 160_147;

/// One implementation under test.
trait Lpm<A: Copy>: Sized {
    const NAME: &'static str;
    fn build(routes: &[(A, u8, u32)]) -> Self;
    fn find(&self, a: A) -> Option<u32>;
    /// Heap bytes, where the crate reports them.
    fn bytes(&self) -> Option<usize>;
    /// The sum of the values for `keys` through the crate's batched lookup, if it
    /// has one (only peeremu does; the others are measured with the plain loop).
    fn sum_batched(&self, _keys: &[A]) -> Option<u32> {
        None
    }
}

/// Sum of `lookup_batch` answers over `keys`, [`BATCH`] at a time.
#[inline]
fn sum_batched<'t, A: Copy>(
    keys: &[A],
    lookup_batch: impl Fn(&[A], &mut [Option<&'t u32>]),
) -> u32 {
    let mut out = [None; BATCH];
    let mut sum = 0u32;
    for chunk in keys.chunks(BATCH) {
        let out = &mut out[..chunk.len()];
        lookup_batch(chunk, out);
        for v in out.iter() {
            sum = sum.wrapping_add(v.copied().unwrap_or(0));
        }
    }
    sum
}

struct Peeremu4(Lpm4<u32>);
impl Lpm<Ipv4Addr> for Peeremu4 {
    const NAME: &'static str = "peeremu";
    fn build(routes: &[(Ipv4Addr, u8, u32)]) -> Self {
        Peeremu4(Lpm4::from_routes(
            routes
                .iter()
                .filter_map(|&(a, l, v)| Some((Ipv4Net::new(a, l).ok()?, v))),
        ))
    }
    #[inline]
    fn find(&self, a: Ipv4Addr) -> Option<u32> {
        self.0.lookup(a).copied()
    }
    fn bytes(&self) -> Option<usize> {
        Some(self.0.memory_bytes())
    }
    fn sum_batched(&self, keys: &[Ipv4Addr]) -> Option<u32> {
        Some(sum_batched(keys, |k, out| self.0.lookup_batch(k, out)))
    }
}

struct Peeremu6(Lpm6<u32>);
impl Lpm<Ipv6Addr> for Peeremu6 {
    const NAME: &'static str = "peeremu";
    fn build(routes: &[(Ipv6Addr, u8, u32)]) -> Self {
        Peeremu6(Lpm6::from_routes(
            routes
                .iter()
                .filter_map(|&(a, l, v)| Some((Ipv6Net::new(a, l).ok()?, v))),
        ))
    }
    #[inline]
    fn find(&self, a: Ipv6Addr) -> Option<u32> {
        self.0.lookup(a).copied()
    }
    fn bytes(&self) -> Option<usize> {
        Some(self.0.memory_bytes())
    }
    fn sum_batched(&self, keys: &[Ipv6Addr]) -> Option<u32> {
        Some(sum_batched(keys, |k, out| self.0.lookup_batch(k, out)))
    }
}

struct PrefixTrie4(PrefixMap<Ipv4Net, u32>);
impl Lpm<Ipv4Addr> for PrefixTrie4 {
    const NAME: &'static str = "prefix-trie";
    fn build(routes: &[(Ipv4Addr, u8, u32)]) -> Self {
        let mut m = PrefixMap::new();
        for &(a, l, v) in routes {
            if let Ok(n) = Ipv4Net::new(a, l) {
                m.insert(n, v);
            }
        }
        PrefixTrie4(m)
    }
    #[inline]
    fn find(&self, a: Ipv4Addr) -> Option<u32> {
        self.0.get_lpm(&Ipv4Net::from(a)).map(|(_, v)| *v)
    }
    fn bytes(&self) -> Option<usize> {
        Some(self.0.mem_size())
    }
}

struct PrefixTrie6(PrefixMap<Ipv6Net, u32>);
impl Lpm<Ipv6Addr> for PrefixTrie6 {
    const NAME: &'static str = "prefix-trie";
    fn build(routes: &[(Ipv6Addr, u8, u32)]) -> Self {
        let mut m = PrefixMap::new();
        for &(a, l, v) in routes {
            if let Ok(n) = Ipv6Net::new(a, l) {
                m.insert(n, v);
            }
        }
        PrefixTrie6(m)
    }
    #[inline]
    fn find(&self, a: Ipv6Addr) -> Option<u32> {
        self.0.get_lpm(&Ipv6Net::from(a)).map(|(_, v)| *v)
    }
    fn bytes(&self) -> Option<usize> {
        Some(self.0.mem_size())
    }
}

struct Poptrie4(poptrie::Poptrie<(Ipv4Addr, u8), u32>);
impl Lpm<Ipv4Addr> for Poptrie4 {
    const NAME: &'static str = "poptrie";
    fn build(routes: &[(Ipv4Addr, u8, u32)]) -> Self {
        Poptrie4(routes.iter().map(|&(a, l, v)| ((a, l), v)).collect())
    }
    #[inline]
    fn find(&self, a: Ipv4Addr) -> Option<u32> {
        self.0.lookup(a).copied()
    }
    fn bytes(&self) -> Option<usize> {
        None
    }
}

struct Poptrie6(poptrie::Poptrie<(Ipv6Addr, u8), u32>);
impl Lpm<Ipv6Addr> for Poptrie6 {
    const NAME: &'static str = "poptrie";
    fn build(routes: &[(Ipv6Addr, u8, u32)]) -> Self {
        Poptrie6(routes.iter().map(|&(a, l, v)| ((a, l), v)).collect())
    }
    #[inline]
    fn find(&self, a: Ipv6Addr) -> Option<u32> {
        self.0.lookup(a).copied()
    }
    fn bytes(&self) -> Option<usize> {
        None
    }
}

struct TreeBitmap<A>(IpLookupTable<A, u32>);
impl Lpm<Ipv4Addr> for TreeBitmap<Ipv4Addr> {
    const NAME: &'static str = "treebitmap";
    fn build(routes: &[(Ipv4Addr, u8, u32)]) -> Self {
        let mut t = IpLookupTable::new();
        for &(a, l, v) in routes {
            t.insert(a, u32::from(l), v);
        }
        TreeBitmap(t)
    }
    #[inline]
    fn find(&self, a: Ipv4Addr) -> Option<u32> {
        self.0.longest_match(a).map(|(_, _, v)| *v)
    }
    fn bytes(&self) -> Option<usize> {
        let (nodes, results) = self.0.mem_usage();
        Some(nodes + results)
    }
}
impl Lpm<Ipv6Addr> for TreeBitmap<Ipv6Addr> {
    const NAME: &'static str = "treebitmap";
    fn build(routes: &[(Ipv6Addr, u8, u32)]) -> Self {
        let mut t = IpLookupTable::new();
        for &(a, l, v) in routes {
            t.insert(a, u32::from(l), v);
        }
        TreeBitmap(t)
    }
    #[inline]
    fn find(&self, a: Ipv6Addr) -> Option<u32> {
        self.0.longest_match(a).map(|(_, _, v)| *v)
    }
    fn bytes(&self) -> Option<usize> {
        let (nodes, results) = self.0.mem_usage();
        Some(nodes + results)
    }
}

/// The chain's data dependency (see [`generate::chain_v4`]).
trait Chain: Copy {
    fn chain(self, prev: u32) -> Self;
}
impl Chain for Ipv4Addr {
    #[inline(always)]
    fn chain(self, prev: u32) -> Self {
        generate::chain_v4(self, prev)
    }
}
impl Chain for Ipv6Addr {
    #[inline(always)]
    fn chain(self, prev: u32) -> Self {
        generate::chain_v6(self, prev)
    }
}

fn bench_one<A: Chain, T: Lpm<A>>(
    c: &mut Criterion<ThreadCpuTime>,
    group: &str,
    table: &str,
    routes: &[(A, u8, u32)],
    keys: &[A],
) {
    let t = T::build(routes);
    let hits = keys.iter().filter(|&&k| t.find(k).is_some()).count();
    let mem = match t.bytes() {
        Some(b) => format!(
            "{b} bytes ({:.1} bytes/prefix)",
            b as f64 / routes.len().max(1) as f64
        ),
        None => "memory not reported by the crate".to_string(),
    };
    eprintln!(
        "{group}/{table} {}: {} prefixes, {mem}, {:.1} % of keys match",
        T::NAME,
        routes.len(),
        100.0 * hits as f64 / keys.len() as f64
    );
    let mut g = c.benchmark_group(format!("{group}/throughput"));
    g.throughput(Throughput::Elements(keys.len() as u64));
    g.bench_function(BenchmarkId::new(T::NAME, table), |b| {
        b.iter(|| {
            let mut sum = 0u32;
            for &k in keys {
                sum = sum.wrapping_add(t.find(k).unwrap_or(0));
            }
            black_box(sum)
        })
    });
    if t.sum_batched(&keys[..1]).is_some() {
        let name = format!("{}-batch", T::NAME);
        g.bench_function(BenchmarkId::new(name, table), |b| {
            b.iter(|| black_box(t.sum_batched(keys)))
        });
    }
    g.finish();
    let mut g = c.benchmark_group(format!("{group}/latency"));
    g.throughput(Throughput::Elements(keys.len() as u64));
    g.bench_function(BenchmarkId::new(T::NAME, table), |b| {
        b.iter(|| {
            let mut prev = 0u32;
            for &k in keys {
                prev = t.find(k.chain(prev)).unwrap_or(0);
            }
            black_box(prev)
        })
    });
    g.finish();
}

/// Distinct prefixes (first occurrence kept) with their index as value.
fn routes_of<N: Copy + Eq + std::hash::Hash, A>(
    nets: &[N],
    split: impl Fn(N) -> (A, u8),
) -> Vec<(A, u8, u32)> {
    let mut seen = HashSet::new();
    nets.iter()
        .filter(|n| seen.insert(**n))
        .zip(0u32..(1 << 31)) // values below 2^31: `Chain` relies on it
        .map(|(&n, i)| {
            let (a, l) = split(n);
            (a, l, i)
        })
        .collect()
}

fn tables<N: Clone>(
    full: Option<Vec<N>>,
    full_len: usize,
    synth: impl Fn(usize, u64) -> Vec<N>,
) -> Vec<(String, Vec<N>)> {
    let mut out: Vec<(String, Vec<N>)> = [16usize, 1_000, 100_000]
        .iter()
        .map(|&n| (n.to_string(), synth(n, 42)))
        .collect();
    match full {
        Some(nets) => out.push(("full-bgp".to_string(), nets)),
        None => out.push(("full-synthetic".to_string(), synth(full_len, 42))),
    }
    out
}

fn lpm_benches(c: &mut Criterion<ThreadCpuTime>) {
    let real = match load::find_bgp_table(Path::new(env!("CARGO_MANIFEST_DIR"))) {
        Ok(path) => match load::load_file(&path) {
            Ok(list) => Some(list),
            Err(e) => {
                eprintln!("full table: cannot read it ({e}); using a synthetic one");
                None
            }
        },
        Err(why) => {
            eprintln!("full table: {why}; using a synthetic table of the same size");
            None
        }
    };
    let (real4, real6) = match real {
        Some(l) => (Some(l.v4), Some(l.v6)),
        None => (None, None),
    };
    for (name, nets) in tables(real4, FULL_V4, generate::synthetic_v4) {
        let routes = routes_of(&nets, |n: Ipv4Net| (n.network(), n.prefix_len()));
        let keys = generate::keys_v4(&nets, KEYS, 7);
        bench_one::<_, Peeremu4>(c, "lpm-v4", &name, &routes, &keys);
        bench_one::<_, PrefixTrie4>(c, "lpm-v4", &name, &routes, &keys);
        bench_one::<_, Poptrie4>(c, "lpm-v4", &name, &routes, &keys);
        bench_one::<_, TreeBitmap<Ipv4Addr>>(c, "lpm-v4", &name, &routes, &keys);
    }
    for (name, nets) in tables(real6, FULL_V6, generate::synthetic_v6) {
        let routes = routes_of(&nets, |n: Ipv6Net| (n.network(), n.prefix_len()));
        let keys = generate::keys_v6(&nets, KEYS, 7);
        bench_one::<_, Peeremu6>(c, "lpm-v6", &name, &routes, &keys);
        bench_one::<_, PrefixTrie6>(c, "lpm-v6", &name, &routes, &keys);
        bench_one::<_, Poptrie6>(c, "lpm-v6", &name, &routes, &keys);
        bench_one::<_, TreeBitmap<Ipv6Addr>>(c, "lpm-v6", &name, &routes, &keys);
    }
}

/// Criterion measurement: the benchmark thread's CPU time
/// (`CLOCK_THREAD_CPUTIME_ID`) instead of wall-clock time. This VM's two cores are
/// shared with other jobs; with wall-clock time every moment the thread is
/// descheduled counts as lookup time, which swamped the differences between the
/// crates (load average 4–6: the same cell moved by 2× between runs). CPU time
/// leaves that out; on an idle machine the two agree. (Cache interference from the
/// other jobs remains.) Criterion has no such measurement built in.
struct ThreadCpuTime;

impl ThreadCpuTime {
    fn now() -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
        // every Linux supports. On failure `ts` stays zero (a visible 0 ns sample).
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        Self::now()
    }
    fn end(&self, start: Duration) -> Duration {
        Self::now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, d: &Duration) -> f64 {
        d.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, like wall time: reuse its formatter.
        static WALL: WallTime = WallTime;
        WALL.formatter()
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .with_measurement(ThreadCpuTime)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10);
    targets = lpm_benches
}
criterion_main!(benches);
