//! Entry points: they only dispatch to the handler of each message. Each is also the wasm
//! export, unless built with the `library` feature (tests, other contracts).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response};
use tessera_api::market::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};
use tessera_api::CommonError;

use crate::effects::REPLY_REGISTRY_REPORT;
use crate::error::ContractError;
use crate::state::PARAMS;
use crate::{
    attestation, auction, deployment, end_block, fraud, lease, params, query, receipt, sample,
};

pub const CONTRACT_NAME: &str = "crates.io:tessera-market";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let params = params::validate(deps.api, msg.params)?;
    PARAMS.save(deps.storage, &params)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("authority", params.authority)
        .add_attribute("registry", params.registry))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::CreateDeployment {
            dseq,
            groups,
            manifest_hash,
            bid_window_secs,
            sample_size,
            secret_hash,
        } => deployment::execute_create_deployment(
            deps,
            env,
            info,
            deployment::NewDeployment {
                dseq,
                groups,
                manifest_hash,
                bid_window_secs,
                sample_size,
                secret_hash,
            },
        ),
        ExecuteMsg::UpdateManifest {
            dseq,
            manifest_hash,
        } => deployment::execute_update_manifest(deps, info, dseq, manifest_hash),
        ExecuteMsg::Deposit { owner, dseq } => {
            deployment::execute_deposit(deps, env, info, owner, dseq)
        }
        ExecuteMsg::CloseDeployment { dseq } => {
            deployment::execute_close_deployment(deps, env, info, dseq)
        }
        ExecuteMsg::PlaceBid {
            order,
            price,
            offer,
        } => auction::execute_place_bid(deps, env, info, order, price, offer),
        ExecuteMsg::WithdrawBid { order } => auction::execute_withdraw_bid(deps, info, order),
        ExecuteMsg::AcceptBid { bid } => auction::execute_accept_bid(deps, env, info, bid),
        ExecuteMsg::CloseLease { lease, reason } => {
            lease::execute_close_lease(deps, env, info, lease, reason)
        }
        ExecuteMsg::WithdrawLease { lease } => {
            lease::execute_withdraw_lease(deps, env, info, lease)
        }
        ExecuteMsg::SubmitAttestation {
            lease,
            period_start,
            period_end,
            gpu_seconds,
            work_units,
            output_root,
            inventory_hash,
            leaf_count,
        } => attestation::execute_submit_attestation(
            deps,
            env,
            info,
            lease,
            period_start,
            period_end,
            gpu_seconds,
            work_units,
            output_root,
            inventory_hash,
            leaf_count,
        ),
        ExecuteMsg::FraudProven {
            lease,
            seq,
            disputer,
            unrevealed,
        } => fraud::execute_fraud_proven(deps, env, info, lease, seq, disputer, unrevealed),
        ExecuteMsg::RecordManifestReceipt {
            lease,
            provider_pubkey,
            signature,
        } => receipt::execute_record_manifest_receipt(
            deps,
            env,
            info,
            lease,
            provider_pubkey,
            signature,
        ),
        ExecuteMsg::UpdateParams(update) => params::execute_update_params(deps, info, update),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn sudo(deps: DepsMut, env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    match msg {
        SudoMsg::EndBlock {} => end_block::sudo_end_block(deps, env),
    }
}

/// Only registry reports reply, and only when they fail: the failure is recorded, not raised.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(_deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    let error = match (msg.id, msg.result.into_result()) {
        (REPLY_REGISTRY_REPORT, Err(error)) => error,
        (id, _) => return Err(CommonError::Std(format!("unexpected reply id {id}")).into()),
    };
    Ok(Response::new()
        .add_attribute("action", "registry_report_failed")
        .add_attribute("error", error))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Params {} => to_json_binary(&query::params(deps)?)?,
        QueryMsg::Deployment { owner, dseq } => {
            to_json_binary(&query::deployment(deps, owner, dseq)?)?
        }
        QueryMsg::Deployments {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query::deployments(deps, owner, start_after, limit)?)?,
        QueryMsg::Order { id } => to_json_binary(&query::order(deps, id)?)?,
        QueryMsg::Orders {
            state,
            start_after,
            limit,
        } => to_json_binary(&query::orders_by_state(deps, state, start_after, limit)?)?,
        QueryMsg::Bids {
            order,
            start_after,
            limit,
        } => to_json_binary(&query::bids(deps, order, start_after, limit)?)?,
        QueryMsg::Bid { id } => to_json_binary(&query::bid(deps, id)?)?,
        QueryMsg::Lease { id } => to_json_binary(&query::lease(deps, id)?)?,
        QueryMsg::Leases {
            filter,
            start_after,
            limit,
        } => to_json_binary(&query::leases_by(deps, filter, start_after, limit)?)?,
        QueryMsg::Escrow { owner, dseq } => {
            to_json_binary(&query::escrow(deps, env, owner, dseq)?)?
        }
        QueryMsg::Attestations {
            lease,
            start_after,
            limit,
        } => to_json_binary(&query::attestations(deps, lease, start_after, limit)?)?,
        QueryMsg::AttestationSample { lease, seq } => {
            to_json_binary(&sample::attestation_sample(deps, env, lease, seq)?)?
        }
        QueryMsg::PaymentsPending { provider } => {
            to_json_binary(&query::payments_pending(deps, env, provider)?)?
        }
        QueryMsg::Quarantined { start_after, limit } => {
            to_json_binary(&query::quarantined(deps, start_after, limit)?)?
        }
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let previous =
        tessera_api::migration::ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let moved = crate::state::migrate_order_auctions(deps.storage)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", previous.to_string())
        .add_attribute("order_auctions_moved", moved.to_string()))
}
