//! `tessera-loadgen` against a real dev chain: a small load commits whole, in order, and the
//! report's figures come from what happened (blocks, latencies, CometBFT's metrics).

mod support;

use support::DevChain;
use tessera_loadgen::LoadConfig;

fn config(chain: &DevChain, senders: usize, txs_per_sender: u64) -> LoadConfig {
    LoadConfig {
        window: 5,
        ..chain.load_config("bob", senders, txs_per_sender)
    }
}

#[test]
fn a_small_load_commits_every_tx_and_reports_what_happened() {
    let chain = DevChain::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let report = runtime
        .block_on(tessera_loadgen::run(&config(&chain, 4, 12)))
        .expect("the load run");
    assert_eq!(report.signed, 48);
    assert_eq!(report.accepted, 48, "{report:?}");
    assert_eq!(report.committed, 48, "{report:?}");
    assert_eq!(report.failed_in_block, 0);
    assert!(report.stopped_senders.is_empty(), "{report:?}");
    assert!(report.blocks >= 1 && report.window_secs > 0.0, "{report:?}");
    assert!(report.committed_tx_per_sec > 0.0);
    assert!(report.latency_p50_ms > 0.0 && report.latency_p50_ms <= report.latency_p99_ms);
    assert!(report.latency_p99_ms <= report.latency_max_ms);
    let finalize = report
        .finalize_us_per_tx
        .expect("CometBFT's metrics were scraped");
    assert!(finalize > 0.0, "{report:?}");
    assert!(report.secp256k1_verify_us > 0.0);

    // Each sender's sequence moved by exactly its txs: run again from where the chain is.
    let again = runtime
        .block_on(tessera_loadgen::run(&config(&chain, 4, 3)))
        .expect("a second run on the same senders");
    assert_eq!(again.committed, 12, "{again:?}");
}

#[test]
fn a_load_offered_at_a_rate_is_spread_over_time() {
    let chain = DevChain::start();
    let mut paced = config(&chain, 4, 10);
    paced.rate = Some(20.0);
    let report = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(tessera_loadgen::run(&paced))
        .expect("the load run");
    assert_eq!(report.committed, 40, "{report:?}");
    assert_eq!(report.offered_tx_per_sec, Some(20.0));
    // 40 txs at 20 tx/s: the last one is due 1.95 s after the first (less a stagger of 0.15 s).
    assert!(report.broadcast_secs >= 1.75, "{report:?}");
}

#[test]
fn a_wrong_chain_id_is_refused_before_anything_is_sent() {
    let chain = DevChain::start();
    let mut wrong = config(&chain, 1, 1);
    wrong.chain.chain_id = "other-chain".parse().unwrap();
    let err = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(tessera_loadgen::run(&wrong))
        .unwrap_err();
    assert!(err.to_string().contains("not \"other-chain\""), "{err:#}");
}
