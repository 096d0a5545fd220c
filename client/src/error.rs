//! What can go wrong talking to a Tessera node, in words a user can act on: a failed tx says its
//! code, codespace and log; a missing account says it has never been funded.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// The node could not be reached or answered something that is not a valid RPC response.
    #[error("node {url}: {method}: {message}")]
    Rpc {
        url: String,
        method: &'static str,
        message: String,
    },
    /// The app answered a query with an error.
    #[error("query {path} failed: {}", describe_code(*code, codespace, log))]
    Query {
        path: String,
        code: u32,
        codespace: String,
        log: String,
    },
    /// The mempool refused the tx (CheckTx): nothing was charged.
    #[error("tx {hash} refused before inclusion: {}", describe_code(*code, codespace, log))]
    Refused {
        hash: String,
        code: u32,
        codespace: String,
        log: String,
    },
    /// The tx was included in a block but failed: its fee was charged, its messages undone.
    #[error("tx {hash} failed at height {height}: {} (gas used {gas_used} of {gas_wanted})", describe_code(*code, codespace, log))]
    Failed {
        hash: String,
        height: u64,
        code: u32,
        codespace: String,
        log: String,
        gas_wanted: u64,
        gas_used: u64,
    },
    /// Simulating the tx to estimate gas failed: the tx would fail, nothing was sent.
    #[error("simulation failed, nothing was sent: {}", describe_code(*code, codespace, log))]
    Simulation {
        code: u32,
        codespace: String,
        log: String,
    },
    #[error("tx {hash} was accepted into the mempool but not committed within {waited_secs} s; it may still be included later")]
    NotCommitted { hash: String, waited_secs: u64 },
    #[error("{what} did not happen within {waited_secs} s")]
    Timeout { what: String, waited_secs: u64 },
    #[error("account {address} does not exist on chain yet: send it some tokens first")]
    UnknownAccount { address: String },
    #[error("the node answered {what} with data that does not decode: {reason}")]
    Decode { what: String, reason: String },
    /// An output leaf the provider sent is not the one it attested (or not where it belongs);
    /// nothing of the outputs is written.
    #[error("output leaf {leaf}: {reason}")]
    OutputLeaf { leaf: u64, reason: String },
    /// A lease's outputs as a whole do not fit its job (leaf count, size, assembly).
    #[error("outputs: {reason}")]
    Outputs { reason: String },
    /// The provider's TLS certificate is not the one its registry record names; nothing was
    /// sent to it.
    #[error(
        "provider {provider} at {uri} presented a TLS certificate with fingerprint {presented}, \
         but its registration on chain has {expected}; refusing to connect (the provider must \
         publish its current certificate with `tessera provider update --tls-cert`)"
    )]
    TlsFingerprintMismatch {
        provider: String,
        uri: String,
        expected: String,
        presented: String,
    },
    /// The provider's registered endpoint cannot be connected to safely (plain http:// off
    /// loopback, https:// without a registered fingerprint); no connection was opened.
    #[error("provider {provider} at {uri}: {reason}")]
    ProviderIdentity {
        provider: String,
        uri: String,
        reason: String,
    },
    /// Something the caller passed in is malformed; nothing was sent.
    #[error("invalid {what}: {reason}")]
    Invalid { what: String, reason: String },
    #[error(transparent)]
    Validation(#[from] tessera_api::ValidationError),
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::Invalid {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    pub fn decode(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::Decode {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    /// A connection failure, with its cause (tonic's own message is only "transport error").
    pub fn transport(url: &str, method: &'static str, e: &dyn std::error::Error) -> Self {
        let cause = e.source().map(|s| format!(": {s}")).unwrap_or_default();
        Error::Rpc {
            url: url.to_string(),
            method,
            message: format!("{e}{cause}"),
        }
    }

    /// The on-chain error code, when the chain gave one.
    pub fn code(&self) -> Option<u32> {
        match self {
            Error::Query { code, .. }
            | Error::Refused { code, .. }
            | Error::Failed { code, .. }
            | Error::Simulation { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether a query was answered "there is no such thing" (an account never funded, a
    /// contract or code that does not exist), read from its code: over CometBFT's RPC the SDK's
    /// `ErrKeyNotFound` (22 in codespace `sdk`); over gRPC the status `NotFound`, which
    /// `transport/grpc.rs` keeps as the code with an empty codespace, where an ABCI answer
    /// always names one.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Query {
                code, codespace, ..
            } => match codespace.as_str() {
                SDK_CODESPACE => *code == SDK_KEY_NOT_FOUND,
                "" => *code == tonic::Code::NotFound as u32,
                _ => false,
            },
            _ => false,
        }
    }
}

/// The Cosmos SDK's own codespace, and its `ErrKeyNotFound`: what an `abci_query` on a gRPC
/// path answers when the SDK's query handler says `NotFound` (tesserad answers the same).
const SDK_CODESPACE: &str = "sdk";
const SDK_KEY_NOT_FOUND: u32 = 22;

fn describe_code(code: u32, codespace: &str, log: &str) -> String {
    let space = if codespace.is_empty() {
        String::new()
    } else {
        format!(" ({codespace})")
    };
    format!("code {code}{space}: {log}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_error(code: u32, codespace: &str) -> Error {
        Error::Query {
            path: "/cosmos.auth.v1beta1.Query/Account".into(),
            code,
            codespace: codespace.into(),
            log: "rpc error: code = NotFound desc = account x not found".into(),
        }
    }

    #[test]
    fn not_found_is_read_from_the_code_whichever_transport_answered() {
        // abci_query: the SDK's ErrKeyNotFound.
        assert!(query_error(22, "sdk").is_not_found());
        // gRPC: the status NotFound, no codespace.
        assert!(query_error(5, "").is_not_found());
        // The same numbers elsewhere mean something else, whatever the log says:
        // sdk 5 is insufficient funds, gRPC 22 does not exist, a contract's codes are its own.
        assert!(!query_error(5, "sdk").is_not_found());
        assert!(!query_error(22, "").is_not_found());
        assert!(!query_error(22, "wasm").is_not_found());
        assert!(!Error::invalid("tx hash", "not found").is_not_found());
    }
}
