//! Transactions: `cosmos.tx.v1beta1.TxRaw` bytes → a checked domain [`Tx`].
//!
//! Decoding is the stateless front of the pipeline and is total: any byte string yields a `Tx`
//! or a [`TxError`], never a panic. It refuses what the node would otherwise misread: unknown
//! protobuf fields, unknown enum values, unsupported key types and sign modes, fee payers and
//! granters, tips, extension options (non-critical ones are ignored), empty message lists, and any message
//! that is not `MsgSend` or a wasmd message (code 6).
//!
//! Checks that depend on parameters or the block (memo length, timeout height, signature
//! counts, fees) are the ante handler's (`crate::ante`).

pub mod wire;

use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode as ProtoSignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo as ProtoAuthInfo, Fee as ProtoFee, SignerInfo as ProtoSignerInfo,
    TxBody as ProtoTxBody, TxRaw,
};
use cosmos_sdk_proto::prost::Message as _;

use crate::address::Address;
use crate::coin::Coins;
use crate::crypto::PublicKey;
use crate::error::TxError;
use crate::msg::Message;

/// Largest accepted encoded tx: CometBFT's default mempool `max_tx_bytes` (1 MiB).
pub const MAX_TX_BYTES: usize = 1024 * 1024;

/// A decoded, structurally valid transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Tx {
    pub body: TxBody,
    pub auth_info: AuthInfo,
    pub signatures: Vec<Vec<u8>>,
    /// The signed bytes exactly as received: SIGN_MODE_DIRECT signs these, not a re-encoding.
    pub body_bytes: Vec<u8>,
    pub auth_info_bytes: Vec<u8>,
    /// Length of the encoded `TxRaw`; the tx-size gas is charged on it.
    pub size: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TxBody {
    /// At least one.
    pub messages: Vec<Message>,
    pub memo: String,
    /// 0 for none; otherwise the last height at which the tx may be included.
    pub timeout_height: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuthInfo {
    pub signer_infos: Vec<SignerInfo>,
    pub fee: Fee,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SignerInfo {
    /// Required on an account's first tx; afterwards the stored key is used.
    pub public_key: Option<PublicKey>,
    pub mode: SignMode,
    pub sequence: u64,
}

/// The sign modes a client may name. Only `Direct` verifies; `Unspecified` is what Simulate
/// receives; the others decode so that their refusal can say "not supported".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignMode {
    Unspecified,
    Direct,
    Textual,
    DirectAux,
    LegacyAminoJson,
    Eip191,
}

impl SignMode {
    pub fn as_str(self) -> &'static str {
        self.proto().as_str_name()
    }

    fn proto(self) -> ProtoSignMode {
        match self {
            Self::Unspecified => ProtoSignMode::Unspecified,
            Self::Direct => ProtoSignMode::Direct,
            Self::Textual => ProtoSignMode::Textual,
            Self::DirectAux => ProtoSignMode::DirectAux,
            Self::LegacyAminoJson => ProtoSignMode::LegacyAminoJson,
            Self::Eip191 => ProtoSignMode::Eip191,
        }
    }
}

impl TryFrom<i32> for SignMode {
    type Error = TxError;

