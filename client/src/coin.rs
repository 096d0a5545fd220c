//! Amounts as people type them: `5000000utsr`, `5tsr` (display units, 6 decimals), lists
//! separated by commas, and gas prices such as `0.025utsr`.

use std::str::FromStr;

use cosmwasm_std::{Coin, Decimal, Uint128};

use crate::error::{Error, Result};

/// The chain's base denom and its display form.
pub const BASE_DENOM: &str = "utsr";
pub const DISPLAY_DENOM: &str = "tsr";
const DISPLAY_DECIMALS: u32 = 6;

/// Parses `5000000utsr`, `5tsr` / `5TSR` / `1.25tsr` (converted to utsr), or another denom in
/// its base units (`100ibc/ABC`).
pub fn parse_coin(text: &str) -> Result<Coin> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| {
            Error::invalid(
                "amount",
                format!("{text:?} has no denom; write e.g. 5000000utsr or 5tsr"),
            )
        })?;
    let (number, denom) = text.split_at(split);
    if number.is_empty() {
        return Err(Error::invalid(
            "amount",
            format!("{text:?} does not start with a number; write e.g. 5000000utsr"),
        ));
    }
    if denom.eq_ignore_ascii_case(DISPLAY_DENOM) {
        let value = Decimal::from_str(number)
            .map_err(|e| Error::invalid("amount", format!("{text:?}: {e}")))?;
        let base = value
            .checked_mul(Decimal::from_ratio(10u128.pow(DISPLAY_DECIMALS), 1u128))
            .map_err(|_| Error::invalid("amount", format!("{text:?} is too large")))?;
        if !base.is_zero() && base.floor() != base {
            return Err(Error::invalid(
                "amount",
                format!("{text:?} has more than {DISPLAY_DECIMALS} decimals"),
            ));
        }
        return Ok(Coin::new(base.to_uint_floor(), BASE_DENOM));
    }
    tessera_api::market::validate_denom(denom)?;
    let amount = Uint128::from_str(number).map_err(|_| {
        Error::invalid(
            "amount",
            format!("{text:?}: amounts in {denom} are whole base units"),
        )
    })?;
    Ok(Coin::new(amount, denom))
}

/// A comma-separated list of coins; empty text is no coins.
pub fn parse_coins(text: &str) -> Result<Vec<Coin>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_coin)
        .collect()
}

/// A price per unit of gas, e.g. `0.025utsr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub amount: Decimal,
    pub denom: String,
}

impl FromStr for GasPrice {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, denom) = text.split_at(split);
        tessera_api::market::validate_denom(denom).map_err(|_| {
            Error::invalid(
                "gas price",
                format!("{text:?} needs a denom, e.g. 0.025utsr"),
            )
        })?;
        let amount = Decimal::from_str(number)
            .map_err(|e| Error::invalid("gas price", format!("{text:?}: {e}")))?;
        Ok(Self {
            amount,
            denom: denom.to_string(),
        })
    }
}

impl GasPrice {
    /// The fee for `gas`, rounded up so the node's minimum gas price is always met.
    pub fn fee_for(&self, gas: u64) -> Coin {
        Coin::new(Uint128::from(gas).mul_ceil(self.amount), self.denom.clone())
    }
}

/// `1500000utsr` → `1.5 TSR`; other denoms as they are.
pub fn display(coin: &Coin) -> String {
    if coin.denom != BASE_DENOM {
        return format!("{}{}", coin.amount, coin.denom);
    }
    let scale = 10u128.pow(DISPLAY_DECIMALS);
    let Ok(amount) = Uint128::try_from(coin.amount) else {
        return format!("{}{}", coin.amount, coin.denom);
    };
    let whole = amount.u128() / scale;
    let frac = amount.u128() % scale;
    if frac == 0 {
        format!("{whole} TSR")
    } else {
        let frac = format!("{frac:06}");
        format!("{whole}.{} TSR", frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coins_parse_in_base_and_display_units() {
        assert_eq!(
            parse_coin("5000000utsr").unwrap(),
            Coin::new(5_000_000u128, "utsr")
        );
        assert_eq!(
            parse_coin("5tsr").unwrap(),
            Coin::new(5_000_000u128, "utsr")
        );
        assert_eq!(
            parse_coin("1.25TSR").unwrap(),
            Coin::new(1_250_000u128, "utsr")
        );
        assert_eq!(
            parse_coin("7ibc/AB12").unwrap(),
            Coin::new(7u128, "ibc/AB12")
        );
        assert_eq!(parse_coins("1utsr, 2tsr").unwrap().len(), 2);
        assert!(parse_coins("").unwrap().is_empty());
    }

    #[test]
    fn malformed_amounts_say_what_is_wrong() {
        for (text, says) in [
            ("5000", "has no denom"),
            ("utsr", "does not start with a number"),
            ("1.5utsr", "whole base units"),
            ("0.0000001tsr", "more than 6 decimals"),
            ("5u", "not a valid denom"),
        ] {
            let err = parse_coin(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn fees_round_up_to_meet_the_minimum_gas_price() {
        let price: GasPrice = "0.025utsr".parse().unwrap();
        assert_eq!(price.fee_for(200_000), Coin::new(5_000u128, "utsr"));
        assert_eq!(price.fee_for(1), Coin::new(1u128, "utsr"));
        assert!("0.025".parse::<GasPrice>().is_err());
        assert!("abcutsr".parse::<GasPrice>().is_err());
    }

    #[test]
    fn base_amounts_display_in_tsr() {
        assert_eq!(display(&Coin::new(1_500_000u128, "utsr")), "1.5 TSR");
        assert_eq!(display(&Coin::new(5_000_000u128, "utsr")), "5 TSR");
        assert_eq!(display(&Coin::new(3u128, "foo")), "3foo");
    }
}
