//! Proposal actions: checked against their targets when proposed, turned into messages when a
//! proposal passes.

use cosmwasm_std::{to_json_binary, Addr, BankMsg, Coin, CosmosMsg, Deps, Env, Uint128, WasmMsg};
use tessera_api::governance::{GovernanceParams, ProposalAction};
use tessera_api::market::{
    ExecuteMsg as MarketExecuteMsg, MarketParams, QueryMsg as MarketQueryMsg,
};
use tessera_api::registry::{
    ExecuteMsg as RegistryExecuteMsg, QueryMsg as RegistryQueryMsg, RegistryParams,
};
use tessera_api::CommonError;

use crate::error::ContractError;
use crate::params;
use crate::pins;
use crate::state::{DEPOSITS_HELD, TOTAL_STAKED, TOTAL_UNSTAKING};

/// Checks every action the way its target will, so that a proposal that could never execute
/// is refused at submission with the target's own reason.
pub fn check(
    deps: Deps,
    env: &Env,
    gov: &GovernanceParams,
    actions: &[ProposalAction],
) -> Result<(), ContractError> {
    for (index, action) in actions.iter().enumerate() {
        check_one(deps, env, gov, action)
            .map_err(|reason| ContractError::ActionRejected { index, reason })?;
    }
    Ok(())
}

