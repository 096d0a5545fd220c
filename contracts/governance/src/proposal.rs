//! Proposals: submission with a deposit, voting with snapshotted power, and execution after
//! the voting period.

use cosmwasm_std::{
    from_json, to_json_binary, BankMsg, Coin, DepsMut, Env, MessageInfo, Reply, Response, SubMsg,
    Uint128, WasmMsg,
};
use tessera_api::governance::{
    validate_proposal_text, ExecuteMsg, ProposalAction, ProposalStatus, VoteOption,
};
use tessera_api::CommonError;

use crate::actions;
use crate::error::ContractError;
use crate::staking::paid_in;
use crate::state::{
    Ballot, Proposal, DEPOSITS_HELD, LAST_APPLIED_ID, LAST_PROPOSAL_ID, PARAMS, PROPOSALS, STAKES,
    TOTAL_STAKED, VOTES,
};
use crate::tally::{decide, Outcome};

/// Reply id of the submessage that runs a passed proposal's actions.
pub const REPLY_RUN_ACTIONS: u64 = 1;

pub fn load(storage: &dyn cosmwasm_std::Storage, id: u64) -> Result<Proposal, ContractError> {
    PROPOSALS
        .may_load(storage, id)?
        .ok_or(ContractError::ProposalNotFound { id })
}

pub fn execute_propose(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    title: String,
    description: String,
    actions: Vec<ProposalAction>,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let deposit = paid_in(&info, &params.denom)?;
    if deposit < params.min_deposit {
        return Err(ContractError::DepositTooSmall {
            amount: deposit,
            min: params.min_deposit,
        });
    }
    validate_proposal_text(&title, &description, actions.len())?;
    // The deposit is already in the contract's balance: count it as held before the actions
    // are checked, or it would look like community pool funds a spend could claim.
    DEPOSITS_HELD.update(deps.storage, |d| -> Result<_, ContractError> {
        Ok(d + deposit)
    })?;
    actions::check(deps.as_ref(), &env, &params, &actions)?;

    let id = LAST_PROPOSAL_ID.may_load(deps.storage)?.unwrap_or(0) + 1;
    LAST_PROPOSAL_ID.save(deps.storage, &id)?;
    // Power is read as of the start of this block: stake added in this block does not count.
    let start_height = env.block.height;
    let total_power = TOTAL_STAKED
        .may_load_at_height(deps.storage, start_height)?
        .unwrap_or_default();
    let voting_ends_at = env
        .block
        .time
        .seconds()
        .saturating_add(params.voting_period_secs);
    let proposal = Proposal {
        id,
        proposer: info.sender.clone(),
        title,
        description,
        actions,
        status: ProposalStatus::Open,
        deposit: Coin::new(deposit, params.denom.clone()),
        start_height,
        voting_ends_at,
        tally: Default::default(),
        total_power,
        execution_error: None,
    };
    PROPOSALS.save(deps.storage, id, &proposal)?;
    Ok(Response::new()
        .add_attribute("action", "propose")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("proposer", info.sender)
        .add_attribute("voting_ends_at", voting_ends_at.to_string()))
}

pub fn execute_vote(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    proposal_id: u64,
    option: VoteOption,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let mut proposal = load(deps.storage, proposal_id)?;
    if proposal.status != ProposalStatus::Open
        || env.block.time.seconds() >= proposal.voting_ends_at
    {
        return Err(ContractError::VotingClosed {
            id: proposal_id,
            ended_at: proposal.voting_ends_at,
        });
    }
    let power = STAKES
        .may_load_at_height(deps.storage, &info.sender, proposal.start_height)?
        .unwrap_or_default();
    if power.is_zero() {
        return Err(ContractError::NoVotingPower {
            voter: info.sender.to_string(),
            height: proposal.start_height,
        });
    }
    if let Some(previous) = VOTES.may_load(deps.storage, (proposal_id, &info.sender))? {
        *slot(&mut proposal.tally, previous.option) -= previous.power;
    }
    *slot(&mut proposal.tally, option) += power;
    VOTES.save(
        deps.storage,
        (proposal_id, &info.sender),
        &Ballot { option, power },
    )?;
    PROPOSALS.save(deps.storage, proposal_id, &proposal)?;
    Ok(Response::new()
        .add_attribute("action", "vote")
        .add_attribute("proposal_id", proposal_id.to_string())
        .add_attribute("voter", info.sender)
        .add_attribute("option", format!("{option:?}").to_ascii_lowercase())
        .add_attribute("power", power.to_string()))
}

fn slot(tally: &mut tessera_api::governance::Tally, option: VoteOption) -> &mut Uint128 {
    match option {
        VoteOption::Yes => &mut tally.yes,
        VoteOption::No => &mut tally.no,
        VoteOption::Abstain => &mut tally.abstain,
        VoteOption::NoWithVeto => &mut tally.no_with_veto,
    }
}

