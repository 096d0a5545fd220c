//! Test accounts: keys from fixed seeds and their addresses.

use cosmrs::crypto::secp256k1::SigningKey;
use tesserad::Address;

/// A test account: a key from a fixed seed and its address.
pub struct Wallet {
    pub key: SigningKey,
    pub address: Address,
}

impl Wallet {
    pub fn from_seed(seed: u8) -> Self {
        Self::from_secret(&[seed; 32])
    }

    /// A wallet from 32 secret bytes (any value below the curve order other than zero).
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        let key = SigningKey::from_slice(secret).expect("a valid secp256k1 secret");
        let pk: [u8; 33] = key
            .public_key()
            .to_bytes()
            .try_into()
            .expect("secp256k1 keys are 33 bytes compressed");
        Self {
            key,
            address: Address::from_secp256k1(&pk),
        }
    }

    pub fn bech32(&self) -> String {
        self.address.to_string()
    }
}

pub fn alice() -> Wallet {
    Wallet::from_seed(1)
}
pub fn bob() -> Wallet {
    Wallet::from_seed(2)
}
pub fn carol() -> Wallet {
    Wallet::from_seed(3)
}
