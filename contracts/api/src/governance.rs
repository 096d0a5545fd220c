//! Messages of the governance contract: stake-weighted proposals that change the market's and
//! registry's parameters, set auditors, spend the community pool, or just record text.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Coin, Decimal, Uint128};

use crate::market::MarketParamsUpdate;
use crate::registry::RegistryParamsUpdate;
use crate::validation::{check_text, ValidationError};

/// Longest proposal title and description.
pub const MAX_TITLE_LEN: usize = 140;
pub const MAX_DESCRIPTION_LEN: usize = 10_000;
/// Most actions in one proposal.
pub const MAX_ACTIONS: usize = 10;

#[cw_serde]
pub struct GovernanceParams {
    /// The token staked for voting power and paid as proposal deposits.
    pub denom: String,
    /// Deposit a proposal needs; refunded after the vote unless the proposal is vetoed.
    pub min_deposit: Uint128,
    pub voting_period_secs: u64,
    /// Seconds between `unstake` and the tokens being claimable.
    pub unstaking_period_secs: u64,
    /// Share of the voting power at the proposal's start that must vote.
    pub quorum: Decimal,
    /// Share of yes among yes + no + veto for a proposal to pass.
    pub threshold: Decimal,
    /// Share of veto among all votes that vetoes a proposal (its deposit is burned).
    pub veto_threshold: Decimal,
    /// Contracts whose params the proposals change; governance is their params authority.
    pub market: Option<String>,
    pub registry: Option<String>,
    /// Most unstaking entries one staker may have in flight.
    pub max_unstaking_entries: u32,
    /// How long after its voting period a passed proposal may still be executed; after that
    /// `execute` closes it as `expired` without running its actions, so an old decision cannot
    /// be applied at a moment nobody voted for.
    #[serde(default = "default_execution_window_secs")]
    pub execution_window_secs: u64,
}

/// Default [`GovernanceParams::execution_window_secs`]: one day.
pub const DEFAULT_EXECUTION_WINDOW_SECS: u64 = 24 * 3600;

fn default_execution_window_secs() -> u64 {
    DEFAULT_EXECUTION_WINDOW_SECS
}

/// A change of governance params: fields left out keep their value. Only a passed proposal
/// can apply one.
#[cw_serde]
#[derive(Default)]
pub struct GovernanceParamsUpdate {
    pub min_deposit: Option<Uint128>,
    pub voting_period_secs: Option<u64>,
    pub unstaking_period_secs: Option<u64>,
    pub quorum: Option<Decimal>,
    pub threshold: Option<Decimal>,
    pub veto_threshold: Option<Decimal>,
    pub market: Option<String>,
    pub registry: Option<String>,
    pub max_unstaking_entries: Option<u32>,
    pub execution_window_secs: Option<u64>,
}

#[cw_serde]
pub struct InstantiateMsg {
    pub params: GovernanceParams,
}

