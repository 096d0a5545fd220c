//! `/tessera.chain.v1.Query`: what the chain itself keeps, today the hashes of its recent blocks
//! (`BlockHash`), the same answer a contract gets for the same height
//! (`tessera_vm::block_hashes`).

use cosmos_sdk_proto::prost::Message;
use tessera_vm::block_hashes::{self, QueryBlockHashRequest, QueryBlockHashResponse};

use super::{Answer, Query};

pub(super) fn answer(q: &Query, method: &str) -> Answer {
    match method {
        "BlockHash" => block_hash(q),
        _ => Err(q.unknown_path()),
    }
}

fn block_hash(q: &Query) -> Answer {
    let request: QueryBlockHashRequest = q.decode()?;
    match q.get(&block_hashes::key(request.height))? {
        Some(hash) => q.ok(QueryBlockHashResponse { hash }.encode_to_vec()),
        None => Err(q.not_found(block_hashes::not_kept(request.height))),
    }
}
