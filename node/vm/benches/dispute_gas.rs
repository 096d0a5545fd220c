//! What deciding a dispute costs: the referee contract recomputing one leaf of each kernel in the
//! VM, at sizes from the demo's to the largest a leaf may be, in SDK gas and tx bytes.
//!
//!   cargo bench -p tessera-vm --bench dispute_gas
//!
//! Each case deploys the job, leases it, attests a tree whose disputed leaf is the true one (the
//! rest are stand-ins: a tree of the largest jobs could not be computed here), and disputes that
//! leaf, which the referee recomputes and rejects. A fraud verdict does the same recomputation
//! plus the slash (a few hundred thousand gas). An input file too large for the tx (the MLP's
//! weights past 512 KiB) is staged first (`stage_input`, 512 KiB a tx), and the staging's gas is
//! shown beside the dispute's. Run without `--bench` (as `cargo test --benches` does) it is a
//! smoke run of the smallest case of each kernel.

use std::time::Instant;

use cosmwasm_std::Binary;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tessera_api::market::{DisputeParams, ExecuteMsg, MarketParamsUpdate};
use tessera_api::merkle;
use tessera_api::referee::{ExecuteMsg as RefereeMsg, InstantiateMsg as RefereeInstantiate};
use tessera_api::sampling::DEFAULT_SAMPLE_SIZE;
use tessera_kernels::params::parse;
use tessera_testing::vm::{utsr, Tessera};
use tessera_testing::{gpu_group, offer, BID_DEPOSIT, INVENTORY, TSR};

/// Gas a dispute may use here: more than any block holds, so that what a leaf costs is
/// measured rather than cut off.
const DISPUTE_GAS: u64 = 20_000_000_000;
/// The chain's block gas limit (`app::block_gas::DEFAULT_MAX_BLOCK_GAS`) and tx size limit.
const BLOCK_GAS: u64 = 100_000_000;
const MAX_TX_BYTES: usize = 1024 * 1024;
/// An input file larger than this is staged (`stage_input`) in chunks of this size rather than
/// attached: base64 in a JSON message, a chunk of 512 KiB makes a tx of about 700 KB.
const STAGE_CHUNK: usize = 512 * 1024;

struct Case {
    kernel: &'static str,
    params: Value,
    /// Bytes of the input file, for kernels that read one.
    input_len: Option<u64>,
    note: &'static str,
}

fn case(kernel: &'static str, params: Value, note: &'static str) -> Case {
    Case {
        kernel,
        params,
        input_len: None,
        note,
    }
}

