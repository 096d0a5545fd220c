//! The chain's state as the app sees it.
//!
//! - [`StateRead`] / [`StateWrite`]: byte keys and values, ordered ranges.
//! - [`Overlay`]: the writes of a block over a read-only base, with nested layers so a failed
//!   transaction or submessage is discarded without touching the rest of the block.
//! - `Store` (next): the committed, versioned Merkle store whose root is the app hash.

pub mod overlay;
pub mod state;

pub use overlay::Overlay;
pub use state::{KvIter, StateRead, StateWrite, StoreError};
