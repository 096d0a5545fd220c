//! Message execution and the whole-transaction pipeline.
//!
//! [`run_tx`] is the reference composition of decode → ante → messages over an [`Overlay`],
//! with the SDK's layering: a refused ante leaves no trace; after a passed ante the fee and
//! sequence stay even if a message fails; `Check` runs the ante only; `Simulate` discards all.
//! The app may call it as is, handing wasm messages to the VM through [`WasmExecutor`].

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::prost::Message as _;
use cosmos_sdk_proto::Any;
use tessera_store::{Overlay, StateWrite};

use crate::address::Address;
use crate::ante::{ante, new_gas_meter, Mode, TxContext};
use crate::bank;
use crate::error::TxError;
use crate::event::Event;
use crate::gas::{GasConfig, GasMeter, GasMeteredState};
use crate::msg::{Msg, MsgSend, MSG_SEND_RESPONSE_TYPE_URL};
use crate::tx::Tx;

/// What one executed message returns: its `Msg…Response` (packed, for `TxMsgData`) and its
/// events (without the `message` event and `msg_index`, which [`run_tx`] adds).
#[derive(Clone, Debug, PartialEq)]
pub struct MsgResult {
    pub response: Any,
    pub events: Vec<Event>,
}

/// Executes a `MsgSend`, charging `meter` for its state accesses.
pub fn execute_bank_msg(
    state: &mut dyn StateWrite,
    meter: &mut GasMeter,
    gas_config: GasConfig,
    msg: &MsgSend,
) -> Result<MsgResult, TxError> {
    let mut gs = GasMeteredState::new(state, meter, gas_config);
    let result = bank::handle_msg_send(&mut gs, msg);
    let events = gs.finish(result)?;
    Ok(MsgResult {
        response: Any {
            type_url: MSG_SEND_RESPONSE_TYPE_URL.to_string(),
            value: Vec::new(),
        },
        events,
    })
}

/// Runs `/cosmwasm.wasm.v1.Msg*` messages; implemented by the app over the VM crate.
pub trait WasmExecutor {
    /// Executes one wasm message signed by `signer`, charging `meter` (the tx's meter: VM gas
    /// divided by the CosmWasm multiplier, plus KV gas).
    ///
    /// It gets the block's overlay itself (not a view) because the VM shares state with its
    /// `'static` storage callbacks: the executor may move the overlay into a shared handle for
    /// the call and must put it back before returning.
    fn execute(
        &mut self,
        state: &mut Overlay,
        meter: &mut GasMeter,
        signer: &Address,
        msg: &Any,
        ctx: &TxContext<'_>,
    ) -> Result<MsgResult, TxError>;
}

/// A stand-in for a node without the VM: every wasm message fails as not supported.
pub struct NoWasm;

impl WasmExecutor for NoWasm {
    fn execute(
        &mut self,
        _state: &mut Overlay,
        _meter: &mut GasMeter,
        _signer: &Address,
        msg: &Any,
        _ctx: &TxContext<'_>,
    ) -> Result<MsgResult, TxError> {
        Err(TxError::not_supported(format!(
            "{} cannot run: this node has no wasm engine",
            msg.type_url
        )))
    }
}

/// A transaction's result, in the fields ABCI's `ExecTxResult` / `ResponseCheckTx` and the
/// gRPC `Simulate` answer carry.
#[derive(Clone, Debug, PartialEq)]
pub struct TxOutcome {
    /// 0 on success.
    pub code: u32,
    pub codespace: String,
    /// `""` on success: CosmJS JSON-parses any non-empty log.
    pub log: String,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
    /// Encoded `TxMsgData` (its `msg_responses`); empty on failure.
    pub data: Vec<u8>,
    pub msg_responses: Vec<Any>,
}

