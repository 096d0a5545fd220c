//! Follows the chain block by block and records, for every tx in a block, when it was seen
//! committed and whether it succeeded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use cosmrs::rpc::{Client, HttpClient};
use cosmrs::tendermint::Time;
use sha2::{Digest, Sha256};

use crate::drive::{Commit, Ledger};

/// How often to ask for the next block while it is not there yet.
const POLL: Duration = Duration::from_millis(20);

/// A block as the follower saw it.
#[derive(Clone, Debug)]
pub struct BlockInfo {
    pub height: u64,
    /// The header's time (the proposer's clock).
    pub time: Time,
    pub txs: usize,
}

/// Reads blocks from `height` on until every tx the senders got accepted has been seen, or
/// `timeout` after the senders finished.
pub async fn follow(
    client: HttpClient,
    mut height: u64,
    ledger: Arc<Ledger>,
    timeout: Duration,
) -> Result<Vec<BlockInfo>> {
    let mut blocks = Vec::new();
    let mut done_at: Option<Instant> = None;
    loop {
        if ledger.is_settled() {
            return Ok(blocks);
        }
        if ledger.is_broadcasting_done() {
            let since = *done_at.get_or_insert_with(Instant::now);
            if since.elapsed() > timeout {
                let (ok, failed) = ledger.committed_counts();
                bail!(
                    "{} accepted txs were not committed within {timeout:?} after the last \
                     broadcast (height {height}), e.g. {}",
                    ledger.accepted_count() - ok - failed,
                    ledger.uncommitted(3).join(", ")
                );
            }
        }
        let Ok(block) = client.block(height as u32).await else {
            tokio::time::sleep(POLL).await;
            continue;
        };
        let seen_at = Instant::now();
        // The results are written with the block; a node that answered `block` has them, but a
        // transient error gets a few more tries.
        let mut results = None;
        for _ in 0..50 {
            match client.block_results(height as u32).await {
                Ok(r) => {
                    results = Some(r);
                    break;
                }
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
        let Some(results) = results else {
            bail!("no block results for height {height}");
        };
        let codes = results.txs_results.unwrap_or_default();
        let txs = &block.block.data;
        for (i, tx) in txs.iter().enumerate() {
            let ok = codes.get(i).is_some_and(|r| r.code.is_ok());
            let hash = hex::encode_upper(Sha256::digest(tx));
            ledger.committed(
                hash,
                Commit {
                    seen_at,
                    height,
                    ok,
                },
            );
        }
        blocks.push(BlockInfo {
            height,
            time: block.block.header.time,
            txs: txs.len(),
        });
        height += 1;
    }
}
