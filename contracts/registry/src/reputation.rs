//! How providers behave: the market records lease events into their reputation, and the market
//! or the authority slashes them. Both write the provider's [`Standing`], which outlives its
//! registration, so a provider cannot shed its history by deregistering.

use cosmwasm_std::{BankMsg, Coin, DepsMut, MessageInfo, Response, Uint128};
use tessera_api::registry::{ProviderEvent, SlashAward, UnbondingEntry};
use tessera_api::validation::{check_text, MAX_TEXT_LEN};
use tessera_api::ValidationError;

use crate::bond_math;
use crate::error::{allowed, ContractError};
use crate::msg::validate_addr;
use crate::state::{
    load_standing, load_unbonding, save_unbonding, Standing, PARAMS, PROVIDERS, STANDING,
};
use crate::status_index::reindex;

/// Market only. Never fails for an unknown or deregistered provider: the market calls this
/// inside its own transactions and must not get stuck because a provider went away.
pub fn execute_record(
    deps: DepsMut,
    info: MessageInfo,
    provider: String,
    event: ProviderEvent,
    paid: Uint128,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let params = PARAMS.load(deps.storage)?;
    if params.market.as_deref() != Some(info.sender.as_str()) {
        return Err(ContractError::unauthorized(
            &info,
            "record lease events",
            allowed::MARKET,
        ));
    }
    let response = Response::new()
        .add_attribute("action", "record")
        .add_attribute("provider", &provider)
        .add_attribute("event", event_name(event));
    let addr = deps.api.addr_validate(&provider).ok();
    let Some(addr) = addr.filter(|a| PROVIDERS.has(deps.storage, a)) else {
        return Ok(response.add_attribute("ignored", "provider not registered"));
    };
    let mut standing = load_standing(deps.storage, &addr)?;
    count(&mut standing, event, paid);
    STANDING.save(deps.storage, &addr, &standing)?;
    Ok(response.add_attribute(
        "active_leases",
        standing.reputation.active_leases.to_string(),
    ))
}

/// Market or authority: takes `fraction_bps` of the bond and of every unbonding entry to the
/// community pool, jails, and counts the slash. An address that has deregistered but still has
/// entries unbonding is slashed on those entries (misbehaviour found after a provider left is
/// still punished); an address with neither a registration nor entries is refused.
pub fn execute_slash(
    deps: DepsMut,
    info: MessageInfo,
    provider: String,
    fraction_bps: u16,
    reason: String,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let slashed = slash_with(deps, &info, provider, reason, |bond, entries| {
        bond_math::slash(bond, entries, fraction_bps)
    })?;
    let mut response = slashed
        .response
        .add_attribute("fraction_bps", fraction_bps.to_string());
    if !slashed.total.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: params.community_pool,
            amount: vec![Coin::new(slashed.total, &params.bond_denom)],
        });
    }
    Ok(response)
}

/// Market or authority: proven fraud. Takes `amount` (or all there is), pays each award its
/// share of what was taken and burns the rest, so the parts always sum to the slash exactly.
pub fn execute_slash_for_fraud(
    deps: DepsMut,
    info: MessageInfo,
    provider: String,
    amount: Uint128,
    awards: Vec<SlashAward>,
    reason: String,
) -> Result<Response, ContractError> {
    let params = PARAMS.load(deps.storage)?;
    let mut payees = Vec::with_capacity(awards.len());
    let mut bps_total: u32 = 0;
    for award in &awards {
        payees.push(validate_addr(deps.api, "award address", &award.address)?);
        bps_total += u32::from(award.bps);
    }
    if bps_total > u32::from(bond_math::BPS_WHOLE) {
        return Err(ValidationError::new(
            "slash awards",
            format!("must sum to at most 10000 bps, got {bps_total}"),
        )
        .into());
    }
    let slashed = slash_with(deps, &info, provider, reason, |bond, entries| {
        bond_math::take(bond, entries, amount)
    })?;
    let mut response = slashed.response.add_attribute("amount", amount.to_string());
    let mut burned = slashed.total;
    for (payee, award) in payees.into_iter().zip(&awards) {
        let share = bond_math::fraction_of(slashed.total, award.bps)?;
        if share.is_zero() {
            continue;
        }
        burned = burned.checked_sub(share)?;
        response = response
            .add_attribute("awarded", format!("{share} to {payee}"))
            .add_message(BankMsg::Send {
                to_address: payee.to_string(),
                amount: vec![Coin::new(share, &params.bond_denom)],
            });
    }
    response = response.add_attribute("burned", burned.to_string());
    if !burned.is_zero() {
        response = response.add_message(BankMsg::Burn {
            amount: vec![Coin::new(burned, &params.bond_denom)],
        });
    }
    Ok(response)
}

