//! The protocol over many seeded runs, through the real contracts: honest providers are never
//! slashed and false disputes always cost; a provider faking a tenth of its leaves is caught by
//! the sample and slashed as often as the hypergeometric law says.

mod common;

use common::*;
use tessera_api::sampling::{self, attestation_id, BlockHash, DEFAULT_SAMPLE_SIZE};
use tessera_testing::amounts::TSR;
use tessera_testing::multi_test::wasm_attr;

#[test]
fn an_honest_provider_is_never_slashed_and_every_false_dispute_is_rejected_and_charged() {
    const RUNS: u64 = 1_000;
    let mut suite = Suite::new();
    let mut rng = Rng(0x7e55_e7a0);
    let provider = suite.provider("honest", BOND, TSR);
    let tenant = suite.account("tenant", RUNS as u128 * 10 * PRICE);
    let disputer = suite.account("disputer", RUNS as u128 * TSR);
    let mut kernels = std::collections::BTreeMap::<&str, u64>::new();
    let mut earned = 0u128;
    let start = suite.balance(&provider);
    for run in 0..RUNS {
        let job = TestJob::random(&mut rng);
        *kernels.entry(job.spec.kernel()).or_default() += 1;
        let lease = suite.lease(&tenant, &provider, job);
        let committed = Committed {
            leaves: lease.job.leaf_hashes(),
        };
        let seq = suite.attest(&lease, &committed);
        let (payment, _) = suite.payment(&lease, seq);
        assert!(payment > 0, "run {run}: the period paid nothing");
        earned += provider_share(payment);
        let leaf = rng.below(committed.leaves.len() as u64);
        let before = suite.balance(&provider);
        let res = suite
            .dispute(&disputer, &lease, seq, &committed, leaf)
            .unwrap_or_else(|e| panic!("run {run}: {e}"));
        assert_eq!(
            wasm_attr(&res, "verdict").as_deref(),
            Some("rejected"),
            "run {run}: {} leaf {leaf}",
            lease.job.spec.kernel()
        );
        assert_eq!(suite.balance(&provider) - before, TSR / 2, "run {run}");
        suite.close(&lease);
    }
    // Every period's pay is released once its dispute window closes (most while the runs went
    // on); besides, the provider has half of every false dispute's deposit.
    suite.advance(86_400);
    suite.release_all();
    assert_eq!(
        suite.balance(&provider) - start,
        earned + RUNS as u128 * TSR / 2
    );
    let registered = suite.registered(&provider);
    assert!(!registered.jailed);
    assert_eq!(registered.reputation.slashes, 0);
    assert_eq!(suite.bond(&provider), BOND);
    // Every false dispute cost its disputer the whole deposit.
    assert_eq!(suite.balance(&disputer), 0);
    assert_eq!(kernels.len(), 4, "all four kernels ran: {kernels:?}");
    suite.assert_conserved();
}

#[test]
fn a_provider_faking_a_tenth_of_its_leaves_is_slashed_as_often_as_the_sample_predicts() {
    const RUNS: u64 = 2_000;
    const FAKED: u64 = 100;
    // One job of 1,000 leaves (sha256 of 1,024,000 seeded empty-to-short messages), computed
    // once; each run fakes its own 100 of them.
    let job = TestJob::sha256_batch(1_000 * 1_024, 3, 11);
    let honest = job.leaf_hashes();
    let n = honest.len() as u64;
    assert_eq!(n, 1_000);
    let mut suite = Suite::new();
    let mut rng = Rng(0xc4ea_7e25);
    let tenant = suite.account("tenant", RUNS as u128 * 10 * PRICE);
    let mut caught = 0u64;
    for run in 0..RUNS {
        let provider = suite.provider(&format!("cheater-{run}"), BOND, TSR);
        let lease = suite.lease(&tenant, &provider, job.clone());
        let faked = sampling::sample(
            &rng.next().to_le_bytes().repeat(4).try_into().unwrap(),
            n,
            FAKED,
        );
        let cheat = Committed::faking(&honest, &faked);
        let seq = suite.attest(&lease, &cheat);

        // The tenant's check: the sample the chain draws (block hashes after the attestation,
        // here seeded stand-ins: the mock chain has none), each leaf recomputed and compared.
        let blocks: [BlockHash; 3] = std::array::from_fn(|_| {
            let mut hash = [0u8; 32];
            for chunk in hash.chunks_mut(8) {
                chunk.copy_from_slice(&rng.next().to_le_bytes());
            }
            hash
        });
        let seed = sampling::seed(&attestation_id(&lease.id, seq), &blocks, None);
        let sample = sampling::sample(&seed, n, DEFAULT_SAMPLE_SIZE);
        let wrong = sample
            .iter()
            .find(|&&leaf| cheat.leaves[leaf as usize] != honest[leaf as usize]);
        if let Some(&leaf) = wrong {
            let disputer = suite.account(&format!("disputer-{run}"), TSR);
            let res = suite
                .dispute(&disputer, &lease, seq, &cheat, leaf)
                .unwrap_or_else(|e| panic!("run {run}: {e}"));
            assert_eq!(wasm_attr(&res, "verdict").as_deref(), Some("fraud"));
            assert!(suite.registered(&provider).jailed, "run {run}");
            assert_eq!(suite.bond(&provider), BOND - 10 * TSR, "run {run}");
            caught += 1;
        } else {
            suite.close(&lease);
        }
    }
    let rate = caught as f64 / RUNS as f64;
    let p = sampling::detection_probability(n, FAKED, DEFAULT_SAMPLE_SIZE);
    let sigma = (p * (1.0 - p) / RUNS as f64).sqrt();
    println!("caught {caught} of {RUNS} cheaters ({rate:.4}); hypergeometric {p:.4} ± {sigma:.4}");
    assert!(rate >= 0.99, "caught only {rate}");
    assert!(
        (rate - p).abs() <= 3.0 * sigma,
        "{rate} vs {p} ± 3 × {sigma}"
    );
    suite.assert_conserved();
}
