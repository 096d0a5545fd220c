//! A key: the mnemonic or raw secret it comes from, its secp256k1 key and address, and the rules
//! for key names.

use std::fmt;

use bip32::{DerivationPath, Language, Mnemonic, XPrv};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::crypto::PublicKey;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use super::sealed::SealError;

/// The Cosmos coin type 118 path every Tessera key derives from by default.
pub const DEFAULT_HD_PATH: &str = "m/44'/118'/0'/0/0";
/// Bech32 prefix of account addresses.
pub const ADDRESS_PREFIX: &str = "tessera";

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("invalid mnemonic: {0}")]
    Mnemonic(String),
    #[error("invalid HD path {path:?}: {reason}")]
    HdPath { path: String, reason: String },
    #[error("invalid private key: {0}")]
    PrivateKey(String),
    #[error("key name {name:?} is not valid: {reason}")]
    Name { name: String, reason: String },
    #[error("no key named {0:?} in the keyring")]
    NotFound(String),
    #[error("a key named {0:?} already exists; delete it first or pick another name")]
    Exists(String),
    #[error("the {backend} keyring needs a password: {reason}")]
    Password {
        backend: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Sealed(#[from] SealError),
    #[error("keyring file {path}: {reason}")]
    File { path: String, reason: String },
}

/// What a keyring tells about a key without unlocking it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    pub address: String,
    /// Compressed secp256k1 public key, hex.
    pub pubkey: String,
    /// The HD path, for keys made from a mnemonic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hd_path: Option<String>,
}

/// A signing key with the facts a keyring keeps about it. The secret never prints.
pub struct Key {
    pub name: String,
    signing: SigningKey,
    secret: Secret,
}

/// What a key is made from, as the keyring stores it (sealed under the `file` backend).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Secret {
    Mnemonic { phrase: String, hd_path: String },
    PrivateKey { hex: String },
}

impl Drop for Secret {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        match self {
            Secret::Mnemonic { phrase, .. } => phrase.zeroize(),
            Secret::PrivateKey { hex } => hex.zeroize(),
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("address", &self.address())
            .finish_non_exhaustive()
    }
}

/// A fresh 24-word English mnemonic from the OS random source.
pub fn generate_mnemonic() -> Zeroizing<String> {
    let mnemonic = Mnemonic::random(rand_core::OsRng, Language::English);
    Zeroizing::new(mnemonic.phrase().to_string())
}

impl Key {
    /// Derives the key of `phrase` at `hd_path` (BIP-39 seed with an empty passphrase, BIP-32).
    pub fn from_mnemonic(name: &str, phrase: &str, hd_path: &str) -> Result<Self, KeyError> {
        let secret = Secret::Mnemonic {
            phrase: normalize_phrase(phrase),
            hd_path: hd_path.to_string(),
        };
        Self::from_secret(name, secret)
    }

    /// A key from its 32 raw secret bytes written as hex.
    pub fn from_private_key_hex(name: &str, hex_key: &str) -> Result<Self, KeyError> {
        Self::from_secret(
            name,
            Secret::PrivateKey {
                hex: hex_key.trim().to_ascii_lowercase(),
            },
        )
    }

    pub(crate) fn from_secret(name: &str, secret: Secret) -> Result<Self, KeyError> {
        let bytes = match &secret {
            Secret::Mnemonic { phrase, hd_path } => {
                let mnemonic = Mnemonic::new(phrase, Language::English)
                    .map_err(|e| KeyError::Mnemonic(e.to_string()))?;
                let path: DerivationPath =
                    hd_path
                        .parse()
                        .map_err(|e: bip32::Error| KeyError::HdPath {
                            path: hd_path.clone(),
                            reason: e.to_string(),
                        })?;
                let seed = mnemonic.to_seed("");
                let xprv = XPrv::derive_from_path(seed.as_bytes(), &path).map_err(|e| {
                    KeyError::HdPath {
                        path: hd_path.clone(),
                        reason: e.to_string(),
                    }
                })?;
                Zeroizing::new(xprv.private_key().to_bytes().to_vec())
            }
            Secret::PrivateKey { hex } => Zeroizing::new(
                hex::decode(hex).map_err(|e| KeyError::PrivateKey(format!("not hex: {e}")))?,
            ),
        };
        let signing = SigningKey::from_slice(&bytes)
            .map_err(|e| KeyError::PrivateKey(format!("not a secp256k1 secret key: {e}")))?;
        Ok(Self {
            name: name.to_string(),
            signing,
            secret,
        })
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    pub fn public_key(&self) -> PublicKey {
        self.signing.public_key()
    }

    /// The bech32 account address (`tessera1…`).
    pub fn address(&self) -> String {
        address_of(&self.public_key())
    }

    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }

