//! Storage of the registry. Unbonding entries and auditor signatures live apart from the
//! provider record so that deregistering can drop the record while the bond already on its way
//! out stays claimable.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, Uint128};
use cw_storage_plus::{Item, Map};
use tessera_api::attributes::Attribute;
use tessera_api::gpu::GpuSpec;
use tessera_api::registry::{ProviderInfo, RegistryParams, Reputation, UnbondingEntry};

/// A registered provider.
#[cw_serde]
pub struct Provider {
    /// The provider's gRPC endpoint, where tenants send manifests.
    pub host_uri: String,
    /// Self-declared attributes (each key once); mirrored in [`ATTRIBUTE_INDEX`].
    pub attributes: Vec<Attribute>,
    /// The GPUs the provider says it has; the market checks offers against them.
    pub gpus: Vec<GpuSpec>,
    pub info: ProviderInfo,
    /// Bonded amount of `params.bond_denom`; slashable, and `>= min_bond` is needed to bid.
    pub bond: Uint128,
    /// Set by a slash; cleared by a `bond` that brings the bond back to `min_bond`. A jailed
    /// provider may not bid.
    pub jailed: bool,
    /// Counters the market feeds through `record`, and the number of slashes.
    pub reputation: Reputation,
    /// Block height of registration, so clients can tell long-standing providers from new ones.
    pub registered_at_height: u64,
}

/// Params, addresses already validated and stored in their canonical string form. The api type
/// is stored as is so the `params` query returns exactly what is in force.
pub const PARAMS: Item<RegistryParams> = Item::new("params");

/// Auditors the registry trusts now, in the order the authority gave them. At most
/// `MAX_AUDITORS`, so reading every auditor's signatures for a provider is bounded.
pub const AUDITORS: Item<Vec<Addr>> = Item::new("auditors");

/// Registered providers by address; the record goes away on deregistration.
pub const PROVIDERS: Map<&Addr, Provider> = Map::new("providers");

/// (attribute key, attribute value, provider) for every self-declared attribute, so that
/// `providers {attribute}` walks only the providers declaring it instead of all of them.
pub const ATTRIBUTE_INDEX: Map<(&str, &str, &Addr), Empty> = Map::new("attr_idx");

/// (provider, auditor) → attributes that auditor signed for that provider. Kept for auditors
/// who later leave the set (queries skip them, so they count again if the auditor is
/// re-appointed); removed with the provider on deregistration.
pub const SIGNED: Map<(&Addr, &Addr), Vec<Attribute>> = Map::new("signed");

/// Unbonding entries by address, outside the provider record so they survive deregistration and
/// stay claimable. At most `max_unbonding_entries` (+1 for the deregistration entry), so claiming
/// and slashing touch a bounded list.
pub const UNBONDING: Map<&Addr, Vec<UnbondingEntry>> = Map::new("unbonding");
