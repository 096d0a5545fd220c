//! The senders: each broadcasts its txs in sequence order, the next one as soon as the node's
//! CheckTx accepted the previous one, all senders at once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cosmrs::rpc::{Client, HttpClient};

use crate::signing::SignedTx;

/// The SDK's "mempool is full" code: worth retrying, unlike every other CheckTx refusal.
const MEMPOOL_FULL_CODE: u32 = 20;
/// Retries of one tx after a full mempool or a transport error before its sender gives up.
const MAX_RETRIES: u32 = 600;
const RETRY_PAUSE: Duration = Duration::from_millis(20);

/// When each tx was broadcast and when it was seen committed, shared by the senders and the
/// block follower.
#[derive(Default)]
pub struct Ledger {
    state: Mutex<LedgerState>,
    broadcasting_done: AtomicBool,
}

#[derive(Default)]
struct LedgerState {
    /// Txs CheckTx accepted, with when their broadcast began.
    accepted: HashMap<String, Instant>,
    committed: HashMap<String, Commit>,
    /// Txs in both maps, counted as they arrive so that the follower's check after every block
    /// does not walk all of them.
    accepted_and_committed: usize,
}

/// A tx the follower saw in a block.
#[derive(Clone, Copy, Debug)]
pub struct Commit {
    pub seen_at: Instant,
    pub height: u64,
    /// Whether it succeeded (code 0) in its block.
    pub ok: bool,
}

impl Ledger {
    fn state(&self) -> MutexGuard<'_, LedgerState> {
        // A panic elsewhere cannot leave the maps half-updated: each insert is one call.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn accepted(&self, hash: &str, broadcast_at: Instant) {
        let mut state = self.state();
        let new = state
            .accepted
            .insert(hash.to_string(), broadcast_at)
            .is_none();
        if new && state.committed.contains_key(hash) {
            state.accepted_and_committed += 1;
        }
    }

    pub fn committed(&self, hash: String, commit: Commit) {
        let mut state = self.state();
        let counts = state.accepted.contains_key(&hash);
        if state.committed.insert(hash, commit).is_none() && counts {
            state.accepted_and_committed += 1;
        }
    }

    pub fn broadcasting_done(&self) {
        self.broadcasting_done.store(true, Ordering::Release);
    }

    pub fn is_broadcasting_done(&self) -> bool {
        self.broadcasting_done.load(Ordering::Acquire)
    }

    /// Broadcasting has ended and every accepted tx has been seen in a block.
    pub fn is_settled(&self) -> bool {
        if !self.broadcasting_done.load(Ordering::Acquire) {
            return false;
        }
        let state = self.state();
        state.accepted_and_committed == state.accepted.len()
    }

    /// Up to `n` accepted txs not seen committed yet.
    pub fn uncommitted(&self, n: usize) -> Vec<String> {
        let state = self.state();
        state
            .accepted
            .keys()
            .filter(|hash| !state.committed.contains_key(*hash))
            .take(n)
            .cloned()
            .collect()
    }

    pub fn is_committed(&self, hash: &str) -> bool {
        self.state().committed.contains_key(hash)
    }

    pub fn accepted_count(&self) -> u64 {
        self.state().accepted.len() as u64
    }

    /// (succeeded, failed on chain) among the accepted txs seen committed.
    pub fn committed_counts(&self) -> (u64, u64) {
        let state = self.state();
        state
            .accepted
            .keys()
            .filter_map(|hash| state.committed.get(hash))
            .fold((0, 0), |(ok, failed), c| {
                if c.ok {
                    (ok + 1, failed)
                } else {
                    (ok, failed + 1)
                }
            })
    }

    /// The first and last heights holding an accepted tx that succeeded.
    pub fn committed_heights(&self) -> Option<(u64, u64)> {
        let state = self.state();
        let heights = state
            .accepted
            .keys()
            .filter_map(|hash| state.committed.get(hash))
            .filter(|c| c.ok)
            .map(|c| c.height);
        heights.fold(None, |range, h| match range {
            None => Some((h, h)),
            Some((lo, hi)) => Some((lo.min(h), hi.max(h))),
        })
    }

    /// From broadcast to seen committed, for every accepted tx that succeeded.
    pub fn latencies(&self) -> Vec<Duration> {
        let state = self.state();
        state
            .accepted
            .iter()
            .filter_map(|(hash, sent)| {
                let commit = state.committed.get(hash)?;
                commit
                    .ok
                    .then(|| commit.seen_at.saturating_duration_since(*sent))
            })
            .collect()
    }
}

