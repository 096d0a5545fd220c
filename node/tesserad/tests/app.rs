//! The whole state machine driven by a mock consensus: signed transactions against the real
//! compiled contracts in the real CosmWasm VM, blocks finalized and committed to disk.

use tessera_testing::node as common;
use tessera_testing::node::chain;

use chain::{assert_ok, Chain, CONTRACT_FEE};
use common::{alice, bob};
use serde_json::json;
use std::time::{Duration, Instant};

use tesserad::app::{App, AppConfig};

const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";

#[test]
fn a_provider_wins_a_lease_through_signed_transactions_and_the_end_block_hook() {
    let mut chain = Chain::start();
    let (registry, market) = (chain.contract("registry"), chain.contract("market"));
    let (tenant, provider) = (alice(), bob());
    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 8});

    let register = chain.execute(
        &provider,
        &registry,
        json!({"register": {"host_uri": "https://bob.example.com", "gpus": [gpu]}}),
        100_000_000,
    );
    let group = chain::h100_group("train");
    let create = chain.execute(
        &tenant,
        &market,
        json!({"create_deployment": {"dseq": 1, "groups": [group], "manifest_hash": MANIFEST}}),
        10_000_000,
    );
    assert_ok(&chain.block(vec![register, create]));

    let order = json!({"owner": tenant.bech32(), "dseq": 1, "gseq": 1, "oseq": 1});
    let offer =
        json!({"gpus": [{"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 1}]});
    let bid = chain.execute(
        &provider,
        &market,
        json!({"place_bid": {"order": order, "price": "3600000", "offer": offer}}),
        500_000,
    );
    assert_ok(&chain.block(vec![bid]));

    // The auction window (30 s) closes; the end-block hook awards the lease.
    let res = chain.block_after(30, vec![]);
    assert!(
        res.events
            .iter()
            .any(|e| e.attributes.iter().any(|(k, v)| k == "awarded" && v == "1")),
        "end-block events: {:?}",
        res.events
    );
    let lease_id = json!({"owner": tenant.bech32(), "dseq": 1, "gseq": 1, "oseq": 1, "provider": provider.bech32()});
    let lease = chain.smart(&market, json!({"lease": {"id": lease_id}}));
    assert_eq!(lease["state"], "active");
    let rep = chain.smart(
        &registry,
        json!({"reputation": {"provider": provider.bech32()}}),
    );
    assert_eq!(rep["leases_started"], 1);

    // A minute later the hook has drawn 60 s at 1000 utsr/s from the escrow. Disputes are on
    // (the genesis names the referee), so it waits for an attestation and its dispute window
    // before the provider sees it.
    let before = chain.balance(&provider.bech32());
    chain.block_after(60, vec![]);
    let lease = chain.smart(&market, json!({"lease": {"id": lease_id}}));
    assert_eq!(lease["total_paid"], "60000");
    assert_eq!(lease["unattested"], "60000");
    assert_eq!(chain.balance(&provider.bech32()), before);
}

#[test]
fn finalize_block_times_its_phases_within_the_call() {
    let mut chain = Chain::start();
    let register = bob_registers(&chain);
    let started = Instant::now();
    assert_ok(&chain.block(vec![register]));
    let took = started.elapsed();
    let phases = chain.app.last_block_phases();
    assert!(phases.deliver > Duration::ZERO, "{phases:?}");
    assert!(phases.app_hash > Duration::ZERO, "{phases:?}");
    assert!(
        phases.deliver + phases.end_block + phases.app_hash <= took,
        "{phases:?} within {took:?}"
    );
}

#[test]
fn a_contract_error_fails_the_tx_with_the_wasmd_code_and_keeps_only_fee_and_sequence() {
    let mut chain = Chain::start();
    let market = chain.contract("market");
    let tenant = alice();
    let (_, seq) = chain.account(&tenant);
    let before = chain.balance(&tenant.bech32());
    let bad = chain.execute(
        &tenant,
        &market,
        json!({"close_deployment": {"dseq": 99}}),
        0,
    );
    let res = chain.block(vec![bad]);
    let r = &res.tx_results[0];
    assert_eq!((r.codespace.as_str(), r.code), ("wasm", 5), "{}", r.log);
    assert!(
        r.log.contains("deployment") && r.log.contains("not found"),
        "{}",
        r.log
    );
    assert_eq!(chain.account(&tenant).1, seq + 1);
    assert_eq!(chain.balance(&tenant.bech32()), before - CONTRACT_FEE);
}

#[test]
fn state_survives_a_restart_with_the_same_app_hash() {
    let mut chain = Chain::start();
    chain.block(vec![]);
    let info = chain.app.info();
    let path = chain.dir.path().to_path_buf();
    let Chain { app, dir, .. } = chain;
    drop(app);
    let reopened = App::open(AppConfig::new(&path)).expect("reopen");
    assert_eq!(reopened.info(), info);
    assert_eq!(reopened.chain_id(), common::CHAIN_ID);
    drop(dir);
}

/// Total utsr in existence now.
fn supply(chain: &Chain) -> u128 {
    let snapshot = chain.app.store().snapshot().expect("snapshot");
    tesserad::bank::supply(&*snapshot, "utsr").expect("supply")
}

#[test]
fn the_whole_market_lifecycle_adds_up_to_the_unit() {
    let (tenant, loser, winner) = (alice(), bob(), common::carol());
    let start = 1_000_000_000u128;
    let mut chain = Chain::start_with(
        [&tenant, &loser, &winner]
            .iter()
            .map(|w| (w.bech32(), start))
            .collect(),
    );
    let (registry, market, gov) = (
        chain.contract("registry"),
        chain.contract("market"),
        chain.contract("governance"),
    );
    let supply_start = supply(&chain);
    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 8});
    let register = |chain: &Chain, w: &common::Wallet| {
        chain.execute(
            w,
            &registry,
            json!({"register": {"host_uri": "https://p.example.com", "gpus": [gpu.clone()]}}),
            100_000_000,
        )
    };
    let group = chain::h100_group("train");
    let txs = vec![
        register(&chain, &loser),
        register(&chain, &winner),
        chain.execute(
            &tenant,
            &market,
            json!({"create_deployment": {"dseq": 1, "groups": [group], "manifest_hash": MANIFEST}}),
            10_000_000,
        ),
    ];
    assert_ok(&chain.block(txs));

    // Two bids; the lower one (800 utsr per second) wins when the window closes.
    let order = json!({"owner": tenant.bech32(), "dseq": 1, "gseq": 1, "oseq": 1});
    let offer =
        json!({"gpus": [{"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 1}]});
    let bids = vec![
        chain.execute(
            &loser,
            &market,
            json!({"place_bid": {"order": order, "price": "3600000", "offer": offer}}),
            500_000,
        ),
        chain.execute(
            &winner,
            &market,
            json!({"place_bid": {"order": order, "price": "2880000", "offer": offer}}),
            500_000,
        ),
    ];
    assert_ok(&chain.block(bids));
    chain.block_after(30, vec![]);
    let lease_id = json!({"owner": tenant.bech32(), "dseq": 1, "gseq": 1, "oseq": 1, "provider": winner.bech32()});
    let lease = chain.smart(&market, json!({"lease": {"id": lease_id}}));
    assert_eq!(lease["state"], "active");
    let lease_start = lease["created_at"].as_u64().expect("created_at");

    // The provider attests the first minute of work, then the tenant closes after two.
    chain.block_after(60, vec![]);
    let attest = chain.execute(
        &winner,
        &market,
        json!({"submit_attestation": {"lease": lease_id, "period_start": lease_start, "period_end": lease_start + 60,
               "gpu_seconds": 60, "work_units": 10,
               "output_root": "ab".repeat(32), "inventory_hash": "cd".repeat(32)}}),
        0,
    );
    assert_ok(&chain.block(vec![attest]));
    let atts = chain.smart(&market, json!({"attestations": {"lease": lease_id}}));
    assert_eq!(atts["attestations"][0]["gpu_seconds"], 60);
    chain.block_after(59, vec![]);
    let close = chain.execute(
        &tenant,
        &market,
        json!({"close_deployment": {"dseq": 1}}),
        0,
    );
    assert_ok(&chain.block(vec![close]));

    let lease = chain.smart(&market, json!({"lease": {"id": lease_id}}));
    assert_eq!(lease["state"], "closed");
    let paid: u128 = lease["total_paid"]
        .as_str()
        .expect("amount")
        .parse()
        .expect("number");
    // Disputes are on (the genesis names the referee): the lease pays for the attested minute
    // only, held until that minute's dispute window closes; the unattested minute went back to
    // the tenant with the rest of the escrow. A day later the hook pays the provider.
    assert_eq!(paid, 800 * 60, "800 utsr per second of the attested minute");
    assert_eq!(lease["held"], paid.to_string());
    chain.block_after(86_400, vec![]);
    let lease = chain.smart(&market, json!({"lease": {"id": lease_id}}));
    assert_eq!(lease["held"], "0");
    let take = paid * 200 / 10_000;
    let burned = take / 2;

    // To the unit: every party's balance, the pool and the supply.
    assert_eq!(
        chain.balance(&tenant.bech32()),
        start - paid - 2 * CONTRACT_FEE
    );
    assert_eq!(
        chain.balance(&winner.bech32()),
        start - 100_000_000 - 3 * CONTRACT_FEE + (paid - take)
    );
    assert_eq!(
        chain.balance(&loser.bech32()),
        start - 100_000_000 - 2 * CONTRACT_FEE
    );
    assert_eq!(chain.balance(&gov), take - burned, "the community pool");
    assert_eq!(
        chain.balance(&market),
        0,
        "the market keeps nothing after the close"
    );
    assert_eq!(chain.balance(&registry), 200_000_000, "the two bonds");
    assert_eq!(supply(&chain), supply_start - burned);
    let rep = chain.smart(
        &registry,
        json!({"reputation": {"provider": winner.bech32()}}),
    );
    assert_eq!(
        (
            rep["leases_completed"].as_u64(),
            rep["active_leases"].as_u64()
        ),
        (Some(1), Some(0))
    );
}

/// Bob's `register` with one GPU and a bond attached, signed for the chain's next block.
fn bob_registers(chain: &Chain) -> Vec<u8> {
    let registry = chain.contract("registry");
    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 1});
    chain.execute(
        &bob(),
        &registry,
        json!({"register": {"host_uri": "https://bob.example.com", "gpus": [gpu]}}),
        100_000_000,
    )
}

/// Gas of bob's `register` (one registry instance, a bond attached) on a fresh chain.
fn register_gas(chain: &mut Chain) -> u64 {
    let register = bob_registers(chain);
    let res = chain.block(vec![register]);
    assert_ok(&res);
    res.tx_results[0].gas_used
}

#[test]
fn the_genesis_pins_the_contracts_so_a_call_pays_the_pinned_instance_cost() {
    let mut pinned = Chain::start();
    let snapshot = pinned.app.store().snapshot().unwrap();
    let codes = pinned.app.host().pinned_codes(&*snapshot).unwrap();
    assert_eq!(codes.len(), 3, "pinned codes: {codes:?}");

    let accounts = [alice(), bob()]
        .iter()
        .map(|w| (w.bech32(), 1_000_000_000))
        .collect();
    let mut state: serde_json::Value =
        serde_json::from_slice(&chain::genesis_bytes(accounts)).unwrap();
    state["wasm"]["pinned"] = json!([]);
    let mut unpinned = Chain::start_from(serde_json::to_vec(&state).unwrap());

    // The same tx costs the instance cost difference less (60,000 - 2,000, wasmd's figures),
    // give or take the few gas its different bytes cost.
    let saved = register_gas(&mut unpinned) - register_gas(&mut pinned);
    assert!(
        (57_900..=58_100).contains(&saved),
        "pinning saved {saved} gas, not the instance cost difference"
    );
}

#[test]
fn a_genesis_that_pins_an_unknown_code_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::open(AppConfig::new(dir.path())).unwrap();
    let mut state: serde_json::Value =
        serde_json::from_slice(&chain::genesis_bytes(vec![])).unwrap();
    state["wasm"]["pinned"] = json!(["market", "nope"]);
    let err = app
        .init_chain(tesserad::app::abci::InitChainRequest {
            chain_id: common::CHAIN_ID.into(),
            time: tesserad::app::abci::BlockTime {
                seconds: tessera_testing::GENESIS_TIME,
                nanos: 0,
            },
            initial_height: 1,
            app_state_bytes: serde_json::to_vec(&state).unwrap(),
            max_block_gas: tesserad::app::block_gas::DEFAULT_MAX_BLOCK_GAS as i64,
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("pinned: unknown code nope"),
        "{err}"
    );
}
