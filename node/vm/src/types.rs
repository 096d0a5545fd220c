//! The domain types the app exchanges with the host: what a call runs with, the records kept
//! in state, the messages (decoded from `cosmwasm.wasm.v1` protos by the app) and their results.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cosmwasm_std::{Binary, Checksum, Coin, Event, MsgResponse, Timestamp};
use serde::{Deserialize, Serialize};
use tessera_store::Overlay;

use crate::gas::GasMeter;
use crate::proto;

/// The block's state as the host works on it: the app's overlay, shared with the VM's storage
/// callbacks (which must be `'static`). The host never holds the lock across a VM call. One
/// state-changing call at a time per state: calls open and close layers on it.
pub type SharedState = Arc<Mutex<Overlay>>;

/// Locks the shared state. A poisoned lock means a panic elsewhere already aborted that
/// thread's work; the overlay itself stays consistent (every write is a single map insert), so
/// the guard is recovered rather than propagating the panic.
pub fn lock_state(state: &SharedState) -> MutexGuard<'_, Overlay> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The block a call runs in (`env.block` for contracts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEnv {
    pub height: u64,
    pub time: Timestamp,
    pub chain_id: String,
}

/// The transaction a call runs in (`env.transaction`); absent in end-block hooks and queries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxEnv {
    pub index: u32,
    pub hash: Vec<u8>,
}

/// Codes already loaded in this transaction: a second instance of the same code is charged the
/// discounted instance cost (wasmd's `TxContracts`). Share one value across a transaction's
/// messages by cloning the [`CallEnv`].
#[derive(Clone, Debug, Default)]
pub struct SeenCodes(pub(crate) Arc<Mutex<HashSet<Checksum>>>);

impl SeenCodes {
    /// Records `checksum`; true if it was seen before.
    pub(crate) fn check_and_add(&self, checksum: &Checksum) -> bool {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        !set.insert(*checksum)
    }
}

/// Everything a state-changing call needs from the app.
#[derive(Clone)]
pub struct CallEnv {
    pub state: SharedState,
    pub block: BlockEnv,
    pub tx: Option<TxEnv>,
    /// The SDK gas meter the call charges; read `gas.used()` afterwards, also on failure.
    pub gas: GasMeter,
    pub seen: SeenCodes,
    /// A simulation (gas estimation): codes it stores are checked and compiled but never
    /// written to the disk cache, and codes not already on disk cannot run in it.
    pub simulation: bool,
}

impl CallEnv {
    pub fn new(state: SharedState, block: BlockEnv, tx: Option<TxEnv>, gas: GasMeter) -> Self {
        Self {
            state,
            block,
            tx,
            gas,
            seen: SeenCodes::default(),
            simulation: false,
        }
    }
}

/// Who may instantiate a code (`cosmwasm.wasm.v1.AccessConfig`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessConfig {
    Nobody,
    Everybody,
    AnyOfAddresses(Vec<String>),
}

impl AccessConfig {
    pub fn allows(&self, actor: &str) -> bool {
        match self {
            AccessConfig::Nobody => false,
            AccessConfig::Everybody => true,
            AccessConfig::AnyOfAddresses(list) => list.iter().any(|a| a == actor),
        }
    }
}

/// A stored code (`cosmwasm.wasm.v1.CodeInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeInfo {
    pub checksum: Checksum,
    pub creator: String,
    pub instantiate_permission: AccessConfig,
}

/// Block height and transaction index of an instantiation or migration
/// (`cosmwasm.wasm.v1.AbsoluteTxPosition`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AbsoluteTxPosition {
    pub block_height: u64,
    pub tx_index: u64,
}

/// A contract instance (`cosmwasm.wasm.v1.ContractInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractInfo {
    pub code_id: u64,
    pub creator: String,
    /// `None` when nobody may migrate it.
    pub admin: Option<String>,
    pub label: String,
    pub created: AbsoluteTxPosition,
    /// Position of the last migration; the contracts-by-code index is keyed by it.
    #[serde(default)]
    pub migrated: Option<AbsoluteTxPosition>,
}

impl ContractInfo {
    pub(crate) fn index_position(&self) -> AbsoluteTxPosition {
        self.migrated.unwrap_or(self.created)
    }
}

/// `MsgStoreCode`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgStoreCode {
    pub sender: String,
    /// Raw or gzip-compressed wasm.
    pub wasm_byte_code: Vec<u8>,
    /// Defaults to everybody.
    pub instantiate_permission: Option<AccessConfig>,
}

