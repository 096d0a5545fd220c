//! Entry points: they only dispatch to the handler of each message. Each is also the wasm
//! export, unless built with the `library` feature (tests, other contracts).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, Uint128,
};
use tessera_api::governance::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::state::{DEPOSITS_HELD, PARAMS, TOTAL_STAKED, TOTAL_UNSTAKING};
use crate::{params, proposal, query, staking};

pub const CONTRACT_NAME: &str = "crates.io:tessera-governance";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let params = params::validate(deps.api, msg.params)?;
    PARAMS.save(deps.storage, &params)?;
    TOTAL_STAKED.save(deps.storage, &Uint128::zero(), env.block.height)?;
    TOTAL_UNSTAKING.save(deps.storage, &Uint128::zero())?;
    DEPOSITS_HELD.save(deps.storage, &Uint128::zero())?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("denom", params.denom))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Stake {} => staking::execute_stake(deps, env, info),
        ExecuteMsg::Unstake { amount } => staking::execute_unstake(deps, env, info, amount),
        ExecuteMsg::Claim {} => staking::execute_claim(deps, env, info),
        ExecuteMsg::Propose {
            title,
            description,
            actions,
        } => proposal::execute_propose(deps, env, info, title, description, actions),
        ExecuteMsg::Vote {
            proposal_id,
            option,
        } => proposal::execute_vote(deps, env, info, proposal_id, option),
        ExecuteMsg::Execute { proposal_id } => {
            proposal::execute_execute(deps, env, info, proposal_id)
        }
        ExecuteMsg::RunActions { proposal_id } => {
            proposal::execute_run_actions(deps, env, info, proposal_id)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    proposal::reply(deps, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Params {} => to_json_binary(&query::params(deps)?)?,
        QueryMsg::Proposal { id } => to_json_binary(&query::proposal(deps, id)?)?,
        QueryMsg::Proposals {
            status,
            start_after,
            limit,
        } => to_json_binary(&query::proposals(deps, status, start_after, limit)?)?,
        QueryMsg::Votes {
            proposal_id,
            start_after,
            limit,
        } => to_json_binary(&query::votes(deps, proposal_id, start_after, limit)?)?,
        QueryMsg::VotingPower { address, height } => {
            to_json_binary(&query::voting_power(deps, env, address, height)?)?
        }
        QueryMsg::Stake { address } => to_json_binary(&query::stake(deps, address)?)?,
        QueryMsg::Pool { denom } => to_json_binary(&query::pool(deps, env, denom)?)?,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let previous =
        tessera_api::migration::ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", previous.to_string()))
}
