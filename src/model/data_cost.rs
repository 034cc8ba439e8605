//! Data-transfer and data-processing prices, and the billable segments a frame
//! crosses: what a run's traffic would cost on AWS, per flow, in `summary.json`
//! and `peeremu compare`.
//!
//! The data plane marks each delivered frame with the [`Charges`] of its path (a
//! one-byte set, no allocation); the simulation adds the frame's IP bytes to its
//! flow's [`SegmentBytes`]; the report prices them with [`Prices`]. Only bytes
//! actually carried to the far end of the path are counted.

use std::fmt;

/// When the default [`Prices`] were last checked against AWS's list prices.
pub const PRICES_AS_OF: &str = "2026-12-06";

/// Bytes in one billed GB: AWS bills data transfer in binary gigabytes (2^30).
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;

/// USD per GB for each billable segment; defaults are AWS us-east-1 list prices
/// (as of [`PRICES_AS_OF`]), each overridable in the topology's `[prices]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// Between two AZs of one region (within a VPC or over a peering), charged
    /// in each direction: the sender pays it out and the receiver pays it in,
    /// so a byte crossing AZs costs twice this. Free within one AZ (peering too,
    /// since May 2021).
    pub cross_az_per_gb: f64,
    /// Transit gateway data processing, per GB sent into a TGW from a VPC or VPN
    /// attachment (not again when it enters a peer TGW).
    pub tgw_processing_per_gb: f64,
    /// Between regions (inter-region VPC peering and TGW peering alike), paid
    /// once, out of the source region.
    pub inter_region_per_gb: f64,
    /// NAT gateway data processing, per GB through it in either direction.
    pub nat_processing_per_gb: f64,
    /// Data transfer out of AWS: to the internet (through an internet or NAT
    /// gateway) and to on premises over a VPN (billed at the same rate); inbound
    /// is free. AWS's first 10 TB/month tier.
    pub internet_egress_per_gb: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            cross_az_per_gb: 0.01,
            tgw_processing_per_gb: 0.02,
            inter_region_per_gb: 0.02,
            nat_processing_per_gb: 0.045,
            internet_egress_per_gb: 0.09,
        }
    }
}

/// A billable segment of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Segment {
    CrossAz = 0,
    TgwProcessing = 1,
    InterRegion = 2,
    NatProcessing = 3,
    InternetEgress = 4,
}

impl Segment {
    pub const ALL: [Segment; 5] = [
        Segment::CrossAz,
        Segment::TgwProcessing,
        Segment::InterRegion,
        Segment::NatProcessing,
        Segment::InternetEgress,
    ];

    /// The key in `summary.json` and `[prices]` (with `_per_gb`).
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::CrossAz => "cross_az",
            Segment::TgwProcessing => "tgw_processing",
            Segment::InterRegion => "inter_region",
            Segment::NatProcessing => "nat_processing",
            Segment::InternetEgress => "internet_egress",
        }
    }

    /// USD per byte carried over this segment (cross-AZ counts both directions).
    pub fn usd_per_byte(self, p: &Prices) -> f64 {
        let per_gb = match self {
            Segment::CrossAz => 2.0 * p.cross_az_per_gb,
            Segment::TgwProcessing => p.tgw_processing_per_gb,
            Segment::InterRegion => p.inter_region_per_gb,
            Segment::NatProcessing => p.nat_processing_per_gb,
            Segment::InternetEgress => p.internet_egress_per_gb,
        };
        per_gb / BYTES_PER_GB
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The billable segments one frame crossed: a set (a frame crosses each kind at
/// most once on its path), one byte so it rides along every delivery for free.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Charges(u8);

impl Charges {
    pub const NONE: Charges = Charges(0);

    #[inline]
    pub fn with(self, s: Segment) -> Charges {
        Charges(self.0 | 1 << s as u8)
    }

    #[inline]
    pub fn with_if(self, s: Segment, yes: bool) -> Charges {
        Charges(self.0 | u8::from(yes) << s as u8)
    }

    /// Every segment of both.
    #[inline]
    pub fn union(self, other: Charges) -> Charges {
        Charges(self.0 | other.0)
    }

    #[inline]
    pub fn has(self, s: Segment) -> bool {
        self.0 & (1 << s as u8) != 0
    }

    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Bytes one flow carried over each billable segment (IP bytes: header and
/// payload, as AWS meters them; both directions of the flow).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentBytes([u64; 5]);

impl SegmentBytes {
    /// Count `bytes` on every segment in `c`.
    #[inline]
    pub fn add(&mut self, c: Charges, bytes: u64) {
        for s in Segment::ALL {
            if c.has(s) {
                self.0[s as usize] += bytes;
            }
        }
    }

    pub fn get(&self, s: Segment) -> u64 {
        self.0[s as usize]
    }

    /// The estimated cost of one segment, USD.
    pub fn usd(&self, s: Segment, p: &Prices) -> f64 {
        self.get(s) as f64 * s.usd_per_byte(p)
    }

    /// The estimated cost of all segments, USD.
    pub fn total_usd(&self, p: &Prices) -> f64 {
        Segment::ALL.iter().map(|&s| self.usd(s, p)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_are_a_set() {
        let c = Charges::NONE
            .with(Segment::TgwProcessing)
            .with(Segment::TgwProcessing)
            .with_if(Segment::CrossAz, false)
            .with_if(Segment::InterRegion, true);
        assert!(c.has(Segment::TgwProcessing) && c.has(Segment::InterRegion));
        assert!(!c.has(Segment::CrossAz) && !c.has(Segment::InternetEgress));
        assert!(Charges::NONE.is_empty() && !c.is_empty());
    }

    /// Hand-computed: 1 GiB over a TGW to another region is $0.02 processing +
    /// $0.02 inter-region; 1 GiB across AZs is $0.01 out + $0.01 in.
    #[test]
    fn prices_per_gib_by_hand() {
        let p = Prices::default();
        let gib = 1u64 << 30;
        let mut b = SegmentBytes::default();
        b.add(
            Charges::NONE
                .with(Segment::TgwProcessing)
                .with(Segment::InterRegion),
            gib,
        );
        assert!((b.total_usd(&p) - 0.04).abs() < 1e-12);
        let mut x = SegmentBytes::default();
        x.add(Charges::NONE.with(Segment::CrossAz), gib);
        assert!((x.usd(Segment::CrossAz, &p) - 0.02).abs() < 1e-12);
        let mut n = SegmentBytes::default();
        n.add(
            Charges::NONE
                .with(Segment::NatProcessing)
                .with(Segment::InternetEgress),
            gib / 2,
        );
        assert!((n.total_usd(&p) - (0.045 + 0.09) / 2.0).abs() < 1e-12);
        assert_eq!(n.get(Segment::CrossAz), 0);
    }
}
