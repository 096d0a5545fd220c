//! `/cosmwasm.wasm.v1.Query`: contract state (smart and raw), contracts, codes and pins, as
//! wasmd answers them. All need the latest height.

use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm_pb;
use cosmos_sdk_proto::prost::Message;
use tessera_store::Overlay;
use tessera_vm::types::BlockEnv;
use tessera_vm::{Timestamp, WasmError};

use super::{page_of, Answer, Query};
use crate::app::abci::QueryResponse;

pub(super) fn answer(q: &Query, method: &str) -> Answer {
    let answer: fn(&Query) -> Answer = match method {
        "SmartContractState" => smart_contract_state,
        "RawContractState" => raw_contract_state,
        "ContractInfo" => contract_info,
        "Code" => code,
        "Codes" => codes,
        "PinnedCodes" => pinned_codes,
        "ContractsByCode" => contracts_by_code,
        _ => return Err(q.unknown_path()),
    };
    q.needs_latest(method)?;
    answer(q)
}

/// A VM error as the answer: its own code, and `grpc` as the status text.
fn vm_error(q: &Query, grpc: &str, e: WasmError) -> QueryResponse {
    q.fail(e.code(), grpc, e)
}

fn smart_contract_state(q: &Query) -> Answer {
    let req: wasm_pb::QuerySmartContractStateRequest = q.decode()?;
    let shared = Arc::new(Mutex::new(Overlay::new(q.snapshot.clone())));
    let block = BlockEnv {
        height: q.height,
        time: Timestamp::from_nanos(q.app.last_block_time_nanos()),
        chain_id: q.app.chain_id.clone(),
    };
    // A contract's own error keeps the VM's codespace (wasm), as wasmd reports it.
    let data = q
        .app
        .host
        .query_smart(&shared, &block, &req.address, &req.query_data)
        .map_err(|e| QueryResponse {
            code: e.code(),
            codespace: e.codespace().to_string(),
            log: e.to_string(),
            height: q.height,
            ..Default::default()
        })?;
    q.ok(wasm_pb::QuerySmartContractStateResponse {
        data: data.to_vec(),
    }
    .encode_to_vec())
}

fn raw_contract_state(q: &Query) -> Answer {
    let req: wasm_pb::QueryRawContractStateRequest = q.decode()?;
    let data = q
        .app
        .host
        .query_raw(&*q.snapshot, &req.address, &req.query_data)
        .map_err(|e| vm_error(q, "InvalidArgument", e))?;
    q.ok(wasm_pb::QueryRawContractStateResponse {
        data: data.unwrap_or_default(),
    }
    .encode_to_vec())
}

fn contract_info(q: &Query) -> Answer {
    let req: wasm_pb::QueryContractInfoRequest = q.decode()?;
    let info = q
        .app
        .host
        .contract_info(&*q.snapshot, &req.address)
        .map_err(|e| vm_error(q, "InvalidArgument", e))?
        .ok_or_else(|| q.not_found(format!("contract {} not found", req.address)))?;
    q.ok(wasm_pb::QueryContractInfoResponse {
        address: req.address,
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
    .encode_to_vec())
}

fn code(q: &Query) -> Answer {
    let req: wasm_pb::QueryCodeRequest = q.decode()?;
    let info = q
        .app
        .host
        .code_info(&*q.snapshot, req.code_id)
        .map_err(|e| vm_error(q, "Internal", e))?
        .ok_or_else(|| q.not_found(format!("code {} not found", req.code_id)))?;
    let bytes = q
        .app
        .host
        .code_bytes(&*q.snapshot, req.code_id)
        .map_err(|e| vm_error(q, "Internal", e))?
        .unwrap_or_default();
    q.ok(wasm_pb::QueryCodeResponse {
        code_info: Some(code_info_pb(req.code_id, &info)),
        data: bytes,
    }
    .encode_to_vec())
}

fn codes(q: &Query) -> Answer {
    let req: wasm_pb::QueryCodesRequest = q.decode()?;
    let page = q
        .app
        .host
        .list_codes(&*q.snapshot, &page_of(req.pagination.as_ref()))
        .map_err(|e| vm_error(q, "Internal", e))?;
    q.ok(wasm_pb::QueryCodesResponse {
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
    .encode_to_vec())
}

/// Few codes are ever pinned: the whole list in one page.
fn pinned_codes(q: &Query) -> Answer {
    let _: wasm_pb::QueryPinnedCodesRequest = q.decode()?;
    let code_ids = q
        .app
        .host
        .pinned_codes(&*q.snapshot)
        .map_err(|e| vm_error(q, "Internal", e))?;
    q.ok(wasm_pb::QueryPinnedCodesResponse {
        code_ids,
        pagination: Some(PageResponse {
            next_key: vec![],
            total: 0,
        }),
    }
    .encode_to_vec())
}

fn contracts_by_code(q: &Query) -> Answer {
    let req: wasm_pb::QueryContractsByCodeRequest = q.decode()?;
    let page = q
        .app
        .host
        .contracts_by_code(&*q.snapshot, req.code_id, &page_of(req.pagination.as_ref()))
        .map_err(|e| vm_error(q, "Internal", e))?;
    q.ok(wasm_pb::QueryContractsByCodeResponse {
        contracts: page.items,
        pagination: Some(PageResponse {
            next_key: page.next_key.unwrap_or_default(),
            total: 0,
        }),
    }
    .encode_to_vec())
}

fn code_info_pb(code_id: u64, info: &tessera_vm::types::CodeInfo) -> wasm_pb::CodeInfoResponse {
    wasm_pb::CodeInfoResponse {
        code_id,
        creator: info.creator.clone(),
        data_hash: info.checksum.as_slice().to_vec(),
        instantiate_permission: None,
    }
}
