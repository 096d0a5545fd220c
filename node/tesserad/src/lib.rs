#![doc = include_str!("../README.md")]

pub mod address;
pub mod ante;
pub mod app;
pub mod auth;
pub mod bank;
mod bounded_set;
mod checked_keys;
pub mod coin;
pub mod crypto;
pub mod error;
pub mod event;
pub mod exec;
pub mod fees;
pub mod gas;
pub mod metrics;
pub mod msg;
pub mod node;
pub mod server;
pub mod sigcache;
pub mod statesync;
pub mod tx;

pub use address::{Address, BECH32_PREFIX};
pub use ante::{ante, new_gas_meter, AnteOutcome, AnteParams, Mode, TxContext};
pub use coin::{Coin, Coins};
pub use error::TxError;
pub use event::Event;
pub use exec::{execute_bank_msg, run_tx, MsgResult, NoWasm, TxOutcome, WasmExecutor};
pub use gas::{GasConfig, GasMeter, GasMeteredState};
pub use msg::{Message, Msg, MsgSend};
pub use tx::Tx;

/// The base denom: 1 TSR = 10⁶ utsr.
pub const BASE_DENOM: &str = "utsr";
/// Chain-id of a dev chain (`tesserad start --dev`).
pub const DEV_CHAIN_ID: &str = "tessera-dev-1";
