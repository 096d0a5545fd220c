//! What a message does outside the market's own storage: bank transfers and reports to the
//! registry. Collected while state changes, turned into a response at the end.

use cosmwasm_std::{to_json_binary, Addr, Response, StdResult, SubMsg, Uint128, WasmMsg};
use tessera_api::registry::{ExecuteMsg as RegistryExecuteMsg, ProviderEvent};

use crate::transfers::Transfers;

/// Reply id of registry reports. They are sent as `reply_on_error` submessages so that a
/// failing registry can never block the market (above all its end-block hook): the failure is
/// logged as an event attribute instead of reverting the block's market work.
pub const REPLY_REGISTRY_REPORT: u64 = 1;

#[derive(Debug, Default)]
pub struct Effects {
    pub transfers: Transfers,
    registry_reports: Vec<SubMsg>,
}

impl Effects {
    /// Queues a lease event for the registry's reputation counters.
    pub fn report(
        &mut self,
        registry: &str,
        provider: &Addr,
        event: ProviderEvent,
    ) -> StdResult<()> {
        self.report_paid(registry, provider, event, Uint128::zero())
    }

    /// [`Self::report`] with what the tenant paid over the lease (for completions).
    pub fn report_paid(
        &mut self,
        registry: &str,
        provider: &Addr,
        event: ProviderEvent,
        paid: Uint128,
    ) -> StdResult<()> {
        let msg = WasmMsg::Execute {
            contract_addr: registry.to_string(),
            msg: to_json_binary(&RegistryExecuteMsg::Record {
                provider: provider.to_string(),
                event,
                paid,
            })?,
            funds: vec![],
        };
        self.registry_reports
            .push(SubMsg::reply_on_error(msg, REPLY_REGISTRY_REPORT));
        Ok(())
    }

    /// Adds the effects of `other` (a finished end-block item) after these.
    pub fn merge(&mut self, other: Effects) {
        self.transfers.merge(other.transfers);
        self.registry_reports.extend(other.registry_reports);
    }

    /// Adds the bank messages, then the registry reports, to `response`.
    pub fn into_response(self, response: Response) -> Response {
        response
            .add_messages(self.transfers.into_messages())
            .add_submessages(self.registry_reports)
    }
}