fn check_one(
    deps: Deps,
    env: &Env,
    gov: &GovernanceParams,
    action: &ProposalAction,
) -> Result<(), String> {
    let me = env.contract.address.as_str();
    match action {
        ProposalAction::UpdateMarketParams(update) => {
            let market = gov
                .market
                .as_deref()
                .ok_or("no market contract is configured")?;
            let current: MarketParams = deps
                .querier
                .query_wasm_smart(market, &MarketQueryMsg::Params {})
                .map_err(|e| format!("market params unreadable: {e}"))?;
            if current.authority != me {
                return Err(format!(
                    "governance is not the market's params authority ({})",
                    current.authority
                ));
            }
            tessera_market::params::validate(
                deps.api,
                tessera_market::params::apply(current, update.clone()),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        }
        ProposalAction::UpdateRegistryParams(update) => {
            let current = registry_params(deps, gov, me)?;
            tessera_registry::params::validate(
                deps.api,
                tessera_registry::params::apply(current, update.clone()),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        }
        ProposalAction::SlashProvider {
            provider,
            fraction_bps,
            reason,
        } => {
            registry_params(deps, gov, me)?;
            deps.api
                .addr_validate(provider)
                .map_err(|e| e.to_string())?;
            if *fraction_bps == 0 || *fraction_bps > 10_000 {
                return Err(format!(
                    "slash fraction_bps must be 1 to 10000, got {fraction_bps}"
                ));
            }
            if reason.trim().is_empty() {
                return Err("slash reason must not be empty".into());
            }
            tessera_api::validation::check_text(
                "slash reason",
                reason,
                tessera_api::validation::MAX_TEXT_LEN,
            )
            .map_err(|e| e.to_string())
        }
        ProposalAction::MigrateContract {
            contract,
            code_id,
            msg,
        } => {
            deps.api
                .addr_validate(contract)
                .map_err(|e| e.to_string())?;
            let info = deps
                .querier
                .query_wasm_contract_info(contract)
                .map_err(|e| format!("contract {contract} unreadable: {e}"))?;
            if info.admin.as_ref().map(Addr::as_str) != Some(me) {
                return Err(format!(
                    "governance is not the wasm admin of {contract} (admin: {})",
                    info.admin.map_or("none".to_string(), |a| a.to_string())
                ));
            }
            if *code_id == 0 {
                return Err("code_id must be positive".into());
            }
            cosmwasm_std::from_json::<serde::de::IgnoredAny>(msg)
                .map(|_| ())
                .map_err(|e| format!("migrate msg is not JSON: {e}"))
        }
        ProposalAction::SetAuditors { auditors } => {
            registry_params(deps, gov, me)?;
            tessera_registry::params::validate_auditors(deps.api, auditors)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        ProposalAction::CommunitySpend { recipient, amount } => {
            deps.api
                .addr_validate(recipient)
                .map_err(|e| e.to_string())?;
            let requested = to_uint128(amount).map_err(|e| e.to_string())?;
            if requested.is_zero() {
                return Err("the spend amount must be positive".into());
            }
            let available =
                pool_balance(deps, env, gov, &amount.denom).map_err(|e| e.to_string())?;
            if available < requested {
                return Err(ContractError::PoolTooSmall {
                    available,
                    requested,
                    denom: amount.denom.clone(),
                }
                .to_string());
            }
            Ok(())
        }
        ProposalAction::UpdateGovernanceParams(update) => {
            params::validate(deps.api, params::apply(gov.clone(), update.clone()))
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        ProposalAction::PinCodes { code_ids } | ProposalAction::UnpinCodes { code_ids } => {
            pins::check(deps, code_ids)
        }
    }
}

fn registry_params(deps: Deps, gov: &GovernanceParams, me: &str) -> Result<RegistryParams, String> {
    let registry = gov
        .registry
        .as_deref()
        .ok_or("no registry contract is configured")?;
    let current: RegistryParams = deps
        .querier
        .query_wasm_smart(registry, &RegistryQueryMsg::Params {})
        .map_err(|e| format!("registry params unreadable: {e}"))?;
    if current.authority != me {
        return Err(format!(
            "governance is not the registry's params authority ({})",
            current.authority
        ));
    }
    Ok(current)
}

/// The messages a passed proposal sends, and the governance params it sets (if it does).
/// Spends are re-checked against the pool now, since it may have shrunk since submission.
pub fn to_messages(
    deps: Deps,
    env: &Env,
    gov: &GovernanceParams,
    actions: &[ProposalAction],
) -> Result<(Vec<CosmosMsg>, Option<GovernanceParams>), ContractError> {
    let mut msgs = Vec::with_capacity(actions.len());
    let mut new_params = None;
    let mut spent: Vec<Coin> = vec![];
    for (index, action) in actions.iter().enumerate() {
        let target = |addr: &Option<String>, what: &str| {
            addr.clone().ok_or_else(|| ContractError::ActionRejected {
                index,
                reason: format!("no {what} contract is configured"),
            })
        };
        match action {
            ProposalAction::UpdateMarketParams(update) => msgs.push(
                WasmMsg::Execute {
                    contract_addr: target(&gov.market, "market")?,
                    msg: to_json_binary(&MarketExecuteMsg::UpdateParams(update.clone()))?,
                    funds: vec![],
                }
                .into(),
            ),
            ProposalAction::UpdateRegistryParams(update) => msgs.push(
                WasmMsg::Execute {
                    contract_addr: target(&gov.registry, "registry")?,
                    msg: to_json_binary(&RegistryExecuteMsg::UpdateParams(update.clone()))?,
                    funds: vec![],
                }
                .into(),
            ),
            ProposalAction::SlashProvider {
                provider,
                fraction_bps,
                reason,
            } => msgs.push(
                WasmMsg::Execute {
                    contract_addr: target(&gov.registry, "registry")?,
                    msg: to_json_binary(&RegistryExecuteMsg::Slash {
                        provider: provider.clone(),
                        fraction_bps: *fraction_bps,
                        reason: reason.clone(),
                    })?,
                    funds: vec![],
                }
                .into(),
            ),
            ProposalAction::MigrateContract {
                contract,
                code_id,
                msg,
            } => msgs.push(
                WasmMsg::Migrate {
                    contract_addr: contract.clone(),
                    new_code_id: *code_id,
                    msg: msg.clone(),
                }
                .into(),
            ),
            ProposalAction::SetAuditors { auditors } => msgs.push(
                WasmMsg::Execute {
                    contract_addr: target(&gov.registry, "registry")?,
                    msg: to_json_binary(&RegistryExecuteMsg::SetAuditors {
                        auditors: auditors.clone(),
                    })?,
                    funds: vec![],
                }
                .into(),
            ),
            ProposalAction::CommunitySpend { recipient, amount } => {
                let requested = to_uint128(amount)?;
                let already: Uint128 = spent
                    .iter()
                    .filter(|c| c.denom == amount.denom)
                    .map(|c| to_uint128(c).unwrap_or_default())
                    .sum();
                let available =
                    pool_balance(deps, env, gov, &amount.denom)?.saturating_sub(already);
                if available < requested {
                    return Err(ContractError::PoolTooSmall {
                        available,
                        requested,
                        denom: amount.denom.clone(),
                    });
                }
                spent.push(amount.clone());
                msgs.push(
                    BankMsg::Send {
                        to_address: deps.api.addr_validate(recipient)?.into_string(),
                        amount: vec![amount.clone()],
                    }
                    .into(),
                );
            }
            ProposalAction::PinCodes { code_ids } | ProposalAction::UnpinCodes { code_ids } => {
                let pin = matches!(action, ProposalAction::PinCodes { .. });
                msgs.push(pins::message(pin, env.contract.address.as_str(), code_ids));
            }
            ProposalAction::UpdateGovernanceParams(update) => {
                let base = new_params.clone().unwrap_or_else(|| gov.clone());
                new_params = Some(params::validate(
                    deps.api,
                    params::apply(base, update.clone()),
                )?);
            }
        }
    }
    Ok((msgs, new_params))
}

fn to_uint128(coin: &Coin) -> Result<Uint128, ContractError> {
    Uint128::try_from(coin.amount).map_err(|_| CommonError::overflow("coin amount").into())
}

/// The community pool in `denom`: the contract's balance less what it holds for stakers,
/// unstakers and open proposals' deposits.
pub fn pool_balance(
    deps: Deps,
    env: &Env,
    gov: &GovernanceParams,
    denom: &str,
) -> Result<Uint128, ContractError> {
    let held = deps.querier.query_balance(&env.contract.address, denom)?;
    let held = to_uint128(&held)?;
    if denom != gov.denom {
        return Ok(held);
    }
    Ok(held.saturating_sub(liabilities(deps)?))
}

/// What the contract owes in its own denom: stakes, unstaking entries and held deposits.
pub fn liabilities(deps: Deps) -> Result<Uint128, ContractError> {
    let staked = TOTAL_STAKED.may_load(deps.storage)?.unwrap_or_default();
    let unstaking = TOTAL_UNSTAKING.may_load(deps.storage)?.unwrap_or_default();
    let deposits = DEPOSITS_HELD.may_load(deps.storage)?.unwrap_or_default();
    Ok(staked + unstaking + deposits)
}

/// Whether `addr` is this contract.
pub fn is_self(env: &Env, addr: &Addr) -> bool {
    env.contract.address == *addr
}
