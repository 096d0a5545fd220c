//! Snapshot format 1: the state's key-value pairs in key order, cut into chunks of about
//! `chunk_bytes`, each chunk a sequence of `u32 BE key length ‖ key ‖ u32 BE value length ‖
//! value`. The metadata is the chunks' sha256 hashes, concatenated, and the snapshot's hash is
//! the sha256 of the metadata: a chunk is checked on arrival, the whole state at the end
//! (its JMT root against the trusted app hash).

use sha2::{Digest, Sha256};

/// A snapshot as CometBFT lists and offers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub height: u64,
    pub format: u32,
    pub chunks: u32,
    /// sha256 of `metadata`.
    pub hash: Vec<u8>,
    /// The chunks' sha256 hashes, concatenated ([`Metadata`]).
    pub metadata: Vec<u8>,
}

/// The only format this node writes and reads.
pub const FORMAT: u32 = 1;

/// Chunk size this node writes (CometBFT carries chunks of up to 16 MiB).
pub const DEFAULT_CHUNK_BYTES: usize = 4 << 20;

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Cuts key-value pairs (in key order) into chunks. An entry larger than `chunk_bytes` gets a
/// chunk of its own.
pub struct ChunkWriter {
    chunk_bytes: usize,
    current: Vec<u8>,
}

impl ChunkWriter {
    pub fn new(chunk_bytes: usize) -> Self {
        Self {
            chunk_bytes: chunk_bytes.max(1),
            current: Vec::new(),
        }
    }

    /// Adds one entry; returns the chunk it completed, if any.
    pub fn push(&mut self, key: &[u8], value: &[u8]) -> Option<Vec<u8>> {
        let size = 8 + key.len() + value.len();
        let full = (!self.current.is_empty() && self.current.len() + size > self.chunk_bytes)
            .then(|| std::mem::take(&mut self.current));
        for part in [key, value] {
            self.current
                .extend_from_slice(&(part.len() as u32).to_be_bytes());
            self.current.extend_from_slice(part);
        }
        full
    }

    /// The last chunk (none for an empty state).
    pub fn finish(self) -> Option<Vec<u8>> {
        (!self.current.is_empty()).then_some(self.current)
    }
}

/// A key and its value, as a chunk holds them.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The entries of one chunk; an error names what is malformed.
pub fn decode_chunk(mut bytes: &[u8]) -> Result<Vec<Entry>, String> {
    fn part<'a>(bytes: &mut &'a [u8], what: &str) -> Result<&'a [u8], String> {
        let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
            return Err(format!("truncated {what} length"));
        };
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return Err(format!("{what} of {len} bytes runs past the chunk's end"));
        }
        let (part, rest) = rest.split_at(len);
        *bytes = rest;
        Ok(part)
    }
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let key = part(&mut bytes, "key")?;
        let value = part(&mut bytes, "value")?;
        entries.push((key.to_vec(), value.to_vec()));
    }
    Ok(entries)
}

/// The chunks' hashes: what a snapshot's metadata holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub chunk_hashes: Vec<[u8; 32]>,
}

impl Metadata {
    pub fn encode(&self) -> Vec<u8> {
        self.chunk_hashes.concat()
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (hashes, rest) = bytes.as_chunks::<32>();
        if !rest.is_empty() {
            return Err(format!(
                "metadata of {} bytes is not a list of 32-byte hashes",
                bytes.len()
            ));
        }
        Ok(Self {
            chunk_hashes: hashes.to_vec(),
        })
    }

    /// The snapshot's hash.
    pub fn hash(&self) -> [u8; 32] {
        sha256(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_chunking_in_order_and_big_entries_get_their_own_chunk() {
        let entries: Vec<(Vec<u8>, Vec<u8>)> = (0..100u32)
            .map(|i| {
                let value = if i == 50 {
                    vec![7; 500]
                } else {
                    vec![i as u8; 10]
                };
                (format!("key/{i:03}").into_bytes(), value)
            })
            .collect();
        let mut writer = ChunkWriter::new(100);
        let mut chunks: Vec<Vec<u8>> = entries
            .iter()
            .filter_map(|(k, v)| writer.push(k, v))
            .collect();
        chunks.extend(writer.finish());
        assert!(chunks.len() > 10);
        assert!(chunks.iter().any(|c| c.len() > 500));
        let decoded: Vec<_> = chunks
            .iter()
            .flat_map(|c| decode_chunk(c).unwrap())
            .collect();
        assert_eq!(decoded, entries);
    }

    #[test]
    fn malformed_chunks_and_metadata_are_named() {
        assert!(decode_chunk(&[0, 0, 0])
            .unwrap_err()
            .contains("truncated key length"));
        assert!(decode_chunk(&[0, 0, 0, 9, 1])
            .unwrap_err()
            .contains("key of 9 bytes runs past"));
        assert!(decode_chunk(&[0, 0, 0, 1, 1, 0, 0])
            .unwrap_err()
            .contains("truncated value length"));
        assert!(Metadata::decode(&[0; 33]).unwrap_err().contains("33 bytes"));
        let m = Metadata {
            chunk_hashes: vec![[1; 32], [2; 32]],
        };
        assert_eq!(Metadata::decode(&m.encode()).unwrap(), m);
    }
}
