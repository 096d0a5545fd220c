//! Deployments: creation with one order per group, manifest updates, top-ups, and closing with
//! the refund of whatever the escrow still holds.

use std::collections::BTreeSet;

use cosmwasm_std::{Coin, DepsMut, Env, MessageInfo, Response, Storage, Uint128};
use tessera_api::market::{
    close_reason, validate_manifest_hash, BidState, DeploymentState, GroupSpec, LeaseState,
    MarketParams, OrderState,
};
use tessera_api::validation::check_sha256_hex;
use tessera_api::{CommonError, DeploymentId};

use crate::deployment_store::{finish_order, load_deployment, refund_escrow, save_deployment};
use crate::effects::Effects;
use crate::error::ContractError;
use crate::lease::{self, move_queue_entry, Closer};
use crate::params::MAX_SAMPLE_SIZE;
use crate::state::{
    create_order, leases, load_order_by_uid, next_order_uid, save_lease, save_order, Deployment,
    Escrow, Order, AUCTION_QUEUE, BIDS, DEPLOYMENTS, ORDER_UIDS, PARAMS,
};

fn ensure_active(deployment: &Deployment) -> Result<(), ContractError> {
    if deployment.state == DeploymentState::Closed {
        return Err(ContractError::DeploymentClosed {
            id: DeploymentId::new(deployment.owner.as_str(), deployment.dseq).to_string(),
        });
    }
    Ok(())
}

/// The single coin sent along, which must be in `denom`.
pub fn paid_in(info: &MessageInfo, denom: &str) -> Result<Uint128, ContractError> {
    let coin = cw_utils::one_coin(info)?;
    if coin.denom != denom {
        return Err(CommonError::WrongDenom {
            expected: denom.to_string(),
            got: coin.denom,
        }
        .into());
    }
    to_uint128(&coin)
}

pub fn to_uint128(coin: &Coin) -> Result<Uint128, ContractError> {
    Uint128::try_from(coin.amount).map_err(|_| CommonError::overflow("coin amount").into())
}

fn validate_groups(groups: &[GroupSpec], params: &MarketParams) -> Result<(), ContractError> {
    if groups.is_empty() || groups.len() > params.max_groups as usize {
        return Err(ContractError::GroupCount {
            got: groups.len(),
            max: params.max_groups,
        });
    }
    let mut names = BTreeSet::new();
    for group in groups {
        group.validate()?;
        if !names.insert(group.name.as_str()) {
            return Err(ContractError::DuplicateGroup {
                name: group.name.clone(),
            });
        }
    }
    Ok(())
}

/// What `create_deployment` asks for.
pub struct NewDeployment {
    pub dseq: Option<u64>,
    pub groups: Vec<GroupSpec>,
    pub manifest_hash: String,
    pub bid_window_secs: Option<u64>,
    pub sample_size: Option<u64>,
    pub secret_hash: Option<String>,
}

