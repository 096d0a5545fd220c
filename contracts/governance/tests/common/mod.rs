//! The whole stack in cw-multi-test: registry, market and governance, with governance as the
//! params authority of the other two and the market's community pool.

#![allow(dead_code)]

use cosmwasm_std::{coin, coins, Addr, Coin, Decimal, StdError, StdResult, Timestamp, Uint128};
use cw_multi_test::{App, AppResponse, BankSudo, ContractWrapper, Executor, SudoMsg as ChainSudo};
use tessera_api::governance::{
    ExecuteMsg, GovernanceParams, InstantiateMsg, ProposalAction, ProposalResponse, QueryMsg,
    VoteOption,
};
use tessera_api::market::{
    BidOffer, ExecuteMsg as MarketExecuteMsg, GroupSpec, InstantiateMsg as MarketInstantiateMsg,
    MarketParams, MarketParamsUpdate, QueryMsg as MarketQueryMsg, SudoMsg as MarketSudoMsg,
};
use tessera_api::registry::{
    ExecuteMsg as RegExecuteMsg, InstantiateMsg as RegInstantiateMsg, ProviderInfo, RegistryParams,
    RegistryParamsUpdate,
};
use tessera_api::{DeploymentId, GpuModel, GpuRequirement, GpuSpec, Resources};
use tessera_governance::ContractError;

pub const DENOM: &str = "utsr";
pub const TSR: u128 = 1_000_000;
pub const MIN_PROPOSAL_DEPOSIT: u128 = 10 * TSR;
pub const VOTING_PERIOD: u64 = 60;
pub const UNSTAKING_PERIOD: u64 = 3600;
pub const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";

pub struct Suite {
    pub app: App,
    pub gov: Addr,
    pub market: Addr,
    pub registry: Addr,
    pub accounts: Vec<Addr>,
    pub minted: u128,
}

pub fn gov_params() -> GovernanceParams {
    GovernanceParams {
        denom: DENOM.into(),
        min_deposit: Uint128::new(MIN_PROPOSAL_DEPOSIT),
        voting_period_secs: VOTING_PERIOD,
        unstaking_period_secs: UNSTAKING_PERIOD,
        quorum: Decimal::permille(334),
        threshold: Decimal::percent(50),
        veto_threshold: Decimal::permille(334),
        market: None,
        registry: None,
        max_unstaking_entries: 7,
        execution_window_secs: tessera_api::governance::DEFAULT_EXECUTION_WINDOW_SECS,
    }
}

impl Suite {
    pub fn new() -> Self {
        let mut app = App::default();
        app.update_block(|b| {
            b.height = 1;
            b.time = Timestamp::from_seconds(1_700_000_000);
        });
        let admin = app.api().addr_make("admin");
        let registry_code = app.store_code(Box::new(ContractWrapper::new(
            tessera_registry::contract::execute,
            tessera_registry::contract::instantiate,
            tessera_registry::contract::query,
        )));
        let market_code = app.store_code(Box::new(
            ContractWrapper::new(
                tessera_market::contract::execute,
                tessera_market::contract::instantiate,
                tessera_market::contract::query,
            )
            .with_sudo(tessera_market::contract::sudo)
            .with_reply(tessera_market::contract::reply),
        ));
        let gov_code = app.store_code(Box::new(
            ContractWrapper::new(
                tessera_governance::contract::execute,
                tessera_governance::contract::instantiate,
                tessera_governance::contract::query,
            )
            .with_reply(tessera_governance::contract::reply),
        ));

        // The contracts name each other: start with an admin as authority, then hand the
        // authority to governance, as the chain's genesis does.
        let registry = app
            .instantiate_contract(
                registry_code,
                admin.clone(),
                &RegInstantiateMsg {
                    params: RegistryParams {
                        authority: admin.to_string(),
                        market: None,
                        community_pool: admin.to_string(),
                        bond_denom: DENOM.into(),
                        min_bond: Uint128::new(100 * TSR),
                        unbonding_period_secs: 7 * 24 * 3600,
                        max_unbonding_entries: 7,
                    },
                    auditors: vec![],
                },
                &[],
                "registry",
                None,
            )
            .expect("registry");
        let market = app
            .instantiate_contract(
                market_code,
                admin.clone(),
                &MarketInstantiateMsg {
                    params: MarketParams {
                        authority: admin.to_string(),
                        registry: registry.to_string(),
                        community_pool: admin.to_string(),
                        min_deposit: vec![coin(5 * TSR, DENOM)],
                        bid_min_deposit: coin(TSR / 2, DENOM),
                        take_rate_bps: 200,
                        burn_bps: 5000,
                        max_bids_per_order: 20,
                        bid_window_secs: 30,
                        min_bid_window_secs: 5,
                        max_bid_window_secs: 3600,
                        grace_period_secs: 600,
                        manifest_timeout_secs: 300,
                        attestation_interval_secs: 600,
                        settle_interval_secs: 60,
                        max_groups: 20,
                        max_end_block_items: 200,
                        end_block_gas_budget: tessera_api::market::DEFAULT_END_BLOCK_GAS_BUDGET,
                    },
                },
                &[],
                "market",
                None,
            )
            .expect("market");
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
                market: Some(market.to_string()),
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
            accounts: vec![gov.clone(), market.clone(), registry.clone(), admin],
            gov,
            market,
            registry,
            minted: 0,
        }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn account(&mut self, name: &str, amount: u128) -> Addr {
        let addr = self.addr(name);
        self.app
            .sudo(ChainSudo::Bank(BankSudo::Mint {
                to_address: addr.to_string(),
                amount: coins(amount, DENOM),
            }))
            .expect("mint");
        self.minted += amount;
        if !self.accounts.contains(&addr) {
            self.accounts.push(addr.clone());
        }
        addr
    }

