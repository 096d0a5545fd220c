//! What every call shares: the VM's module cache, the config, the address API and the app's
//! bank, and the record of which compiled codes are on this node's disk.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use cosmwasm_std::Checksum;
use cosmwasm_vm::Cache;
use tessera_store::StateRead;

use crate::address::Bech32Api;
use crate::bank::Bank;
use crate::config::VmConfig;
use crate::error::WasmError;
use crate::keys;
use crate::querier::ContractQuerier;
use crate::storage::ContractStorage;
use crate::types::{lock_state, SharedState};

pub(crate) type VmCache = Cache<Bech32Api, ContractStorage, ContractQuerier>;

pub(crate) struct HostInner {
    pub cache: VmCache,
    pub config: VmConfig,
    pub api: Bech32Api,
    pub bank: Arc<dyn Bank>,
    /// Checksums known to be in the VM directory in this process.
    on_disk: Mutex<HashSet<Checksum>>,
}

impl HostInner {
    pub fn new(cache: VmCache, config: VmConfig, api: Bech32Api, bank: Arc<dyn Bank>) -> Self {
        Self {
            cache,
            config,
            api,
            bank,
            on_disk: Mutex::new(HashSet::new()),
        }
    }

    pub fn mark_on_disk(&self, checksum: Checksum) {
        self.on_disk
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(checksum);
    }

    /// Makes sure the VM directory has the blob of `checksum`, restoring it from state when a
    /// node's directory lacks it (fresh home, state sync, deleted cache).
    pub fn ensure_on_disk(
        &self,
        state: &SharedState,
        checksum: &Checksum,
    ) -> Result<(), WasmError> {
        let known = self
            .on_disk
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(checksum);
        if known {
            return Ok(());
        }
        if self.cache.load_wasm(checksum).is_err() {
            let wasm = lock_state(state)
                .get(&keys::code_bytes(checksum.as_slice()))?
                .ok_or_else(|| {
                    WasmError::Internal(format!("wasm {checksum} is neither on disk nor in state"))
                })?;
            // Checked when it was first stored; a restore only compiles.
            self.cache
                .store_code(&wasm, false, true)
                .map_err(WasmError::Vm)?;
        }
        self.mark_on_disk(*checksum);
        Ok(())
    }

    /// [`Self::ensure_on_disk`] for a simulation, which must not write to disk: a code that is
    /// not compiled on disk yet (one stored within the simulation itself) cannot run in it.
    pub fn ensure_on_disk_for_simulation(&self, checksum: &Checksum) -> Result<(), WasmError> {
        let known = self
            .on_disk
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(checksum);
        if known || self.cache.load_wasm(checksum).is_ok() {
            return Ok(());
        }
        Err(WasmError::Invalid(format!(
            "code {checksum} is not stored on this node yet; a simulation cannot run a code \
             stored in the same simulation"
        )))
    }

    /// The `contract_migrate_version` a code declares, if any.
    pub fn migrate_version(
        &self,
        state: &SharedState,
        checksum: &Checksum,
    ) -> Result<Option<u64>, WasmError> {
        self.ensure_on_disk(state, checksum)?;
        Ok(self
            .cache
            .analyze(checksum)
            .map_err(WasmError::Vm)?
            .contract_migrate_version)
    }
}
