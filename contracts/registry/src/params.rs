//! Registry parameters and the auditor set: validation at instantiate and on every change, and
//! the params update that only the authority (governance) may send. Governance calls
//! [`validate`], [`apply`] and [`validate_auditors`] when a proposal is submitted, so a change the
//! registry would refuse is refused there with the registry's own reason.

use cosmwasm_std::{Addr, Api, DepsMut, MessageInfo, Response};
use tessera_api::market::validate_denom;
use tessera_api::registry::{RegistryParams, RegistryParamsUpdate, MAX_AUDITORS};

use crate::error::{allowed, ContractError};
use crate::msg::validate_addr;
use crate::state::PARAMS;

/// Highest accepted `max_unbonding_entries`: the list is read and rewritten whole on every
/// unbond, claim and slash, so it must stay short.
pub const MAX_UNBONDING_ENTRIES_LIMIT: u32 = 100;

/// Checks every field and normalizes the addresses; the result is what gets stored.
///
/// `min_bond` and `unbonding_period_secs` take any value: a zero `min_bond` lets every
/// un-jailed provider bid, a zero period pays unbonded funds out at once; both are governance
/// choices, not errors. Checked in the order `bond_denom`, the addresses, then
/// `max_unbonding_entries`: an update (which cannot change `bond_denom`) gets the error it got
/// when each field was checked as it was applied.
pub fn validate(api: &dyn Api, params: RegistryParams) -> Result<RegistryParams, ContractError> {
    validate_denom(&params.bond_denom)?;
    let authority = validate_addr(api, "params.authority", &params.authority)?.into_string();
    let market = params
        .market
        .map(|m| validate_addr(api, "params.market", &m).map(Addr::into_string))
        .transpose()?;
    let community_pool =
        validate_addr(api, "params.community_pool", &params.community_pool)?.into_string();
    if params.max_unbonding_entries == 0
        || params.max_unbonding_entries > MAX_UNBONDING_ENTRIES_LIMIT
    {
        return Err(ContractError::InvalidMaxUnbondingEntries {
            value: params.max_unbonding_entries,
            max: MAX_UNBONDING_ENTRIES_LIMIT,
        });
    }
    Ok(RegistryParams {
        authority,
        market,
        community_pool,
        bond_denom: params.bond_denom,
        min_bond: params.min_bond,
        unbonding_period_secs: params.unbonding_period_secs,
        max_unbonding_entries: params.max_unbonding_entries,
    })
}

/// `current` with the fields of `update` that are set; nothing is checked (see [`validate`]).
pub fn apply(current: RegistryParams, update: RegistryParamsUpdate) -> RegistryParams {
    RegistryParams {
        authority: update.authority.unwrap_or(current.authority),
        market: update.market.or(current.market),
        community_pool: update.community_pool.unwrap_or(current.community_pool),
        bond_denom: current.bond_denom,
        min_bond: update.min_bond.unwrap_or(current.min_bond),
        unbonding_period_secs: update
            .unbonding_period_secs
            .unwrap_or(current.unbonding_period_secs),
        max_unbonding_entries: update
            .max_unbonding_entries
            .unwrap_or(current.max_unbonding_entries),
    }
}