    /// Mints `amount` of another denom to `to` (not counted in the utsr supply checks).
    pub fn mint_other(&mut self, to: &Addr, amount: u128, denom: &str) {
        self.app
            .sudo(ChainSudo::Bank(BankSudo::Mint {
                to_address: to.to_string(),
                amount: coins(amount, denom),
            }))
            .expect("mint");
    }

    pub fn execute(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.gov.clone(), msg, funds)
    }

    pub fn expect_error(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
        expected: ContractError,
    ) {
        let err = self
            .execute(sender, msg, funds)
            .expect_err("governance should refuse this");
        assert_error(err, &expected.to_string());
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
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(secs);
            b.height += secs.max(1);
        });
    }

    pub fn end_block(&mut self) {
        self.app
            .wasm_sudo(self.market.clone(), &MarketSudoMsg::EndBlock {})
            .expect("end block");
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        let c = self.app.wrap().query_balance(who, DENOM).expect("balance");
        Uint128::try_from(c.amount).expect("fits").u128()
    }

    pub fn supply(&self) -> u128 {
        let c = self.app.wrap().query_supply(DENOM).expect("supply");
        Uint128::try_from(c.amount).expect("fits").u128()
    }

    pub fn burned(&self) -> u128 {
        self.minted - self.supply()
    }

    pub fn assert_conserved(&self) {
        let held: u128 = self.accounts.iter().map(|a| self.balance(a)).sum();
        assert_eq!(held, self.supply(), "funds reached an unknown account");
        assert_eq!(held + self.burned(), self.minted);
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
                &RegExecuteMsg::Register {
                    host_uri: "https://provider.example.com".into(),
                    tls_fingerprint: None,
                    attributes: vec![],
                    gpus: vec![GpuSpec {
                        vendor: "nvidia".into(),
                        model: "h100".into(),
                        vram_mib: 81_920,
                        interface: None,
                        count: 8,
                    }],
                    info: ProviderInfo::default(),
                },
                &coins(100 * TSR, DENOM),
            )
            .expect("register");
        let group = GroupSpec {
            name: "g".into(),
            requirements: Default::default(),
            resources: Resources {
                cpu_millis: 1000,
                memory_mib: 1024,
                storage_mib: 0,
                gpu: GpuRequirement {
                    units: 1,
                    models: vec![GpuModel {
                        vendor: "nvidia".into(),
                        model: "h100".into(),
                        vram_mib: None,
                        interface: None,
                    }],
                },
            },
            count: 1,
            max_price: Uint128::new(price),
        };
        self.app
            .execute_contract(
                tenant.clone(),
                self.market.clone(),
                &MarketExecuteMsg::CreateDeployment {
                    dseq: Some(1),
                    groups: vec![group],
                    manifest_hash: MANIFEST.into(),
                    bid_window_secs: None,
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
                    offer: BidOffer {
                        gpus: vec![GpuSpec {
                            vendor: "nvidia".into(),
                            model: "h100".into(),
                            vram_mib: 81_920,
                            interface: None,
                            count: 1,
                        }],
                        resource_prices: vec![],
                    },
                },
                &coins(TSR / 2, DENOM),
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
pub fn assert_error(err: StdError, wanted: &str) {
    let text = err.to_string();
    assert!(
        text.ends_with(&format!("error: {wanted}")),
        "expected error {wanted:?}, got {text:?}"
    );
}
