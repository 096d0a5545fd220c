//! The reverse auction: providers bid on open orders, the tenant may accept a bid at any time,
//! and otherwise the end-block hook awards the lowest price when the window ends.

use cosmwasm_std::{
    Addr, Api, Coin, DepsMut, Env, MessageInfo, QuerierWrapper, Response, Storage, Uint128,
};
use tessera_api::attributes::AuditorAttributes;
use tessera_api::market::{BidOffer, BidState, LeaseState, MarketParams, OrderState};
use tessera_api::registry::ProviderEvent;
use tessera_api::{BidId, CommonError, OrderId};

use crate::deployment::{paid_in, to_uint128};
use crate::deployment_store::{load_deployment, save_deployment};
use crate::effects::Effects;
use crate::error::ContractError;
use crate::fraud::bond_required;
use crate::holdback::holds_back;
use crate::lease::{move_queue_entry, reschedule};
use crate::registry::{load_bidder, signed_attributes, Bidder};
use crate::state::{
    leases, load_order_by_uid, save_order, Bid, Deployment, Lease, Order, ATTEST_QUEUE,
    AUCTION_QUEUE, BIDS, BID_OFFERS, ORDER_UIDS, PARAMS,
};

/// Resolves a public order id to its stored order.
pub fn load_order(
    storage: &dyn Storage,
    api: &dyn Api,
    id: &OrderId,
) -> Result<Order, ContractError> {
    let not_found = || ContractError::OrderNotFound { id: id.to_string() };
    let owner = api.addr_validate(&id.owner)?;
    if id.oseq != 1 {
        return Err(not_found());
    }
    let uid = ORDER_UIDS
        .may_load(storage, (&owner, id.dseq, id.gseq))?
        .ok_or_else(not_found)?;
    Ok(load_order_by_uid(storage, uid)?)
}

fn ensure_open(order: &Order) -> Result<(), ContractError> {
    if order.state != OrderState::Open {
        return Err(ContractError::OrderNotOpen {
            id: order.id().to_string(),
            state: format!("{:?}", order.state).to_ascii_lowercase(),
        });
    }
    Ok(())
}

/// Whether the provider may offer what it offers on this order: placement, GPU models and
/// counts it has registered. Shared by `place_bid`; the error explains the mismatch.
fn check_provider_fits(
    order: &Order,
    provider: &Addr,
    bidder: &Bidder,
    signed: &[AuditorAttributes],
    offer: &BidOffer,
) -> Result<(), ContractError> {
    let order_id = order.id().to_string();
    if !bidder.active {
        return Err(ContractError::ProviderNotActive {
            provider: provider.to_string(),
        });
    }
    order
        .spec
        .requirements
        .check(&bidder.record.attributes, signed)
        .map_err(|reason| ContractError::PlacementNotMet {
            provider: provider.to_string(),
            order: order_id.clone(),
            reason,
        })?;
    order
        .spec
        .resources
        .gpu
        .check_offer(order.spec.count, &offer.gpus)
        .map_err(|reason| ContractError::OfferMismatch {
            order: order_id.clone(),
            reason,
        })?;
    for gpu in &offer.gpus {
        let has = bidder
            .record
            .gpus
            .iter()
            .filter(|g| g.same_kind(gpu))
            .map(|g| g.count)
            .sum::<u32>();
        if has < gpu.count {
            return Err(ContractError::OfferMismatch {
                order: order_id,
                reason: format!(
                    "offers {} {} {}, the provider registered {has}",
                    gpu.count, gpu.vendor, gpu.model
                ),
            });
        }
    }
    Ok(())
}

