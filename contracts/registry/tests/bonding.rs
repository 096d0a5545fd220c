//! Bonding and unbonding: adding bond, unbonding entries, claims and their limits.

mod common;

use common::*;
use cosmwasm_std::{coin, Uint128};
use cw_utils::PaymentError;
use tessera_api::registry::{ExecuteMsg, UnbondingEntry};
use tessera_registry::ContractError;

#[test]
fn bond_needs_funds_in_the_bond_denom() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 0, vec![])?;
    assert_error(
        suite.execute(&provider, &ExecuteMsg::Bond {}, &[]),
        PaymentError::NoFunds {}.into(),
    );
    assert_error(
        suite.execute(&provider, &ExecuteMsg::Bond {}, &[coin(5, OTHER_DENOM)]),
        PaymentError::MissingDenom(DENOM.into()).into(),
    );
    assert_error(
        suite.execute(
            &provider,
            &ExecuteMsg::Bond {},
            &[coin(5, DENOM), coin(5, OTHER_DENOM)],
        ),
        PaymentError::MultipleDenoms {}.into(),
    );
    Ok(())
}

#[test]
fn bond_by_an_unregistered_address_is_refused() {
    let mut suite = Suite::new();
    let stranger = suite.stranger.clone();
    assert_error(
        suite.execute(&stranger, &ExecuteMsg::Bond {}, &utsr(10)),
        ContractError::ProviderNotFound {
            provider: stranger.to_string(),
        },
    );
}

#[test]
fn unbonded_funds_are_claimable_only_after_the_unbonding_period() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 300, vec![])?;
    let start = suite.app.block_info().time.seconds();

    let res = suite.execute(&provider, &unbond(250), &[])?;
    assert_eq!(wasm_attr(&res, "amount").as_deref(), Some("250"));
    let p = suite.provider(&provider);
    assert_eq!(p.bond, coin(50, DENOM));
    assert_eq!(p.unbonding, Uint128::new(250));
    assert!(!p.active, "the bond fell below min_bond");
    assert_eq!(
        suite.unbonding(&provider).entries,
        vec![UnbondingEntry {
            amount: Uint128::new(250),
            release_at: start + UNBONDING_SECS,
        }]
    );

    suite.advance(UNBONDING_SECS - 1);
    assert_error(
        suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[]),
        ContractError::NothingToClaim {
            address: provider.to_string(),
        },
    );

    suite.advance(1);
    let res = suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[])?;
    assert_eq!(wasm_attr(&res, "amount").as_deref(), Some("250"));
    assert_eq!(suite.balance(&provider), GENESIS - 50);
    assert_eq!(suite.balance(&suite.registry), 50);
    assert!(suite.unbonding(&provider).entries.is_empty());
    assert_eq!(suite.provider(&provider).unbonding, Uint128::zero());
    Ok(())
}

#[test]
fn claim_pays_only_the_matured_entries() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 300, vec![])?;
    suite.execute(&provider, &unbond(10), &[])?;
    suite.advance(100);
    suite.execute(&provider, &unbond(20), &[])?;
    suite.advance(UNBONDING_SECS - 50);

    suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[])?;
    assert_eq!(suite.balance(&provider), GENESIS - 300 + 10);
    let left = suite.unbonding(&provider).entries;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].amount, Uint128::new(20));
    Ok(())
}

#[test]
fn unbonding_nothing_or_more_than_the_bond_is_refused() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 100, vec![])?;
    assert_error(
        suite.execute(&provider, &unbond(0), &[]),
        ContractError::ZeroUnbond {},
    );
    assert_error(
        suite.execute(&provider, &unbond(101), &[]),
        ContractError::InsufficientBond {
            provider: provider.to_string(),
            amount: Uint128::new(101),
            bond: Uint128::new(100),
        },
    );
    Ok(())
}

#[test]
fn unbonding_and_deregistering_wait_while_the_market_holds_payments() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 300, vec![])?;
    let until = suite.app.block_info().time.seconds() + 3_600;
    suite.set_payments_pending(Some(until));
    let pending = |action| ContractError::PaymentsPending {
        provider: provider.to_string(),
        action,
        until,
    };
    assert_error(
        suite.execute(&provider, &unbond(100), &[]),
        pending("unbond"),
    );
    assert_error(
        suite.execute(&provider, &ExecuteMsg::Deregister {}, &[]),
        pending("deregister"),
    );
    assert_eq!(suite.provider(&provider).bond, coin(300, DENOM));

    // The last window closes: the bond moves again.
    suite.advance(3_600);
    suite.execute(&provider, &unbond(100), &[])?;
    suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;
    Ok(())
}

#[test]
fn unbonding_is_refused_once_the_entries_limit_is_in_flight() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 100, vec![])?;
    for _ in 0..MAX_ENTRIES {
        suite.execute(&provider, &unbond(1), &[])?;
    }
    assert_error(
        suite.execute(&provider, &unbond(1), &[]),
        ContractError::TooManyUnbondingEntries {
            provider: provider.to_string(),
            entries: MAX_ENTRIES as usize,
            max: MAX_ENTRIES,
        },
    );
    Ok(())
}

#[test]
fn messages_that_take_no_funds_refuse_them() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 100, vec![])?;
    assert_error(
        suite.execute(&provider, &unbond(1), &utsr(1)),
        PaymentError::NonPayable {}.into(),
    );
    Ok(())
}
