//! Proven fraud, as the referee reports it: a leaf of an attestation did not match its
//! recomputation. The lease closes without paying what it had not paid out yet (held payments
//! of attested periods, pay not yet attested, accrual since the last settlement: all back to the
//! tenant), and the registry slashes the provider
//! `S = max(multiplier × the disputed period's payment, min_slash)`, paying the disputer and the
//! tenant their shares, burning the rest, and jailing it.

use cosmwasm_std::{
    to_json_binary, Addr, DepsMut, Env, MessageInfo, Response, SubMsg, Uint128, WasmMsg,
};
use cw_storage_plus::Map;
use tessera_api::market::{
    close_reason, DisputeParams, LeaseState, MarketParams, SECONDS_PER_HOUR,
};
use tessera_api::registry::{ExecuteMsg as RegistryExecuteMsg, SlashAward};
use tessera_api::{CommonError, LeaseId};

use crate::attestation::load_attestation;
use crate::deployment_store::{load_deployment, save_deployment};
use crate::effects::{Effects, REPLY_REGISTRY_REPORT};
use crate::error::ContractError;
use crate::holdback::void_pending;
use crate::lease::{close, load_lease, Closer};
use crate::state::{save_lease, Attestation, PARAMS};

/// Lease uid → the attestation whose fraud was proven: one slash per lease.
const FRAUD_PROVEN: Map<u64, u64> = Map::new("fraud_proven");

pub fn execute_fraud_proven(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    seq: u64,
    disputer: String,
    unrevealed: bool,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    if params.dispute.referee.as_deref() != Some(info.sender.as_str()) {
        return Err(CommonError::unauthorized("reporting fraud", "the referee").into());
    }
    let disputer = deps.api.addr_validate(&disputer)?;
    let reason = if unrevealed {
        close_reason::NETWORK_SAMPLE_NOT_REVEALED
    } else {
        close_reason::NETWORK_FRAUD_PROVEN
    };
    convict(deps, env, id, seq, disputer, reason)
}

/// The consequences of fraud on attestation `seq` of lease `id` (a wrong leaf proven by the
/// referee, or a sampled or demanded leaf never revealed): the lease closed with `reason`, everything it has not
/// paid out back to the tenant, the provider slashed (an award to `disputer`) and jailed. Once
/// per lease.
fn convict(
    deps: DepsMut,
    env: Env,
    id: LeaseId,
    seq: u64,
    disputer: Addr,
    reason: u32,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let terms = &params.dispute;
    let now = env.block.time.seconds();
    let mut lease = load_lease(deps.storage, deps.api, &id)?;
    let attestation = load_attestation(deps.storage, &lease, &id, seq)?;
    if let Some(proven) = FRAUD_PROVEN.may_load(deps.storage, lease.uid)? {
        return Err(ContractError::FraudAlreadyProven {
            lease: id.to_string(),
            seq: proven,
        });
    }
    FRAUD_PROVEN.save(deps.storage, lease.uid, &seq)?;
    let slash = slash_amount(terms, lease.price, &attestation)?;

    let mut fx = Effects::default();
    let mut deployment = load_deployment(deps.storage, &lease.owner, lease.dseq)?;
    // Nothing the lease drew and has not paid out goes to the provider: held payments of
    // attested periods and pay not yet attested go back to the tenant.
    let voided = void_pending(&mut lease, &mut deployment, &mut fx);
    if lease.state != LeaseState::Closed {
        // What accrued since the last settlement is voided too: the settlement inside `close`
        // finds nothing owed, and the escrow keeps it for the tenant.
        lease.settled_to = lease.settled_to.max(now);
        lease.remainder = 0;
        lease.debt = Uint128::zero();
        close(
            deps.storage,
            &mut lease,
            &mut deployment,
            Closer::Network,
            reason,
            &params,
            now,
            &mut fx,
        )?;
    } else {
        save_lease(deps.storage, &lease, LeaseState::Closed)?;
    }
    save_deployment(deps.storage, &deployment)?;
    let slash_msg = WasmMsg::Execute {
        contract_addr: params.registry.clone(),
        msg: to_json_binary(&RegistryExecuteMsg::SlashForFraud {
            provider: lease.provider.to_string(),
            amount: slash,
            awards: vec![
                SlashAward {
                    address: disputer.to_string(),
                    bps: terms.disputer_bps,
                },
                SlashAward {
                    address: lease.owner.to_string(),
                    bps: terms.tenant_bps,
                },
            ],
            reason: if reason == close_reason::NETWORK_SAMPLE_NOT_REVEALED {
                format!(
                    "lease {id} attestation {seq}: a sampled or demanded leaf was never revealed"
                )
            } else {
                format!("fraud proven on lease {id} attestation {seq}")
            },
        })?,
        funds: vec![],
    };
    // Like every registry call of the market, a failing registry (a provider with nothing left
    // to take) must not undo the close: the failure is logged by the reply.
    Ok(fx
        .into_response(
            Response::new()
                .add_attribute("action", "fraud_proven")
                .add_attribute("lease", id.to_string())
                .add_attribute("seq", seq.to_string())
                .add_attribute("disputer", disputer)
                .add_attribute("slash", slash.to_string())
                .add_attribute("voided", voided.to_string()),
        )
        .add_submessage(SubMsg::reply_on_error(slash_msg, REPLY_REGISTRY_REPORT)))
}

/// The slash for the disputed attestation: see [`slash_for_period`].
pub fn slash_amount(
    terms: &DisputeParams,
    price_per_hour: Uint128,
    attestation: &Attestation,
) -> Result<Uint128, ContractError> {
    let period = attestation
        .period_end
        .saturating_sub(attestation.period_start);
    slash_for_period(terms, price_per_hour, period)
}

/// `max(multiplier × price × secs / 1 h, min_slash)`: what a period of `secs` pays, times the
/// multiplier, so faking never saves more than it risks.
fn slash_for_period(
    terms: &DisputeParams,
    price_per_hour: Uint128,
    secs: u64,
) -> Result<Uint128, ContractError> {
    let overflow = || CommonError::overflow("slash amount");
    let period_pay = price_per_hour
        .checked_multiply_ratio(secs, SECONDS_PER_HOUR)
        .map_err(|_| overflow())?;
    let multiplied = period_pay
        .checked_mul(Uint128::from(terms.slash_multiplier))
        .map_err(|_| overflow())?;
    Ok(multiplied.max(terms.min_slash))
}

/// The bond a provider needs to take one more lease at `price` while it holds `active` leases:
/// what proven fraud would take on each — the minimum slash on those it holds (their prices
/// are not read here), and on the new one the slash of a full attestation interval at `price`.
pub fn bond_required(
    params: &MarketParams,
    active: u64,
    price: Uint128,
) -> Result<Uint128, ContractError> {
    let terms = &params.dispute;
    let new_lease = slash_for_period(terms, price, params.attestation_interval_secs)?;
    terms
        .min_slash
        .checked_mul(Uint128::from(active))
        .and_then(|held| held.checked_add(new_lease))
        .map_err(|_| CommonError::overflow("required bond").into())
}
