//! ABCI 2.0-shaped requests and responses, as domain types: the consensus front end (CometBFT
//! through an ABCI server, or the test harness) converts to and from its own wire types.

use crate::event::Event;
use crate::exec::TxOutcome;

/// Block time: seconds and nanoseconds since the unix epoch (from the block header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct BlockTime {
    pub seconds: u64,
    pub nanos: u32,
}

impl BlockTime {
    pub fn as_nanos(&self) -> u64 {
        self.seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(self.nanos))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoResponse {
    pub version: String,
    pub app_version: u64,
    pub last_block_height: u64,
    /// Empty before the first block is committed, as CometBFT expects.
    pub last_block_app_hash: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitChainRequest {
    pub chain_id: String,
    pub time: BlockTime,
    pub initial_height: u64,
    /// The genesis `app_state`, JSON.
    pub app_state_bytes: Vec<u8>,
    /// The genesis `consensus_params.block.max_gas` (`-1`: none).
    pub max_block_gas: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitChainResponse {
    pub app_hash: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckTxKind {
    New,
    Recheck,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizeBlockRequest {
    pub height: u64,
    /// CometBFT's hash of this block (32 bytes), kept in state for contracts' sampling.
    pub hash: Vec<u8>,
    pub time: BlockTime,
    pub txs: Vec<Vec<u8>>,
    pub proposer_address: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FinalizeBlockResponse {
    pub tx_results: Vec<TxOutcome>,
    /// End-block events (hooks).
    pub events: Vec<Event>,
    pub app_hash: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitResponse {
    /// Blocks below this height may be pruned by CometBFT (0: keep all).
    pub retain_height: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryRequest {
    pub path: String,
    pub data: Vec<u8>,
    /// 0 for the latest committed height.
    pub height: u64,
    pub prove: bool,
}

/// One ICS23 proof op, as ABCI's `ProofOp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofOp {
    pub kind: String,
    pub key: Vec<u8>,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct QueryResponse {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub proof_ops: Vec<ProofOp>,
    /// Never 0: clients reject answers without a height.
    pub height: u64,
}