pub fn execute_place_bid(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    order_id: OrderId,
    price: Uint128,
    offer: BidOffer,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let provider = info.sender.clone();

    let deposit = paid_in(&info, &params.bid_min_deposit.denom)?;
    let min = to_uint128(&params.bid_min_deposit)?;
    if deposit < min {
        return Err(ContractError::BidDepositTooSmall {
            amount: deposit,
            min,
            denom: params.bid_min_deposit.denom.clone(),
        });
    }
    if price.is_zero() {
        return Err(ContractError::ZeroPrice {});
    }
    offer.validate(price)?;

    let mut order = load_order(deps.storage, deps.api, &order_id)?;
    let loaded = order.clone();
    ensure_open(&order)?;
    if price > order.spec.max_price {
        return Err(ContractError::PriceAboveMax {
            price,
            max: order.spec.max_price,
        });
    }
    if provider == order.owner {
        return Err(ContractError::SelfDealing {
            provider: provider.to_string(),
        });
    }
    let bid_id = order_id.bid(provider.as_str());
    if BIDS.has(deps.storage, (order.uid, &provider)) {
        return Err(ContractError::BidExists {
            id: bid_id.to_string(),
        });
    }
    if order.open_bids >= params.max_bids_per_order {
        return Err(ContractError::TooManyBids {
            id: order_id.to_string(),
            count: order.open_bids,
            max: params.max_bids_per_order,
        });
    }
    let bidder = load_bidder(&deps.querier, &params.registry, &provider)?;
    check_bond_covers(&params, &provider, &bidder, price)?;
    let signed = signed_attributes(
        &deps.querier,
        &params.registry,
        &provider,
        &order.spec.requirements.signed_by,
    )?;
    check_provider_fits(&order, &provider, &bidder, &signed, &offer)?;

    let bid = Bid {
        order_uid: order.uid,
        provider: provider.clone(),
        state: BidState::Open,
        price,
        deposit: Coin::new(deposit, params.bid_min_deposit.denom.clone()),
        created_at: now,
        reputation_score: bidder.standing.reputation.score(),
    };
    BIDS.save(deps.storage, (order.uid, &provider), &bid)?;
    BID_OFFERS.save(deps.storage, (order.uid, &provider), &offer)?;
    order.open_bids += 1;
    if order.window_ends_at.is_none() {
        // The window of an order that drew no bids restarts with its first bid.
        let ends = now.saturating_add(order.bid_window_secs);
        move_queue_entry(
            deps.storage,
            &AUCTION_QUEUE,
            order.uid,
            &mut order.window_ends_at,
            Some(ends),
        )?;
    }
    save_order(deps.storage, &order, &loaded)?;
    Ok(Response::new()
        .add_attribute("action", "place_bid")
        .add_attribute("bid", bid_id.to_string())
        .add_attribute("price", price.to_string())
        .add_attribute(
            "window_ends_at",
            order.window_ends_at.unwrap_or_default().to_string(),
        ))
}

pub fn execute_withdraw_bid(
    deps: DepsMut,
    info: MessageInfo,
    order_id: OrderId,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let provider = info.sender;
    let mut order = load_order(deps.storage, deps.api, &order_id)?;
    let loaded = order.clone();
    let bid_id = order_id.bid(provider.as_str());
    let bid = BIDS
        .may_load(deps.storage, (order.uid, &provider))?
        .ok_or_else(|| ContractError::BidNotFound {
            id: bid_id.to_string(),
        })?;
    if bid.state != BidState::Open {
        return Err(ContractError::BidNotOpen {
            id: bid_id.to_string(),
            state: format!("{:?}", bid.state).to_ascii_lowercase(),
        });
    }
    // Withdrawn bids are removed, not kept, so an order's bids stay bounded by its cap.
    BIDS.remove(deps.storage, (order.uid, &provider));
    BID_OFFERS.remove(deps.storage, (order.uid, &provider));
    order.open_bids = order.open_bids.saturating_sub(1);
    save_order(deps.storage, &order, &loaded)?;
    let mut fx = Effects::default();
    fx.transfers
        .send(&provider, to_uint128(&bid.deposit)?, &bid.deposit.denom);
    Ok(fx.into_response(
        Response::new()
            .add_attribute("action", "withdraw_bid")
            .add_attribute("bid", bid_id.to_string()),
    ))
}

