//! End-to-end throughput of the node: blocks of signed market `place_bid` txs through decode,
//! ante (signature, sequence, fee), VM execution (the market reads the registry by raw query) and the
//! store commit, against the real contracts of `artifacts/`; and, in the same run, how many
//! secp256k1 signatures this machine verifies per second, for scale.
//!
//!   cargo bench -p tesserad --bench throughput
//!
//! `TESSERA_BENCH_BLOCKS=n` changes the number of timed blocks of each size (default 4). Run
//! without `--bench` (as `cargo test --benches` does) it is a quick smoke run on small blocks.
//!
//! Setup (untimed): one provider per tx of the largest block, funded in genesis and registered
//! with its bond in one tx each; 50 deployments of 20 groups (1,000 open orders, one-hour
//! auction windows so no auction ends during the run); every bid tx signed in advance. Block
//! `j` has provider `i` bid on order `(i + j) mod 1000`: distinct providers on distinct orders
//! in each block, a provider never bids twice on an order, and no order collects more than one
//! bid per block.
//!
//! After the timed blocks, one more block of the largest size goes through the parallel census
//! (`tesserad::app::census`) before it is finalized: the keys its txs write most, and how far
//! an ideal parallel executor could spread it over several cores, as the txs run today and with
//! the two balances every bid credits kept as deltas.

// The allocator of the tesserad binary, so the figures are the node's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tessera_testing::node as common;
use tessera_testing::node::chain;

use std::time::{Duration, Instant};

use chain::{assert_ok, execute_any, h100_group, sign, Chain, CONTRACT_GAS};
use common::Wallet;
use k256::ecdsa::signature::{Signer as _, Verifier as _};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tessera_testing::{BID_DEPOSIT, MANIFEST, MIN_BOND};
use tesserad::address::Address;
use tesserad::app::abci::CheckTxKind;
use tesserad::app::census::{self, Dependencies, TxAccess};
use tesserad::app::BlockPhases;
use tesserad::bank::{balance_key, FEE_COLLECTOR};

const GROUPS: usize = 20;
const DEPLOYMENTS: usize = 50;
const ORDERS: usize = GROUPS * DEPLOYMENTS;

fn secret(what: &str, i: usize) -> [u8; 32] {
    Sha256::digest(format!("tessera-bench-{what}-{i}")).into()
}

/// Timings of the blocks of one size.
#[derive(Default)]
struct Run {
    txs: usize,
    blocks: usize,
    check: Duration,
    finalize: Duration,
    /// `finalize`'s phases, as the app timed them.
    phases: BlockPhases,
    commit: Duration,
    gas: u64,
    verify: Duration,
    verify_node: Duration,
}

impl Run {
    fn total(&self) -> Duration {
        self.finalize + self.commit
    }

    fn tps(&self) -> f64 {
        self.txs as f64 / self.total().as_secs_f64()
    }

    fn verify_rate(&self) -> f64 {
        self.txs as f64 / self.verify.as_secs_f64()
    }
}

fn us_per_tx(d: Duration, txs: usize) -> f64 {
    d.as_secs_f64() * 1e6 / txs as f64
}

/// Commits `txs` in one block and checks that every one is in it and succeeded: a setup block
/// over the gas limit would otherwise be cut short in the proposal without a word.
fn commit_all(chain: &mut Chain, txs: Vec<Vec<u8>>, what: &str) {
    let n = txs.len();
    let res = chain.block(txs);
    assert_ok(&res);
    assert_eq!(res.tx_results.len(), n, "a {what} tx was left out");
}

fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --benches` nothing is passed.
    let full = std::env::args().any(|a| a == "--bench");
    let per_size: usize = std::env::var("TESSERA_BENCH_BLOCKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if full { 4 } else { 1 });
    let sizes: Vec<usize> = if full { vec![500, 1000] } else { vec![20, 50] };
    let providers_n = *sizes.iter().max().expect("sizes");
    let wall = Instant::now();

    // ---- setup -------------------------------------------------------------------------------
    let tenant = Wallet::from_secret(&secret("tenant", 0));
    let providers: Vec<Wallet> = (0..providers_n)
        .map(|i| Wallet::from_secret(&secret("provider", i)))
        .collect();
    let mut accounts = vec![(tenant.bech32(), 10_000_000_000_000u128)];
    accounts.extend(providers.iter().map(|w| (w.bech32(), 1_000_000_000u128)));
    // Blocks of 1,000 bids and the setup's big blocks go past the default 100 M block gas
    // limit (which would leave txs out of the proposal): this measures execution, not that
    // consensus parameter.
    let mut chain = Chain::start_from_with_block_gas(chain::genesis_bytes(accounts), 1 << 40);
    let (registry, market) = (chain.contract("registry"), chain.contract("market"));

    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 8});
    let registers = providers
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let msg = json!({"register": {"host_uri": format!("https://p{i}.example.com"),
                                          "gpus": [gpu]}});
            sign(
                w,
                chain.account(w),
                vec![execute_any(w, &registry, &msg, MIN_BOND)],
                CONTRACT_GAS,
            )
        })
        .collect::<Vec<_>>();
    commit_all(&mut chain, registers, "register");

    let (number, seq) = chain.account(&tenant);
    let groups: Vec<Value> = (0..GROUPS).map(|k| h100_group(&format!("g{k}"))).collect();
    let creates = (0..DEPLOYMENTS)
        .map(|d| {
            let msg = json!({"create_deployment": {"dseq": d + 1, "groups": groups,
                             "manifest_hash": MANIFEST, "bid_window_secs": 3600}});
            sign(
                &tenant,
                (number, seq + d as u64),
                vec![execute_any(&tenant, &market, &msg, 50_000_000)],
                50_000_000,
            )
        })
        .collect::<Vec<_>>();
    commit_all(&mut chain, creates, "deployment");

    // Every bid signed in advance: a warm-up block, then `per_size` blocks of each size.
    let mut plan: Vec<(Option<usize>, usize)> = vec![(None, sizes[0].min(100))];
    for (s, &size) in sizes.iter().enumerate() {
        plan.extend(std::iter::repeat_n((Some(s), size), per_size));
    }
    // The census block: untimed, after the timed ones.
    let census_block = plan.len();
    plan.push((None, providers_n));
    assert!(
        plan.len() <= 20,
        "a provider bids once per order, 20 bids per order"
    );
    let mut accounts: Vec<(u64, u64)> = providers.iter().map(|w| chain.account(w)).collect();
    let offer =
        json!({"gpus": [{"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 1}]});
    let t = Instant::now();
    let blocks: Vec<Vec<Vec<u8>>> = plan
        .iter()
        .enumerate()
        .map(|(j, &(_, size))| {
            (0..size)
                .map(|i| {
                    let o = (i + j) % ORDERS;
                    let order = json!({"owner": tenant.bech32(), "dseq": o / GROUPS + 1,
                                       "gseq": o % GROUPS + 1, "oseq": 1});
                    let msg = json!({"place_bid": {"order": order, "price": "3000000",
                                                   "offer": offer}});
                    let w = &providers[i];
                    let tx = sign(
                        w,
                        accounts[i],
                        vec![execute_any(w, &market, &msg, BID_DEPOSIT)],
                        CONTRACT_GAS,
                    );
                    accounts[i].1 += 1;
                    tx
                })
                .collect()
        })
        .collect();
    let signing = t.elapsed();
    let tx_bytes = blocks[0][0].len();

    // secp256k1 verify-only, interleaved with the blocks (one signature per tx, verified right
    // after its block) so that both see the same machine: SignDoc-sized messages (body, auth
    // info, chain id, account number), keys of the same providers.
    let timed: usize = plan.iter().filter(|p| p.0.is_some()).map(|p| p.1).sum();
    let sigs: Vec<(VerifyingKey, [u8; 33], Vec<u8>, Signature)> = (0..timed)
        .map(|i| {
            let key = SigningKey::from_slice(&secret("provider", i % providers_n)).expect("key");
            let mut msg = vec![0u8; tx_bytes - 64];
            msg[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let sig: Signature = key.sign(&msg);
            let vk = *key.verifying_key();
            let sec1: [u8; 33] = vk
                .to_encoded_point(true)
                .as_bytes()
                .try_into()
                .expect("33 bytes");
            (vk, sec1, msg, sig)
        })
        .collect();
    let mut next_sig = sigs.iter();

    // ---- timed blocks ------------------------------------------------------------------------
    let mut runs: Vec<Run> = sizes.iter().map(|_| Run::default()).collect();
    let mut census = None;
    for (b, (&(run, _), txs)) in plan.iter().zip(blocks).enumerate() {
        // Mempool admission of the same txs (decode + ante + signature, no VM), timed apart.
        let t = Instant::now();
        for tx in &txs {
            let r = chain.app.check_tx(tx, CheckTxKind::New);
            assert_eq!(r.code, 0, "check_tx: {}", r.log);
        }
        let check = t.elapsed();
        let n = txs.len();
        let req = chain.next_block(1, txs);
        if b == census_block {
            census = Some(chain.app.access_census(&req).expect("census"));
        }
        let t = Instant::now();
        let res = chain.app.finalize_block(req).expect("finalize");
        let finalize = t.elapsed();
        let phases = chain.app.last_block_phases();
        let t = Instant::now();
        chain.app.commit().expect("commit");
        let commit = t.elapsed();
        assert_ok(&res);
        assert_eq!(res.tx_results.len(), n);
        if let Some(run) = run {
            let batch: Vec<_> = next_sig.by_ref().take(n).collect();
            let t = Instant::now();
            for (vk, _, msg, sig) in &batch {
                vk.verify(msg, sig).expect("verifies");
            }
            let verify = t.elapsed();
            // The node's path: the key is decoded (decompressed) from the tx for every signature.
            let t = Instant::now();
            for (_, sec1, msg, sig) in &batch {
                tesserad::crypto::PublicKey::from_compressed(sec1)
                    .expect("key")
                    .verify(msg, &sig.to_bytes())
                    .expect("verifies");
            }
            let verify_node = t.elapsed();
            let r = &mut runs[run];
            r.verify += verify;
            r.verify_node += verify_node;
            r.txs += n;
            r.blocks += 1;
            r.check += check;
            r.finalize += finalize;
            r.phases += phases;
            r.commit += commit;
            r.gas += res.tx_results.iter().map(|r| r.gas_used).sum::<u64>();
        }
    }
    // An empty block: the fixed cost of every block (end-block hook, app hash, commit).
    let req = chain.next_block(1, vec![]);
    let t = Instant::now();
    chain.app.finalize_block(req).expect("finalize");
    let empty_finalize = t.elapsed();
    let t = Instant::now();
    chain.app.commit().expect("commit");
    let empty_commit = t.elapsed();

    // ---- report ------------------------------------------------------------------------------
    let all = Run {
        txs: timed,
        blocks: runs.iter().map(|r| r.blocks).sum(),
        check: runs.iter().map(|r| r.check).sum(),
        finalize: runs.iter().map(|r| r.finalize).sum(),
        phases: BlockPhases::default(),
        commit: runs.iter().map(|r| r.commit).sum(),
        gas: runs.iter().map(|r| r.gas).sum(),
        verify: runs.iter().map(|r| r.verify).sum(),
        verify_node: runs.iter().map(|r| r.verify_node).sum(),
    };
    let n = all.txs;
    println!(
        "setup: {providers_n} providers registered and bonded, {ORDERS} open orders; \
         {} bid txs of {tx_bytes} bytes signed in {:.2} s",
        plan.iter().map(|p| p.1).sum::<usize>(),
        signing.as_secs_f64()
    );
    for (run, size) in runs.iter().zip(&sizes) {
        println!(
            "throughput: {:.0} tx/s (place_bid, blocks of {size})",
            run.tps()
        );
        println!(
            "  {} blocks, {} txs in {:.2} s: finalize {:.0} ms/block ({:.0} us/tx), \
             commit {:.0} ms/block ({:.0} us/tx)",
            run.blocks,
            run.txs,
            run.total().as_secs_f64(),
            run.finalize.as_secs_f64() * 1e3 / run.blocks as f64,
            us_per_tx(run.finalize, run.txs),
            run.commit.as_secs_f64() * 1e3 / run.blocks as f64,
            us_per_tx(run.commit, run.txs),
        );
        let per_block = |d: Duration| d.as_secs_f64() * 1e3 / run.blocks as f64;
        println!(
            "  per block: deliver {:.1} ms, end-block {:.1} ms, app hash {:.1} ms (tree update \
             and value writes), commit {:.1} ms",
            per_block(run.phases.deliver),
            per_block(run.phases.end_block),
            per_block(run.phases.app_hash),
            per_block(run.commit),
        );
        println!(
            "  secp256k1 verify meanwhile: {:.0} /s; ratio {:.1}%",
            run.verify_rate(),
            100.0 * run.tps() / run.verify_rate()
        );
    }
    println!(
        "throughput: {:.0} tx/s (place_bid, all {} timed blocks; avg gas_used {} per tx)",
        all.tps(),
        all.blocks,
        all.gas / all.txs as u64
    );
    println!(
        "  of which decode + ante + signature (check_tx of the same txs, timed apart): \
         {:.0} us/tx; the rest of finalize (VM execution, end-block, app hash): {:.0} us/tx; \
         commit {:.0} us/tx",
        us_per_tx(all.check, all.txs),
        us_per_tx(all.finalize.saturating_sub(all.check), all.txs),
        us_per_tx(all.commit, all.txs),
    );
    println!(
        "  empty block: finalize {:.1} ms (end-block hook, app hash), commit {:.1} ms",
        empty_finalize.as_secs_f64() * 1e3,
        empty_commit.as_secs_f64() * 1e3
    );
    println!(
        "secp256k1 verify: {:.0} /s (k256 VerifyingKey::verify, sha256 of {}-byte messages, \
         {n} signatures, interleaved with the blocks)",
        all.verify_rate(),
        tx_bytes - 64
    );
    println!(
        "secp256k1 verify incl. key decoding (the node's path): {:.0} /s",
        n as f64 / all.verify_node.as_secs_f64()
    );
    println!(
        "ratio: {:.1}% (end-to-end tx/s over verify-only /s)",
        100.0 * all.tps() / all.verify_rate()
    );
    let stats = chain.app.parallel_stats();
    let count = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "parallel delivery ({} helper threads), all blocks: {} txs applied as speculated, {} \
         with their credits moved onto the current balances, {} run again in order, {} run in \
         order only (a signer repeated)",
        tesserad::app::default_parallel_helpers(),
        count(&stats.applied),
        count(&stats.credits_moved),
        count(&stats.rerun),
        count(&stats.in_order)
    );
    if let Some(access) = &census {
        report_census(access, &market);
    }
    println!("wall time: {:.1} s", wall.elapsed().as_secs_f64());
}

/// What a parallel executor could gain on the census block (see the module doc).
fn report_census(access: &[TxAccess], market: &str) {
    let n = access.len();
    let failed = access.iter().filter(|a| a.code != 0).count();
    let credited = [
        ("fee collector", Address::module(FEE_COLLECTOR)),
        (
            "market",
            Address::from_bech32(market).expect("market address"),
        ),
    ]
    .map(|(name, address)| (name, balance_key(&address, "")));
    let label = |key: &[u8]| match credited.iter().find(|(_, p)| key.starts_with(p)) {
        Some((name, prefix)) => format!(
            "balance of the {name} ({})",
            String::from_utf8_lossy(&key[prefix.len()..])
        ),
        None => census::printable(key),
    };
    println!(
        "parallel census: a block of {n} place_bid ({failed} failed); a tx depends on the \
         last earlier tx that wrote what it reads"
    );
    for hot in census::hot_keys(access, 4) {
        println!(
            "  hot key {}: written by {} txs, read by {}",
            label(&hot.key),
            hot.writers,
            hot.readers
        );
    }
    let credits: Vec<Vec<u8>> = credited.iter().map(|(_, p)| p.clone()).collect();
    for (how, commuting) in [
        ("as the txs run today", &[][..]),
        (
            "with the fee collector's and the market's balances credited as deltas",
            &credits[..],
        ),
    ] {
        let deps = Dependencies::of(access, commuting);
        let speedup = |workers| n as f64 / deps.in_order_schedule(workers) as f64;
        println!(
            "  {how}: {} txs independent, longest chain {} txs; an ideal in-order \
             executor {:.2}x on 2 cores, {:.2}x on 4, {:.2}x on 8",
            deps.independent(),
            deps.longest_chain(),
            speedup(2),
            speedup(4),
            speedup(8)
        );
    }
}
