//! The gRPC methods that CometBFT, not the app's state, answers: node info and syncing
//! ([`node`]), blocks and consensus params ([`blocks`]), broadcasting and finding txs
//! ([`txs`]). Each asks CometBFT's RPC through [`CometClient`] and converts its typed answer
//! into the Cosmos SDK's protobuf answer.
//!
//! tendermint-rpc's domain types become tendermint-proto's messages through tendermint's own
//! `From` conversions; cosmos-sdk-proto embeds those same tendermint-proto 0.40 messages, so
//! they go into the SDK's answers unchanged. Where the SDK has a message of its own (its block
//! header, `TxResponse`), the fields are moved over one by one, and a value that cannot be
//! converted fails the call: a client never gets an answer with a silently emptied field.

// tonic's `Status` is the answer of a failed call, built once per call; boxing it would only add
// an allocation.
#![allow(clippy::result_large_err)]

pub mod blocks;
pub mod node;
pub mod txs;

#[cfg(test)]
mod fake_comet;

use cosmos_sdk_proto::prost::Message;
use tonic::Status;

use super::comet_client::CometClient;

/// The encoded answer to the gRPC method at `path` when CometBFT answers it; `None` for the
/// methods the app answers from its state.
pub async fn answer(
    comet: &CometClient,
    path: &str,
    body: &[u8],
) -> Option<Result<Vec<u8>, Status>> {
    Some(match path {
        "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo" => {
            encoded(node::node_info(comet).await)
        }
        "/cosmos.base.tendermint.v1beta1.Service/GetSyncing" => encoded(node::syncing(comet).await),
        "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock" => {
            encoded(blocks::latest_block(comet).await)
        }
        "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight" => {
            encoded(blocks::block_by_height(comet, body).await)
        }
        "/cosmos.consensus.v1.Query/Params" => blocks::consensus_params(comet).await,
        "/cosmos.tx.v1beta1.Service/BroadcastTx" => encoded(txs::broadcast(comet, body).await),
        "/cosmos.tx.v1beta1.Service/GetTx" => encoded(txs::get_tx(comet, body).await),
        "/cosmos.tx.v1beta1.Service/GetTxsEvent" => encoded(txs::txs_by_event(comet, body).await),
        _ => return None,
    })
}

fn encoded<M: Message>(answer: Result<M, Status>) -> Result<Vec<u8>, Status> {
    answer.map(|m| m.encode_to_vec())
}

/// A request that does not decode as the method's protobuf message.
fn bad_request(e: impl std::fmt::Display) -> Status {
    Status::invalid_argument(e.to_string())
}

/// Bytes as CometBFT and the SDK print hashes and data: upper-case hex.
fn upper_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
