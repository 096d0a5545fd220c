mod common;

use common::*;
use cosmwasm_std::{coin, Uint128};
use cw_multi_test::Executor;
use cw_utils::PaymentError;
use tessera_api::attributes::AuditorAttributes;
use tessera_api::registry::{
    AuditorsResponse, ExecuteMsg, MigrateMsg, ProviderEvent, ProviderInfo, ProvidersResponse,
    QueryMsg, RegistryParams, RegistryParamsUpdate, SignedAttributesResponse, UnbondingEntry,
    MAX_AUDITORS,
};
use tessera_api::ValidationError;
use tessera_registry::params::MAX_UNBONDING_ENTRIES_LIMIT;
use tessera_registry::ContractError;

type TestResult = cosmwasm_std::StdResult<()>;

fn record(provider: &cosmwasm_std::Addr, event: ProviderEvent) -> ExecuteMsg {
    ExecuteMsg::Record {
        provider: provider.to_string(),
        event,
        paid: cosmwasm_std::Uint128::zero(),
    }
}

fn slash(provider: &cosmwasm_std::Addr, fraction_bps: u16, reason: &str) -> ExecuteMsg {
    ExecuteMsg::Slash {
        provider: provider.to_string(),
        fraction_bps,
        reason: reason.into(),
    }
}

fn sign(provider: &cosmwasm_std::Addr, attributes: Vec<tessera_api::Attribute>) -> ExecuteMsg {
    ExecuteMsg::SignAttributes {
        provider: provider.to_string(),
        attributes,
    }
}

fn revoke(provider: &cosmwasm_std::Addr, keys: &[&str]) -> ExecuteMsg {
    ExecuteMsg::RevokeAttributes {
        provider: provider.to_string(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
    }
}

fn unbond(amount: u128) -> ExecuteMsg {
    ExecuteMsg::Unbond {
        amount: Uint128::new(amount),
    }
}

// ---------------------------------------------------------------------------------------------
// Instantiation and params
// ---------------------------------------------------------------------------------------------

#[test]
fn instantiation_stores_the_params_and_auditors() -> TestResult {
    let suite = Suite::new();
    let params: RegistryParams = suite.query(&QueryMsg::Params {})?;
    assert_eq!(params, default_params());
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
    let (gov, registry, code_id) = (
        suite.authority.clone(),
        suite.registry.clone(),
        suite.code_id,
    );
    let res = suite
        .app
        .migrate_contract(gov, registry, &MigrateMsg {}, code_id)?;
    assert_eq!(wasm_attr(&res, "action").as_deref(), Some("migrate"));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

#[test]
fn provider_registers_with_a_bond_and_is_active() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    let res = suite.register(&provider, 150, vec![attr("region", "eu-west")])?;
    assert_eq!(wasm_attr(&res, "action").as_deref(), Some("register"));
    assert_eq!(wasm_attr(&res, "bond").as_deref(), Some("150"));

    let p = suite.provider(&provider);
    assert_eq!(p.address, provider.to_string());
    assert_eq!(p.host_uri, "https://gpu.example.com:8443");
    assert_eq!(p.attributes, vec![attr("region", "eu-west")]);
    assert_eq!(p.gpus, vec![h100(8)]);
    assert_eq!(p.bond, coin(150, DENOM));
    assert_eq!(p.unbonding, Uint128::zero());
    assert!(p.active);
    assert!(!p.jailed);
    assert!(p.signed.is_empty());
    assert_eq!(p.registered_at_height, suite.app.block_info().height);
    assert_eq!(suite.balance(&suite.registry), 150);
    assert_eq!(suite.balance(&provider), GENESIS - 150);
    Ok(())
}

#[test]
fn provider_registered_without_funds_is_inactive_until_bonded() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 0, vec![])?;
    assert!(!suite.provider(&provider).active);

    let res = suite.execute(&provider, &ExecuteMsg::Bond {}, &utsr(MIN_BOND))?;
    assert_eq!(wasm_attr(&res, "bond").as_deref(), Some("100"));
    let p = suite.provider(&provider);
    assert_eq!(p.bond, coin(MIN_BOND, DENOM));
    assert!(p.active);
    Ok(())
}

