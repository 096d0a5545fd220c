//! Tessera's market: deployments post orders, providers bid in a reverse auction, winners run
//! leases paid by the second from escrow, and attest their usage on chain.
//!
//! Module roles: `contract` dispatches, `state` holds storage, `error` the errors; each of
//! `deployment`, `auction`, `lease`, `attestation`, `end_block` and `params` handles one
//! part of the market, `deployment_store` loads and saves deployments (shared by those parts),
//! `escrow` is the pure money arithmetic, `query` the read side.

pub mod attestation;
pub mod auction;
pub mod contract;
pub mod deployment;
pub mod deployment_store;
pub mod effects;
pub mod end_block;
pub mod error;
pub mod escrow;
pub mod item_tx;
pub mod lease;
pub mod params;
pub mod query;
pub mod receipt;
pub mod registry;
pub mod state;
pub mod transfers;

pub use crate::error::ContractError;

#[cfg(not(feature = "library"))]
pub mod entry {
    use cosmwasm_std::{entry_point, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response};
    use tessera_api::market::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

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
    pub fn sudo(deps: DepsMut, env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
        contract::sudo(deps, env, msg)
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
