//! The end-block hook under the heaviest load the market allows, through the real VM and its
//! real gas: 200 auctions due in the same block, each with a full book of 20 bids whose offers
//! are as large as validation lets them be (16 price lines of 256-byte names made of `"` and
//! `\`, which double in JSON). The hook must never fail, must stay under its gas limit in every
//! block, and must award every order within a few blocks.

use tessera_testing::node as common;
use tessera_testing::node::chain;

use chain::{execute_any, sign, Chain};
use common::Wallet;
use serde_json::{json, Value};
use tesserad::event::Event;

const PROVIDERS: u8 = 20;
const DEPLOYMENTS: u64 = 10;
const GROUPS: u32 = 20;
const PRICE: u128 = 1_600;

fn attr<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event
        .attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// An offer of one H100 whose price breaks down into 16 lines with the longest names allowed.
fn bloated_offer() -> Value {
    let lines: Vec<Value> = (0..16u8)
        .map(|i| {
            let mut name: String = (0..255)
                .map(|j| if j % 2 == 0 { '"' } else { '\\' })
                .collect();
            name.push(char::from(b'a' + i));
            json!({"resource": name, "amount": (PRICE / 16).to_string()})
        })
        .collect();
    json!({
        "gpus": [{"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "interface": "sxm",
                  "count": 1}],
        "resource_prices": lines,
    })
}

/// Delivers `txs` in as many blocks as the block gas limit needs (each tx wants `gas`).
fn deliver_all(chain: &mut Chain, txs: Vec<Vec<u8>>, gas: u64) {
    let per_block = (tesserad::app::block_gas::DEFAULT_MAX_BLOCK_GAS / gas) as usize;
    for batch in txs.chunks(per_block.max(1)) {
        let res = chain.block(batch.to_vec());
        assert_eq!(res.tx_results.len(), batch.len(), "every tx was included");
        chain::assert_ok(&res);
    }
}

#[test]
fn two_hundred_full_auctions_due_at_once_never_stop_the_hook() {
    let tenant = Wallet::from_seed(200);
    let providers: Vec<Wallet> = (1..=PROVIDERS).map(Wallet::from_seed).collect();
    let mut accounts: Vec<(String, u128)> = providers
        .iter()
        .map(|p| (p.bech32(), 1_000_000_000))
        .collect();
    accounts.push((tenant.bech32(), 1_000_000_000));
    let mut chain = Chain::start_with(accounts);
    let (registry, market) = (chain.contract("registry"), chain.contract("market"));

    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "interface": "sxm",
                     "count": 8});
    let registrations = providers
        .iter()
        .map(|p| {
            let msg = json!({"register": {"host_uri": "https://p.example.com", "gpus": [gpu]}});
            sign(
                p,
                chain.account(p),
                vec![execute_any(p, &registry, &msg, 100_000_000)],
                3_000_000,
            )
        })
        .collect();
    deliver_all(&mut chain, registrations, 3_000_000);

    let group = |g: u32| {
        json!({"name": format!("g{g}"), "count": 1, "max_price": PRICE.to_string(),
               "resources": {"cpu_millis": 1000, "memory_mib": 1024,
                             "gpu": {"units": 1, "models": [{"vendor": "nvidia", "model": "h100"}]}}})
    };
    let creates = (1..=DEPLOYMENTS)
        .map(|dseq| {
            let msg = json!({"create_deployment": {
                "dseq": dseq,
                "groups": (1..=GROUPS).map(group).collect::<Vec<_>>(),
                "manifest_hash": "0000000000000000000000000000000000000000000000000000000000000001",
                // Long enough for every bid to arrive before any auction ends.
                "bid_window_secs": 3600}});
            execute_any(&tenant, &market, &msg, 10_000_000)
        })
        .collect();
    let tx = sign(&tenant, chain.account(&tenant), creates, 60_000_000);
    deliver_all(&mut chain, vec![tx], 60_000_000);

    // Each provider bids on every order: one tx of 20 bids per deployment.
    let offer = bloated_offer();
    let bid_gas = 30_000_000;
    let mut bids = Vec::new();
    for p in &providers {
        let (number, mut sequence) = chain.account(p);
        for dseq in 1..=DEPLOYMENTS {
            let msgs = (1..=GROUPS)
                .map(|gseq| {
                    let order = json!({"owner": tenant.bech32(), "dseq": dseq, "gseq": gseq,
                                       "oseq": 1});
                    let msg = json!({"place_bid": {"order": order, "price": PRICE.to_string(),
                                                   "offer": offer}});
                    execute_any(p, &market, &msg, 500_000)
                })
                .collect();
            bids.push(sign(p, (number, sequence), msgs, bid_gas));
            sequence += 1;
        }
    }
    // A provider's txs must land in sequence order: interleave by round.
    let mut ordered = Vec::new();
    for round in 0..DEPLOYMENTS as usize {
        for p in 0..providers.len() {
            ordered.push(bids[p * DEPLOYMENTS as usize + round].clone());
        }
    }
    deliver_all(&mut chain, ordered, bid_gas);

    // Every auction falls due in the same block.
    let total = (DEPLOYMENTS * u64::from(GROUPS)) as u32;
    let mut awarded = 0u32;
    let mut worst_gas = 0u64;
    let mut blocks = 0;
    let mut secs = 3600;
    while awarded < total {
        let res = chain.block_after(secs, vec![]);
        secs = 1;
        blocks += 1;
        assert!(
            !res.events.iter().any(|e| e.kind == "end_block_hook_failed"),
            "the hook failed: {:?}",
            res.events
                .iter()
                .find(|e| e.kind == "end_block_hook_failed")
        );
        let hook = res
            .events
            .iter()
            .find(|e| e.kind == "end_block_hook")
            .expect("hook event");
        let used: u64 = attr(hook, "gas_used").unwrap().parse().unwrap();
        let limit: u64 = attr(hook, "gas_limit").unwrap().parse().unwrap();
        assert!(used < limit, "hook used {used} of {limit}");
        worst_gas = worst_gas.max(used);
        let wasm = res
            .events
            .iter()
            .find(|e| e.kind == "wasm" && attr(e, "action") == Some("end_block"))
            .expect("market end_block event");
        assert_eq!(attr(wasm, "failed"), Some("0"));
        awarded += attr(wasm, "awarded").unwrap().parse::<u32>().unwrap();
        assert!(
            blocks <= 10,
            "awarded only {awarded} of {total} in {blocks} blocks"
        );
    }
    println!(
        "hook worst case: {worst_gas} gas in one block (limit 50000000); {total} full auctions \
         awarded in {blocks} blocks"
    );
    assert!(
        blocks > 1,
        "the budget spreads this load over several blocks"
    );
}
