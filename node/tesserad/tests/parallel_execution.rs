//! Txs delivered on several threads give exactly what delivering them in order gives: the same
//! blocks, built to conflict in every way a block can (one sender twice, bids on the same
//! order, a bid that fails because an earlier tx of the block placed it, deposits credited to
//! the market and refunded from it, sends both ways between two accounts), end at the same
//! tx results, events and app hash on a chain run in order and on one with helper threads.

use serde_json::{json, Value};
use tessera_testing::node as common;
use tessera_testing::node::chain;
use tessera_testing::{BID_DEPOSIT, MANIFEST, MIN_BOND};

use chain::{execute_any, h100_group, sign, Chain, CONTRACT_GAS};
use common::{alice, bob, send_msg, Wallet};
use std::sync::atomic::Ordering;
use tesserad::app::block_gas::DEFAULT_MAX_BLOCK_GAS;

const PROVIDERS: u8 = 6;

fn chain_with_helpers(helpers: usize) -> Chain {
    let mut accounts = vec![
        (alice().bech32(), 1_000_000_000_000u128),
        (bob().bech32(), 1_000_000_000),
    ];
    accounts.extend(providers().iter().map(|w| (w.bech32(), 1_000_000_000)));
    Chain::start_configured(
        chain::genesis_bytes(accounts),
        DEFAULT_MAX_BLOCK_GAS,
        |config| config.parallel_helpers = helpers,
    )
}

fn providers() -> Vec<Wallet> {
    (0..PROVIDERS).map(|i| Wallet::from_seed(40 + i)).collect()
}

/// Signs txs for a block, each signer's sequence counted from the chain's.
struct Signing<'c> {
    chain: &'c Chain,
    next: std::collections::BTreeMap<String, u64>,
}

impl Signing<'_> {
    fn tx(&mut self, w: &Wallet, msg: cosmrs::Any) -> Vec<u8> {
        let (number, seq) = self.chain.account(w);
        let next = self.next.entry(w.bech32()).or_insert(seq);
        let tx = sign(w, (number, *next), vec![msg], CONTRACT_GAS);
        *next += 1;
        tx
    }

    fn execute(&mut self, w: &Wallet, contract: &str, msg: Value, funds: u128) -> Vec<u8> {
        let any = execute_any(w, contract, &msg, funds);
        self.tx(w, any)
    }
}

fn order(dseq: u64, gseq: u64) -> Value {
    json!({"owner": alice().bech32(), "dseq": dseq, "gseq": gseq, "oseq": 1})
}

fn bid(dseq: u64, gseq: u64) -> Value {
    json!({"place_bid": {"order": order(dseq, gseq), "price": "3000000",
                         "offer": {"gpus": [{"vendor": "nvidia", "model": "h100",
                                             "vram_mib": 81920, "count": 1}]}}})
}

