//! Staged inputs: a kernel input too large to ride in one dispute tx (the 1 MiB tx limit holds
//! about 750 KB of base64; `mlp-inference` weights are often more) is uploaded here first, in
//! chunks, by the disputer, named by its sha256. A dispute sent without `input` reads the
//! sender's staged copy, which the job's declared hash then checks like an attached one, and
//! deletes it. Each disputer stages its own copy, so nobody can spoil or delete another's, and
//! the storage it takes is paid for by whoever wants the dispute.

use cosmwasm_std::{Addr, Binary, Deps, DepsMut, Empty, MessageInfo, Response, Storage};
use cw_storage_plus::Map;
use serde::{Deserialize, Serialize};
use tessera_api::referee::{StagedInputResponse, MAX_STAGED_INPUT_BYTES};
use tessera_api::validation::check_sha256_hex;
use tessera_api::CommonError;

use crate::error::ContractError;

/// What each sender has staged, by (sender, sha256).
const STAGED: Map<(&Addr, &str), Staged> = Map::new("staged");
/// The staged bytes, in pieces stored raw (not as JSON) under these keys, by (sender, sha256,
/// index): the VM refuses a stored value over 128 KiB.
const PIECES: Map<(&Addr, &str, u32), Empty> = Map::new("staged_pieces");
const PIECE_BYTES: usize = 128 * 1024;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
struct Staged {
    bytes: u64,
    chunks: u32,
    pieces: u32,
}

pub fn execute_stage_input(
    deps: DepsMut,
    info: MessageInfo,
    sha256: String,
    chunk: Binary,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    check_sha256_hex("sha256", &sha256).map_err(CommonError::from)?;
    if chunk.is_empty() {
        return Err(ContractError::StagedChunkEmpty {});
    }
    let key = (&info.sender, sha256.as_str());
    let mut staged = STAGED.may_load(deps.storage, key)?.unwrap_or_default();
    let bytes = staged.bytes.saturating_add(chunk.len() as u64);
    if bytes > MAX_STAGED_INPUT_BYTES {
        return Err(ContractError::StagedInputTooLarge {
            sha256,
            bytes,
            max: MAX_STAGED_INPUT_BYTES,
        });
    }
    for piece in chunk.chunks(PIECE_BYTES) {
        let key = PIECES.key((&info.sender, sha256.as_str(), staged.pieces));
        deps.storage.set(&key, piece);
        staged.pieces += 1;
    }
    staged.chunks += 1;
    staged.bytes = bytes;
    STAGED.save(deps.storage, key, &staged)?;
    Ok(Response::new()
        .add_attribute("action", "stage_input")
        .add_attribute("sha256", sha256)
        .add_attribute("bytes", bytes.to_string())
        .add_attribute("chunks", staged.chunks.to_string()))
}

pub fn execute_unstage_input(
    deps: DepsMut,
    info: MessageInfo,
    sha256: String,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let staged =
        take(deps.storage, &info.sender, &sha256)?.ok_or_else(|| ContractError::NothingStaged {
            owner: info.sender.to_string(),
            sha256: sha256.clone(),
        })?;
    Ok(Response::new()
        .add_attribute("action", "unstage_input")
        .add_attribute("sha256", sha256)
        .add_attribute("bytes", staged.len().to_string()))
}

/// `owner`'s staged copy of `sha256`, assembled, and deleted from storage; `None` if it has
/// none.
pub fn take(
    storage: &mut dyn Storage,
    owner: &Addr,
    sha256: &str,
) -> Result<Option<Vec<u8>>, ContractError> {
    let Some(staged) = STAGED.may_load(storage, (owner, sha256))? else {
        return Ok(None);
    };
    // One chunk in memory at a time besides the assembled file: the VM gives an instance
    // 32 MiB, and the job needs its share of that.
    let mut bytes = Vec::with_capacity(usize::try_from(staged.bytes).unwrap_or(0));
    for index in 0..staged.pieces {
        let key = PIECES.key((owner, sha256, index));
        bytes.extend_from_slice(&storage.get(&key).unwrap_or_default());
        storage.remove(&key);
    }
    STAGED.remove(storage, (owner, sha256));
    Ok(Some(bytes))
}

pub fn query_staged_input(
    deps: Deps,
    owner: String,
    sha256: String,
) -> Result<StagedInputResponse, ContractError> {
    let addr = deps.api.addr_validate(&owner)?;
    let staged = STAGED
        .may_load(deps.storage, (&addr, sha256.as_str()))?
        .unwrap_or_default();
    Ok(StagedInputResponse {
        owner,
        sha256,
        bytes: staged.bytes,
        chunks: staged.chunks,
    })
}

#[cfg(test)]
mod tests {
    use tessera_api::referee::MAX_STAGED_INPUT_BYTES;

    #[test]
    fn staging_holds_the_largest_weights_file_a_kernel_accepts() {
        assert_eq!(
            MAX_STAGED_INPUT_BYTES,
            tessera_kernels::mlp::MAX_WEIGHTS_BYTES
        );
    }
}
