//! Signed requests to a provider: a tenant proves it holds the lease owner's key by signing
//! each request with it; the provider recovers the address and compares it with the lease's
//! owner on chain.
//!
//! Sign bytes (UTF-8, `\n`-separated): `tessera.provider.v1` / the chain id / the provider's
//! address / the gRPC method path / hex sha256 of the request encoded with its `auth` field
//! empty / the timestamp in unix seconds / the hex nonce. The signature is secp256k1 ECDSA over
//! sha256 of those bytes, 64 bytes compact, low-S, like Cosmos tx signatures.
//!
//! The chain id and the provider's address stop a request captured on one chain or sent to one
//! provider from being played to another; the nonce, remembered by the provider for as long as
//! the timestamp is acceptable ([`ReplayCache`]), stops it from being played twice to the same
//! one. A provider checks all of it with [`verify_signed_request`].

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{Signature, VerifyingKey};
use rand_core::RngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::keys::{address_of, Key};

pub const DOMAIN: &str = "tessera.provider.v1";
/// How far a request's timestamp may be from the provider's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;
/// Bytes of a request's nonce: random, so two requests never share one by chance.
pub const NONCE_BYTES: usize = 16;
/// How many nonces a [`ReplayCache`] holds by default: 600 s of requests (a timestamp is
/// accepted 300 s either side of now) at about 160 a second, some 5 MiB.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// Who a request is for: the provider checking it knows both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audience<'a> {
    pub chain_id: &'a str,
    /// The provider's account address (`tessera1…`).
    pub provider: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestAuth {
    pub pubkey: Vec<u8>,
    pub timestamp: u64,
    pub signature: Vec<u8>,
    pub nonce: Vec<u8>,
    /// The chain and provider the request says it was signed for. They are signed, but a
    /// provider builds the sign bytes from its own, so these only make the refusal readable.
    pub chain_id: String,
    pub provider: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the request is not signed")]
    Missing,
    #[error("the request's public key is not a compressed secp256k1 key")]
    BadKey,
    #[error("the request's signature is malformed")]
    BadSignature,
    #[error("the request's nonce has {len} bytes, expected {NONCE_BYTES}")]
    BadNonce { len: usize },
    #[error(
        "the request was signed for chain {signed_for:?}, but this provider serves {serves:?}"
    )]
    WrongChain { signed_for: String, serves: String },
    #[error("the request was signed for provider {signed_for:?}, but this is {this:?}")]
    WrongProvider { signed_for: String, this: String },
    #[error("the request's signature does not match its key and content")]
    Mismatch,
    #[error(
        "the request was signed at {timestamp}, more than {MAX_CLOCK_SKEW_SECS} s from now ({now})"
    )]
    Stale { timestamp: u64, now: u64 },
    #[error("the request's nonce {nonce} was already used: a request is accepted once")]
    Replayed { nonce: String },
    #[error("the provider is holding {capacity} recent nonces, its limit: try again shortly")]
    Busy { capacity: usize },
}

pub fn sign_bytes(
    audience: Audience<'_>,
    method: &str,
    body: &[u8],
    timestamp: u64,
    nonce: &[u8],
) -> Vec<u8> {
    let digest = hex::encode(Sha256::digest(body));
    let Audience { chain_id, provider } = audience;
    let nonce = hex::encode(nonce);
    format!("{DOMAIN}\n{chain_id}\n{provider}\n{method}\n{digest}\n{timestamp}\n{nonce}")
        .into_bytes()
}

/// Signs `body` (the request with an empty `auth`) for `method` on `audience` at `timestamp`,
/// with a fresh random nonce.
pub fn sign(
    key: &Key,
    audience: Audience<'_>,
    method: &str,
    body: &[u8],
    timestamp: u64,
) -> Result<RequestAuth, crate::Error> {
    let mut nonce = vec![0u8; NONCE_BYTES];
    rand_core::OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|e| crate::Error::invalid("request nonce", e))?;
    let signature = key
        .signing_key()
        .sign(&sign_bytes(audience, method, body, timestamp, &nonce))
        .map_err(|e| crate::Error::invalid("request signature", e))?;
    Ok(RequestAuth {
        pubkey: key.public_key().to_bytes(),
        timestamp,
        signature: signature.to_bytes().to_vec(),
        nonce,
        chain_id: audience.chain_id.to_string(),
        provider: audience.provider.to_string(),
    })
}

