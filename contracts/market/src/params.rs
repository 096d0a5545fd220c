//! Market parameters: validation at instantiate and on every change, and the update handler
//! that only the params authority (governance) may call.

use std::collections::BTreeSet;

use cosmwasm_std::{Api, DepsMut, MessageInfo, Response};
use tessera_api::market::{
    validate_denom, DisputeParams, MarketParams, MarketParamsUpdate, BPS_DENOMINATOR,
    MAX_GROUPS_LIMIT,
};
use tessera_api::CommonError;

use crate::error::ContractError;
use crate::state::PARAMS;

/// Smallest hook budget accepted: below it a single heavy item (an auction with a full book of
/// bids) could not run in a block and the queues would never move.
pub const MIN_END_BLOCK_GAS_BUDGET: u64 = 1_000_000;

/// Most leaves sampled from one attestation: a reveal of this many proofs stays a small tx.
pub const MAX_SAMPLE_SIZE: u64 = 1_000;

fn invalid(reason: impl Into<String>) -> ContractError {
    CommonError::invalid_params(reason).into()
}

/// Checks every field and normalizes the addresses; the result is what gets stored.
pub fn validate(api: &dyn Api, mut p: MarketParams) -> Result<MarketParams, ContractError> {
    p.authority = api.addr_validate(&p.authority)?.into_string();
    p.registry = api.addr_validate(&p.registry)?.into_string();
    p.community_pool = api.addr_validate(&p.community_pool)?.into_string();
    if p.min_deposit.is_empty() {
        return Err(invalid("min_deposit must list at least one accepted denom"));
    }
    let mut denoms = BTreeSet::new();
    for coin in &p.min_deposit {
        validate_denom(&coin.denom)?;
        if !denoms.insert(coin.denom.as_str()) {
            return Err(invalid(format!("min_deposit lists {} twice", coin.denom)));
        }
        if coin.amount.is_zero() {
            return Err(invalid(format!(
                "min_deposit of {} must be positive",
                coin.denom
            )));
        }
    }
    validate_denom(&p.bid_min_deposit.denom)?;
    if p.bid_min_deposit.amount.is_zero() {
        return Err(invalid("bid_min_deposit must be positive"));
    }
    for (name, bps) in [("take_rate_bps", p.take_rate_bps), ("burn_bps", p.burn_bps)] {
        if bps > BPS_DENOMINATOR {
            return Err(invalid(format!("{name} is {bps}, max {BPS_DENOMINATOR}")));
        }
    }
    if p.max_bids_per_order == 0 {
        return Err(invalid("max_bids_per_order must be at least 1"));
    }
    if !(p.min_bid_window_secs >= 1
        && p.min_bid_window_secs <= p.bid_window_secs
        && p.bid_window_secs <= p.max_bid_window_secs)
    {
        return Err(invalid(format!(
            "bid windows must satisfy 1 <= min ({}) <= default ({}) <= max ({})",
            p.min_bid_window_secs, p.bid_window_secs, p.max_bid_window_secs
        )));
    }
    for (name, secs) in [
        ("grace_period_secs", p.grace_period_secs),
        ("manifest_timeout_secs", p.manifest_timeout_secs),
        ("attestation_interval_secs", p.attestation_interval_secs),
        ("settle_interval_secs", p.settle_interval_secs),
    ] {
        if secs == 0 {
            return Err(invalid(format!("{name} must be positive")));
        }
    }
    if p.max_groups == 0 || p.max_groups > MAX_GROUPS_LIMIT {
        return Err(invalid(format!(
            "max_groups is {}, must be 1 to {MAX_GROUPS_LIMIT}",
            p.max_groups
        )));
    }
    if p.max_end_block_items == 0 {
        return Err(invalid("max_end_block_items must be at least 1"));
    }
    if p.end_block_gas_budget < MIN_END_BLOCK_GAS_BUDGET {
        return Err(invalid(format!(
            "end_block_gas_budget is {}, min {MIN_END_BLOCK_GAS_BUDGET} (one heavy item)",
            p.end_block_gas_budget
        )));
    }
    validate_dispute(api, &mut p.dispute)?;
    Ok(p)
}

