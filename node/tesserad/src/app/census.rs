//! Which state each tx of a block reads and writes, and what that would let a parallel
//! executor gain: planning data, never part of consensus.
//!
//! [`App::access_census`] runs a block's txs in order on the latest committed state exactly as
//! `finalize_block` would, each in a layer of its own with the overlay's access log on (what a
//! tx reads back of its own writes is no dependency), keeps nothing, and returns each tx's
//! accesses. [`Dependencies`] turns them into the
//! read-after-write graph that an optimistic parallel executor (Block-STM style: every tx runs
//! on the versions written before it, a tx that read a version later rewritten runs again)
//! has to respect, and measures it in tx-lengths: the longest chain of dependent txs, and the
//! length of an in-order schedule on `n` workers.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use tessera_store::{Access, Overlay};
use tessera_vm::types::BlockEnv;
use tessera_vm::Timestamp;

use super::abci::FinalizeBlockRequest;
use super::parallel::as_slice;
use super::{stop_on_node_fault, App, AppError};
use crate::ante::Mode;
use crate::exec::run_tx;
use tessera_store::state::bounds_empty;

/// A range of keys a tx iterated, as the bounds it asked for.
pub type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// What one tx read from the state before it and what it changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxAccess {
    /// Keys read point-wise.
    pub reads: BTreeSet<Vec<u8>>,
    /// Ranges iterated (in either direction).
    pub ranges: Vec<KeyRange>,
    /// Keys set or deleted (for a failed tx, what its ante kept: the fee and the sequence).
    pub writes: BTreeSet<Vec<u8>>,
    /// The tx's result code (0: ok).
    pub code: u32,
}

impl App {
    /// Runs the txs of `req` as `finalize_block` would (same height, time, ante and VM) and
    /// reports what each read and wrote; nothing is kept, and no end-block hook runs. A node
    /// fault fails the census as it would fail the block.
    pub fn access_census(&self, req: &FinalizeBlockRequest) -> Result<Vec<TxAccess>, AppError> {
        let mut block_state = Overlay::new(self.store.snapshot()?);
        let block = BlockEnv {
            height: req.height,
            time: Timestamp::from_nanos(req.time.as_nanos()),
            chain_id: self.chain_id.clone(),
        };
        let ctx = self.ctx(block.height, Mode::Deliver);
        let mut census = Vec::with_capacity(req.txs.len());
        for (index, tx) in req.txs.iter().enumerate() {
            let mut executor = self.deliver_executor(&block, index, tx);
            // A logged layer of its own, to see what the tx read and kept.
            block_state.log_accesses();
            block_state.begin();
            let outcome = run_tx(&mut block_state, tx, &ctx, &mut executor);
            let outcome = stop_on_node_fault(index, outcome)?;
            let writes: BTreeSet<Vec<u8>> = block_state.top_keys().cloned().collect();
            block_state.keep();
            census.push(TxAccess::from_log(
                block_state.take_accesses(),
                writes,
                outcome.code,
            ));
        }
        Ok(census)
    }
}

impl TxAccess {
    /// What a tx's access log says it read from the state before it: a key it had already
    /// written itself is no dependency.
    fn from_log(log: Vec<Access>, writes: BTreeSet<Vec<u8>>, code: u32) -> Self {
        let mut own: BTreeSet<Vec<u8>> = BTreeSet::new();
        let mut access = TxAccess {
            writes,
            code,
            ..TxAccess::default()
        };
        for entry in log {
            match entry {
                Access::Read(key) if !own.contains(&key) => {
                    access.reads.insert(key);
                }
                Access::Read(_) => {}
                Access::Range(start, end) => access.ranges.push((start, end)),
                Access::Write(key) => {
                    own.insert(key);
                }
            }
        }
        access
    }
}

/// The read-after-write dependencies of a block's txs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependencies {
    /// For each tx, the earlier txs whose writes it read, ascending.
    on: Vec<Vec<usize>>,
}

impl Dependencies {
    /// Tx `j` depends on the last tx before it that wrote a key `j` read, point-wise or within
    /// a range. Point reads of keys under a prefix in `commuting` are left out: the balances an
    /// executor would credit as deltas summed after the block instead of read-modify-writes
    /// (sound only where those txs do nothing but credit them).
    pub fn of(access: &[TxAccess], commuting: &[Vec<u8>]) -> Self {
        let mut last_writer: BTreeMap<&[u8], usize> = BTreeMap::new();
        let mut on = Vec::with_capacity(access.len());
        for (j, tx) in access.iter().enumerate() {
            let mut deps = BTreeSet::new();
            for key in &tx.reads {
                if commuting.iter().any(|prefix| key.starts_with(prefix)) {
                    continue;
                }
                deps.extend(last_writer.get(key.as_slice()).copied());
            }
            for (start, end) in &tx.ranges {
                let bounds = (as_slice(start), as_slice(end));
                if !bounds_empty(bounds.0, bounds.1) {
                    deps.extend(last_writer.range::<[u8], _>(bounds).map(|(_, &i)| i));
                }
            }
            on.push(deps.into_iter().collect());
            for key in &tx.writes {
                last_writer.insert(key, j);
            }
        }
        Self { on }
    }

    /// Txs that read nothing an earlier tx of the block wrote.
    pub fn independent(&self) -> usize {
        self.on.iter().filter(|deps| deps.is_empty()).count()
    }

