//! Storage of the registry. Unbonding entries, auditor signatures and a provider's standing
//! (reputation and jail) live apart from the provider record: deregistering drops the record
//! while the bond already on its way out stays claimable (and slashable), and the standing stays
//! so that leaving and registering again does not wipe a provider's history.

use cosmwasm_std::{Addr, Empty, StdResult, Storage};
use cw_storage_plus::Map;
use tessera_api::registry::UnbondingEntry;

use crate::error::ContractError;

pub use tessera_api::registry_storage::{
    Provider, Standing, AUDITORS, PARAMS, PROVIDERS, SIGNED, STANDING,
};

/// (attribute key, attribute value, provider) for every self-declared attribute, so that
/// `providers {attribute}` walks only the providers declaring it instead of all of them.
pub const ATTRIBUTE_INDEX: Map<(&str, &str, &Addr), Empty> = Map::new("attr_idx");

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
