//! Delivering a block's txs on several cores, with exactly the results of running them in
//! order.
//!
//! Every tx first runs speculatively on the state before the block, on whichever thread is free
//! (helper threads and the block's own thread), with its overlay logging what it read and wrote.
//! The block's thread then takes the txs in block order. A tx that read nothing an earlier tx of
//! the block wrote saw exactly what it would have seen in order, so its outcome and writes are
//! the ordered run's and are applied as they are. Otherwise it runs again, in order, on the
//! block's state, like the serial path.
//!
//! A tx with a signer who signed an earlier tx of the block is never run ahead: its account
//! (the sequence) is written before it, so the run would be thrown away. It runs in order.
//!
//! One conflict is resolved without running again, because every tx of a busy block has it:
//! crediting a balance that an earlier tx credited too (each tx's fee goes to the fee
//! collector, each bid's deposit to the market). When the tx touched that balance only by one
//! read and then one write of a larger amount (the bank's read-modify-write of a credit), the
//! credit is moved onto the current balance, provided the read and the written value keep
//! their lengths (so the tx's gas is what the ordered run charges; see
//! [`crate::bank::rebase_credit`]). The ordered run's result is the same by construction;
//! `tests/parallel_execution.rs` runs conflicting blocks both ways to the same app hash.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Bound;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tessera_store::state::bounds_empty;
use tessera_store::{Access, Overlay, StateRead, StateWrite};
use tessera_vm::types::BlockEnv;

use super::block_gas::{self, BlockGas};
use super::{stop_on_node_fault, App, AppError};
use crate::ante::Mode;
use crate::bank;
use crate::error::TxError;
use crate::exec::{run_tx, TxOutcome};

/// A pending change, as `Overlay::changes` gives it: `None` deletes.
type Change = Option<Vec<u8>>;

/// A tx run on the state before the block.
struct Speculation {
    outcome: TxOutcome,
    changes: BTreeMap<Vec<u8>, Change>,
    accesses: Vec<Access>,
}

/// Speculations, filled by any thread, taken in block order by the block's thread. A slot
/// holds `Some(None)` when its speculation panicked: the tx runs again in order, where the
/// panic (if it is one of the tx's) happens as it would without helpers.
struct Slots {
    /// What the block's thread and the claims need of each tx's auth info, read once.
    heads: Vec<TxHead>,
    next: AtomicUsize,
    done: Mutex<Vec<Option<Option<Speculation>>>>,
    filled: Condvar,
}

impl App {
    /// `deliver_txs` on `1 + helpers` threads (see the module doc).
    pub(super) fn deliver_txs_in_parallel(
        &self,
        overlay: &mut Overlay,
        pre_block: &Arc<dyn StateRead + Send + Sync>,
        block: &BlockEnv,
        txs: &[Vec<u8>],
        helpers: usize,
    ) -> Result<Vec<TxOutcome>, AppError> {
        let slots = Slots {
            heads: tx_heads(txs),
            next: AtomicUsize::new(0),
            done: Mutex::new(txs.iter().map(|_| None).collect()),
            filled: Condvar::new(),
        };
        let speculate_next = || -> bool {
            let (index, tx) = loop {
                let index = slots.next.fetch_add(1, Ordering::Relaxed);
                match txs.get(index) {
                    None => return false,
                    Some(_) if slots.heads[index].in_order => continue,
                    Some(tx) => break (index, tx),
                }
            };
            let speculation = std::panic::catch_unwind(AssertUnwindSafe(|| {
                self.speculate(pre_block, block, index, tx)
            }))
            .ok();
            slots.done.lock().unwrap_or_else(PoisonError::into_inner)[index] = Some(speculation);
            slots.filled.notify_all();
            true
        };
        std::thread::scope(|scope| {
            for _ in 0..helpers {
                scope.spawn(|| while speculate_next() {});
            }
            let result =
                self.apply_in_order(overlay, pre_block, block, txs, &slots, &speculate_next);
            // On a node fault the helpers stop at their next claim.
            slots.next.store(txs.len(), Ordering::Relaxed);
            result
        })
    }

    fn speculate(
        &self,
        pre_block: &Arc<dyn StateRead + Send + Sync>,
        block: &BlockEnv,
        index: usize,
        tx: &[u8],
    ) -> Speculation {
        let mut overlay = Overlay::new(Arc::clone(pre_block));
        overlay.log_accesses();
        let ctx = self.ctx(block.height, Mode::Deliver);
        let outcome = run_tx(
            &mut overlay,
            tx,
            &ctx,
            &mut self.deliver_executor(block, index, tx),
        );
        Speculation {
            outcome,
            accesses: overlay.take_accesses(),
            changes: overlay.changes(),
        }
    }

