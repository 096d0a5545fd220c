//! Read-only views. Every list is paginated (`tessera_api::pagination`).

use cosmwasm_std::{Coin, Deps, Env, Order as IterOrder, StdResult, Storage, Uint128};
use cw_storage_plus::Bound;
use tessera_api::market::{
    AttestationResponse, AttestationsResponse, BidResponse, BidsResponse, DeploymentResponse,
    DeploymentsResponse, EscrowResponse, LeaseFilter, LeaseResponse, LeaseState, LeasesResponse,
    MarketParams, OrderResponse, OrderState, OrdersResponse, PaymentsPendingResponse,
    QuarantinedItemResponse, QuarantinedResponse,
};
use tessera_api::pagination::page_size;
use tessera_api::{BidId, DeploymentId, LeaseId, OrderId};

use crate::auction::load_order;
use crate::deployment_store::load_deployment;
use crate::error::ContractError;
use crate::escrow::{accrue, funds_last_until};
use crate::holdback::pending_until;
use crate::lease::load_lease;
use crate::state::{
    lease_state_key, leases, order_state_key, orders, with_auction, Bid, Deployment, Lease, Order,
    ATTESTATIONS, BIDS, BID_OFFERS, DEPLOYMENTS, PARAMS, QUARANTINE,
};

pub fn params(deps: Deps) -> StdResult<MarketParams> {
    PARAMS.load(deps.storage)
}

fn deployment_response(deps: Deps, d: Deployment) -> Result<DeploymentResponse, ContractError> {
    let groups = d
        .order_uids
        .iter()
        .map(|uid| orders().load(deps.storage, *uid).map(|o| o.spec))
        .collect::<StdResult<_>>()?;
    Ok(DeploymentResponse {
        id: DeploymentId::new(d.owner.as_str(), d.dseq),
        state: d.state,
        manifest_hash: d.manifest_hash,
        denom: d.denom,
        groups,
        bid_window_secs: d.bid_window_secs,
        created_at: d.created_at,
        closed_at: d.closed_at,
        sample_size: d.sample_size,
        secret_hash: d.secret_hash,
    })
}

pub fn deployment(
    deps: Deps,
    owner: String,
    dseq: u64,
) -> Result<DeploymentResponse, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    deployment_response(deps, load_deployment(deps.storage, &owner, dseq)?)
}

pub fn deployments(
    deps: Deps,
    owner: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<DeploymentsResponse, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    let list: Vec<Deployment> = DEPLOYMENTS
        .prefix(&owner)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            IterOrder::Ascending,
        )
        .take(page_size(limit))
        .map(|r| r.map(|(_, d)| d))
        .collect::<StdResult<_>>()?;
    Ok(DeploymentsResponse {
        deployments: list
            .into_iter()
            .map(|d| deployment_response(deps, d))
            .collect::<Result<_, _>>()?,
    })
}

fn order_response(o: Order) -> OrderResponse {
    OrderResponse {
        id: o.id(),
        state: o.state,
        spec: o.spec,
        denom: o.denom,
        created_at: o.created_at,
        window_ends_at: o.window_ends_at,
        open_bids: o.open_bids,
    }
}

pub fn order(deps: Deps, id: OrderId) -> Result<OrderResponse, ContractError> {
    Ok(order_response(load_order(deps.storage, deps.api, &id)?))
}

pub fn orders_by_state(
    deps: Deps,
    state: Option<OrderState>,
    start_after: Option<OrderId>,
    limit: Option<u32>,
) -> Result<OrdersResponse, ContractError> {
    let start = match start_after {
        Some(id) => Some(Bound::exclusive(
            load_order(deps.storage, deps.api, &id)?.uid,
        )),
        None => None,
    };
    let list = orders()
        .idx
        .state
        .prefix(order_state_key(state.unwrap_or(OrderState::Open)))
        .range(deps.storage, start, None, IterOrder::Ascending)
        .take(page_size(limit))
        .map(|r| r.and_then(|(_, o)| with_auction(deps.storage, o).map(order_response)))
        .collect::<StdResult<_>>()?;
    Ok(OrdersResponse { orders: list })
}

fn bid_response(storage: &dyn Storage, order: &OrderId, b: Bid) -> StdResult<BidResponse> {
    Ok(BidResponse {
        id: order.bid(b.provider.as_str()),
        state: b.state,
        price: b.price,
        offer: BID_OFFERS.load(storage, (b.order_uid, &b.provider))?,
        deposit: b.deposit,
        created_at: b.created_at,
        reputation_score: b.reputation_score,
    })
}

