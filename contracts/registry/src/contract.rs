//! Entry points of the registry. `execute` and `query` only dispatch; each message has its own
//! `execute_<variant>` / `query_<variant>` function in the module that owns that part of the
//! registry. Each is also the wasm export, unless built with the `library` feature (tests, other
//! contracts).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use cw2::set_contract_version;
use tessera_api::registry::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::state::{AUDITORS, PARAMS};
use crate::{auditors, bonding, params, provider, query, reputation, status_index};

pub const CONTRACT_NAME: &str = concat!("crates.io:", env!("CARGO_PKG_NAME"));
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = params::validate(deps.api, msg.params)?;
    let auditors = params::validate_auditors(deps.api, &msg.auditors)?;
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
            tls_fingerprint,
        } => provider::execute_register(
            deps,
            env,
            info,
            provider::Registration {
                host_uri,
                tls_fingerprint,
                attributes,
                gpus,
                info: provider_info,
            },
        ),
        ExecuteMsg::Update {
            host_uri,
            attributes,
            gpus,
            info: provider_info,
            tls_fingerprint,
        } => provider::execute_update(
            deps,
            info,
            provider::RegistrationUpdate {
                host_uri,
                tls_fingerprint,
                attributes,
                gpus,
                info: provider_info,
            },
        ),
        ExecuteMsg::Deregister {} => provider::execute_deregister(deps, env, info),
        ExecuteMsg::Bond {} => bonding::execute_bond(deps, info),
        ExecuteMsg::Unbond { amount } => bonding::execute_unbond(deps, env, info, amount),
        ExecuteMsg::ClaimUnbonded {} => bonding::execute_claim_unbonded(deps, env, info),
        ExecuteMsg::SignAttributes {
            provider,
            attributes,
        } => auditors::execute_sign_attributes(deps, info, provider, attributes),
        ExecuteMsg::RevokeAttributes { provider, keys } => {
            auditors::execute_revoke_attributes(deps, info, provider, keys)
        }
        ExecuteMsg::SetAuditors { auditors } => {
            auditors::execute_set_auditors(deps, info, auditors)
        }
        ExecuteMsg::Record {
            provider,
            event,
            paid,
        } => reputation::execute_record(deps, info, provider, event, paid),
        ExecuteMsg::Slash {
            provider,
            fraction_bps,
            reason,
        } => reputation::execute_slash(deps, info, provider, fraction_bps, reason),
        ExecuteMsg::SlashForFraud {
            provider,
            amount,
            awards,
            reason,
        } => reputation::execute_slash_for_fraud(deps, info, provider, amount, awards, reason),
        ExecuteMsg::UpdateParams(update) => params::execute_update_params(deps, info, update),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Params {} => to_json_binary(&query::query_params(deps)?)?,
        QueryMsg::Provider { address } => to_json_binary(&query::query_provider(deps, address)?)?,
        QueryMsg::Providers {
            active,
            attribute,
            start_after,
            limit,
        } => to_json_binary(&query::query_providers(
            deps,
            active,
            attribute,
            start_after,
            limit,
        )?)?,
        QueryMsg::Auditors {} => to_json_binary(&query::query_auditors(deps)?)?,
        QueryMsg::SignedAttributes { provider } => {
            to_json_binary(&query::query_signed_attributes(deps, provider)?)?
        }
        QueryMsg::Reputation { provider } => {
            to_json_binary(&query::query_reputation(deps, provider)?)?
        }
        QueryMsg::Unbonding { provider } => {
            to_json_binary(&query::query_unbonding(deps, provider)?)?
        }
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from =
        tessera_api::migration::ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    // State written before the status index existed has none; rebuilding is idempotent.
    let indexed = status_index::rebuild(deps.storage)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("providers_indexed", indexed.to_string())
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
    use cosmwasm_std::Uint128;
    use tessera_api::registry::RegistryParams;

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
