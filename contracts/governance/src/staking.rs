//! Staking for voting power: stake, unstake through an unstaking period, claim.

use cosmwasm_std::{Addr, BankMsg, Coin, DepsMut, Env, MessageInfo, Response, Storage, Uint128};
use tessera_api::governance::UnstakingEntry;
use tessera_api::CommonError;

use crate::error::ContractError;
use crate::state::{PARAMS, STAKES, TOTAL_STAKED, TOTAL_UNSTAKING, UNSTAKING};

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
    Uint128::try_from(coin.amount).map_err(|_| CommonError::overflow("coin amount").into())
}

fn change_stake(
    storage: &mut dyn Storage,
    height: u64,
    who: &Addr,
    add: Uint128,
    sub: Uint128,
) -> Result<Uint128, ContractError> {
    let staked = STAKES.may_load(storage, who)?.unwrap_or_default();
    if sub > staked {
        return Err(ContractError::InsufficientStake {
            requested: sub,
            staked,
        });
    }
    let new = staked + add - sub;
    STAKES.save(storage, who, &new, height)?;
    let total = TOTAL_STAKED.may_load(storage)?.unwrap_or_default() + add - sub;
    TOTAL_STAKED.save(storage, &total, height)?;
    Ok(new)
}

pub fn execute_stake(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let amount = paid_in(&info, &params.denom)?;
    let staked = change_stake(
        deps.storage,
        env.block.height,
        &info.sender,
        amount,
        Uint128::zero(),
    )?;
    Ok(Response::new()
        .add_attribute("action", "stake")
        .add_attribute("staker", info.sender)
        .add_attribute("amount", amount.to_string())
        .add_attribute("staked", staked.to_string()))
}

pub fn execute_unstake(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let params = PARAMS.load(deps.storage)?;
    let mut entries = UNSTAKING
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    if entries.len() >= params.max_unstaking_entries as usize {
        return Err(ContractError::TooManyUnstakingEntries {
            count: entries.len(),
            max: params.max_unstaking_entries,
        });
    }
    let staked = change_stake(
        deps.storage,
        env.block.height,
        &info.sender,
        Uint128::zero(),
        amount,
    )?;
    let release_at = env
        .block
        .time
        .seconds()
        .saturating_add(params.unstaking_period_secs);
    entries.push(UnstakingEntry { amount, release_at });
    UNSTAKING.save(deps.storage, &info.sender, &entries)?;
    TOTAL_UNSTAKING.update(deps.storage, |t| -> Result<_, ContractError> {
        Ok(t + amount)
    })?;
    Ok(Response::new()
        .add_attribute("action", "unstake")
        .add_attribute("staker", info.sender)
        .add_attribute("amount", amount.to_string())
        .add_attribute("staked", staked.to_string())
        .add_attribute("release_at", release_at.to_string()))
}

pub fn execute_claim(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let entries = UNSTAKING
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    let (matured, pending): (Vec<_>, Vec<_>) =
        entries.into_iter().partition(|e| e.release_at <= now);
    let amount: Uint128 = matured.iter().map(|e| e.amount).sum();
    if amount.is_zero() {
        return Err(ContractError::NothingToClaim {});
    }
    if pending.is_empty() {
        UNSTAKING.remove(deps.storage, &info.sender);
    } else {
        UNSTAKING.save(deps.storage, &info.sender, &pending)?;
    }
    TOTAL_UNSTAKING.update(deps.storage, |t| -> Result<_, ContractError> {
        Ok(t - amount)
    })?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: info.sender.to_string(),
            amount: vec![Coin::new(amount, params.denom)],
        })
        .add_attribute("action", "claim")
        .add_attribute("staker", info.sender)
        .add_attribute("amount", amount.to_string()))
}
