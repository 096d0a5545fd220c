//! Escrow arithmetic: streaming a per-hour price by the second and splitting payouts. Pure
//! functions, so the edges (zero, maxima, rounding) are tested here once.

use cosmwasm_std::{Uint128, Uint256};
use tessera_api::market::{BPS_DENOMINATOR, SECONDS_PER_HOUR};
use tessera_api::CommonError;

use crate::error::ContractError;

/// What `elapsed` seconds at `price_per_hour` cost, with the fractional part carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accrual {
    /// Whole units owed.
    pub owed: Uint128,
    /// The part below one unit, in 1/3600 units; always `< 3600`.
    pub remainder: u64,
}

/// `(price × elapsed + carried) / 3600`, remainder kept. `carried` is the previous remainder.
pub fn accrue(
    price_per_hour: Uint128,
    elapsed: u64,
    carried: u64,
) -> Result<Accrual, ContractError> {
    let numerator = Uint256::from(price_per_hour)
        .checked_mul(Uint256::from(elapsed))
        .and_then(|n| n.checked_add(Uint256::from(carried)))
        .map_err(|_| CommonError::overflow("escrow accrual"))?;
    let hour = Uint256::from(SECONDS_PER_HOUR);
    let owed =
        Uint128::try_from(numerator / hour).map_err(|_| CommonError::overflow("escrow accrual"))?;
    let remainder = u64::try_from(
        Uint128::try_from(numerator % hour)
            .unwrap_or_default()
            .u128(),
    )
    .unwrap_or_default();
    Ok(Accrual { owed, remainder })
}

/// How one payout divides: the provider's share, and the network take split into burn and
/// community pool. The parts always sum to the payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PayoutSplit {
    pub provider: Uint128,
    pub burn: Uint128,
    pub community_pool: Uint128,
}

/// Fractions of a unit of take and of burn not yet paid, in 1/10000 units, carried per lease
/// so that many small payouts owe the same take as one large one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TakeCarry {
    pub take: u64,
    pub burn: u64,
}

/// `(value × bps + carried) / 10000`, with the new remainder.
fn share(value: Uint128, bps: u16, carried: u64) -> (Uint128, u64) {
    let bps = u128::from(bps.min(BPS_DENOMINATOR));
    let denominator = Uint256::from(u128::from(BPS_DENOMINATOR));
    let numerator = Uint256::from(value) * Uint256::from(bps) + Uint256::from(carried);
    // bps ≤ denominator and carried < denominator, so the quotient is at most `value`.
    let whole = Uint128::try_from(numerator / denominator)
        .unwrap_or(value)
        .min(value);
    let rest = Uint128::try_from(numerator % denominator).map_or(0, |r| r.u128());
    (whole, u64::try_from(rest).unwrap_or_default())
}

/// Splits `amount` by the take rate and the burn share of the take, carrying the fractions in
/// `carry`. Over a lease's life the take is exact to the unit, whatever the payout sizes.
pub fn split_payout(
    amount: Uint128,
    take_rate_bps: u16,
    burn_bps: u16,
    carry: &mut TakeCarry,
) -> PayoutSplit {
    let (take, take_rest) = share(amount, take_rate_bps, carry.take);
    let (burn, burn_rest) = share(take, burn_bps, carry.burn);
    carry.take = take_rest;
    carry.burn = burn_rest;
    PayoutSplit {
        provider: amount - take,
        burn,
        community_pool: take - burn,
    }
}

