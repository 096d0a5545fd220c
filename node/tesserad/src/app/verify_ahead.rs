//! Verifying a block's signatures on a second thread while its transactions execute.
//!
//! A signature check depends on state only through the signer's account number and key, which
//! almost never change within a block (see [`VerifiedAhead`] for how the ante guards against
//! the cases where they do). So a helper thread walks the block in order against the state
//! before it, and by the time the executing thread reaches a tx its signatures are usually
//! checked: on two cores the secp256k1 work leaves the block's critical path.

use std::sync::atomic::{AtomicBool, Ordering};

use tessera_store::StateRead;

use crate::ante::{verify_signature, VerifiedAhead};
use crate::auth;
use crate::sigcache::SignatureCache;
use crate::tx::Tx;

/// Verifies the signatures of `txs` in order against `pre_block` state, filling one slot per
/// tx, until done or until `stop` is set. Every slot is filled when this returns (or unwinds),
/// so a waiting ante never blocks for good.
pub fn verify_block(
    pre_block: &dyn StateRead,
    chain_id: &str,
    cache: &SignatureCache,
    txs: &[Vec<u8>],
    slots: &[VerifiedAhead],
    stop: &AtomicBool,
) {
    let _fill_rest = FillOnExit(slots);
    for (tx, slot) in txs.iter().zip(slots) {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        slot.set(verify_tx(pre_block, chain_id, cache, tx));
    }
}

/// Per signer, the key and account number its signature verified against.
fn verify_tx(
    pre_block: &dyn StateRead,
    chain_id: &str,
    cache: &SignatureCache,
    tx_bytes: &[u8],
) -> Vec<Option<(crate::crypto::PublicKey, u64)>> {
    let Ok(tx) = Tx::decode(tx_bytes) else {
        return Vec::new();
    };
    tx.signers()
        .iter()
        .enumerate()
        .map(|(i, signer)| {
            let account = auth::get_account(pre_block, signer).ok().flatten()?;
            let info = tx.auth_info.signer_infos.get(i)?;
            let key = account.pubkey.or(info.public_key)?;
            verify_signature(&tx, chain_id, i, &key, account.account_number, Some(cache)).ok()?;
            Some((key, account.account_number))
        })
        .collect()
}

/// Marks the slots the helper did not get to as "not verified", also when it panics.
struct FillOnExit<'a>(&'a [VerifiedAhead]);

impl Drop for FillOnExit<'_> {
    fn drop(&mut self) {
        for slot in self.0 {
            slot.set(Vec::new());
        }
    }
}
