//! A stand-in for `tessera-provider` until it exists: it bids on every open order, serves the
//! provider gRPC API (`tessera.provider.v1`) with the same request signatures and chain checks
//! the real one must make, runs the manifest's job unit by unit on `tessera-runtime`'s cpu
//! backend (real kernels, real leaves), attests the leaves' Merkle root on chain and streams
//! the leaves, batched, with inclusion proofs. It drives `tessera job run` end to end; it is
//! test code, not a provider (jobs with input files fail: it fetches nothing).
//!
//! `tamper` makes it change output leaf 1 after attesting, to show that `job run` refuses
//! outputs that do not prove against the root on chain.

#![allow(clippy::result_large_err)] // tonic::Status is the error type the generated service trait wants

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cosmwasm_std::{Coin, Uint128};
use prost::Message;
use tessera_api::market::{self, BidOffer, ExecuteMsg, OrderState, QueryMsg};
use tessera_api::merkle;
use tessera_api::{GpuSpec, LeaseId};
use tessera_client::contracts::{ContractSigner, Contracts, Tessera};
use tessera_client::keys::{Key, DEFAULT_HD_PATH};
use tessera_client::node::Node;
use tessera_client::provider_api::{method_path, request_auth};
use tessera_client::provider_auth::{verify_signed_request, Audience, ReplayCache};
use tessera_client::tx::{Signer, TxOptions};
use tessera_manifest::{Manifest, Service};
use tessera_proto::provider::v1 as pb;
use tessera_proto::provider::v1::provider_server::{Provider, ProviderServer};
use tessera_runtime::{Backend, CpuBackend, InputDecl, Job, JobSpec, Runtime};
use tokio::sync::{watch, Mutex};
use tonic::{Request, Response, Status};

