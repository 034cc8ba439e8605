//! Per-flow estimated data cost in `summary.json` (`flows[].data_cost`) and the
//! prices used (`prices`): bytes carried over each billable segment and what they
//! cost at the topology's `[prices]` (see `model::data_cost`).

use crate::model::{Prices, Segment, SegmentBytes, BYTES_PER_GB, PRICES_AS_OF};
use serde::Serialize;

/// One figure per billable segment, in a fixed key order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PerSegment<T> {
    pub cross_az: T,
    pub tgw_processing: T,
    pub inter_region: T,
    pub nat_processing: T,
    pub internet_egress: T,
}

impl<T: Copy> PerSegment<T> {
    fn from_fn(f: impl Fn(Segment) -> T) -> Self {
        PerSegment {
            cross_az: f(Segment::CrossAz),
            tgw_processing: f(Segment::TgwProcessing),
            inter_region: f(Segment::InterRegion),
            nat_processing: f(Segment::NatProcessing),
            internet_egress: f(Segment::InternetEgress),
        }
    }
}

/// A flow's estimated data cost (both directions of the flow).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DataCost {
    /// IP bytes carried over each segment.
    pub bytes: PerSegment<u64>,
    /// US dollars per segment (cross-AZ: out and in).
    pub usd: PerSegment<f64>,
    pub total_usd: f64,
}

impl DataCost {
    pub fn of(bytes: &SegmentBytes, prices: &Prices) -> DataCost {
        DataCost {
            bytes: PerSegment::from_fn(|s| bytes.get(s)),
            usd: PerSegment::from_fn(|s| bytes.usd(s, prices)),
            total_usd: bytes.total_usd(prices),
        }
    }
}

/// The prices a run used (`summary.json` `prices`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PricesUsed {
    /// When the defaults were last checked against AWS's us-east-1 list prices.
    pub defaults_as_of: &'static str,
    pub currency: &'static str,
    /// Bytes in a billed GB (AWS: 2^30).
    pub bytes_per_gb: u64,
    /// US dollars per GB; `cross_az` is charged in each direction.
    pub per_gb: PerSegment<f64>,
}

impl PricesUsed {
    pub fn of(p: &Prices) -> PricesUsed {
        PricesUsed {
            defaults_as_of: PRICES_AS_OF,
            currency: "USD",
            bytes_per_gb: BYTES_PER_GB as u64,
            per_gb: PerSegment {
                cross_az: p.cross_az_per_gb,
                tgw_processing: p.tgw_processing_per_gb,
                inter_region: p.inter_region_per_gb,
                nat_processing: p.nat_processing_per_gb,
                internet_egress: p.internet_egress_per_gb,
            },
        }
    }
}
