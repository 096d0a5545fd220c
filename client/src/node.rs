//! One node, spoken to over CometBFT's JSON-RPC: status, `abci_query` on the Cosmos gRPC paths
//! (accounts, balances, simulation, contract queries), broadcast, and waiting for a tx.

use std::time::{Duration, Instant};

use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QueryContractInfoRequest, QueryContractInfoResponse, QueryContractsByCodeRequest,
    QueryContractsByCodeResponse, QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::{Client, HttpClient};
use cosmrs::tendermint::{self, abci, Hash};
use cosmwasm_std::{Coin, Uint128};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::grpc::GrpcNode;

/// What the node says about itself and the chain.
#[derive(Clone, Debug, Serialize)]
pub struct NodeStatus {
    pub chain_id: String,
    pub height: u64,
    /// Unix seconds of the latest block.
    pub time: u64,
    pub version: String,
    pub catching_up: bool,
}

/// A committed tx: where it landed, what it cost, what it emitted.
#[derive(Clone, Debug, Serialize)]
pub struct TxOutcome {
    pub hash: String,
    pub height: u64,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<TxEvent>,
}

/// An ABCI event with its attributes decoded to text.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TxEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl TxEvent {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn from_abci(event: &abci::Event) -> Self {
        Self {
            kind: event.kind.clone(),
            attributes: event
                .attributes
                .iter()
                .map(|a| {
                    (
                        String::from_utf8_lossy(a.key_bytes()).into_owned(),
                        String::from_utf8_lossy(a.value_bytes()).into_owned(),
                    )
                })
                .collect(),
        }
    }
}

impl TxOutcome {
    /// The value of `key` in the first `wasm` event `contract` emitted (wasmd's event shape).
    pub fn wasm_attribute<'a>(&'a self, contract: &'a str, key: &str) -> Option<&'a str> {
        wasm_events(&self.events, contract).find_map(|e| e.attribute(key))
    }
}

/// The `wasm` events (and `wasm-*` custom events) emitted by `contract`.
pub fn wasm_events<'a>(
    events: &'a [TxEvent],
    contract: &'a str,
) -> impl Iterator<Item = &'a TxEvent> + 'a {
    events.iter().filter(move |e| {
        (e.kind == "wasm" || e.kind.starts_with("wasm-"))
            && e.attribute("_contract_address") == Some(contract)
    })
}

/// Gas a simulated tx used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimulatedGas {
    pub gas_used: u64,
}

#[derive(Clone, Debug)]
pub struct Node {
    url: String,
    rpc: HttpClient,
    /// When set, queries, simulation, broadcast and tx lookup go over gRPC.
    grpc: Option<GrpcNode>,
}

impl Node {
    /// A client of the node's CometBFT RPC at `url` (`http://127.0.0.1:26657`); no I/O yet.
    pub fn connect(url: &str) -> Result<Self> {
        let parsed = url.parse().map_err(|e| {
            Error::invalid(
                "node URL",
                format!("{url:?}: {e}; use e.g. http://127.0.0.1:26657"),
            )
        })?;
        let rpc = HttpClient::builder(parsed)
            .compat_mode(CompatMode::V0_38)
            .build()
            .map_err(|e| Error::invalid("node URL", format!("{url:?}: {e}")))?;
        Ok(Self {
            url: url.to_string(),
            rpc,
            grpc: None,
        })
    }