pub fn execute_accept_bid(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    bid_id: BidId,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut order = load_order(deps.storage, deps.api, &bid_id.order())?;
    if info.sender != order.owner {
        return Err(CommonError::unauthorized("accepting a bid", "the deployment's owner").into());
    }
    ensure_open(&order)?;
    let provider = deps.api.addr_validate(&bid_id.provider)?;
    let bid = BIDS
        .may_load(deps.storage, (order.uid, &provider))?
        .ok_or_else(|| ContractError::BidNotFound {
            id: bid_id.to_string(),
        })?;
    if bid.state != BidState::Open {
        return Err(ContractError::BidNotOpen {
            id: bid_id.to_string(),
            state: format!("{:?}", bid.state).to_ascii_lowercase(),
        });
    }
    may_take_lease(&deps.querier, &params, &provider, bid.price)?;
    let mut deployment = load_deployment(deps.storage, &order.owner, order.dseq)?;
    let mut fx = Effects::default();
    award(
        deps.storage,
        &params,
        &mut order,
        &mut deployment,
        &provider,
        now,
        &mut fx,
    )?;
    save_deployment(deps.storage, &deployment)?;
    Ok(fx.into_response(
        Response::new()
            .add_attribute("action", "accept_bid")
            .add_attribute("lease", bid_id.to_string())
            .add_attribute("price", bid.price.to_string()),
    ))
}

/// The open bidders of an order with their prices, best first: lowest price, then higher reputation, then the
/// earlier bid, then the lower address (so the order is total and deterministic).
pub fn ranked_bidders(
    storage: &dyn Storage,
    order_uid: u64,
) -> Result<Vec<(Addr, Uint128)>, ContractError> {
    let mut open: Vec<Bid> = BIDS
        .prefix(order_uid)
        .range(storage, None, None, cosmwasm_std::Order::Ascending)
        .map(|item| item.map(|(_, bid)| bid))
        .filter(|bid| bid.as_ref().map_or(true, |b| b.state == BidState::Open))
        .collect::<Result<_, _>>()?;
    open.sort_by_key(|b| {
        (
            b.price,
            -i128::from(b.reputation_score),
            b.created_at,
            b.provider.clone(),
        )
    });
    Ok(open.into_iter().map(|b| (b.provider, b.price)).collect())
}

/// Removes every open bid of an order and queues its deposit back.
pub fn drop_open_bids(
    storage: &mut dyn Storage,
    order_uid: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    let open: Vec<(Addr, Bid)> = BIDS
        .prefix(order_uid)
        .range(storage, None, None, cosmwasm_std::Order::Ascending)
        .filter(|r| r.as_ref().map_or(true, |(_, b)| b.state == BidState::Open))
        .collect::<Result<_, _>>()?;
    for (provider, bid) in open {
        fx.transfers
            .send(&provider, to_uint128(&bid.deposit)?, &bid.deposit.denom);
        BIDS.remove(storage, (order_uid, &provider));
        BID_OFFERS.remove(storage, (order_uid, &provider));
    }
    Ok(())
}

/// Proven fraud must find the slash in the bond, on every lease the provider holds: its bond
/// covers the minimum slash of each lease it has and the slash of one more at `price`.
fn check_bond_covers(
    params: &MarketParams,
    provider: &Addr,
    bidder: &Bidder,
    price: Uint128,
) -> Result<(), ContractError> {
    if !holds_back(params) {
        return Ok(());
    }
    let active = bidder.standing.reputation.active_leases;
    let required = bond_required(params, active, price)?;
    if bidder.record.bond < required {
        return Err(ContractError::BondBelowCoverage {
            provider: provider.to_string(),
            bond: bidder.record.bond,
            required,
            leases: active,
        });
    }
    Ok(())
}