/// What a provider calls on every signed request: checks that it was signed for this chain and
/// this provider, is fresh, matches its key and content, and has not been seen before (its nonce
/// is then remembered in `seen`). Returns the signer's address, which the caller compares with
/// the lease's owner.
pub fn verify_signed_request(
    auth: &RequestAuth,
    audience: Audience<'_>,
    method: &str,
    body: &[u8],
    now: u64,
    seen: &ReplayCache,
) -> Result<String, AuthError> {
    let signer = verify_signature(auth, audience, method, body, now)?;
    // Only a request whose signature holds takes a place in the cache, so nobody can fill it
    // (or burn another's nonce) without a key's signature over that very request.
    seen.remember(&auth.nonce, auth.timestamp, now)?;
    Ok(signer)
}

/// Everything [`verify_signed_request`] checks except replay.
fn verify_signature(
    auth: &RequestAuth,
    audience: Audience<'_>,
    method: &str,
    body: &[u8],
    now: u64,
) -> Result<String, AuthError> {
    if auth.pubkey.is_empty() && auth.signature.is_empty() {
        return Err(AuthError::Missing);
    }
    if auth.chain_id != audience.chain_id {
        return Err(AuthError::WrongChain {
            signed_for: auth.chain_id.clone(),
            serves: audience.chain_id.to_string(),
        });
    }
    if auth.provider != audience.provider {
        return Err(AuthError::WrongProvider {
            signed_for: auth.provider.clone(),
            this: audience.provider.to_string(),
        });
    }
    if auth.timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
        return Err(AuthError::Stale {
            timestamp: auth.timestamp,
            now,
        });
    }
    if auth.nonce.len() != NONCE_BYTES {
        return Err(AuthError::BadNonce {
            len: auth.nonce.len(),
        });
    }
    if auth.pubkey.len() != 33 {
        return Err(AuthError::BadKey);
    }
    let key = VerifyingKey::from_sec1_bytes(&auth.pubkey).map_err(|_| AuthError::BadKey)?;
    let signature = Signature::from_slice(&auth.signature).map_err(|_| AuthError::BadSignature)?;
    // The provider's own chain id and address, never the request's claims, go into the bytes.
    let signed = sign_bytes(audience, method, body, auth.timestamp, &auth.nonce);
    key.verify(&signed, &signature)
        .map_err(|_| AuthError::Mismatch)?;
    let public: cosmrs::crypto::PublicKey =
        cosmrs::tendermint::PublicKey::from_raw_secp256k1(&auth.pubkey)
            .ok_or(AuthError::BadKey)?
            .into();
    Ok(address_of(&public))
}

/// The nonces of requests a provider accepted, each kept until its timestamp leaves the
/// acceptance window (`timestamp + MAX_CLOCK_SKEW_SECS`): after that the request is refused as
/// stale anyway, so forgetting it lets nothing through. At most `capacity` are held; when that
/// many are still live, new requests are refused ([`AuthError::Busy`]) rather than forgetting a
/// live nonce, which would let its request be played again. Shared by all of a provider's
/// request handlers.
#[derive(Debug)]
pub struct ReplayCache {
    capacity: usize,
    inner: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// Nonce → the unix second after which it is forgotten.
    expiry: HashMap<[u8; NONCE_BYTES], u64>,
    /// The same entries ordered by expiry, so the expired ones are dropped from the front.
    by_expiry: BTreeSet<(u64, [u8; NONCE_BYTES])>,
}

impl Default for ReplayCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_REPLAY_CAPACITY)
    }
}

