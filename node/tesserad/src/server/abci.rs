//! The ABCI 2.0 application side: each CometBFT 0.38 request converted to the [`App`]'s domain
//! types and back ([`socket`](super::socket) carries them over TCP).
//!
//! One `App` behind a mutex serves every connection, so CometBFT's calls are applied one at a
//! time in the order they arrive, as its local client does. A failure of this node itself
//! (storage, a block that cannot be applied) stops the process: committing past it would fork
//! the node from the network, and CometBFT replays the block on restart.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci as pb;
use tendermint_proto::v0_38::abci::request::Value as Req;
use tendermint_proto::v0_38::abci::response::Value as Res;
use tendermint_proto::v0_38::crypto::{ProofOp as PbProofOp, ProofOps};

use crate::app::abci::{
    BlockTime, CheckTxKind, FinalizeBlockRequest, InitChainRequest, QueryRequest,
};
use crate::app::{App, AppError};
use crate::event::Event;
use crate::exec::TxOutcome;
use crate::metrics::Metrics;
use crate::statesync::{ApplyResult, OfferResult, Restore, SnapshotInfo, Snapshots};

/// The app as every ABCI connection sees it.
#[derive(Clone)]
pub struct AbciApp {
    app: Arc<Mutex<App>>,
    metrics: Arc<Metrics>,
    /// The snapshots this node takes and serves (`None`: it serves none).
    snapshots: Option<Arc<Snapshots>>,
    /// The snapshot being restored by state sync, between its offer and its last chunk.
    restore: Arc<Mutex<Option<Restore>>>,
}

impl AbciApp {
    pub fn new(
        app: Arc<Mutex<App>>,
        metrics: Arc<Metrics>,
        snapshots: Option<Arc<Snapshots>>,
    ) -> Self {
        Self {
            app,
            metrics,
            snapshots,
            restore: Arc::new(Mutex::new(None)),
        }
    }