    pub fn info(&self) -> KeyInfo {
        KeyInfo {
            name: self.name.clone(),
            address: self.address(),
            pubkey: hex::encode(self.public_key().to_bytes()),
            hd_path: match &self.secret {
                Secret::Mnemonic { hd_path, .. } => Some(hd_path.clone()),
                Secret::PrivateKey { .. } => None,
            },
        }
    }
}

/// The bech32 address of a public key: ripemd160(sha256(compressed key)) with prefix `tessera`.
pub fn address_of(key: &PublicKey) -> String {
    key.account_id(ADDRESS_PREFIX)
        .map(|id| id.to_string())
        // The prefix is a valid constant and the hash has a fixed size; this cannot fail.
        .unwrap_or_default()
}

/// Collapses the whitespace of a pasted phrase (newlines, double spaces) and lowercases it.
fn normalize_phrase(phrase: &str) -> String {
    phrase
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a key name: a file name on every platform, shown in lists, typed on command lines.
pub fn validate_key_name(name: &str) -> Result<(), KeyError> {
    let bad = |reason: &str| KeyError::Name {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() || name.len() > 64 {
        return Err(bad("use 1 to 64 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || name.starts_with('.')
    {
        return Err(bad("use letters, digits, '-', '_' and '.' (not first)"));
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    // The dev chain's alice (chain-config/dev-accounts.json).
    const ALICE: &str = "fiscal switch exercise hire license hint hood zone secret drink grass choice design thunder grocery alarm kid dial face proof tide deny right fatigue";

    #[test]
    fn a_mnemonic_derives_the_address_other_cosmos_wallets_derive() {
        let key = Key::from_mnemonic("alice", ALICE, DEFAULT_HD_PATH).unwrap();
        assert_eq!(key.address(), dev_address("alice"));
    }

    #[test]
    fn pasted_phrases_with_odd_whitespace_and_case_give_the_same_key() {
        let messy = format!("  {}\n", ALICE.to_uppercase().replace(' ', "  "));
        let a = Key::from_mnemonic("a", ALICE, DEFAULT_HD_PATH).unwrap();
        let b = Key::from_mnemonic("b", &messy, DEFAULT_HD_PATH).unwrap();
        assert_eq!(a.address(), b.address());
    }

    #[test]
    fn another_hd_path_gives_another_account() {
        let a = Key::from_mnemonic("a", ALICE, DEFAULT_HD_PATH).unwrap();
        let b = Key::from_mnemonic("b", ALICE, "m/44'/118'/0'/0/1").unwrap();
        assert_ne!(a.address(), b.address());
    }

    #[test]
    fn bad_mnemonics_paths_and_private_keys_are_refused_with_the_reason() {
        let err = Key::from_mnemonic("x", "fiscal switch exercise", DEFAULT_HD_PATH).unwrap_err();
        assert!(err.to_string().starts_with("invalid mnemonic"), "{err}");
        let swapped = ALICE.replacen("fiscal", "zebra", 1);
        assert!(Key::from_mnemonic("x", &swapped, DEFAULT_HD_PATH).is_err());
        let err = Key::from_mnemonic("x", ALICE, "m/44'/x").unwrap_err();
        assert!(
            err.to_string().starts_with("invalid HD path \"m/44'/x\""),
            "{err}"
        );
        let err = Key::from_private_key_hex("x", "zz").unwrap_err();
        assert!(err.to_string().contains("not hex"), "{err}");
        let err = Key::from_private_key_hex("x", &"00".repeat(32)).unwrap_err();
        assert!(
            err.to_string().contains("not a secp256k1 secret key"),
            "{err}"
        );
    }

    #[test]
    fn generated_mnemonics_are_24_fresh_words_that_derive_keys() {
        let a = generate_mnemonic();
        let b = generate_mnemonic();
        assert_eq!(a.split(' ').count(), 24);
        assert_ne!(*a, *b);
        assert!(Key::from_mnemonic("a", &a, DEFAULT_HD_PATH).is_ok());
    }

    #[test]
    fn key_names_are_file_safe() {
        assert!(validate_key_name("alice-2.ci_bot").is_ok());
        for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(validate_key_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let key = Key::from_mnemonic("alice", ALICE, DEFAULT_HD_PATH).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("fiscal"), "{shown}");
    }

    pub(crate) fn dev_address(name: &str) -> String {
        let root = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
        let file = std::fs::read_to_string(root.join("../chain-config/dev-accounts.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&file).unwrap();
        json["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()["address"]
            .as_str()
            .unwrap()
            .to_string()
    }
}
