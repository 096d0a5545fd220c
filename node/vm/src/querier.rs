//! What a contract can ask the chain while it runs (`deps.querier`): the VM's [`Querier`] for one
//! contract instance, which meters each query and hands it to a [`QueryHandler`].
//!
//! Each query runs under its own meter limited to the gas the VM has left; what it spends is
//! charged to the caller's meter and reported to the VM as externally used gas (wasmd's
//! `QueryHandler`). Running out of gas in a query aborts the caller; other failures come back to
//! the contract as an error result.
//!
//! The answers come from `query_handler` (bank, wasm smart/raw/info queries). A smart query runs
//! another contract, so answering needs `exec`, which needs this file to give every instance a
//! querier: the [`QueryHandler`] trait is what lets this file call up without importing it.

use cosmwasm_std::{Binary, ContractResult, SystemResult};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Querier};

use crate::error::WasmError;
use crate::gas::GasMeter;

pub(crate) type QueryResult = SystemResult<ContractResult<Binary>>;

/// Answers a contract's queries: `Exec` does, in `query_handler`.
pub(crate) trait QueryHandler: Send + Sync {
    /// Answers one query request, charging `gas`. `Err` only for running out of gas, which
    /// must abort the querying contract; every other failure is an answer.
    fn handle_query(&self, request: &[u8], gas: GasMeter) -> Result<QueryResult, WasmError>;
}

/// The VM's querier for one contract instance.
pub struct ContractQuerier {
    handler: Box<dyn QueryHandler>,
    /// The querying call's meter, which pays for its queries.
    gas: GasMeter,
    /// CosmWasm gas per SDK gas unit ([`crate::GasCosts::multiplier`]).
    multiplier: u64,
}

impl ContractQuerier {
    pub(crate) fn new(handler: Box<dyn QueryHandler>, gas: GasMeter, multiplier: u64) -> Self {
        Self {
            handler,
            gas,
            multiplier,
        }
    }
}

impl Querier for ContractQuerier {
    fn query_raw(&self, request: &[u8], gas_limit: u64) -> BackendResult<QueryResult> {
        let mult = self.multiplier;
        let meter = GasMeter::new(gas_limit / mult);
        let outcome = self.handler.handle_query(request, meter.clone());
        let spent = meter.used();
        // The caller pays what the query spent, even when it failed.
        let parent = self.gas.consume(spent, "contract sub-query");
        let gas = GasInfo::with_externally_used(spent.saturating_mul(mult));
        match (outcome, parent) {
            (Ok(result), Ok(())) => (Ok(result), gas),
            _ => (Err(BackendError::out_of_gas()), gas),
        }
    }
}
