//! A 4-validator network on loopback as `tesserad testnet` writes it (timeout_commit 1 s,
//! snapshots every 100 blocks), real processes. Prints:
//! - the block interval with 4 validators (mean over 30 blocks, from the headers' times);
//! - how long a validator that missed 100 blocks takes to catch up once restarted;
//! - how long a new full node takes to reach the chain's height by state sync, and by block
//!   sync from genesis.
//!
//!   cargo build --release -p tesserad && cargo bench -p tessera-cli --bench network
//!   (TESSERAD_BIN=path/to/tesserad to measure another build)

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::network::Network;

const MISSED_BLOCKS: u64 = 100;

fn block_time_secs(net: &Network, height: u64) -> f64 {
    let block = support::network::rpc_get(&net.nodes[0].rpc(), &format!("/block?height={height}"))
        .expect("block");
    let time = block["block"]["header"]["time"].as_str().expect("time");
    // RFC 3339 with nanoseconds: seconds within the day are enough for a short interval.
    let clock = &time[11..time.len() - 1];
    let mut parts = clock.split(':');
    let h: f64 = parts.next().unwrap().parse().unwrap();
    let m: f64 = parts.next().unwrap().parse().unwrap();
    let s: f64 = parts.next().unwrap().parse().unwrap();
    h * 3600.0 + m * 60.0 + s
}

/// Seconds until node `i` reaches `height`.
fn time_to_reach(net: &Network, i: usize, height: u64) -> f64 {
    let started = Instant::now();
    net.wait_for_height(i, height, Duration::from_secs(900));
    started.elapsed().as_secs_f64()
}

fn main() {
    let mut net = Network::create(4, 0, "1s", 100);
    net.start_all();
    for i in 0..4 {
        net.wait_for_height(i, 5, Duration::from_secs(120));
    }

    let from = net.height(0);
    net.wait_for_height(0, from + 30, Duration::from_secs(120));
    let interval = (block_time_secs(&net, from + 30) - block_time_secs(&net, from)) / 30.0;
    println!(
        "block interval, 4 validators, timeout_commit 1s: {interval:.3} s (mean of 30 blocks)"
    );

    net.kill(3);
    let missed_from = net.height(0);
    net.wait_for_height(0, missed_from + MISSED_BLOCKS, Duration::from_secs(600));
    net.start(3);
    let started = Instant::now();
    // Caught up: at the height the others have when it gets there.
    loop {
        let head = net.height(0);
        net.wait_for_height(3, head, Duration::from_secs(600));
        if net.height(3) + 1 >= net.height(0) {
            break;
        }
    }
    println!(
        "catch-up of a validator that missed {MISSED_BLOCKS} blocks: {:.1} s from its restart",
        started.elapsed().as_secs_f64()
    );

    // Joiners one at a time, so neither slows the other down.
    let synced = net.join("statesynced", true);
    let target = net.height(0);
    net.start(synced);
    let state_sync = time_to_reach(&net, synced, target);
    net.kill(synced);
    println!("state sync to height {target} (snapshot every 100 blocks): {state_sync:.1} s");

    let replayed = net.join("blocksynced", false);
    let target = net.height(0);
    net.start(replayed);
    let block_sync = time_to_reach(&net, replayed, target);
    println!("block sync from genesis to height {target}: {block_sync:.1} s");
}
