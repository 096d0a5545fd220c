//! Usage attestations: the lease's provider reports, period by period, the GPU-seconds used,
//! the work units done and the Merkle root of their outputs. Periods are contiguous from the
//! lease start, so together they cover the lease without gaps or overlaps.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, Storage, Uint128};
use tessera_api::market::{validate_attestation_digests, LeaseState};
use tessera_api::{CommonError, LeaseId};

use crate::error::ContractError;
use crate::holdback;
use crate::lease::{load_lease, move_queue_entry};
use crate::state::{save_lease, Attestation, Lease, ATTESTATIONS, ATTEST_QUEUE, PARAMS};

#[allow(clippy::too_many_arguments)]
pub fn execute_submit_attestation(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    period_start: u64,
    period_end: u64,
    gpu_seconds: u64,
    work_units: u64,
    output_root: String,
    inventory_hash: String,
    leaf_count: Option<u64>,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut lease = load_lease(deps.storage, deps.api, &id)?;
    if info.sender != lease.provider {
        return Err(CommonError::unauthorized(
            "attesting usage of a lease",
            "the lease's provider",
        )
        .into());
    }
    if lease.state == LeaseState::Closed {
        return Err(ContractError::LeaseClosed { id: id.to_string() });
    }
    validate_attestation_digests(&output_root, &inventory_hash)?;
    if leaf_count == Some(0) {
        return Err(ContractError::AttestationWithoutLeaves {});
    }
    if period_start != lease.attested_to {
        return Err(ContractError::AttestationNotContiguous {
            id: id.to_string(),
            expected: lease.attested_to,
            got: period_start,
        });
    }
    if period_end <= period_start || period_end > now {
        return Err(ContractError::AttestationPeriodInvalid {
            start: period_start,
            end: period_end,
            now,
        });
    }
    let gpus = lease.offered_gpus;
    let max = (period_end - period_start).saturating_mul(gpus);
    if gpu_seconds > max {
        return Err(ContractError::AttestationGpuSecondsExceeded {
            claimed: gpu_seconds,
            max,
            gpus,
        });
    }

    let seq = lease.attestations + 1;
    let mut attestation = Attestation {
        period_start,
        period_end,
        gpu_seconds,
        work_units,
        output_root: output_root.clone(),
        inventory_hash,
        submitted_at_height: env.block.height,
        leaf_count,
        payment: Uint128::zero(),
        release_at: None,
    };
    holdback::hold_for(deps.storage, &mut lease, &mut attestation, &params)?;
    ATTESTATIONS.save(deps.storage, (lease.uid, seq), &attestation)?;
    lease.attestations = seq;
    lease.attested_to = period_end;
    let due = period_end.saturating_add(params.attestation_interval_secs);
    move_queue_entry(
        deps.storage,
        &ATTEST_QUEUE,
        lease.uid,
        &mut lease.attestation_due_at,
        Some(due),
    )?;
    save_lease(deps.storage, &lease, lease.state)?;
    Ok(Response::new()
        .add_attribute("action", "submit_attestation")
        .add_attribute("lease", id.to_string())
        .add_attribute("seq", seq.to_string())
        .add_attribute("period_start", period_start.to_string())
        .add_attribute("period_end", period_end.to_string())
        .add_attribute("gpu_seconds", gpu_seconds.to_string())
        .add_attribute("work_units", work_units.to_string())
        .add_attribute("output_root", output_root)
        .add_attribute("payment", attestation.payment.to_string()))
}

/// Attestation `seq` of `lease` (whose public id is `id`), or an error naming both.
pub fn load_attestation(
    storage: &dyn Storage,
    lease: &Lease,
    id: &LeaseId,
    seq: u64,
) -> Result<Attestation, ContractError> {
    ATTESTATIONS
        .may_load(storage, (lease.uid, seq))?
        .ok_or_else(|| ContractError::AttestationNotFound {
            lease: id.to_string(),
            seq,
        })
}
