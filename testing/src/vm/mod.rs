//! The CosmWasm host alone (no consensus, no signatures) with the real contracts: the VM's own
//! suites and its benchmark.

mod chain;
mod stack;

pub use chain::{addr, attrs, event, utsr, Chain, GAS};
pub use stack::Tessera;
