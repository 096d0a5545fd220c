//! Signed requests to a provider: a tenant proves it holds the lease owner's key by signing
//! each request with it; the provider recovers the address and compares it with the lease's
//! owner on chain.
//!
//! Sign bytes (UTF-8, `\n`-separated):
//! `tessera.provider.v1` / the gRPC method path / hex sha256 of the request encoded with its
//! `auth` field empty / the timestamp in unix seconds. The signature is secp256k1 ECDSA over
//! sha256 of those bytes, 64 bytes compact, low-S, like Cosmos tx signatures.

use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::keys::{address_of, Key};

pub const DOMAIN: &str = "tessera.provider.v1";
/// How far a request's timestamp may be from the provider's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestAuth {
    pub pubkey: Vec<u8>,
    pub timestamp: u64,
    pub signature: Vec<u8>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the request is not signed")]
    Missing,
    #[error("the request's public key is not a compressed secp256k1 key")]
    BadKey,
    #[error("the request's signature is malformed")]
    BadSignature,
    #[error("the request's signature does not match its key and content")]
    Mismatch,
    #[error(
        "the request was signed at {timestamp}, more than {MAX_CLOCK_SKEW_SECS} s from now ({now})"
    )]
    Stale { timestamp: u64, now: u64 },
}

pub fn sign_bytes(method: &str, body: &[u8], timestamp: u64) -> Vec<u8> {
    let digest = hex::encode(Sha256::digest(body));
    format!("{DOMAIN}\n{method}\n{digest}\n{timestamp}").into_bytes()
}

/// Signs `body` (the request with an empty `auth`) for `method` at `timestamp`.
pub fn sign(
    key: &Key,
    method: &str,
    body: &[u8],
    timestamp: u64,
) -> Result<RequestAuth, crate::Error> {
    let signature = key
        .signing_key()
        .sign(&sign_bytes(method, body, timestamp))
        .map_err(|e| crate::Error::invalid("request signature", e))?;
    Ok(RequestAuth {
        pubkey: key.public_key().to_bytes(),
        timestamp,
        signature: signature.to_bytes().to_vec(),
    })
}

/// Checks a request's signature and freshness; returns the signer's address.
pub fn verify(
    auth: &RequestAuth,
    method: &str,
    body: &[u8],
    now: u64,
) -> Result<String, AuthError> {
    if auth.pubkey.is_empty() && auth.signature.is_empty() {
        return Err(AuthError::Missing);
    }
    if auth.timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
        return Err(AuthError::Stale {
            timestamp: auth.timestamp,
            now,
        });
    }
    if auth.pubkey.len() != 33 {
        return Err(AuthError::BadKey);
    }
    let key = VerifyingKey::from_sec1_bytes(&auth.pubkey).map_err(|_| AuthError::BadKey)?;
    let signature = Signature::from_slice(&auth.signature).map_err(|_| AuthError::BadSignature)?;
    key.verify(&sign_bytes(method, body, auth.timestamp), &signature)
        .map_err(|_| AuthError::Mismatch)?;
    let public: cosmrs::crypto::PublicKey =
        cosmrs::tendermint::PublicKey::from_raw_secp256k1(&auth.pubkey)
            .ok_or(AuthError::BadKey)?
            .into();
    Ok(address_of(&public))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEFAULT_HD_PATH;

    const ALICE: &str = "fiscal switch exercise hire license hint hood zone secret drink grass choice design thunder grocery alarm kid dial face proof tide deny right fatigue";

    #[test]
    fn a_signed_request_verifies_to_its_signers_address_and_nothing_else() {
        let key = Key::from_mnemonic("alice", ALICE, DEFAULT_HD_PATH).unwrap();
        let method = "/tessera.provider.v1.Provider/SendManifest";
        let auth = sign(&key, method, b"body", 1_000).unwrap();
        assert_eq!(verify(&auth, method, b"body", 1_010), Ok(key.address()));
        assert_eq!(
            verify(&auth, method, b"other", 1_010),
            Err(AuthError::Mismatch)
        );
        assert_eq!(
            verify(
                &auth,
                "/tessera.provider.v1.Provider/CloseLease",
                b"body",
                1_010
            ),
            Err(AuthError::Mismatch)
        );
        assert!(matches!(
            verify(&auth, method, b"body", 2_000),
            Err(AuthError::Stale { .. })
        ));
        let mut bad = auth.clone();
        bad.pubkey[1] ^= 1;
        assert!(verify(&bad, method, b"body", 1_000).is_err());
        let mut bad = auth;
        bad.signature.truncate(10);
        assert_eq!(
            verify(&bad, method, b"body", 1_000),
            Err(AuthError::BadSignature)
        );
        let empty = RequestAuth {
            pubkey: vec![],
            timestamp: 1_000,
            signature: vec![],
        };
        assert_eq!(
            verify(&empty, method, b"body", 1_000),
            Err(AuthError::Missing)
        );
    }
}
