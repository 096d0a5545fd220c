//! secp256k1 account keys and signatures, as Cosmos uses them.

use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as ProtoPubKey;
use cosmos_sdk_proto::prost::Message as _;
use cosmos_sdk_proto::Any;
use k256::ecdsa::signature::Verifier as _;
use k256::ecdsa::{Signature, VerifyingKey};

use crate::address::Address;
use crate::checked_keys::CHECKED_KEYS;
use crate::error::TxError;
use crate::tx::wire;

pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// A secp256k1 public key in compressed SEC1 form (33 bytes), checked to be a curve point.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey([u8; 33]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", Address::from_secp256k1(&self.0))
    }
}

impl PublicKey {
    pub fn from_compressed(bytes: &[u8]) -> Result<Self, String> {
        let array: [u8; 33] = bytes
            .try_into()
            .map_err(|_| format!("invalid secp256k1 key length {}, want 33", bytes.len()))?;
        // SEC1 also has a 33-byte "compact" form (tag 0x05) that k256 accepts; the SDK takes
        // only the compressed tags, and a second encoding of a key would be a second address.
        if !matches!(array[0], 0x02 | 0x03) {
            return Err(format!(
                "secp256k1 key must be compressed (0x02 or 0x03 first), got 0x{:02x}",
                array[0]
            ));
        }
        CHECKED_KEYS.check_with(&array, |key| {
            VerifyingKey::from_sec1_bytes(key)
                .map(|_| ())
                .map_err(|_| "secp256k1 key is not a valid curve point".to_string())
        })?;
        Ok(Self(array))
    }

    /// A key that is stored without the point check: only for simulation, where the SDK puts
    /// a placeholder key on accounts so that gas estimates include the larger account.
    pub(crate) const fn unchecked(bytes: [u8; 33]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 33] {
        &self.0
    }

    pub fn address(&self) -> Address {
        Address::from_secp256k1(&self.0)
    }

    pub fn to_any(&self) -> Any {
        Any {
            type_url: SECP256K1_PUBKEY_TYPE_URL.to_string(),
            value: ProtoPubKey {
                key: self.0.to_vec(),
            }
            .encode_to_vec(),
        }
    }

    /// Verifies a SIGN_MODE_DIRECT signature: ECDSA over sha256(`message`), 64 bytes `r || s`,
    /// with low S, as the SDK's `secp256k1.PubKey.VerifySignature` requires (a high-S twin of a
    /// valid signature would be a second valid encoding, i.e. malleable).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), String> {
        if signature.len() != 64 {
            return Err(format!("signature length {}, want 64", signature.len()));
        }
        let sig = Signature::from_slice(signature).map_err(|_| "malformed signature")?;
        if sig.normalize_s().is_some() {
            return Err("signature is not in lower-S form".to_string());
        }
        let key = VerifyingKey::from_sec1_bytes(&self.0).map_err(|_| "invalid public key")?;
        key.verify(message, &sig)
            .map_err(|_| "signature does not verify".to_string())
    }
}

impl TryFrom<&Any> for PublicKey {
    type Error = TxError;

    fn try_from(any: &Any) -> Result<Self, TxError> {
        if any.type_url != SECP256K1_PUBKEY_TYPE_URL {
            return Err(TxError::invalid_pubkey(format!(
                "unsupported public key type {:?}, only {SECP256K1_PUBKEY_TYPE_URL} is accepted",
                any.type_url
            )));
        }
        wire::check(&any.value, &wire::PUB_KEY).map_err(TxError::tx_decode)?;
        let proto = ProtoPubKey::decode(any.value.as_slice())
            .map_err(|e| TxError::tx_decode(format!("PubKey: {e}")))?;
        Self::from_compressed(&proto.key).map_err(TxError::invalid_pubkey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::SigningKey;

    fn real_key(seed: u8) -> [u8; 33] {
        let signing = SigningKey::from_slice(&[seed; 32]).expect("a valid scalar");
        let point = signing.verifying_key().to_encoded_point(true);
        point.as_bytes().try_into().expect("33 bytes")
    }

    #[test]
    fn remembered_keys_never_let_an_invalid_one_through_and_only_compressed_tags_pass() {
        let valid = real_key(7);
        for _ in 0..2 {
            assert_eq!(
                PublicKey::from_compressed(&valid).unwrap().as_bytes(),
                &valid
            );
        }
        // x = 2^256 - 1 is past the field's prime: no point has it, before or after the valid
        // key above was remembered.
        let mut past_prime = [0xff; 33];
        past_prime[0] = 0x02;
        let mut bad_prefix = valid;
        bad_prefix[0] = 0x05;
        for _ in 0..2 {
            let err = PublicKey::from_compressed(&past_prime).unwrap_err();
            assert!(err.contains("not a valid curve point"), "{err}");
        }
        // The same x with SEC1's "compact" tag is a point to k256, but not a key to the SDK.
        let err = PublicKey::from_compressed(&bad_prefix).unwrap_err();
        assert!(err.contains("must be compressed"), "{err}");
        assert!(PublicKey::from_compressed(&valid[..32]).is_err());
    }
}
