//! Cost of the wire operations on the router's path: `parse_frame` runs on every hop,
//! `rewrite_ipv4` on every NATed frame, `fragment_ipv4` on every oversized one.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{criterion_group, criterion_main, Criterion};
use peeremu::wire::{
    build_packet, fragment_ipv4, parse_frame, rewrite_ipv4, PacketSpec, Transport,
};

fn spec(v6: bool, transport: Transport, payload_len: usize) -> PacketSpec {
    let (src, dst) = if v6 {
        (
            IpAddr::V6(Ipv6Addr::new(0x2600, 0, 0, 0, 0, 0, 0, 1)),
            IpAddr::V6(Ipv6Addr::new(0x2600, 0, 0, 0, 0, 0, 0, 2)),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            IpAddr::V4(Ipv4Addr::new(10, 9, 0, 7)),
        )
    };
    PacketSpec {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        src,
        dst,
        transport,
        payload_len,
        dont_fragment: false,
        identification: 1,
        ttl: 64,
    }
}

fn benches(c: &mut Criterion) {
    let tcp = Transport::Tcp {
        src_port: 40000,
        dst_port: 443,
        flags: 0x18,
        seq: 1,
        ack: 1,
    };
    let v4 = build_packet(&spec(false, tcp, 1400)).expect("bench frame");
    let v6 = build_packet(&spec(true, tcp, 1400)).expect("bench frame");
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
    let jumbo = build_packet(&spec(false, tcp, 8961)).expect("bench frame");
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
