//! The registry's messages live in `tessera-api`, shared with the market, node, provider and CLI.
//! Addresses arrive in them as strings; [`validate_addr`] is how every handler turns one into an
//! `Addr`, naming the message field in the error.

use cosmwasm_std::{Addr, Api};
pub use tessera_api::registry::{
    AuditorsResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, ProviderEvent, ProviderInfo,
    ProviderResponse, ProvidersResponse, QueryMsg, RegistryParams, RegistryParamsUpdate,
    Reputation, SignedAttributesResponse, UnbondingEntry, UnbondingResponse,
};
use tessera_api::ValidationError;

use crate::error::ContractError;

/// `addr_validate`, with the field named in the error.
pub fn validate_addr(api: &dyn Api, what: &str, addr: &str) -> Result<Addr, ContractError> {
    api.addr_validate(addr).map_err(|e| {
        // `&*e` is the underlying error: its message without `StdError`'s "kind: ..." wrapper.
        ValidationError::new(what, format!("{addr:?} is not a valid address: {}", &*e)).into()
    })
}
