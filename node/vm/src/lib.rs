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
//! Which file holds what, from the bottom up (each uses only files above it;
//! `scripts/check-module-graph.sh node/vm/src` checks that no two use each other):
//!
//! | file | holds |
//! |---|---|
//! | `keys`, `proto`, `config`, `address`, `block_hashes` | the state layout, the few protobufs the module writes, limits and gas schedule, bech32 and address derivation, the block-hash keys and query the app writes and contracts read |
//! | `error` | [`WasmError`] with wasmd's codespace/code, and [`BankError`] |
//! | `gas`, `types`, `records`, `events` | the SDK gas meter and metered state, the messages and envelopes, reading and writing code/contract records, wasmd's event shapes |
//! | `bank`, `testing` | the [`Bank`] the app implements; a bank in state for tests and benches |
//! | `address_gen`, `dispatched` | how a new contract's address is chosen; what a handled response leaves (events, data) |
//! | `storage`, `querier` | the VM's view of a contract's storage, and its querier: each query metered, then handed to a `QueryHandler` |
//! | `runtime` | what every call shares: the module cache, config, address API, bank, codes on disk |
//! | `exec` | `Exec`: running one entry point of one contract under a gas meter |
//! | `query_handler` | the answers to a contract's queries (bank, wasm smart/raw/range/info): `Exec` as the `QueryHandler` |
//! | `keeper`, `dispatch`, `pinning` | the operations (store, instantiate, execute, migrate, sudo, admin); a response's messages, submessages and replies; governance's pin and unpin |
//! | `host` | [`WasmHost`], the app's entry points |
//!
//! The recursion of nested queries without an import loop: a contract's query can run another
//! contract (a smart query), while `exec` hands every instance a querier (and the runtime's
//! cache is typed by it). So `querier` defines the `QueryHandler` trait and holds a boxed one;
//! `query_handler`, above `exec`, implements it for `Exec`, and `exec` boxes itself into each
//! instance's querier without naming the file that answers. wasmd has the same recursion
//! through its keeper.

pub mod address;
pub mod bank;
pub mod block_hashes;
pub mod config;
pub mod error;
pub mod gas;
pub mod keys;
pub mod pinning;
pub mod testing;
pub mod types;

mod address_gen;
mod dispatch;
mod dispatched;
mod events;
mod exec;
mod host;
mod keeper;
mod proto;
mod querier;
mod query_handler;
mod records;
mod runtime;
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
