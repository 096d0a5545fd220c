//! Entry points of the registry. `execute` and `query` only dispatch; each message has its own
//! `execute_<variant>` / `query_<variant>` function.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Addr, Api, BankMsg, Binary, Coin, Deps, DepsMut, Empty, Env, MessageInfo,
    Order, OverflowError, OverflowOperation, Response, StdResult, Storage, Uint128, Uint256,
};
use cw2::{ensure_from_older_version, set_contract_version};
use cw_storage_plus::Bound;
use tessera_api::attributes::{validate_attributes, Attribute, AuditorAttributes, MAX_ATTRIBUTES};
use tessera_api::gpu::GpuSpec;
use tessera_api::market::validate_denom;
use tessera_api::pagination::page_size;
use tessera_api::registry::{
    validate_registration, AuditorsResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, ProviderEvent,
    ProviderInfo, ProviderResponse, ProvidersResponse, QueryMsg, RegistryParams,
    RegistryParamsUpdate, Reputation, SignedAttributesResponse, UnbondingEntry, UnbondingResponse,
    MAX_AUDITORS,
};
use tessera_api::validation::{check_text, MAX_TEXT_LEN};
use tessera_api::ValidationError;

use crate::bond;
use crate::error::ContractError;
use crate::state::{Provider, ATTRIBUTE_INDEX, AUDITORS, PARAMS, PROVIDERS, SIGNED, UNBONDING};

pub const CONTRACT_NAME: &str = concat!("crates.io:", env!("CARGO_PKG_NAME"));
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Highest accepted `max_unbonding_entries`: the list is read and rewritten whole on every
/// unbond, claim and slash, so it must stay short.
pub const MAX_UNBONDING_ENTRIES_LIMIT: u32 = 100;

const AUTHORITY: &str = "the authority";
const MARKET: &str = "the market";
const MARKET_OR_AUTHORITY: &str = "the market or the authority";
const AUDITOR: &str = "a current auditor";

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = validate_params(deps.api, msg.params)?;
    let auditors = validate_auditors(deps.api, &msg.auditors)?;
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    PARAMS.save(deps.storage, &params)?;
    AUDITORS.save(deps.storage, &auditors)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("authority", &params.authority)
        .add_attribute("market", params.market.as_deref().unwrap_or(""))
        .add_attribute("bond_denom", &params.bond_denom)
        .add_attribute("auditors", auditors.len().to_string()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Register {
            host_uri,
            attributes,
            gpus,
            info: provider_info,
        } => execute_register(deps, env, info, host_uri, attributes, gpus, provider_info),
        ExecuteMsg::Update {
            host_uri,
            attributes,
            gpus,
            info: provider_info,
        } => execute_update(deps, info, host_uri, attributes, gpus, provider_info),
        ExecuteMsg::Bond {} => execute_bond(deps, info),
        ExecuteMsg::Unbond { amount } => execute_unbond(deps, env, info, amount),
        ExecuteMsg::ClaimUnbonded {} => execute_claim_unbonded(deps, env, info),
        ExecuteMsg::Deregister {} => execute_deregister(deps, env, info),
        ExecuteMsg::SignAttributes {
            provider,
            attributes,
        } => execute_sign_attributes(deps, info, provider, attributes),
        ExecuteMsg::RevokeAttributes { provider, keys } => {
            execute_revoke_attributes(deps, info, provider, keys)
        }
        ExecuteMsg::Record { provider, event } => execute_record(deps, info, provider, event),
        ExecuteMsg::Slash {
            provider,
            fraction_bps,
            reason,
        } => execute_slash(deps, info, provider, fraction_bps, reason),
        ExecuteMsg::SetAuditors { auditors } => execute_set_auditors(deps, info, auditors),
        ExecuteMsg::UpdateParams(update) => execute_update_params(deps, info, update),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Params {} => to_json_binary(&query_params(deps)?)?,
        QueryMsg::Provider { address } => to_json_binary(&query_provider(deps, address)?)?,
        QueryMsg::Providers {
            active,
            attribute,
            start_after,
            limit,
        } => to_json_binary(&query_providers(
            deps,
            active,
            attribute,
            start_after,
            limit,
        )?)?,
        QueryMsg::Auditors {} => to_json_binary(&query_auditors(deps)?)?,
        QueryMsg::SignedAttributes { provider } => {
            to_json_binary(&query_signed_attributes(deps, provider)?)?
        }
        QueryMsg::Reputation { provider } => to_json_binary(&query_reputation(deps, provider)?)?,
        QueryMsg::Unbonding { provider } => to_json_binary(&query_unbonding(deps, provider)?)?,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}

