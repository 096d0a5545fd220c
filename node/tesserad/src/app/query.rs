//! `abci_query` routing: the standard gRPC method paths, protobuf in and out, answered as a
//! Cosmos SDK node answers them; plus `/store/state` for raw reads with ICS23 proofs.

// An error here *is* the answer (a `QueryResponse` with its code), built once per query; boxing
// it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth_pb;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank_pb;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1 as abci_pb;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest as PbPageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::tx::v1beta1 as tx_pb;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm_pb;
use cosmos_sdk_proto::prost::Message;
use tessera_store::{Overlay, StateRead};

use tessera_vm::types::{BlockEnv, PageRequest as VmPage};
use tessera_vm::Timestamp;

use super::abci::{ProofOp, QueryRequest, QueryResponse};
use super::QueryView;
use crate::address::Address;
use crate::{auth, bank};

/// An error answer: `code` in `codespace`, the log as a gRPC status text so that clients that
/// look for `rpc error: code = NotFound` find it.
fn fail(height: u64, code: u32, grpc: &str, detail: impl std::fmt::Display) -> QueryResponse {
    QueryResponse {
        code,
        codespace: "sdk".into(),
        log: format!("rpc error: code = {grpc} desc = {detail}"),
        height,
        ..Default::default()
    }
}

fn ok(height: u64, value: Vec<u8>) -> QueryResponse {
    QueryResponse {
        value,
        height,
        ..Default::default()
    }
}

fn decode<M: Message + Default>(height: u64, data: &[u8]) -> Result<M, QueryResponse> {
    M::decode(data).map_err(|e| fail(height, 2, "InvalidArgument", format!("bad request: {e}")))
}

fn address(height: u64, s: &str) -> Result<Address, QueryResponse> {
    Address::from_bech32(s).map_err(|e| {
        fail(
            height,
            7,
            "InvalidArgument",
            format!("invalid address {s:?}: {e}"),
        )
    })
}

pub fn route(app: &QueryView, req: QueryRequest) -> QueryResponse {
    let latest = app.store.latest_version();
    let height = if req.height == 0 { latest } else { req.height };
    if latest == 0 {
        return fail(1, 18, "Unavailable", "no block has been committed yet");
    }
    if height > latest {
        return fail(
            latest,
            18,
            "InvalidArgument",
            format!("height {height} is not committed yet (latest {latest})"),
        );
    }
    match answer(app, &req, height, latest) {
        Ok(resp) | Err(resp) => resp,
    }
}