pub struct StandInProvider {
    pub uri: String,
    pub tamper: Arc<AtomicBool>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StandInProvider {
    /// Starts serving on a free port and bidding with the key of `mnemonic`.
    pub fn start(rpc: &str, mnemonic: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr: SocketAddr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let tamper = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let rpc = rpc.to_string();
        let mnemonic = mnemonic.to_string();
        let flag = tamper.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let node = Node::connect(&rpc).unwrap();
                let chain = Tessera::connect(node.clone(), Contracts::default())
                    .await
                    .unwrap();
                let key = Key::from_mnemonic("provider", &mnemonic, DEFAULT_HD_PATH).unwrap();
                let signer = Signer::new(node, key, None).await.unwrap();
                let state = Arc::new(State {
                    address: signer.address(),
                    chain_id: signer.chain_id().to_string(),
                    seen: ReplayCache::default(),
                    chain,
                    signer: Mutex::new(signer),
                    leases: Mutex::new(BTreeMap::new()),
                    tamper: flag,
                    data: tempfile::tempdir().unwrap(),
                });
                tokio::spawn(bid_on_open_orders(state.clone()));
                let incoming = tokio_stream::wrappers::TcpListenerStream::new(
                    tokio::net::TcpListener::from_std(listener).unwrap(),
                );
                tonic::transport::Server::builder()
                    .add_service(ProviderServer::new(Api(state)))
                    .serve_with_incoming_shutdown(incoming, async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Self {
            uri: format!("http://{addr}"),
            tamper,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for StandInProvider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct State {
    address: String,
    chain_id: String,
    /// Nonces of the signed requests accepted within the timestamp window: each is taken once.
    seen: ReplayCache,
    chain: Tessera,
    /// One tx at a time: the account's sequence allows no interleaving.
    signer: Mutex<Signer>,
    leases: Mutex<BTreeMap<String, Lease>>,
    tamper: Arc<AtomicBool>,
    /// The runtime's data dir (content-addressed unit outputs).
    data: tempfile::TempDir,
}

struct Lease {
    status: watch::Sender<pb::LeaseStatusResponse>,
    /// The job's leaves in tree order, once it is done.
    leaves: Vec<Vec<u8>>,
}

/// Leaf bytes per `GetOutput` message, as docs/provider-api.md recommends.
const BATCH_BYTES: usize = 1 << 20;

async fn bid_on_open_orders(state: Arc<State>) {
    let mut bid_on = std::collections::BTreeSet::new();
    loop {
        let orders: Result<market::OrdersResponse, _> = state
            .chain
            .query_market(&QueryMsg::Orders {
                state: Some(OrderState::Open),
                start_after: None,
                limit: Some(100),
            })
            .await;
        for order in orders.map(|o| o.orders).unwrap_or_default() {
            if !bid_on.insert(order.id.to_string()) {
                continue;
            }
            let price = Uint128::new((order.spec.max_price.u128() / 2).max(1));
            let units = order.spec.resources.gpu.units.max(1);
            let msg = ExecuteMsg::PlaceBid {
                order: order.id.clone(),
                price,
                offer: BidOffer {
                    gpus: vec![GpuSpec {
                        vendor: "nvidia".into(),
                        model: "a100".into(),
                        vram_mib: 40960,
                        interface: None,
                        count: units,
                    }],
                    resource_prices: vec![],
                },
            };
            let deposit: Coin = match state.chain.market_params().await {
                Ok(p) => p.bid_min_deposit,
                Err(_) => continue,
            };
            let signer = state.signer.lock().await;
            let contracts = ContractSigner {
                signer: &signer,
                contracts: &state.chain.contracts,
            };
            if let Err(e) = contracts
                .market(&msg, &[deposit], &TxOptions::default())
                .await
            {
                eprintln!("stand-in provider: bid on {} failed: {e}", order.id);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn lease_id(lease: Option<&pb::LeaseId>) -> Result<LeaseId, Status> {
    let l = lease.ok_or_else(|| Status::invalid_argument("lease is missing"))?;
    Ok(LeaseId {
        owner: l.owner.clone(),
        dseq: l.dseq,
        gseq: l.gseq,
        oseq: l.oseq,
        provider: l.provider.clone(),
    })
}

struct Api(Arc<State>);

impl Api {
    /// The checks every lease request passes: a valid signature by the lease's owner, on a
    /// lease of this provider that the chain knows.
    async fn authorize<M: Message + Clone>(
        &self,
        method: &str,
        request: &M,
        auth: Option<&pb::Auth>,
        lease: &LeaseId,
        clear: impl FnOnce(&mut M),
    ) -> Result<market::LeaseResponse, Status> {
        let mut body = request.clone();
        clear(&mut body);
        let audience = Audience {
            chain_id: &self.0.chain_id,
            provider: &self.0.address,
        };
        let signer = verify_signed_request(
            &request_auth(auth),
            audience,
            &method_path(method),
            &body.encode_to_vec(),
            now(),
            &self.0.seen,
        )
        .map_err(|e| Status::unauthenticated(e.to_string()))?;
        if signer != lease.owner {
            return Err(Status::permission_denied(format!(
                "{signer} does not own lease {lease}"
            )));
        }
        if lease.provider != self.0.address {
            return Err(Status::not_found(format!(
                "lease {lease} is not this provider's"
            )));
        }
        self.0
            .chain
            .lease(lease)
            .await
            .map_err(|e| Status::not_found(e.to_string()))
    }
}

type Stream<T> = Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl Provider for Api {
    type WatchLeaseStream = Stream<pb::LeaseStatusResponse>;
    type GetOutputStream = Stream<pb::OutputLeaves>;

    async fn status(
        &self,
        _: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        Ok(Response::new(pb::StatusResponse {
            address: self.0.address.clone(),
            version: "stand-in".into(),
            ..Default::default()
        }))
    }

    async fn bid_screening(
        &self,
        _: Request<pb::BidScreeningRequest>,
    ) -> Result<Response<pb::BidScreeningResponse>, Status> {
        Err(Status::unimplemented(
            "the stand-in provider bids on every order",
        ))
    }

    async fn send_manifest(
        &self,
        request: Request<pb::SendManifestRequest>,
    ) -> Result<Response<pb::SendManifestResponse>, Status> {
        let request = request.into_inner();
        let id = lease_id(request.lease.as_ref())?;
        let lease = self
            .authorize("SendManifest", &request, request.auth.as_ref(), &id, |r| {
                r.auth = None
            })
            .await?;
        if lease.state == market::LeaseState::Closed {
            return Err(Status::failed_precondition(format!("lease {id} is closed")));
        }
        let text = String::from_utf8(request.manifest)
            .map_err(|_| Status::invalid_argument("the manifest is not UTF-8"))?;
        let manifest = Manifest::parse(&text, "manifest")
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let deployment = self
            .0
            .chain
            .deployment(&id.deployment())
            .await
            .map_err(|e| Status::not_found(e.to_string()))?;
        manifest
            .verify_hash(&deployment.manifest_hash)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let group = &deployment.groups[(id.gseq as usize).saturating_sub(1)];
        let (_, service) = manifest.service_for_group(&group.name).ok_or_else(|| {
            Status::invalid_argument(format!("no service for group {}", group.name))
        })?;
        let total = service.work_units;
        let (status, _) = watch::channel(pb::LeaseStatusResponse {
            lease: request.lease.clone(),
            state: pb::WorkState::Running as i32,
            work_units_total: total,
            ..Default::default()
        });
        self.0.leases.lock().await.insert(
            id.to_string(),
            Lease {
                status,
                leaves: vec![],
            },
        );
        tokio::spawn(work(self.0.clone(), id, lease, service.clone()));
        Ok(Response::new(pb::SendManifestResponse {
            manifest_hash: manifest.hash_hex(),
            work_units: total,
        }))
    }

    async fn lease_status(
        &self,
        request: Request<pb::LeaseRequest>,
    ) -> Result<Response<pb::LeaseStatusResponse>, Status> {
        let request = request.into_inner();
        let id = lease_id(request.lease.as_ref())?;
        self.authorize("LeaseStatus", &request, request.auth.as_ref(), &id, |r| {
            r.auth = None
        })
        .await?;
        let leases = self.0.leases.lock().await;
        let lease = leases
            .get(&id.to_string())
            .ok_or_else(|| Status::not_found("no manifest yet"))?;
        let status = lease.status.borrow().clone();
        Ok(Response::new(status))
    }

    async fn watch_lease(
        &self,
        request: Request<pb::LeaseRequest>,
    ) -> Result<Response<Self::WatchLeaseStream>, Status> {
        let request = request.into_inner();
        let id = lease_id(request.lease.as_ref())?;
        self.authorize("WatchLease", &request, request.auth.as_ref(), &id, |r| {
            r.auth = None
        })
        .await?;
        let mut rx = {
            let leases = self.0.leases.lock().await;
            leases
                .get(&id.to_string())
                .ok_or_else(|| Status::not_found("no manifest yet"))?
                .status
                .subscribe()
        };
        let stream = async_stream(move |tx| async move {
            loop {
                let current = rx.borrow_and_update().clone();
                let end = current.state != pb::WorkState::Running as i32;
                if tx.send(Ok(current)).await.is_err() || end {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(stream))
    }

    async fn get_output(
        &self,
        request: Request<pb::GetOutputRequest>,
    ) -> Result<Response<Self::GetOutputStream>, Status> {
        let request = request.into_inner();
        let id = lease_id(request.lease.as_ref())?;
        self.authorize("GetOutput", &request, request.auth.as_ref(), &id, |r| {
            r.auth = None
        })
        .await?;
        let mut leaves = {
            let leases = self.0.leases.lock().await;
            let lease = leases
                .get(&id.to_string())
                .ok_or_else(|| Status::not_found("no manifest yet"))?;
            lease.leaves.clone()
        };
        let hashes: Vec<merkle::Hash> = leaves.iter().map(|l| merkle::leaf_hash(l)).collect();
        if self.0.tamper.load(Ordering::SeqCst) {
            if let Some(leaf) = leaves.get_mut(1) {
                if let Some(byte) = leaf.first_mut() {
                    *byte ^= 0xff;
                }
            }
        }
        let count = leaves.len() as u64;
        let mut messages: Vec<Result<pb::OutputLeaves, Status>> = Vec::new();
        let mut batch = pb::OutputLeaves {
            leaf_count: count,
            leaves: vec![],
        };
        let mut batch_bytes = 0;
        for (i, data) in leaves
            .into_iter()
            .enumerate()
            .skip(request.from_leaf as usize)
        {
            if batch_bytes + data.len() > BATCH_BYTES && !batch.leaves.is_empty() {
                let full = std::mem::replace(
                    &mut batch,
                    pb::OutputLeaves {
                        leaf_count: count,
                        leaves: vec![],
                    },
                );
                messages.push(Ok(full));
                batch_bytes = 0;
            }
            batch_bytes += data.len();
            batch.leaves.push(pb::OutputLeaf {
                index: i as u64,
                proof: merkle::proof(&hashes, i)
                    .into_iter()
                    .map(|h| h.to_vec())
                    .collect(),
                data,
            });
        }
        if !batch.leaves.is_empty() {
            messages.push(Ok(batch));
        }
        Ok(Response::new(Box::pin(tokio_stream::iter(messages))))
    }

    async fn close_lease(
        &self,
        request: Request<pb::LeaseRequest>,
    ) -> Result<Response<pb::CloseLeaseResponse>, Status> {
        let request = request.into_inner();
        let id = lease_id(request.lease.as_ref())?;
        self.authorize("CloseLease", &request, request.auth.as_ref(), &id, |r| {
            r.auth = None
        })
        .await?;
        if let Some(lease) = self.0.leases.lock().await.get(&id.to_string()) {
            lease
                .status
                .send_modify(|s| s.state = pb::WorkState::Closed as i32);
        }
        Ok(Response::new(pb::CloseLeaseResponse {}))
    }
}

/// A stream fed by a task (no async-stream crate needed).
fn async_stream<T: Send + 'static, F, Fut>(body: F) -> Stream<T>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<T, Status>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(body(tx));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// Runs the service's job on the cpu backend unit by unit (each unit's end is a progress
/// event), then attests the root of its leaves on chain.
async fn work(state: Arc<State>, id: LeaseId, lease: market::LeaseResponse, service: Service) {
    let total = service.work_units;
    let (progress, mut done_units) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let data_dir = state.data.path().to_path_buf();
    let computed = tokio::task::spawn_blocking(move || run_job(&data_dir, &service, progress));
    while let Some(done) = done_units.recv().await {
        if let Some(l) = state.leases.lock().await.get(&id.to_string()) {
            l.status.send_modify(|s| s.work_units_done = done);
        }
    }
    let (leaves, hashes) = match computed.await {
        Ok(Ok(computed)) => computed,
        Ok(Err(message)) => return fail(&state, &id, message).await,
        Err(e) => return fail(&state, &id, format!("the job panicked: {e}")).await,
    };
    let root = merkle::to_hex(&merkle::root(&hashes));
    // The period must end after the lease's last attested time and not after the block time.
    let period_end = loop {
        let time = state.chain.node.status().await.map(|s| s.time).unwrap_or(0);
        if time > lease.attested_to {
            break time;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let msg = ExecuteMsg::SubmitAttestation {
        lease: id.clone(),
        period_start: lease.attested_to,
        period_end,
        gpu_seconds: 1,
        work_units: total,
        output_root: root.clone(),
        inventory_hash: merkle::to_hex(&merkle::leaf_hash(b"stand-in inventory")),
    };
    // The outputs are served before the attestation lands, as a real provider's are: a client
    // that sees the attestation on chain must find them.
    if let Some(l) = state.leases.lock().await.get_mut(&id.to_string()) {
        l.leaves = leaves.clone();
        l.status.send_modify(|s| {
            s.output_root = root.clone();
            s.leaf_count = hashes.len() as u64;
        });
    }
    let attested = {
        let signer = state.signer.lock().await;
        let contracts = ContractSigner {
            signer: &signer,
            contracts: &state.chain.contracts,
        };
        contracts.market(&msg, &[], &TxOptions::default()).await
    };
    let mut leases = state.leases.lock().await;
    let Some(l) = leases.get_mut(&id.to_string()) else {
        return;
    };
    l.leaves = leaves;
    l.status.send_modify(|s| match &attested {
        Ok(_) => {
            s.state = pb::WorkState::Done as i32;
            s.output_root = root.clone();
            s.leaf_count = hashes.len() as u64;
        }
        Err(e) => {
            s.state = pb::WorkState::Failed as i32;
            s.message = format!("attesting failed: {e}");
        }
    });
}

async fn fail(state: &State, id: &LeaseId, message: String) {
    if let Some(l) = state.leases.lock().await.get(&id.to_string()) {
        l.status.send_modify(|s| {
            s.state = pb::WorkState::Failed as i32;
            s.message = message;
        });
    }
}

/// The job on tessera-runtime's cpu backend: its leaves in tree order and their hashes.
fn run_job(
    data_dir: &std::path::Path,
    service: &Service,
    progress: tokio::sync::mpsc::UnboundedSender<u64>,
) -> Result<(Vec<Vec<u8>>, Vec<merkle::Hash>), String> {
    let spec = JobSpec {
        kernel: service.kernel.clone(),
        params: service.params.clone(),
        inputs: service
            .inputs
            .iter()
            .map(|i| InputDecl {
                name: i.name.clone(),
                sha256: i.sha256.clone(),
            })
            .collect(),
        work_units: service.work_units,
    };
    let job = Job::new(&spec, &BTreeMap::new()).map_err(|e| e.to_string())?;
    let runtime = Runtime::new(data_dir).map_err(|e| e.to_string())?;
    let backend = CpuBackend::new();
    let mut prepared = backend.prepare(&job).map_err(|e| e.to_string())?;
    let mut leaves = Vec::new();
    let mut hashes = Vec::new();
    for unit in 0..job.work_units() {
        let (report, unit_leaves) = runtime
            .run_unit(&job, prepared.as_mut(), unit)
            .map_err(|e| e.to_string())?;
        hashes.extend(report.leaf_hashes);
        leaves.extend(unit_leaves);
        let _ = progress.send(unit + 1);
    }
    Ok((leaves, hashes))
}
