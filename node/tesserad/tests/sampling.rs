//! The sample an attestation must reveal, drawn by the real market contract in the real VM from
//! the block hashes the node keeps: the same leaves the tenant's tools compute off chain, not
//! before the third block after the attestation, and not once the chain forgot those blocks.

use serde_json::json;
use tessera_api::sampling::{self, BlockHash, DEFAULT_SAMPLE_SIZE};
use tessera_api::{merkle, DeploymentId};
use tessera_testing::node::chain::{self, assert_ok, Chain};
use tessera_testing::node::{alice, bob};
use tessera_testing::MANIFEST;
use tessera_vm::block_hashes::HISTORY;

fn block_hash(height: u64) -> BlockHash {
    chain::block_hash(height).try_into().expect("32 bytes")
}

#[test]
fn an_attestation_sample_is_drawn_from_the_three_blocks_after_it() {
    let (tenant, provider) = (alice(), bob());
    let mut chain = Chain::start();
    let (registry, market) = (chain.contract("registry"), chain.contract("market"));
    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 8});
    let txs = vec![
        chain.execute(
            &provider,
            &registry,
            json!({"register": {"host_uri": "https://p.example.com", "gpus": [gpu]}}),
            100_000_000,
        ),
        chain.execute(
            &tenant,
            &market,
            json!({"create_deployment": {"dseq": 1, "groups": [chain::h100_group("train")],
                                         "manifest_hash": MANIFEST}}),
            10_000_000,
        ),
    ];
    assert_ok(&chain.block(txs));
    let order = json!({"owner": tenant.bech32(), "dseq": 1, "gseq": 1, "oseq": 1});
    let offer =
        json!({"gpus": [{"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 1}]});
    let bid = chain.execute(
        &provider,
        &market,
        json!({"place_bid": {"order": order, "price": "2880000", "offer": offer}}),
        500_000,
    );
    assert_ok(&chain.block(vec![bid]));
    chain.block_after(30, vec![]);
    let lease_id = DeploymentId::new(tenant.bech32(), 1)
        .order(1, 1)
        .bid(provider.bech32());
    let lease = chain.smart(&market, json!({"lease": {"id": lease_id}}));
    let start = lease["created_at"].as_u64().expect("created_at");

    // Two periods: the first from a provider that states no leaf count, the second with one.
    chain.block_after(60, vec![]);
    let attest = |chain: &Chain, from: u64, leaf_count: Option<u64>| {
        let mut msg = json!({"submit_attestation": {"lease": lease_id, "period_start": from,
            "period_end": from + 30, "gpu_seconds": 30, "work_units": 1,
            "output_root": "ab".repeat(32), "inventory_hash": "cd".repeat(32)}});
        if let Some(n) = leaf_count {
            msg["submit_attestation"]["leaf_count"] = json!(n);
        }
        chain.execute(&provider, &market, msg, 0)
    };
    assert_ok(&chain.block(vec![attest(&chain, start, None)]));
    assert_ok(&chain.block(vec![attest(&chain, start + 30, Some(1_000))]));
    let committed = chain.height;
    let sample_of = |chain: &Chain, seq: u64| {
        chain.try_smart(
            &market,
            json!({"attestation_sample": {"lease": lease_id, "seq": seq}}),
        )
    };

    // Not before the third block after it exists.
    for _ in 0..2 {
        let err = sample_of(&chain, 2).expect_err("too early");
        assert!(
            err.contains(&format!("drawn from blocks up to height {}", committed + 3)),
            "{err}"
        );
        chain.block(vec![]);
    }
    chain.block(vec![]);
    let sample = sample_of(&chain, 2).expect("the sample exists at h + 3");

    let seed = sampling::seed(
        &sampling::attestation_id(&lease_id, 2),
        &[
            block_hash(committed + 1),
            block_hash(committed + 2),
            block_hash(committed + 3),
        ],
        None,
    );
    let leaves = sampling::sample(&seed, 1_000, DEFAULT_SAMPLE_SIZE);
    assert_eq!(sample["seed"], merkle::to_hex(&seed));
    assert_eq!(
        sample["block_heights"],
        json!([committed + 1, committed + 2, committed + 3])
    );
    assert_eq!(sample["leaf_count"], 1_000);
    assert_eq!(sample["leaves"], json!(leaves));
    assert_eq!(leaves.len() as u64, DEFAULT_SAMPLE_SIZE);
    // The same answer later on.
    chain.block(vec![]);
    assert_eq!(sample_of(&chain, 2).expect("still there"), sample);

    let err = sample_of(&chain, 1).expect_err("no leaf count");
    assert!(err.contains("did not state its leaf count"), "{err}");
    let err = sample_of(&chain, 3).expect_err("no such attestation");
    assert!(err.contains("has no attestation 3"), "{err}");
    let zero = chain.execute(
        &provider,
        &market,
        json!({"submit_attestation": {"lease": lease_id, "period_start": start + 60,
            "period_end": start + 90, "gpu_seconds": 30, "work_units": 1,
            "output_root": "ab".repeat(32), "inventory_hash": "cd".repeat(32), "leaf_count": 0}}),
        0,
    );
    let res = chain.block(vec![zero]);
    assert!(
        res.tx_results[0]
            .log
            .contains("leaf_count must be positive"),
        "{}",
        res.tx_results[0].log
    );

    // Once the chain has forgotten those blocks, the sample can no longer be drawn.
    while chain.height < committed + 1 + HISTORY {
        chain.block(vec![]);
    }
    let err = sample_of(&chain, 2).expect_err("forgotten");
    assert!(err.contains("can no longer be drawn"), "{err}");
}
