//! `peeremu bench`: build a longest-prefix-match table from a prefix file, a
//! synthetic full-table-like list, or a topology's route tables, and time lookups.
//!
//! Three figures per table: *independent* lookups (a loop over keys, which the CPU
//! may overlap: throughput), *dependent* lookups (each key perturbed by the previous
//! result, so they serialise: latency), and independent lookups through the batched
//! `lookup_batch` (throughput with the misses overlapped on purpose). Wall-clock timing is fine here: this is a
//! benchmark, not the simulation (which only ever uses virtual time).

use super::{EXIT_INVALID, EXIT_OK};
use crate::lpm::{generate, load, Lpm4, Lpm6, Stats, BATCH};
use crate::model::{Network, RouteDestination};
use indicatif::{ProgressBar, ProgressStyle};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::hint::black_box;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Size of a full IPv4 / IPv6 BGP table (the default synthetic size).
const FULL_V4: usize = 901_899;
const FULL_V6: usize = 160_147;
/// Distinct keys per run (cycled when more lookups are asked for).
const KEY_POOL: usize = 1 << 20;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file: benchmark each of its route tables.
    #[arg(conflicts_with_all = ["fib", "synthetic"])]
    pub topology: Option<PathBuf>,
    /// Prefix file, one CIDR a line, plain or gzip (e.g. a BGP table dump).
    #[arg(long, value_name = "FILE", conflicts_with = "synthetic")]
    pub fib: Option<PathBuf>,
    /// Generate N prefixes with a full BGP table's prefix-length mix (the default,
    /// with a full table's size, when neither --fib nor a topology is given).
    #[arg(long, value_name = "N")]
    pub synthetic: Option<usize>,
    /// Use the IPv6 prefixes (default: IPv4).
    #[arg(long)]
    pub v6: bool,
    /// Lookups per mode (independent, dependent).
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub lookups: u64,
    /// Seed for the synthetic table and the keys.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub seed: u64,
}

pub fn main(args: Args) -> u8 {
    if args.lookups == 0 {
        crate::errln!("peeremu bench: --lookups must be at least 1");
        return EXIT_INVALID;
    }
    if let Some(path) = &args.topology {
        return match crate::topology::load_file(path) {
            Ok(net) => finish(bench_topology(&net, &args, &mut io::stdout().lock())),
            Err(e) => {
                crate::output::console::eprint(format_args!(
                    "peeremu bench: cannot benchmark the route tables of {}:\n{e}",
                    crate::escape::path(path)
                ));
                EXIT_INVALID
            }
        };
    }
    let (v4, v6, origin) = match (&args.fib, args.synthetic) {
        (Some(path), _) => match load::load_file(path) {
            Ok(list) => (list.v4, list.v6, crate::escape::path(path)),
            Err(e) => {
                crate::errln!("peeremu bench: {e}");
                return EXIT_INVALID;
            }
        },
        (None, n) => {
            let n = n.unwrap_or(if args.v6 { FULL_V6 } else { FULL_V4 });
            if let Err(msg) = synthetic_fits(n, args.v6, available_memory()) {
                crate::errln!("peeremu bench: {msg}");
                return EXIT_INVALID;
            }
            let origin = format!("synthetic, seed {}", args.seed);
            if args.v6 {
                (Vec::new(), generate::synthetic_v6(n, args.seed), origin)
            } else {
                (generate::synthetic_v4(n, args.seed), Vec::new(), origin)
            }
        }
    };
    let family = if args.v6 { "IPv6" } else { "IPv4" };
    if (args.v6 && v6.is_empty()) || (!args.v6 && v4.is_empty()) {
        crate::errln!("peeremu bench: no {family} prefixes in {origin}");
        return EXIT_INVALID;
    }
    let out = &mut io::stdout().lock();
    finish(if args.v6 {
        bench_v6(&v6, &origin, &args, out)
    } else {
        bench_v4(&v4, &origin, &args, out)
    })
}

