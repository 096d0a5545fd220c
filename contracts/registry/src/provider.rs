//! A provider's registration: `register`, `update` and `deregister`, and the attribute index
//! that `providers {attribute}` walks.
//!
//! Deregistering drops the record, its attribute index entries and the signatures auditors gave
//! it; the bond leaves through unbonding, and the standing (reputation and jail, in
//! [`STANDING`](crate::state::STANDING)) stays. Registering again therefore brings the old
//! counters and jail back. Funds attached to `register` are a bond like any other: if they
//! reach `min_bond` they lift a jail, exactly as `bond {}` would for a provider that never left.

use cosmwasm_std::{Addr, DepsMut, Empty, Env, MessageInfo, Order, Response, StdResult, Storage};
use tessera_api::attributes::Attribute;
use tessera_api::gpu::GpuSpec;
use tessera_api::registry::{validate_registration, ProviderInfo};

use crate::bonding::{to_u128, unbond_on_deregister, unjail_if_bonded};
use crate::error::ContractError;
use crate::pending::ensure_no_payments_pending;
use crate::state::{
    load_provider, load_standing, Provider, ATTRIBUTE_INDEX, PARAMS, PROVIDERS, SIGNED,
};
use crate::status_index::reindex;

/// The fields of `register`.
pub struct Registration {
    pub host_uri: String,
    pub tls_fingerprint: Option<String>,
    pub attributes: Vec<Attribute>,
    pub gpus: Vec<GpuSpec>,
    pub info: ProviderInfo,
}

/// The fields of `update`: `None` keeps the registered value.
pub struct RegistrationUpdate {
    pub host_uri: Option<String>,
    pub tls_fingerprint: Option<String>,
    pub attributes: Option<Vec<Attribute>>,
    pub gpus: Option<Vec<GpuSpec>>,
    pub info: Option<ProviderInfo>,
}

pub fn execute_register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    registration: Registration,
) -> Result<Response, ContractError> {
    let Registration {
        host_uri,
        tls_fingerprint,
        attributes,
        gpus,
        info: provider_info,
    } = registration;
    let params = PARAMS.load(deps.storage)?;
    validate_registration(
        &host_uri,
        tls_fingerprint.as_deref(),
        &attributes,
        &gpus,
        &provider_info,
    )?;
    if PROVIDERS.has(deps.storage, &info.sender) {
        return Err(ContractError::AlreadyRegistered {
            provider: info.sender.to_string(),
        });
    }
    let bond = to_u128(cw_utils::may_pay(&info, &params.bond_denom)?)?;
    index_attributes(deps.storage, &info.sender, &attributes)?;
    let provider = Provider {
        host_uri,
        tls_fingerprint,
        attributes,
        gpus,
        info: provider_info,
        bond,
        registered_at_height: env.block.height,
    };
    PROVIDERS.save(deps.storage, &info.sender, &provider)?;
    let mut standing = load_standing(deps.storage, &info.sender)?;
    let unjailed = unjail_if_bonded(deps.storage, &params, &info.sender, bond, &mut standing)?;
    reindex(deps.storage, &info.sender)?;
    Ok(Response::new()
        .add_attribute("action", "register")
        .add_attribute("provider", &info.sender)
        .add_attribute("host_uri", &provider.host_uri)
        .add_attribute("tls_fingerprint", fingerprint_attribute(&provider))
        .add_attribute("bond", bond.to_string())
        .add_attribute("jailed", standing.jailed.to_string())
        .add_attribute("unjailed", unjailed.to_string())
        .add_attribute("active", provider.is_active(&params, &standing).to_string()))
}

