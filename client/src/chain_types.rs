//! What a node answers, whichever transport carried it: its status, a committed tx and its
//! events, the gas a simulation used. The transports build these from their own wire types
//! (`transport/rpc.rs` from CometBFT's JSON, `transport/grpc.rs` from the SDK's protobuf), so
//! nothing above them knows which one spoke.

use cosmrs::tendermint::{self, abci};
use serde::Serialize;

use crate::error::{Error, Result};

/// What the node says about itself and the chain.
#[derive(Clone, Debug, Serialize)]
pub struct NodeStatus {
    pub chain_id: String,
    pub height: u64,
    /// Unix seconds of the latest block.
    pub time: u64,
    pub version: String,
    pub catching_up: bool,
}

/// A committed tx: where it landed, what it cost, what it emitted.
#[derive(Clone, Debug, Serialize)]
pub struct TxOutcome {
    pub hash: String,
    pub height: u64,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<TxEvent>,
}

impl TxOutcome {
    /// The value of `key` in the first `wasm` event `contract` emitted (wasmd's event shape).
    pub fn wasm_attribute<'a>(&'a self, contract: &'a str, key: &str) -> Option<&'a str> {
        wasm_events(&self.events, contract).find_map(|e| e.attribute(key))
    }
}

/// An ABCI event with its attributes decoded to text.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TxEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl TxEvent {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn from_abci(event: &abci::Event) -> Self {
        Self {
            kind: event.kind.clone(),
            attributes: event
                .attributes
                .iter()
                .map(|a| {
                    (
                        String::from_utf8_lossy(a.key_bytes()).into_owned(),
                        String::from_utf8_lossy(a.value_bytes()).into_owned(),
                    )
                })
                .collect(),
        }
    }
}

/// The `wasm` events (and `wasm-*` custom events) emitted by `contract`.
pub fn wasm_events<'a>(
    events: &'a [TxEvent],
    contract: &'a str,
) -> impl Iterator<Item = &'a TxEvent> + 'a {
    events.iter().filter(move |e| {
        (e.kind == "wasm" || e.kind.starts_with("wasm-"))
            && e.attribute("_contract_address") == Some(contract)
    })
}

/// Gas a simulated tx used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimulatedGas {
    pub gas_used: u64,
}

/// A tx found in a block, whether it succeeded or not: what a transport's tx lookup returns.
/// Kept apart from [`TxOutcome`] (which callers serialize) so that the result code, codespace
/// and log of a failed tx reach [`CommittedTx::into_outcome`], the one place that turns them
/// into [`Error::Failed`].
#[derive(Clone, Debug)]
pub(crate) struct CommittedTx {
    pub outcome: TxOutcome,
    pub code: u32,
    pub codespace: String,
    pub log: String,
}

impl CommittedTx {
    /// The outcome of a tx that succeeded; one that failed on chain is an error carrying its
    /// code, codespace and log (its fee was charged, its messages undone).
    pub fn into_outcome(self) -> Result<TxOutcome> {
        if self.code == 0 {
            return Ok(self.outcome);
        }
        let TxOutcome {
            hash,
            height,
            gas_wanted,
            gas_used,
            ..
        } = self.outcome;
        Err(Error::Failed {
            hash,
            height,
            code: self.code,
            codespace: self.codespace,
            log: self.log,
            gas_wanted,
            gas_used,
        })
    }
}

pub(crate) fn unix_seconds(time: tendermint::Time) -> u64 {
    time.unix_timestamp().try_into().unwrap_or(0)
}
