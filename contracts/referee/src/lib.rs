//! The referee contract: decides a dispute over one leaf of an attestation by recomputing the
//! leaf with the kernels' CPU references, compiled in, in the dispute's own transaction.
//! Messages: `tessera_api::referee`; the protocol: docs/verification.md.

pub mod contract;
pub mod demand;
pub mod dispute;
pub mod error;
pub mod job;
pub mod market;
pub mod reveal;
pub mod secret;
pub mod staging;
pub mod state;

pub use crate::error::ContractError;
