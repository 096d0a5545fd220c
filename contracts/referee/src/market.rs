//! What the referee reads from the market (the dispute terms, and that this contract is the
//! market's referee; an attestation of a lease) and what it tells it (proven fraud).

use cosmwasm_std::{to_json_binary, Addr, Deps, Env, MessageInfo, StdResult, WasmMsg};
use tessera_api::market::{
    AttestationResponse, AttestationsResponse, DisputeParams, ExecuteMsg as MarketExecuteMsg,
    LeaseResponse, MarketParams, QueryMsg as MarketQueryMsg,
};
use tessera_api::LeaseId;

use crate::error::ContractError;
use crate::state::MARKET;

/// What a call without funds (every referee message but `dispute`) starts from: the market, and
/// its dispute terms once it is clear that this contract is its referee.
pub fn unfunded_call(
    deps: Deps,
    env: &Env,
    info: &MessageInfo,
) -> Result<(Addr, DisputeParams), ContractError> {
    cw_utils::nonpayable(info)?;
    let market = MARKET.load(deps.storage)?;
    let terms = dispute_terms(deps, &market, env)?;
    Ok((market, terms))
}

/// The market's dispute terms, once it is clear that this contract is its referee.
pub fn dispute_terms(deps: Deps, market: &Addr, env: &Env) -> Result<DisputeParams, ContractError> {
    let params: MarketParams = deps
        .querier
        .query_wasm_smart(market, &MarketQueryMsg::Params {})?;
    match params.dispute.referee.as_deref() {
        None => Err(ContractError::DisputesOff {}),
        Some(referee) if referee != env.contract.address.as_str() => {
            Err(ContractError::NotTheMarketsReferee {
                referee: referee.to_string(),
            })
        }
        Some(_) => Ok(params.dispute),
    }
}

pub fn attestation(
    deps: Deps,
    market: &Addr,
    id: &LeaseId,
    seq: u64,
) -> Result<AttestationResponse, ContractError> {
    let not_found = || ContractError::AttestationNotFound {
        lease: id.to_string(),
        seq,
    };
    if seq == 0 {
        return Err(not_found());
    }
    // Confirms the lease exists (the attestations query names a missing one).
    let _: LeaseResponse = deps
        .querier
        .query_wasm_smart(market, &MarketQueryMsg::Lease { id: id.clone() })?;
    let found: AttestationsResponse = deps.querier.query_wasm_smart(
        market,
        &MarketQueryMsg::Attestations {
            lease: id.clone(),
            start_after: Some(seq - 1),
            limit: Some(1),
        },
    )?;
    found
        .attestations
        .into_iter()
        .find(|a| a.seq == seq)
        .ok_or_else(not_found)
}

/// Tells the market that attestation `seq` of `lease` is proven fraudulent (`unrevealed`: a
/// sample or demanded leaf was never revealed), `disputer` sharing the slash.
pub fn fraud_proven(
    market: &Addr,
    lease: LeaseId,
    seq: u64,
    disputer: &Addr,
    unrevealed: bool,
) -> StdResult<WasmMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: market.to_string(),
        msg: to_json_binary(&MarketExecuteMsg::FraudProven {
            lease,
            seq,
            disputer: disputer.to_string(),
            unrevealed,
        })?,
        funds: vec![],
    })
}
