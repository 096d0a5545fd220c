//! Gas: the VM's gas and the host's SDK costs under one meter; running out is SDK code 11 and
//! leaves nothing behind.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use tessera_api::market::ExecuteMsg;
use tessera_api::DeploymentId;
use tessera_vm::{lock_state, GAS_MULTIPLIER};

fn place_bid(
    t: &Tessera,
    provider: &str,
    gas: u64,
) -> (
    Result<tessera_vm::ExecuteResponse, tessera_vm::WasmError>,
    u64,
) {
    let tenant = addr("tenant");
    let call = t.chain.call(gas);
    let r = t.chain.execute_with(
        &call,
        provider,
        &t.market,
        &ExecuteMsg::PlaceBid {
            order: DeploymentId::new(tenant, 7).order(1, 1),
            price: Uint128::new(3_600_000),
            offer: offer(2),
        },
        utsr(BID_DEPOSIT),
    );
    (r, call.gas.used())
}

fn with_deployment() -> (Tessera, String) {
    let t = Tessera::new();
    let provider = t.provider("provider", 8);
    let tenant = t.tenant("tenant");
    t.chain
        .execute(
            &tenant,
            &t.market,
            &ExecuteMsg::CreateDeployment {
                dseq: Some(7),
                groups: vec![gpu_group("train", 2, 4 * TSR)],
                manifest_hash: MANIFEST.into(),
                bid_window_secs: None,
                sample_size: None,
                secret_hash: None,
            },
            utsr(10 * TSR),
        )
        .unwrap();
    (t, provider)
}

#[test]
fn running_out_of_gas_is_sdk_11_and_reverts_everything() {
    let (t, provider) = with_deployment();

    // Learn what the bid costs, then undo it.
    lock_state(&t.chain.state).begin();
    let (ok, needed) = place_bid(&t, &provider, GAS);
    ok.expect("bid with enough gas");
    lock_state(&t.chain.state).discard();
    eprintln!("place_bid: {needed} SDK gas");
    // The instance cost alone is 60 000; the VM's share is ~gas/140 000.
    assert!(needed > 60_000, "{needed}");

    let before = t.chain.changes();
    for limit in [1_000, 61_000, needed / 2, needed - 1] {
        let (err, used) = place_bid(&t, &provider, limit);
        let err = err.expect_err("not enough gas");
        assert!(err.is_out_of_gas(), "{limit}: {err}");
        assert_eq!((err.codespace(), err.code()), ("sdk", 11));
        assert!(
            err.to_string().contains(&format!("gasWanted: {limit}")),
            "{err}"
        );
        assert!(
            used >= limit,
            "a failed call reports at least its limit ({used} < {limit})"
        );
        assert_eq!(
            t.chain.changes(),
            before,
            "no writes after running out at {limit}"
        );
    }

    // Gas is deterministic: the same call on the same state costs the same.
    let (ok, used) = place_bid(&t, &provider, needed + 1);
    ok.expect("enough gas");
    assert_eq!(used, needed);
}

#[test]
fn vm_gas_is_charged_in_sdk_units() {
    let (t, provider) = with_deployment();
    lock_state(&t.chain.state).begin();
    let (ok, used) = place_bid(&t, &provider, GAS);
    ok.unwrap();
    lock_state(&t.chain.state).discard();
    // Instance (60 000) + KV accesses + VM gas ÷ 140 000: far below the raw VM figure.
    assert!(used < 1_000_000, "{used}");
    assert_eq!(GAS_MULTIPLIER, 140_000);

    // A pinned code pays the discounted instance cost (2 000) instead of 60 000; the pin flag
    // read costs 3 gas per byte of its value. `place_bid` reads the registry by raw query, so
    // the market is the only instance: pinning the registry changes nothing.
    t.chain
        .host
        .pin_code(&t.chain.state, t.registry_code)
        .unwrap();
    lock_state(&t.chain.state).begin();
    let (ok, registry_pinned) = place_bid(&t, &provider, GAS);
    ok.unwrap();
    lock_state(&t.chain.state).discard();
    assert_eq!(registry_pinned, used);
    t.chain
        .host
        .pin_code(&t.chain.state, t.market_code)
        .unwrap();
    let (ok, pinned) = place_bid(&t, &provider, GAS);
    ok.unwrap();
    assert_eq!(used - pinned, 60_000 - 2_000 - 3);
}
