//! How soon a real `tessera-provider` bids on a new order while 1,000 other open orders sit on
//! the chain (orders it screens and passes on: their maximum price is below its price), on a
//! real `tesserad --dev` (about a block per second). Prints, for several new orders, the blocks
//! and milliseconds from the block that created the order to the block with the bid, the
//! provider's decision time, and how fast it screened the 1,000 orders when it started.
//!
//!   cargo build -p tesserad -p tessera-provider && cargo bench -p tessera-cli --bench order_to_bid

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use cosmwasm_std::Uint128;
use support::provider_process::ProviderProcess;
use support::{dev_account, DevChain};
use tessera_api::gpu::Resources;
use tessera_api::market::{ExecuteMsg, GroupSpec};
use tessera_client::contracts::{ContractSigner, Contracts, Tessera};
use tessera_client::events::BlockFollower;
use tessera_client::keys::{Key, DEFAULT_HD_PATH};
use tessera_client::node::Node;
use tessera_client::tx::{Signer, TxOptions};

const BACKGROUND_ORDERS: u64 = 1_000;
const PER_TX: u64 = 50;
const SAMPLES: u64 = 5;

fn group(max_price: u128) -> GroupSpec {
    GroupSpec {
        name: "bench".into(),
        requirements: Default::default(),
        resources: Resources {
            cpu_millis: 100,
            memory_mib: 64,
            storage_mib: 0,
            gpu: Default::default(),
        },
        count: 1,
        max_price: Uint128::new(max_price),
    }
}

fn create(dseq: u64, max_price: u128) -> ExecuteMsg {
    ExecuteMsg::CreateDeployment {
        dseq: Some(dseq),
        groups: vec![group(max_price)],
        manifest_hash: "ab".repeat(32),
        bid_window_secs: Some(600),
        sample_size: None,
        secret_hash: None,
    }
}

fn main() {
    let chain = DevChain::start();
    chain.add_dev_key("provider");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let node = Node::connect(&chain.rpc).unwrap();
    let (tessera, signer) = runtime.block_on(async {
        let tessera = Tessera::connect(node.clone(), Contracts::default())
            .await
            .unwrap();
        let key = Key::from_mnemonic(
            "alice",
            dev_account("alice")["mnemonic"].as_str().unwrap(),
            DEFAULT_HD_PATH,
        )
        .unwrap();
        let signer = Signer::new(node.clone(), key, None).await.unwrap();
        (tessera, signer)
    });
    let deposit = runtime
        .block_on(tessera.market_params())
        .unwrap()
        .min_deposit[0]
        .clone();
    let contracts = ContractSigner {
        signer: &signer,
        contracts: &tessera.contracts,
    };

    // 1,000 open orders the provider will pass on (max price 1 utsr per hour).
    let started = Instant::now();
    for batch in 0..BACKGROUND_ORDERS / PER_TX {
        let msgs = (0..PER_TX)
            .map(|i| {
                contracts
                    .market_msg(
                        &create(1_000 + batch * PER_TX + i, 1),
                        std::slice::from_ref(&deposit),
                    )
                    .unwrap()
            })
            .collect();
        runtime
            .block_on(signer.send(msgs, &TxOptions::default()))
            .unwrap();
    }
    eprintln!(
        "{BACKGROUND_ORDERS} open orders created in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut provider = ProviderProcess::new(&chain, "provider", 100_000);
    chain.json(&[
        "provider",
        "register",
        "--host-uri",
        &provider.uri,
        "--bond",
        "100tsr",
        "--from",
        "provider",
    ]);
    let spawned = Instant::now();
    provider.spawn();
    provider.wait_for_metric(
        "orders_screened_total",
        BACKGROUND_ORDERS as f64,
        Duration::from_secs(300),
    );
    let scan = spawned.elapsed().as_secs_f64();

    let mut blocks = Vec::new();
    let mut millis = Vec::new();
    let mut decisions = Vec::new();
    for sample in 0..SAMPLES {
        let dseq = 100_000 + sample;
        let msg = contracts
            .market_msg(&create(dseq, 1_000_000), std::slice::from_ref(&deposit))
            .unwrap();
        let outcome = runtime
            .block_on(signer.send(vec![msg], &TxOptions::default()))
            .unwrap();
        let committed = Instant::now();
        let order = format!("{}/{dseq}/1/1", signer.address());
        let bid_height = runtime.block_on(async {
            let mut follower = BlockFollower::new(node.clone(), Some(outcome.height + 1))
                .await
                .unwrap();
            loop {
                let block = follower.next().await.unwrap();
                let bid = block.all().any(|e| {
                    e.attribute("action") == Some("place_bid")
                        && e.attribute("bid").is_some_and(|b| b.starts_with(&order))
                });
                if bid {
                    return block.height;
                }
                assert!(
                    block.height < outcome.height + 30,
                    "no bid on {order} within 30 blocks"
                );
            }
        });
        millis.push(committed.elapsed().as_secs_f64() * 1000.0);
        blocks.push(bid_height - outcome.height);
        decisions.push(provider.metric("last_decision_ms"));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let mut blocks_f: Vec<f64> = blocks.iter().map(|b| *b as f64).collect();
    println!(
        "startup scan: {BACKGROUND_ORDERS} open orders screened in {scan:.2} s ({:.0} orders/s, chain queries included)",
        BACKGROUND_ORDERS as f64 / scan
    );
    println!(
        "order-to-bid with {BACKGROUND_ORDERS} open orders: blocks {blocks:?} (median {}), ms after the order's tx committed {:?} (median {:.0})",
        median(&mut blocks_f),
        millis.iter().map(|m| m.round() as u64).collect::<Vec<_>>(),
        median(&mut millis.clone())
    );
    println!(
        "bid decision: {:?} ms (median {:.2})",
        decisions
            .iter()
            .map(|d| (d * 100.0).round() / 100.0)
            .collect::<Vec<_>>(),
        median(&mut decisions)
    );
}
