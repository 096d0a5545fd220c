//! Running a lease's work on tessera-runtime, unit by unit: each finished unit is stored
//! (content-addressed leaves, their hashes and lengths) before the next starts, so a restart
//! resumes after the last one, and the status `WatchLease` streams moves with it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context as _, Result};
use tessera_api::{merkle, LeaseId};
use tessera_manifest::{Manifest, Service};
use tessera_proto::provider::v1 as pb;
use tessera_runtime::{InputDecl, Job, JobSpec, Runtime};
use tokio::sync::watch;

use crate::daemon::{LeaseHandle, Shared};
use crate::store::{LeaseRecord, UnitRecord, WorkPhase};

/// The service of the lease's group in `manifest`.
pub fn service_of(manifest: &Manifest, group_name: &str) -> Result<Service> {
    manifest
        .service_for_group(group_name)
        .map(|(_, s)| s.clone())
        .ok_or_else(|| anyhow!("the manifest has no service for group {group_name}"))
}

/// The runtime job of a service. Jobs with input files are refused: this provider fetches none.
pub fn job_of(service: &Service) -> Result<Job> {
    if let Some(input) = service.inputs.first() {
        bail!(
            "service input {:?}: this provider does not fetch input files yet",
            input.name
        );
    }
    let spec = JobSpec {
        kernel: service.kernel.clone(),
        params: service.params.clone(),
        inputs: service
            .inputs
            .iter()
            .map(|i| InputDecl {
                name: i.name.clone(),
                sha256: i.sha256.clone(),
            })
            .collect(),
        work_units: service.work_units,
    };
    Ok(Job::new(&spec, &BTreeMap::new())?)
}

/// The lease's status as the API reports it.
pub fn status_of(record: &LeaseRecord) -> pb::LeaseStatusResponse {
    let state = if record.closed {
        pb::WorkState::Closed
    } else {
        match record.phase {
            WorkPhase::AwaitingManifest => pb::WorkState::WaitingManifest,
            WorkPhase::Running | WorkPhase::Paused => pb::WorkState::Running,
            WorkPhase::Done => pb::WorkState::Done,
            WorkPhase::Failed => pb::WorkState::Failed,
        }
    };
    let root = record
        .leaf_hashes()
        .map(|h| merkle::to_hex(&merkle::root(&h)))
        .unwrap_or_default();
    pb::LeaseStatusResponse {
        lease: Some(tessera_client::provider_api::lease_pb(&record.id)),
        state: state as i32,
        work_units_done: record.units_done(),
        work_units_total: record.units_total,
        output_root: if record.units.is_empty() {
            String::new()
        } else {
            root
        },
        leaf_count: record.leaf_count(),
        gpu_seconds: record.units.iter().map(|u| u.seconds).sum::<f64>().round() as u64,
        message: record.message.clone(),
    }
}

/// Tells watchers the lease's current status (creating its handle if needed).
pub async fn publish(daemon: &Shared, record: &LeaseRecord) {
    let status = status_of(record);
    let mut leases = daemon.leases.lock().await;
    match leases.get(&record.id.to_string()) {
        Some(handle) => {
            handle.status.send_replace(status);
        }
        None => {
            let (tx, _) = watch::channel(status);
            leases.insert(
                record.id.to_string(),
                LeaseHandle {
                    status: tx,
                    cancel: Arc::new(AtomicBool::new(false)),
                    running: false,
                },
            );
        }
    }
}

/// Stops the lease's work after its current unit.
pub async fn stop(daemon: &Shared, id: &LeaseId) {
    if let Some(handle) = daemon.leases.lock().await.get(&id.to_string()) {
        handle.cancel.store(true, Ordering::Relaxed);
    }
}

/// Starts the work task of a running lease unless one is running.
pub async fn ensure_running(daemon: &Shared, record: &LeaseRecord) {
    publish(daemon, record).await;
    let cancel = {
        let mut leases = daemon.leases.lock().await;
        let Some(handle) = leases.get_mut(&record.id.to_string()) else {
            return;
        };
        if handle.running {
            return;
        }
        handle.running = true;
        handle.cancel = Arc::new(AtomicBool::new(false));
        handle.cancel.clone()
    };
    let daemon = daemon.clone();
    let id = record.id.clone();
    tokio::spawn(async move {
        let result = run(&daemon, &id, cancel).await;
        if let Some(handle) = daemon.leases.lock().await.get_mut(&id.to_string()) {
            handle.running = false;
        }
        if let Err(e) = result {
            tracing::warn!(lease = %id, error = %format!("{e:#}"), "work failed");
            let message = format!("{e:#}");
            if let Ok(Some(record)) = daemon.store.update_lease(&id, |r| {
                r.phase = WorkPhase::Failed;
                r.message = message;
            }) {
                publish(&daemon, &record).await;
            }
        }
    });
}

