//! Leases: settling escrow by the second, keeping the due-time queues in step with a lease's
//! state, and closing. The execute handlers for `close_lease` and `withdraw_lease` live here
//! too.
//!
//! Convention: functions that take `&mut Deployment` leave saving it to their caller; a lease,
//! order or bid they change they save themselves unless the doc says otherwise.

use cosmwasm_std::{Api, DepsMut, Env, MessageInfo, Response, Storage, Uint128};
use tessera_api::market::{close_reason, BidState, LeaseState, MarketParams, OrderState};
use tessera_api::registry::ProviderEvent;
use tessera_api::{CommonError, LeaseId};

use crate::deployment_store::{finish_order, load_deployment, save_deployment};
use crate::effects::Effects;
use crate::error::ContractError;
use crate::escrow::{accrue, funds_last_until};
use crate::holdback;
use crate::state::{
    leases, load_order_by_uid, save_lease, save_order, Deployment, Lease, ATTEST_QUEUE, BIDS,
    GRACE_QUEUE, ORDER_UIDS, PARAMS, SETTLE_QUEUE,
};

/// Charges `lease` from the deployment's escrow up to `now`, paying its provider (less the
/// take; held back until attested and undisputed when disputes are on, see `holdback`) as far
/// as the balance goes; what the balance can't cover becomes debt and moves the
/// lease to `InsufficientFunds`, and a paid-off debt moves it back. Does not save the lease.
pub fn settle(
    lease: &mut Lease,
    deployment: &mut Deployment,
    params: &MarketParams,
    now: u64,
    fx: &mut Effects,
) -> Result<Uint128, ContractError> {
    if lease.state == LeaseState::Closed {
        return Ok(Uint128::zero());
    }
    let elapsed = now.saturating_sub(lease.settled_to);
    let accrual = accrue(lease.price, elapsed, lease.remainder)?;
    let due = lease
        .debt
        .checked_add(accrual.owed)
        .map_err(|_| CommonError::overflow("lease debt"))?;
    let escrow = &mut deployment.escrow;
    let paid = due.min(escrow.balance);
    escrow.balance -= paid;
    escrow.total_spent += paid;
    lease.debt = due - paid;
    lease.total_paid += paid;
    lease.settled_to = lease.settled_to.max(now);
    lease.remainder = accrual.remainder;

    holdback::drawn(lease, paid, params, fx);

    match (lease.state, lease.debt.is_zero()) {
        (LeaseState::Active, false) => {
            lease.state = LeaseState::InsufficientFunds;
            lease.insufficient_since = Some(now);
        }
        (LeaseState::InsufficientFunds, true) => {
            lease.state = LeaseState::Active;
            lease.insufficient_since = None;
        }
        _ => {}
    }
    Ok(paid)
}

/// Puts the lease in the settlement and grace queues its state calls for, and nowhere else.
pub fn reschedule(
    storage: &mut dyn Storage,
    lease: &mut Lease,
    deployment: &Deployment,
    params: &MarketParams,
    now: u64,
) -> Result<(), ContractError> {
    let (settle_at, grace_ends_at) = match lease.state {
        LeaseState::Active => (Some(next_settlement(deployment, params, now)), None),
        LeaseState::InsufficientFunds => (
            None,
            Some(
                lease
                    .grace_ends_at
                    .unwrap_or_else(|| now.saturating_add(params.grace_period_secs)),
            ),
        ),
        LeaseState::Closed => (None, None),
    };
    move_queue_entry(
        storage,
        &SETTLE_QUEUE,
        lease.uid,
        &mut lease.settle_at,
        settle_at,
    )?;
    move_queue_entry(
        storage,
        &GRACE_QUEUE,
        lease.uid,
        &mut lease.grace_ends_at,
        grace_ends_at,
    )?;
    if lease.state == LeaseState::Closed {
        move_queue_entry(
            storage,
            &ATTEST_QUEUE,
            lease.uid,
            &mut lease.attestation_due_at,
            None,
        )?;
    }
    Ok(())
}

