//! VM-only throughput: the market's `place_bid` (an execute with funds that also queries the
//! registry) through the host, module cache warm, in-memory state, no consensus or signatures.
//!
//!   cargo bench -p tessera-vm --bench place_bid
//!
//! `TESSERA_BENCH_N=n` sets the number of calls of each kind (default 2,000). Run without
//! `--bench` (as `cargo test --benches` does) it is a quick smoke run of 20 calls.
//!
//! Two runs: the same bid placed and reverted N times (constant state), and N bids on N
//! different orders kept in one block's overlay (state grows as in a busy block). Then the
//! reverted bid on 1 thread and on every core at once, each thread with a chain of its own: how
//! far VM execution scales across cores, which bounds what executing a block's independent txs
//! in parallel could gain on this machine (the node executes them one after another).

use std::sync::{Arc, Barrier};
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

/// A chain with one open order and a provider funded to bid on it.
struct BidSetup {
    tessera: Tessera,
    provider: String,
    tenant: String,
    bid: serde_json::Value,
}

impl BidSetup {
    fn new(n: u64) -> Self {
        let tessera = Tessera::new();
        let provider = tessera.provider("provider", 8);
        let tenant = tessera.tenant("tenant");
        // Deposits for every deployment and bid the runs keep.
        tessera.chain.mint(&tenant, (n + 2) as u128 * 10 * TSR);
        tessera.chain.mint(&provider, (n + 2) as u128 * BID_DEPOSIT);
        let bid = bid_on(&tenant, 1);
        execute(
            &tessera.chain,
            &tenant,
            &tessera.market,
            &deployment(1),
            10 * TSR,
        );
        Self {
            tessera,
            provider,
            tenant,
            bid,
        }
    }

    /// Places the bid and reverts it, `n` times; returns the gas of one.
    fn place_and_revert(&self, n: u64) -> u64 {
        let chain = &self.tessera.chain;
        let mut gas = 0;
        for _ in 0..n {
            lock_state(&chain.state).begin();
            gas = execute(
                chain,
                &self.provider,
                &self.tessera.market,
                &self.bid,
                BID_DEPOSIT,
            );
            lock_state(&chain.state).discard();
        }
        gas
    }
}

fn deployment(dseq: u64) -> serde_json::Value {
    json!({"create_deployment": {"dseq": dseq, "manifest_hash": "00".repeat(32),
        "groups": [gpu_group("train", 2, 4 * TSR)]}})
}

fn bid_on(tenant: &str, dseq: u64) -> serde_json::Value {
    json!({"place_bid": {"order": {"owner": tenant, "dseq": dseq, "gseq": 1, "oseq": 1},
        "price": "3600000", "offer": offer(2)}})
}

/// `threads` threads place and revert the bid `n` times each on chains of their own, all
/// timed together once every chain is set up and warm.
fn bids_on_threads(threads: usize, n: u64) -> Duration {
    let start = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let start = start.clone();
            std::thread::spawn(move || {
                let setup = BidSetup::new(n);
                setup.place_and_revert(20);
                start.wait();
                setup.place_and_revert(n);
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    for worker in workers {
        worker.join().expect("a bench thread failed");
    }
    t.elapsed()
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
    let setup = BidSetup::new(n);
    println!(
        "store_code (check + compile) x2, instantiate x2: {:?}",
        t0.elapsed()
    );
    let tessera = &setup.tessera;
    let chain = &tessera.chain;
    let (provider, tenant) = (&setup.provider, &setup.tenant);

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
    setup.place_and_revert(20);
    let t = Instant::now();
    let reverted_gas = setup.place_and_revert(n);
    report(
        "place_bid, reverted each time",
        n,
        t.elapsed(),
        reverted_gas,
    );

    // 2. N deployments, then N bids on them, all kept in one overlay.
    let mut gas = 0;
    let t = Instant::now();
    for dseq in 2..n + 2 {
        gas = execute(chain, tenant, &tessera.market, &deployment(dseq), 10 * TSR);
    }
    report("create_deployment, kept", n, t.elapsed(), gas);
    let t = Instant::now();
    for dseq in 2..n + 2 {
        gas = execute(
            chain,
            provider,
            &tessera.market,
            &bid_on(tenant, dseq),
            BID_DEPOSIT,
        );
    }
    report("place_bid, kept", n, t.elapsed(), gas);

    // 3. Scaling across cores.
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let one = bids_on_threads(1, n);
    report("place_bid, reverted, 1 thread", n, one, reverted_gas);
    if cores > 1 {
        let all = bids_on_threads(cores, n);
        let total = n * cores as u64;
        report(
            &format!("place_bid, reverted, {cores} threads"),
            total,
            all,
            reverted_gas,
        );
        println!(
            "VM scaling on {cores} cores: {:.2}x the executes/s of 1 thread",
            (total as f64 / all.as_secs_f64()) / (n as f64 / one.as_secs_f64())
        );
    } else {
        println!("VM scaling: skipped, this machine has 1 core");
    }
}
