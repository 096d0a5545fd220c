//! The registry's messages live in `tessera-api`, shared with the market, node, provider and CLI.

pub use tessera_api::registry::{
    AuditorsResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, ProviderEvent, ProviderInfo,
    ProviderResponse, ProvidersResponse, QueryMsg, RegistryParams, RegistryParamsUpdate,
    Reputation, SignedAttributesResponse, UnbondingEntry, UnbondingResponse,
};
