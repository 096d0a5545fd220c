//! What parallel delivery did, counted for the bench and the node's metrics.

use std::sync::atomic::AtomicU64;

/// Block txs since the app opened whose run ahead of order held as it was, held once their
/// credits were moved, or had to run again in order; and those run in order only, never ahead,
/// because a signer of theirs signed an earlier tx of the block (`app/parallel.rs`).
#[derive(Debug, Default)]
pub struct ParallelStats {
    pub applied: AtomicU64,
    pub credits_moved: AtomicU64,
    pub rerun: AtomicU64,
    pub in_order: AtomicU64,
}
