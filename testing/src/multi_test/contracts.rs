//! The contracts as cw-multi-test runs them, and the registry, market and referee deployed
//! together.

use std::fmt::Debug;

use cosmwasm_std::{Addr, Coin, Empty, StdResult};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use serde::Serialize;
use tessera_api::market::{
    DisputeParams, ExecuteMsg as MarketExecuteMsg, InstantiateMsg as MarketInstantiateMsg,
    MarketParams, MarketParamsUpdate, QueryMsg as MarketQueryMsg,
};
use tessera_api::referee::InstantiateMsg as RefereeInstantiateMsg;
use tessera_api::registry::{
    ExecuteMsg as RegistryExecuteMsg, InstantiateMsg as RegistryInstantiateMsg,
    RegistryParamsUpdate,
};

use super::errors::assert_error_text;
use crate::params::{market_params, registry_params};

/// The registry: execute, instantiate, query and migrate.
pub fn registry_contract() -> Box<dyn Contract<Empty>> {
    use tessera_registry::contract as c;
    Box::new(ContractWrapper::new(c::execute, c::instantiate, c::query).with_migrate(c::migrate))
}

/// The market: execute, instantiate, query, sudo (the end-block hook), reply and migrate.
pub fn market_contract() -> Box<dyn Contract<Empty>> {
    use tessera_market::contract as c;
    Box::new(
        ContractWrapper::new(c::execute, c::instantiate, c::query)
            .with_sudo(c::sudo)
            .with_reply(c::reply)
            .with_migrate(c::migrate),
    )
}

/// Governance: execute, instantiate, query, reply (its proposals' messages) and migrate.
pub fn governance_contract() -> Box<dyn Contract<Empty>> {
    use tessera_governance::contract as c;
    Box::new(
        ContractWrapper::new(c::execute, c::instantiate, c::query)
            .with_reply(c::reply)
            .with_migrate(c::migrate),
    )
}

/// The referee: execute, instantiate, query and migrate.
pub fn referee_contract() -> Box<dyn Contract<Empty>> {
    use tessera_referee::contract as c;
    Box::new(ContractWrapper::new(c::execute, c::instantiate, c::query).with_migrate(c::migrate))
}

/// The registry and the market of [`deploy_market_stack`].
pub struct MarketStack {
    pub registry: Addr,
    pub market: Addr,
}

/// Stores and instantiates the registry and the market at the defaults, `authority` governing
/// both and `pool` their community pool, with `adjust` applied to the market's params; then the
/// authority tells the registry the market's address, as genesis does. Disputes are off until
/// [`add_referee`] names a referee.
pub fn deploy_market_stack(
    app: &mut App,
    admin: &Addr,
    authority: &Addr,
    pool: &Addr,
    adjust: impl FnOnce(&mut MarketParams),
) -> MarketStack {
    let registry_code = app.store_code(registry_contract());
    let market_code = app.store_code(market_contract());
    let registry = app
        .instantiate_contract(
            registry_code,
            admin.clone(),
            &RegistryInstantiateMsg {
                params: registry_params(authority.as_str(), pool.as_str()),
                auditors: vec![],
            },
            &[],
            "registry",
            None,
        )
        .expect("registry instantiates");
    let mut params = market_params(authority.as_str(), registry.as_str(), pool.as_str());
    adjust(&mut params);
    let market = app
        .instantiate_contract(
            market_code,
            admin.clone(),
            &MarketInstantiateMsg { params },
            &[],
            "market",
            None,
        )
        .expect("market instantiates");
    app.execute_contract(
        authority.clone(),
        registry.clone(),
        &RegistryExecuteMsg::UpdateParams(RegistryParamsUpdate {
            market: Some(market.to_string()),
            ..Default::default()
        }),
        &[],
    )
    .expect("registry learns the market");
    MarketStack { registry, market }
}

/// Deploys the referee for `stack`'s market and has `authority` name it the market's
/// `dispute.referee`, as genesis does: disputes are on, payments held back.
pub fn add_referee(app: &mut App, admin: &Addr, authority: &Addr, stack: &MarketStack) -> Addr {
    let market = stack.market.clone();
    let referee_code = app.store_code(referee_contract());
    let referee = app
        .instantiate_contract(
            referee_code,
            admin.clone(),
            &RefereeInstantiateMsg {
                market: market.to_string(),
            },
            &[],
            "referee",
            None,
        )
        .expect("referee instantiates");
    let dispute = app
        .wrap()
        .query_wasm_smart::<MarketParams>(&market, &MarketQueryMsg::Params {})
        .expect("market params")
        .dispute;
    app.execute_contract(
        authority.clone(),
        market.clone(),
        &MarketExecuteMsg::UpdateParams(MarketParamsUpdate {
            dispute: Some(DisputeParams {
                referee: Some(referee.to_string()),
                ..dispute
            }),
            ..Default::default()
        }),
        &[],
    )
    .expect("market learns its referee");
    referee
}

/// A suite about one contract: the contract and the chain it runs on, from which every suite
/// gets the same `execute` and `expect_error`.
pub trait ContractSuite {
    /// The contract's execute message.
    type ExecuteMsg: Serialize + Debug;

    fn app_mut(&mut self) -> &mut App;

    /// The contract the suite is about.
    fn contract(&self) -> Addr;

    /// Runs `msg` on the contract from `sender` with `funds`.
    fn execute(
        &mut self,
        sender: &Addr,
        msg: &Self::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let contract = self.contract();
        self.app_mut()
            .execute_contract(sender.clone(), contract, msg, funds)
    }

    /// Runs `msg` expecting the contract to refuse it with exactly `expected`. (cw-multi-test
    /// carries contract errors as text, so the message is compared.)
    #[track_caller]
    fn expect_error(
        &mut self,
        sender: &Addr,
        msg: &Self::ExecuteMsg,
        funds: &[Coin],
        expected: impl ToString,
    ) {
        let err = self
            .execute(sender, msg, funds)
            .expect_err("the contract should refuse this message");
        assert_error_text(&err, &expected.to_string());
    }
}
