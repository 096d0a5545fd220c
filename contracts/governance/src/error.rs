use cosmwasm_std::{StdError, Uint128};
use cw_utils::PaymentError;
use tessera_api::ValidationError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// Storage and serialization failures (`StdError` is not `PartialEq`, so it is kept as
    /// its message).
    #[error("{0}")]
    Std(String),

    #[error("{0}")]
    Validation(#[from] ValidationError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("unauthorized: {action} may only be done by {allowed}")]
    Unauthorized { action: String, allowed: String },

    #[error("invalid params: {reason}")]
    InvalidParams { reason: String },

    #[error("expected funds in {expected}, got {got}")]
    WrongDenom { expected: String, got: String },

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

    #[error("arithmetic overflow in {what}")]
    Overflow { what: String },
}

impl From<StdError> for ContractError {
    fn from(error: StdError) -> Self {
        Self::Std(error.to_string())
    }
}

impl ContractError {
    pub fn unauthorized(action: impl Into<String>, allowed: impl Into<String>) -> Self {
        Self::Unauthorized {
            action: action.into(),
            allowed: allowed.into(),
        }
    }
}
