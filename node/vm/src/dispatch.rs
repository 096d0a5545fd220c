//! What happens to a contract's `Response`: its events, then its messages in order, each a
//! submessage in its own state layer, with replies and `data` as wasmd's `MessageDispatcher`
//! does them.
//!
//! - A message that fails has its writes discarded. With `ReplyOn::Never`/`Success` the error
//!   aborts the caller; with `Error`/`Always` the caller's `reply` sees the error text.
//! - A submessage with a `gas_limit` below the gas left runs under its own meter; running out of
//!   it is an ordinary (replyable) error, and the whole limit is charged.
//! - Running out of the transaction's gas is never caught.
//! - `data`: a reply that returns data replaces the caller's.

use cosmwasm_std::{
    Binary, CosmosMsg, Event, MsgResponse, Reply, ReplyOn, Response, SubMsg, SubMsgResponse,
    SubMsgResult, WasmMsg,
};

use crate::address_gen::AddressGen;
use crate::bank::normalize_coins;
use crate::dispatched::Dispatched;
use crate::error::WasmError;
use crate::events::{
    custom_event, event_costs, sort_attributes, wasm_event, without_message_events,
};
use crate::exec::{ContractRef, Exec};
use crate::gas::GasMeter;
use crate::pinning::PinRequest;
use crate::proto;
use crate::types::msg_response;

/// The result of one dispatched message, as the SDK's msg service returns it.
struct MsgOutcome {
    events: Vec<Event>,
    /// The encoded `Msg*Response` (what `SubMsgResponse.data` carries).
    data: Vec<u8>,
    msg_response: MsgResponse,
}

impl Exec {
    /// wasmd `handleContractResponse`: charge and emit the contract's events, then dispatch its
    /// messages one call level deeper.
    pub(crate) fn handle_response(
        &self,
        contract: &ContractRef,
        response: Response,
    ) -> Result<Dispatched, WasmError> {
        let cost = event_costs(self.costs(), &response.attributes, &response.events);
        self.gas.consume(cost, "Custom contract event attributes")?;
        let mut events = Vec::with_capacity(1 + response.events.len());
        if let Some(ev) = wasm_event(&contract.human, &response.attributes)? {
            events.push(ev);
        }
        for ev in &response.events {
            events.push(custom_event(&contract.human, ev)?);
        }
        if self.call_depth >= self.host.config.max_call_depth {
            return Err(WasmError::CallDepthExceeded);
        }
        let mut deeper = self.clone();
        deeper.call_depth += 1;
        let (data, sub_events) = deeper
            .dispatch_submessages(contract, response.messages)
            .map_err(|e| e.wrap("submessages"))?;
        events.extend(sub_events);
        Ok(Dispatched {
            data: data.or(response.data),
            events,
        })
    }

    fn dispatch_submessages(
        &self,
        contract: &ContractRef,
        messages: Vec<SubMsg>,
    ) -> Result<(Option<Binary>, Vec<Event>), WasmError> {
        let mut data = None;
        let mut events = Vec::new();
        for sub in messages {
            let before = self.gas.used();
            let limit = sub.gas_limit.filter(|l| *l < self.gas.remaining());
            let result = self.in_layer(|| match limit {
                Some(limit) => self.dispatch_limited(contract, &sub.msg, limit),
                None => self.dispatch_msg(contract, &sub.msg),
            });
            let gas_used = self.gas.used().saturating_sub(before);
            let outcome = match result {
                Ok(mut out) => {
                    out.events = without_message_events(out.events);
                    if matches!(sub.msg, CosmosMsg::Wasm(_)) {
                        sort_attributes(&mut out.events);
                    }
                    events.extend(out.events.iter().cloned());
                    Ok(out)
                }
                Err(e) if e.is_out_of_gas() => return Err(e),
                Err(e) => Err(e),
            };
            let result = match (sub.reply_on, outcome) {
                (ReplyOn::Never | ReplyOn::Success, Err(e)) => return Err(e),
                (ReplyOn::Never | ReplyOn::Error, Ok(_)) => continue,
                (_, Ok(out)) => {
                    // Only events of wasm messages reach the reply (they are deterministic).
                    let reply_events = if matches!(sub.msg, CosmosMsg::Wasm(_)) {
                        out.events
                    } else {
                        Vec::new()
                    };
                    #[allow(deprecated)]
                    let response = SubMsgResponse {
                        events: reply_events,
                        data: (!out.data.is_empty()).then(|| Binary::new(out.data)),
                        msg_responses: vec![out.msg_response],
                    };
                    SubMsgResult::Ok(response)
                }
                (_, Err(e)) => SubMsgResult::Err(e.contract_visible()),
            };
            let reply = Reply {
                id: sub.id,
                payload: sub.payload,
                gas_used,
                result,
            };
            let d = self.reply(contract, &reply).map_err(|e| e.wrap("reply"))?;
            events.extend(d.events);
            if d.data.is_some() {
                data = d.data;
            }
        }
        Ok((data, events))
    }

    /// Runs a message under its own gas limit (wasmd `dispatchMsgWithGasLimit`).
    fn dispatch_limited(
        &self,
        contract: &ContractRef,
        msg: &CosmosMsg,
        limit: u64,
    ) -> Result<MsgOutcome, WasmError> {
        let meter = GasMeter::new(limit);
        let mut limited = self.clone();
        limited.gas = meter.clone();
        match limited.dispatch_msg(contract, msg) {
            Err(e) if e.is_out_of_gas() => {
                self.gas.consume(limit, "Sub-Message OutOfGas panic")?;
                Err(WasmError::SubMsgOutOfGas)
            }
            other => {
                self.gas.consume(meter.used(), "From limited Sub-Message")?;
                other
            }
        }
    }

