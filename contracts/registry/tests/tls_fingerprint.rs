//! The provider's transport identity: the sha256 fingerprint of its TLS certificate, published
//! with `register`, rotated with `update`, validated at the edge and shown by the queries.

mod common;

use common::*;
use tessera_api::registry::{ExecuteMsg, ProviderInfo};
use tessera_api::ValidationError;

type TestResult = cosmwasm_std::StdResult<()>;

const FINGERPRINT: &str = "5f1b3c0e9d2a4b6c8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d";
const ROTATED: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn register_with(fingerprint: Option<&str>) -> ExecuteMsg {
    ExecuteMsg::Register {
        host_uri: "https://gpu.example.com:8443".into(),
        tls_fingerprint: fingerprint.map(str::to_string),
        attributes: vec![attr("region", "eu-west")],
        gpus: vec![h100(8)],
        info: ProviderInfo::default(),
    }
}

fn update_fingerprint(fingerprint: Option<&str>, host_uri: Option<&str>) -> ExecuteMsg {
    ExecuteMsg::Update {
        host_uri: host_uri.map(str::to_string),
        tls_fingerprint: fingerprint.map(str::to_string),
        attributes: None,
        gpus: None,
        info: None,
    }
}

fn not_a_digest(value: &str) -> ValidationError {
    ValidationError::new(
        "tls_fingerprint",
        format!("{value:?} is not a sha256 digest (64 lowercase hex characters)"),
    )
}

#[test]
fn provider_registers_a_fingerprint_and_the_queries_show_it() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    let res = suite.execute(
        &provider,
        &register_with(Some(FINGERPRINT)),
        &utsr(MIN_BOND),
    )?;
    assert_eq!(
        wasm_attr(&res, "tls_fingerprint").as_deref(),
        Some(FINGERPRINT)
    );
    assert_eq!(
        suite.provider(&provider).tls_fingerprint.as_deref(),
        Some(FINGERPRINT)
    );
    Ok(())
}

#[test]
fn provider_registered_without_a_fingerprint_has_none() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    let res = suite.execute(&provider, &register_with(None), &[])?;
    assert_eq!(wasm_attr(&res, "tls_fingerprint").as_deref(), Some(""));
    assert_eq!(suite.provider(&provider).tls_fingerprint, None);
    Ok(())
}

#[test]
fn registration_with_a_malformed_fingerprint_is_refused_and_nothing_is_registered() {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    let upper = FINGERPRINT.to_uppercase();
    let short = &FINGERPRINT[..62];
    let colons = "5f:1b:3c:0e";
    for bad in [upper.as_str(), short, colons, ""] {
        assert_error(
            suite.execute(&provider, &register_with(Some(bad)), &utsr(MIN_BOND)),
            not_a_digest(bad).into(),
        );
    }
    let registered: cosmwasm_std::StdResult<tessera_api::registry::ProviderResponse> =
        suite.query(&tessera_api::registry::QueryMsg::Provider {
            address: provider.to_string(),
        });
    assert!(registered.is_err(), "nothing was registered");
    // The bond went back with the refused transaction.
    assert_eq!(suite.balance(&provider), GENESIS);
}

#[test]
fn provider_rotates_its_fingerprint_with_update() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.execute(&provider, &register_with(Some(FINGERPRINT)), &[])?;
    let res = suite.execute(&provider, &update_fingerprint(Some(ROTATED), None), &[])?;
    assert_eq!(wasm_attr(&res, "tls_fingerprint").as_deref(), Some(ROTATED));
    let p = suite.provider(&provider);
    assert_eq!(p.tls_fingerprint.as_deref(), Some(ROTATED));
    assert_eq!(p.host_uri, "https://gpu.example.com:8443");
    Ok(())
}

#[test]
fn provider_without_a_fingerprint_adds_one_with_update() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.execute(&provider, &register_with(None), &[])?;
    suite.execute(&provider, &update_fingerprint(Some(FINGERPRINT), None), &[])?;
    assert_eq!(
        suite.provider(&provider).tls_fingerprint.as_deref(),
        Some(FINGERPRINT)
    );
    Ok(())
}

#[test]
fn update_without_a_fingerprint_keeps_the_registered_one() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.execute(&provider, &register_with(Some(FINGERPRINT)), &[])?;
    let res = suite.execute(
        &provider,
        &update_fingerprint(None, Some("https://moved.example.com:9443")),
        &[],
    )?;
    // The event still says which certificate the (moved) endpoint serves.
    assert_eq!(
        wasm_attr(&res, "tls_fingerprint").as_deref(),
        Some(FINGERPRINT)
    );
    let p = suite.provider(&provider);
    assert_eq!(p.host_uri, "https://moved.example.com:9443");
    assert_eq!(p.tls_fingerprint.as_deref(), Some(FINGERPRINT));
    Ok(())
}

#[test]
fn update_with_a_malformed_fingerprint_changes_nothing() -> TestResult {
    let mut suite = Suite::new();
    let provider = suite.provider.clone();
    suite.execute(&provider, &register_with(Some(FINGERPRINT)), &[])?;
    let before = suite.provider(&provider);
    let bad = format!("{}g", &ROTATED[..63]);
    assert_error(
        suite.execute(
            &provider,
            &update_fingerprint(Some(&bad), Some("https://moved.example.com:9443")),
            &[],
        ),
        not_a_digest(&bad).into(),
    );
    assert_eq!(suite.provider(&provider), before);
    Ok(())
}