fn cases(full: bool) -> Vec<Case> {
    let mut all = vec![
        case("matmul", json!({"n": 64, "seed": 1}), "smallest"),
        case(
            "render-tiles",
            json!({"width": 64, "height": 64, "samples": 1, "seed": 1}),
            "1 sample/px",
        ),
        case(
            "sha256-batch",
            json!({"count": 1024, "size": 64, "seed": 1}),
            "64-byte messages",
        ),
        Case {
            input_len: Some(0),
            ..case(
                "mlp-inference",
                json!({"layers": [64, 32, 10], "batch": 256, "seed": 1, "weights": "w"}),
                "64-32-10",
            )
        },
    ];
    if full {
        all.extend([
            case("matmul", json!({"n": 1024, "seed": 1}), ""),
            case(
                "matmul",
                json!({"n": 4096, "seed": 1}),
                "examples/matmul.yaml",
            ),
            case("matmul", json!({"n": 16384, "seed": 1}), "largest n"),
            case(
                "render-tiles",
                json!({"width": 64, "height": 64, "samples": 32, "seed": 1}),
                "the demo's samples",
            ),
            case(
                "render-tiles",
                json!({"width": 64, "height": 64, "samples": 256, "seed": 1}),
                "",
            ),
            case(
                "render-tiles",
                json!({"width": 64, "height": 64, "samples": 4096, "seed": 1}),
                "largest samples",
            ),
            case(
                "sha256-batch",
                json!({"count": 1024, "size": 4096, "seed": 1}),
                "",
            ),
            case(
                "sha256-batch",
                json!({"count": 1024, "size": 65536, "seed": 1}),
                "largest size",
            ),
            Case {
                input_len: Some(0),
                ..case(
                    "mlp-inference",
                    json!({"layers": [784, 256, 128, 10], "batch": 256, "seed": 1, "weights": "w"}),
                    "examples/inference.yaml",
                )
            },
            Case {
                input_len: Some(0),
                ..case(
                    "mlp-inference",
                    json!({"layers": [2048, 760, 10], "batch": 256, "seed": 1, "weights": "w"}),
                    "largest weights a dispute can stage",
                )
            },
            Case {
                input_len: Some(0),
                ..case(
                    "mlp-inference",
                    json!({"layers": [8192, 190, 10], "batch": 256, "seed": 1, "weights": "w"}),
                    "widest input with the largest weights",
                )
            },
        ]);
    }
    all
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    println!(
        "dispute gas per kernel (block gas limit {BLOCK_GAS}, tx size limit {MAX_TX_BYTES} bytes)"
    );
    println!(
        "| kernel | params | leaf bytes | dispute gas | dispute tx bytes | fits a block | dispute in the VM | checking k = {DEFAULT_SAMPLE_SIZE} leaves on one CPU core |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    // `cargo bench -p tessera-vm --bench dispute_gas -- mlp` measures the cases of one kernel.
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    for case in cases(full) {
        if only.as_deref().is_none_or(|k| case.kernel.contains(k)) {
            measure(&case);
        }
    }
}

fn measure(case: &Case) {
    let parsed = parse(case.kernel, &case.params).expect("bench params parse");
    let spec = parsed.spec;
    // Seeded weights of the right length for the MLP; the file is part of the dispute.
    let input: Option<Vec<u8>> = case.input_len.map(|_| match &spec {
        tessera_kernels::Spec::Mlp(p) => (0..p.weights_len() / 4)
            .flat_map(|i| (((i % 17) as f32 - 8.0) / 64.0).to_le_bytes())
            .collect(),
        _ => unreachable!("only the MLP reads an input"),
    });
    let inputs: Vec<Value> = input
        .iter()
        .map(|bytes| json!({"name": "w", "sha256": hex::encode(Sha256::digest(bytes)), "url": "https://example.com/w", "size": bytes.len()}))
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "version": "1.0",
        "services": {"job": {"kernel": case.kernel, "params": case.params, "inputs": inputs, "work_units": 1}},
        "profiles": {"compute": {}, "placement": {}},
        "deployment": {"job": {"anywhere": {"profile": "gpu", "count": 1}}},
    }))
    .expect("manifest");

    let mut tessera = Tessera::new();
    let referee = deploy_referee(&tessera);
    let chain = &tessera.chain;
    let provider = tessera.provider("provider", 8);
    let tenant = tessera.tenant("tenant");
    let disputer = tessera.tenant("disputer");
    chain
        .execute(
            &tenant,
            &tessera.market,
            &json!({"create_deployment": {"dseq": 1, "manifest_hash": hex::encode(Sha256::digest(&manifest)),
                "groups": [gpu_group("job.anywhere", 1, 4 * TSR)]}}),
            utsr(10 * TSR),
        )
        .expect("deployment");
    chain
        .execute(
            &provider,
            &tessera.market,
            &json!({"place_bid": {"order": {"owner": tenant, "dseq": 1, "gseq": 1, "oseq": 1},
                "price": "3600000", "offer": offer(1)}}),
            utsr(BID_DEPOSIT),
        )
        .expect("bid");
    tessera.chain.advance(30);
    tessera
        .chain
        .sudo(&tessera.market, &json!({"end_block": {}}))
        .expect("auction");
    // The lease started with the auction; its first period ends ten minutes later.
    let start = tessera.chain.block.time.seconds();
    tessera.chain.advance(600);
    let chain = &tessera.chain;
    let lease = json!({"owner": tenant, "dseq": 1, "gseq": 1, "oseq": 1, "provider": provider});

    // The disputed leaf is the middle one, computed for real; the others stand in.
    let leaf_count = spec.leaf_count();
    let leaf = leaf_count / 2;
    let bytes = spec
        .leaf(leaf, input.as_deref().unwrap_or(&[]))
        .expect("reference leaf");
    // What a tenant's check of the sample costs: k leaves recomputed on this CPU (one core).
    let checked = DEFAULT_SAMPLE_SIZE.min(leaf_count);
    let started = Instant::now();
    for i in 0..checked {
        let at = i * leaf_count / checked;
        spec.leaf(at, input.as_deref().unwrap_or(&[]))
            .expect("reference leaf");
    }
    let check = started.elapsed().as_secs_f64() * DEFAULT_SAMPLE_SIZE as f64 / checked as f64;
    let leaves: Vec<merkle::Hash> = (0..leaf_count)
        .map(|i| {
            if i == leaf {
                merkle::leaf_hash(&bytes)
            } else {
                merkle::leaf_hash(&i.to_le_bytes())
            }
        })
        .collect();
    chain
        .execute(
            &provider,
            &tessera.market,
            &json!({"submit_attestation": {"lease": lease, "period_start": start, "period_end": start + 600,
                "gpu_seconds": 0, "work_units": 1, "output_root": merkle::to_hex(&merkle::root(&leaves)),
                "inventory_hash": INVENTORY, "leaf_count": leaf_count}}),
            vec![],
        )
        .expect("attestation");

    // A file too large to attach is staged first, in txs of their own, by the disputer.
    let mut staging = Staging::default();
    let input = match input {
        Some(bytes) if bytes.len() > STAGE_CHUNK => {
            let sha256 = hex::encode(Sha256::digest(&bytes));
            for chunk in bytes.chunks(STAGE_CHUNK) {
                let stage = RefereeMsg::StageInput {
                    sha256: sha256.clone(),
                    chunk: Binary::from(chunk.to_vec()),
                };
                let call = chain.call(DISPUTE_GAS);
                chain
                    .execute_with(&call, &disputer, &referee, &stage, vec![])
                    .expect("staging a chunk");
                staging.add(
                    call.gas.used(),
                    serde_json::to_vec(&stage).expect("stage").len(),
                );
            }
            None
        }
        other => other,
    };
    let dispute = RefereeMsg::Dispute {
        lease: serde_json::from_value(lease).expect("lease id"),
        seq: 1,
        leaf,
        leaf_hash: merkle::to_hex(&leaves[leaf as usize]),
        proof: merkle::proof_hex(&leaves, leaf as usize),
        manifest: Binary::from(manifest),
        input: input.map(Binary::from),
    };
    let tx_bytes = serde_json::to_vec(&dispute).expect("dispute").len();
    let call = chain.call(DISPUTE_GAS);
    let started = Instant::now();
    let outcome = chain.execute_with(&call, &disputer, &referee, &dispute, utsr(TSR));
    let elapsed = started.elapsed();
    let gas = call.gas.used();
    let verdict = match outcome {
        Ok(_) => format!("{gas}"),
        Err(e) => format!("{gas} (failed: {})", first_line(&e.to_string())),
    };
    let largest_tx = tx_bytes.max(staging.largest_tx);
    let staged = match staging.txs {
        0 => String::new(),
        n => format!(
            " + staging {} in {n} txs of up to {} bytes",
            staging.gas, staging.largest_tx
        ),
    };
    println!(
        "| {} | {} ({}) | {} | {verdict}{staged} | {tx_bytes}{} | {} | {:.2} s | {check:.2} s |",
        case.kernel,
        case.params,
        case.note,
        bytes.len(),
        if largest_tx > MAX_TX_BYTES {
            " (over the limit)"
        } else {
            ""
        },
        if gas <= BLOCK_GAS && staging.largest_gas <= BLOCK_GAS {
            "yes"
        } else {
            "no"
        },
        elapsed.as_secs_f64(),
    );
}

