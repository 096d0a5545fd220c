//! The Tessera contracts set up as on a fresh chain: registry and market naming each other.

use cosmwasm_std::{Coin, Uint128};
use tessera_api::market::{BidOffer, GroupSpec, InstantiateMsg, MarketParams};
use tessera_api::registry::{
    ExecuteMsg as RegExecuteMsg, InstantiateMsg as RegInstantiateMsg, ProviderInfo, RegistryParams,
    RegistryParamsUpdate,
};
use tessera_api::{GpuModel, GpuRequirement, GpuSpec, Resources};

use super::*;

pub const MIN_BOND: u128 = 100 * TSR;
pub const BID_DEPOSIT: u128 = TSR / 2;
pub const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";

pub struct Tessera {
    pub chain: Chain,
    pub registry_code: u64,
    pub market_code: u64,
    pub registry: String,
    pub market: String,
    pub authority: String,
    pub pool: String,
    pub admin: String,
}

pub fn registry_params(authority: &str, pool: &str) -> RegistryParams {
    RegistryParams {
        authority: authority.to_string(),
        market: None,
        community_pool: pool.to_string(),
        bond_denom: DENOM.into(),
        min_bond: Uint128::new(MIN_BOND),
        unbonding_period_secs: 7 * 24 * 3600,
        max_unbonding_entries: 7,
    }
}

pub fn market_params(authority: &str, registry: &str, pool: &str) -> MarketParams {
    MarketParams {
        authority: authority.to_string(),
        registry: registry.to_string(),
        community_pool: pool.to_string(),
        min_deposit: vec![Coin::new(5 * TSR, DENOM)],
        bid_min_deposit: Coin::new(BID_DEPOSIT, DENOM),
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
        gpus: vec![h100(gpus)],
        resource_prices: vec![],
    }
}

impl Tessera {
    pub fn new() -> Self {
        let chain = Chain::new();
        let registry_code = chain.store("registry");
        let market_code = chain.store("market");
        let authority = addr("governance");
        let pool = addr("community-pool");
        let admin = addr("admin");
        let registry = chain
            .instantiate(
                &admin,
                registry_code,
                &RegInstantiateMsg {
                    params: registry_params(&authority, &pool),
                    auditors: vec![],
                },
                "registry",
                Some(&admin),
            )
            .expect("registry instantiates")
            .address;
        let market = chain
            .instantiate(
                &admin,
                market_code,
                &InstantiateMsg {
                    params: market_params(&authority, &registry, &pool),
                },
                "market",
                Some(&admin),
            )
            .expect("market instantiates")
            .address;
        chain
            .execute(
                &authority,
                &registry,
                &RegExecuteMsg::UpdateParams(RegistryParamsUpdate {
                    market: Some(market.clone()),
                    ..Default::default()
                }),
                vec![],
            )
            .expect("registry learns the market");
        Tessera {
            chain,
            registry_code,
            market_code,
            registry,
            market,
            authority,
            pool,
            admin,
        }
    }

    /// A provider registered with `gpus` H100s and bonded at the minimum.
    pub fn provider(&self, name: &str, gpus: u32) -> String {
        let p = addr(name);
        self.chain.mint(&p, MIN_BOND + 100 * TSR);
        self.chain
            .execute(
                &p,
                &self.registry,
                &RegExecuteMsg::Register {
                    host_uri: format!("https://{name}.example.com:8443"),
                    tls_fingerprint: None,
                    attributes: vec![],
                    gpus: vec![h100(gpus)],
                    info: ProviderInfo::default(),
                },
                utsr(MIN_BOND),
            )
            .expect("provider registers");
        p
    }

    pub fn tenant(&self, name: &str) -> String {
        let t = addr(name);
        self.chain.mint(&t, 1_000 * TSR);
        t
    }
}
