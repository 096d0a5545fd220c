//! The whole state machine driven by a mock consensus: signed transactions against the real
//! compiled contracts in the real CosmWasm VM, blocks finalized and committed to disk.

#[path = "support/chain.rs"]
mod chain;
mod common;

use chain::{assert_ok, Chain, FEE};
use common::{alice, bob};
use serde_json::json;
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
    let group = json!({
        "name": "train",
        "resources": {"cpu_millis": 4000, "memory_mib": 16384,
                      "gpu": {"units": 1, "models": [{"vendor": "nvidia", "model": "h100"}]}},
        "count": 1,
        "max_price": "3600000"
    });
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

    // A minute later the hook has paid the provider 60 s at 1000 utsr/s, less the 2 % take.
    let before = chain.balance(&provider.bech32());
    chain.block_after(60, vec![]);
    let paid = chain.smart(&market, json!({"lease": {"id": lease_id}}))["total_paid"].clone();
    assert_eq!(paid, "60000");
    assert_eq!(chain.balance(&provider.bech32()), before + 58_800);
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
    assert_eq!(chain.balance(&tenant.bech32()), before - FEE);
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
