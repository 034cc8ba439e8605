//! TCP on smoltcp sockets. Bulk transfer: the client connects, writes `bytes`, and
//! is complete when the last byte is acknowledged; the server accepts and reads.
//! Request/response ([`super::exchange`]): the client is complete when the last
//! response has been read; the server answers each request.
//! Sockets exist only while their flow runs, so memory follows concurrency, not the
//! number of flows.

use super::exchange::{drain, send_pattern, ExchangeClient, ExchangeServer};
use super::stats::{FlowStats, TcpEnd};
use super::udp::smol_addr;
use super::FlowPlan;
use crate::model::{RequestResponse, TcpBuffers, TcpCongestion};
use smoltcp::iface::{Context, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::wire::IpEndpoint;

/// The smallest buffer a connection direction gets: a short flow's sockets stay
/// small (memory follows the bytes a flow moves, not Linux's maxima).
pub const MIN_BUFFER: usize = 2048;

/// smoltcp buffer sizes (receive, send) for a connection that will send `sends`
/// and receive `receives` bytes (at a time: a request/response flow has one
/// request outstanding), on a host with `limits`.
///
/// Linux autotunes a connection's buffers up to `tcp_rmem`/`tcp_wmem` max and
/// advertises at most half of the receive buffer as window (`tcp_adv_win_scale =
/// 1`: the other half pays for socket-buffer overhead that smoltcp does not
/// have). smoltcp's buffers are fixed rings whose size also fixes the window scale
/// (the shift is chosen from the receive buffer's capacity), so they are sized
/// once, at the socket's creation: the bytes the flow moves, capped at what Linux
/// would reach (half of `tcp_rmem` max as receive window, `tcp_wmem` max as send
/// buffer). A transfer smaller than the cap fits in one window either way, so the
/// throughput is the one Linux's maxima give, while a short flow's sockets cost a
/// few KB instead of megabytes.
pub fn buffer_sizes(limits: TcpBuffers, sends: u64, receives: u64) -> (usize, usize) {
    let cap = |bytes: u64, max: u32| bytes.min(u64::from(max)).max(MIN_BUFFER as u64) as usize;
    (
        cap(receives, limits.rmem_max / 2),
        cap(sends, limits.wmem_max),
    )
}

fn socket((rx, tx): (usize, usize), congestion: TcpCongestion) -> tcp::Socket<'static> {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0u8; rx]),
        tcp::SocketBuffer::new(vec![0u8; tx]),
    );
    s.set_nagle_enabled(false);
    s.set_congestion_control(congestion_control(congestion));
    s
}

/// smoltcp's implementation of the kernel's `tcp_congestion_control`. smoltcp's
/// controllers take the time from the caller (the simulation's virtual clock) and
/// read no clock of their own, so runs stay deterministic.
pub fn congestion_control(c: TcpCongestion) -> tcp::CongestionControl {
    match c {
        TcpCongestion::Cubic => tcp::CongestionControl::Cubic,
        TcpCongestion::Reno => tcp::CongestionControl::Reno,
        TcpCongestion::None => tcp::CongestionControl::None,
    }
}

/// A deterministic payload pattern. Every TCP stream of the simulation carries it
/// from its first byte (the byte at stream offset `k` is `PATTERN[k % 4096]`, see
/// `exchange::send_pattern`): the NIC relies on this to rebuild a segment lost to
/// the path MTU (`super::retransmit`). 4096 divides 2^32, so the offset may be
/// taken modulo the sequence space.
pub static PATTERN: [u8; 4096] = {
    let mut p = [0u8; 4096];
    let mut i = 0;
    while i < 4096 {
        p[i] = (i % 251) as u8;
        i += 1;
    }
    p
};

pub struct TcpClient {
    pub plan: FlowPlan,
    handle: Option<SocketHandle>,
    written: u64,
    last_progress_ns: u64,
    stall_timeout_ns: u64,
    /// Aborted socket to remove once its RST has been sent.
    retired: Option<SocketHandle>,
    /// Request/response state; `None` for a bulk transfer.
    exchange: Option<ExchangeClient>,
    /// The socket's (receive, send) buffer sizes (see [`buffer_sizes`]).
    buffers: (usize, usize),
    /// The host kernel's congestion control.
    congestion: TcpCongestion,
}

