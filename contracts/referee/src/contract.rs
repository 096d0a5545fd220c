//! Entry points: instantiate with the market; disputes, staged inputs, reveals, demands and
//! secrets; the queries.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use tessera_api::merkle;
use tessera_api::referee::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, LeafHashResponse, MigrateMsg, QueryMsg,
};

use crate::demand;
use crate::dispute::{execute_dispute, Claim};
use crate::error::ContractError;
use crate::job::job_of;
use crate::reveal;
use crate::secret;
use crate::staging;
use crate::state::MARKET;

const CONTRACT_NAME: &str = "crates.io:tessera-referee";
const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let market = deps.api.addr_validate(&msg.market)?;
    MARKET.save(deps.storage, &market)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("market", market))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Dispute {
            lease,
            seq,
            leaf,
            leaf_hash,
            proof,
            manifest,
            input,
        } => execute_dispute(
            deps,
            env,
            info,
            Claim {
                lease,
                seq,
                leaf,
                leaf_hash,
                proof,
                manifest,
                input,
            },
        ),
        ExecuteMsg::DrawSample { lease, seq } => {
            reveal::execute_draw_sample(deps, env, info, lease, seq)
        }
        ExecuteMsg::RevealSample { lease, seq, leaves } => {
            reveal::execute_reveal_sample(deps, env, info, lease, seq, leaves)
        }
        ExecuteMsg::SlashUnrevealed {
            lease,
            seq,
            leaf: None,
        } => reveal::execute_slash_unrevealed(deps, env, info, lease, seq),
        ExecuteMsg::SlashUnrevealed {
            lease,
            seq,
            leaf: Some(leaf),
        } => demand::execute_slash_withheld(deps, env, info, lease, seq, leaf),
        ExecuteMsg::DemandLeaf { lease, seq, leaf } => {
            demand::execute_demand_leaf(deps, env, info, lease, seq, leaf)
        }
        ExecuteMsg::RevealLeaf { lease, seq, leaf } => {
            demand::execute_reveal_leaf(deps, env, info, lease, seq, leaf)
        }
        ExecuteMsg::RevealSecret {
            owner,
            dseq,
            secret,
        } => secret::execute_reveal_secret(deps, env, info, owner, dseq, secret),
        ExecuteMsg::StageInput { sha256, chunk } => {
            staging::execute_stage_input(deps, info, sha256, chunk)
        }
        ExecuteMsg::UnstageInput { sha256 } => staging::execute_unstage_input(deps, info, sha256),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&ConfigResponse {
            market: MARKET.load(deps.storage)?.into_string(),
        })?,
        QueryMsg::Sample { lease, seq } => {
            to_json_binary(&reveal::query_sample(deps, env, lease, seq)?)?
        }
        QueryMsg::StagedInput { owner, sha256 } => {
            to_json_binary(&staging::query_staged_input(deps, owner, sha256)?)?
        }
        QueryMsg::Demand { lease, seq, leaf } => {
            to_json_binary(&demand::query_demand(deps, lease, seq, leaf)?)?
        }
        QueryMsg::OpenDemands {
            lease,
            start_after,
            limit,
        } => to_json_binary(&demand::query_open_demands(
            deps,
            lease,
            start_after,
            limit,
        )?)?,
        QueryMsg::LeafHash {
            manifest,
            group,
            leaf,
            input,
        } => {
            let job = job_of(&manifest, &group)?;
            to_json_binary(&LeafHashResponse {
                kernel: job.spec.kernel().to_string(),
                leaf_count: job.spec.leaf_count(),
                leaf_hash: merkle::to_hex(&job.leaf_hash(leaf, input.as_deref())?),
            })?
        }
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let previous =
        tessera_api::migration::ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", previous.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{mock_dependencies, mock_env};

    // Before the guard, the referee recorded the new version over whatever it found: the state
    // of another contract, or of a newer referee.
    #[test]
    fn migrate_refuses_another_contracts_state_and_a_downgrade() {
        for (contract, version) in [
            ("crates.io:tessera-market", "0.0.1"),
            (CONTRACT_NAME, "99.0.0"),
        ] {
            let mut deps = mock_dependencies();
            cw2::set_contract_version(&mut deps.storage, contract, version).unwrap();
            assert!(migrate(deps.as_mut(), mock_env(), MigrateMsg {}).is_err());
            let kept = cw2::get_contract_version(&deps.storage).unwrap();
            assert_eq!(
                (kept.contract.as_str(), kept.version.as_str()),
                (contract, version)
            );
        }
    }

    #[test]
    fn migrate_bumps_an_older_referee() {
        let mut deps = mock_dependencies();
        cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
        let res = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        assert!(res
            .attributes
            .iter()
            .any(|a| a.key == "from_version" && a.value == "0.0.1"));
        let version = cw2::get_contract_version(&deps.storage).unwrap();
        assert_eq!(version.version, CONTRACT_VERSION);
    }
}
