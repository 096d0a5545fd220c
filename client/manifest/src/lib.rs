//! Tessera deployment manifests (DESIGN §5): the YAML a tenant writes to ask the market for GPU
//! compute, and that the winning provider runs.
//!
//! - [`Manifest::parse`] / [`Manifest::from_file`] read and check a manifest, reporting every
//!   problem as `file:line:column: field.path: message` ([`ManifestErrors`]).
//! - [`Manifest::plan`] gives the market's deployment groups ([`DeploymentPlan`]), already
//!   validated with the contract's own rules.
//! - [`Manifest::hash_hex`] is the sha256 of the canonical JSON ([`Manifest::canonical_json`]),
//!   the `manifest_hash` stored on chain; providers check it with [`Manifest::verify_hash`].
//!
//! The format, its rules and the canonical form are specified in `docs/manifest.md`.

mod canonical;
mod check;
mod error;
pub mod limits;
mod manifest;
mod model;
mod path;
mod plan;
mod schema;
mod units;
mod walk;
mod yaml;

pub use error::{HashMismatch, ManifestError, ManifestErrors};
pub use manifest::Manifest;
pub use model::{DeploymentEntry, DeploymentPlan, Input, Placement, Price, PriceUnit, Service};
pub use plan::group_name;

#[cfg(test)]
mod tests;
