//! Tessera's CosmWasm host: the wasm module of `tesserad`, doing what wasmd does for a Cosmos SDK
//! chain, in Rust, on `cosmwasm-vm` (singlepass).
//!
//! The app decodes `cosmwasm.wasm.v1` messages into the `Msg*` structs here and calls
//! [`WasmHost`] with a [`CallEnv`]: the block's shared overlay, block/tx info and an SDK
//! [`GasMeter`]. The host
//!
//! - checks, compiles and stores codes; instantiates contracts at wasmd's addresses;
//! - executes, migrates and sudo-calls them, dispatching their bank and wasm messages with
//!   submessage/reply semantics, each failure reverting exactly its own writes;
//! - answers contract-to-contract and gRPC queries;
//! - emits wasmd-shaped events and reports errors with wasmd's codespace/code;
//! - meters gas as wasmd does (VM gas ÷ 140 000 plus SDK KV costs and per-call costs).
//!
//! Balances belong to the app: it implements [`Bank`].
//!
//! Modules: [`config`] (limits, gas schedule, capabilities), [`error`], [`gas`] (meter and
//! metered state), [`bank`], [`testing`] (a bank in state for tests and benches), [`address`] (bech32 and address derivation), [`keys`] (state
//! layout), [`types`], and the internals: `exec` (running one entry point), `keeper` (the
//! operations), `dispatch` (responses, submessages, replies), `querier`, `storage`, `events`,
//! `records`, `proto`, `host`.

pub mod address;
pub mod bank;
pub mod config;
pub mod error;
pub mod gas;
pub mod keys;
pub mod pinning;
pub mod testing;
pub mod types;

mod dispatch;
mod events;
mod exec;
mod host;
mod keeper;
mod proto;
mod querier;
mod records;
mod storage;

pub use bank::{Bank, BankError};
pub use config::{GasCosts, KvGasCosts, VmConfig, CAPABILITIES, GAS_MULTIPLIER};
pub use cosmwasm_std::{Binary, Checksum, Coin, Event, MsgResponse, Timestamp};
pub use error::WasmError;
pub use gas::GasMeter;
pub use host::WasmHost;
pub use types::{
    lock_state, AbsoluteTxPosition, AccessConfig, BlockEnv, CallEnv, CodeInfo, ContractInfo,
    ExecuteResponse, InstantiateResponse, KvPage, MsgClearAdmin, MsgExecuteContract,
    MsgInstantiateContract, MsgInstantiateContract2, MsgMigrateContract, MsgStoreCode,
    MsgUpdateAdmin, Page, PageRequest, SeenCodes, SharedState, StoreCodeResponse, TxEnv,
    TxMsgResult, WasmTxMsg,
};
