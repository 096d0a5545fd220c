//! Pinning codes after genesis: wasmd's `MsgPinCodes` and `MsgUnpinCodes`, which only the
//! chain's wasm authority (the governance contract, named at genesis) may send, as a contract's
//! `CosmosMsg::Any`.
//!
//! A message only sets or clears the codes' pin flags in state, so a pin in a tx that fails
//! later, or in CheckTx, leaves nothing behind. The VM's in-memory cache follows the flags a
//! block committed ([`crate::WasmHost::apply_pin_changes`]); gas always follows the flag.

use cosmwasm_std::Event;
use prost::Message;
use tessera_store::StateWrite;

use crate::error::WasmError;
use crate::records;

pub const MSG_PIN_CODES: &str = "/cosmwasm.wasm.v1.MsgPinCodes";
pub const MSG_UNPIN_CODES: &str = "/cosmwasm.wasm.v1.MsgUnpinCodes";

/// `MsgPinCodes` and `MsgUnpinCodes` have the same fields.
#[derive(Clone, PartialEq, Message)]
struct MsgCodes {
    #[prost(string, tag = "1")]
    authority: String,
    #[prost(uint64, repeated, tag = "2")]
    code_ids: Vec<u64>,
}

/// A decoded pin or unpin message.
#[derive(Clone, Debug, PartialEq)]
pub struct PinRequest {
    pub pin: bool,
    pub authority: String,
    pub code_ids: Vec<u64>,
}

impl PinRequest {
    /// The request `type_url` names, or `None` if it is not a pin or unpin message.
    pub fn decode(type_url: &str, value: &[u8]) -> Option<Result<Self, WasmError>> {
        let pin = match type_url {
            MSG_PIN_CODES => true,
            MSG_UNPIN_CODES => false,
            _ => return None,
        };
        Some(
            MsgCodes::decode(value)
                .map_err(|e| WasmError::Invalid(format!("{type_url}: {e}")))
                .and_then(|msg| {
                    if msg.code_ids.is_empty() {
                        return Err(WasmError::Empty(format!("{type_url} code_ids")));
                    }
                    Ok(Self {
                        pin,
                        authority: msg.authority,
                        code_ids: msg.code_ids,
                    })
                }),
        )
    }

    pub fn response_type_url(&self) -> &'static str {
        if self.pin {
            "/cosmwasm.wasm.v1.MsgPinCodesResponse"
        } else {
            "/cosmwasm.wasm.v1.MsgUnpinCodesResponse"
        }
    }

    /// Checks that `sender` is the wasm authority and signs as it, and that every code exists,
    /// then sets the flags. Emits wasmd's `pin_code` / `unpin_code` event per code.
    pub fn apply(&self, state: &mut dyn StateWrite, sender: &str) -> Result<Vec<Event>, WasmError> {
        if self.authority != sender {
            return Err(WasmError::Unauthorized(format!(
                "the message's authority {} is not its sender {sender}",
                self.authority
            )));
        }
        match records::load_authority(state)? {
            Some(authority) if authority == sender => {}
            Some(authority) => {
                return Err(WasmError::Unauthorized(format!(
                    "only the wasm authority {authority} may pin or unpin codes, not {sender}"
                )))
            }
            None => {
                return Err(WasmError::Unauthorized(
                    "this chain has no wasm authority: codes are pinned at genesis only".into(),
                ))
            }
        }
        let kind = if self.pin { "pin_code" } else { "unpin_code" };
        let mut events = Vec::with_capacity(self.code_ids.len());
        for &code_id in &self.code_ids {
            records::load_code(state, code_id)?.ok_or(WasmError::NoSuchCode(code_id))?;
            records::set_pinned(state, code_id, self.pin);
            events.push(Event::new(kind).add_attribute("code_id", code_id.to_string()));
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{AccessConfig, CodeInfo};
    use cosmwasm_std::Checksum;
    use tessera_store::state::MemState;
    use tessera_store::StateRead;

    /// A pin or unpin message's bytes, as a contract puts them in `AnyMsg.value`.
    fn encode(authority: &str, code_ids: &[u64]) -> Vec<u8> {
        MsgCodes {
            authority: authority.to_string(),
            code_ids: code_ids.to_vec(),
        }
        .encode_to_vec()
    }

    fn state_with_code(code_id: u64, authority: Option<&str>) -> MemState {
        let mut state = MemState::default();
        let info = CodeInfo {
            checksum: Checksum::generate(b"code"),
            creator: "creator".into(),
            instantiate_permission: AccessConfig::Everybody,
        };
        records::save_code(&mut state, code_id, &info).unwrap();
        if let Some(authority) = authority {
            records::save_authority(&mut state, authority);
        }
        state
    }

    fn request(pin: bool, authority: &str, code_ids: &[u64]) -> PinRequest {
        PinRequest {
            pin,
            authority: authority.into(),
            code_ids: code_ids.to_vec(),
        }
    }

    #[test]
    fn the_authority_pins_and_unpins() {
        let mut state = state_with_code(7, Some("gov"));
        let events = request(true, "gov", &[7]).apply(&mut state, "gov").unwrap();
        assert_eq!(events[0].ty, "pin_code");
        assert!(records::is_pinned(&state, 7).unwrap());
        request(false, "gov", &[7])
            .apply(&mut state, "gov")
            .unwrap();
        assert!(!records::is_pinned(&state, 7).unwrap());
    }

    #[test]
    fn anyone_else_a_borrowed_authority_and_a_chain_without_one_are_refused() {
        let mut state = state_with_code(7, Some("gov"));
        for (req, sender) in [
            (request(true, "other", &[7]), "other"),
            (request(true, "gov", &[7]), "other"),
        ] {
            let err = req.apply(&mut state, sender).unwrap_err();
            assert!(matches!(err, WasmError::Unauthorized(_)), "{err}");
        }
        let mut no_authority = state_with_code(7, None);
        let err = request(true, "gov", &[7])
            .apply(&mut no_authority, "gov")
            .unwrap_err();
        assert!(err.to_string().contains("no wasm authority"), "{err}");
        assert!(state.get(&crate::keys::pinned(7)).unwrap().is_none());
    }

    #[test]
    fn a_missing_code_is_named() {
        let mut state = state_with_code(7, Some("gov"));
        let err = request(true, "gov", &[8])
            .apply(&mut state, "gov")
            .unwrap_err();
        assert!(matches!(err, WasmError::NoSuchCode(8)), "{err}");
    }

    #[test]
    fn only_pin_and_unpin_type_urls_are_taken() {
        let value = encode("gov", &[1, 2]);
        assert_eq!(
            PinRequest::decode(MSG_PIN_CODES, &value).unwrap().unwrap(),
            PinRequest {
                pin: true,
                authority: "gov".into(),
                code_ids: vec![1, 2]
            }
        );
        assert!(
            !PinRequest::decode(MSG_UNPIN_CODES, &value)
                .unwrap()
                .unwrap()
                .pin
        );
        assert!(PinRequest::decode("/cosmos.bank.v1beta1.MsgSend", &value).is_none());
    }

    #[test]
    fn garbage_and_empty_lists_are_refused() {
        let err = PinRequest::decode(MSG_PIN_CODES, &[0xff, 0xff])
            .unwrap()
            .unwrap_err();
        assert!(err.to_string().contains("MsgPinCodes"), "{err}");
        let err = PinRequest::decode(MSG_PIN_CODES, &encode("gov", &[]))
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, WasmError::Empty(_)), "{err}");
    }
}
