//! `abci_query` routing: the standard gRPC method paths, protobuf in and out, answered as a
//! Cosmos SDK node answers them; plus `/store/state` for raw reads with ICS23 proofs.
//!
//! The router checks the height and hands the request to the module of its service:
//!
//! | service | module |
//! |---|---|
//! | `/cosmos.auth.v1beta1.Query` | [`auth`] |
//! | `/cosmos.bank.v1beta1.Query` | [`bank`] |
//! | `/cosmos.tx.v1beta1.Service` | [`tx`] (`Simulate`) |
//! | `/cosmwasm.wasm.v1.Query` | [`wasm`] |
//! | `/tessera.chain.v1.Query` | [`chain`] (`BlockHash`: recent block hashes, as contracts see them) |
//! | `/store/state` | [`store`] (`key`, with a proof when asked) |

// An error here *is* the answer (a `QueryResponse` with its code), built once per query; boxing
// it would only add an allocation.
#![allow(clippy::result_large_err)]

mod auth;
mod bank;
mod chain;
mod store;
mod tx;
mod wasm;

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest as PbPageRequest;
use cosmos_sdk_proto::prost::Message;
use tessera_store::{Snapshot, StateRead};
use tessera_vm::types::PageRequest as VmPage;

use super::abci::{QueryRequest, QueryResponse};
use super::QueryView;
use crate::address::Address;
use crate::error::{codes, SDK_CODESPACE};

/// A query's answer: `Err` is an error answer, returned as is.
type Answer = Result<QueryResponse, QueryResponse>;

pub fn route(app: &QueryView, req: QueryRequest) -> QueryResponse {
    let latest = app.store.latest_version();
    let height = if req.height == 0 { latest } else { req.height };
    if latest == 0 {
        return fail(
            1,
            codes::INVALID_REQUEST,
            "Unavailable",
            "no block has been committed yet",
        );
    }
    if height > latest {
        return fail(
            latest,
            codes::INVALID_REQUEST,
            "InvalidArgument",
            format!("height {height} is not committed yet (latest {latest})"),
        );
    }
    let answer = Query::new(app, &req, height, latest).and_then(|q| q.dispatch());
    match answer {
        Ok(resp) | Err(resp) => resp,
    }
}

/// One query being answered: the request, the height it is answered at, and reads there.
struct Query<'a> {
    app: &'a QueryView,
    req: &'a QueryRequest,
    height: u64,
    latest: u64,
    snapshot: Arc<Snapshot>,
}

impl<'a> Query<'a> {
    fn new(
        app: &'a QueryView,
        req: &'a QueryRequest,
        height: u64,
        latest: u64,
    ) -> Result<Self, QueryResponse> {
        let snapshot = app
            .store
            .snapshot()
            .map_err(|e| fail(height, codes::INTERNAL, "Internal", e))?;
        Ok(Self {
            app,
            req,
            height,
            latest,
            snapshot,
        })
    }

    fn dispatch(&self) -> Answer {
        let path = self.req.path.as_str();
        let (service, method) = path.rsplit_once('/').unwrap_or((path, ""));
        match service {
            "/cosmos.auth.v1beta1.Query" => auth::answer(self, method),
            "/cosmos.bank.v1beta1.Query" => bank::answer(self, method),
            "/cosmos.tx.v1beta1.Service" => tx::answer(self, method),
            "/cosmwasm.wasm.v1.Query" => wasm::answer(self, method),
            "/tessera.chain.v1.Query" => chain::answer(self, method),
            "/store/state" => store::answer(self, method),
            _ => Err(self.unknown_path()),
        }
    }

    /// Historical heights are served for point reads from the versioned tree; queries that
    /// iterate (or run contracts) need the latest state.
    fn historical(&self) -> bool {
        self.height != self.latest
    }

    fn needs_latest(&self, what: &str) -> Result<(), QueryResponse> {
        if self.historical() {
            Err(self.fail(
                codes::INVALID_REQUEST,
                "InvalidArgument",
                format!(
                    "{what} is only served at the latest height ({})",
                    self.latest
                ),
            ))
        } else {
            Ok(())
        }
    }

    /// A point read at the query's height.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, QueryResponse> {
        let read = if self.historical() {
            self.app.store.get_at(self.height, key)
        } else {
            self.snapshot.get(key)
        };
        read.map_err(|e| self.internal(e))
    }

    fn decode<M: Message + Default>(&self) -> Result<M, QueryResponse> {
        M::decode(self.req.data.as_slice()).map_err(|e| {
            self.fail(
                codes::TX_DECODE,
                "InvalidArgument",
                format!("bad request: {e}"),
            )
        })
    }

    fn address(&self, s: &str) -> Result<Address, QueryResponse> {
        Address::from_bech32(s).map_err(|e| {
            self.fail(
                codes::INVALID_ADDRESS,
                "InvalidArgument",
                format!("invalid address {s:?}: {e}"),
            )
        })
    }

    fn ok(&self, value: Vec<u8>) -> Answer {
        Ok(QueryResponse {
            value,
            height: self.height,
            ..Default::default()
        })
    }

    fn fail(&self, code: u32, grpc: &str, detail: impl std::fmt::Display) -> QueryResponse {
        fail(self.height, code, grpc, detail)
    }

    fn internal(&self, detail: impl std::fmt::Display) -> QueryResponse {
        self.fail(codes::INTERNAL, "Internal", detail)
    }

    fn not_found(&self, detail: impl std::fmt::Display) -> QueryResponse {
        self.fail(codes::KEY_NOT_FOUND, "NotFound", detail)
    }

    fn unknown_path(&self) -> QueryResponse {
        self.fail(
            codes::UNKNOWN_REQUEST,
            "Unimplemented",
            format!("unknown query path {}", self.req.path),
        )
    }
}

/// An error answer: `code` in the SDK's codespace, the log as a gRPC status text so that clients
/// that look for `rpc error: code = NotFound` find it.
fn fail(height: u64, code: u32, grpc: &str, detail: impl std::fmt::Display) -> QueryResponse {
    QueryResponse {
        code,
        codespace: SDK_CODESPACE.into(),
        log: format!("rpc error: code = {grpc} desc = {detail}"),
        height,
        ..Default::default()
    }
}

/// A Cosmos page request as the VM's.
fn page_of(p: Option<&PbPageRequest>) -> VmPage {
    VmPage {
        key: p.and_then(|p| (!p.key.is_empty()).then(|| p.key.clone())),
        limit: p.map_or(0, |p| u32::try_from(p.limit).unwrap_or(100)),
    }
}
