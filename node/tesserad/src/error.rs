//! Transaction errors in the Cosmos SDK's shape: `(codespace, code, log)`.
//!
//! Clients (CosmJS, cosmrs, cosmpy) show `log` to people and some branch on `code`, so the codes
//! are the SDK's root codes (`types/errors/errors.go`, codespace `sdk`) and every log ends the
//! way the SDK's wrapped errors do: `"<detail>: <description of the code>"`.

use std::fmt::Display;

use tessera_store::StoreError;
use thiserror::Error;

/// Codespace of the SDK's root errors.
pub const SDK_CODESPACE: &str = "sdk";
/// Codespace the SDK gives to errors it does not classify (code 1, "internal").
pub const UNDEFINED_CODESPACE: &str = "undefined";

/// The SDK's root error codes that this crate returns.
pub mod codes {
    pub const INTERNAL: u32 = 1;
    pub const TX_DECODE: u32 = 2;
    pub const UNAUTHORIZED: u32 = 4;
    pub const INSUFFICIENT_FUNDS: u32 = 5;
    pub const UNKNOWN_REQUEST: u32 = 6;
    pub const INVALID_ADDRESS: u32 = 7;
    pub const INVALID_PUBKEY: u32 = 8;
    pub const UNKNOWN_ADDRESS: u32 = 9;
    pub const INVALID_COINS: u32 = 10;
    pub const OUT_OF_GAS: u32 = 11;
    pub const MEMO_TOO_LARGE: u32 = 12;
    pub const INSUFFICIENT_FEE: u32 = 13;
    pub const TOO_MANY_SIGNATURES: u32 = 14;
    pub const NO_SIGNATURES: u32 = 15;
    pub const INVALID_REQUEST: u32 = 18;
    pub const KEY_NOT_FOUND: u32 = 22;
    pub const TX_TOO_LARGE: u32 = 21;
    pub const TX_TIMEOUT_HEIGHT: u32 = 30;
    pub const UNKNOWN_EXTENSION_OPTIONS: u32 = 31;
    pub const WRONG_SEQUENCE: u32 = 32;
    pub const NOT_SUPPORTED: u32 = 37;
}

/// A failed transaction (or message) as ABCI reports it.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("{log}")]
pub struct TxError {
    pub codespace: String,
    pub code: u32,
    pub log: String,
}

impl TxError {
    /// An error of the SDK's root codespace whose log is `"{detail}: {description}"`, the text
    /// of the SDK's `errorsmod.Wrap(ErrX, detail)`.
    pub fn sdk(code: u32, description: &str, detail: impl Display) -> Self {
        Self {
            codespace: SDK_CODESPACE.to_string(),
            code,
            log: format!("{detail}: {description}"),
        }
    }

    /// An error of the SDK's root codespace returned unwrapped (the log is the description).
    fn bare(code: u32, description: &str) -> Self {
        Self {
            codespace: SDK_CODESPACE.to_string(),
            code,
            log: description.to_string(),
        }
    }

