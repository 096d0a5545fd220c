//! The node's Cosmos gRPC endpoint (`--grpc`, :9090): queries on their service paths,
//! Simulate, BroadcastTx, GetTx, and status from GetNodeInfo and GetLatestBlock. Pipelines that
//! can only reach gRPC use this.

use async_trait::async_trait;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::base::tendermint::v1beta1::{
    GetLatestBlockRequest, GetLatestBlockResponse, GetNodeInfoRequest, GetNodeInfoResponse,
};
use cosmrs::proto::cosmos::tx::v1beta1::{
    BroadcastMode, BroadcastTxRequest, BroadcastTxResponse, GetTxRequest, GetTxResponse,
};
use prost::Message;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use tessera_proto::raw_codec::RawCodec;

use super::Transport;
use crate::chain_types::{CommittedTx, NodeStatus, TxEvent, TxOutcome};
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct GrpcTransport {
    endpoint: String,
    channel: Channel,
}

impl GrpcTransport {
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

    /// A unary call on a method `path` with an encoded request. The outer error is a failure
    /// to call at all; the inner one is the status the node answered, for the caller to read
    /// by its code.
    async fn call(&self, path: &str, request: Vec<u8>) -> Result<Result<Vec<u8>, Status>> {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready()
            .await
            .map_err(|e| Error::transport(&self.endpoint, "gRPC connect", &e))?;
        let method = PathAndQuery::try_from(path.to_string())
            .map_err(|e| Error::invalid("gRPC method", format!("{path:?}: {e}")))?;
        Ok(grpc
            .unary(tonic::Request::new(request), method, RawCodec)
            .await
            .map(tonic::Response::into_inner))
    }

    /// [`Transport::query`] with the protobuf types on both sides.
    async fn typed<Req: Message, Res: Message + Default>(
        &self,
        path: &str,
        request: Req,
    ) -> Result<Res> {
        let bytes = self.query(path, request.encode_to_vec()).await?;
        Res::decode(bytes.as_slice()).map_err(|e| Error::decode(path, e))
    }
}

#[async_trait]
impl Transport for GrpcTransport {
    async fn status(&self) -> Result<NodeStatus> {
        let info: GetNodeInfoResponse = self
            .typed(
                "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
                GetNodeInfoRequest {},
            )
            .await?;
        let latest: GetLatestBlockResponse = self
            .typed(
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

    async fn query(&self, path: &str, request: Vec<u8>) -> Result<Vec<u8>> {
        self.call(path, request)
            .await?
            .map_err(|status| query_error(path, &status))
    }

    async fn broadcast(&self, tx_bytes: Vec<u8>) -> Result<String> {
        let res: BroadcastTxResponse = self
            .typed(
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

    /// GetTx answers a tx that is not (yet) indexed with the status `NotFound`.
    async fn find_tx(&self, hash: &str) -> Result<Option<CommittedTx>> {
        let path = "/cosmos.tx.v1beta1.Service/GetTx";
        let request = GetTxRequest {
            hash: hash.to_string(),
        };
        match self.call(path, request.encode_to_vec()).await? {
            Ok(bytes) => {
                let found =
                    GetTxResponse::decode(bytes.as_slice()).map_err(|e| Error::decode(path, e))?;
                Ok(found.tx_response.map(|tx| committed(hash, tx)))
            }
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(query_error(path, &status)),
        }
    }
}

/// A status the node answered, as an [`Error::Query`]: its code is the status code's number with
/// no codespace (a status has none; [`Error::is_not_found`] relies on it), its log reads like the
/// SDK's (`rpc error: code = NotFound desc = …`).
fn query_error(path: &str, status: &Status) -> Error {
    Error::Query {
        path: path.to_string(),
        code: status.code() as u32,
        codespace: String::new(),
        log: format!(
            "rpc error: code = {:?} desc = {}",
            status.code(),
            status.message()
        ),
    }
}

fn committed(hash: &str, tx: TxResponse) -> CommittedTx {
    CommittedTx {
        outcome: TxOutcome {
            hash: hash.to_string(),
            height: u64::try_from(tx.height).unwrap_or(0),
            gas_wanted: u64::try_from(tx.gas_wanted).unwrap_or(0),
            gas_used: u64::try_from(tx.gas_used).unwrap_or(0),
            events: tx
                .events
                .into_iter()
                .map(|e| TxEvent {
                    kind: e.r#type,
                    attributes: e.attributes.into_iter().map(|a| (a.key, a.value)).collect(),
                })
                .collect(),
        },
        code: tx.code,
        codespace: tx.codespace,
        log: tx.raw_log,
    }
}
