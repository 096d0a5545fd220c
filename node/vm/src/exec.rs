//! The context one top-level call runs in, and running one contract entry point in the VM.

use std::sync::Arc;

use cosmwasm_std::{
    Addr, Binary, BlockInfo, Checksum, ContractInfo as StdContractInfo, Env, MessageInfo,
    MigrateInfo, Reply, TransactionInfo,
};
use cosmwasm_vm::{
    call_execute_raw, call_instantiate_raw, call_migrate_with_info_raw, call_query_raw,
    call_reply_raw, call_sudo_raw, to_vec, Backend, InstanceOptions, VmError,
};
use serde::de::DeserializeOwned;
use tessera_store::StateWrite;

use crate::address;
use crate::config::GasCosts;
use crate::error::WasmError;
use crate::gas::{GasMeter, Metered};
use crate::keys;
use crate::querier::ContractQuerier;
use crate::records;
use crate::runtime::HostInner;
use crate::storage::ContractStorage;
use crate::types::{
    lock_state, BlockEnv, CallEnv, CodeInfo, ContractInfo, SeenCodes, SharedState, TxEnv,
};

/// Largest JSON result the host parses (the VM's own deserialization limit).
const RESULT_LIMIT: usize = 256 * 1024;

/// A contract address in both forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ContractRef {
    pub human: String,
    pub bytes: Vec<u8>,
}

/// One entry point call.
pub(crate) enum Entry<'a> {
    Instantiate {
        info: &'a MessageInfo,
        msg: &'a [u8],
    },
    Execute {
        info: &'a MessageInfo,
        msg: &'a [u8],
    },
    Migrate {
        info: &'a MigrateInfo,
        msg: &'a [u8],
    },
    Sudo {
        msg: &'a [u8],
    },
    Reply {
        reply: &'a Reply,
    },
    Query {
        msg: &'a [u8],
    },
}

/// What a (possibly nested) call runs with. Cheap to clone: nested calls copy it and change
/// the depth counters or the gas meter.
#[derive(Clone)]
pub(crate) struct Exec {
    pub host: Arc<HostInner>,
    pub state: SharedState,
    pub block: BlockEnv,
    pub tx: Option<TxEnv>,
    pub gas: GasMeter,
    pub seen: SeenCodes,
    pub call_depth: u32,
    pub query_depth: u32,
    /// See [`CallEnv::simulation`].
    pub simulation: bool,
}

impl Exec {
    pub fn new(host: &Arc<HostInner>, call: &CallEnv) -> Self {
        Self {
            host: host.clone(),
            state: call.state.clone(),
            block: call.block.clone(),
            tx: call.tx.clone(),
            gas: call.gas.clone(),
            seen: call.seen.clone(),
            call_depth: 0,
            query_depth: 0,
            simulation: call.simulation,
        }
    }

    pub fn costs(&self) -> &GasCosts {
        &self.host.config.gas
    }

    pub fn prefix(&self) -> &str {
        &self.host.config.bech32_prefix
    }

    /// Runs `f` on the state with KV gas metering, holding the lock only for `f`.
    pub fn kv<T>(
        &self,
        f: impl FnOnce(&mut dyn StateWrite) -> Result<T, WasmError>,
    ) -> Result<T, WasmError> {
        let out = {
            let mut guard = lock_state(&self.state);
            let mut metered = Metered::new(&mut *guard, &self.gas, self.costs().kv);
            f(&mut metered)
        };
        self.gas.check("KV access")?;
        out
    }

    /// Runs `f` in its own overlay layer: its writes are kept if it succeeds and dropped if it
    /// fails, leaving the layers below untouched.
    pub fn in_layer<T>(&self, f: impl FnOnce() -> Result<T, WasmError>) -> Result<T, WasmError> {
        lock_state(&self.state).begin();
        let result = f();
        let mut overlay = lock_state(&self.state);
        if result.is_ok() {
            overlay.keep();
        } else {
            overlay.discard();
        }
        result
    }

    /// Validates an account or contract address given by a user or a contract.
    pub fn address(&self, human: &str, what: &str) -> Result<Vec<u8>, WasmError> {
        address::validate(self.prefix(), human)
            .map_err(|e| WasmError::InvalidAddress(format!("{what} {human:?}: {e}")))
    }

    pub fn contract_ref(&self, human: &str) -> Result<ContractRef, WasmError> {
        Ok(ContractRef {
            bytes: self.address(human, "contract")?,
            human: human.to_string(),
        })
    }

    pub fn load_contract(&self, c: &ContractRef) -> Result<Option<ContractInfo>, WasmError> {
        self.kv(|s| records::load_contract(s, &c.bytes))
    }

    pub fn load_code(&self, code_id: u64) -> Result<Option<CodeInfo>, WasmError> {
        self.kv(|s| records::load_code(s, code_id))
    }

    /// A contract and its code, or wasmd's "no such contract" / "no such code".
    pub fn contract_instance(
        &self,
        c: &ContractRef,
    ) -> Result<(ContractInfo, CodeInfo), WasmError> {
        let info = self
            .load_contract(c)?
            .ok_or_else(|| WasmError::NoSuchContract(c.human.clone()))?;
        let code = self
            .load_code(info.code_id)?
            .ok_or(WasmError::NoSuchCode(info.code_id))?;
        Ok((info, code))
    }