/// Largest `--synthetic` table: 20 million prefixes, 22 times a full IPv4 table
/// and 125 times a full IPv6 one (the IPv4 unicast /24s alone number 14.6 million,
/// so far more could not be distinct anyway).
const MAX_SYNTHETIC: usize = 20_000_000;
/// Peak memory per synthetic prefix while generating and building, measured with
/// `/usr/bin/time` (maximum resident size over prefixes, 1M and 4M prefixes,
/// 2026-12-06: IPv4 about 105 bytes, IPv6 about 250), rounded up for margin.
const PEAK_BYTES_PER_V4_PREFIX: u64 = 128;
const PEAK_BYTES_PER_V6_PREFIX: u64 = 320;

/// Refuse a synthetic table that cannot be built: more than [`MAX_SYNTHETIC`]
/// prefixes, or an estimated peak over half the available memory (`available`,
/// when known), instead of aborting out of memory part-way.
fn synthetic_fits(n: usize, v6: bool, available: Option<u64>) -> Result<(), String> {
    if n == 0 {
        return Err("--synthetic must be at least 1".to_string());
    }
    if n > MAX_SYNTHETIC {
        return Err(format!(
            "--synthetic {n} is more than the {MAX_SYNTHETIC} prefixes a synthetic table may have"
        ));
    }
    let per = if v6 {
        PEAK_BYTES_PER_V6_PREFIX
    } else {
        PEAK_BYTES_PER_V4_PREFIX
    };
    let need = (n as u64).saturating_mul(per);
    if let Some(avail) = available {
        if need > avail / 2 {
            return Err(format!(
                "--synthetic {n} needs about {} MiB ({per} bytes per prefix) but only {} MiB of memory is available; use at most {}",
                need >> 20,
                avail >> 20,
                avail / 2 / per
            ));
        }
    }
    Ok(())
}

/// `MemAvailable` from `/proc/meminfo`, in bytes (`None` where there is no such file).
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// Exit 0, or as [`console::finish`] says for a failed write (a closed pipe
/// stops the benchmark at its next line instead of running it to the end).
fn finish(written: io::Result<()>) -> u8 {
    crate::output::console::finish(EXIT_OK, written)
}

fn bench_v4(nets: &[Ipv4Net], origin: &str, args: &Args, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "table: {} IPv4 prefixes ({origin})", nets.len())?;
    let start = Instant::now();
    let table = Lpm4::from_routes(nets.iter().zip(0u32..).map(|(&n, i)| (n, i)));
    print_build(
        out,
        start.elapsed(),
        table.len(),
        table.memory_bytes(),
        table.stats(),
    )?;
    let keys = generate::keys_v4(nets, key_count(args), args.seed);
    let hits = keys.iter().filter(|&&k| table.lookup(k).is_some()).count();
    print_keys(out, keys.len(), hits)?;
    let (ind, dep) = time_lookups(
        &keys,
        args.lookups,
        |k| table.lookup(k).copied().unwrap_or(0),
        generate::chain_v4,
    );
    let batched = time_batched(&keys, args.lookups, |ks, out| {
        table.lookup_batch(ks, out);
    });
    print_times(out, args.lookups, ind, dep)?;
    print_batched(out, args.lookups, batched)
}

fn bench_v6(nets: &[Ipv6Net], origin: &str, args: &Args, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "table: {} IPv6 prefixes ({origin})", nets.len())?;
    let start = Instant::now();
    let table = Lpm6::from_routes(nets.iter().zip(0u32..).map(|(&n, i)| (n, i)));
    print_build(
        out,
        start.elapsed(),
        table.len(),
        table.memory_bytes(),
        table.stats(),
    )?;
    let keys = generate::keys_v6(nets, key_count(args), args.seed);
    let hits = keys.iter().filter(|&&k| table.lookup(k).is_some()).count();
    print_keys(out, keys.len(), hits)?;
    let (ind, dep) = time_lookups(
        &keys,
        args.lookups,
        |k| table.lookup(k).copied().unwrap_or(0),
        generate::chain_v6,
    );
    let batched = time_batched(&keys, args.lookups, |ks, out| {
        table.lookup_batch(ks, out);
    });
    print_times(out, args.lookups, ind, dep)?;
    print_batched(out, args.lookups, batched)
}

fn key_count(args: &Args) -> usize {
    usize::try_from(args.lookups).map_or(KEY_POOL, |n| n.min(KEY_POOL))
}

