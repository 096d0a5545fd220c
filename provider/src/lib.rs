//! The provider daemon's parts; `main.rs` is the `tessera-provider` command.
//!
//! `watcher` follows the chain and drives `bidder` (screening in `screening`, prices in
//! `pricing`, capacity in `capacity`) and `leases` (upkeep: withdrawals, releases) whose work
//! runs in `work` and is attested by `attestation`, its samples revealed by `reveal`; `api` serves the provider gRPC API; `txqueue` is the one way to the chain,
//! `store` what survives a crash, `metrics` what an operator watches, `config` the settings.

pub mod api;
pub mod attestation;
pub mod bidder;
pub mod capacity;
pub mod config;
pub mod daemon;
pub mod intake;
pub mod leases;
pub mod metrics;
pub mod pricing;
pub mod reveal;
pub mod screening;
pub mod store;
pub mod txqueue;
pub mod watcher;
pub mod work;
