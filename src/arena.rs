//! The allocator: a start-up arena in front of the system's malloc.
//!
//! Why: musl's malloc gives every size class its own `mmap`ed group, so the
//! few hundred small allocations of a start (options, runtime, one attempt,
//! two lines of output) cost some twenty `mmap`s, their `munmap`s and a page
//! fault for each page they touch: measured, the allocator was the largest
//! single cost of the fast path (issue 21). Here allocations are handed out
//! one after another from one static block instead (in `.bss`, so a page
//! costs nothing until it is touched), which packs them into as few pages as
//! they fill.
//!
//! The arena never reuses what is freed, except the last allocation made
//! (freed or grown in place, as a `String` that is built and dropped is).
//! When it is full, every further allocation goes to the system's malloc,
//! so a wait that runs for hours holds at most the arena's size more than it
//! would without it. Lock-free: the one moving part is the offset of the
//! arena's first free byte, moved by compare-and-swap (acquire and release,
//! so that what one thread wrote to a block it freed is written before
//! another thread is handed the same bytes).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The largest alignment the arena serves; a larger one goes to the system.
const PAGE: usize = 4096;

/// An allocator with `SIZE` bytes of its own before it turns to [`System`].
#[repr(C, align(4096))]
pub struct Arena<const SIZE: usize> {
    /// The offset of the first byte not handed out: first, so that it shares
    /// a page with the first blocks instead of taking one of its own.
    top: AtomicUsize,
    bytes: UnsafeCell<[MaybeUninit<u8>; SIZE]>,
}

// SAFETY: the bytes are shared only as disjoint ranges, each handed out once
// by a compare-and-swap on `top`.
unsafe impl<const SIZE: usize> Sync for Arena<SIZE> {}

impl<const SIZE: usize> Arena<SIZE> {
    pub const fn new() -> Self {
        Arena {
            top: AtomicUsize::new(0),
            bytes: UnsafeCell::new([MaybeUninit::uninit(); SIZE]),
        }
    }

    fn base(&self) -> usize {
        self.bytes.get() as usize
    }

    /// Whether `ptr` was handed out by the arena (not by the system).
    fn holds(&self, ptr: *mut u8) -> bool {
        (self.base()..self.base() + SIZE).contains(&(ptr as usize))
    }

    /// `layout`'s bytes from the arena, or `None` when they do not fit.
    fn bump(&self, layout: Layout) -> Option<*mut u8> {
        if layout.align() > PAGE {
            return None;
        }
        let mut top = self.top.load(Ordering::Acquire);
        loop {
            let start = (self.base() + top).checked_next_multiple_of(layout.align())? - self.base();
            let end = start
                .checked_add(layout.size())
                .filter(|&end| end <= SIZE)?;
            match self
                .top
                .compare_exchange_weak(top, end, Ordering::AcqRel, Ordering::Acquire)
            {
                // SAFETY: start + size <= SIZE, inside the arena.
                Ok(_) => return Some(unsafe { self.bytes.get().cast::<u8>().add(start) }),
                Err(now) => top = now,
            }
        }
    }