    /// Charges wasmd's setup cost: the full instance cost, or the discount when the code is
    /// pinned or was already loaded in this transaction.
    pub fn charge_setup(
        &self,
        code: &CodeInfo,
        code_id: u64,
        msg_len: usize,
        location: &str,
    ) -> Result<(), WasmError> {
        let pinned = self.kv(|s| records::is_pinned(s, code_id))?;
        let discount = pinned || self.seen.check_and_add(&code.checksum);
        let c = self.costs();
        let instance = if discount {
            c.instance_cost_discount
        } else {
            c.instance_cost
        };
        let cost =
            instance.saturating_add((msg_len as u64).saturating_mul(c.contract_message_data_cost));
        self.gas.consume(cost, location)
    }

    fn env(&self, contract: &str) -> Env {
        Env {
            block: BlockInfo {
                height: self.block.height,
                time: self.block.time,
                chain_id: self.block.chain_id.clone(),
            },
            transaction: self
                .tx
                .as_ref()
                .map(|t| TransactionInfo::new(t.index, Binary::new(t.hash.clone()))),
            contract: StdContractInfo {
                address: Addr::unchecked(contract),
            },
        }
    }

    /// Runs one entry point of `contract` (code `checksum`) and returns its raw JSON result.
    ///
    /// The VM gets the meter's remaining gas (× multiplier); what it used internally is charged
    /// back (÷ multiplier) afterwards, plus wasmvm's per-byte cost of the result.
    pub fn call_vm(
        &self,
        checksum: &Checksum,
        contract: &ContractRef,
        entry: Entry<'_>,
    ) -> Result<Vec<u8>, WasmError> {
        if self.simulation {
            self.host.ensure_on_disk_for_simulation(checksum)?;
        } else {
            self.host.ensure_on_disk(&self.state, checksum)?;
        }
        let mult = self.costs().multiplier;
        let gas_limit = if self.gas.is_out_of_gas() {
            0
        } else {
            self.gas.remaining().saturating_mul(mult)
        };
        let backend = Backend {
            api: self.host.api.clone(),
            storage: ContractStorage::new(
                self.state.clone(),
                keys::contract_store(&contract.bytes),
                self.gas.clone(),
                self.costs().kv,
                mult,
            ),
            querier: ContractQuerier::new(Box::new(self.clone()), self.gas.clone(), mult),
        };
        let mut instance = self
            .host
            .cache
            .get_instance(checksum, backend, InstanceOptions { gas_limit })
            .map_err(WasmError::Vm)?;
        let result = to_vec(&self.env(&contract.human))
            .and_then(|env| run_entry(&mut instance, &env, entry));
        let report = instance.create_gas_report();
        drop(instance);

        let charged = self
            .gas
            .consume(report.used_internally / mult, "wasm contract");
        let data = match result {
            Ok(data) => data,
            // Out of gas inside a host call (a storage read, a query) reaches us as a runtime
            // error with the VM's gas at zero rather than as `GasDepletion`; either way the
            // tx's gas is gone, and wasmd answers that with the SDK's out of gas (code 11).
            Err(e) if matches!(e, VmError::GasDepletion { .. }) || report.remaining == 0 => {
                // The VM stopped at its limit; the floor division above may leave the meter a
                // hair short of it. Out of gas means the whole limit is gone.
                let _ = self.gas.consume(self.gas.remaining(), "wasm contract");
                return Err(self.gas.out_of_gas("wasm contract"));
            }
            Err(e) => {
                charged?;
                return Err(WasmError::Vm(e));
            }
        };
        charged?;
        if self.gas.is_out_of_gas() {
            return Err(self.gas.out_of_gas("wasm contract"));
        }
        let deserialization =
            (data.len() as u64).saturating_mul(self.costs().deserialization_cost_per_byte);
        self.gas.consume(deserialization, "wasm contract result")?;
        Ok(data)
    }
}

type VmInstance =
    cosmwasm_vm::Instance<crate::address::Bech32Api, ContractStorage, ContractQuerier>;

fn run_entry(instance: &mut VmInstance, env: &[u8], entry: Entry<'_>) -> Result<Vec<u8>, VmError> {
    match entry {
        Entry::Instantiate { info, msg } => {
            call_instantiate_raw(instance, env, &to_vec(info)?, msg)
        }
        Entry::Execute { info, msg } => call_execute_raw(instance, env, &to_vec(info)?, msg),
        Entry::Migrate { info, msg } => {
            call_migrate_with_info_raw(instance, env, msg, &to_vec(info)?)
        }
        Entry::Sudo { msg } => call_sudo_raw(instance, env, msg),
        Entry::Reply { reply } => call_reply_raw(instance, env, &to_vec(reply)?),
        Entry::Query { msg } => call_query_raw(instance, env, msg),
    }
}

/// Parses a contract's JSON result with the VM's limits.
pub(crate) fn parse_result<T: DeserializeOwned>(data: &[u8]) -> Result<T, WasmError> {
    cosmwasm_vm::from_slice(data, RESULT_LIMIT).map_err(WasmError::Vm)
}

/// Checks that a message for a contract is JSON (wasmd `RawContractMessage.ValidateBasic`).
pub(crate) fn check_json(msg: &[u8], what: &str) -> Result<(), WasmError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(msg)
        .map(|_| ())
        .map_err(|_| WasmError::Invalid(what.to_string()))
}
