//! Cosmos gRPC on :9090, as wasmd serves it, for clients that speak gRPC (cosmpy, cw-orch,
//! grpcurl): `cosmos.auth.v1beta1.Query`, `cosmos.bank.v1beta1.Query`,
//! `cosmos.tx.v1beta1.Service`, `cosmwasm.wasm.v1.Query`,
//! `cosmos.base.tendermint.v1beta1.Service` and `cosmos.consensus.v1.Query` (params).
//!
//! The app already answers every query method on its gRPC path through `abci_query`
//! (protobuf in and out), so each service here forwards the raw request bytes by method path
//! instead of re-declaring every method: one forwarding service per gRPC service name. The
//! methods that need CometBFT (node info, blocks, broadcast, tx lookup) are answered from its
//! RPC by [`chain_answers`](super::chain_answers), awaited on the gRPC runtime; only the app's
//! own queries, which block, go to `spawn_blocking`. The height of an answer travels in the
//! `x-cosmos-block-height` metadata both ways, as in the SDK.
//!
//! Server reflection (v1 and v1alpha, for grpcurl and friends) describes these services from
//! the Cosmos SDK's and wasmd's own `.proto` files, compiled by build.rs.

// tonic's `Status` is the answer of a failed call, built once per call; boxing it would only add
// an allocation.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tessera_proto::raw_codec::RawCodec;
use tonic::metadata::MetadataValue;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::chain_answers;
use super::comet_client::CometClient;
use crate::app::abci::QueryRequest;
use crate::app::App;

/// The file descriptors of the served services (empty when built without their sources).
const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cosmos_descriptors.bin"));

/// The SDK's height metadata key.
const HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// Answers gRPC methods by path.
pub struct Backend {
    app: Arc<Mutex<App>>,
    comet: CometClient,
}

impl Backend {
    pub fn new(app: Arc<Mutex<App>>, comet: CometClient) -> Self {
        Self { app, comet }
    }

    /// Answers `path` with the encoded response and its height (0: none to report).
    async fn answer(
        self: Arc<Self>,
        path: String,
        body: Vec<u8>,
        height: u64,
    ) -> Result<(Vec<u8>, u64), Status> {
        if let Some(answer) = chain_answers::answer(&self.comet, &path, &body).await {
            return answer.map(|bytes| (bytes, 0));
        }
        // The app's queries block (its lock, the VM): off the async workers.
        tokio::task::spawn_blocking(move || self.query_app(path, body, height))
            .await
            .map_err(|e| Status::internal(e.to_string()))?
    }

    fn query_app(
        &self,
        path: String,
        data: Vec<u8>,
        height: u64,
    ) -> Result<(Vec<u8>, u64), Status> {
        // Taken under the lock, run after releasing it (see `App::query_view`).
        let view = self
            .app
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .query_view();
        let res = view.query(QueryRequest {
            path,
            data,
            height,
            prove: false,
        });
        if res.code == 0 {
            Ok((res.value, res.height))
        } else {
            Err(status_of(res.code, &res.log))
        }
    }
}

/// The gRPC status of a failed `abci_query`: the app writes logs as the SDK's gRPC layer does
/// (`rpc error: code = NotFound desc = …`); other failures (a contract's error) are `Unknown`,
/// as the SDK reports them.
fn status_of(abci_code: u32, log: &str) -> Status {
    if let Some(rest) = log.strip_prefix("rpc error: code = ") {
        let (name, desc) = rest.split_once(" desc = ").unwrap_or((rest, ""));
        let code = match name {
            "NotFound" => Code::NotFound,
            "InvalidArgument" => Code::InvalidArgument,
            "Unimplemented" => Code::Unimplemented,
            "FailedPrecondition" => Code::FailedPrecondition,
            "Internal" => Code::Internal,
            _ => Code::Unknown,
        };
        return Status::new(code, desc);
    }
    Status::new(Code::Unknown, format!("{log} (code {abci_code})"))
}

/// One method call: its path and the backend.
struct Method {
    path: String,
    backend: Arc<Backend>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl UnaryService<Vec<u8>> for Method {
    type Response = Vec<u8>;
    type Future = BoxFuture<Result<Response<Vec<u8>>, Status>>;

    fn call(&mut self, request: Request<Vec<u8>>) -> Self::Future {
        let path = std::mem::take(&mut self.path);
        let backend = self.backend.clone();
        Box::pin(async move {
            let height = match request.metadata().get(HEIGHT_HEADER) {
                None => 0,
                Some(v) => v
                    .to_str()
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| Status::invalid_argument(format!("bad {HEIGHT_HEADER}")))?,
            };
            let body = request.into_inner();
            let (bytes, answered_at) = backend.answer(path, body, height).await?;
            let mut response = Response::new(bytes);
            if answered_at > 0 {
                if let Ok(value) = MetadataValue::try_from(answered_at.to_string()) {
                    response.metadata_mut().insert(HEIGHT_HEADER, value);
                }
            }
            Ok(response)
        })
    }
}