    fn app(&self) -> MutexGuard<'_, App> {
        // A panic while holding the lock already stopped the node (see `halt`); the state
        // behind a poisoned lock is the committed store, still consistent.
        self.app.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Stops the node on a fault of its own: the block cannot be applied or committed here.
fn halt(what: &str, err: AppError) -> ! {
    tracing::error!(%err, "{what} failed; stopping the node (CometBFT replays the block on restart)");
    eprintln!("tesserad: {what} failed: {err}");
    std::process::exit(2)
}

fn block_time(time: Option<Timestamp>) -> BlockTime {
    let time = time.unwrap_or_default();
    BlockTime {
        seconds: u64::try_from(time.seconds).unwrap_or(0),
        nanos: u32::try_from(time.nanos).unwrap_or(0),
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Events as CometBFT indexes them: every attribute indexed, as the Cosmos SDK does by
/// default, so `tx_search` finds txs by any event attribute.
fn events(events: Vec<Event>) -> Vec<pb::Event> {
    events
        .into_iter()
        .map(|e| pb::Event {
            r#type: e.kind,
            attributes: e
                .attributes
                .into_iter()
                .map(|(key, value)| pb::EventAttribute {
                    key,
                    value,
                    index: true,
                })
                .collect(),
        })
        .collect()
}

fn exec_tx_result(outcome: TxOutcome) -> pb::ExecTxResult {
    pb::ExecTxResult {
        code: outcome.code,
        data: outcome.data.into(),
        log: outcome.log,
        info: String::new(),
        gas_wanted: to_i64(outcome.gas_wanted),
        gas_used: to_i64(outcome.gas_used),
        events: events(outcome.events),
        codespace: outcome.codespace,
    }
}

impl AbciApp {
    /// Answers one request. Vote extensions are not used: they are empty.
    pub fn handle(&self, request: pb::Request) -> pb::Response {
        let value = match request.value {
            None => Res::Exception(pb::ResponseException {
                error: "empty ABCI request".into(),
            }),
            Some(Req::Echo(req)) => Res::Echo(pb::ResponseEcho {
                message: req.message,
            }),
            Some(Req::Flush(_)) => Res::Flush(pb::ResponseFlush {}),
            Some(Req::Info(req)) => Res::Info(self.info(req)),
            Some(Req::InitChain(req)) => Res::InitChain(self.init_chain(req)),
            Some(Req::Query(req)) => Res::Query(self.query(req)),
            Some(Req::CheckTx(req)) => Res::CheckTx(self.check_tx(req)),
            Some(Req::Commit(_)) => Res::Commit(self.commit()),
            Some(Req::ListSnapshots(_)) => Res::ListSnapshots(self.list_snapshots()),
            Some(Req::OfferSnapshot(req)) => Res::OfferSnapshot(self.offer_snapshot(req)),
            Some(Req::LoadSnapshotChunk(req)) => {
                Res::LoadSnapshotChunk(self.load_snapshot_chunk(req))
            }
            Some(Req::ApplySnapshotChunk(req)) => {
                Res::ApplySnapshotChunk(self.apply_snapshot_chunk(req))
            }
            Some(Req::PrepareProposal(req)) => Res::PrepareProposal(self.prepare_proposal(req)),
            Some(Req::ProcessProposal(req)) => Res::ProcessProposal(self.process_proposal(req)),
            Some(Req::ExtendVote(_)) => Res::ExtendVote(Default::default()),
            Some(Req::VerifyVoteExtension(_)) => {
                Res::VerifyVoteExtension(pb::ResponseVerifyVoteExtension {
                    status: pb::response_verify_vote_extension::VerifyStatus::Accept as i32,
                })
            }
            Some(Req::FinalizeBlock(req)) => Res::FinalizeBlock(self.finalize_block(req)),
        };
        pb::Response { value: Some(value) }
    }

    fn info(&self, _request: pb::RequestInfo) -> pb::ResponseInfo {
        let info = self.app().info();
        tracing::info!(
            height = info.last_block_height,
            "info: CometBFT handshake, replaying from the app's last commit"
        );
        pb::ResponseInfo {
            data: "tesserad".into(),
            version: info.version,
            app_version: info.app_version,
            last_block_height: to_i64(info.last_block_height),
            last_block_app_hash: info.last_block_app_hash.into(),
        }
    }

    fn init_chain(&self, request: pb::RequestInitChain) -> pb::ResponseInitChain {
        let req = InitChainRequest {
            chain_id: request.chain_id,
            time: block_time(request.time),
            initial_height: u64::try_from(request.initial_height).unwrap_or(1),
            app_state_bytes: request.app_state_bytes.to_vec(),
            max_block_gas: request
                .consensus_params
                .and_then(|p| p.block)
                .map_or(-1, |b| b.max_gas),
        };
        match self.app().init_chain(req) {
            Ok(res) => pb::ResponseInitChain {
                // Empty validators and params: the genesis file's are kept as they are.
                consensus_params: None,
                validators: Vec::new(),
                app_hash: res.app_hash.into(),
            },
            Err(err) => halt("init_chain", err),
        }
    }

    fn query(&self, request: pb::RequestQuery) -> pb::ResponseQuery {
        let started = std::time::Instant::now();
        // The view is taken under the lock and the query runs after it is released: a slow
        // query or simulation never holds up the consensus connection.
        let view = self.app().query_view();
        let res = view.query(QueryRequest {
            path: request.path,
            data: request.data.to_vec(),
            height: u64::try_from(request.height).unwrap_or(0),
            prove: request.prove,
        });
        self.metrics.observe_query(started.elapsed(), res.code == 0);
        pb::ResponseQuery {
            code: res.code,
            log: res.log,
            info: String::new(),
            index: 0,
            key: res.key.into(),
            value: res.value.into(),
            proof_ops: (!res.proof_ops.is_empty()).then(|| ProofOps {
                ops: res
                    .proof_ops
                    .into_iter()
                    .map(|op| PbProofOp {
                        r#type: op.kind,
                        key: op.key,
                        data: op.data,
                    })
                    .collect(),
            }),
            height: to_i64(res.height),
            codespace: res.codespace,
        }
    }

    fn check_tx(&self, request: pb::RequestCheckTx) -> pb::ResponseCheckTx {
        let kind = if request.r#type == pb::CheckTxType::Recheck as i32 {
            CheckTxKind::Recheck
        } else {
            CheckTxKind::New
        };
        let outcome = self.app().check_tx(&request.tx, kind);
        self.metrics.observe_check_tx(outcome.code == 0);
        pb::ResponseCheckTx {
            code: outcome.code,
            data: outcome.data.into(),
            log: outcome.log,
            info: String::new(),
            gas_wanted: to_i64(outcome.gas_wanted),
            gas_used: to_i64(outcome.gas_used),
            events: events(outcome.events),
            codespace: outcome.codespace,
        }
    }

    fn prepare_proposal(&self, request: pb::RequestPrepareProposal) -> pb::ResponsePrepareProposal {
        let txs = request.txs.into_iter().map(|tx| tx.to_vec()).collect();
        let max = u64::try_from(request.max_tx_bytes).unwrap_or(0);
        let kept = self.app().prepare_proposal(txs, max);
        pb::ResponsePrepareProposal {
            txs: kept.into_iter().map(Into::into).collect(),
        }
    }

    fn process_proposal(&self, request: pb::RequestProcessProposal) -> pb::ResponseProcessProposal {
        let txs: Vec<Vec<u8>> = request.txs.iter().map(|tx| tx.to_vec()).collect();
        let status = if self.app().process_proposal(&txs) {
            pb::response_process_proposal::ProposalStatus::Accept
        } else {
            pb::response_process_proposal::ProposalStatus::Reject
        };
        pb::ResponseProcessProposal {
            status: status as i32,
        }
    }

    fn finalize_block(&self, request: pb::RequestFinalizeBlock) -> pb::ResponseFinalizeBlock {
        let started = std::time::Instant::now();
        let req = FinalizeBlockRequest {
            height: u64::try_from(request.height).unwrap_or(0),
            hash: request.hash.to_vec(),
            time: block_time(request.time),
            txs: request.txs.into_iter().map(|tx| tx.to_vec()).collect(),
            proposer_address: request.proposer_address.to_vec(),
        };
        let height = req.height;
        let mut app = self.app();
        let res = match app.finalize_block(req) {
            Ok(res) => res,
            Err(err) => halt(&format!("finalize_block({height})"), err),
        };
        let phases = app.last_block_phases();
        drop(app);
        self.metrics.observe_block_phases(&phases);
        self.metrics.observe_block(
            started.elapsed(),
            res.tx_results.len(),
            res.tx_results.iter().map(|r| r.gas_used).sum(),
        );
        pb::ResponseFinalizeBlock {
            events: events(res.events),
            tx_results: res.tx_results.into_iter().map(exec_tx_result).collect(),
            validator_updates: Vec::new(),
            consensus_param_updates: None,
            app_hash: res.app_hash.into(),
        }
    }

    fn commit(&self) -> pb::ResponseCommit {
        let started = std::time::Instant::now();
        let mut app = self.app();
        match app.commit() {
            Ok(res) => {
                self.metrics.observe_commit(started.elapsed());
                let height = app.store().latest_version();
                self.metrics.set_height(height);
                if let Some(snapshots) = self.snapshots.as_ref().filter(|s| s.is_due(height)) {
                    // The view is taken before the next block can commit; writing it out runs
                    // beside the chain.
                    match app.store().snapshot() {
                        Ok(state) => snapshots.take_in_background(state),
                        Err(e) => tracing::error!(height, error = %e, "snapshot view"),
                    }
                }
                pb::ResponseCommit {
                    retain_height: to_i64(res.retain_height),
                }
            }
            Err(err) => halt("commit", err),
        }
    }

    fn list_snapshots(&self) -> pb::ResponseListSnapshots {
        let listed = self
            .snapshots
            .as_ref()
            .map(|s| s.list())
            .unwrap_or(Ok(vec![]));
        let snapshots = match listed {
            Ok(list) => list,
            Err(e) => {
                tracing::error!(error = %e, "listing snapshots");
                vec![]
            }
        };
        pb::ResponseListSnapshots {
            snapshots: snapshots
                .into_iter()
                .map(|s| pb::Snapshot {
                    height: s.height,
                    format: s.format,
                    chunks: s.chunks,
                    hash: s.hash.into(),
                    metadata: s.metadata.into(),
                })
                .collect(),
        }
    }

    fn load_snapshot_chunk(
        &self,
        req: pb::RequestLoadSnapshotChunk,
    ) -> pb::ResponseLoadSnapshotChunk {
        let chunk = self
            .snapshots
            .as_ref()
            .and_then(|s| s.load_chunk(req.height, req.format, req.chunk))
            .unwrap_or_default();
        pb::ResponseLoadSnapshotChunk {
            chunk: chunk.into(),
        }
    }

    fn offer_snapshot(&self, req: pb::RequestOfferSnapshot) -> pb::ResponseOfferSnapshot {
        use pb::response_offer_snapshot::Result as R;
        let result = match self.offer(req) {
            Ok(()) => R::Accept,
            Err((result, why)) => {
                tracing::warn!(%why, "snapshot offer refused");
                match result {
                    OfferResult::Abort => R::Abort,
                    OfferResult::Reject => R::Reject,
                    OfferResult::RejectFormat => R::RejectFormat,
                }
            }
        };
        pb::ResponseOfferSnapshot {
            result: result as i32,
        }
    }

    fn offer(&self, req: pb::RequestOfferSnapshot) -> Result<(), (OfferResult, String)> {
        let Some(snapshot) = req.snapshot else {
            return Err((OfferResult::Reject, "an offer without a snapshot".into()));
        };
        let height = self.app().store().latest_version();
        if height != 0 {
            return Err((
                OfferResult::Abort,
                format!("this node already has state up to height {height}; state sync needs an empty one"),
            ));
        }
        let info = SnapshotInfo {
            height: snapshot.height,
            format: snapshot.format,
            chunks: snapshot.chunks,
            hash: snapshot.hash.to_vec(),
            metadata: snapshot.metadata.to_vec(),
        };
        let restore = Restore::offer(&info, &req.app_hash)?;
        tracing::info!(
            height = info.height,
            chunks = info.chunks,
            "restoring a snapshot"
        );
        *self.restore.lock().unwrap_or_else(PoisonError::into_inner) = Some(restore);
        Ok(())
    }

    fn apply_snapshot_chunk(
        &self,
        req: pb::RequestApplySnapshotChunk,
    ) -> pb::ResponseApplySnapshotChunk {
        use pb::response_apply_snapshot_chunk::Result as R;
        let mut slot = self.restore.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut outcome, finished) = match slot.as_mut() {
            Some(restore) => restore.apply(req.index, &req.chunk, &req.sender),
            None => (
                crate::statesync::ApplyOutcome {
                    result: ApplyResult::Abort,
                    refetch_chunks: vec![],
                    reject_senders: vec![],
                    reason: "a chunk without an accepted snapshot offer".into(),
                },
                None,
            ),
        };
        if let Some(state) = finished {
            let height = state.height;
            match self.app().restore(height, state.state, state.app_hash) {
                Ok(()) => {
                    tracing::info!(height, "snapshot restored; block sync goes on from here");
                    self.metrics.set_height(height);
                    *slot = None;
                }
                Err(AppError::Store(e @ tessera_store::StoreError::Corrupt(_))) => {
                    outcome.result = ApplyResult::RejectSnapshot;
                    outcome.reason = e.to_string();
                }
                Err(e) => halt("restoring a snapshot", e),
            }
        }
        if matches!(
            outcome.result,
            ApplyResult::RejectSnapshot | ApplyResult::Abort
        ) {
            *slot = None;
        }
        if !outcome.reason.is_empty() {
            tracing::warn!(index = req.index, sender = %req.sender, reason = %outcome.reason, "snapshot chunk refused");
        }
        pb::ResponseApplySnapshotChunk {
            result: match outcome.result {
                ApplyResult::Accept => R::Accept,
                ApplyResult::Abort => R::Abort,
                ApplyResult::Retry => R::Retry,
                ApplyResult::RejectSnapshot => R::RejectSnapshot,
            } as i32,
            refetch_chunks: outcome.refetch_chunks,
            reject_senders: outcome.reject_senders,
        }
    }
}