/// Whether the registry still lets `provider` take a lease at `price`: it may have been jailed
/// or have unbonded since it bid, or won other leases since, so that its bond no longer covers
/// one more. A provider the registry no longer knows may not.
pub fn may_take_lease(
    querier: &QuerierWrapper,
    params: &MarketParams,
    provider: &Addr,
    price: Uint128,
) -> Result<(), ContractError> {
    let bidder = load_bidder(querier, &params.registry, provider)?;
    if !bidder.active {
        return Err(ContractError::ProviderNotActive {
            provider: provider.to_string(),
        });
    }
    check_bond_covers(params, provider, &bidder, price)
}

/// Turns `winner`'s bid into a lease: other open bids lose and get their deposits back, the
/// order is matched, the escrow starts streaming, and the registry counts a started lease.
/// Saves the order, the bids and the lease.
pub fn award(
    storage: &mut dyn Storage,
    params: &MarketParams,
    order: &mut Order,
    deployment: &mut Deployment,
    winner: &Addr,
    now: u64,
    fx: &mut Effects,
) -> Result<Lease, ContractError> {
    let loaded = order.clone();
    let bids: Vec<(Addr, Bid)> = BIDS
        .prefix(order.uid)
        .range(storage, None, None, cosmwasm_std::Order::Ascending)
        .collect::<Result<_, _>>()?;
    let mut won = None;
    for (provider, mut bid) in bids {
        if bid.state != BidState::Open {
            continue;
        }
        if provider == *winner {
            bid.state = BidState::Won;
            won = Some(bid.clone());
        } else {
            bid.state = BidState::Lost;
            fx.transfers
                .send(&provider, to_uint128(&bid.deposit)?, &bid.deposit.denom);
        }
        BIDS.save(storage, (order.uid, &provider), &bid)?;
    }
    let won = won.ok_or_else(|| ContractError::BidNotFound {
        id: order.id().bid(winner.as_str()).to_string(),
    })?;

    order.state = OrderState::Matched;
    order.open_bids = 0;
    move_queue_entry(
        storage,
        &AUCTION_QUEUE,
        order.uid,
        &mut order.window_ends_at,
        None,
    )?;
    save_order(storage, order, &loaded)?;

    deployment.escrow.drawing_rate = deployment
        .escrow
        .drawing_rate
        .checked_add(won.price)
        .map_err(|_| CommonError::overflow("escrow drawing rate"))?;
    let mut lease = Lease {
        uid: order.uid,
        owner: order.owner.clone(),
        dseq: order.dseq,
        gseq: order.gseq,
        oseq: order.oseq,
        provider: winner.clone(),
        state: LeaseState::Active,
        price: won.price,
        denom: order.denom.clone(),
        offered_gpus: BID_OFFERS
            .load(storage, (order.uid, winner))?
            .gpus
            .iter()
            .map(|g| u64::from(g.count))
            .sum(),
        created_at: now,
        settled_to: now,
        remainder: 0,
        debt: Uint128::zero(),
        total_paid: Uint128::zero(),
        take_carry: Default::default(),
        insufficient_since: None,
        closed_at: None,
        close_reason: None,
        attested_to: now,
        attestations: 0,
        missed_attestations: 0,
        manifest_received_at: None,
        unattested: Uint128::zero(),
        held: Uint128::zero(),
        released_through: 0,
        settle_at: None,
        grace_ends_at: None,
        attestation_due_at: None,
    };
    reschedule(storage, &mut lease, deployment, params, now)?;
    let due = now.saturating_add(params.attestation_interval_secs);
    move_queue_entry(
        storage,
        &ATTEST_QUEUE,
        lease.uid,
        &mut lease.attestation_due_at,
        Some(due),
    )?;
    leases().save(storage, lease.uid, &lease)?;
    fx.report(&params.registry, winner, ProviderEvent::LeaseStarted)?;
    Ok(lease)
}
