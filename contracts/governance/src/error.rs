use cosmwasm_std::Uint128;
use tessera_api::CommonError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// Storage, validation, funds, sender and params failures, worded as in every contract.
    #[error(transparent)]
    Common(#[from] CommonError),

    #[error("amount must be positive")]
    ZeroAmount {},

    #[error("cannot unstake {requested}: only {staked} is staked")]
    InsufficientStake { requested: Uint128, staked: Uint128 },

    #[error("{count} unstaking entries are in flight, max {max}; claim matured ones first")]
    TooManyUnstakingEntries { count: usize, max: u32 },

    #[error("nothing to claim yet")]
    NothingToClaim {},

    #[error("deposit of {amount} is below the minimum of {min}")]
    DepositTooSmall { amount: Uint128, min: Uint128 },

    #[error("action {index} is refused by its target: {reason}")]
    ActionRejected { index: usize, reason: String },

    #[error("proposal {id} not found")]
    ProposalNotFound { id: u64 },

    #[error("voting on proposal {id} ended at {ended_at}")]
    VotingClosed { id: u64, ended_at: u64 },

    #[error("voting on proposal {id} is open until {ends_at}")]
    VotingOpen { id: u64, ends_at: u64 },

    #[error("proposal {id} was already decided ({status})")]
    AlreadyDecided { id: u64, status: String },

    #[error("{voter} had no voting power at height {height}")]
    NoVotingPower { voter: String, height: u64 },

    #[error("community pool holds {available}{denom}, the spend needs {requested}{denom}")]
    PoolTooSmall {
        available: Uint128,
        requested: Uint128,
        denom: String,
    },
}

tessera_api::impl_from_common_error!(ContractError);
