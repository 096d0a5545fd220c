//! Usage attestations: when a lease's period is due (every attestation interval, and at once
//! when its work is done) the provider posts the period's GPU-seconds, work units and the Merkle
//! root of its outputs. Periods start where the chain says the last one ended, so there is never
//! a gap, whatever happened to this process.

use anyhow::Result;
use tessera_api::market::{self, LeaseResponse, LeaseState};
use tessera_api::merkle;

use crate::daemon::Shared;
use crate::store::{LeaseRecord, WorkPhase};

/// The attestation interval this provider keeps: the configured one, or half the chain's.
async fn attestation_every(daemon: &Shared) -> u64 {
    match daemon.config.leases.attestation_secs {
        0 => (daemon.market_params.read().await.attestation_interval_secs / 2).max(1),
        secs => secs,
    }
}

/// Attests when the interval has passed, or when the work is over and its final root is not
/// attested yet.
pub async fn attest_if_due(daemon: &Shared, lease: &LeaseResponse) -> Result<()> {
    let Some(record) = daemon.store.lease(&lease.id)? else {
        return Ok(());
    };
    if record.phase == WorkPhase::AwaitingManifest || lease.state == LeaseState::Closed {
        return Ok(());
    }
    let block_time = daemon.block_time();
    if block_time <= lease.attested_to {
        return Ok(());
    }
    let final_pending =
        record.phase == WorkPhase::Done && record.units_attested < record.units_total;
    let interval_due = block_time - lease.attested_to >= attestation_every(daemon).await;
    if !(final_pending || interval_due) {
        return Ok(());
    }
    attest(daemon, lease, &record, block_time).await
}

async fn attest(
    daemon: &Shared,
    lease: &LeaseResponse,
    record: &LeaseRecord,
    period_end: u64,
) -> Result<()> {
    let hashes = record.leaf_hashes()?;
    let root = merkle::root(&hashes);
    let gpus: u64 = lease.offer.gpus.iter().map(|g| u64::from(g.count)).sum();
    let period = period_end - lease.attested_to;
    let gpu_seconds = if gpus == 0 {
        0
    } else {
        (record.unattested_seconds.floor() as u64).min(period * gpus)
    };
    let units = record.units_done();
    let msg = daemon.market_msg(
        &market::ExecuteMsg::SubmitAttestation {
            lease: lease.id.clone(),
            period_start: lease.attested_to,
            period_end,
            gpu_seconds,
            work_units: units - record.units_attested.min(units),
            output_root: merkle::to_hex(&root),
            inventory_hash: inventory_hash(daemon),
            leaf_count: Some(hashes.len() as u64),
        },
        &[],
    )?;
    match daemon
        .queue
        .send(msg, format!("attest {} to {period_end}", lease.id))
        .await
    {
        Ok(_) => {
            daemon.metrics.attestations.inc();
            tracing::info!(lease = %lease.id, period_start = lease.attested_to, period_end, units, "attested");
            daemon.store.update_lease(&lease.id, |r| {
                r.units_attested = units;
                r.unattested_seconds = (r.unattested_seconds - gpu_seconds as f64).max(0.0);
            })?;
        }
        Err(e) => {
            daemon.metrics.attestation_failures.inc();
            tracing::warn!(lease = %lease.id, error = %e, "attestation failed; retried next pass");
        }
    }
    Ok(())
}

/// sha256 over what this host runs on: the backend and its GPUs.
fn inventory_hash(daemon: &Shared) -> String {
    let mut text = format!("backend={}\n", daemon.backend.name());
    for gpu in &daemon.inventory.gpus {
        text.push_str(&format!(
            "gpu {} {} {} {:?}\n",
            gpu.ordinal, gpu.model, gpu.memory_bytes, gpu.compute_capability
        ));
    }
    merkle::to_hex(&merkle::leaf_hash(text.as_bytes()))
}
