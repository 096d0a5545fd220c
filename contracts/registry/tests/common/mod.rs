//! A registry on a cw-multi-test chain, with named accounts holding genesis balances.

// Each test binary uses a part of these helpers and re-exports.
#![allow(dead_code, unused_imports)]

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{
    coin, to_json_binary, Addr, Binary, Coin, Deps, DepsMut, Empty, Env, MessageInfo, Response,
    StdError, StdResult, Uint128,
};
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use serde::de::DeserializeOwned;
use tessera_api::attributes::Attribute;
use tessera_api::market::{PaymentsPendingResponse, QueryMsg as MarketQueryMsg};
use tessera_api::registry::{
    ExecuteMsg, InstantiateMsg, MigrateMsg, ProviderEvent, ProviderInfo, ProviderResponse,
    QueryMsg, RegistryParams, Reputation, UnbondingResponse,
};
use tessera_registry::ContractError;
use tessera_testing::multi_test::{self, registry_contract};

pub use tessera_testing::multi_test::{contract_message, wasm_attr, ContractSuite};
pub use tessera_testing::{h100, DENOM};

pub const OTHER_DENOM: &str = "uatom";
pub const MIN_BOND: u128 = 100;
pub const UNBONDING_SECS: u64 = 7 * 24 * 60 * 60;
pub const MAX_ENTRIES: u32 = 3;
/// What every named account holds at genesis, in each of `DENOM` and `OTHER_DENOM`.
pub const GENESIS: u128 = 10_000;

pub fn addr(name: &str) -> Addr {
    MockApi::default().addr_make(name)
}

pub fn utsr(amount: u128) -> Vec<Coin> {
    vec![coin(amount, DENOM)]
}

pub fn attr(key: &str, value: &str) -> Attribute {
    Attribute::new(key, value)
}

pub fn register_msg(host: &str, attributes: Vec<Attribute>) -> ExecuteMsg {
    ExecuteMsg::Register {
        host_uri: format!("https://{host}:8443"),
        tls_fingerprint: None,
        attributes,
        gpus: vec![h100(8)],
        info: ProviderInfo {
            email: "ops@example.com".into(),
            website: "https://example.com".into(),
        },
    }
}

#[track_caller]
pub fn assert_error<T: std::fmt::Debug>(result: StdResult<T>, expected: ContractError) {
    let err = result.expect_err("the call should have failed");
    assert_eq!(contract_message(&err), expected.to_string());
}

/// The registry's params at the defaults, but for a small bond, a market already named and few
/// unbonding entries, which the tests reach.
pub fn default_params() -> RegistryParams {
    RegistryParams {
        market: Some(addr("market").into_string()),
        min_bond: Uint128::new(MIN_BOND),
        unbonding_period_secs: UNBONDING_SECS,
        max_unbonding_entries: MAX_ENTRIES,
        ..tessera_testing::registry_params(addr("gov").as_str(), addr("pool").as_str())
    }
}

pub struct Suite {
    pub app: App,
    pub code_id: u64,
    pub registry: Addr,
    pub authority: Addr,
    pub market: Addr,
    pub pool: Addr,
    pub auditor: Addr,
    pub auditor2: Addr,
    pub provider: Addr,
    pub provider2: Addr,
    pub stranger: Addr,
}

/// A stand-in for the market: the registry only sends it `payments_pending`, which answers
/// what the test last set with [`Suite::set_payments_pending`] while that time is in the future.
mod stub_market {
    use super::*;

    const PENDING_UNTIL: &[u8] = b"pending_until";

    pub fn instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Ok(Response::new())
    }

    /// Sets (or clears, with `null`) until when the provider's payments are pending.
    pub fn execute(
        deps: DepsMut,
        _: Env,
        _: MessageInfo,
        until: Option<u64>,
    ) -> StdResult<Response> {
        match until {
            Some(until) => deps.storage.set(PENDING_UNTIL, &until.to_be_bytes()),
            None => deps.storage.remove(PENDING_UNTIL),
        }
        Ok(Response::new())
    }

    pub fn query(deps: Deps, env: Env, msg: MarketQueryMsg) -> StdResult<Binary> {
        let MarketQueryMsg::PaymentsPending { provider } = msg else {
            return Err(StdError::msg(
                "the stub market answers payments_pending only",
            ));
        };
        let until = deps
            .storage
            .get(PENDING_UNTIL)
            .map(|bytes| u64::from_be_bytes(bytes.try_into().expect("8 bytes")))
            .filter(|&until| until > env.block.time.seconds());
        to_json_binary(&PaymentsPendingResponse { provider, until })
    }
}

/// Accounts given genesis balances.
const FUNDED: [&str; 8] = [
    "gov",
    "market",
    "auditor",
    "auditor2",
    "provider",
    "provider2",
    "provider3",
    "stranger",
];

impl ContractSuite for Suite {
    type ExecuteMsg = ExecuteMsg;

    fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    fn contract(&self) -> Addr {
        self.registry.clone()
    }
}

impl Suite {
    /// A registry with the default params and `auditor` as the only auditor.
    pub fn new() -> Self {
        Self::with(default_params(), vec![addr("auditor").into_string()])
            .expect("default instantiation succeeds")
    }

