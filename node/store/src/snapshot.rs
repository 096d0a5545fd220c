//! A read-only view of the latest committed state, stable while commits go on.

use std::ops::Bound;

use redb::{ReadOnlyTable, ReadTransaction};

use crate::state::{bounds_empty, KvIter, StateRead, StoreError};
use crate::tables::{backend, decode_latest, FLAT};

/// The committed state of one version, read from the flat `state` table (each entry is the
/// version that wrote it and the value; readers see the value).
///
/// It holds a redb read transaction, so it keeps seeing its version after later commits (redb
/// is MVCC). Holding one for a long time keeps the pages of its version from being reused:
/// drop it when the block (or query) that uses it is done.
pub struct Snapshot {
    version: u64,
    root: [u8; 32],
    state: ReadOnlyTable<&'static [u8], &'static [u8]>,
    // Kept for clarity of ownership: the table already pins the transaction's pages.
    _txn: ReadTransaction,
}

impl Snapshot {
    pub(crate) fn new(
        txn: ReadTransaction,
        version: u64,
        root: [u8; 32],
    ) -> Result<Self, StoreError> {
        let state = txn
            .open_table(FLAT)
            .map_err(backend("opening the state table"))?;
        Ok(Self {
            version,
            root,
            state,
            _txn: txn,
        })
    }

    /// The version (block height) this snapshot reads; 0 before the first commit.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The app hash of that version.
    pub fn root(&self) -> [u8; 32] {
        self.root
    }
}

impl StateRead for Snapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.state.get(key).map_err(backend("reading state"))? {
            Some(entry) => Ok(Some(decode_latest(entry.value())?.1.to_vec())),
            None => Ok(None),
        }
    }

    fn range(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        descending: bool,
    ) -> Result<KvIter<'_>, StoreError> {
        if bounds_empty(start, end) {
            return Ok(Box::new(std::iter::empty()));
        }
        // redb walks the B-tree lazily from either end, so a small range costs only its size.
        let range = self
            .state
            .range::<&[u8]>((start, end))
            .map_err(backend("ranging over state"))?;
        let to_owned = |entry: Result<_, redb::StorageError>| {
            let (k, v): (redb::AccessGuard<&[u8]>, redb::AccessGuard<&[u8]>) =
                entry.map_err(backend("iterating state"))?;
            Ok((k.value().to_vec(), decode_latest(v.value())?.1.to_vec()))
        };
        Ok(if descending {
            Box::new(range.rev().map(to_owned))
        } else {
            Box::new(range.map(to_owned))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_and_the_store_can_cross_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Snapshot>();
        shareable::<crate::Store>();
    }
}
