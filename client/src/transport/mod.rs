//! How a [`Node`](crate::node::Node) reaches the chain: the few things it asks a node, each
//! answered by one of two transports.
//!
//! - [`rpc::RpcTransport`]: CometBFT's JSON-RPC (:26657), protobuf queries through
//!   `abci_query`. The default, and always what follows blocks (`events.rs`).
//! - [`grpc::GrpcTransport`]: the node's Cosmos gRPC (:9090), for pipelines that can only
//!   reach gRPC (`Node::with_grpc`, `tessera --grpc`).
//!
//! Everything built on these (accounts, balances, simulation, contract queries, waiting for a
//! tx) is written once in `node.rs`. A transport turns its own wire answers into the shared
//! types of [`crate::chain_types`] and decides "not there" from a typed answer (an empty
//! search, a gRPC status code), never from the text of an error.

pub mod grpc;
pub mod rpc;

use std::fmt::Debug;

use async_trait::async_trait;

use crate::chain_types::{CommittedTx, NodeStatus};
use crate::error::Result;

/// One way of talking to a node. Object safe (protobuf crosses it encoded) so that a `Node`
/// holds either transport behind one pointer and every caller sees one type.
#[async_trait]
pub(crate) trait Transport: Debug + Send + Sync {
    /// The chain id, latest height and time, and node version.
    async fn status(&self) -> Result<NodeStatus>;

    /// A protobuf query on a Cosmos gRPC method path (`/cosmos.bank.v1beta1.Query/Balance`):
    /// the encoded request in, the encoded response out. An error answer is an
    /// [`Error::Query`](crate::error::Error::Query).
    async fn query(&self, path: &str, request: Vec<u8>) -> Result<Vec<u8>>;

    /// Hands signed tx bytes to the mempool (CheckTx) and returns the tx hash; a tx CheckTx
    /// refuses is an [`Error::Refused`](crate::error::Error::Refused).
    async fn broadcast(&self, tx_bytes: Vec<u8>) -> Result<String>;

    /// The tx with `hash` (upper-case hex, already checked) if it is in a block, `None` while
    /// it is not (yet). An `Err` is a failure to ask, never "not found".
    async fn find_tx(&self, hash: &str) -> Result<Option<CommittedTx>>;
}
