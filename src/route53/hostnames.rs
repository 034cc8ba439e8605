//! The DNS hostnames EC2 gives instances (AWS EC2 user guide, "Amazon EC2
//! instance hostname types"; VPC user guide, "DNS attributes for your VPC"):
//!
//! - private (IP name): `ip-10-0-1-10.ec2.internal` in us-east-1,
//!   `ip-10-0-1-10.eu-west-1.compute.internal` elsewhere;
//! - public: `ec2-3-3-3-3.compute-1.amazonaws.com` in us-east-1,
//!   `ec2-3-3-3-3.eu-west-1.compute.amazonaws.com` elsewhere.

use std::net::Ipv4Addr;

/// Which of an instance's two names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostnameKind {
    Private,
    Public,
}

/// `ip-a-b-c-d.<private domain>` for `ip` in `region`.
pub fn private_hostname(ip: Ipv4Addr, region: &str) -> String {
    format!("ip-{}.{}", dashed(ip), private_domain(region))
}

/// `ec2-a-b-c-d.<public domain>` for `ip` in `region`.
pub fn public_hostname(ip: Ipv4Addr, region: &str) -> String {
    format!("ec2-{}.{}", dashed(ip), public_domain(region))
}

/// The domain of private hostnames in `region`.
pub fn private_domain(region: &str) -> String {
    if region == "us-east-1" {
        "ec2.internal".to_string()
    } else {
        format!("{region}.compute.internal")
    }
}

/// The domain of public hostnames in `region`.
pub fn public_domain(region: &str) -> String {
    if region == "us-east-1" {
        "compute-1.amazonaws.com".to_string()
    } else {
        format!("{region}.compute.amazonaws.com")
    }
}

fn dashed(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}-{}-{}-{}", o[0], o[1], o[2], o[3])
}

/// Read an EC2 hostname back: its kind, address and region, or `None` when
/// `name` (lower case, no trailing dot) is not one. `regions` are the regions
/// of the topology (a name's domain must be one of theirs).
pub fn parse_hostname<'r>(
    name: &str,
    regions: impl IntoIterator<Item = &'r str>,
) -> Option<(HostnameKind, Ipv4Addr, &'r str)> {
    let (first, domain) = name.split_once('.')?;
    let (kind, dashed) = if let Some(d) = first.strip_prefix("ip-") {
        (HostnameKind::Private, d)
    } else if let Some(d) = first.strip_prefix("ec2-") {
        (HostnameKind::Public, d)
    } else {
        return None;
    };
    let ip: Ipv4Addr = dashed.replace('-', ".").parse().ok()?;
    // A dashed form that does not round-trip (leading zeros) is not EC2's.
    if self::dashed(ip) != dashed {
        return None;
    }
    let region = regions.into_iter().find(|r| match kind {
        HostnameKind::Private => private_domain(r) == domain,
        HostnameKind::Public => public_domain(r) == domain,
    })?;
    Some((kind, ip, region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_region() {
        let ip = Ipv4Addr::new(10, 0, 1, 10);
        assert_eq!(
            private_hostname(ip, "us-east-1"),
            "ip-10-0-1-10.ec2.internal"
        );
        assert_eq!(
            private_hostname(ip, "eu-west-1"),
            "ip-10-0-1-10.eu-west-1.compute.internal"
        );
        let p = Ipv4Addr::new(3, 3, 3, 3);
        assert_eq!(
            public_hostname(p, "us-east-1"),
            "ec2-3-3-3-3.compute-1.amazonaws.com"
        );
        assert_eq!(
            public_hostname(p, "eu-west-1"),
            "ec2-3-3-3-3.eu-west-1.compute.amazonaws.com"
        );
    }

    #[test]
    fn names_read_back() {
        let regions = ["us-east-1", "eu-west-1"];
        assert_eq!(
            parse_hostname("ip-10-0-1-10.ec2.internal", regions),
            Some((
                HostnameKind::Private,
                Ipv4Addr::new(10, 0, 1, 10),
                "us-east-1"
            ))
        );
        assert_eq!(
            parse_hostname("ec2-3-3-3-3.eu-west-1.compute.amazonaws.com", regions),
            Some((HostnameKind::Public, Ipv4Addr::new(3, 3, 3, 3), "eu-west-1"))
        );
        assert_eq!(parse_hostname("ip-10-0-1-010.ec2.internal", regions), None);
        assert_eq!(
            parse_hostname("ip-10-0-1-10.ap-south-1.compute.internal", regions),
            None
        );
        assert_eq!(parse_hostname("db.internal.example", regions), None);
    }
}
