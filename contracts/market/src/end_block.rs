//! The end-block hook: the chain calls `sudo {end_block {}}` after every block. It works only
//! through the time-ordered queues, earliest first, and stops when it has handled
//! `max_end_block_items` entries or metered `end_block_gas_budget` of storage gas, whichever
//! comes first; what is left waits a block.
//!
//! Each item runs as a transaction of its own ([`ItemTx`]): an item that fails is taken off its
//! queue, recorded in [`QUARANTINE`] with an `end_block_item_failed` event, and its writes and
//! transfers are dropped, while every other item goes on. The hook itself fails only if the
//! contract's own storage does.

use cosmwasm_std::{DepsMut, Env, Event, QuerierWrapper, Response, Storage};
use tessera_api::market::{close_reason, LeaseState, MarketParams, OrderState};
use tessera_api::registry::ProviderEvent;

use crate::auction::{award, drop_open_bids, may_take_lease, ranked_bidders};
use crate::deployment_store::{load_deployment, save_deployment};
use crate::effects::Effects;
use crate::error::ContractError;
use crate::holdback;
use crate::item_tx::ItemTx;
use crate::lease::{self, move_queue_entry, Closer};
use crate::state::{
    due_entries, leases, load_order_by_uid, save_lease, save_order, QuarantinedItem, ATTEST_QUEUE,
    AUCTION_QUEUE, GRACE_QUEUE, PARAMS, QUARANTINE, RELEASE_QUEUE, SETTLE_QUEUE,
};

/// Gas an item costs beyond its metered storage: finding and removing its queue entry and the
/// VM work of decoding and encoding its records. Deliberately generous, so that the metered
/// total stays above what the node charges.
const ITEM_OVERHEAD_GAS: u64 = 10_000;

/// How many items of each kind one end-block handled.
#[derive(Debug, Default)]
struct Tally {
    awarded: u32,
    unbid: u32,
    closed_unfunded: u32,
    missed_attestations: u32,
    settled: u32,
    released: u32,
    failed: u32,
}

/// The queues in the order the hook serves them. Auctions come first: a lease that starts now
/// should not wait behind routine payouts.
#[derive(Clone, Copy, Debug)]
enum Queue {
    Auction,
    Grace,
    Attest,
    Settle,
    Release,
}

impl Queue {
    const ALL: [Queue; 5] = [
        Queue::Auction,
        Queue::Grace,
        Queue::Attest,
        Queue::Settle,
        Queue::Release,
    ];

    fn map(self) -> cw_storage_plus::Map<(u64, u64), ()> {
        match self {
            Queue::Auction => AUCTION_QUEUE,
            Queue::Grace => GRACE_QUEUE,
            Queue::Attest => ATTEST_QUEUE,
            Queue::Settle => SETTLE_QUEUE,
            Queue::Release => RELEASE_QUEUE,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Queue::Auction => "auction",
            Queue::Grace => "grace",
            Queue::Attest => "attestation",
            Queue::Settle => "settlement",
            Queue::Release => "release",
        }
    }
}

/// What one block's hook may spend, and has spent. The last item may take it over the gas
/// budget (an item is not known to be heavy until it ran); then the hook stops.
struct Budget {
    items_left: u32,
    gas_limit: u64,
    gas_spent: u64,
}

impl Budget {
    fn has_room(&self) -> bool {
        self.items_left > 0 && self.gas_spent < self.gas_limit
    }

    fn spend(&mut self, gas: u64) {
        self.items_left = self.items_left.saturating_sub(1);
        self.gas_spent = self.gas_spent.saturating_add(gas);
    }
}

