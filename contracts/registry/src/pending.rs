//! Payments held for dispute windows: while the market still holds any of a provider's attested
//! payments, proven fraud over them can still be slashed, so the provider may neither unbond nor
//! deregister (docs/verification.md, "Payment holdback").

use cosmwasm_std::{Addr, Deps};
use tessera_api::market::{PaymentsPendingResponse, QueryMsg as MarketQueryMsg};
use tessera_api::registry::RegistryParams;

use crate::error::ContractError;

/// Refuses `action` while the market holds payments of `provider` whose dispute windows are
/// open. Without a market there is nothing to wait for.
pub fn ensure_no_payments_pending(
    deps: Deps,
    params: &RegistryParams,
    provider: &Addr,
    action: &'static str,
) -> Result<(), ContractError> {
    let Some(market) = &params.market else {
        return Ok(());
    };
    let pending: PaymentsPendingResponse = deps.querier.query_wasm_smart(
        market,
        &MarketQueryMsg::PaymentsPending {
            provider: provider.to_string(),
        },
    )?;
    match pending.until {
        Some(until) => Err(ContractError::PaymentsPending {
            provider: provider.to_string(),
            action,
            until,
        }),
        None => Ok(()),
    }
}