/// What one sender got done.
#[derive(Clone, Debug, Default)]
pub struct SenderTally {
    pub accepted: u64,
    pub retries: u64,
    /// Why the sender stopped early (a refusal or too many retries), if it did.
    pub stopped: Option<String>,
}

/// How a sender paces itself.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// Txs a sender may have accepted but not yet committed. CometBFT 0.38 answers
    /// `broadcast_tx_sync` with the app's CheckTx result and only then checks whether the
    /// mempool is full, silently dropping the tx if it is (and with it every later tx of that
    /// sender, whose sequences no longer follow); senders × window must stay below the
    /// mempool's size (CometBFT's default: 5,000 txs).
    pub window: usize,
    /// How long a sender waits for its oldest tx in flight to commit before it gives up.
    pub stall_timeout: Duration,
    /// When to broadcast, for a load offered at a fixed rate; `None` broadcasts as soon as the
    /// window allows.
    pub schedule: Option<Schedule>,
}

/// A sender's broadcast slots: the i-th tx goes out at `first + i × interval` (or later, when
/// the window or the node holds it up).
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub first: Instant,
    pub interval: Duration,
}

/// Broadcasts `txs` in order; stops at the first refusal that retrying cannot fix, since the
/// txs after it carry later sequences.
pub async fn broadcast_in_order(
    client: HttpClient,
    txs: Vec<SignedTx>,
    ledger: Arc<Ledger>,
    pacing: Pacing,
) -> SenderTally {
    let mut tally = SenderTally::default();
    let mut in_flight = VecDeque::with_capacity(pacing.window);
    for (i, tx) in txs.into_iter().enumerate() {
        if let Some(schedule) = pacing.schedule {
            let due = schedule.first + schedule.interval.mul_f64(i as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        while in_flight.len() >= pacing.window.max(1) {
            let oldest: &String = &in_flight[0];
            let waiting = Instant::now();
            while !ledger.is_committed(oldest) {
                if waiting.elapsed() > pacing.stall_timeout {
                    tally.stopped = Some(format!(
                        "{oldest} was accepted but not committed within {:?} (dropped by the node?)",
                        pacing.stall_timeout
                    ));
                    return tally;
                }
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            in_flight.pop_front();
        }
        let mut attempts = 0;
        loop {
            let sent = Instant::now();
            let outcome = client.broadcast_tx_sync(tx.bytes.clone()).await;
            let retry_reason = match outcome {
                Ok(res) if res.code.is_ok() => {
                    ledger.accepted(&tx.hash, sent);
                    tally.accepted += 1;
                    in_flight.push_back(tx.hash.clone());
                    break;
                }
                Ok(res) if res.code.value() == MEMPOOL_FULL_CODE => res.log,
                Ok(res) => {
                    tally.stopped = Some(format!(
                        "CheckTx refused {} with code {}: {}",
                        tx.hash,
                        res.code.value(),
                        res.log
                    ));
                    return tally;
                }
                Err(e) => e.to_string(),
            };
            attempts += 1;
            tally.retries += 1;
            if attempts > MAX_RETRIES {
                tally.stopped = Some(format!(
                    "gave up on {} after {MAX_RETRIES} retries: {}",
                    tx.hash,
                    retry_reason.lines().next().unwrap_or_default()
                ));
                return tally;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit() -> Commit {
        Commit {
            seen_at: Instant::now(),
            height: 1,
            ok: true,
        }
    }

    #[test]
    fn settled_once_every_accepted_tx_is_seen_whichever_comes_first() {
        let ledger = Ledger::default();
        ledger.accepted("a", Instant::now());
        // Seen in a block before its CheckTx answer arrived.
        ledger.committed("b".into(), commit());
        ledger.accepted("b", Instant::now());
        // Someone else's tx in the same block.
        ledger.committed("other".into(), commit());
        ledger.broadcasting_done();
        assert!(!ledger.is_settled());
        ledger.committed("a".into(), commit());
        ledger.committed("a".into(), commit());
        assert!(ledger.is_settled());
        assert_eq!(ledger.committed_counts(), (2, 0));
    }
}
