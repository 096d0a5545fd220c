//! A genesis state without consensus, and single txs run on it through the app's tx pipeline.

use std::ops::Bound;
use std::sync::Arc;

use tessera_store::state::MemState;
use tessera_store::{Overlay, StateRead};
use tesserad::{bank, Address, AnteParams, Coin, Coins, Mode, NoWasm, TxContext, TxOutcome};

use super::wallet::{alice, bob, carol};
use crate::amounts::{CHAIN_ID, DENOM};

/// What alice and bob hold at genesis.
pub const GENESIS_BALANCE: u128 = 1_000_000_000;

pub fn coins(amount: u128) -> Coins {
    Coins::new(vec![Coin::new(amount, DENOM)]).expect("positive utsr")
}

/// Genesis: alice and bob funded (account numbers 0 and 1), carol holds only 100 utsr
/// (account number 2).
pub fn genesis() -> Overlay {
    let mut state = MemState::default();
    bank::mint(&mut state, &alice().address, &coins(GENESIS_BALANCE)).expect("mint");
    bank::mint(&mut state, &bob().address, &coins(GENESIS_BALANCE)).expect("mint");
    bank::mint(&mut state, &carol().address, &coins(100)).expect("mint");
    Overlay::new(Arc::new(state))
}

/// Every entry of the state, for before/after comparisons.
pub fn dump(state: &dyn StateRead) -> Vec<(Vec<u8>, Vec<u8>)> {
    state
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .map(|r| r.expect("entry"))
        .collect()
}

pub fn params() -> AnteParams {
    AnteParams::default()
}

pub fn ctx<'a>(mode: Mode, params: &'a AnteParams) -> TxContext<'a> {
    TxContext {
        chain_id: CHAIN_ID,
        block_height: 10,
        mode,
        params,
        verified_ahead: None,
        signature_cache: None,
    }
}

pub fn deliver(state: &mut Overlay, tx: &[u8]) -> TxOutcome {
    let params = params();
    tesserad::run_tx(state, tx, &ctx(Mode::Deliver, &params), &mut NoWasm)
}

pub fn balance(state: &dyn StateRead, who: &Address) -> u128 {
    bank::balance(state, who, DENOM).expect("balance")
}

/// Runs `tx` in Deliver mode and asserts it is refused with `code` and `log` and leaves the
/// state exactly as it was.
pub fn assert_refused_without_trace(state: &mut Overlay, tx: &[u8], code: u32, log: &str) {
    let before = dump(state);
    let outcome = deliver(state, tx);
    assert_eq!(
        (outcome.code, outcome.log.as_str()),
        (code, log),
        "codespace {}",
        outcome.codespace
    );
    assert_eq!(outcome.codespace, "sdk");
    assert!(outcome.data.is_empty());
    assert!(outcome.events.is_empty(), "a refused tx emits nothing");
    assert_eq!(dump(state), before, "a refused tx must not change state");
    assert_eq!(state.depth(), 0, "no overlay layer is left open");
}