    pub fn tx_decode(detail: impl Display) -> Self {
        Self::sdk(codes::TX_DECODE, "tx parse error", detail)
    }
    pub fn unauthorized(detail: impl Display) -> Self {
        Self::sdk(codes::UNAUTHORIZED, "unauthorized", detail)
    }
    pub fn insufficient_funds(detail: impl Display) -> Self {
        Self::sdk(codes::INSUFFICIENT_FUNDS, "insufficient funds", detail)
    }
    pub fn unknown_request(detail: impl Display) -> Self {
        Self::sdk(codes::UNKNOWN_REQUEST, "unknown request", detail)
    }
    pub fn invalid_address(detail: impl Display) -> Self {
        Self::sdk(codes::INVALID_ADDRESS, "invalid address", detail)
    }
    pub fn invalid_pubkey(detail: impl Display) -> Self {
        Self::sdk(codes::INVALID_PUBKEY, "invalid pubkey", detail)
    }
    pub fn unknown_address(detail: impl Display) -> Self {
        Self::sdk(codes::UNKNOWN_ADDRESS, "unknown address", detail)
    }
    pub fn invalid_coins(detail: impl Display) -> Self {
        Self::sdk(codes::INVALID_COINS, "invalid coins", detail)
    }
    /// `gas_used` may exceed `gas_wanted`: like the SDK, the meter records the charge that broke
    /// the limit.
    pub fn out_of_gas(descriptor: &str, gas_wanted: u64, gas_used: u64) -> Self {
        Self::sdk(
            codes::OUT_OF_GAS,
            "out of gas",
            format!(
                "out of gas in location: {descriptor}; gasWanted: {gas_wanted}, gasUsed: {gas_used}"
            ),
        )
    }
    /// The tx asks for more gas than the block has left (the SDK's block gas meter).
    pub fn block_gas_exceeded(gas_wanted: u64, left: u64, limit: u64) -> Self {
        Self::sdk(
            codes::OUT_OF_GAS,
            "out of gas",
            format!(
                "block gas limit exceeded: tx wants {gas_wanted}, block has {left} of {limit} left"
            ),
        )
    }
    pub fn memo_too_large(detail: impl Display) -> Self {
        Self::sdk(codes::MEMO_TOO_LARGE, "memo too large", detail)
    }
    pub fn insufficient_fee(detail: impl Display) -> Self {
        Self::sdk(codes::INSUFFICIENT_FEE, "insufficient fee", detail)
    }
    pub fn too_many_signatures(detail: impl Display) -> Self {
        Self::sdk(
            codes::TOO_MANY_SIGNATURES,
            "maximum number of signatures exceeded",
            detail,
        )
    }
    pub fn no_signatures() -> Self {
        Self::bare(codes::NO_SIGNATURES, "no signatures supplied")
    }
    pub fn invalid_request(detail: impl Display) -> Self {
        Self::sdk(codes::INVALID_REQUEST, "invalid request", detail)
    }
    pub fn tx_too_large(detail: impl Display) -> Self {
        Self::sdk(codes::TX_TOO_LARGE, "tx too large", detail)
    }
    pub fn tx_timeout_height(detail: impl Display) -> Self {
        Self::sdk(codes::TX_TIMEOUT_HEIGHT, "tx timeout height", detail)
    }
    pub fn unknown_extension_options() -> Self {
        Self::bare(
            codes::UNKNOWN_EXTENSION_OPTIONS,
            "unknown extension options",
        )
    }
    pub fn wrong_sequence(expected: u64, got: u64) -> Self {
        Self::sdk(
            codes::WRONG_SEQUENCE,
            "incorrect account sequence",
            format!("account sequence mismatch, expected {expected}, got {got}"),
        )
    }
    pub fn not_supported(detail: impl Display) -> Self {
        Self::sdk(codes::NOT_SUPPORTED, "feature not supported", detail)
    }
    /// A fault of the node (storage, corrupt state), not of the transaction. The app should
    /// treat it as fatal rather than record it as a tx result: another node would not see it.
    pub fn internal(detail: impl Display) -> Self {
        Self {
            codespace: UNDEFINED_CODESPACE.to_string(),
            code: codes::INTERNAL,
            log: format!("{detail}: internal"),
        }
    }

    pub fn is_internal(&self) -> bool {
        self.codespace == UNDEFINED_CODESPACE && self.code == codes::INTERNAL
    }

    pub fn is_out_of_gas(&self) -> bool {
        self.codespace == SDK_CODESPACE && self.code == codes::OUT_OF_GAS
    }
}

impl From<StoreError> for TxError {
    fn from(err: StoreError) -> Self {
        Self::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_read_like_the_sdks_wrapped_errors() {
        assert_eq!(
            TxError::wrong_sequence(3, 2).log,
            "account sequence mismatch, expected 3, got 2: incorrect account sequence"
        );
        assert_eq!(
            TxError::out_of_gas("txSize", 100, 2450).log,
            "out of gas in location: txSize; gasWanted: 100, gasUsed: 2450: out of gas"
        );
        assert_eq!(TxError::no_signatures().log, "no signatures supplied");
        assert!(TxError::internal("disk").is_internal());
    }
}