pub fn bids(
    deps: Deps,
    order_id: OrderId,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<BidsResponse, ContractError> {
    let order = load_order(deps.storage, deps.api, &order_id)?;
    let start = start_after
        .map(|a| deps.api.addr_validate(&a))
        .transpose()?;
    let list = BIDS
        .prefix(order.uid)
        .range(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            IterOrder::Ascending,
        )
        .take(page_size(limit))
        .map(|r| r.and_then(|(_, b)| bid_response(deps.storage, &order_id, b)))
        .collect::<StdResult<_>>()?;
    Ok(BidsResponse { bids: list })
}

pub fn bid(deps: Deps, id: BidId) -> Result<BidResponse, ContractError> {
    let order_id = id.order();
    let order = load_order(deps.storage, deps.api, &order_id)?;
    let provider = deps.api.addr_validate(&id.provider)?;
    let bid = BIDS
        .may_load(deps.storage, (order.uid, &provider))?
        .ok_or_else(|| ContractError::BidNotFound { id: id.to_string() })?;
    Ok(bid_response(deps.storage, &order_id, bid)?)
}

fn lease_response(storage: &dyn Storage, l: Lease) -> StdResult<LeaseResponse> {
    Ok(LeaseResponse {
        id: l.id(),
        state: l.state,
        price: Coin::new(l.price, l.denom.clone()),
        offer: BID_OFFERS.load(storage, (l.uid, &l.provider))?,
        created_at: l.created_at,
        settled_to: l.settled_to,
        total_paid: l.total_paid,
        debt: l.debt,
        insufficient_since: l.insufficient_since,
        closed_at: l.closed_at,
        close_reason: l.close_reason,
        attested_to: l.attested_to,
        attestations: l.attestations,
        missed_attestations: l.missed_attestations,
        manifest_received_at: l.manifest_received_at,
        unattested: l.unattested,
        held: l.held,
    })
}

pub fn lease(deps: Deps, id: LeaseId) -> Result<LeaseResponse, ContractError> {
    Ok(lease_response(
        deps.storage,
        load_lease(deps.storage, deps.api, &id)?,
    )?)
}

pub fn leases_by(
    deps: Deps,
    filter: LeaseFilter,
    start_after: Option<LeaseId>,
    limit: Option<u32>,
) -> Result<LeasesResponse, ContractError> {
    let start = match start_after {
        Some(id) => Some(Bound::exclusive(
            load_lease(deps.storage, deps.api, &id)?.uid,
        )),
        None => None,
    };
    let idx = &leases().idx;
    let range = match filter {
        LeaseFilter::Provider(a) => idx.provider.prefix(deps.api.addr_validate(&a)?).range(
            deps.storage,
            start,
            None,
            IterOrder::Ascending,
        ),
        LeaseFilter::Tenant(a) => idx.tenant.prefix(deps.api.addr_validate(&a)?).range(
            deps.storage,
            start,
            None,
            IterOrder::Ascending,
        ),
        LeaseFilter::State(s) => idx.state.prefix(lease_state_key(s)).range(
            deps.storage,
            start,
            None,
            IterOrder::Ascending,
        ),
    };
    let list = range
        .take(page_size(limit))
        .map(|r| r.and_then(|(_, l)| lease_response(deps.storage, l)))
        .collect::<StdResult<_>>()?;
    Ok(LeasesResponse { leases: list })
}

/// The escrow as of the current block: what is owed but not yet settled counts as spent, so
/// `funds_last_until` is when the tenant must have topped up.
pub fn escrow(
    deps: Deps,
    env: Env,
    owner: String,
    dseq: u64,
) -> Result<EscrowResponse, ContractError> {
    let now = env.block.time.seconds();
    let owner = deps.api.addr_validate(&owner)?;
    let d = load_deployment(deps.storage, &owner, dseq)?;
    let mut owed = Uint128::zero();
    for uid in &d.order_uids {
        if let Some(l) = leases().may_load(deps.storage, *uid)? {
            if l.state != LeaseState::Closed {
                let accrued = accrue(l.price, now.saturating_sub(l.settled_to), l.remainder)?;
                owed = owed.saturating_add(l.debt).saturating_add(accrued.owed);
            }
        }
    }
    let available = d.escrow.balance.saturating_sub(owed);
    Ok(EscrowResponse {
        id: DeploymentId::new(owner.as_str(), dseq),
        balance: Coin::new(d.escrow.balance, d.denom.clone()),
        rate_per_hour: d.escrow.drawing_rate,
        funds_last_until: funds_last_until(now, available, d.escrow.drawing_rate),
        total_deposited: d.escrow.total_deposited,
        total_spent: d.escrow.total_spent,
        as_of: now,
    })
}

pub fn attestations(
    deps: Deps,
    id: LeaseId,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<AttestationsResponse, ContractError> {
    let lease = load_lease(deps.storage, deps.api, &id)?;
    let list = ATTESTATIONS
        .prefix(lease.uid)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            IterOrder::Ascending,
        )
        .take(page_size(limit))
        .map(|r| {
            r.map(|(seq, a)| AttestationResponse {
                lease: id.clone(),
                seq,
                period_start: a.period_start,
                period_end: a.period_end,
                gpu_seconds: a.gpu_seconds,
                work_units: a.work_units,
                output_root: a.output_root,
                inventory_hash: a.inventory_hash,
                submitted_at_height: a.submitted_at_height,
                leaf_count: a.leaf_count,
                payment: a.payment,
                release_at: a.release_at,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(AttestationsResponse { attestations: list })
}

pub fn payments_pending(
    deps: Deps,
    env: Env,
    provider: String,
) -> Result<PaymentsPendingResponse, ContractError> {
    let addr = deps.api.addr_validate(&provider)?;
    let until = pending_until(deps.storage, &addr, env.block.time.seconds())?;
    Ok(PaymentsPendingResponse { provider, until })
}

pub fn quarantined(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<QuarantinedResponse, ContractError> {
    // Keys are (uid, queue); starting after (uid, "\u{10FFFF}") skips every queue of that uid.
    let start = start_after.map(|uid| Bound::exclusive((uid, "\u{10FFFF}")));
    let items = QUARANTINE
        .range(deps.storage, start, None, IterOrder::Ascending)
        .take(page_size(limit))
        .map(|r| {
            r.map(|((uid, queue), item)| QuarantinedItemResponse {
                uid,
                queue,
                due_at: item.due_at,
                failed_at: item.failed_at,
                error: item.error,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(QuarantinedResponse { items })
}
