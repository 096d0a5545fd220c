//! Manifest receipts: once the provider's receipt of the manifest is on chain — sent by the
//! provider, or its signed receipt posted by the tenant — the provider can no longer release
//! the lease without penalty as if the manifest had never arrived.

mod common;

use common::*;
use cosmwasm_std::{coins, Addr, Binary};
use cw_multi_test::Executor;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};
use tessera_api::market::{close_reason, manifest_receipt_digest, ExecuteMsg, LeaseState};

use tessera_api::{BidId, LeaseId};
use tessera_market::ContractError;

/// A provider whose address is derived from a secp256k1 key, as on a real chain.
struct KeyedProvider {
    key: SigningKey,
    addr: Addr,
}

impl KeyedProvider {
    fn new(seed: u8) -> Self {
        let key = SigningKey::from_bytes(&[seed; 32].into()).expect("key");
        let hash = Ripemd160::digest(Sha256::digest(Self::pubkey_of(&key)));
        let hrp = bech32::Hrp::parse("cosmwasm").expect("hrp");
        let addr = bech32::encode::<bech32::Bech32>(hrp, &hash[..]).expect("bech32");
        Self {
            key,
            addr: Addr::unchecked(addr),
        }
    }

    fn pubkey_of(key: &SigningKey) -> Vec<u8> {
        key.verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec()
    }

    fn pubkey(&self) -> Binary {
        Binary::from(Self::pubkey_of(&self.key))
    }

    fn sign(&self, digest: &[u8; 32]) -> Binary {
        let signature: Signature = self.key.sign_prehash(digest).expect("sign");
        Binary::from(signature.to_bytes().to_vec())
    }
}

/// A lease between `tenant` and a keyed provider, just awarded.
fn keyed_lease(s: &mut Suite, provider: &KeyedProvider) -> (Addr, BidId) {
    s.mint(&provider.addr, MIN_BOND + 100 * TSR);
    s.app
        .execute_contract(
            provider.addr.clone(),
            s.registry.clone(),
            &register_msg("keyed", vec![h100(8)], vec![]),
            &coins(MIN_BOND, DENOM),
        )
        .expect("register");
    let tenant = s.tenant("tenant");
    s.create_deployment(&tenant, 1, vec![gpu_group("g", 1, TSR)], 10 * TSR)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    s.bid(&provider.addr, &order, TSR, 1).unwrap();
    s.advance_and_end_block(30);
    (tenant, order.bid(provider.addr.as_str()))
}

fn record(lease: &LeaseId, pubkey: Binary, signature: Binary) -> ExecuteMsg {
    ExecuteMsg::RecordManifestReceipt {
        lease: lease.clone(),
        provider_pubkey: pubkey,
        signature,
    }
}

fn release(lease: &LeaseId) -> ExecuteMsg {
    ExecuteMsg::CloseLease {
        lease: lease.clone(),
        reason: close_reason::PROVIDER_MANIFEST_TIMEOUT,
    }
}

#[test]
fn a_signed_receipt_posted_by_the_tenant_stops_a_penalty_free_release() {
    let mut s = Suite::new();
    let provider = KeyedProvider::new(7);
    let (tenant, lease) = keyed_lease(&mut s, &provider);
    let chain_id = s.app.block_info().chain_id;
    let digest = manifest_receipt_digest(&chain_id, &lease, MANIFEST);

    // Someone else's key, a receipt for another manifest, and malformed input are refused.
    let stranger = KeyedProvider::new(9);
    s.expect_error(
        &tenant,
        &record(&lease, stranger.pubkey(), stranger.sign(&digest)),
        &[],
        ContractError::ManifestReceiptInvalid {
            id: lease.to_string(),
            reason: format!("the key is not the key of provider {}", provider.addr),
        },
    );
    let other = manifest_receipt_digest(&chain_id, &lease, ROOT);
    s.expect_error(
        &tenant,
        &record(&lease, provider.pubkey(), provider.sign(&other)),
        &[],
        ContractError::ManifestReceiptInvalid {
            id: lease.to_string(),
            reason: "the signature is not the provider's over this lease's manifest".into(),
        },
    );
    s.expect_error(
        &tenant,
        &record(&lease, provider.pubkey(), Binary::from(vec![1u8; 10])),
        &[],
        ContractError::ManifestReceiptInvalid {
            id: lease.to_string(),
            reason: "signature must be 64 bytes (r ‖ s), got 10".into(),
        },
    );
    assert_eq!(s.lease(&lease).manifest_received_at, None);

    s.execute(
        &tenant,
        &record(&lease, provider.pubkey(), provider.sign(&digest)),
        &[],
    )
    .unwrap();
    let recorded_at = s.now();
    assert_eq!(s.lease(&lease).manifest_received_at, Some(recorded_at));
    s.expect_error(
        &tenant,
        &record(&lease, provider.pubkey(), provider.sign(&digest)),
        &[],
        ContractError::ManifestReceiptRecorded {
            id: lease.to_string(),
            at: recorded_at,
        },
    );

    // Past the manifest timeout, without an attestation: still no penalty-free release.
    s.advance(400);
    let start = s.lease(&lease).created_at;
    s.expect_error(
        &provider.addr,
        &release(&lease),
        &[],
        ContractError::ManifestTimeoutNotReached {
            id: lease.to_string(),
            at: start + 300,
            now: s.now(),
        },
    );
    assert_eq!(s.lease(&lease).state, LeaseState::Active);
    s.assert_conserved();
}

#[test]
fn the_provider_may_acknowledge_itself_without_a_signature() {
    let mut s = Suite::new();
    let provider = KeyedProvider::new(11);
    let (_, lease) = keyed_lease(&mut s, &provider);
    s.execute(
        &provider.addr,
        &record(&lease, Binary::default(), Binary::default()),
        &[],
    )
    .unwrap();
    assert!(s.lease(&lease).manifest_received_at.is_some());
    s.advance(400);
    assert!(s.execute(&provider.addr, &release(&lease), &[]).is_err());
    // An ordinary provider close (with its penalty) is still possible.
    s.execute(
        &provider.addr,
        &ExecuteMsg::CloseLease {
            lease: lease.clone(),
            reason: close_reason::PROVIDER_CLOSED,
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.lease(&lease).state, LeaseState::Closed);
    s.assert_conserved();
}
