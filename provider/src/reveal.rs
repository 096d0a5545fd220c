//! Revealing samples: once the chain can draw an attestation's sample (three blocks after it),
//! the provider posts the sampled leaves' hashes with their inclusion proofs to the referee,
//! before anyone asks. A drawn sample left unrevealed past the reveal window is slashed like a
//! wrong leaf (docs/verification.md), so this runs for closed leases too. The same goes for the
//! leaves a tenant demands (`answer_demands`).

use anyhow::Result;
use tessera_api::market::LeaseResponse;
use tessera_api::merkle;
use tessera_api::referee::{self, DemandsResponse, RevealedLeaf, SampleResponse};

use crate::daemon::Shared;
use crate::store::LeaseRecord;

/// Answers of the sample query after which there is nothing to reveal: the attestation states
/// no leaf count, or the chain forgot its blocks before anyone drew the sample.
const NOTHING_TO_REVEAL: [&str; 2] = ["did not state its leaf count", "can no longer be drawn"];

/// Reveals the samples of the lease's attestations that the chain can draw and that are not
/// revealed yet, in order; stops at the first that cannot be drawn yet (too early, or waiting
/// for the tenant's secret).
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
        if sample.awaiting_secret {
            // The tenant has not revealed its secret: no sample yet, for this attestation or
            // (one secret per deployment) any later one. Next pass.
            return Ok(());
        }
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
    let tree = committed_tree(&hashes, sample.seq, sample.leaf_count)?;
    let leaves = sample
        .leaves
        .iter()
        .map(|&index| revealed_leaf(tree, index))
        .collect::<Result<_>>()?;
    let msg = referee::ExecuteMsg::RevealSample {
        lease: lease.id.clone(),
        seq: sample.seq,
        leaves,
    };
    let what = format!("reveal the sample of {} #{}", lease.id, sample.seq);
    send(daemon, referee, &msg, what).await?;
    tracing::info!(lease = %lease.id, seq = sample.seq, leaves = sample.leaves.len(), "sample revealed");
    Ok(())
}

/// Reveals the leaves the tenant demanded of this lease's attestations and that are still open.
/// Demands only come while an attestation's dispute window is open, so once the last one has
/// closed there is nothing to ask the referee.
pub async fn answer_demands(
    daemon: &Shared,
    lease: &LeaseResponse,
    record: &LeaseRecord,
) -> Result<()> {
    let terms = daemon.market_params.read().await.dispute.clone();
    let Some(referee) = terms.referee else {
        return Ok(());
    };
    let last_window_closes = lease.attested_to.saturating_add(terms.window_secs);
    if lease.attestations == 0 || daemon.block_time() >= last_window_closes {
        return Ok(());
    }
    let query = referee::QueryMsg::OpenDemands {
        lease: lease.id.clone(),
        start_after: None,
        limit: Some(100),
    };
    let open: DemandsResponse = daemon.chain.node.smart_query(&referee, &query).await?;
    if open.demands.is_empty() {
        return Ok(());
    }
    let hashes = record.leaf_hashes()?;
    for demand in open.demands {
        let tree = committed_tree(&hashes, demand.seq, demand.leaf_count)?;
        let msg = referee::ExecuteMsg::RevealLeaf {
            lease: lease.id.clone(),
            seq: demand.seq,
            leaf: revealed_leaf(tree, demand.leaf)?,
        };
        let what = format!(
            "reveal demanded leaf {} of {} #{}",
            demand.leaf, lease.id, demand.seq
        );
        send(daemon, &referee, &msg, what).await?;
        tracing::info!(lease = %lease.id, seq = demand.seq, leaf = demand.leaf, "demanded leaf revealed");
    }
    Ok(())
}

/// Leaf `index` of `tree` with its inclusion proof, as the referee takes it. The index comes
/// from the chain: one outside the tree is an error, not a panic.
fn revealed_leaf(tree: &[merkle::Hash], index: u64) -> Result<RevealedLeaf> {
    let at = usize::try_from(index)
        .ok()
        .filter(|&at| at < tree.len())
        .ok_or_else(|| anyhow::anyhow!("leaf {index} is outside a tree of {}", tree.len()))?;
    Ok(RevealedLeaf {
        index,
        hash: merkle::to_hex(&tree[at]),
        proof: merkle::proof_hex(tree, at),
    })
}

/// Sends `msg` to the referee through the daemon's tx queue (`what` names it in its logs).
async fn send(
    daemon: &Shared,
    referee: &str,
    msg: &referee::ExecuteMsg,
    what: String,
) -> Result<()> {
    let msg = tessera_client::tx::execute_contract(&daemon.address, referee, msg, &[])?;
    daemon
        .queue
        .send(msg, what)
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

/// The tree attestation `seq` committed: that of the first `leaf_count` leaves (units finish
/// in order).
fn committed_tree(hashes: &[merkle::Hash], seq: u64, leaf_count: u64) -> Result<&[merkle::Hash]> {
    hashes.get(..leaf_count as usize).ok_or_else(|| {
        anyhow::anyhow!(
            "attestation {seq} covers {leaf_count} leaves, this provider has {}",
            hashes.len()
        )
    })
}

fn mark_revealed(daemon: &Shared, lease: &LeaseResponse, seq: u64) -> Result<()> {
    daemon.store.update_lease(&lease.id, |r| {
        r.revealed_through = r.revealed_through.max(seq)
    })?;
    Ok(())
}
