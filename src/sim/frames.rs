//! Frames in flight: a slab of slots holding `Vec<u8>` buffers, and a pool of
//! spare buffers so the steady state allocates nothing.
//!
//! Events carry a [`FrameId`] (a slot index) instead of the bytes, keeping the event
//! queue entries small and `Copy`.

/// Index of a frame slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameId(pub u32);

/// Spare byte buffers, reused across frames.
#[derive(Debug, Default)]
pub struct BufferPool {
    spare: Vec<Vec<u8>>,
}

/// Buffers above this capacity are not kept (a jumbo frame fits comfortably).
const MAX_POOLED_CAPACITY: usize = 16 * 1024;
/// Spare buffers kept at most: bounds memory by the topology's burstiness.
const MAX_POOLED: usize = 4096;

impl BufferPool {
    /// An empty buffer, recycled when one is available.
    #[inline]
    pub fn take(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    /// Give a buffer back for reuse. Always inlined (issue #18): a host's
    /// receive buffer comes back once per frame, and as a call this spent as
    /// much on saving registers as on keeping the buffer.
    #[inline(always)]
    pub fn give(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() <= MAX_POOLED_CAPACITY && self.spare.len() < MAX_POOLED {
            buf.clear();
            self.spare.push(buf);
        }
    }
}

/// Frames currently travelling (queued on a link or in flight).
#[derive(Debug, Default)]
pub struct FrameSlab {
    /// Bytes and a stamp (the time the frame left its source host).
    slots: Vec<(Vec<u8>, u64)>,
    free: Vec<u32>,
}

impl FrameSlab {
    /// Store a frame; returns its id.
    #[inline]
    pub fn insert(&mut self, frame: Vec<u8>) -> FrameId {
        self.insert_stamped(frame, 0)
    }

    /// Store a frame with a stamp (kept here so events stay small).
    ///
    /// Always inlined: twice per frame, and as a call it spent about as many
    /// instructions saving and restoring registers as storing the frame (callgrind).
    #[inline(always)]
    pub fn insert_stamped(&mut self, frame: Vec<u8>, stamp: u64) -> FrameId {
        match self.free.pop() {
            Some(i) => {
                // A free slot holds the empty `Vec` `remove_stamped` left (no
                // allocation), so it is overwritten without running its drop code.
                let old = std::mem::replace(&mut self.slots[i as usize], (frame, stamp));
                debug_assert_eq!(old.0.capacity(), 0, "a free slot holds no buffer");
                std::mem::forget(old);
                FrameId(i)
            }
            None => {
                self.slots.push((frame, stamp));
                FrameId((self.slots.len() - 1) as u32)
            }
        }
    }

    /// Take a frame out; its slot becomes free.
    #[inline]
    pub fn remove(&mut self, id: FrameId) -> Vec<u8> {
        self.remove_stamped(id).0
    }

    /// Take a frame and its stamp out.
    #[inline]
    pub fn remove_stamped(&mut self, id: FrameId) -> (Vec<u8>, u64) {
        self.free.push(id.0);
        std::mem::take(&mut self.slots[id.0 as usize])
    }

    /// A stored frame's bytes.
    #[inline]
    pub fn get(&self, id: FrameId) -> &[u8] {
        &self.slots[id.0 as usize].0
    }

    /// Frames currently stored.
    pub fn in_flight(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// The bytes of every frame currently stored (free slots hold empty buffers,
    /// and no frame is empty).
    pub fn live(&self) -> impl Iterator<Item = &[u8]> {
        self.slots
            .iter()
            .map(|(f, _)| f.as_slice())
            .filter(|f| !f.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused() {
        let mut slab = FrameSlab::default();
        let a = slab.insert(vec![1]);
        let b = slab.insert(vec![2]);
        assert_eq!(slab.remove(a), vec![1]);
        let c = slab.insert(vec![3]);
        assert_eq!(c, a);
        assert_eq!(slab.in_flight(), 2);
        assert_eq!(slab.remove(b), vec![2]);
        assert_eq!(slab.remove(c), vec![3]);
        assert_eq!(slab.in_flight(), 0);
    }

    #[test]
    fn pool_recycles_cleared_buffers() {
        let mut pool = BufferPool::default();
        let mut buf = pool.take();
        buf.extend_from_slice(&[0u8; 100]);
        let cap = buf.capacity();
        pool.give(buf);
        let again = pool.take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), cap);
    }
}
