use cosmwasm_std::{MessageInfo, OverflowError, Uint128, Uint256};
use tessera_api::CommonError;
use thiserror::Error;

/// Everything the registry refuses, with the ids and limits involved in the message.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// Storage, validation and funds failures, worded as in every contract. The registry does
    /// not build `CommonError::Unauthorized`: its own [`ContractError::Unauthorized`] also names
    /// the sender.
    #[error(transparent)]
    Common(#[from] CommonError),

    #[error("{0}")]
    Overflow(#[from] OverflowError),

    #[error("{sender} may not {action}: only {allowed} may")]
    Unauthorized {
        sender: String,
        action: &'static str,
        allowed: &'static str,
    },

    #[error("provider {provider} is already registered")]
    AlreadyRegistered { provider: String },

    #[error("provider {provider} is not registered")]
    ProviderNotFound { provider: String },

    #[error("provider {provider} has {active} active leases; close them before deregistering")]
    ActiveLeases { provider: String, active: u64 },

    #[error("unbond amount must be more than zero")]
    ZeroUnbond {},

    #[error("provider {provider} cannot unbond {amount}: only {bond} is bonded")]
    InsufficientBond {
        provider: String,
        amount: Uint128,
        bond: Uint128,
    },

    #[error(
        "provider {provider} cannot {action}: the market holds its payments for dispute windows \
         open until {until} (unix seconds); its bond answers for them until then"
    )]
    PaymentsPending {
        provider: String,
        action: &'static str,
        until: u64,
    },

    #[error(
        "provider {provider} has {active_leases} active leases: {locked} of its bond {bond} stays \
         locked until they end"
    )]
    BondLocked {
        provider: String,
        active_leases: u64,
        locked: Uint128,
        bond: Uint128,
    },

    #[error(
        "provider {provider} has {entries} unbonding entries in flight, max {max}; \
         claim matured entries or wait before unbonding again"
    )]
    TooManyUnbondingEntries {
        provider: String,
        entries: usize,
        max: u32,
    },

    #[error("{address} has no matured unbonding entries to claim")]
    NothingToClaim { address: String },

    #[error("slash fraction {fraction_bps} bps is outside 1..={max}")]
    InvalidSlashFraction { fraction_bps: u16, max: u16 },

    #[error("{count} auditors given, max {max}")]
    TooManyAuditors { count: usize, max: usize },

    #[error("auditor {auditor} is listed more than once")]
    DuplicateAuditor { auditor: String },

    #[error("max_unbonding_entries {value} is outside 1..={max}")]
    InvalidMaxUnbondingEntries { value: u32, max: u32 },

    #[error("auditor {auditor} has signed no attributes of provider {provider}")]
    NothingSigned { auditor: String, provider: String },

    #[error("auditor {auditor} has not signed attribute {key:?} of provider {provider}")]
    AttributeNotSigned {
        auditor: String,
        provider: String,
        key: String,
    },

    #[error("amount {amount} does not fit in 128 bits")]
    AmountTooLarge { amount: Uint256 },
}

/// Who may send a restricted message, as [`ContractError::Unauthorized`] names them.
pub mod allowed {
    pub const AUTHORITY: &str = "the authority";
    pub const MARKET: &str = "the market";
    pub const MARKET_OR_AUTHORITY: &str = "the market or the authority";
    pub const AUDITOR: &str = "a current auditor";
}

impl ContractError {
    /// The sender of `info` may not `action`; only `allowed` (one of [`allowed`]) may.
    pub fn unauthorized(info: &MessageInfo, action: &'static str, allowed: &'static str) -> Self {
        Self::Unauthorized {
            sender: info.sender.to_string(),
            action,
            allowed,
        }
    }
}

tessera_api::impl_from_common_error!(ContractError);

#[cfg(test)]
mod tests {
    use cosmwasm_std::StdError;

    use super::*;

    #[test]
    fn errors_compare_by_variant_and_fields() {
        let a = ContractError::ActiveLeases {
            provider: "p".into(),
            active: 2,
        };
        assert_eq!(
            a,
            ContractError::ActiveLeases {
                provider: "p".into(),
                active: 2
            }
        );
        assert_ne!(
            a,
            ContractError::ActiveLeases {
                provider: "p".into(),
                active: 3
            }
        );
        assert_eq!(
            ContractError::from(StdError::msg("boom")),
            ContractError::from(StdError::msg("boom"))
        );
        assert_ne!(
            ContractError::from(StdError::msg("boom")),
            ContractError::from(StdError::msg("bang"))
        );
    }

    #[test]
    fn messages_name_the_provider_and_the_limit() {
        let err = ContractError::TooManyUnbondingEntries {
            provider: "prov".into(),
            entries: 7,
            max: 7,
        };
        assert_eq!(
            err.to_string(),
            "provider prov has 7 unbonding entries in flight, max 7; claim matured entries or \
             wait before unbonding again"
        );
    }
}