impl ReplayCache {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Seen::default()),
        }
    }

    /// Nonces held now.
    pub fn len(&self) -> usize {
        self.lock().expiry.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        // A panic elsewhere while holding the lock leaves the maps consistent (each change is
        // one insert or remove pair), so the data is still good to use.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records `nonce` of a request signed at `timestamp`; refuses one already recorded.
    fn remember(&self, nonce: &[u8], timestamp: u64, now: u64) -> Result<(), AuthError> {
        let nonce: [u8; NONCE_BYTES] = nonce
            .try_into()
            .map_err(|_| AuthError::BadNonce { len: nonce.len() })?;
        let mut seen = self.lock();
        while let Some(&(expiry, old)) = seen.by_expiry.first() {
            if expiry >= now {
                break;
            }
            seen.by_expiry.pop_first();
            seen.expiry.remove(&old);
        }
        if seen.expiry.contains_key(&nonce) {
            return Err(AuthError::Replayed {
                nonce: hex::encode(nonce),
            });
        }
        if seen.expiry.len() >= self.capacity {
            return Err(AuthError::Busy {
                capacity: self.capacity,
            });
        }
        let expiry = timestamp.saturating_add(MAX_CLOCK_SKEW_SECS);
        seen.expiry.insert(nonce, expiry);
        seen.by_expiry.insert((expiry, nonce));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEFAULT_HD_PATH;

    const ALICE: &str = "fiscal switch exercise hire license hint hood zone secret drink grass choice design thunder grocery alarm kid dial face proof tide deny right fatigue";
    const METHOD: &str = "/tessera.provider.v1.Provider/SendManifest";
    const PROVIDER: &str = "tessera1qhkvyy9sd9w42cqdqvu9wtcu6swj59gwrre43q";
    const HERE: Audience<'static> = Audience {
        chain_id: "tessera-dev-1",
        provider: PROVIDER,
    };

    fn alice() -> Key {
        Key::from_mnemonic("alice", ALICE, DEFAULT_HD_PATH).unwrap()
    }

    #[test]
    fn a_signed_request_verifies_to_its_signers_address_and_nothing_else() {
        let key = alice();
        let auth = sign(&key, HERE, METHOD, b"body", 1_000).unwrap();
        let check = |auth: &RequestAuth, method: &str, body: &[u8], now: u64| {
            verify_signed_request(auth, HERE, method, body, now, &ReplayCache::default())
        };
        assert_eq!(check(&auth, METHOD, b"body", 1_010), Ok(key.address()));
        assert_eq!(
            check(&auth, METHOD, b"other", 1_010),
            Err(AuthError::Mismatch)
        );
        assert_eq!(
            check(
                &auth,
                "/tessera.provider.v1.Provider/CloseLease",
                b"body",
                1_010
            ),
            Err(AuthError::Mismatch)
        );
        assert!(matches!(
            check(&auth, METHOD, b"body", 2_000),
            Err(AuthError::Stale { .. })
        ));
        let mut bad = auth.clone();
        bad.pubkey[1] ^= 1;
        assert!(check(&bad, METHOD, b"body", 1_000).is_err());
        let mut bad = auth.clone();
        bad.signature.truncate(10);
        assert_eq!(
            check(&bad, METHOD, b"body", 1_000),
            Err(AuthError::BadSignature)
        );
        let mut bad = auth.clone();
        bad.nonce[0] ^= 1;
        assert_eq!(
            check(&bad, METHOD, b"body", 1_000),
            Err(AuthError::Mismatch)
        );
        let mut bad = auth;
        bad.nonce.truncate(8);
        assert_eq!(
            check(&bad, METHOD, b"body", 1_000),
            Err(AuthError::BadNonce { len: 8 })
        );
        let empty = RequestAuth {
            pubkey: vec![],
            timestamp: 1_000,
            signature: vec![],
            nonce: vec![],
            chain_id: HERE.chain_id.into(),
            provider: PROVIDER.into(),
        };
        assert_eq!(
            check(&empty, METHOD, b"body", 1_000),
            Err(AuthError::Missing)
        );
    }

    #[test]
    fn a_replayed_request_is_refused_and_a_fresh_one_passes() {
        let key = alice();
        let seen = ReplayCache::default();
        let first = sign(&key, HERE, METHOD, b"body", 1_000).unwrap();
        let verify = |auth: &RequestAuth, now| {
            verify_signed_request(auth, HERE, METHOD, b"body", now, &seen)
        };
        assert_eq!(verify(&first, 1_000), Ok(key.address()));
        assert!(matches!(
            verify(&first, 1_001),
            Err(AuthError::Replayed { .. })
        ));
        // The same content signed again gets its own nonce and passes.
        let again = sign(&key, HERE, METHOD, b"body", 1_000).unwrap();
        assert_ne!(again.nonce, first.nonce);
        assert_eq!(verify(&again, 1_002), Ok(key.address()));
        // Still refused at the last second its timestamp is accepted...
        assert!(matches!(
            verify(&first, 1_000 + MAX_CLOCK_SKEW_SECS),
            Err(AuthError::Replayed { .. })
        ));
        // ...and stale after it, when the cache has let it go.
        assert!(matches!(
            verify(&first, 1_001 + MAX_CLOCK_SKEW_SECS),
            Err(AuthError::Stale { .. })
        ));
        let later = sign(&key, HERE, METHOD, b"body", 1_400).unwrap();
        assert_eq!(verify(&later, 1_400), Ok(key.address()));
        assert_eq!(seen.len(), 1, "expired nonces are dropped");
    }

    #[test]
    fn a_request_signed_for_another_provider_or_chain_is_refused() {
        let key = alice();
        let seen = ReplayCache::default();
        let other_provider = Audience {
            provider: "tessera1zt50azupanqlfam5afhv3hexwyutnukeh4c573",
            ..HERE
        };
        let auth = sign(&key, other_provider, METHOD, b"body", 1_000).unwrap();
        assert_eq!(
            verify_signed_request(&auth, HERE, METHOD, b"body", 1_000, &seen),
            Err(AuthError::WrongProvider {
                signed_for: other_provider.provider.into(),
                this: PROVIDER.into()
            })
        );
        // Relabelled to look like it was for this provider, the signature no longer holds.
        let mut relabelled = auth;
        relabelled.provider = PROVIDER.into();
        assert_eq!(
            verify_signed_request(&relabelled, HERE, METHOD, b"body", 1_000, &seen),
            Err(AuthError::Mismatch)
        );

        let other_chain = Audience {
            chain_id: "tessera-test-2",
            ..HERE
        };
        let auth = sign(&key, other_chain, METHOD, b"body", 1_000).unwrap();
        let err = verify_signed_request(&auth, HERE, METHOD, b"body", 1_000, &seen).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the request was signed for chain \"tessera-test-2\", but this provider serves \"tessera-dev-1\""
        );
        let mut relabelled = auth;
        relabelled.chain_id = HERE.chain_id.into();
        assert_eq!(
            verify_signed_request(&relabelled, HERE, METHOD, b"body", 1_000, &seen),
            Err(AuthError::Mismatch)
        );
        assert!(
            seen.is_empty(),
            "refused requests take no place in the cache"
        );
    }

    #[test]
    fn a_full_cache_refuses_new_requests_until_nonces_expire() {
        let key = alice();
        let seen = ReplayCache::with_capacity(2);
        let verify = |now| {
            let auth = sign(&key, HERE, METHOD, b"body", now).unwrap();
            verify_signed_request(&auth, HERE, METHOD, b"body", now, &seen)
        };
        assert!(verify(1_000).is_ok());
        assert!(verify(1_001).is_ok());
        assert_eq!(verify(1_002), Err(AuthError::Busy { capacity: 2 }));
        // The first nonce expires after 1_300; then there is room again.
        assert!(verify(1_301).is_ok());
        assert_eq!(seen.len(), 2);
    }
}