pub fn execute_update(
    deps: DepsMut,
    info: MessageInfo,
    update: RegistrationUpdate,
) -> Result<Response, ContractError> {
    let RegistrationUpdate {
        host_uri,
        tls_fingerprint,
        attributes,
        gpus,
        info: provider_info,
    } = update;
    cw_utils::nonpayable(&info)?;
    let mut provider = load_provider(deps.storage, &info.sender)?;
    let old_attributes = provider.attributes.clone();
    if let Some(host_uri) = host_uri {
        provider.host_uri = host_uri;
    }
    if let Some(tls_fingerprint) = tls_fingerprint {
        provider.tls_fingerprint = Some(tls_fingerprint);
    }
    let attributes_changed = attributes.is_some();
    if let Some(attributes) = attributes {
        provider.attributes = attributes;
    }
    if let Some(gpus) = gpus {
        provider.gpus = gpus;
    }
    if let Some(provider_info) = provider_info {
        provider.info = provider_info;
    }
    validate_registration(
        &provider.host_uri,
        provider.tls_fingerprint.as_deref(),
        &provider.attributes,
        &provider.gpus,
        &provider.info,
    )?;
    if attributes_changed {
        unindex_attributes(deps.storage, &info.sender, &old_attributes);
        index_attributes(deps.storage, &info.sender, &provider.attributes)?;
    }
    PROVIDERS.save(deps.storage, &info.sender, &provider)?;
    Ok(Response::new()
        .add_attribute("action", "update")
        .add_attribute("provider", &info.sender)
        .add_attribute("host_uri", &provider.host_uri)
        .add_attribute("tls_fingerprint", fingerprint_attribute(&provider)))
}

/// The registered fingerprint as an event attribute value; empty when there is none (an event
/// attribute cannot be absent in one event and present in another without clients guessing).
fn fingerprint_attribute(provider: &Provider) -> &str {
    provider.tls_fingerprint.as_deref().unwrap_or("")
}

/// Refused while leases are active. The standing is left in place on purpose (see the module
/// docs).
pub fn execute_deregister(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let provider = load_provider(deps.storage, &info.sender)?;
    let active_leases = load_standing(deps.storage, &info.sender)?
        .reputation
        .active_leases;
    if active_leases > 0 {
        return Err(ContractError::ActiveLeases {
            provider: info.sender.to_string(),
            active: active_leases,
        });
    }
    ensure_no_payments_pending(deps.as_ref(), &params, &info.sender, "deregister")?;
    let mut response = Response::new()
        .add_attribute("action", "deregister")
        .add_attribute("provider", &info.sender)
        .add_attribute("unbonding", provider.bond.to_string());
    if !provider.bond.is_zero() {
        let release_at =
            unbond_on_deregister(deps.storage, &env, &params, &info.sender, provider.bond)?;
        response = response.add_attribute("release_at", release_at.to_string());
    }
    unindex_attributes(deps.storage, &info.sender, &provider.attributes);
    let signers = SIGNED
        .prefix(&info.sender)
        .keys(deps.storage, None, None, Order::Ascending)
        .collect::<StdResult<Vec<Addr>>>()?;
    for auditor in &signers {
        SIGNED.remove(deps.storage, (&info.sender, auditor));
    }
    PROVIDERS.remove(deps.storage, &info.sender);
    reindex(deps.storage, &info.sender)?;
    Ok(response)
}

/// Adds `provider` under each of its attributes in [`ATTRIBUTE_INDEX`].
pub fn index_attributes(
    storage: &mut dyn Storage,
    provider: &Addr,
    attributes: &[Attribute],
) -> StdResult<()> {
    for attr in attributes {
        ATTRIBUTE_INDEX.save(
            storage,
            (attr.key.as_str(), attr.value.as_str(), provider),
            &Empty {},
        )?;
    }
    Ok(())
}

/// Removes `provider` from under each of `attributes` (those it declared until now).
pub fn unindex_attributes(storage: &mut dyn Storage, provider: &Addr, attributes: &[Attribute]) {
    for attr in attributes {
        ATTRIBUTE_INDEX.remove(storage, (attr.key.as_str(), attr.value.as_str(), provider));
    }
}
