//! Types that every part of Tessera speaks: the execute, query and sudo messages of the
//! contracts, their responses, and the domain objects behind them (ids, resources, GPU offers,
//! attributes, prices, attestations).
//!
//! This crate has no chain dependencies beyond `cosmwasm-std` so the node, the provider daemon
//! and the CLI can all use the same definitions the contracts deserialize.

pub mod attributes;
pub mod denom;
pub mod error;
pub mod governance;
pub mod gpu;
pub mod ids;
pub mod market;
pub mod merkle;
pub mod migration;
pub mod pagination;
pub mod referee;
pub mod registry;
pub mod registry_storage;
pub mod sampling;
pub mod validation;

pub use attributes::{Attribute, PlacementRequirements, SignedBy};
pub use error::CommonError;
pub use gpu::{GpuModel, GpuOffer, GpuRequirement, GpuSpec, Resources};
pub use ids::{BidId, DeploymentId, LeaseId, OrderId};
pub use validation::ValidationError;
