//! The read side: one `query_<variant>` function per query message.

use cosmwasm_std::{Addr, Coin, Deps, Order, StdResult, Storage};
use cw_storage_plus::Bound;
use tessera_api::attributes::{Attribute, AuditorAttributes};
use tessera_api::pagination::page_size;
use tessera_api::registry::{
    AuditorsResponse, ProviderResponse, ProvidersResponse, RegistryParams, Reputation,
    SignedAttributesResponse, UnbondingResponse,
};

use crate::bond_math;
use crate::error::ContractError;
use crate::msg::validate_addr;
use crate::state::{
    load_provider, load_standing, load_unbonding, Provider, Standing, ATTRIBUTE_INDEX, AUDITORS,
    PARAMS, PROVIDERS, SIGNED,
};
use crate::status_index::{self, STATUS_OF};

pub fn query_params(deps: Deps) -> Result<RegistryParams, ContractError> {
    Ok(PARAMS.load(deps.storage)?)
}

pub fn query_provider(deps: Deps, address: String) -> Result<ProviderResponse, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let auditors = AUDITORS.load(deps.storage)?;
    let addr = validate_addr(deps.api, "address", &address)?;
    let provider = load_provider(deps.storage, &addr)?;
    let standing = load_standing(deps.storage, &addr)?;
    provider_response(deps.storage, &params, &auditors, addr, provider, standing)
}

/// Providers by address, or only those declaring `attribute` (through its index); or, with
/// `active` and no `attribute`, through the status index, highest bond first, so that a page
/// reads only the providers it returns however many others there are. With both, the
/// attribute's providers are filtered on `active` as they are read.
///
/// `active` is not stored: it depends on the current `min_bond`, which governance may change,
/// so the status index keys on bond and jail and the query turns `min_bond` into a range.
pub fn query_providers(
    deps: Deps,
    active: Option<bool>,
    attribute: Option<Attribute>,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<ProvidersResponse, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let auditors = AUDITORS.load(deps.storage)?;
    let limit = page_size(limit);
    let start = start_after
        .map(|a| validate_addr(deps.api, "start_after", &a))
        .transpose()?;
    let storage = deps.storage;

    let addrs = match (active, &attribute) {
        (Some(want_active), None) => status_page(storage, &params, want_active, start, limit)?,
        _ => {
            let start = start.as_ref().map(Bound::exclusive);
            let candidates: Box<dyn Iterator<Item = StdResult<Addr>>> = match &attribute {
                Some(attr) => Box::new(
                    ATTRIBUTE_INDEX
                        .prefix((attr.key.as_str(), attr.value.as_str()))
                        .keys(storage, start, None, Order::Ascending),
                ),
                None => Box::new(PROVIDERS.keys(storage, start, None, Order::Ascending)),
            };
            let mut addrs = Vec::with_capacity(limit);
            for addr in candidates {
                let addr = addr?;
                if let Some(want) = active {
                    let provider = PROVIDERS.load(storage, &addr)?;
                    let standing = load_standing(storage, &addr)?;
                    if provider.is_active(&params, &standing) != want {
                        continue;
                    }
                }
                addrs.push(addr);
                if addrs.len() == limit {
                    break;
                }
            }
            addrs
        }
    };

    let mut providers = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let provider = PROVIDERS.load(storage, &addr)?;
        let standing = load_standing(storage, &addr)?;
        providers.push(provider_response(
            storage, &params, &auditors, addr, provider, standing,
        )?);
    }
    Ok(ProvidersResponse { providers })
}

/// A page of the status index. `start_after` must still be registered: its current bond and
/// jail are its position in the index.
fn status_page(
    storage: &dyn Storage,
    params: &RegistryParams,
    want_active: bool,
    start_after: Option<Addr>,
    limit: usize,
) -> Result<Vec<Addr>, ContractError> {
    let cursor = match &start_after {
        Some(addr) => Some((
            STATUS_OF
                .may_load(storage, addr)?
                .ok_or_else(|| ContractError::ProviderNotFound {
                    provider: addr.to_string(),
                })?,
            addr,
        )),
        None => None,
    };
    let min_bond = params.min_bond.u128();
    Ok(if want_active {
        status_index::active_page(storage, min_bond, cursor, limit)?
    } else {
        status_index::inactive_page(storage, min_bond, cursor, limit)?
    })
}

pub fn query_auditors(deps: Deps) -> Result<AuditorsResponse, ContractError> {
    let auditors = AUDITORS.load(deps.storage)?;
    Ok(AuditorsResponse {
        auditors: auditors.into_iter().map(Addr::into_string).collect(),
    })
}

/// Signatures by current auditors; empty for an address that is not registered.
pub fn query_signed_attributes(
    deps: Deps,
    provider: String,
) -> Result<SignedAttributesResponse, ContractError> {
    let auditors = AUDITORS.load(deps.storage)?;
    let addr = validate_addr(deps.api, "provider", &provider)?;
    Ok(SignedAttributesResponse {
        signed: signed_by_current(deps.storage, &auditors, &addr)?,
        provider: addr.into_string(),
    })
}

/// The reputation of a registered provider. A deregistered one's is kept (it comes back if the
/// provider registers again) but not served: the market asks only about providers that may bid.
pub fn query_reputation(deps: Deps, provider: String) -> Result<Reputation, ContractError> {
    let addr = validate_addr(deps.api, "provider", &provider)?;
    load_provider(deps.storage, &addr)?;
    Ok(load_standing(deps.storage, &addr)?.reputation)
}

/// Entries still to be claimed; empty when there are none, registered or not (a deregistered
/// provider keeps its entries).
pub fn query_unbonding(deps: Deps, provider: String) -> Result<UnbondingResponse, ContractError> {
    let addr = validate_addr(deps.api, "provider", &provider)?;
    Ok(UnbondingResponse {
        entries: load_unbonding(deps.storage, &addr)?,
        provider: addr.into_string(),
    })
}

fn provider_response(
    storage: &dyn Storage,
    params: &RegistryParams,
    auditors: &[Addr],
    addr: Addr,
    provider: Provider,
    standing: Standing,
) -> Result<ProviderResponse, ContractError> {
    let entries = load_unbonding(storage, &addr)?;
    Ok(ProviderResponse {
        signed: signed_by_current(storage, auditors, &addr)?,
        unbonding: bond_math::total(&entries)?,
        active: provider.is_active(params, &standing),
        bond: Coin::new(provider.bond, &params.bond_denom),
        address: addr.into_string(),
        host_uri: provider.host_uri,
        tls_fingerprint: provider.tls_fingerprint,
        attributes: provider.attributes,
        gpus: provider.gpus,
        info: provider.info,
        jailed: standing.jailed,
        reputation: standing.reputation,
        registered_at_height: provider.registered_at_height,
    })
}

/// What each auditor of the current set signed for `provider`, in the set's order; one read
/// per auditor, at most `MAX_AUDITORS`.
fn signed_by_current(
    storage: &dyn Storage,
    auditors: &[Addr],
    provider: &Addr,
) -> Result<Vec<AuditorAttributes>, ContractError> {
    let mut signed = Vec::new();
    for auditor in auditors {
        if let Some(attributes) = SIGNED.may_load(storage, (provider, auditor))? {
            signed.push(AuditorAttributes {
                auditor: auditor.to_string(),
                attributes,
            });
        }
    }
    Ok(signed)
}
