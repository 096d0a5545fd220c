//! The parsed, normalized manifest: units resolved to integers, defaults filled in. This is
//! what the canonical JSON (and so the hash) is made of.

use std::collections::BTreeMap;

use cosmwasm_std::Uint128;
use serde::Serialize;
use tessera_api::attributes::SignedBy;
use tessera_api::market::GroupSpec;

/// One service: a kernel from the provider's catalog, what to pass it, and how its work splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub kernel: String,
    /// Always a JSON object (empty when the manifest has no `params`). Holds no floats.
    pub params: serde_json::Value,
    pub inputs: Vec<Input>,
    /// Independently verifiable units the job splits into (1 when not given).
    pub work_units: u64,
}

/// A content-addressed input file the kernel reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// File name the kernel sees (no directories).
    pub name: String,
    /// sha256 of the content, 64 lowercase hex characters.
    pub sha256: String,
    /// Where the provider may fetch it; otherwise the tenant sends it with the manifest.
    pub url: Option<String>,
    /// Size in bytes, when the tenant states it.
    pub size: Option<u64>,
}

/// Where a group may run, who must vouch for it, and what the tenant pays per compute profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// Provider attributes required, by key.
    pub attributes: BTreeMap<String, String>,
    pub signed_by: SignedBy,
    /// Price per instance, by compute profile name.
    pub pricing: BTreeMap<String, Price>,
}

/// The most the tenant pays for one instance of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub denom: String,
    /// In base units of `denom`.
    pub amount: Uint128,
    pub per: PriceUnit,
}

/// The period a price is quoted for. The market settles per hour, so that is the only one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PriceUnit {
    #[default]
    Hour,
}

impl PriceUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceUnit::Hour => "hour",
        }
    }
}

/// One `deployment.<service>.<placement>` entry: which profile, how many instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentEntry {
    pub profile: String,
    pub count: u32,
}

/// What the manifest asks the market for: one group per (service, placement) entry, sorted by
/// service then placement, each named `<service>.<placement>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentPlan {
    /// The one denom every price is in; the deployment's deposit must be in it too.
    pub denom: String,
    pub groups: Vec<GroupSpec>,
    /// Sum of the groups' `max_price`: the most the deployment can cost per hour.
    pub max_price_per_hour: Uint128,
}
