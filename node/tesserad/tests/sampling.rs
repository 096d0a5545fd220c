//! The sample an attestation must reveal, drawn by the real market contract in the real VM from
//! the block hashes the node keeps: the same leaves the tenant's tools compute off chain, not
//! before the third block after the attestation, and not once the chain forgot those blocks.

use serde_json::json;
use sha2::{Digest, Sha256};
use tessera_api::sampling::{self, BlockHash, DEFAULT_SAMPLE_SIZE};
use tessera_api::{merkle, DeploymentId};
use tessera_testing::node::chain::{self, assert_ok, Chain};
use tessera_testing::node::{alice, bob};
use tessera_testing::MANIFEST;
use tessera_vm::block_hashes::HISTORY;

fn block_hash(height: u64) -> BlockHash {
    chain::block_hash(height).try_into().expect("32 bytes")
}

/// A chain where `bob`, registered and bonded, leases 8 H100s to `alice` at 2.88 TSR an hour.
struct Leased {
    chain: Chain,
    tenant: tessera_testing::node::Wallet,
    provider: tessera_testing::node::Wallet,
    registry: String,
    market: String,
    lease_id: tessera_api::LeaseId,
    /// When the lease started (its first period's start).
    start: u64,
}

/// `terms`: what else `create_deployment` asks for (the tenant's own `k`, a secret's hash).
fn leased(terms: serde_json::Value) -> Leased {
    let (tenant, provider) = (alice(), bob());
    let mut chain = Chain::start();
    let (registry, market) = (chain.contract("registry"), chain.contract("market"));
    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 8});
    let mut create = json!({"create_deployment": {"dseq": 1, "groups": [chain::h100_group("train")],
                                                  "manifest_hash": MANIFEST}});
    for (field, value) in terms.as_object().expect("an object") {
        create["create_deployment"][field] = value.clone();
    }
    let txs = vec![
        chain.execute(
            &provider,
            &registry,
            json!({"register": {"host_uri": "https://p.example.com", "gpus": [gpu]}}),
            100_000_000,
        ),
        chain.execute(&tenant, &market, create, 10_000_000),
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
    Leased {
        chain,
        tenant,
        provider,
        registry,
        market,
        lease_id,
        start,
    }
}

/// The tree the reveal tests attest: 1,000 leaves.
fn thousand_leaves() -> Vec<merkle::Hash> {
    (0..1_000u32)
        .map(|i| merkle::leaf_hash(&i.to_le_bytes()))
        .collect()
}

impl Leased {
    /// The provider's attestation of the 30 s from `from` with `leaves` as its output.
    fn attestation(&self, leaves: &[merkle::Hash], from: u64) -> Vec<u8> {
        let root = merkle::to_hex(&merkle::root(leaves));
        self.chain.execute(
            &self.provider,
            &self.market,
            json!({"submit_attestation": {"lease": self.lease_id, "period_start": from,
                "period_end": from + 30, "gpu_seconds": 30, "work_units": 1,
                "output_root": root, "inventory_hash": "cd".repeat(32),
                "leaf_count": leaves.len()}}),
            0,
        )
    }

    /// A minute in, the provider attests two 30 s periods over `leaves`, a block each; returns
    /// the height that committed the first.
    fn attest_two_periods(&mut self, leaves: &[merkle::Hash]) -> u64 {
        self.chain.block_after(60, vec![]);
        let first = self.attestation(leaves, self.start);
        assert_ok(&self.chain.block(vec![first]));
        let committed = self.chain.height;
        let second = self.attestation(leaves, self.start + 30);
        assert_ok(&self.chain.block(vec![second]));
        committed
    }
}

/// What the provider reveals for `sample`: each sampled leaf's hash with its proof.
fn revealed(leaves: &[merkle::Hash], sample: &serde_json::Value) -> Vec<serde_json::Value> {
    sample["leaves"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|i| {
            let i = i.as_u64().expect("an index") as usize;
            json!({"index": i, "hash": merkle::to_hex(&leaves[i]),
                   "proof": merkle::proof_hex(leaves, i)})
        })
        .collect()
}

