//! Account addresses: raw bytes inside the node, bech32 (`tessera1…`) at every edge.

use std::fmt;

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Hrp};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::error::TxError;

/// Human-readable part of every Tessera account address.
pub const BECH32_PREFIX: &str = "tessera";

/// The SDK's limit on address length (`address.MaxAddrLen`); wasm contract addresses are 32
/// bytes, key-derived ones 20.
pub const MAX_ADDRESS_LEN: usize = 255;

/// An account address: 1 to 255 raw bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(Vec<u8>);

impl Address {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.is_empty() {
            return Err("addresses cannot be empty".to_string());
        }
        if bytes.len() > MAX_ADDRESS_LEN {
            return Err(format!(
                "address max length is {MAX_ADDRESS_LEN}, got {}",
                bytes.len()
            ));
        }
        Ok(Self(bytes.to_vec()))
    }

    /// Parses a `tessera1…` bech32 string (bech32, not bech32m, as Cosmos uses).
    pub fn from_bech32(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("empty address string is not allowed".to_string());
        }
        let parsed = CheckedHrpstring::new::<Bech32>(s)
            .map_err(|e| format!("decoding bech32 failed: {e}"))?;
        let hrp = parsed.hrp();
        if hrp.as_str() != BECH32_PREFIX {
            return Err(format!(
                "invalid Bech32 prefix; expected {BECH32_PREFIX}, got {}",
                hrp.as_str()
            ));
        }
        let bytes: Vec<u8> = parsed.byte_iter().collect();
        Self::from_bytes(&bytes)
    }

    /// Parses a bech32 address from a message field, as an SDK `ErrInvalidAddress`.
    pub fn parse_field(field: &str, s: &str) -> Result<Self, TxError> {
        Self::from_bech32(s).map_err(|e| TxError::invalid_address(format!("invalid {field}: {e}")))
    }

    /// The address of a secp256k1 key, as Cosmos derives it: ripemd160(sha256(compressed key)).
    pub fn from_secp256k1(compressed: &[u8; 33]) -> Self {
        let sha = Sha256::digest(compressed);
        Self(Ripemd160::digest(sha).to_vec())
    }

    /// A module account's address: the first 20 bytes of sha256(module name), as the SDK's
    /// `authtypes.NewModuleAddress` derives it, so nobody holds its key.
    pub fn module(name: &str) -> Self {
        Self(Sha256::digest(name.as_bytes())[..20].to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn to_bech32(&self) -> String {
        // Infallible for 1..=255 bytes with a valid constant prefix; the fallback keeps the
        // display total anyway.
        match Hrp::parse(BECH32_PREFIX)
            .ok()
            .and_then(|hrp| bech32::encode::<Bech32>(hrp, &self.0).ok())
        {
            Some(s) => s,
            None => format!("0x{}", hex_lower(&self.0)),
        }
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bech32())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_bech32())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bech32_round_trips_and_rejects_other_prefixes() {
        let addr = Address::module("fee_collector");
        let s = addr.to_bech32();
        assert!(s.starts_with("tessera1"));
        assert_eq!(Address::from_bech32(&s).unwrap(), addr);
        let cosmos = bech32::encode::<Bech32>(Hrp::parse("cosmos").unwrap(), &[1; 20]).unwrap();
        assert_eq!(
            Address::from_bech32(&cosmos).unwrap_err(),
            "invalid Bech32 prefix; expected tessera, got cosmos"
        );
        assert!(Address::from_bech32("tessera1xyz").is_err());
        assert!(Address::from_bech32("").is_err());
    }

    #[test]
    fn a_module_address_is_the_truncated_sha256_of_its_name() {
        let addr = Address::module("fee_collector");
        assert_eq!(
            addr.as_bytes(),
            &Sha256::digest(b"fee_collector")[..20],
            "SDK: address.Module(name) = sha256(name)[:20]"
        );
    }
}
