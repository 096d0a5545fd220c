//! Instantiation and params: what the registry starts with, who may change it, and migration.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use tessera_api::registry::{
    AuditorsResponse, ExecuteMsg, QueryMsg, RegistryParams, RegistryParamsUpdate, MAX_AUDITORS,
};
use tessera_api::ValidationError;
use tessera_registry::params::MAX_UNBONDING_ENTRIES_LIMIT;
use tessera_registry::ContractError;

#[test]
fn instantiation_stores_the_params_and_auditors() -> TestResult {
    let suite = Suite::new();
    let params: RegistryParams = suite.query(&QueryMsg::Params {})?;
    let expected = RegistryParams {
        market: Some(suite.market.to_string()),
        ..default_params()
    };
    assert_eq!(params, expected);
    let auditors: AuditorsResponse = suite.query(&QueryMsg::Auditors {})?;
    assert_eq!(auditors.auditors, vec![suite.auditor.to_string()]);
    Ok(())
}

#[test]
fn instantiation_refuses_an_invalid_bond_denom() {
    let params = RegistryParams {
        bond_denom: "u".into(),
        ..default_params()
    };
    assert_error(
        Suite::with(params, vec![]).map(|_| ()),
        ValidationError::new("denom", "\"u\" is not a valid denom").into(),
    );
}

#[test]
fn instantiation_refuses_zero_unbonding_entries() {
    let params = RegistryParams {
        max_unbonding_entries: 0,
        ..default_params()
    };
    assert_error(
        Suite::with(params, vec![]).map(|_| ()),
        ContractError::InvalidMaxUnbondingEntries {
            value: 0,
            max: MAX_UNBONDING_ENTRIES_LIMIT,
        },
    );
}

#[test]
fn instantiation_refuses_an_invalid_authority_address() {
    let params = RegistryParams {
        authority: "not-an-address".into(),
        ..default_params()
    };
    let err = Suite::with(params, vec![]).map(|_| ()).unwrap_err();
    let message = contract_message(&err);
    assert!(
        message.starts_with("invalid params.authority: \"not-an-address\" is not a valid address"),
        "{message}"
    );
}

#[test]
fn instantiation_refuses_too_many_auditors() {
    let auditors = (0..=MAX_AUDITORS)
        .map(|i| addr(&format!("auditor-{i}")).into_string())
        .collect();
    assert_error(
        Suite::with(default_params(), auditors).map(|_| ()),
        ContractError::TooManyAuditors {
            count: MAX_AUDITORS + 1,
            max: MAX_AUDITORS,
        },
    );
}

#[test]
fn instantiation_refuses_a_duplicate_auditor() {
    let auditor = addr("auditor").into_string();
    assert_error(
        Suite::with(default_params(), vec![auditor.clone(), auditor.clone()]).map(|_| ()),
        ContractError::DuplicateAuditor { auditor },
    );
}

#[test]
fn authority_updates_params_and_activity_follows_the_new_min_bond() -> TestResult {
    let mut suite = Suite::new();
    suite.register(&suite.provider.clone(), MIN_BOND, vec![])?;
    assert!(suite.provider(&suite.provider).active);

    let new_market = addr("market2");
    let res = suite.execute(
        &suite.authority.clone(),
        &ExecuteMsg::UpdateParams(RegistryParamsUpdate {
            market: Some(new_market.to_string()),
            min_bond: Some(Uint128::new(MIN_BOND + 1)),
            unbonding_period_secs: Some(60),
            max_unbonding_entries: Some(5),
            ..Default::default()
        }),
        &[],
    )?;
    assert_eq!(wasm_attr(&res, "action").as_deref(), Some("update_params"));
    let params: RegistryParams = suite.query(&QueryMsg::Params {})?;
    assert_eq!(params.market, Some(new_market.to_string()));
    assert_eq!(params.min_bond, Uint128::new(MIN_BOND + 1));
    assert_eq!(params.unbonding_period_secs, 60);
    assert_eq!(params.max_unbonding_entries, 5);
    assert!(!suite.provider(&suite.provider).active);
    Ok(())
}

#[test]
fn authority_may_hand_its_role_to_another_address() -> TestResult {
    let mut suite = Suite::new();
    let new_gov = addr("gov2");
    suite.execute(
        &suite.authority.clone(),
        &ExecuteMsg::UpdateParams(RegistryParamsUpdate {
            authority: Some(new_gov.to_string()),
            ..Default::default()
        }),
        &[],
    )?;
    let old = suite.authority.clone();
    assert_error(
        suite.execute(&old, &ExecuteMsg::SetAuditors { auditors: vec![] }, &[]),
        ContractError::Unauthorized {
            sender: old.to_string(),
            action: "set auditors",
            allowed: "the authority",
        },
    );
    suite.execute(&new_gov, &ExecuteMsg::SetAuditors { auditors: vec![] }, &[])?;
    Ok(())
}

#[test]
fn update_params_refuses_invalid_values() {
    let mut suite = Suite::new();
    let gov = suite.authority.clone();
    assert_error(
        suite.execute(
            &gov,
            &ExecuteMsg::UpdateParams(RegistryParamsUpdate {
                max_unbonding_entries: Some(MAX_UNBONDING_ENTRIES_LIMIT + 1),
                ..Default::default()
            }),
            &[],
        ),
        ContractError::InvalidMaxUnbondingEntries {
            value: MAX_UNBONDING_ENTRIES_LIMIT + 1,
            max: MAX_UNBONDING_ENTRIES_LIMIT,
        },
    );
    let err = suite
        .execute(
            &gov,
            &ExecuteMsg::UpdateParams(RegistryParamsUpdate {
                community_pool: Some("Pool".into()),
                ..Default::default()
            }),
            &[],
        )
        .unwrap_err();
    assert!(contract_message(&err)
        .starts_with("invalid params.community_pool: \"Pool\" is not a valid address"));
}

#[test]
fn contract_migrates_to_the_same_version() -> TestResult {
    let mut suite = Suite::new();
    let res = suite.migrate()?;
    assert_eq!(wasm_attr(&res, "action").as_deref(), Some("migrate"));
    Ok(())
}
