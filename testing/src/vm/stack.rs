//! The registry and the market deployed on the host as a fresh chain has them: naming each other,
//! governed by `governance`, with a community pool.

use tessera_api::market::InstantiateMsg;
use tessera_api::registry::{
    ExecuteMsg as RegExecuteMsg, InstantiateMsg as RegInstantiateMsg, RegistryParamsUpdate,
};

use super::chain::{addr, utsr, Chain};
use crate::amounts::{MIN_BOND, TSR};
use crate::hardware::h100;
use crate::messages::register_msg;
use crate::params::{market_params, registry_params};

/// The chain and the contracts on it.
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

impl Default for Tessera {
    fn default() -> Self {
        Self::new()
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
                &register_msg(name, vec![h100(gpus)], vec![]),
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