/// The next regular payout, or earlier when the escrow would run dry before it, so that a
/// lease out of funds is noticed within a block of it happening.
fn next_settlement(deployment: &Deployment, params: &MarketParams, now: u64) -> u64 {
    let regular = now.saturating_add(params.settle_interval_secs.max(1));
    let escrow = &deployment.escrow;
    match funds_last_until(now, escrow.balance, escrow.drawing_rate) {
        Some(dry) => regular.min(dry.max(now.saturating_add(1))),
        None => regular,
    }
}

/// Moves a queue entry of `uid` from `*current` to `wanted` (either may be `None`).
pub fn move_queue_entry(
    storage: &mut dyn Storage,
    queue: &cw_storage_plus::Map<(u64, u64), ()>,
    uid: u64,
    current: &mut Option<u64>,
    wanted: Option<u64>,
) -> Result<(), ContractError> {
    if *current == wanted {
        return Ok(());
    }
    if let Some(at) = *current {
        queue.remove(storage, (at, uid));
    }
    if let Some(at) = wanted {
        queue.save(storage, (at, uid), &())?;
    }
    *current = wanted;
    Ok(())
}

/// Who closes a lease, which decides the allowed reason codes and the registry event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    Tenant,
    Provider,
    Network,
}

impl Closer {
    fn reason_range(self) -> (u32, u32) {
        match self {
            Closer::Tenant => (close_reason::TENANT_MIN, close_reason::PROVIDER_MIN),
            Closer::Provider => (close_reason::PROVIDER_MIN, close_reason::NETWORK_MIN),
            Closer::Network => (close_reason::NETWORK_MIN, u32::MAX),
        }
    }

    fn check_reason(self, reason: u32) -> Result<(), ContractError> {
        let (min, max) = self.reason_range();
        if (min..max).contains(&reason) {
            return Ok(());
        }
        Err(ContractError::InvalidCloseReason {
            reason,
            closer: format!("{self:?}").to_ascii_lowercase(),
            min,
            max,
        })
    }
}

/// Settles and closes a lease: its order and bid close, the bid deposit goes back to the
/// provider, unpaid debt is forgiven, the registry hears of it, and the deployment closes
/// itself when this was its last live order. Saves the lease, order and bid.
#[allow(clippy::too_many_arguments)]
pub fn close(
    storage: &mut dyn Storage,
    lease: &mut Lease,
    deployment: &mut Deployment,
    closer: Closer,
    reason: u32,
    params: &MarketParams,
    now: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    closer.check_reason(reason)?;
    if lease.state == LeaseState::Closed {
        return Err(ContractError::LeaseClosed {
            id: lease.id().to_string(),
        });
    }
    settle(lease, deployment, params, now, fx)?;
    holdback::return_unattested(lease, deployment, fx);
    deployment.escrow.drawing_rate = deployment.escrow.drawing_rate.saturating_sub(lease.price);
    lease.state = LeaseState::Closed;
    lease.closed_at = Some(now);
    lease.close_reason = Some(reason);
    reschedule(storage, lease, deployment, params, now)?;
    leases().save(storage, lease.uid, lease)?;

    let mut order = load_order_by_uid(storage, lease.uid)?;
    let loaded = order.clone();
    order.state = OrderState::Closed;
    save_order(storage, &order, &loaded)?;

    let bid_key = (lease.uid, &lease.provider);
    let mut bid = BIDS.load(storage, bid_key)?;
    bid.state = BidState::Closed;
    fx.transfers.send(
        &lease.provider,
        Uint128::try_from(bid.deposit.amount).map_err(|_| CommonError::overflow("bid deposit"))?,
        &bid.deposit.denom,
    );
    BIDS.save(storage, bid_key, &bid)?;

    let event = match closer {
        Closer::Provider if reason == close_reason::PROVIDER_MANIFEST_TIMEOUT => {
            ProviderEvent::LeaseReleased
        }
        Closer::Provider => ProviderEvent::LeaseClosedByProvider,
        // The provider's fault; the slash is counted by the registry on its own.
        Closer::Network
            if reason == close_reason::NETWORK_FRAUD_PROVEN
                || reason == close_reason::NETWORK_SAMPLE_NOT_REVEALED =>
        {
            ProviderEvent::LeaseClosedByProvider
        }
        Closer::Tenant | Closer::Network => ProviderEvent::LeaseCompleted,
    };
    fx.report_paid(&params.registry, &lease.provider, event, lease.total_paid)?;
    finish_order(deployment, now, fx);
    Ok(())
}

