//! The hashes of the chain's recent blocks, kept in state for contracts: a verification sample is
//! drawn from the hashes of the three blocks after an attestation (`tessera_api::sampling`),
//! which nobody knows when the attestation is made. Every node writes the same value, CometBFT's
//! hash of the block being finalized, so the state (and the app hash) stays deterministic. The
//! keys and the query contracts make are the VM's (`tessera_vm::block_hashes`).

use tessera_store::StateWrite;
use tessera_vm::block_hashes::{key, HISTORY};

/// CometBFT's block hashes are sha256 digests.
pub const HASH_LEN: usize = 32;

/// Records the hash of block `height` and forgets the one that falls out of the window.
pub fn record(state: &mut dyn StateWrite, height: u64, hash: &[u8]) {
    state.set(&key(height), hash);
    if let Some(old) = height.checked_sub(HISTORY) {
        state.delete(&key(old));
    }
}
