//! Moving a provider's bond: `bond`, `unbond` and `claim_unbonded`, and the unbonding entry a
//! deregistration leaves. The arithmetic (slashing, maturing, sums) is in [`crate::bond_math`].

use cosmwasm_std::{
    Addr, BankMsg, Coin, DepsMut, Env, MessageInfo, OverflowError, OverflowOperation, Response,
    Storage, Uint128, Uint256,
};
use tessera_api::registry::{RegistryParams, UnbondingEntry};

use crate::bond_math;
use crate::error::ContractError;
use crate::pending::ensure_no_payments_pending;
use crate::state::{
    load_provider, load_standing, load_unbonding, save_unbonding, Standing, PARAMS, PROVIDERS,
    STANDING, UNBONDING,
};
use crate::status_index::reindex;

/// Adds the attached funds to the sender's bond, and un-jails it once the bond is back at
/// `min_bond`.
pub fn execute_bond(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let mut provider = load_provider(deps.storage, &info.sender)?;
    let amount = to_u128(cw_utils::must_pay(&info, &params.bond_denom)?)?;
    provider.bond = provider.bond.checked_add(amount)?;
    let mut standing = load_standing(deps.storage, &info.sender)?;
    let unjailed = unjail_if_bonded(
        deps.storage,
        &params,
        &info.sender,
        provider.bond,
        &mut standing,
    )?;
    PROVIDERS.save(deps.storage, &info.sender, &provider)?;
    reindex(deps.storage, &info.sender)?;
    Ok(Response::new()
        .add_attribute("action", "bond")
        .add_attribute("provider", &info.sender)
        .add_attribute("amount", amount.to_string())
        .add_attribute("bond", provider.bond.to_string())
        .add_attribute("unjailed", unjailed.to_string())
        .add_attribute("active", provider.is_active(&params, &standing).to_string()))
}

pub fn execute_unbond(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let mut provider = load_provider(deps.storage, &info.sender)?;
    if amount.is_zero() {
        return Err(ContractError::ZeroUnbond {});
    }
    if amount > provider.bond {
        return Err(ContractError::InsufficientBond {
            provider: info.sender.to_string(),
            amount,
            bond: provider.bond,
        });
    }
    ensure_no_payments_pending(deps.as_ref(), &params, &info.sender, "unbond")?;
    let mut entries = load_unbonding(deps.storage, &info.sender)?;
    if entries.len() >= params.max_unbonding_entries as usize {
        return Err(ContractError::TooManyUnbondingEntries {
            provider: info.sender.to_string(),
            entries: entries.len(),
            max: params.max_unbonding_entries,
        });
    }
    // A provider running leases keeps `min_bond` bonded until they end: otherwise it could
    // unbond everything while serving and be out of reach of a slash once the period passed.
    let active_leases = load_standing(deps.storage, &info.sender)?
        .reputation
        .active_leases;
    let remaining = provider.bond.checked_sub(amount)?;
    if active_leases > 0 && remaining < params.min_bond {
        return Err(ContractError::BondLocked {
            provider: info.sender.to_string(),
            active_leases,
            locked: params.min_bond,
            bond: provider.bond,
        });
    }
    let release_at = release_time(&env, &params)?;
    provider.bond = remaining;
    entries.push(UnbondingEntry { amount, release_at });
    PROVIDERS.save(deps.storage, &info.sender, &provider)?;
    UNBONDING.save(deps.storage, &info.sender, &entries)?;
    reindex(deps.storage, &info.sender)?;
    Ok(Response::new()
        .add_attribute("action", "unbond")
        .add_attribute("provider", &info.sender)
        .add_attribute("amount", amount.to_string())
        .add_attribute("bond", provider.bond.to_string())
        .add_attribute("release_at", release_at.to_string()))
}

/// Pays out every matured entry. Open to any address with entries, registered or not: a
/// deregistered provider claims its bond this way.
pub fn execute_claim_unbonded(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let entries = load_unbonding(deps.storage, &info.sender)?;
    let (matured, locked) = bond_math::split_matured(entries, env.block.time.seconds())?;
    if matured.is_zero() {
        return Err(ContractError::NothingToClaim {
            address: info.sender.to_string(),
        });
    }
    let entries_left = locked.len();
    save_unbonding(deps.storage, &info.sender, locked)?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: info.sender.to_string(),
            amount: vec![Coin::new(matured, &params.bond_denom)],
        })
        .add_attribute("action", "claim_unbonded")
        .add_attribute("address", &info.sender)
        .add_attribute("amount", matured.to_string())
        .add_attribute("entries_left", entries_left.to_string()))
}

/// Queues the whole `amount` of a deregistering provider for release; returns the release time.
/// Never refused (that would leave the provider unable to leave), but never past
/// `max_unbonding_entries` + 1 either: when the list is full, the new amount joins its newest
/// entry, whose release moves to the new (later) time — a merge only ever delays funds, so
/// register/deregister cycles cannot grow the list that claims and slashes walk.
pub fn unbond_on_deregister(
    storage: &mut dyn Storage,
    env: &Env,
    params: &RegistryParams,
    provider: &Addr,
    amount: Uint128,
) -> Result<u64, ContractError> {
    let release_at = release_time(env, params)?;
    let mut entries = load_unbonding(storage, provider)?;
    let cap = params.max_unbonding_entries as usize + 1;
    let full = entries.len() >= cap;
    match entries.last_mut() {
        Some(newest) if full => {
            newest.amount = newest.amount.checked_add(amount)?;
            newest.release_at = newest.release_at.max(release_at);
        }
        _ => entries.push(UnbondingEntry { amount, release_at }),
    }
    UNBONDING.save(storage, provider, &entries)?;
    Ok(release_at)
}

/// Lifts the jail of `provider` when `bond` has reached `min_bond`, saving the standing if it
/// changed; says whether it did. Shared by `bond` and `register`, whose attached funds are a bond
/// like any other.
pub fn unjail_if_bonded(
    storage: &mut dyn Storage,
    params: &RegistryParams,
    provider: &Addr,
    bond: Uint128,
    standing: &mut Standing,
) -> Result<bool, ContractError> {
    let unjailed = standing.jailed && bond >= params.min_bond;
    if unjailed {
        standing.jailed = false;
        STANDING.save(storage, provider, standing)?;
    }
    Ok(unjailed)
}

/// Bank amounts are 256-bit in cosmwasm-std 3; a bond is 128-bit.
pub fn to_u128(amount: Uint256) -> Result<Uint128, ContractError> {
    Uint128::try_from(amount).map_err(|_| ContractError::AmountTooLarge { amount })
}

fn release_time(env: &Env, params: &RegistryParams) -> Result<u64, ContractError> {
    env.block
        .time
        .seconds()
        .checked_add(params.unbonding_period_secs)
        .ok_or_else(|| OverflowError::new(OverflowOperation::Add).into())
}
