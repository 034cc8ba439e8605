//! The numbers of a traffic flow (port, size, count, bytes, rate, start) with the
//! defaults of its kind, and the TCP request/response keys, each checked with its
//! own position so every mistake of a flow is reported at once.

use super::super::format::{FlowSpec, S};
use super::Compiler;
use crate::model::*;

fn positive(
    c: &mut Compiler<'_>,
    v: &Option<S<i64>>,
    o: &str,
    what: &str,
    default: u64,
    max: u64,
) -> Option<u64> {
    match v {
        None => Some(default),
        Some(s) if (1..=max as i64).contains(s.get_ref()) => Some(*s.get_ref() as u64),
        Some(s) => {
            c.err(
                "flow-value",
                s.span(),
                o,
                format!("{what} {} is out of range (1 to {max})", s.get_ref()),
            );
            None
        }
    }
}

/// Port, size, count, bytes, rate and start of a flow, with the defaults of its kind.
pub(super) struct Numbers {
    pub(super) port: u16,
    pub(super) size: u32,
    pub(super) count: u64,
    pub(super) bytes: u64,
    pub(super) rate_pps: f64,
    pub(super) start_ns: u64,
}

pub(super) fn numbers(
    c: &mut Compiler<'_>,
    f: &FlowSpec,
    kind: FlowKind,
    o: &str,
) -> Option<Numbers> {
    let port = match (&f.port, kind) {
        (None, _) => {
            if kind == FlowKind::Ping {
                0
            } else {
                5001
            }
        }
        (Some(p), FlowKind::Ping) => {
            c.err("flow-value", p.span(), o, "ping flows have no port");
            return None;
        }
        (Some(p), _) if (1..=65535).contains(p.get_ref()) => *p.get_ref() as u16,
        (Some(p), _) => {
            c.err(
                "port-range",
                p.span(),
                o,
                format!("port {} is out of range (1 to 65535)", p.get_ref()),
            );
            return None;
        }
    };
    let max_payload = if f.ipv6 { 65_527 } else { 65_507 };
    let default_size = match kind {
        FlowKind::Ping => 56,
        FlowKind::Udp => 1000,
        FlowKind::Tcp => 0,
    };
    let size = match &f.size {
        None => default_size,
        Some(s) if (0..=max_payload).contains(s.get_ref()) => *s.get_ref() as u32,
        Some(s) => {
            c.err(
                "flow-value",
                s.span(),
                o,
                format!(
                    "size {} is out of range (0 to {max_payload} payload bytes)",
                    s.get_ref()
                ),
            );
            return None;
        }
    };
    let count = positive(c, &f.count, o, "count", 10, u64::from(u32::MAX))?;
    // Non-TCP flows carry no byte budget; the value is still range-checked.
    let default_bytes = if kind == FlowKind::Tcp { 100_000 } else { 1 };
    let bytes = positive(c, &f.bytes, o, "bytes", default_bytes, u64::MAX >> 1)?;
    let rate_pps = match &f.rate_pps {
        None => 10.0,
        Some(r) if (MIN_RATE_PPS..=MAX_RATE_PPS).contains(r.get_ref()) => *r.get_ref(),
        Some(r) => {
            c.err(
                "flow-value",
                r.span(),
                o,
                format!(
                    "rate_pps must be a number from {MIN_RATE_PPS} to {MAX_RATE_PPS:e} \
                     (packets per second)"
                ),
            );
            return None;
        }
    };
    let start_ns = match &f.start_ms {
        None => 0,
        Some(s) if (0.0..=MAX_START_MS).contains(s.get_ref()) => (s.get_ref() * 1e6).round() as u64,
        Some(s) => {
            c.err(
                "flow-value",
                s.span(),
                o,
                format!(
                    "start_ms must be a number from 0 to {MAX_START_MS:e} \
                     (30 days of virtual time)"
                ),
            );
            return None;
        }
    };
    Some(Numbers {
        port,
        size,
        count,
        bytes,
        rate_pps,
        start_ns,
    })
}

/// Keys a flow of `kind` has no use for (`count`, `rate_pps` and `df` on tcp,
/// `bytes` on ping/udp) are errors rather than silently ignored, as `requests` on
/// udp is (see [`request_response`]; `port` on ping is reported by [`numbers`]).
/// Whether none was given. An unknown kind (reported elsewhere) checks nothing.
pub(super) fn inapplicable_keys(
    c: &mut Compiler<'_>,
    f: &FlowSpec,
    kind: Option<FlowKind>,
    o: &str,
) -> bool {
    let Some(kind) = kind else { return true };
    let span = |v: Option<std::ops::Range<usize>>, key: &'static str| v.map(|s| (key, s));
    let found: Vec<(&str, std::ops::Range<usize>)> = if kind == FlowKind::Tcp {
        [
            span(f.count.as_ref().map(|v| v.span()), "count"),
            span(f.rate_pps.as_ref().map(|v| v.span()), "rate_pps"),
            span(f.df.as_ref().map(|v| v.span()), "df"),
        ]
        .into_iter()
        .flatten()
        .collect()
    } else {
        span(f.bytes.as_ref().map(|v| v.span()), "bytes")
            .into_iter()
            .collect()
    };
    for (key, at) in &found {
        let why = match *key {
            "df" => "tcp always sets DF, like Linux (path MTU discovery)",
            "bytes" => "ping and udp flows send `count` packets of `size` bytes",
            _ => "a tcp flow sends `bytes` (or `requests`) as fast as TCP allows",
        };
        let applies = if *key == "bytes" {
            "tcp"
        } else {
            "ping and udp"
        };
        let msg = format!(
            "`{key}` applies only to {applies} flows (this flow is {}): {why}",
            kind.as_str()
        );
        c.err("flow-keys", at.clone(), o, msg);
    }
    found.is_empty()
}

