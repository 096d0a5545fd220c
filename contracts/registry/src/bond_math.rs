//! Bond arithmetic kept apart from storage so its edges can be tested directly.

use cosmwasm_std::{StdError, Uint128};
use tessera_api::registry::UnbondingEntry;

use crate::error::ContractError;

/// Basis points in a whole: a slash of `BPS_WHOLE` takes everything.
pub const BPS_WHOLE: u16 = 10_000;

/// `floor(amount × fraction_bps / 10000)`: rounding down leaves the remainder with the provider,
/// so a slash never takes more than the stated fraction.
pub fn fraction_of(amount: Uint128, fraction_bps: u16) -> Result<Uint128, ContractError> {
    amount
        .checked_multiply_ratio(fraction_bps, BPS_WHOLE)
        .map_err(|e| StdError::from(e).into())
}

/// What a slash takes and leaves.
#[derive(Debug, Clone, PartialEq)]
pub struct SlashOutcome {
    pub bond_slashed: Uint128,
    pub unbonding_slashed: Uint128,
    pub bond_left: Uint128,
    /// Entries after the slash; those slashed to zero are dropped.
    pub entries_left: Vec<UnbondingEntry>,
}

impl SlashOutcome {
    pub fn total(&self) -> Result<Uint128, ContractError> {
        Ok(self.bond_slashed.checked_add(self.unbonding_slashed)?)
    }
}

/// Takes `fraction_bps` of the bond and of each unbonding entry (each rounded down on its own).
pub fn slash(
    bond: Uint128,
    entries: &[UnbondingEntry],
    fraction_bps: u16,
) -> Result<SlashOutcome, ContractError> {
    if fraction_bps == 0 || fraction_bps > BPS_WHOLE {
        return Err(ContractError::InvalidSlashFraction {
            fraction_bps,
            max: BPS_WHOLE,
        });
    }
    let bond_slashed = fraction_of(bond, fraction_bps)?;
    let bond_left = bond.checked_sub(bond_slashed)?;
    let mut unbonding_slashed = Uint128::zero();
    let mut entries_left = Vec::with_capacity(entries.len());
    for entry in entries {
        let cut = fraction_of(entry.amount, fraction_bps)?;
        unbonding_slashed = unbonding_slashed.checked_add(cut)?;
        let amount = entry.amount.checked_sub(cut)?;
        if !amount.is_zero() {
            entries_left.push(UnbondingEntry {
                amount,
                release_at: entry.release_at,
            });
        }
    }
    Ok(SlashOutcome {
        bond_slashed,
        unbonding_slashed,
        bond_left,
        entries_left,
    })
}

/// Takes `amount` from the bond, then from the entries released last first (an unbond started
/// to escape a pending dispute is the first to go), or everything when they hold less.
pub fn take(
    bond: Uint128,
    entries: &[UnbondingEntry],
    amount: Uint128,
) -> Result<SlashOutcome, ContractError> {
    let bond_slashed = bond.min(amount);
    let mut wanted = amount.checked_sub(bond_slashed)?;
    let mut unbonding_slashed = Uint128::zero();
    let mut by_release: Vec<&UnbondingEntry> = entries.iter().collect();
    by_release.sort_by_key(|e| core::cmp::Reverse(e.release_at));
    let mut entries_left = Vec::with_capacity(entries.len());
    for entry in by_release {
        let cut = entry.amount.min(wanted);
        wanted = wanted.checked_sub(cut)?;
        unbonding_slashed = unbonding_slashed.checked_add(cut)?;
        let amount = entry.amount.checked_sub(cut)?;
        if !amount.is_zero() {
            entries_left.push(UnbondingEntry {
                amount,
                release_at: entry.release_at,
            });
        }
    }
    entries_left.sort_by_key(|e| e.release_at);
    Ok(SlashOutcome {
        bond_slashed,
        unbonding_slashed,
        bond_left: bond.checked_sub(bond_slashed)?,
        entries_left,
    })
}

/// Splits entries into the total of those released by `now` (seconds) and those still locked.
pub fn split_matured(
    entries: Vec<UnbondingEntry>,
    now: u64,
) -> Result<(Uint128, Vec<UnbondingEntry>), ContractError> {
    let mut matured = Uint128::zero();
    let mut locked = Vec::with_capacity(entries.len());
    for entry in entries {
        if entry.release_at <= now {
            matured = matured.checked_add(entry.amount)?;
        } else {
            locked.push(entry);
        }
    }
    Ok((matured, locked))
}

