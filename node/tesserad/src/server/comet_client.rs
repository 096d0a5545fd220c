//! The node's connection to CometBFT's JSON-RPC: tendermint-rpc's typed HTTP client, one method
//! per RPC call the node makes, and what a failure means, decided from tendermint-rpc's error
//! kind and never from its text.
//!
//! Answers arrive as tendermint-rpc's domain types: a field that is missing or does not parse
//! fails the whole call as [`CometError::Malformed`] instead of turning into `""` or `0`.

use std::time::Duration;

use tendermint::block::Height;
use tendermint_rpc::endpoint::{
    block, broadcast, commit, consensus_params, genesis_chunked, header, status, tx_search,
};
use tendermint_rpc::error::ErrorDetail;
use tendermint_rpc::{Client as _, HttpClient, HttpClientUrl, Order};

/// Long enough for a `broadcast_tx_sync` that waits on `CheckTx` behind a full mempool, short
/// enough that a gRPC caller hears about a stuck CometBFT.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a call to CometBFT's RPC failed.
#[derive(Debug, thiserror::Error)]
pub enum CometError {
    /// No answer: CometBFT is down, still starting, or slower than [`TIMEOUT`].
    #[error("CometBFT RPC at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// CometBFT answered with a JSON-RPC error: a height it does not have, a tx its mempool
    /// refused, a query it cannot parse. `code` is the JSON-RPC error code.
    #[error("CometBFT {method}: {message}")]
    Refused {
        method: &'static str,
        code: i32,
        message: String,
    },
    /// An answer without the shape of CometBFT 0.38's (a missing field, a hash that is not hex).
    #[error("CometBFT's answer to {method} is malformed: {detail}")]
    Malformed {
        method: &'static str,
        detail: String,
    },
}

/// What a gRPC caller is told when nothing more specific applies: a CometBFT that cannot be
/// reached is a retryable `Unavailable`; its refusals are `Unknown`, as the SDK passes
/// CometBFT's errors on; a malformed answer is the node's own fault, `Internal`.
impl From<CometError> for tonic::Status {
    fn from(e: CometError) -> Self {
        let code = match e {
            CometError::Unreachable { .. } => tonic::Code::Unavailable,
            CometError::Refused { .. } => tonic::Code::Unknown,
            CometError::Malformed { .. } => tonic::Code::Internal,
        };
        tonic::Status::new(code, e.to_string())
    }
}

/// How a transaction is broadcast: whether the answer waits for `CheckTx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broadcast {
    /// `broadcast_tx_sync`: the answer carries `CheckTx`'s code and log.
    AfterCheck,
    /// `broadcast_tx_async`: the answer only says the tx reached the mempool's door.
    NoWait,
}

/// CometBFT's answer to a broadcast, the same for both modes.
#[derive(Clone, Debug)]
pub struct Broadcasted {
    pub hash: tendermint::Hash,
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct CometClient {
    http: HttpClient,
    /// As configured, for error messages.
    url: String,
}

impl CometClient {
    /// A client of the RPC at `url`: `tcp://HOST:PORT` (CometBFT's own spelling, as in
    /// `rpc_address`) or `http://HOST:PORT`.
    pub fn new(url: &str) -> Result<Self, String> {
        let url = url.trim_end_matches('/');
        let http_url: HttpClientUrl = match url.strip_prefix("tcp://") {
            Some(rest) => format!("http://{rest}").parse(),
            None => url.parse(),
        }
        .map_err(|e| format!("CometBFT RPC address {url}: {e}"))?;
        // The node talks to CometBFT directly, as the raw-socket client before it did: an
        // HTTP_PROXY meant for the operator's shell must not capture loopback calls.
        let inner = reqwest::Client::builder()
            .no_proxy()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| format!("CometBFT RPC client: {e}"))?;
        let http = HttpClient::builder(http_url)
            .client(inner)
            .build()
            .map_err(|e| format!("CometBFT RPC client for {url}: {e}"))?;
        Ok(Self {
            http,
            url: url.to_string(),
        })
    }

    pub async fn status(&self) -> Result<status::Response, CometError> {
        self.classify("status", self.http.status().await)
    }

