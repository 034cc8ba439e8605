//! TCP bulk transfer on smoltcp sockets: the client connects, writes `bytes`, and
//! is complete when the last byte is acknowledged; the server accepts and reads.
//! Sockets exist only while their flow runs, so memory follows concurrency, not the
//! number of flows.

use super::stats::{FlowStats, TcpEnd};
use super::udp::smol_addr;
use super::FlowPlan;
use smoltcp::iface::{Context, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::wire::IpEndpoint;

/// Socket buffer per direction (window scaling makes larger useful; 256 KiB covers
/// 10 Gbit/s × 0.2 ms in a region).
pub const TCP_BUFFER: usize = 256 * 1024;

fn socket() -> tcp::Socket<'static> {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0u8; TCP_BUFFER]),
        tcp::SocketBuffer::new(vec![0u8; TCP_BUFFER]),
    );
    s.set_nagle_enabled(false);
    s
}

/// A deterministic payload pattern.
static PATTERN: [u8; 4096] = {
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
}

impl TcpClient {
    pub fn new(plan: FlowPlan, stall_timeout_ns: u64) -> Self {
        TcpClient {
            last_progress_ns: plan.start_ns,
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
        if let Some(h) = self.retired.take() {
            sockets.remove(h);
        }
        if st.done || now_ns < self.plan.start_ns {
            return;
        }
        if self.handle.is_none() && st.tcp_end.is_none() {
            let mut s = socket();
            let remote = IpEndpoint::new(smol_addr(self.plan.dst_ip), self.plan.port);
            if s.connect(cx, remote, self.plan.local_port).is_err() {
                st.tcp_end = Some(TcpEnd::Closed);
                st.done = true;
                return;
            }
            self.handle = Some(sockets.add(s));
            self.last_progress_ns = now_ns;
        }
        self.fill(sockets);
    }

    /// Write as much of the transfer as the send buffer takes; whether anything was.
    fn fill(&mut self, sockets: &mut SocketSet<'static>) -> bool {
        let Some(h) = self.handle else { return false };
        let before = self.written;
        let s = sockets.get_mut::<tcp::Socket>(h);
        while s.can_send() && self.written < self.plan.bytes {
            let want = (self.plan.bytes - self.written).min(PATTERN.len() as u64) as usize;
            let off = (self.written % PATTERN.len() as u64) as usize;
            let chunk = &PATTERN[off..(off + want).min(PATTERN.len())];
            match s.send_slice(chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => self.written += n as u64,
            }
        }
        self.written > before
    }

    /// Track acknowledged progress; finish on completion, stall or close. Returns
    /// whether the socket has new work for smoltcp (data written, or an abort).
    pub fn after_poll(
        &mut self,
        now_ns: u64,
        sockets: &mut SocketSet<'static>,
        st: &mut FlowStats,
    ) -> bool {
        let Some(h) = self.handle else { return false };
        let (state, queued) = {
            let s = sockets.get::<tcp::Socket>(h);
            (s.state(), s.send_queue() as u64)
        };
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
        let end = if st.bytes_acked >= self.plan.bytes && st.tcp_connected {
            Some(TcpEnd::Completed)
        } else if state == tcp::State::Closed {
            Some(TcpEnd::Closed)
        } else if now_ns >= self.last_progress_ns + self.stall_timeout_ns {
            Some(TcpEnd::Stalled)
        } else {
            None
        };
        match end {
            None => self.fill(sockets),
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
            Some(self.last_progress_ns + self.stall_timeout_ns)
        }
    }
}

/// The listening and accepted sockets of one host; bytes are credited to the flow
/// whose client address and port the connection comes from.
#[derive(Default)]
pub struct TcpServers {
    sockets: Vec<SocketHandle>,
    /// (client address, client port, server port) → flow.
    clients: Vec<(std::net::IpAddr, u16, u16, crate::model::FlowIdx)>,
}

impl TcpServers {
    /// Listen for `plan` (called when the flow starts).
    pub fn listen(&mut self, plan: &FlowPlan, sockets: &mut SocketSet<'static>) {
        let mut s = socket();
        if s.listen(plan.port).is_ok() {
            self.sockets.push(sockets.add(s));
        }
        self.clients
            .push((plan.src_ip, plan.local_port, plan.port, plan.flow));
    }

    /// Read what arrived; returns whether smoltcp has new work (a window opened by
    /// reading, a close).
    pub fn after_poll(
        &mut self,
        sockets: &mut SocketSet<'static>,
        stats: &mut [FlowStats],
    ) -> bool {
        let mut work = false;
        let mut i = 0;
        while i < self.sockets.len() {
            let h = self.sockets[i];
            let s = sockets.get_mut::<tcp::Socket>(h);
            let flow = match (s.remote_endpoint(), s.local_endpoint()) {
                (Some(r), Some(l)) => self
                    .clients
                    .iter()
                    .find(|c| smol_addr(c.0) == r.addr && c.1 == r.port && c.2 == l.port)
                    .map(|c| c.3),
                _ => None,
            };
            let mut got = 0u64;
            while s.can_recv() {
                match s.recv(|buf| (buf.len(), buf.len())) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n as u64,
                }
            }
            if let Some(st) = flow.and_then(|f| stats.get_mut(f.ix())) {
                st.bytes_delivered += got;
            }
            work |= got > 0;
            match s.state() {
                tcp::State::CloseWait => {
                    s.close();
                    work = true;
                }
                tcp::State::Closed => {
                    sockets.remove(h);
                    self.sockets.swap_remove(i);
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        work
    }
}
