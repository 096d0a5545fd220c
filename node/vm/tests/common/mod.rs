//! A chain in a box for the host's tests: the host over an in-memory state with the real
//! contracts (from `tessera-testing`), and the scriptable echo contract of these tests.

// Each test binary uses a part of these helpers and re-exports.
#![allow(dead_code, unused_imports)]

pub mod echo;

pub use tessera_testing::vm::*;
pub use tessera_testing::workspace::{root, wasm};
pub use tessera_testing::{
    gpu_group, h100, market_params, offer, registry_params, BID_DEPOSIT, DENOM, MANIFEST, MIN_BOND,
    TSR,
};
