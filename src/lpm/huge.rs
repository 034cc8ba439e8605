//! Lookup arrays backed by transparent huge pages.
//!
//! A full-table lookup touches three or four random cache lines spread over a few
//! MB. With 4 KiB pages each of them is also a TLB miss, and under virtualisation
//! (nested paging) a TLB miss costs more than the cache miss itself. Backing the
//! arrays with 2 MiB pages (as DPDK's `rte_lpm` does with hugetlbfs) makes the whole
//! structure fit in the TLB. We ask for transparent huge pages with
//! `madvise(MADV_HUGEPAGE)`, which works whether the system's THP mode is `always`
//! or `madvise`, and is a harmless hint elsewhere.
//!
//! No crate offers an aligned, madvised, immutable slice, hence this small type;
//! `unsafe` is confined to allocation, deallocation and the slice view.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ops::Deref;
use std::ptr::NonNull;

/// 2 MiB: the x86-64 and aarch64 (4 KiB granule) huge page.
const HUGE_PAGE: usize = 2 << 20;
/// Arrays smaller than this live on ordinary pages (they fit a few TLB entries).
const HUGE_MIN: usize = 512 << 10;

/// An immutable, possibly huge-page-backed copy of a slice of plain data.
pub(crate) struct HugeSlice<T: Copy> {
    ptr: NonNull<T>,
    len: usize,
    /// `None` for the empty slice (nothing allocated).
    layout: Option<Layout>,
}

// SAFETY: HugeSlice owns its buffer exactly like Box<[T]>; it hands out only shared
// references, so it is Send/Sync whenever T is.
unsafe impl<T: Copy + Send> Send for HugeSlice<T> {}
unsafe impl<T: Copy + Sync> Sync for HugeSlice<T> {}

impl<T: Copy> HugeSlice<T> {
    pub(crate) fn from_slice(src: &[T]) -> Self {
        let bytes = std::mem::size_of_val(src);
        if bytes == 0 {
            return HugeSlice {
                ptr: NonNull::dangling(),
                len: src.len(),
                layout: None,
            };
        }
        let layout = if bytes >= HUGE_MIN {
            // Whole huge pages, huge-page aligned, so every byte can be on one.
            Layout::from_size_align(bytes.next_multiple_of(HUGE_PAGE), HUGE_PAGE)
        } else {
            Layout::array::<T>(src.len())
        };
        let Ok(layout) = layout else {
            panic!("LPM array of {bytes} bytes exceeds the address space");
        };
        // SAFETY: layout has a non-zero size.
        let raw = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(raw.cast::<T>()) else {
            handle_alloc_error(layout)
        };
        if bytes >= HUGE_MIN {
            advise_huge(raw, layout.size());
        }
        // SAFETY: the buffer holds at least src.len() T (size ≥ bytes, alignment ≥
        // align_of::<T>()), is freshly allocated so it cannot overlap src, and T: Copy.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), ptr.as_ptr(), src.len()) };
        HugeSlice {
            ptr,
            len: src.len(),
            layout: Some(layout),
        }
    }
}

/// Ask for huge pages under the whole-page interior of a vector's buffer (call it
/// before filling the vector, while no page is faulted in yet). Partial coverage:
/// only 2 MiB-aligned stretches inside can become huge pages.
pub(crate) fn advise_vec<T>(v: &Vec<T>) {
    let bytes = v.capacity() * size_of::<T>();
    if bytes < HUGE_MIN {
        return;
    }
    let start = (v.as_ptr() as usize).next_multiple_of(4096);
    let end = (v.as_ptr() as usize + bytes) & !4095;
    if end > start {
        advise_huge(start as *mut u8, end - start);
    }
}

#[cfg(target_os = "linux")]
fn advise_huge(ptr: *mut u8, len: usize) {
    // SAFETY: [ptr, ptr+len) is page-aligned and inside one live allocation we own;
    // MADV_HUGEPAGE only changes how the kernel backs it, never its contents.
    // Failure (THP disabled, old kernel) just leaves ordinary pages: ignore it.
    unsafe {
        libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_ptr: *mut u8, _len: usize) {}

impl<T: Copy> Deref for HugeSlice<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: ptr points at len initialised T (or is dangling with len 0... or
        // with T zero-sized), valid for the life of self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> Drop for HugeSlice<T> {
    fn drop(&mut self) {
        if let Some(layout) = self.layout {
            // SAFETY: allocated in from_slice with exactly this layout.
            unsafe { dealloc(self.ptr.as_ptr().cast(), layout) }
        }
    }
}

impl<T: Copy> Clone for HugeSlice<T> {
    fn clone(&self) -> Self {
        HugeSlice::from_slice(self)
    }
}

impl<T: Copy + std::fmt::Debug> std::fmt::Debug for HugeSlice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HugeSlice(len {})", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_small_large_and_empty() {
        let empty: HugeSlice<u64> = HugeSlice::from_slice(&[]);
        assert!(empty.is_empty());
        let small = HugeSlice::from_slice(&[1u32, 2, 3]);
        assert_eq!(&*small, &[1, 2, 3]);
        let big: Vec<u32> = (0..1_000_000).collect();
        let huge = HugeSlice::from_slice(&big);
        assert_eq!(&*huge, &big[..]);
        assert_eq!(huge.as_ptr() as usize % HUGE_PAGE, 0);
        assert_eq!(&*huge.clone(), &big[..]);
    }
}