impl TcpClient {
    pub fn new(plan: FlowPlan, stall_timeout_ns: u64, limits: TcpBuffers) -> Self {
        let buffers = match plan.request_response {
            Some(rr) => buffer_sizes(limits, rr.request_bytes, rr.response_bytes),
            None => buffer_sizes(limits, plan.bytes, 0),
        };
        TcpClient {
            buffers,
            congestion: limits.congestion,
            last_progress_ns: plan.start_ns,
            exchange: plan.request_response.map(ExchangeClient::new),
            plan,
            handle: None,
            written: 0,
            stall_timeout_ns,
            retired: None,
        }
    }

    pub fn before_poll(
        &mut self,
        now_ns: u64,
        cx: &mut Context,
        sockets: &mut SocketSet<'static>,
        st: &mut FlowStats,
    ) {
        if st.done || now_ns < self.plan.start_ns {
            return;
        }
        if self.handle.is_none() && st.tcp_end.is_none() {
            let mut s = socket(self.buffers, self.congestion);
            let remote = IpEndpoint::new(smol_addr(self.plan.dst_ip), self.plan.port);
            if s.connect(cx, remote, self.plan.local_port).is_err() {
                st.tcp_end = Some(TcpEnd::Closed);
                st.done = true;
                return;
            }
            self.handle = Some(sockets.add(s));
            self.last_progress_ns = now_ns;
        }
        self.fill(now_ns, sockets);
    }

    /// Write as much of the transfer (or of the current request) as the send
    /// buffer takes; whether anything was.
    fn fill(&mut self, now_ns: u64, sockets: &mut SocketSet<'static>) -> bool {
        let Some(h) = self.handle else { return false };
        // Only a write changes the socket: looked at first without `get_mut`,
        // which would give smoltcp's egress the socket to visit (see its patch)
        // on every poll of this host while the connection waits for an ACK.
        let writes = sockets.get::<tcp::Socket>(h).can_send()
            && match &self.exchange {
                Some(ex) => ex.wants_to_write(now_ns),
                None => self.written < self.plan.bytes,
            };
        if !writes {
            return false;
        }
        let s = sockets.get_mut::<tcp::Socket>(h);
        let n = match &mut self.exchange {
            // Requests go out once the connection is open: the response time of
            // the first one should not include the handshake.
            Some(ex) if s.may_send() => ex.write(now_ns, s, self.written),
            Some(_) => 0,
            None => send_pattern(s, self.written, self.plan.bytes - self.written),
        };
        self.written += n;
        n > 0
    }

    /// Track acknowledged progress; finish on completion, stall or close. Returns
    /// whether the socket has new work for smoltcp (data written, or an abort).
    pub fn after_poll(
        &mut self,
        now_ns: u64,
        sockets: &mut SocketSet<'static>,
        st: &mut FlowStats,
    ) -> bool {
        // The poll just done sent the RST of a socket aborted earlier.
        if let Some(h) = self.retired.take() {
            sockets.remove(h);
        }
        let Some(h) = self.handle else { return false };
        // Reading (it may open the window: an update to send) is the only change
        // here; with nothing received the socket is only looked at (see `fill`).
        let (state, queued, read) = if sockets.get::<tcp::Socket>(h).can_recv() {
            let s = sockets.get_mut::<tcp::Socket>(h);
            let read = match &mut self.exchange {
                Some(ex) => ex.read(now_ns, s, st),
                None => drain(s),
            };
            (s.state(), s.send_queue() as u64, read)
        } else {
            let s = sockets.get::<tcp::Socket>(h);
            (s.state(), s.send_queue() as u64, 0)
        };
        // Waiting for the next request's time is idleness, not a stall.
        if read > 0
            || self
                .exchange
                .as_ref()
                .is_some_and(|ex| ex.next_due(now_ns).is_some())
        {
            self.last_progress_ns = now_ns;
        }
        if state == tcp::State::Established {
            st.tcp_connected = true;
        }
        let acked = if st.tcp_connected {
            self.written - queued
        } else {
            0
        };
        if acked > st.bytes_acked {
            st.bytes_acked = acked;
            self.last_progress_ns = now_ns;
        }
        let complete = match &self.exchange {
            Some(ex) => ex.complete(),
            None => st.bytes_acked >= self.plan.bytes,
        };
        let end = if complete && st.tcp_connected {
            Some(TcpEnd::Completed)
        } else if state == tcp::State::Closed {
            Some(TcpEnd::Closed)
        } else if now_ns >= self.last_progress_ns + self.stall_timeout_ns {
            Some(TcpEnd::Stalled)
        } else {
            None
        };
        match end {
            // Reading opened the window: smoltcp has an update to send.
            None => self.fill(now_ns, sockets) | (read > 0),
            Some(end) => {
                if end == TcpEnd::Completed {
                    st.completion_ns = Some(now_ns.saturating_sub(self.plan.start_ns));
                }
                st.tcp_end = Some(end);
                st.done = true;
                // Abort rather than close: the measurement is over and a RST frees
                // the server's socket too (no TIME-WAIT to simulate).
                sockets.get_mut::<tcp::Socket>(h).abort();
                self.handle = None;
                self.retired = Some(h);
                true
            }
        }
    }

