//! Tessera's provider registry: who may bid in the market, with which attributes and GPUs, how
//! much they have bonded, what auditors vouch for, and how they have behaved.
//!
//! Module roles: `contract` dispatches, `state` holds storage, `error` the errors, `msg` the
//! messages; `provider` (registration), `bonding` (bond and unbonding), `auditors` (auditor set
//! and signatures), `reputation` (lease events and slashing) and `params` each handle one part
//! of the registry, `bond` is the pure bond arithmetic, `status_index` the providers by jail and bond, `query`
//! the read side.

pub mod auditors;
pub mod bond_math;
pub mod bonding;
pub mod contract;
pub mod error;
pub mod msg;
pub mod params;
pub mod pending;
pub mod provider;
pub mod query;
pub mod reputation;
pub mod state;
pub mod status_index;

pub use crate::error::ContractError;
