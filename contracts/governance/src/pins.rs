//! Pinning and unpinning codes by proposal. Governance is the chain's wasm authority
//! (`wasm.authority` in genesis), so it sends wasmd's `MsgPinCodes` / `MsgUnpinCodes` itself, as
//! `CosmosMsg::Any` with its own address as the authority; the node refuses them from anyone else.

use std::collections::BTreeSet;

use cosmwasm_std::{AnyMsg, Binary, CosmosMsg, Deps};

pub const MSG_PIN_CODES: &str = "/cosmwasm.wasm.v1.MsgPinCodes";
pub const MSG_UNPIN_CODES: &str = "/cosmwasm.wasm.v1.MsgUnpinCodes";

/// Codes one action may name: a pin costs every node memory, so a proposal names them one by
/// one, and a bounded list keeps the message small.
pub const MAX_CODES: usize = 20;

/// Refuses an empty or oversized list, repeats and codes the chain does not have.
// Not inlined (nor is `message`): the VM refuses functions with more than 100 locals, and
// `actions::check_one` / `to_messages` are near that with every action's code inlined.
#[inline(never)]
pub fn check(deps: Deps, code_ids: &[u64]) -> Result<(), String> {
    if code_ids.is_empty() {
        return Err("code_ids must name at least one code".into());
    }
    if code_ids.len() > MAX_CODES {
        return Err(format!(
            "at most {MAX_CODES} code_ids per action, got {}",
            code_ids.len()
        ));
    }
    let mut seen = BTreeSet::new();
    for &code_id in code_ids {
        if !seen.insert(code_id) {
            return Err(format!("code {code_id} is named twice"));
        }
        deps.querier
            .query_wasm_code_info(code_id)
            .map_err(|e| format!("code {code_id}: {e}"))?;
    }
    Ok(())
}

/// The message that pins (`pin`) or unpins `code_ids`, signed by `authority`.
#[inline(never)]
pub fn message(pin: bool, authority: &str, code_ids: &[u64]) -> CosmosMsg {
    CosmosMsg::Any(AnyMsg {
        type_url: if pin { MSG_PIN_CODES } else { MSG_UNPIN_CODES }.to_string(),
        value: Binary::new(encode(authority, code_ids)),
    })
}

/// Protobuf of `MsgPinCodes { authority = 1; repeated uint64 code_ids = 2 [packed] }` (the
/// unpin message has the same fields).
fn encode(authority: &str, code_ids: &[u64]) -> Vec<u8> {
    let mut packed = Vec::with_capacity(code_ids.len() * 2);
    for &id in code_ids {
        varint(id, &mut packed);
    }
    let mut out = Vec::with_capacity(authority.len() + packed.len() + 8);
    out.push(0x0a); // field 1, length-delimited
    varint(authority.len() as u64, &mut out);
    out.extend_from_slice(authority.as_bytes());
    out.push(0x12); // field 2, length-delimited (packed)
    varint(packed.len() as u64, &mut out);
    out.extend_from_slice(&packed);
    out
}

fn varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_protobufs() {
        // authority "gov", code_ids [1, 300]: 300 is the two-byte varint ac 02.
        assert_eq!(
            encode("gov", &[1, 300]),
            [0x0a, 3, b'g', b'o', b'v', 0x12, 3, 0x01, 0xac, 0x02]
        );
    }

    #[test]
    fn pin_and_unpin_name_their_sdk_messages() {
        let CosmosMsg::Any(pin) = message(true, "gov", &[1]) else {
            panic!("not an Any message");
        };
        assert_eq!(pin.type_url, MSG_PIN_CODES);
        let CosmosMsg::Any(unpin) = message(false, "gov", &[1]) else {
            panic!("not an Any message");
        };
        assert_eq!(unpin.type_url, MSG_UNPIN_CODES);
        assert_eq!(pin.value, unpin.value);
    }
}
