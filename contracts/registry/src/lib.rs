//! Tessera's provider registry: who may bid in the market, with which attributes and GPUs, how
//! much they have bonded, what auditors vouch for, and how they have behaved.
//!
//! Module roles: `contract` dispatches, `state` holds storage, `error` the errors, `msg` the
//! messages; `provider` (registration), `bonding` (bond and unbonding), `auditors` (auditor set
//! and signatures), `reputation` (lease events and slashing) and `params` each handle one part
//! of the registry, `bond` is the pure bond arithmetic, `status_index` the providers by jail and bond, `query`
//! the read side.

pub mod auditors;
pub mod bond_math;
pub mod bonding;
pub mod contract;
pub mod error;
pub mod msg;
pub mod params;
pub mod provider;
pub mod query;
pub mod reputation;
pub mod state;
pub mod status_index;

pub use crate::error::ContractError;

#[cfg(not(feature = "library"))]
pub mod entry {
    use cosmwasm_std::{entry_point, Binary, Deps, DepsMut, Env, MessageInfo, Response};
    use tessera_api::registry::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

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
    pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
        contract::query(deps, env, msg)
    }

    #[entry_point]
    pub fn migrate(deps: DepsMut, env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
        contract::migrate(deps, env, msg)
    }
}
