//! The market's work per message does not grow with the size of the market: the same message
//! costs the same storage reads and writes with 10 and with 10,000 open orders. Run with
//! `--nocapture` to see the table.

use std::cell::Cell;
use std::marker::PhantomData;

use cosmwasm_std::testing::{message_info, mock_env, MockApi, MockQuerier, MockStorage};
use cosmwasm_std::{
    coins, Addr, ContractResult, Env, OwnedDeps, Record, Storage, SystemResult, Uint128, WasmQuery,
};
use tessera_api::market::{BidOffer, ExecuteMsg, GroupSpec, InstantiateMsg, SudoMsg};
use tessera_api::registry::{ProviderInfo, RegistryParams};
use tessera_api::registry_storage::{Provider, PARAMS, PROVIDERS};
use tessera_api::{DeploymentId, GpuRequirement, Resources};
use tessera_market::contract;

/// A storage that counts what a contract does to it: each `get` and each item a range yields
/// is a read; each `set` and `remove` a write.
#[derive(Default)]
struct CountingStorage {
    inner: MockStorage,
    reads: Cell<u64>,
    writes: u64,
}

impl CountingStorage {
    fn reset(&mut self) {
        self.reads.set(0);
        self.writes = 0;
    }
}

impl Storage for CountingStorage {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.reads.set(self.reads.get() + 1);
        self.inner.get(key)
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: cosmwasm_std::Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        // Opening an iterator is a read even when it yields nothing.
        self.reads.set(self.reads.get() + 1);
        Box::new(self.inner.range(start, end, order).inspect(|_| {
            self.reads.set(self.reads.get() + 1);
        }))
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.writes += 1;
        self.inner.set(key, value)
    }

    fn remove(&mut self, key: &[u8]) {
        self.writes += 1;
        self.inner.remove(key)
    }
}

type Deps = OwnedDeps<CountingStorage, MockApi, MockQuerier>;

const DENOM: &str = "utsr";
const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn group(name: &str) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        requirements: Default::default(),
        resources: Resources {
            cpu_millis: 1000,
            memory_mib: 1024,
            storage_mib: 0,
            gpu: GpuRequirement::default(),
        },
        count: 1,
        max_price: Uint128::new(1_000_000),
    }
}

fn setup(api: &MockApi) -> Deps {
    let provider = api.addr_make("provider");
    // The registry's published storage, answered to the market's raw queries.
    let mut registry = MockStorage::new();
    let record = Provider {
        host_uri: "https://p.example.com".into(),
        tls_fingerprint: None,
        attributes: vec![],
        gpus: vec![],
        info: ProviderInfo::default(),
        bond: Uint128::new(100_000_000),
        registered_at_height: 1,
    };
    PROVIDERS
        .save(&mut registry, &provider, &record)
        .expect("saves");
    let gov = api.addr_make("gov").to_string();
    let params = RegistryParams {
        min_bond: Uint128::new(1_000_000),
        unbonding_period_secs: 60,
        ..tessera_testing::registry_params(&gov, &gov)
    };
    PARAMS.save(&mut registry, &params).expect("saves");
    let mut querier = MockQuerier::new(&[]);
    querier.update_wasm(move |q| match q {
        WasmQuery::Raw { key, .. } => SystemResult::Ok(ContractResult::Ok(
            registry.get(key.as_slice()).unwrap_or_default().into(),
        )),
        _ => panic!("unexpected query {q:?}"),
    });
    let mut deps = OwnedDeps {
        storage: CountingStorage::default(),
        api: *api,
        querier,
        custom_query_type: PhantomData,
    };
    let params = tessera_testing::market_params(
        api.addr_make("gov").as_str(),
        api.addr_make("registry").as_str(),
        api.addr_make("pool").as_str(),
    );
    let admin = api.addr_make("admin");
    contract::instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&admin, &[]),
        InstantiateMsg { params },
    )
    .expect("instantiates");
    deps
}

fn create(deps: &mut Deps, env: &Env, owner: &Addr, dseq: u64, window: u64) {
    contract::execute(
        deps.as_mut(),
        env.clone(),
        message_info(owner, &coins(5_000_000, DENOM)),
        ExecuteMsg::CreateDeployment {
            dseq: Some(dseq),
            groups: vec![group("g")],
            manifest_hash: MANIFEST.into(),
            bid_window_secs: Some(window),
            sample_size: None,
            secret_hash: None,
        },
    )
    .expect("creates");
}

/// Storage operations (reads, writes) of each step of one order's life, in a market that
/// already holds `background` open orders.
fn measure(background: u64) -> Vec<(&'static str, u64, u64)> {
    let api = MockApi::default();
    let mut deps = setup(&api);
    let mut env = mock_env();
    let crowd = api.addr_make("crowd");
    // Background orders with long windows: open, queued, never due during the measurement.
    for dseq in 1..=background {
        create(&mut deps, &env, &crowd, dseq, 3600);
    }
    let tenant = api.addr_make("tenant");
    let provider = api.addr_make("provider");
    let order = DeploymentId::new(tenant.as_str(), 1).order(1, 1);
    let mut table = Vec::new();
    let mut step = |name, deps: &mut Deps, f: &mut dyn FnMut(&mut Deps)| {
        deps.storage.reset();
        f(deps);
        table.push((name, deps.storage.reads.get(), deps.storage.writes));
    };

    step("create_deployment", &mut deps, &mut |d| {
        create(d, &env, &tenant, 1, 5)
    });
    step("place_bid", &mut deps, &mut |d| {
        contract::execute(
            d.as_mut(),
            env.clone(),
            message_info(&provider, &coins(500_000, DENOM)),
            ExecuteMsg::PlaceBid {
                order: order.clone(),
                price: Uint128::new(360_000),
                offer: BidOffer::default(),
            },
        )
        .expect("bids");
    });
    step("end_block (nothing due)", &mut deps, &mut |d| {
        contract::sudo(d.as_mut(), env.clone(), SudoMsg::EndBlock {}).expect("end block");
    });
    env.block.time = env.block.time.plus_seconds(5);
    step("end_block (award 1 order)", &mut deps, &mut |d| {
        let res = contract::sudo(d.as_mut(), env.clone(), SudoMsg::EndBlock {}).expect("end block");
        assert!(res
            .attributes
            .iter()
            .any(|a| a.key == "awarded" && a.value == "1"));
    });
    env.block.time = env.block.time.plus_seconds(60);
    step("end_block (settle 1 lease)", &mut deps, &mut |d| {
        let res = contract::sudo(d.as_mut(), env.clone(), SudoMsg::EndBlock {}).expect("end block");
        assert!(res
            .attributes
            .iter()
            .any(|a| a.key == "settled" && a.value == "1"));
    });
    step("close_deployment", &mut deps, &mut |d| {
        contract::execute(
            d.as_mut(),
            env.clone(),
            message_info(&tenant, &[]),
            ExecuteMsg::CloseDeployment { dseq: 1 },
        )
        .expect("closes");
    });
    table
}

#[test]
fn storage_work_per_message_is_the_same_with_10_and_10_000_open_orders() {
    let small = measure(10);
    let large = measure(10_000);
    println!(
        "{:<28} {:>18} {:>18}",
        "message", "10 orders (r/w)", "10,000 orders (r/w)"
    );
    for ((name, r1, w1), (_, r2, w2)) in small.iter().zip(&large) {
        println!(
            "{name:<28} {:>18} {:>18}",
            format!("{r1}/{w1}"),
            format!("{r2}/{w2}")
        );
    }
    assert_eq!(
        small, large,
        "storage work must not depend on the number of open orders"
    );
}
