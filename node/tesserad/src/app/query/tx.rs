//! `/cosmos.tx.v1beta1.Service/Simulate`: a tx run against the latest state, nothing kept.

use cosmos_sdk_proto::cosmos::base::abci::v1beta1 as abci_pb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as tx_pb;
use cosmos_sdk_proto::prost::Message;
use cosmos_sdk_proto::tendermint::abci::{Event as PbEvent, EventAttribute};

use super::{Answer, Query};
use crate::app::abci::QueryResponse;

pub(super) fn answer(q: &Query, method: &str) -> Answer {
    match method {
        "Simulate" => simulate(q),
        _ => Err(q.unknown_path()),
    }
}

fn simulate(q: &Query) -> Answer {
    q.needs_latest("Simulate")?;
    let req: tx_pb::SimulateRequest = q.decode()?;
    // Older clients (cosmpy) send the deprecated `tx` message instead of `tx_bytes`. A Tx
    // encodes as the TxRaw of its encoded body and auth info, which is what a simulation needs
    // (signatures are not checked).
    #[allow(deprecated)]
    let tx_bytes = match (req.tx_bytes.is_empty(), &req.tx) {
        (true, Some(tx)) => tx.encode_to_vec(),
        _ => req.tx_bytes,
    };
    let outcome = q.app.simulate(&tx_bytes).map_err(|e| q.internal(e))?;
    if !outcome.is_ok() {
        return Err(QueryResponse {
            code: outcome.code,
            codespace: outcome.codespace,
            log: outcome.log,
            height: q.height,
            ..Default::default()
        });
    }
    let events = outcome
        .events
        .iter()
        .map(|e| PbEvent {
            r#type: e.kind.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|(k, v)| EventAttribute {
                    key: k.clone(),
                    value: v.clone(),
                    index: true,
                })
                .collect(),
        })
        .collect();
    q.ok(tx_pb::SimulateResponse {
        gas_info: Some(abci_pb::GasInfo {
            gas_wanted: outcome.gas_wanted,
            gas_used: outcome.gas_used,
        }),
        result: Some(abci_pb::Result {
            #[allow(deprecated)]
            data: outcome.data,
            log: String::new(),
            events,
            msg_responses: outcome.msg_responses,
        }),
    }
    .encode_to_vec())
}
