//! Cost of the wire operations on the router's path: `parse_frame` runs on every hop,
//! `rewrite_ipv4` on every NATed frame, `fragment_ipv4` on every oversized one.

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{criterion_group, criterion_main, Criterion};
use peeremu::wire::{build_packet, fragment_ipv4, parse_frame, rewrite_ipv4, Transport};

/// The frames are the property tests' frames.
#[path = "../tests/wire_support/mod.rs"]
mod wire_support;
use wire_support::spec;

fn benches(c: &mut Criterion) {
    let tcp = Transport::Tcp {
        src_port: 40000,
        dst_port: 443,
        flags: 0x18,
        seq: 1,
        ack: 1,
    };
    let v4 = build_packet(&spec(false, tcp, 1400, false, 1)).expect("bench frame");
    let v6 = build_packet(&spec(true, tcp, 1400, false, 1)).expect("bench frame");
    c.bench_function("wire/parse_frame/ipv4_tcp", |b| {
        b.iter(|| parse_frame(black_box(&v4)))
    });
    c.bench_function("wire/parse_frame/ipv6_tcp", |b| {
        b.iter(|| parse_frame(black_box(&v6)))
    });
    let mut frame = v4.clone();
    let nat = Some((Ipv4Addr::new(54, 1, 2, 3), Some(61000)));
    c.bench_function("wire/rewrite_ipv4/snat_tcp", |b| {
        b.iter(|| rewrite_ipv4(black_box(&mut frame), nat, None))
    });
    let jumbo = build_packet(&spec(false, tcp, 8961, false, 1)).expect("bench frame");
    let mut out = Vec::with_capacity(8);
    c.bench_function("wire/fragment_ipv4/9001_to_1500", |b| {
        b.iter(|| {
            out.clear();
            fragment_ipv4(black_box(&jumbo), 1500, &mut out)
        })
    });
}

criterion_group!(wire, benches);
criterion_main!(wire);
