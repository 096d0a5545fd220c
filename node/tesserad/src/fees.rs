//! Fees: the validator's minimum gas price and the deduction of fees into the fee collector.
//!
//! Gas prices are decimals (`0.025utsr`) but the node uses no floats: a price is held as an
//! integer count of 10⁻¹⁸ units (the SDK's `LegacyDec` precision) and the required fee is
//! rounded up, as the SDK's `Ceil()` does.

use std::fmt;
use std::str::FromStr;

use tessera_store::StateWrite;

use crate::address::Address;
use crate::bank;
use crate::coin::{validate_denom, Coin, Coins};
use crate::error::TxError;
use crate::event::Event;

/// 10¹⁸: the fixed-point scale of gas prices.
const PRICE_SCALE: u128 = 1_000_000_000_000_000_000;
const PRICE_DECIMALS: usize = 18;

/// A price per unit of gas in one denom, in 10⁻¹⁸ units of that denom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub denom: String,
    pub atto_amount: u128,
}

impl FromStr for GasPrice {
    type Err = String;

    /// Parses `"0.025utsr"`, `"1utsr"`, `".5utsr"`: at most 18 decimals.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("gas price {s:?} has no denom"))?;
        let (number, denom) = s.split_at(split);
        validate_denom(denom)?;
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        if (int_part.is_empty() && frac_part.is_empty())
            || frac_part.contains('.')
            || frac_part.len() > PRICE_DECIMALS
        {
            return Err(format!("invalid gas price amount {number:?}"));
        }
        let parse = |digits: &str| -> Result<u128, String> {
            if digits.is_empty() {
                Ok(0)
            } else {
                digits
                    .parse::<u128>()
                    .map_err(|_| format!("invalid gas price amount {number:?}"))
            }
        };
        let frac_scaled = parse(frac_part)?
            * 10u128.pow(u32::try_from(PRICE_DECIMALS - frac_part.len()).unwrap_or(0));
        let atto_amount = parse(int_part)?
            .checked_mul(PRICE_SCALE)
            .and_then(|i| i.checked_add(frac_scaled))
            .ok_or_else(|| format!("gas price {number:?} is too large"))?;
        Ok(Self {
            denom: denom.to_string(),
            atto_amount,
        })
    }
}

impl fmt::Display for GasPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.atto_amount / PRICE_SCALE;
        let frac = self.atto_amount % PRICE_SCALE;
        if frac == 0 {
            write!(f, "{int}{}", self.denom)
        } else {
            let digits = format!("{frac:018}");
            write!(f, "{int}.{}{}", digits.trim_end_matches('0'), self.denom)
        }
    }
}

impl GasPrice {
    /// ceil(gas × price), saturating at `u128::MAX` (an unpayable fee, which is the right
    /// answer for an absurd price).
    pub fn fee_for(&self, gas: u64) -> u128 {
        let gas = u128::from(gas);
        let whole = self.atto_amount / PRICE_SCALE;
        let frac = self.atto_amount % PRICE_SCALE;
        // gas < 2^64 and frac < 10^18 < 2^60, so this product fits u128.
        let frac_product = gas * frac;
        let frac_fee =
            frac_product / PRICE_SCALE + u128::from(!frac_product.is_multiple_of(PRICE_SCALE));
        gas.checked_mul(whole)
            .and_then(|w| w.checked_add(frac_fee))
            .unwrap_or(u128::MAX)
    }
}

/// The fees `gas_limit` requires at `min_gas_prices`, zero amounts left out.
pub fn required_fees(min_gas_prices: &[GasPrice], gas_limit: u64) -> Vec<Coin> {
    min_gas_prices
        .iter()
        .map(|p| Coin::new(p.fee_for(gas_limit), p.denom.clone()))
        .filter(|c| c.amount > 0)
        .collect()
}

/// The CheckTx-only mempool filter: the fee must reach `gas_limit × price` in at least one of
/// the validator's accepted denoms (the SDK's `IsAnyGTE`). No prices, or all-zero prices,
/// accept anything.
pub fn check_min_gas_price(
    fee: &Coins,
    gas_limit: u64,
    min_gas_prices: &[GasPrice],
) -> Result<(), TxError> {
    let required = required_fees(min_gas_prices, gas_limit);
    if required.is_empty() || required.iter().any(|r| fee.amount_of(&r.denom) >= r.amount) {
        return Ok(());
    }
    let required_text = required
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(",");
    Err(TxError::insufficient_fee(format!(
        "insufficient fees; got: {fee} required: {required_text}"
    )))
}

/// The fee collector's address.
pub fn fee_collector() -> Address {
    Address::module(bank::FEE_COLLECTOR)
}

/// Moves the fee from `payer` to the fee collector, before any message runs, and returns the
/// events: the transfer's, then `tx {fee, fee_payer}` (emitted even for a zero fee, as the SDK
/// does).
pub fn deduct_fee(
    state: &mut dyn StateWrite,
    payer: &Address,
    fee: &Coins,
) -> Result<Vec<Event>, TxError> {
    let mut events = Vec::new();
    if !fee.is_empty() {
        // The SDK wraps the bank error once more, hence its doubled "insufficient funds".
        events = bank::send(state, payer, &fee_collector(), fee).map_err(|e| match e.code {
            crate::error::codes::INSUFFICIENT_FUNDS => TxError::insufficient_funds(e.log),
            _ => e,
        })?;
    }
    events.push(
        Event::new("tx")
            .attr("fee", fee.to_string())
            .attr("fee_payer", payer.to_string()),
    );
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_prices_parse_as_fixed_point_and_fees_round_up() {
        let p: GasPrice = "0.025utsr".parse().unwrap();
        assert_eq!(p.atto_amount, 25_000_000_000_000_000);
        assert_eq!(p.to_string(), "0.025utsr");
        assert_eq!(p.fee_for(200_000), 5000);
        assert_eq!(p.fee_for(1), 1, "0.025 rounds up to 1");
        assert_eq!("1utsr".parse::<GasPrice>().unwrap().fee_for(7), 7);
        assert!("utsr".parse::<GasPrice>().is_err());
        assert!("1.2.3utsr".parse::<GasPrice>().is_err());
        assert!("0.0000000000000000001utsr".parse::<GasPrice>().is_err());
        let huge = GasPrice {
            denom: "utsr".into(),
            atto_amount: u128::MAX,
        };
        assert_eq!(huge.fee_for(u64::MAX), u128::MAX);
    }

    #[test]
    fn a_fee_below_the_minimum_gas_price_is_refused_in_sdk_words() {
        let prices = vec!["0.025utsr".parse().unwrap()];
        let fee = Coins::new(vec![Coin::new(100, "utsr")]).unwrap();
        let err = check_min_gas_price(&fee, 200_000, &prices).unwrap_err();
        assert_eq!(err.code, 13);
        assert_eq!(
            err.log,
            "insufficient fees; got: 100utsr required: 5000utsr: insufficient fee"
        );
        assert!(check_min_gas_price(&fee, 4000, &prices).is_ok());
        assert!(check_min_gas_price(&Coins::empty(), 200_000, &[]).is_ok());
    }
}
