//! Secrets sealed under a password: scrypt stretches the password into a key, XChaCha20-Poly1305
//! encrypts and authenticates the secret. Everything needed to open it again (KDF parameters,
//! salt, nonce) is stored beside the ciphertext, so parameters can be raised later without
//! breaking old files.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

/// scrypt cost: 2^15 × 8 × 128 B = 32 MiB and ~0.1 s per unlock on a laptop core, which is
/// what wallets of this kind use for interactive keys.
const LOG_N: u8 = 15;
const R: u32 = 8;
const P: u32 = 1;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SealError {
    #[error("wrong password, or the sealed data was changed")]
    WrongPassword,
    #[error("unsupported sealing: {0}")]
    Unsupported(String),
    #[error("malformed sealed data: {0}")]
    Malformed(String),
}

/// A sealed secret as stored in a keyring file or printed by `keys export`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sealed {
    pub kdf: String,
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
    pub salt: String,
    pub cipher: String,
    pub nonce: String,
    pub ciphertext: String,
}

fn stretch(
    password: &str,
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, SealError> {
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|e| SealError::Unsupported(format!("scrypt parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password.as_bytes(), salt, &params, key.as_mut())
        .map_err(|e| SealError::Unsupported(format!("scrypt: {e}")))?;
    Ok(key)
}

pub fn seal(plaintext: &[u8], password: &str) -> Result<Sealed, SealError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let key = stretch(password, &salt, LOG_N, R, P)?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ciphertext = cipher
        .encrypt(&nonce, plaintext)
        .map_err(|_| SealError::Unsupported("encryption failed".into()))?;
    Ok(Sealed {
        kdf: "scrypt".into(),
        log_n: LOG_N,
        r: R,
        p: P,
        salt: B64.encode(salt),
        cipher: "xchacha20poly1305".into(),
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
    })
}

pub fn open(sealed: &Sealed, password: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.kdf != "scrypt" {
        return Err(SealError::Unsupported(format!("kdf {:?}", sealed.kdf)));
    }
    if sealed.cipher != "xchacha20poly1305" {
        return Err(SealError::Unsupported(format!(
            "cipher {:?}",
            sealed.cipher
        )));
    }
    // Bounded so a crafted file cannot make us allocate gigabytes.
    if sealed.log_n > 20 || sealed.r > 32 || sealed.p > 16 {
        return Err(SealError::Unsupported(format!(
            "scrypt cost log_n={} r={} p={} is above the accepted maximum (20, 32, 16)",
            sealed.log_n, sealed.r, sealed.p
        )));
    }
    let decode = |what: &str, s: &str| {
        B64.decode(s)
            .map_err(|e| SealError::Malformed(format!("{what}: {e}")))
    };
    let salt = decode("salt", &sealed.salt)?;
    let nonce = decode("nonce", &sealed.nonce)?;
    let ciphertext = decode("ciphertext", &sealed.ciphertext)?;
    if nonce.len() != 24 {
        return Err(SealError::Malformed(format!(
            "nonce is {} bytes, expected 24",
            nonce.len()
        )));
    }
    let key = stretch(password, &salt, sealed.log_n, sealed.r, sealed.p)?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    cipher
        .decrypt(nonce.as_slice().into(), ciphertext.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| SealError::WrongPassword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_password_only() {
        let sealed = seal(b"secret words", "hunter2").unwrap();
        assert_eq!(
            open(&sealed, "hunter2").unwrap().as_slice(),
            b"secret words"
        );
        assert_eq!(
            open(&sealed, "hunter3").unwrap_err(),
            SealError::WrongPassword
        );
        assert!(!sealed.ciphertext.contains("secret"));
    }

    #[test]
    fn tampered_or_foreign_sealed_data_is_refused() {
        let sealed = seal(b"secret", "pw").unwrap();
        let mut flipped = sealed.clone();
        let mut bytes = B64.decode(&flipped.ciphertext).unwrap();
        bytes[0] ^= 1;
        flipped.ciphertext = B64.encode(bytes);
        assert_eq!(open(&flipped, "pw").unwrap_err(), SealError::WrongPassword);

        let mut greedy = sealed.clone();
        greedy.log_n = 40;
        assert!(matches!(
            open(&greedy, "pw"),
            Err(SealError::Unsupported(_))
        ));
        let mut other = sealed.clone();
        other.kdf = "argon2id".into();
        assert!(matches!(open(&other, "pw"), Err(SealError::Unsupported(_))));
        let mut garbled = sealed;
        garbled.nonce = "!!".into();
        assert!(matches!(open(&garbled, "pw"), Err(SealError::Malformed(_))));
    }

    #[test]
    fn sealing_twice_gives_different_salts_and_nonces() {
        let a = seal(b"x", "pw").unwrap();
        let b = seal(b"x", "pw").unwrap();
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.nonce, b.nonce);
    }
}
