//! Deregistration: leaving with active leases, claiming the bond, coming back with the same standing.

mod common;

use common::*;
use cosmwasm_std::{coin, Uint128};
use tessera_api::registry::{
    ExecuteMsg, ProviderEvent, ProvidersResponse, QueryMsg, SignedAttributesResponse,
};
use tessera_registry::ContractError;

#[test]
fn deregistering_is_refused_while_leases_are_active() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 100, vec![])?;
    suite.execute(
        &market,
        &record(&provider, ProviderEvent::LeaseStarted),
        &[],
    )?;
    suite.execute(
        &market,
        &record(&provider, ProviderEvent::LeaseStarted),
        &[],
    )?;
    assert_error(
        suite.execute(&provider, &ExecuteMsg::Deregister {}, &[]),
        ContractError::ActiveLeases {
            provider: provider.to_string(),
            active: 2,
        },
    );
    suite.execute(
        &market,
        &record(&provider, ProviderEvent::LeaseCompleted),
        &[],
    )?;
    suite.execute(
        &market,
        &record(&provider, ProviderEvent::LeaseReleased),
        &[],
    )?;
    suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;
    Ok(())
}

#[test]
fn deregistered_provider_claims_its_whole_bond_after_unbonding() -> TestResult {
    let mut suite = Suite::new();
    let (provider, auditor) = (suite.provider.clone(), suite.auditor.clone());
    suite.register(&provider, 500, vec![attr("region", "eu")])?;
    suite.execute(&auditor, &sign(&provider, vec![attr("region", "eu")]), &[])?;
    // Fill the entries limit: deregistration still adds one entry for the rest of the bond.
    for _ in 0..MAX_ENTRIES {
        suite.execute(&provider, &unbond(10), &[])?;
    }

    let res = suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;
    assert_eq!(wasm_attr(&res, "unbonding").as_deref(), Some("470"));
    let err = suite
        .query::<tessera_api::registry::ProviderResponse>(&QueryMsg::Provider {
            address: provider.to_string(),
        })
        .unwrap_err();
    assert!(err
        .to_string()
        .contains(&format!("provider {provider} is not registered")));
    let entries = suite.unbonding(&provider).entries;
    assert_eq!(entries.len(), MAX_ENTRIES as usize + 1);
    assert_eq!(entries[MAX_ENTRIES as usize].amount, Uint128::new(470));

    // Index and signatures went with the record.
    let listed: ProvidersResponse = suite.query(&QueryMsg::Providers {
        active: None,
        attribute: Some(attr("region", "eu")),
        start_after: None,
        limit: None,
    })?;
    assert!(listed.providers.is_empty());
    let signed: SignedAttributesResponse = suite.query(&QueryMsg::SignedAttributes {
        provider: provider.to_string(),
    })?;
    assert!(signed.signed.is_empty());

    suite.advance(UNBONDING_SECS);
    suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[])?;
    assert_eq!(suite.balance(&provider), GENESIS);
    assert_eq!(suite.balance(&suite.registry), 0);
    assert!(suite.unbonding(&provider).entries.is_empty());

    // Registering again starts without signatures or bond (the standing is kept: see
    // `re_registering_brings_back_the_reputation_and_the_jail`).
    suite.register(&provider, 0, vec![])?;
    let p = suite.provider(&provider);
    assert!(p.signed.is_empty());
    assert_eq!(p.bond, coin(0, DENOM));
    Ok(())
}

#[test]
fn re_registering_brings_back_the_reputation_and_the_jail() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, MIN_BOND, vec![])?;
    for event in [
        ProviderEvent::LeaseStarted,
        ProviderEvent::LeaseClosedByProvider,
        ProviderEvent::AttestationMissed,
    ] {
        suite.execute(&market, &record(&provider, event), &[])?;
    }
    suite.execute(&market, &slash(&provider, 2_000, "walked away"), &[])?;
    let before = suite.reputation(&provider);
    assert_eq!(before.slashes, 1);
    assert!(suite.provider(&provider).jailed);

    suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;
    // Lease events for an address that left are still ignored.
    let res = suite.execute(
        &market,
        &record(&provider, ProviderEvent::LeaseCompleted),
        &[],
    )?;
    assert!(wasm_attr(&res, "ignored").is_some());

    let res = suite.register(&provider, 0, vec![])?;
    assert_eq!(wasm_attr(&res, "jailed").as_deref(), Some("true"));
    assert_eq!(wasm_attr(&res, "active").as_deref(), Some("false"));
    let p = suite.provider(&provider);
    assert_eq!(p.reputation, before);
    assert!(p.jailed);
    assert!(!p.active);
    assert_eq!(p.bond, coin(0, DENOM));

    // Still jailed until the bond is back at min_bond.
    let res = suite.execute(&provider, &ExecuteMsg::Bond {}, &utsr(MIN_BOND - 1))?;
    assert_eq!(wasm_attr(&res, "unjailed").as_deref(), Some("false"));
    assert!(suite.provider(&provider).jailed);
    let res = suite.execute(&provider, &ExecuteMsg::Bond {}, &utsr(1))?;
    assert_eq!(wasm_attr(&res, "unjailed").as_deref(), Some("true"));
    let p = suite.provider(&provider);
    assert!(!p.jailed);
    assert!(p.active);
    // Un-jailing does not forget the slash.
    assert_eq!(p.reputation, before);
    Ok(())
}

