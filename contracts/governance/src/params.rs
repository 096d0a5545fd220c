//! Governance parameters: validation and the update a passed proposal applies.

use cosmwasm_std::{Api, Decimal};
use tessera_api::governance::{GovernanceParams, GovernanceParamsUpdate};
use tessera_api::market::validate_denom;
use tessera_api::CommonError;

use crate::error::ContractError;

fn invalid(reason: impl Into<String>) -> ContractError {
    CommonError::invalid_params(reason).into()
}

pub fn validate(api: &dyn Api, mut p: GovernanceParams) -> Result<GovernanceParams, ContractError> {
    validate_denom(&p.denom)?;
    if p.min_deposit.is_zero() {
        return Err(invalid("min_deposit must be positive"));
    }
    if p.voting_period_secs == 0 {
        return Err(invalid("voting_period_secs must be positive"));
    }
    if p.unstaking_period_secs == 0 {
        return Err(invalid("unstaking_period_secs must be positive"));
    }
    for (name, share) in [
        ("quorum", p.quorum),
        ("threshold", p.threshold),
        ("veto_threshold", p.veto_threshold),
    ] {
        if share.is_zero() || share > Decimal::one() {
            return Err(invalid(format!("{name} must be in (0, 1], got {share}")));
        }
    }
    if p.max_unstaking_entries == 0 {
        return Err(invalid("max_unstaking_entries must be at least 1"));
    }
    if p.execution_window_secs == 0 {
        return Err(invalid("execution_window_secs must be positive"));
    }
    p.market = p
        .market
        .map(|a| api.addr_validate(&a).map(|a| a.into_string()))
        .transpose()?;
    p.registry = p
        .registry
        .map(|a| api.addr_validate(&a).map(|a| a.into_string()))
        .transpose()?;
    Ok(p)
}

/// `current` with the fields of `u` that are set.
pub fn apply(current: GovernanceParams, u: GovernanceParamsUpdate) -> GovernanceParams {
    GovernanceParams {
        denom: current.denom,
        min_deposit: u.min_deposit.unwrap_or(current.min_deposit),
        voting_period_secs: u.voting_period_secs.unwrap_or(current.voting_period_secs),
        unstaking_period_secs: u
            .unstaking_period_secs
            .unwrap_or(current.unstaking_period_secs),
        quorum: u.quorum.unwrap_or(current.quorum),
        threshold: u.threshold.unwrap_or(current.threshold),
        veto_threshold: u.veto_threshold.unwrap_or(current.veto_threshold),
        market: u.market.or(current.market),
        registry: u.registry.or(current.registry),
        max_unstaking_entries: u
            .max_unstaking_entries
            .unwrap_or(current.max_unstaking_entries),
        execution_window_secs: u
            .execution_window_secs
            .unwrap_or(current.execution_window_secs),
    }
}
