//! Tessera's governance: voters stake for power, propose and vote on changes to the market's
//! and registry's parameters, auditors and the community pool, and passed proposals execute as
//! messages to those contracts, whose params authority this contract is.
//!
//! Module roles: `contract` dispatches, `state` holds storage, `error` the errors; `staking`,
//! `proposal` and `actions` handle their part; `tally` decides outcomes (pure); `params`
//! validates; `query` is the read side.

pub mod actions;
pub mod contract;
pub mod error;
pub mod params;
pub mod pins;
pub mod proposal;
pub mod query;
pub mod staking;
pub mod state;
pub mod tally;

pub use crate::error::ContractError;

#[cfg(not(feature = "library"))]
pub mod entry {
    use cosmwasm_std::{entry_point, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response};
    use tessera_api::governance::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

    use crate::{contract, ContractError};

    #[entry_point]
    pub fn instantiate(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: InstantiateMsg,
    ) -> Result<Response, ContractError> {
        contract::instantiate(deps, env, info, msg)
    }

    #[entry_point]
    pub fn execute(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: ExecuteMsg,
    ) -> Result<Response, ContractError> {
        contract::execute(deps, env, info, msg)
    }

    #[entry_point]
    pub fn reply(deps: DepsMut, env: Env, msg: Reply) -> Result<Response, ContractError> {
        contract::reply(deps, env, msg)
    }

    #[entry_point]
    pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
        contract::query(deps, env, msg)
    }

    #[entry_point]
    pub fn migrate(deps: DepsMut, env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
        contract::migrate(deps, env, msg)
    }
}
