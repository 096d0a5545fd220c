//! Demanded leaves: beyond the random sample, a lease's tenant may demand any leaf of an
//! attestation (`demand_leaf`), say one its provider never delivered. The provider must reveal
//! that leaf's hash with its inclusion proof (`reveal_leaf`) within the market's
//! `dispute.reveal_window_secs`; a demand left unanswered is slashed like an unrevealed sample
//! (`slash_unrevealed {leaf}`). A revealed leaf can then be recomputed and disputed like any
//! other. Demands must leave the whole reveal window inside the dispute window, and an
//! attestation takes at most `dispute.sample_size` of them, so the provider's cost of answering
//! stays bounded.

use cosmwasm_std::{Deps, DepsMut, Env, MessageInfo, Order, Response};
use cw_storage_plus::{Bound, Map};
use serde::{Deserialize, Serialize};
use tessera_api::pagination::page_size;
use tessera_api::referee::{DemandResponse, DemandedLeaf, DemandsResponse, RevealedLeaf};
use tessera_api::{CommonError, LeaseId};

use crate::error::ContractError;
use crate::market::{attestation, fraud_proven, unfunded_call};
use crate::reveal::{output_root, proves};

/// Demands by (lease id, seq, leaf).
const DEMANDS: Map<(&str, u64, u64), Demand> = Map::new("demands");
/// Demands not revealed yet, by (lease id, seq, leaf): what `open_demands` walks.
const OPEN: Map<(&str, u64, u64), ()> = Map::new("open_demands");
/// Demands made of an attestation, by (lease id, seq).
const DEMAND_COUNT: Map<(&str, u64), u64> = Map::new("demand_count");

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Demand {
    leaf_count: u64,
    demanded_at: u64,
    reveal_deadline: u64,
    revealed: Option<String>,
}

pub fn execute_demand_leaf(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    seq: u64,
    leaf: u64,
) -> Result<Response, ContractError> {
    let (market, terms) = unfunded_call(deps.as_ref(), &env, &info)?;
    if info.sender.as_str() != id.owner {
        return Err(CommonError::unauthorized("demanding a leaf", "the lease's tenant").into());
    }
    let attested = attestation(deps.as_ref(), &market, &id, seq)?;
    let leaf_count = attested
        .leaf_count
        .ok_or_else(|| ContractError::LeafCountUnknown {
            lease: id.to_string(),
            seq,
        })?;
    if leaf >= leaf_count {
        return Err(ContractError::LeafOutOfRange { leaf, leaf_count });
    }
    let now = env.block.time.seconds();
    let reveal_deadline = now.saturating_add(terms.reveal_window_secs);
    let dispute_deadline = attested.period_end.saturating_add(terms.window_secs);
    if reveal_deadline >= dispute_deadline {
        return Err(ContractError::DemandTooLate {
            lease: id.to_string(),
            seq,
            latest: dispute_deadline.saturating_sub(terms.reveal_window_secs + 1),
            now,
        });
    }
    let key = id.to_string();
    if DEMANDS.has(deps.storage, (&key, seq, leaf)) {
        return Err(ContractError::AlreadyDemanded {
            lease: key,
            seq,
            leaf,
        });
    }
    let count = DEMAND_COUNT
        .may_load(deps.storage, (&key, seq))?
        .unwrap_or(0);
    if count >= terms.sample_size {
        return Err(ContractError::TooManyDemands {
            lease: key,
            seq,
            max: terms.sample_size,
        });
    }
    DEMAND_COUNT.save(deps.storage, (&key, seq), &(count + 1))?;
    let demand = Demand {
        leaf_count,
        demanded_at: now,
        reveal_deadline,
        revealed: None,
    };
    DEMANDS.save(deps.storage, (&key, seq, leaf), &demand)?;
    OPEN.save(deps.storage, (&key, seq, leaf), &())?;
    Ok(Response::new()
        .add_attribute("action", "demand_leaf")
        .add_attribute("lease", key)
        .add_attribute("seq", seq.to_string())
        .add_attribute("leaf", leaf.to_string())
        .add_attribute("reveal_deadline", reveal_deadline.to_string()))
}

