//! Where the wasm module keeps things in state. Everything lives under `wasm/`; integers are
//! big-endian so keys sort numerically.
//!
//! | key | value |
//! |---|---|
//! | `wasm/seq/code_id` | next code id (u64 BE; absent = 1), as wasmd's sequences |
//! | `wasm/seq/instance_id` | next instance id, global as in wasmd (u64 BE) |
//! | `wasm/code/<code_id>` | [`crate::CodeInfo`] (JSON) |
//! | `wasm/bytes/<checksum>` | the wasm blob (for nodes whose VM directory lacks it) |
//! | `wasm/count/<code_id>` | contracts instantiated from the code (u64 BE) |
//! | `wasm/pin/<code_id>` | `[1]` while the code is pinned in memory |
//! | `wasm/authority` | the address allowed to pin and unpin codes (UTF-8), set at genesis |
//! | `wasm/info/<contract>` | [`crate::ContractInfo`] (JSON) |
//! | `wasm/bycode/<code_id><height><tx_index><contract>` | empty; contracts by code, oldest first |
//! | `wasm/c/<contract>/<key>` | the contract's own storage |
//!
//! `<contract>` is the 32 address bytes.

pub const ROOT: &[u8] = b"wasm/";
pub const SEQ_CODE_ID: &[u8] = b"wasm/seq/code_id";
pub const SEQ_INSTANCE_ID: &[u8] = b"wasm/seq/instance_id";
pub const CODE: &[u8] = b"wasm/code/";
pub const CODE_BYTES: &[u8] = b"wasm/bytes/";
pub const CODE_COUNT: &[u8] = b"wasm/count/";
pub const PINNED: &[u8] = b"wasm/pin/";
pub const AUTHORITY: &[u8] = b"wasm/authority";
pub const CONTRACT: &[u8] = b"wasm/info/";
pub const BY_CODE: &[u8] = b"wasm/bycode/";
pub const CONTRACT_STORE: &[u8] = b"wasm/c/";

fn join(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let len = prefix.len() + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut key = Vec::with_capacity(len);
    key.extend_from_slice(prefix);
    for p in parts {
        key.extend_from_slice(p);
    }
    key
}

pub fn code(code_id: u64) -> Vec<u8> {
    join(CODE, &[&code_id.to_be_bytes()])
}

pub fn code_bytes(checksum: &[u8]) -> Vec<u8> {
    join(CODE_BYTES, &[checksum])
}

pub fn code_count(code_id: u64) -> Vec<u8> {
    join(CODE_COUNT, &[&code_id.to_be_bytes()])
}

pub fn pinned(code_id: u64) -> Vec<u8> {
    join(PINNED, &[&code_id.to_be_bytes()])
}

pub fn contract(addr: &[u8]) -> Vec<u8> {
    join(CONTRACT, &[addr])
}

/// Prefix of the contracts of one code in the by-code index.
pub fn by_code_prefix(code_id: u64) -> Vec<u8> {
    join(BY_CODE, &[&code_id.to_be_bytes()])
}

pub fn by_code(code_id: u64, height: u64, tx_index: u64, addr: &[u8]) -> Vec<u8> {
    join(
        BY_CODE,
        &[
            &code_id.to_be_bytes(),
            &height.to_be_bytes(),
            &tx_index.to_be_bytes(),
            addr,
        ],
    )
}

/// Prefix of a contract's storage: `wasm/c/<addr>/`.
pub fn contract_store(addr: &[u8]) -> Vec<u8> {
    join(CONTRACT_STORE, &[addr, b"/"])
}

/// Reads a big-endian u64 stored by this module.
pub fn decode_u64(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_do_not_overlap_and_sort_numerically() {
        let families = [
            SEQ_CODE_ID,
            SEQ_INSTANCE_ID,
            CODE,
            CODE_BYTES,
            CODE_COUNT,
            PINNED,
            CONTRACT,
            BY_CODE,
            CONTRACT_STORE,
        ];
        for (i, a) in families.iter().enumerate() {
            for (j, b) in families.iter().enumerate() {
                if i != j {
                    assert!(!a.starts_with(b), "{a:?} starts with {b:?}");
                }
            }
        }
        assert!(code(2) < code(10));
        assert_eq!(contract_store(&[1, 2]), b"wasm/c/\x01\x02/".to_vec());
        assert_eq!(decode_u64(&7u64.to_be_bytes()), Some(7));
        assert_eq!(decode_u64(&[1]), None);
    }
}
