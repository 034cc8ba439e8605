//! TCP request/response on one connection, one request outstanding at a time (like
//! HTTP/1.1 keep-alive without pipelining): the application logic of both ends, over
//! a smoltcp socket the caller owns. The client writes a request, reads the whole
//! response, records the response time, then writes the next request; the server
//! answers every complete request with a response.
//!
//! Response time is measured as a client application sees it: from the moment the
//! request's first byte is handed to the socket (smoltcp sends it in the same poll:
//! Nagle is off and one request is outstanding, so the window is open) to the moment
//! the response's last byte is read.

use super::stats::{record, FlowStats};
use super::tcp::PATTERN;
use crate::model::RequestResponse;
use smoltcp::socket::tcp;

/// Write up to `want` bytes of the payload pattern (continuing at stream offset
/// `offset`); returns how many the send buffer took.
pub fn send_pattern(s: &mut tcp::Socket, offset: u64, want: u64) -> u64 {
    let mut sent = 0u64;
    while sent < want && s.can_send() {
        let off = ((offset + sent) % PATTERN.len() as u64) as usize;
        let n = (want - sent).min((PATTERN.len() - off) as u64) as usize;
        match s.send_slice(&PATTERN[off..off + n]) {
            Ok(0) | Err(_) => break,
            Ok(k) => sent += k as u64,
        }
    }
    sent
}

/// Read and discard everything the receive buffer holds; returns the byte count.
pub fn drain(s: &mut tcp::Socket) -> u64 {
    let mut got = 0u64;
    while s.can_recv() {
        match s.recv(|buf| (buf.len(), buf.len())) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n as u64,
        }
    }
    got
}

/// The client end of a request/response flow.
#[derive(Debug, Clone)]
pub struct ExchangeClient {
    pub rr: RequestResponse,
    /// Requests whose response came back in full.
    answered: u64,
    /// Bytes of the current request handed to the socket.
    request_written: u64,
    /// Bytes of the current response read.
    response_read: u64,
    /// When the current request's first byte was handed to the socket.
    started_ns: u64,
    /// When the first request started: later ones are due every `interval_ns`
    /// after it.
    first_ns: Option<u64>,
}

impl ExchangeClient {
    pub fn new(rr: RequestResponse) -> Self {
        ExchangeClient {
            rr,
            answered: 0,
            request_written: 0,
            response_read: 0,
            started_ns: 0,
            first_ns: None,
        }
    }

    /// When the next request is due, while the client waits for it (the last
    /// response is in and `interval_ns` has not elapsed since that request's
    /// schedule): `None` when it is not waiting.
    pub fn next_due(&self, now_ns: u64) -> Option<u64> {
        let first = self.first_ns?;
        if self.complete() || self.request_written > 0 || self.rr.interval_ns == 0 {
            return None;
        }
        let due = first.saturating_add(self.answered.saturating_mul(self.rr.interval_ns));
        (due > now_ns).then_some(due)
    }

    /// Whether [`ExchangeClient::write`] has request bytes to write at `now_ns`
    /// (it writes nothing otherwise).
    pub fn wants_to_write(&self, now_ns: u64) -> bool {
        !self.complete()
            && self.request_written < self.rr.request_bytes
            && self.next_due(now_ns).is_none()
    }

    /// Every response came back.
    pub fn complete(&self) -> bool {
        self.answered >= self.rr.requests
    }

    /// Write what remains of the current request; returns the bytes written
    /// (`stream_offset`: request bytes written on the connection so far, to continue
    /// the payload pattern).
    pub fn write(&mut self, now_ns: u64, s: &mut tcp::Socket, stream_offset: u64) -> u64 {
        if !self.wants_to_write(now_ns) {
            return 0;
        }
        let n = send_pattern(
            s,
            stream_offset,
            self.rr.request_bytes - self.request_written,
        );
        if n > 0 && self.request_written == 0 {
            self.started_ns = now_ns;
            self.first_ns.get_or_insert(now_ns);
        }
        self.request_written += n;
        n
    }

    /// Read response bytes; each response completed records its response time and
    /// `responses` in `st`. Returns the bytes read.
    pub fn read(&mut self, now_ns: u64, s: &mut tcp::Socket, st: &mut FlowStats) -> u64 {
        let got = drain(s);
        st.deliver(now_ns, got);
        // The server answers only complete requests, one at a time: at most the
        // current response can arrive, never bytes of a later one.
        self.response_read += got;
        if self.response_read >= self.rr.response_bytes && !self.complete() {
            self.response_read -= self.rr.response_bytes;
            self.answered += 1;
            st.responses += 1;
            if let Some(h) = st.response_ns.as_mut() {
                record(h, now_ns.saturating_sub(self.started_ns));
            }
            self.request_written = 0;
        }
        got
    }
}

/// The server end of one accepted connection of a request/response flow.
#[derive(Debug, Clone, Default)]
pub struct ExchangeServer {
    /// Bytes of the current (incomplete) request received.
    request_read: u64,
    /// Response bytes owed and not yet handed to the socket.
    owed: u64,
    /// Response bytes written so far (continues the payload pattern).
    written: u64,
}

impl ExchangeServer {
    /// Account `got` request bytes just read and write what is owed; returns whether
    /// anything was written.
    pub fn serve(&mut self, rr: &RequestResponse, got: u64, s: &mut tcp::Socket) -> bool {
        self.request_read += got;
        while self.request_read >= rr.request_bytes {
            self.request_read -= rr.request_bytes;
            self.owed = self.owed.saturating_add(rr.response_bytes);
        }
        if self.owed == 0 {
            return false;
        }
        let n = send_pattern(s, self.written, self.owed);
        self.owed -= n;
        self.written += n;
        n > 0
    }
}
