//! The provider gRPC API (`tessera.provider.v1.Provider`, docs/provider-api.md). Lease
//! requests must be signed by the lease's owner for this chain and this provider, with a
//! fresh nonce; the lease must be this provider's on chain.

#![allow(clippy::result_large_err)] // tonic::Status is the error type the generated trait wants

use std::pin::Pin;

use prost::Message;
use tessera_api::market::{self, LeaseState};
use tessera_api::{merkle, LeaseId};
use tessera_client::provider_api::{method_path, request_auth};
use tessera_client::provider_auth::{verify_signed_request, Audience};
use tessera_proto::provider::v1 as pb;
use tessera_proto::provider::v1::provider_server::Provider;
use tonic::{Request, Response, Status};

use crate::bidder;
use crate::daemon::{now, Shared};
use crate::screening::Screening;
use crate::store::{LeaseRecord, WorkPhase};
use crate::{intake, leases, work};

/// Leaf bytes per `GetOutput` message (docs/provider-api.md: about 1 MiB).
const BATCH_BYTES: usize = 1 << 20;

pub struct Api(pub Shared);

type Stream<T> = Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send>>;

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

fn internal(e: anyhow::Error) -> Status {
    tracing::warn!(error = %format!("{e:#}"), "request failed");
    Status::internal(format!("{e:#}"))
}

impl Api {
    /// A valid signature by the lease's owner, on a lease of this provider that the chain knows.
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

    /// The stored lease; a lease won a moment ago is taken over first.
    async fn record(&self, id: &LeaseId) -> Result<LeaseRecord, Status> {
        if let Some(record) = self.0.store.lease(id).map_err(internal)? {
            return Ok(record);
        }
        leases::reconcile(&self.0).await.map_err(internal)?;
        self.0
            .store
            .lease(id)
            .map_err(internal)?
            .ok_or_else(|| Status::not_found(format!("lease {id} is not held by this provider")))
    }
}

#[tonic::async_trait]
impl Provider for Api {
    type WatchLeaseStream = Stream<pb::LeaseStatusResponse>;
    type GetOutputStream = Stream<pb::OutputLeaves>;

    async fn status(
        &self,
        _: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        let registration = self.0.registration.read().await.clone();
        let active = self
            .0
            .store
            .leases()
            .map_err(internal)?
            .iter()
            .filter(|l| !l.closed)
            .count();
        Ok(Response::new(pb::StatusResponse {
            address: self.0.address.clone(),
            chain_id: self.0.chain_id.clone(),
            gpus: registration
                .gpus
                .iter()
                .map(|g| pb::Gpu {
                    vendor: g.vendor.clone(),
                    model: g.model.clone(),
                    vram_mib: g.vram_mib,
                    interface: g.interface.clone().unwrap_or_default(),
                    count: g.count,
                })
                .collect(),
            kernels: tessera_runtime::CATALOG
                .iter()
                .map(|(name, _)| name.to_string())
                .collect(),
            active_leases: active as u32,
            version: format!("tessera-provider {}", env!("CARGO_PKG_VERSION")),
        }))
    }