    /// Moves the top from the end of the allocation at `offset` (`from` bytes
    /// long) to `to` bytes past `offset`; false if it is not the last one
    /// handed out, or `to` does not fit.
    fn move_top(&self, offset: usize, from: usize, to: usize) -> bool {
        offset + to <= SIZE
            && self
                .top
                .compare_exchange(
                    offset + from,
                    offset + to,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
    }
}

impl<const SIZE: usize> Default for Arena<SIZE> {
    fn default() -> Self {
        Self::new()
    }
}

// Each method is one function, not inlined into every place that allocates
// or drops (that grew the binary by 66 KB); a call costs nothing beside it.
//
// SAFETY: every block handed out is `layout.size()` bytes aligned to
// `layout.align()`, from the arena (disjoint ranges, see `bump`) or from
// `System`; a block goes back to whichever handed it out (`holds`).
unsafe impl<const SIZE: usize> GlobalAlloc for Arena<SIZE> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(block) => block,
            // SAFETY: the caller's promise about layout, passed on.
            None => unsafe { System.alloc(layout) },
        }
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(block) => {
                // A block may be one freed and given out again: clear it.
                // SAFETY: the block is layout.size() bytes, ours alone.
                unsafe { ptr::write_bytes(block, 0, layout.size()) };
                block
            }
            // SAFETY: as in alloc.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.holds(ptr) {
            // Only the last block handed out is taken back; the rest stay used.
            self.move_top(ptr as usize - self.base(), layout.size(), 0);
        } else {
            // SAFETY: not the arena's, so the system's, with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.holds(ptr) {
            // SAFETY: the system's block, with the caller's promises.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        let offset = ptr as usize - self.base();
        // The last block grows or shrinks where it is; any block may shrink.
        if self.move_top(offset, layout.size(), new_size) || new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: the caller promises new_size is valid for layout's alignment.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: new_layout has a non-zero size (new_size > layout.size()).
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            // SAFETY: both blocks are at least layout.size() bytes and distinct.
            unsafe { ptr::copy_nonoverlapping(ptr, moved, layout.size()) };
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_spill_to_the_system_when_full() {
        let arena: &'static Arena<4096> = Box::leak(Box::default());
        let blocks: Vec<(*mut u8, Layout)> = [(3, 1), (8, 8), (100, 64), (1, 1), (2000, 16)]
            .into_iter()
            .map(|(size, align)| {
                let layout = layout(size, align);
                (unsafe { arena.alloc(layout) }, layout)
            })
            .collect();
        for (block, layout) in &blocks {
            assert!(arena.holds(*block));
            assert_eq!(*block as usize % layout.align(), 0);
            unsafe { ptr::write_bytes(*block, 0xAB, layout.size()) };
        }
        let mut ranges: Vec<_> = blocks
            .iter()
            .map(|(block, layout)| (*block as usize, *block as usize + layout.size()))
            .collect();
        ranges.sort();
        assert!(ranges.windows(2).all(|pair| pair[0].1 <= pair[1].0));
        // 2,000 more bytes do not fit in what is left: the system's.
        let spilled = unsafe { arena.alloc(layout(2000, 8)) };
        assert!(!arena.holds(spilled));
        unsafe { arena.dealloc(spilled, layout(2000, 8)) };
        // So does an alignment past a page.
        let aligned = unsafe { arena.alloc(layout(16, 8192)) };
        assert!(!arena.holds(aligned) && aligned as usize % 8192 == 0);
        unsafe { arena.dealloc(aligned, layout(16, 8192)) };
    }

    #[test]
    fn the_last_block_is_taken_back_and_grows_in_place() {
        let arena: &'static Arena<4096> = Box::leak(Box::default());
        let first = unsafe { arena.alloc(layout(10, 1)) };
        let last = unsafe { arena.alloc(layout(10, 1)) };
        unsafe { last.write_bytes(7, 10) };
        let grown = unsafe { arena.realloc(last, layout(10, 1), 30) };
        assert_eq!(grown, last);
        assert_eq!(unsafe { *grown.add(9) }, 7);
        unsafe { arena.dealloc(grown, layout(30, 1)) };
        // Freed, the last block's bytes are handed out again.
        assert_eq!(unsafe { arena.alloc(layout(5, 1)) }, last);
        // A block that is not the last moves to grow, keeping its bytes.
        unsafe { first.write_bytes(9, 10) };
        let moved = unsafe { arena.realloc(first, layout(10, 1), 20) };
        assert_ne!(moved, first);
        assert_eq!(unsafe { std::slice::from_raw_parts(moved, 10) }, &[9; 10]);
        // Zeroed means zeroed, even where a freed block was.
        let top = unsafe { arena.alloc(layout(8, 1)) };
        unsafe { top.write_bytes(0xFF, 8) };
        unsafe { arena.dealloc(top, layout(8, 1)) };
        let zeroed = unsafe { arena.alloc_zeroed(layout(8, 1)) };
        assert_eq!(unsafe { std::slice::from_raw_parts(zeroed, 8) }, &[0; 8]);
    }

    #[test]
    fn threads_never_share_a_block() {
        let arena: &'static Arena<65536> = Box::leak(Box::default());
        let threads: Vec<_> = (0..4u8)
            .map(|mark| {
                std::thread::spawn(move || {
                    let mut kept = Vec::new();
                    for round in 0..2000usize {
                        let layout = layout(1 + round % 24, 1 << (round % 4));
                        let block = unsafe { arena.alloc(layout) };
                        unsafe { block.write_bytes(mark, layout.size()) };
                        match round % 3 {
                            0 => unsafe { arena.dealloc(block, layout) },
                            _ => kept.push((block as usize, layout)),
                        }
                    }
                    kept
                })
            })
            .collect();
        for (mark, thread) in threads.into_iter().enumerate() {
            for (block, layout) in thread.join().unwrap() {
                let bytes =
                    unsafe { std::slice::from_raw_parts(block as *const u8, layout.size()) };
                assert!(bytes.iter().all(|&byte| byte == mark as u8));
                unsafe { arena.dealloc(block as *mut u8, layout) };
            }
        }
    }
}
