//! The same questions as [`crate::node::Node`] asks over CometBFT's RPC, asked over the node's
//! Cosmos gRPC endpoint (`--grpc`, :9090) instead: queries on their service paths, Simulate,
//! BroadcastTx, GetTx, and status from GetNodeInfo and GetLatestBlock. Pipelines that can only
//! reach gRPC use this.

use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::base::tendermint::v1beta1::{
    GetLatestBlockRequest, GetLatestBlockResponse, GetNodeInfoRequest, GetNodeInfoResponse,
};
use cosmrs::proto::cosmos::tx::v1beta1::{
    BroadcastMode, BroadcastTxRequest, BroadcastTxResponse, GetTxRequest, GetTxResponse,
};
use prost::Message;
use tonic::codec::ProstCodec;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};

use crate::error::{Error, Result};
use crate::node::{NodeStatus, TxEvent, TxOutcome};

#[derive(Clone, Debug)]
pub struct GrpcNode {
    endpoint: String,
    channel: Channel,
}

impl GrpcNode {
    /// A lazily connected channel to `endpoint` (`http://127.0.0.1:9090` or `127.0.0.1:9090`).
    pub fn connect(endpoint: &str) -> Result<Self> {
        let uri = if endpoint.contains("://") {
            endpoint.to_string()
        } else {
            format!("http://{endpoint}")
        };
        let channel = Endpoint::from_shared(uri.clone())
            .map_err(|e| Error::invalid("gRPC endpoint", format!("{endpoint:?}: {e}")))?
            .connect_lazy();
        Ok(Self {
            endpoint: uri,
            channel,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A unary call on a service `path`; a gRPC error status becomes an [`Error::Query`] whose
    /// log reads like the SDK's (`rpc error: code = NotFound desc = …`).
    pub async fn query<Req, Res>(&self, path: &str, request: Req) -> Result<Res>
    where
        Req: Message + Send + Sync + 'static,
        Res: Message + Default + Send + Sync + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready()
            .await
            .map_err(|e| Error::transport(&self.endpoint, "gRPC connect", &e))?;
        let method = PathAndQuery::try_from(path.to_string())
            .map_err(|e| Error::invalid("gRPC method", format!("{path:?}: {e}")))?;
        match grpc
            .unary(
                tonic::Request::new(request),
                method,
                ProstCodec::<Req, Res>::default(),
            )
            .await
        {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(Error::Query {
                path: path.to_string(),
                code: grpc_code_number(status.code()),
                codespace: String::new(),
                log: format!(
                    "rpc error: code = {:?} desc = {}",
                    status.code(),
                    status.message()
                ),
            }),
        }
    }

    pub async fn status(&self) -> Result<NodeStatus> {
        let info: GetNodeInfoResponse = self
            .query(
                "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
                GetNodeInfoRequest {},
            )
            .await?;
        let latest: GetLatestBlockResponse = self
            .query(
                "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
                GetLatestBlockRequest {},
            )
            .await?;
        let header = latest
            .sdk_block
            .and_then(|b| b.header)
            .map(|h| (h.height, h.time))
            .or_else(|| {
                latest
                    .block
                    .and_then(|b| b.header)
                    .map(|h| (h.height, h.time))
            });
        let (height, time) = header.unwrap_or_default();
        let node_info = info.default_node_info.unwrap_or_default();
        Ok(NodeStatus {
            chain_id: node_info.network,
            height: u64::try_from(height).unwrap_or(0),
            time: time.map_or(0, |t| u64::try_from(t.seconds).unwrap_or(0)),
            version: node_info.version,
            catching_up: false,
        })
    }

    pub async fn broadcast(&self, tx_bytes: Vec<u8>) -> Result<String> {
        let res: BroadcastTxResponse = self
            .query(
                "/cosmos.tx.v1beta1.Service/BroadcastTx",
                BroadcastTxRequest {
                    tx_bytes,
                    mode: BroadcastMode::Sync as i32,
                },
            )
            .await?;
        let tx = res.tx_response.unwrap_or_default();
        if tx.code != 0 {
            return Err(Error::Refused {
                hash: tx.txhash,
                code: tx.code,
                codespace: tx.codespace,
                log: tx.raw_log,
            });
        }
        Ok(tx.txhash)
    }

    /// The committed tx, `None` while it is not (yet) found.
    pub async fn find_tx(&self, hash: &str) -> Result<Option<Result<TxOutcome>>> {
        let res: Result<GetTxResponse> = self
            .query(
                "/cosmos.tx.v1beta1.Service/GetTx",
                GetTxRequest {
                    hash: hash.to_string(),
                },
            )
            .await;
        match res {
            Ok(found) => Ok(found.tx_response.map(|tx| outcome(hash, tx))),
            Err(Error::Query { log, .. }) if log.contains("NotFound") => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn outcome(hash: &str, tx: TxResponse) -> Result<TxOutcome> {
    let height = u64::try_from(tx.height).unwrap_or(0);
    let gas_wanted = u64::try_from(tx.gas_wanted).unwrap_or(0);
    let gas_used = u64::try_from(tx.gas_used).unwrap_or(0);
    if tx.code != 0 {
        return Err(Error::Failed {
            hash: hash.to_string(),
            height,
            code: tx.code,
            codespace: tx.codespace,
            log: tx.raw_log,
            gas_wanted,
            gas_used,
        });
    }
    Ok(TxOutcome {
        hash: hash.to_string(),
        height,
        gas_wanted,
        gas_used,
        events: tx
            .events
            .into_iter()
            .map(|e| TxEvent {
                kind: e.r#type,
                attributes: e.attributes.into_iter().map(|a| (a.key, a.value)).collect(),
            })
            .collect(),
    })
}

/// gRPC status codes as numbers (what `code` means in an [`Error::Query`] from gRPC).
fn grpc_code_number(code: tonic::Code) -> u32 {
    code as u32
}
