//! Queries: providers, filters and pages, auditors, signatures, reputation and unbonding.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use tessera_api::registry::{ExecuteMsg, ProviderEvent, ProvidersResponse, QueryMsg};
use tessera_registry::ContractError;

#[test]
fn providers_are_listed_in_pages_and_filtered_by_attribute_and_activity() -> TestResult {
    let mut suite = Suite::new();
    let names = ["provider", "provider2", "provider3"];
    let eu = attr("region", "eu");
    suite.register(&addr("provider"), 100, vec![eu.clone()])?;
    suite.register(&addr("provider2"), 10, vec![eu.clone()])?;
    suite.register(&addr("provider3"), 100, vec![attr("region", "us")])?;
    let mut all: Vec<String> = names.iter().map(|n| addr(n).into_string()).collect();
    all.sort();

    let list = |suite: &Suite,
                active: Option<bool>,
                attribute: Option<tessera_api::Attribute>,
                start_after: Option<String>,
                limit: Option<u32>|
     -> Vec<String> {
        let res: ProvidersResponse = suite
            .query(&QueryMsg::Providers {
                active,
                attribute,
                start_after,
                limit,
            })
            .unwrap();
        res.providers.into_iter().map(|p| p.address).collect()
    };

    assert_eq!(list(&suite, None, None, None, None), all);
    let first = list(&suite, None, None, None, Some(2));
    assert_eq!(first, all[..2]);
    let rest = list(&suite, None, None, first.last().cloned(), Some(2));
    assert_eq!(rest, all[2..]);

    let mut eu_all = vec![
        addr("provider").into_string(),
        addr("provider2").into_string(),
    ];
    eu_all.sort();
    assert_eq!(list(&suite, None, Some(eu.clone()), None, None), eu_all);
    assert_eq!(
        list(
            &suite,
            None,
            Some(eu.clone()),
            Some(eu_all[0].clone()),
            None
        ),
        eu_all[1..]
    );
    assert_eq!(
        list(&suite, Some(true), Some(eu.clone()), None, None),
        vec![addr("provider").into_string()]
    );
    assert_eq!(
        list(&suite, Some(false), None, None, None),
        vec![addr("provider2").into_string()]
    );
    assert!(list(&suite, None, Some(attr("region", "ap")), None, None).is_empty());
    Ok(())
}

#[test]
fn reputation_of_an_unknown_provider_names_it_and_its_unbonding_is_empty() {
    let suite = Suite::new();
    let err = suite
        .query::<tessera_api::registry::Reputation>(&QueryMsg::Reputation {
            provider: suite.stranger.to_string(),
        })
        .unwrap_err();
    assert!(err
        .to_string()
        .contains(&format!("provider {} is not registered", suite.stranger)));
    assert!(suite.unbonding(&suite.stranger).entries.is_empty());
}

#[test]
fn funds_sent_to_the_registry_stay_accounted_for_across_a_provider_lifecycle() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    let supply = suite.total_supply_seen();
    suite.register(&provider, 777, vec![])?;
    suite.execute(&provider, &ExecuteMsg::Bond {}, &utsr(223))?;
    suite.execute(&provider, &unbond(333), &[])?;
    suite.execute(&market, &slash(&provider, 3_333, "test"), &[])?;
    suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;
    suite.advance(UNBONDING_SECS);
    suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[])?;
    assert_eq!(suite.balance(&suite.registry), 0);
    assert_eq!(
        suite.balance(&provider) + suite.balance(&suite.pool),
        GENESIS
    );
    assert_eq!(suite.total_supply_seen(), supply);
    // Nothing more to claim.
    assert_error(
        suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[]),
        ContractError::NothingToClaim {
            address: provider.to_string(),
        },
    );
    Ok(())
}

#[test]
fn a_provider_with_active_leases_keeps_min_bond_locked() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 150, vec![])?;
    suite.execute(
        &market,
        &record(&provider, ProviderEvent::LeaseStarted),
        &[],
    )?;
    // Above min_bond it may unbond; below, not while the lease runs.
    suite.execute(&provider, &unbond(50), &[])?;
    assert_error(
        suite.execute(&provider, &unbond(1), &[]),
        ContractError::BondLocked {
            provider: provider.to_string(),
            active_leases: 1,
            locked: Uint128::new(MIN_BOND),
            bond: Uint128::new(100),
        },
    );
    assert_eq!(suite.provider(&provider).bond.amount.to_string(), "100");
    suite.execute(
        &market,
        &record(&provider, ProviderEvent::LeaseCompleted),
        &[],
    )?;
    suite.execute(&provider, &unbond(100), &[])?;
    assert_eq!(suite.provider(&provider).bond.amount.to_string(), "0");
    Ok(())
}

#[test]
fn completions_count_by_the_value_paid_so_cheap_self_dealing_earns_nothing() -> TestResult {
    let mut suite = Suite::new();
    let (honest, dealer, market) = (
        suite.provider.clone(),
        suite.provider2.clone(),
        suite.market.clone(),
    );
    suite.register(&honest, 100, vec![])?;
    suite.register(&dealer, 100, vec![])?;
    let completed = |who: &cosmwasm_std::Addr, paid: u128| ExecuteMsg::Record {
        provider: who.to_string(),
        event: ProviderEvent::LeaseCompleted,
        paid: Uint128::new(paid),
    };
    // Fifty self-dealt leases at a token price, closed at once.
    for _ in 0..50 {
        suite.execute(&market, &record(&dealer, ProviderEvent::LeaseStarted), &[])?;
        suite.execute(&market, &completed(&dealer, 1), &[])?;
    }
    // One real lease that paid 30 TSR.
    suite.execute(&market, &record(&honest, ProviderEvent::LeaseStarted), &[])?;
    suite.execute(&market, &completed(&honest, 30_000_000), &[])?;

    let (h, d) = (suite.reputation(&honest), suite.reputation(&dealer));
    assert_eq!(d.leases_completed, 50);
    assert_eq!(d.value_completed, Uint128::new(50));
    assert_eq!(d.score(), 0);
    assert_eq!(h.value_completed, Uint128::new(30_000_000));
    assert_eq!(h.score(), 30);
    Ok(())
}

#[test]
fn register_and_deregister_cycles_cannot_grow_the_unbonding_list() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    for cycle in 0..10u64 {
        suite.register(&provider, 100, vec![])?;
        suite.advance(60);
        suite.execute(&provider, &ExecuteMsg::Deregister {}, &[])?;
        let entries = suite.unbonding(&provider).entries;
        assert!(
            entries.len() <= MAX_ENTRIES as usize + 1,
            "cycle {cycle}: {} entries",
            entries.len()
        );
    }
    let entries = suite.unbonding(&provider).entries;
    assert_eq!(entries.len(), MAX_ENTRIES as usize + 1);
    let total: u128 = entries.iter().map(|e| e.amount.u128()).sum();
    assert_eq!(total, 1_000, "every deregistered bond is still owed");
    // The merged entry releases no earlier than the latest deregistration's period.
    let last = entries.last().unwrap();
    assert!(last.release_at >= suite.app.block_info().time.seconds() + UNBONDING_SECS - 60);

    suite.advance(UNBONDING_SECS);
    suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[])?;
    assert_eq!(suite.balance(&provider), GENESIS);
    Ok(())
}