    /// The most txs in one chain of dependencies: no schedule on any number of workers is
    /// shorter, in tx-lengths.
    pub fn longest_chain(&self) -> usize {
        let mut depth = vec![0usize; self.on.len()];
        for (j, deps) in self.on.iter().enumerate() {
            depth[j] = 1 + deps.iter().map(|&i| depth[i]).max().unwrap_or(0);
        }
        depth.into_iter().max().unwrap_or(0)
    }

    /// The length of the schedule that starts the txs in block order on `workers` workers,
    /// each as soon as a worker is free and the txs it depends on have finished, every tx
    /// taking one unit: what an ideal executor with exact knowledge of the conflicts gets.
    pub fn in_order_schedule(&self, workers: usize) -> usize {
        let mut free_at = vec![0usize; workers.max(1)];
        let mut finish = vec![0usize; self.on.len()];
        for (j, deps) in self.on.iter().enumerate() {
            let ready = deps.iter().map(|&i| finish[i]).max().unwrap_or(0);
            // The worker free soonest; ties go to the first.
            let (worker, &free) = free_at
                .iter()
                .enumerate()
                .min_by_key(|&(_, &free)| free)
                .unwrap_or((0, &0));
            finish[j] = ready.max(free) + 1;
            free_at[worker] = finish[j];
        }
        finish.into_iter().max().unwrap_or(0)
    }
}

/// A key written by several txs of the block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotKey {
    pub key: Vec<u8>,
    /// Txs that wrote it.
    pub writers: usize,
    /// Txs that read it point-wise.
    pub readers: usize,
}

/// The `top` keys written by the most txs (at least two), most first, ties in key order.
pub fn hot_keys(access: &[TxAccess], top: usize) -> Vec<HotKey> {
    let mut writers: BTreeMap<&[u8], usize> = BTreeMap::new();
    for key in access.iter().flat_map(|tx| &tx.writes) {
        *writers.entry(key).or_default() += 1;
    }
    let mut hot: Vec<HotKey> = writers
        .into_iter()
        .filter(|&(_, n)| n >= 2)
        .map(|(key, n)| HotKey {
            key: key.to_vec(),
            writers: n,
            readers: access.iter().filter(|tx| tx.reads.contains(key)).count(),
        })
        .collect();
    // Stable: equal counts stay in key order.
    hot.sort_by_key(|hot| std::cmp::Reverse(hot.writers));
    hot.truncate(top);
    hot
}

/// A key as text: printable ASCII as is, every other byte as `\xNN`.
pub fn printable(key: &[u8]) -> String {
    key.iter()
        .map(|&b| match b {
            b' '..=b'~' if b != b'\\' => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(reads: &[&str], writes: &[&str]) -> TxAccess {
        TxAccess {
            reads: reads.iter().map(|k| k.as_bytes().to_vec()).collect(),
            writes: writes.iter().map(|k| k.as_bytes().to_vec()).collect(),
            ..TxAccess::default()
        }
    }

    #[test]
    fn a_tx_depends_on_the_last_earlier_writer_of_what_it_reads() {
        let block = [
            tx(&["a"], &["a"]),
            tx(&["b"], &["a"]),
            tx(&["a", "c"], &["c"]),
            tx(&["c"], &[]),
            tx(&["z"], &["z"]),
        ];
        let deps = Dependencies::of(&block, &[]);
        // tx 1 writes `a` blindly: no dependency on tx 0, and tx 2 reads tx 1's `a`.
        assert_eq!(deps.on, vec![vec![], vec![], vec![1], vec![2], vec![]]);
        assert_eq!(deps.independent(), 3);
        assert_eq!(deps.longest_chain(), 3);
        assert_eq!(deps.in_order_schedule(1), 5);
        // One worker runs txs 0, 2 and 4, the other 1 and then 3 (which waits for 2).
        assert_eq!(deps.in_order_schedule(2), 3);
        assert_eq!(deps.in_order_schedule(8), 3);
    }

    #[test]
    fn range_reads_depend_on_writes_inside_the_range_only() {
        let mut reader = tx(&[], &[]);
        reader.ranges.push((
            Bound::Included(b"b".to_vec()),
            Bound::Excluded(b"d".to_vec()),
        ));
        // An empty range (start after end) is no dependency and no panic.
        reader.ranges.push((
            Bound::Excluded(b"x".to_vec()),
            Bound::Excluded(b"x".to_vec()),
        ));
        let block = [tx(&[], &["a", "d"]), tx(&[], &["c"]), reader];
        assert_eq!(Dependencies::of(&block, &[]).on[2], vec![1]);
    }

    #[test]
    fn commuting_prefixes_remove_the_hot_credit_from_the_graph() {
        let block: Vec<TxAccess> = (0..6)
            .map(|i| {
                let own = format!("seq/{i}");
                tx(&[own.as_str(), "bal/fees"], &[own.as_str(), "bal/fees"])
            })
            .collect();
        let serial = Dependencies::of(&block, &[]);
        assert_eq!(serial.longest_chain(), 6);
        assert_eq!(serial.in_order_schedule(2), 6);
        let credits = Dependencies::of(&block, &[b"bal/".to_vec()]);
        assert_eq!(credits.longest_chain(), 1);
        assert_eq!(credits.in_order_schedule(2), 3);
        let hot = hot_keys(&block, 3);
        assert_eq!(
            hot,
            vec![HotKey {
                key: b"bal/fees".to_vec(),
                writers: 6,
                readers: 6
            }]
        );
    }

    #[test]
    fn keys_print_as_ascii_with_escapes() {
        assert_eq!(printable(b"\x02bal\\x\xff"), "\\x02bal\\x5cx\\xff");
    }
}
