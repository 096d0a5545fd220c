//! Following the chain block by block: every tx's events and the block's own (end-block hook)
//! events, in order, with nothing skipped. Polling committed heights rather than a WebSocket
//! subscription means a slow consumer or a reconnect never loses a block: it resumes at the
//! next height it has not seen.

use std::time::Duration;

use cosmrs::rpc::Client;
use cosmrs::tendermint::block::Height;
use serde::Serialize;

use crate::chain_types::{unix_seconds, TxEvent};
use crate::error::{Error, Result};
use crate::node::Node;

/// The events of one committed block.
#[derive(Clone, Debug, Serialize)]
pub struct BlockEvents {
    pub height: u64,
    /// Unix seconds of block time.
    pub time: u64,
    /// Each tx's hash, result code and events, in block order.
    pub txs: Vec<TxEvents>,
    /// Events of the block itself (the contracts' end-block hooks).
    pub block_events: Vec<TxEvent>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TxEvents {
    pub hash: String,
    pub code: u32,
    pub events: Vec<TxEvent>,
}

impl BlockEvents {
    /// Every event of the block, txs first, then the block's own.
    pub fn all(&self) -> impl Iterator<Item = &TxEvent> {
        self.txs
            .iter()
            .filter(|t| t.code == 0)
            .flat_map(|t| t.events.iter())
            .chain(self.block_events.iter())
    }
}

/// Yields each block from a starting height on, waiting for new ones.
#[derive(Debug)]
pub struct BlockFollower {
    node: Node,
    next: u64,
    poll: Duration,
}

impl BlockFollower {
    /// Follows from `from` (inclusive); `None` starts at the next block to be committed.
    pub async fn new(node: Node, from: Option<u64>) -> Result<Self> {
        let next = match from {
            Some(height) => height.max(1),
            None => node.status().await?.height + 1,
        };
        Ok(Self {
            node,
            next,
            poll: Duration::from_millis(250),
        })
    }

    /// The height the next call to [`BlockFollower::next`] returns.
    pub fn next_height(&self) -> u64 {
        self.next
    }

    /// The next block's events, waiting until it is committed.
    pub async fn next(&mut self) -> Result<BlockEvents> {
        loop {
            let latest = self.node.status().await?.height;
            if latest >= self.next {
                match self.fetch(self.next).await {
                    Ok(block) => {
                        self.next += 1;
                        return Ok(block);
                    }
                    // CometBFT reports a block as the latest once it has stored it, and stores
                    // the app's results for it a moment later ("could not find results for
                    // height"): the newest block's results are retried until a newer block
                    // exists, after which a failure is a real one.
                    Err(_) if latest == self.next => {}
                    Err(e) => return Err(e),
                }
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    async fn fetch(&self, height: u64) -> Result<BlockEvents> {
        let at = Height::try_from(height).map_err(|e| Error::invalid("height", e))?;
        let rpc = self.node.rpc();
        let block = rpc
            .client()
            .block(at)
            .await
            .map_err(|e| rpc.error("block", e))?;
        let results = rpc
            .client()
            .block_results(at)
            .await
            .map_err(|e| rpc.error("block_results", e))?;
        let tx_results = results.txs_results.unwrap_or_default();
        let txs = block
            .block
            .data
            .iter()
            .zip(tx_results.iter())
            .map(|(tx, result)| TxEvents {
                hash: Node::tx_hash(tx),
                code: result.code.value(),
                events: result.events.iter().map(TxEvent::from_abci).collect(),
            })
            .collect();
        Ok(BlockEvents {
            height,
            time: unix_seconds(block.block.header.time),
            txs,
            block_events: results
                .finalize_block_events
                .iter()
                .map(TxEvent::from_abci)
                .collect(),
        })
    }
}