/// Latest flow start, in ms: 30 days. Virtual time is u64 nanoseconds (584 years),
/// so this leaves room for the flow itself; a larger value used to saturate silently.
const MAX_START_MS: f64 = 30.0 * 86_400_000.0;
/// Slowest and fastest send rates. Below one packet per 1000 s the gaps overflow
/// nothing but no run would ever see a second packet; above 10^9/s the gap is
/// under a virtual nanosecond and every packet leaves at once.
const MIN_RATE_PPS: f64 = 0.001;
const MAX_RATE_PPS: f64 = 1e9;

/// Largest request or response, in bytes (1 GiB).
const MAX_MESSAGE_BYTES: u64 = 1 << 30;
/// What `request_bytes`/`response_bytes` default to (a small request, a page).
const DEFAULT_REQUEST_BYTES: u64 = 100;
const DEFAULT_RESPONSE_BYTES: u64 = 1000;

/// The request/response keys of a flow: `Some(None)` for none (a bulk transfer or
/// not TCP), `None` when they are wrong (reported). Every mistake is reported, not
/// only the first.
pub(super) fn request_response(
    c: &mut Compiler<'_>,
    f: &FlowSpec,
    kind: Option<FlowKind>,
    o: &str,
) -> Option<Option<RequestResponse>> {
    let interval_span = f.interval_ms.as_ref().map(|v| v.span());
    let keys = [
        ("requests", f.requests.as_ref().map(|v| v.span())),
        ("request_bytes", f.request_bytes.as_ref().map(|v| v.span())),
        (
            "response_bytes",
            f.response_bytes.as_ref().map(|v| v.span()),
        ),
        ("interval_ms", interval_span.clone()),
    ];
    if !keys.iter().any(|(_, v)| v.is_some()) {
        return Some(None);
    }
    let mut ok = true;
    if let Some(k) = kind.filter(|&k| k != FlowKind::Tcp) {
        for (key, v) in keys {
            if let Some(span) = v {
                let msg = format!(
                    "`{key}` applies only to tcp flows (this flow is {})",
                    k.as_str()
                );
                c.err("flow-keys", span, o, msg);
            }
        }
        return None;
    }
    if f.requests.is_none() {
        for (key, v) in &keys[1..] {
            if let Some(span) = v {
                let msg = format!(
                    "`{key}` needs `requests` (the number of requests of a request/response flow)"
                );
                c.err("flow-keys", span.clone(), o, msg);
            }
        }
        ok = false;
    }
    if let (Some(b), Some(_)) = (&f.bytes, &f.requests) {
        c.err(
            "flow-keys",
            b.span(),
            o,
            "`bytes` (a bulk transfer) and `requests` (request/response) exclude each other; keep one",
        );
        ok = false;
    }
    let requests = positive(c, &f.requests, o, "requests", 1, u64::from(u32::MAX));
    let request_bytes = positive(
        c,
        &f.request_bytes,
        o,
        "request_bytes",
        DEFAULT_REQUEST_BYTES,
        MAX_MESSAGE_BYTES,
    );
    let response_bytes = positive(
        c,
        &f.response_bytes,
        o,
        "response_bytes",
        DEFAULT_RESPONSE_BYTES,
        MAX_MESSAGE_BYTES,
    );
    let interval_ns = match &f.interval_ms {
        None => Some(0),
        Some(s) if (0.0..=MAX_START_MS).contains(s.get_ref()) => {
            Some((s.get_ref() * 1e6).round() as u64)
        }
        Some(s) => {
            c.err(
                "flow-value",
                s.span(),
                o,
                format!(
                    "interval_ms must be a number from 0 to {MAX_START_MS:e} \
                     (milliseconds from one request's start to the next's)"
                ),
            );
            None
        }
    };
    match (ok, requests, request_bytes, response_bytes, interval_ns) {
        (true, Some(requests), Some(request_bytes), Some(response_bytes), Some(interval_ns)) => {
            Some(Some(RequestResponse {
                requests,
                request_bytes,
                response_bytes,
                interval_ns,
            }))
        }
        _ => None,
    }
}
