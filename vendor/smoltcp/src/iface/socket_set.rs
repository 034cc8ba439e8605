use core::cmp::Reverse;
use core::fmt;
use managed::ManagedSlice;

// peeremu patch: the indexes below (free slots, egress candidates, per-kind lists)
// are `Vec`s and a heap.
#[cfg(not(feature = "alloc"))]
compile_error!("peeremu's patched smoltcp needs the `alloc` feature (socket set indexes)");
use crate::time::Instant;
use alloc::collections::{BTreeSet, BinaryHeap};
use alloc::vec::Vec;

use super::socket_meta::Meta;
use crate::socket::{AnySocket, Socket};

/// Opaque struct with space for storing one socket.
///
/// This is public so you can use it to allocate space for storing
/// sockets when creating an Interface.
#[derive(Debug, Default)]
pub struct SocketStorage<'a> {
    inner: Option<Item<'a>>,
}

impl<'a> SocketStorage<'a> {
    pub const EMPTY: Self = Self { inner: None };
}

/// An item of a socket set.
#[derive(Debug)]
pub(crate) struct Item<'a> {
    pub(crate) meta: Meta,
    pub(crate) socket: Socket<'a>,
    /// peeremu patch: the socket is in `SocketSet::pending` (it may have egress
    /// work: see there).
    pub(crate) pending: bool,
    /// peeremu patch: the socket is in `SocketSet::timed` at this time.
    pub(crate) timed: Option<Instant>,
}

/// A handle, identifying a socket in an Interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SocketHandle(usize);

impl fmt::Display for SocketHandle {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An extensible set of sockets.
///
/// The lifetime `'a` is used when storing a `Socket<'a>`.  If you're using
/// owned buffers for your sockets (passed in as `Vec`s) you can use
/// `SocketSet<'static>`.
#[derive(Debug)]
pub struct SocketSet<'a> {
    sockets: ManagedSlice<'a, SocketStorage<'a>>,
    /// peeremu patch: empty slots below `sockets.len()`, lowest first, so `add`
    /// takes the same slot as the release's linear search for the first empty one
    /// without that search.
    free: BinaryHeap<Reverse<usize>>,
    /// peeremu patch: handles of the sockets that may have egress work, each once
    /// (`Item::pending`), in no order. A socket outside this list has `poll_at`
    /// `PollAt::Ingress` (nothing to send until it is changed): it left the list
    /// only after egress found it so, and every way to change it (`add`,
    /// `get_mut`, `iter_mut`, a packet processed by it on ingress) puts it back.
    /// Egress and `Interface::poll_at` walk this list instead of every socket, so
    /// a poll costs the sockets with work, not every socket of the interface.
    pub(crate) pending: Vec<usize>,
    /// peeremu patch: (time, handle) of the sockets whose `poll_at` was a time
    /// still to come when egress last saw them (a TCP timer: delayed ACK,
    /// retransmission, TIME-WAIT...): egress moves them back to `pending` when
    /// that time comes (or when they are changed), so a socket waiting on a
    /// timer costs nothing per poll until then.
    pub(crate) timed: BTreeSet<(Instant, usize)>,
    /// peeremu patch: handles of the TCP, UDP and ICMP sockets, ascending, for
    /// ingress to try only the sockets of the packet's protocol (in the release's
    /// order: the first that accepts takes it).
    pub(crate) tcp: Vec<usize>,
    pub(crate) udp: Vec<usize>,
    pub(crate) icmp: Vec<usize>,
}

impl<'a> SocketSet<'a> {
    /// Create a socket set using the provided storage.
    pub fn new<SocketsT>(sockets: SocketsT) -> SocketSet<'a>
    where
        SocketsT: Into<ManagedSlice<'a, SocketStorage<'a>>>,
    {
        let sockets: ManagedSlice<'a, SocketStorage<'a>> = sockets.into();
        let mut set = SocketSet {
            sockets,
            free: BinaryHeap::new(),
            pending: Vec::new(),
            timed: BTreeSet::new(),
            tcp: Vec::new(),
            udp: Vec::new(),
            icmp: Vec::new(),
        };
        for (index, slot) in set.sockets.iter_mut().enumerate() {
            match slot.inner.as_mut() {
                None => set.free.push(Reverse(index)),
                Some(item) => {
                    item.pending = true;
                    set.pending.push(index);
                    if let Some(list) = Self::kind_list(&mut set.tcp, &mut set.udp, &mut set.icmp, &item.socket) {
                        list.push(index);
                    }
                }
            }
        }
        set
    }

