//! Where a block's `finalize_block` time goes, for the node's metrics and the throughput bench:
//! without it, finding the serial part of a block took patching timers into the node.

use std::time::Duration;

/// Wall time of each phase of one `finalize_block`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockPhases {
    /// Running the block's txs, on every thread parallel delivery uses.
    pub deliver: Duration,
    /// The end-block hooks (the market's auctions and settlements).
    pub end_block: Duration,
    /// Collecting the block's changes and staging them: the tree update and the value writes
    /// that give the app hash.
    pub app_hash: Duration,
}

/// Sums, for averages over several blocks.
impl std::ops::AddAssign for BlockPhases {
    fn add_assign(&mut self, other: Self) {
        self.deliver += other.deliver;
        self.end_block += other.end_block;
        self.app_hash += other.app_hash;
    }
}
