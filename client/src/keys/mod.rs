//! Keys: BIP-39 mnemonics, secp256k1 keys derived on the Cosmos HD path, Tessera addresses, and
//! the keyrings that keep them (`file`: encrypted at rest; `test`: plain files for dev chains;
//! `memory`: nothing on disk).
//!
//! - `key`: a key, where it comes from, its address, the rules for names.
//! - `keyring`: the keyrings, over `key`.
//! - `sealed`: how the `file` keyring encrypts a secret.

mod key;
mod keyring;
mod sealed;

pub use key::{
    address_of, generate_mnemonic, validate_key_name, Key, KeyError, KeyInfo, ADDRESS_PREFIX,
    DEFAULT_HD_PATH,
};
pub use keyring::{Backend, Keyring, PasswordPurpose, PasswordSource};
pub use sealed::SealError;