pub fn execute_create_deployment(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    new: NewDeployment,
) -> Result<Response, ContractError> {
    let NewDeployment {
        dseq,
        groups,
        manifest_hash,
        bid_window_secs,
        sample_size,
        secret_hash,
    } = new;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();

    let deposit = cw_utils::one_coin(&info)?;
    let min = params
        .min_deposit
        .iter()
        .find(|c| c.denom == deposit.denom)
        .ok_or_else(|| ContractError::DenomNotAccepted {
            denom: deposit.denom.clone(),
            accepted: params
                .min_deposit
                .iter()
                .map(|c| c.denom.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let amount = to_uint128(&deposit)?;
    let min_amount = to_uint128(min)?;
    if amount < min_amount {
        return Err(ContractError::DepositTooSmall {
            amount,
            min: min_amount,
            denom: deposit.denom,
        });
    }
    validate_groups(&groups, &params)?;
    validate_manifest_hash(&manifest_hash)?;
    if let Some(hash) = &secret_hash {
        check_sha256_hex("secret_hash", hash)?;
    }
    let bid_window_secs = bid_window_secs.unwrap_or(params.bid_window_secs);
    if !(params.min_bid_window_secs..=params.max_bid_window_secs).contains(&bid_window_secs) {
        return Err(ContractError::BidWindowOutOfBounds {
            secs: bid_window_secs,
            min: params.min_bid_window_secs,
            max: params.max_bid_window_secs,
        });
    }
    if let Some(k) = sample_size {
        let market_k = params.dispute.sample_size;
        if !(market_k..=MAX_SAMPLE_SIZE).contains(&k) {
            return Err(ContractError::SampleSizeOutOfBounds {
                k,
                min: market_k,
                max: MAX_SAMPLE_SIZE,
            });
        }
    }
    let dseq = dseq.unwrap_or(env.block.height);
    if dseq == 0 {
        return Err(ContractError::ZeroDseq {});
    }
    let owner = info.sender;
    if DEPLOYMENTS.has(deps.storage, (&owner, dseq)) {
        return Err(ContractError::DeploymentExists {
            id: DeploymentId::new(owner.as_str(), dseq).to_string(),
        });
    }

    let window_ends_at = now.saturating_add(bid_window_secs);
    let mut order_uids = Vec::with_capacity(groups.len());
    for (i, spec) in groups.into_iter().enumerate() {
        let uid = next_order_uid(deps.storage)?;
        let gseq = u32::try_from(i + 1).map_err(|_| CommonError::overflow("gseq"))?;
        let order = Order {
            uid,
            owner: owner.clone(),
            dseq,
            gseq,
            oseq: 1,
            state: OrderState::Open,
            spec,
            denom: deposit.denom.clone(),
            created_at: now,
            window_ends_at: Some(window_ends_at),
            bid_window_secs,
            open_bids: 0,
        };
        create_order(deps.storage, &order)?;
        ORDER_UIDS.save(deps.storage, (&owner, dseq, gseq), &uid)?;
        AUCTION_QUEUE.save(deps.storage, (window_ends_at, uid), &())?;
        order_uids.push(uid);
    }
    let live_orders =
        u32::try_from(order_uids.len()).map_err(|_| CommonError::overflow("orders"))?;
    let deployment = Deployment {
        owner: owner.clone(),
        dseq,
        state: DeploymentState::Active,
        manifest_hash,
        denom: deposit.denom.clone(),
        order_uids,
        live_orders,
        bid_window_secs,
        created_at: now,
        closed_at: None,
        sample_size,
        secret_hash,
        escrow: Escrow {
            balance: amount,
            total_deposited: amount,
            ..Escrow::default()
        },
    };
    save_deployment(deps.storage, &deployment)?;
    Ok(Response::new()
        .add_attribute("action", "create_deployment")
        .add_attribute("owner", owner)
        .add_attribute("dseq", dseq.to_string())
        .add_attribute("orders", live_orders.to_string())
        .add_attribute("deposit", deposit.to_string())
        .add_attribute("window_ends_at", window_ends_at.to_string()))
}

pub fn execute_update_manifest(
    deps: DepsMut,
    info: MessageInfo,
    dseq: u64,
    manifest_hash: String,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    validate_manifest_hash(&manifest_hash)?;
    let mut deployment = load_deployment(deps.storage, &info.sender, dseq)?;
    ensure_active(&deployment)?;
    deployment.manifest_hash = manifest_hash.clone();
    save_deployment(deps.storage, &deployment)?;
    Ok(Response::new()
        .add_attribute("action", "update_manifest")
        .add_attribute("owner", info.sender)
        .add_attribute("dseq", dseq.to_string())
        .add_attribute("manifest_hash", manifest_hash))
}

/// Tops up the escrow (anyone may) and resumes leases that were out of funds, paying their
/// debt first.
pub fn execute_deposit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    owner: String,
    dseq: u64,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let owner = deps.api.addr_validate(&owner)?;
    let mut deployment = load_deployment(deps.storage, &owner, dseq)?;
    ensure_active(&deployment)?;
    let amount = paid_in(&info, &deployment.denom)?;
    deployment.escrow.balance += amount;
    deployment.escrow.total_deposited += amount;

    let mut fx = Effects::default();
    let mut resumed = 0u32;
    for &uid in &deployment.order_uids.clone() {
        let Some(mut lease) = leases().may_load(deps.storage, uid)? else {
            continue;
        };
        if lease.state != LeaseState::InsufficientFunds {
            continue;
        }
        lease::settle(&mut lease, &mut deployment, &params, now, &mut fx)?;
        if lease.state == LeaseState::Active {
            resumed += 1;
        }
        lease::reschedule(deps.storage, &mut lease, &deployment, &params, now)?;
        save_lease(deps.storage, &lease, LeaseState::InsufficientFunds)?;
    }
    // Leases that keep drawing settle earlier if the new balance changes when funds run out.
    save_deployment(deps.storage, &deployment)?;
    Ok(fx.into_response(
        Response::new()
            .add_attribute("action", "deposit")
            .add_attribute(
                "deployment",
                DeploymentId::new(owner.as_str(), dseq).to_string(),
            )
            .add_attribute("depositor", info.sender)
            .add_attribute("amount", amount.to_string())
            .add_attribute("leases_resumed", resumed.to_string()),
    ))
}

pub fn execute_close_deployment(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    dseq: u64,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut deployment = load_deployment(deps.storage, &info.sender, dseq)?;
    ensure_active(&deployment)?;
    let refund = close_deployment(deps.storage, &mut deployment, &params, now)?;
    save_deployment(deps.storage, &deployment)?;
    Ok(refund.into_response(
        Response::new()
            .add_attribute("action", "close_deployment")
            .add_attribute("owner", info.sender)
            .add_attribute("dseq", dseq.to_string())
            .add_attribute("total_spent", deployment.escrow.total_spent.to_string()),
    ))
}

/// Closes every live order of the deployment (settling leases, refunding open bids) and
/// refunds the escrow. Work is bounded by `max_groups × max_bids_per_order`.
fn close_deployment(
    storage: &mut dyn Storage,
    deployment: &mut Deployment,
    params: &MarketParams,
    now: u64,
) -> Result<Effects, ContractError> {
    let mut fx = Effects::default();
    for &uid in &deployment.order_uids.clone() {
        let mut order = load_order_by_uid(storage, uid)?;
        let loaded = order.clone();
        match order.state {
            OrderState::Open => {
                refund_open_bids(storage, uid, &mut fx)?;
                move_queue_entry(
                    storage,
                    &AUCTION_QUEUE,
                    uid,
                    &mut order.window_ends_at,
                    None,
                )?;
                order.state = OrderState::Closed;
                order.open_bids = 0;
                save_order(storage, &order, &loaded)?;
                finish_order(deployment, now, &mut fx);
            }
            OrderState::Matched => {
                let mut lease = leases().load(storage, uid)?;
                lease::close(
                    storage,
                    &mut lease,
                    deployment,
                    Closer::Tenant,
                    close_reason::TENANT_CLOSED,
                    params,
                    now,
                    &mut fx,
                )?;
            }
            OrderState::Closed => {}
        }
    }
    // Every order was already closed: nothing above closed the deployment.
    if deployment.state == DeploymentState::Active {
        refund_escrow(deployment, now, &mut fx);
    }
    Ok(fx)
}

/// Marks all open bids of an order lost and queues their deposits back.
pub fn refund_open_bids(
    storage: &mut dyn Storage,
    order_uid: u64,
    fx: &mut Effects,
) -> Result<(), ContractError> {
    let open: Vec<_> = BIDS
        .prefix(order_uid)
        .range(storage, None, None, cosmwasm_std::Order::Ascending)
        .filter(|r| r.as_ref().map_or(true, |(_, b)| b.state == BidState::Open))
        .collect::<Result<_, _>>()?;
    for (provider, mut bid) in open {
        bid.state = BidState::Lost;
        fx.transfers
            .send(&provider, to_uint128(&bid.deposit)?, &bid.deposit.denom);
        BIDS.save(storage, (order_uid, &provider), &bid)?;
    }
    Ok(())
}
