//! Coins: a denom and an unsigned amount.
//!
//! The SDK's amounts are 256-bit integers; Tessera's are `u128`, the width of CosmWasm's
//! `Uint128` that the contracts use, and an amount that does not fit is rejected as invalid.

use std::fmt;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

/// One coin. Inside a [`Coins`] its amount is positive.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Coin {
    pub denom: String,
    pub amount: u128,
}

impl Coin {
    pub fn new(amount: u128, denom: impl Into<String>) -> Self {
        Self {
            denom: denom.into(),
            amount,
        }
    }

    pub fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// A set of coins: sorted by denom, one entry per denom, every amount positive. The empty set
/// is valid (a zero fee).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Coins(Vec<Coin>);

impl Coins {
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// Builds a set from coins that must already satisfy the invariants.
    pub fn new(coins: Vec<Coin>) -> Result<Self, String> {
        for coin in &coins {
            validate_denom(&coin.denom)?;
            if coin.amount == 0 {
                return Err(format!("coin {coin} amount is not positive"));
            }
        }
        check_sorted_unique(&coins)?;
        Ok(Self(coins))
    }

    /// Parses proto coins strictly: amounts must be positive decimal integers that fit `u128`.
    pub fn from_proto(coins: &[ProtoCoin]) -> Result<Self, String> {
        let parsed = coins
            .iter()
            .map(parse_proto_coin)
            .collect::<Result<_, _>>()?;
        Self::new(parsed)
    }

    /// Parses proto coins and drops zero amounts: clients send a `0utsr` fee when the gas price
    /// is zero, and the SDK treats such a fee as no fee.
    pub fn from_proto_dropping_zeros(coins: &[ProtoCoin]) -> Result<Self, String> {
        let parsed: Vec<Coin> = coins
            .iter()
            .map(parse_proto_coin)
            .collect::<Result<_, _>>()?;
        // Order and uniqueness are judged on what the client sent, zeros included.
        check_sorted_unique(&parsed)?;
        Self::new(parsed.into_iter().filter(|c| c.amount > 0).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Coin> {
        self.0.iter()
    }

    pub fn amount_of(&self, denom: &str) -> u128 {
        self.0
            .iter()
            .find(|c| c.denom == denom)
            .map_or(0, |c| c.amount)
    }

    pub fn to_proto(&self) -> Vec<ProtoCoin> {
        self.0.iter().map(Coin::to_proto).collect()
    }

    pub fn into_vec(self) -> Vec<Coin> {
        self.0
    }
}

impl fmt::Display for Coins {
    /// The SDK's `Coins.String()`: `"5utsr,7uxyz"`, empty for no coins.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, coin) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{coin}")?;
        }
        Ok(())
    }
}

fn check_sorted_unique(coins: &[Coin]) -> Result<(), String> {
    for pair in coins.windows(2) {
        match pair[0].denom.cmp(&pair[1].denom) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => {
                return Err(format!("duplicate denomination {}", pair[1].denom))
            }
            std::cmp::Ordering::Greater => {
                return Err(format!("denomination {} is not sorted", pair[1].denom))
            }
        }
    }
    Ok(())
}

fn parse_proto_coin(coin: &ProtoCoin) -> Result<Coin, String> {
    validate_denom(&coin.denom)?;
    let amount = parse_amount(&coin.amount)
        .ok_or_else(|| format!("invalid amount {:?} for denom {}", coin.amount, coin.denom))?;
    Ok(Coin::new(amount, coin.denom.clone()))
}

/// A non-negative decimal integer that fits `u128`; signs, spaces and empty strings are refused.
pub fn parse_amount(s: &str) -> Option<u128> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The SDK's default denom rule ([`tessera_vm::bank::valid_denom`], one rule for the node,
/// the VM and the contracts).
pub fn validate_denom(denom: &str) -> Result<(), String> {
    if tessera_vm::bank::valid_denom(denom) {
        Ok(())
    } else {
        Err(format!("invalid denom: {denom}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pc(amount: &str, denom: &str) -> ProtoCoin {
        ProtoCoin {
            denom: denom.into(),
            amount: amount.into(),
        }
    }

    #[test]
    fn coins_must_be_positive_sorted_unique_and_well_named() {
        assert!(Coins::from_proto(&[pc("1", "abc"), pc("2", "utsr")]).is_ok());
        assert_eq!(
            Coins::from_proto(&[pc("0", "utsr")]).unwrap_err(),
            "coin 0utsr amount is not positive"
        );
        assert_eq!(
            Coins::from_proto(&[pc("1", "utsr"), pc("1", "abc")]).unwrap_err(),
            "denomination abc is not sorted"
        );
        assert_eq!(
            Coins::from_proto(&[pc("1", "utsr"), pc("1", "utsr")]).unwrap_err(),
            "duplicate denomination utsr"
        );
        assert_eq!(
            Coins::from_proto(&[pc("1", "1x")]).unwrap_err(),
            "invalid denom: 1x"
        );
        assert!(Coins::from_proto(&[pc("-1", "utsr")]).is_err());
        assert!(
            Coins::from_proto(&[pc("340282366920938463463374607431768211456", "utsr")]).is_err()
        );
    }

    #[test]
    fn zero_fee_coins_are_dropped_but_still_validated() {
        let coins = Coins::from_proto_dropping_zeros(&[pc("0", "utsr")]).unwrap();
        assert!(coins.is_empty());
        assert!(Coins::from_proto_dropping_zeros(&[pc("0", "u")]).is_err());
        assert!(Coins::from_proto_dropping_zeros(&[pc("0", "utsr"), pc("0", "abc")]).is_err());
    }

    #[test]
    fn coins_print_like_the_sdk() {
        let c = Coins::new(vec![Coin::new(5, "abc"), Coin::new(7, "utsr")]).unwrap();
        assert_eq!(c.to_string(), "5abc,7utsr");
        assert_eq!(Coins::empty().to_string(), "");
    }
}
