//! Tessera's governance: voters stake for power, propose and vote on changes to the market's
//! and registry's parameters, auditors and the community pool, and passed proposals execute as
//! messages to those contracts, whose params authority this contract is.
//!
//! Module roles: `contract` dispatches, `state` holds storage, `error` the errors; `staking`,
//! `proposal` and `actions` handle their part; `tally` decides outcomes (pure); `params`
//! validates; `query` is the read side.

pub mod actions;
pub mod contract;
pub mod error;
pub mod params;
pub mod pins;
pub mod proposal;
pub mod query;
pub mod staking;
pub mod state;
pub mod tally;

pub use crate::error::ContractError;