    /// Sends queries, simulations, broadcasts and tx lookups to the node's Cosmos gRPC
    /// endpoint instead of CometBFT's RPC (following blocks still uses the RPC).
    pub fn with_grpc(mut self, endpoint: &str) -> Result<Self> {
        self.grpc = Some(GrpcNode::connect(endpoint)?);
        Ok(self)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn rpc(&self) -> &HttpClient {
        &self.rpc
    }

    /// An RPC failure in one line: tendermint-rpc's errors display as eyre reports, with their
    /// causes on separate lines and, whenever RUST_BACKTRACE is set, a location and a stack
    /// trace that mean nothing to a user.
    pub(crate) fn rpc_error(&self, method: &'static str, e: cosmrs::rpc::Error) -> Error {
        Error::Rpc {
            url: self.url.clone(),
            method,
            message: one_line(&e.to_string()),
        }
    }

    pub async fn status(&self) -> Result<NodeStatus> {
        if let Some(grpc) = &self.grpc {
            return grpc.status().await;
        }
        let status = self
            .rpc
            .status()
            .await
            .map_err(|e| self.rpc_error("status", e))?;
        Ok(NodeStatus {
            chain_id: status.node_info.network.to_string(),
            height: status.sync_info.latest_block_height.value(),
            time: unix_seconds(status.sync_info.latest_block_time),
            version: status.node_info.version.to_string(),
            catching_up: status.sync_info.catching_up,
        })
    }

    /// Raw `abci_query` at the latest height; an answer with a non-zero code is an error.
    pub async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<Vec<u8>> {
        let res = self
            .rpc
            .abci_query(Some(path.to_string()), data, None, false)
            .await
            .map_err(|e| self.rpc_error("abci_query", e))?;
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

    /// A protobuf query on a Cosmos gRPC path, answered through `abci_query`.
    pub async fn query<Req, Res>(&self, path: &str, request: Req) -> Result<Res>
    where
        Req: Message + Send + Sync + 'static,
        Res: Message + Default + Send + Sync + 'static,
    {
        if let Some(grpc) = &self.grpc {
            return grpc.query(path, request).await;
        }
        let bytes = self.abci_query(path, request.encode_to_vec()).await?;
        Res::decode(bytes.as_slice()).map_err(|e| Error::decode(path, e))
    }

    /// The account's number and sequence, or `None` if it has never received funds.
    pub async fn account(&self, address: &str) -> Result<Option<BaseAccount>> {
        let path = "/cosmos.auth.v1beta1.Query/Account";
        let request = QueryAccountRequest {
            address: address.to_string(),
        };
        match self.query::<_, QueryAccountResponse>(path, request).await {
            Ok(res) => {
                let any = res
                    .account
                    .ok_or_else(|| Error::decode(path, "answer without an account"))?;
                BaseAccount::decode(any.value.as_slice())
                    .map(Some)
                    .map_err(|e| Error::decode(path, e))
            }
            Err(Error::Query { log, .. }) if log.contains("NotFound") => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn balance(&self, address: &str, denom: &str) -> Result<Uint128> {
        let path = "/cosmos.bank.v1beta1.Query/Balance";
        let res: QueryBalanceResponse = self
            .query(
                path,
                QueryBalanceRequest {
                    address: address.to_string(),
                    denom: denom.to_string(),
                },
            )
            .await?;
        match res.balance {
            Some(coin) => coin.amount.parse().map_err(|e| Error::decode(path, e)),
            None => Ok(Uint128::zero()),
        }
    }

    pub async fn balances(&self, address: &str) -> Result<Vec<Coin>> {
        let path = "/cosmos.bank.v1beta1.Query/AllBalances";
        let res: QueryAllBalancesResponse = self
            .query(
                path,
                QueryAllBalancesRequest {
                    address: address.to_string(),
                    pagination: None,
                    resolve_denom: false,
                },
            )
            .await?;
        res.balances
            .into_iter()
            .map(|c| {
                let amount: Uint128 = c.amount.parse().map_err(|e| Error::decode(path, e))?;
                Ok(Coin::new(amount, c.denom))
            })
            .collect()
    }

    /// Runs a tx against the latest state without committing it.
    pub async fn simulate(&self, tx_bytes: Vec<u8>) -> Result<SimulatedGas> {
        let path = "/cosmos.tx.v1beta1.Service/Simulate";
        #[allow(deprecated)] // `tx` is the deprecated field; we send `tx_bytes`.
        let request = SimulateRequest { tx: None, tx_bytes };
        match self.query::<_, SimulateResponse>(path, request).await {
            Ok(res) => Ok(SimulatedGas {
                gas_used: res.gas_info.map_or(0, |g| g.gas_used),
            }),
            Err(Error::Query {
                code,
                codespace,
                log,
                ..
            }) => Err(Error::Simulation {
                code,
                codespace,
                log,
            }),
            Err(e) => Err(e),
        }
    }

    /// Hands signed tx bytes to the mempool (CheckTx) and returns the tx hash.
    pub async fn broadcast(&self, tx_bytes: Vec<u8>) -> Result<String> {
        if let Some(grpc) = &self.grpc {
            return grpc.broadcast(tx_bytes).await;
        }
        let res = self
            .rpc
            .broadcast_tx_sync(tx_bytes)
            .await
            .map_err(|e| self.rpc_error("broadcast_tx_sync", e))?;
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

    /// Waits until the tx with `hash` is committed; a tx that failed on chain is an error that
    /// carries its code, codespace and log.
    pub async fn wait_for_tx(&self, hash: &str, timeout: Duration) -> Result<TxOutcome> {
        let parsed = Hash::from_hex_upper(tendermint::hash::Algorithm::Sha256, hash)
            .map_err(|e| Error::invalid("tx hash", format!("{hash:?}: {e}")))?;
        let started = Instant::now();
        if let Some(grpc) = &self.grpc {
            loop {
                if let Some(found) = grpc.find_tx(hash).await? {
                    return found;
                }
                if started.elapsed() >= timeout {
                    return Err(Error::NotCommitted {
                        hash: hash.to_string(),
                        waited_secs: timeout.as_secs(),
                    });
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        loop {
            match self.rpc.tx(parsed, false).await {
                Ok(found) => {
                    let result = found.tx_result;
                    let gas_wanted = u64::try_from(result.gas_wanted).unwrap_or(0);
                    let gas_used = u64::try_from(result.gas_used).unwrap_or(0);
                    if result.code.is_err() {
                        return Err(Error::Failed {
                            hash: hash.to_string(),
                            height: found.height.value(),
                            code: result.code.value(),
                            codespace: result.codespace,
                            log: result.log,
                            gas_wanted,
                            gas_used,
                        });
                    }
                    return Ok(TxOutcome {
                        hash: hash.to_string(),
                        height: found.height.value(),
                        gas_wanted,
                        gas_used,
                        events: result.events.iter().map(TxEvent::from_abci).collect(),
                    });
                }
                // "not found" until the tx is indexed; anything else is retried too, since a
                // node busy with a block answers slowly, but only until the deadline.
                Err(e) => {
                    if started.elapsed() >= timeout {
                        if e.to_string().contains("not found") {
                            return Err(Error::NotCommitted {
                                hash: hash.to_string(),
                                waited_secs: timeout.as_secs(),
                            });
                        }
                        return Err(self.rpc_error("tx", e));
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        }
    }

    /// A contract's answer to a JSON query, decoded as `R`.
    pub async fn smart_query<Q: Serialize, R: DeserializeOwned>(
        &self,
        contract: &str,
        query: &Q,
    ) -> Result<R> {
        let path = "/cosmwasm.wasm.v1.Query/SmartContractState";
        let query_data =
            serde_json::to_vec(query).map_err(|e| Error::invalid("contract query", e))?;
        let res: QuerySmartContractStateResponse = self
            .query(
                path,
                QuerySmartContractStateRequest {
                    address: contract.to_string(),
                    query_data,
                },
            )
            .await?;
        serde_json::from_slice(&res.data).map_err(|e| {
            Error::decode(
                format!("the query of contract {contract}"),
                format!("{e}: {}", String::from_utf8_lossy(&res.data)),
            )
        })
    }

    pub async fn contracts_by_code(&self, code_id: u64) -> Result<Vec<String>> {
        let res: QueryContractsByCodeResponse = self
            .query(
                "/cosmwasm.wasm.v1.Query/ContractsByCode",
                QueryContractsByCodeRequest {
                    code_id,
                    pagination: None,
                },
            )
            .await?;
        Ok(res.contracts)
    }

    /// The label a contract was instantiated with.
    pub async fn contract_label(&self, address: &str) -> Result<String> {
        let path = "/cosmwasm.wasm.v1.Query/ContractInfo";
        let res: QueryContractInfoResponse = self
            .query(
                path,
                QueryContractInfoRequest {
                    address: address.to_string(),
                },
            )
            .await?;
        Ok(res.contract_info.map(|i| i.label).unwrap_or_default())
    }

    /// Hex (upper case) sha256 of tx bytes: the hash CometBFT indexes txs by.
    pub fn tx_hash(tx_bytes: &[u8]) -> String {
        use sha2::Digest;
        hex::encode_upper(sha2::Sha256::digest(tx_bytes))
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

pub(crate) fn unix_seconds(time: tendermint::Time) -> u64 {
    time.unix_timestamp().try_into().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_node_is_one_readable_line_even_with_backtraces_on() {
        // Port 9 (discard) is closed on loopback here; nothing listens.
        let node = Node::connect("http://127.0.0.1:9").unwrap();
        let err = node.status().await.unwrap_err().to_string();
        assert!(
            err.starts_with("node http://127.0.0.1:9: status: "),
            "{err}"
        );
        assert!(!err.contains("backtrace") && !err.contains('\n'), "{err}");
    }

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
    fn malformed_node_urls_are_refused_with_an_example() {
        let err = Node::connect("127.0.0.1 26657").unwrap_err().to_string();
        assert!(err.contains("use e.g. http://127.0.0.1:26657"), "{err}");
    }
}