    /// peeremu patch: the per-kind handle list a socket belongs to.
    #[allow(unused_variables)]
    fn kind_list<'v>(
        tcp: &'v mut Vec<usize>,
        udp: &'v mut Vec<usize>,
        icmp: &'v mut Vec<usize>,
        socket: &Socket<'a>,
    ) -> Option<&'v mut Vec<usize>> {
        match socket {
            #[cfg(feature = "socket-tcp")]
            Socket::Tcp(_) => Some(tcp),
            #[cfg(feature = "socket-udp")]
            Socket::Udp(_) => Some(udp),
            #[cfg(feature = "socket-icmp")]
            Socket::Icmp(_) => Some(icmp),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// peeremu patch: mark the socket at `index` as possibly having egress work.
    #[inline]
    pub(crate) fn mark_pending(&mut self, index: usize) {
        if let Some(item) = self.sockets[index].inner.as_mut() {
            if let Some(at) = item.timed.take() {
                self.timed.remove(&(at, index));
            }
            if !item.pending {
                item.pending = true;
                self.pending.push(index);
            }
        }
    }

    /// peeremu patch: the socket at `index`, if any.
    #[inline]
    pub(crate) fn item(&self, index: usize) -> Option<&Item<'a>> {
        self.sockets[index].inner.as_ref()
    }

    /// peeremu patch: the socket at `index`, if any (not marked pending).
    #[inline]
    pub(crate) fn item_mut(&mut self, index: usize) -> Option<&mut Item<'a>> {
        self.sockets[index].inner.as_mut()
    }

    /// peeremu patch: room for `additional` more sockets in an owned set
    /// without moving it (a host given thousands of flows at once reserves
    /// them before adding them one by one; each growth copied every slot).
    /// Nothing else changes: `add` takes the same slots as without it.
    pub fn reserve(&mut self, additional: usize) {
        #[cfg(feature = "alloc")]
        if let ManagedSlice::Owned(sockets) = &mut self.sockets {
            sockets.reserve(additional);
            self.pending.reserve(additional);
        }
    }

    /// Add a socket to the set, and return its handle.
    ///
    /// # Panics
    /// This function panics if the storage is fixed-size (not a `Vec`) and is full.
    pub fn add<T: AnySocket<'a>>(&mut self, socket: T) -> SocketHandle {
        fn put<'a>(index: usize, slot: &mut SocketStorage<'a>, socket: Socket<'a>) -> SocketHandle {
            net_trace!("[{}]: adding", index);
            let handle = SocketHandle(index);
            let mut meta = Meta::default();
            meta.handle = handle;
            *slot = SocketStorage {
                inner: Some(Item {
                    meta,
                    socket,
                    pending: true,
                    timed: None,
                }),
            };
            handle
        }

        let socket = socket.upcast();

        // peeremu patch: the lowest free slot from the heap, not a linear search.
        let handle = if let Some(Reverse(index)) = self.free.pop() {
            put(index, &mut self.sockets[index], socket)
        } else {
            match &mut self.sockets {
                ManagedSlice::Borrowed(_) => panic!("adding a socket to a full SocketSet"),
                #[cfg(feature = "alloc")]
                ManagedSlice::Owned(sockets) => {
                    sockets.push(SocketStorage { inner: None });
                    let index = sockets.len() - 1;
                    put(index, &mut sockets[index], socket)
                }
            }
        };
        let index = handle.0;
        self.pending.push(index);
        if let Some(item) = self.sockets[index].inner.as_ref() {
            if let Some(list) =
                Self::kind_list(&mut self.tcp, &mut self.udp, &mut self.icmp, &item.socket)
            {
                // Ascending: a reused slot goes in its place.
                let at = list.partition_point(|&h| h < index);
                list.insert(at, index);
            }
        }
        handle
    }

    /// Get a socket from the set by its handle, as mutable.
    ///
    /// # Panics
    /// This function may panic if the handle does not belong to this socket set
    /// or the socket has the wrong type.
    pub fn get<T: AnySocket<'a>>(&self, handle: SocketHandle) -> &T {
        match self.sockets[handle.0].inner.as_ref() {
            Some(item) => {
                T::downcast(&item.socket).expect("handle refers to a socket of a wrong type")
            }
            None => panic!("handle does not refer to a valid socket"),
        }
    }

    /// Get a mutable socket from the set by its handle, as mutable.
    ///
    /// # Panics
    /// This function may panic if the handle does not belong to this socket set
    /// or the socket has the wrong type.
    #[inline]
    pub fn get_mut<T: AnySocket<'a>>(&mut self, handle: SocketHandle) -> &mut T {
        // peeremu patch: whoever changes a socket may give it egress work.
        self.mark_pending(handle.0);
        match self.sockets[handle.0].inner.as_mut() {
            Some(item) => T::downcast_mut(&mut item.socket)
                .expect("handle refers to a socket of a wrong type"),
            None => panic!("handle does not refer to a valid socket"),
        }
    }

    /// peeremu patch: like [`SocketSet::get_mut`], but the socket is not marked
    /// as having egress work (see `pending`). Only for reading what a UDP or ICMP
    /// socket received (`recv`, `can_recv`): that gives it nothing to send. Any
    /// other change must go through `get_mut`, or egress may miss it.
    #[inline]
    pub fn get_mut_for_recv<T: AnySocket<'a>>(&mut self, handle: SocketHandle) -> &mut T {
        match self.sockets[handle.0].inner.as_mut() {
            Some(item) => T::downcast_mut(&mut item.socket)
                .expect("handle refers to a socket of a wrong type"),
            None => panic!("handle does not refer to a valid socket"),
        }
    }

    /// Remove a socket from the set, without changing its state.
    ///
    /// # Panics
    /// This function may panic if the handle does not belong to this socket set.
    pub fn remove(&mut self, handle: SocketHandle) -> Socket<'a> {
        net_trace!("[{}]: removing", handle.0);
        match self.sockets[handle.0].inner.take() {
            Some(item) => {
                // peeremu patch: keep the indexes (a stale `pending` entry is
                // skipped, and dropped, by the next egress).
                let index = handle.0;
                self.free.push(Reverse(index));
                if let Some(list) =
                    Self::kind_list(&mut self.tcp, &mut self.udp, &mut self.icmp, &item.socket)
                {
                    if let Ok(at) = list.binary_search(&index) {
                        list.remove(at);
                    }
                }
                if item.pending {
                    self.pending.retain(|&h| h != index);
                }
                if let Some(at) = item.timed {
                    self.timed.remove(&(at, index));
                }
                item.socket
            }
            None => panic!("handle does not refer to a valid socket"),
        }
    }

    /// Get an iterator to the inner sockets.
    pub fn iter(&self) -> impl Iterator<Item = (SocketHandle, &Socket<'a>)> {
        self.items().map(|i| (i.meta.handle, &i.socket))
    }

    /// Get a mutable iterator to the inner sockets.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (SocketHandle, &mut Socket<'a>)> {
        // peeremu patch: every socket may be changed, so every one is pending.
        for index in 0..self.sockets.len() {
            self.mark_pending(index);
        }
        self.items_mut().map(|i| (i.meta.handle, &mut i.socket))
    }

    /// Iterate every socket in this set.
    pub(crate) fn items(&self) -> impl Iterator<Item = &Item<'a>> + '_ {
        self.sockets.iter().filter_map(|x| x.inner.as_ref())
    }

    /// Iterate every socket in this set.
    pub(crate) fn items_mut(&mut self) -> impl Iterator<Item = &mut Item<'a>> + '_ {
        self.sockets.iter_mut().filter_map(|x| x.inner.as_mut())
    }
}