// ---------------------------------------------------------------------------------------------
// Execute
// ---------------------------------------------------------------------------------------------

pub fn execute_register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    host_uri: String,
    attributes: Vec<Attribute>,
    gpus: Vec<GpuSpec>,
    provider_info: ProviderInfo,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    validate_registration(&host_uri, &attributes, &gpus, &provider_info)?;
    if PROVIDERS.has(deps.storage, &info.sender) {
        return Err(ContractError::AlreadyRegistered {
            provider: info.sender.to_string(),
        });
    }
    let bond = to_u128(cw_utils::may_pay(&info, &params.bond_denom)?)?;
    index_attributes(deps.storage, &info.sender, &attributes)?;
    let provider = Provider {
        host_uri,
        attributes,
        gpus,
        info: provider_info,
        bond,
        jailed: false,
        reputation: Reputation::default(),
        registered_at_height: env.block.height,
    };
    PROVIDERS.save(deps.storage, &info.sender, &provider)?;
    Ok(Response::new()
        .add_attribute("action", "register")
        .add_attribute("provider", &info.sender)
        .add_attribute("host_uri", &provider.host_uri)
        .add_attribute("bond", bond.to_string())
        .add_attribute("active", is_active(&params, &provider).to_string()))
}

pub fn execute_update(
    deps: DepsMut,
    info: MessageInfo,
    host_uri: Option<String>,
    attributes: Option<Vec<Attribute>>,
    gpus: Option<Vec<GpuSpec>>,
    provider_info: Option<ProviderInfo>,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let mut provider = load_provider(deps.storage, &info.sender)?;
    let old_attributes = provider.attributes.clone();
    if let Some(host_uri) = host_uri {
        provider.host_uri = host_uri;
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
        .add_attribute("host_uri", &provider.host_uri))
}

pub fn execute_bond(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let mut provider = load_provider(deps.storage, &info.sender)?;
    let amount = to_u128(cw_utils::must_pay(&info, &params.bond_denom)?)?;
    provider.bond = provider.bond.checked_add(amount)?;
    let unjailed = provider.jailed && provider.bond >= params.min_bond;
    if unjailed {
        provider.jailed = false;
    }
    PROVIDERS.save(deps.storage, &info.sender, &provider)?;
    Ok(Response::new()
        .add_attribute("action", "bond")
        .add_attribute("provider", &info.sender)
        .add_attribute("amount", amount.to_string())
        .add_attribute("bond", provider.bond.to_string())
        .add_attribute("unjailed", unjailed.to_string())
        .add_attribute("active", is_active(&params, &provider).to_string()))
}

pub fn execute_unbond(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let mut provider = load_provider(deps.storage, &info.sender)?;
    if amount.is_zero() {
        return Err(ContractError::ZeroUnbond {});
    }
    if amount > provider.bond {
        return Err(ContractError::InsufficientBond {
            provider: info.sender.to_string(),
            amount,
            bond: provider.bond,
        });
    }
    let mut entries = UNBONDING
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    if entries.len() >= params.max_unbonding_entries as usize {
        return Err(ContractError::TooManyUnbondingEntries {
            provider: info.sender.to_string(),
            entries: entries.len(),
            max: params.max_unbonding_entries,
        });
    }
    let release_at = release_time(&env, &params)?;
    provider.bond = provider.bond.checked_sub(amount)?;
    entries.push(UnbondingEntry { amount, release_at });
    PROVIDERS.save(deps.storage, &info.sender, &provider)?;
    UNBONDING.save(deps.storage, &info.sender, &entries)?;
    Ok(Response::new()
        .add_attribute("action", "unbond")
        .add_attribute("provider", &info.sender)
        .add_attribute("amount", amount.to_string())
        .add_attribute("bond", provider.bond.to_string())
        .add_attribute("release_at", release_at.to_string()))
}

