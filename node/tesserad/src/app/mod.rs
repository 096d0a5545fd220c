//! The application state machine behind an ABCI 2.0-shaped interface: `info`, `init_chain`,
//! `check_tx`, `prepare_proposal`, `process_proposal`, `finalize_block`, `commit`, `query`.
//!
//! A block runs in an [`Overlay`] over the committed store; `finalize_block` computes the app
//! hash the commit will produce without writing, and `commit` writes it in one atomic store
//! transaction. A process killed at any point reopens at the last committed height and the
//! consensus engine replays the rest.

pub mod abci;
pub mod block_gas;
pub mod block_hashes;
mod block_phases;
pub mod census;
pub mod genesis;
mod parallel;
mod parallel_stats;
pub mod query;
mod verify_ahead;
pub mod wasm;

pub use block_phases::BlockPhases;
pub use parallel_stats::ParallelStats;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};
use tessera_store::{Overlay, Snapshot, StateRead, StateWrite, Store, StoreError, StoreOptions};
use tessera_vm::types::{BlockEnv, TxEnv};
use tessera_vm::{Timestamp, VmConfig, WasmHost};
use thiserror::Error;

use crate::ante::{AnteParams, Mode, TxContext, VerifiedAhead, DEFAULT_SIMULATION_GAS_LIMIT};
use crate::error::TxError;
use crate::event::Event;
use crate::exec::{run_tx, NoWasm, TxOutcome};
use crate::fees::GasPrice;
use crate::sigcache::SignatureCache;
use abci::*;
use block_gas::{BlockGas, MAX_BLOCK_GAS_KEY};
use wasm::{call_env, with_shared, ChainBank, VmExecutor};

/// Time of the last finalized block (big-endian nanoseconds): the clock of simulations and
/// queries between blocks.
pub const BLOCK_TIME_KEY: &[u8] = b"app/block_time";

/// The message the end-block hooks receive.
pub const END_BLOCK_MSG: &[u8] = br#"{"end_block":{}}"#;

#[derive(Error, Debug)]
pub enum AppError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("wasm host: {0}")]
    Vm(String),
    #[error("genesis: {0}")]
    Genesis(String),
    #[error("consensus: {0}")]
    Consensus(String),
    /// A fault of this node (storage), not of a transaction: the block must not be committed.
    #[error("internal error in tx {index}: {log}")]
    Internal { index: usize, log: String },
}

#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Where the state (`state.redb`) and the VM cache (`wasm/`) live.
    pub data_dir: PathBuf,
    /// This validator's minimum gas prices (mempool admission only).
    pub min_gas_prices: Vec<GasPrice>,
    /// Committed versions kept queryable.
    pub keep_versions: u64,
    /// Most gas one `Simulate` may use.
    pub simulation_gas_limit: u64,
    /// Signatures remembered between CheckTx and the block (0: verify every time).
    pub signature_cache_entries: usize,
    /// Threads besides the block's own that run its txs ahead of order (`app/parallel.rs`);
    /// 0 runs them one after the other on one thread. The results are the same either way.
    pub parallel_helpers: usize,
}

/// One helper per core besides the block's own thread.
pub fn default_parallel_helpers() -> usize {
    std::thread::available_parallelism().map_or(0, |cores| cores.get() - 1)
}

impl AppConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            min_gas_prices: vec![],
            keep_versions: 100,
            simulation_gas_limit: DEFAULT_SIMULATION_GAS_LIMIT,
            signature_cache_entries: crate::sigcache::DEFAULT_CAPACITY,
            parallel_helpers: default_parallel_helpers(),
        }
    }
}

/// A block finalized but not yet committed.
struct Pending {
    height: u64,
    overlay: Overlay,
    response: FinalizeBlockResponse,
}

