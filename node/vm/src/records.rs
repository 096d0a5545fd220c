//! Reading and writing the module's records (codes, contracts, sequences, indexes) in state.
//! Records are JSON: deterministic for these types (no maps) and readable in state dumps.

use std::ops::Bound;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tessera_store::state::prefix_end;
use tessera_store::{StateRead, StateWrite};

use crate::error::WasmError;
use crate::keys;
use crate::types::{
    AbsoluteTxPosition, CodeInfo, ContractInfo, KvPage, Page, PageRequest, DEFAULT_PAGE_LIMIT,
    MAX_PAGE_LIMIT,
};

fn load<T: DeserializeOwned>(
    state: &dyn StateRead,
    key: &[u8],
    what: &str,
) -> Result<Option<T>, WasmError> {
    match state.get(key)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| WasmError::Internal(format!("corrupt {what} record: {e}"))),
    }
}

fn save<T: Serialize>(state: &mut dyn StateWrite, key: &[u8], value: &T) -> Result<(), WasmError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| WasmError::Internal(format!("encoding record: {e}")))?;
    state.set(key, &bytes);
    Ok(())
}

pub fn load_code(state: &dyn StateRead, code_id: u64) -> Result<Option<CodeInfo>, WasmError> {
    load(state, &keys::code(code_id), "code info")
}

pub fn save_code(
    state: &mut dyn StateWrite,
    code_id: u64,
    info: &CodeInfo,
) -> Result<(), WasmError> {
    save(state, &keys::code(code_id), info)
}

pub fn load_contract(
    state: &dyn StateRead,
    addr: &[u8],
) -> Result<Option<ContractInfo>, WasmError> {
    load(state, &keys::contract(addr), "contract info")
}

pub fn save_contract(
    state: &mut dyn StateWrite,
    addr: &[u8],
    info: &ContractInfo,
) -> Result<(), WasmError> {
    save(state, &keys::contract(addr), info)
}

fn read_u64(state: &dyn StateRead, key: &[u8]) -> Result<Option<u64>, WasmError> {
    match state.get(key)? {
        None => Ok(None),
        Some(bytes) => keys::decode_u64(&bytes)
            .map(Some)
            .ok_or_else(|| WasmError::Internal(format!("corrupt counter at {key:?}"))),
    }
}

/// wasmd's `mustAutoIncrementID`: returns the stored next id (1 when unset) and stores id + 1.
pub fn next_id(state: &mut dyn StateWrite, key: &[u8]) -> Result<u64, WasmError> {
    let id = read_u64(state, key)?.unwrap_or(1);
    let next = id
        .checked_add(1)
        .ok_or_else(|| WasmError::Internal("sequence overflow".into()))?;
    state.set(key, &next.to_be_bytes());
    Ok(id)
}

/// The id the next `next_id` call would return.
pub fn peek_id(state: &dyn StateRead, key: &[u8]) -> Result<u64, WasmError> {
    Ok(read_u64(state, key)?.unwrap_or(1))
}

/// Counts one more contract of `code_id`.
pub fn bump_code_count(state: &mut dyn StateWrite, code_id: u64) -> Result<(), WasmError> {
    let key = keys::code_count(code_id);
    let n = read_u64(state, &key)?.unwrap_or(0).saturating_add(1);
    state.set(&key, &n.to_be_bytes());
    Ok(())
}

pub fn code_count(state: &dyn StateRead, code_id: u64) -> Result<u64, WasmError> {
    Ok(read_u64(state, &keys::code_count(code_id))?.unwrap_or(0))
}

pub fn is_pinned(state: &dyn StateRead, code_id: u64) -> Result<bool, WasmError> {
    Ok(state.get(&keys::pinned(code_id))?.is_some())
}

/// Who may pin and unpin codes after genesis (`MsgPinCodes`, `MsgUnpinCodes`), if anyone.
pub fn load_authority(state: &dyn StateRead) -> Result<Option<String>, WasmError> {
    state
        .get(keys::AUTHORITY)?
        .map(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| WasmError::Internal("corrupt wasm authority".into()))
        })
        .transpose()
}

pub fn save_authority(state: &mut dyn StateWrite, address: &str) {
    state.set(keys::AUTHORITY, address.as_bytes());
}

pub fn set_pinned(state: &mut dyn StateWrite, code_id: u64, pinned: bool) {
    if pinned {
        state.set(&keys::pinned(code_id), &[1]);
    } else {
        state.delete(&keys::pinned(code_id));
    }
}

pub fn index_add(state: &mut dyn StateWrite, code_id: u64, pos: AbsoluteTxPosition, addr: &[u8]) {
    // A marker byte, not an empty value: the Merkle store cannot prove empty leaves.
    state.set(
        &keys::by_code(code_id, pos.block_height, pos.tx_index, addr),
        &[1],
    );
}

pub fn index_remove(
    state: &mut dyn StateWrite,
    code_id: u64,
    pos: AbsoluteTxPosition,
    addr: &[u8],
) {
    state.delete(&keys::by_code(
        code_id,
        pos.block_height,
        pos.tx_index,
        addr,
    ));
}

/// One page of the entries under `prefix`: `(key without prefix, value)` in key order.
pub fn page(
    state: &dyn StateRead,
    prefix: &[u8],
    request: &PageRequest,
) -> Result<KvPage, WasmError> {
    let limit = match request.limit {
        0 => DEFAULT_PAGE_LIMIT,
        n => n.min(MAX_PAGE_LIMIT),
    } as usize;
    let start: Vec<u8> = match &request.key {
        Some(k) => [prefix, k.as_slice()].concat(),
        None => prefix.to_vec(),
    };
    let end = prefix_end(prefix);
    let upper = match &end {
        Some(e) => Bound::Excluded(e.as_slice()),
        None => Bound::Unbounded,
    };
    let mut items = Vec::with_capacity(limit.min(64));
    let mut next_key = None;
    for entry in state.range(Bound::Included(start.as_slice()), upper, false)? {
        let (k, v) = entry?;
        let suffix = k.get(prefix.len()..).unwrap_or_default().to_vec();
        if items.len() == limit {
            next_key = Some(suffix);
            break;
        }
        items.push((suffix, v));
    }
    Ok(Page { items, next_key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_store::state::MemState;

    #[test]
    fn sequences_start_at_one_like_wasmd() {
        let mut s = MemState::default();
        assert_eq!(peek_id(&s, keys::SEQ_CODE_ID).unwrap(), 1);
        assert_eq!(next_id(&mut s, keys::SEQ_CODE_ID).unwrap(), 1);
        assert_eq!(next_id(&mut s, keys::SEQ_CODE_ID).unwrap(), 2);
        assert_eq!(peek_id(&s, keys::SEQ_CODE_ID).unwrap(), 3);
    }

    #[test]
    fn pages_resume_at_next_key() {
        let mut s = MemState::default();
        for i in 0u8..5 {
            s.set(&[b'p', i], &[i]);
        }
        s.set(b"q", b"other");
        let first = page(
            &s,
            b"p",
            &PageRequest {
                key: None,
                limit: 2,
            },
        )
        .unwrap();
        assert_eq!(first.items.len(), 2);
        assert_eq!(first.next_key, Some(vec![2]));
        let rest = page(
            &s,
            b"p",
            &PageRequest {
                key: first.next_key,
                limit: 10,
            },
        )
        .unwrap();
        assert_eq!(
            rest.items.iter().map(|(k, _)| k[0]).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!(rest.next_key, None);
    }
}
