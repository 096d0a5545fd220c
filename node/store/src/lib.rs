//! The chain's state as the app sees it.
//!
//! - [`StateRead`] / [`StateWrite`]: byte keys and values, ordered ranges.
//! - [`Overlay`]: the writes of a block over a read-only base, with nested layers so a failed
//!   transaction or submessage is discarded without touching the rest of the block.
//! - [`Store`]: the committed, versioned Merkle store (JMT over redb) whose root is the app
//!   hash; [`Snapshot`] is its latest state, the base an `Overlay` runs a block on.

mod hash_cache;
mod migrate;
mod node_codec;
pub mod overlay;
mod packing;
pub mod snapshot;
pub mod state;
pub mod store;
mod tables;

/// The ics23 crate the proofs are built with, so callers name the same `CommitmentProof`.
pub use ics23;
pub use overlay::{Access, Overlay};
pub use snapshot::Snapshot;
pub use state::{KvIter, StateRead, StateWrite, StoreError};
pub use store::{
    verify_proof, DiskUsage, Store, StoreOptions, TableUsage, DEFAULT_KEEP_VERSIONS,
    DEFAULT_NODE_HASH_CACHE, EMPTY_ROOT,
};
