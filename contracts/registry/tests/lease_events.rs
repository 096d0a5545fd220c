//! Lease events from the market: what moves the reputation, and who may record it.

mod common;

use common::*;
use tessera_api::registry::{ExecuteMsg, ProviderEvent, RegistryParams};
use tessera_registry::ContractError;

#[test]
fn market_records_lease_events_into_the_reputation() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 100, vec![])?;
    for event in [
        ProviderEvent::LeaseStarted,
        ProviderEvent::LeaseStarted,
        ProviderEvent::LeaseStarted,
        ProviderEvent::LeaseStarted,
        ProviderEvent::LeaseCompleted,
        ProviderEvent::LeaseClosedByProvider,
        ProviderEvent::LeaseReleased,
        ProviderEvent::AttestationMissed,
        ProviderEvent::AttestationMissed,
    ] {
        let res = suite.execute(&market, &record(&provider, event), &[])?;
        assert_eq!(wasm_attr(&res, "action").as_deref(), Some("record"));
    }
    let r = suite.reputation(&provider);
    assert_eq!(r.leases_started, 4);
    assert_eq!(r.leases_completed, 1);
    assert_eq!(r.leases_closed_by_provider, 1);
    assert_eq!(r.leases_released, 1);
    assert_eq!(r.missed_attestations, 2);
    assert_eq!(r.active_leases, 1);
    assert_eq!(r.slashes, 0);
    assert_eq!(suite.provider(&provider).reputation, r);
    Ok(())
}

#[test]
fn active_leases_never_go_below_zero() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 100, vec![])?;
    suite.execute(
        &market,
        &record(&provider, ProviderEvent::LeaseCompleted),
        &[],
    )?;
    let r = suite.reputation(&provider);
    assert_eq!(r.active_leases, 0);
    assert_eq!(r.leases_completed, 1);
    Ok(())
}

#[test]
fn recording_for_an_unknown_provider_is_ignored_without_failing() -> TestResult {
    let mut suite = Suite::new();
    let (stranger, market) = (suite.stranger.clone(), suite.market.clone());
    let res = suite.execute(
        &market,
        &record(&stranger, ProviderEvent::LeaseCompleted),
        &[],
    )?;
    assert_eq!(
        wasm_attr(&res, "ignored").as_deref(),
        Some("provider not registered")
    );
    let res = suite.execute(
        &market,
        &ExecuteMsg::Record {
            provider: "garbage".into(),
            event: ProviderEvent::LeaseStarted,
            paid: cosmwasm_std::Uint128::zero(),
        },
        &[],
    )?;
    assert!(wasm_attr(&res, "ignored").is_some());
    Ok(())
}

#[test]
fn only_the_market_may_record_lease_events() -> TestResult {
    let mut suite = Suite::new();
    let (provider, stranger, gov) = (
        suite.provider.clone(),
        suite.stranger.clone(),
        suite.authority.clone(),
    );
    suite.register(&provider, 100, vec![])?;
    for sender in [&stranger, &gov, &provider] {
        assert_error(
            suite.execute(sender, &record(&provider, ProviderEvent::LeaseStarted), &[]),
            ContractError::Unauthorized {
                sender: sender.to_string(),
                action: "record lease events",
                allowed: "the market",
            },
        );
    }
    assert_eq!(suite.reputation(&provider).leases_started, 0);
    Ok(())
}

#[test]
fn nobody_may_record_before_the_market_is_set() -> TestResult {
    let params = RegistryParams {
        market: None,
        ..default_params()
    };
    let mut suite = Suite::with(params, vec![])?;
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 100, vec![])?;
    assert_error(
        suite.execute(
            &market,
            &record(&provider, ProviderEvent::LeaseStarted),
            &[],
        ),
        ContractError::Unauthorized {
            sender: market.to_string(),
            action: "record lease events",
            allowed: "the market",
        },
    );
    Ok(())
}
