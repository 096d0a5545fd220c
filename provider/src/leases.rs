//! The lease manager: takes over won bids as leases, follows each lease's state on chain (out
//! of funds pauses the work, a top-up resumes it, a close stops it), attests usage every
//! attestation interval and at completion, withdraws earnings on a schedule, and releases a
//! lease whose manifest never came. Attested periods start where the chain says the last one
//! ended, so there is never a gap, whatever happened to this process.

use anyhow::Result;
use tessera_api::market::{self, close_reason, LeaseFilter, LeaseResponse, LeaseState, QueryMsg};
use tessera_api::LeaseId;

use crate::attestation::attest_if_due;
use crate::capacity::Reservation;
use crate::daemon::{now, Shared};
use crate::store::{LeaseRecord, WorkPhase};
use crate::work;

const PAGE: u32 = 100;

/// Every lease of this provider on chain, page by page.
async fn chain_leases(daemon: &Shared) -> Result<Vec<LeaseResponse>> {
    let mut all = Vec::new();
    let mut start_after: Option<LeaseId> = None;
    loop {
        let page: market::LeasesResponse = daemon
            .chain
            .query_market(&QueryMsg::Leases {
                filter: LeaseFilter::Provider(daemon.address.clone()),
                start_after: start_after.clone(),
                limit: Some(PAGE),
            })
            .await?;
        let full = page.leases.len() == PAGE as usize;
        start_after = page.leases.last().map(|l| l.id.clone());
        all.extend(page.leases);
        if !full {
            return Ok(all);
        }
    }
}

/// Brings every lease in line with the chain, then attests and withdraws what is due.
pub async fn reconcile(daemon: &Shared) -> Result<()> {
    let leases = chain_leases(daemon).await?;
    let mut held = 0;
    for lease in &leases {
        let record = daemon.store.lease(&lease.id)?;
        let record = match (record, lease.state) {
            (None, LeaseState::Closed) => continue,
            (None, _) => adopt(daemon, lease).await?,
            (Some(r), _) => r,
        };
        // Closed leases too: a drawn sample must be revealed whatever the lease's state.
        if let Err(e) = crate::reveal::reveal_due(daemon, lease, &record).await {
            tracing::warn!(lease = %lease.id, error = %e, "revealing a sample failed; retried next pass");
        }
        if let Err(e) = crate::reveal::answer_demands(daemon, lease, &record).await {
            tracing::warn!(lease = %lease.id, error = %e, "revealing a demanded leaf failed; retried next pass");
        }
        if record.closed {
            continue;
        }
        held += 1;
        if let Err(e) = follow(daemon, lease, record).await {
            tracing::warn!(lease = %lease.id, error = %e, "lease upkeep failed; retried next pass");
        }
    }
    daemon.metrics.active_leases.set(held as f64);
    let lag = leases
        .iter()
        .filter(|l| l.state != LeaseState::Closed)
        .map(|l| daemon.block_time().saturating_sub(l.attested_to))
        .max()
        .unwrap_or(0);
    daemon.metrics.attestation_lag_seconds.set(lag as f64);
    Ok(())
}

/// A lease this provider won: its bid's reservation moves to it.
async fn adopt(daemon: &Shared, lease: &LeaseResponse) -> Result<LeaseRecord> {
    let reservation = match daemon.store.bid(&lease.id.order())? {
        Some(bid) => {
            daemon
                .metrics
                .reservation_seconds
                .inc_by(now().saturating_sub(bid.placed_at));
            bid.reservation
        }
        // Won by a bid this store never recorded (sent just before a crash): reserve what the
        // order asks for.
        None => {
            let order = daemon.chain.order(&lease.id.order()).await?;
            let count = u64::from(order.spec.count);
            Reservation {
                cpu_millis: order.spec.resources.cpu_millis * count,
                memory_mib: order.spec.resources.memory_mib * count,
                storage_mib: order.spec.resources.storage_mib * count,
                gpus: lease.offer.gpus.clone(),
            }
        }
    };
    let (record, new) = daemon
        .store
        .adopt_lease(&LeaseRecord::new(lease.id.clone(), reservation))?;
    if new {
        daemon.metrics.bids_won.inc();
        tracing::info!(lease = %lease.id, price = %lease.price, "won a lease; waiting for the manifest");
    }
    work::publish(daemon, &record).await;
    Ok(record)
}

