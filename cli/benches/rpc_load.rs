//! The dev chain (`tesserad start --dev`, about one block per second) under public-RPC load:
//! `tessera-loadgen`'s bank sends from 32 senders, signed in advance, broadcast in order with
//! `broadcast_tx_sync`. Prints committed tx/s, commit latency p50/p99, and CometBFT's
//! FinalizeBlock time per tx beside this machine's secp256k1 verify time.
//!
//!   cargo build --release -p tesserad && cargo bench -p tessera-cli --bench rpc_load
//!   (LOADGEN_SENDERS, LOADGEN_TXS_PER_SENDER and LOADGEN_WINDOW change the load;
//!   TESSERAD_BIN=path/to/tesserad measures another build; TESSERAD_PARALLEL_HELPERS=n sets the
//!   node's `[app] parallel_helpers`, 0 for in-order delivery on one thread)

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use support::DevChain;
use tessera_loadgen::LoadConfig;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        })
        .unwrap_or(default)
}

fn main() {
    let chain = match std::env::var("TESSERAD_PARALLEL_HELPERS") {
        Ok(helpers) => DevChain::start_with_app_settings(&format!("parallel_helpers = {helpers}")),
        Err(_) => DevChain::start(),
    };
    let config = LoadConfig {
        timeout: Duration::from_secs(120),
        window: env_or("LOADGEN_WINDOW", 100) as usize,
        rate: std::env::var("LOADGEN_RATE")
            .ok()
            .map(|r| r.parse().expect("LOADGEN_RATE: a number of tx/s")),
        ..chain.load_config(
            "alice",
            env_or("LOADGEN_SENDERS", 32) as usize,
            env_or("LOADGEN_TXS_PER_SENDER", 500),
        )
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime
        .block_on(tessera_loadgen::run(&config))
        .expect("the load run");
    print!("{}", report.render());
    assert_eq!(
        report.committed, report.signed,
        "every signed tx should commit: {report:?}"
    );
}