/// At most `MAX_AUDITORS` valid addresses, each once, in the order given.
pub fn validate_auditors(api: &dyn Api, auditors: &[String]) -> Result<Vec<Addr>, ContractError> {
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

/// Authority only. The response carries one attribute per field the update set, with the value
/// now in force.
pub fn execute_update_params(
    deps: DepsMut,
    info: MessageInfo,
    update: RegistryParamsUpdate,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let current = PARAMS.load(deps.storage)?;
    if info.sender.as_str() != current.authority {
        return Err(ContractError::unauthorized(
            &info,
            "update params",
            allowed::AUTHORITY,
        ));
    }
    let set = [
        update.authority.is_some(),
        update.market.is_some(),
        update.community_pool.is_some(),
        update.min_bond.is_some(),
        update.unbonding_period_secs.is_some(),
        update.max_unbonding_entries.is_some(),
    ];
    let params = validate(deps.api, apply(current, update))?;
    PARAMS.save(deps.storage, &params)?;
    let values = [
        ("authority", params.authority.clone()),
        ("market", params.market.clone().unwrap_or_default()),
        ("community_pool", params.community_pool.clone()),
        ("min_bond", params.min_bond.to_string()),
        (
            "unbonding_period_secs",
            params.unbonding_period_secs.to_string(),
        ),
        (
            "max_unbonding_entries",
            params.max_unbonding_entries.to_string(),
        ),
    ];
    let changed = set
        .into_iter()
        .zip(values)
        .filter_map(|(set, attribute)| set.then_some(attribute));
    Ok(Response::new()
        .add_attribute("action", "update_params")
        .add_attributes(changed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockApi;
    use cosmwasm_std::Uint128;

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
    fn apply_replaces_only_the_fields_that_are_set() {
        let api = MockApi::default();
        let current = params(&api);
        assert_eq!(
            apply(current.clone(), RegistryParamsUpdate::default()),
            current
        );
        let market = api.addr_make("market").into_string();
        let updated = apply(
            current.clone(),
            RegistryParamsUpdate {
                market: Some(market.clone()),
                min_bond: Some(Uint128::new(7)),
                max_unbonding_entries: Some(0),
                ..Default::default()
            },
        );
        assert_eq!(
            updated,
            RegistryParams {
                market: Some(market),
                min_bond: Uint128::new(7),
                // Not checked here: `validate` refuses it.
                max_unbonding_entries: 0,
                ..current
            }
        );
    }

    #[test]
    fn validate_checks_the_fields_apply_may_have_broken() {
        let api = MockApi::default();
        assert_eq!(validate(&api, params(&api)).unwrap(), params(&api));
        for max in [0, MAX_UNBONDING_ENTRIES_LIMIT + 1] {
            let update = RegistryParamsUpdate {
                max_unbonding_entries: Some(max),
                ..Default::default()
            };
            assert_eq!(
                validate(&api, apply(params(&api), update)).unwrap_err(),
                ContractError::InvalidMaxUnbondingEntries {
                    value: max,
                    max: MAX_UNBONDING_ENTRIES_LIMIT
                }
            );
        }
        let update = RegistryParamsUpdate {
            market: Some("Market".into()),
            ..Default::default()
        };
        let err = validate(&api, apply(params(&api), update)).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("invalid params.market: \"Market\" is not a valid address"));
    }

    #[test]
    fn an_invalid_address_is_reported_before_an_invalid_entries_limit() {
        // The order an update got when each field was checked as it was applied.
        let api = MockApi::default();
        let update = RegistryParamsUpdate {
            authority: Some("nope".into()),
            max_unbonding_entries: Some(0),
            ..Default::default()
        };
        let err = validate(&api, apply(params(&api), update)).unwrap_err();
        assert!(err.to_string().starts_with("invalid params.authority"));
    }

    #[test]
    fn auditors_are_listed_once_each_and_at_most_the_limit() {
        let api = MockApi::default();
        let a = api.addr_make("a").into_string();
        let b = api.addr_make("b").into_string();
        assert_eq!(
            validate_auditors(&api, &[a.clone(), b.clone()]).unwrap(),
            vec![Addr::unchecked(&a), Addr::unchecked(&b)]
        );
        assert_eq!(
            validate_auditors(&api, &[a.clone(), b, a.clone()]).unwrap_err(),
            ContractError::DuplicateAuditor { auditor: a }
        );
        let many: Vec<String> = (0..=MAX_AUDITORS)
            .map(|i| api.addr_make(&format!("auditor-{i}")).into_string())
            .collect();
        assert_eq!(
            validate_auditors(&api, &many).unwrap_err(),
            ContractError::TooManyAuditors {
                count: MAX_AUDITORS + 1,
                max: MAX_AUDITORS
            }
        );
    }
}