pub fn sudo_end_block(deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut budget = Budget {
        items_left: params.max_end_block_items,
        gas_limit: params.end_block_gas_budget,
        gas_spent: 0,
    };
    let mut fx = Effects::default();
    let mut tally = Tally::default();
    let mut failures = Vec::new();

    for queue in Queue::ALL {
        while budget.has_room() {
            let Some((at, uid)) = due_entries(deps.storage, &queue.map(), now, 1)?.pop() else {
                break;
            };
            queue.map().remove(deps.storage, (at, uid));
            let mut item_fx = Effects::default();
            let mut tx = ItemTx::new(deps.storage);
            let result = run_item(
                queue,
                &mut tx,
                &deps.querier,
                &params,
                (at, uid),
                now,
                &mut item_fx,
                &mut tally,
            );
            let writes = tx.finish();
            budget.spend(writes.gas.saturating_add(ITEM_OVERHEAD_GAS));
            match result {
                Ok(()) => {
                    writes.apply(deps.storage);
                    fx.merge(item_fx);
                }
                Err(error) => {
                    tally.failed += 1;
                    let error = error.to_string();
                    QUARANTINE.save(
                        deps.storage,
                        (uid, queue.name()),
                        &QuarantinedItem {
                            due_at: at,
                            failed_at: now,
                            error: error.clone(),
                        },
                    )?;
                    failures.push(
                        Event::new("end_block_item_failed")
                            .add_attribute("queue", queue.name())
                            .add_attribute("uid", uid.to_string())
                            .add_attribute("due_at", at.to_string())
                            .add_attribute("error", error),
                    );
                }
            }
        }
    }

    Ok(fx.into_response(
        Response::new()
            .add_attribute("action", "end_block")
            .add_attribute("awarded", tally.awarded.to_string())
            .add_attribute("unbid", tally.unbid.to_string())
            .add_attribute("closed_unfunded", tally.closed_unfunded.to_string())
            .add_attribute("missed_attestations", tally.missed_attestations.to_string())
            .add_attribute("settled", tally.settled.to_string())
            .add_attribute("released", tally.released.to_string())
            .add_attribute("failed", tally.failed.to_string())
            .add_attribute("gas_metered", budget.gas_spent.to_string())
            .add_events(failures),
    ))
}

/// Handles one due entry of `queue` against `storage` (the item's own transaction).
#[allow(clippy::too_many_arguments)]
fn run_item(
    queue: Queue,
    storage: &mut dyn Storage,
    querier: &QuerierWrapper,
    params: &MarketParams,
    (at, uid): (u64, u64),
    now: u64,
    fx: &mut Effects,
    tally: &mut Tally,
) -> Result<(), ContractError> {
    match queue {
        Queue::Auction => close_auction(storage, querier, params, at, uid, now, fx, tally),
        Queue::Grace => end_grace(storage, params, at, uid, now, fx, tally),
        Queue::Attest => miss_attestation(storage, params, at, uid, fx, tally),
        Queue::Settle => settle_due(storage, params, at, uid, now, fx, tally),
        Queue::Release => release_due(storage, params, uid, now, fx, tally),
    }
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
    let mut order = load_order_by_uid(storage, uid)?;
    let loaded = order.clone();
    if order.state != OrderState::Open || order.window_ends_at != Some(at) {
        return Ok(());
    }
    // The best bidder that may still take the lease wins; one jailed or unbonded since it bid,
    // or whose bond no longer covers one more lease (it won others meanwhile), loses.
    let winner = ranked_bidders(storage, uid)?
        .into_iter()
        .find(|(bidder, price)| may_take_lease(querier, params, bidder, *price).is_ok())
        .map(|(bidder, _)| bidder);
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
            save_order(storage, &order, &loaded)?;
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
    save_lease(storage, &lease, lease.state)?;
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
    save_lease(storage, &lease, LeaseState::Active)?;
    save_deployment(storage, &deployment)?;
    tally.settled += 1;
    Ok(())
}

/// An attested period's dispute window closed: its payment (and any other now due) goes out.
fn release_due(
    storage: &mut dyn Storage,
    params: &MarketParams,
    uid: u64,
    now: u64,
    fx: &mut Effects,
    tally: &mut Tally,
) -> Result<(), ContractError> {
    let mut lease = leases().load(storage, uid)?;
    let released = holdback::release_due(storage, &mut lease, params, now, fx)?;
    if !released.is_zero() {
        save_lease(storage, &lease, lease.state)?;
        tally.released += 1;
    }
    Ok(())
}
