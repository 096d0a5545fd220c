//! Storage of the registry. Unbonding entries, auditor signatures and a provider's standing
//! (reputation and jail) live apart from the provider record: deregistering drops the record
//! while the bond already on its way out stays claimable (and slashable), and the standing stays
//! so that leaving and registering again does not wipe a provider's history.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, StdResult, Storage, Uint128};
use cw_storage_plus::{Item, Map};
use tessera_api::attributes::Attribute;
use tessera_api::gpu::GpuSpec;
use tessera_api::registry::{ProviderInfo, RegistryParams, Reputation, UnbondingEntry};

use crate::error::ContractError;

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
    /// Block height of registration, so clients can tell long-standing providers from new ones.
    pub registered_at_height: u64,
}

/// How an address has behaved as a provider. Kept in [`STANDING`], outside the provider record,
/// and never removed: a slashed or badly-behaved provider that deregisters and registers again
/// gets its counters and its jail back instead of a clean slate.
#[cw_serde]
#[derive(Default)]
pub struct Standing {
    /// Counters the market feeds through `record`, and the number of slashes.
    pub reputation: Reputation,
    /// Set by a slash; cleared when bond added with `bond` or attached to `register` brings the
    /// bond back to `min_bond`. A jailed provider may not bid.
    pub jailed: bool,
}

/// Params, addresses already validated and stored in their canonical string form. The api type
/// is stored as is so the `params` query returns exactly what is in force.
pub const PARAMS: Item<RegistryParams> = Item::new("params");

/// Auditors the registry trusts now, in the order the authority gave them. At most
/// `MAX_AUDITORS`, so reading every auditor's signatures for a provider is bounded.
pub const AUDITORS: Item<Vec<Addr>> = Item::new("auditors");

/// Registered providers by address; the record goes away on deregistration (the standing in
/// [`STANDING`] does not).
pub const PROVIDERS: Map<&Addr, Provider> = Map::new("providers");

/// Reputation and jail by address, for every address that was ever recorded, slashed or
/// un-jailed; an address without an entry has the default (clean) standing. Survives
/// deregistration on purpose, see [`Standing`].
pub const STANDING: Map<&Addr, Standing> = Map::new("standing");

/// (attribute key, attribute value, provider) for every self-declared attribute, so that
/// `providers {attribute}` walks only the providers declaring it instead of all of them.
pub const ATTRIBUTE_INDEX: Map<(&str, &str, &Addr), Empty> = Map::new("attr_idx");

/// (provider, auditor) → attributes that auditor signed for that provider. Kept for auditors
/// who later leave the set (queries skip them, so they count again if the auditor is
/// re-appointed); removed with the provider on deregistration.
pub const SIGNED: Map<(&Addr, &Addr), Vec<Attribute>> = Map::new("signed");

/// Unbonding entries by address, outside the provider record so they survive deregistration and
/// stay claimable and slashable. At most `max_unbonding_entries` (+1 for the deregistration
/// entry), so claiming and slashing touch a bounded list.
pub const UNBONDING: Map<&Addr, Vec<UnbondingEntry>> = Map::new("unbonding");

/// The registration of `addr`, or `ProviderNotFound` naming it.
pub fn load_provider(storage: &dyn Storage, addr: &Addr) -> Result<Provider, ContractError> {
    PROVIDERS
        .may_load(storage, addr)?
        .ok_or_else(|| ContractError::ProviderNotFound {
            provider: addr.to_string(),
        })
}

/// The standing of `addr`; the default for an address never recorded nor slashed.
pub fn load_standing(storage: &dyn Storage, addr: &Addr) -> StdResult<Standing> {
    Ok(STANDING.may_load(storage, addr)?.unwrap_or_default())
}

/// The unbonding entries of `addr`; empty when it has none.
pub fn load_unbonding(storage: &dyn Storage, addr: &Addr) -> StdResult<Vec<UnbondingEntry>> {
    Ok(UNBONDING.may_load(storage, addr)?.unwrap_or_default())
}

/// Stores `entries`, or removes the key when there are none left.
pub fn save_unbonding(
    storage: &mut dyn Storage,
    addr: &Addr,
    entries: Vec<UnbondingEntry>,
) -> StdResult<()> {
    if entries.is_empty() {
        UNBONDING.remove(storage, addr);
        Ok(())
    } else {
        UNBONDING.save(storage, addr, &entries)
    }
}