    /// Whether this flow has a socket in smoltcp (live or retired): smoltcp may
    /// then have timers or segments of its own to send.
    pub fn has_socket(&self) -> bool {
        self.handle.is_some() || self.retired.is_some()
    }

    pub fn next_wake(&self, st: &FlowStats) -> Option<u64> {
        if self.retired.is_some() {
            Some(self.last_progress_ns)
        } else if st.done {
            None
        } else if self.handle.is_none() {
            Some(self.plan.start_ns)
        } else {
            let stall = self.last_progress_ns + self.stall_timeout_ns;
            let due = self
                .exchange
                .as_ref()
                .and_then(|ex| ex.next_due(self.last_progress_ns));
            Some(due.map_or(stall, |d| d.min(stall)))
        }
    }
}

/// One listening or accepted server socket.
struct ServerConn {
    handle: SocketHandle,
    /// The flow this socket was opened to listen for.
    listen_for: crate::model::FlowIdx,
    /// The flow, once the connection's client is known (index into `clients`).
    client: Option<usize>,
    /// Request/response state, for request/response flows.
    exchange: ExchangeServer,
}

/// A flow this host serves: (client address, client port, server port), the flow
/// and its request/response parameters.
type ServedFlow = (
    std::net::IpAddr,
    u16,
    u16,
    crate::model::FlowIdx,
    Option<RequestResponse>,
);

/// The listening and accepted sockets of one host; bytes are credited to the flow
/// whose client address and port the connection comes from.
#[derive(Default)]
pub struct TcpServers {
    conns: Vec<ServerConn>,
    clients: Vec<ServedFlow>,
    /// Translated client endpoints: (seen address, seen port, server port) → index
    /// in `clients`; the latest entry for a key wins.
    aliases: Vec<(std::net::IpAddr, u16, u16, usize)>,
}

impl TcpServers {
    /// Whether it holds no connection (listening or not): its
    /// [`TcpServers::after_poll`] then does nothing.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Listen for `plan` (called when the flow starts).
    pub fn listen(
        &mut self,
        plan: &FlowPlan,
        limits: TcpBuffers,
        sockets: &mut SocketSet<'static>,
    ) {
        let sizes = match plan.request_response {
            Some(rr) => buffer_sizes(limits, rr.response_bytes, rr.request_bytes),
            None => buffer_sizes(limits, 0, plan.bytes),
        };
        let mut s = socket(sizes, limits.congestion);
        if s.listen(plan.port).is_ok() {
            self.conns.push(ServerConn {
                handle: sockets.add(s),
                listen_for: plan.flow,
                client: None,
                exchange: ExchangeServer::default(),
            });
        }
        self.clients.push((
            plan.src_ip,
            plan.local_port,
            plan.port,
            plan.flow,
            plan.request_response,
        ));
    }

