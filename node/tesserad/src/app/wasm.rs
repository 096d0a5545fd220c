//! The bridge between the transaction pipeline and the CosmWasm host: the chain's bank as the
//! VM's `Bank`, and the `WasmExecutor` that decodes `/cosmwasm.wasm.v1.Msg*` and runs them.

use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::cosmwasm::wasm::v1 as proto;
use cosmos_sdk_proto::Any;
use tessera_store::{Overlay, StateRead, StateWrite};
use tessera_vm::types::{
    BlockEnv, CallEnv, MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract,
    MsgInstantiateContract2, MsgMigrateContract, MsgStoreCode, MsgUpdateAdmin, TxEnv, WasmTxMsg,
};
use tessera_vm::{Bank, BankError, Coin as VmCoin, WasmError, WasmHost};

use crate::address::Address;
use crate::ante::TxContext;
use crate::bank;
use crate::coin::{Coin, Coins};
use crate::error::TxError;
use crate::event::Event;
use crate::exec::{MsgResult, WasmExecutor};
use crate::gas::GasMeter;

/// The chain's bank module seen through the VM's `Bank` trait.
pub struct ChainBank;

fn address(what: &str, s: &str) -> Result<Address, BankError> {
    Address::from_bech32(s).map_err(|e| BankError::invalid_address(format!("{what} {s}: {e}")))
}