    pub fn with(params: RegistryParams, auditors: Vec<String>) -> StdResult<Self> {
        let mut app = App::new(|router, _api, storage| {
            for name in FUNDED {
                router
                    .bank
                    .init_balance(
                        storage,
                        &addr(name),
                        vec![coin(GENESIS, DENOM), coin(GENESIS, OTHER_DENOM)],
                    )
                    .expect("genesis balances");
            }
        });
        let code_id = app.store_code(registry_contract());
        let authority = addr("gov");
        let stub = app.store_code(Box::new(ContractWrapper::new(
            stub_market::execute,
            stub_market::instantiate,
            stub_market::query,
        )));
        let market =
            app.instantiate_contract(stub, authority.clone(), &Empty {}, &[], "stub-market", None)?;
        // Params naming the account "market" get the stub market in its place.
        let mut params = params;
        if params.market.as_deref() == Some(addr("market").as_str()) {
            params.market = Some(market.to_string());
        }
        let registry = app.instantiate_contract(
            code_id,
            authority.clone(),
            &InstantiateMsg { params, auditors },
            &[],
            "tessera-registry",
            Some(authority.to_string()),
        )?;
        Ok(Self {
            app,
            code_id,
            registry,
            authority,
            market,
            pool: addr("pool"),
            auditor: addr("auditor"),
            auditor2: addr("auditor2"),
            provider: addr("provider"),
            provider2: addr("provider2"),
            stranger: addr("stranger"),
        })
    }

    /// Registers `provider` with `bond` attached (none when zero) and the given attributes.
    pub fn register(
        &mut self,
        provider: &Addr,
        bond: u128,
        attributes: Vec<Attribute>,
    ) -> StdResult<AppResponse> {
        let funds = if bond == 0 { vec![] } else { utsr(bond) };
        let msg = register_msg("gpu.example.com", attributes);
        self.execute(provider, &msg, &funds)
    }

    /// Has the market say `provider`'s payments are held until `until` (`None`: none are).
    pub fn set_payments_pending(&mut self, until: Option<u64>) {
        let stub = self.market.clone();
        self.app
            .execute_contract(self.authority.clone(), stub, &until, &[])
            .expect("the stub market takes it");
    }

    /// The authority migrates the registry to the same code (what a governance upgrade runs).
    pub fn migrate(&mut self) -> StdResult<AppResponse> {
        let (gov, registry) = (self.authority.clone(), self.registry.clone());
        self.app
            .migrate_contract(gov, registry, &MigrateMsg {}, self.code_id)
    }

    pub fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(&self.registry, msg)
    }

    pub fn provider(&self, address: &Addr) -> ProviderResponse {
        self.query(&QueryMsg::Provider {
            address: address.to_string(),
        })
        .expect("provider is registered")
    }

    pub fn reputation(&self, provider: &Addr) -> Reputation {
        self.query(&QueryMsg::Reputation {
            provider: provider.to_string(),
        })
        .expect("provider is registered")
    }

    pub fn unbonding(&self, provider: &Addr) -> UnbondingResponse {
        self.query(&QueryMsg::Unbonding {
            provider: provider.to_string(),
        })
        .expect("unbonding query succeeds")
    }

    pub fn balance(&self, address: &Addr) -> u128 {
        multi_test::balance(&self.app, address)
    }

    /// Sum of `DENOM` held by the named accounts, the registry and the community pool: it must
    /// never change, whatever the registry does.
    pub fn total_supply_seen(&self) -> u128 {
        FUNDED
            .iter()
            .map(|name| self.balance(&addr(name)))
            .chain([self.balance(&self.registry), self.balance(&self.pool)])
            .sum()
    }

    pub fn advance(&mut self, secs: u64) {
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(secs);
            block.height += secs / 5 + 1;
        });
    }
}

// Messages the tests send often.

pub type TestResult = cosmwasm_std::StdResult<()>;

pub fn record(provider: &cosmwasm_std::Addr, event: ProviderEvent) -> ExecuteMsg {
    ExecuteMsg::Record {
        provider: provider.to_string(),
        event,
        paid: cosmwasm_std::Uint128::zero(),
    }
}

pub fn slash(provider: &cosmwasm_std::Addr, fraction_bps: u16, reason: &str) -> ExecuteMsg {
    ExecuteMsg::Slash {
        provider: provider.to_string(),
        fraction_bps,
        reason: reason.into(),
    }
}

pub fn sign(provider: &cosmwasm_std::Addr, attributes: Vec<tessera_api::Attribute>) -> ExecuteMsg {
    ExecuteMsg::SignAttributes {
        provider: provider.to_string(),
        attributes,
    }
}

pub fn revoke(provider: &cosmwasm_std::Addr, keys: &[&str]) -> ExecuteMsg {
    ExecuteMsg::RevokeAttributes {
        provider: provider.to_string(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
    }
}

pub fn unbond(amount: u128) -> ExecuteMsg {
    ExecuteMsg::Unbond {
        amount: Uint128::new(amount),
    }
}
