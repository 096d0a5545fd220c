//! VM-only throughput: the market's `place_bid` (an execute with funds that also queries the
//! registry) through the host, module cache warm, in-memory state, no consensus or signatures.
//!
//!   cargo bench -p tessera-vm --bench place_bid
//!
//! `TESSERA_BENCH_N=n` sets the number of calls of each kind (default 2,000). Run without
//! `--bench` (as `cargo test --benches` does) it is a quick smoke run of 20 calls.
//!
//! Two runs: the same bid placed and reverted N times (constant state), and N bids on N
//! different orders kept in one block's overlay (state grows as in a busy block).

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use tessera_testing::vm::{utsr, Chain, Tessera, GAS};
use tessera_testing::{gpu_group, offer, BID_DEPOSIT, TSR};
use tessera_vm::lock_state;

/// Executes `msg` and returns the SDK gas it used; a failure ends the bench.
fn execute(chain: &Chain, sender: &str, contract: &str, msg: &impl Serialize, funds: u128) -> u64 {
    let call = chain.call(GAS);
    if let Err(e) = chain.execute_with(&call, sender, contract, msg, utsr(funds)) {
        panic!("execute from {sender}: {e}");
    }
    call.gas.used()
}

fn report(what: &str, n: u64, elapsed: Duration, gas: u64) {
    let secs = elapsed.as_secs_f64();
    println!(
        "{what}: {n} executes in {secs:.3} s = {:.0} executes/s ({:.0} µs each), {gas} SDK gas each",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}

fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --benches` nothing is passed.
    let full = std::env::args().any(|a| a == "--bench");
    let n: u64 = match std::env::var("TESSERA_BENCH_N") {
        Ok(v) => v.parse().expect("TESSERA_BENCH_N: a number of calls"),
        Err(_) if full => 2000,
        Err(_) => 20,
    };

    let t0 = Instant::now();
    let tessera = Tessera::new();
    println!(
        "store_code (check + compile) x2, instantiate x2: {:?}",
        t0.elapsed()
    );
    let chain = &tessera.chain;
    let provider = tessera.provider("provider", 8);
    let tenant = tessera.tenant("tenant");
    // Deposits for every deployment and bid the runs keep.
    chain.mint(&tenant, (n + 2) as u128 * 10 * TSR);
    chain.mint(&provider, (n + 2) as u128 * BID_DEPOSIT);

    let deployment = |dseq: u64| {
        json!({"create_deployment": {"dseq": dseq, "manifest_hash": "00".repeat(32),
            "groups": [gpu_group("train", 2, 4 * TSR)]}})
    };
    let bid = |dseq: u64| {
        json!({"place_bid": {"order": {"owner": tenant, "dseq": dseq, "gseq": 1, "oseq": 1},
            "price": "3600000", "offer": offer(2)}})
    };

    // 0. Queries: one instance each (the registry one is what place_bid asks).
    let provider_q = json!({"provider": {"address": provider}});
    let params_q = json!({"params": {}});
    for (name, contract, q) in [
        ("registry provider", &tessera.registry, &provider_q),
        ("market params", &tessera.market, &params_q),
    ] {
        let t = Instant::now();
        for _ in 0..n {
            let _: serde_json::Value = chain.query(contract, q);
        }
        report(&format!("query {name}"), n, t.elapsed(), 0);
    }

    // 1. The same bid, placed and reverted: constant state, warm cache.
    execute(chain, &tenant, &tessera.market, &deployment(1), 10 * TSR);
    let mut gas = 0;
    for _ in 0..20 {
        lock_state(&chain.state).begin();
        gas = execute(chain, &provider, &tessera.market, &bid(1), BID_DEPOSIT);
        lock_state(&chain.state).discard();
    }
    let t = Instant::now();
    for _ in 0..n {
        lock_state(&chain.state).begin();
        execute(chain, &provider, &tessera.market, &bid(1), BID_DEPOSIT);
        lock_state(&chain.state).discard();
    }
    report("place_bid, reverted each time", n, t.elapsed(), gas);

    // 2. N deployments, then N bids on them, all kept in one overlay.
    let t = Instant::now();
    for dseq in 2..n + 2 {
        gas = execute(chain, &tenant, &tessera.market, &deployment(dseq), 10 * TSR);
    }
    report("create_deployment, kept", n, t.elapsed(), gas);
    let t = Instant::now();
    for dseq in 2..n + 2 {
        gas = execute(chain, &provider, &tessera.market, &bid(dseq), BID_DEPOSIT);
    }
    report("place_bid, kept", n, t.elapsed(), gas);
}
