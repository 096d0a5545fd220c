//! The whole stack in cw-multi-test: registry, market and governance, with governance as the
//! params authority of the other two and the market's community pool.

// Each test binary uses a part of these helpers and re-exports.
#![allow(dead_code, unused_imports)]

use cosmwasm_std::{coins, Addr, Coin, StdError, StdResult, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use tessera_api::governance::{
    ExecuteMsg, InstantiateMsg, ProposalAction, ProposalResponse, QueryMsg, VoteOption,
};
use tessera_api::market::{
    ExecuteMsg as MarketExecuteMsg, MarketParams, MarketParamsUpdate, QueryMsg as MarketQueryMsg,
    SudoMsg as MarketSudoMsg,
};
use tessera_api::registry::{ExecuteMsg as RegExecuteMsg, RegistryParamsUpdate};
use tessera_api::DeploymentId;
use tessera_governance::ContractError;
use tessera_testing::multi_test::{self, deploy_market_stack, governance_contract, Ledger};

pub use tessera_testing::multi_test::ContractSuite;

pub use tessera_testing::params::{
    MIN_PROPOSAL_DEPOSIT, UNSTAKING_PERIOD_SECS as UNSTAKING_PERIOD,
    VOTING_PERIOD_SECS as VOTING_PERIOD,
};
pub use tessera_testing::{
    governance_params as gov_params, gpu_group, h100, offer, register_msg, BID_DEPOSIT, DENOM,
    MANIFEST, MIN_BOND, TSR,
};

pub struct Suite {
    pub app: App,
    pub gov: Addr,
    pub market: Addr,
    pub registry: Addr,
    /// Every address that ever held funds and all that was minted, for the conservation check.
    pub ledger: Ledger,
}

impl ContractSuite for Suite {
    type ExecuteMsg = ExecuteMsg;

    fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    fn contract(&self) -> Addr {
        self.gov.clone()
    }
}

impl Suite {
    pub fn new() -> Self {
        let mut app = multi_test::new_app();
        let admin = app.api().addr_make("admin");
        // The contracts name each other: start with an admin as authority, then hand the
        // authority to governance, as the chain's genesis does.
        let stack = deploy_market_stack(&mut app, &admin, &admin, &admin, |_| {});
        let (registry, market) = (stack.registry, stack.market);
        let gov_code = app.store_code(governance_contract());
        let mut params = gov_params();
        params.market = Some(market.to_string());
        params.registry = Some(registry.to_string());
        let gov = app
            .instantiate_contract(
                gov_code,
                admin.clone(),
                &InstantiateMsg { params },
                &[],
                "governance",
                None,
            )
            .expect("governance");
        app.execute_contract(
            admin.clone(),
            registry.clone(),
            &RegExecuteMsg::UpdateParams(RegistryParamsUpdate {
                authority: Some(gov.to_string()),
                community_pool: Some(gov.to_string()),
                ..Default::default()
            }),
            &[],
        )
        .expect("registry handed to governance");
        app.execute_contract(
            admin.clone(),
            market.clone(),
            &MarketExecuteMsg::UpdateParams(MarketParamsUpdate {
                authority: Some(gov.to_string()),
                community_pool: Some(gov.to_string()),
                ..Default::default()
            }),
            &[],
        )
        .expect("market handed to governance");
        Suite {
            app,
            ledger: Ledger::knowing(vec![gov.clone(), market.clone(), registry.clone(), admin]),
            gov,
            market,
            registry,
        }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn account(&mut self, name: &str, amount: u128) -> Addr {
        let addr = self.addr(name);
        self.ledger.mint(&mut self.app, &addr, amount);
        addr
    }

    /// Mints `amount` of another denom to `to` (not counted in the utsr supply checks).
    pub fn mint_other(&mut self, to: &Addr, amount: u128, denom: &str) {
        multi_test::mint_other(&mut self.app, to, amount, denom);
    }

    pub fn stake(&mut self, who: &Addr, amount: u128) {
        self.execute(who, &ExecuteMsg::Stake {}, &coins(amount, DENOM))
            .expect("stake");
    }

    pub fn propose(&mut self, who: &Addr, actions: Vec<ProposalAction>) -> StdResult<u64> {
        let res = self.execute(
            who,
            &ExecuteMsg::Propose {
                title: "change".into(),
                description: "a change".into(),
                actions,
            },
            &coins(MIN_PROPOSAL_DEPOSIT, DENOM),
        )?;
        let id = res
            .events
            .iter()
            .flat_map(|e| &e.attributes)
            .find(|a| a.key == "proposal_id")
            .map(|a| a.value.parse().expect("numeric id"))
            .ok_or_else(|| StdError::msg("no proposal id"))?;
        Ok(id)
    }

    pub fn vote(&mut self, who: &Addr, id: u64, option: VoteOption) -> StdResult<AppResponse> {
        self.execute(
            who,
            &ExecuteMsg::Vote {
                proposal_id: id,
                option,
            },
            &[],
        )
    }

    pub fn finish(&mut self, id: u64) -> StdResult<AppResponse> {
        let anyone = self.addr("anyone");
        self.execute(&anyone, &ExecuteMsg::Execute { proposal_id: id }, &[])
    }

    pub fn proposal(&self, id: u64) -> ProposalResponse {
        self.app
            .wrap()
            .query_wasm_smart(self.gov.clone(), &QueryMsg::Proposal { id })
            .expect("proposal")
    }

    pub fn market_params(&self) -> MarketParams {
        self.app
            .wrap()
            .query_wasm_smart(self.market.clone(), &MarketQueryMsg::Params {})
            .expect("market params")
    }

    /// Moves time and height forward (one block per second, at least one).
    pub fn advance(&mut self, secs: u64) {
        multi_test::advance(&mut self.app, secs);
    }

    pub fn end_block(&mut self) {
        self.app
            .wasm_sudo(self.market.clone(), &MarketSudoMsg::EndBlock {})
            .expect("end block");
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        multi_test::balance(&self.app, who)
    }

    pub fn supply(&self) -> u128 {
        multi_test::supply(&self.app)
    }

    pub fn burned(&self) -> u128 {
        self.ledger.burned(&self.app)
    }

    pub fn assert_conserved(&self) {
        self.ledger.assert_conserved(&self.app);
    }

    /// A running lease: provider `provider` (8 H100s) serves tenant `tenant`'s one-GPU group at
    /// `price` per hour. Returns (tenant, provider, lease id).
    pub fn lease(&mut self, price: u128) -> (Addr, Addr, tessera_api::BidId) {
        let tenant = self.account("tenant", 1_000 * TSR);
        let provider = self.account("provider", 200 * TSR);
        self.app
            .execute_contract(
                provider.clone(),
                self.registry.clone(),
                &register_msg("provider", vec![h100(8)], vec![]),
                &coins(MIN_BOND, DENOM),
            )
            .expect("register");
        let group = gpu_group("g", 1, price);
        self.app
            .execute_contract(
                tenant.clone(),
                self.market.clone(),
                &MarketExecuteMsg::CreateDeployment {
                    dseq: Some(1),
                    groups: vec![group],
                    manifest_hash: MANIFEST.into(),
                    bid_window_secs: None,
                    sample_size: None,
                    secret_hash: None,
                },
                &coins(500 * TSR, DENOM),
            )
            .expect("deployment");
        let order = DeploymentId::new(tenant.as_str(), 1).order(1, 1);
        self.app
            .execute_contract(
                provider.clone(),
                self.market.clone(),
                &MarketExecuteMsg::PlaceBid {
                    order: order.clone(),
                    price: Uint128::new(price),
                    offer: offer(1),
                },
                &coins(BID_DEPOSIT, DENOM),
            )
            .expect("bid");
        let lease = order.bid(provider.as_str());
        self.app
            .execute_contract(
                tenant.clone(),
                self.market.clone(),
                &MarketExecuteMsg::AcceptBid { bid: lease.clone() },
                &[],
            )
            .expect("accept");
        (tenant, provider, lease)
    }
}

/// Asserts that a chain error carries exactly the contract error text `wanted`.
#[track_caller]
pub fn assert_error(err: StdError, wanted: &str) {
    multi_test::assert_error_text(&err, wanted);
}