#[test]
fn registering_twice_is_refused() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 0, vec![])?;
    assert_error(
        suite.register(&provider, 0, vec![]),
        ContractError::AlreadyRegistered {
            provider: provider.to_string(),
        },
    );
    Ok(())
}

#[test]
fn registration_with_a_host_uri_without_scheme_is_refused() {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    let msg = ExecuteMsg::Register {
        host_uri: "gpu.example.com".into(),
        tls_fingerprint: None,
        attributes: vec![],
        gpus: vec![],
        info: ProviderInfo::default(),
    };
    assert_error(
        suite.execute(&provider, &msg, &[]),
        ValidationError::new(
            "host_uri",
            "\"gpu.example.com\" must start with http:// or https://",
        )
        .into(),
    );
}

#[test]
fn registration_with_duplicate_attribute_keys_is_refused() {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    assert_error(
        suite.register(
            &provider,
            0,
            vec![attr("region", "eu"), attr("region", "us")],
        ),
        ValidationError::new(
            "provider attributes",
            "key \"region\" appears more than once",
        )
        .into(),
    );
}

#[test]
fn registration_paying_in_another_denom_is_refused() {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    let msg = register_msg("gpu.example.com", vec![]);
    assert_error(
        suite.execute(&provider, &msg, &[coin(100, OTHER_DENOM)]),
        PaymentError::ExtraDenom(OTHER_DENOM.into()).into(),
    );
}

#[test]
fn provider_updates_only_the_fields_it_gives() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, MIN_BOND, vec![attr("region", "eu-west")])?;
    suite.execute(
        &provider,
        &ExecuteMsg::Update {
            host_uri: Some("https://new.example.com:9000".into()),
            tls_fingerprint: None,
            attributes: None,
            gpus: None,
            info: None,
        },
        &[],
    )?;
    let p = suite.provider(&provider);
    assert_eq!(p.host_uri, "https://new.example.com:9000");
    assert_eq!(p.attributes, vec![attr("region", "eu-west")]);
    assert_eq!(p.gpus, vec![h100(8)]);
    assert_eq!(p.info.email, "ops@example.com");

    suite.execute(
        &provider,
        &ExecuteMsg::Update {
            host_uri: None,
            tls_fingerprint: None,
            attributes: Some(vec![attr("region", "us-east"), attr("tier", "dc")]),
            gpus: Some(vec![]),
            info: Some(ProviderInfo::default()),
        },
        &[],
    )?;
    let p = suite.provider(&provider);
    assert_eq!(p.host_uri, "https://new.example.com:9000");
    assert_eq!(
        p.attributes,
        vec![attr("region", "us-east"), attr("tier", "dc")]
    );
    assert!(p.gpus.is_empty());
    assert_eq!(p.info, ProviderInfo::default());

    // The attribute index follows the update.
    let by = |suite: &Suite, key: &str, value: &str| -> Vec<String> {
        let res: ProvidersResponse = suite
            .query(&QueryMsg::Providers {
                active: None,
                attribute: Some(attr(key, value)),
                start_after: None,
                limit: None,
            })
            .unwrap();
        res.providers.into_iter().map(|p| p.address).collect()
    };
    assert!(by(&suite, "region", "eu-west").is_empty());
    assert_eq!(by(&suite, "region", "us-east"), vec![provider.to_string()]);
    assert_eq!(by(&suite, "tier", "dc"), vec![provider.to_string()]);
    Ok(())
}