/// Sum of the amounts of `entries`.
pub fn total(entries: &[UnbondingEntry]) -> Result<Uint128, ContractError> {
    entries
        .iter()
        .try_fold(Uint128::zero(), |sum, e| Ok(sum.checked_add(e.amount)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(amount: u128, release_at: u64) -> UnbondingEntry {
        UnbondingEntry {
            amount: Uint128::new(amount),
            release_at,
        }
    }

    #[test]
    fn taking_an_amount_empties_the_bond_then_the_latest_entries() {
        let entries = [entry(30, 100), entry(40, 300), entry(50, 200)];
        let out = take(Uint128::new(25), &entries, Uint128::new(90)).unwrap();
        assert_eq!(out.bond_slashed, Uint128::new(25));
        assert_eq!(out.unbonding_slashed, Uint128::new(65));
        assert_eq!(out.bond_left, Uint128::zero());
        // 40 (released at 300) gone, 25 of the 50 (at 200) taken, the earliest untouched.
        assert_eq!(out.entries_left, vec![entry(30, 100), entry(25, 200)]);

        let all = take(Uint128::new(25), &entries, Uint128::new(1_000)).unwrap();
        assert_eq!(all.total().unwrap(), Uint128::new(145));
        assert!(all.entries_left.is_empty());

        let some = take(Uint128::new(25), &entries, Uint128::new(10)).unwrap();
        assert_eq!(some.bond_left, Uint128::new(15));
        assert_eq!(some.entries_left.len(), 3);
    }

    #[test]
    fn slashing_a_zero_bond_takes_nothing() {
        let out = slash(Uint128::zero(), &[], 1_000).unwrap();
        assert_eq!(out.bond_slashed, Uint128::zero());
        assert_eq!(out.bond_left, Uint128::zero());
        assert_eq!(out.total().unwrap(), Uint128::zero());
        assert!(out.entries_left.is_empty());
    }

    #[test]
    fn a_full_slash_takes_the_bond_and_every_entry() {
        let out = slash(
            Uint128::new(1_000),
            &[entry(7, 10), entry(3, 20)],
            BPS_WHOLE,
        )
        .unwrap();
        assert_eq!(out.bond_slashed, Uint128::new(1_000));
        assert_eq!(out.unbonding_slashed, Uint128::new(10));
        assert_eq!(out.bond_left, Uint128::zero());
        assert!(out.entries_left.is_empty());
        assert_eq!(out.total().unwrap(), Uint128::new(1_010));
    }

    #[test]
    fn slashes_round_down_per_part() {
        // 10% of 19 is 1.9 → 1; 10% of 9 is 0.9 → 0, so the entry stays whole.
        let out = slash(Uint128::new(19), &[entry(9, 5), entry(25, 6)], 1_000).unwrap();
        assert_eq!(out.bond_slashed, Uint128::new(1));
        assert_eq!(out.bond_left, Uint128::new(18));
        assert_eq!(out.unbonding_slashed, Uint128::new(2));
        assert_eq!(out.entries_left, vec![entry(9, 5), entry(23, 6)]);
    }

    #[test]
    fn slashing_the_largest_bond_does_not_overflow() {
        let out = slash(Uint128::MAX, &[entry(u128::MAX, 1)], 9_999).unwrap();
        assert_eq!(
            out.bond_slashed.checked_add(out.bond_left).unwrap(),
            Uint128::MAX
        );
        // The two slashed parts together exceed 128 bits: the total says so instead of wrapping.
        assert!(out.total().is_err());
    }

    #[test]
    fn fractions_outside_one_to_ten_thousand_bps_are_refused() {
        for bps in [0, BPS_WHOLE + 1, u16::MAX] {
            assert_eq!(
                slash(Uint128::new(1), &[], bps).unwrap_err(),
                ContractError::InvalidSlashFraction {
                    fraction_bps: bps,
                    max: BPS_WHOLE
                }
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn a_slash_moves_funds_without_creating_or_losing_any(
            bond in 0u128..=u128::from(u64::MAX),
            amounts in proptest::collection::vec(1u128..=u128::from(u64::MAX), 0..6),
            bps in 1u16..=BPS_WHOLE,
        ) {
            let entries: Vec<_> = amounts.iter().map(|a| entry(*a, 1)).collect();
            let out = slash(Uint128::new(bond), &entries, bps).unwrap();
            proptest::prop_assert_eq!(out.bond_slashed + out.bond_left, Uint128::new(bond));
            proptest::prop_assert_eq!(
                total(&out.entries_left).unwrap() + out.unbonding_slashed,
                total(&entries).unwrap()
            );
            // Never more than the exact fraction, and less by under one unit per part.
            let exact = |a: u128| a * u128::from(bps);
            proptest::prop_assert!(out.bond_slashed.u128() * 10_000 <= exact(bond));
            proptest::prop_assert!(exact(bond) < (out.bond_slashed.u128() + 1) * 10_000);
        }
    }

    #[test]
    fn entries_mature_at_their_release_time() {
        let (paid, left) =
            split_matured(vec![entry(5, 100), entry(7, 101), entry(1, 99)], 100).unwrap();
        assert_eq!(paid, Uint128::new(6));
        assert_eq!(left, vec![entry(7, 101)]);
        assert_eq!(total(&left).unwrap(), Uint128::new(7));
    }
}