/// A gRPC service name the node serves.
pub trait ServiceName: Send + Sync + 'static {
    const NAME: &'static str;
}

macro_rules! services {
    ($($ty:ident = $name:literal),* $(,)?) => {
        $(
            pub struct $ty;
            impl ServiceName for $ty {
                const NAME: &'static str = $name;
            }
        )*
    };
}

services! {
    AuthQuery = "cosmos.auth.v1beta1.Query",
    BankQuery = "cosmos.bank.v1beta1.Query",
    TxService = "cosmos.tx.v1beta1.Service",
    WasmQuery = "cosmwasm.wasm.v1.Query",
    TendermintService = "cosmos.base.tendermint.v1beta1.Service",
    ConsensusQuery = "cosmos.consensus.v1.Query",
    // Tessera's own; not in the reflected descriptors (no .proto of it is compiled in).
    ChainQuery = "tessera.chain.v1.Query",
}

/// Every method of service `S`, forwarded to the backend by path.
pub struct Forward<S> {
    backend: Arc<Backend>,
    _service: PhantomData<S>,
}

impl<S> Clone for Forward<S> {
    fn clone(&self) -> Self {
        Self {
            backend: self.backend.clone(),
            _service: PhantomData,
        }
    }
}

impl<S: ServiceName> Forward<S> {
    pub fn new(backend: Arc<Backend>) -> Self {
        Self {
            backend,
            _service: PhantomData,
        }
    }
}

impl<S: ServiceName> NamedService for Forward<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> tower_service::Service<http::Request<B>> for Forward<S>
where
    S: ServiceName,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = Method {
            path: request.uri().path().to_string(),
            backend: self.backend.clone(),
        };
        Box::pin(async move { Ok(Grpc::new(RawCodec).unary(method, request).await) })
    }
}

/// Adds reflection of exactly the served services (v1, and v1alpha for older clients) to
/// `router`; nothing when built without the descriptors.
fn with_reflection(
    router: tonic::transport::server::Router,
) -> Result<tonic::transport::server::Router, String> {
    if DESCRIPTORS.is_empty() {
        tracing::warn!(
            "built without the Cosmos .proto sources: gRPC reflection is off (run scripts/setup.sh and rebuild)"
        );
        return Ok(router);
    }
    let names = [
        AuthQuery::NAME,
        BankQuery::NAME,
        TxService::NAME,
        WasmQuery::NAME,
        TendermintService::NAME,
        ConsensusQuery::NAME,
    ];
    let builder = || {
        names.iter().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(DESCRIPTORS),
            |b, name| b.with_service_name(*name),
        )
    };
    let v1 = builder()
        .build_v1()
        .map_err(|e| format!("gRPC reflection: {e}"))?;
    let v1alpha = builder()
        .build_v1alpha()
        .map_err(|e| format!("gRPC reflection: {e}"))?;
    Ok(router.add_service(v1).add_service(v1alpha))
}

/// Whether this build serves gRPC reflection.
pub fn has_reflection() -> bool {
    !DESCRIPTORS.is_empty()
}

/// Serves gRPC on `addr` from a runtime of its own until the process ends.
pub fn spawn(addr: SocketAddr, backend: Backend) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("grpc")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // Bind before returning, so a taken port is reported at start.
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| format!("gRPC on {addr}: {e}"))?;
    let backend = Arc::new(backend);
    let router = tonic::transport::Server::builder()
        .add_service(Forward::<AuthQuery>::new(backend.clone()))
        .add_service(Forward::<BankQuery>::new(backend.clone()))
        .add_service(Forward::<TxService>::new(backend.clone()))
        .add_service(Forward::<WasmQuery>::new(backend.clone()))
        .add_service(Forward::<TendermintService>::new(backend.clone()))
        .add_service(Forward::<ConsensusQuery>::new(backend.clone()))
        .add_service(Forward::<ChainQuery>::new(backend));
    let router = with_reflection(router)?;
    std::thread::Builder::new()
        .name("grpc".into())
        .spawn(move || {
            // tonic sets TCP_NODELAY only on sockets it accepts itself; without it every small
            // answer waits out the client's delayed ACK (~40 ms per query).
            let incoming = tokio_stream::StreamExt::map(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                |conn| conn.and_then(|s| s.set_nodelay(true).map(|()| s)),
            );
            if let Err(e) = runtime.block_on(router.serve_with_incoming(incoming)) {
                tracing::error!(%e, "gRPC server stopped");
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_style_logs_map_to_their_grpc_codes() {
        let s = status_of(22, "rpc error: code = NotFound desc = account x not found");
        assert_eq!(s.code(), Code::NotFound);
        assert_eq!(s.message(), "account x not found");
        let s = status_of(5, "execute wasm contract failed");
        assert_eq!(s.code(), Code::Unknown);
        assert!(s.message().contains("code 5"));
    }
}
