//! CometBFT's JSON-RPC (`http://127.0.0.1:26657`): `status`, protobuf queries through
//! `abci_query`, `broadcast_tx_sync`, and tx lookup through `tx_search`.

use async_trait::async_trait;
use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::query::Query;
use cosmrs::rpc::{Client, HttpClient, Order};

use super::Transport;
use crate::chain_types::{unix_seconds, CommittedTx, NodeStatus, TxEvent, TxOutcome};
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct RpcTransport {
    url: String,
    client: HttpClient,
}

impl RpcTransport {
    /// A client of the RPC at `url`; no I/O yet.
    pub fn connect(url: &str) -> Result<Self> {
        let parsed = url.parse().map_err(|e| {
            Error::invalid(
                "node URL",
                format!("{url:?}: {e}; use e.g. http://127.0.0.1:26657"),
            )
        })?;
        let client = HttpClient::builder(parsed)
            .compat_mode(CompatMode::V0_38)
            .build()
            .map_err(|e| Error::invalid("node URL", format!("{url:?}: {e}")))?;
        Ok(Self {
            url: url.to_string(),
            client,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The tendermint-rpc client, for what only the RPC offers (blocks and their results).
    pub(crate) fn client(&self) -> &HttpClient {
        &self.client
    }

    /// An RPC failure in one line: tendermint-rpc's errors display as eyre reports, with their
    /// causes on separate lines and, whenever RUST_BACKTRACE is set, a location and a stack
    /// trace that mean nothing to a user.
    pub(crate) fn error(&self, method: &'static str, e: cosmrs::rpc::Error) -> Error {
        Error::Rpc {
            url: self.url.clone(),
            method,
            message: one_line(&e.to_string()),
        }
    }

    /// Raw `abci_query` at the latest height; an answer with a non-zero code is an error.
    pub async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<Vec<u8>> {
        let res = self
            .client
            .abci_query(Some(path.to_string()), data, None, false)
            .await
            .map_err(|e| self.error("abci_query", e))?;
        if res.code.is_err() {
            return Err(Error::Query {
                path: path.to_string(),
                code: res.code.value(),
                codespace: res.codespace,
                log: res.log,
            });
        }
        Ok(res.value)
    }
}

#[async_trait]
impl Transport for RpcTransport {
    async fn status(&self) -> Result<NodeStatus> {
        let status = self
            .client
            .status()
            .await
            .map_err(|e| self.error("status", e))?;
        Ok(NodeStatus {
            chain_id: status.node_info.network.to_string(),
            height: status.sync_info.latest_block_height.value(),
            time: unix_seconds(status.sync_info.latest_block_time),
            version: status.node_info.version.to_string(),
            catching_up: status.sync_info.catching_up,
        })
    }

    async fn query(&self, path: &str, request: Vec<u8>) -> Result<Vec<u8>> {
        self.abci_query(path, request).await
    }

    async fn broadcast(&self, tx_bytes: Vec<u8>) -> Result<String> {
        let res = self
            .client
            .broadcast_tx_sync(tx_bytes)
            .await
            .map_err(|e| self.error("broadcast_tx_sync", e))?;
        let hash = res.hash.to_string();
        if res.code.is_err() {
            return Err(Error::Refused {
                hash,
                code: res.code.value(),
                codespace: res.codespace,
                log: res.log,
            });
        }
        Ok(hash)
    }

    /// Asks `tx_search` for `tx.hash = '…'` rather than `tx`: CometBFT's `tx` answers a tx it
    /// has not indexed with JSON-RPC's generic "Internal error" (-32603), the same code as a
    /// broken indexer, so only the text of its data would tell them apart. A search answers
    /// "not there" as an empty list, and for a hash condition the kv indexer looks the tx up
    /// by its key directly, as `tx` does.
    async fn find_tx(&self, hash: &str) -> Result<Option<CommittedTx>> {
        let found = self
            .client
            .tx_search(Query::eq("tx.hash", hash), false, 1, 1, Order::Ascending)
            .await
            .map_err(|e| self.error("tx_search", e))?;
        let Some(tx) = found.txs.into_iter().next() else {
            return Ok(None);
        };
        let result = tx.tx_result;
        Ok(Some(CommittedTx {
            outcome: TxOutcome {
                hash: hash.to_string(),
                height: tx.height.value(),
                gas_wanted: u64::try_from(result.gas_wanted).unwrap_or(0),
                gas_used: u64::try_from(result.gas_used).unwrap_or(0),
                events: result.events.iter().map(TxEvent::from_abci).collect(),
            },
            code: result.code.value(),
            codespace: result.codespace,
            log: result.log,
        }))
    }
}

/// `msg\n\nCaused by:\n    0: a\n    1: b\n\nLocation: …` → `msg: a: b`.
fn one_line(report: &str) -> String {
    let head = report
        .split("\n\nLocation:")
        .next()
        .unwrap_or(report)
        .split("\n\nStack backtrace:")
        .next()
        .unwrap_or(report);
    head.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "Caused by:")
        .map(|l| match l.split_once(": ") {
            Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eyre_reports_become_one_line() {
        let report = "HTTP error\n\nCaused by:\n    0: error sending request\n    1: Connection refused (os error 111)\n\nLocation:\n    src/x.rs:1:1\n\nStack backtrace:\n   0: f";
        assert_eq!(
            one_line(report),
            "HTTP error: error sending request: Connection refused (os error 111)"
        );
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn a_tx_lookup_searches_by_the_hash_condition_the_indexer_answers_directly() {
        // The kv indexer recognizes exactly this condition and skips the event scan.
        assert_eq!(Query::eq("tx.hash", "AB12").to_string(), "tx.hash = 'AB12'");
    }
}