fn answer(
    app: &QueryView,
    req: &QueryRequest,
    height: u64,
    latest: u64,
) -> Result<QueryResponse, QueryResponse> {
    let snapshot = app
        .store
        .snapshot()
        .map_err(|e| fail(height, 1, "Internal", e))?;
    // Historical heights are served for point reads from the versioned tree; queries that
    // iterate (or run contracts) need the latest state.
    let historical = height != latest;
    let needs_latest = |what: &str| {
        if historical {
            Err(fail(
                height,
                18,
                "InvalidArgument",
                format!("{what} is only served at the latest height ({latest})"),
            ))
        } else {
            Ok(())
        }
    };
    let get = |key: &[u8]| -> Result<Option<Vec<u8>>, QueryResponse> {
        let r = if historical {
            app.store.get_at(height, key)
        } else {
            snapshot.get(key)
        };
        r.map_err(|e| fail(height, 1, "Internal", e))
    };
    match req.path.as_str() {
        "/cosmos.auth.v1beta1.Query/Account" => {
            let q: auth_pb::QueryAccountRequest = decode(height, &req.data)?;
            let addr = address(height, &q.address)?;
            match get(&auth::account_key(&addr))? {
                Some(bytes) => Ok(ok(
                    height,
                    auth_pb::QueryAccountResponse {
                        account: Some(cosmos_sdk_proto::Any {
                            type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                            value: bytes,
                        }),
                    }
                    .encode_to_vec(),
                )),
                None => Err(fail(
                    height,
                    22,
                    "NotFound",
                    format!("account {} not found: key not found", q.address),
                )),
            }
        }
        "/cosmos.bank.v1beta1.Query/Balance" => {
            let q: bank_pb::QueryBalanceRequest = decode(height, &req.data)?;
            let addr = address(height, &q.address)?;
            let amount = match get(&bank::balance_key(&addr, &q.denom))? {
                Some(b) => String::from_utf8_lossy(&b).into_owned(),
                None => "0".into(),
            };
            Ok(ok(
                height,
                bank_pb::QueryBalanceResponse {
                    balance: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                        denom: q.denom,
                        amount,
                    }),
                }
                .encode_to_vec(),
            ))
        }
        "/cosmos.bank.v1beta1.Query/AllBalances" => {
            needs_latest("AllBalances")?;
            let q: bank_pb::QueryAllBalancesRequest = decode(height, &req.data)?;
            let addr = address(height, &q.address)?;
            let page = page_of(q.pagination.as_ref());
            let result = bank::all_balances(
                &*snapshot,
                &addr,
                &bank::PageRequest {
                    key: page.key,
                    limit: page.limit as usize,
                },
            )
            .map_err(|e| fail(height, e.code, "Internal", e.log))?;
            Ok(ok(
                height,
                bank_pb::QueryAllBalancesResponse {
                    balances: result.items.iter().map(|c| c.to_proto()).collect(),
                    pagination: Some(PageResponse {
                        next_key: result.next_key.unwrap_or_default(),
                        total: 0,
                    }),
                }
                .encode_to_vec(),
            ))
        }
        "/cosmos.tx.v1beta1.Service/Simulate" => {
            needs_latest("Simulate")?;
            let q: tx_pb::SimulateRequest = decode(height, &req.data)?;
            // Older clients (cosmpy) send the deprecated `tx` message instead of `tx_bytes`. A
            // Tx encodes as the TxRaw of its encoded body and auth info, which is what a
            // simulation needs (signatures are not checked).
            #[allow(deprecated)]
            let tx_bytes = match (q.tx_bytes.is_empty(), &q.tx) {
                (true, Some(tx)) => tx.encode_to_vec(),
                _ => q.tx_bytes,
            };
            let outcome = app
                .simulate(&tx_bytes)
                .map_err(|e| fail(height, 1, "Internal", e))?;
            if !outcome.is_ok() {
                return Err(QueryResponse {
                    code: outcome.code,
                    codespace: outcome.codespace,
                    log: outcome.log,
                    height,
                    ..Default::default()
                });
            }
            Ok(ok(
                height,
                tx_pb::SimulateResponse {
                    gas_info: Some(abci_pb::GasInfo {
                        gas_wanted: outcome.gas_wanted,
                        gas_used: outcome.gas_used,
                    }),
                    result: Some(abci_pb::Result {
                        #[allow(deprecated)]
                        data: outcome.data,
                        log: String::new(),
                        events: outcome
                            .events
                            .iter()
                            .map(|e| cosmos_sdk_proto::tendermint::abci::Event {
                                r#type: e.kind.clone(),
                                attributes: e
                                    .attributes
                                    .iter()
                                    .map(|(k, v)| {
                                        cosmos_sdk_proto::tendermint::abci::EventAttribute {
                                            key: k.clone(),
                                            value: v.clone(),
                                            index: true,
                                        }
                                    })
                                    .collect(),
                            })
                            .collect(),
                        msg_responses: outcome.msg_responses,
                    }),
                }
                .encode_to_vec(),
            ))
        }
        "/cosmwasm.wasm.v1.Query/SmartContractState" => {
            needs_latest("SmartContractState")?;
            let q: wasm_pb::QuerySmartContractStateRequest = decode(height, &req.data)?;
            let shared = Arc::new(Mutex::new(Overlay::new(snapshot.clone())));
            let block = BlockEnv {
                height,
                time: Timestamp::from_nanos(app.last_block_time_nanos()),
                chain_id: app.chain_id.clone(),
            };
            let data = app
                .host
                .query_smart(&shared, &block, &q.address, &q.query_data)
                .map_err(|e| QueryResponse {
                    code: e.code(),
                    codespace: e.codespace().to_string(),
                    log: e.to_string(),
                    height,
                    ..Default::default()
                })?;
            Ok(ok(
                height,
                wasm_pb::QuerySmartContractStateResponse {
                    data: data.to_vec(),
                }
                .encode_to_vec(),
            ))
        }
        "/cosmwasm.wasm.v1.Query/RawContractState" => {
            needs_latest("RawContractState")?;
            let q: wasm_pb::QueryRawContractStateRequest = decode(height, &req.data)?;
            let data = app
                .host
                .query_raw(&*snapshot, &q.address, &q.query_data)
                .map_err(|e| fail(height, e.code(), "InvalidArgument", e))?;
            Ok(ok(
                height,
                wasm_pb::QueryRawContractStateResponse {
                    data: data.unwrap_or_default(),
                }
                .encode_to_vec(),
            ))
        }
        "/cosmwasm.wasm.v1.Query/ContractInfo" => {
            needs_latest("ContractInfo")?;
            let q: wasm_pb::QueryContractInfoRequest = decode(height, &req.data)?;
            let info = app
                .host
                .contract_info(&*snapshot, &q.address)
                .map_err(|e| fail(height, e.code(), "InvalidArgument", e))?
                .ok_or_else(|| {
                    fail(
                        height,
                        22,
                        "NotFound",
                        format!("contract {} not found", q.address),
                    )
                })?;
            Ok(ok(
                height,
                wasm_pb::QueryContractInfoResponse {
                    address: q.address,
                    contract_info: Some(wasm_pb::ContractInfo {
                        code_id: info.code_id,
                        creator: info.creator,
                        admin: info.admin.unwrap_or_default(),
                        label: info.label,
                        created: Some(wasm_pb::AbsoluteTxPosition {
                            block_height: info.created.block_height,
                            tx_index: info.created.tx_index,
                        }),
                        ibc_port_id: String::new(),
                        extension: None,
                    }),
                }
                .encode_to_vec(),
            ))
        }
        "/cosmwasm.wasm.v1.Query/Code" => {
            needs_latest("Code")?;
            let q: wasm_pb::QueryCodeRequest = decode(height, &req.data)?;
            let info = app
                .host
                .code_info(&*snapshot, q.code_id)
                .map_err(|e| fail(height, e.code(), "Internal", e))?
                .ok_or_else(|| {
                    fail(
                        height,
                        22,
                        "NotFound",
                        format!("code {} not found", q.code_id),
                    )
                })?;
            let bytes = app
                .host
                .code_bytes(&*snapshot, q.code_id)
                .map_err(|e| fail(height, e.code(), "Internal", e))?
                .unwrap_or_default();
            Ok(ok(
                height,
                wasm_pb::QueryCodeResponse {
                    code_info: Some(code_info_pb(q.code_id, &info)),
                    data: bytes,
                }
                .encode_to_vec(),
            ))
        }
        "/cosmwasm.wasm.v1.Query/Codes" => {
            needs_latest("Codes")?;
            let q: wasm_pb::QueryCodesRequest = decode(height, &req.data)?;
            let page = app
                .host
                .list_codes(&*snapshot, &page_of(q.pagination.as_ref()))
                .map_err(|e| fail(height, e.code(), "Internal", e))?;
            Ok(ok(
                height,
                wasm_pb::QueryCodesResponse {
                    code_infos: page
                        .items
                        .iter()
                        .map(|(id, info)| code_info_pb(*id, info))
                        .collect(),
                    pagination: Some(PageResponse {
                        next_key: page.next_key.unwrap_or_default(),
                        total: 0,
                    }),
                }
                .encode_to_vec(),
            ))
        }
        "/cosmwasm.wasm.v1.Query/PinnedCodes" => {
            // Few codes are ever pinned: the whole list in one page.
            needs_latest("PinnedCodes")?;
            let _: wasm_pb::QueryPinnedCodesRequest = decode(height, &req.data)?;
            let code_ids = app
                .host
                .pinned_codes(&*snapshot)
                .map_err(|e| fail(height, e.code(), "Internal", e))?;
            Ok(ok(
                height,
                wasm_pb::QueryPinnedCodesResponse {
                    code_ids,
                    pagination: Some(PageResponse {
                        next_key: vec![],
                        total: 0,
                    }),
                }
                .encode_to_vec(),
            ))
        }
        "/cosmwasm.wasm.v1.Query/ContractsByCode" => {
            needs_latest("ContractsByCode")?;
            let q: wasm_pb::QueryContractsByCodeRequest = decode(height, &req.data)?;
            let page = app
                .host
                .contracts_by_code(&*snapshot, q.code_id, &page_of(q.pagination.as_ref()))
                .map_err(|e| fail(height, e.code(), "Internal", e))?;
            Ok(ok(
                height,
                wasm_pb::QueryContractsByCodeResponse {
                    contracts: page.items,
                    pagination: Some(PageResponse {
                        next_key: page.next_key.unwrap_or_default(),
                        total: 0,
                    }),
                }
                .encode_to_vec(),
            ))
        }
        "/store/state/key" => {
            if !req.prove {
                return Ok(QueryResponse {
                    key: req.data.clone(),
                    ..ok(height, get(&req.data)?.unwrap_or_default())
                });
            }
            let (value, proof) = app
                .store
                .get_with_proof(height, &req.data)
                .map_err(|e| fail(height, 1, "Internal", e))?;
            Ok(QueryResponse {
                key: req.data.clone(),
                value: value.unwrap_or_default(),
                proof_ops: vec![ProofOp {
                    kind: "ics23:jmt".into(),
                    key: req.data.clone(),
                    data: tessera_store::ics23::CommitmentProof::encode_to_vec(&proof),
                }],
                height,
                ..Default::default()
            })
        }
        other => Err(fail(
            height,
            6,
            "Unimplemented",
            format!("unknown query path {other}"),
        )),
    }
}

fn page_of(p: Option<&PbPageRequest>) -> VmPage {
    VmPage {
        key: p.and_then(|p| (!p.key.is_empty()).then(|| p.key.clone())),
        limit: p.map_or(0, |p| u32::try_from(p.limit).unwrap_or(100)),
    }
}

fn code_info_pb(code_id: u64, info: &tessera_vm::types::CodeInfo) -> wasm_pb::CodeInfoResponse {
    wasm_pb::CodeInfoResponse {
        code_id,
        creator: info.creator.clone(),
        data_hash: info.checksum.as_slice().to_vec(),
        instantiate_permission: None,
    }
}