#[test]
fn update_by_an_unregistered_address_is_refused() {
    let mut suite = Suite::new();
    let stranger = suite.stranger.clone();
    assert_error(
        suite.execute(
            &stranger,
            &ExecuteMsg::Update {
                host_uri: None,
                tls_fingerprint: None,
                attributes: None,
                gpus: None,
                info: None,
            },
            &[],
        ),
        ContractError::ProviderNotFound {
            provider: stranger.to_string(),
        },
    );
}

#[test]
fn update_with_an_invalid_host_uri_changes_nothing() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.register(&provider, 0, vec![])?;
    assert_error(
        suite.execute(
            &provider,
            &ExecuteMsg::Update {
                host_uri: Some("http://".into()),
                tls_fingerprint: None,
                attributes: None,
                gpus: None,
                info: None,
            },
            &[],
        ),
        ValidationError::new(
            "host_uri",
            "\"http://\" is not a host address of at most 512 printable characters",
        )
        .into(),
    );
    assert_eq!(
        suite.provider(&provider).host_uri,
        "https://gpu.example.com:8443"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Bonding and unbonding
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Deregistration
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Auditors
// ---------------------------------------------------------------------------------------------

#[test]
fn auditor_signs_and_revokes_attributes_of_a_provider() -> TestResult {
    let mut suite = Suite::new();
    let (provider, auditor) = (suite.provider.clone(), suite.auditor.clone());
    suite.register(&provider, 0, vec![attr("region", "eu"), attr("tier", "dc")])?;

    let res = suite.execute(
        &auditor,
        &sign(&provider, vec![attr("region", "eu"), attr("tier", "dc")]),
        &[],
    )?;
    assert_eq!(
        wasm_attr(&res, "action").as_deref(),
        Some("sign_attributes")
    );
    let expected = |attrs| {
        vec![AuditorAttributes {
            auditor: auditor.to_string(),
            attributes: attrs,
        }]
    };
    assert_eq!(
        suite.provider(&provider).signed,
        expected(vec![attr("region", "eu"), attr("tier", "dc")])
    );

    suite.execute(&auditor, &revoke(&provider, &["tier"]), &[])?;
    let signed: SignedAttributesResponse = suite.query(&QueryMsg::SignedAttributes {
        provider: provider.to_string(),
    })?;
    assert_eq!(signed.signed, expected(vec![attr("region", "eu")]));

    // Signing again replaces the whole set.
    suite.execute(&auditor, &sign(&provider, vec![attr("gpu", "h100")]), &[])?;
    assert_eq!(
        suite.provider(&provider).signed,
        expected(vec![attr("gpu", "h100")])
    );

    suite.execute(&auditor, &revoke(&provider, &[]), &[])?;
    assert!(suite.provider(&provider).signed.is_empty());
    Ok(())
}

#[test]
fn signatures_of_auditors_removed_from_the_set_are_not_returned() -> TestResult {
    let mut suite = Suite::new();
    let (provider, auditor, auditor2, gov) = (
        suite.provider.clone(),
        suite.auditor.clone(),
        suite.auditor2.clone(),
        suite.authority.clone(),
    );
    suite.register(&provider, 0, vec![attr("region", "eu")])?;
    suite.execute(
        &gov,
        &ExecuteMsg::SetAuditors {
            auditors: vec![auditor.to_string(), auditor2.to_string()],
        },
        &[],
    )?;
    suite.execute(&auditor, &sign(&provider, vec![attr("region", "eu")]), &[])?;
    suite.execute(&auditor2, &sign(&provider, vec![attr("region", "eu")]), &[])?;
    assert_eq!(suite.provider(&provider).signed.len(), 2);

    suite.execute(
        &gov,
        &ExecuteMsg::SetAuditors {
            auditors: vec![auditor2.to_string()],
        },
        &[],
    )?;
    let signed = suite.provider(&provider).signed;
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0].auditor, auditor2.to_string());
    let only: SignedAttributesResponse = suite.query(&QueryMsg::SignedAttributes {
        provider: provider.to_string(),
    })?;
    assert_eq!(only.signed, signed);

    // A removed auditor can no longer sign.
    assert_error(
        suite.execute(&auditor, &sign(&provider, vec![]), &[]),
        ContractError::Unauthorized {
            sender: auditor.to_string(),
            action: "sign attributes",
            allowed: "a current auditor",
        },
    );
    Ok(())
}

