//! Deciding a proposal from its tally: quorum, veto, threshold. Pure, so the edges are tested
//! here.

use cosmwasm_std::{Decimal, Uint128};
use tessera_api::governance::{GovernanceParams, Tally};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Rejected,
    /// No-with-veto above the veto threshold: rejected and the deposit burned.
    Vetoed,
}

/// Cosmos-SDK rules: below quorum the proposal fails; a veto share strictly above the veto
/// threshold vetoes; otherwise it passes when yes is strictly above the threshold of the
/// non-abstaining votes.
pub fn decide(tally: &Tally, total_power: Uint128, params: &GovernanceParams) -> Outcome {
    let voted = tally.total();
    if total_power.is_zero() || voted.is_zero() {
        return Outcome::Rejected;
    }
    if Decimal::from_ratio(voted, total_power) < params.quorum {
        return Outcome::Rejected;
    }
    if Decimal::from_ratio(tally.no_with_veto, voted) > params.veto_threshold {
        return Outcome::Vetoed;
    }
    let deciding = tally.yes + tally.no + tally.no_with_veto;
    if deciding.is_zero() {
        return Outcome::Rejected;
    }
    if Decimal::from_ratio(tally.yes, deciding) > params.threshold {
        Outcome::Passed
    } else {
        Outcome::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> GovernanceParams {
        GovernanceParams {
            min_deposit: Uint128::new(1),
            unstaking_period_secs: 60,
            ..tessera_testing::governance_params()
        }
    }

    fn tally(yes: u128, no: u128, abstain: u128, veto: u128) -> Tally {
        Tally {
            yes: yes.into(),
            no: no.into(),
            abstain: abstain.into(),
            no_with_veto: veto.into(),
        }
    }

    #[test]
    fn quorum_is_measured_against_all_power_at_the_start() {
        let p = params();
        assert_eq!(
            decide(&tally(33, 0, 0, 0), Uint128::new(100), &p),
            Outcome::Rejected
        );
        assert_eq!(
            decide(&tally(34, 0, 0, 0), Uint128::new(100), &p),
            Outcome::Passed
        );
        assert_eq!(
            decide(&tally(0, 0, 0, 0), Uint128::zero(), &p),
            Outcome::Rejected
        );
    }

    #[test]
    fn veto_beats_yes_and_abstain_counts_only_for_quorum() {
        let p = params();
        assert_eq!(
            decide(&tally(60, 0, 0, 40), Uint128::new(100), &p),
            Outcome::Vetoed
        );
        assert_eq!(
            decide(&tally(67, 0, 0, 33), Uint128::new(100), &p),
            Outcome::Passed
        );
        assert_eq!(
            decide(&tally(1, 0, 99, 0), Uint128::new(100), &p),
            Outcome::Passed
        );
        assert_eq!(
            decide(&tally(0, 0, 100, 0), Uint128::new(100), &p),
            Outcome::Rejected
        );
    }

    #[test]
    fn an_exact_half_does_not_pass() {
        let p = params();
        assert_eq!(
            decide(&tally(50, 50, 0, 0), Uint128::new(100), &p),
            Outcome::Rejected
        );
        assert_eq!(
            decide(&tally(51, 49, 0, 0), Uint128::new(100), &p),
            Outcome::Passed
        );
    }
}
