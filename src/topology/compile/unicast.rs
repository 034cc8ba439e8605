//! Which addresses an interface, a host, a VPC or a public IP may have.
//!
//! A host stack (smoltcp) refuses a non-unicast address of its own, and a router
//! never forwards to or from loopback, link-local or multicast addresses; so:
//! - AWS does not create VPCs in 0.0.0.0/8, 127.0.0.0/8 (loopback), 169.254.0.0/16
//!   (link-local), 224.0.0.0/4 (multicast) or 240.0.0.0/4 (reserved, with the
//!   broadcast address); for IPv6 we refuse ::/8 (unspecified, loopback, mapped),
//!   fe80::/10 (link-local) and ff00::/8 (multicast). Every instance and NAT gateway
//!   address lies in a VPC block, so this also keeps them unicast.
//! - An external host's address must be unicast (the same ranges, one address).
//! - Public and Elastic IPs come from AWS's public pools: besides being unicast they
//!   are not private (RFC 1918), not shared address space (100.64.0.0/10, RFC 6598)
//!   and not inside any VPC (checked by the caller).

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 ranges that are not unicast addresses of a host, with what they are.
const V4_NOT_UNICAST: [([u8; 4], u8, &str); 5] = [
    (
        [0, 0, 0, 0],
        8,
        "in 0.0.0.0/8 (\"this network\", which includes the unspecified address)",
    ),
    ([127, 0, 0, 0], 8, "a loopback address (127.0.0.0/8)"),
    (
        [169, 254, 0, 0],
        16,
        "a link-local address (169.254.0.0/16)",
    ),
    ([224, 0, 0, 0], 4, "a multicast address (224.0.0.0/4)"),
    (
        [240, 0, 0, 0],
        4,
        "reserved (240.0.0.0/4, with the broadcast address 255.255.255.255)",
    ),
];

/// IPv6 ranges that are not unicast addresses of a host.
const V6_NOT_UNICAST: [(u128, u8, &str); 3] = [
    (
        0,
        8,
        "in ::/8 (the unspecified, loopback and IPv4-mapped addresses)",
    ),
    (0xfe80 << 112, 10, "a link-local address (fe80::/10)"),
    (0xff00 << 112, 8, "a multicast address (ff00::/8)"),
];

/// Private ranges a public or Elastic IP is never taken from.
const V4_NOT_PUBLIC: [([u8; 4], u8, &str); 4] = [
    ([10, 0, 0, 0], 8, "a private address (10.0.0.0/8, RFC 1918)"),
    (
        [172, 16, 0, 0],
        12,
        "a private address (172.16.0.0/12, RFC 1918)",
    ),
    (
        [192, 168, 0, 0],
        16,
        "a private address (192.168.0.0/16, RFC 1918)",
    ),
    (
        [100, 64, 0, 0],
        10,
        "shared address space (100.64.0.0/10, RFC 6598)",
    ),
];

fn v4_range(a: [u8; 4], len: u8) -> Option<Ipv4Net> {
    Ipv4Net::new(Ipv4Addr::from(a), len).ok()
}

fn v6_range(a: u128, len: u8) -> Option<Ipv6Net> {
    Ipv6Net::new(Ipv6Addr::from(a), len).ok()
}

fn overlap(a: IpNet, b: IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Why `block` cannot be a VPC's block (it overlaps a non-unicast range), or `None`.
pub fn block_problem(block: IpNet) -> Option<&'static str> {
    match block {
        IpNet::V4(_) => V4_NOT_UNICAST.iter().find_map(|&(a, len, what)| {
            let r = v4_range(a, len)?;
            overlap(block, IpNet::V4(r)).then_some(what)
        }),
        IpNet::V6(_) => V6_NOT_UNICAST.iter().find_map(|&(a, len, what)| {
            let r = v6_range(a, len)?;
            overlap(block, IpNet::V6(r)).then_some(what)
        }),
    }
}

/// Why `ip` cannot be a host's own address, or `None`.
pub fn address_problem(ip: IpAddr) -> Option<&'static str> {
    block_problem(IpNet::from(ip))
}

/// Why `ip` cannot be a public or Elastic IP (apart from lying in a VPC), or `None`.
pub fn public_problem(ip: Ipv4Addr) -> Option<&'static str> {
    address_problem(IpAddr::V4(ip)).or_else(|| {
        V4_NOT_PUBLIC
            .iter()
            .find_map(|&(a, len, what)| v4_range(a, len)?.contains(&ip).then_some(what))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn hosts_need_unicast_addresses() {
        for bad in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "169.254.169.254",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:10.0.0.1",
            "fe80::1",
            "ff02::1",
        ] {
            assert!(address_problem(ip(bad)).is_some(), "{bad}");
        }
        for good in [
            "203.0.113.10",
            "10.0.0.1",
            "192.168.1.1",
            "2600:1f18::1",
            "fd00::1",
        ] {
            assert_eq!(address_problem(ip(good)), None, "{good}");
        }
    }

    #[test]
    fn public_ips_are_public() {
        for bad in [
            "10.1.2.3",
            "172.20.0.1",
            "192.168.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
        ] {
            assert!(public_problem(bad.parse().unwrap()).is_some(), "{bad}");
        }
        for good in ["54.0.0.1", "3.3.3.3", "198.51.100.7", "172.32.0.1"] {
            assert_eq!(public_problem(good.parse().unwrap()), None, "{good}");
        }
    }

    #[test]
    fn vpc_blocks_avoid_special_ranges() {
        for bad in [
            "127.0.0.0/16",
            "169.254.0.0/16",
            "224.0.0.0/16",
            "240.0.0.0/16",
            "0.0.0.0/16",
            "fe80::/56",
            "ff00::/56",
            "::/56",
        ] {
            assert!(block_problem(bad.parse().unwrap()).is_some(), "{bad}");
        }
        for good in ["10.0.0.0/16", "54.0.0.0/16", "2600:1f18:1:100::/56"] {
            assert_eq!(block_problem(good.parse().unwrap()), None, "{good}");
        }
    }
}
