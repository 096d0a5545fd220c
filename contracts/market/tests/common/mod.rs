//! A chain in a box for market tests: cw-multi-test with the real registry and market
//! contracts, funded accounts, and helpers that read like the steps of a story. The fixtures
//! (amounts, GPUs, groups, offers, params, the wrapped contracts) come from `tessera-testing`.

// Each test binary uses a part of these helpers and re-exports.
#![allow(dead_code, unused_imports)]

use cosmwasm_std::{coins, Addr, Coin, StdResult, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use tessera_api::market::{
    BidResponse, DeploymentResponse, EscrowResponse, ExecuteMsg, GroupSpec, LeaseResponse,
    MarketParams, OrderResponse, QueryMsg, SudoMsg,
};
use tessera_api::registry::{ExecuteMsg as RegExecuteMsg, QueryMsg as RegQueryMsg, Reputation};
use tessera_api::{Attribute, BidId, DeploymentId, GpuSpec, OrderId};
use tessera_market::ContractError;
use tessera_testing::multi_test::{self, deploy_market_stack, Ledger, MarketStack};

pub use tessera_testing::multi_test::{first_attr as attr, market_contract, ContractSuite};
pub use tessera_testing::{
    a100, gpu_group, h100, market_params, offer, register_msg, BID_DEPOSIT, DENOM, INVENTORY,
    MANIFEST, MIN_BOND, MIN_DEPOSIT, ROOT, TSR,
};

pub struct Suite {
    pub app: App,
    pub market: Addr,
    pub registry: Addr,
    pub authority: Addr,
    pub pool: Addr,
    /// Every address that ever held funds and all that was minted, for the conservation check.
    pub ledger: Ledger,
}

/// The market params the tests start from: DESIGN §4.4 defaults.
pub fn default_params(authority: &Addr, registry: &Addr, pool: &Addr) -> MarketParams {
    market_params(authority.as_str(), registry.as_str(), pool.as_str())
}

impl ContractSuite for Suite {
    type ExecuteMsg = ExecuteMsg;

    fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    fn contract(&self) -> Addr {
        self.market.clone()
    }
}

impl Suite {
    pub fn new() -> Self {
        Self::with_params(|_| {})
    }

    pub fn with_params(adjust: impl FnOnce(&mut MarketParams)) -> Self {
        let mut app = multi_test::new_app();
        let authority = app.api().addr_make("governance");
        let pool = app.api().addr_make("community-pool");
        let admin = app.api().addr_make("admin");
        let MarketStack { registry, market } =
            deploy_market_stack(&mut app, &admin, &authority, &pool, adjust);
        Suite {
            app,
            ledger: Ledger::knowing(vec![
                market.clone(),
                registry.clone(),
                authority.clone(),
                pool.clone(),
            ]),
            market,
            registry,
            authority,
            pool,
        }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// An account `name` holding `amount` utsr (minted now).
    pub fn account(&mut self, name: &str, amount: u128) -> Addr {
        let addr = self.addr(name);
        self.mint(&addr, amount);
        addr
    }

    pub fn mint(&mut self, to: &Addr, amount: u128) {
        self.ledger.mint(&mut self.app, to, amount);
    }

    /// A registered provider bonded at the minimum, with `gpus` H100s and some spare funds.
    pub fn provider(&mut self, name: &str, gpus: u32) -> Addr {
        self.provider_with(name, vec![h100(gpus)], vec![])
    }

    pub fn provider_with(
        &mut self,
        name: &str,
        gpus: Vec<GpuSpec>,
        attributes: Vec<Attribute>,
    ) -> Addr {
        let addr = self.account(name, MIN_BOND + 100 * TSR);
        self.app
            .execute_contract(
                addr.clone(),
                self.registry.clone(),
                &register_msg(name, gpus, attributes),
                &coins(MIN_BOND, DENOM),
            )
            .expect("provider registers");
        addr
    }

    pub fn tenant(&mut self, name: &str) -> Addr {
        self.account(name, 1_000 * TSR)
    }

    pub fn create_deployment(
        &mut self,
        tenant: &Addr,
        dseq: u64,
        groups: Vec<GroupSpec>,
        deposit: u128,
    ) -> StdResult<AppResponse> {
        self.execute(
            tenant,
            &ExecuteMsg::CreateDeployment {
                dseq: Some(dseq),
                groups,
                manifest_hash: MANIFEST.into(),
                bid_window_secs: None,
                sample_size: None,
                secret_hash: None,
            },
            &coins(deposit, DENOM),
        )
    }

    pub fn order_id(tenant: &Addr, dseq: u64, gseq: u32) -> OrderId {
        DeploymentId::new(tenant.as_str(), dseq).order(gseq, 1)
    }

    pub fn bid(
        &mut self,
        provider: &Addr,
        order: &OrderId,
        price: u128,
        gpus: u32,
    ) -> StdResult<AppResponse> {
        self.execute(
            provider,
            &ExecuteMsg::PlaceBid {
                order: order.clone(),
                price: Uint128::new(price),
                offer: offer(gpus),
            },
            &coins(BID_DEPOSIT, DENOM),
        )
    }

    /// Moves the chain `secs` seconds (and as many blocks, at least one) forward.
    pub fn advance(&mut self, secs: u64) {
        multi_test::advance(&mut self.app, secs);
    }

    pub fn end_block(&mut self) -> AppResponse {
        self.app
            .wasm_sudo(self.market.clone(), &SudoMsg::EndBlock {})
            .expect("end_block never fails")
    }

    /// Advances and runs the end-block hook.
    pub fn advance_and_end_block(&mut self, secs: u64) -> AppResponse {
        self.advance(secs);
        self.end_block()
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn balance(&self, addr: &Addr) -> u128 {
        multi_test::balance(&self.app, addr)
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(self.market.clone(), msg)
            .expect("market query")
    }

    pub fn lease(&self, id: &BidId) -> LeaseResponse {
        self.query(&QueryMsg::Lease { id: id.clone() })
    }

    pub fn order(&self, id: &OrderId) -> OrderResponse {
        self.query(&QueryMsg::Order { id: id.clone() })
    }

    pub fn escrow(&self, owner: &Addr, dseq: u64) -> EscrowResponse {
        self.query(&QueryMsg::Escrow {
            owner: owner.to_string(),
            dseq,
        })
    }

    pub fn reputation(&self, provider: &Addr) -> Reputation {
        self.app
            .wrap()
            .query_wasm_smart(
                self.registry.clone(),
                &RegQueryMsg::Reputation {
                    provider: provider.to_string(),
                },
            )
            .expect("reputation")
    }

    pub fn update_params(
        &mut self,
        update: tessera_api::market::MarketParamsUpdate,
    ) -> StdResult<AppResponse> {
        let authority = self.authority.clone();
        self.execute(&authority, &ExecuteMsg::UpdateParams(update), &[])
    }

    /// Total supply now; `minted - supply` is what has been burned.
    pub fn supply(&self) -> u128 {
        multi_test::supply(&self.app)
    }

    /// Mints `amount` of a denom other than [`DENOM`] (left out of the conservation check,
    /// which counts only `utsr`).
    pub fn mint_other(&mut self, to: &Addr, amount: u128, denom: &str) {
        multi_test::mint_other(&mut self.app, to, amount, denom);
    }

    /// Runs a registry message.
    pub fn registry_execute(
        &mut self,
        sender: &Addr,
        msg: &RegExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.registry.clone(), msg, funds)
    }

    /// The authority makes `auditors` the registry's trusted auditors.
    pub fn set_auditors(&mut self, auditors: &[&Addr]) {
        let authority = self.authority.clone();
        self.registry_execute(
            &authority,
            &RegExecuteMsg::SetAuditors {
                auditors: auditors.iter().map(|a| a.to_string()).collect(),
            },
            &[],
        )
        .expect("auditors set");
    }

    /// `auditor` signs `attributes` of `provider`.
    pub fn sign_attributes(&mut self, auditor: &Addr, provider: &Addr, attributes: Vec<Attribute>) {
        self.registry_execute(
            auditor,
            &RegExecuteMsg::SignAttributes {
                provider: provider.to_string(),
                attributes,
            },
            &[],
        )
        .expect("attributes signed");
    }

    /// The error the market gives for `addr` when it is not a valid address here.
    pub fn invalid_address(&self, addr: &str) -> ContractError {
        use cosmwasm_std::Api;
        ContractError::from(
            self.app
                .api()
                .addr_validate(addr)
                .expect_err("not a valid address"),
        )
    }

    pub fn bid_info(&self, id: &BidId) -> BidResponse {
        self.query(&QueryMsg::Bid { id: id.clone() })
    }

    pub fn deployment(&self, owner: &Addr, dseq: u64) -> DeploymentResponse {
        self.query(&QueryMsg::Deployment {
            owner: owner.to_string(),
            dseq,
        })
    }

    pub fn params(&self) -> MarketParams {
        self.query(&QueryMsg::Params {})
    }

    /// A market query expected to fail; returns the error text.
    pub fn query_error(&self, msg: &QueryMsg) -> String {
        self.app
            .wrap()
            .query_wasm_smart::<serde::de::IgnoredAny>(self.market.clone(), msg)
            .expect_err("the query should fail")
            .to_string()
    }

    pub fn burned(&self) -> u128 {
        self.ledger.burned(&self.app)
    }

    /// Funds are neither created nor lost: every token minted is held by a known account or was
    /// burned, and the market holds exactly what its deployments and bids say it holds.
    pub fn assert_conserved(&self) {
        self.ledger.assert_conserved(&self.app);
    }
}

/// A tenant with an H100 deployment (one group, one GPU, 1 TSR/hour max) and a provider, after
/// the provider's bid at `price` won the auction at the end of the window.
pub struct Leased {
    pub suite: Suite,
    pub tenant: Addr,
    pub provider: Addr,
    pub lease: BidId,
    pub dseq: u64,
}

pub fn leased(price: u128, deposit: u128) -> Leased {
    leased_with(|_| {}, price, deposit)
}

/// [`leased`] on a market with adjusted params; the group's max price is at least `price`.
pub fn leased_with(adjust: impl FnOnce(&mut MarketParams), price: u128, deposit: u128) -> Leased {
    let mut suite = Suite::with_params(adjust);
    let tenant = suite.tenant("tenant");
    let provider = suite.provider("provider", 8);
    suite
        .create_deployment(
            &tenant,
            1,
            vec![gpu_group("train", 1, price.max(TSR))],
            deposit,
        )
        .expect("deployment");
    let order = Suite::order_id(&tenant, 1, 1);
    suite.bid(&provider, &order, price, 1).expect("bid");
    suite.advance_and_end_block(30);
    let lease = order.bid(provider.as_str());
    assert_eq!(
        suite.lease(&lease).state,
        tessera_api::market::LeaseState::Active
    );
    Leased {
        suite,
        tenant,
        provider,
        lease,
        dseq: 1,
    }
}

/// Asserts that a chain error carries exactly the contract error `expected`.
#[track_caller]
pub fn assert_error(err: cosmwasm_std::StdError, expected: ContractError) {
    multi_test::assert_error_text(&err, &expected.to_string());
}

/// A coin's amount as u128 (test amounts always fit).
pub fn amount(c: &Coin) -> u128 {
    Uint128::try_from(c.amount).expect("fits in u128").u128()
}
