//! Auditors: signing and revoking attributes, and who may set the auditors.

mod common;

use common::*;
use tessera_api::attributes::AuditorAttributes;
use tessera_api::registry::{ExecuteMsg, QueryMsg, SignedAttributesResponse, MAX_AUDITORS};
use tessera_api::ValidationError;
use tessera_registry::ContractError;

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
