//! Slashing and jail: who may slash, what it takes, and how a provider gets out of jail.

mod common;

use common::*;
use cosmwasm_std::{coin, Uint128};
use tessera_api::registry::{ExecuteMsg, RegistryParamsUpdate, SlashAward};
use tessera_api::ValidationError;
use tessera_registry::ContractError;

#[test]
fn market_slashes_bond_and_unbonding_into_the_community_pool() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    let supply = suite.total_supply_seen();
    suite.register(&provider, 1_005, vec![])?;
    suite.execute(&provider, &unbond(205), &[])?;
    suite.execute(&provider, &unbond(99), &[])?;

    let res = suite.execute(&market, &slash(&provider, 1_000, "dispute lost"), &[])?;
    // 10% of 701 → 70; of 205 → 20; of 99 → 9 (rounded down).
    assert_eq!(wasm_attr(&res, "bond_slashed").as_deref(), Some("70"));
    assert_eq!(wasm_attr(&res, "unbonding_slashed").as_deref(), Some("29"));
    assert_eq!(wasm_attr(&res, "total_slashed").as_deref(), Some("99"));
    assert_eq!(wasm_attr(&res, "reason").as_deref(), Some("dispute lost"));

    assert_eq!(suite.balance(&suite.pool), 99);
    assert_eq!(suite.balance(&suite.registry), 1_005 - 99);
    let p = suite.provider(&provider);
    assert_eq!(p.bond, coin(631, DENOM));
    assert_eq!(p.unbonding, Uint128::new(185 + 90));
    assert!(p.jailed);
    assert!(!p.active);
    assert_eq!(p.reputation.slashes, 1);
    let amounts: Vec<u128> = suite
        .unbonding(&provider)
        .entries
        .iter()
        .map(|e| e.amount.u128())
        .collect();
    assert_eq!(amounts, vec![185, 90]);
    assert_eq!(suite.total_supply_seen(), supply);

    // What is left still comes back through unbonding.
    suite.advance(UNBONDING_SECS);
    suite.execute(&provider, &ExecuteMsg::ClaimUnbonded {}, &[])?;
    assert_eq!(suite.balance(&provider), GENESIS - 1_005 + 275);
    assert_eq!(suite.total_supply_seen(), supply);
    Ok(())
}

#[test]
fn authority_may_slash_everything() -> TestResult {
    let mut suite = Suite::new();
    let (provider, gov) = (suite.provider.clone(), suite.authority.clone());
    suite.register(&provider, 400, vec![])?;
    suite.execute(&provider, &unbond(100), &[])?;
    suite.execute(&gov, &slash(&provider, 10_000, "governance decision"), &[])?;
    assert_eq!(suite.balance(&suite.pool), 400);
    assert_eq!(suite.balance(&suite.registry), 0);
    let p = suite.provider(&provider);
    assert_eq!(p.bond, coin(0, DENOM));
    assert_eq!(p.unbonding, Uint128::zero());
    assert!(suite.unbonding(&provider).entries.is_empty());
    Ok(())
}

#[test]
fn slashing_a_provider_with_nothing_bonded_jails_it_and_moves_no_funds() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 0, vec![])?;
    let res = suite.execute(&market, &slash(&provider, 500, "missed attestations"), &[])?;
    assert_eq!(wasm_attr(&res, "total_slashed").as_deref(), Some("0"));
    assert_eq!(suite.balance(&suite.pool), 0);
    let p = suite.provider(&provider);
    assert!(p.jailed);
    assert_eq!(p.reputation.slashes, 1);
    Ok(())
}

#[test]
fn jailed_provider_is_freed_by_bonding_back_to_min_bond() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 100, vec![])?;
    suite.execute(&market, &slash(&provider, 2_000, "closed early"), &[])?;
    assert_eq!(suite.provider(&provider).bond, coin(80, DENOM));

    // Not enough yet: still jailed.
    let res = suite.execute(&provider, &ExecuteMsg::Bond {}, &utsr(10))?;
    assert_eq!(wasm_attr(&res, "unjailed").as_deref(), Some("false"));
    assert!(suite.provider(&provider).jailed);

    let res = suite.execute(&provider, &ExecuteMsg::Bond {}, &utsr(10))?;
    assert_eq!(wasm_attr(&res, "unjailed").as_deref(), Some("true"));
    let p = suite.provider(&provider);
    assert!(!p.jailed);
    assert!(p.active);
    assert_eq!(p.bond, coin(100, DENOM));
    Ok(())
}

#[test]
fn strangers_and_providers_may_not_slash() -> TestResult {
    let mut suite = Suite::new();
    let (provider, stranger, auditor) = (
        suite.provider.clone(),
        suite.stranger.clone(),
        suite.auditor.clone(),
    );
    suite.register(&provider, 100, vec![])?;
    for sender in [&stranger, &auditor, &provider] {
        assert_error(
            suite.execute(sender, &slash(&provider, 100, "because"), &[]),
            ContractError::Unauthorized {
                sender: sender.to_string(),
                action: "slash",
                allowed: "the market or the authority",
            },
        );
    }
    assert_eq!(suite.provider(&provider).bond, coin(100, DENOM));
    Ok(())
}

