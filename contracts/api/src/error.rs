//! The failures the contracts share, written once so they read the same in every contract.
//!
//! Each contract's `ContractError` wraps [`CommonError`] in a transparent variant, so a shared
//! failure prints exactly what it prints here, whichever contract returns it:
//!
//! ```ignore
//! #[derive(thiserror::Error, Debug, PartialEq)]
//! pub enum ContractError {
//!     #[error(transparent)]
//!     Common(#[from] CommonError),
//!     // the contract's own failures
//! }
//! tessera_api::impl_from_common_error!(ContractError);
//! ```
//!
//! The market and governance use every variant; the registry uses `Std`, `Validation` and
//! `Payment` only, because its own `Unauthorized` also names the sender.

use cosmwasm_std::StdError;
use cw_utils::PaymentError;
use thiserror::Error;

use crate::validation::ValidationError;

/// A failure any contract can meet: storage, message validation, funds, sender, params.
#[derive(Error, Debug, PartialEq)]
pub enum CommonError {
    /// Storage and serialization failures, kept as their message. `StdError` has no
    /// `PartialEq`; its message starts with its kind (`kind: Parsing, error: …`), so comparing
    /// the text is as strict as comparing kind and message.
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

    #[error("arithmetic overflow in {what}")]
    Overflow { what: String },
}

impl From<StdError> for CommonError {
    fn from(error: StdError) -> Self {
        Self::Std(error.to_string())
    }
}

impl CommonError {
    /// `action` may only be done by `allowed`, which the sender is not.
    pub fn unauthorized(action: impl Into<String>, allowed: impl Into<String>) -> Self {
        Self::Unauthorized {
            action: action.into(),
            allowed: allowed.into(),
        }
    }

    pub fn invalid_params(reason: impl Into<String>) -> Self {
        Self::InvalidParams {
            reason: reason.into(),
        }
    }

    pub fn overflow(what: impl Into<String>) -> Self {
        Self::Overflow { what: what.into() }
    }
}

/// Implements `From<StdError>`, `From<ValidationError>` and `From<PaymentError>` for a contract
/// error that has a `#[from] CommonError` variant, so `?` converts them in one step (Rust does
/// not chain `From` impls, and a blanket impl would overlap the reflexive one).
#[macro_export]
macro_rules! impl_from_common_error {
    ($error:ty) => {
        impl ::core::convert::From<$crate::error::__private::StdError> for $error {
            // Out of line, as a contract's own `From` impl would be: inlined, the conversion
            // and the copy into the outer enum would be repeated at every `?`.
            #[inline(never)]
            fn from(error: $crate::error::__private::StdError) -> Self {
                Self::from($crate::error::CommonError::from(error))
            }
        }

        impl ::core::convert::From<$crate::validation::ValidationError> for $error {
            #[inline(never)]
            fn from(error: $crate::validation::ValidationError) -> Self {
                Self::from($crate::error::CommonError::from(error))
            }
        }

        impl ::core::convert::From<$crate::error::__private::PaymentError> for $error {
            #[inline(never)]
            fn from(error: $crate::error::__private::PaymentError) -> Self {
                Self::from($crate::error::CommonError::from(error))
            }
        }
    };
}

/// The paths [`impl_from_common_error`] names, so the crates that call it need not depend on
/// `cw-utils` under that exact name.
#[doc(hidden)]
pub mod __private {
    pub use cosmwasm_std::StdError;
    pub use cw_utils::PaymentError;
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::StdErrorKind;

    use super::*;

    #[test]
    fn messages_are_the_ones_the_contracts_always_gave() {
        assert_eq!(
            CommonError::unauthorized("closing a lease", "its tenant or its provider").to_string(),
            "unauthorized: closing a lease may only be done by its tenant or its provider"
        );
        assert_eq!(
            CommonError::invalid_params("min_deposit must be positive").to_string(),
            "invalid params: min_deposit must be positive"
        );
        assert_eq!(
            CommonError::WrongDenom {
                expected: "utsr".into(),
                got: "uatom".into()
            }
            .to_string(),
            "expected funds in utsr, got uatom"
        );
        assert_eq!(
            CommonError::overflow("escrow accrual").to_string(),
            "arithmetic overflow in escrow accrual"
        );
        assert_eq!(
            CommonError::from(PaymentError::NoFunds {}).to_string(),
            PaymentError::NoFunds {}.to_string()
        );
        assert_eq!(
            CommonError::from(ValidationError::new("denom", "must not be empty")).to_string(),
            "invalid denom: must not be empty"
        );
    }

    #[test]
    fn std_errors_keep_their_kind_in_the_message_and_compare_by_it() {
        let parsing = StdError::msg("bad id").with_kind(StdErrorKind::Parsing);
        assert_eq!(
            CommonError::from(parsing).to_string(),
            "kind: Parsing, error: bad id"
        );
        assert_eq!(
            CommonError::from(StdError::msg("boom")),
            CommonError::from(StdError::msg("boom"))
        );
        assert_ne!(
            CommonError::from(StdError::msg("boom")),
            CommonError::from(StdError::msg("boom").with_kind(StdErrorKind::Parsing))
        );
    }
}