/// Resolves a public lease id to its stored lease.
pub fn load_lease(
    storage: &dyn Storage,
    api: &dyn Api,
    id: &LeaseId,
) -> Result<Lease, ContractError> {
    let not_found = || ContractError::LeaseNotFound { id: id.to_string() };
    let owner = api.addr_validate(&id.owner)?;
    let provider = api.addr_validate(&id.provider)?;
    if id.oseq != 1 {
        return Err(not_found());
    }
    let uid = ORDER_UIDS
        .may_load(storage, (&owner, id.dseq, id.gseq))?
        .ok_or_else(not_found)?;
    let lease = leases().may_load(storage, uid)?.ok_or_else(not_found)?;
    if lease.provider != provider {
        return Err(not_found());
    }
    Ok(lease)
}

pub fn execute_close_lease(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    reason: u32,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut lease = load_lease(deps.storage, deps.api, &id)?;
    let closer = if info.sender == lease.owner {
        Closer::Tenant
    } else if info.sender == lease.provider {
        Closer::Provider
    } else {
        return Err(
            CommonError::unauthorized("closing a lease", "its tenant or its provider").into(),
        );
    };
    if closer == Closer::Provider && reason == close_reason::PROVIDER_MANIFEST_TIMEOUT {
        // Releasing for a missing manifest is penalty-free, so it must be true: the timeout has
        // passed and the provider never attested work (an attestation means it had the manifest).
        let at = lease
            .created_at
            .saturating_add(params.manifest_timeout_secs);
        // Nor once the provider's receipt of the manifest is on chain.
        if now < at || lease.attestations > 0 || lease.manifest_received_at.is_some() {
            return Err(ContractError::ManifestTimeoutNotReached {
                id: id.to_string(),
                at,
                now,
            });
        }
    }
    let mut deployment = load_deployment(deps.storage, &lease.owner, lease.dseq)?;
    let mut fx = Effects::default();
    close(
        deps.storage,
        &mut lease,
        &mut deployment,
        closer,
        reason,
        &params,
        now,
        &mut fx,
    )?;
    save_deployment(deps.storage, &deployment)?;
    Ok(fx.into_response(
        Response::new()
            .add_attribute("action", "close_lease")
            .add_attribute("lease", id.to_string())
            .add_attribute("reason", reason.to_string())
            .add_attribute("total_paid", lease.total_paid.to_string()),
    ))
}

/// Settles a lease now and pays its provider (the end-block hook also does this on schedule).
pub fn execute_withdraw_lease(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut lease = load_lease(deps.storage, deps.api, &id)?;
    if info.sender != lease.provider && info.sender != lease.owner {
        return Err(CommonError::unauthorized(
            "withdrawing from a lease",
            "its tenant or its provider",
        )
        .into());
    }
    if lease.state == LeaseState::Closed {
        return Err(ContractError::LeaseClosed { id: id.to_string() });
    }
    let mut deployment = load_deployment(deps.storage, &lease.owner, lease.dseq)?;
    let mut fx = Effects::default();
    let loaded_state = lease.state;
    let paid = settle(&mut lease, &mut deployment, &params, now, &mut fx)?;
    let released = holdback::release_due(deps.storage, &mut lease, &params, now, &mut fx)?;
    reschedule(deps.storage, &mut lease, &deployment, &params, now)?;
    save_lease(deps.storage, &lease, loaded_state)?;
    save_deployment(deps.storage, &deployment)?;
    Ok(fx.into_response(
        Response::new()
            .add_attribute("action", "withdraw_lease")
            .add_attribute("lease", id.to_string())
            .add_attribute("paid", paid.to_string())
            .add_attribute("released", released.to_string())
            .add_attribute("held", lease.held.to_string()),
    ))
}