pub struct App {
    store: Arc<Store>,
    host: WasmHost,
    ante: AnteParams,
    chain_id: String,
    /// The block gas limit (consensus state, from genesis).
    max_block_gas: u64,
    /// Genesis state from `init_chain`, consumed by the first block (so it commits with it).
    genesis: Option<Overlay>,
    pending: Option<Pending>,
    /// The mempool's view: committed state plus the checked transactions' ante effects.
    check: Overlay,
    /// Signatures verified in CheckTx (or a block) that the next block need not verify again.
    signature_cache: SignatureCache,
    parallel_helpers: usize,
    parallel_stats: Arc<ParallelStats>,
    /// The phases of the last `finalize_block` that ran a block.
    last_phases: BlockPhases,
}

impl App {
    pub fn open(config: AppConfig) -> Result<App, AppError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            AppError::Store(StoreError::Backend(format!(
                "{}: {e}",
                config.data_dir.display()
            )))
        })?;
        let store = Arc::new(Store::open_with(
            config.data_dir.join(crate::node::config::STATE_FILE),
            StoreOptions::keeping(config.keep_versions),
        )?);
        let host = WasmHost::new(
            VmConfig::new(config.data_dir.join("wasm")),
            Arc::new(ChainBank),
        )
        .map_err(|e| AppError::Vm(e.to_string()))?;
        let check = Overlay::new(store.snapshot()?);
        let mut app = App {
            store,
            host,
            ante: AnteParams {
                min_gas_prices: config.min_gas_prices,
                simulation_gas_limit: config.simulation_gas_limit,
                ..AnteParams::default()
            },
            chain_id: String::new(),
            max_block_gas: block_gas::DEFAULT_MAX_BLOCK_GAS,
            genesis: None,
            pending: None,
            check,
            signature_cache: SignatureCache::new(config.signature_cache_entries),
            parallel_helpers: config.parallel_helpers,
            parallel_stats: Arc::default(),
            last_phases: BlockPhases::default(),
        };
        app.load_committed()?;
        Ok(app)
    }

    /// Reads what the app keeps in memory from the committed state: the chain id, the block
    /// gas limit, the mempool's base, the VM's pinned codes.
    fn load_committed(&mut self) -> Result<(), AppError> {
        let snapshot = self.store.snapshot()?;
        self.chain_id = snapshot
            .get(genesis::CHAIN_ID_KEY)?
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        self.max_block_gas = read_max_block_gas(&*snapshot)?;
        self.check = Overlay::new(snapshot.clone());
        self.genesis = None;
        self.pending = None;
        let shared = Arc::new(std::sync::Mutex::new(Overlay::new(snapshot)));
        self.host
            .sync_pinned(&shared)
            .map_err(|e| AppError::Vm(e.to_string()))
    }

    /// Fills an empty app with the state of `height` restored by state sync, if it hashes to
    /// the trusted `app_hash` (otherwise nothing changes and the error says so). Blocks after
    /// `height` then come from block sync.
    pub fn restore(
        &mut self,
        height: u64,
        state: std::collections::BTreeMap<Vec<u8>, Vec<u8>>,
        app_hash: [u8; 32],
    ) -> Result<(), AppError> {
        self.store.restore(height, state, app_hash)?;
        self.load_committed()
    }

    /// Signatures verified so far that blocks need not verify again.
    pub fn signature_cache(&self) -> &SignatureCache {
        &self.signature_cache
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn host(&self) -> &WasmHost {
        &self.host
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    pub fn info(&self) -> InfoResponse {
        let height = self.store.latest_version();
        InfoResponse {
            version: env!("CARGO_PKG_VERSION").to_string(),
            app_version: 1,
            last_block_height: height,
            last_block_app_hash: if height == 0 {
                Vec::new()
            } else {
                self.store.app_hash().to_vec()
            },
        }
    }

    pub fn init_chain(&mut self, req: InitChainRequest) -> Result<InitChainResponse, AppError> {
        if self.store.latest_version() > 0 {
            return Err(AppError::Consensus(
                "init_chain on a chain that already has blocks".into(),
            ));
        }
        let app_state: genesis::AppState = serde_json::from_slice(&req.app_state_bytes)
            .map_err(|e| AppError::Genesis(format!("app_state: {e}")))?;
        self.chain_id = req.chain_id.clone();
        let block = BlockEnv {
            height: req.initial_height.max(1),
            time: Timestamp::from_nanos(req.time.as_nanos()),
            chain_id: req.chain_id,
        };
        let mut overlay = Overlay::new(self.store.snapshot()?);
        genesis::apply(&mut overlay, &self.host, &block, &app_state)?;
        self.max_block_gas = block_gas::limit_from_genesis(req.max_block_gas);
        overlay.set(MAX_BLOCK_GAS_KEY, &self.max_block_gas.to_be_bytes());
        let app_hash = self.store.working_hash(&overlay.changes())?;
        self.check = Overlay::new(self.store.snapshot()?);
        self.genesis = Some(overlay);
        Ok(InitChainResponse {
            app_hash: app_hash.to_vec(),
        })
    }

    fn ctx(&self, height: u64, mode: Mode) -> TxContext<'_> {
        TxContext {
            chain_id: &self.chain_id,
            block_height: height,
            mode,
            params: &self.ante,
            verified_ahead: None,
            signature_cache: Some(&self.signature_cache),
        }
    }

    /// What the parallel executor did since the app opened (`app/parallel.rs`).
    pub fn parallel_stats(&self) -> &Arc<ParallelStats> {
        &self.parallel_stats
    }

    /// How long the phases of the last block `finalize_block` ran took (a repeated call for the
    /// same height answers from memory and leaves them as they were).
    pub fn last_block_phases(&self) -> BlockPhases {
        self.last_phases
    }

    pub fn max_block_gas(&self) -> u64 {
        self.max_block_gas
    }

    /// Mempool admission: decoding and the ante checks against the mempool's view. A tx whose
    /// gas limit exceeds the block's could never be included: refused here.
    pub fn check_tx(&mut self, tx: &[u8], _kind: CheckTxKind) -> TxOutcome {
        let wanted = block_gas::gas_wanted(tx);
        if wanted > self.max_block_gas {
            let limit = self.max_block_gas;
            return TxOutcome::failed(
                TxError::block_gas_exceeded(wanted, limit, limit),
                wanted,
                0,
                Vec::new(),
            );
        }
        let height = self.store.latest_version() + 1;
        let ctx = TxContext {
            chain_id: &self.chain_id,
            block_height: height,
            mode: Mode::Check,
            params: &self.ante,
            verified_ahead: None,
            signature_cache: Some(&self.signature_cache),
        };
        run_tx(&mut self.check, tx, &ctx, &mut NoWasm)
    }

    /// Keeps the proposer's transactions in order while they fit `max_tx_bytes`, leaving out
    /// those whose gas limit no longer fits the block's (they stay in the mempool for the next).
    pub fn prepare_proposal(&self, txs: Vec<Vec<u8>>, max_tx_bytes: u64) -> Vec<Vec<u8>> {
        let mut used = 0u64;
        let mut gas = BlockGas::new(self.max_block_gas);
        txs.into_iter()
            .take_while(|tx| {
                used = used.saturating_add(tx.len() as u64);
                used <= max_tx_bytes
            })
            .filter(|tx| gas.admit(block_gas::gas_wanted(tx)))
            .collect()
    }

    /// Rejects a proposal whose transactions want more gas than a block has; otherwise accepts
    /// it: invalid transactions fail in `finalize_block` with their codes, as in the Cosmos SDK.
    pub fn process_proposal(&self, txs: &[Vec<u8>]) -> bool {
        let mut gas = BlockGas::new(self.max_block_gas);
        txs.iter().all(|tx| gas.admit(block_gas::gas_wanted(tx)))
    }

    pub fn finalize_block(
        &mut self,
        req: FinalizeBlockRequest,
    ) -> Result<FinalizeBlockResponse, AppError> {
        if let Some(pending) = &self.pending {
            if pending.height == req.height {
                return Ok(pending.response.clone());
            }
            return Err(AppError::Consensus(format!(
                "finalize_block({}) while block {} awaits commit",
                req.height, pending.height
            )));
        }
        if req.hash.len() != block_hashes::HASH_LEN {
            return Err(AppError::Consensus(format!(
                "finalize_block({}) with a block hash of {} bytes, not {}",
                req.height,
                req.hash.len(),
                block_hashes::HASH_LEN
            )));
        }
        let expected = self.store.latest_version() + 1;
        if req.height != expected && !(self.genesis.is_some() && self.store.latest_version() == 0) {
            return Err(AppError::Consensus(format!(
                "finalize_block({}) but the next height is {expected}",
                req.height
            )));
        }
        // The genesis block runs on the genesis overlay, which has no committed base to
        // verify against ahead of time.
        let (mut overlay, pre_block) = match self.genesis.take() {
            Some(genesis) => (genesis, None),
            None => {
                let snapshot = self.store.snapshot()?;
                (Overlay::new(snapshot.clone()), Some(snapshot))
            }
        };
        let block = BlockEnv {
            height: req.height,
            time: Timestamp::from_nanos(req.time.as_nanos()),
            chain_id: self.chain_id.clone(),
        };
        let helpers = self.parallel_helpers.min(req.txs.len().saturating_sub(1));
        let delivering = Instant::now();
        let tx_results = match &pre_block {
            Some(pre_block) if helpers > 0 => {
                let pre_block: Arc<dyn StateRead + Send + Sync> = pre_block.clone();
                self.deliver_txs_in_parallel(&mut overlay, &pre_block, &block, &req.txs, helpers)?
            }
            _ => {
                self.deliver_verifying_ahead(&mut overlay, pre_block.as_deref(), &block, &req.txs)?
            }
        };
        let deliver = delivering.elapsed();
        overlay.set(BLOCK_TIME_KEY, &req.time.as_nanos().to_be_bytes());
        block_hashes::record(&mut overlay, req.height, &req.hash);
        let ending = Instant::now();
        let events = self.end_block(&mut overlay, &block)?;
        let end_block = ending.elapsed();
        // Staged, not just hashed: the commit that follows makes this write durable instead of
        // redoing the tree update.
        let hashing = Instant::now();
        let app_hash = self.store.stage(req.height, &overlay.changes())?.to_vec();
        self.last_phases = BlockPhases {
            deliver,
            end_block,
            app_hash: hashing.elapsed(),
        };
        let response = FinalizeBlockResponse {
            tx_results,
            events,
            app_hash,
        };
        self.pending = Some(Pending {
            height: req.height,
            overlay,
            response: response.clone(),
        });
        Ok(response)
    }

    /// Runs the block's transactions in order on this thread while a helper thread checks the
    /// signatures of the txs ahead against `pre_block` (none for the genesis block).
    fn deliver_verifying_ahead(
        &self,
        overlay: &mut Overlay,
        pre_block: Option<&Snapshot>,
        block: &BlockEnv,
        txs: &[Vec<u8>],
    ) -> Result<Vec<TxOutcome>, AppError> {
        let verified: Vec<VerifiedAhead> = txs.iter().map(|_| VerifiedAhead::default()).collect();
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            if let Some(pre_block) = pre_block {
                scope.spawn(|| {
                    verify_ahead::verify_block(
                        pre_block,
                        &self.chain_id,
                        &self.signature_cache,
                        txs,
                        &verified,
                        &stop,
                    )
                });
            }
            let ahead = pre_block.map(|_| verified.as_slice());
            let results = self.deliver_txs(overlay, block, txs, ahead);
            stop.store(true, Ordering::Relaxed);
            results
        })
    }

    /// Runs the block's transactions in order; `verified_ahead` holds one slot per tx when a
    /// helper thread checks their signatures meanwhile.
    fn deliver_txs(
        &self,
        overlay: &mut Overlay,
        block: &BlockEnv,
        txs: &[Vec<u8>],
        verified_ahead: Option<&[VerifiedAhead]>,
    ) -> Result<Vec<TxOutcome>, AppError> {
        let mut tx_results = Vec::with_capacity(txs.len());
        let mut gas = BlockGas::new(self.max_block_gas);
        for (index, tx) in txs.iter().enumerate() {
            // Only a block that skipped `process_proposal`'s check gets here over the limit.
            let wanted = block_gas::gas_wanted(tx);
            if !gas.admit(wanted) {
                let error = TxError::block_gas_exceeded(wanted, gas.left(), gas.limit());
                tx_results.push(TxOutcome::failed(error, wanted, 0, Vec::new()));
                continue;
            }
            let mut executor = self.deliver_executor(block, index, tx);
            let ctx = TxContext {
                verified_ahead: verified_ahead.and_then(|slots| slots.get(index)),
                ..self.ctx(block.height, Mode::Deliver)
            };
            let outcome = run_tx(overlay, tx, &ctx, &mut executor);
            tx_results.push(stop_on_node_fault(index, outcome)?);
        }
        Ok(tx_results)
    }

    /// The executor of the block's tx at `index`: the block's env and the tx's own.
    fn deliver_executor(&self, block: &BlockEnv, index: usize, tx: &[u8]) -> VmExecutor<'_> {
        VmExecutor {
            host: &self.host,
            block: block.clone(),
            tx: Some(TxEnv {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                hash: Sha256::digest(tx).to_vec(),
            }),
            msg_index: 0,
            simulation: false,
        }
    }

    /// Calls every end-block hook; a failing hook is reverted and reported, never fatal, so a
    /// broken contract cannot stop the chain.
    fn end_block(&self, overlay: &mut Overlay, block: &BlockEnv) -> Result<Vec<Event>, AppError> {
        let hooks = genesis::hooks(overlay)?;
        let mut events = Vec::new();
        for hook in hooks.end_block {
            let (outcome, gas_used) = with_shared(overlay, |shared| {
                let call = call_env(shared, block, hook.gas_limit);
                let outcome = self.host.sudo(&call, &hook.contract, END_BLOCK_MSG);
                (outcome, call.gas.used())
            });
            // What each hook spent, against its limit: the figure operators watch.
            events.push(
                Event::new("end_block_hook")
                    .attr("contract", hook.contract.clone())
                    .attr("gas_used", gas_used.to_string())
                    .attr("gas_limit", hook.gas_limit.to_string()),
            );
            match outcome {
                Ok(response) => events.extend(response.events.into_iter().map(|e| {
                    e.attributes
                        .into_iter()
                        .fold(Event::new(e.ty), |ev, a| ev.attr(a.key, a.value))
                })),
                Err(err) => events.push(
                    Event::new("end_block_hook_failed")
                        .attr("contract", hook.contract.clone())
                        .attr("error", err.to_string()),
                ),
            }
        }
        Ok(events)
    }

    pub fn commit(&mut self) -> Result<CommitResponse, AppError> {
        let pending = self
            .pending
            .take()
            .ok_or_else(|| AppError::Consensus("commit without a finalized block".into()))?;
        let changes = pending.overlay.changes();
        self.store.commit(pending.height, &changes)?;
        self.check = Overlay::new(self.store.snapshot()?);
        self.follow_pin_changes(&changes)?;
        Ok(CommitResponse { retain_height: 0 })
    }

    /// Pins (or unpins) in the VM's memory the codes whose pin flags the committed block changed
    /// (governance's `MsgPinCodes` / `MsgUnpinCodes`). Gas follows the flags in state whatever
    /// the cache holds, so a failure here costs speed, not agreement: it is logged, not fatal.
    fn follow_pin_changes(
        &self,
        changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) -> Result<(), AppError> {
        let pins: Vec<(&[u8], bool)> = changes
            .range(tessera_vm::keys::PINNED.to_vec()..)
            .take_while(|(key, _)| key.starts_with(tessera_vm::keys::PINNED))
            .map(|(key, change)| (key.as_slice(), change.is_some()))
            .collect();
        if pins.is_empty() {
            return Ok(());
        }
        let committed = Arc::new(std::sync::Mutex::new(Overlay::new(self.store.snapshot()?)));
        if let Err(e) = self.host.apply_pin_changes(&committed, pins) {
            tracing::warn!("the VM cache did not follow a pin change: {e}");
        }
        Ok(())
    }

    /// Runs a transaction without keeping anything (`Simulate`): gas estimation.
    pub fn simulate(&self, tx: &[u8]) -> Result<TxOutcome, AppError> {
        self.query_view().simulate(tx)
    }

    /// The committed block time, in nanoseconds (0 before the first block).
    pub fn last_block_time_nanos(&self) -> u64 {
        self.store
            .snapshot()
            .map_or(0, |snapshot| block_time_nanos(&*snapshot))
    }

    pub fn query(&self, req: QueryRequest) -> QueryResponse {
        self.query_view().query(req)
    }

    /// What queries and simulations need, detached from the app: servers take it under the
    /// app's lock and run the query after releasing it, so that no query or simulation ever
    /// holds up block execution. It reads committed snapshots only.
    pub fn query_view(&self) -> QueryView {
        QueryView {
            store: self.store.clone(),
            host: self.host.clone(),
            chain_id: self.chain_id.clone(),
            ante: self.ante.clone(),
        }
    }
}