/// `MsgInstantiateContract`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgInstantiateContract {
    pub sender: String,
    /// Empty for none.
    pub admin: String,
    pub code_id: u64,
    pub label: String,
    pub msg: Vec<u8>,
    pub funds: Vec<Coin>,
}

/// `MsgInstantiateContract2`: the address follows from checksum, sender and salt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgInstantiateContract2 {
    pub sender: String,
    pub admin: String,
    pub code_id: u64,
    pub label: String,
    pub msg: Vec<u8>,
    pub funds: Vec<Coin>,
    pub salt: Vec<u8>,
    /// Also hash the init message into the address.
    pub fix_msg: bool,
}

/// `MsgExecuteContract`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgExecuteContract {
    pub sender: String,
    pub contract: String,
    pub msg: Vec<u8>,
    pub funds: Vec<Coin>,
}

/// `MsgMigrateContract`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgMigrateContract {
    pub sender: String,
    pub contract: String,
    pub code_id: u64,
    pub msg: Vec<u8>,
}

/// `MsgUpdateAdmin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgUpdateAdmin {
    pub sender: String,
    pub new_admin: String,
    pub contract: String,
}

/// `MsgClearAdmin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgClearAdmin {
    pub sender: String,
    pub contract: String,
}

/// Any wasm transaction message, for apps that route with one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WasmTxMsg {
    StoreCode(MsgStoreCode),
    Instantiate(MsgInstantiateContract),
    Instantiate2(MsgInstantiateContract2),
    Execute(MsgExecuteContract),
    Migrate(MsgMigrateContract),
    UpdateAdmin(MsgUpdateAdmin),
    ClearAdmin(MsgClearAdmin),
}

/// The outcome of a transaction message: its events (wasmd order) and its `Msg*Response`
/// packed for `TxMsgData.msg_responses`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxMsgResult {
    pub events: Vec<Event>,
    pub msg_response: MsgResponse,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreCodeResponse {
    pub code_id: u64,
    pub checksum: Checksum,
    pub events: Vec<Event>,
}

impl StoreCodeResponse {
    /// `/cosmwasm.wasm.v1.MsgStoreCodeResponse { code_id, checksum }`.
    pub fn msg_response(&self) -> MsgResponse {
        let mut value = proto::uint64_field(1, self.code_id);
        value.extend(proto::bytes_field(2, self.checksum.as_slice()));
        msg_response("/cosmwasm.wasm.v1.MsgStoreCodeResponse", value)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstantiateResponse {
    pub address: String,
    pub data: Option<Binary>,
    pub events: Vec<Event>,
    /// Whether it came from `MsgInstantiateContract2` (the response type differs).
    pub instantiate2: bool,
}

impl InstantiateResponse {
    /// `MsgInstantiateContract(2)Response { address, data }`.
    pub fn msg_response(&self) -> MsgResponse {
        let type_url = if self.instantiate2 {
            "/cosmwasm.wasm.v1.MsgInstantiateContract2Response"
        } else {
            "/cosmwasm.wasm.v1.MsgInstantiateContractResponse"
        };
        msg_response(
            type_url,
            proto::instantiate_response(&self.address, self.data.as_ref()),
        )
    }
}

/// The outcome of execute, migrate and sudo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecuteResponse {
    pub data: Option<Binary>,
    pub events: Vec<Event>,
}

impl ExecuteResponse {
    /// `/cosmwasm.wasm.v1.MsgExecuteContractResponse { data }`.
    pub fn msg_response(&self) -> MsgResponse {
        msg_response(
            "/cosmwasm.wasm.v1.MsgExecuteContractResponse",
            proto::data_response(self.data.as_ref()),
        )
    }

    /// `/cosmwasm.wasm.v1.MsgMigrateContractResponse { data }`.
    pub fn migrate_msg_response(&self) -> MsgResponse {
        msg_response(
            "/cosmwasm.wasm.v1.MsgMigrateContractResponse",
            proto::data_response(self.data.as_ref()),
        )
    }
}

pub(crate) fn msg_response(type_url: &str, value: Vec<u8>) -> MsgResponse {
    MsgResponse {
        type_url: type_url.to_string(),
        value: Binary::new(value),
    }
}

/// Key-based pagination, as the SDK's `PageRequest` (`key` = `next_key` of the previous page).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub key: Option<Vec<u8>>,
    /// 0 means the default (100).
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `key` to get the next page; `None` on the last page.
    pub next_key: Option<Vec<u8>>,
}

/// Raw entries `(key, value)` of a page.
pub type KvPage = Page<(Vec<u8>, Vec<u8>)>;

/// Default and largest page sizes.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
pub const MAX_PAGE_LIMIT: u32 = 1000;