pub fn execute_reveal_leaf(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    seq: u64,
    revealed: RevealedLeaf,
) -> Result<Response, ContractError> {
    let (market, _) = unfunded_call(deps.as_ref(), &env, &info)?;
    if info.sender.as_str() != id.provider {
        return Err(
            CommonError::unauthorized("revealing a demanded leaf", "the lease's provider").into(),
        );
    }
    let key = id.to_string();
    let leaf = revealed.index;
    let mut demand = load_demand(deps.as_ref(), &key, seq, leaf)?;
    if demand.revealed.is_some() {
        return Err(ContractError::LeafAlreadyRevealed {
            lease: key,
            seq,
            leaf,
        });
    }
    let attested = attestation(deps.as_ref(), &market, &id, seq)?;
    proves(&revealed, leaf, &output_root(&attested)?, demand.leaf_count).map_err(|reason| {
        ContractError::RevealInvalid {
            position: 0,
            reason,
        }
    })?;
    demand.revealed = Some(revealed.hash.to_ascii_lowercase());
    DEMANDS.save(deps.storage, (&key, seq, leaf), &demand)?;
    OPEN.remove(deps.storage, (&key, seq, leaf));
    Ok(Response::new()
        .add_attribute("action", "reveal_leaf")
        .add_attribute("lease", key)
        .add_attribute("seq", seq.to_string())
        .add_attribute("leaf", leaf.to_string()))
}

/// `slash_unrevealed {leaf}`: a demand whose reveal window closed unanswered.
pub fn execute_slash_withheld(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    seq: u64,
    leaf: u64,
) -> Result<Response, ContractError> {
    let (market, _) = unfunded_call(deps.as_ref(), &env, &info)?;
    let key = id.to_string();
    let demand = load_demand(deps.as_ref(), &key, seq, leaf)?;
    if demand.revealed.is_some() {
        return Err(ContractError::LeafAlreadyRevealed {
            lease: key,
            seq,
            leaf,
        });
    }
    let now = env.block.time.seconds();
    if now <= demand.reveal_deadline {
        return Err(ContractError::RevealWindowOpen {
            deadline: demand.reveal_deadline,
            now,
        });
    }
    let fraud = fraud_proven(&market, id, seq, &info.sender, true)?;
    Ok(Response::new()
        .add_attribute("action", "slash_unrevealed")
        .add_attribute("lease", key)
        .add_attribute("seq", seq.to_string())
        .add_attribute("leaf", leaf.to_string())
        .add_message(fraud))
}

fn load_demand(deps: Deps, key: &str, seq: u64, leaf: u64) -> Result<Demand, ContractError> {
    DEMANDS
        .may_load(deps.storage, (key, seq, leaf))?
        .ok_or_else(|| ContractError::NotDemanded {
            lease: key.to_string(),
            seq,
            leaf,
        })
}

fn response(id: &LeaseId, seq: u64, leaf: u64, demand: Demand) -> DemandResponse {
    DemandResponse {
        lease: id.clone(),
        seq,
        leaf,
        leaf_count: demand.leaf_count,
        demanded_at: demand.demanded_at,
        reveal_deadline: demand.reveal_deadline,
        revealed: demand.revealed,
    }
}

pub fn query_demand(
    deps: Deps,
    id: LeaseId,
    seq: u64,
    leaf: u64,
) -> Result<DemandResponse, ContractError> {
    let demand = load_demand(deps, &id.to_string(), seq, leaf)?;
    Ok(response(&id, seq, leaf, demand))
}

pub fn query_open_demands(
    deps: Deps,
    id: LeaseId,
    start_after: Option<DemandedLeaf>,
    limit: Option<u32>,
) -> Result<DemandsResponse, ContractError> {
    let key = id.to_string();
    let start = start_after.map(|d| Bound::exclusive((d.seq, d.leaf)));
    let demands = OPEN
        .sub_prefix(&key)
        .keys(deps.storage, start, None, Order::Ascending)
        .take(page_size(limit))
        .map(|k| {
            let (seq, leaf) = k?;
            let demand = load_demand(deps, &key, seq, leaf)?;
            Ok(response(&id, seq, leaf, demand))
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(DemandsResponse { demands })
}
