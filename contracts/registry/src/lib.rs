//! Tessera's provider registry: who may bid in the market, with which attributes and GPUs, how
//! much they have bonded, what auditors vouch for, and how they have behaved.

pub mod bond;
pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

pub use crate::error::ContractError;
