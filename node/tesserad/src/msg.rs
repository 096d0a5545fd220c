//! Messages: decoded from a tx body's `Any`s and routed by type URL.
//!
//! `MsgSend` is executed here (bank). CosmWasm messages are only recognised and their signer
//! extracted; the app hands them, still as `Any`, to the VM crate.

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend as ProtoMsgSend;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm;
use cosmos_sdk_proto::prost::Message as _;
use cosmos_sdk_proto::Any;

use crate::address::Address;
use crate::coin::Coins;
use crate::error::TxError;
use crate::tx::wire;

pub const MSG_SEND_TYPE_URL: &str = "/cosmos.bank.v1beta1.MsgSend";
pub const MSG_SEND_RESPONSE_TYPE_URL: &str = "/cosmos.bank.v1beta1.MsgSendResponse";
/// Every message of wasmd's `Msg` service starts with this.
pub const WASM_TYPE_URL_PREFIX: &str = "/cosmwasm.wasm.v1.";

/// `cosmos.bank.v1beta1.MsgSend`, validated: both addresses parse, the amount is a non-empty
/// set of positive, sorted, unique, well-named coins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgSend {
    pub from: Address,
    pub to: Address,
    pub amount: Coins,
}

impl TryFrom<ProtoMsgSend> for MsgSend {
    type Error = TxError;

    fn try_from(msg: ProtoMsgSend) -> Result<Self, TxError> {
        let from = Address::parse_field("from address", &msg.from_address)?;
        let to = Address::parse_field("to address", &msg.to_address)?;
        let amount = Coins::from_proto(&msg.amount).map_err(TxError::invalid_coins)?;
        if amount.is_empty() {
            return Err(TxError::invalid_coins("empty amount"));
        }
        Ok(Self { from, to, amount })
    }
}

impl MsgSend {
    pub fn to_proto(&self) -> ProtoMsgSend {
        ProtoMsgSend {
            from_address: self.from.to_string(),
            to_address: self.to.to_string(),
            amount: self.amount.to_proto(),
        }
    }

    pub fn to_any(&self) -> Any {
        Any {
            type_url: MSG_SEND_TYPE_URL.to_string(),
            value: self.to_proto().encode_to_vec(),
        }
    }
}

/// What a message asks for, by module.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Send(MsgSend),
    /// A `/cosmwasm.wasm.v1.Msg*` message, untouched, for the VM.
    Wasm(Any),
}

/// A message of a transaction with the account that must sign it (the SDK's `GetSigners`).
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub msg: Msg,
    pub signer: Address,
}

impl Message {
    pub fn type_url(&self) -> &str {
        match &self.msg {
            Msg::Send(_) => MSG_SEND_TYPE_URL,
            Msg::Wasm(any) => &any.type_url,
        }
    }

    /// The module name the SDK puts in the `message` event (`module` attribute).
    pub fn module(&self) -> &'static str {
        match self.msg {
            Msg::Send(_) => "bank",
            Msg::Wasm(_) => "wasm",
        }
    }
}

impl TryFrom<Any> for Message {
    type Error = TxError;

    fn try_from(any: Any) -> Result<Self, TxError> {
        if any.type_url == MSG_SEND_TYPE_URL {
            wire::check(&any.value, &wire::MSG_SEND).map_err(TxError::tx_decode)?;
            let proto = ProtoMsgSend::decode(any.value.as_slice())
                .map_err(|e| TxError::tx_decode(format!("MsgSend: {e}")))?;
            let send = MsgSend::try_from(proto)?;
            let signer = send.from.clone();
            return Ok(Self {
                msg: Msg::Send(send),
                signer,
            });
        }
        if any.type_url.starts_with(WASM_TYPE_URL_PREFIX) {
            let signer = wasm_signer(&any)?;
            return Ok(Self {
                msg: Msg::Wasm(any),
                signer,
            });
        }
        Err(unrecognized(&any.type_url))
    }
}

fn unrecognized(type_url: &str) -> TxError {
    TxError::unknown_request(format!("unrecognized message type: {type_url}"))
}

/// The signer of a wasmd message: its `sender`, or `authority` for the governance-only ones.
fn wasm_signer(any: &Any) -> Result<Address, TxError> {
    macro_rules! signer_of {
        ($($name:ident => $field:ident),* $(,)?) => {
            match any.type_url.strip_prefix(WASM_TYPE_URL_PREFIX) {
                $(Some(stringify!($name)) => {
                    let msg = wasm::$name::decode(any.value.as_slice())
                        .map_err(|e| TxError::tx_decode(format!("{}: {e}", stringify!($name))))?;
                    Address::parse_field(stringify!($field), &msg.$field)
                })*
                _ => Err(unrecognized(&any.type_url)),
            }
        };
    }
    signer_of! {
        MsgStoreCode => sender,
        MsgInstantiateContract => sender,
        MsgInstantiateContract2 => sender,
        MsgExecuteContract => sender,
        MsgMigrateContract => sender,
        MsgUpdateAdmin => sender,
        MsgClearAdmin => sender,
        MsgUpdateInstantiateConfig => sender,
        MsgUpdateContractLabel => sender,
        MsgUpdateParams => authority,
        MsgSudoContract => authority,
        MsgPinCodes => authority,
        MsgUnpinCodes => authority,
        MsgStoreAndInstantiateContract => authority,
        MsgAddCodeUploadParamsAddresses => authority,
        MsgRemoveCodeUploadParamsAddresses => authority,
        MsgStoreAndMigrateContract => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> String {
        Address::from_bytes(&[n; 20]).unwrap().to_string()
    }

    #[test]
    fn a_wasm_execute_is_routed_with_its_sender_as_signer() {
        let msg = wasm::MsgExecuteContract {
            sender: addr(1),
            contract: addr(2),
            msg: b"{}".to_vec(),
            funds: vec![],
        };
        let any = Any {
            type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
            value: msg.encode_to_vec(),
        };
        let m = Message::try_from(any.clone()).unwrap();
        assert_eq!(m.signer.to_string(), addr(1));
        assert_eq!(m.msg, Msg::Wasm(any));
        assert_eq!(m.module(), "wasm");
    }

    #[test]
    fn unknown_types_are_unrecognized_requests() {
        for url in [
            "/cosmos.staking.v1beta1.MsgDelegate",
            "/cosmwasm.wasm.v1.MsgIBCSend",
        ] {
            let err = Message::try_from(Any {
                type_url: url.into(),
                value: vec![],
            })
            .unwrap_err();
            assert_eq!(err.code, 6);
            assert_eq!(
                err.log,
                format!("unrecognized message type: {url}: unknown request")
            );
        }
    }

    #[test]
    fn msg_send_with_bad_fields_is_refused_with_sdk_codes() {
        let bad_to = ProtoMsgSend {
            from_address: addr(1),
            to_address: "cosmos1xyz".into(),
            amount: vec![],
        };
        let err = MsgSend::try_from(bad_to).unwrap_err();
        assert_eq!(err.code, 7);
        assert!(err.log.starts_with("invalid to address: "), "{}", err.log);
        let no_coins = ProtoMsgSend {
            from_address: addr(1),
            to_address: addr(2),
            amount: vec![],
        };
        assert_eq!(
            MsgSend::try_from(no_coins).unwrap_err().log,
            "empty amount: invalid coins"
        );
    }
}
