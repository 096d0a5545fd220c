//! Signatures this node has already verified, so that a tx checked on its way into the mempool
//! (CheckTx) is not verified again when its block executes.
//!
//! An entry is the SHA-256 of the public key, the exact SignDoc bytes and the signature: a hit
//! means this very key already accepted this very signature over this very document, which is
//! what verifying would find again. The SignDoc binds the chain id, the account number and the
//! tx's body and auth info, so a signature replayed under any other document (another chain,
//! account, fee or body) is a miss and is verified in full. Only successes are cached, and the
//! cache holds no state the chain agrees on: a node with an empty one reaches the same results.

use sha2::{Digest, Sha256};

use crate::bounded_set::BoundedSet;
use crate::crypto::PublicKey;

/// Entries kept by default: about a minute of blocks at a few thousand txs each (32 bytes per
/// entry, twice: ~6 MiB).
pub const DEFAULT_CAPACITY: usize = 100_000;

type EntryId = [u8; 32];

pub struct SignatureCache {
    entries: BoundedSet<EntryId>,
}

impl std::fmt::Debug for SignatureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureCache")
            .field("capacity", &self.entries.capacity())
            .field("len", &self.len())
            .finish()
    }
}

impl Default for SignatureCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

fn entry_id(key: &PublicKey, doc: &[u8], signature: &[u8]) -> EntryId {
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    // Lengths keep (doc, signature) pairs from running into each other.
    hasher.update((doc.len() as u64).to_be_bytes());
    hasher.update(doc);
    hasher.update(signature);
    hasher.finalize().into()
}

impl SignatureCache {
    /// A cache of at most `capacity` signatures (0: caches nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: BoundedSet::new(capacity),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`PublicKey::verify`], answered from the cache when this key already accepted this
    /// signature over this document.
    pub fn verify(&self, key: &PublicKey, doc: &[u8], signature: &[u8]) -> Result<(), String> {
        if self.entries.capacity() == 0 {
            return key.verify(doc, signature);
        }
        let id = entry_id(key, doc, signature);
        if self.entries.contains(&id) {
            return Ok(());
        }
        key.verify(doc, signature)?;
        self.entries.insert(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::{signature::Signer, Signature, SigningKey};

    fn signer(seed: u8) -> (SigningKey, PublicKey) {
        let key = SigningKey::from_slice(&[seed; 32]).unwrap();
        let public: [u8; 33] = key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .try_into()
            .unwrap();
        (key, PublicKey::from_compressed(&public).unwrap())
    }

    fn sign(key: &SigningKey, doc: &[u8]) -> Vec<u8> {
        let sig: Signature = key.sign(doc);
        sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
    }

    #[test]
    fn a_verified_signature_is_remembered_and_a_bad_one_never_is() {
        let cache = SignatureCache::new(10);
        let (key, public) = signer(1);
        let sig = sign(&key, b"doc");
        cache.verify(&public, b"doc", &sig).unwrap();
        assert_eq!(cache.len(), 1);
        cache.verify(&public, b"doc", &sig).unwrap();
        assert_eq!(cache.len(), 1);
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert!(cache.verify(&public, b"doc", &bad).is_err());
        assert!(cache.verify(&public, b"doc", &bad).is_err());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_cached_signature_replayed_over_another_document_or_key_is_verified_and_refused() {
        let cache = SignatureCache::new(10);
        let (key, public) = signer(1);
        let (_, other) = signer(2);
        let sig = sign(&key, b"chain-a/account-7/body");
        cache
            .verify(&public, b"chain-a/account-7/body", &sig)
            .unwrap();
        assert!(cache
            .verify(&public, b"chain-b/account-7/body", &sig)
            .is_err());
        assert!(cache
            .verify(&other, b"chain-a/account-7/body", &sig)
            .is_err());
    }

    #[test]
    fn the_oldest_entries_go_when_it_is_full() {
        let cache = SignatureCache::new(2);
        let (key, public) = signer(3);
        for doc in [&b"one"[..], b"two", b"three"] {
            cache.verify(&public, doc, &sign(&key, doc)).unwrap();
        }
        assert_eq!(cache.len(), 2);
        let one = entry_id(&public, b"one", &sign(&key, b"one"));
        assert!(!cache.entries.contains(&one));
    }
}
