//! The chain's recent block hashes, as contracts query them: the randomness a verification
//! sample is drawn from (`tessera_api::sampling`), known to nobody before the block exists.
//!
//! The app writes `chain/block_hash/<height BE>` at each FinalizeBlock from CometBFT's hash of
//! that block and keeps the last [`HISTORY`] heights; this file names the keys and the query, and
//! the querier (`query_handler.rs`) reads them. A contract asks with
//! `QueryRequest::Grpc { path: PATH, data }`, `data` a protobuf [`QueryBlockHashRequest`], and
//! gets a protobuf [`QueryBlockHashResponse`]; the node answers the same path through
//! `abci_query` for clients. The answer is what every node has in state at that height, so it
//! is deterministic.

use prost::Message;

/// The query's gRPC method path, as contracts name it.
pub use tessera_api::sampling::BLOCK_HASH_PATH as PATH;

/// How many heights back a block hash stays in state.
pub const HISTORY: u64 = 256;

/// Where the hash of block `height` is kept.
pub fn key(height: u64) -> Vec<u8> {
    [KEY_PREFIX, &height.to_be_bytes()].concat()
}

pub const KEY_PREFIX: &[u8] = b"chain/block_hash/";

/// `tessera.chain.v1.QueryBlockHashRequest { uint64 height = 1; }`
#[derive(Clone, PartialEq, Message)]
pub struct QueryBlockHashRequest {
    #[prost(uint64, tag = "1")]
    pub height: u64,
}

/// `tessera.chain.v1.QueryBlockHashResponse { bytes hash = 1; }`: the 32-byte hash.
#[derive(Clone, PartialEq, Message)]
pub struct QueryBlockHashResponse {
    #[prost(bytes = "vec", tag = "1")]
    pub hash: Vec<u8>,
}

/// Why a height has no hash to give.
pub fn not_kept(height: u64) -> String {
    format!(
        "no block hash for height {height}: the chain keeps the hashes of its last {HISTORY} blocks"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_height() {
        assert!(key(255) < key(256));
        assert!(key(1) < key(1 << 40));
        assert!(key(7).starts_with(KEY_PREFIX));
    }

    #[test]
    fn contracts_encoding_agrees_with_these_messages() {
        use tessera_api::sampling::{block_hash_of, block_hash_request};
        for height in [0, 1, 300, u64::MAX] {
            let theirs = block_hash_request(height);
            assert_eq!(
                QueryBlockHashRequest::decode(theirs.as_slice())
                    .unwrap()
                    .height,
                height
            );
        }
        let answer = QueryBlockHashResponse { hash: vec![5; 32] }.encode_to_vec();
        assert_eq!(block_hash_of(&answer).unwrap(), [5; 32]);
    }

    #[test]
    fn messages_encode_as_their_protobuf() {
        // Field 1, varint 300 = 0x08 0xac 0x02.
        let req = QueryBlockHashRequest { height: 300 };
        assert_eq!(req.encode_to_vec(), vec![0x08, 0xac, 0x02]);
        let res = QueryBlockHashResponse {
            hash: vec![0xab; 2],
        };
        assert_eq!(res.encode_to_vec(), vec![0x0a, 0x02, 0xab, 0xab]);
    }
}