    /// The block at `height`, the latest when `None`.
    pub async fn block(&self, height: Option<Height>) -> Result<block::Response, CometError> {
        let answer = match height {
            Some(height) => self.http.block(height).await,
            None => self.http.latest_block().await,
        };
        self.classify("block", answer)
    }

    pub async fn header(&self, height: Height) -> Result<header::Response, CometError> {
        self.classify("header", self.http.header(height).await)
    }

    pub async fn commit(&self, height: Height) -> Result<commit::Response, CometError> {
        self.classify("commit", self.http.commit(height).await)
    }

    /// The consensus params in force at the latest block.
    pub async fn consensus_params(&self) -> Result<consensus_params::Response, CometError> {
        self.classify(
            "consensus_params",
            self.http.latest_consensus_params().await,
        )
    }

    pub async fn genesis_chunk(&self, chunk: u64) -> Result<genesis_chunked::Response, CometError> {
        self.classify("genesis_chunked", self.http.genesis_chunked(chunk).await)
    }

    pub async fn broadcast(&self, tx: Vec<u8>, mode: Broadcast) -> Result<Broadcasted, CometError> {
        Ok(match mode {
            Broadcast::AfterCheck => {
                let sent =
                    self.classify("broadcast_tx_sync", self.http.broadcast_tx_sync(tx).await)?;
                Broadcasted {
                    hash: sent.hash,
                    code: sent.code.value(),
                    codespace: sent.codespace,
                    log: sent.log,
                    data: sent.data.to_vec(),
                }
            }
            Broadcast::NoWait => {
                let sent: broadcast::tx_async::Response =
                    self.classify("broadcast_tx_async", self.http.broadcast_tx_async(tx).await)?;
                Broadcasted {
                    hash: sent.hash,
                    code: sent.code.value(),
                    codespace: sent.codespace,
                    log: sent.log,
                    data: sent.data.to_vec(),
                }
            }
        })
    }

    /// `tx_search` with `query` as the caller wrote it: CometBFT parses it, so every query its
    /// indexer accepts works (tendermint-rpc's own query parser refuses some, e.g. event types
    /// with a `-` such as `wasm-lease_created`).
    pub async fn tx_search(
        &self,
        query: String,
        page: u32,
        per_page: u8,
        order: Order,
    ) -> Result<tx_search::Response, CometError> {
        let request = tx_search::Request::new(query, false, page, per_page, order);
        self.classify("tx_search", self.http.perform(request).await)
    }

    fn classify<T>(
        &self,
        method: &'static str,
        answer: Result<T, tendermint_rpc::Error>,
    ) -> Result<T, CometError> {
        answer.map_err(|e| match e.detail() {
            ErrorDetail::Response(refused) => CometError::Refused {
                method,
                code: refused.source.code().value(),
                message: match refused.source.data() {
                    Some(data) => format!("{}: {data}", refused.source.message()),
                    None => refused.source.message().to_string(),
                },
            },
            ErrorDetail::Serde(_)
            | ErrorDetail::Parse(_)
            | ErrorDetail::MalformedJson(_)
            | ErrorDetail::Tendermint(_)
            | ErrorDetail::ParseInt(_)
            | ErrorDetail::OutOfRange(_)
            | ErrorDetail::UnsupportedRpcVersion(_) => CometError::Malformed {
                method,
                detail: e.to_string(),
            },
            _ => CometError::Unreachable {
                url: self.url.clone(),
                detail: e.to_string(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_node_is_unavailable_and_named() {
        let comet = CometClient::new("tcp://127.0.0.1:1").unwrap();
        let err = comet.status().await.unwrap_err();
        assert!(matches!(err, CometError::Unreachable { .. }), "{err:?}");
        assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
        let status = tonic::Status::from(err);
        assert_eq!(status.code(), tonic::Code::Unavailable);
    }

    #[test]
    fn a_websocket_address_is_refused() {
        let err = CometClient::new("ws://127.0.0.1:26657").unwrap_err();
        assert!(err.contains("ws://127.0.0.1:26657"), "{err}");
    }
}