/// The staging txs of one dispute: their gas in all, the largest tx and the costliest.
#[derive(Default)]
struct Staging {
    txs: usize,
    gas: u64,
    largest_gas: u64,
    largest_tx: usize,
}

impl Staging {
    fn add(&mut self, gas: u64, tx_bytes: usize) {
        self.txs += 1;
        self.gas += gas;
        self.largest_gas = self.largest_gas.max(gas);
        self.largest_tx = self.largest_tx.max(tx_bytes);
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// The referee on the chain, named by the market as genesis names it.
fn deploy_referee(tessera: &Tessera) -> String {
    let chain = &tessera.chain;
    let code = chain.store("referee");
    let referee = chain
        .instantiate(
            &tessera.admin,
            code,
            &RefereeInstantiate {
                market: tessera.market.clone(),
            },
            "referee",
            Some(&tessera.admin),
        )
        .expect("referee instantiates")
        .address;
    let dispute = DisputeParams {
        referee: Some(referee.clone()),
        deposit: cosmwasm_std::coin(TSR, "utsr"),
        ..DisputeParams::default()
    };
    chain
        .execute(
            &tessera.authority,
            &tessera.market,
            &ExecuteMsg::UpdateParams(MarketParamsUpdate {
                dispute: Some(dispute),
                ..Default::default()
            }),
            vec![],
        )
        .expect("market names its referee");
    referee
}
