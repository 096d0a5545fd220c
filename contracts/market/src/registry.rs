//! Reading the provider registry: who a bidder is, what it declared, who vouches for it.
//!
//! Through raw queries of the storage the registry publishes (`tessera_api::registry_storage`):
//! a few key reads, where a smart query would start a second contract instance for every bid
//! (about a third of `place_bid`'s time and 60,000 of its gas).

use cosmwasm_std::{Addr, QuerierWrapper, StdResult};
use tessera_api::attributes::{AuditorAttributes, SignedBy};
use tessera_api::registry_storage::{
    Provider, Standing, AUDITORS, PARAMS, PROVIDERS, SIGNED, STANDING,
};

use crate::error::ContractError;

/// A registered provider as the market sees it when it bids.
pub struct Bidder {
    pub record: Provider,
    pub standing: Standing,
    /// Bonded enough under the registry's current params, and not jailed.
    pub active: bool,
}

/// The registry's record of `provider`; an error that says so when it is not registered.
pub fn load_bidder(
    querier: &QuerierWrapper,
    registry: &str,
    provider: &Addr,
) -> Result<Bidder, ContractError> {
    let registry = Addr::unchecked(registry);
    let not_registered = || ContractError::ProviderNotRegistered {
        provider: provider.to_string(),
    };
    let record = PROVIDERS
        .query(querier, registry.clone(), provider)
        .map_err(|_| not_registered())?
        .ok_or_else(not_registered)?;
    let standing = STANDING
        .query(querier, registry.clone(), provider)?
        .unwrap_or_default();
    let params = PARAMS.query(querier, registry)?;
    let active = record.is_active(&params, &standing);
    Ok(Bidder {
        record,
        standing,
        active,
    })
}

/// What the auditors named in `signed_by` signed for `provider`, counting only auditors the
/// registry trusts now (as its own `signed_attributes` query does). Reads nothing when the
/// order names no auditor.
pub fn signed_attributes(
    querier: &QuerierWrapper,
    registry: &str,
    provider: &Addr,
    signed_by: &SignedBy,
) -> StdResult<Vec<AuditorAttributes>> {
    let named: Vec<&String> = signed_by.all_of.iter().chain(&signed_by.any_of).collect();
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let registry = Addr::unchecked(registry);
    let trusted = AUDITORS.query(querier, registry.clone())?;
    let mut signed = Vec::new();
    for auditor in trusted.iter().filter(|a| named.contains(&&a.to_string())) {
        if let Some(attributes) = SIGNED.query(querier, registry.clone(), (provider, auditor))? {
            signed.push(AuditorAttributes {
                auditor: auditor.to_string(),
                attributes,
            });
        }
    }
    Ok(signed)
}
