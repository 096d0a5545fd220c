//! State sync: the snapshots this node takes of its Merkle store and serves to joining nodes,
//! and the restore of one offered by a peer (CometBFT's `ListSnapshots`, `LoadSnapshotChunk`,
//! `OfferSnapshot` and `ApplySnapshotChunk`).
//!
//! - [`format`]: how a state becomes chunks and a snapshot's metadata (format 1), and a
//!   snapshot as CometBFT lists it ([`SnapshotInfo`]).
//! - [`snapshots`]: taking one every `snapshot_interval` blocks, keeping a few, serving chunks.
//! - [`restore`]: checking offered chunks against the metadata, then the whole state against
//!   the app hash the light client trusts, before anything is written.

pub mod format;
pub mod restore;
pub mod snapshots;

pub use format::SnapshotInfo;
pub use restore::{ApplyOutcome, ApplyResult, OfferResult, Restore};
pub use snapshots::{SnapshotSettings, Snapshots};