    /// Connections from `seen` to `server_port` are the flow whose client is
    /// `original` (its source translated on the way: NAT or internet gateway).
    pub fn alias(
        &mut self,
        seen: (std::net::IpAddr, u16),
        original: (std::net::IpAddr, u16),
        server_port: u16,
    ) {
        let Some(i) = self
            .clients
            .iter()
            .rposition(|c| c.0 == original.0 && c.1 == original.1 && c.2 == server_port)
        else {
            return;
        };
        self.aliases
            .retain(|a| !(a.0 == seen.0 && a.1 == seen.1 && a.2 == server_port));
        self.aliases.push((seen.0, seen.1, server_port, i));
    }

    /// Open server sockets (listening or connected).
    pub fn open_sockets(&self) -> usize {
        self.conns.len()
    }

    /// Read what arrived and answer requests; returns whether smoltcp has new work
    /// (a window opened by reading, a response written, a close).
    pub fn after_poll(
        &mut self,
        now_ns: u64,
        sockets: &mut SocketSet<'static>,
        stats: &mut [FlowStats],
    ) -> bool {
        let mut work = false;
        let mut i = 0;
        while i < self.conns.len() {
            let conn = &mut self.conns[i];
            // A connection of a known bulk flow with nothing received and no
            // state to act on needs nothing: looked at without `get_mut`, which
            // would give smoltcp's egress the socket to visit (see its patch).
            let bulk = conn
                .client
                .and_then(|c| self.clients.get(c))
                .is_some_and(|c| c.4.is_none());
            if bulk {
                let s = sockets.get::<tcp::Socket>(conn.handle);
                if !s.can_recv()
                    && !matches!(
                        s.state(),
                        tcp::State::CloseWait | tcp::State::Closed | tcp::State::Listen
                    )
                {
                    i += 1;
                    continue;
                }
            }
            let s = sockets.get_mut::<tcp::Socket>(conn.handle);
            if conn.client.is_none() {
                if let (Some(r), Some(l)) = (s.remote_endpoint(), s.local_endpoint()) {
                    conn.client = self
                        .clients
                        .iter()
                        .position(|c| smol_addr(c.0) == r.addr && c.1 == r.port && c.2 == l.port)
                        .or_else(|| {
                            self.aliases
                                .iter()
                                .find(|a| {
                                    smol_addr(a.0) == r.addr && a.1 == r.port && a.2 == l.port
                                })
                                .map(|a| a.3)
                        });
                }
            }
            let served = conn.client.and_then(|c| self.clients.get(c));
            let got = drain(s);
            if let Some(st) = served.and_then(|c| stats.get_mut(c.3.ix())) {
                st.deliver(now_ns, got);
            }
            work |= got > 0;
            if let Some(rr) = served.and_then(|c| c.4.as_ref()) {
                work |= conn.exchange.serve(rr, got, s);
            }
            match s.state() {
                tcp::State::CloseWait => {
                    s.close();
                    work = true;
                }
                tcp::State::Closed => {
                    sockets.remove(conn.handle);
                    self.conns.swap_remove(i);
                    continue;
                }
                // Its flow ended without connecting (SYNs dropped, the client
                // gave up): stop listening, so that sockets, and their buffers,
                // follow the flows that run.
                tcp::State::Listen if stats.get(conn.listen_for.ix()).is_some_and(|st| st.done) => {
                    sockets.remove(conn.handle);
                    self.conns.swap_remove(i);
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        work
    }
}

#[cfg(test)]
mod buffer_tests {
    use super::*;

    #[test]
    fn buffers_follow_the_flow_up_to_linux_maxima() {
        let linux = TcpBuffers::LINUX;
        // A 50 MB upload: the receive window reaches half of tcp_rmem max, the
        // send buffer tcp_wmem max.
        assert_eq!(buffer_sizes(linux, 50_000_000, 0), (MIN_BUFFER, 4_194_304));
        assert_eq!(buffer_sizes(linux, 0, 50_000_000), (3_145_728, MIN_BUFFER));
        // A short flow: a few KB, not megabytes.
        assert_eq!(buffer_sizes(linux, 300, 1500), (MIN_BUFFER, MIN_BUFFER));
        assert_eq!(buffer_sizes(linux, 100_000, 10_000), (10_000, 100_000));
        let small = TcpBuffers {
            rmem_max: 4096,
            wmem_max: 4096,
            ..linux
        };
        assert_eq!(buffer_sizes(small, 1 << 20, 1 << 20), (2048, 4096));
    }
}