/// The blocks, each signed with the sequences its signers have on `chain` now: only the block
/// that comes next is valid as it stands.
fn blocks(chain: &Chain) -> Vec<Vec<Vec<u8>>> {
    let (registry, market) = (chain.contract("registry"), chain.contract("market"));
    let (a, b, p) = (alice(), bob(), providers());
    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 8});
    let mut s = Signing {
        chain,
        next: Default::default(),
    };
    let mut blocks = Vec::new();

    // Every provider's bond credited to the registry; alice twice, and bob and alice both ways.
    let mut block: Vec<Vec<u8>> = p
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let msg = json!({"register": {"host_uri": format!("https://p{i}.example.com"),
                                          "gpus": [gpu]}});
            s.execute(w, &registry, msg, MIN_BOND)
        })
        .collect();
    block.insert(2, s.tx(&a, send_msg(&a, &b, 5)));
    block.push(s.tx(&b, send_msg(&b, &a, 7)));
    block.push(s.tx(&a, send_msg(&a, &b, 11)));
    blocks.push(block);
    s.next.clear();

    // Two deployments from one tenant (a sequence and the market's balance in common).
    let groups: Vec<Value> = (0..3).map(|k| h100_group(&format!("g{k}"))).collect();
    let block = (1..=2)
        .map(|dseq| {
            let msg = json!({"create_deployment": {"dseq": dseq, "groups": groups,
                             "manifest_hash": MANIFEST, "bid_window_secs": 3600}});
            s.execute(&a, &market, msg, 50_000_000)
        })
        .collect();
    blocks.push(block);
    s.next.clear();

    // Everyone on order (1, 1); p0 twice (the second fails: its own bid exists); p1 on
    // another order too; a send into a bidder's account.
    let mut block: Vec<Vec<u8>> = p
        .iter()
        .map(|w| s.execute(w, &market, bid(1, 1), BID_DEPOSIT))
        .collect();
    block.insert(3, s.execute(&p[0], &market, bid(1, 1), BID_DEPOSIT));
    block.push(s.execute(&p[1], &market, bid(2, 3), BID_DEPOSIT));
    block.push(s.tx(&b, send_msg(&b, &p[5], 1_000)));
    blocks.push(block);
    s.next.clear();

    // Deposits refunded from the market between bids credited to it; a tx with a sequence
    // from the future (fails in the ante).
    let mut block = vec![
        s.execute(&p[4], &market, bid(2, 1), BID_DEPOSIT),
        s.execute(
            &p[2],
            &market,
            json!({"withdraw_bid": {"order": order(1, 1)}}),
            0,
        ),
        s.execute(&p[5], &market, bid(2, 2), BID_DEPOSIT),
        s.execute(
            &p[3],
            &market,
            json!({"withdraw_bid": {"order": order(1, 1)}}),
            0,
        ),
        s.execute(&p[2], &market, bid(1, 2), BID_DEPOSIT),
    ];
    let (number, seq) = chain.account(&b);
    block.push(sign(
        &b,
        (number, seq + 5),
        vec![send_msg(&b, &a, 1)],
        CONTRACT_GAS,
    ));
    blocks.push(block);
    blocks
}

#[test]
fn conflicting_blocks_end_at_the_same_results_and_app_hash_in_order_and_in_parallel() {
    let mut in_order = chain_with_helpers(0);
    let mut parallel = chain_with_helpers(3);
    let mut codes = Vec::new();
    let mut txs = 0;
    for index in 0..4 {
        let block = blocks(&in_order).swap_remove(index);
        assert_eq!(
            block,
            blocks(&parallel).swap_remove(index),
            "both chains sign the same bytes"
        );
        txs += block.len() as u64;
        let expected = in_order.block(block.clone());
        let got = parallel.block(block);
        assert_eq!(got, expected, "block {index}");
        codes.push(
            expected
                .tx_results
                .iter()
                .map(|r| r.code)
                .collect::<Vec<_>>(),
        );
    }
    // The blocks did what they were built for: one failed bid, one failed sequence.
    let failed: Vec<(usize, usize)> = codes
        .iter()
        .enumerate()
        .flat_map(|(b, codes)| {
            codes
                .iter()
                .enumerate()
                .filter(|(_, &code)| code != 0)
                .map(move |(i, _)| (b, i))
        })
        .collect();
    assert_eq!(failed, vec![(2, 3), (3, 5)], "codes: {codes:?}");

    let stats = parallel.app.parallel_stats();
    let count = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let (applied, moved, rerun, only_in_order) = (
        count(&stats.applied),
        count(&stats.credits_moved),
        count(&stats.rerun),
        count(&stats.in_order),
    );
    // Every path taken, and every tx of the 4 blocks through one of them. In order only: alice's
    // second tx in blocks 0 and 1, p0's and p1's second bids, p2's bid after its withdrawal.
    let paths =
        format!("applied {applied}, moved {moved}, rerun {rerun}, in order only {only_in_order}");
    assert!(applied > 0 && moved > 0 && rerun > 0, "{paths}");
    assert_eq!(only_in_order, 5, "{paths}");
    assert_eq!(applied + moved + rerun + only_in_order, txs, "{paths}");
    let serial = in_order.app.parallel_stats();
    assert_eq!(
        count(&serial.applied)
            + count(&serial.credits_moved)
            + count(&serial.rerun)
            + count(&serial.in_order),
        0
    );
}
