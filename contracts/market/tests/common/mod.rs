//! A chain in a box for market tests: cw-multi-test with the real registry and market
//! contracts, funded accounts, and helpers that read like the steps of a story.

#![allow(dead_code)]

use cosmwasm_std::{coin, coins, Addr, BlockInfo, Coin, Empty, StdResult, Uint128};
use cw_multi_test::{
    App, AppResponse, BankSudo, Contract, ContractWrapper, Executor, SudoMsg as ChainSudo,
};
use tessera_api::market::{
    BidOffer, BidResponse, DeploymentResponse, EscrowResponse, ExecuteMsg, GroupSpec,
    InstantiateMsg, LeaseResponse, MarketParams, OrderResponse, QueryMsg, SudoMsg,
};
use tessera_api::registry::{
    ExecuteMsg as RegExecuteMsg, InstantiateMsg as RegInstantiateMsg, ProviderInfo,
    QueryMsg as RegQueryMsg, RegistryParams, Reputation,
};
use tessera_api::{
    Attribute, BidId, DeploymentId, GpuModel, GpuRequirement, GpuSpec, OrderId, Resources,
};
use tessera_market::ContractError;

pub const DENOM: &str = "utsr";
pub const TSR: u128 = 1_000_000;
pub const MIN_BOND: u128 = 100 * TSR;
pub const BID_DEPOSIT: u128 = TSR / 2;
pub const MIN_DEPOSIT: u128 = 5 * TSR;
pub const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";
pub const ROOT: &str = "00000000000000000000000000000000000000000000000000000000000000aa";
pub const INVENTORY: &str = "00000000000000000000000000000000000000000000000000000000000000bb";

pub struct Suite {
    pub app: App,
    pub market: Addr,
    pub registry: Addr,
    pub authority: Addr,
    pub pool: Addr,
    /// Every address that ever held funds, for the conservation check.
    pub accounts: Vec<Addr>,
    pub minted: u128,
}

/// The market params the tests start from: DESIGN §4.4 defaults.
pub fn default_params(authority: &Addr, registry: &Addr, pool: &Addr) -> MarketParams {
    MarketParams {
        authority: authority.to_string(),
        registry: registry.to_string(),
        community_pool: pool.to_string(),
        min_deposit: vec![coin(MIN_DEPOSIT, DENOM)],
        bid_min_deposit: coin(BID_DEPOSIT, DENOM),
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
    }
}

pub fn h100(count: u32) -> GpuSpec {
    GpuSpec {
        vendor: "nvidia".into(),
        model: "h100".into(),
        vram_mib: 81_920,
        interface: Some("sxm".into()),
        count,
    }
}

pub fn a100(count: u32) -> GpuSpec {
    GpuSpec {
        vendor: "nvidia".into(),
        model: "a100".into(),
        vram_mib: 40_960,
        interface: Some("pcie".into()),
        count,
    }
}

/// A group wanting `units` H100s for one instance at up to `max_price` per hour.
pub fn gpu_group(name: &str, units: u32, max_price: u128) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        requirements: Default::default(),
        resources: Resources {
            cpu_millis: 4000,
            memory_mib: 16_384,
            storage_mib: 10_240,
            gpu: GpuRequirement {
                units,
                models: vec![GpuModel {
                    vendor: "nvidia".into(),
                    model: "h100".into(),
                    vram_mib: None,
                    interface: None,
                }],
            },
        },
        count: 1,
        max_price: Uint128::new(max_price),
    }
}

pub fn offer(gpus: u32) -> BidOffer {
    BidOffer {
        gpus: if gpus == 0 { vec![] } else { vec![h100(gpus)] },
        resource_prices: vec![],
    }
}

/// The market contract as cw-multi-test runs it: execute, instantiate, query, sudo and reply.
pub fn market_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            tessera_market::contract::execute,
            tessera_market::contract::instantiate,
            tessera_market::contract::query,
        )
        .with_sudo(tessera_market::contract::sudo)
        .with_reply(tessera_market::contract::reply),
    )
}

impl Suite {
    pub fn new() -> Self {
        Self::with_params(|_| {})
    }

