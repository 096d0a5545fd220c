//! Tessera's market: deployments post orders, providers bid in a reverse auction, winners run
//! leases paid by the second from escrow, and attest their usage on chain.
//!
//! Module roles: `contract` dispatches, `state` holds storage, `error` the errors; each of
//! `deployment`, `auction`, `lease`, `attestation`, `end_block` and `params` handles one
//! part of the market, `deployment_store` loads and saves deployments (shared by those parts),
//! `escrow` is the pure money arithmetic, `query` the read side.

pub mod attestation;
pub mod auction;
pub mod contract;
pub mod deployment;
pub mod deployment_store;
pub mod effects;
pub mod end_block;
pub mod error;
pub mod escrow;
pub mod fraud;
pub mod holdback;
pub mod item_tx;
pub mod lease;
pub mod params;
pub mod query;
pub mod receipt;
pub mod registry;
pub mod sample;
pub mod state;
pub mod transfers;

pub use crate::error::ContractError;