pub fn execute_claim_unbonded(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let entries = UNBONDING
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    let (matured, locked) = bond::split_matured(entries, env.block.time.seconds())?;
    if matured.is_zero() {
        return Err(ContractError::NothingToClaim {
            address: info.sender.to_string(),
        });
    }
    if locked.is_empty() {
        UNBONDING.remove(deps.storage, &info.sender);
    } else {
        UNBONDING.save(deps.storage, &info.sender, &locked)?;
    }
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: info.sender.to_string(),
            amount: vec![Coin::new(matured, &params.bond_denom)],
        })
        .add_attribute("action", "claim_unbonded")
        .add_attribute("address", &info.sender)
        .add_attribute("amount", matured.to_string())
        .add_attribute("entries_left", locked.len().to_string()))
}

pub fn execute_deregister(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let provider = load_provider(deps.storage, &info.sender)?;
    if provider.reputation.active_leases > 0 {
        return Err(ContractError::ActiveLeases {
            provider: info.sender.to_string(),
            active: provider.reputation.active_leases,
        });
    }
    let mut response = Response::new()
        .add_attribute("action", "deregister")
        .add_attribute("provider", &info.sender)
        .add_attribute("unbonding", provider.bond.to_string());
    if !provider.bond.is_zero() {
        // One entry for the whole bond, even past `max_unbonding_entries`: refusing would leave
        // the provider unable to leave, and the overshoot is a single entry.
        let release_at = release_time(&env, &params)?;
        let mut entries = UNBONDING
            .may_load(deps.storage, &info.sender)?
            .unwrap_or_default();
        entries.push(UnbondingEntry {
            amount: provider.bond,
            release_at,
        });
        UNBONDING.save(deps.storage, &info.sender, &entries)?;
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
    Ok(response)
}

pub fn execute_sign_attributes(
    deps: DepsMut,
    info: MessageInfo,
    provider: String,
    attributes: Vec<Attribute>,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let auditors = AUDITORS.load(deps.storage)?;
    if !auditors.contains(&info.sender) {
        return Err(unauthorized(&info, "sign attributes", AUDITOR));
    }
    let provider = validate_addr(deps.api, "provider", &provider)?;
    if !PROVIDERS.has(deps.storage, &provider) {
        return Err(ContractError::ProviderNotFound {
            provider: provider.to_string(),
        });
    }
    validate_attributes("signed attributes", &attributes)?;
    let key = (&provider, &info.sender);
    if attributes.is_empty() {
        SIGNED.remove(deps.storage, key);
    } else {
        SIGNED.save(deps.storage, key, &attributes)?;
    }
    Ok(Response::new()
        .add_attribute("action", "sign_attributes")
        .add_attribute("auditor", &info.sender)
        .add_attribute("provider", &provider)
        .add_attribute("attributes", attributes.len().to_string()))
}

/// Any address may withdraw its own signatures, including an auditor no longer in the set (its
/// signatures are hidden then, but it may still want them gone).
pub fn execute_revoke_attributes(
    deps: DepsMut,
    info: MessageInfo,
    provider: String,
    keys: Vec<String>,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    if keys.len() > MAX_ATTRIBUTES {
        return Err(ValidationError::new(
            "revoked keys",
            format!("has {} keys, max {MAX_ATTRIBUTES}", keys.len()),
        )
        .into());
    }
    let provider = validate_addr(deps.api, "provider", &provider)?;
    let key = (&provider, &info.sender);
    let mut signed =
        SIGNED
            .may_load(deps.storage, key)?
            .ok_or_else(|| ContractError::NothingSigned {
                auditor: info.sender.to_string(),
                provider: provider.to_string(),
            })?;
    if let Some(missing) = keys.iter().find(|k| !signed.iter().any(|a| &a.key == *k)) {
        return Err(ContractError::AttributeNotSigned {
            auditor: info.sender.to_string(),
            provider: provider.to_string(),
            key: missing.clone(),
        });
    }
    let before = signed.len();
    if keys.is_empty() {
        signed.clear();
    } else {
        signed.retain(|a| !keys.contains(&a.key));
    }
    if signed.is_empty() {
        SIGNED.remove(deps.storage, key);
    } else {
        SIGNED.save(deps.storage, key, &signed)?;
    }
    Ok(Response::new()
        .add_attribute("action", "revoke_attributes")
        .add_attribute("auditor", &info.sender)
        .add_attribute("provider", &provider)
        .add_attribute("revoked", before.saturating_sub(signed.len()).to_string())
        .add_attribute("remaining", signed.len().to_string()))
}

/// Never fails for an unknown provider: the market calls this inside its own transactions and
/// must not get stuck because a provider went away.
pub fn execute_record(
    deps: DepsMut,
    info: MessageInfo,
    provider: String,
    event: ProviderEvent,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    if params.market.as_deref() != Some(info.sender.as_str()) {
        return Err(unauthorized(&info, "record lease events", MARKET));
    }
    let event_name = event_name(event);
    let response = Response::new()
        .add_attribute("action", "record")
        .add_attribute("provider", &provider)
        .add_attribute("event", event_name);
    let addr = deps.api.addr_validate(&provider).ok();
    let Some((addr, mut record)) = addr.and_then(|a| match PROVIDERS.may_load(deps.storage, &a) {
        Ok(Some(p)) => Some((a, p)),
        _ => None,
    }) else {
        return Ok(response.add_attribute("ignored", "provider not registered"));
    };
    // Saturating rather than checked: a counter reaching u64::MAX must not block the market.
    let r = &mut record.reputation;
    match event {
        ProviderEvent::LeaseStarted => {
            r.leases_started = r.leases_started.saturating_add(1);
            r.active_leases = r.active_leases.saturating_add(1);
        }
        ProviderEvent::LeaseCompleted => {
            r.leases_completed = r.leases_completed.saturating_add(1);
            r.active_leases = r.active_leases.saturating_sub(1);
        }
        ProviderEvent::LeaseClosedByProvider => {
            r.leases_closed_by_provider = r.leases_closed_by_provider.saturating_add(1);
            r.active_leases = r.active_leases.saturating_sub(1);
        }
        ProviderEvent::LeaseReleased => {
            r.leases_released = r.leases_released.saturating_add(1);
            r.active_leases = r.active_leases.saturating_sub(1);
        }
        ProviderEvent::AttestationMissed => {
            r.missed_attestations = r.missed_attestations.saturating_add(1);
        }
    }
    let active_leases = r.active_leases;
    PROVIDERS.save(deps.storage, &addr, &record)?;
    Ok(response.add_attribute("active_leases", active_leases.to_string()))
}

pub fn execute_slash(
    deps: DepsMut,
    info: MessageInfo,
    provider: String,
    fraction_bps: u16,
    reason: String,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    let sender = info.sender.as_str();
    if sender != params.authority && params.market.as_deref() != Some(sender) {
        return Err(unauthorized(&info, "slash", MARKET_OR_AUTHORITY));
    }
    if reason.is_empty() {
        return Err(ValidationError::new("slash reason", "must not be empty").into());
    }
    check_text("slash reason", &reason, MAX_TEXT_LEN)?;
    let addr = validate_addr(deps.api, "provider", &provider)?;
    let mut record = load_provider(deps.storage, &addr)?;
    let entries = UNBONDING.may_load(deps.storage, &addr)?.unwrap_or_default();
    let outcome = bond::slash(record.bond, &entries, fraction_bps)?;
    let total = outcome.total()?;

    record.bond = outcome.bond_left;
    record.jailed = true;
    record.reputation.slashes = record.reputation.slashes.saturating_add(1);
    PROVIDERS.save(deps.storage, &addr, &record)?;
    if outcome.entries_left.is_empty() {
        UNBONDING.remove(deps.storage, &addr);
    } else {
        UNBONDING.save(deps.storage, &addr, &outcome.entries_left)?;
    }

    let mut response = Response::new()
        .add_attribute("action", "slash")
        .add_attribute("provider", &addr)
        .add_attribute("fraction_bps", fraction_bps.to_string())
        .add_attribute("bond_slashed", outcome.bond_slashed.to_string())
        .add_attribute("unbonding_slashed", outcome.unbonding_slashed.to_string())
        .add_attribute("total_slashed", total.to_string())
        .add_attribute("bond", record.bond.to_string())
        .add_attribute("jailed", "true")
        .add_attribute("reason", reason);
    if !total.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: params.community_pool.clone(),
            amount: vec![Coin::new(total, &params.bond_denom)],
        });
    }
    Ok(response)
}

