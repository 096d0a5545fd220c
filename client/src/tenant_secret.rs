//! The tenant's sampling secret (docs/verification.md): 32 bytes a deployment commits to by
//! their sha256 when it is created and reveals to the referee later, so that its leases' samples
//! depend on something no provider — not even one producing the blocks — knows when it attests.
//!
//! The secret is derived from the tenant's key instead of stored: the hash of the key's
//! signature over the chain, the owner and the deployment sequence. secp256k1 signatures here
//! are deterministic (RFC 6979), so the same key gives the same secret on any machine, and
//! nobody without the key can compute it.

use sha2::{Digest, Sha256};

use crate::keys::Key;
use crate::tx::Signer;
use crate::Error;

/// Separates these signatures from every other signature a Tessera key makes.
const DOMAIN: &str = "tessera/verification/tenant-secret/v1";

/// A tenant's secret for one deployment.
pub type Secret = [u8; 32];

/// The secret of deployment `dseq` of `key`'s account on `chain_id`.
pub fn derive(key: &Key, chain_id: &str, dseq: u64) -> Result<Secret, Error> {
    let message = format!("{DOMAIN}\n{chain_id}\n{}\n{dseq}", key.address());
    let signature = key
        .signing_key()
        .sign(message.as_bytes())
        .map_err(|e| Error::invalid("tenant secret", e))?;
    Ok(Sha256::digest(signature.to_bytes()).into())
}

/// The secret of deployment `dseq` of the signer's account, on the signer's chain.
pub fn of_signer(signer: &Signer, dseq: u64) -> Result<Secret, Error> {
    derive(signer.key(), signer.chain_id(), dseq)
}

/// What the deployment commits to: sha256 of the secret, hex.
pub fn commitment(secret: &Secret) -> String {
    hex::encode(Sha256::digest(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Key;

    fn key(byte: u8) -> Key {
        Key::from_private_key_hex("t", &hex::encode([byte; 32])).expect("key")
    }

    #[test]
    fn the_same_key_chain_and_deployment_give_the_same_secret() {
        let a = derive(&key(7), "tessera-dev-1", 42).unwrap();
        let b = derive(&key(7), "tessera-dev-1", 42).unwrap();
        assert_eq!(a, b);
        assert_eq!(commitment(&a), commitment(&b));
        assert_eq!(commitment(&a).len(), 64);
    }

    #[test]
    fn another_key_chain_or_deployment_gives_another_secret() {
        let base = derive(&key(7), "tessera-dev-1", 42).unwrap();
        assert_ne!(base, derive(&key(8), "tessera-dev-1", 42).unwrap());
        assert_ne!(base, derive(&key(7), "tessera-dev-2", 42).unwrap());
        assert_ne!(base, derive(&key(7), "tessera-dev-1", 43).unwrap());
    }
}