/// What a slash took, and the response recording it (its funds not yet sent).
struct Slashed {
    total: Uint128,
    response: Response,
}

/// The part every slash shares: authorise, take what `cut` says from the bond and the unbonding
/// entries, jail, count it, reindex.
fn slash_with(
    deps: DepsMut,
    info: &MessageInfo,
    provider: String,
    reason: String,
    cut: impl FnOnce(Uint128, &[UnbondingEntry]) -> Result<bond_math::SlashOutcome, ContractError>,
) -> Result<Slashed, ContractError> {
    cw_utils::nonpayable(info)?;
    let params = PARAMS.load(deps.storage)?;
    let sender = info.sender.as_str();
    if sender != params.authority && params.market.as_deref() != Some(sender) {
        return Err(ContractError::unauthorized(
            info,
            "slash",
            allowed::MARKET_OR_AUTHORITY,
        ));
    }
    if reason.is_empty() {
        return Err(ValidationError::new("slash reason", "must not be empty").into());
    }
    check_text("slash reason", &reason, MAX_TEXT_LEN)?;
    let addr = validate_addr(deps.api, "provider", &provider)?;
    let record = PROVIDERS.may_load(deps.storage, &addr)?;
    let entries = load_unbonding(deps.storage, &addr)?;
    if record.is_none() && entries.is_empty() {
        return Err(ContractError::ProviderNotFound {
            provider: addr.to_string(),
        });
    }
    let bonded = record.as_ref().map_or(Uint128::zero(), |r| r.bond);
    let outcome = cut(bonded, &entries)?;
    let total = outcome.total()?;

    let registered = record.is_some();
    if let Some(mut record) = record {
        record.bond = outcome.bond_left;
        PROVIDERS.save(deps.storage, &addr, &record)?;
    }
    save_unbonding(deps.storage, &addr, outcome.entries_left)?;
    let mut standing = load_standing(deps.storage, &addr)?;
    standing.jailed = true;
    standing.reputation.slashes = standing.reputation.slashes.saturating_add(1);
    STANDING.save(deps.storage, &addr, &standing)?;
    reindex(deps.storage, &addr)?;

    let response = Response::new()
        .add_attribute("action", "slash")
        .add_attribute("provider", &addr)
        .add_attribute("registered", registered.to_string())
        .add_attribute("bond_slashed", outcome.bond_slashed.to_string())
        .add_attribute("unbonding_slashed", outcome.unbonding_slashed.to_string())
        .add_attribute("total_slashed", total.to_string())
        .add_attribute("bond", outcome.bond_left.to_string())
        .add_attribute("jailed", "true")
        .add_attribute("reason", reason);
    Ok(Slashed { total, response })
}

/// Moves the counters for one lease event. Saturating rather than checked: a counter reaching
/// `u64::MAX` must not block the market.
fn count(standing: &mut Standing, event: ProviderEvent, paid: Uint128) {
    let r = &mut standing.reputation;
    match event {
        ProviderEvent::LeaseStarted => {
            r.leases_started = r.leases_started.saturating_add(1);
            r.active_leases = r.active_leases.saturating_add(1);
        }
        ProviderEvent::LeaseCompleted => {
            r.leases_completed = r.leases_completed.saturating_add(1);
            r.value_completed = r.value_completed.saturating_add(paid);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_saturate_instead_of_failing() {
        let mut standing = Standing::default();
        standing.reputation.leases_started = u64::MAX;
        standing.reputation.active_leases = u64::MAX;
        count(&mut standing, ProviderEvent::LeaseStarted, Uint128::zero());
        assert_eq!(standing.reputation.leases_started, u64::MAX);
        assert_eq!(standing.reputation.active_leases, u64::MAX);

        let mut standing = Standing::default();
        standing.reputation.value_completed = Uint128::MAX;
        count(
            &mut standing,
            ProviderEvent::LeaseCompleted,
            Uint128::new(5),
        );
        assert_eq!(standing.reputation.value_completed, Uint128::MAX);

        let mut standing = Standing::default();
        count(&mut standing, ProviderEvent::LeaseReleased, Uint128::zero());
        assert_eq!(standing.reputation.active_leases, 0);
        assert_eq!(standing.reputation.leases_released, 1);
    }
}