/// Queries and simulations against the latest committed state (see [`App::query_view`]).
#[derive(Clone)]
pub struct QueryView {
    store: Arc<Store>,
    host: WasmHost,
    chain_id: String,
    ante: AnteParams,
}

impl QueryView {
    /// Runs a transaction without keeping anything (`Simulate`): gas estimation, under the
    /// node's simulation gas cap. Codes it stores are checked and compiled but never written to
    /// the VM's disk cache.
    pub fn simulate(&self, tx: &[u8]) -> Result<TxOutcome, AppError> {
        let height = self.store.latest_version() + 1;
        let snapshot = self.store.snapshot()?;
        let time = block_time_nanos(&*snapshot);
        let mut overlay = Overlay::new(snapshot);
        let block = BlockEnv {
            height,
            time: Timestamp::from_nanos(time),
            chain_id: self.chain_id.clone(),
        };
        let mut executor = VmExecutor {
            host: &self.host,
            block,
            tx: None,
            msg_index: 0,
            simulation: true,
        };
        let ctx = TxContext {
            chain_id: &self.chain_id,
            block_height: height,
            mode: Mode::Simulate,
            params: &self.ante,
            verified_ahead: None,
            // Simulations verify no signatures.
            signature_cache: None,
        };
        Ok(run_tx(&mut overlay, tx, &ctx, &mut executor))
    }

