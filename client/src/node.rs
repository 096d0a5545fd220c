//! One node, as the CLI, the provider and CI tools see it: status, accounts and balances,
//! simulation, broadcast, waiting for a tx, contract queries. Asked over CometBFT's RPC, or over
//! the node's Cosmos gRPC after [`Node::with_grpc`]; what differs between the two lives in
//! `transport/`, everything here is written once on top of one `Transport` trait.

use std::sync::Arc;
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
use cosmrs::tendermint::{self, Hash};
use cosmwasm_std::{Coin, Uint128};
use serde::de::DeserializeOwned;
use serde::Serialize;

// The shared answer types, at the paths callers have always named them by.
pub use crate::chain_types::{wasm_events, NodeStatus, SimulatedGas, TxEvent, TxOutcome};
use crate::error::{Error, Result};
use crate::transport::grpc::GrpcTransport;
use crate::transport::rpc::RpcTransport;
use crate::transport::Transport;

/// How long [`Node::wait_for_tx`] waits between two lookups of a tx not yet in a block.
const TX_POLL: Duration = Duration::from_millis(300);

#[derive(Clone, Debug)]
pub struct Node {
    /// CometBFT's RPC, which also follows blocks (`events.rs`) whichever transport is chosen.
    rpc: RpcTransport,
    /// Where status, queries, simulation, broadcast and tx lookup go: `rpc`, or gRPC.
    transport: Arc<dyn Transport>,
}

impl Node {
    /// A client of the node's CometBFT RPC at `url` (`http://127.0.0.1:26657`); no I/O yet.
    pub fn connect(url: &str) -> Result<Self> {
        let rpc = RpcTransport::connect(url)?;
        Ok(Self {
            transport: Arc::new(rpc.clone()),
            rpc,
        })
    }

    /// Sends queries, simulations, broadcasts and tx lookups to the node's Cosmos gRPC
    /// endpoint instead of CometBFT's RPC (following blocks still uses the RPC).
    pub fn with_grpc(mut self, endpoint: &str) -> Result<Self> {
        self.transport = Arc::new(GrpcTransport::connect(endpoint)?);
        Ok(self)
    }

    pub fn url(&self) -> &str {
        self.rpc.url()
    }

    pub(crate) fn rpc(&self) -> &RpcTransport {
        &self.rpc
    }

    pub async fn status(&self) -> Result<NodeStatus> {
        self.transport.status().await
    }

    /// Raw `abci_query` over CometBFT's RPC at the latest height; an answer with a non-zero
    /// code is an error.
    pub async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<Vec<u8>> {
        self.rpc.abci_query(path, data).await
    }

    /// A protobuf query on a Cosmos gRPC path, through `abci_query` or over gRPC.
    pub async fn query<Req, Res>(&self, path: &str, request: Req) -> Result<Res>
    where
        Req: Message + Send + Sync + 'static,
        Res: Message + Default + Send + Sync + 'static,
    {
        let bytes = self.transport.query(path, request.encode_to_vec()).await?;
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
            Err(e) if e.is_not_found() => Ok(None),
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
        self.transport.broadcast(tx_bytes).await
    }