fn validate_dispute(api: &dyn Api, d: &mut DisputeParams) -> Result<(), ContractError> {
    if let Some(referee) = &d.referee {
        d.referee = Some(api.addr_validate(referee)?.into_string());
    }
    if d.window_secs == 0 {
        return Err(invalid("dispute.window_secs must be positive"));
    }
    validate_denom(&d.deposit.denom)?;
    if d.deposit.amount.is_zero() {
        return Err(invalid(
            "dispute.deposit must be positive (free disputes would be spam)",
        ));
    }
    if d.sample_size == 0 || d.sample_size > MAX_SAMPLE_SIZE {
        return Err(invalid(format!(
            "dispute.sample_size is {}, must be 1 to {MAX_SAMPLE_SIZE}",
            d.sample_size
        )));
    }
    if d.slash_multiplier == 0 {
        return Err(invalid("dispute.slash_multiplier must be at least 1"));
    }
    let awarded = u32::from(d.disputer_bps) + u32::from(d.tenant_bps);
    if awarded > u32::from(BPS_DENOMINATOR) {
        return Err(invalid(format!(
            "dispute.disputer_bps + dispute.tenant_bps is {awarded}, max {BPS_DENOMINATOR}"
        )));
    }
    Ok(())
}

/// `current` with the fields of `update` that are set.
pub fn apply(current: MarketParams, u: MarketParamsUpdate) -> MarketParams {
    MarketParams {
        authority: u.authority.unwrap_or(current.authority),
        registry: u.registry.unwrap_or(current.registry),
        community_pool: u.community_pool.unwrap_or(current.community_pool),
        min_deposit: u.min_deposit.unwrap_or(current.min_deposit),
        bid_min_deposit: u.bid_min_deposit.unwrap_or(current.bid_min_deposit),
        take_rate_bps: u.take_rate_bps.unwrap_or(current.take_rate_bps),
        burn_bps: u.burn_bps.unwrap_or(current.burn_bps),
        max_bids_per_order: u.max_bids_per_order.unwrap_or(current.max_bids_per_order),
        bid_window_secs: u.bid_window_secs.unwrap_or(current.bid_window_secs),
        min_bid_window_secs: u.min_bid_window_secs.unwrap_or(current.min_bid_window_secs),
        max_bid_window_secs: u.max_bid_window_secs.unwrap_or(current.max_bid_window_secs),
        grace_period_secs: u.grace_period_secs.unwrap_or(current.grace_period_secs),
        manifest_timeout_secs: u
            .manifest_timeout_secs
            .unwrap_or(current.manifest_timeout_secs),
        attestation_interval_secs: u
            .attestation_interval_secs
            .unwrap_or(current.attestation_interval_secs),
        settle_interval_secs: u
            .settle_interval_secs
            .unwrap_or(current.settle_interval_secs),
        max_groups: u.max_groups.unwrap_or(current.max_groups),
        max_end_block_items: u.max_end_block_items.unwrap_or(current.max_end_block_items),
        end_block_gas_budget: u
            .end_block_gas_budget
            .unwrap_or(current.end_block_gas_budget),
        dispute: u.dispute.unwrap_or(current.dispute),
    }
}

pub fn execute_update_params(
    deps: DepsMut,
    info: MessageInfo,
    update: MarketParamsUpdate,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let current = PARAMS.load(deps.storage)?;
    if info.sender.as_str() != current.authority {
        return Err(
            CommonError::unauthorized("changing market params", "the params authority").into(),
        );
    }
    let params = validate(deps.api, apply(current, update))?;
    PARAMS.save(deps.storage, &params)?;
    Ok(Response::new()
        .add_attribute("action", "update_params")
        .add_attribute("take_rate_bps", params.take_rate_bps.to_string())
        .add_attribute("burn_bps", params.burn_bps.to_string()))
}
