//! The gRPC methods that CometBFT, not the app's state, answers: node info, syncing, blocks,
//! broadcasting and finding txs. Each reads CometBFT's JSON-RPC and builds the Cosmos SDK's
//! protobuf answer.

use base64::Engine as _;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tm_pb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as tx_pb;
use cosmos_sdk_proto::prost::Message;
use cosmos_sdk_proto::tendermint::abci::{Event, EventAttribute};
use cosmos_sdk_proto::tendermint::google::protobuf::Timestamp;
use cosmos_sdk_proto::tendermint::p2p::DefaultNodeInfo;
use cosmos_sdk_proto::tendermint::types::{BlockId, Header};
use cosmos_sdk_proto::Any;
use serde_json::Value;

use super::comet_rpc::CometRpc;

/// A failed answer: a gRPC status code and text.
pub type Failure = (tonic::Code, String);

fn unavailable(e: String) -> Failure {
    (tonic::Code::Unavailable, e)
}

fn bad_request(e: impl std::fmt::Display) -> Failure {
    (tonic::Code::InvalidArgument, e.to_string())
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn int_of(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        other => other.as_i64().unwrap_or(0),
    }
}

fn hex_bytes(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap_or_default();
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn base64_bytes(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap_or_default())
        .unwrap_or_default()
}

