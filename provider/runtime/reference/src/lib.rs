//! Reference implementations of Tessera's deterministic kernels.
//!
//! Every kernel here has a CUDA twin (`provider/runtime/kernels/*.cu`) that must produce the same
//! bytes. This crate is the definition: pure Rust, `no_std` + `alloc`, no threads, no floating
//! point beyond IEEE-754 basic operations in round-to-nearest (see the runtime's README for the
//! rules). It builds for `wasm32-unknown-unknown`, so a contract can re-run one leaf of a job as
//! the referee of a dispute.
//!
//! A job's output is a sequence of *leaves*: the canonical bytes of the smallest piece that can be
//! recomputed from the job's parameters and inputs alone (at most [`MAX_LEAF_BYTES`]). Leaves are
//! numbered so that the position of any piece is computable ([`Spec::leaf_count`]); a work unit
//! is a contiguous run of leaves ([`unit_leaves`]). The files a person gets are assembled from the
//! leaves ([`Spec::assemble`]) by the same code on the provider and on the client.

#![no_std]

extern crate alloc;

pub mod matmul;
pub mod mlp;
#[cfg(feature = "json")]
pub mod params;
pub mod png;
pub mod render;
pub mod rng;
pub mod sha256_batch;
mod spec;
#[cfg(all(feature = "wasm-abi", target_arch = "wasm32"))]
mod wasm_abi;

pub use spec::{Error, Spec};

/// The most bytes one leaf may hold.
pub const MAX_LEAF_BYTES: usize = 64 * 1024;

/// The leaves of work unit `unit` when `leaf_count` leaves are split into `units` units: an even
/// split, `[⌊u·L/U⌋, ⌊(u+1)·L/U⌋)`. `None` when `unit >= units` or `units > leaf_count` (a
/// unit would be empty).
pub fn unit_leaves(leaf_count: u64, units: u64, unit: u64) -> Option<core::ops::Range<u64>> {
    if units == 0 || unit >= units || units > leaf_count {
        return None;
    }
    let at = |u: u64| ((u as u128 * leaf_count as u128) / units as u128) as u64;
    Some(at(unit)..at(unit + 1))
}

/// Little-endian bytes of `values`, every NaN replaced by the canonical quiet NaN `0x7fc00000`
/// (a GPU and a CPU may propagate different NaN payloads; nothing else about a float differs).
pub fn f32_leaf_bytes(values: &[f32]) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec::Vec::with_capacity(values.len() * 4);
    for v in values {
        let bits = if v.is_nan() { 0x7fc0_0000 } else { v.to_bits() };
        out.extend_from_slice(&bits.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_split_leaves_evenly_and_cover_them_once() {
        for leaves in 1..40u64 {
            for units in 1..=leaves {
                let mut next = 0;
                for u in 0..units {
                    let r = unit_leaves(leaves, units, u).unwrap();
                    assert_eq!(r.start, next);
                    assert!(!r.is_empty());
                    next = r.end;
                }
                assert_eq!(next, leaves);
                assert_eq!(unit_leaves(leaves, units, units), None);
            }
            assert_eq!(unit_leaves(leaves, leaves + 1, 0), None);
        }
    }

    #[test]
    fn nans_are_canonical_in_leaf_bytes() {
        let odd_nan = f32::from_bits(0xffc0_1234);
        assert_eq!(
            f32_leaf_bytes(&[1.0, odd_nan, -0.0]),
            [0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f, 0, 0, 0, 0x80]
        );
    }
}
