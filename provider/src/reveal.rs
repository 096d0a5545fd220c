//! Revealing samples: once the chain can draw an attestation's sample (three blocks after it),
//! the provider posts the sampled leaves' hashes with their inclusion proofs to the referee,
//! before anyone asks. A drawn sample left unrevealed past the reveal window is slashed like a
//! wrong leaf (docs/verification.md), so this runs for closed leases too.

use anyhow::Result;
use tessera_api::market::LeaseResponse;
use tessera_api::merkle;
use tessera_api::referee::{self, RevealedLeaf, SampleResponse};

use crate::daemon::Shared;
use crate::store::LeaseRecord;

/// Answers of the sample query after which there is nothing to reveal: the attestation states
/// no leaf count, or the chain forgot its blocks before anyone drew the sample.
const NOTHING_TO_REVEAL: [&str; 2] = ["did not state its leaf count", "can no longer be drawn"];

/// Reveals the samples of the lease's attestations that the chain can draw and that are not
/// revealed yet, in order; stops at the first that cannot be drawn yet.
pub async fn reveal_due(
    daemon: &Shared,
    lease: &LeaseResponse,
    record: &LeaseRecord,
) -> Result<()> {
    if record.revealed_through >= lease.attestations {
        return Ok(());
    }
    let Some(referee) = daemon.market_params.read().await.dispute.referee.clone() else {
        return Ok(()); // disputes are off: nobody can ask for a reveal
    };
    for seq in record.revealed_through + 1..=lease.attestations {
        let query = referee::QueryMsg::Sample {
            lease: lease.id.clone(),
            seq,
        };
        let sample: SampleResponse = match daemon.chain.node.smart_query(&referee, &query).await {
            Ok(sample) => sample,
            Err(e) if NOTHING_TO_REVEAL.iter().any(|m| e.to_string().contains(m)) => {
                mark_revealed(daemon, lease, seq)?;
                continue;
            }
            // Not drawable yet (fewer than three blocks after it), or the node is away: next pass.
            Err(_) => return Ok(()),
        };
        if sample.revealed.is_none() {
            reveal(daemon, lease, record, &referee, &sample).await?;
        }
        mark_revealed(daemon, lease, seq)?;
    }
    Ok(())
}

async fn reveal(
    daemon: &Shared,
    lease: &LeaseResponse,
    record: &LeaseRecord,
    referee: &str,
    sample: &SampleResponse,
) -> Result<()> {
    let hashes = record.leaf_hashes()?;
    // The attestation committed the tree of its first `leaf_count` leaves (units finish in order).
    let tree = hashes.get(..sample.leaf_count as usize).ok_or_else(|| {
        anyhow::anyhow!(
            "attestation {} covers {} leaves, this provider has {}",
            sample.seq,
            sample.leaf_count,
            hashes.len()
        )
    })?;
    let leaves = sample
        .leaves
        .iter()
        .map(|&index| RevealedLeaf {
            index,
            hash: merkle::to_hex(&tree[index as usize]),
            proof: merkle::proof_hex(tree, index as usize),
        })
        .collect();
    let msg = tessera_client::tx::execute_contract(
        &daemon.address,
        referee,
        &referee::ExecuteMsg::RevealSample {
            lease: lease.id.clone(),
            seq: sample.seq,
            leaves,
        },
        &[],
    )?;
    daemon
        .queue
        .send(
            msg,
            format!("reveal the sample of {} #{}", lease.id, sample.seq),
        )
        .await
        .map_err(anyhow::Error::msg)?;
    tracing::info!(lease = %lease.id, seq = sample.seq, leaves = sample.leaves.len(), "sample revealed");
    Ok(())
}

fn mark_revealed(daemon: &Shared, lease: &LeaseResponse, seq: u64) -> Result<()> {
    daemon.store.update_lease(&lease.id, |r| {
        r.revealed_through = r.revealed_through.max(seq)
    })?;
    Ok(())
}