/// RFC 3339 UTC (`2026-11-22T05:26:33.350123456Z`, as CometBFT writes times) to a Timestamp.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let (date, rest) = s.split_once('T')?;
    let rest = rest.strip_suffix('Z')?;
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i64>());
    let (y, m, d) = (ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    let (hms, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let mut hms = hms.splitn(3, ':').map(|p| p.parse::<i64>());
    let (hh, mm, ss) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
    let nanos: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").get(..9)?.parse().ok()?
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(Timestamp {
        seconds: days * 86_400 + hh * 3600 + mm * 60 + ss,
        nanos,
    })
}

pub fn node_info(rpc: &CometRpc) -> Result<Vec<u8>, Failure> {
    let status = rpc.call("status", &[]).map_err(unavailable)?;
    let info = &status["node_info"];
    Ok(tm_pb::GetNodeInfoResponse {
        default_node_info: Some(DefaultNodeInfo {
            default_node_id: str_of(&info["id"]),
            listen_addr: str_of(&info["listen_addr"]),
            network: str_of(&info["network"]),
            version: str_of(&info["version"]),
            channels: hex_bytes(&info["channels"]),
            moniker: str_of(&info["moniker"]),
            ..Default::default()
        }),
        application_version: Some(tm_pb::VersionInfo {
            name: "tessera".into(),
            app_name: "tesserad".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            // Clients (cosmpy) parse this as the SDK version they talk to; tesserad answers
            // the SDK 0.50 interfaces.
            cosmos_sdk_version: "v0.50.0".into(),
            ..Default::default()
        }),
    }
    .encode_to_vec())
}

pub fn syncing(rpc: &CometRpc) -> Result<Vec<u8>, Failure> {
    let status = rpc.call("status", &[]).map_err(unavailable)?;
    Ok(tm_pb::GetSyncingResponse {
        syncing: status["sync_info"]["catching_up"]
            .as_bool()
            .unwrap_or(false),
    }
    .encode_to_vec())
}

/// The block at `height` (latest when `None`): its id and header. The block's txs and last
/// commit are left out; clients read heights, times and hashes from these answers.
pub fn block(rpc: &CometRpc, height: Option<i64>) -> Result<Vec<u8>, Failure> {
    let params: Vec<(&str, String)> = height
        .map(|h| ("height", h.to_string()))
        .into_iter()
        .collect();
    let result = rpc.call("block", &params).map_err(|e| {
        if e.contains("must be less than or equal") || e.contains("height") {
            (tonic::Code::NotFound, e)
        } else {
            unavailable(e)
        }
    })?;
    let h = &result["block"]["header"];
    let block_id = BlockId {
        hash: hex_bytes(&result["block_id"]["hash"]),
        part_set_header: None,
    };
    let header = Header {
        chain_id: str_of(&h["chain_id"]),
        height: int_of(&h["height"]),
        time: parse_time(h["time"].as_str().unwrap_or_default()),
        last_block_id: Some(BlockId {
            hash: hex_bytes(&h["last_block_id"]["hash"]),
            part_set_header: None,
        }),
        last_commit_hash: hex_bytes(&h["last_commit_hash"]),
        data_hash: hex_bytes(&h["data_hash"]),
        validators_hash: hex_bytes(&h["validators_hash"]),
        next_validators_hash: hex_bytes(&h["next_validators_hash"]),
        consensus_hash: hex_bytes(&h["consensus_hash"]),
        app_hash: hex_bytes(&h["app_hash"]),
        last_results_hash: hex_bytes(&h["last_results_hash"]),
        evidence_hash: hex_bytes(&h["evidence_hash"]),
        proposer_address: hex_bytes(&h["proposer_address"]),
        version: None,
    };
    let sdk_header = tm_pb::Header {
        chain_id: header.chain_id.clone(),
        height: header.height,
        time: header.time,
        last_block_id: header.last_block_id.clone(),
        last_commit_hash: header.last_commit_hash.clone(),
        data_hash: header.data_hash.clone(),
        validators_hash: header.validators_hash.clone(),
        next_validators_hash: header.next_validators_hash.clone(),
        consensus_hash: header.consensus_hash.clone(),
        app_hash: header.app_hash.clone(),
        last_results_hash: header.last_results_hash.clone(),
        evidence_hash: header.evidence_hash.clone(),
        proposer_address: str_of(&h["proposer_address"]),
        version: None,
    };
    #[allow(deprecated)]
    let block = cosmos_sdk_proto::tendermint::types::Block {
        header: Some(header),
        data: None,
        evidence: None,
        last_commit: None,
    };
    let sdk_block = tm_pb::Block {
        header: Some(sdk_header),
        data: None,
        evidence: None,
        last_commit: None,
    };
    let encoded = match height {
        None => tm_pb::GetLatestBlockResponse {
            block_id: Some(block_id),
            block: Some(block),
            sdk_block: Some(sdk_block),
        }
        .encode_to_vec(),
        Some(_) => tm_pb::GetBlockByHeightResponse {
            block_id: Some(block_id),
            block: Some(block),
            sdk_block: Some(sdk_block),
        }
        .encode_to_vec(),
    };
    Ok(encoded)
}

/// `cosmos.consensus.v1.Query/Params`: CometBFT's consensus params (clients cap gas
/// estimates at `block.max_gas`).
pub fn consensus_params(rpc: &CometRpc) -> Result<Vec<u8>, Failure> {
    let result = rpc.call("consensus_params", &[]).map_err(unavailable)?;
    let p = &result["consensus_params"];
    let params = cosmos_sdk_proto::tendermint::types::ConsensusParams {
        block: Some(cosmos_sdk_proto::tendermint::types::BlockParams {
            max_bytes: int_of(&p["block"]["max_bytes"]),
            max_gas: int_of(&p["block"]["max_gas"]),
        }),
        ..Default::default()
    };
    // QueryParamsResponse { params = 1 }: one length-delimited field around the params.
    let inner = params.encode_to_vec();
    let mut out = vec![0x0a];
    cosmos_sdk_proto::prost::encoding::encode_varint(inner.len() as u64, &mut out);
    out.extend(inner);
    Ok(out)
}

pub fn block_by_height(rpc: &CometRpc, request: &[u8]) -> Result<Vec<u8>, Failure> {
    let req = tm_pb::GetBlockByHeightRequest::decode(request).map_err(bad_request)?;
    block(rpc, Some(req.height))
}

pub fn broadcast(rpc: &CometRpc, request: &[u8]) -> Result<Vec<u8>, Failure> {
    let req = tx_pb::BroadcastTxRequest::decode(request).map_err(bad_request)?;
    if req.tx_bytes.is_empty() {
        return Err(bad_request("invalid empty tx"));
    }
    // BROADCAST_MODE_ASYNC = 3; SYNC (2) and the removed BLOCK (1) wait for check_tx.
    let method = if req.mode == 3 {
        "broadcast_tx_async"
    } else {
        "broadcast_tx_sync"
    };
    let hex: String = req.tx_bytes.iter().map(|b| format!("{b:02X}")).collect();
    let result = rpc
        .call(method, &[("tx", format!("0x{hex}"))])
        .map_err(|e| (tonic::Code::Unknown, e))?;
    Ok(tx_pb::BroadcastTxResponse {
        tx_response: Some(TxResponse {
            txhash: str_of(&result["hash"]),
            code: u32::try_from(int_of(&result["code"])).unwrap_or(0),
            codespace: str_of(&result["codespace"]),
            raw_log: str_of(&result["log"]),
            data: str_of(&result["data"]),
            ..Default::default()
        }),
    }
    .encode_to_vec())
}

/// One tx as CometBFT's `tx` / `tx_search` return it, as the SDK's `(Tx, TxResponse)`.
/// `timestamp` is the time of the block at `found`'s height (see [`block_times`]).
fn tx_answer(found: &Value, timestamp: String) -> (tx_pb::Tx, TxResponse) {
    let raw = base64_bytes(&found["tx"]);
    // TxRaw and Tx share field numbers (body and auth info as bytes), so the raw bytes are
    // the Tx's encoding as well.
    let tx = tx_pb::Tx::decode(raw.as_slice()).unwrap_or_default();
    let result = &found["tx_result"];
    let height = int_of(&found["height"]);
    let events = result["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .map(|e| Event {
                    r#type: str_of(&e["type"]),
                    attributes: e["attributes"]
                        .as_array()
                        .map(|attrs| {
                            attrs
                                .iter()
                                .map(|a| EventAttribute {
                                    key: str_of(&a["key"]),
                                    value: str_of(&a["value"]),
                                    index: a["index"].as_bool().unwrap_or(false),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let data: String = base64_bytes(&result["data"])
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let response = TxResponse {
        height,
        txhash: str_of(&found["hash"]),
        codespace: str_of(&result["codespace"]),
        code: u32::try_from(int_of(&result["code"])).unwrap_or(0),
        data,
        raw_log: str_of(&result["log"]),
        logs: Vec::new(),
        info: str_of(&result["info"]),
        gas_wanted: int_of(&result["gas_wanted"]),
        gas_used: int_of(&result["gas_used"]),
        tx: Some(Any {
            type_url: "/cosmos.tx.v1beta1.Tx".into(),
            value: raw,
        }),
        timestamp,
        events,
    };
    (tx, response)
}

/// Block times by height, each fetched once (a page of txs often shares a few blocks). A
/// header CometBFT cannot give leaves the time empty, as the SDK does for a pruned block.
struct BlockTimes<'a> {
    rpc: &'a CometRpc,
    known: std::collections::HashMap<i64, String>,
}

fn block_times(rpc: &CometRpc) -> BlockTimes<'_> {
    BlockTimes {
        rpc,
        known: Default::default(),
    }
}

impl BlockTimes<'_> {
    fn of(&mut self, found: &Value) -> String {
        let height = int_of(&found["height"]);
        let rpc = self.rpc;
        self.known
            .entry(height)
            .or_insert_with(|| {
                rpc.call("header", &[("height", height.to_string())])
                    .map(|h| str_of(&h["header"]["time"]))
                    .unwrap_or_default()
            })
            .clone()
    }
}

pub fn get_tx(rpc: &CometRpc, request: &[u8]) -> Result<Vec<u8>, Failure> {
    let req = tx_pb::GetTxRequest::decode(request).map_err(bad_request)?;
    let hash = req.hash.trim_start_matches("0x");
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad_request(format!(
            "tx hash {:?} is not 32 bytes of hex",
            req.hash
        )));
    }
    let found = rpc
        .call("tx", &[("hash", format!("0x{hash}"))])
        .map_err(|e| {
            if e.contains("not found") {
                (tonic::Code::NotFound, format!("tx not found: {hash}"))
            } else {
                unavailable(e)
            }
        })?;
    let (tx, tx_response) = tx_answer(&found, block_times(rpc).of(&found));
    Ok(tx_pb::GetTxResponse {
        tx: Some(tx),
        tx_response: Some(tx_response),
    }
    .encode_to_vec())
}

pub fn txs_by_event(rpc: &CometRpc, request: &[u8]) -> Result<Vec<u8>, Failure> {
    #[allow(deprecated)]
    let req = tx_pb::GetTxsEventRequest::decode(request).map_err(bad_request)?;
    #[allow(deprecated)]
    let query = if req.query.is_empty() {
        req.events.join(" AND ")
    } else {
        req.query.clone()
    };
    if query.is_empty() {
        return Err(bad_request("query cannot be empty"));
    }
    let page = req.page.max(1);
    let limit = if req.limit == 0 {
        100
    } else {
        req.limit.min(100)
    };
    let order = if req.order_by == 2 { "desc" } else { "asc" };
    let result = rpc
        .call(
            "tx_search",
            &[
                ("query", format!("\"{}\"", query.replace('"', "'"))),
                ("page", page.to_string()),
                ("per_page", limit.to_string()),
                ("order_by", format!("\"{order}\"")),
            ],
        )
        .map_err(|e| (tonic::Code::InvalidArgument, e))?;
    let mut txs = Vec::new();
    let mut tx_responses = Vec::new();
    let mut times = block_times(rpc);
    for found in result["txs"].as_array().into_iter().flatten() {
        let (tx, response) = tx_answer(found, times.of(found));
        txs.push(tx);
        tx_responses.push(response);
    }
    #[allow(deprecated)]
    Ok(tx_pb::GetTxsEventResponse {
        txs,
        tx_responses,
        pagination: None,
        total: u64::try_from(int_of(&result["total_count"])).unwrap_or(0),
    }
    .encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cometbft_times_parse_to_unix_seconds_and_nanos() {
        let t = parse_time("2026-11-22T05:26:33.350123456Z").unwrap();
        assert_eq!((t.seconds, t.nanos), (1_795_325_193, 350_123_456));
        let t = parse_time("1970-01-01T00:00:00Z").unwrap();
        assert_eq!((t.seconds, t.nanos), (0, 0));
        let t = parse_time("2000-03-01T00:00:01.5Z").unwrap();
        assert_eq!((t.seconds, t.nanos), (951_868_801, 500_000_000));
        assert!(parse_time("yesterday").is_none());
    }
}
