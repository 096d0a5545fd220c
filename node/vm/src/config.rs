//! What the host is configured with: where the VM keeps its files, cache sizes, limits, and the
//! gas schedule. The gas figures are wasmd's defaults (x/wasm/types/gas_register.go and the SDK's
//! KV gas config); changing any of them is consensus-breaking.

use std::path::PathBuf;

/// How many CosmWasm gas points make one Cosmos SDK gas point (wasmd `DefaultGasMultiplier`).
pub const GAS_MULTIPLIER: u64 = 140_000;

/// The capabilities this host offers contracts.
///
/// `iterator` and every `cosmwasm_x_y` up to 3.0, which is what contracts built with
/// cosmwasm-std 3 and default features require. Not `staking`, `stargate`, `ibc2` or
/// `ibc` entry points: Tessera has no staking module and no IBC, so a contract needing them is
/// refused at upload instead of failing later.
pub const CAPABILITIES: &[&str] = &[
    "iterator",
    "cosmwasm_1_1",
    "cosmwasm_1_2",
    "cosmwasm_1_3",
    "cosmwasm_1_4",
    "cosmwasm_2_0",
    "cosmwasm_2_1",
    "cosmwasm_2_2",
    "cosmwasm_3_0",
];

/// The bech32 prefix of Tessera accounts and contracts.
pub const BECH32_PREFIX: &str = "tessera";

#[derive(Clone, Debug)]
pub struct VmConfig {
    /// The VM's own directory: wasm blobs and compiled modules (wasmd's `data/wasm`).
    pub cache_dir: PathBuf,
    /// In-memory LRU cache of compiled modules, in MiB (wasmd default 100).
    pub memory_cache_mib: u32,
    /// Memory limit of one contract instance, in MiB (wasmd default 32).
    pub instance_memory_limit_mib: u32,
    /// Bech32 prefix for addresses.
    pub bech32_prefix: String,
    /// Largest wasm accepted by `store_code`, after gunzip (wasmd `MaxWasmSize`, 800 KiB).
    pub max_wasm_size: usize,
    /// Most nested message dispatches (wasmd `DefaultMaxCallDepth`).
    pub max_call_depth: u32,
    /// Most nested contract-to-contract queries (wasmd `DefaultMaxQueryStackSize`).
    pub max_query_depth: u32,
    /// SDK gas limit of smart queries made from outside a transaction (gRPC / abci_query),
    /// wasmd's `SmartQueryGasLimit` default.
    pub smart_query_gas_limit: u64,
    pub gas: GasCosts,
}

impl VmConfig {
    /// wasmd's defaults with the cache under `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            memory_cache_mib: 100,
            instance_memory_limit_mib: 32,
            bech32_prefix: BECH32_PREFIX.to_string(),
            max_wasm_size: 800 * 1024,
            max_call_depth: 100,
            max_query_depth: 10,
            smart_query_gas_limit: 3_000_000,
            gas: GasCosts::default(),
        }
    }
}

/// SDK gas charged by the host (the VM meters wasm execution itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasCosts {
    /// CosmWasm gas per SDK gas.
    pub multiplier: u64,
    /// Loading a contract instance that is not known to be in memory.
    pub instance_cost: u64,
    /// Loading a pinned contract, or one already run in this call, or a reply.
    pub instance_cost_discount: u64,
    /// Per byte of uploaded wasm (check + compile).
    pub compile_cost_per_byte: u64,
    /// Per byte of gzip input, in hundredths of gas (wasmd: 0.15 gas per byte).
    pub uncompress_cost_per_100_bytes: u64,
    /// Per byte of a contract's JSON result (wasmvm's deserialization cost).
    pub deserialization_cost_per_byte: u64,
    /// Per byte of event attribute keys and values beyond the free tier.
    pub event_attribute_data_cost: u64,
    /// Bytes of attribute data per call that are free.
    pub event_attribute_data_free_tier: u64,
    /// Per attribute.
    pub event_per_attribute_cost: u64,
    /// Per custom (`wasm-*`) event.
    pub custom_event_cost: u64,
    /// Per byte of message sent to a contract.
    pub contract_message_data_cost: u64,
    /// Address conversions the contract asks for (wasmd api.go).
    pub humanize_cost: u64,
    pub canonicalize_cost: u64,
    pub kv: KvGasCosts,
}

impl Default for GasCosts {
    fn default() -> Self {
        Self {
            multiplier: GAS_MULTIPLIER,
            instance_cost: 60_000,
            instance_cost_discount: 2_000,
            compile_cost_per_byte: 3,
            uncompress_cost_per_100_bytes: 15,
            deserialization_cost_per_byte: 1,
            event_attribute_data_cost: 1,
            event_attribute_data_free_tier: 100,
            event_per_attribute_cost: 10,
            custom_event_cost: 20,
            contract_message_data_cost: 0,
            humanize_cost: 5,
            canonicalize_cost: 4,
            kv: KvGasCosts::default(),
        }
    }
}

/// The Cosmos SDK's `KVGasConfig` (store/types/gas.go): what every state access costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvGasCosts {
    pub has: u64,
    pub delete: u64,
    pub read_flat: u64,
    pub read_per_byte: u64,
    pub write_flat: u64,
    pub write_per_byte: u64,
    pub iter_next_flat: u64,
}

impl Default for KvGasCosts {
    fn default() -> Self {
        Self {
            has: 1000,
            delete: 1000,
            read_flat: 1000,
            read_per_byte: 3,
            write_flat: 2000,
            write_per_byte: 30,
            iter_next_flat: 30,
        }
    }
}

impl KvGasCosts {
    pub fn read(&self, key_len: usize, value_len: Option<usize>) -> u64 {
        let bytes = key_len as u64 + value_len.unwrap_or(0) as u64;
        self.read_flat
            .saturating_add(self.read_per_byte.saturating_mul(bytes))
    }

    pub fn write(&self, key_len: usize, value_len: usize) -> u64 {
        let bytes = key_len as u64 + value_len as u64;
        self.write_flat
            .saturating_add(self.write_per_byte.saturating_mul(bytes))
    }

    pub fn iter_item(&self, key_len: usize, value_len: usize) -> u64 {
        let bytes = key_len as u64 + value_len as u64;
        self.iter_next_flat
            .saturating_add(self.read_per_byte.saturating_mul(bytes))
    }
}