pub fn execute_set_auditors(
    deps: DepsMut,
    info: MessageInfo,
    auditors: Vec<String>,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    if info.sender.as_str() != params.authority {
        return Err(unauthorized(&info, "set auditors", AUTHORITY));
    }
    let auditors = validate_auditors(deps.api, &auditors)?;
    AUDITORS.save(deps.storage, &auditors)?;
    let list = auditors
        .iter()
        .map(Addr::as_str)
        .collect::<Vec<_>>()
        .join(",");
    Ok(Response::new()
        .add_attribute("action", "set_auditors")
        .add_attribute("count", auditors.len().to_string())
        .add_attribute("auditors", list))
}

pub fn execute_update_params(
    deps: DepsMut,
    info: MessageInfo,
    update: RegistryParamsUpdate,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let mut params = PARAMS.load(deps.storage)?;
    if info.sender.as_str() != params.authority {
        return Err(unauthorized(&info, "update params", AUTHORITY));
    }
    let mut response = Response::new().add_attribute("action", "update_params");
    if let Some(authority) = update.authority {
        params.authority = validate_addr(deps.api, "params.authority", &authority)?.into_string();
        response = response.add_attribute("authority", &params.authority);
    }
    if let Some(market) = update.market {
        let market = validate_addr(deps.api, "params.market", &market)?.into_string();
        response = response.add_attribute("market", &market);
        params.market = Some(market);
    }
    if let Some(pool) = update.community_pool {
        params.community_pool =
            validate_addr(deps.api, "params.community_pool", &pool)?.into_string();
        response = response.add_attribute("community_pool", &params.community_pool);
    }
    if let Some(min_bond) = update.min_bond {
        params.min_bond = min_bond;
        response = response.add_attribute("min_bond", min_bond.to_string());
    }
    if let Some(secs) = update.unbonding_period_secs {
        params.unbonding_period_secs = secs;
        response = response.add_attribute("unbonding_period_secs", secs.to_string());
    }
    if let Some(max) = update.max_unbonding_entries {
        check_max_unbonding_entries(max)?;
        params.max_unbonding_entries = max;
        response = response.add_attribute("max_unbonding_entries", max.to_string());
    }
    PARAMS.save(deps.storage, &params)?;
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Query
// ---------------------------------------------------------------------------------------------

pub fn query_params(deps: Deps) -> Result<RegistryParams, ContractError> {
    Ok(PARAMS.load(deps.storage)?)
}

pub fn query_provider(deps: Deps, address: String) -> Result<ProviderResponse, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let auditors = AUDITORS.load(deps.storage)?;
    let addr = validate_addr(deps.api, "address", &address)?;
    let provider = load_provider(deps.storage, &addr)?;
    provider_response(deps.storage, &params, &auditors, addr, provider)
}