    pub fn with_params(adjust: impl FnOnce(&mut MarketParams)) -> Self {
        let mut app = App::default();
        app.update_block(|b| {
            b.height = 1;
            b.time = cosmwasm_std::Timestamp::from_seconds(1_700_000_000);
        });
        let authority = app.api().addr_make("governance");
        let pool = app.api().addr_make("community-pool");
        let admin = app.api().addr_make("admin");

        let registry_code = app.store_code(Box::new(ContractWrapper::new(
            tessera_registry::contract::execute,
            tessera_registry::contract::instantiate,
            tessera_registry::contract::query,
        )));
        let market_code = app.store_code(market_contract());
        let registry = app
            .instantiate_contract(
                registry_code,
                admin.clone(),
                &RegInstantiateMsg {
                    params: RegistryParams {
                        authority: authority.to_string(),
                        market: None,
                        community_pool: pool.to_string(),
                        bond_denom: DENOM.into(),
                        min_bond: Uint128::new(MIN_BOND),
                        unbonding_period_secs: 7 * 24 * 3600,
                        max_unbonding_entries: 7,
                    },
                    auditors: vec![],
                },
                &[],
                "registry",
                None,
            )
            .expect("registry instantiates");
        let mut params = default_params(&authority, &registry, &pool);
        adjust(&mut params);
        let market = app
            .instantiate_contract(
                market_code,
                admin,
                &InstantiateMsg { params },
                &[],
                "market",
                None,
            )
            .expect("market instantiates");
        app.execute_contract(
            authority.clone(),
            registry.clone(),
            &RegExecuteMsg::UpdateParams(tessera_api::registry::RegistryParamsUpdate {
                market: Some(market.to_string()),
                ..Default::default()
            }),
            &[],
        )
        .expect("registry learns the market");
        Suite {
            app,
            market: market.clone(),
            registry: registry.clone(),
            authority: authority.clone(),
            pool: pool.clone(),
            accounts: vec![market, registry, authority, pool],
            minted: 0,
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
        self.app
            .sudo(ChainSudo::Bank(BankSudo::Mint {
                to_address: to.to_string(),
                amount: coins(amount, DENOM),
            }))
            .expect("mint");
        self.minted += amount;
        if !self.accounts.contains(to) {
            self.accounts.push(to.clone());
        }
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
                &RegExecuteMsg::Register {
                    host_uri: format!("https://{name}.example.com:8443"),
                    tls_fingerprint: None,
                    attributes,
                    gpus,
                    info: ProviderInfo::default(),
                },
                &coins(MIN_BOND, DENOM),
            )
            .expect("provider registers");
        addr
    }

    pub fn tenant(&mut self, name: &str) -> Addr {
        self.account(name, 1_000 * TSR)
    }

    pub fn execute(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.market.clone(), msg, funds)
    }

    /// Runs `msg` expecting the market to refuse it with exactly `expected`. (cw-multi-test
    /// carries contract errors as text, so the message is compared.)
    pub fn expect_error(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
        expected: ContractError,
    ) {
        let err = self
            .execute(sender, msg, funds)
            .expect_err("the market should refuse this message");
        assert_error(err, expected);
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
        self.app.update_block(|b: &mut BlockInfo| {
            b.time = b.time.plus_seconds(secs);
            b.height += secs.max(1);
        });
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
        let c = self.app.wrap().query_balance(addr, DENOM).expect("balance");
        Uint128::try_from(c.amount).expect("fits").u128()
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
        let c = self.app.wrap().query_supply(DENOM).expect("supply");
        Uint128::try_from(c.amount).expect("fits").u128()
    }

    /// Mints `amount` of a denom other than [`DENOM`] (left out of the conservation check,
    /// which counts only `utsr`).
    pub fn mint_other(&mut self, to: &Addr, amount: u128, denom: &str) {
        self.app
            .sudo(ChainSudo::Bank(BankSudo::Mint {
                to_address: to.to_string(),
                amount: coins(amount, denom),
            }))
            .expect("mint");
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
        self.minted - self.supply()
    }

    /// Funds are neither created nor lost: every token minted is held by a known account or was
    /// burned, and the market holds exactly what its deployments and bids say it holds.
    pub fn assert_conserved(&self) {
        let held: u128 = self.accounts.iter().map(|a| self.balance(a)).sum();
        assert_eq!(held, self.supply(), "funds reached an unknown account");
        assert_eq!(held + self.burned(), self.minted);
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
pub fn assert_error(err: cosmwasm_std::StdError, expected: ContractError) {
    let text = err.to_string();
    let wanted = expected.to_string();
    assert!(
        text.ends_with(&format!("error: {wanted}"))
            || text.contains(&format!("{wanted}\n"))
            || text.ends_with(&wanted),
        "expected error {wanted:?}, got {text:?}"
    );
}

/// A coin's amount as u128 (test amounts always fit).
pub fn amount(c: &Coin) -> u128 {
    Uint128::try_from(c.amount).expect("fits in u128").u128()
}

/// The value of the first attribute `key` in the events of `res` (e.g. `awarded` of an
/// end-block).
pub fn attr(res: &AppResponse, key: &str) -> Option<String> {
    res.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}