    /// Routes one message from `contract` (the sender) as the SDK's msg service would.
    fn dispatch_msg(
        &self,
        contract: &ContractRef,
        msg: &CosmosMsg,
    ) -> Result<MsgOutcome, WasmError> {
        let sender = contract.human.as_str();
        match msg {
            CosmosMsg::Bank(cosmwasm_std::BankMsg::Send { to_address, amount }) => {
                self.address(to_address, "recipient")?;
                let coins = positive_coins(amount)?;
                let events = self.transfer(sender, to_address, &coins)?;
                Ok(empty_outcome(
                    events,
                    "/cosmos.bank.v1beta1.MsgSendResponse",
                ))
            }
            CosmosMsg::Bank(cosmwasm_std::BankMsg::Burn { amount }) => {
                let coins = positive_coins(amount)?;
                let events = self.burn(sender, &coins)?;
                Ok(empty_outcome(
                    events,
                    "/cosmos.bank.v1beta1.MsgBurnResponse",
                ))
            }
            CosmosMsg::Wasm(w) => self.dispatch_wasm(sender, w),
            CosmosMsg::Any(any) => match PinRequest::decode(&any.type_url, &any.value) {
                Some(request) => {
                    let request = request?;
                    let events = self.kv(|state| request.apply(state, sender))?;
                    Ok(empty_outcome(events, request.response_type_url()))
                }
                None => Err(WasmError::UnknownMsg(format!(
                    "{}: the only Any messages are MsgPinCodes and MsgUnpinCodes",
                    any.type_url
                ))),
            },
            CosmosMsg::Custom(_) => {
                Err(WasmError::UnknownMsg("custom variant not supported".into()))
            }
            _ => Err(WasmError::UnknownMsg(
                "only bank, wasm and pin/unpin messages are supported".into(),
            )),
        }
    }

    fn dispatch_wasm(&self, sender: &str, msg: &WasmMsg) -> Result<MsgOutcome, WasmError> {
        match msg {
            WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            } => {
                let d = self.execute(sender, contract_addr, msg.as_slice(), funds)?;
                Ok(data_outcome(
                    d,
                    "/cosmwasm.wasm.v1.MsgExecuteContractResponse",
                ))
            }
            WasmMsg::Instantiate {
                admin,
                code_id,
                msg,
                funds,
                label,
            } => {
                let (c, d) = self.instantiate(
                    sender,
                    admin.as_deref(),
                    *code_id,
                    label,
                    msg.as_slice(),
                    funds,
                    AddressGen::Classic,
                )?;
                Ok(instantiate_outcome(
                    &c.human,
                    d,
                    "/cosmwasm.wasm.v1.MsgInstantiateContractResponse",
                ))
            }
            WasmMsg::Instantiate2 {
                admin,
                code_id,
                label,
                msg,
                funds,
                salt,
            } => {
                let (c, d) = self.instantiate(
                    sender,
                    admin.as_deref(),
                    *code_id,
                    label,
                    msg.as_slice(),
                    funds,
                    AddressGen::Predictable {
                        salt: salt.as_slice(),
                        fix_msg: false,
                    },
                )?;
                Ok(instantiate_outcome(
                    &c.human,
                    d,
                    "/cosmwasm.wasm.v1.MsgInstantiateContract2Response",
                ))
            }
            WasmMsg::Migrate {
                contract_addr,
                new_code_id,
                msg,
            } => {
                let d = self.migrate(sender, contract_addr, *new_code_id, msg.as_slice())?;
                Ok(data_outcome(
                    d,
                    "/cosmwasm.wasm.v1.MsgMigrateContractResponse",
                ))
            }
            WasmMsg::UpdateAdmin {
                contract_addr,
                admin,
            } => {
                let events = self.set_admin(sender, contract_addr, Some(admin))?;
                Ok(empty_outcome(
                    events,
                    "/cosmwasm.wasm.v1.MsgUpdateAdminResponse",
                ))
            }
            WasmMsg::ClearAdmin { contract_addr } => {
                let events = self.set_admin(sender, contract_addr, None)?;
                Ok(empty_outcome(
                    events,
                    "/cosmwasm.wasm.v1.MsgClearAdminResponse",
                ))
            }
            _ => Err(WasmError::UnknownMsg("unknown WasmMsg variant".into())),
        }
    }
}

/// Coins of a bank message: normalized, and at least one (the SDK's `IsAllPositive`).
fn positive_coins(amount: &[cosmwasm_std::Coin]) -> Result<Vec<cosmwasm_std::Coin>, WasmError> {
    let coins = normalize_coins(amount)?;
    if coins.is_empty() {
        return Err(WasmError::InvalidCoins("no positive amount".into()));
    }
    Ok(coins)
}

fn empty_outcome(events: Vec<Event>, type_url: &str) -> MsgOutcome {
    MsgOutcome {
        events,
        data: Vec::new(),
        msg_response: msg_response(type_url, Vec::new()),
    }
}

fn data_outcome(d: Dispatched, type_url: &str) -> MsgOutcome {
    let value = proto::data_response(d.data.as_ref());
    MsgOutcome {
        events: d.events,
        data: value.clone(),
        msg_response: msg_response(type_url, value),
    }
}

fn instantiate_outcome(address: &str, d: Dispatched, type_url: &str) -> MsgOutcome {
    let value = proto::instantiate_response(address, d.data.as_ref());
    MsgOutcome {
        events: d.events,
        data: value.clone(),
        msg_response: msg_response(type_url, value),
    }
}
