//! Tessera's shared test fixtures, in one place so that every suite starts from the same world.
//!
//! | module | holds | feature |
//! |---|---|---|
//! | [`amounts`] | the denom, TSR, bonds, deposits, genesis time, the test hashes | — |
//! | [`hardware`] | GPUs (H100, A100), deployment groups, bid offers | — |
//! | [`messages`] | messages every suite sends the same way (a provider's registration) | — |
//! | [`params`] | each contract's params at the DESIGN §4.4 defaults | — |
//! | [`workspace`] | the checkout's root and the built contracts in `artifacts/` | — |
//! | `multi_test` | the contracts in cw-multi-test: wrappers, the stack, a ledger that proves conservation, error text | `multi-test` |
//! | `vm` | the CosmWasm host alone on an in-memory state, and the registry and market deployed on it | `vm` |
//! | `node` | wallets, signed txs, a genesis state, and the whole app behind a mock consensus | `node` |
//!
//! Suites keep only what is theirs (a market `Suite`'s story steps, the VM's scriptable echo
//! contract) in their own `tests/common`.

pub mod amounts;
pub mod hardware;
pub mod messages;
pub mod params;
pub mod workspace;

#[cfg(feature = "multi-test")]
pub mod multi_test;
#[cfg(feature = "node")]
pub mod node;
#[cfg(feature = "vm")]
pub mod vm;

pub use amounts::*;
pub use hardware::{a100, gpu_group, h100, offer};
pub use messages::register_msg;
pub use params::{governance_params, market_params, registry_params};