/// Walks providers by address (or only those declaring `attribute`, through the index) and
/// filters on `active` as it goes: whether a provider is active depends on the current
/// `min_bond`, so a stored flag would go stale when governance changes it.
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
    let start = start.as_ref().map(Bound::exclusive);
    let storage = deps.storage;

    let candidates: Box<dyn Iterator<Item = StdResult<(Addr, Provider)>>> = match &attribute {
        Some(attr) => Box::new(
            ATTRIBUTE_INDEX
                .prefix((attr.key.as_str(), attr.value.as_str()))
                .keys(storage, start, None, Order::Ascending)
                .map(|addr| {
                    let addr = addr?;
                    let provider = PROVIDERS.load(storage, &addr)?;
                    Ok((addr, provider))
                }),
        ),
        None => PROVIDERS.range(storage, start, None, Order::Ascending),
    };

    let mut providers = Vec::with_capacity(limit);
    for item in candidates {
        let (addr, provider) = item?;
        if active.is_some_and(|want| is_active(&params, &provider) != want) {
            continue;
        }
        providers.push(provider_response(
            storage, &params, &auditors, addr, provider,
        )?);
        if providers.len() == limit {
            break;
        }
    }
    Ok(ProvidersResponse { providers })
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

pub fn query_reputation(deps: Deps, provider: String) -> Result<Reputation, ContractError> {
    let addr = validate_addr(deps.api, "provider", &provider)?;
    Ok(load_provider(deps.storage, &addr)?.reputation)
}