#[test]
fn slash_refuses_fractions_outside_one_to_ten_thousand_bps() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 100, vec![])?;
    for fraction_bps in [0, 10_001] {
        assert_error(
            suite.execute(&market, &slash(&provider, fraction_bps, "x"), &[]),
            ContractError::InvalidSlashFraction {
                fraction_bps,
                max: 10_000,
            },
        );
    }
    Ok(())
}

#[test]
fn slash_refuses_an_empty_or_overlong_reason() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    suite.register(&provider, 100, vec![])?;
    assert_error(
        suite.execute(&market, &slash(&provider, 100, ""), &[]),
        ValidationError::new("slash reason", "must not be empty").into(),
    );
    assert_error(
        suite.execute(&market, &slash(&provider, 100, &"x".repeat(257)), &[]),
        ValidationError::new("slash reason", "is 257 bytes long, max 256").into(),
    );
    Ok(())
}

#[test]
fn slashing_an_unknown_provider_is_refused() {
    let mut suite = Suite::new();
    let (stranger, market) = (suite.stranger.clone(), suite.market.clone());
    assert_error(
        suite.execute(&market, &slash(&stranger, 100, "x"), &[]),
        ContractError::ProviderNotFound {
            provider: stranger.to_string(),
        },
    );
}

#[test]
fn strangers_may_not_update_params() {
    let mut suite = Suite::new();
    let stranger = suite.stranger.clone();
    assert_error(
        suite.execute(
            &stranger,
            &ExecuteMsg::UpdateParams(RegistryParamsUpdate {
                min_bond: Some(Uint128::zero()),
                ..Default::default()
            }),
            &[],
        ),
        ContractError::Unauthorized {
            sender: stranger.to_string(),
            action: "update params",
            allowed: "the authority",
        },
    );
}

fn fraud(provider: &cosmwasm_std::Addr, amount: u128, awards: &[(&str, u16)]) -> ExecuteMsg {
    ExecuteMsg::SlashForFraud {
        provider: provider.to_string(),
        amount: Uint128::new(amount),
        awards: awards
            .iter()
            .map(|(name, bps)| SlashAward {
                address: addr(name).to_string(),
                bps: *bps,
            })
            .collect(),
        reason: "proven fraud".into(),
    }
}

#[test]
fn a_fraud_slash_pays_its_awards_burns_the_rest_and_sums_exactly() -> TestResult {
    let mut suite = Suite::new();
    let (provider, market) = (suite.provider.clone(), suite.market.clone());
    let supply = suite.total_supply_seen();
    suite.register(&provider, 1_003, vec![])?;
    suite.execute(&provider, &unbond(200), &[])?;
    let (disputer, tenant) = (addr("stranger"), addr("auditor"));
    let (disputer_before, tenant_before) = (suite.balance(&disputer), suite.balance(&tenant));

    // 901 asked of a bond of 803: the bond, then 98 of the entry.
    let res = suite.execute(
        &market,
        &fraud(&provider, 901, &[("stranger", 2_500), ("auditor", 2_500)]),
        &[],
    )?;
    assert_eq!(wasm_attr(&res, "bond_slashed").as_deref(), Some("803"));
    assert_eq!(wasm_attr(&res, "unbonding_slashed").as_deref(), Some("98"));
    // 25 % of 901 is 225 (rounded down) each; the burn takes the rest, rounding included.
    assert_eq!(suite.balance(&disputer) - disputer_before, 225);
    assert_eq!(suite.balance(&tenant) - tenant_before, 225);
    assert_eq!(wasm_attr(&res, "burned").as_deref(), Some("451"));
    assert_eq!(suite.balance(&suite.registry), 1_003 - 901);
    assert_eq!(suite.total_supply_seen(), supply - 451);
    let p = suite.provider(&provider);
    assert!(p.jailed);
    assert_eq!(p.bond, coin(0, DENOM));
    assert_eq!(p.unbonding, Uint128::new(102));

    // Asking more than is left takes what is left.
    let res = suite.execute(
        &market,
        &fraud(&provider, 10_000, &[("stranger", 5_000)]),
        &[],
    )?;
    assert_eq!(wasm_attr(&res, "total_slashed").as_deref(), Some("102"));
    assert_eq!(wasm_attr(&res, "burned").as_deref(), Some("51"));
    assert_eq!(suite.balance(&suite.registry), 0);
    Ok(())
}

#[test]
fn fraud_slashes_are_the_markets_or_the_authoritys_and_awards_cannot_exceed_the_whole() {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    let market = suite.market.clone();
    suite.register(&provider, 500, vec![]).unwrap();
    let outsider = addr("stranger");
    let err = suite
        .execute(&outsider, &fraud(&provider, 100, &[]), &[])
        .unwrap_err();
    assert!(contract_message(&err).contains("the market or the authority"));
    let err = suite
        .execute(
            &market,
            &fraud(&provider, 100, &[("stranger", 6_000), ("auditor", 4_001)]),
            &[],
        )
        .unwrap_err();
    assert_eq!(
        contract_message(&err),
        "invalid slash awards: must sum to at most 10000 bps, got 10001"
    );
    assert!(!suite.provider(&provider).jailed);
    assert_eq!(suite.balance(&suite.registry), 500);
}
