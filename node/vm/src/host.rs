//! [`WasmHost`]: the module's entry points for the app (transaction messages, end-block sudo,
//! gRPC queries, genesis and startup chores).
//!
//! Every state-changing entry point runs in its own overlay layer: on error nothing it wrote
//! remains (not even the funds it moved), on success its writes join the caller's layer.

use std::sync::Arc;

use cosmwasm_std::{Binary, Checksum};
use cosmwasm_vm::{capabilities_from_csv, AnalysisReport, Cache, CacheOptions, Size};
use tessera_store::StateRead;

use crate::address::{self, Bech32Api};
use crate::address_gen::AddressGen;
use crate::bank::{check_tx_funds, Bank};
use crate::config::{VmConfig, CAPABILITIES};
use crate::error::WasmError;
use crate::exec::Exec;
use crate::gas::GasMeter;
use crate::keys;
use crate::records;
use crate::runtime::HostInner;
use crate::types::{
    lock_state, BlockEnv, CallEnv, CodeInfo, ContractInfo, ExecuteResponse, InstantiateResponse,
    KvPage, MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgInstantiateContract2,
    MsgMigrateContract, MsgStoreCode, MsgUpdateAdmin, Page, PageRequest, SeenCodes, SharedState,
    StoreCodeResponse, TxMsgResult, WasmTxMsg,
};

/// The CosmWasm host. Cheap to clone and safe to share between threads.
///
/// State-changing calls on one [`SharedState`] must not overlap (the app runs a block's
/// transactions one after another): each opens and closes overlay layers on it. Queries only
/// read and may run alongside each other.
#[derive(Clone)]
pub struct WasmHost {
    pub(crate) inner: Arc<HostInner>,
}

impl WasmHost {
    /// Opens (or creates) the VM directory and its caches.
    pub fn new(config: VmConfig, bank: Arc<dyn Bank>) -> Result<Self, WasmError> {
        let mib = |n: u32| Size::mebi(n as usize);
        let options = CacheOptions::new(
            config.cache_dir.clone(),
            capabilities_from_csv(&CAPABILITIES.join(",")),
            mib(config.memory_cache_mib),
            mib(config.instance_memory_limit_mib),
        );
        // SAFETY: `Cache::new` is unsafe because two caches must not share a directory in one
        // process (their file locks would not protect each other). The node opens exactly one
        // host per home; tests use one temporary directory per host.
        let cache = unsafe { Cache::new(options) }.map_err(WasmError::Vm)?;
        let mult = config.gas.multiplier;
        let api = Bech32Api::new(
            &config.bech32_prefix,
            config.gas.humanize_cost.saturating_mul(mult),
            config.gas.canonicalize_cost.saturating_mul(mult),
        );
        Ok(Self {
            inner: Arc::new(HostInner::new(cache, config, api, bank)),
        })
    }

    pub fn config(&self) -> &VmConfig {
        &self.inner.config
    }