/// When `available` runs out at `rate_per_hour`, counted from `now`; `None` if nothing draws.
/// Rounds down: the answer is the last second that is fully paid for.
pub fn funds_last_until(now: u64, available: Uint128, rate_per_hour: Uint128) -> Option<u64> {
    if rate_per_hour.is_zero() {
        return None;
    }
    let seconds =
        Uint256::from(available) * Uint256::from(SECONDS_PER_HOUR) / Uint256::from(rate_per_hour);
    // Beyond u64 seconds the funds last forever in practice: saturate.
    let seconds = Uint128::try_from(seconds)
        .ok()
        .and_then(|s| u64::try_from(s.u128()).ok())
        .unwrap_or(u64::MAX);
    Some(now.saturating_add(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accrual_carries_the_fraction_so_nothing_is_lost() {
        // 1 unit per hour, charged one second at a time for an hour, pays exactly 1.
        let mut carried = 0;
        let mut paid = Uint128::zero();
        for _ in 0..SECONDS_PER_HOUR {
            let a = accrue(Uint128::one(), 1, carried).unwrap();
            paid += a.owed;
            carried = a.remainder;
        }
        assert_eq!(paid, Uint128::one());
        assert_eq!(carried, 0);
    }

    #[test]
    fn accrual_at_zero_and_at_the_limits() {
        assert_eq!(
            accrue(Uint128::zero(), u64::MAX, 0).unwrap(),
            Accrual {
                owed: Uint128::zero(),
                remainder: 0
            }
        );
        assert_eq!(
            accrue(Uint128::MAX, 0, 3599).unwrap(),
            Accrual {
                owed: Uint128::zero(),
                remainder: 3599
            }
        );
        assert_eq!(accrue(Uint128::MAX, 3600, 0).unwrap().owed, Uint128::MAX);
        assert_eq!(
            accrue(Uint128::MAX, 3601, 0).unwrap_err(),
            ContractError::from(CommonError::overflow("escrow accrual"))
        );
        // 7 × 1000 + 3599 = 10599 = 2 × 3600 + 3399.
        let a = accrue(Uint128::new(7), 1000, 3599).unwrap();
        assert_eq!(
            a,
            Accrual {
                owed: Uint128::new(2),
                remainder: 3399
            }
        );
    }

    #[test]
    fn payout_split_sums_to_the_payout() {
        for amount in [0u128, 1, 49, 50, 99, 10_000, 1_234_567, u128::MAX] {
            for (take, burn) in [(0, 0), (200, 5000), (10_000, 10_000), (1, 1), (9_999, 3)] {
                let mut carry = TakeCarry {
                    take: 9_999,
                    burn: 9_999,
                };
                let s = split_payout(Uint128::new(amount), take, burn, &mut carry);
                assert_eq!(
                    s.provider + s.burn + s.community_pool,
                    Uint128::new(amount),
                    "amount {amount} take {take} burn {burn}"
                );
                assert!(carry.take < 10_000 && carry.burn < 10_000);
            }
        }
        let s = split_payout(
            Uint128::new(1_000_000),
            200,
            5000,
            &mut TakeCarry::default(),
        );
        assert_eq!(s.provider, Uint128::new(980_000));
        assert_eq!(s.burn, Uint128::new(10_000));
        assert_eq!(s.community_pool, Uint128::new(10_000));
    }

    #[test]
    fn small_payouts_owe_the_same_take_as_one_large_payout() {
        let mut carry = TakeCarry::default();
        let mut total = PayoutSplit::default();
        for _ in 0..1000 {
            let s = split_payout(Uint128::new(49), 200, 5000, &mut carry);
            total.provider += s.provider;
            total.burn += s.burn;
            total.community_pool += s.community_pool;
        }
        let once = split_payout(Uint128::new(49_000), 200, 5000, &mut TakeCarry::default());
        assert_eq!(total, once);
    }

    #[test]
    fn funds_last_until_rounds_down_to_paid_seconds() {
        assert_eq!(
            funds_last_until(100, Uint128::new(10), Uint128::zero()),
            None
        );
        assert_eq!(
            funds_last_until(100, Uint128::new(1), Uint128::new(3600)),
            Some(101)
        );
        assert_eq!(
            funds_last_until(100, Uint128::new(1), Uint128::new(7200)),
            Some(100)
        );
        assert_eq!(
            funds_last_until(u64::MAX - 1, Uint128::MAX, Uint128::one()),
            Some(u64::MAX)
        );
    }
}