    /// The committed block time, in nanoseconds (0 before the first block).
    pub fn last_block_time_nanos(&self) -> u64 {
        self.store
            .snapshot()
            .map_or(0, |snapshot| block_time_nanos(&*snapshot))
    }

    pub fn query(&self, req: QueryRequest) -> QueryResponse {
        query::route(self, req)
    }
}

/// The outcome of the block's tx at `index`, or the error that stops the block when it is a
/// fault of this node rather than of the tx.
fn stop_on_node_fault(index: usize, outcome: TxOutcome) -> Result<TxOutcome, AppError> {
    if outcome.is_node_fault() {
        return Err(AppError::Internal {
            index,
            log: outcome.log,
        });
    }
    Ok(outcome)
}

/// The block gas limit recorded at genesis; the default for a store that has none yet.
fn read_max_block_gas(state: &dyn StateRead) -> Result<u64, AppError> {
    Ok(state
        .get(MAX_BLOCK_GAS_KEY)?
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map_or(block_gas::DEFAULT_MAX_BLOCK_GAS, u64::from_be_bytes))
}

/// The block time recorded in `state` (big-endian nanoseconds; 0 before the first block).
fn block_time_nanos(state: &dyn StateRead) -> u64 {
    state
        .get(BLOCK_TIME_KEY)
        .ok()
        .flatten()
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map_or(0, u64::from_be_bytes)
}