fn print_build(
    out: &mut impl Write,
    took: Duration,
    routes: usize,
    bytes: usize,
    stats: Stats,
) -> io::Result<()> {
    writeln!(
        out,
        "build: {:.1} ms, {routes} distinct prefixes; memory {bytes} bytes ({:.1} bytes/prefix; lookup structure {} bytes = {:.1} bytes/prefix, direct 2^{}, {} nodes)",
        took.as_secs_f64() * 1e3,
        bytes as f64 / routes.max(1) as f64,
        stats.trie_bytes,
        stats.trie_bytes as f64 / routes.max(1) as f64,
        stats.direct_bits,
        stats.nodes,
    )
}

fn print_keys(out: &mut impl Write, n: usize, hits: usize) -> io::Result<()> {
    writeln!(
        out,
        "keys: {n} (half inside table prefixes, half uniform), {:.1} % match a prefix",
        100.0 * hits as f64 / n.max(1) as f64
    )
}

fn print_times(
    out: &mut impl Write,
    n: u64,
    independent: Duration,
    dependent: Duration,
) -> io::Result<()> {
    for (mode, took) in [("independent", independent), ("dependent", dependent)] {
        let secs = took.as_secs_f64().max(1e-9);
        writeln!(
            out,
            "{mode}: {n} lookups in {:.3} s: {:.1} M lookups/s, {:.2} ns/lookup",
            secs,
            n as f64 / secs / 1e6,
            secs * 1e9 / n as f64
        )?;
    }
    Ok(())
}

fn print_batched(out: &mut impl Write, n: u64, took: Duration) -> io::Result<()> {
    let secs = took.as_secs_f64().max(1e-9);
    writeln!(
        out,
        "independent, lookup_batch: {n} lookups in {:.3} s: {:.1} M lookups/s, {:.2} ns/lookup",
        secs,
        n as f64 / secs / 1e6,
        secs * 1e9 / n as f64
    )
}