/// Entries still to be claimed; empty when there are none, registered or not (a deregistered
/// provider keeps its entries).
pub fn query_unbonding(deps: Deps, provider: String) -> Result<UnbondingResponse, ContractError> {
    let addr = validate_addr(deps.api, "provider", &provider)?;
    Ok(UnbondingResponse {
        entries: UNBONDING.may_load(deps.storage, &addr)?.unwrap_or_default(),
        provider: addr.into_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// May bid: enough bonded under the current params, and not jailed.
pub fn is_active(params: &RegistryParams, provider: &Provider) -> bool {
    !provider.jailed && provider.bond >= params.min_bond
}

fn provider_response(
    storage: &dyn Storage,
    params: &RegistryParams,
    auditors: &[Addr],
    addr: Addr,
    provider: Provider,
) -> Result<ProviderResponse, ContractError> {
    let entries = UNBONDING.may_load(storage, &addr)?.unwrap_or_default();
    Ok(ProviderResponse {
        signed: signed_by_current(storage, auditors, &addr)?,
        unbonding: bond::total(&entries)?,
        active: is_active(params, &provider),
        bond: Coin::new(provider.bond, &params.bond_denom),
        address: addr.into_string(),
        host_uri: provider.host_uri,
        attributes: provider.attributes,
        gpus: provider.gpus,
        info: provider.info,
        jailed: provider.jailed,
        reputation: provider.reputation,
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

fn load_provider(storage: &dyn Storage, addr: &Addr) -> Result<Provider, ContractError> {
    PROVIDERS
        .may_load(storage, addr)?
        .ok_or_else(|| ContractError::ProviderNotFound {
            provider: addr.to_string(),
        })
}

fn index_attributes(
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

fn unindex_attributes(storage: &mut dyn Storage, provider: &Addr, attributes: &[Attribute]) {
    for attr in attributes {
        ATTRIBUTE_INDEX.remove(storage, (attr.key.as_str(), attr.value.as_str(), provider));
    }
}

fn release_time(env: &Env, params: &RegistryParams) -> Result<u64, ContractError> {
    env.block
        .time
        .seconds()
        .checked_add(params.unbonding_period_secs)
        .ok_or_else(|| OverflowError::new(OverflowOperation::Add).into())
}

fn unauthorized(info: &MessageInfo, action: &'static str, allowed: &'static str) -> ContractError {
    ContractError::Unauthorized {
        sender: info.sender.to_string(),
        action,
        allowed,
    }
}

fn event_name(event: ProviderEvent) -> &'static str {
    match event {
        ProviderEvent::LeaseStarted => "lease_started",
        ProviderEvent::LeaseCompleted => "lease_completed",
        ProviderEvent::LeaseClosedByProvider => "lease_closed_by_provider",
        ProviderEvent::LeaseReleased => "lease_released",
        ProviderEvent::AttestationMissed => "attestation_missed",
    }
}

fn to_u128(amount: Uint256) -> Result<Uint128, ContractError> {
    Uint128::try_from(amount).map_err(|_| ContractError::AmountTooLarge { amount })
}

/// `addr_validate`, with the field named in the error.
fn validate_addr(api: &dyn Api, what: &str, addr: &str) -> Result<Addr, ContractError> {
    api.addr_validate(addr).map_err(|e| {
        // `&*e` is the underlying error: its message without `StdError`'s "kind: ..." wrapper.
        ValidationError::new(what, format!("{addr:?} is not a valid address: {}", &*e)).into()
    })
}

fn check_max_unbonding_entries(value: u32) -> Result<(), ContractError> {
    if value == 0 || value > MAX_UNBONDING_ENTRIES_LIMIT {
        return Err(ContractError::InvalidMaxUnbondingEntries {
            value,
            max: MAX_UNBONDING_ENTRIES_LIMIT,
        });
    }
    Ok(())
}

fn validate_params(api: &dyn Api, params: RegistryParams) -> Result<RegistryParams, ContractError> {
    validate_denom(&params.bond_denom)?;
    check_max_unbonding_entries(params.max_unbonding_entries)?;
    Ok(RegistryParams {
        authority: validate_addr(api, "params.authority", &params.authority)?.into_string(),
        market: params
            .market
            .map(|m| validate_addr(api, "params.market", &m).map(Addr::into_string))
            .transpose()?,
        community_pool: validate_addr(api, "params.community_pool", &params.community_pool)?
            .into_string(),
        bond_denom: params.bond_denom,
        min_bond: params.min_bond,
        unbonding_period_secs: params.unbonding_period_secs,
        max_unbonding_entries: params.max_unbonding_entries,
    })
}

fn validate_auditors(api: &dyn Api, auditors: &[String]) -> Result<Vec<Addr>, ContractError> {
    if auditors.len() > MAX_AUDITORS {
        return Err(ContractError::TooManyAuditors {
            count: auditors.len(),
            max: MAX_AUDITORS,
        });
    }
    let mut valid: Vec<Addr> = Vec::with_capacity(auditors.len());
    for auditor in auditors {
        let addr = validate_addr(api, "auditor", auditor)?;
        if valid.contains(&addr) {
            return Err(ContractError::DuplicateAuditor {
                auditor: addr.into_string(),
            });
        }
        valid.push(addr);
    }
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};

    fn params(api: &MockApi) -> RegistryParams {
        RegistryParams {
            authority: api.addr_make("gov").into_string(),
            market: None,
            community_pool: api.addr_make("pool").into_string(),
            bond_denom: "utsr".into(),
            min_bond: Uint128::new(100),
            unbonding_period_secs: 60,
            max_unbonding_entries: 2,
        }
    }

    #[test]
    fn instantiate_records_the_contract_version() {
        let mut deps = mock_dependencies();
        let creator = deps.api.addr_make("creator");
        let msg = InstantiateMsg {
            params: params(&deps.api),
            auditors: vec![],
        };
        instantiate(deps.as_mut(), mock_env(), message_info(&creator, &[]), msg).unwrap();
        let version = cw2::get_contract_version(&deps.storage).unwrap();
        assert_eq!(version.contract, CONTRACT_NAME);
        assert_eq!(version.version, CONTRACT_VERSION);
    }

    #[test]
    fn migrate_refuses_a_different_contract() {
        let mut deps = mock_dependencies();
        set_contract_version(&mut deps.storage, "crates.io:other", "0.0.1").unwrap();
        let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
        assert!(err
            .to_string()
            .contains("Cannot migrate from crates.io:other"));
    }

    #[test]
    fn migrate_refuses_to_go_back_to_an_older_version() {
        let mut deps = mock_dependencies();
        set_contract_version(&mut deps.storage, CONTRACT_NAME, "99.0.0").unwrap();
        let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
        assert!(err
            .to_string()
            .contains("Cannot migrate from newer version"));
    }

    #[test]
    fn migrate_bumps_an_older_version() {
        let mut deps = mock_dependencies();
        set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
        let res = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        assert!(res
            .attributes
            .iter()
            .any(|a| a.key == "from_version" && a.value == "0.0.1"));
        let version = cw2::get_contract_version(&deps.storage).unwrap();
        assert_eq!(version.version, CONTRACT_VERSION);
    }
}
