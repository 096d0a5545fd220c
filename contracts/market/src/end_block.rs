//! The end-block hook: the chain calls `sudo {end_block {}}` after every block. It works only
//! through the time-ordered queues, earliest first, and handles at most
//! `max_end_block_items` entries per block across all of them; what is left waits a block.

use cosmwasm_std::{DepsMut, Env, QuerierWrapper, Response, Storage};
use tessera_api::market::{close_reason, LeaseState, MarketParams, OrderState};
use tessera_api::registry::ProviderEvent;

use crate::auction::{award, drop_open_bids, ranked_bidders, still_active};
use crate::deployment::{load_deployment, save_deployment};
use crate::effects::Effects;
use crate::error::ContractError;
use crate::lease::{self, move_queue_entry, Closer};
use crate::state::{
    due_entries, leases, orders, ATTEST_QUEUE, AUCTION_QUEUE, GRACE_QUEUE, PARAMS, SETTLE_QUEUE,
};

/// How many items of each kind one end-block handled.
#[derive(Debug, Default)]
struct Tally {
    awarded: u32,
    unbid: u32,
    closed_unfunded: u32,
    missed_attestations: u32,
    settled: u32,
}

pub fn sudo_end_block(deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut budget = params.max_end_block_items as usize;
    let mut fx = Effects::default();
    let mut tally = Tally::default();

    // Auctions first: a lease that starts now should not wait behind routine payouts.
    for (at, uid) in take_due(deps.storage, &AUCTION_QUEUE, now, &mut budget)? {
        close_auction(
            deps.storage,
            &deps.querier,
            &params,
            at,
            uid,
            now,
            &mut fx,
            &mut tally,
        )?;
    }
    for (at, uid) in take_due(deps.storage, &GRACE_QUEUE, now, &mut budget)? {
        end_grace(deps.storage, &params, at, uid, now, &mut fx, &mut tally)?;
    }
    for (at, uid) in take_due(deps.storage, &ATTEST_QUEUE, now, &mut budget)? {
        miss_attestation(deps.storage, &params, at, uid, &mut fx, &mut tally)?;
    }
    for (at, uid) in take_due(deps.storage, &SETTLE_QUEUE, now, &mut budget)? {
        settle_due(deps.storage, &params, at, uid, now, &mut fx, &mut tally)?;
    }

    Ok(fx.into_response(
        Response::new()
            .add_attribute("action", "end_block")
            .add_attribute("awarded", tally.awarded.to_string())
            .add_attribute("unbid", tally.unbid.to_string())
            .add_attribute("closed_unfunded", tally.closed_unfunded.to_string())
            .add_attribute("missed_attestations", tally.missed_attestations.to_string())
            .add_attribute("settled", tally.settled.to_string()),
    ))
}

/// Removes and returns up to `budget` due entries of `queue`, spending the budget.
fn take_due(
    storage: &mut dyn Storage,
    queue: &cw_storage_plus::Map<(u64, u64), ()>,
    now: u64,
    budget: &mut usize,
) -> Result<Vec<(u64, u64)>, ContractError> {
    let due = due_entries(storage, queue, now, *budget)?;
    for key in &due {
        queue.remove(storage, *key);
    }
    *budget -= due.len();
    Ok(due)
}

#[allow(clippy::too_many_arguments)]
fn close_auction(
    storage: &mut dyn Storage,
    querier: &QuerierWrapper,
    params: &MarketParams,
    at: u64,
    uid: u64,
    now: u64,
    fx: &mut Effects,
    tally: &mut Tally,
) -> Result<(), ContractError> {
    let mut order = orders().load(storage, uid)?;
    if order.state != OrderState::Open || order.window_ends_at != Some(at) {
        return Ok(());
    }
    // The best bidder that is still active wins; one jailed or unbonded since it bid loses.
    let winner = ranked_bidders(storage, uid)?
        .into_iter()
        .find(|bidder| still_active(querier, &params.registry, bidder));
    match winner {
        Some(winner) => {
            let mut deployment = load_deployment(storage, &order.owner, order.dseq)?;
            award(
                storage,
                params,
                &mut order,
                &mut deployment,
                &winner,
                now,
                fx,
            )?;
            save_deployment(storage, &deployment)?;
            tally.awarded += 1;
        }
        None => {
            // No eligible bids: any left are dropped with their deposits returned (so their
            // providers may bid again once active), the order waits, and its next bid restarts
            // the window.
            drop_open_bids(storage, uid, fx)?;
            order.window_ends_at = None;
            order.open_bids = 0;
            orders().save(storage, uid, &order)?;
            tally.unbid += 1;
        }
    }
    Ok(())
}

fn end_grace(
    storage: &mut dyn Storage,
    params: &MarketParams,
    at: u64,
    uid: u64,
    now: u64,
    fx: &mut Effects,
    tally: &mut Tally,
) -> Result<(), ContractError> {
    let mut lease = leases().load(storage, uid)?;
    if lease.state != LeaseState::InsufficientFunds || lease.grace_ends_at != Some(at) {
        return Ok(());
    }
    // The queue entry is gone; forget it so nothing tries to remove it again.
    lease.grace_ends_at = None;
    let mut deployment = load_deployment(storage, &lease.owner, lease.dseq)?;
    lease::close(
        storage,
        &mut lease,
        &mut deployment,
        Closer::Network,
        close_reason::NETWORK_INSUFFICIENT_FUNDS,
        params,
        now,
        fx,
    )?;
    save_deployment(storage, &deployment)?;
    tally.closed_unfunded += 1;
    Ok(())
}

fn miss_attestation(
    storage: &mut dyn Storage,
    params: &MarketParams,
    at: u64,
    uid: u64,
    fx: &mut Effects,
    tally: &mut Tally,
) -> Result<(), ContractError> {
    let mut lease = leases().load(storage, uid)?;
    if lease.state == LeaseState::Closed || lease.attestation_due_at != Some(at) {
        return Ok(());
    }
    lease.missed_attestations += 1;
    lease.attestation_due_at = None;
    let next = at.saturating_add(params.attestation_interval_secs.max(1));
    move_queue_entry(
        storage,
        &ATTEST_QUEUE,
        uid,
        &mut lease.attestation_due_at,
        Some(next),
    )?;
    leases().save(storage, uid, &lease)?;
    fx.report(
        &params.registry,
        &lease.provider,
        ProviderEvent::AttestationMissed,
    )?;
    tally.missed_attestations += 1;
    Ok(())
}

fn settle_due(
    storage: &mut dyn Storage,
    params: &MarketParams,
    at: u64,
    uid: u64,
    now: u64,
    fx: &mut Effects,
    tally: &mut Tally,
) -> Result<(), ContractError> {
    let mut lease = leases().load(storage, uid)?;
    if lease.state != LeaseState::Active || lease.settle_at != Some(at) {
        return Ok(());
    }
    lease.settle_at = None;
    let mut deployment = load_deployment(storage, &lease.owner, lease.dseq)?;
    lease::settle(&mut lease, &mut deployment, params, now, fx)?;
    lease::reschedule(storage, &mut lease, &deployment, params, now)?;
    leases().save(storage, uid, &lease)?;
    save_deployment(storage, &deployment)?;
    tally.settled += 1;
    Ok(())
}
