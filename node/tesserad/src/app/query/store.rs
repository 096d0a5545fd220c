//! `/store/state/key`: a raw read of the app's state at a kept height, with its ICS23 proof
//! against the app hash when `prove` is set.

use cosmos_sdk_proto::prost::Message;

use super::{Answer, Query};
use crate::app::abci::{ProofOp, QueryResponse};

pub(super) fn answer(q: &Query, method: &str) -> Answer {
    match method {
        "key" => key(q),
        _ => Err(q.unknown_path()),
    }
}

fn key(q: &Query) -> Answer {
    let key = q.req.data.clone();
    if !q.req.prove {
        let value = q.get(&key)?.unwrap_or_default();
        return Ok(QueryResponse {
            key,
            value,
            height: q.height,
            ..Default::default()
        });
    }
    let (value, proof) = q
        .app
        .store
        .get_with_proof(q.height, &key)
        .map_err(|e| q.internal(e))?;
    Ok(QueryResponse {
        key: key.clone(),
        value: value.unwrap_or_default(),
        proof_ops: vec![ProofOp {
            kind: "ics23:jmt".into(),
            key,
            data: tessera_store::ics23::CommitmentProof::encode_to_vec(&proof),
        }],
        height: q.height,
        ..Default::default()
    })
}
