//! The bank as the wasm module needs it: the app implements [`Bank`] with its bank module, so
//! balances have one owner. Every call receives the state it must read or write (the block's
//! overlay, already metered for gas), never a copy.

use cosmwasm_std::{Coin, Event, Uint256};
use tessera_store::{StateRead, StateWrite};

use crate::error::WasmError;

pub use crate::error::BankError;

/// What the wasm module asks of the bank. Addresses are bech32 strings; coin lists are
/// normalized (sorted by denom, no duplicates, no zero amounts) before they get here.
///
/// `send` and `burn` return the bank's events (`coin_spent`, `coin_received`, `transfer`,
/// `burn`, …) so they appear in the transaction in wasmd's order. On error they must leave no
/// writes behind: the host discards the enclosing layer anyway, but a bank that fails halfway
/// inside one message would otherwise corrupt that message's own view.
pub trait Bank: Send + Sync {
    fn send(
        &self,
        state: &mut dyn StateWrite,
        from: &str,
        to: &str,
        coins: &[Coin],
    ) -> Result<Vec<Event>, BankError>;

    fn burn(
        &self,
        state: &mut dyn StateWrite,
        from: &str,
        coins: &[Coin],
    ) -> Result<Vec<Event>, BankError>;

    fn balance(&self, state: &dyn StateRead, address: &str, denom: &str)
        -> Result<Coin, BankError>;

    fn supply(&self, state: &dyn StateRead, denom: &str) -> Result<Coin, BankError>;

    /// A contract is being created at `address`, before any funds reach it. The app's auth
    /// module may create the contract's account here, or refuse when the address already
    /// belongs to an external account (wasmd's "contract account already exists").
    fn contract_created(
        &self,
        _state: &mut dyn StateWrite,
        _address: &str,
    ) -> Result<(), BankError> {
        Ok(())
    }
}

pub use tessera_api::denom::is_valid_denom as valid_denom;

/// Coins as the SDK's `Coins.Add` leaves them: merged by denom, zero amounts dropped, sorted by
/// denom. wasmd converts contract coins this way before any bank call.
pub fn normalize_coins(coins: &[Coin]) -> Result<Vec<Coin>, WasmError> {
    let mut merged: std::collections::BTreeMap<&str, Uint256> = Default::default();
    for c in coins {
        if !valid_denom(&c.denom) {
            return Err(WasmError::InvalidCoins(format!(
                "invalid denom: {}",
                c.denom
            )));
        }
        let sum = merged.entry(c.denom.as_str()).or_default();
        *sum = sum
            .checked_add(c.amount)
            .map_err(|_| WasmError::InvalidCoins(format!("amount of {} overflows", c.denom)))?;
    }
    Ok(merged
        .into_iter()
        .filter(|(_, amount)| !amount.is_zero())
        .map(|(denom, amount)| Coin::new(amount, denom))
        .collect())
}

/// Funds of a transaction message as the SDK's `Coins.IsValid` wants them: valid denoms,
/// positive amounts, sorted by denom without duplicates.
pub fn check_tx_funds(coins: &[Coin]) -> Result<(), WasmError> {
    for (i, c) in coins.iter().enumerate() {
        if !valid_denom(&c.denom) {
            return Err(WasmError::InvalidCoins(format!(
                "invalid denom: {}",
                c.denom
            )));
        }
        if c.amount.is_zero() {
            return Err(WasmError::InvalidCoins(format!(
                "coin {c} amount is not positive"
            )));
        }
        if i > 0 && coins[i - 1].denom >= c.denom {
            return Err(WasmError::InvalidCoins(format!(
                "denomination {} is not sorted or repeated",
                c.denom
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coins_are_merged_sorted_and_zero_free() {
        let got = normalize_coins(&[
            Coin::new(5u128, "utsr"),
            Coin::new(0u128, "uatom"),
            Coin::new(2u128, "abc"),
            Coin::new(1u128, "utsr"),
        ])
        .unwrap();
        assert_eq!(got, vec![Coin::new(2u128, "abc"), Coin::new(6u128, "utsr")]);
        assert!(normalize_coins(&[Coin::new(1u128, "")]).is_err());
        assert!(normalize_coins(&[Coin::new(1u128, "1abc")]).is_err());
    }

    #[test]
    fn transaction_funds_follow_the_sdk_rules() {
        assert!(check_tx_funds(&[Coin::new(1u128, "abc"), Coin::new(2u128, "utsr")]).is_ok());
        assert!(check_tx_funds(&[Coin::new(0u128, "utsr")]).is_err());
        assert!(check_tx_funds(&[Coin::new(1u128, "utsr"), Coin::new(1u128, "abc")]).is_err());
        assert!(check_tx_funds(&[Coin::new(1u128, "utsr"), Coin::new(1u128, "utsr")]).is_err());
        assert!(valid_denom(
            "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
        ));
        assert!(!valid_denom("ab"));
    }
}
