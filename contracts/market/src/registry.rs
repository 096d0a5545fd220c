//! Reading the provider registry: who a bidder is, what it declared, who vouches for it.

use cosmwasm_std::{Addr, QuerierWrapper};
use tessera_api::registry::{ProviderResponse, QueryMsg as RegistryQueryMsg};

use crate::error::ContractError;

/// The registry's record of `provider`; an error that says so when it is not registered.
pub fn query_provider(
    querier: &QuerierWrapper,
    registry: &str,
    provider: &Addr,
) -> Result<ProviderResponse, ContractError> {
    querier
        .query_wasm_smart(
            registry,
            &RegistryQueryMsg::Provider {
                address: provider.to_string(),
            },
        )
        .map_err(|_| ContractError::ProviderNotRegistered {
            provider: provider.to_string(),
        })
}
