//! The hot-path wire functions allocate nothing: counted by a global allocator that
//! tallies allocations made on the current thread while counting is switched on.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use peeremu::wire::{
    build_packet, ip_packet, parse_frame, rewrite_ipv4, set_macs, PacketSpec, Transport,
};

mod alloc_support;

#[global_allocator]
static GLOBAL: alloc_support::Counting = alloc_support::Counting;

use alloc_support::allocations as allocations_during;

fn frame(v6: bool, transport: Transport) -> Vec<u8> {
    let (src, dst) = if v6 {
        (
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::new(0x2600, 0, 0, 0, 0, 0, 0, 2)),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            IpAddr::V4(Ipv4Addr::new(10, 9, 0, 7)),
        )
    };
    build_packet(&PacketSpec {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [2, 0, 0, 0, 0, 2],
        src,
        dst,
        transport,
        payload_len: 500,
        dont_fragment: true,
        identification: 0,
        ttl: 64,
    })
    .unwrap()
}

#[test]
fn parse_rewrite_and_set_macs_do_not_allocate() {
    let transports = [
        Transport::Tcp {
            src_port: 1,
            dst_port: 2,
            flags: 0x02,
            seq: 0,
            ack: 0,
        },
        Transport::Udp {
            src_port: 1,
            dst_port: 2,
        },
        Transport::Echo {
            id: 1,
            seq: 1,
            reply: false,
        },
    ];
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for t in transports {
        frames.push(frame(false, t));
        frames.push(frame(true, t));
    }
    let garbage = vec![0x45u8; 64];
    // Sanity check of the counter itself, so this test can fail.
    assert!(allocations_during(|| drop(std::hint::black_box(vec![1u8; 10]))) >= 1);
    let n = allocations_during(|| {
        for f in &mut frames {
            assert!(parse_frame(f).is_ok());
            assert!(ip_packet(f).is_ok());
            let nat = Some((Ipv4Addr::new(54, 1, 2, 3), Some(9)));
            let _ = rewrite_ipv4(f, nat, nat);
            set_macs(f, [2, 0, 0, 0, 0, 3], [2, 0, 0, 0, 0, 4]).unwrap();
            assert!(parse_frame(f).is_ok());
        }
        assert!(parse_frame(&garbage).is_err());
    });
    assert_eq!(n, 0, "hot-path wire functions allocated {n} times");
}