#[test]
fn an_attestation_sample_is_drawn_from_the_three_blocks_after_it() {
    let Leased {
        mut chain,
        provider,
        market,
        lease_id,
        start,
        ..
    } = leased(json!({}));

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
    // k is the market's governance param, 50 at genesis.
    let k = chain.smart(&market, json!({"params": {}}))["dispute"]["sample_size"]
        .as_u64()
        .expect("dispute.sample_size");
    assert_eq!(k, DEFAULT_SAMPLE_SIZE);
    let leaves = sampling::sample(&seed, 1_000, k);
    assert_eq!(sample["seed"], merkle::to_hex(&seed));
    assert_eq!(
        sample["block_heights"],
        json!([committed + 1, committed + 2, committed + 3])
    );
    assert_eq!(sample["leaf_count"], 1_000);
    assert_eq!(sample["leaves"], json!(leaves));
    assert_eq!(leaves.len() as u64, k);
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

#[test]
fn a_drawn_sample_of_the_tenants_k_must_be_revealed_with_proofs_or_its_provider_is_slashed() {
    let mut leased = leased(json!({"sample_size": 80}));
    // Two periods over the same 1,000-leaf tree.
    let leaves = thousand_leaves();
    leased.attest_two_periods(&leaves);
    let Leased {
        mut chain,
        tenant,
        provider,
        registry,
        market,
        lease_id,
        ..
    } = leased;
    let referee = chain.contract("referee");
    let second_committed = chain.height;
    for _ in 0..3 {
        chain.block(vec![]);
    }
    let sample_of = |chain: &Chain, seq: u64| {
        chain.smart(&referee, json!({"sample": {"lease": lease_id, "seq": seq}}))
    };
    let reveal = |chain: &Chain, who, seq: u64, leaves: &[serde_json::Value]| {
        chain.execute(
            who,
            &referee,
            json!({"reveal_sample": {"lease": lease_id, "seq": seq, "leaves": leaves}}),
            0,
        )
    };
    let log = |res: &tesserad::app::abci::FinalizeBlockResponse| res.tx_results[0].log.clone();

    // Attestation 1: the provider reveals; what it reveals must be the sample, each leaf proved.
    // The tenant asked for 80 leaves, more than the market's 50.
    let sample = sample_of(&chain, 1);
    assert_eq!(sample["leaves"].as_array().unwrap().len(), 80, "{sample}");
    let good = revealed(&leaves, &sample);
    let mut bent = good.clone();
    bent[3]["proof"][0] = json!("00".repeat(32));
    let res = chain.block(vec![reveal(&chain, &provider, 1, &bent)]);
    assert!(
        log(&res).contains(&format!(
            "revealed leaf 3: leaf {} does not prove against the attested output root",
            sample["leaves"][3]
        )),
        "{}",
        log(&res)
    );
    let res = chain.block(vec![reveal(&chain, &provider, 1, &good[1..])]);
    assert!(
        log(&res).contains("the sample has 80 leaves, 79 were revealed"),
        "{}",
        log(&res)
    );
    let res = chain.block(vec![reveal(&chain, &tenant, 1, &good)]);
    assert!(
        log(&res).contains("only be done by the lease's provider"),
        "{}",
        log(&res)
    );
    assert_ok(&chain.block(vec![reveal(&chain, &provider, 1, &good)]));
    let revealed = sample_of(&chain, 1);
    assert_eq!(revealed["leaves"], sample["leaves"]);
    assert!(
        revealed["drawn_at"].is_u64(),
        "revealing drew the sample: {revealed}"
    );
    let hashes: Vec<String> = good
        .iter()
        .map(|l| l["hash"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(revealed["revealed"], json!(hashes));
    let res = chain.block(vec![reveal(&chain, &provider, 1, &good)]);
    assert!(log(&res).contains("was already revealed"), "{}", log(&res));

    // Attestation 2: the tenant draws the sample; the provider stays silent. Not before the
    // reveal window closes, and then anyone may have it slashed.
    let draw = chain.execute(
        &tenant,
        &referee,
        json!({"draw_sample": {"lease": lease_id, "seq": 2}}),
        0,
    );
    assert_ok(&chain.block(vec![draw]));
    let drawn = sample_of(&chain, 2);
    let deadline = drawn["reveal_deadline"].as_u64().expect("drawn");
    assert_eq!(deadline, drawn["drawn_at"].as_u64().unwrap() + 3_600);
    let slash = |chain: &Chain, seq: u64| {
        chain.execute(
            &tenant,
            &referee,
            json!({"slash_unrevealed": {"lease": lease_id, "seq": seq}}),
            0,
        )
    };
    let res = chain.block(vec![slash(&chain, 2)]);
    assert!(
        log(&res).contains(&format!("may reveal the sample until {deadline}")),
        "{}",
        log(&res)
    );
    let res = chain.block(vec![slash(&chain, 1)]);
    assert!(log(&res).contains("was already revealed"), "{}", log(&res));
    // Fixed on chain, the sample outlives the block hashes it came from.
    while chain.height < second_committed + 1 + HISTORY {
        chain.block(vec![]);
    }
    assert_eq!(sample_of(&chain, 2)["leaves"], drawn["leaves"]);
    let tenant_before = chain.balance(&tenant.bech32());
    chain.block_after(3_600, vec![]);
    assert_ok(&chain.block(vec![slash(&chain, 2)]));
    let lease = chain.smart(&market, json!({"lease": {"id": lease_id}}));
    assert_eq!(lease["close_reason"], 20_003);
    let standing = chain.smart(
        &registry,
        json!({"provider": {"address": provider.bech32()}}),
    );
    assert_eq!(standing["jailed"], true);
    assert_eq!(
        standing["bond"]["amount"], "90000000",
        "the 10 TSR minimum slash"
    );
    // The tenant: its escrow back and both awards (it drew and it reported), less the fees.
    assert!(chain.balance(&tenant.bech32()) > tenant_before + 5_000_000);
}

#[test]
fn a_tenants_secret_holds_the_sample_back_until_it_is_revealed_and_the_hashes_are_kept_meanwhile() {
    let secret = [7u8; 32];
    let commitment = merkle::to_hex(&Sha256::digest(secret).into());
    let mut leased = leased(json!({"secret_hash": commitment}));
    let leaves = thousand_leaves();
    let committed = leased.attest_two_periods(&leaves);
    let Leased {
        mut chain,
        tenant,
        provider,
        market,
        lease_id,
        ..
    } = leased;
    let referee = chain.contract("referee");
    let log = |res: &tesserad::app::abci::FinalizeBlockResponse| res.tx_results[0].log.clone();
    let deployment = chain.smart(
        &market,
        json!({"deployment": {"owner": tenant.bech32(), "dseq": 1}}),
    );
    assert_eq!(deployment["secret_hash"], json!(commitment));

    for _ in 0..3 {
        chain.block(vec![]);
    }
    let hashes = [
        block_hash(committed + 1),
        block_hash(committed + 2),
        block_hash(committed + 3),
    ];

    // The market gives what the sample is drawn from, not the sample.
    let inputs = chain.smart(
        &market,
        json!({"attestation_sample": {"lease": lease_id, "seq": 1}}),
    );
    assert_eq!(inputs["leaves"], json!([]));
    assert_eq!(inputs["seed"], "");
    assert_eq!(inputs["secret_hash"], json!(commitment));
    assert_eq!(inputs["sample_size"], DEFAULT_SAMPLE_SIZE);
    assert_eq!(
        inputs["block_hashes"],
        json!(hashes.iter().map(merkle::to_hex).collect::<Vec<_>>())
    );
    let sample_of = |chain: &Chain, seq: u64| {
        chain.smart(&referee, json!({"sample": {"lease": lease_id, "seq": seq}}))
    };
    let waiting = sample_of(&chain, 1);
    assert_eq!(waiting["awaiting_secret"], true, "{waiting}");
    assert_eq!(waiting["leaves"], json!([]));

    // Nothing to reveal yet; drawing keeps the block hashes of both attestations.
    let reveal = |chain: &Chain, seq: u64, sample: &serde_json::Value| {
        let revealed = revealed(&leaves, sample);
        chain.execute(
            &provider,
            &referee,
            json!({"reveal_sample": {"lease": lease_id, "seq": seq, "leaves": revealed}}),
            0,
        )
    };
    let res = chain.block(vec![reveal(&chain, 1, &waiting)]);
    assert!(
        log(&res).contains("waits for the tenant's secret"),
        "{}",
        log(&res)
    );
    let draw = |chain: &Chain, seq: u64| {
        chain.execute(
            &tenant,
            &referee,
            json!({"draw_sample": {"lease": lease_id, "seq": seq}}),
            0,
        )
    };
    assert_ok(&chain.block(vec![draw(&chain, 1)]));
    assert_ok(&chain.block(vec![draw(&chain, 2)]));
    // The chain forgets the blocks; the referee kept their hashes.
    while chain.height < committed + 2 + HISTORY {
        chain.block(vec![]);
    }
    assert_eq!(sample_of(&chain, 1)["awaiting_secret"], true);

    // Only the committed secret opens it, and only once.
    let reveal_secret = |chain: &Chain, dseq: u64, secret: &[u8; 32]| {
        chain.execute(
            &tenant,
            &referee,
            json!({"reveal_secret": {"owner": tenant.bech32(), "dseq": dseq,
                                     "secret": merkle::to_hex(secret)}}),
            0,
        )
    };
    let res = chain.block(vec![reveal_secret(&chain, 1, &[8u8; 32])]);
    assert!(
        log(&res).contains(&format!(
            "but deployment {}/1 committed to {commitment}",
            tenant.bech32()
        )),
        "{}",
        log(&res)
    );
    assert_ok(&chain.block(vec![reveal_secret(&chain, 1, &secret)]));
    let res = chain.block(vec![reveal_secret(&chain, 1, &secret)]);
    assert!(log(&res).contains("was already revealed"), "{}", log(&res));

    // The sample mixes the secret in: the tenant's tools compute the same leaves off chain.
    let seed = sampling::seed(
        &sampling::attestation_id(&lease_id, 1),
        &hashes,
        Some(&secret),
    );
    let without = sampling::seed(&sampling::attestation_id(&lease_id, 1), &hashes, None);
    assert_ne!(seed, without);
    let sample = sample_of(&chain, 1);
    assert_eq!(sample["awaiting_secret"], false);
    assert_eq!(sample["seed"], merkle::to_hex(&seed));
    assert_eq!(
        sample["leaves"],
        json!(sampling::sample(&seed, 1_000, DEFAULT_SAMPLE_SIZE))
    );
    // The provider reveals it; the reveal window started when it was drawn, now.
    assert_ok(&chain.block(vec![reveal(&chain, 1, &sample)]));
    let revealed = sample_of(&chain, 1);
    assert!(revealed["revealed"].is_array(), "{revealed}");
    assert_eq!(
        revealed["reveal_deadline"].as_u64().unwrap(),
        revealed["drawn_at"].as_u64().unwrap() + 3_600
    );

    // A sample fixed so late that its reveal window would outlast the dispute window lapses.
    chain.block_after(86_400 - 3_600 + 60, vec![]);
    let res = chain.block(vec![draw(&chain, 2)]);
    assert!(
        log(&res).contains("too late to draw the sample"),
        "{}",
        log(&res)
    );

    // A deployment that committed nothing has nothing to reveal; a malformed hash is refused.
    let create = |chain: &Chain, dseq: u64, hash: &str| {
        chain.execute(
            &tenant,
            &market,
            json!({"create_deployment": {"dseq": dseq, "groups": [chain::h100_group("train")],
                   "manifest_hash": MANIFEST, "secret_hash": hash}}),
            10_000_000,
        )
    };
    let res = chain.block(vec![create(&chain, 3, "not a hash")]);
    assert!(log(&res).contains("secret_hash"), "{}", log(&res));
    let plain = chain.execute(
        &tenant,
        &market,
        json!({"create_deployment": {"dseq": 2, "groups": [chain::h100_group("train")],
               "manifest_hash": MANIFEST}}),
        10_000_000,
    );
    assert_ok(&chain.block(vec![plain]));
    let res = chain.block(vec![reveal_secret(&chain, 2, &secret)]);
    assert!(log(&res).contains("committed no secret"), "{}", log(&res));
}