/// Anyone may decide a proposal once its voting period is over.
pub fn execute_execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    proposal_id: u64,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let mut proposal = load(deps.storage, proposal_id)?;
    if proposal.status != ProposalStatus::Open {
        return Err(ContractError::AlreadyDecided {
            id: proposal_id,
            status: format!("{:?}", proposal.status).to_ascii_lowercase(),
        });
    }
    if env.block.time.seconds() < proposal.voting_ends_at {
        return Err(ContractError::VotingOpen {
            id: proposal_id,
            ends_at: proposal.voting_ends_at,
        });
    }
    let deposit =
        Uint128::try_from(proposal.deposit.amount).map_err(|_| CommonError::overflow("deposit"))?;
    DEPOSITS_HELD.update(deps.storage, |d| -> Result<_, ContractError> {
        Ok(d.saturating_sub(deposit))
    })?;
    let outcome = decide(&proposal.tally, proposal.total_power, &params);
    let mut response = Response::new()
        .add_attribute("action", "execute")
        .add_attribute("proposal_id", proposal_id.to_string())
        .add_attribute("outcome", format!("{outcome:?}").to_ascii_lowercase());
    // The deposit goes back unless the proposal was vetoed, in which case it is burned.
    response = match outcome {
        Outcome::Vetoed => response.add_message(BankMsg::Burn {
            amount: vec![proposal.deposit.clone()],
        }),
        _ => response.add_message(BankMsg::Send {
            to_address: proposal.proposer.to_string(),
            amount: vec![proposal.deposit.clone()],
        }),
    };
    let now = env.block.time.seconds();
    let deadline = proposal
        .voting_ends_at
        .saturating_add(params.execution_window_secs);
    let newer_applied = LAST_APPLIED_ID
        .may_load(deps.storage)?
        .is_some_and(|last| last > proposal_id);
    let has_actions = !proposal.actions.is_empty();
    proposal.status = match outcome {
        Outcome::Vetoed => ProposalStatus::Vetoed,
        Outcome::Rejected => ProposalStatus::Rejected,
        Outcome::Passed if has_actions && now > deadline => ProposalStatus::Expired,
        Outcome::Passed if has_actions && newer_applied => ProposalStatus::Superseded,
        // A passed proposal stays executed only if its actions ran: the reply below turns it
        // into `ExecutionFailed` otherwise.
        Outcome::Passed => ProposalStatus::Executed,
    };
    response = response.add_attribute(
        "status",
        format!("{:?}", proposal.status).to_ascii_lowercase(),
    );
    PROPOSALS.save(deps.storage, proposal_id, &proposal)?;
    if proposal.status == ProposalStatus::Executed && has_actions {
        let run = WasmMsg::Execute {
            contract_addr: env.contract.address.to_string(),
            msg: to_json_binary(&ExecuteMsg::RunActions { proposal_id })?,
            funds: vec![],
        };
        response = response.add_submessage(
            SubMsg::reply_on_error(run, REPLY_RUN_ACTIONS)
                .with_payload(to_json_binary(&proposal_id)?),
        );
    }
    Ok(response)
}

/// Runs a passed proposal's actions. Only the contract itself calls this, as one submessage,
/// so that the actions apply all together or not at all.
pub fn execute_run_actions(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    proposal_id: u64,
) -> Result<Response, ContractError> {
    if !actions::is_self(&env, &info.sender) {
        return Err(CommonError::unauthorized(
            "running proposal actions",
            "the governance contract itself",
        )
        .into());
    }
    let params = PARAMS.load(deps.storage)?;
    let proposal = load(deps.storage, proposal_id)?;
    let (msgs, new_params) = actions::to_messages(deps.as_ref(), &env, &params, &proposal.actions)?;
    if let Some(new_params) = new_params {
        PARAMS.save(deps.storage, &new_params)?;
    }
    // Within the same atomic submessage as the actions: if they fail, this is undone too.
    LAST_APPLIED_ID.save(deps.storage, &proposal_id)?;
    Ok(Response::new()
        .add_attribute("action", "run_actions")
        .add_attribute("proposal_id", proposal_id.to_string())
        .add_messages(msgs))
}

/// A passed proposal's actions failed: nothing of them applied; record why.
pub fn reply(deps: DepsMut, msg: Reply) -> Result<Response, ContractError> {
    if msg.id != REPLY_RUN_ACTIONS {
        return Err(CommonError::Std(format!("unexpected reply id {}", msg.id)).into());
    }
    let proposal_id: u64 = from_json(&msg.payload)?;
    let error = match msg.result.into_result() {
        Err(error) => error,
        Ok(_) => return Ok(Response::new()),
    };
    let mut proposal = load(deps.storage, proposal_id)?;
    proposal.status = ProposalStatus::ExecutionFailed;
    proposal.execution_error = Some(error.clone());
    PROPOSALS.save(deps.storage, proposal_id, &proposal)?;
    Ok(Response::new()
        .add_attribute("action", "execution_failed")
        .add_attribute("proposal_id", proposal_id.to_string())
        .add_attribute("error", error))
}