    async fn bid_screening(
        &self,
        request: Request<pb::BidScreeningRequest>,
    ) -> Result<Response<pb::BidScreeningResponse>, Status> {
        let r = request.into_inner();
        let id = tessera_api::DeploymentId::new(r.owner, r.dseq).order(r.gseq, r.oseq);
        let order = self
            .0
            .chain
            .order(&id)
            .await
            .map_err(|e| Status::not_found(e.to_string()))?;
        let decision = bidder::screen_only(&self.0, &order)
            .await
            .map_err(internal)?;
        Ok(Response::new(match decision {
            Screening::Bid { price, .. } => pb::BidScreeningResponse {
                would_bid: true,
                reasons: vec![],
                price: price.to_string(),
            },
            Screening::Pass { reasons } => pb::BidScreeningResponse {
                would_bid: false,
                reasons,
                price: String::new(),
            },
        }))
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
        if lease.state == LeaseState::Closed {
            return Err(Status::failed_precondition(format!("lease {id} is closed")));
        }
        let deployment = self
            .0
            .chain
            .deployment(&id.deployment())
            .await
            .map_err(|e| Status::not_found(e.to_string()))?;
        let group = deployment
            .groups
            .get((id.gseq as usize).saturating_sub(1))
            .ok_or_else(|| Status::invalid_argument(format!("no group {}", id.gseq)))?;
        let intake::Accepted {
            text,
            manifest,
            service,
            job,
        } = intake::accept(request.manifest, &deployment.manifest_hash, &group.name)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        self.record(&id).await?;
        let response = pb::SendManifestResponse {
            manifest_hash: manifest.hash_hex(),
            work_units: job.work_units(),
        };
        let phase = if lease.state == LeaseState::InsufficientFunds {
            WorkPhase::Paused
        } else {
            WorkPhase::Running
        };
        let mut first = false;
        let record = self
            .0
            .store
            .update_lease(&id, |r| {
                if r.manifest.is_none() && !r.closed {
                    r.manifest = Some(text);
                    r.units_total = job.work_units();
                    r.phase = phase;
                    first = true;
                }
            })
            .map_err(internal)?
            .ok_or_else(|| Status::not_found(format!("lease {id} left the store")))?;
        if !first {
            // The same manifest again (it hashes to the on-chain value): nothing to start.
            return Ok(Response::new(response));
        }
        tracing::info!(lease = %id, kernel = %service.kernel, units = record.units_total, "manifest accepted");
        if record.phase == WorkPhase::Running {
            work::ensure_running(&self.0, &record).await;
        } else {
            work::publish(&self.0, &record).await;
        }
        let daemon = self.0.clone();
        tokio::spawn(async move {
            if let Err(e) = leases::record_receipt(&daemon, &id).await {
                tracing::warn!(error = %e, "manifest receipt");
            }
        });
        Ok(Response::new(response))
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
        Ok(Response::new(work::status_of(&self.record(&id).await?)))
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
        let record = self.record(&id).await?;
        work::publish(&self.0, &record).await;
        let mut rx = self
            .0
            .leases
            .lock()
            .await
            .get(&id.to_string())
            .map(|h| h.status.subscribe())
            .ok_or_else(|| Status::not_found(format!("lease {id} has no status")))?;
        let (tx, out) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            loop {
                let current = rx.borrow_and_update().clone();
                let state = current.state;
                let end = state == pb::WorkState::Done as i32
                    || state == pb::WorkState::Failed as i32
                    || state == pb::WorkState::Closed as i32;
                if tx.send(Ok(current)).await.is_err() || end {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(out),
        )))
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
        let record = self.record(&id).await?;
        if record.phase != WorkPhase::Done {
            return Err(Status::failed_precondition(format!(
                "lease {id}: the work is not done ({} of {} units)",
                record.units_done(),
                record.units_total
            )));
        }
        let hashes = record.leaf_hashes().map_err(internal)?;
        let count = hashes.len() as u64;
        if request.from_leaf > count {
            return Err(Status::out_of_range(format!(
                "from_leaf {} is past the last leaf ({count} leaves)",
                request.from_leaf
            )));
        }
        let daemon = self.0.clone();
        let (tx, out) = tokio::sync::mpsc::channel(4);
        let from = request.from_leaf;
        // Read and sent batch by batch from a blocking task: outputs need not fit in memory.
        tokio::task::spawn_blocking(move || {
            let leaves = match work::leaves(&daemon, &record, from) {
                Ok(leaves) => leaves,
                Err(e) => {
                    let _ = tx.blocking_send(Err(internal(e)));
                    return;
                }
            };
            let mut batch = pb::OutputLeaves {
                leaf_count: count,
                leaves: vec![],
            };
            let mut bytes = 0;
            let tampered = &daemon.config.testing.tamper_served_leaves;
            for (index, mut data) in leaves {
                if tampered.contains(&index) {
                    if let Some(first) = data.first_mut() {
                        *first ^= 0xff;
                    }
                }
                if bytes + data.len() > BATCH_BYTES && !batch.leaves.is_empty() {
                    let full = std::mem::replace(
                        &mut batch,
                        pb::OutputLeaves {
                            leaf_count: count,
                            leaves: vec![],
                        },
                    );
                    if tx.blocking_send(Ok(full)).is_err() {
                        return;
                    }
                    bytes = 0;
                }
                bytes += data.len();
                batch.leaves.push(pb::OutputLeaf {
                    index,
                    proof: merkle::proof(&hashes, index as usize)
                        .into_iter()
                        .map(|h| h.to_vec())
                        .collect(),
                    data,
                });
            }
            if !batch.leaves.is_empty() {
                let _ = tx.blocking_send(Ok(batch));
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(out),
        )))
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
        self.record(&id).await?;
        work::stop(&self.0, &id).await;
        let record = self
            .0
            .store
            .update_lease(&id, |r| {
                r.closed = true;
                r.message = "stopped at the owner's request".into();
            })
            .map_err(internal)?;
        if let Some(record) = record {
            work::publish(&self.0, &record).await;
        }
        Ok(Response::new(pb::CloseLeaseResponse {}))
    }
}
