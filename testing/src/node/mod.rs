//! The node's suites: wallets, signed txs, a genesis state to run single txs on, and the whole
//! app behind a mock consensus.

pub mod chain;
pub mod state;
pub mod tx;
pub mod wallet;

pub use crate::amounts::{CHAIN_ID, DENOM};
pub use state::*;
pub use tx::*;
pub use wallet::*;
