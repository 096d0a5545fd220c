//! The auditors: the authority sets who they are; each signs, for a provider, the attributes it
//! vouches for, and may withdraw its signatures. Queries count only the signatures of auditors in
//! the current set.

use cosmwasm_std::{Addr, DepsMut, MessageInfo, Response};
use tessera_api::attributes::{validate_attributes, Attribute, MAX_ATTRIBUTES};
use tessera_api::ValidationError;

use crate::error::{allowed, ContractError};
use crate::msg::validate_addr;
use crate::params::validate_auditors;
use crate::state::{AUDITORS, PARAMS, PROVIDERS, SIGNED};

/// Authority only: replaces the whole set. Signatures of auditors left out are kept (hidden),
/// and count again if the auditor is appointed again.
pub fn execute_set_auditors(
    deps: DepsMut,
    info: MessageInfo,
    auditors: Vec<String>,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    if info.sender.as_str() != params.authority {
        return Err(ContractError::unauthorized(
            &info,
            "set auditors",
            allowed::AUTHORITY,
        ));
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

/// A current auditor signs `attributes` of a registered provider, replacing what it signed
/// before (an empty list removes its signature).
pub fn execute_sign_attributes(
    deps: DepsMut,
    info: MessageInfo,
    provider: String,
    attributes: Vec<Attribute>,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let auditors = AUDITORS.load(deps.storage)?;
    if !auditors.contains(&info.sender) {
        return Err(ContractError::unauthorized(
            &info,
            "sign attributes",
            allowed::AUDITOR,
        ));
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