/// Time `n` independent lookups over `keys` (cycled) through a batched lookup:
/// `lookup(keys, out)` fills `out[i]` with the value for `keys[i]`.
fn time_batched<'t, K: Copy>(
    keys: &[K],
    n: u64,
    lookup: impl Fn(&[K], &mut [Option<&'t u32>]),
) -> Duration {
    let mut out = [None; BATCH];
    let mut sum = 0u32;
    let mut took = Duration::ZERO;
    let mut left = n;
    while left > 0 {
        let batch = &keys[..keys.len().min(usize::try_from(left).unwrap_or(usize::MAX))];
        let start = Instant::now();
        for chunk in batch.chunks(BATCH) {
            let out = &mut out[..chunk.len()];
            lookup(chunk, out);
            for v in out.iter() {
                sum = sum.wrapping_add(v.copied().unwrap_or(0));
            }
        }
        took += start.elapsed();
        left -= batch.len() as u64;
    }
    black_box(sum);
    took
}

/// Time `n` independent then `n` dependent lookups over `keys` (cycled).
fn time_lookups<K: Copy>(
    keys: &[K],
    n: u64,
    lookup: impl Fn(K) -> u32,
    chain: impl Fn(K, u32) -> K,
) -> (Duration, Duration) {
    let bar = ProgressBar::new(2 * n);
    bar.set_style(
        ProgressStyle::with_template("{msg:12} [{bar:40}] {percent:>3}% {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("independent");
    let mut independent = Duration::ZERO;
    let mut sum = 0u32;
    let mut left = n;
    while left > 0 {
        let batch = &keys[..keys.len().min(usize::try_from(left).unwrap_or(usize::MAX))];
        let start = Instant::now();
        for &k in batch {
            sum = sum.wrapping_add(lookup(k));
        }
        independent += start.elapsed();
        left -= batch.len() as u64;
        bar.inc(batch.len() as u64);
    }
    black_box(sum);
    bar.set_message("dependent");
    let mut dependent = Duration::ZERO;
    let mut prev = 0u32;
    let mut left = n;
    while left > 0 {
        let batch = &keys[..keys.len().min(usize::try_from(left).unwrap_or(usize::MAX))];
        let start = Instant::now();
        for &k in batch {
            prev = lookup(chain(k, prev));
        }
        dependent += start.elapsed();
        left -= batch.len() as u64;
        bar.inc(batch.len() as u64);
    }
    black_box(prev);
    bar.finish_and_clear();
    (independent, dependent)
}

/// Benchmark every route table of a topology (both families, prefix lists expanded).
fn bench_topology(net: &Network, args: &Args, out: &mut impl Write) -> io::Result<()> {
    if net.route_tables.is_empty() {
        return writeln!(out, "no route tables in this topology");
    }
    for rt in &net.route_tables {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (i, route) in rt.routes.iter().enumerate() {
            let cidrs: &[IpNet] = match &route.destination {
                RouteDestination::Cidr(c) => std::slice::from_ref(c),
                RouteDestination::PrefixList(pl) => net
                    .prefix_lists
                    .get(pl.ix())
                    .map_or(&[][..], |p| p.cidrs.as_slice()),
            };
            for c in cidrs {
                match c {
                    IpNet::V4(n) => v4.push((*n, i as u32)),
                    IpNet::V6(n) => v6.push((*n, i as u32)),
                }
            }
        }
        writeln!(
            out,
            "route table {}: {} IPv4 and {} IPv6 destinations",
            rt.id,
            v4.len(),
            v6.len()
        )?;
        let n = args.lookups;
        if !v4.is_empty() {
            let nets: Vec<Ipv4Net> = v4.iter().map(|r| r.0).collect();
            let t = Lpm4::from_routes(v4);
            // Keys drawn from the routes only: every lookup hits.
            let keys: Vec<Ipv4Addr> = generate::keys_v4(&nets, key_count(args) * 2, args.seed)
                .into_iter()
                .filter(|k| nets.iter().any(|p| p.contains(k)))
                .collect();
            if !keys.is_empty() {
                let (ind, dep) = time_lookups(
                    &keys,
                    n,
                    |k| t.lookup(k).copied().unwrap_or(0),
                    generate::chain_v4,
                );
                write!(out, "  IPv4: {} bytes; ", t.memory_bytes())?;
                print_ns(out, n, ind, dep)?;
            }
        }
        if !v6.is_empty() {
            let nets: Vec<Ipv6Net> = v6.iter().map(|r| r.0).collect();
            let t = Lpm6::from_routes(v6);
            let keys: Vec<Ipv6Addr> = generate::keys_v6(&nets, key_count(args) * 2, args.seed)
                .into_iter()
                .filter(|k| nets.iter().any(|p| p.contains(k)))
                .collect();
            if !keys.is_empty() {
                let (ind, dep) = time_lookups(
                    &keys,
                    n,
                    |k| t.lookup(k).copied().unwrap_or(0),
                    generate::chain_v6,
                );
                write!(out, "  IPv6: {} bytes; ", t.memory_bytes())?;
                print_ns(out, n, ind, dep)?;
            }
        }
    }
    Ok(())
}

fn print_ns(
    out: &mut impl Write,
    n: u64,
    independent: Duration,
    dependent: Duration,
) -> io::Result<()> {
    let ns = |d: Duration| d.as_secs_f64() * 1e9 / n as f64;
    writeln!(
        out,
        "independent {:.2} ns/lookup, dependent {:.2} ns/lookup",
        ns(independent),
        ns(dependent)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_sizes_that_cannot_fit_are_refused() {
        assert!(synthetic_fits(FULL_V4, false, Some(16 << 30)).is_ok());
        assert!(synthetic_fits(FULL_V6, true, None).is_ok());
        let e = synthetic_fits(100_000_000, false, None).unwrap_err();
        assert!(e.contains("more than the 20000000"), "{e}");
        assert!(synthetic_fits(0, false, None).is_err());
        // 10 M IPv4 prefixes need about 1.2 GiB: refused with 1 GiB available.
        let e = synthetic_fits(10_000_000, false, Some(1 << 30)).unwrap_err();
        assert!(e.contains("MiB of memory is available"), "{e}");
        assert!(synthetic_fits(10_000_000, false, Some(4 << 30)).is_ok());
    }
}
