//! The block gas limit: CometBFT's `consensus_params.block.max_gas`, which the app reads at
//! `init_chain`, keeps in its state, and enforces where CometBFT cannot — a proposer may put
//! anything in its proposal. The sum of the gas limits (`gas_wanted`) of a block's transactions
//! stays within it: `prepare_proposal` leaves out what does not fit, `process_proposal` rejects
//! a block over it, delivery fails a transaction over it, and `check_tx` refuses a transaction
//! that could never fit.

use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, TxRaw};
use cosmos_sdk_proto::prost::Message;

/// Where the limit lives in the app state (set at genesis).
pub const MAX_BLOCK_GAS_KEY: &[u8] = b"app/max_block_gas";

/// The limit the dev genesis sets, and the one the app applies when a genesis sets none
/// (`-1`): an unlimited block lets one proposer fill it with a single huge transaction.
pub const DEFAULT_MAX_BLOCK_GAS: u64 = 100_000_000;

/// The limit of a genesis `max_gas` (`-1` or `0` for none).
pub fn limit_from_genesis(max_gas: i64) -> u64 {
    u64::try_from(max_gas)
        .ok()
        .filter(|&gas| gas > 0)
        .unwrap_or(DEFAULT_MAX_BLOCK_GAS)
}

/// The gas limit a transaction asks for; 0 for bytes that are not a transaction (those fail
/// decoding in delivery without using gas).
pub fn gas_wanted(tx: &[u8]) -> u64 {
    auth_info(tx).as_ref().map_or(0, gas_wanted_by)
}

/// The gas limit in a transaction's auth info.
pub fn gas_wanted_by(info: &AuthInfo) -> u64 {
    info.fee.as_ref().map_or(0, |fee| fee.gas_limit)
}

/// A transaction's auth info (signers, fee) alone, without decoding its body.
pub fn auth_info(tx: &[u8]) -> Option<AuthInfo> {
    TxRaw::decode(tx)
        .ok()
        .and_then(|raw| AuthInfo::decode(raw.auth_info_bytes.as_slice()).ok())
}

/// Gas wanted so far in one block.
#[derive(Debug)]
pub struct BlockGas {
    limit: u64,
    wanted: u64,
}

impl BlockGas {
    pub fn new(limit: u64) -> Self {
        Self { limit, wanted: 0 }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn left(&self) -> u64 {
        self.limit - self.wanted
    }

    /// Counts `gas` if it fits in what is left; says whether it did.
    pub fn admit(&mut self, gas: u64) -> bool {
        if gas > self.left() {
            return false;
        }
        self.wanted += gas;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_admits_gas_up_to_its_limit_and_no_further() {
        let mut block = BlockGas::new(100);
        assert!(block.admit(60));
        assert!(!block.admit(41));
        assert!(block.admit(40));
        assert!(!block.admit(1));
        assert!(block.admit(0));
        assert_eq!(block.left(), 0);
    }

    #[test]
    fn an_unlimited_genesis_gets_the_default_limit() {
        assert_eq!(limit_from_genesis(-1), DEFAULT_MAX_BLOCK_GAS);
        assert_eq!(limit_from_genesis(0), DEFAULT_MAX_BLOCK_GAS);
        assert_eq!(limit_from_genesis(5_000), 5_000);
    }

    #[test]
    fn bytes_that_are_not_a_tx_want_no_gas() {
        assert_eq!(gas_wanted(b"\xff\xff garbage"), 0);
        assert_eq!(gas_wanted(&[]), 0);
    }
}
