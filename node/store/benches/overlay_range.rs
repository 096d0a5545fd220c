//! What one short range read over a block's overlay costs as the block's pending writes grow:
//! a contract opening an iterator and taking one entry, with 1k to 100k writes pending in the
//! same range across a few open layers (a tx and its submessages). The figure must stay flat:
//! a range walks the layers lazily instead of copying their writes.
//!
//! `cargo bench -p tessera-store --bench overlay_range`

use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use tessera_store::state::MemState;
use tessera_store::{Overlay, StateRead, StateWrite};

const LAYERS: usize = 4;
const RANGES: u32 = 20_000;

fn key(i: usize) -> Vec<u8> {
    format!("wasm/contract/state/{i:09}").into_bytes()
}

/// Nanoseconds per `range(..).take(1)` with `pending` writes spread over `LAYERS` layers.
fn ns_per_range(pending: usize) -> f64 {
    let mut base = MemState::default();
    for i in (0..1_000).map(|i| i * 997) {
        base.set(&key(i), b"committed");
    }
    let mut overlay = Overlay::new(Arc::new(base));
    for layer in 0..LAYERS {
        if layer > 0 {
            overlay.begin();
        }
        for i in (layer..pending).step_by(LAYERS) {
            overlay.set(&key(i), b"pending value");
        }
    }
    let start = key(pending / 2);
    let end = b"wasm/contract/state/~".to_vec();
    let began = Instant::now();
    let mut found = 0usize;
    for _ in 0..RANGES {
        let mut range = overlay
            .range(Bound::Included(&start), Bound::Excluded(&end), false)
            .expect("range");
        if range.next().is_some() {
            found += 1;
        }
    }
    assert_eq!(found, RANGES as usize);
    began.elapsed().as_nanos() as f64 / f64::from(RANGES)
}

fn main() {
    let mut first = None;
    println!("overlay range(..).take(1), {LAYERS} layers, {RANGES} ranges per size");
    for pending in [1_000, 10_000, 100_000] {
        let ns = ns_per_range(pending);
        let base = *first.get_or_insert(ns);
        println!(
            "  pending writes {pending:>7}: {ns:>8.0} ns per range ({:.2}x the 1k figure)",
            ns / base
        );
    }
}