#[test]
fn a_jailed_provider_registering_again_with_min_bond_attached_is_freed() -> TestResult {
    let mut suite = Suite::new();
    let (provider, gov) = (suite.provider.clone(), suite.authority.clone());
    suite.register(&provider, MIN_BOND, vec![])?;
    suite.execute(&gov, &slash(&provider, 5_000, "bad attestation"), &[])?;
    suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;

    // Funds attached to `register` are a bond like `bond {}`: they lift the jail at min_bond.
    let res = suite.register(&provider, MIN_BOND, vec![])?;
    assert_eq!(wasm_attr(&res, "unjailed").as_deref(), Some("true"));
    assert_eq!(wasm_attr(&res, "jailed").as_deref(), Some("false"));
    assert_eq!(wasm_attr(&res, "active").as_deref(), Some("true"));
    let p = suite.provider(&provider);
    assert!(!p.jailed);
    assert!(p.active);
    assert_eq!(p.reputation.slashes, 1);
    Ok(())
}

#[test]
fn slashing_a_deregistered_provider_takes_from_its_unbonding_entries() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    let supply = suite.total_supply_seen();
    suite.register(&provider, 500, vec![])?;
    suite.execute(&provider, &unbond(105), &[])?;
    suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;
    let amounts = |suite: &Suite| -> Vec<u128> {
        suite
            .unbonding(&provider)
            .entries
            .iter()
            .map(|e| e.amount.u128())
            .collect()
    };
    assert_eq!(amounts(&suite), vec![105, 395]);

    let res = suite.execute(&market, &slash(&provider, 1_000, "found out late"), &[])?;
    // 10% of 105 → 10 and of 395 → 39 (rounded down); nothing is bonded any more.
    assert_eq!(wasm_attr(&res, "registered").as_deref(), Some("false"));
    assert_eq!(wasm_attr(&res, "bond_slashed").as_deref(), Some("0"));
    assert_eq!(wasm_attr(&res, "unbonding_slashed").as_deref(), Some("49"));
    assert_eq!(wasm_attr(&res, "total_slashed").as_deref(), Some("49"));
    assert_eq!(amounts(&suite), vec![95, 356]);
    assert_eq!(suite.balance(&suite.pool), 49);
    assert_eq!(suite.balance(&suite.registry), 500 - 49);
    assert_eq!(suite.total_supply_seen(), supply);

    // The slash is on the record, and the jail waits for the provider if it comes back.
    suite.register(&provider, 0, vec![])?;
    let p = suite.provider(&provider);
    assert!(p.jailed);
    assert_eq!(p.reputation.slashes, 1);
    assert_eq!(p.unbonding, Uint128::new(95 + 356));
    suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;

    suite.advance(UNBONDING_SECS);
    let res = suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[])?;
    assert_eq!(wasm_attr(&res, "amount").as_deref(), Some("451"));
    assert_eq!(suite.balance(&provider), GENESIS - 49);
    assert_eq!(suite.balance(&suite.registry), 0);
    assert_eq!(suite.total_supply_seen(), supply);

    // Neither registered nor unbonding: nothing left to slash.
    assert_error(
        suite.execute(&market, &slash(&provider, 1_000, "again"), &[]),
        ContractError::ProviderNotFound {
            provider: provider.to_string(),
        },
    );
    Ok(())
}

#[test]
fn deregistering_an_unregistered_address_is_refused() {
    let mut suite = Suite::new();
    let stranger = suite.stranger.clone();
    assert_error(
        suite.execute(&stranger, &ExecuteMsg::Deregister {}, &[]),
        ContractError::ProviderNotFound {
            provider: stranger.to_string(),
        },
    );
}