/// What a passed proposal does.
// Actions are deserialized one proposal at a time and never moved in bulk: the size of the
// market params variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[cw_serde]
pub enum ProposalAction {
    UpdateMarketParams(MarketParamsUpdate),
    UpdateRegistryParams(RegistryParamsUpdate),
    SetAuditors {
        auditors: Vec<String>,
    },
    /// Pay from the community pool.
    CommunitySpend {
        recipient: String,
        amount: Coin,
    },
    UpdateGovernanceParams(GovernanceParamsUpdate),
    /// Slash a provider's bond (bonded and unbonding) by `fraction_bps` to the community pool
    /// and jail it, for misconduct the market cannot see on its own.
    SlashProvider {
        provider: String,
        fraction_bps: u16,
        reason: String,
    },
    /// Migrate a contract whose wasm admin is the governance contract (market, registry and
    /// governance are, from genesis) to a stored code; `msg` is the contract's `migrate`
    /// message. The contract's own `migrate` refuses a downgrade (cw2 version check).
    MigrateContract {
        contract: String,
        code_id: u64,
        msg: cosmwasm_std::Binary,
    },
    /// Keep stored codes compiled in every node's memory, so that calls into them pay the
    /// pinned instance cost (2,000 gas instead of 60,000): wasmd's `MsgPinCodes`, which
    /// governance sends as the chain's wasm authority (`wasm.authority` in genesis).
    PinCodes {
        code_ids: Vec<u64>,
    },
    /// Undo `pin_codes`: wasmd's `MsgUnpinCodes`.
    UnpinCodes {
        code_ids: Vec<u64>,
    },
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum VoteOption {
    Yes,
    No,
    Abstain,
    NoWithVeto,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Stake the attached funds for voting power (counted from the next block).
    Stake {},
    /// Start unstaking; the tokens stop counting at once and are claimable after the period.
    Unstake { amount: Uint128 },
    /// Pay out matured unstaking entries.
    Claim {},
    /// Open a proposal; attach at least `min_deposit`. No actions = a text proposal.
    Propose {
        title: String,
        description: String,
        #[serde(default)]
        actions: Vec<ProposalAction>,
    },
    /// Vote with the power held when the proposal opened; a later vote replaces an earlier one.
    Vote {
        proposal_id: u64,
        option: VoteOption,
    },
    /// After the voting period: tally, settle the deposit and, if passed, run the actions.
    Execute { proposal_id: u64 },
    /// Internal: runs a passed proposal's actions as one unit; only the contract may call it.
    RunActions { proposal_id: u64 },
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum ProposalStatus {
    /// Voting is open (or over, waiting for `execute`).
    Open,
    Rejected,
    /// Vetoed: the deposit was burned.
    Vetoed,
    /// Passed and its actions ran.
    Executed,
    /// Passed but an action failed; nothing of it was applied. The error is recorded.
    ExecutionFailed,
    /// Passed, but `execute` came after the execution window: its actions never ran.
    Expired,
    /// Passed, but a later proposal's actions had already run: applying this one would undo
    /// a newer decision, so its actions never ran. Proposals apply in id order.
    Superseded,
}

#[cw_serde]
#[derive(Default, Copy, Eq)]
pub struct Tally {
    pub yes: Uint128,
    pub no: Uint128,
    pub abstain: Uint128,
    pub no_with_veto: Uint128,
}

impl Tally {
    pub fn total(&self) -> Uint128 {
        self.yes + self.no + self.abstain + self.no_with_veto
    }
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(GovernanceParams)]
    Params {},
    #[returns(ProposalResponse)]
    Proposal { id: u64 },
    #[returns(ProposalsResponse)]
    Proposals {
        status: Option<ProposalStatus>,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(VotesResponse)]
    Votes {
        proposal_id: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Voting power at the start of block `height` (the current block when unset).
    #[returns(VotingPowerResponse)]
    VotingPower {
        address: String,
        height: Option<u64>,
    },
    #[returns(StakeResponse)]
    Stake { address: String },
    /// The community pool in `denom` (the staking denom by default): what the contract holds
    /// beyond stakes, unstaking entries and open proposals' deposits.
    #[returns(PoolResponse)]
    Pool { denom: Option<String> },
}

#[cw_serde]
pub struct ProposalResponse {
    pub id: u64,
    pub proposer: String,
    pub title: String,
    pub description: String,
    pub actions: Vec<ProposalAction>,
    pub status: ProposalStatus,
    pub deposit: Coin,
    /// Voting power is read as of this height.
    pub start_height: u64,
    pub voting_ends_at: u64,
    pub tally: Tally,
    /// Total voting power at `start_height`: the quorum's base.
    pub total_power: Uint128,
    /// Why execution failed, when it did.
    pub execution_error: Option<String>,
}

#[cw_serde]
pub struct ProposalsResponse {
    pub proposals: Vec<ProposalResponse>,
}

#[cw_serde]
pub struct VoteResponse {
    pub voter: String,
    pub option: VoteOption,
    pub power: Uint128,
}

#[cw_serde]
pub struct VotesResponse {
    pub votes: Vec<VoteResponse>,
}

#[cw_serde]
pub struct VotingPowerResponse {
    pub address: String,
    pub height: u64,
    pub power: Uint128,
    pub total: Uint128,
}

#[cw_serde]
pub struct UnstakingEntry {
    pub amount: Uint128,
    pub release_at: u64,
}

#[cw_serde]
pub struct StakeResponse {
    pub address: String,
    pub staked: Uint128,
    pub unstaking: Vec<UnstakingEntry>,
}

#[cw_serde]
pub struct PoolResponse {
    pub balance: Coin,
}

#[cw_serde]
pub struct MigrateMsg {}

/// Checks a proposal's text fields and action count.
pub fn validate_proposal_text(
    title: &str,
    description: &str,
    actions: usize,
) -> Result<(), ValidationError> {
    if title.trim().is_empty() {
        return Err(ValidationError::new("title", "must not be empty"));
    }
    check_text("title", title, MAX_TITLE_LEN)?;
    if description.len() > MAX_DESCRIPTION_LEN {
        return Err(ValidationError::new(
            "description",
            format!(
                "is {} bytes long, max {MAX_DESCRIPTION_LEN}",
                description.len()
            ),
        ));
    }
    if actions > MAX_ACTIONS {
        return Err(ValidationError::new(
            "actions",
            format!("has {actions} actions, max {MAX_ACTIONS}"),
        ));
    }
    Ok(())
}
