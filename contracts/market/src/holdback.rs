//! Payment holdback: with disputes on (the market names a referee), what a lease draws from its
//! escrow is not paid out at once. It waits as `unattested` until the provider attests a period,
//! which takes it as that period's payment; the payment is released — split into the provider's
//! share, the community pool's and the burn — only once the period's dispute window has closed
//! (the end-block hook does it, `withdraw_lease` too). Pay for time never attested goes back to
//! the escrow when the lease closes, and proven fraud voids everything not yet released, back
//! to the tenant. With disputes off, settlement pays out at once as it always did.

use cosmwasm_std::{Addr, Storage, Uint128};
use tessera_api::market::{DeploymentState, MarketParams};
use tessera_api::CommonError;

use crate::effects::Effects;
use crate::error::ContractError;
use crate::escrow::split_payout;
use crate::state::{Attestation, Deployment, Lease, ATTESTATIONS, PENDING_UNTIL, RELEASE_QUEUE};

/// Whether payments wait for their dispute windows: only when someone can dispute.
pub fn holds_back(params: &MarketParams) -> bool {
    params.dispute.referee.is_some()
}

/// Pays `amount` of `lease` out now: the provider's share, the community pool's, the burn.
pub fn pay_out(lease: &mut Lease, amount: Uint128, params: &MarketParams, fx: &mut Effects) {
    let split = split_payout(
        amount,
        params.take_rate_bps,
        params.burn_bps,
        &mut lease.take_carry,
    );
    fx.transfers
        .send(&lease.provider, split.provider, &lease.denom);
    fx.transfers.send(
        &Addr::unchecked(&params.community_pool),
        split.community_pool,
        &lease.denom,
    );
    fx.transfers.burn(split.burn, &lease.denom);
}

/// `paid` was drawn from the escrow for `lease`: out now, or held until attested.
pub fn drawn(lease: &mut Lease, paid: Uint128, params: &MarketParams, fx: &mut Effects) {
    if holds_back(params) {
        lease.unattested += paid;
    } else {
        pay_out(lease, paid, params, fx);
    }
}

/// A new attestation takes what the lease drew since the last one as its payment, held until
/// its period's dispute window closes.
pub fn hold_for(
    storage: &mut dyn Storage,
    lease: &mut Lease,
    attestation: &mut Attestation,
    params: &MarketParams,
) -> Result<(), ContractError> {
    if !holds_back(params) {
        return Ok(());
    }
    let payment = std::mem::take(&mut lease.unattested);
    let release_at = attestation
        .period_end
        .saturating_add(params.dispute.window_secs);
    lease.held = lease
        .held
        .checked_add(payment)
        .map_err(|_| CommonError::overflow("held payments"))?;
    attestation.payment = payment;
    attestation.release_at = Some(release_at);
    RELEASE_QUEUE.save(storage, (release_at, lease.uid), &())?;
    if !payment.is_zero() {
        let until = PENDING_UNTIL
            .may_load(storage, &lease.provider)?
            .unwrap_or(0);
        PENDING_UNTIL.save(storage, &lease.provider, &until.max(release_at))?;
    }
    Ok(())
}

/// Pays out every attested period of `lease` whose dispute window has closed by `now`, in
/// order. Returns what was released. Does not save the lease.
pub fn release_due(
    storage: &dyn Storage,
    lease: &mut Lease,
    params: &MarketParams,
    now: u64,
    fx: &mut Effects,
) -> Result<Uint128, ContractError> {
    let mut released = Uint128::zero();
    while lease.released_through < lease.attestations {
        let seq = lease.released_through + 1;
        let attestation = ATTESTATIONS.load(storage, (lease.uid, seq))?;
        if attestation.release_at.is_some_and(|at| at > now) {
            break;
        }
        let payment = attestation.payment.min(lease.held);
        lease.held -= payment;
        released += payment;
        lease.released_through = seq;
        pay_out(lease, payment, params, fx);
    }
    Ok(released)
}

/// At close: pay for time no attestation covers goes back to the deployment's escrow (and so
/// to the tenant). Returns it.
pub fn return_unattested(
    lease: &mut Lease,
    deployment: &mut Deployment,
    fx: &mut Effects,
) -> Uint128 {
    let amount = std::mem::take(&mut lease.unattested);
    give_back(lease, deployment, amount, fx);
    amount
}

/// Proven fraud: everything the lease drew and has not paid out goes back to the tenant, and
/// no attested period of it will be released. Returns the amount.
pub fn void_pending(lease: &mut Lease, deployment: &mut Deployment, fx: &mut Effects) -> Uint128 {
    let amount = std::mem::take(&mut lease.unattested) + std::mem::take(&mut lease.held);
    lease.released_through = lease.attestations;
    give_back(lease, deployment, amount, fx);
    amount
}

/// Undoes a draw of `amount`: back into an open escrow, or to the owner when the deployment has
/// closed and refunded already.
fn give_back(lease: &mut Lease, deployment: &mut Deployment, amount: Uint128, fx: &mut Effects) {
    if amount.is_zero() {
        return;
    }
    let escrow = &mut deployment.escrow;
    escrow.total_spent = escrow.total_spent.saturating_sub(amount);
    lease.total_paid = lease.total_paid.saturating_sub(amount);
    if deployment.state == DeploymentState::Closed {
        escrow.refunded += amount;
        fx.transfers
            .send(&deployment.owner, amount, &deployment.denom);
    } else {
        escrow.balance += amount;
    }
}

/// Until when `provider` has payments held for a dispute window that is still open at `now`.
pub fn pending_until(
    storage: &dyn Storage,
    provider: &Addr,
    now: u64,
) -> Result<Option<u64>, ContractError> {
    Ok(PENDING_UNTIL
        .may_load(storage, provider)?
        .filter(|&until| until > now))
}