    fn try_from(value: i32) -> Result<Self, TxError> {
        let proto = ProtoSignMode::try_from(value)
            .map_err(|_| TxError::tx_decode(format!("unknown sign mode {value}")))?;
        Ok(match proto {
            ProtoSignMode::Unspecified => Self::Unspecified,
            ProtoSignMode::Direct => Self::Direct,
            ProtoSignMode::Textual => Self::Textual,
            ProtoSignMode::DirectAux => Self::DirectAux,
            ProtoSignMode::LegacyAminoJson => Self::LegacyAminoJson,
            ProtoSignMode::Eip191 => Self::Eip191,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fee {
    /// Zero-amount coins that clients send for a zero gas price are dropped.
    pub amount: Coins,
    pub gas_limit: u64,
}

impl Tx {
    /// Decodes and checks `bytes` as a `cosmos.tx.v1beta1.TxRaw`.
    pub fn decode(bytes: &[u8]) -> Result<Self, TxError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(TxError::tx_too_large(format!(
                "tx size {} bytes exceeds the maximum of {MAX_TX_BYTES}",
                bytes.len()
            )));
        }
        if bytes.is_empty() {
            return Err(TxError::tx_decode("empty tx"));
        }
        wire::check(bytes, &wire::TX_RAW).map_err(TxError::tx_decode)?;
        let raw = TxRaw::decode(bytes).map_err(|e| TxError::tx_decode(format!("TxRaw: {e}")))?;
        // ADR-027, as the SDK's decoder enforces: one encoding per tx, so a relayer cannot
        // re-encode a tx into a different hash than the one its sender waits for.
        if raw.encoded_len() != bytes.len() || raw.encode_to_vec() != bytes {
            return Err(TxError::tx_decode(
                "TxRaw is not in canonical encoding (ADR-027)",
            ));
        }
        let mut tx = Self::try_from(raw)?;
        tx.size = bytes.len();
        Ok(tx)
    }

    /// The accounts that must sign, in the SDK's order: each message's signer, first
    /// appearance first. `signer_infos` and `signatures` follow this order.
    pub fn signers(&self) -> Vec<Address> {
        let mut signers: Vec<Address> = Vec::new();
        for m in &self.body.messages {
            if !signers.contains(&m.signer) {
                signers.push(m.signer.clone());
            }
        }
        signers
    }

    /// Who pays the fee: the first signer, as in the SDK when `fee.payer` is empty (and
    /// Tessera refuses a non-empty one).
    pub fn fee_payer(&self) -> Option<&Address> {
        self.body.messages.first().map(|m| &m.signer)
    }
}

impl TryFrom<TxRaw> for Tx {
    type Error = TxError;

    fn try_from(raw: TxRaw) -> Result<Self, TxError> {
        wire::check(&raw.body_bytes, &wire::TX_BODY).map_err(TxError::tx_decode)?;
        wire::check(&raw.auth_info_bytes, &wire::AUTH_INFO).map_err(TxError::tx_decode)?;
        let body = ProtoTxBody::decode(raw.body_bytes.as_slice())
            .map_err(|e| TxError::tx_decode(format!("TxBody: {e}")))?;
        let auth_info = ProtoAuthInfo::decode(raw.auth_info_bytes.as_slice())
            .map_err(|e| TxError::tx_decode(format!("AuthInfo: {e}")))?;
        let size = raw.encoded_len();
        Ok(Self {
            body: TxBody::try_from(body)?,
            auth_info: AuthInfo::try_from(auth_info)?,
            signatures: raw.signatures,
            body_bytes: raw.body_bytes,
            auth_info_bytes: raw.auth_info_bytes,
            size,
        })
    }
}

impl TryFrom<ProtoTxBody> for TxBody {
    type Error = TxError;

    fn try_from(body: ProtoTxBody) -> Result<Self, TxError> {
        // The SDK refuses extension options unless a module claims them; none does here.
        if !body.extension_options.is_empty() {
            return Err(TxError::unknown_extension_options());
        }
        if body.messages.is_empty() {
            return Err(TxError::invalid_request(
                "must contain at least one message",
            ));
        }
        let messages = body
            .messages
            .into_iter()
            .map(Message::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            messages,
            memo: body.memo,
            timeout_height: body.timeout_height,
        })
    }
}

impl TryFrom<ProtoAuthInfo> for AuthInfo {
    type Error = TxError;

    fn try_from(auth_info: ProtoAuthInfo) -> Result<Self, TxError> {
        // Deprecated in the proto, but an old client may still set it: refuse rather than ignore.
        #[allow(deprecated)]
        let has_tip = auth_info.tip.is_some();
        if has_tip {
            return Err(TxError::not_supported("tips are not supported"));
        }
        let fee = auth_info
            .fee
            .ok_or_else(|| TxError::tx_decode("missing fee"))?;
        let signer_infos = auth_info
            .signer_infos
            .into_iter()
            .map(SignerInfo::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            signer_infos,
            fee: Fee::try_from(fee)?,
        })
    }
}

impl TryFrom<ProtoSignerInfo> for SignerInfo {
    type Error = TxError;

    fn try_from(info: ProtoSignerInfo) -> Result<Self, TxError> {
        let public_key = info
            .public_key
            .as_ref()
            .map(PublicKey::try_from)
            .transpose()?;
        let mode = match info.mode_info.and_then(|m| m.sum) {
            Some(mode_info::Sum::Single(single)) => SignMode::try_from(single.mode)?,
            Some(mode_info::Sum::Multi(_)) => {
                return Err(TxError::not_supported("multisig signers are not supported"))
            }
            None => return Err(TxError::tx_decode("signer info without mode info")),
        };
        Ok(Self {
            public_key,
            mode,
            sequence: info.sequence,
        })
    }
}

impl TryFrom<ProtoFee> for Fee {
    type Error = TxError;

    fn try_from(fee: ProtoFee) -> Result<Self, TxError> {
        if !fee.payer.is_empty() {
            return Err(TxError::not_supported(
                "fee payer other than the first signer is not supported",
            ));
        }
        if !fee.granter.is_empty() {
            // The SDK's text when no feegrant keeper is wired.
            return Err(TxError::invalid_request("fee grants are not enabled"));
        }
        let amount = Coins::from_proto_dropping_zeros(&fee.amount)
            .map_err(|e| TxError::insufficient_fee(format!("invalid fee amount: {e}")))?;
        Ok(Self {
            amount,
            gas_limit: fee.gas_limit,
        })
    }
}
