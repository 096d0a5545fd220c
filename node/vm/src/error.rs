//! One error type for everything the wasm module can refuse, with the ABCI codespace and code
//! wasmd would report for it, so the app can fill `DeliverTx.codespace/code` and clients that
//! match on `wasm/5` keep working.
//!
//! Display follows `errorsmod.Wrap`: `"<detail>: <registered description>"`; nesting adds
//! `"<context>: "` in front (`"dispatch: submessages: ..."`). The app adds the SDK's
//! `"failed to execute message; message index: N: "` prefix.

use cosmwasm_vm::VmError;
use tessera_store::StoreError;
use thiserror::Error;

/// Codespace of the wasm module's own errors.
pub const CODESPACE_WASM: &str = "wasm";
/// Codespace of the Cosmos SDK's generic errors (unauthorized, out of gas, …).
pub const CODESPACE_SDK: &str = "sdk";

#[derive(Debug, Error)]
pub enum WasmError {
    #[error("{0}: create wasm contract failed")]
    CreateFailed(String),
    #[error("{0}: contract account already exists")]
    AccountExists(String),
    /// The contract's `instantiate` returned an error.
    #[error("{0}: instantiate wasm contract failed")]
    InstantiateFailed(String),
    /// The contract's `execute`, `sudo` or `reply` returned an error.
    #[error("{0}: execute wasm contract failed")]
    ExecuteFailed(String),
    #[error("{0}: not found")]
    NotFound(String),
    /// The contract's `query` returned an error.
    #[error("{0}: query wasm contract failed")]
    QueryFailed(String),
    #[error("{0}: invalid CosmosMsg from the contract")]
    InvalidMsg(String),
    /// The contract's `migrate` returned an error.
    #[error("{0}: migrate wasm contract failed")]
    MigrationFailed(String),
    #[error("{0}: empty")]
    Empty(String),
    #[error("{0}: exceeds limit")]
    Limit(String),
    #[error("{0}: invalid")]
    Invalid(String),
    #[error("{0}: duplicate")]
    Duplicate(String),
    #[error("{0}: unknown message from the contract")]
    UnknownMsg(String),
    #[error("{0}: invalid event")]
    InvalidEvent(String),
    #[error("address {0}: no such contract")]
    NoSuchContract(String),
    #[error("max query stack size exceeded")]
    QueryStackExceeded,
    #[error("code id {0}: no such code")]
    NoSuchCode(u64),
    /// The VM failed outside the contract's own logic: a trap, a panic, a bad result.
    #[error("{0}: wasmvm error")]
    Vm(VmError),
    #[error("max call depth exceeded")]
    CallDepthExceeded,
    #[error("{0}: unauthorized")]
    Unauthorized(String),
    #[error("{0}: invalid request")]
    InvalidRequest(String),
    #[error("{0}: invalid address")]
    InvalidAddress(String),
    #[error("{0}: invalid coins")]
    InvalidCoins(String),
    /// The transaction's gas ran out (SDK `ErrOutOfGas`, code 11). Never caught by a
    /// submessage's reply: it aborts the whole transaction, as the SDK's panic does.
    #[error("out of gas in location: {location}; gasWanted: {limit}, gasUsed: {used}: out of gas")]
    OutOfGas {
        location: String,
        limit: u64,
        used: u64,
    },
    /// A submessage ran out of its own `gas_limit`: an ordinary error its reply can see.
    #[error("SubMsg hit gas limit: out of gas")]
    SubMsgOutOfGas,
    #[error(transparent)]
    Bank(BankError),
    #[error("{0}: internal")]
    Store(#[from] StoreError),
    #[error("{0}: internal")]
    Internal(String),
    #[error("{context}: {source}")]
    Wrapped {
        context: String,
        source: Box<WasmError>,
    },
}

impl WasmError {
    /// Adds context in front of the message, keeping the code.
    pub fn wrap(self, context: impl Into<String>) -> Self {
        WasmError::Wrapped {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// The innermost error (what decides the code).
    pub fn root(&self) -> &WasmError {
        match self {
            WasmError::Wrapped { source, .. } => source.root(),
            other => other,
        }
    }

    /// ABCI codespace: `wasm` for the module's errors, `sdk` for generic ones, the bank's own
    /// for bank failures.
    pub fn codespace(&self) -> &str {
        match self.root() {
            WasmError::Bank(e) => &e.codespace,
            WasmError::Unauthorized(_)
            | WasmError::InvalidRequest(_)
            | WasmError::InvalidAddress(_)
            | WasmError::InvalidCoins(_)
            | WasmError::OutOfGas { .. }
            | WasmError::SubMsgOutOfGas
            | WasmError::Store(_)
            | WasmError::Internal(_) => CODESPACE_SDK,
            _ => CODESPACE_WASM,
        }
    }

    /// ABCI code within [`WasmError::codespace`] (wasmd's x/wasm/types/errors.go and the SDK's
    /// types/errors).
    pub fn code(&self) -> u32 {
        match self.root() {
            WasmError::CreateFailed(_) => 2,
            WasmError::AccountExists(_) => 3,
            WasmError::InstantiateFailed(_) => 4,
            WasmError::ExecuteFailed(_) => 5,
            WasmError::NotFound(_) => 8,
            WasmError::QueryFailed(_) => 9,
            WasmError::InvalidMsg(_) => 10,
            WasmError::MigrationFailed(_) => 11,
            WasmError::Empty(_) => 12,
            WasmError::Limit(_) => 13,
            WasmError::Invalid(_) => 14,
            WasmError::Duplicate(_) => 15,
            WasmError::UnknownMsg(_) => 20,
            WasmError::InvalidEvent(_) => 21,
            WasmError::NoSuchContract(_) => 22,
            WasmError::QueryStackExceeded => 27,
            WasmError::NoSuchCode(_) => 28,
            WasmError::Vm(_) => 29,
            WasmError::CallDepthExceeded => 30,
            WasmError::Unauthorized(_) => 4,
            WasmError::InvalidRequest(_) => 18,
            WasmError::InvalidAddress(_) => 7,
            WasmError::InvalidCoins(_) => 10,
            WasmError::OutOfGas { .. } | WasmError::SubMsgOutOfGas => 11,
            WasmError::Bank(e) => e.code,
            WasmError::Store(_) | WasmError::Internal(_) => 1,
            // `root` never returns a wrapper.
            WasmError::Wrapped { .. } => 1,
        }
    }

    /// Whether the transaction ran out of gas (maps to SDK code 11; no reply may catch it).
    pub fn is_out_of_gas(&self) -> bool {
        matches!(self.root(), WasmError::OutOfGas { .. })
    }

    /// The `log` of a failed transaction, as the SDK writes it: the message index in front,
    /// except for running out of gas, which the SDK reports for the whole transaction.
    pub fn abci_log(&self, msg_index: usize) -> String {
        if self.is_out_of_gas() {
            self.to_string()
        } else {
            format!("failed to execute message; message index: {msg_index}: {self}")
        }
    }

    /// The error text a contract sees in a failed submessage's reply or a failed sub-query.
    ///
    /// As wasmd's `redactError`: a contract's own error (deterministic by construction) passes
    /// through whole; anything else shows only `codespace: X, code: N`, so that host error
    /// wording never becomes part of consensus.
    pub fn contract_visible(&self) -> String {
        match self {
            WasmError::InstantiateFailed(_)
            | WasmError::ExecuteFailed(_)
            | WasmError::MigrationFailed(_)
            | WasmError::QueryFailed(_) => self.to_string(),
            other => format!("codespace: {}, code: {}", other.codespace(), other.code()),
        }
    }
}

impl From<BankError> for WasmError {
    fn from(e: BankError) -> Self {
        WasmError::Bank(e)
    }
}

/// A refusal from the bank, with the ABCI codespace/code the app's bank module reports (for
/// example `sdk`/5 for insufficient funds).
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{message}")]
pub struct BankError {
    pub codespace: String,
    pub code: u32,
    pub message: String,
}

impl BankError {
    pub fn new(codespace: impl Into<String>, code: u32, message: impl Into<String>) -> Self {
        Self {
            codespace: codespace.into(),
            code,
            message: message.into(),
        }
    }

    /// SDK `ErrInsufficientFunds` (sdk/5), worded as the SDK's bank does.
    pub fn insufficient_funds(detail: impl std::fmt::Display) -> Self {
        Self::new("sdk", 5, format!("{detail}: insufficient funds"))
    }

    /// SDK `ErrInvalidCoins` (sdk/10).
    pub fn invalid_coins(detail: impl std::fmt::Display) -> Self {
        Self::new("sdk", 10, format!("{detail}: invalid coins"))
    }

    /// SDK `ErrInvalidAddress` (sdk/7).
    pub fn invalid_address(detail: impl std::fmt::Display) -> Self {
        Self::new("sdk", 7, format!("{detail}: invalid address"))
    }

    /// SDK `ErrUnauthorized` (sdk/4), e.g. a send to a blocked module account.
    pub fn unauthorized(detail: impl std::fmt::Display) -> Self {
        Self::new("sdk", 4, format!("{detail}: unauthorized"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_errors_read_like_wasmd() {
        let e = WasmError::ExecuteFailed("Unauthorized".into());
        assert_eq!(e.to_string(), "Unauthorized: execute wasm contract failed");
        assert_eq!((e.codespace(), e.code()), ("wasm", 5));
        assert_eq!(
            e.abci_log(0),
            "failed to execute message; message index: 0: Unauthorized: execute wasm contract failed"
        );
        let nested = e.wrap("submessages").wrap("dispatch");
        assert_eq!(
            nested.to_string(),
            "dispatch: submessages: Unauthorized: execute wasm contract failed"
        );
        assert_eq!((nested.codespace(), nested.code()), ("wasm", 5));
        // Only the top level decides whether the text is shown to a contract.
        assert_eq!(nested.contract_visible(), "codespace: wasm, code: 5");
    }

    #[test]
    fn out_of_gas_is_sdk_11_even_when_wrapped() {
        let e = WasmError::OutOfGas {
            location: "wasm contract".into(),
            limit: 10,
            used: 12,
        }
        .wrap("dispatch");
        assert!(e.is_out_of_gas());
        assert_eq!((e.codespace(), e.code()), ("sdk", 11));
        assert!(!WasmError::SubMsgOutOfGas.is_out_of_gas());
    }
}
