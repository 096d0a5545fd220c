//! Restoring an offered snapshot. CometBFT offers a snapshot with the app hash its light
//! client trusts for that height, then hands over the chunks it fetched from peers. A chunk
//! that does not hash to the metadata is refetched from another peer and its sender is
//! rejected; once all chunks are in, the state is accepted only if its JMT root is that
//! trusted app hash (the app writes nothing before that check passes).

use std::collections::BTreeMap;

use super::format::{self, Metadata, SnapshotInfo, FORMAT};

/// CometBFT's `ResponseOfferSnapshot.Result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferResult {
    /// Stop state sync altogether (the node cannot restore at all).
    Abort,
    /// Try another snapshot.
    Reject,
    RejectFormat,
}

/// CometBFT's `ResponseApplySnapshotChunk.Result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyResult {
    Accept,
    Abort,
    /// Refetch the chunks named in `refetch_chunks` and apply again.
    Retry,
    RejectSnapshot,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ApplyOutcome {
    pub result: ApplyResult,
    pub refetch_chunks: Vec<u32>,
    pub reject_senders: Vec<String>,
    /// Why, for the log.
    pub reason: String,
}

impl ApplyOutcome {
    fn with(result: ApplyResult, reason: impl Into<String>) -> Self {
        Self {
            result,
            refetch_chunks: vec![],
            reject_senders: vec![],
            reason: reason.into(),
        }
    }
}

/// The whole state of a snapshot, ready for the store's check against the trusted root.
pub struct RestoredState {
    pub height: u64,
    pub state: BTreeMap<Vec<u8>, Vec<u8>>,
    pub app_hash: [u8; 32],
}

/// A snapshot being restored.
pub struct Restore {
    height: u64,
    app_hash: [u8; 32],
    chunk_hashes: Vec<[u8; 32]>,
    chunks: Vec<Option<Vec<format::Entry>>>,
    received: usize,
}

impl Restore {
    /// Checks an offered snapshot's shape; the trusted `app_hash` is what the state must hash
    /// to in the end.
    pub fn offer(info: &SnapshotInfo, app_hash: &[u8]) -> Result<Restore, (OfferResult, String)> {
        if info.format != FORMAT {
            return Err((
                OfferResult::RejectFormat,
                format!("snapshot format {} (this node reads {FORMAT})", info.format),
            ));
        }
        let reject = |why: String| Err((OfferResult::Reject, why));
        let Ok(app_hash) = <[u8; 32]>::try_from(app_hash) else {
            return reject(format!("trusted app hash of {} bytes", app_hash.len()));
        };
        if info.height == 0 {
            return reject("snapshot of height 0".into());
        }
        let metadata = match Metadata::decode(&info.metadata) {
            Ok(m) => m,
            Err(e) => return reject(e),
        };
        if metadata.chunk_hashes.is_empty() || metadata.chunk_hashes.len() != info.chunks as usize {
            return reject(format!(
                "{} chunks announced, {} chunk hashes in the metadata",
                info.chunks,
                metadata.chunk_hashes.len()
            ));
        }
        if metadata.hash().as_slice() != info.hash.as_slice() {
            return reject("the snapshot's hash is not the hash of its metadata".into());
        }
        Ok(Restore {
            height: info.height,
            app_hash,
            chunks: vec![None; metadata.chunk_hashes.len()],
            chunk_hashes: metadata.chunk_hashes,
            received: 0,
        })
    }

    pub fn height(&self) -> u64 {
        self.height
    }

    /// Takes chunk `index` from `sender`. When the last one is in, returns the whole state
    /// beside an `Accept` that the caller turns into the final answer after the store's check.
    pub fn apply(
        &mut self,
        index: u32,
        chunk: &[u8],
        sender: &str,
    ) -> (ApplyOutcome, Option<RestoredState>) {
        let Some(expected) = self.chunk_hashes.get(index as usize) else {
            return (
                ApplyOutcome::with(
                    ApplyResult::RejectSnapshot,
                    format!("chunk {index} of a {}-chunk snapshot", self.chunks.len()),
                ),
                None,
            );
        };
        if format::sha256(chunk) != *expected {
            let mut outcome = ApplyOutcome::with(
                ApplyResult::Retry,
                format!("chunk {index} from {sender:?} does not hash to the snapshot's metadata"),
            );
            outcome.refetch_chunks = vec![index];
            if !sender.is_empty() {
                outcome.reject_senders = vec![sender.to_string()];
            }
            return (outcome, None);
        }
        let entries = match format::decode_chunk(chunk) {
            Ok(entries) => entries,
            Err(e) => {
                // It hashes to the metadata: the snapshot itself is bad, not one peer's copy.
                return (
                    ApplyOutcome::with(ApplyResult::RejectSnapshot, format!("chunk {index}: {e}")),
                    None,
                );
            }
        };
        if self.chunks[index as usize].replace(entries).is_none() {
            self.received += 1;
        }
        if self.received < self.chunks.len() {
            return (ApplyOutcome::with(ApplyResult::Accept, ""), None);
        }
        match self.assemble() {
            Ok(state) => (ApplyOutcome::with(ApplyResult::Accept, ""), Some(state)),
            Err(e) => (ApplyOutcome::with(ApplyResult::RejectSnapshot, e), None),
        }
    }