    /// The capabilities contracts may require.
    pub fn capabilities() -> &'static [&'static str] {
        CAPABILITIES
    }

    fn exec(&self, call: &CallEnv) -> Exec {
        Exec::new(&self.inner, call)
    }

    // ---- transaction messages -------------------------------------------------------------

    pub fn store_code(
        &self,
        call: &CallEnv,
        msg: &MsgStoreCode,
    ) -> Result<StoreCodeResponse, WasmError> {
        let exec = self.exec(call);
        exec.in_layer(|| {
            exec.store_code(
                &msg.sender,
                &msg.wasm_byte_code,
                msg.instantiate_permission.clone(),
            )
        })
    }

    pub fn instantiate(
        &self,
        call: &CallEnv,
        msg: &MsgInstantiateContract,
    ) -> Result<InstantiateResponse, WasmError> {
        check_tx_funds(&msg.funds)?;
        let exec = self.exec(call);
        let (c, d) = exec.in_layer(|| {
            exec.instantiate(
                &msg.sender,
                Some(&msg.admin),
                msg.code_id,
                &msg.label,
                &msg.msg,
                &msg.funds,
                AddressGen::Classic,
            )
        })?;
        Ok(InstantiateResponse {
            address: c.human,
            data: d.data,
            events: d.events,
            instantiate2: false,
        })
    }

    pub fn instantiate2(
        &self,
        call: &CallEnv,
        msg: &MsgInstantiateContract2,
    ) -> Result<InstantiateResponse, WasmError> {
        check_tx_funds(&msg.funds)?;
        let exec = self.exec(call);
        let (c, d) = exec.in_layer(|| {
            exec.instantiate(
                &msg.sender,
                Some(&msg.admin),
                msg.code_id,
                &msg.label,
                &msg.msg,
                &msg.funds,
                AddressGen::Predictable {
                    salt: &msg.salt,
                    fix_msg: msg.fix_msg,
                },
            )
        })?;
        Ok(InstantiateResponse {
            address: c.human,
            data: d.data,
            events: d.events,
            instantiate2: true,
        })
    }

    pub fn execute(
        &self,
        call: &CallEnv,
        msg: &MsgExecuteContract,
    ) -> Result<ExecuteResponse, WasmError> {
        check_tx_funds(&msg.funds)?;
        let exec = self.exec(call);
        let d = exec.in_layer(|| exec.execute(&msg.sender, &msg.contract, &msg.msg, &msg.funds))?;
        Ok(ExecuteResponse {
            data: d.data,
            events: d.events,
        })
    }

    pub fn migrate(
        &self,
        call: &CallEnv,
        msg: &MsgMigrateContract,
    ) -> Result<ExecuteResponse, WasmError> {
        let exec = self.exec(call);
        let d =
            exec.in_layer(|| exec.migrate(&msg.sender, &msg.contract, msg.code_id, &msg.msg))?;
        Ok(ExecuteResponse {
            data: d.data,
            events: d.events,
        })
    }

    pub fn update_admin(
        &self,
        call: &CallEnv,
        msg: &MsgUpdateAdmin,
    ) -> Result<Vec<cosmwasm_std::Event>, WasmError> {
        let exec = self.exec(call);
        exec.in_layer(|| exec.set_admin(&msg.sender, &msg.contract, Some(&msg.new_admin)))
    }

    pub fn clear_admin(
        &self,
        call: &CallEnv,
        msg: &MsgClearAdmin,
    ) -> Result<Vec<cosmwasm_std::Event>, WasmError> {
        let exec = self.exec(call);
        exec.in_layer(|| exec.set_admin(&msg.sender, &msg.contract, None))
    }

    /// Any wasm transaction message, with its `Msg*Response` for `TxMsgData`.
    pub fn handle(&self, call: &CallEnv, msg: &WasmTxMsg) -> Result<TxMsgResult, WasmError> {
        use crate::types::msg_response;
        Ok(match msg {
            WasmTxMsg::StoreCode(m) => {
                let r = self.store_code(call, m)?;
                TxMsgResult {
                    msg_response: r.msg_response(),
                    events: r.events,
                }
            }
            WasmTxMsg::Instantiate(m) => {
                let r = self.instantiate(call, m)?;
                TxMsgResult {
                    msg_response: r.msg_response(),
                    events: r.events,
                }
            }
            WasmTxMsg::Instantiate2(m) => {
                let r = self.instantiate2(call, m)?;
                TxMsgResult {
                    msg_response: r.msg_response(),
                    events: r.events,
                }
            }
            WasmTxMsg::Execute(m) => {
                let r = self.execute(call, m)?;
                TxMsgResult {
                    msg_response: r.msg_response(),
                    events: r.events,
                }
            }
            WasmTxMsg::Migrate(m) => {
                let r = self.migrate(call, m)?;
                TxMsgResult {
                    msg_response: r.migrate_msg_response(),
                    events: r.events,
                }
            }
            WasmTxMsg::UpdateAdmin(m) => TxMsgResult {
                events: self.update_admin(call, m)?,
                msg_response: msg_response("/cosmwasm.wasm.v1.MsgUpdateAdminResponse", vec![]),
            },
            WasmTxMsg::ClearAdmin(m) => TxMsgResult {
                events: self.clear_admin(call, m)?,
                msg_response: msg_response("/cosmwasm.wasm.v1.MsgClearAdminResponse", vec![]),
            },
        })
    }

    // ---- privileged calls ------------------------------------------------------------------

    /// Calls a contract's `sudo` entry point (end-block hooks, governance). The app bounds it
    /// with the meter in `call`.
    pub fn sudo(
        &self,
        call: &CallEnv,
        contract: &str,
        msg: &[u8],
    ) -> Result<ExecuteResponse, WasmError> {
        let exec = self.exec(call);
        let d = exec.in_layer(|| exec.sudo(contract, msg))?;
        Ok(ExecuteResponse {
            data: d.data,
            events: d.events,
        })
    }

    /// Pins a code in memory: cheaper instances (discounted instance cost) from now on.
    pub fn pin_code(&self, state: &SharedState, code_id: u64) -> Result<(), WasmError> {
        self.pin_in_cache(state, code_id)?;
        records::set_pinned(&mut *lock_state(state), code_id, true);
        Ok(())
    }

    pub fn unpin_code(&self, state: &SharedState, code_id: u64) -> Result<(), WasmError> {
        self.unpin_in_cache(state, code_id)?;
        records::set_pinned(&mut *lock_state(state), code_id, false);
        Ok(())
    }

    fn pin_in_cache(&self, state: &SharedState, code_id: u64) -> Result<(), WasmError> {
        let code = self
            .code_info(&*lock_state(state), code_id)?
            .ok_or(WasmError::NoSuchCode(code_id))?;
        self.inner.ensure_on_disk(state, &code.checksum)?;
        self.inner.cache.pin(&code.checksum).map_err(WasmError::Vm)
    }

    fn unpin_in_cache(&self, state: &SharedState, code_id: u64) -> Result<(), WasmError> {
        let code = self
            .code_info(&*lock_state(state), code_id)?
            .ok_or(WasmError::NoSuchCode(code_id))?;
        self.inner
            .cache
            .unpin(&code.checksum)
            .map_err(WasmError::Vm)
    }

    /// Makes the in-memory cache follow the pin flags a committed block changed (by
    /// `MsgPinCodes` / `MsgUnpinCodes`): `changes` are the block's written keys, `true` for a
    /// set and `false` for a delete; keys other than pin flags are skipped. `state` is the
    /// committed state.
    pub fn apply_pin_changes<'a>(
        &self,
        state: &SharedState,
        changes: impl IntoIterator<Item = (&'a [u8], bool)>,
    ) -> Result<(), WasmError> {
        for (key, set) in changes {
            let Some(code_id) = key.strip_prefix(keys::PINNED).and_then(keys::decode_u64) else {
                continue;
            };
            if set {
                self.pin_in_cache(state, code_id)?;
            } else {
                self.unpin_in_cache(state, code_id)?;
            }
        }
        Ok(())
    }

    /// Names the address that may pin and unpin codes after genesis (the governance contract).
    pub fn set_authority(&self, state: &SharedState, address: &str) -> Result<(), WasmError> {
        address::validate(&self.inner.config.bech32_prefix, address)
            .map_err(|e| WasmError::InvalidAddress(format!("wasm authority {address:?}: {e}")))?;
        records::save_authority(&mut *lock_state(state), address);
        Ok(())
    }

    /// At startup: restores missing blobs and pins every code the state marks as pinned.
    pub fn sync_pinned(&self, state: &SharedState) -> Result<(), WasmError> {
        let pinned = self.pinned_codes(&*lock_state(state))?;
        for code_id in pinned {
            self.pin_code(state, code_id)?;
        }
        Ok(())
    }

    // ---- queries ---------------------------------------------------------------------------

    /// A smart query from outside a transaction, bounded by `smart_query_gas_limit`.
    pub fn query_smart(
        &self,
        state: &SharedState,
        block: &BlockEnv,
        contract: &str,
        msg: &[u8],
    ) -> Result<Binary, WasmError> {
        let gas = GasMeter::new(self.inner.config.smart_query_gas_limit);
        self.query_smart_with_gas(state, block, contract, msg, &gas)
    }

    /// A smart query charged to `gas` (e.g. a simulation's meter).
    pub fn query_smart_with_gas(
        &self,
        state: &SharedState,
        block: &BlockEnv,
        contract: &str,
        msg: &[u8],
        gas: &GasMeter,
    ) -> Result<Binary, WasmError> {
        let call = CallEnv {
            state: state.clone(),
            block: block.clone(),
            tx: None,
            gas: gas.clone(),
            seen: SeenCodes::default(),
            simulation: false,
        };
        // No layer: the VM refuses writes in `query`, and the host writes nothing for a query,
        // so concurrent queries may share one state.
        self.exec(&call).query_smart(contract, msg)
    }

    /// A raw read of a contract's storage (`RawContractState`).
    pub fn query_raw(
        &self,
        state: &dyn StateRead,
        contract: &str,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, WasmError> {
        let bytes = self.contract_bytes(contract)?;
        Ok(state.get(&[keys::contract_store(&bytes), key.to_vec()].concat())?)
    }

    fn contract_bytes(&self, contract: &str) -> Result<Vec<u8>, WasmError> {
        address::validate(&self.inner.config.bech32_prefix, contract)
            .map_err(|e| WasmError::InvalidAddress(format!("contract {contract:?}: {e}")))
    }

    pub fn contract_info(
        &self,
        state: &dyn StateRead,
        contract: &str,
    ) -> Result<Option<ContractInfo>, WasmError> {
        records::load_contract(state, &self.contract_bytes(contract)?)
    }

    pub fn code_info(
        &self,
        state: &dyn StateRead,
        code_id: u64,
    ) -> Result<Option<CodeInfo>, WasmError> {
        records::load_code(state, code_id)
    }

    /// The wasm blob of a code (`Code` query).
    pub fn code_bytes(
        &self,
        state: &dyn StateRead,
        code_id: u64,
    ) -> Result<Option<Vec<u8>>, WasmError> {
        match records::load_code(state, code_id)? {
            None => Ok(None),
            Some(code) => Ok(state.get(&keys::code_bytes(code.checksum.as_slice()))?),
        }
    }

    /// Static analysis of a stored code (required capabilities, entry points).
    pub fn analyze(
        &self,
        state: &SharedState,
        checksum: &Checksum,
    ) -> Result<AnalysisReport, WasmError> {
        self.inner.ensure_on_disk(state, checksum)?;
        self.inner.cache.analyze(checksum).map_err(WasmError::Vm)
    }

    /// Codes in id order (`Codes` query).
    pub fn list_codes(
        &self,
        state: &dyn StateRead,
        page: &PageRequest,
    ) -> Result<Page<(u64, CodeInfo)>, WasmError> {
        let raw = records::page(state, keys::CODE, page)?;
        let mut items = Vec::with_capacity(raw.items.len());
        for (k, _) in raw.items {
            let id = keys::decode_u64(&k)
                .ok_or_else(|| WasmError::Internal("corrupt code key".into()))?;
            if let Some(info) = records::load_code(state, id)? {
                items.push((id, info));
            }
        }
        Ok(Page {
            items,
            next_key: raw.next_key,
        })
    }

    /// Contracts of a code, oldest first (`ContractsByCode` query).
    pub fn contracts_by_code(
        &self,
        state: &dyn StateRead,
        code_id: u64,
        page: &PageRequest,
    ) -> Result<Page<String>, WasmError> {
        let raw = records::page(state, &keys::by_code_prefix(code_id), page)?;
        let prefix = &self.inner.config.bech32_prefix;
        let mut items = Vec::with_capacity(raw.items.len());
        for (k, _) in raw.items {
            // <height 8><tx_index 8><address>
            let addr = k
                .get(16..)
                .ok_or_else(|| WasmError::Internal("corrupt index key".into()))?;
            items.push(address::humanize(prefix, addr).map_err(WasmError::Internal)?);
        }
        Ok(Page {
            items,
            next_key: raw.next_key,
        })
    }

    /// How many contracts were instantiated from a code.
    pub fn instance_count(&self, state: &dyn StateRead, code_id: u64) -> Result<u64, WasmError> {
        records::code_count(state, code_id)
    }

    /// A contract's whole storage, paginated (`AllContractState` query).
    pub fn contract_state(
        &self,
        state: &dyn StateRead,
        contract: &str,
        page: &PageRequest,
    ) -> Result<KvPage, WasmError> {
        let bytes = self.contract_bytes(contract)?;
        records::page(state, &keys::contract_store(&bytes), page)
    }

    /// The module cache's counters since start: where instances came from (pinned memory,
    /// memory, compiled files on disk) and how often a module had to be compiled.
    pub fn cache_stats(&self) -> cosmwasm_vm::Stats {
        self.inner.cache.stats()
    }

    pub fn pinned_codes(&self, state: &dyn StateRead) -> Result<Vec<u64>, WasmError> {
        let mut out = Vec::new();
        for entry in state.prefix(keys::PINNED)? {
            let (k, _) = entry?;
            let id = k
                .get(keys::PINNED.len()..)
                .and_then(keys::decode_u64)
                .ok_or_else(|| WasmError::Internal("corrupt pin key".into()))?;
            out.push(id);
        }
        Ok(out)
    }

    /// The address `instantiate2` will give (`BuildAddress` query).
    pub fn predict_address(
        &self,
        checksum: &Checksum,
        creator: &str,
        salt: &[u8],
        init_msg: Option<&[u8]>,
    ) -> Result<String, WasmError> {
        let prefix = &self.inner.config.bech32_prefix;
        let creator = address::validate(prefix, creator)
            .map_err(|e| WasmError::InvalidAddress(format!("creator {creator:?}: {e}")))?;
        let addr = address::predictable_address(
            checksum.as_slice(),
            &creator,
            salt,
            init_msg.unwrap_or_default(),
        );
        address::humanize(prefix, &addr).map_err(WasmError::Internal)
    }

    /// The address the next classic instantiation of `code_id` will get.
    pub fn next_classic_address(
        &self,
        state: &dyn StateRead,
        code_id: u64,
    ) -> Result<String, WasmError> {
        let instance_id = records::peek_id(state, keys::SEQ_INSTANCE_ID)?;
        address::humanize(
            &self.inner.config.bech32_prefix,
            &address::classic_address(code_id, instance_id),
        )
        .map_err(WasmError::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<WasmHost>();
    }
}