fn to_coins(coins: &[VmCoin]) -> Result<Coins, BankError> {
    let list = coins
        .iter()
        .map(|c| {
            cosmwasm_std::Uint128::try_from(c.amount)
                .map(|a| Coin::new(a.u128(), c.denom.clone()))
                .map_err(|_| BankError::invalid_coins(format!("{c} exceeds 128 bits")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Coins::new(list).map_err(BankError::invalid_coins)
}

fn bank_error(e: TxError) -> BankError {
    BankError::new(e.codespace, e.code, e.log)
}

fn vm_events(events: Vec<Event>) -> Vec<tessera_vm::Event> {
    events
        .into_iter()
        .map(|e| tessera_vm::Event::new(e.kind).add_attributes(e.attributes))
        .collect()
}

impl Bank for ChainBank {
    fn send(
        &self,
        state: &mut dyn StateWrite,
        from: &str,
        to: &str,
        coins: &[VmCoin],
    ) -> Result<Vec<tessera_vm::Event>, BankError> {
        let (from, to) = (address("sender", from)?, address("recipient", to)?);
        if bank::is_blocked_recipient(&to) {
            return Err(BankError::unauthorized(format!(
                "{to} is not allowed to receive funds"
            )));
        }
        bank::send(state, &from, &to, &to_coins(coins)?)
            .map(vm_events)
            .map_err(bank_error)
    }

    fn burn(
        &self,
        state: &mut dyn StateWrite,
        from: &str,
        coins: &[VmCoin],
    ) -> Result<Vec<tessera_vm::Event>, BankError> {
        let from = address("burner", from)?;
        bank::burn(state, &from, &to_coins(coins)?)
            .map(vm_events)
            .map_err(bank_error)
    }

    fn balance(&self, state: &dyn StateRead, addr: &str, denom: &str) -> Result<VmCoin, BankError> {
        let who = address("address", addr)?;
        let amount = bank::balance(state, &who, denom).map_err(bank_error)?;
        Ok(VmCoin::new(amount, denom))
    }

    fn supply(&self, state: &dyn StateRead, denom: &str) -> Result<VmCoin, BankError> {
        let amount = bank::supply(state, denom).map_err(bank_error)?;
        Ok(VmCoin::new(amount, denom))
    }
}

/// Maps a VM failure to the transaction's error, in wasmd's words.
pub fn wasm_tx_error(err: &WasmError, msg_index: usize) -> TxError {
    TxError {
        codespace: err.codespace().to_string(),
        code: err.code(),
        log: err.abci_log(msg_index),
    }
}

fn coins(list: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin]) -> Result<Vec<VmCoin>, TxError> {
    list.iter()
        .map(|c| {
            c.amount
                .parse::<u128>()
                .map(|a| VmCoin::new(a, c.denom.clone()))
                .map_err(|_| {
                    TxError::invalid_coins(format!("{}{} is not a valid amount", c.amount, c.denom))
                })
        })
        .collect()
}

fn decode<M: cosmos_sdk_proto::prost::Message + Default>(any: &Any) -> Result<M, TxError> {
    M::decode(any.value.as_slice())
        .map_err(|e| TxError::tx_decode(format!("{}: {e}", any.type_url)))
}

/// Decodes a `/cosmwasm.wasm.v1.Msg*` into the host's message.
pub fn decode_wasm_msg(any: &Any) -> Result<WasmTxMsg, TxError> {
    Ok(match any.type_url.as_str() {
        "/cosmwasm.wasm.v1.MsgStoreCode" => {
            let m: proto::MsgStoreCode = decode(any)?;
            if m.instantiate_permission.is_some() {
                return Err(TxError::not_supported(
                    "instantiate_permission on MsgStoreCode",
                ));
            }
            WasmTxMsg::StoreCode(MsgStoreCode {
                sender: m.sender,
                wasm_byte_code: m.wasm_byte_code,
                instantiate_permission: None,
            })
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContract" => {
            let m: proto::MsgInstantiateContract = decode(any)?;
            WasmTxMsg::Instantiate(MsgInstantiateContract {
                sender: m.sender,
                admin: m.admin,
                code_id: m.code_id,
                label: m.label,
                msg: m.msg,
                funds: coins(&m.funds)?,
            })
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContract2" => {
            let m: proto::MsgInstantiateContract2 = decode(any)?;
            WasmTxMsg::Instantiate2(MsgInstantiateContract2 {
                sender: m.sender,
                admin: m.admin,
                code_id: m.code_id,
                label: m.label,
                msg: m.msg,
                funds: coins(&m.funds)?,
                salt: m.salt,
                fix_msg: m.fix_msg,
            })
        }
        "/cosmwasm.wasm.v1.MsgExecuteContract" => {
            let m: proto::MsgExecuteContract = decode(any)?;
            WasmTxMsg::Execute(MsgExecuteContract {
                sender: m.sender,
                contract: m.contract,
                msg: m.msg,
                funds: coins(&m.funds)?,
            })
        }
        "/cosmwasm.wasm.v1.MsgMigrateContract" => {
            let m: proto::MsgMigrateContract = decode(any)?;
            WasmTxMsg::Migrate(MsgMigrateContract {
                sender: m.sender,
                contract: m.contract,
                code_id: m.code_id,
                msg: m.msg,
            })
        }
        "/cosmwasm.wasm.v1.MsgUpdateAdmin" => {
            let m: proto::MsgUpdateAdmin = decode(any)?;
            WasmTxMsg::UpdateAdmin(MsgUpdateAdmin {
                sender: m.sender,
                new_admin: m.new_admin,
                contract: m.contract,
            })
        }
        "/cosmwasm.wasm.v1.MsgClearAdmin" => {
            let m: proto::MsgClearAdmin = decode(any)?;
            WasmTxMsg::ClearAdmin(MsgClearAdmin {
                sender: m.sender,
                contract: m.contract,
            })
        }
        other => {
            return Err(TxError::unknown_request(format!(
                "unrecognized message type: {other}"
            )))
        }
    })
}

/// Runs `f` with the overlay moved into the shared handle the VM needs, and puts it back.
pub fn with_shared<T>(state: &mut Overlay, f: impl FnOnce(&Arc<Mutex<Overlay>>) -> T) -> T {
    // A placeholder left in `state` while the VM holds the real overlay; one shared empty base
    // serves every call (this runs once per wasm message).
    static EMPTY: std::sync::OnceLock<Arc<tessera_store::state::MemState>> =
        std::sync::OnceLock::new();
    let empty: Arc<dyn StateRead + Send + Sync> = EMPTY.get_or_init(Default::default).clone();
    let shared = Arc::new(Mutex::new(std::mem::replace(
        state,
        Overlay::new(empty.clone()),
    )));
    let result = f(&shared);
    // The host keeps no clone past the call; take the overlay back out either way.
    let mut guard = shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *state = std::mem::replace(&mut *guard, Overlay::new(empty));
    result
}

/// The `WasmExecutor` of a block: runs wasm messages in the host with the block's env.
pub struct VmExecutor<'h> {
    pub host: &'h WasmHost,
    pub block: BlockEnv,
    pub tx: Option<TxEnv>,
    /// Index of the message within its transaction, for error logs.
    pub msg_index: usize,
    /// A `Simulate`: nothing may reach the VM's disk cache.
    pub simulation: bool,
}

impl WasmExecutor for VmExecutor<'_> {
    fn execute(
        &mut self,
        state: &mut Overlay,
        meter: &mut GasMeter,
        signer: &Address,
        msg: &Any,
        _ctx: &TxContext<'_>,
    ) -> Result<MsgResult, TxError> {
        let index = self.msg_index;
        self.msg_index += 1;
        let decoded = decode_wasm_msg(msg)?;
        if wasm_sender(&decoded) != signer.to_bech32() {
            return Err(TxError::unauthorized(format!(
                "{} did not sign this message",
                wasm_sender(&decoded)
            )));
        }
        let vm_gas = tessera_vm::GasMeter::new(meter.remaining());
        let outcome = with_shared(state, |shared| {
            let mut call = CallEnv::new(
                shared.clone(),
                self.block.clone(),
                self.tx.clone(),
                vm_gas.clone(),
            );
            call.simulation = self.simulation;
            self.host.handle(&call, &decoded)
        });
        meter.consume(vm_gas.used(), "wasm")?;
        let result = outcome.map_err(|e| wasm_tx_error(&e, index))?;
        Ok(MsgResult {
            response: Any {
                type_url: result.msg_response.type_url.clone(),
                value: result.msg_response.value.to_vec(),
            },
            events: result
                .events
                .into_iter()
                .map(|e| {
                    let mut event = Event::new(e.ty);
                    for a in e.attributes {
                        event = event.attr(a.key, a.value);
                    }
                    event
                })
                .collect(),
        })
    }
}

fn wasm_sender(msg: &WasmTxMsg) -> &str {
    match msg {
        WasmTxMsg::StoreCode(m) => &m.sender,
        WasmTxMsg::Instantiate(m) => &m.sender,
        WasmTxMsg::Instantiate2(m) => &m.sender,
        WasmTxMsg::Execute(m) => &m.sender,
        WasmTxMsg::Migrate(m) => &m.sender,
        WasmTxMsg::UpdateAdmin(m) => &m.sender,
        WasmTxMsg::ClearAdmin(m) => &m.sender,
    }
}

/// Builds a `CallEnv` for work outside transactions (genesis, end-block hooks).
pub fn call_env(shared: &Arc<Mutex<Overlay>>, block: &BlockEnv, gas_limit: u64) -> CallEnv {
    CallEnv::new(
        shared.clone(),
        block.clone(),
        None,
        tessera_vm::GasMeter::new(gas_limit),
    )
}