    /// The block's thread: each tx's outcome in order, from its speculation where that holds,
    /// else from running it again on `overlay`; while the next speculation is not ready, it
    /// speculates on a later tx itself.
    fn apply_in_order(
        &self,
        overlay: &mut Overlay,
        pre_block: &Arc<dyn StateRead + Send + Sync>,
        block: &BlockEnv,
        txs: &[Vec<u8>],
        slots: &Slots,
        speculate_next: &dyn Fn() -> bool,
    ) -> Result<Vec<TxOutcome>, AppError> {
        let mut written: BTreeSet<Vec<u8>> = BTreeSet::new();
        let mut tx_results = Vec::with_capacity(txs.len());
        let mut gas = BlockGas::new(self.max_block_gas);
        for (index, tx) in txs.iter().enumerate() {
            let head = &slots.heads[index];
            let speculation = if head.in_order {
                None
            } else {
                Some(loop {
                    let mut done = slots.done.lock().unwrap_or_else(PoisonError::into_inner);
                    if let Some(speculation) = done[index].take() {
                        break speculation;
                    }
                    drop(done);
                    if !speculate_next() {
                        let done = slots.done.lock().unwrap_or_else(PoisonError::into_inner);
                        drop(
                            slots
                                .filled
                                .wait_while(done, |done| done[index].is_none())
                                .unwrap_or_else(PoisonError::into_inner),
                        );
                    }
                })
            };
            // Admission as in the ordered run: a refused tx changes nothing.
            let wanted = head.gas_wanted;
            if !gas.admit(wanted) {
                let error = TxError::block_gas_exceeded(wanted, gas.left(), gas.limit());
                tx_results.push(TxOutcome::failed(error, wanted, 0, Vec::new()));
                continue;
            }
            let valid = match speculation.flatten() {
                Some(speculation) => still_valid(speculation, &written, overlay, &**pre_block)?,
                None => None,
            };
            let outcome = match valid {
                Some(Validated {
                    outcome,
                    changes,
                    credits_moved,
                }) => {
                    let counter = if credits_moved {
                        &self.parallel_stats.credits_moved
                    } else {
                        &self.parallel_stats.applied
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    for (key, change) in changes {
                        match &change {
                            Some(value) => overlay.set(&key, value),
                            None => overlay.delete(&key),
                        }
                        written.insert(key);
                    }
                    outcome
                }
                None => {
                    let counter = if head.in_order {
                        &self.parallel_stats.in_order
                    } else {
                        &self.parallel_stats.rerun
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    let ctx = self.ctx(block.height, Mode::Deliver);
                    let mut executor = self.deliver_executor(block, index, tx);
                    // A layer of its own, to see what the tx kept.
                    overlay.begin();
                    let outcome = run_tx(overlay, tx, &ctx, &mut executor);
                    written.extend(overlay.top_keys().cloned());
                    overlay.keep();
                    outcome
                }
            };
            tx_results.push(stop_on_node_fault(index, outcome)?);
        }
        Ok(tx_results)
    }
}

/// A tx's auth info, as far as the scheduling needs it.
struct TxHead {
    /// As `block_gas::gas_wanted` reads it.
    gas_wanted: u64,
    /// A signer of it (by the public key in its auth info) signed an earlier tx of the block: it
    /// only runs in order. A tx whose auth info cannot be read, or names no key, is run ahead
    /// anyway; the check after the run catches what it conflicts with.
    in_order: bool,
}

fn tx_heads(txs: &[Vec<u8>]) -> Vec<TxHead> {
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    txs.iter()
        .map(|tx| {
            let info = block_gas::auth_info(tx);
            let keys: Vec<Vec<u8>> = info
                .iter()
                .flat_map(|info| &info.signer_infos)
                .filter_map(|signer| signer.public_key.as_ref().map(|key| key.value.clone()))
                .collect();
            let in_order = keys.iter().any(|key| seen.contains(key));
            seen.extend(keys);
            TxHead {
                gas_wanted: info.as_ref().map_or(0, block_gas::gas_wanted_by),
                in_order,
            }
        })
        .collect()
}

/// A speculation that holds in order.
struct Validated {
    outcome: TxOutcome,
    changes: BTreeMap<Vec<u8>, Change>,
    credits_moved: bool,
}

/// The speculation's outcome and changes when they are what running the tx in order on
/// `block_state` gives (credits to balances moved onto their current amounts, and whether any
/// was); `None` when the tx must run again.
fn still_valid(
    speculation: Speculation,
    written: &BTreeSet<Vec<u8>>,
    block_state: &Overlay,
    pre_block: &dyn StateRead,
) -> Result<Option<Validated>, AppError> {
    let Speculation {
        outcome,
        mut changes,
        accesses,
    } = speculation;
    if outcome.is_node_fault() {
        return Ok(None);
    }
    // How the tx touched each key that an earlier tx of the block wrote.
    let mut touched: BTreeMap<&[u8], Vec<bool>> = BTreeMap::new();
    for access in &accesses {
        match access {
            Access::Read(key) if written.contains(key) => {
                touched.entry(key.as_slice()).or_default().push(false)
            }
            Access::Write(key) if written.contains(key) => {
                touched.entry(key.as_slice()).or_default().push(true)
            }
            Access::Range(start, end) => {
                let bounds = (as_slice(start), as_slice(end));
                if !bounds_empty(bounds.0, bounds.1)
                    && written.range::<[u8], _>(bounds).next().is_some()
                {
                    return Ok(None);
                }
            }
            _ => {}
        }
    }
    let mut moved = false;
    for (key, writes) in touched {
        match writes.as_slice() {
            // Only written: the tx's own write replaces the earlier one, as in order.
            w if w.iter().all(|&write| write) => {}
            // One read, then one write: a credit, if the bank's and growing.
            [false, true] if bank::is_balance_key(key) => {
                let Some(Some(credited)) = changes.get(key) else {
                    return Ok(None);
                };
                let seen = pre_block.get(key)?;
                let current = block_state.get(key)?;
                match bank::rebase_credit(seen.as_deref(), current.as_deref(), credited) {
                    Some(total) => changes.insert(key.to_vec(), Some(total)),
                    None => return Ok(None),
                };
                moved = true;
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(Validated {
        outcome,
        changes,
        credits_moved: moved,
    }))
}

pub(super) fn as_slice(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    bound.as_ref().map(Vec::as_slice)
}
