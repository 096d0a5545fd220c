//! Read-only views, paginated.

use cosmwasm_std::{Coin, Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;
use tessera_api::governance::{
    GovernanceParams, PoolResponse, ProposalResponse, ProposalStatus, ProposalsResponse,
    StakeResponse, VoteResponse, VotesResponse, VotingPowerResponse,
};
use tessera_api::pagination::page_size;

use crate::actions::pool_balance;
use crate::error::ContractError;
use crate::proposal::load;
use crate::state::{Proposal, PARAMS, PROPOSALS, STAKES, TOTAL_STAKED, UNSTAKING, VOTES};

pub fn params(deps: Deps) -> StdResult<GovernanceParams> {
    PARAMS.load(deps.storage)
}

fn proposal_response(p: Proposal) -> ProposalResponse {
    ProposalResponse {
        id: p.id,
        proposer: p.proposer.into_string(),
        title: p.title,
        description: p.description,
        actions: p.actions,
        status: p.status,
        deposit: p.deposit,
        start_height: p.start_height,
        voting_ends_at: p.voting_ends_at,
        tally: p.tally,
        total_power: p.total_power,
        execution_error: p.execution_error,
    }
}

pub fn proposal(deps: Deps, id: u64) -> Result<ProposalResponse, ContractError> {
    Ok(proposal_response(load(deps.storage, id)?))
}

/// Proposals by id; with `status`, only those in it (scanning at most ten pages' worth).
pub fn proposals(
    deps: Deps,
    status: Option<ProposalStatus>,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<ProposalsResponse, ContractError> {
    let size = page_size(limit);
    let list = PROPOSALS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(size * 10)
        .filter(|r| {
            r.as_ref()
                .map_or(true, |(_, p)| status.is_none_or(|s| p.status == s))
        })
        .take(size)
        .map(|r| r.map(|(_, p)| proposal_response(p)))
        .collect::<StdResult<_>>()?;
    Ok(ProposalsResponse { proposals: list })
}

pub fn votes(
    deps: Deps,
    proposal_id: u64,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<VotesResponse, ContractError> {
    let start = start_after
        .map(|a| deps.api.addr_validate(&a))
        .transpose()?;
    let list = VOTES
        .prefix(proposal_id)
        .range(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_size(limit))
        .map(|r| {
            r.map(|(voter, b)| VoteResponse {
                voter: voter.into_string(),
                option: b.option,
                power: b.power,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(VotesResponse { votes: list })
}

pub fn voting_power(
    deps: Deps,
    env: Env,
    address: String,
    height: Option<u64>,
) -> Result<VotingPowerResponse, ContractError> {
    let addr = deps.api.addr_validate(&address)?;
    let height = height.unwrap_or(env.block.height);
    Ok(VotingPowerResponse {
        power: STAKES
            .may_load_at_height(deps.storage, &addr, height)?
            .unwrap_or_default(),
        total: TOTAL_STAKED
            .may_load_at_height(deps.storage, height)?
            .unwrap_or_default(),
        address,
        height,
    })
}

pub fn stake(deps: Deps, address: String) -> Result<StakeResponse, ContractError> {
    let addr = deps.api.addr_validate(&address)?;
    Ok(StakeResponse {
        staked: STAKES.may_load(deps.storage, &addr)?.unwrap_or_default(),
        unstaking: UNSTAKING.may_load(deps.storage, &addr)?.unwrap_or_default(),
        address,
    })
}

pub fn pool(deps: Deps, env: Env, denom: Option<String>) -> Result<PoolResponse, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let denom = denom.unwrap_or_else(|| params.denom.clone());
    let amount = pool_balance(deps, &env, &params, &denom)?;
    Ok(PoolResponse {
        balance: Coin::new(amount, denom),
    })
}