    /// Waits until the tx with `hash` is committed; a tx that failed on chain is an error that
    /// carries its code, codespace and log.
    pub async fn wait_for_tx(&self, hash: &str, timeout: Duration) -> Result<TxOutcome> {
        Hash::from_hex_upper(tendermint::hash::Algorithm::Sha256, hash)
            .map_err(|e| Error::invalid("tx hash", format!("{hash:?}: {e}")))?;
        let started = Instant::now();
        loop {
            // Not found until the tx is indexed. A failure to ask is retried too, since a node
            // busy with a block answers slowly, but only until the deadline.
            let failure = match self.transport.find_tx(hash).await {
                Ok(Some(committed)) => return committed.into_outcome(),
                Ok(None) => None,
                Err(e) => Some(e),
            };
            if started.elapsed() >= timeout {
                return Err(failure.unwrap_or_else(|| Error::NotCommitted {
                    hash: hash.to_string(),
                    waited_secs: timeout.as_secs(),
                }));
            }
            tokio::time::sleep(TX_POLL).await;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::chain_types::CommittedTx;

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

    /// A transport whose tx lookups answer from a script, by call number.
    #[derive(Debug)]
    struct Scripted {
        lookups: AtomicUsize,
        answer: fn(usize) -> Result<Option<CommittedTx>>,
    }

    #[async_trait::async_trait]
    impl Transport for Scripted {
        async fn status(&self) -> Result<NodeStatus> {
            unreachable!("the wait_for_tx tests only look txs up")
        }
        async fn query(&self, _: &str, _: Vec<u8>) -> Result<Vec<u8>> {
            unreachable!("the wait_for_tx tests only look txs up")
        }
        async fn broadcast(&self, _: Vec<u8>) -> Result<String> {
            unreachable!("the wait_for_tx tests only look txs up")
        }
        async fn find_tx(&self, _: &str) -> Result<Option<CommittedTx>> {
            (self.answer)(self.lookups.fetch_add(1, Ordering::SeqCst))
        }
    }

    fn scripted(answer: fn(usize) -> Result<Option<CommittedTx>>) -> (Node, Arc<Scripted>) {
        let transport = Arc::new(Scripted {
            lookups: AtomicUsize::new(0),
            answer,
        });
        let mut node = Node::connect("http://127.0.0.1:9").unwrap();
        node.transport = transport.clone();
        (node, transport)
    }

    const HASH: &str = "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9";

    fn in_block(code: u32) -> Result<Option<CommittedTx>> {
        Ok(Some(CommittedTx {
            outcome: TxOutcome {
                hash: HASH.into(),
                height: 7,
                gas_wanted: 200_000,
                gas_used: 81_000,
                events: vec![],
            },
            code,
            codespace: if code == 0 { "" } else { "wasm" }.into(),
            log: if code == 0 { "" } else { "order 3 is closed" }.into(),
        }))
    }

    fn unreachable_node() -> Error {
        Error::Rpc {
            url: "http://127.0.0.1:9".into(),
            method: "tx_search",
            message: "connection refused".into(),
        }
    }

    #[tokio::test]
    async fn a_tx_is_asked_for_until_it_is_in_a_block_through_failures_to_ask() -> Result<(), Error>
    {
        let (node, transport) = scripted(|n| match n {
            0 => Ok(None),
            1 => Err(unreachable_node()),
            _ => in_block(0),
        });
        let outcome = node.wait_for_tx(HASH, Duration::from_secs(30)).await?;
        assert_eq!((outcome.height, outcome.gas_used), (7, 81_000));
        assert_eq!(transport.lookups.load(Ordering::SeqCst), 3);
        Ok(())
    }

    #[tokio::test]
    async fn a_tx_that_failed_in_its_block_is_an_error_with_its_code_and_log() {
        let (node, _) = scripted(|_| in_block(5));
        let err = node.wait_for_tx(HASH, Duration::from_secs(30)).await;
        match err {
            Err(Error::Failed {
                height: 7,
                code: 5,
                codespace,
                log,
                gas_used: 81_000,
                ..
            }) => assert_eq!(
                (codespace.as_str(), log.as_str()),
                ("wasm", "order 3 is closed")
            ),
            other => panic!("expected the tx's failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_tx_never_found_by_the_deadline_is_not_committed() {
        let (node, transport) = scripted(|_| Ok(None));
        let err = node.wait_for_tx(HASH, Duration::ZERO).await;
        assert!(
            matches!(&err, Err(Error::NotCommitted { hash, waited_secs: 0 }) if hash == HASH),
            "{err:?}"
        );
        assert_eq!(transport.lookups.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failure_to_ask_at_the_deadline_is_reported_as_itself() {
        let (node, _) = scripted(|_| Err(unreachable_node()));
        let err = node.wait_for_tx(HASH, Duration::ZERO).await;
        assert!(
            matches!(
                err,
                Err(Error::Rpc {
                    method: "tx_search",
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_malformed_tx_hash_is_refused_without_asking() {
        let (node, transport) = scripted(|_| Ok(None));
        let err = node.wait_for_tx("0xnot-a-hash", Duration::ZERO).await;
        assert!(matches!(err, Err(Error::Invalid { .. })), "{err:?}");
        assert_eq!(transport.lookups.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn malformed_node_urls_are_refused_with_an_example() {
        let err = Node::connect("127.0.0.1 26657").unwrap_err().to_string();
        assert!(err.contains("use e.g. http://127.0.0.1:26657"), "{err}");
    }
}
