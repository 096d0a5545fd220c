//! Registration: registering with and without a bond, and updating what was registered.

mod common;

use common::*;
use cosmwasm_std::{coin, Uint128};
use cw_utils::PaymentError;
use tessera_api::registry::{ExecuteMsg, ProviderInfo, ProvidersResponse, QueryMsg};
use tessera_api::ValidationError;
use tessera_registry::ContractError;

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