impl TxOutcome {
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }

    /// A fault of this node (storage, corrupt state), not of the tx: another node would not
    /// see it, so it stops the block instead of becoming a tx result.
    pub fn is_node_fault(&self) -> bool {
        self.codespace == crate::error::UNDEFINED_CODESPACE
            && self.code == crate::error::codes::INTERNAL
    }

    pub(crate) fn failed(err: TxError, gas_wanted: u64, gas_used: u64, events: Vec<Event>) -> Self {
        Self {
            code: err.code,
            codespace: err.codespace,
            log: err.log,
            gas_wanted,
            gas_used,
            events,
            data: Vec::new(),
            msg_responses: Vec::new(),
        }
    }
}

/// Decodes and runs one transaction in `overlay` (see the module doc for what is kept).
///
/// An internal error (`TxError::is_internal`) is reported like any other here; a consensus app
/// should halt on it instead of committing, since it is a fault of this node's storage.
pub fn run_tx(
    overlay: &mut Overlay,
    tx_bytes: &[u8],
    ctx: &TxContext<'_>,
    wasm: &mut dyn WasmExecutor,
) -> TxOutcome {
    let tx = match Tx::decode(tx_bytes) {
        Ok(tx) => tx,
        Err(err) => return TxOutcome::failed(err, 0, 0, Vec::new()),
    };
    let gas_wanted = tx.auth_info.fee.gas_limit;
    let mut meter = new_gas_meter(&tx, ctx.mode, ctx.params);

    overlay.begin();
    let ante_outcome = match ante(overlay, &tx, ctx, &mut meter) {
        Ok(outcome) => outcome,
        Err(err) => {
            overlay.discard();
            return TxOutcome::failed(err, gas_wanted, meter.consumed(), Vec::new());
        }
    };
    if ctx.mode == Mode::Check {
        overlay.keep();
        return TxOutcome {
            code: 0,
            codespace: String::new(),
            log: String::new(),
            gas_wanted,
            gas_used: meter.consumed(),
            events: ante_outcome.events,
            data: Vec::new(),
            msg_responses: Vec::new(),
        };
    }

    overlay.begin();
    let executed = execute_messages(overlay, &tx, ctx, &mut meter, wasm);
    let simulate = ctx.mode == Mode::Simulate;
    let gas_used = meter.consumed();
    let mut events = ante_outcome.events;
    match executed {
        Ok((msg_events, msg_responses)) => {
            if simulate {
                overlay.discard();
                overlay.discard();
            } else {
                overlay.keep();
                overlay.keep();
            }
            events.extend(msg_events);
            // `data` (deprecated since SDK 0.46) stays empty; clients read `msg_responses`.
            let data = TxMsgData {
                msg_responses: msg_responses.clone(),
                ..Default::default()
            }
            .encode_to_vec();
            TxOutcome {
                code: 0,
                codespace: String::new(),
                log: String::new(),
                gas_wanted,
                gas_used,
                events,
                data,
                msg_responses,
            }
        }
        Err(err) => {
            overlay.discard();
            if simulate {
                overlay.discard();
            } else {
                overlay.keep();
            }
            TxOutcome::failed(err, gas_wanted, gas_used, events)
        }
    }
}

/// Runs the messages in order; the first failure fails them all.
fn execute_messages(
    state: &mut Overlay,
    tx: &Tx,
    ctx: &TxContext<'_>,
    meter: &mut GasMeter,
    wasm: &mut dyn WasmExecutor,
) -> Result<(Vec<Event>, Vec<Any>), TxError> {
    let mut events = Vec::new();
    let mut responses = Vec::new();
    for (index, message) in tx.body.messages.iter().enumerate() {
        let result = match &message.msg {
            Msg::Send(send) => execute_bank_msg(state, meter, ctx.params.gas_config, send)?,
            Msg::Wasm(any) => wasm.execute(state, meter, &message.signer, any, ctx)?,
        };
        let message_event = Event::new("message")
            .attr("action", message.type_url())
            .attr("sender", message.signer.to_string())
            .attr("module", message.module());
        let index = index.to_string();
        events.extend(
            std::iter::once(message_event)
                .chain(result.events)
                .map(|e| e.attr("msg_index", index.clone())),
        );
        responses.push(result.response);
    }
    Ok((events, responses))
}
