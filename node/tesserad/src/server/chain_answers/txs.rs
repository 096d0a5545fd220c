//! `BroadcastTx`, `GetTx` and `GetTxsEvent` of `cosmos.tx.v1beta1.Service`, from CometBFT's
//! `broadcast_tx_*`, `tx_search` and `header`.

use std::collections::BTreeMap;

use base64::Engine as _;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as tx_pb;
use cosmos_sdk_proto::prost::Message;
use cosmos_sdk_proto::tendermint::abci::{Event, EventAttribute};
use cosmos_sdk_proto::Any;
use tendermint::abci::EventAttribute as CometAttribute;
use tendermint::block::Height;
use tendermint_rpc::endpoint::tx;
use tendermint_rpc::Order;
use tonic::Status;

use super::{bad_request, upper_hex};
use crate::server::comet_client::{Broadcast, CometClient, CometError};

/// The most txs one `GetTxsEvent` page holds, as in the SDK.
const MAX_PAGE: u64 = 100;

pub async fn broadcast(
    comet: &CometClient,
    request: &[u8],
) -> Result<tx_pb::BroadcastTxResponse, Status> {
    let req = tx_pb::BroadcastTxRequest::decode(request).map_err(bad_request)?;
    if req.tx_bytes.is_empty() {
        return Err(bad_request("invalid empty tx"));
    }
    // SYNC and the removed BLOCK mode (which clients still send) wait for CheckTx.
    let mode = if req.mode == tx_pb::BroadcastMode::Async as i32 {
        Broadcast::NoWait
    } else {
        Broadcast::AfterCheck
    };
    let sent = comet.broadcast(req.tx_bytes, mode).await?;
    Ok(tx_pb::BroadcastTxResponse {
        tx_response: Some(TxResponse {
            txhash: sent.hash.to_string(),
            code: sent.code,
            codespace: sent.codespace,
            raw_log: sent.log,
            data: upper_hex(&sent.data),
            ..Default::default()
        }),
    })
}

/// The committed tx with this hash. Found through `tx_search` on `tx.hash` (CometBFT's indexer
/// looks the hash up directly) because its answer says "not found" as an empty list, whereas
/// the `tx` method says it only in an error's text, under the code of every other failure.
pub async fn get_tx(comet: &CometClient, request: &[u8]) -> Result<tx_pb::GetTxResponse, Status> {
    let req = tx_pb::GetTxRequest::decode(request).map_err(bad_request)?;
    let hash = req.hash.trim_start_matches("0x").to_ascii_uppercase();
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad_request(format!(
            "tx hash {:?} is not 32 bytes of hex",
            req.hash
        )));
    }
    let found = comet
        .tx_search(format!("tx.hash='{hash}'"), 1, 1, Order::Ascending)
        .await?;
    let Some(found) = found.txs.into_iter().next() else {
        return Err(Status::not_found(format!("tx not found: {hash}")));
    };
    let timestamp = BlockTimes::default().of(comet, found.height).await?;
    let (tx, tx_response) = tx_answer(found, timestamp)?;
    Ok(tx_pb::GetTxResponse {
        tx: Some(tx),
        tx_response: Some(tx_response),
    })
}