/// Runs the units not done yet; each is stored before the next starts.
async fn run(daemon: &Shared, id: &LeaseId, cancel: Arc<AtomicBool>) -> Result<()> {
    let record = daemon
        .store
        .lease(id)?
        .with_context(|| format!("lease {id} is not in the store"))?;
    let manifest_text = record
        .manifest
        .clone()
        .context("the lease has no manifest")?;
    let manifest = Manifest::parse(&manifest_text, "manifest")?;
    let deployment = daemon.chain.deployment(&id.deployment()).await?;
    let group = deployment
        .groups
        .get((id.gseq as usize).saturating_sub(1))
        .with_context(|| format!("deployment has no group {}", id.gseq))?;
    let job = job_of(&service_of(&manifest, &group.name)?)?;
    let (units_tx, mut units_rx) = tokio::sync::mpsc::unbounded_channel::<(u64, UnitRecord)>();
    let runtime = daemon.runtime.clone();
    let backend = daemon.backend.clone();
    let first = record.units_done();
    let total = job.work_units();
    let cancel_units = cancel.clone();
    let fake_every = daemon.config.testing.fake_every_nth_leaf;
    let compute = tokio::task::spawn_blocking(move || -> Result<()> {
        let mut prepared = backend.prepare(&job)?;
        for unit in first..total {
            if cancel_units.load(Ordering::Relaxed) {
                return Ok(());
            }
            let (mut report, mut leaves) = runtime.run_unit(&job, prepared.as_mut(), unit)?;
            if fake_every > 0 {
                let first_leaf = job.unit_leaves(unit)?.start;
                (report.object, report.leaf_hashes) =
                    fake_leaves(&runtime, &mut leaves, first_leaf, fake_every)?;
            }
            let unit_record = UnitRecord {
                object: hex::encode(report.object),
                leaf_lens: leaves.iter().map(|l| l.len() as u32).collect(),
                leaf_hashes: report.leaf_hashes.iter().map(hex::encode).collect(),
                seconds: report.seconds,
            };
            if units_tx.send((unit, unit_record)).is_err() {
                return Ok(());
            }
        }
        Ok(())
    });
    while let Some((unit, unit_record)) = units_rx.recv().await {
        let seconds = unit_record.seconds;
        let mut out_of_order = None;
        let record = daemon
            .store
            .update_lease(id, |r| {
                if r.units_done() != unit {
                    out_of_order = Some(r.units_done());
                    return;
                }
                r.unattested_seconds += unit_record.seconds;
                r.units.push(unit_record);
                if r.units_done() == r.units_total {
                    r.phase = WorkPhase::Done;
                }
            })?
            .with_context(|| format!("lease {id} left the store"))?;
        if let Some(stored) = out_of_order {
            bail!("unit {unit} finished but the store has {stored} units");
        }
        daemon.metrics.units_run.inc();
        daemon.metrics.work_seconds.add(seconds);
        if record.phase == WorkPhase::Done {
            tracing::info!(lease = %id, units = record.units_total, leaves = record.leaf_count(), "work done");
        }
        publish(daemon, &record).await;
    }
    compute.await??;
    // Done: the final root is attested right away rather than at the next interval.
    if let Ok(lease) = daemon.chain.lease(id).await {
        crate::attestation::attest_if_due(daemon, &lease).await?;
    }
    Ok(())
}

/// Test-only fraud (`[testing] fake_every_nth_leaf`): flips the first byte of every leaf whose
/// index is a multiple of `every`, stores the altered unit and returns its object and leaf
/// hashes, which are then attested and served as the work's.
fn fake_leaves(
    runtime: &Runtime,
    leaves: &mut [Vec<u8>],
    first_leaf: u64,
    every: u64,
) -> Result<([u8; 32], Vec<[u8; 32]>)> {
    for (i, leaf) in leaves.iter_mut().enumerate() {
        if (first_leaf + i as u64).is_multiple_of(every) {
            if let Some(byte) = leaf.first_mut() {
                *byte ^= 0xff;
            }
        }
    }
    let object = runtime.store().put(&leaves.concat())?;
    let hashes = leaves.iter().map(|l| merkle::leaf_hash(l)).collect();
    Ok((object, hashes))
}

/// The lease's leaves from `from` on, in tree order, read back from the runtime's store.
pub fn leaves(daemon: &Shared, record: &LeaseRecord, from: u64) -> Result<Vec<(u64, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut index = 0u64;
    for unit in &record.units {
        let count = unit.leaf_lens.len() as u64;
        if index + count <= from {
            index += count;
            continue;
        }
        let hash: [u8; 32] = hex::decode(&unit.object)?
            .try_into()
            .map_err(|_| anyhow!("stored object hash {} is not 32 bytes", unit.object))?;
        let object = daemon.runtime.store().get(&hash)?;
        let mut at = 0usize;
        for len in &unit.leaf_lens {
            let len = *len as usize;
            let leaf = object
                .get(at..at + len)
                .with_context(|| format!("stored object {} is short", unit.object))?
                .to_vec();
            if index >= from {
                out.push((index, leaf));
            }
            at += len;
            index += 1;
        }
    }
    Ok(out)
}