#[test]
fn strangers_may_not_sign_attributes() -> TestResult {
    let mut suite = Suite::new();
    let (provider, stranger) = (suite.provider.clone(), suite.stranger.clone());
    suite.register(&provider, 0, vec![])?;
    assert_error(
        suite.execute(&stranger, &sign(&provider, vec![attr("region", "eu")]), &[]),
        ContractError::Unauthorized {
            sender: stranger.to_string(),
            action: "sign attributes",
            allowed: "a current auditor",
        },
    );
    Ok(())
}

#[test]
fn auditors_may_sign_only_for_registered_providers_and_valid_attributes() -> TestResult {
    let mut suite = Suite::new();
    let (provider, auditor, stranger) = (
        suite.provider.clone(),
        suite.auditor.clone(),
        suite.stranger.clone(),
    );
    assert_error(
        suite.execute(&auditor, &sign(&stranger, vec![attr("region", "eu")]), &[]),
        ContractError::ProviderNotFound {
            provider: stranger.to_string(),
        },
    );
    suite.register(&provider, 0, vec![])?;
    assert_error(
        suite.execute(&auditor, &sign(&provider, vec![attr("region", "e u")]), &[]),
        ValidationError::new(
            "signed attributes value of \"region\"",
            "\"e u\" contains the character ' '; use printable ASCII without spaces",
        )
        .into(),
    );
    Ok(())
}

#[test]
fn revoking_what_was_never_signed_is_refused() -> TestResult {
    let mut suite = Suite::new();
    let (provider, auditor) = (suite.provider.clone(), suite.auditor.clone());
    suite.register(&provider, 0, vec![])?;
    assert_error(
        suite.execute(&auditor, &revoke(&provider, &[]), &[]),
        ContractError::NothingSigned {
            auditor: auditor.to_string(),
            provider: provider.to_string(),
        },
    );
    suite.execute(&auditor, &sign(&provider, vec![attr("region", "eu")]), &[])?;
    assert_error(
        suite.execute(&auditor, &revoke(&provider, &["tier"]), &[]),
        ContractError::AttributeNotSigned {
            auditor: auditor.to_string(),
            provider: provider.to_string(),
            key: "tier".into(),
        },
    );
    assert_eq!(suite.provider(&provider).signed.len(), 1);
    Ok(())
}

#[test]
fn strangers_may_not_set_auditors() {
    let mut suite = Suite::new();
    let stranger = suite.stranger.clone();
    assert_error(
        suite.execute(
            &stranger,
            &ExecuteMsg::SetAuditors {
                auditors: vec![stranger.to_string()],
            },
            &[],
        ),
        ContractError::Unauthorized {
            sender: stranger.to_string(),
            action: "set auditors",
            allowed: "the authority",
        },
    );
}

#[test]
fn set_auditors_refuses_duplicates_and_too_many() {
    let mut suite = Suite::new();
    let gov = suite.authority.clone();
    let a = suite.auditor.to_string();
    assert_error(
        suite.execute(
            &gov,
            &ExecuteMsg::SetAuditors {
                auditors: vec![a.clone(), a.clone()],
            },
            &[],
        ),
        ContractError::DuplicateAuditor { auditor: a },
    );
    let many = (0..=MAX_AUDITORS)
        .map(|i| addr(&format!("a{i}")).into_string())
        .collect();
    assert_error(
        suite.execute(&gov, &ExecuteMsg::SetAuditors { auditors: many }, &[]),
        ContractError::TooManyAuditors {
            count: MAX_AUDITORS + 1,
            max: MAX_AUDITORS,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Lease events from the market
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Slashing and jail
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

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