    /// The chunks' entries as one state; keys must ascend strictly across the chunks, as the
    /// snapshot writer emits them.
    fn assemble(&mut self) -> Result<RestoredState, String> {
        let mut state = BTreeMap::new();
        let mut last: Option<Vec<u8>> = None;
        for chunk in self.chunks.iter_mut() {
            for (key, value) in chunk.take().unwrap_or_default() {
                if last.as_ref().is_some_and(|l| *l >= key) {
                    return Err("the snapshot's keys are not in strictly ascending order".into());
                }
                if key.is_empty() || value.is_empty() {
                    return Err("the snapshot holds an empty key or value".into());
                }
                last = Some(key.clone());
                state.insert(key, value);
            }
        }
        Ok(RestoredState {
            height: self.height,
            state,
            app_hash: self.app_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statesync::format::ChunkWriter;

    fn snapshot(entries: &[(&str, &str)], chunk_bytes: usize) -> (SnapshotInfo, Vec<Vec<u8>>) {
        let mut writer = ChunkWriter::new(chunk_bytes);
        let mut chunks: Vec<Vec<u8>> = entries
            .iter()
            .filter_map(|(k, v)| writer.push(k.as_bytes(), v.as_bytes()))
            .collect();
        chunks.extend(writer.finish());
        let metadata = Metadata {
            chunk_hashes: chunks.iter().map(|c| format::sha256(c)).collect(),
        };
        let info = SnapshotInfo {
            height: 40,
            format: FORMAT,
            chunks: chunks.len() as u32,
            hash: metadata.hash().to_vec(),
            metadata: metadata.encode(),
        };
        (info, chunks)
    }

    const ENTRIES: &[(&str, &str)] = &[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")];

    #[test]
    fn chunks_in_any_order_give_the_whole_state() {
        let (info, chunks) = snapshot(ENTRIES, 20);
        assert_eq!(chunks.len(), 2);
        let mut restore = Restore::offer(&info, &[9; 32]).unwrap();
        let (first, none) = restore.apply(1, &chunks[1], "peer1");
        assert_eq!(first.result, ApplyResult::Accept);
        assert!(none.is_none());
        let (last, state) = restore.apply(0, &chunks[0], "peer1");
        assert_eq!(last.result, ApplyResult::Accept);
        let state = state.unwrap();
        assert_eq!(state.height, 40);
        assert_eq!(state.app_hash, [9; 32]);
        assert_eq!(state.state.len(), 4);
    }

    #[test]
    fn a_corrupt_chunk_is_refetched_and_its_sender_rejected() {
        let (info, chunks) = snapshot(ENTRIES, 20);
        let mut restore = Restore::offer(&info, &[9; 32]).unwrap();
        let mut bad = chunks[0].clone();
        bad[5] ^= 1;
        let (outcome, state) = restore.apply(0, &bad, "liar");
        assert_eq!(outcome.result, ApplyResult::Retry);
        assert_eq!(outcome.refetch_chunks, vec![0]);
        assert_eq!(outcome.reject_senders, vec!["liar".to_string()]);
        assert!(state.is_none());
        // The honest copy from another peer goes on.
        assert_eq!(
            restore.apply(0, &chunks[0], "honest").0.result,
            ApplyResult::Accept
        );
        assert!(restore.apply(1, &chunks[1], "honest").1.is_some());
    }

    #[test]
    fn malformed_offers_are_rejected_with_the_reason() {
        let (info, _) = snapshot(ENTRIES, 20);
        let err = |info: &SnapshotInfo, hash: &[u8]| Restore::offer(info, hash).err().unwrap();
        assert_eq!(
            err(
                &SnapshotInfo {
                    format: 2,
                    ..info.clone()
                },
                &[0; 32]
            )
            .0,
            OfferResult::RejectFormat
        );
        assert!(err(&info, &[0; 31]).1.contains("31 bytes"));
        assert!(err(
            &SnapshotInfo {
                chunks: 3,
                ..info.clone()
            },
            &[0; 32]
        )
        .1
        .contains("3 chunks announced, 2 chunk hashes"));
        assert!(err(
            &SnapshotInfo {
                hash: vec![0; 32],
                ..info.clone()
            },
            &[0; 32]
        )
        .1
        .contains("not the hash of its metadata"));
        assert!(err(&SnapshotInfo { height: 0, ..info }, &[0; 32])
            .1
            .contains("height 0"));
    }

    #[test]
    fn a_consistent_but_disordered_snapshot_is_rejected_whole() {
        let (info, chunks) = snapshot(&[("b", "2"), ("a", "1")], 1000);
        let mut restore = Restore::offer(&info, &[9; 32]).unwrap();
        let (outcome, state) = restore.apply(0, &chunks[0], "peer");
        assert_eq!(outcome.result, ApplyResult::RejectSnapshot);
        assert!(outcome.reason.contains("ascending"), "{}", outcome.reason);
        assert!(state.is_none());
    }
}
