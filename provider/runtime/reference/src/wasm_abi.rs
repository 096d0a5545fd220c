//! A C ABI for running this crate as a standalone wasm module (feature `wasm-abi`, wasm32 only):
//! the host writes a spec's words and an input into memory it got from `tk_alloc`, calls
//! `tk_leaf`, and reads the leaf at `tk_out_ptr` / `tk_out_len`. Memory is a bump allocator that
//! never frees: a module instance computes a few leaves and is dropped.

use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

use crate::Spec;

struct Bump {
    /// (next free byte, end of the pages owned).
    state: UnsafeCell<(usize, usize)>,
}

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl Sync for Bump {}

// SAFETY: every block handed out is fresh memory of the requested size and alignment, taken from
// pages obtained with memory.grow and never handed out twice.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let state = &mut *self.state.get();
        let start = (state.0 + layout.align() - 1) & !(layout.align() - 1);
        if start + layout.size() > state.1 || state.0 == 0 {
            let pages = (layout.size() + layout.align()).div_ceil(65536).max(16);
            let old = core::arch::wasm32::memory_grow(0, pages);
            if old == usize::MAX {
                return core::ptr::null_mut();
            }
            *state = (old * 65536, (old + pages) * 65536);
            return self.alloc(layout);
        }
        state.0 = start + layout.size();
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOC: Bump = Bump {
    state: UnsafeCell::new((0, 0)),
};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

struct Out(UnsafeCell<Vec<u8>>);
// SAFETY: one thread (see Bump).
unsafe impl Sync for Out {}
static OUT: Out = Out(UnsafeCell::new(Vec::new()));

/// `len` bytes the host may write into.
#[no_mangle]
pub extern "C" fn tk_alloc(len: u32) -> *mut u8 {
    let mut v = alloc::vec![0u8; len as usize];
    let p = v.as_mut_ptr();
    core::mem::forget(v);
    p
}

/// Computes leaf `leaf` of the spec given as `words_len` u64 words at `words`, with the job's
/// input (`input_len` bytes at `input`). Returns 0 on success, 1 when the spec or leaf is bad.
///
/// # Safety
/// The pointers must come from `tk_alloc` with at least the given lengths.
#[no_mangle]
pub unsafe extern "C" fn tk_leaf(
    words: *const u8,
    words_len: u32,
    input: *const u8,
    input_len: u32,
    leaf: u64,
) -> u32 {
    let raw = core::slice::from_raw_parts(words, words_len as usize * 8);
    let words: Vec<u64> = raw
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    let input = core::slice::from_raw_parts(input, input_len as usize);
    let result = Spec::from_words(&words).and_then(|spec| spec.leaf(leaf, input));
    match result {
        Ok(bytes) => {
            *OUT.0.get() = bytes;
            0
        }
        Err(_) => 1,
    }
}

#[no_mangle]
pub extern "C" fn tk_out_ptr() -> *const u8 {
    // SAFETY: one thread; the host reads between calls.
    unsafe { (*OUT.0.get()).as_ptr() }
}

#[no_mangle]
pub extern "C" fn tk_out_len() -> u32 {
    // SAFETY: as above.
    unsafe { (*OUT.0.get()).len() as u32 }
}