async fn follow(daemon: &Shared, lease: &LeaseResponse, record: LeaseRecord) -> Result<()> {
    match lease.state {
        LeaseState::Closed => {
            tracing::info!(lease = %lease.id, reason = ?lease.close_reason, "lease closed on chain; work stopped");
            work::stop(daemon, &lease.id).await;
            let reason = lease.close_reason.unwrap_or_default();
            if let Some(record) = daemon.store.update_lease(&lease.id, |r| {
                r.closed = true;
                r.message = format!("closed on chain (reason {reason})");
            })? {
                work::publish(daemon, &record).await;
            }
            return Ok(());
        }
        LeaseState::InsufficientFunds if record.phase == WorkPhase::Running => {
            tracing::info!(lease = %lease.id, "lease out of funds; work paused until a top-up");
            work::stop(daemon, &lease.id).await;
            if let Some(record) = daemon.store.update_lease(&lease.id, |r| {
                r.phase = WorkPhase::Paused;
                r.message = "paused: the deployment's escrow ran dry; a top-up resumes it".into();
            })? {
                work::publish(daemon, &record).await;
            }
        }
        LeaseState::Active if record.phase == WorkPhase::Paused => {
            tracing::info!(lease = %lease.id, "lease funded again; work resumes");
            if let Some(record) = daemon.store.update_lease(&lease.id, |r| {
                r.phase = WorkPhase::Running;
                r.message.clear();
            })? {
                work::ensure_running(daemon, &record).await;
            }
        }
        LeaseState::Active if record.phase == WorkPhase::Running => {
            // After a restart, or if the task ended: carry on from the last finished unit.
            work::ensure_running(daemon, &record).await;
        }
        _ => {}
    }
    if record.phase == WorkPhase::AwaitingManifest {
        let timeout = daemon.market_params.read().await.manifest_timeout_secs;
        let waited = daemon.block_time().saturating_sub(lease.created_at);
        if daemon.config.leases.close_without_manifest
            && waited > timeout
            && lease.manifest_received_at.is_none()
        {
            release_without_manifest(daemon, lease).await?;
        }
        return Ok(());
    }
    if !record.receipt_recorded && lease.manifest_received_at.is_none() {
        record_receipt(daemon, &lease.id).await?;
    } else if !record.receipt_recorded {
        daemon
            .store
            .update_lease(&lease.id, |r| r.receipt_recorded = true)?;
    }
    attest_if_due(daemon, lease).await?;
    withdraw_if_due(daemon, lease).await?;
    Ok(())
}

async fn release_without_manifest(daemon: &Shared, lease: &LeaseResponse) -> Result<()> {
    let msg = daemon.market_msg(
        &market::ExecuteMsg::CloseLease {
            lease: lease.id.clone(),
            reason: close_reason::PROVIDER_MANIFEST_TIMEOUT,
        },
        &[],
    )?;
    match daemon
        .queue
        .send(msg, format!("release {} (no manifest)", lease.id))
        .await
    {
        Ok(_) => {
            tracing::info!(lease = %lease.id, "no manifest within the timeout; lease released")
        }
        Err(e) => tracing::warn!(lease = %lease.id, error = %e, "releasing a lease failed"),
    }
    Ok(())
}

/// Records on chain that the manifest arrived (the provider sends it itself: no signature).
pub async fn record_receipt(daemon: &Shared, id: &LeaseId) -> Result<()> {
    let msg = daemon.market_msg(
        &market::ExecuteMsg::RecordManifestReceipt {
            lease: id.clone(),
            provider_pubkey: Default::default(),
            signature: Default::default(),
        },
        &[],
    )?;
    match daemon
        .queue
        .send(msg, format!("manifest receipt of {id}"))
        .await
    {
        Ok(_) => mark(daemon, id, |r| r.receipt_recorded = true)?,
        Err(e) if e.contains("already") => mark(daemon, id, |r| r.receipt_recorded = true)?,
        Err(e) => tracing::warn!(lease = %id, error = %e, "recording the manifest receipt failed"),
    }
    Ok(())
}

fn mark(daemon: &Shared, id: &LeaseId, change: impl FnOnce(&mut LeaseRecord)) -> Result<()> {
    daemon.store.update_lease(id, change)?;
    Ok(())
}

async fn withdraw_if_due(daemon: &Shared, lease: &LeaseResponse) -> Result<()> {
    let Some(record) = daemon.store.lease(&lease.id)? else {
        return Ok(());
    };
    if now().saturating_sub(record.last_withdraw) < daemon.config.leases.withdraw_secs
        || lease.state != LeaseState::Active
    {
        return Ok(());
    }
    let msg = daemon.market_msg(
        &market::ExecuteMsg::WithdrawLease {
            lease: lease.id.clone(),
        },
        &[],
    )?;
    match daemon
        .queue
        .send(msg, format!("withdraw earnings of {}", lease.id))
        .await
    {
        Ok(_) => {
            daemon.metrics.withdrawals.inc();
            mark(daemon, &lease.id, |r| r.last_withdraw = now())?;
        }
        Err(e) => tracing::warn!(lease = %lease.id, error = %e, "withdrawal failed"),
    }
    Ok(())
}