pub async fn txs_by_event(
    comet: &CometClient,
    request: &[u8],
) -> Result<tx_pb::GetTxsEventResponse, Status> {
    #[allow(deprecated)] // `events`: the SDK 0.47 field that clients still send.
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
    let page = u32::try_from(req.page.max(1))
        .map_err(|_| bad_request(format!("page {} is too large", req.page)))?;
    let limit = match req.limit {
        0 => MAX_PAGE,
        n => n.min(MAX_PAGE),
    };
    let per_page = u8::try_from(limit).map_err(bad_request)?;
    let order = if req.order_by == tx_pb::OrderBy::Desc as i32 {
        Order::Descending
    } else {
        Order::Ascending
    };
    // CometBFT's query language quotes with `'`; clients of the SDK write `"` as well.
    let found = match comet
        .tx_search(query.replace('"', "'"), page, per_page, order)
        .await
    {
        Ok(found) => found,
        // The query is the only thing the caller controls: CometBFT refusing it is theirs.
        Err(refused @ CometError::Refused { .. }) => {
            return Err(Status::invalid_argument(refused.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let mut times = BlockTimes::default();
    let mut txs = Vec::with_capacity(found.txs.len());
    let mut tx_responses = Vec::with_capacity(found.txs.len());
    for one in found.txs {
        let timestamp = times.of(comet, one.height).await?;
        let (tx, response) = tx_answer(one, timestamp)?;
        txs.push(tx);
        tx_responses.push(response);
    }
    #[allow(deprecated)] // `pagination`: replaced by `total`, left empty as in the SDK 0.50.
    Ok(tx_pb::GetTxsEventResponse {
        txs,
        tx_responses,
        pagination: None,
        total: found.total_count.into(),
    })
}

/// Block times by height, each fetched once (a page of txs often shares a few blocks).
#[derive(Default)]
struct BlockTimes(BTreeMap<Height, String>);

impl BlockTimes {
    /// The time of the block at `height`, RFC 3339 as the SDK writes `TxResponse.timestamp`.
    async fn of(&mut self, comet: &CometClient, height: Height) -> Result<String, Status> {
        if let Some(time) = self.0.get(&height) {
            return Ok(time.clone());
        }
        let time = comet.header(height).await?.header.time.to_rfc3339();
        self.0.insert(height, time.clone());
        Ok(time)
    }
}

/// One tx as CometBFT's `tx_search` returns it, as the SDK's `(Tx, TxResponse)`.
fn tx_answer(found: tx::Response, timestamp: String) -> Result<(tx_pb::Tx, TxResponse), Status> {
    // TxRaw and Tx share field numbers (body and auth info as bytes), so the raw bytes are the
    // Tx's encoding as well.
    let tx = tx_pb::Tx::decode(found.tx.as_slice()).map_err(|e| {
        Status::internal(format!(
            "tx {} at height {} is not a Cosmos tx: {e}",
            found.hash, found.height
        ))
    })?;
    let result = found.tx_result;
    // tendermint-rpc 0.40 keeps `tx_result.data` as the text CometBFT wrote (its serde takes
    // the JSON string's bytes); the bytes the app returned are that text's base64.
    let data = base64::engine::general_purpose::STANDARD
        .decode(&result.data)
        .map_err(|e| CometError::Malformed {
            method: "tx_search",
            detail: format!("the result data of tx {} is not base64: {e}", found.hash),
        })?;
    let events = result
        .events
        .into_iter()
        .map(event_of)
        .collect::<Result<_, _>>()?;
    let response = TxResponse {
        height: found.height.into(),
        txhash: found.hash.to_string(),
        codespace: result.codespace,
        code: result.code.value(),
        data: upper_hex(&data),
        raw_log: result.log,
        logs: Vec::new(),
        info: result.info,
        gas_wanted: result.gas_wanted,
        gas_used: result.gas_used,
        tx: Some(Any {
            type_url: "/cosmos.tx.v1beta1.Tx".into(),
            value: found.tx,
        }),
        timestamp,
        events,
    };
    Ok((tx, response))
}

/// An event with string attributes, as CometBFT 0.38 writes them. tendermint's own conversion
/// would silently drop the byte attributes of an older (0.34) node; here they are an error.
fn event_of(event: tendermint::abci::Event) -> Result<Event, CometError> {
    let attributes = event
        .attributes
        .into_iter()
        .map(|attribute| match attribute {
            CometAttribute::V037(a) => Ok(EventAttribute {
                key: a.key,
                value: a.value,
                index: a.index,
            }),
            CometAttribute::V034(_) => Err(CometError::Malformed {
                method: "tx_search",
                detail: format!(
                    "event {:?} has byte attributes (CometBFT 0.34?), not 0.38's strings",
                    event.kind
                ),
            }),
        })
        .collect::<Result<_, _>>()?;
    Ok(Event {
        r#type: event.kind,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::chain_answers::fake_comet::{self, HEADER};

    const HASH: &str = "57D835FBBA0DBF922D8A2EDA56922C9B24E7760927F245A7684A736C4769DB8A";

    /// A Cosmos tx (a body with a memo) as CometBFT's `tx_search` finds it at height 31.
    fn found(tx: &[u8]) -> String {
        let tx = base64::engine::general_purpose::STANDARD.encode(tx);
        format!(
            r#"{{"txs":[{{"hash":"{HASH}","height":"31","index":0,"tx_result":{{"code":5,"data":"CgQKAgAB","log":"out of gas","info":"","gas_wanted":"200000","gas_used":"200123","events":[{{"type":"tx","attributes":[{{"key":"fee","value":"5utsr","index":true}}]}}],"codespace":"sdk"}},"tx":"{tx}"}}],"total_count":"1"}}"#
        )
    }

    fn a_tx() -> Vec<u8> {
        tx_pb::Tx {
            body: Some(tx_pb::TxBody {
                memo: "hello".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec()
    }

    fn get(hash: &str) -> Vec<u8> {
        tx_pb::GetTxRequest { hash: hash.into() }.encode_to_vec()
    }

    #[tokio::test]
    async fn a_found_tx_carries_its_result_events_and_block_time() {
        let search = found(&a_tx());
        let comet =
            fake_comet::serve(&[("tx_search", Ok(search.as_str())), ("header", Ok(HEADER))]);
        let answer = get_tx(&comet, &get(&HASH.to_lowercase())).await.unwrap();
        assert_eq!(answer.tx.unwrap().body.unwrap().memo, "hello");
        let r = answer.tx_response.unwrap();
        assert_eq!((r.height, r.txhash.as_str()), (31, HASH));
        assert_eq!(
            (r.code, r.codespace.as_str(), r.raw_log.as_str()),
            (5, "sdk", "out of gas")
        );
        assert_eq!((r.gas_wanted, r.gas_used), (200_000, 200_123));
        assert_eq!(r.data, "0A040A020001");
        assert_eq!(r.timestamp, "2026-12-04T05:19:57.221067825Z");
        assert_eq!(r.events[0].r#type, "tx");
        assert_eq!(r.events[0].attributes[0].value, "5utsr");
        assert_eq!(r.tx.unwrap().value, a_tx());
    }

    #[tokio::test]
    async fn an_unknown_hash_is_not_found() {
        let comet = fake_comet::serve(&[("tx_search", Ok(r#"{"txs":[],"total_count":"0"}"#))]);
        let err = get_tx(&comet, &get(HASH)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::NotFound, "{err}");
    }

    #[tokio::test]
    async fn a_hash_that_is_not_hex_is_an_invalid_argument() {
        let comet = fake_comet::serve(&[]);
        let err = get_tx(&comet, &get("0xnothex")).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    }

    #[tokio::test]
    async fn stored_bytes_that_are_not_a_cosmos_tx_are_an_error_not_an_empty_tx() {
        let search = found(b"name=satoshi");
        let comet =
            fake_comet::serve(&[("tx_search", Ok(search.as_str())), ("header", Ok(HEADER))]);
        let err = get_tx(&comet, &get(HASH)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Internal, "{err}");
    }

    #[tokio::test]
    async fn a_missing_block_time_is_an_error_not_an_empty_timestamp() {
        let search = found(&a_tx());
        let comet = fake_comet::serve(&[("tx_search", Ok(search.as_str()))]);
        assert!(get_tx(&comet, &get(HASH)).await.is_err());
    }

    #[tokio::test]
    async fn a_query_cometbft_refuses_is_an_invalid_argument() {
        let refused = r#"{"code":-32603,"message":"Internal error","data":"offset 2: got tag"}"#;
        let comet = fake_comet::serve(&[("tx_search", Err(refused))]);
        let request = tx_pb::GetTxsEventRequest {
            query: "a b c".into(),
            ..Default::default()
        };
        let err = txs_by_event(&comet, &request.encode_to_vec())
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
        assert!(err.message().contains("offset 2"), "{err}");
    }

    #[tokio::test]
    async fn txs_by_event_answers_a_page_with_its_total() {
        let search = found(&a_tx());
        let comet =
            fake_comet::serve(&[("tx_search", Ok(search.as_str())), ("header", Ok(HEADER))]);
        let request = tx_pb::GetTxsEventRequest {
            query: "wasm-lease_created.lease_id=\"5\"".into(),
            ..Default::default()
        };
        let answer = txs_by_event(&comet, &request.encode_to_vec())
            .await
            .unwrap();
        assert_eq!((answer.txs.len(), answer.total), (1, 1));
        assert_eq!(answer.tx_responses[0].height, 31);
    }

    #[tokio::test]
    async fn a_broadcast_answers_checktx_code_and_hash() {
        let sent =
            format!(r#"{{"code":7,"data":"","log":"bad sig","codespace":"sdk","hash":"{HASH}"}}"#);
        let comet = fake_comet::serve(&[("broadcast_tx_sync", Ok(sent.as_str()))]);
        let request = tx_pb::BroadcastTxRequest {
            tx_bytes: a_tx(),
            mode: tx_pb::BroadcastMode::Sync as i32,
        };
        let r = broadcast(&comet, &request.encode_to_vec())
            .await
            .unwrap()
            .tx_response
            .unwrap();
        assert_eq!(
            (r.code, r.txhash.as_str(), r.raw_log.as_str()),
            (7, HASH, "bad sig")
        );
    }

    #[tokio::test]
    async fn a_broadcast_answer_without_a_hash_is_an_error() {
        let comet = fake_comet::serve(&[(
            "broadcast_tx_sync",
            Ok(r#"{"code":0,"data":"","log":"","codespace":""}"#),
        )]);
        let request = tx_pb::BroadcastTxRequest {
            tx_bytes: a_tx(),
            mode: tx_pb::BroadcastMode::Sync as i32,
        };
        let err = broadcast(&comet, &request.encode_to_vec())
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Internal, "{err}");
    }
}
